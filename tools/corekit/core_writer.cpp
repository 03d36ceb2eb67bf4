#include "core_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "corekit/dump/core_file_writer.h"

namespace corekit::tools {
namespace {

std::atomic<dump::Dumper*> active_dumper{nullptr};

void OnSignal(int) {
  if (dump::Dumper* d = active_dumper.load()) d->Cancel();
}

// Installs the cancelling handlers (and ignores SIGPIPE: a closed pipe is a write error) for its
// lifetime.
class CancelOnSignals {
 public:
  explicit CancelOnSignals(dump::Dumper& dumper) {
    active_dumper.store(&dumper);
    struct sigaction action {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < 3; ++i) ::sigaction(kSignals[i], &action, &old_[i]);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_[3]);
  }
  ~CancelOnSignals() {
    active_dumper.store(nullptr);
    for (std::size_t i = 0; i < 3; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
    ::sigaction(SIGPIPE, &old_[3], nullptr);
  }

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[4] {};
};

}  // namespace

Result<dump::DumpSummary> WriteCore(dump::Dumper& dumper, const std::string& path, bool compress) {
  const bool to_stdout = path == "-";
  if (to_stdout && ::isatty(STDOUT_FILENO)) {
    return Unexpected(Errc::kInvalidArgument, "refusing to write a core to a terminal (use -o FILE, or a pipe)");
  }
  CancelOnSignals cancel(dumper);
  return to_stdout ? dump::WriteCoreTo(dumper, STDOUT_FILENO, compress) : dump::WriteCoreFile(dumper, path, compress);
}

Result<std::uint64_t> ParseSize(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return Unexpected(Errc::kInvalidArgument, "bad size: " + text);
  std::uint64_t unit = 1;
  const std::string suffix = end;
  if (suffix == "K" || suffix == "k" || suffix == "KiB") unit = 1ull << 10;
  else if (suffix == "M" || suffix == "MiB") unit = 1ull << 20;
  else if (suffix == "G" || suffix == "GiB") unit = 1ull << 30;
  else if (!suffix.empty()) return Unexpected(Errc::kInvalidArgument, "bad size: " + text + " (use K, M or G)");
  return static_cast<std::uint64_t>(value * static_cast<double>(unit));
}

}  // namespace corekit::tools
