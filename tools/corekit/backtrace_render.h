// Rendering of backtraces shared by `bt` and `report`: one frame as a text line, one thread's
// backtrace as the JSON thread object of the design's contract.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analyze/report_json.h"
#include "corekit/target/model.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::tools {

std::string FrameText(const unwind::Frame& frame, bool is64);
using analyze::ModulesJson;
using analyze::ThreadJson;

}  // namespace corekit::tools
