#include "corekit/analyze/source_lines.h"

#include <sys/stat.h>

#include <fstream>

namespace corekit::analyze {
namespace {

constexpr std::size_t kMaxSourceBytes = 16 << 20;  // a "source file" larger than this is not one
constexpr std::size_t kMaxLineShown = 400;

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) <= kMaxSourceBytes;
}

std::string Join(const std::string& dir, const std::string& file) {
  if (dir.empty()) return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

}  // namespace

std::optional<std::string> SourceLines::Path(const unwind::Frame& frame) {
  if (!frame.file || frame.file->empty()) return std::nullopt;
  const std::string& file = *frame.file;
  std::vector<std::string> candidates;
  if (file[0] == '/') {
    candidates.push_back(file);
  } else if (frame.comp_dir) {
    candidates.push_back(Join(*frame.comp_dir, file));
  }
  const auto slash = file.rfind('/');
  const std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  for (const std::string& dir : source_dirs_) {
    candidates.push_back(Join(dir, file[0] == '/' ? file.substr(1) : file));
    candidates.push_back(Join(dir, base));
  }
  for (const std::string& path : candidates) {
    if (Lines(path)) return path;
  }
  if (!fetch_ || candidates.empty() || candidates.front().empty() || candidates.front()[0] != '/') return std::nullopt;
  auto [it, inserted] = fetched_.try_emplace(std::make_pair(frame.module, candidates.front()));
  if (inserted) it->second = fetch_(frame, candidates.front());
  if (it->second && Lines(*it->second)) return it->second;
  return std::nullopt;
}

std::optional<std::string> SourceLines::Line(const unwind::Frame& frame, int line) {
  if (line <= 0) return std::nullopt;
  auto path = Path(frame);
  if (!path) return std::nullopt;
  const std::vector<std::string>* lines = Lines(*path);
  if (static_cast<std::size_t>(line) > lines->size()) return std::nullopt;
  std::string text = (*lines)[static_cast<std::size_t>(line) - 1];
  if (text.size() > kMaxLineShown) text.resize(kMaxLineShown);
  return text;
}

std::optional<std::size_t> SourceLines::LineCount(const unwind::Frame& frame) {
  const auto path = Path(frame);
  const std::vector<std::string>* lines = path ? Lines(*path) : nullptr;
  if (!lines) return std::nullopt;
  return lines->size();
}

const std::vector<std::string>* SourceLines::Lines(const std::string& path) {
  auto [it, inserted] = files_.try_emplace(path);
  if (inserted && IsRegularFile(path)) {
    std::ifstream in(path);
    if (in) {
      std::vector<std::string> lines;
      for (std::string text; std::getline(in, text);) {
        if (!text.empty() && text.back() == '\r') text.pop_back();
        lines.push_back(std::move(text));
      }
      it->second = std::move(lines);
    }
  }
  return it->second ? &*it->second : nullptr;
}

}  // namespace corekit::analyze
