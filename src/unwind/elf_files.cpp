#include "elf_files.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>


namespace corekit::unwind {

// The bias of a file whose ELF header is not in memory, from its program headers on disk.
std::optional<FileImage> ReadFileImage(const std::string& path) {
  elf_version(EV_CURRENT);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<FileImage> out;
  if (Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    GElf_Ehdr ehdr;
    std::size_t phnum = 0;
    if (gelf_getehdr(e, &ehdr) && elf_getphdrnum(e, &phnum) == 0) {
      FileImage image;
      image.type = ehdr.e_type;
      image.entry = ehdr.e_entry;
      bool any_load = false;
      for (std::size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, static_cast<int>(i), &ph)) continue;
        if (ph.p_type == PT_DYNAMIC) image.dynamic = ph.p_vaddr;
        if (ph.p_type != PT_LOAD) continue;
        const std::uint64_t aligned = ph.p_vaddr & ~std::uint64_t{0xfff};
        if (!any_load || aligned < image.first_load) image.first_load = aligned;
        if (ph.p_vaddr + ph.p_memsz > image.end) image.end = ph.p_vaddr + ph.p_memsz;
        any_load = true;
      }
      if (any_load) out = image;
    }
    elf_end(e);
  }
  ::close(fd);
  return out;
}

}  // namespace corekit::unwind
