#include "pages.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

#include "corekit/server/json.h"
#include "html.h"
#include "svg.h"

namespace corekit::server {
namespace {

// ---- reading the stored JSON, which came from a crash: nothing about its shape is trusted ----

const nlohmann::json& Member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
std::string Str(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = Member(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return "";
}
std::optional<std::int64_t> Int(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = Member(j, key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}
std::optional<std::uint64_t> Address(const nlohmann::json& j, const char* key) {
  const std::string text = Str(j, key);
  if (text.size() < 3 || text.compare(0, 2, "0x") != 0) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}
const nlohmann::json& Array(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json& v = Member(j, key);
  return v.is_array() ? v : kEmpty;
}

// ---- the page around each body ----

std::string Layout(const std::string& title, const std::string& body) {
  return fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} - corekit</title><link rel="stylesheet" href="/static/style.css"></head>
<body><header><a class="brand" href="/">corekit</a><nav><a href="/">Groups</a><a href="/crashes">Crashes</a></nav></header>
<main>
{}
</main></body></html>
)",
                     Html(title), body);
}

std::string Time(std::int64_t t) {
  std::string text = Rfc3339(t);
  text[10] = ' ';
  text.pop_back();  // "2026-12-02 10:00:00", UTC as the header says
  return text;
}

// The page's query with some parameters replaced: for paging and sorting links.
std::string Link(const std::string& path, const Query& q, const std::map<std::string, std::string>& with) {
  std::map<std::string, std::string> params = q.given;
  for (const auto& [k, v] : with) {
    if (v.empty()) params.erase(k);
    else params[k] = v;
  }
  std::string url = path;
  char sep = '?';
  for (const auto& [k, v] : params) {
    url += sep + UrlEncode(k) + "=" + UrlEncode(v);
    sep = '&';
  }
  return Html(url);
}

std::string Given(const Query& q, const char* key) {
  auto it = q.given.find(key);
  return it == q.given.end() ? "" : it->second;
}

std::string FilterForm(const Query& q, bool groups) {
  auto field = [&](const char* name, const char* label, const char* type = "text") {
    return fmt::format(R"(<label>{} <input type="{}" name="{}" value="{}"></label>)", label, type, name,
                       Html(Given(q, name)));
  };
  std::string form = R"(<form method="get" class="filters">)";
  form += field("exe", "Executable") + field("host", "Host") + field("signal", "Signal") +
          field("since", "Since", "date") + field("until", "Until", "date");
  if (!groups && !Given(q, "signature").empty()) {
    form += fmt::format(R"(<input type="hidden" name="signature" value="{}">)", Html(Given(q, "signature")));
  }
  if (groups) {
    const std::string sort = Given(q, "sort");
    auto option = [&](const char* value, const char* text) {
      return fmt::format(R"(<option value="{}"{}>{}</option>)", value, sort == value ? " selected" : "", text);
    };
    form += R"(<label>Sort <select name="sort">)" + option("count", "most crashes") + option("last", "last seen") +
            option("first", "first seen") + "</select></label>";
  }
  return form + R"(<button type="submit">Filter</button></form>)";
}

std::string Pager(const std::string& path, const Query& q, std::size_t shown, std::size_t total) {
  std::string out = R"(<nav class="pager">)";
  out += fmt::format("<span>{}&ndash;{} of {}</span>", shown ? q.offset + 1 : 0, q.offset + shown, total);
  if (q.offset > 0) {
    out += fmt::format(R"(<a rel="prev" href="{}">newer</a>)",
                       Link(path, q, {{"offset", q.offset > q.limit ? std::to_string(q.offset - q.limit) : ""}}));
  }
  if (q.offset + shown < total) {
    out += fmt::format(R"(<a rel="next" href="{}">older</a>)", Link(path, q, {{"offset", std::to_string(q.offset + q.limit)}}));
  }
  return out + "</nav>";
}

std::string SignalText(const std::optional<int>& signal) { return signal ? SignalName(*signal) : "-"; }

std::string List(const std::vector<std::string>& items, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + Html(items[i]);
  if (items.size() > max) out += fmt::format(" and {} more", items.size() - max);
  return out;
}

}  // namespace

