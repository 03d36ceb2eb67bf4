// gdb's `set` and `show` for the settings people type and put in scripts: print pretty,
// elements, repeats, address, null-stop, frame-arguments, object, static-members, demangle;
// pagination, height, width, listsize, confirm; logging file/enabled/overwrite/redirect. Their
// answers and errors are gdb's. `set var EXPR`, and `set EXPR` for what is not a setting, is an
// assignment, which a core refuses as gdb does.
#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "render.h"
#include "repl/command_text.h"
#include "repl/debugger.h"

namespace corekit::tools {
namespace {

std::string OnOff(bool on) { return on ? "on" : "off"; }

std::string Limit(unsigned value) { return value == 0 ? "unlimited" : std::to_string(value); }

}  // namespace

void Debugger::RegisterSettings() {
  using Kind = Setting::Kind;
  eval::PrintOptions& o = evaluator_.Options();
  auto flag = [](bool& b) {
    return std::make_pair(std::function<std::string()>([&b] { return OnOff(b); }),
                          std::function<void(const std::string&)>([&b](const std::string& v) { b = v == "on"; }));
  };
  auto limit = [](unsigned& n) {
    return std::make_pair(std::function<std::string()>([&n] { return Limit(n); }),
                          std::function<void(const std::string&)>([&n](const std::string& v) {
                            n = v == "unlimited" ? 0 : static_cast<unsigned>(std::stoul(v));
                          }));
  };
  auto add = [this](std::string name, Kind kind, std::string sentence, auto accessors, std::vector<std::string> choices = {}) {
    settings_.push_back({std::move(name), kind, std::move(sentence), std::move(choices), accessors.first, accessors.second});
  };
  add("print address", Kind::kBool, "Printing of addresses is {}.", flag(o.address));
  add("print demangle", Kind::kBool, "Demangling of encoded C++/ObjC names when displaying symbols is {}.", flag(o.demangle));
  add("print elements", Kind::kLimit, "Limit on string chars or array elements to print is {}.", limit(o.elements));
  add("print frame-arguments", Kind::kEnum, "Printing of non-scalar frame arguments is \"{}\".",
      std::make_pair(std::function<std::string()>([&o] { return o.frame_arguments; }),
                     std::function<void(const std::string&)>([&o](const std::string& v) { o.frame_arguments = v; })),
      {"all", "scalars", "none", "presence"});
  add("print null-stop", Kind::kBool, "Printing of char arrays to stop at first null char is {}.", flag(o.null_stop));
  add("print object", Kind::kBool, "Printing of object's derived type based on vtable info is {}.", flag(o.object));
  add("print pretty", Kind::kBool, "Pretty formatting of structures is {}.", flag(o.pretty));
  add("print repeats", Kind::kLimit, "Threshold for repeated print elements is {}.", limit(o.repeats));
  add("print static-members", Kind::kBool, "Printing of C++ static members is {}.", flag(o.static_members));
  add("pagination", Kind::kBool, "State of pagination is {}.", flag(pagination_));
  add("height", Kind::kLimit, "Number of lines gdb thinks are in a page is {}.", limit(height_));
  add("width", Kind::kLimit, "Number of characters gdb thinks are in a line is {}.", limit(width_));
  add("listsize", Kind::kLimit, "Number of source lines gdb will list by default is {}.", limit(listsize_));
  add("confirm", Kind::kBool, "Whether to confirm potentially dangerous operations is {}.", flag(confirm_));
  add("logging file", Kind::kText, "The current logfile is \"{}\".",
      std::make_pair(std::function<std::string()>([this] { return logging_.file; }),
                     std::function<void(const std::string&)>([this](const std::string& v) { logging_.file = v; })));
  add("logging overwrite", Kind::kBool, "{}",
      std::make_pair(std::function<std::string()>([this] {
                       return logging_.overwrite ? "on: Logging overwrites the log file." : "off: Logging appends to the log file.";
                     }),
                     std::function<void(const std::string&)>([this](const std::string& v) { logging_.overwrite = v == "on"; })));
  add("logging redirect", Kind::kBool, "{}",
      std::make_pair(std::function<std::string()>([this] {
                       return logging_.redirect ? "on: Output will go only to the log file."
                                                : "off: Output will go to both the screen and the log file.";
                     }),
                     std::function<void(const std::string&)>([this](const std::string& v) { logging_.redirect = v == "on"; })));
  add("logging enabled", Kind::kBool, "{}",
      std::make_pair(std::function<std::string()>([this] { return logging_.out ? "on: Logging is enabled." : "off: Logging is disabled."; }),
                     std::function<void(const std::string&)>([this](const std::string& v) { SetLogging(v == "on"); })));
  Register("set", "set print pretty|elements|repeats|address|null-stop|frame-arguments|object|static-members|demangle VALUE, "
                  "set pagination|height|width|listsize|confirm VALUE, set logging file|enabled|overwrite|redirect VALUE, "
                  "set var EXPR",
           [this](const std::string& a) { Set(a); });
  Register("show", "show SETTING: a setting's value, as `set` names them (show print, show logging: all of them)",
           [this](const std::string& a) { Show(a); });
}

// A setting by its words, each an unambiguous prefix ("p pre" is "print pretty"), with what
// follows it; nullptr when no setting starts so.
const Debugger::Setting* Debugger::FindSetting(const std::string& text, std::string* rest, std::string* group) const {
  auto [first, after] = FirstWord(text);
  if (first == "p" || first == "pr" || first == "pri" || first == "prin" || first == "print") first = "print";
  if (first == "print" || first == "logging") {
    *group = first;
    auto [second, value] = FirstWord(after);
    std::vector<const Setting*> prefixed;
    for (const Setting& s : settings_) {
      if (s.name.rfind(first + " ", 0) != 0 || second.empty()) continue;
      const std::string leaf = s.name.substr(first.size() + 1);
      if (leaf == second) {
        *rest = value;
        return &s;
      }
      if (leaf.rfind(second, 0) == 0) prefixed.push_back(&s);
    }
    *rest = prefixed.size() == 1 ? value : after;
    return prefixed.size() == 1 ? prefixed.front() : nullptr;
  }
  group->clear();
  for (const Setting& s : settings_) {
    if (s.name == first) return *rest = after, &s;
  }
  *rest = text;
  return nullptr;
}

void Debugger::Set(const std::string& args) {
  auto [first, after] = FirstWord(args);
  if (first == "var" || first == "variable") {
    EvaluateOrThrow(after);
    return;
  }
  if (first == "logging" && (after == "on" || after == "off")) {
    PrintTo(out_, "Warning: 'set logging {}', an alias for the command 'set logging enabled', is deprecated.\n"
                  "Use 'set logging enabled {}'.\n\n", after, after);
    SetLogging(after == "on");
    return;
  }
  std::string value, group;
  const Setting* setting = FindSetting(args, &value, &group);
  if (!setting) {
    if (!group.empty()) throw CommandError(fmt::format("Undefined set {} command: \"{}\".  Try \"help set {}\".", group, value, group));
    EvaluateOrThrow(args);  // gdb's `set EXPR`
    return;
  }
  switch (setting->kind) {
    case Setting::Kind::kBool: {
      std::string v = value;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (v.empty() || v == "on" || v == "1" || v == "yes" || v == "enable") setting->set("on");
      else if (v == "off" || v == "0" || v == "no" || v == "disable") setting->set("off");
      else throw CommandError("\"on\" or \"off\" expected.");
      return;
    }
    case Setting::Kind::kLimit: {
      if (value.empty()) throw CommandError("Argument required (integer to set it to, or \"unlimited\").");
      if (value == "unlimited") {
        setting->set("unlimited");
        return;
      }
      eval::Value v = EvaluateOrThrow(value);  // gdb takes an expression: `set print elements 2*100`
      auto number = Evaluator().AsAddress(v);
      if (!number) throw CommandError(number.error().message);
      const auto n = static_cast<std::int64_t>(*number);
      if (n < 0 || n > 0x7fffffff) throw CommandError(fmt::format("integer {} out of range", n));
      setting->set(n == 0 ? "unlimited" : std::to_string(n));
      return;
    }
    case Setting::Kind::kEnum: {
      std::string valid;
      for (const std::string& c : setting->choices) valid += (valid.empty() ? "" : ", ") + c;
      if (value.empty()) throw CommandError("Requires an argument. Valid arguments are " + valid + ".");
      std::vector<std::string> matches;
      for (const std::string& c : setting->choices) {
        if (c == value) matches = {c};
        if (c == value) break;
        if (c.rfind(value, 0) == 0) matches.push_back(c);
      }
      if (matches.size() != 1) {
        throw CommandError(matches.empty() ? fmt::format("Undefined item: \"{}\".", value) : fmt::format("Ambiguous item \"{}\".", value));
      }
      setting->set(matches.front());
      return;
    }
    case Setting::Kind::kText:
      if (value.empty()) throw CommandError("Argument required (filename to set it to.).");
      setting->set(value);
      return;
  }
}

void Debugger::Show(const std::string& args) {
  const std::string what = Trim(args);
  if (what == "print" || what == "logging" || what == "p") {
    const std::string group = what == "p" ? "print" : what;
    for (const Setting& s : settings_) {
      if (s.name.rfind(group + " ", 0) == 0) PrintTo(out_, "{}:  {}\n", s.name, fmt::format(fmt::runtime(s.sentence), s.get()));
    }
    return;
  }
  if (what == "version") {
    PrintTo(out_, "corekit debug: gdb's commands on a core, without gdb.\n");
    return;
  }
  if (what.rfind("conv", 0) == 0) {  // show convenience
    throw CommandError("corekit does not list convenience variables; print one with `p $NAME`.");
  }
  std::string rest, group;
  const Setting* setting = FindSetting(what, &rest, &group);
  if (!setting || !rest.empty()) {
    if (!group.empty()) {
      throw CommandError(fmt::format("Undefined show {} command: \"{}\".  Try \"help show {}\".", group, FirstWord(what).second, group));
    }
    throw CommandError(fmt::format("Undefined show command: \"{}\".  Try \"help show\".", what));
  }
  PrintTo(out_, "{}\n", fmt::format(fmt::runtime(setting->sentence), setting->get()));
}

// `set logging enabled on`: what the session prints goes to the log file too (or only there,
// with redirect), through a stream that writes to both.
void Debugger::SetLogging(bool on) {
  if (on == (logging_.out != nullptr)) return;
  if (!on) {
    std::fclose(logging_.out);
    std::fclose(logging_.file_stream);
    out_ = logging_.screen_out;
    err_ = logging_.screen_err;
    logging_.out = logging_.err = logging_.file_stream = nullptr;
    return;
  }
  logging_.file_stream = std::fopen(logging_.file.c_str(), logging_.overwrite ? "w" : "a");
  if (!logging_.file_stream) throw CommandError(fmt::format("{}: {}.", logging_.file, std::strerror(errno)));
  logging_.screen_out = out_;
  logging_.screen_err = err_;
  static const cookie_io_functions_t kTee = {
      nullptr,
      [](void* cookie, const char* data, std::size_t size) -> ssize_t {
        auto* tee = static_cast<Tee*>(cookie);
        if (tee->screen) std::fwrite(data, 1, size, tee->screen);
        std::fwrite(data, 1, size, tee->file);
        std::fflush(tee->file);
        return static_cast<ssize_t>(size);
      },
      nullptr,
      [](void* cookie) -> int {
        delete static_cast<Tee*>(cookie);
        return 0;
      }};
  logging_.out = fopencookie(new Tee{logging_.redirect ? nullptr : out_, logging_.file_stream}, "w", kTee);
  logging_.err = fopencookie(new Tee{logging_.redirect ? nullptr : err_, logging_.file_stream}, "w", kTee);
  std::setvbuf(logging_.out, nullptr, _IOLBF, 0);
  std::setvbuf(logging_.err, nullptr, _IONBF, 0);
  out_ = logging_.out;
  err_ = logging_.err;
}

}  // namespace corekit::tools
