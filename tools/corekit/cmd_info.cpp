// corekit info CORE|PID: what this core (or running process) is, in one screen.
#include <fmt/format.h>

#include "corekit/elf/constants.h"
#include "render.h"

namespace corekit::tools {
namespace {

struct Summary {
  std::size_t load_segments = 0;
  std::size_t note_segments = 0;
  std::uint64_t bytes_in_core = 0;
  std::uint64_t bytes_mapped = 0;
  std::size_t file_backed = 0;
};

Summary Summarize(const core::CoreFile& core) {
  Summary s;
  for (const elf::ProgramHeader& ph : core.elf().program_headers()) {
    if (ph.p_type == elf::PT_LOAD) ++s.load_segments;
    if (ph.p_type == elf::PT_NOTE) ++s.note_segments;
  }
  for (const core::Segment& seg : core.segments()) {
    s.bytes_in_core += seg.available;
    s.bytes_mapped += seg.memsz;
  }
  s.file_backed = core.file_mappings().size();
  return s;
}

// The producer's own note, if corekit wrote this core: its text is key=value lines.
std::optional<std::string> CorekitNote(const core::CoreFile& core) {
  for (const elf::Note& note : core.notes()) {
    if (note.owner == "COREKIT" && note.type == elf::NT_COREKIT_INFO) {
      return std::string(note.desc.AsString());
    }
  }
  return std::nullopt;
}

// What a core and a running process both say of themselves, under info --json's keys.
nlohmann::json ProcessFactsJson(const target::Target& target) {
  const target::Process& p = target.process();
  const elf::Abi& abi = target.abi();
  nlohmann::json j;
  j["producer"] = std::string(target::ProducerName(target.producer()));
  j["arch"] = std::string(elf::ArchName(abi.arch));
  j["os"] = std::string(elf::OsName(abi.os));
  j["class"] = abi.is64 ? "ELF64" : "ELF32";
  j["endian"] = abi.endian == elf::Endian::kLittle ? "little" : "big";
  j["e_machine"] = abi.e_machine;
  j["pid"] = p.pid ? nlohmann::json(*p.pid) : nlohmann::json(nullptr);
  j["ppid"] = p.ppid ? nlohmann::json(*p.ppid) : nlohmann::json(nullptr);
  j["executable"] = p.executable;
  j["command_line"] = p.command_line;
  j["uid"] = p.uid ? nlohmann::json(*p.uid) : nlohmann::json(nullptr);
  j["gid"] = p.gid ? nlohmann::json(*p.gid) : nlohmann::json(nullptr);
  j["signal"] = SignalJson(p.signal);
  j["signalled_thread"] = p.signalled_thread ? nlohmann::json(*p.signalled_thread) : nlohmann::json(nullptr);
  j["thread_count"] = target.threads().size();
  return j;
}

int RunOnCore(core::CoreFile& core, const CommonOptions& options) {
  const target::Process& p = core.process();
  const elf::Abi& abi = core.abi();
  const Summary s = Summarize(core);
  const std::string arch(elf::ArchName(abi.arch));
  const std::string os(elf::OsName(abi.os));
  const std::size_t segment_count = core.elf().program_headers().size();

  if (options.json) {
    nlohmann::json j = ProcessFactsJson(core);
    j["path"] = core.path();
    j["segment_count"] = segment_count;
    j["pn_xnum"] = core.elf().uses_pn_xnum();
    j["load_segment_count"] = s.load_segments;
    j["note_count"] = core.notes().size();
    j["mapping_count"] = core.mappings().size();
    j["file_mapping_count"] = s.file_backed;
    j["bytes_in_core"] = s.bytes_in_core;
    j["bytes_mapped"] = s.bytes_mapped;
    j["file_size"] = core.file().bytes().size();
    j["compression"] = std::string(core::CompressionName(core.file().compression()));
    j["truncated_segments"] = core.truncated_segment_count();
    auto note = CorekitNote(core);
    j["corekit_note"] = note ? nlohmann::json(*note) : nlohmann::json(nullptr);
    j["diagnostics"] = DiagnosticsJson(core.diagnostics());
    PrintJson(j);
    return 0;
  }

  // One-line summary first, then the facts aligned.
  std::string headline = fmt::format("{}: {} {} core", core.path(), os, arch);
  if (p.pid) headline += fmt::format(" of pid {}", *p.pid);
  if (!p.executable.empty()) headline += fmt::format(" ({})", p.executable);
  if (p.signal && p.signal->number != 0) headline += ", " + SignalText(*p.signal);
  headline += fmt::format(", {} thread{}", core.threads().size(), core.threads().size() == 1 ? "" : "s");
  Print("{}\n\n", Printable(headline));
  auto row = [](std::string_view key, const std::string& value) {
    Print("  {:<12} {}\n", key, Printable(value));  // a command line or path stays on its row
  };
  std::string file = fmt::format("{} ({})", core.path(), HumanSize(core.file().bytes().size()));
  if (core.file().compression() != core::Compression::kNone) {
    file += fmt::format(", {}-compressed {}", core::CompressionName(core.file().compression()),
                        HumanSize(core.file().stored_size()));
  }
  row("file", file);
  row("producer", std::string(target::ProducerName(core.producer())));
  row("arch", fmt::format("{} ({}, {}-endian, e_machine {})", arch, abi.is64 ? "ELF64" : "ELF32",
                          abi.endian == elf::Endian::kLittle ? "little" : "big",
                          core.elf().machine()));
  row("os", os);
  if (p.pid) row("pid", p.ppid ? fmt::format("{} (parent {})", *p.pid, *p.ppid) : fmt::format("{}", *p.pid));
  if (!p.command_line.empty()) row("command", p.command_line);
  if (!p.executable.empty()) row("executable", p.executable);
  if (p.uid) row("uid/gid", fmt::format("{}/{}", *p.uid, p.gid.value_or(0)));
  if (p.signal && p.signal->number != 0) {
    std::string text = SignalText(*p.signal);
    if (p.signalled_thread) text += fmt::format(", thread {}", *p.signalled_thread);
    row("signal", text);
  } else {
    row("signal", "none (the process was not killed by a signal)");
  }
  row("threads", fmt::format("{}", core.threads().size()));
  row("segments", fmt::format("{} program headers ({} PT_LOAD, {} PT_NOTE){}", segment_count,
                              s.load_segments, s.note_segments,
                              core.elf().uses_pn_xnum() ? ", PN_XNUM" : ""));
  row("notes", fmt::format("{}", core.notes().size()));
  row("mappings", fmt::format("{} ({} file-backed)", core.mappings().size(), s.file_backed));
  row("memory", fmt::format("{} in core of {} mapped", HumanSize(s.bytes_in_core), HumanSize(s.bytes_mapped)));
  if (core.truncated_segment_count() > 0) {
    row("truncated", fmt::format("{} segments end past the end of the file", core.truncated_segment_count()));
  }
  if (auto note = CorekitNote(core)) row("corekit", *note);
  return 0;
}

// A running process (stopped while corekit reads it): what a core would say, without the file.
int RunOnProcess(const target::Target& process, const CommonOptions& options) {
  const target::Process& p = process.process();
  const elf::Abi& abi = process.abi();
  const std::string arch(elf::ArchName(abi.arch));
  const std::string os(elf::OsName(abi.os));
  std::uint64_t bytes_mapped = 0;
  std::size_t file_backed = 0;
  for (const target::Mapping& m : process.mappings()) {
    bytes_mapped += m.end - m.start;
    file_backed += target::MappingKind(m.path) == "file";
  }
  const bool signalled = p.signal && p.signal->number != 0;
  if (options.json) {
    nlohmann::json j = ProcessFactsJson(process);
    j["path"] = nullptr;  // the keys of a core's summary, null where only a file has them
    j["mapping_count"] = process.mappings().size();
    j["file_mapping_count"] = file_backed;
    j["bytes_mapped"] = bytes_mapped;
    for (const char* key : {"segment_count", "pn_xnum", "load_segment_count", "note_count", "bytes_in_core",
                            "file_size", "compression", "truncated_segments", "corekit_note"}) {
      j[key] = nullptr;
    }
    j["diagnostics"] = DiagnosticsJson(process.diagnostics());
    PrintJson(j);
    return 0;
  }
  std::string headline = fmt::format("process {}", p.pid.value_or(0));
  if (!p.executable.empty()) headline += fmt::format(" ({})", p.executable);
  headline += fmt::format(": {} {}, {} thread{}", os, arch, process.threads().size(),
                          process.threads().size() == 1 ? "" : "s");
  Print("{}\n\n", Printable(headline));
  auto row = [](std::string_view key, const std::string& value) { Print("  {:<12} {}\n", key, Printable(value)); };
  row("producer", "live process (stopped while corekit read it, then resumed)");
  row("arch", fmt::format("{} ({}, {}-endian, e_machine {})", arch, abi.is64 ? "ELF64" : "ELF32",
                          abi.endian == elf::Endian::kLittle ? "little" : "big", abi.e_machine));
  row("os", os);
  if (p.pid) row("pid", p.ppid ? fmt::format("{} (parent {})", *p.pid, *p.ppid) : fmt::format("{}", *p.pid));
  if (!p.command_line.empty()) row("command", p.command_line);
  if (!p.executable.empty()) row("executable", p.executable);
  if (p.uid) row("uid/gid", fmt::format("{}/{}", *p.uid, p.gid.value_or(0)));
  row("signal", signalled ? SignalText(*p.signal) : "none (running)");
  row("threads", fmt::format("{}", process.threads().size()));
  row("mappings", fmt::format("{} ({} file-backed)", process.mappings().size(), file_backed));
  row("memory", fmt::format("{} mapped", HumanSize(bytes_mapped)));
  return 0;
}

int Run(target::Target& target, const CommonOptions& options) {
  if (auto* core = dynamic_cast<core::CoreFile*>(&target)) return RunOnCore(*core, options);
  return RunOnProcess(target, options);
}

}  // namespace

void AddInfoCommand(CLI::App& app, Runner& run) {
  AddCommand(app, run, "info", "summary: producer, arch, OS, pid, command, signal, threads, segments", Run)
      ->footer(R"(The producer (kernel, gcore, corekit, qemu), machine and OS, the process and the signal that
killed it, and the core's segments, notes, mappings and how much of the memory it holds. On a
PID: the same facts of the running process.

Example:
  corekit info core
  corekit info --json 1234)");
}

}  // namespace corekit::tools
