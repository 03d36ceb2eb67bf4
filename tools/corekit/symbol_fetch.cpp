#include "symbol_fetch.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "corekit/capture/handler.h"
#include "stored_crash.h"

namespace corekit::tools {
namespace {

std::atomic<bool> cancel_requested{false};

void OnInterrupt(int) { cancel_requested.store(true); }

std::string WhatText(const locate::Download& d) {
  if (d.kind == "debuginfo") return "debug info for " + d.name;
  if (d.kind == "executable") return "the executable of " + d.name;
  return "source " + d.name;
}

std::string RateText(const locate::Download& d) {
  if (d.seconds < 0.05 || d.bytes <= 0) return "";
  return HumanSize(static_cast<std::uint64_t>(static_cast<double>(d.bytes) / d.seconds)) + "/s";
}

// One line per download on a terminal, rewritten in place while it runs; Ctrl-C, for as long
// as a request is in flight, cancels it instead of ending corekit.
class ProgressLine : public locate::FetchObserver {
 public:
  void Started(const locate::Download&) override {
    shown_ = false;
    cancel_requested.store(false);
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    installed_ = ::sigaction(SIGINT, &action, &previous_) == 0;
  }
  void Progressed(const locate::Download& d) override {
    if (!terminal_) return;
    std::string text = "Downloading " + WhatText(d) + ": ";
    if (d.bytes == 0 && d.total == 0) {
      text += fmt::format("waiting for the server ({:.0f} s)", d.seconds);
    } else {
      text += HumanSize(static_cast<std::uint64_t>(d.bytes));
      if (d.total > 0) text += " of " + HumanSize(static_cast<std::uint64_t>(d.total));
      if (auto rate = RateText(d); !rate.empty()) text += ", " + rate;
    }
    Rewrite(text, false);
    shown_ = true;
  }
  void Finished(const locate::Download& d, std::string_view outcome) override {
    if (installed_) ::sigaction(SIGINT, &previous_, nullptr);
    installed_ = false;
    cancel_requested.store(false);
    if (!terminal_ || !shown_) return;
    std::string text = outcome.empty() ? "Downloaded " + WhatText(d) + ": " + HumanSize(static_cast<std::uint64_t>(d.bytes)) +
                                             fmt::format(" in {:.1f} s", d.seconds)
                                       : "Downloading " + WhatText(d) + ": " + std::string(outcome);
    if (auto rate = RateText(d); outcome.empty() && !rate.empty()) text += " (" + rate + ")";
    Rewrite(text, true);
  }

 private:
  // The line rewritten in place: carriage return, the text (escaped like every text from a core),
  // erase to the end of the line. The only control characters corekit itself writes.
  static void Rewrite(const std::string& text, bool last) {
    const std::string line = "\r" + Printable(text) + "\x1b[K" + (last ? "\n" : "");
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
  const bool terminal_ = ::isatty(STDERR_FILENO) == 1;
  bool shown_ = false;
  bool installed_ = false;
  struct sigaction previous_ {};
};

}  // namespace

SymbolFetch::SymbolFetch(const CommonOptions& options) : options_(options) {
  // libdebuginfod reads its servers from the environment, and so do gdb and elfutils: the
  // option sets it for this process.
  if (!options.debuginfod.empty()) ::setenv("DEBUGINFOD_URLS", options.debuginfod.c_str(), 1);
  locate::Options lo;
  lo.sysroot = options.sysroot;
  if (!options.debug_dir.empty()) lo.debug_dirs.push_back(options.debug_dir);
  lo.offline = options.offline;
  // A stored crash: the symbols the handler fetched for it are in the store.
  if (IsStoredCrash(options.target)) {
    lo.extra_caches.push_back(StorePath(options.store) + "/" + capture::kSymbolCacheDir);
  }
  lo.timeout = std::chrono::milliseconds(static_cast<long>(options.debuginfod_timeout * 1000));
  progress_ = std::make_unique<ProgressLine>();
  lo.observer = progress_.get();
  lo.cancel = &cancel_requested;
  locator_ = std::make_unique<locate::Locator>(std::move(lo));
}

SymbolFetch::~SymbolFetch() = default;

unwind::UnwindOptions SymbolFetch::UnwindOptions() {
  unwind::UnwindOptions uo;
  uo.modules.exe = options_.exe;
  uo.modules.sysroot = options_.sysroot;
  uo.debug_dir = options_.debug_dir;
  uo.cache_dir = unwind::DefaultCacheDir();
  uo.locator = locator_.get();
  return uo;
}

void SymbolFetch::PrintNewWarnings() {
  const auto& warnings = locator_->warnings();
  for (; warnings_printed_ < warnings.size(); ++warnings_printed_) {
    PrintTo(stderr, "warning: {}\n", Printable(warnings[warnings_printed_]));
  }
}

}  // namespace corekit::tools
