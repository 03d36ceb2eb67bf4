// The crash report and its parts as the contract's JSON documents (design.md: `report --json`,
// `bt --json`), built in one place for the command and the Python module (`Program.report()`
// returns the same document). Not installed: the library's users get the model types, and the
// JSON is the command's and the binding's presentation.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "corekit/analyze/report.h"
#include "corekit/elf/abi.h"
#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::analyze {

std::string HexAddress(std::uint64_t value);        // 0x7ffc12345678
std::string HexAddress(std::uint64_t value, bool is64);  // 0x00007ffc12345678: the word's width
nlohmann::json HexJson(std::optional<std::uint64_t> value);  // hex string or null
// A register's value: 0x-prefixed hex of its width, or its bytes ("{0x01,0x02,...}") when wider.
std::string RegisterValueText(const elf::Register& r);
// [{ "name", "width", "value" }] of the given register sets, in order.
nlohmann::json RegistersJson(const std::vector<const std::vector<elf::Register>*>& sets);
// [{ "start", "end", "perms", "offset", "path", "kind", "in_core", "bytes", "bytes_in_core" }].
nlohmann::json MappingsJson(const std::vector<target::Mapping>& mappings);
nlohmann::json SignalJson(const std::optional<target::Signal>& signal);
// One thread's backtrace as the contract's thread object.
nlohmann::json ThreadJson(const unwind::ThreadBacktrace& bt, const target::Thread& thread, bool crashed);
nlohmann::json ModulesJson(const std::vector<unwind::Module>& modules);

// The whole corekit.report/1 document of `report` (made by Analyze over `target` and
// `unwinder`); `path` is what the core was opened as, `source_dirs` where its sources are looked
// for (the crashed thread's first frames carry their source line).
nlohmann::json ReportJson(const target::Target& target, unwind::Unwinder& unwinder, const CrashReport& report,
                          const std::string& path, const std::vector<std::string>& source_dirs);

}  // namespace corekit::analyze
