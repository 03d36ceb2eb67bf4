// Rendering of backtraces shared by `bt` and `report`: one frame as a text line, one thread's
// backtrace as the JSON thread object of the design's contract.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "corekit/target/model.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::tools {

std::string FrameText(const unwind::Frame& frame, bool is64);
nlohmann::json ThreadJson(const unwind::ThreadBacktrace& bt, const target::Thread& thread, bool crashed);
nlohmann::json ModulesJson(const std::vector<unwind::Module>& modules);

}  // namespace corekit::tools
