// libFuzzer target: open arbitrary bytes as a core and decode everything a command would.
//
// The bytes go through the same path as a file on disk (a memfd opened by path), then every
// model accessor, every note decoder, the mapping list and memory reads at addresses taken from
// the input and from the registers. Compressed inputs are left to the decompression libraries'
// own fuzzing: a tiny zstd frame can legitimately expand to gigabytes. The same bytes then come
// down a crash handler's pipe (capture::StreamCore, as the kernel would send them), with a
// per-core cap and RLIMIT_CORE small enough that the compacting and cutting paths run.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "corekit/capture/core_stream.h"
#include "corekit/core/core_file.h"
#include "corekit/dump/sink.h"
#include "corekit/elf/constants.h"
#include "corekit/elf/core_notes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace corekit;
  if (core::DetectCompression(data, size) != core::Compression::kNone) return 0;
  const int fd = ::memfd_create("fuzz-core", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) {
    ::close(fd);
    return 0;
  }
  auto opened = core::CoreFile::Open("/proc/self/fd/" + std::to_string(fd));
  if (opened) {
    core::CoreFile& c = **opened;
    const elf::Abi& abi = c.abi();
    for (const elf::Note& n : c.notes()) {
      (void)elf::NoteTypeName(n.owner, n.type);
      (void)elf::DecodeLinuxPrstatus(n.desc, abi);
      (void)elf::DecodeLinuxPrpsinfo(n.desc, abi);
      (void)elf::DecodeSiginfo(n.desc, abi);
      (void)elf::DecodeAuxv(n.desc, abi.long_size);
      (void)elf::DecodeNtFile(n.desc, abi);
      (void)elf::DecodeFreeBsdPrstatus(n.desc, abi);
      (void)elf::DecodeFreeBsdPrpsinfo(n.desc, abi);
      (void)elf::DecodeFreeBsdVmmap(n.desc);
      (void)elf::DecodeNetBsdProcinfo(n.desc);
      (void)elf::DecodeOpenBsdProcinfo(n.desc);
      (void)elf::DecodeXsave(n.desc, n.desc, true);
      (void)elf::DecodeFxsave(n.desc, true);
    }
    (void)c.mappings();
    std::uint8_t buffer[64];
    for (const target::Thread& t : c.threads()) {
      if (t.pc) (void)c.ReadSome(*t.pc, buffer);
      if (t.sp) (void)c.ReadExact(*t.sp, buffer);
    }
    for (std::size_t at = 0; at + 8 <= size && at < 256; at += 8) {
      std::uint64_t address;
      std::memcpy(&address, data + at, 8);
      (void)c.ReadSome(address, buffer);
    }
    for (const core::Segment& s : c.segments()) (void)c.ReadCString(s.vaddr, 64);
  }
  // As a stream: the head's decisions, then every byte to a sink that checks the order.
  if (::lseek(fd, 0, SEEK_SET) == 0) {
    std::uint64_t kept = 0;
    dump::CallbackSink sink([&](std::uint64_t, std::span<const std::uint8_t> bytes) -> Result<void> {
      kept += bytes.size();
      return {};
    });
    capture::StreamLimits limits;
    limits.max_core_size = size / 2;
    limits.rlimit = size > 16 ? size - 16 : size;
    const capture::StreamResult streamed = capture::StreamCore(fd, sink, limits);
    if (streamed.stream_bytes != size || kept > size) __builtin_trap();  // drained, and never more than it read
  }
  ::close(fd);
  return 0;
}