Result<Query> ParseQuery(const std::multimap<std::string, std::string>& params) {
  Query q;
  for (const auto& param : params) {
    // Named references, not a structured binding: clang 14 cannot capture bindings in the lambda.
    const std::string& key = param.first;
    const std::string& value = param.second;
    if (value.empty()) continue;
    if (value.size() > 4096) return Unexpected(Errc::kInvalidArgument, "parameter " + key + " is too long");
    q.given[key] = value;
    auto number = [&](std::size_t max) -> Result<std::size_t> {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n > max) {
        return Unexpected(Errc::kInvalidArgument, key + " must be a number up to " + std::to_string(max));
      }
      return n;
    };
    if (key == "exe") {
      q.filter.executable = value;
    } else if (key == "host") {
      q.filter.host = value;
    } else if (key == "signature") {
      q.filter.signature = value;
    } else if (key == "signal") {
      int n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc() && end == value.data() + value.size()) {
        q.filter.signal = n;
      } else {
        const std::string name = value.rfind("SIG", 0) == 0 ? value.substr(3) : value;
        for (int s = 1; s < 65 && !q.filter.signal; ++s) {
          const char* abbrev = ::sigabbrev_np(s);
          if (abbrev && name == abbrev) q.filter.signal = s;
        }
        if (!q.filter.signal) return Unexpected(Errc::kInvalidArgument, "not a signal: " + value);
      }
    } else if (key == "since" || key == "until") {
      auto t = store::ParseTime(value);
      if (!t) return Unexpected(t.error());
      // A date alone as "until" means the end of that day.
      (key == "since" ? q.filter.since : q.filter.until) = key == "until" && value.size() == 10 ? *t + 86399 : *t;
    } else if (key == "sort") {
      if (value == "count") q.order = store::GroupOrder::kCount;
      else if (value == "last") q.order = store::GroupOrder::kLastSeen;
      else if (value == "first") q.order = store::GroupOrder::kFirstSeen;
      else return Unexpected(Errc::kInvalidArgument, "sort is count, last or first");
    } else if (key == "limit") {
      auto n = number(kMaxLimit);
      if (!n) return Unexpected(n.error());
      q.limit = std::max<std::size_t>(1, *n);
    } else if (key == "offset") {
      auto n = number(100'000'000);
      if (!n) return Unexpected(n.error());
      q.offset = *n;
    } else {
      q.given.erase(key);  // unknown parameters are ignored, and not carried into links
    }
  }
  return q;
}

std::string GroupsPage(const store::GroupPage& page, const std::vector<std::vector<std::size_t>>& per_day,
                       const Query& q) {
  std::string body = "<h1>Crash groups</h1>\n" + FilterForm(q, true);
  if (page.groups.empty()) {
    body += "<p class=\"empty\">No analysed crashes match.</p>";
    return Layout("Crash groups", body);
  }
  body += R"(<div class="scroll"><table class="groups"><thead><tr><th>Signature</th><th class="num">Crashes</th><th>Last 30 days</th><th>First seen</th><th>Last seen</th><th>Executables</th><th>Hosts</th></tr></thead><tbody>)";
  for (std::size_t i = 0; i < page.groups.size(); ++i) {
    const store::Group& g = page.groups[i];
    Query of_group = q;
    of_group.given.erase("sort");
    of_group.given.erase("offset");
    of_group.given.erase("limit");
    body += fmt::format(
        R"(<tr><td class="sig"><a href="{}">{}</a></td><td class="num">{}</td><td>{}</td><td class="time">{}</td><td class="time">{}</td><td class="path">{}</td><td>{}</td></tr>)",
        Link("/crashes", of_group, {{"signature", g.signature}}), Html(g.signature), g.count,
        i < per_day.size() ? Sparkline(per_day[i]) : "", Time(g.first_seen), Time(g.last_seen), List(g.executables, 3),
        List(g.hosts, 3));
  }
  body += "</tbody></table></div>" + Pager("/", q, page.groups.size(), page.total);
  return Layout("Crash groups", body);
}

