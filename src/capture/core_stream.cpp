#include "corekit/capture/core_stream.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "corekit/base/diagnostics.h"
#include "corekit/core/core_file.h"
#include "corekit/elf/elf_file.h"

namespace corekit::capture {
namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kHeadLimit = 64 << 20;
constexpr std::uint64_t kSmallSegment = 64 << 10;
constexpr std::uint64_t kFileDataLimit = 1 << 20;
constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kStackWindow = 64 << 10;       // words read above each stack pointer
constexpr std::uint64_t kPointeeSegmentLimit = 8 << 20;  // a pointee's segment is kept up to this
constexpr std::uint64_t kPointeeBudget = 64 << 20;     // and so many bytes of them in all

// One read, retried on EINTR; 0 at the end.
std::size_t ReadSome(int fd, std::uint8_t* out, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
}

struct Range {
  std::uint64_t begin, end;  // stream offsets
};

// Which file ranges of the core a compact core drops, from its head (headers and notes): every
// PT_LOAD not needed by a post-mortem.
std::vector<std::size_t> SegmentsToDrop(const std::vector<std::uint8_t>& head, const elf::ElfFile& elf, int memory_fd) {
  // Read the head as a (truncated) core: its threads' stack pointers and NT_FILE mappings.
  std::vector<std::size_t> drop;
  const int fd = ::memfd_create("corekit-head", MFD_CLOEXEC);
  if (fd < 0) return drop;
  const bool written = ::write(fd, head.data(), head.size()) == static_cast<ssize_t>(head.size());
  auto core = written ? core::CoreFile::Open("/proc/self/fd/" + std::to_string(fd)) : Result<std::unique_ptr<core::CoreFile>>(Unexpected(Errc::kIo, "head"));
  ::close(fd);
  std::vector<std::uint64_t> stack_pointers;
  std::vector<std::uint64_t> pointers;  // what registers and stack words hold
  const std::vector<target::Mapping>* mappings = nullptr;
  if (core) {
    for (const target::Thread& t : (*core)->threads()) {
      if (t.sp) stack_pointers.push_back(*t.sp);
      for (const elf::Register& r : t.registers) pointers.push_back(r.value);
      // The words above SP, from the process itself: the stream has not reached the stacks yet.
      if (t.sp && memory_fd >= 0 && elf.is64()) {
        std::vector<std::uint64_t> words(kStackWindow / 8);
        const ssize_t n = ::pread(memory_fd, words.data(), kStackWindow, static_cast<off_t>(*t.sp & ~7ull));
        if (n > 0) pointers.insert(pointers.end(), words.begin(), words.begin() + n / 8);
      }
    }
    mappings = &(*core)->mappings();
  }
  const auto& phdrs = elf.program_headers();
  // The segments pointees fall in, smallest first, within the budget.
  std::vector<bool> pointee(phdrs.size(), false);
  {
    std::vector<std::size_t> loads;
    for (std::size_t i = 0; i < phdrs.size(); ++i) {
      if (phdrs[i].p_type == elf::PT_LOAD && phdrs[i].p_filesz > 0) loads.push_back(i);
    }
    std::sort(loads.begin(), loads.end(), [&](std::size_t a, std::size_t b) { return phdrs[a].p_vaddr < phdrs[b].p_vaddr; });
    std::sort(pointers.begin(), pointers.end());
    pointers.erase(std::unique(pointers.begin(), pointers.end()), pointers.end());
    std::vector<std::size_t> hit;
    for (std::uint64_t p : pointers) {
      auto it = std::upper_bound(loads.begin(), loads.end(), p, [&](std::uint64_t v, std::size_t i) { return v < phdrs[i].p_vaddr; });
      if (it == loads.begin()) continue;
      const std::size_t i = *std::prev(it);
      if (p < phdrs[i].p_vaddr + phdrs[i].p_memsz && phdrs[i].p_filesz <= kPointeeSegmentLimit && !pointee[i]) {
        pointee[i] = true;
        hit.push_back(i);
      }
    }
    std::sort(hit.begin(), hit.end(), [&](std::size_t a, std::size_t b) { return phdrs[a].p_filesz < phdrs[b].p_filesz; });
    std::uint64_t spent = 0;
    for (std::size_t i : hit) {
      if (spent + phdrs[i].p_filesz > kPointeeBudget) pointee[i] = false;
      else spent += phdrs[i].p_filesz;
    }
  }
  for (std::size_t i = 0; i < phdrs.size(); ++i) {
    const elf::ProgramHeader& ph = phdrs[i];
    if (ph.p_type != elf::PT_LOAD || ph.p_filesz == 0) continue;
    const std::uint64_t start = ph.p_vaddr, end = ph.p_vaddr + ph.p_memsz;
    bool keep = ph.p_filesz <= kSmallSegment || pointee[i];
    for (std::uint64_t sp : stack_pointers) keep = keep || (sp >= start && sp < end) || (sp < start && start - sp <= kPage);
    if (!keep && mappings) {
      for (const target::Mapping& m : *mappings) {
        if (m.path.empty() || m.start >= end || m.end <= start) continue;
        // An ELF header (a file's offset-0 page) or a small writable file segment (.data, .bss
        // neighbours, the link map).
        if ((m.offset == 0 && m.start == start) || (m.perms.size() > 1 && m.perms[1] == 'w' && ph.p_filesz <= kFileDataLimit)) {
          keep = true;
        }
      }
    }
    if (!keep) drop.push_back(i);
  }
  return drop;
}

void StoreWord(std::uint8_t* at, std::uint64_t value, std::size_t size, elf::Endian endian) {
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t shift = endian == elf::Endian::kLittle ? i : size - 1 - i;
    at[i] = static_cast<std::uint8_t>(value >> (8 * shift));
  }
}

