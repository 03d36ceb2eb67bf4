#include "analyze/report_json.h"

#include <fmt/format.h>

#include "corekit/analyze/signature.h"
#include "corekit/analyze/source_lines.h"
#include "corekit/elf/core_notes.h"

namespace corekit::analyze {
namespace {

nlohmann::json OrNull(const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); }

// The crashed thread's frames that carry their source line, as the text report shows them.
constexpr std::size_t kFramesWithSource = 12;

}  // namespace

std::string HexAddress(std::uint64_t value) { return fmt::format("{:#x}", value); }

std::string HexAddress(std::uint64_t value, bool is64) {
  return is64 ? fmt::format("{:#018x}", value) : fmt::format("{:#010x}", value);
}

nlohmann::json HexJson(std::optional<std::uint64_t> value) {
  if (!value) return nullptr;
  return HexAddress(*value);
}

std::string RegisterValueText(const elf::Register& r) {
  if (r.width <= 8) return fmt::format("{:#0{}x}", r.value, 2 + 2 * r.width);
  std::string out = "{";
  for (std::size_t i = 0; i < r.bytes.size(); ++i) out += fmt::format("{}{:#04x}", i ? "," : "", r.bytes[i]);
  return out + "}";
}

nlohmann::json RegistersJson(const std::vector<const std::vector<elf::Register>*>& sets) {
  nlohmann::json regs = nlohmann::json::array();
  for (const auto* set : sets) {
    for (const elf::Register& r : *set) regs.push_back({{"name", r.name}, {"width", r.width}, {"value", RegisterValueText(r)}});
  }
  return regs;
}

nlohmann::json MappingsJson(const std::vector<target::Mapping>& mappings) {
  nlohmann::json list = nlohmann::json::array();
  for (const target::Mapping& m : mappings) {
    list.push_back({{"start", HexAddress(m.start)}, {"end", HexAddress(m.end)}, {"perms", m.perms},
                    {"offset", HexAddress(m.offset)}, {"path", m.path},
                    {"kind", std::string(target::MappingKind(m.path))},
                    {"in_core", m.backing == target::Backing::kCore},
                    {"bytes", std::string(target::BackingName(m.backing))},
                    {"bytes_in_core", m.bytes_in_core}});
  }
  return list;
}

nlohmann::json SignalJson(const std::optional<target::Signal>& signal) {
  if (!signal) return nullptr;
  nlohmann::json j;
  j["number"] = signal->number;
  std::string_view name = elf::SignalName(signal->number);
  j["name"] = name.empty() ? nlohmann::json(nullptr) : nlohmann::json(name);
  j["code"] = signal->code ? nlohmann::json(*signal->code) : nlohmann::json(nullptr);
  std::string_view code_name = signal->code ? elf::SiCodeName(signal->number, *signal->code) : "";
  j["code_name"] = code_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(code_name);
  j["fault_address"] = HexJson(signal->fault_address);
  j["sender_pid"] = signal->sender_pid ? nlohmann::json(*signal->sender_pid) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json ThreadJson(const unwind::ThreadBacktrace& bt, const target::Thread& thread, bool crashed) {
  nlohmann::json frames = nlohmann::json::array();
  for (const unwind::Frame& f : bt.frames) {
    frames.push_back({{"index", f.index}, {"pc", HexAddress(f.pc)}, {"function", OrNull(f.function)},
                      {"offset", f.offset}, {"module", f.module.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.module)},
                      {"file", OrNull(f.file)}, {"line", f.line ? nlohmann::json(*f.line) : nlohmann::json(nullptr)},
                      {"inlined", f.inlined}, {"how", f.how}});
  }
  return {{"tid", thread.tid}, {"name", OrNull(thread.name)}, {"crashed", crashed},
          {"frame_count", bt.frame_count}, {"truncated", bt.truncated}, {"frames", frames}};
}

nlohmann::json ModulesJson(const std::vector<unwind::Module>& modules) {
  nlohmann::json list = nlohmann::json::array();
  for (const unwind::Module& m : modules) {
    list.push_back({{"name", m.name}, {"other_names", m.other_names},
                    {"start", HexAddress(m.start)}, {"end", HexAddress(m.end)},
                    {"bias", HexAddress(m.bias)}, {"build_id", OrNull(m.build_id)},
                    {"file", m.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.file)},
                    {"file_origin", std::string(locate::OriginName(m.file_origin))},
                    {"verified", m.verified},
                    {"debug_file", m.debug_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.debug_file)},
                    {"debug_origin", std::string(locate::OriginName(m.debug_origin))},
                    {"alt_file", m.alt_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.alt_file)},
                    {"alt_missing", m.alt_missing.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.alt_missing)},
                    {"source", m.source}, {"note", m.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.note)}});
  }
  return list;
}

nlohmann::json ReportJson(const target::Target& target, unwind::Unwinder& unwinder, const CrashReport& report,
                          const std::string& path, const std::vector<std::string>& source_dirs) {
  const target::Process& p = target.process();
  nlohmann::json threads = nlohmann::json::array();
  nlohmann::json signature = nullptr;
  for (std::size_t i = 0; i < report.threads.size() && i < target.threads().size(); ++i) {
    const target::Thread& t = target.threads()[i];
    const bool crashed = report.crashed_thread && *report.crashed_thread == t.tid;
    threads.push_back(ThreadJson(report.threads[i], t, crashed));
    // The crashed thread's general registers, and every thread's sp: what a crash page shows.
    threads.back()["sp"] = HexJson(t.sp);
    if (!crashed) continue;
    threads.back()["registers"] = RegistersJson({&t.registers});
    SourceLines sources(source_dirs, [&](const unwind::Frame& f, const std::string& file) {
      return unwinder.FetchSource(f, file);
    });
    nlohmann::json& frames = threads.back()["frames"];
    for (std::size_t k = 0; k < report.threads[i].frames.size() && k < kFramesWithSource; ++k) {
      if (auto text = sources.Line(report.threads[i].frames[k])) frames[k]["source"] = *text;
    }
    signature = Signature(report.threads[i].frames, unwinder.modules());
  }
  return {{"schema", "corekit.report/1"},
          {"core", {{"path", path}, {"producer", std::string(target::ProducerName(target.producer()))},
                    {"arch", std::string(elf::ArchName(target.abi().arch))},
                    {"os", std::string(elf::OsName(target.abi().os))}}},
          {"process", {{"pid", p.pid ? nlohmann::json(*p.pid) : nlohmann::json(nullptr)},
                       {"executable", p.executable}, {"command_line", p.command_line}}},
          {"signal", SignalJson(report.signal)},
          {"crash", {{"thread", report.crashed_thread ? nlohmann::json(*report.crashed_thread) : nlohmann::json(nullptr)},
                     {"kind", report.kind}, {"summary", report.summary},
                     {"message", OrNull(report.message)},
                     {"signature", signature},
                     {"signature_version", std::string(kSignatureVersion)}}},
          {"threads", threads},
          {"modules", ModulesJson(unwinder.modules())},
          {"mappings", MappingsJson(target.mappings())}};
}

}  // namespace corekit::analyze