std::string CrashesPage(const std::vector<store::Crash>& crashes, std::size_t total, const Query& q) {
  std::string body = "<h1>Crashes</h1>\n";
  if (q.filter.signature) body += "<p class=\"sig\">Signature: " + Html(*q.filter.signature) + "</p>";
  body += FilterForm(q, false);
  if (crashes.empty()) {
    body += "<p class=\"empty\">No crashes match.</p>";
    return Layout("Crashes", body);
  }
  body += R"(<div class="scroll"><table class="crashes"><thead><tr><th>Time (UTC)</th><th>Crash</th><th>Executable</th><th>Signal</th><th>Kind</th><th>Host</th><th class="num">PID</th><th>Core</th></tr></thead><tbody>)";
  for (const store::Crash& c : crashes) {
    body += fmt::format(
        R"(<tr><td class="time">{}</td><td><a class="id" href="/crashes/{}">{}</a></td><td class="path">{}</td><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td>{}</td></tr>)",
        Time(c.time), Html(c.id), Html(c.id), Html(c.executable), SignalText(c.signal),
        c.analysis_pending ? "<i>analysing</i>" : Html(c.report_kind.value_or("-")), Html(c.hostname),
        c.pid ? std::to_string(*c.pid) : "-", Html(c.core));
  }
  body += "</tbody></table></div>" + Pager("/crashes", q, crashes.size(), total);
  return Layout("Crashes", body);
}