bool AllZero(const std::uint8_t* data, std::size_t size) {
  std::uint64_t word = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::memcpy(&word, data + i, 8);
    if (word != 0) return false;
  }
  for (; i < size; ++i) {
    if (data[i] != 0) return false;
  }
  return true;
}

// Writes [offset, offset + size) to the sink without its zero pages, which become gaps: the
// kernel sends a pipe the zeros of every untouched page, and they are not data.
Result<void> WriteWithoutZeroPages(dump::Sink& sink, std::uint64_t offset, const std::uint8_t* data, std::size_t size) {
  std::size_t run_start = 0;  // start of the pending non-zero run
  std::size_t at = 0;
  while (at < size) {
    // Pages by stream offset: the core's segments are page-aligned in the file.
    const std::size_t page_end = std::min<std::size_t>(size, at + (kPage - (offset + at) % kPage));
    if (AllZero(data + at, page_end - at)) {
      if (at > run_start) {
        if (auto w = sink.Write(offset + run_start, {data + run_start, at - run_start}); !w) return w;
      }
      run_start = page_end;
    }
    at = page_end;
  }
  if (size > run_start) return sink.Write(offset + run_start, {data + run_start, size - run_start});
  return {};
}

}  // namespace

std::uint64_t Drain(int fd) {
  std::vector<std::uint8_t> buffer(kChunk);
  std::uint64_t total = 0;
  while (const std::size_t n = ReadSome(fd, buffer.data(), buffer.size())) total += n;
  return total;
}

