// corekit handle (what the kernel runs for a crash) and corekit handler install|uninstall|status
// (making corekit the kernel's core_pattern, and undoing it exactly).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core_writer.h"
#include "corekit/capture/core_pattern.h"
#include "corekit/capture/handler.h"
#include "render.h"
#include "stored_crash.h"

namespace corekit::tools {
namespace {

constexpr std::int64_t kMinPipeLimit = 16;
constexpr const char* kSysctlFile = "/etc/sysctl.d/50-corekit.conf";

struct HandleOptions {
  std::string store;
  std::vector<std::string> args;  // %P %i %s %t %c %d %E [%F]
  std::optional<int> analysis_timeout;
};

int RunHandle(const HandleOptions& o) {
  if (o.args.size() < 7) return Fail("corekit handle is run by the kernel: %P %i %s %t %c %d %E [%F]");
  capture::HandleRequest request;
  request.store = StorePath(o.store);
  auto number = [](const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); };
  request.host_pid = static_cast<pid_t>(number(o.args[0]));
  request.host_tid = number(o.args[1]);
  request.signal = static_cast<int>(number(o.args[2]));
  request.time = number(o.args[3]);
  request.rlimit = std::strtoull(o.args[4].c_str(), nullptr, 10);
  request.dumpable = o.args[5] == "1";
  request.exe = o.args[6];
  for (char& c : request.exe) {
    if (c == '!') c = '/';
  }
  if (o.args.size() > 7 && !o.args[7].empty()) request.pidfd = static_cast<int>(number(o.args[7]));
  request.self = SelfPath();
  if (o.analysis_timeout) request.analysis_timeout = std::chrono::seconds(*o.analysis_timeout);
  return capture::Handle(request);
}

struct InstallOptions {
  std::string store;
  bool persist = false, force = false;
  std::string max_use, keep_free, max_core_size;
  std::optional<unsigned> max_use_percent, keep_free_percent, rate_per_exe, rate_global;
  std::optional<std::int64_t> max_age_days, rate_window, analysis_timeout;
  std::optional<std::string> debuginfod;
  std::optional<std::string> upload, token_file;
};

int Install(const InstallOptions& o) {
  const std::string store_path = StorePath(o.store);
  if (store_path.empty() || store_path[0] != '/') return Fail("the store must be an absolute path: " + store_path);
  auto kernel = capture::ReadKernelCoreSettings();
  if (!kernel) return Fail(kernel.error());
  if (auto other = capture::ForeignHandler(kernel->pattern); other && !o.force) {
    return Fail("core_pattern runs " + *other + "; corekit replaces it only with --force (uninstall restores it)");
  }
  auto store = store::Store::Open(store_path, store::Access::kWrite);
  if (!store) return Fail(store.error());
  auto limits = (*store)->ReadLimits();
  if (!limits) return Fail(limits.error());
  auto size = [](const std::string& text, std::uint64_t& into) -> bool {
    if (text.empty()) return true;
    auto parsed = ParseSize(text);
    if (!parsed) return false;
    into = *parsed;
    return true;
  };
  if (!size(o.max_use, limits->max_use) || !size(o.keep_free, limits->keep_free) ||
      !size(o.max_core_size, limits->max_core_size)) {
    return Fail("bad size (e.g. 512M, 2G)");
  }
  if (o.max_use_percent) limits->max_use_percent = *o.max_use_percent;
  if (o.keep_free_percent) limits->keep_free_percent = *o.keep_free_percent;
  if (o.rate_per_exe) limits->rate_per_exe = *o.rate_per_exe;
  if (o.rate_global) limits->rate_global = *o.rate_global;
  if (o.rate_window) limits->rate_window = *o.rate_window;
  if (o.max_age_days) limits->max_age = *o.max_age_days * 86400;
  if (o.analysis_timeout) limits->analysis_timeout = *o.analysis_timeout;
  if (auto w = (*store)->WriteLimits(*limits); !w) return Fail(w.error());
  if (o.debuginfod) {
    const bool off = o.debuginfod->empty() || *o.debuginfod == "off";
    if (auto w = (*store)->SetSetting(capture::kDebuginfodSetting, off ? std::nullopt : o.debuginfod); !w) {
      return Fail(w.error());
    }
  }
  if (o.upload) {
    const bool off = o.upload->empty() || *o.upload == "off";
    if (!off && !o.upload->starts_with("http://") && !o.upload->starts_with("https://")) {
      return Fail("--upload takes the collector's http(s) URL (or off)");
    }
    std::optional<std::string> token;
    if (!off && o.token_file) {
      std::error_code error;
      const auto absolute = std::filesystem::absolute(*o.token_file, error);
      if (error || ::access(absolute.c_str(), R_OK) != 0) return Fail("cannot read the token file " + *o.token_file);
      token = absolute.string();
    }
    auto w = (*store)->SetSetting(capture::kUploadSetting, off ? std::nullopt : o.upload);
    if (w) w = (*store)->SetSetting(capture::kUploadTokenSetting, token);
    if (!w) return Fail(w.error());
  }
  const std::string self = SelfPath();
  if (self.empty()) return Fail("cannot find the corekit executable (/proc/self/exe)");
  auto pattern = capture::HandlerPattern(self, store_path, o.store.empty() && store_path == store::Store::DefaultPath() && !std::getenv("COREKIT_STORE"));
  if (!pattern) return Fail(pattern.error());
  // What to restore: saved once, when corekit is not already installed, so that a second
  // install does not take corekit's own pattern for the previous one.
  if (!capture::IsCorekitPattern(kernel->pattern)) {
    auto saved = (*store)->SetSetting("previous_core_pattern", kernel->pattern);
    if (saved) saved = (*store)->SetSetting("previous_core_pipe_limit", std::to_string(kernel->pipe_limit));
    if (!saved) return Fail(saved.error());  // never install what could not be undone
  }
  capture::KernelCoreSettings ours{*pattern, std::max(kernel->pipe_limit, kMinPipeLimit)};
  if (auto w = capture::WriteKernelCoreSettings(ours); !w) return Fail(w.error());
  if (o.persist) {
    const std::string text = "# Written by corekit handler install; removed by corekit handler uninstall.\n"
                             "kernel.core_pattern = " + *pattern + "\nkernel.core_pipe_limit = " +
                             std::to_string(ours.pipe_limit) + "\n";
    const std::string tmp = std::string(kSysctlFile) + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::close(fd) != 0 ||
        ::rename(tmp.c_str(), kSysctlFile) != 0) {
      return Fail(std::string("cannot write ") + kSysctlFile + ": " + std::strerror(errno));
    }
  }
  Print("core_pattern: {}\ncore_pipe_limit: {}\nstore: {}\n", *pattern, ours.pipe_limit, store_path);
  if (auto urls = (*store)->Setting(capture::kDebuginfodSetting); urls && *urls) {
    Print("symbols: fetched from {} into {}/{}\n", Printable(**urls), store_path, capture::kSymbolCacheDir);
  }
  if (auto url = (*store)->Setting(capture::kUploadSetting); url && *url) {
    Print("upload: each stored crash to {}\n", Printable(**url));
  }
  if (o.persist) Print("persisted in {}\n", kSysctlFile);
  return 0;
}

