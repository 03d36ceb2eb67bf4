// corekit notes CORE: every note, in file order, with what corekit decodes from it.
#include <fmt/format.h>

#include "corekit/elf/constants.h"
#include "corekit/elf/core_notes.h"
#include "render.h"

namespace corekit::tools {
namespace {

using nlohmann::json;

// Decoded fields of the notes corekit understands, as JSON; null for the others.
json Decode(const elf::Note& note, const elf::Abi& abi) {
  const bool linux_owner = note.owner == "CORE" || note.owner == "LINUX";
  if (linux_owner && abi.os == elf::Os::kLinux) {
    switch (note.type) {
      case elf::NT_PRSTATUS: {
        auto p = elf::DecodeLinuxPrstatus(note.desc, abi);
        if (!p) return {{"error", p.error().message}};
        json regs = json::object();
        for (const elf::Register& r : elf::DecodeRegisters(p->gregs, elf::GeneralRegisterLayout(abi, p->gregs.size()))) {
          regs[r.name] = HexAddress(r.value);
        }
        return {{"pid", p->pid}, {"ppid", p->ppid}, {"pgrp", p->pgrp}, {"sid", p->sid},
                {"cursig", p->cursig}, {"si_signo", p->si_signo}, {"si_code", p->si_code},
                {"si_errno", p->si_errno}, {"sigpend", HexAddress(p->sigpend)},
                {"sighold", HexAddress(p->sighold)},
                {"utime", fmt::format("{}.{:06}", p->utime.sec, p->utime.usec)},
                {"stime", fmt::format("{}.{:06}", p->stime.sec, p->stime.usec)},
                {"fpvalid", p->fpvalid ? json(*p->fpvalid) : json(nullptr)}, {"registers", regs}};
      }
      case elf::NT_PRPSINFO: {
        auto p = elf::DecodeLinuxPrpsinfo(note.desc, abi);
        if (!p) return {{"error", p.error().message}};
        return {{"state", p->state ? std::string(1, *p->state) : ""}, {"nice", p->nice.value_or(0)},
                {"flag", HexAddress(p->flag)}, {"uid", p->uid.value_or(0)}, {"gid", p->gid.value_or(0)},
                {"pid", p->pid.value_or(0)}, {"ppid", p->ppid.value_or(0)},
                {"pgrp", p->pgrp.value_or(0)}, {"sid", p->sid.value_or(0)}, {"fname", p->fname},
                {"psargs", p->psargs}};
      }
      case elf::NT_SIGINFO: {
        auto s = elf::DecodeSiginfo(note.desc, abi);
        if (!s) return {{"error", s.error().message}};
        return {{"si_signo", s->signo}, {"si_code", s->code}, {"si_errno", s->errno_value},
                {"si_addr", HexJson(s->addr)},
                {"sender_pid", s->sender_pid ? json(*s->sender_pid) : json(nullptr)}};
      }
      case elf::NT_AUXV: {
        json entries = json::array();
        for (const elf::AuxvEntry& e : elf::DecodeAuxv(note.desc, abi.long_size)) {
          std::string_view name = elf::AuxvName(e.type);
          entries.push_back({{"type", e.type}, {"name", name.empty() ? json(nullptr) : json(name)},
                             {"value", HexAddress(e.value)}});
        }
        return {{"entries", entries}};
      }
      case elf::NT_FILE: {
        auto f = elf::DecodeNtFile(note.desc, abi);
        if (!f) return {{"error", f.error().message}};
        json maps = json::array();
        for (const elf::FileMapping& m : f->mappings) {
          maps.push_back({{"start", HexAddress(m.start)}, {"end", HexAddress(m.end)},
                          {"offset", HexAddress(m.offset)}, {"path", m.path}});
        }
        return {{"page_size", f->page_size}, {"count", f->mappings.size()}, {"mappings", maps}};
      }
      case elf::NT_X86_XSTATE: {
        auto x = elf::DecodeXsave(note.desc, {}, abi.arch != elf::Arch::kI386);
        if (!x) return {{"error", x.error().message}};
        return {{"xcr0", HexAddress(x->xcr0)}, {"xstate_bv", HexAddress(x->xstate_bv)}};
      }
      case elf::NT_X86_XSAVE_LAYOUT: {
        json components = json::array();
        for (std::uint64_t at = 0; note.desc.Contains(at, 16); at += 16) {
          const unsigned feature = *note.desc.U32(at);
          components.push_back({{"feature", feature}, {"name", elf::XsaveFeatureName(feature)},
                                {"size", *note.desc.U32(at + 4)}, {"offset", *note.desc.U32(at + 8)}});
        }
        return {{"components", components}};
      }
      default:
        return nullptr;
    }
  }
  if (note.owner == "FreeBSD") {
    switch (note.type) {
      case elf::NT_PRSTATUS: {
        auto p = elf::DecodeFreeBsdPrstatus(note.desc, abi);
        if (!p) return {{"error", p.error().message}};
        return {{"pid", p->pid}, {"cursig", p->cursig}, {"osreldate", p->osreldate.value_or(0)}};
      }
      case elf::NT_PRPSINFO: {
        auto p = elf::DecodeFreeBsdPrpsinfo(note.desc, abi);
        if (!p) return {{"error", p.error().message}};
        return {{"fname", p->fname}, {"psargs", p->psargs}};
      }
      case elf::NT_FREEBSD_THRMISC: return {{"name", elf::DecodeFreeBsdThrmisc(note.desc)}};
      case elf::NT_FREEBSD_PROCSTAT_VMMAP: {
        auto v = elf::DecodeFreeBsdVmmap(note.desc);
        if (!v) return {{"error", v.error().message}};
        return {{"count", v->size()}};
      }
      default:
        return nullptr;
    }
  }
  if (note.owner == "NetBSD-CORE" && note.type == elf::NT_NETBSDCORE_PROCINFO) {
    auto p = elf::DecodeNetBsdProcinfo(note.desc);
    if (!p) return {{"error", p.error().message}};
    return {{"pid", p->pid}, {"signo", p->signo}, {"sigcode", p->sigcode}, {"name", p->name},
            {"nlwps", p->nlwps.value_or(0)}, {"siglwp", p->siglwp.value_or(0)}};
  }
  if (note.owner == "OpenBSD" && note.type == elf::NT_OPENBSD_PROCINFO) {
    auto p = elf::DecodeOpenBsdProcinfo(note.desc);
    if (!p) return {{"error", p.error().message}};
    return {{"pid", p->pid}, {"signo", p->signo}, {"sigcode", p->sigcode}, {"name", p->name}};
  }
  if (note.owner == "GNU" && note.type == elf::NT_GNU_BUILD_ID) {
    return {{"build_id", elf::HexBytes(note.desc)}};
  }
  if (note.owner == "COREKIT") return {{"text", std::string(note.desc.AsString())}};
  return nullptr;
}

// One short line of the decoded fields for the text table.
std::string Brief(const json& d) {
  if (d.is_null()) return "";
  if (d.contains("error")) return "undecodable: " + d["error"].get<std::string>();
  std::string out;
  auto add = [&](const std::string& text) { out += (out.empty() ? "" : ", ") + text; };
  for (const char* key : {"pid", "cursig", "si_signo", "si_code", "si_addr", "fname", "psargs",
                          "name", "count", "xcr0", "build_id", "signo", "siglwp"}) {
    if (!d.contains(key)) continue;
    const json& v = d[key];
    if (v.is_null()) continue;
    add(fmt::format("{}={}", key, v.is_string() ? v.get<std::string>() : JsonWithValidUtf8(v).dump()));
  }
  if (d.contains("entries")) add(fmt::format("{} entries", d["entries"].size()));
  if (d.contains("components")) add(fmt::format("{} components", d["components"].size()));
  return out;
}

int RunOnCore(core::CoreFile& core, const CommonOptions& options) {
  const auto& notes = core.notes();
  if (options.json) {
    json list = json::array();
    for (std::size_t i = 0; i < notes.size(); ++i) {
      const elf::Note& n = notes[i];
      std::string_view name = elf::NoteTypeName(n.owner, n.type);
      list.push_back({{"index", i}, {"offset", HexAddress(n.offset)}, {"owner", std::string(n.owner)},
                      {"type", n.type}, {"type_name", name.empty() ? json(nullptr) : json(name)},
                      {"size", n.desc.size()}, {"decoded", Decode(n, core.abi())}});
    }
    PrintJson({{"notes", list}, {"diagnostics", DiagnosticsJson(core.diagnostics())}});
    return 0;
  }
  Print("{} notes in {}\n\n", notes.size(), Printable(core.path()));
  Print("{:>4}  {:<10}  {:<16}  {:<22}  {:>7}  {}\n", "#", "offset", "owner", "type", "size", "decoded");
  for (std::size_t i = 0; i < notes.size(); ++i) {
    const elf::Note& n = notes[i];
    std::string_view name = elf::NoteTypeName(n.owner, n.type);
    Print("{:>4}  {:<10}  {:<16}  {:<22}  {:>7}  {}\n", i, HexAddress(n.offset), Printable(n.owner),
               name.empty() ? HexAddress(n.type) : std::string(name), n.desc.size(),
               Printable(Brief(Decode(n, core.abi()))));
  }
  return 0;
}

int Run(target::Target& target, const CommonOptions& options) {
  core::CoreFile* core = AsCoreFile(target, "notes");
  return core ? RunOnCore(*core, options) : 1;
}

}  // namespace

void AddNotesCommand(CLI::App& app, Runner& run) {
  AddCommand(app, run, "notes", "every note: owner, type name, size, decoded fields", Run)
      ->footer(R"(Every ELF note of the core in file order (NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE,
FP and XSAVE state, FreeBSD, NetBSD and OpenBSD notes), decoded where corekit knows the type.

Example:
  corekit notes --json core)");
}

}  // namespace corekit::tools
