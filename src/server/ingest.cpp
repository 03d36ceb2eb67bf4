#include "ingest.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "corekit/base/io.h"
#include "corekit/base/text.h"
#include "corekit/capture/handler.h"
#include "corekit/server/json.h"

namespace corekit::server {
namespace {

constexpr std::size_t kMetadataLimit = 1 << 20;   // the metadata part
constexpr std::size_t kReportLimit = 32 << 20;    // the report part, and an analysis's output

// Upload ids are the client's: letters, digits and . _ : - only, so that they are safe anywhere.
bool ValidUploadId(const std::string& id) {
  if (id.size() < 8 || id.size() > 128) return false;
  for (const char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-')) return false;
  }
  return true;
}

// What a stored core file is, from its first bytes: the name's suffix, or "" when not a core.
std::string CoreSuffix(int fd) {
  unsigned char magic[4] = {};
  if (::pread(fd, magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic)) return "";
  if (std::memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0) return ".core.zst";
  if (magic[0] == 0x1f && magic[1] == 0x8b) return ".core.gz";
  if (std::memcmp(magic, "\xfd" "7zX", 4) == 0) return ".core.xz";
  if (std::memcmp(magic, "\x04\x22\x4d\x18", 4) == 0) return ".core.lz4";
  if (std::memcmp(magic, "\x7f" "ELF", 4) == 0) return ".core";
  return "";
}

std::string Limited(std::string text, std::size_t max) {
  if (text.size() > max) text.resize(max);
  return text;
}

// A crash's row from the upload's metadata ({ "upload_id", "crash": corekit.crash/1 object }):
// every field checked for its type and cut to its length.
Result<store::Crash> CrashOf(const nlohmann::json& metadata) {
  if (!metadata.is_object()) return Unexpected(Errc::kInvalidArgument, "metadata is not a JSON object");
  store::Crash c;
  auto id = metadata.find("upload_id");
  if (id == metadata.end() || !id->is_string() || !ValidUploadId(id->get<std::string>())) {
    return Unexpected(Errc::kInvalidArgument, "metadata.upload_id must be 8-128 of [A-Za-z0-9._:-]");
  }
  c.upload_id = id->get<std::string>();
  const nlohmann::json empty = nlohmann::json::object();
  auto crash_it = metadata.find("crash");
  const nlohmann::json& j = crash_it != metadata.end() && crash_it->is_object() ? *crash_it : empty;
  auto text = [&](const char* key, std::size_t max) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? Limited(it->get<std::string>(), max) : "";
  };
  auto number = [&](const nlohmann::json& o, const char* key) -> std::optional<std::int64_t> {
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? std::optional(it->get<std::int64_t>()) : std::nullopt;
  };
  c.time = static_cast<std::int64_t>(std::time(nullptr));
  if (auto t = j.find("time"); t != j.end() && t->is_string()) {
    if (auto parsed = store::ParseTime(t->get<std::string>())) c.time = *parsed;
  } else if (auto n = number(j, "time")) {
    c.time = *n;
  }
  c.pid = number(j, "pid");
  c.host_pid = number(j, "host_pid");
  c.tid = number(j, "tid");
  c.uid = number(j, "uid");
  c.gid = number(j, "gid");
  if (auto s = j.find("signal"); s != j.end() && s->is_object()) {
    if (auto n = number(*s, "number"); n && *n > 0 && *n < 128) c.signal = static_cast<int>(*n);
    if (auto n = number(*s, "code"); n && *n > -1000 && *n < 1000) c.signal_code = static_cast<int>(*n);
  }
  c.executable = text("executable", 4096);
  c.comm = text("comm", 64);
  c.command_line = text("command_line", 32768);
  c.hostname = text("hostname", 256);
  if (auto k = j.find("container"); k != j.end() && k->is_object()) {
    if (auto i = k->find("id"); i != k->end() && i->is_string()) c.container = Limited(i->get<std::string>(), 256);
    if (auto r = k->find("runtime"); r != k->end() && r->is_string()) c.container_runtime = Limited(r->get<std::string>(), 32);
  }
  if (auto d = j.find("dumpable"); d != j.end() && d->is_boolean()) c.dumpable = d->get<bool>();
  return c;
}

}  // namespace

// A SHA-256 being computed over a part as it streams in.
struct UploadParts::Digest {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Digest() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Digest() { EVP_MD_CTX_free(ctx); }
  void Update(const char* data, std::size_t size) { EVP_DigestUpdate(ctx, data, size); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx, digest, &size);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < size; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 15];
    }
    return out;
  }
};

UploadParts::UploadParts(store::Directory& files, std::uint64_t max_bytes, FileNames names)
    : files_(files), names_(names), max_bytes_(max_bytes) {}

UploadParts::~UploadParts() {
  if (compact_fd >= 0) ::close(compact_fd);
  if (core_fd >= 0) ::close(core_fd);
}