struct UninstallOptions {
  std::string store;
  bool force = false;
};

int Uninstall(const UninstallOptions& o) {
  auto kernel = capture::ReadKernelCoreSettings();
  if (!kernel) return Fail(kernel.error());
  if (!capture::IsCorekitPattern(kernel->pattern) && !o.force) {
    return Fail("core_pattern is not corekit's (" + kernel->pattern + "): left as it is (--force restores the saved one)");
  }
  auto store = OpenStoreForWriting(o.store);
  if (!store) return Fail(store.error());
  auto pattern = (*store)->Setting("previous_core_pattern");
  auto limit = (*store)->Setting("previous_core_pipe_limit");
  if (!pattern || !limit || !*pattern || !*limit) return Fail("this store holds no saved core_pattern to restore");
  capture::KernelCoreSettings previous{**pattern, std::strtoll((*limit)->c_str(), nullptr, 10)};
  // The pattern first, then the limit, so that no crash meets corekit's pattern with limit 0.
  if (auto w = capture::WriteKernelCoreSettings({previous.pattern, std::max(previous.pipe_limit, kernel->pipe_limit)}); !w) {
    return Fail(w.error());
  }
  if (auto w = capture::WriteKernelCoreSettings(previous); !w) return Fail(w.error());
  if (auto cleared = (*store)->SetSetting("previous_core_pattern", std::nullopt); !cleared) return Fail(cleared.error());
  if (auto cleared = (*store)->SetSetting("previous_core_pipe_limit", std::nullopt); !cleared) return Fail(cleared.error());
  if (::unlink(kSysctlFile) == 0) Print("removed {}\n", kSysctlFile);
  Print("core_pattern: {}\ncore_pipe_limit: {}\n", previous.pattern, previous.pipe_limit);
  return 0;
}

struct StatusOptions {
  std::string store;
  bool json = false;
};

