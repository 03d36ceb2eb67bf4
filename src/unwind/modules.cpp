#include "corekit/unwind/modules.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "corekit/elf/constants.h"
#include "corekit/elf/notes.h"
#include "target/elf_image.h"
#include "elf_files.h"

namespace corekit::unwind {
namespace {

constexpr std::size_t kMaxVdsoImage = 1 << 20;
constexpr int kMaxLinkMapEntries = 4096;
constexpr int kMaxDynamicEntries = 1024;
constexpr std::uint64_t DT_NULL = 0, DT_DEBUG = 21;

bool Exists(const std::string& path) { return !path.empty() && ::access(path.c_str(), R_OK) == 0; }

// Decides the file to load a module from: --exe for the main executable, else the path under
// the sysroot; rejected when its build-id differs from the one in memory, used but unverified
// when the core holds none.
void ChooseFile(Module& m, bool is_main, const ModuleOptions& options) {
  const bool exe_option = is_main && !options.exe.empty();
  const std::string candidate = exe_option ? options.exe : options.sysroot + m.name;
  if (!Exists(candidate)) {
    m.note = candidate + " is not readable";
    return;
  }
  if (m.build_id) {
    auto on_disk = locate::BuildIdOfFile(candidate);
    if (on_disk != m.build_id) {
      m.note = candidate + " has build-id " + on_disk.value_or("(none)") + ", the process had " + *m.build_id;
      return;
    }
  } else {
    m.note = "unverified: the core holds no build-id for it";
  }
  m.verified = m.build_id.has_value();
  m.file = candidate;
  m.file_origin = exe_option ? locate::Origin::kExeOption
                  : options.sysroot.empty() ? locate::Origin::kPath : locate::Origin::kSysroot;
}

void AddFromFileMappings(target::Target& target, const ModuleOptions& options,
                         std::vector<Module>& out) {
  struct Span {
    std::uint64_t start = UINT64_MAX, end = 0;
    std::optional<std::uint64_t> header;  // start of the offset-0 mapping
  };
  std::map<std::string, Span> files;
  for (const target::Mapping& m : target.mappings()) {
    const std::string_view kind = target::MappingKind(m.path);
    if (kind != "file" && kind != "deleted") continue;
    Span& s = files[m.path];
    s.start = std::min(s.start, m.start);
    s.end = std::max(s.end, m.end);
    if (m.offset == 0 && (!s.header || m.start < *s.header)) s.header = m.start;
  }
  const auto entry = target.process().Auxv(elf::AT_ENTRY);
  const auto reader = target::ReaderOf(target);
  for (const auto& [path, span] : files) {
    if (!span.header) continue;
    Module m;
    m.name = path;
    m.start = span.start;
    m.end = span.end;
    m.source = "nt_file";
    auto image = target::ReadElfImage(reader, *span.header);
    const bool is_main = entry && *entry >= span.start && *entry < span.end;
    if (image) {
      m.bias = image->bias;
      m.build_id = image->build_id;
    } else {
      // No ELF header in memory: not dumped, or not an ELF file at all. The file decides; with
      // no file either, the module is still listed (its range), but cannot be loaded.
      auto file = ReadFileImage(is_main && !options.exe.empty() ? options.exe : options.sysroot + path);
      if (!file) {
        m.note = "no ELF header in the core and no readable file";
        if (is_main) m.source = "exe";
        out.push_back(std::move(m));
        continue;
      }
      m.bias = *span.header - file->first_load;
    }
    ChooseFile(m, is_main, options);
    if (is_main) m.source = "exe";
    out.push_back(std::move(m));
  }
}

void AddVdso(target::Target& target, std::vector<Module>& out) {
  const auto ehdr = target.process().Auxv(elf::AT_SYSINFO_EHDR);
  if (!ehdr || *ehdr == 0) return;
  auto image = target::ReadElfImage(target::ReaderOf(target), *ehdr);
  if (!image || image->end <= *ehdr || image->end - *ehdr > kMaxVdsoImage) return;
  Module m;
  m.name = "[vdso]";
  m.start = *ehdr;
  m.end = image->end;
  m.bias = image->bias;
  m.build_id = image->build_id;
  m.source = "vdso";
  m.file_origin = locate::Origin::kMemory;
  m.verified = true;
  // The image is the whole mapping when the core has it: the section headers (which name the
  // vDSO's sections, as gdb's info files lists them) lie after the loaded part.
  std::uint64_t end = image->end;
  for (const target::Mapping& mapping : target.mappings()) {
    if (*ehdr >= mapping.start && *ehdr < mapping.end && mapping.end > end && mapping.end - *ehdr <= kMaxVdsoImage) end = mapping.end;
  }
  m.image.resize(static_cast<std::size_t>(end - *ehdr));
  if (!target.ReadExact(*ehdr, m.image)) {
    m.image.resize(static_cast<std::size_t>(image->end - *ehdr));
    if (!target.ReadExact(*ehdr, m.image)) return;
  }
  out.push_back(std::move(m));
}

// A module known from the link map (or the auxiliary vector) at load bias `bias`: its range and
// build-id from the ELF header in memory when the core has it, else from the file on disk.
// The ELF image whose PT_DYNAMIC is at `dynamic`: the header is at the start of one of the
// mappings just below it. Needed for prelinked libraries, whose l_addr is 0.
std::optional<target::ElfImage> ImageOwningDynamic(target::Target& target, std::uint64_t dynamic) {
  constexpr int kCandidates = 16;
  std::vector<std::uint64_t> starts;
  for (const target::Mapping& m : target.mappings()) {
    if (m.start <= dynamic) starts.push_back(m.start);
  }
  std::sort(starts.rbegin(), starts.rend());
  for (int i = 0; i < kCandidates && i < static_cast<int>(starts.size()); ++i) {
    auto image = target::ReadElfImage(target::ReaderOf(target), starts[static_cast<std::size_t>(i)]);
    if (image && image->dynamic == dynamic) return image;
  }
  return std::nullopt;
}

std::optional<Module> ModuleAt(target::Target& target, const std::string& name, std::uint64_t bias,
                               bool is_main, const ModuleOptions& options,
                               std::optional<std::uint64_t> header = std::nullopt,
                               std::optional<std::uint64_t> dynamic = std::nullopt) {
  Module m;
  m.name = name;
  m.bias = bias;
  std::optional<target::ElfImage> image;
  auto file = ReadFileImage(is_main && !options.exe.empty() ? options.exe : options.sysroot + name);
  if (header) image = target::ReadElfImage(target::ReaderOf(target), *header);
  if (!image && file) image = target::ReadElfImage(target::ReaderOf(target), bias + file->first_load);
  if (!image) image = target::ReadElfImage(target::ReaderOf(target), bias);
  if (!image && dynamic && *dynamic != 0) image = ImageOwningDynamic(target, *dynamic);
  if (image) m.bias = image->bias;
  if (image) {
    m.start = image->bias + image->first_load;
    m.end = image->end;
    m.build_id = image->build_id;
  } else if (file) {
    m.start = bias + file->first_load;
    m.end = bias + file->end;
  } else {
    return std::nullopt;
  }
  ChooseFile(m, is_main, options);
  return m;
}

// The r_debug link map, from DT_DEBUG in the main executable's dynamic section. The
// executable's program headers come from memory (AT_PHDR) or, when the core lacks them (qemu
// dumps no read-only segments), from the file: its bias is then AT_ENTRY - e_entry.
void AddFromLinkMap(target::Target& target, const ModuleOptions& options, std::vector<Module>& out) {
  const target::Process& p = target.process();
  const auto entry = p.Auxv(elf::AT_ENTRY);
  const auto phent = p.Auxv(elf::AT_PHENT);
  if (!entry || !phent || (*phent != 32 && *phent != 56)) return;
  const unsigned w = *phent == 56 ? 8 : 4;
  auto main_it = std::find_if(out.begin(), out.end(), [](const Module& m) { return m.source == "exe"; });
  if (main_it == out.end()) {
    auto execfn = p.Auxv(elf::AT_EXECFN);
    std::string name = execfn ? target.ReadCString(*execfn, 4096).value_or("") : "";
    if (name.empty()) name = options.exe.empty() ? p.executable : options.exe;
    // The bias: from the program headers in memory (AT_PHDR - PT_PHDR's p_vaddr), else from
    // the file (AT_ENTRY - e_entry).
    std::optional<std::uint64_t> bias, header;
    const auto phdr = p.Auxv(elf::AT_PHDR);
    const auto phnum = p.Auxv(elf::AT_PHNUM);
    if (phdr && phnum && *phnum <= 256) {
      std::optional<std::uint64_t> phdr_vaddr, first_load;
      bool readable = true;
      for (std::uint64_t i = 0; i < *phnum && readable; ++i) {
        const std::uint64_t at = *phdr + i * *phent;
        auto type = target.ReadWord(at, 4);
        auto vaddr = target.ReadWord(at + (w == 8 ? 16 : 8), w);
        readable = type && vaddr;
        if (!readable) break;
        if (*type == elf::PT_PHDR) phdr_vaddr = *vaddr;
        if (*type == elf::PT_LOAD && !first_load) first_load = *vaddr & ~std::uint64_t{0xfff};
      }
      if (readable && first_load) {
        bias = phdr_vaddr ? *phdr - *phdr_vaddr : 0;
        header = *bias + *first_load;
      }
    }
    if (!bias) {
      auto file = ReadFileImage(options.exe.empty() ? options.sysroot + name : options.exe);
      if (!file) return;
      bias = file->type == elf::ET_DYN ? *entry - file->entry : 0;
    }
    auto exe = ModuleAt(target, name, *bias, true, options, header);
    if (!exe) return;
    exe->source = "exe";
    out.push_back(std::move(*exe));
    main_it = out.end() - 1;
  }
  const Module& exe = *main_it;
  // PT_DYNAMIC from the executable's headers in memory, else from its file.
  std::optional<std::uint64_t> dynamic;
  if (auto image = target::ReadElfImage(target::ReaderOf(target), exe.start)) dynamic = image->dynamic;
  if (!dynamic) {
    auto file = ReadFileImage(exe.file.empty() ? options.sysroot + exe.name : exe.file);
    if (file && file->dynamic) dynamic = exe.bias + *file->dynamic;
  }
  if (!dynamic) return;
  std::optional<std::uint64_t> r_debug;
  for (int i = 0; i < kMaxDynamicEntries; ++i) {
    const std::uint64_t at = *dynamic + static_cast<std::uint64_t>(i) * 2 * w;
    auto tag = target.ReadWord(at, w);
    auto value = target.ReadWord(at + w, w);
    if (!tag || !value || *tag == DT_NULL) break;
    if (*tag == DT_DEBUG) r_debug = *value;
  }
  if (!r_debug || *r_debug == 0) return;
  // struct r_debug { int r_version; struct link_map* r_map; ... }
  std::optional<std::uint64_t> map;
  if (auto first = target.ReadWord(*r_debug + w, w)) map = *first;
  std::set<std::uint64_t> seen;
  std::set<std::string> known;
  for (const Module& m : out) known.insert(m.name);
  for (int i = 0; map && *map != 0 && i < kMaxLinkMapEntries && seen.insert(*map).second; ++i) {
    // struct link_map { l_addr, l_name, l_ld, l_next, l_prev }
    auto l_addr = target.ReadWord(*map, w);
    auto l_name = target.ReadWord(*map + w, w);
    auto l_ld = target.ReadWord(*map + 2 * w, w);
    auto next = target.ReadWord(*map + 3 * w, w);
    if (!l_addr || !l_name) break;
    std::string name = *l_name ? target.ReadCString(*l_name, 4096).value_or("") : "";
    const std::uint64_t ld = l_ld.value_or(0);
    const bool new_name = !name.empty() && !known.count(name) && name.rfind("linux-vdso", 0) != 0 &&
                          name.rfind("linux-gate", 0) != 0;
    // The same object under another path (merged /usr: /lib is /usr/lib): one module, both names.
    auto same_object = std::find_if(out.begin(), out.end(), [&](const Module& m) {
      return m.bias == *l_addr && ld >= m.start && ld < m.end && m.source != "vdso";
    });
    if (same_object != out.end() && same_object->link_map_index < 0 && !name.empty()) {
      same_object->link_map_index = i;
      same_object->link_map_name = name;
    }
    if (new_name && same_object != out.end()) {
      same_object->other_names.push_back(name);
      known.insert(name);
    } else if (new_name) {
      if (auto m = ModuleAt(target, name, *l_addr, false, options, std::nullopt, ld)) {
        m->source = "link_map";
        m->link_map_index = i;
        m->link_map_name = name;
        known.insert(name);
        out.push_back(std::move(*m));
      }
    }
    map = next ? std::optional<std::uint64_t>(*next) : std::nullopt;
  }
}

}  // namespace

std::vector<Module> FindModules(target::Target& target, const ModuleOptions& options) {
  std::vector<Module> out;
  AddFromFileMappings(target, options, out);
  AddVdso(target, out);
  AddFromLinkMap(target, options, out);
  std::sort(out.begin(), out.end(), [](const Module& a, const Module& b) { return a.start < b.start; });
  return out;
}

}  // namespace corekit::unwind
