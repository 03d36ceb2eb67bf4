// Splitting a debugger command's text: what every command of the REPL does to its arguments.
#pragma once

#include <cctype>
#include <string>
#include <utility>

namespace corekit::tools {

// Without the spaces and tabs around it.
inline std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "frame 3" -> {"frame", "3"}; "x/4xg $sp" -> {"x", "/4xg $sp"}: the command's name (letters,
// digits, '-' and '_') and the rest, trimmed.
inline std::pair<std::string, std::string> SplitCommand(const std::string& line) {
  std::size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-' || line[i] == '_')) ++i;
  return {line.substr(0, i), Trim(line.substr(i))};
}

// "print pretty on" -> {"print", "pretty on"}: the first word up to a space, and the rest.
inline std::pair<std::string, std::string> FirstWord(const std::string& text) {
  const std::string t = Trim(text);
  const auto space = t.find_first_of(" \t");
  if (space == std::string::npos) return {t, ""};
  return {t.substr(0, space), Trim(t.substr(space))};
}

}  // namespace corekit::tools