int Status(const StatusOptions& o) {
  auto kernel = capture::ReadKernelCoreSettings();
  if (!kernel) return Fail(kernel.error());
  const bool ours = capture::IsCorekitPattern(kernel->pattern);
  std::vector<std::string> warnings;
  if (kernel->pattern.starts_with("|") && kernel->pipe_limit == 0) {
    warnings.push_back("core_pipe_limit is 0: the kernel does not wait for the handler, and /proc/PID may be gone before it reads it");
  }
  if (!ours) {
    warnings.push_back(capture::ForeignHandler(kernel->pattern) ? "core_pattern runs " + *capture::ForeignHandler(kernel->pattern)
                                                                 : "core_pattern writes files, not to corekit");
  }
  const std::string store_path = StorePath(o.store);
  nlohmann::json store_json = nullptr;
  auto store = OpenStoreForReading(o.store);
  if (store) {
    auto usage = (*store)->ReadUsage();
    auto limits = (*store)->ReadLimits();
    if (usage && limits) {
      const std::uint64_t keep_free = std::max(limits->keep_free, usage->fs_size / 100 * limits->keep_free_percent);
      if (usage->fs_free < keep_free) {
        warnings.push_back("the store's disk has " + HumanSize(usage->fs_free) + " free, under the " +
                           HumanSize(keep_free) + " it keeps free: new cores are not stored");
      }
      store_json = {{"path", store_path}, {"crashes", usage->crashes}, {"core_bytes", usage->core_bytes},
                    {"fs_size", usage->fs_size}, {"fs_free", usage->fs_free},
                    {"limits", {{"max_use", limits->max_use}, {"max_use_percent", limits->max_use_percent},
                                {"keep_free", limits->keep_free}, {"keep_free_percent", limits->keep_free_percent},
                                {"max_core_size", limits->max_core_size}, {"max_age", limits->max_age},
                                {"rate_per_exe", limits->rate_per_exe}, {"rate_global", limits->rate_global},
                                {"rate_window", limits->rate_window}, {"analysis_timeout", limits->analysis_timeout}}}};
      auto urls = (*store)->Setting(capture::kDebuginfodSetting);
      store_json["debuginfod"] = urls && *urls ? nlohmann::json(**urls) : nlohmann::json(nullptr);
      auto upload = (*store)->Setting(capture::kUploadSetting);
      store_json["upload"] = nullptr;
      if (upload && *upload) {
        nlohmann::json pending = nlohmann::json::array();
        if (auto queue = (*store)->UploadQueue()) {
          for (const store::QueuedUpload& q : *queue) {
            pending.push_back({{"id", q.id}, {"queued", Rfc3339(q.queued)}, {"attempts", q.attempts},
                               {"next_attempt", Rfc3339(q.next_attempt)},
                               {"last_error", q.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(q.last_error)}});
          }
        }
        if (pending.size() >= 100) warnings.push_back(std::to_string(pending.size()) + " crashes wait to be uploaded");
        store_json["upload"] = {{"url", **upload}, {"pending", pending}};
      }
    }
  } else {
    warnings.push_back(store.error().message);
  }
  if (o.json) {
    PrintJson({{"installed", ours}, {"core_pattern", kernel->pattern}, {"core_pipe_limit", kernel->pipe_limit},
               {"store", store_json}, {"warnings", warnings}});
    return 0;
  }
  Print("installed: {}\ncore_pattern: {}\ncore_pipe_limit: {}\n", ours ? "yes" : "no", Printable(kernel->pattern),
        kernel->pipe_limit);
  if (store_json.is_object()) {
    const auto& l = store_json["limits"];
    Print("store: {} ({} crashes, {} of cores; {} free of {})\n", Printable(store_path), store_json["crashes"].get<std::size_t>(),
          HumanSize(store_json["core_bytes"].get<std::uint64_t>()), HumanSize(store_json["fs_free"].get<std::uint64_t>()),
          HumanSize(store_json["fs_size"].get<std::uint64_t>()));
    Print("limits: max use {}% / {}, keep free {}% / {}, per core {}, max age {} s, rate {} per executable and {} in all per {} s\n",
          l["max_use_percent"].get<unsigned>(), l["max_use"].get<std::uint64_t>() ? HumanSize(l["max_use"].get<std::uint64_t>()) : "none",
          l["keep_free_percent"].get<unsigned>(), l["keep_free"].get<std::uint64_t>() ? HumanSize(l["keep_free"].get<std::uint64_t>()) : "none",
          l["max_core_size"].get<std::uint64_t>() ? HumanSize(l["max_core_size"].get<std::uint64_t>()) : "none",
          l["max_age"].get<std::int64_t>(), l["rate_per_exe"].get<unsigned>(), l["rate_global"].get<unsigned>(),
          l["rate_window"].get<std::int64_t>());
    if (store_json["debuginfod"].is_string()) {
      Print("symbols: fetched from {}\n", Printable(store_json["debuginfod"].get<std::string>()));
    }
    if (const auto& upload = store_json["upload"]; upload.is_object()) {
      Print("upload: to {}, {} waiting\n", Printable(upload["url"].get<std::string>()), upload["pending"].size());
      for (const auto& q : upload["pending"]) {
        Print("  {} queued {}, {} failed attempts{}\n", q["id"].get<std::string>(), q["queued"].get<std::string>(),
              q["attempts"].get<unsigned>(),
              q["last_error"].is_string() ? ", last: " + Printable(q["last_error"].get<std::string>()) : std::string());
      }
    }
  }
  for (const std::string& w : warnings) Print("warning: {}\n", Printable(w));
  return 0;
}

}  // namespace

