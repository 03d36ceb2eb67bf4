// Text into HTML: everything a crash holds (paths, names, command lines, symbols, source lines)
// is attacker-controlled, so every piece of it reaches a page through these.
#pragma once

#include <string>
#include <string_view>

namespace corekit::server {

// Terminal controls and ill-formed UTF-8 made visible (`Printable`: `\x1b`), then & < > " '
// as entities: safe in element text and in a quoted attribute value.
std::string Html(std::string_view text);
// The same, newlines kept: for a <pre> of several lines.
std::string HtmlLines(std::string_view text);
// Percent-encoding of a query value or a path segment (unreserved characters kept).
std::string UrlEncode(std::string_view text);
// One POSIX shell word: 'text' with each ' as '\'' (for the command lines a page shows).
std::string ShellQuote(std::string_view text);

}  // namespace corekit::server
