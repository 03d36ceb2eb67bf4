// corekit crashes list|info|dump|debug|rm|vacuum|groups: the crash store's verbs, as
// coredumpctl's, with --json everywhere (corekit.crash/1, docs/crash-store.md).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include "corekit/core/mapped_file.h"
#include "render.h"
#include "stored_crash.h"

namespace corekit::tools {
namespace {

struct CrashesOptions {
  std::string store;
  bool json = false;
  std::string since, until, exe, comm, signature;
  std::optional<std::int64_t> pid;
  std::optional<std::size_t> limit;
  std::string id;
  std::string output;
  std::string debugger = "corekit";
  std::vector<std::string> debugger_args;
};

Result<store::Filter> FilterOf(const CrashesOptions& o) {
  store::Filter f;
  if (!o.since.empty()) {
    auto t = store::ParseTime(o.since);
    if (!t) return Unexpected(t.error());
    f.since = *t;
  }
  if (!o.until.empty()) {
    auto t = store::ParseTime(o.until);
    if (!t) return Unexpected(t.error());
    f.until = *t;
  }
  if (!o.exe.empty()) f.executable = o.exe;
  if (!o.comm.empty()) f.comm = o.comm;
  if (!o.signature.empty()) f.signature = o.signature;
  f.pid = o.pid;
  f.limit = o.limit;
  f.viewer = Viewer();
  return f;
}

int List(const CrashesOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Fail(store.error());
  auto filter = FilterOf(o);
  if (!filter) return Fail(filter.error());
  if (o.json) {
    // Written a crash at a time, exactly as PrintJson would print the whole document (its keys
    // sorted: "crashes" before "schema"; each object indented two levels).
    std::string out = "{\n  \"crashes\": [";
    std::size_t count = 0;
    auto each = (*store)->Each(*filter, [&](const store::Crash& c) {
      out += count++ == 0 ? "\n" : ",\n";
      const std::string object = JsonText(CrashJson(c));
      out += "    ";
      for (const char ch : object) {
        out += ch;
        if (ch == '\n') out += "    ";
      }
      if (out.size() > (64 << 10)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    });
    if (!each) return Fail(each.error());
    out += count == 0 ? "]" : "\n  ]";
    out += ",\n  \"schema\": \"corekit.crash/1\"\n}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  // Rows are written as they are read, through one buffer, and built by hand, not with fmt's
  // padding: `list` over 10 000 crashes is a common call. Each field that came from the process
  // is made Printable before it is added.
  auto pad = [](std::string& line, std::string_view field, std::size_t width, bool right) {
    if (right && field.size() < width) line.append(width - field.size(), ' ');
    line += field;
    if (!right && field.size() < width) line.append(width - field.size(), ' ');
    line += "  ";
  };
  std::string out;
  auto flush = [&] {
    std::fwrite(out.data(), 1, out.size(), stdout);  // every field is Printable already
    out.clear();
  };
  auto row = [&](std::string_view id, std::string_view when, std::string_view pid, std::string_view uid,
                 std::string_view sig, std::string_view core, std::string_view size, std::string_view exe) {
    pad(out, id, 10, false);
    pad(out, when, 19, false);
    pad(out, pid, 7, true);
    pad(out, uid, 5, true);
    pad(out, sig, 7, false);
    pad(out, core, 9, false);
    pad(out, size, 9, true);
    out += exe;
    out += '\n';
  };
  std::size_t count = 0;
  auto each = (*store)->Each(*filter, [&](const store::Crash& c) {
    if (count++ == 0) row("ID", "TIME", "PID", "UID", "SIGNAL", "CORE", "SIZE", "EXECUTABLE / SIGNATURE");
    std::string when = Rfc3339(c.time);
    when[10] = ' ';
    when.pop_back();
    row(c.id, when, c.pid ? std::to_string(*c.pid) : "-", c.uid ? std::to_string(*c.uid) : "-",
        c.signal ? SignalName(*c.signal) : "-", c.core, c.core_bytes ? HumanSize(c.core_bytes) : "-",
        Printable(c.executable));
    if (c.signature && !c.signature->empty()) out.append(12, ' ').append(Printable(*c.signature)) += '\n';
    if (c.core_reason) out.append(12, ' ').append("(" + Printable(*c.core_reason) + ")") += '\n';
    if (c.analysis_error) out.append(12, ' ').append("(" + Printable(*c.analysis_error) + ")") += '\n';
    if (out.size() > (64 << 10)) flush();
  });
  if (!each) return Fail(each.error());
  flush();
  if (count == 0) Print("No crashes{}.\n", filter->viewer ? " of yours" : "");
  return 0;
}

int Info(const CrashesOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Fail(store.error());
  auto crash = (*store)->Find(o.id, Viewer());
  if (!crash) return Fail(crash.error());
  const nlohmann::json details = CrashDetails((*store)->files(), *crash);
  if (o.json) {
    nlohmann::json j = CrashJson(*crash);
    j["schema"] = "corekit.crash/1";
    j["proc"] = details.is_object() ? details.value("proc", nlohmann::json(nullptr)) : nlohmann::json(nullptr);
    j["report"] = details.is_object() ? details.value("report", nlohmann::json(nullptr)) : nlohmann::json(nullptr);
    j["files"] = {{"core", crash->core_file.empty() ? nlohmann::json(nullptr) : nlohmann::json((*store)->path() + "/" + crash->core_file)},
                  {"compact", crash->compact_file.empty() ? nlohmann::json(nullptr) : nlohmann::json((*store)->path() + "/" + crash->compact_file)}};
    PrintJson(j);
    return 0;
  }
  const store::Crash& c = *crash;
  Print("           ID: {}\n", c.id);
  Print("         Time: {}\n", Rfc3339(c.time));
  Print("          PID: {}{}\n", c.pid ? std::to_string(*c.pid) : "-",
        c.host_pid && c.pid && *c.host_pid != *c.pid ? " (" + std::to_string(*c.host_pid) + " on the host)" : "");
  Print("      UID/GID: {}/{}\n", c.uid ? std::to_string(*c.uid) : "-", c.gid ? std::to_string(*c.gid) : "-");
  Print("       Signal: {}\n", c.signal ? SignalName(*c.signal) + " (" + std::to_string(*c.signal) + ")" : "-");
  Print("   Executable: {}\n", Printable(c.executable));
  Print("         Comm: {}\n", Printable(c.comm));
  Print(" Command Line: {}\n", Printable(c.command_line));
  Print("     Hostname: {}\n", Printable(c.hostname));
  if (c.container) Print("    Container: {} ({})\n", Printable(*c.container), Printable(c.container_runtime.value_or("?")));
  Print("         Core: {}{}{}\n", c.core, c.core_bytes ? ", " + HumanSize(c.core_bytes) + " on disk" : "",
        c.core_size ? ", " + HumanSize(c.core_size) + " as the kernel wrote it" : "");
  if (c.core_reason) Print("               {}\n", Printable(*c.core_reason));
  if (!c.core_file.empty()) Print("         File: {}/{}\n", Printable((*store)->path()), c.core_file);
  if (!c.compact_file.empty()) Print("      Compact: {}/{}\n", Printable((*store)->path()), c.compact_file);
  if (c.signature) Print("    Signature: {}\n", Printable(*c.signature));
  if (c.analysis_error) Print("     Analysis: {}\n", Printable(*c.analysis_error));
  if (details.is_object() && details.contains("report") && details["report"].is_object()) {
    const nlohmann::json& r = details["report"];
    const nlohmann::json crash_part = r.contains("crash") ? r["crash"] : nlohmann::json();
    if (crash_part.is_object() && crash_part.contains("summary") && crash_part["summary"].is_string()) {
      Print("\n{}\n", Printable(crash_part["summary"].get<std::string>()));
    }
    if (crash_part.is_object() && crash_part.contains("message") && crash_part["message"].is_string()) {
      Print("message: {}\n", Printable(crash_part["message"].get<std::string>(), Newlines::kKeep));
    }
    // The report is JSON the analysis wrote from a core: every field is checked for its type.
    auto text = [](const nlohmann::json& j, const char* key) -> std::string {
      return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
    };
    auto number = [](const nlohmann::json& j, const char* key) -> std::optional<std::int64_t> {
      if (j.is_object() && j.contains(key) && j[key].is_number_integer()) return j[key].get<std::int64_t>();
      return std::nullopt;
    };
    if (r.contains("threads") && r["threads"].is_array()) {
      for (const auto& t : r["threads"]) {
        if (!t.is_object() || !t.value("crashed", false) || !t.contains("frames") || !t["frames"].is_array()) continue;
        Print("\nThread {} (crashed)\n", number(t, "tid").value_or(0));
        std::size_t shown = 0;
        for (const auto& f : t["frames"]) {
          if (++shown > 16) break;
          std::string where = text(f, "function").empty() ? "??" : text(f, "function");
          if (!text(f, "file").empty()) {
            where += " at " + text(f, "file") + (number(f, "line") ? ":" + std::to_string(*number(f, "line")) : "");
          }
          Print("  #{:<2} {} {}\n", number(f, "index").value_or(0), text(f, "pc"), Printable(where));
        }
      }
    }
  }
  return 0;
}

int Dump(const CrashesOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Fail(store.error());
  auto crash = (*store)->Find(o.id, Viewer());
  if (!crash) return Fail(crash.error());
  const std::string& file = !crash->core_file.empty() ? crash->core_file : crash->compact_file;
  if (file.empty()) return Fail("crash " + crash->id + " has no stored core: " + crash->core_reason.value_or("none was stored"));
  const bool to_stdout = o.output.empty() || o.output == "-";
  if (to_stdout && ::isatty(STDOUT_FILENO)) return Fail("refusing to write a core to a terminal (use -o FILE, or a pipe)");
  auto in = (*store)->OpenFile(file);
  if (!in) return Fail(in.error());
  int out = STDOUT_FILENO;
  std::string tmp;
  if (!to_stdout) {
    tmp = o.output + ".tmp-XXXXXX";
    out = ::mkstemp(tmp.data());
    if (out < 0) return Fail("cannot create " + tmp + ": " + std::strerror(errno));
  }
  auto done = core::Decompress(core::Compression::kZstd, *in, out);
  ::close(*in);
  if (!to_stdout) {
    if (!done || ::close(out) != 0 || ::rename(tmp.c_str(), o.output.c_str()) != 0) {
      ::unlink(tmp.c_str());
      return Fail(done ? "cannot write " + o.output : done.error().message);
    }
  }
  if (!done) return Fail(done.error());
  return 0;
}

int Debug(const CrashesOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Fail(store.error());
  auto crash = (*store)->Find(o.id, Viewer());
  if (!crash) return Fail(crash.error());
  auto path = StoredCorePath(o.store, "@" + crash->id);
  if (!path) return Fail(path.error());
  // The debugger is exec'd: the core's descriptor must outlive the exec.
  ::fcntl(std::stoi(path->substr(path->rfind('/') + 1)), F_SETFD, 0);
  std::vector<std::string> argv;
  if (o.debugger == "gdb") {
    // gdb cannot read a compressed core: give it an unnamed decompressed copy.
    const int copy = ::memfd_create("corekit-core", 0);
    auto in = ::open(path->c_str(), O_RDONLY);
    if (copy < 0 || in < 0) return Fail("cannot make a copy of the core for gdb");
    if (auto d = core::Decompress(core::Compression::kZstd, in, copy); !d) return Fail(d.error());
    argv = {"gdb", crash->executable, "/proc/self/fd/" + std::to_string(copy)};
  } else if (o.debugger == "corekit") {
    const std::string self = SelfPath();
    if (self.empty()) return Fail("cannot find the corekit executable");
    argv = {self, "debug", *path};
  } else {
    return Fail("--debugger is corekit or gdb");
  }
  for (const std::string& a : o.debugger_args) argv.push_back(a);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  return Fail(std::string("cannot run ") + args[0] + ": " + std::strerror(errno));
}

int Remove(const CrashesOptions& o) {
  auto store = OpenStoreForWriting(o.store);
  if (!store) return Fail(store.error());
  auto crash = (*store)->Find(o.id, Viewer());
  if (!crash) return Fail(crash.error());
  if (auto r = (*store)->Remove(*crash); !r) return Fail(r.error());
  if (!o.json) Print("removed crash {}\n", crash->id);
  else PrintJson({{"schema", "corekit.crash/1"}, {"removed", crash->id}});
  return 0;
}

int Vacuum(const CrashesOptions& o) {
  auto store = OpenStoreForWriting(o.store);
  if (!store) return Fail(store.error());
  auto limits = (*store)->ReadLimits();
  if (!limits) return Fail(limits.error());
  auto report = (*store)->Vacuum(*limits, std::time(nullptr));
  if (!report) return Fail(report.error());
  if (o.json) {
    PrintJson({{"schema", "corekit.crash/1"},
               {"vacuum", {{"removed_cores", report->removed_cores}, {"removed_rows", report->removed_rows},
                           {"orphan_files", report->orphan_files}, {"lost_files", report->lost_files},
                           {"stale_rows", report->stale_rows}, {"freed_bytes", report->freed_bytes}}}});
    return 0;
  }
  Print("vacuum: {} cores removed for the store's limits, {} rows past the maximum age, {} files without a row, "
        "{} rows whose file was lost, {} rows of handlers that died; {} freed\n",
        report->removed_cores, report->removed_rows, report->orphan_files, report->lost_files, report->stale_rows,
        HumanSize(report->freed_bytes));
  return 0;
}

int Groups(const CrashesOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Fail(store.error());
  auto groups = (*store)->Groups(Viewer());
  if (!groups) return Fail(groups.error());
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const store::Group& g : *groups) {
      list.push_back(server::GroupJson(g));
    }
    PrintJson({{"schema", "corekit.crash/1"}, {"groups", list}});
    return 0;
  }
  if (groups->empty()) {
    Print("No analysed crashes.\n");
    return 0;
  }
  Print("{:>6}  {:<20}  {:<20}  {}\n", "COUNT", "FIRST SEEN", "LAST SEEN", "SIGNATURE / EXECUTABLES");
  for (const store::Group& g : *groups) {
    Print("{:>6}  {:<20}  {:<20}  {}\n", g.count, Rfc3339(g.first_seen), Rfc3339(g.last_seen), Printable(g.signature));
    std::string exes;
    for (const std::string& e : g.executables) exes += (exes.empty() ? "" : ", ") + Printable(e);
    Print("{:>6}  {:<20}  {:<20}  {}\n", "", "", "", exes);
  }
  return 0;
}

void AddStoreOption(CLI::App* command, CrashesOptions& o) {
  command->add_option("--store", o.store, "the crash store (default $COREKIT_STORE, else /var/lib/corekit)");
  command->add_flag("--json", o.json, "print one corekit.crash/1 JSON document");
}

}  // namespace

void AddCrashesCommand(CLI::App& app, Runner& run) {
  CLI::App* crashes = app.add_subcommand("crashes", "the crash store: list, info, dump, debug, rm, vacuum, groups");
  crashes->require_subcommand(1);
  crashes->footer(R"(The crashes `corekit handle` caught (see `corekit handler install`). IDs are short and stable;
a prefix will do, and `last` is the newest. Every reading command takes @ID and @last where it
takes a core file. A user who is not root sees only the crashes of their own processes.

Example:
  corekit crashes list --since -1d
  corekit crashes info last
  corekit bt @last)");
  auto add = [&](const char* name, const char* description, int (*body)(const CrashesOptions&), bool with_id,
                 const char* example) {
    auto options = std::make_shared<CrashesOptions>();
    CLI::App* command = crashes->add_subcommand(name, description);
    command->footer(std::string("Example:\n  ") + example);
    AddStoreOption(command, *options);
    if (with_id) command->add_option("id", options->id, "the crash: its ID (or a prefix), or last")->required();
    command->callback([options, body, &run] { run = [options, body] { return body(*options); }; });
    return std::make_pair(command, options);
  };
  {
    auto [command, o] = add("list", "one line per crash, newest last", List, false, "corekit crashes list --exe /usr/bin/app -n 20");
    command->add_option("--since", o->since, "from this time (YYYY-MM-DD[THH:MM[:SS]] UTC, -2h, -7d, or epoch seconds)");
    command->add_option("--until", o->until, "up to this time");
    command->add_option("-n", o->limit, "the newest N");
    command->add_option("--exe", o->exe, "only this executable");
    command->add_option("--comm", o->comm, "only this command name");
    command->add_option("--pid", o->pid, "only this pid (in its namespace, or on the host)");
    command->add_option("--signature", o->signature, "only this signature");
  }
  add("info", "a crash's metadata, /proc snapshot and report", Info, true, "corekit crashes info last");
  {
    auto [command, o] = add("dump", "write a stored crash's core, decompressed", Dump, true, "corekit crashes dump -o core last");
    command->add_option("-o,--output", o->output, "the file (default stdout, refused when it is a terminal)");
  }
  {
    auto [command, o] = add("debug", "debug a stored crash (corekit debug, or gdb)", Debug, true,
                            "corekit crashes debug last\n  corekit crashes debug --debugger gdb 3f2a9c01b4");
    command->add_option("--debugger", o->debugger, "corekit (default) or gdb");
    command->add_option("args", o->debugger_args, "more arguments for the debugger (after --)");
  }
  add("rm", "remove a crash: its row and its files", Remove, true, "corekit crashes rm 3f2a9c01b4");
  add("vacuum", "repair the store (rows without files, files without rows) and apply its limits", Vacuum, false,
      "corekit crashes vacuum");
  add("groups", "crashes grouped by signature, with counts", Groups, false, "corekit crashes groups --json");
}

}  // namespace corekit::tools