namespace {

std::string FrameRow(const nlohmann::json& f) {
  std::string where = Str(f, "file");
  if (const auto line = Int(f, "line"); line && !where.empty()) where += ":" + std::to_string(*line);
  std::string function = Str(f, "function");
  if (function.empty()) function = "??";
  std::string row = fmt::format(R"(<tr><td class="num">#{}</td><td class="addr">{}</td><td class="fn">{}{}</td><td class="path">{}{}</td></tr>)",
                                Int(f, "index").value_or(0), Html(Str(f, "pc")), Html(function),
                                Member(f, "inlined").is_boolean() && Member(f, "inlined").get<bool>() ? " <i>(inlined)</i>" : "",
                                Html(where), Str(f, "module").empty() ? "" : " <span class=\"mod\">" + Html(Str(f, "module")) + "</span>");
  if (const std::string source = Str(f, "source"); !source.empty()) {
    row += fmt::format(R"(<tr class="src"><td></td><td class="num">{}</td><td colspan="2"><code>{}</code></td></tr>)",
                       Int(f, "line").value_or(0), Html(source));
  }
  return row;
}

std::string Frames(const nlohmann::json& thread) {
  std::string out = R"(<div class="scroll"><table class="frames"><tbody>)";
  std::size_t n = 0;
  for (const auto& f : Array(thread, "frames")) {
    if (++n > 256) break;
    out += FrameRow(f);
  }
  out += "</tbody></table></div>";
  if (Member(thread, "truncated").is_boolean() && Member(thread, "truncated").get<bool>()) out += "<p>(truncated)</p>";
  return out;
}

std::string ThreadsSection(const nlohmann::json& report) {
  const nlohmann::json& threads = Array(report, "threads");
  std::string out = fmt::format("<section id=\"threads\"><h2>Threads <span class=\"count\">{}</span></h2>", threads.size());
  // The crashed thread first, whole; the others folded by identical stacks (their functions).
  std::vector<std::pair<std::vector<std::string>, std::vector<const nlohmann::json*>>> folded;
  for (const auto& t : threads) {
    if (Member(t, "crashed").is_boolean() && Member(t, "crashed").get<bool>()) {
      out += fmt::format("<h3>Thread {} (crashed){}</h3>", Int(t, "tid").value_or(0),
                         Str(t, "name").empty() ? "" : " &ldquo;" + Html(Str(t, "name")) + "&rdquo;");
      out += Frames(t);
      continue;
    }
    std::vector<std::string> stack;
    for (const auto& f : Array(t, "frames")) stack.push_back(Str(f, "function") + "@" + Str(f, "pc"));
    auto it = std::find_if(folded.begin(), folded.end(), [&](const auto& g) { return g.first == stack; });
    if (it == folded.end()) folded.push_back({stack, {&t}});
    else it->second.push_back(&t);
  }
  for (const auto& [stack, members] : folded) {
    std::string tids;
    for (std::size_t i = 0; i < members.size() && i < 16; ++i) tids += (i ? ", " : "") + std::to_string(Int(*members[i], "tid").value_or(0));
    if (members.size() > 16) tids += fmt::format(" and {} more", members.size() - 16);
    out += fmt::format("<details><summary>{} thread{}: {}</summary>{}</details>", members.size(),
                       members.size() == 1 ? "" : "s", tids, Frames(*members.front()));
  }
  return out + "</section>";
}

std::string RegistersSection(const nlohmann::json& report) {
  for (const auto& t : Array(report, "threads")) {
    if (!(Member(t, "crashed").is_boolean() && Member(t, "crashed").get<bool>())) continue;
    const nlohmann::json& regs = Array(t, "registers");
    if (regs.empty()) break;
    std::string out = "<section id=\"registers\"><h2>Registers of the crashed thread</h2><div class=\"regs\">";
    for (const auto& r : regs) {
      out += fmt::format("<div><span class=\"reg\">{}</span> <span class=\"addr\">{}</span></div>", Html(Str(r, "name")),
                         Html(Str(r, "value")));
    }
    return out + "</div></section>";
  }
  return "";
}

std::string ModulesSection(const nlohmann::json& report) {
  const nlohmann::json& modules = Array(report, "modules");
  if (modules.empty()) return "";
  std::string out = fmt::format(
      R"(<section id="modules"><h2>Modules <span class="count">{}</span></h2><div class="scroll"><table class="modules"><thead><tr><th>Module</th><th>Range</th><th>Build-id</th><th>Symbols</th></tr></thead><tbody>)",
      modules.size());
  for (const auto& m : modules) {
    std::string symbols;
    if (Str(m, "file_origin") == "core-memory") symbols = "<span class=\"ok\">in the core</span>";
    else if (!Str(m, "debug_file").empty()) symbols = "<span class=\"ok\">debug info</span> (" + Html(Str(m, "debug_origin")) + ")";
    else if (!Str(m, "file").empty()) symbols = "<span class=\"warn\">no debug info</span>";
    else symbols = "<span class=\"bad\">file missing</span>";
    if (Member(m, "verified").is_boolean() && !Member(m, "verified").get<bool>() && !Str(m, "file").empty()) symbols += ", unverified";
    out += fmt::format(R"(<tr><td class="path">{}</td><td class="addr">{}&ndash;{}</td><td class="addr">{}</td><td>{}</td></tr>)",
                       Html(Str(m, "name")), Html(Str(m, "start")), Html(Str(m, "end")),
                       Str(m, "build_id").empty() ? "-" : Html(Str(m, "build_id")), symbols);
  }
  return out + "</tbody></table></div></section>";
}

std::string AddressSpaceSection(const nlohmann::json& report, const nlohmann::json& proc) {
  const nlohmann::json& mappings = Array(report, "mappings");
  if (mappings.empty()) return "";
  // The names /proc gave ([heap], [stack]) where the handler read them: a core does not say.
  std::vector<std::pair<std::uint64_t, std::string>> named;
  const std::string maps = Str(proc, "maps");
  for (std::size_t at = 0; at < maps.size() && named.size() < 4096;) {
    const std::size_t eol = std::min(maps.find('\n', at), maps.size());
    const std::string line = maps.substr(at, eol - at);
    at = eol + 1;
    const std::size_t bracket = line.find(" [");
    if (bracket == std::string::npos) continue;
    std::uint64_t start = 0;
    if (std::from_chars(line.data(), line.data() + line.size(), start, 16).ec == std::errc()) {
      named.emplace_back(start, line.substr(line.find('[', bracket)));
    }
  }
  std::vector<Marker> markers;
  std::vector<std::uint64_t> sps;
  for (const auto& t : Array(report, "threads")) {
    if (auto sp = Address(t, "sp")) {
      sps.push_back(*sp);
      if (markers.size() < 64) markers.push_back({*sp, "sp of " + std::to_string(Int(t, "tid").value_or(0)), false});
    }
  }
  if (auto fault = Address(Member(report, "signal"), "fault_address")) markers.push_back({*fault, "fault", true});
  std::vector<Region> regions;
  for (const auto& m : mappings) {
    auto start = Address(m, "start"), end = Address(m, "end");
    if (!start || !end || *end <= *start) continue;
    Region r{*start, *end, Str(m, "perms"), Str(m, "path"), ""};
    r.kind = RegionKind(r, sps, named);
    regions.push_back(std::move(r));
  }
  std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) { return a.start < b.start; });
  std::string legend = "<p class=\"legend\">";
  for (const char* kind : {"stack", "heap", "file", "anonymous", "guard", "special"}) {
    legend += fmt::format(R"(<span class="key {0}">{0}</span> )", kind);
  }
  legend += "<span class=\"key fault\">fault address</span> <span class=\"key sp\">thread sp</span></p>";
  return "<section id=\"address-space\"><h2>Address space</h2>" + legend + "<div class=\"scroll\">" +
         AddressSpace(regions, markers) + "</div><p class=\"note\">Heights are logarithmic in size; a line marks a gap.</p></section>";
}

