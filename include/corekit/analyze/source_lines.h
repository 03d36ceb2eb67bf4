// SourceLines: the text of source lines named by frames, when the files are on this machine.
//
// A frame's file is looked up as the DWARF names it (absolute, or under its compile unit's
// build directory), then by its path and its base name under each of the given source
// directories (--source-dir, for sources moved since the build), and last through `fetch` (the
// unwinder's debuginfod lookup by the module's build-id). Files are read once and kept.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "corekit/unwind/unwinder.h"

namespace corekit::analyze {

class SourceLines {
 public:
  // Given a frame and the absolute path its DWARF names, a local copy of that file.
  using Fetch = std::function<std::optional<std::string>(const unwind::Frame&, const std::string&)>;
  explicit SourceLines(std::vector<std::string> source_dirs = {}, Fetch fetch = {})
      : source_dirs_(std::move(source_dirs)), fetch_(std::move(fetch)) {}

  // The text of `line` (1-based) of the frame's file, without its newline.
  std::optional<std::string> Line(const unwind::Frame& frame, int line);
  std::optional<std::string> Line(const unwind::Frame& frame) { return Line(frame, frame.line.value_or(0)); }
  // Where the frame's file was found, when it was.
  std::optional<std::string> Path(const unwind::Frame& frame);
  // How many lines the frame's file has, when it was found.
  std::optional<std::size_t> LineCount(const unwind::Frame& frame);

 private:
  const std::vector<std::string>* Lines(const std::string& path);
  std::vector<std::string> source_dirs_;
  Fetch fetch_;
  std::map<std::pair<std::string, std::string>, std::optional<std::string>> fetched_;  // by (module, path)
  std::map<std::string, std::optional<std::vector<std::string>>> files_;  // by path tried
};

}  // namespace corekit::analyze