StreamResult StreamCore(int input_fd, dump::Sink& sink, const StreamLimits& limits) {
  StreamResult result;
  std::vector<std::uint8_t> head;
  std::vector<Range> dropped;
  std::uint64_t head_needed = 64;  // the ELF header, then the program headers, then the notes
  bool decided = false;
  std::vector<std::uint8_t> chunk(kChunk);

  // Passes [offset, offset + bytes) to the sink, minus dropped ranges and what lies past the cut.
  auto emit = [&](std::uint64_t offset, const std::uint8_t* data, std::size_t size) {
    if (result.error) return;
    std::uint64_t end = std::min<std::uint64_t>(offset + size, limits.rlimit);
    std::uint64_t at = offset;
    while (at < end) {
      std::uint64_t stop = end;
      bool skip = false;
      for (const Range& r : dropped) {
        if (at >= r.begin && at < r.end) {
          skip = true;
          stop = std::min(stop, r.end);
        } else if (r.begin > at) {
          stop = std::min(stop, r.begin);
        }
      }
      if (!skip) {
        if (auto w = WriteWithoutZeroPages(sink, at, data + (at - offset), static_cast<std::size_t>(stop - at)); !w) {
          result.error = w.error().message;
          return;
        }
        result.written_bytes += stop - at;
      }
      at = stop;
    }
  };

  auto decide = [&]() {
    decided = true;
    Diagnostics diagnostics;
    auto elf = elf::ElfFile::Parse(elf::Bytes(head.data(), head.size()), diagnostics);
    if (!elf) return;
    std::uint64_t size = 0;
    for (const auto& ph : elf->program_headers()) size = std::max(size, ph.p_offset + ph.p_filesz);
    result.core_size = size;
    if (limits.max_core_size == 0 || size <= limits.max_core_size) return;
    const std::vector<std::size_t> drop = SegmentsToDrop(head, *elf, limits.memory_fd);
    const std::size_t entry = elf->is64() ? 56 : 32;
    const std::size_t filesz_at = elf->is64() ? 32 : 16;
    for (std::size_t i : drop) {
      const elf::ProgramHeader& ph = elf->program_headers()[i];
      const std::uint64_t at = elf->phoff() + i * entry + filesz_at;
      if (at + (elf->is64() ? 8 : 4) > head.size()) continue;
      StoreWord(head.data() + at, 0, elf->is64() ? 8 : 4, elf->endian());
      dropped.push_back({ph.p_offset, ph.p_offset + ph.p_filesz});
    }
    std::sort(dropped.begin(), dropped.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
    result.state = "compact";
    result.reason = "the core (" + std::to_string(size) + " bytes) is over the store's per-core limit (" +
                    std::to_string(limits.max_core_size) + "): kept the notes, stacks, what registers and stacks point to, "
                    "ELF headers and small segments";
  };

  for (;;) {
    const std::size_t n = ReadSome(input_fd, chunk.data(), chunk.size());
    if (n == 0) break;
    const std::uint64_t offset = result.stream_bytes;
    result.stream_bytes += n;
    if (decided) {
      emit(offset, chunk.data(), n);
      continue;
    }
    head.insert(head.end(), chunk.data(), chunk.data() + n);
    if (head.size() < head_needed) continue;
    // Enough for the next step? The header gives the program headers' extent, they give the notes'.
    Diagnostics diagnostics;
    auto elf = elf::ElfFile::Parse(elf::Bytes(head.data(), head.size()), diagnostics);
    if (elf) {
      std::uint64_t notes_end = 0;
      for (const auto& ph : elf->program_headers()) {
        if (ph.p_type == elf::PT_NOTE) notes_end = std::max(notes_end, ph.p_offset + ph.p_filesz);
      }
      head_needed = std::max<std::uint64_t>(head_needed, notes_end);
    } else if (elf.error().code == Errc::kTruncated && head.size() < kHeadLimit) {
      head_needed = head.size() + 1;
      continue;
    }
    if (head.size() < head_needed && head.size() < kHeadLimit) continue;
    decide();
    emit(0, head.data(), head.size());
    head.clear();
    head.shrink_to_fit();
  }
  if (!decided && !head.empty()) {  // a stream shorter than its own head
    decide();
    emit(0, head.data(), head.size());
  }
  if (!result.error) {
    const std::uint64_t size = std::min(result.stream_bytes, limits.rlimit);
    if (auto f = sink.Finish(size); !f) result.error = f.error().message;
  }
  if (result.stream_bytes > limits.rlimit && result.state == "present") {
    result.state = "truncated";
    result.reason = "cut at the process's RLIMIT_CORE (" + std::to_string(limits.rlimit) + " bytes; ulimit -c)";
  }
  return result;
}

}  // namespace corekit::capture
