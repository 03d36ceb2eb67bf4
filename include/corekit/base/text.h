// Text from a core or a process is data, never terminal control.
//
// Paths, note owners, command names and lines, symbol and DWARF names, source lines and memory
// shown as text all come from files an attacker may have written. Everything corekit prints
// passes through `Printable` (the command and the debugger do it for every line), so that no
// escape sequence reaches a terminal and every output is valid UTF-8:
//  - C0 controls (but tab, and newline where the caller keeps line breaks), DEL and C1
//    controls (U+0080..U+009F) are shown as `\xNN` escapes of their bytes: ESC is `\x1b`;
//  - a newline is `\n` unless kept: a path or a name with one stays on its record's line;
//  - bytes that are not well-formed UTF-8 (stray continuation bytes, truncated, overlong or
//    surrogate sequences, past U+10FFFF) are `\xNN` each;
//  - well-formed UTF-8 (names in any script) is kept as it is.
// `ValidUtf8` is the JSON form (docs/json.md): only the ill-formed bytes become the four
// characters `\xNN`; the JSON encoder escapes the controls itself.
//
// Header-only, std only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corekit {

// The length of the well-formed UTF-8 sequence at text[at], or 0 when the byte there does not
// start one (Unicode's table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF).
inline std::size_t Utf8SequenceLength(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) -> unsigned { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0x100; };
  const unsigned lead = byte(at);
  auto continuation = [&](std::size_t i, unsigned low = 0x80, unsigned high = 0xbf) {
    const unsigned b = byte(at + i);
    return b >= low && b <= high;
  };
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const unsigned low = lead == 0xe0 ? 0xa0 : 0x80;   // overlong below U+0800
    const unsigned high = lead == 0xed ? 0x9f : 0xbf;  // surrogates U+D800..U+DFFF
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const unsigned low = lead == 0xf0 ? 0x90 : 0x80;   // overlong below U+10000
    const unsigned high = lead == 0xf4 ? 0x8f : 0xbf;  // past U+10FFFF
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;  // a continuation byte out of place, 0xc0, 0xc1, 0xf5..0xff
}

namespace text_detail {
inline void AppendByteEscape(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}
}  // namespace text_detail

enum class Newlines { kEscape, kKeep };

// `text` made safe for a terminal, as the header says. Idempotent on its own output.
inline std::string Printable(std::string_view text, Newlines newlines = Newlines::kEscape) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    // A run of printable ASCII (most text) is copied in one append.
    std::size_t plain = i;
    while (plain < text.size() && ((text[plain] >= 0x20 && text[plain] < 0x7f) || text[plain] == '\t' ||
                                   (text[plain] == '\n' && newlines == Newlines::kKeep))) {
      ++plain;
    }
    if (plain > i) {
      out.append(text.substr(i, plain - i));
      i = plain;
      continue;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = Utf8SequenceLength(text, i);
    const bool c1 = length == 2 && byte == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0;
    if (byte == '\n' && newlines == Newlines::kKeep) {
      out += '\n';
    } else if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\t' || (byte >= 0x20 && byte < 0x7f)) {
      out += static_cast<char>(byte);
    } else if (length > 1 && !c1) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    } else if (c1) {
      text_detail::AppendByteEscape(out, byte);
      text_detail::AppendByteEscape(out, static_cast<unsigned char>(text[i + 1]));
      i += 2;
      continue;
    } else {
      text_detail::AppendByteEscape(out, byte);  // C0, DEL, or not UTF-8
    }
    ++i;
  }
  return out;
}

// `text` with each byte that is not part of well-formed UTF-8 written as `\xNN`; all else kept.
inline std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (const std::size_t length = Utf8SequenceLength(text, i)) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      text_detail::AppendByteEscape(out, static_cast<unsigned char>(text[i]));
      ++i;
    }
  }
  return out;
}

}  // namespace corekit
