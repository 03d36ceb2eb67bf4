// Modules: the executables and shared libraries a process had loaded, found from a Target.
//
// Sources, in order: NT_FILE (every ELF file mapping, its load bias from the ELF header the
// core keeps at the start of the offset-0 mapping, else from the file on disk), the vDSO
// (AT_SYSINFO_EHDR: its image is read from the core's memory), and — when NT_FILE is absent, as
// in qemu-user's cores, or misses a library — the dynamic linker's r_debug/link_map chain read
// out of memory (DT_DEBUG in the executable's dynamic section, found from AT_PHDR).
//
// Build-ids are read from memory where the core holds the module's notes. A module's `file` is
// the path on disk to load it from (under the sysroot, or --exe for the main executable), or
// empty when only its memory image is known (the vDSO) or nothing matching was found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "corekit/locate/locator.h"
#include "corekit/target/target.h"

namespace corekit::unwind {

struct Module {
  std::string name;      // as the process knew it (NT_FILE or link_map path, "[vdso]")
  // The object's other names: a link-map path for a file NT_FILE names differently (merged
  // /usr: "/lib/x86_64-linux-gnu/libc.so.6" for "/usr/lib/x86_64-linux-gnu/libc.so.6").
  std::vector<std::string> other_names;
  std::uint64_t start = 0, end = 0;  // address range the module's mappings cover
  std::uint64_t bias = 0;            // load bias: runtime address - ELF p_vaddr
  std::optional<std::string> build_id;  // hex, from memory
  std::string file;                  // where to read it from, or "" (see above)
  locate::Origin file_origin = locate::Origin::kNone;
  // The file's build-id was checked against the one in the core's memory. False when the core
  // holds none for it (no ELF header dumped): such a file is used, but marked unverified.
  bool verified = false;
  std::string source;                // "nt_file", "link_map", "vdso", "exe"
  // Its place in the dynamic linker's link map (load order) and the name it has there (gdb's
  // `info sharedlibrary` lists these); -1 and "" when the link map does not hold it.
  int link_map_index = -1;
  std::string link_map_name;
  std::vector<std::uint8_t> image;   // the in-memory ELF image (vDSO only)
  std::string note;                  // why the file is missing or was rejected, when it is
  // Filled as the unwinder finds them (Unwinder::LoadDebugInfo finds them all): the separate
  // debug file ("" with kEmbedded when the file carries its own DWARF, "" with kNone when there
  // is none), and the dwz alt file its .gnu_debugaltlink names.
  std::string debug_file;
  locate::Origin debug_origin = locate::Origin::kNone;
  std::string alt_file;
  locate::Origin alt_origin = locate::Origin::kNone;
  std::string alt_missing;  // the alt file named but not found: "PATH (build-id ID)"
};

struct ModuleOptions {
  std::string exe;      // the main executable, overriding what the core names
  std::string sysroot;  // prefix for every path the core names
};

// Finds the modules of `target`, one per loaded object: a link-map entry for an object NT_FILE
// already gave (same load bias, its dynamic section inside the module) adds its name to that
// module. Never fails: what cannot be found is left out (or kept with an empty `file` and a
// `note` saying why).
std::vector<Module> FindModules(target::Target& target, const ModuleOptions& options);

}  // namespace corekit::unwind
