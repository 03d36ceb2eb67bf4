#include "elf_files.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include "corekit/elf/bytes.h"
#include "corekit/elf/notes.h"
#include "corekit/unwind/modules.h"

namespace corekit::unwind {

// The bias of a file whose ELF header is not in memory, from its program headers on disk.
std::optional<std::uint64_t> FirstLoadOnDisk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::uint64_t> first;
  if (Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    std::size_t phnum = 0;
    if (elf_getphdrnum(e, &phnum) == 0) {
      for (std::size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(e, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) {
          const std::uint64_t v = ph.p_vaddr & ~std::uint64_t{0xfff};
          if (!first || v < *first) first = v;
        }
      }
    }
    elf_end(e);
  }
  ::close(fd);
  return first;
}

std::optional<std::string> BuildIdOfFile(const std::string& path) {
  elf_version(EV_CURRENT);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  if (Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    const void* bytes = nullptr;
    const ssize_t size = dwelf_elf_gnu_build_id(e, &bytes);
    if (size > 0) {
      out = elf::HexBytes(elf::Bytes(static_cast<const std::uint8_t*>(bytes), static_cast<std::size_t>(size)));
    }
    elf_end(e);
  }
  ::close(fd);
  return out;
}

}  // namespace corekit::unwind
