// corekit dump PID [-o FILE|-]: write the core of a running process without killing it, as
// gcore does. The process is stopped while its core is written and resumed on every path:
// success, errors, Ctrl-C, SIGTERM, the target exiting (core_writer.h: temp file, rename).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>

#include "core_writer.h"
#include "corekit/compact/compact.h"
#include "corekit/dump/dumper.h"
#include "corekit/dump/live_source.h"
#include "render.h"

namespace corekit::tools {
namespace {

struct DumpCommandOptions {
  pid_t pid = 0;
  std::string output;
  std::string max_size;
  bool force = false;
  bool compact = false;
  bool compress = false;
  bool non_stop = false;
  bool progress = false;
  bool quiet = false;
  bool json = false;
};

// A one-line bar on stderr: threads, MiB done/total, rate, ETA; redrawn at most 10 times a second.
class ProgressBar {
 public:
  void Show(dump::Phase phase, const dump::Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (phase != dump::Phase::kDone && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double mib = 1 << 20;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(p.bytes_done) / mib / seconds : 0;
    const double fraction = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0;
    const int filled = static_cast<int>(fraction * 30);
    const double eta = rate > 0 ? (static_cast<double>(p.bytes_total - p.bytes_done) / mib) / rate : 0;
    // The one carriage return corekit prints itself, and nothing from the process in the line.
    fmt::print(stderr, "\r{:<13} [{}{}] threads {}/{}  {:.1f}/{:.1f} MiB  {:.0f} MiB/s  ETA {:.0f}s ",
               dump::PhaseName(phase), std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(30 - filled), '.'), p.threads_done, p.threads_total,
               static_cast<double>(p.bytes_done) / mib, static_cast<double>(p.bytes_total) / mib, rate, eta);
    if (phase == dump::Phase::kDone) PrintTo(stderr, "\n");
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

std::string OptionsText(const DumpCommandOptions& o) {
  std::string text = "dump";
  if (!o.max_size.empty()) text += " --max-size " + o.max_size;
  if (o.force) text += " --force";
  if (o.compact) text += " --compact";
  if (o.non_stop) text += " --non-stop";
  return text;
}

int Run(const DumpCommandOptions& options) {
  dump::DumpOptions dump_options;
  dump_options.producer = "corekit " COREKIT_VERSION;
  dump_options.options_text = OptionsText(options);
  if (!options.max_size.empty()) {
    auto size = ParseSize(options.max_size);
    if (!size) return Fail(size.error());
    dump_options.max_size = *size;
  }
  const bool to_stdout = options.output == "-";
  const std::string path = options.output.empty()
                               ? "core." + std::to_string(options.pid) + (options.compress ? ".zst" : "")
                               : options.output;
  dump::LiveSource live(options.pid, live::AttachOptions{options.force}, options.non_stop);
  compact::CompactSource compacted(live, [&live] { return static_cast<target::Target*>(live.process()); },
                                   compact::CompactOptions{});
  dump::DumpSource& source = options.compact ? static_cast<dump::DumpSource&>(compacted) : live;
  dump::Dumper dumper(source, dump_options);
  ProgressBar bar;
  const bool show_progress = options.progress || (!options.quiet && !options.json && ::isatty(STDERR_FILENO));
  if (show_progress) dumper.set_observer([&](dump::Phase phase, const dump::Progress& p) { bar.Show(phase, p); });
  auto summary = WriteCore(dumper, path, options.compress);
  if (!summary) return Fail(summary.error());
  if (options.non_stop && !live.used_snapshot()) {
    PrintTo(stderr, "warning: --non-stop was not possible ({}); the process stayed stopped for the whole dump\n",
               live.non_stop_failure());
  }
  if (live.not_in_snapshot() > 0) {
    PrintTo(stderr, "warning: {} MADV_DONTFORK/MADV_WIPEONFORK mappings are not in the snapshot and were not dumped\n",
               live.not_in_snapshot());
  }
  const auto seconds = [](std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); };
  const std::string name = to_stdout ? "-" : path;
  if (options.json) {
    nlohmann::json dropped = nlohmann::json::array();
    for (const auto& s : summary->dropped) {
      dropped.push_back({{"start", HexAddress(s.start)}, {"end", HexAddress(s.end)}, {"path", s.path}, {"bytes", s.dump_size}});
    }
    const nlohmann::json j = {{"core", name}, {"pid", options.pid}, {"threads", summary->threads},
                              {"mappings", summary->segments}, {"mappings_dumped", summary->segments_dumped},
                              {"file_size", summary->file_size}, {"memory_bytes", summary->memory_bytes},
                              {"hole_bytes", summary->hole_bytes}, {"unreadable_bytes", summary->unreadable_bytes},
                              {"dropped", dropped}, {"seconds", seconds(summary->elapsed)},
                              {"stopped_seconds", seconds(summary->stopped)},
                              {"non_stop", live.used_snapshot()},
                              {"non_stop_failure", live.non_stop_failure().empty() ? nlohmann::json(nullptr) : nlohmann::json(live.non_stop_failure())}};
    PrintJson(j, to_stdout ? stderr : stdout);
    return 0;
  }
  if (options.quiet) return 0;
  std::FILE* out = to_stdout ? stderr : stdout;
  PrintTo(out, "{}: {} threads, {} mappings ({} with data), {} of memory ({} of it holes), {} unreadable\n", name,
             summary->threads, summary->segments, summary->segments_dumped, HumanSize(summary->memory_bytes),
             HumanSize(summary->hole_bytes), HumanSize(summary->unreadable_bytes));
  if (!summary->dropped.empty()) {
    PrintTo(out, "--max-size dropped {} mappings (listed in the core's COREKIT note)\n", summary->dropped.size());
  }
  PrintTo(out, "took {:.3f} s; process {} was stopped for {:.3f} s\n", seconds(summary->elapsed), options.pid,
             seconds(summary->stopped));
  return 0;
}

}  // namespace

void AddDumpCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<DumpCommandOptions>();
  CLI::App* command = app.add_subcommand("dump", "write the core of a running process (it keeps running)");
  command->footer(R"(Stops every thread, writes the core as the kernel writes one (obeying coredump_filter and
MADV_DONTDUMP) to FILE.tmp-XXXXXX, mode 0600, renamed when complete, and lets the process run
on untraced on every exit path. --non-stop pauses it only while it forks a copy-on-write
snapshot of itself, which is written and then reaped inside the process.

Example:
  corekit dump 1234
  corekit dump --non-stop --compact -o service.core 1234
  corekit dump --compress -o service.core.zst 1234)");
  command->add_option("pid", options->pid, "the process")->required();
  command->add_option("-o,--output", options->output, "the core file (default core.PID), or - for stdout");
  command->add_option("--max-size", options->max_size, "at most this big (e.g. 512M): whole mappings are dropped, least useful first");
  command->add_flag("--force", options->force, "dump a process that made itself non-dumpable");
  command->add_flag("--non-stop", options->non_stop,
                    "pause the process only while it forks a snapshot of itself; dump the snapshot");
  command->add_flag("--compact", options->compact,
                    "keep only what a post-mortem needs: registers, stacks, what they point to, the link map");
  command->add_flag("--compress", options->compress,
                    "zstd-compress as it writes, in worker threads (default for -o NAME.zst)");
  auto* progress = command->add_flag("--progress", options->progress, "show a progress bar (default on a terminal)");
  auto* quiet = command->add_flag("--quiet", options->quiet, "no progress bar and no summary");
  progress->excludes(quiet);
  command->add_flag("--json", options->json, "print the summary as JSON");
  command->callback([options, &run] { run = [options] { return Run(*options); }; });
}

}  // namespace corekit::tools
