// The collector's side of the server: an upload's parts streamed into the store, the crash
// stored once whatever the retries (its client-made upload id), and the analysis afterwards on
// worker threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/store/directory.h"
#include "corekit/store/store.h"
#include "crash_index.h"

namespace corekit::server {

// How an upload's files are named: by the crash's id (the crash store's way), or by the SHA-256
// of their content (a fleet's shared directory: a file is stored once however many servers and
// retries receive it).
enum class FileNames { kById, kByContent };

// One upload as the HTTP handler receives it (multipart/form-data): the `metadata` and `report`
// parts as text, the `compact` and `core` parts streamed into unnamed files of the store.
class UploadParts {
 public:
  UploadParts(store::Directory& files, std::uint64_t max_bytes, FileNames names);
  ~UploadParts();
  UploadParts(const UploadParts&) = delete;
  UploadParts& operator=(const UploadParts&) = delete;

  // A part begins / continues. false (and error()) ends the upload.
  bool Begin(const std::string& name);
  bool Append(const char* data, std::size_t size);
  const std::string& error() const { return error_; }
  bool too_large() const { return too_large_; }  // the error is a size limit (413)

  std::string metadata, report;
  int compact_fd = -1, core_fd = -1;
  std::uint64_t compact_bytes = 0, core_bytes = 0;
  std::string compact_sha256, core_sha256;  // hex, when named by content (after End)
  // The last part has ended: the digests are final.
  void End();

 private:
  store::Directory& files_;
  FileNames names_;
  struct Digest;
  std::unique_ptr<Digest> compact_digest_, core_digest_;
  std::uint64_t max_bytes_, total_ = 0;
  std::string part_;
  std::string error_;
  bool too_large_ = false;
};

struct Stored {
  std::string id;
  bool duplicate = false;  // an earlier try of this upload stored it
};

class Analyzer;

// Validates the upload (metadata, file formats) and stores it: files published under the new
// crash's id, its details file, then its row (analysis pending). The row is written last, so a
// server killed midway leaves files without a row (vacuum removes them) and never half a row.
Result<Stored> StoreUpload(store::Directory& files, CrashIndex& index, UploadParts& parts, const std::string& remote,
                           FileNames names);

// Analysis of uploaded crashes on worker threads: the signature and kind from the uploaded
// report (made where the symbols are), or from `corekit report --json` run on the stored core
// (a child process with a time limit, as the handler runs it) when the upload had none.
class Analyzer {
 public:
  Analyzer(IndexFactory open_index, store::Directory& files, std::string corekit, unsigned workers,
           std::chrono::seconds timeout);
  ~Analyzer();  // finishes the crash in hand, leaves the rest pending for the next start
  void Enqueue(const std::string& id);
  // The crashes a previous run left pending.
  void EnqueuePending(CrashIndex& index);

 private:
  void Work();
  // False when the index could not be read or written: the crash is to be tried again.
  bool Analyse(CrashIndex& index, const std::string& id);
  IndexFactory open_index_;
  store::Directory& files_;
  std::string corekit_;
  std::chrono::seconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace corekit::server
