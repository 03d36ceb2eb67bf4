#include "html.h"

#include <fmt/format.h>

#include "corekit/base/text.h"

namespace corekit::server {

namespace {

std::string Entities(const std::string& printable) {
  std::string out;
  out.reserve(printable.size() + 16);
  for (const char c : printable) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string Html(std::string_view text) { return Entities(Printable(text)); }
std::string HtmlLines(std::string_view text) { return Entities(Printable(text, Newlines::kKeep)); }

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_' ||
        b == '.' || b == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", b);
    }
  }
  return out;
}

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace corekit::server