void AddHandlerCommands(CLI::App& app, Runner& run) {
  {
    auto o = std::make_shared<HandleOptions>();
    CLI::App* command = app.add_subcommand("handle", "store a crash the kernel pipes in (run by the kernel)");
    command->footer(R"(The kernel runs it, through core_pattern, with the core on standard input. It logs the crash,
snapshots /proc/PID, streams the core zstd-compressed into the store, lets the process go,
then analyses the core (report, signature, compact core) within --analysis-timeout.

Example:
  corekit handler install)");
    command->add_option("--store", o->store, "the crash store (default $COREKIT_STORE, else /var/lib/corekit)");
    command->add_option("--analysis-timeout", o->analysis_timeout, "seconds the analysis may take (default: the store's, 60)");
    command->add_option("args", o->args, "%P %i %s %t %c %d %E [%F], as core_pattern passes them");
    command->callback([o, &run] { run = [o] { return RunHandle(*o); }; });
  }
  CLI::App* handler = app.add_subcommand("handler", "make corekit the kernel's crash handler: install, uninstall, status");
  handler->require_subcommand(1);
  handler->footer(R"(install writes the kernel's core_pattern to run `corekit handle` and raises core_pipe_limit
to 16, saving both in the store so that uninstall restores them exactly. Another pipe handler
(systemd-coredump, apport, abrt) is replaced only with --force.

Example:
  corekit handler install --max-core-size 2G --persist
  corekit handler status
  corekit handler uninstall)");
  {
    auto o = std::make_shared<InstallOptions>();
    CLI::App* c = handler->add_subcommand("install", "set core_pattern to corekit handle");
    c->footer("Example:\n  corekit handler install --store /srv/crashes --rate-per-exe 5\n"
              "  corekit handler install --upload http://crashes.example:8123 --token-file /etc/corekit/upload-token");
    c->add_option("--store", o->store, "the crash store (default $COREKIT_STORE, else /var/lib/corekit)");
    c->add_flag("--persist", o->persist, std::string("also write ") + kSysctlFile);
    c->add_flag("--force", o->force, "replace another pipe handler");
    c->add_option("--max-use", o->max_use, "cores in all at most this big (e.g. 10G)");
    c->add_option("--max-use-percent", o->max_use_percent, "and at most this percentage of the file system (default 10)");
    c->add_option("--keep-free", o->keep_free, "keep this much of the file system free");
    c->add_option("--keep-free-percent", o->keep_free_percent, "and this percentage (default 15)");
    c->add_option("--max-core-size", o->max_core_size, "a bigger core is kept compact");
    c->add_option("--max-age-days", o->max_age_days, "crashes older than this are removed");
    c->add_option("--rate-per-exe", o->rate_per_exe, "cores stored per executable per window (default 10)");
    c->add_option("--rate-global", o->rate_global, "cores stored per window (default 50)");
    c->add_option("--rate-window", o->rate_window, "the window, in seconds (default 60)");
    c->add_option("--debuginfod", o->debuginfod,
                  "fetch each crash's symbols from these debuginfod servers into the store ('off': stop)");
    c->add_option("--analysis-timeout", o->analysis_timeout,
                  "seconds the analysis of a crash may take after the process is gone (default 60)");
    c->add_option("--upload", o->upload,
                  "send each stored crash to this corekit serve collector, queued until it is reached ('off': stop)");
    c->add_option("--token-file", o->token_file, "the upload token for --upload (a file root reads)");
    c->callback([o, &run] { run = [o] { return Install(*o); }; });
  }
  {
    auto o = std::make_shared<UninstallOptions>();
    CLI::App* c = handler->add_subcommand("uninstall", "restore the core_pattern and core_pipe_limit saved at install");
    c->footer("Example:\n  corekit handler uninstall");
    c->add_option("--store", o->store, "the crash store install used");
    c->add_flag("--force", o->force, "restore even when core_pattern is no longer corekit's");
    c->callback([o, &run] { run = [o] { return Uninstall(*o); }; });
  }
  {
    auto o = std::make_shared<StatusOptions>();
    CLI::App* c = handler->add_subcommand("status", "what is installed, the store's use and limits, what is unsafe");
    c->footer("Example:\n  corekit handler status --json");
    c->add_option("--store", o->store, "the crash store");
    c->add_flag("--json", o->json, "print one JSON document");
    c->callback([o, &run] { run = [o] { return Status(*o); }; });
  }
}

}  // namespace corekit::tools