std::string Row(const char* name, const std::string& html_value) {
  return fmt::format("<tr><th>{}</th><td>{}</td></tr>", name, html_value);
}

std::string MetadataSection(const store::Crash& c, const nlohmann::json& proc) {
  std::string out = "<section id=\"process\"><h2>Process</h2><table class=\"meta\"><tbody>";
  out += Row("Command line", "<code>" + Html(c.command_line.empty() ? c.executable : c.command_line) + "</code>");
  out += Row("Executable", "<span class=\"path\">" + Html(c.executable) + "</span>");
  out += Row("PID", c.pid ? std::to_string(*c.pid) + (c.host_pid && *c.host_pid != *c.pid ? fmt::format(" (host {})", *c.host_pid) : "") : "-");
  out += Row("UID / GID", (c.uid ? std::to_string(*c.uid) : "-") + " / " + (c.gid ? std::to_string(*c.gid) : "-"));
  out += Row("Host", Html(c.hostname));
  if (c.container) out += Row("Container", Html(*c.container) + (c.container_runtime ? " (" + Html(*c.container_runtime) + ")" : ""));
  if (const std::string cgroup = Str(proc, "cgroup"); !cgroup.empty()) out += Row("Cgroup", "<code>" + Html(cgroup) + "</code>");
  out += Row("Time", Html(Rfc3339(c.time)));
  out += Row("Core", Html(c.core) + (c.core_reason ? " &mdash; " + Html(*c.core_reason) : ""));
  if (c.signature) out += Row("Signature", "<a href=\"/crashes?signature=" + Html(UrlEncode(*c.signature)) + "\">" + Html(*c.signature) + "</a>");
  out += "</tbody></table>";
  if (const std::string limits = Str(proc, "limits"); !limits.empty()) {
    out += "<details><summary>Limits</summary><pre>" + HtmlLines(limits.substr(0, 8192)) + "</pre></details>";
  }
  return out + "</section>";
}