void UploadParts::End() {
  if (compact_digest_) compact_sha256 = compact_digest_->Hex();
  if (core_digest_) core_sha256 = core_digest_->Hex();
  compact_digest_.reset();
  core_digest_.reset();
}

bool UploadParts::Begin(const std::string& name) {
  part_ = name;
  if (name == "metadata" || name == "report") return true;
  if (name != "compact" && name != "core") {
    error_ = "unknown part " + Printable(Limited(name, 64)) + " (metadata, report, compact, core)";
    return false;
  }
  int& fd = name == "compact" ? compact_fd : core_fd;
  if (fd >= 0) {
    error_ = "two " + name + " parts";
    return false;
  }
  auto created = files_.CreateUnnamed();
  if (!created) {
    error_ = created.error().message;
    return false;
  }
  fd = *created;
  if (names_ == FileNames::kByContent) (name == "compact" ? compact_digest_ : core_digest_) = std::make_unique<Digest>();
  return true;
}

bool UploadParts::Append(const char* data, std::size_t size) {
  total_ += size;
  if (total_ > max_bytes_) {
    error_ = "the upload is larger than the server's limit of " + std::to_string(max_bytes_) + " bytes";
    too_large_ = true;
    return false;
  }
  if (part_ == "metadata" || part_ == "report") {
    std::string& text = part_ == "metadata" ? metadata : report;
    if (text.size() + size > (part_ == "metadata" ? kMetadataLimit : kReportLimit)) {
      error_ = "the " + part_ + " part is too large";
      too_large_ = true;
      return false;
    }
    text.append(data, size);
    return true;
  }
  const int fd = part_ == "compact" ? compact_fd : core_fd;
  if (fd < 0) return false;
  (part_ == "compact" ? compact_bytes : core_bytes) += size;
  if (auto& digest = part_ == "compact" ? compact_digest_ : core_digest_) digest->Update(data, size);
  if (auto w = WriteAll(fd, data, size); !w) {
    error_ = "cannot store the " + part_ + " part: " + w.error().message;
    return false;
  }
  return true;
}

Result<Stored> StoreUpload(store::Directory& files, CrashIndex& index, UploadParts& parts, const std::string& remote,
                           FileNames names) {
  parts.End();
  const nlohmann::json metadata = nlohmann::json::parse(parts.metadata, nullptr, false);
  if (metadata.is_discarded()) return Unexpected(Errc::kInvalidArgument, "the metadata part is not JSON");
  auto crash = CrashOf(metadata);
  if (!crash) return Unexpected(crash.error());
  nlohmann::json report = nullptr;
  if (!parts.report.empty()) {
    report = nlohmann::json::parse(parts.report, nullptr, false);
    if (report.is_discarded() || !report.is_object()) return Unexpected(Errc::kInvalidArgument, "the report part is not a JSON object");
  }
  std::string compact_suffix, core_suffix;
  if (parts.compact_fd >= 0 && (compact_suffix = CoreSuffix(parts.compact_fd)).empty()) {
    return Unexpected(Errc::kInvalidArgument, "the compact part is not a core (ELF, zstd, gzip, xz or lz4)");
  }
  if (parts.core_fd >= 0 && (core_suffix = CoreSuffix(parts.core_fd)).empty()) {
    return Unexpected(Errc::kInvalidArgument, "the core part is not a core (ELF, zstd, gzip, xz or lz4)");
  }
  // A retry of a stored upload stores nothing (its files may differ: a compact core made again).
  if (auto earlier = index.FindUpload(*crash->upload_id); earlier && *earlier) return Stored{(*earlier)->id, true};
  auto id = index.NewId();
  if (!id) return Unexpected(id.error());
  store::Crash& c = *crash;
  c.id = *id;
  c.analysis_pending = true;
  // Files named by id are this upload's alone and go again if it fails; files named by content
  // may be another upload's too (the same core sent twice), and stay.
  std::vector<std::string> published;
  auto undo = [&] {
    for (const std::string& name : published) files.RemoveFile(name);
  };
  auto publish = [&](int fd, const std::string& name) -> Result<void> {
    files.Protect(fd, std::nullopt, false);
    if (names == FileNames::kByContent && files.Exists(name)) {
      // Stored already, by an earlier try or another server: the same bytes.
    } else if (auto p = files.Publish(fd, name); !p) {
      if (!(names == FileNames::kByContent && files.Exists(name))) return p;  // lost a race to the same bytes
    } else if (names == FileNames::kById) {
      published.push_back(name);
    }
    if (auto bytes = files.FileBytes(name)) c.core_bytes += *bytes;
    return {};
  };
  auto name_of = [&](const std::string& kind, const std::string& sha256, const std::string& suffix) {
    return names == FileNames::kByContent ? "sha256-" + sha256 + (kind == "compact" ? ".compact" : "") + suffix
                                          : c.id + (kind == "compact" ? ".compact" : "") + suffix;
  };
  if (parts.core_fd >= 0) {
    c.core_file = name_of("core", parts.core_sha256, core_suffix);
    if (auto p = publish(parts.core_fd, c.core_file); !p) return Unexpected(p.error());
    c.core = "present";
    c.core_size = parts.core_bytes;
  }
  if (parts.compact_fd >= 0) {
    c.compact_file = name_of("compact", parts.compact_sha256, compact_suffix);
    if (auto p = publish(parts.compact_fd, c.compact_file); !p) {
      undo();
      return Unexpected(p.error());
    }
    if (c.core_file.empty()) {
      c.core = "compact";
      c.core_size = parts.compact_bytes;
    }
  }
  if (c.core == "none") c.core_reason = "not uploaded";
  nlohmann::json details = {{"schema", "corekit.crash/1"},
                            {"proc", metadata.contains("proc") ? metadata["proc"] : nlohmann::json(nullptr)},
                            {"report", report},
                            {"upload", {{"upload_id", *c.upload_id}, {"received", Rfc3339(std::time(nullptr))}, {"from", remote}}}};
  c.details_file = c.id + ".json";
  if (auto w = store::WriteWholeFile(files, c.details_file, JsonText(details, -1), std::nullopt, false); !w) {
    undo();
    return Unexpected(w.error());
  }
  published.push_back(c.details_file);  // named by id in either way
  auto inserted = index.InsertUpload(c);
  if (!inserted) {
    undo();
    return Unexpected(inserted.error());
  }
  if (*inserted) {  // stored by an earlier try: this one's files go
    undo();
    return Stored{(*inserted)->id, true};
  }
  return Stored{c.id, false};
}

