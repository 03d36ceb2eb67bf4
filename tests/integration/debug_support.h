// corekit debug beside gdb: the same commands, by -ex, in both, and their answers one by one
// (separated by `echo` markers in both debuggers' output).
#pragma once

#include <functional>
#include <regex>

#include "support.h"

namespace corekit::itest {

// "corekit debug --batch" (appended: g++ 12 -O2 warns falsely, -Warray-bounds, on
// std::string(COREKIT_BIN) + "..." once inlined into some tests).
inline std::string CorekitDebugBatch() {
  std::string line = COREKIT_BIN;
  line.append(" debug --batch");
  return line;
}

// The output of each command, in order, from a debugger run with -ex for each.
inline std::vector<std::string> Answers(const std::string& prefix, const std::vector<std::string>& commands,
                                 const std::string& suffix) {
  std::string line = prefix;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    line += " -ex " + Quote("echo @@" + std::to_string(i) + "\\n") + " -ex " + Quote(commands[i]);
  }
  const std::string out = RunCommand(line + " " + suffix + " 2>&1").out;
  std::vector<std::string> answers(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string marker = "@@" + std::to_string(i) + "\n";
    const auto begin = out.find(marker);
    if (begin == std::string::npos) continue;
    const auto end = out.find("@@" + std::to_string(i + 1) + "\n", begin);
    answers[i] = out.substr(begin + marker.size(), end == std::string::npos ? std::string::npos : end - begin - marker.size());
  }
  return answers;
}

// Runs `commands` in corekit debug and in gdb on the same core and expects every answer equal
// (after `normalize`, applied to both).
inline void ExpectAnswersLikeGdb(const std::string& program, const fs::path& core, const std::vector<std::string>& commands,
                                 const std::function<std::string(const std::string&)>& normalize = {}) {
  const auto ours = Answers(CorekitDebugBatch(), commands, Quote(core.string()));
  auto gdb = Answers("gdb -batch -nx -q", commands, Quote(program) + " " + Quote(core.string()));
  // gdb's complaint about the kernel's xstate note (it expects a larger one) is not an answer.
  for (std::string& answer : gdb) {
    for (std::size_t at; (at = answer.find("warning: Section `.reg-xstate/")) != std::string::npos;) {
      answer.erase(at, answer.find('\n', at) + 1 - at);
    }
  }
  for (std::size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE(commands[i]);
    if (commands[i].rfind("set ", 0) != 0) {
      EXPECT_FALSE(gdb[i].empty());  // gdb says nothing to a set
    }
    if (normalize) {
      EXPECT_EQ(normalize(ours[i]), normalize(gdb[i])) << "ours:\n" << ours[i] << "gdb:\n" << gdb[i];
    } else {
      EXPECT_EQ(ours[i], gdb[i]);
    }
  }
}

// Runs `commands` in both debuggers on the same core and expects the same errors, in order, on
// stderr (where the answers' markers cannot follow them); gdb's warnings are not errors.
inline void ExpectErrorsLikeGdb(const std::string& program, const fs::path& core, const std::vector<std::string>& commands) {
  std::string ours = CorekitDebugBatch(), gdb = "gdb -batch -nx -q";
  for (const std::string& command : commands) {
    ours.append(" -ex ").append(Quote(command));
    gdb.append(" -ex ").append(Quote(command));
  }
  const std::string ours_err = RunCommand(ours + " " + Quote(core.string()) + " 2>&1 >/dev/null").out;
  std::string gdb_err = RunCommand(gdb + " " + Quote(program) + " " + Quote(core.string()) + " 2>&1 >/dev/null").out;
  gdb_err = std::regex_replace(gdb_err, std::regex("(^|\n)warning: [^\n]*\n"), "$1");
  EXPECT_EQ(ours_err, gdb_err);
}

}  // namespace corekit::itest