std::string DebugSection(const store::Crash& c, const std::string& base_url, bool tokens) {
  std::string out = "<section id=\"debug\"><h2>Debug it</h2>";
  std::string links;
  auto suffix = [&](const std::string& file) { return file.substr(std::min(file.find('.'), file.size())); };
  if (!c.core_file.empty()) {
    links += fmt::format(R"(<a class="download" href="/crashes/{0}/core" download>core{1}</a> )", Html(c.id), Html(suffix(c.core_file)));
  }
  if (!c.compact_file.empty()) {
    links += fmt::format(R"(<a class="download" href="/crashes/{0}/compact" download>compact core{1}</a>)", Html(c.id),
                         Html(suffix(c.compact_file)));
  }
  if (!links.empty()) out += "<p>" + links + "</p>";
  std::string commands = "# on the machine that caught it\ncorekit crashes debug " + c.id +
                         "\ncorekit crashes debug --debugger gdb " + c.id + "\n";
  const std::string& file = !c.core_file.empty() ? c.core_file : c.compact_file;
  if (!file.empty()) {
    const std::string local = c.id + suffix(file);
    commands += "# anywhere\ncurl -fo " + local + (tokens ? " -H \"Authorization: Bearer $COREKIT_READ_TOKEN\"" : "") + " " +
                base_url + "crashes/" + c.id + (file == c.core_file ? "/core" : "/compact") + "\ncorekit debug " + local + "\n";
    if (local.ends_with(".zst")) {
      commands += "zstd -d " + local + " && gdb " + ShellQuote(c.executable) + " " + local.substr(0, local.size() - 4) + "\n";
    }
  }
  return out + "<pre class=\"commands\">" + HtmlLines(commands) + "</pre></section>";
}

}  // namespace

std::string CrashPage(const store::Crash& c, const nlohmann::json& details, const std::string& base_url, bool tokens) {
  const nlohmann::json& report = Member(details, "report");
  const nlohmann::json& proc = Member(details, "proc");
  const nlohmann::json& crash = Member(report, "crash");
  const nlohmann::json& signal = Member(report, "signal");
  std::string title = "Crash " + c.id;
  std::string body = fmt::format("<h1>Crash <span class=\"id\">{}</span></h1>", Html(c.id));
  std::string summary = Str(crash, "summary");
  if (summary.empty()) {
    summary = c.analysis_pending ? "Not analysed yet." : c.analysis_error ? "The analysis failed: " + *c.analysis_error : "No report.";
  }
  body += "<section id=\"summary\"><p class=\"summary\">" + Html(summary) + "</p><dl class=\"facts\">";
  body += "<dt>Signal</dt><dd class=\"signal\">" + Html(c.signal ? SignalName(*c.signal) : "none") +
          (Str(signal, "code_name").empty() ? "" : " (" + Html(Str(signal, "code_name")) + ")") +
          (Str(signal, "fault_address").empty() ? "" : " at <span class=\"addr\">" + Html(Str(signal, "fault_address")) + "</span>") + "</dd>";
  body += "<dt>Kind</dt><dd class=\"kind\">" + Html(c.report_kind.value_or(Str(crash, "kind").empty() ? "-" : Str(crash, "kind"))) + "</dd>";
  body += fmt::format("<dt>Threads</dt><dd class=\"threads\">{}</dd>", Array(report, "threads").size());
  body += "<dt>Executable</dt><dd class=\"path\">" + Html(c.executable) + "</dd>";
  body += "<dt>Time</dt><dd>" + Html(Time(c.time)) + " UTC</dd></dl>";
  if (const std::string message = Str(crash, "message"); !message.empty()) {
    body += "<pre class=\"message\">" + HtmlLines(message.substr(0, 16384)) + "</pre>";
  }
  body += "</section>";
  body += ThreadsSection(report) + RegistersSection(report) + AddressSpaceSection(report, proc) + ModulesSection(report) +
          MetadataSection(c, proc) + DebugSection(c, base_url, tokens);
  return Layout(title, body);
}