Analyzer::Analyzer(IndexFactory open_index, store::Directory& files, std::string corekit, unsigned workers,
                   std::chrono::seconds timeout)
    : open_index_(std::move(open_index)), files_(files), corekit_(std::move(corekit)), timeout_(timeout) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) threads_.emplace_back([this] { Work(); });
}

Analyzer::~Analyzer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void Analyzer::Enqueue(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(id);
  }
  wake_.notify_one();
}

void Analyzer::EnqueuePending(CrashIndex& index) {
  if (auto pending = index.PendingAnalysis(100000)) {
    for (const store::Crash& c : *pending) Enqueue(c.id);
  }
}

void Analyzer::Work() {
  std::unique_ptr<CrashIndex> index;
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      id = std::move(queue_.front());
      queue_.pop_front();
    }
    bool done = false;
    if (!index) {
      if (auto opened = open_index_()) index = std::move(*opened);
    }
    if (index) done = Analyse(*index, id);
    if (!done) {
      // The database is unreachable (restarting): the crash waits its turn again, a second on.
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) return;
      queue_.push_back(std::move(id));
    }
  }
}

bool Analyzer::Analyse(CrashIndex& index, const std::string& id) {
  auto found = index.Find(id);
  if (!found) return found.error().code != Errc::kIo;  // gone is done; unreachable is not
  if (!found->analysis_pending) return true;
  store::Crash c = *found;
  nlohmann::json details = CrashDetails(files_, c);
  if (!details.is_object()) details = nlohmann::json::object();
  const std::string& core = !c.core_file.empty() ? c.core_file : c.compact_file;
  bool made = false;
  if (!(details.contains("report") && details["report"].is_object()) && !core.empty() && !corekit_.empty()) {
    // No report came with it: made here, as the handler makes one, in a child with a time limit.
    if (auto fd = files_.OpenFile(core)) {
      std::string text;
      const int status = capture::RunAnalysis({corekit_, "report", "--json", "--offline", "/dev/fd/3"}, *fd, -1, &text,
                                              kReportLimit, timeout_);
      ::close(*fd);
      nlohmann::json report = status == 0 ? nlohmann::json::parse(text, nullptr, false) : nlohmann::json();
      if (report.is_object()) {
        details["report"] = report;
        made = true;
      } else {
        c.analysis_error = status == -1 ? "analysis timed out after " + std::to_string(timeout_.count()) + " s"
                                        : "analysis failed (status " + std::to_string(status) + ")";
      }
    }
  }
  const nlohmann::json& report = details.contains("report") ? details["report"] : nlohmann::json();
  if (report.is_object() && report.contains("crash") && report["crash"].is_object()) {
    const nlohmann::json& crash = report["crash"];
    if (auto s = crash.find("signature"); s != crash.end() && s->is_string() && !s->get<std::string>().empty()) {
      c.signature = Limited(s->get<std::string>(), 1024);
    }
    if (auto k = crash.find("kind"); k != crash.end() && k->is_string()) c.report_kind = Limited(k->get<std::string>(), 64);
  }
  // The details with the report made here replace the uploaded ones under a new name; the row
  // names the new file, then the old one goes.
  if (made && c.details_file == c.id + ".json") {
    const std::string name = c.id + ".analysed.json";
    if (store::WriteWholeFile(files_, name, JsonText(details, -1), std::nullopt, false)) {
      files_.RemoveFile(c.details_file);
      c.details_file = name;
    }
  }
  c.analysis_pending = false;
  return index.Update(c).has_value();
}

}  // namespace corekit::server