std::string LoginPage(bool failed) {
  return Layout("Sign in", std::string("<h1>Sign in</h1>") +
                               (failed ? "<p class=\"bad\">That is not a read token of this server.</p>" : "") +
                               R"(<form method="post" action="/login" class="login"><label>Read token <input type="password" name="token" autocomplete="current-password" required></label><button type="submit">Sign in</button></form>)");
}

std::string ErrorPage(int status, const std::string& message) {
  return Layout(std::to_string(status), fmt::format("<h1>{}</h1><p>{}</p>", status, Html(message)));
}

const char* const kStyleSheet = R"(:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#fff;--accent:#2453c7;--bad:#b3261e;--ok:#1e7a3c}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1em;border-bottom:1px solid var(--line);background:#f5f7fb}
header .brand{font-weight:700;color:var(--fg);text-decoration:none}
header nav a{margin-right:1em}
main{padding:1em;max-width:1400px;margin:0 auto}
a{color:var(--accent)}
h1{font-size:1.4em;margin:.2em 0 .6em}
h2{font-size:1.15em;margin:1.4em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1em}
.count{color:var(--muted);font-weight:400}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:#fafbfd}
.num{text-align:right;font-variant-numeric:tabular-nums}
.addr,.id,code,pre,.reg{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
.sig,.fn{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em;word-break:break-word}
.path{word-break:break-all}
.time{white-space:nowrap}
.mod{color:var(--muted)}
tr.src td{border-bottom:none;color:var(--muted)}
pre{background:#f5f7fb;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.filters{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:end;margin-bottom:1em}
.filters label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted)}
input,select,button{font:inherit;padding:.25em .4em}
.pager{display:flex;gap:1em;margin:.8em 0;color:var(--muted)}
.summary{font-size:1.1em;font-weight:600}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.regs{display:grid;grid-template-columns:repeat(auto-fill,minmax(14em,1fr));gap:.1em 1em}
.reg{display:inline-block;min-width:4em;color:var(--muted)}
.ok{color:var(--ok)}.warn{color:#8a5a00}.bad{color:var(--bad)}
.spark rect{fill:var(--accent)}.spark .axis{stroke:var(--line)}
svg.aspace{max-width:none;font:11px ui-monospace,"DejaVu Sans Mono",monospace}
.aspace rect{stroke:#fff;stroke-width:.5}
.aspace text.addr{text-anchor:end;fill:var(--muted)}
.aspace .gap{stroke:var(--muted);stroke-dasharray:3 3}
.stack rect,.key.stack{fill:#e07a5f;background:#e07a5f}
.heap rect,.key.heap{fill:#f2cc8f;background:#f2cc8f}
.file rect,.key.file{fill:#81b29a;background:#81b29a}
.anonymous rect,.key.anonymous{fill:#a8b3c7;background:#a8b3c7}
.guard rect,.key.guard{fill:#3d405b;background:#3d405b}
.special rect,.key.special{fill:#c9a0dc;background:#c9a0dc}
.aspace .fault line{stroke:var(--bad);stroke-width:2}.aspace .fault text{fill:var(--bad);font-weight:700}
.aspace .sp line{stroke:#1d4ed8;stroke-dasharray:2 2}.aspace .sp text{fill:#1d4ed8}
.key{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.85em}
.key.guard{color:#fff}.key.fault{background:var(--bad);color:#fff}.key.sp{background:#1d4ed8;color:#fff}
.note{color:var(--muted);font-size:.85em}
.download{display:inline-block;margin-right:1em}
details summary{cursor:pointer;margin:.3em 0}
.meta th{width:10em}
@media (max-width:640px){main{padding:.5em}.frames td.addr{display:none}.fn{min-width:8em}th,td{padding:.25em .35em}.filters label{width:100%}.facts{grid-template-columns:1fr}}
)";

}  // namespace corekit::server
