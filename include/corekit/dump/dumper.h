// Dumper: writes an ELF core from a DumpSource, in phases a caller drives and observes, the
// bytes streamed to a Sink in increasing file offset (shaped after Fuchsia's zxdump).
//
//   suspend -> process notes -> thread notes -> plan memory -> headers and notes -> memory -> resume
//
// Layout as the kernel's (fs/binfmt_elf.c): ELF header, program headers (PN_XNUM, with the count
// in section header 0 at the end of the file, past 65534), one PT_NOTE before all PT_LOAD data,
// then page-aligned memory; a PT_LOAD per mapping, p_filesz 0 for what is not dumped. Notes in
// the kernel's order: the first thread's NT_PRSTATUS, the process notes, that thread's other
// register sets, then each other thread's; last, the COREKIT note (producer, time, options,
// what a size limit dropped), which `corekit info` shows.
//
// Run() goes through every phase and resumes the source on every path. Cancel() (from any
// thread, or a signal handler) makes the running phase fail with "cancelled" at its next
// check, with the same cleanup as an error. A size limit drops whole segments, least useful
// first (large anonymous memory before file data, before small anonymous mappings, before
// ELF header pages and the dynamic linker's data, before stacks), never a blind tail cut.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/dump/sink.h"
#include "corekit/elf/abi.h"

namespace corekit::dump {

struct NoteData {
  std::string owner;
  std::uint32_t type = 0;
  std::vector<std::uint8_t> desc;
};

// One mapping of the address space, and how much of it the dump holds.
struct PlannedSegment {
  std::uint64_t start = 0, end = 0;
  std::uint32_t flags = 0;       // PF_R | PF_W | PF_X
  std::uint64_t dump_size = 0;   // bytes from start written to the core (p_filesz)
  std::string path;
  // Which segments a size limit drops first: higher goes first.
  enum Priority { kStack = 0, kLoaderData = 1, kElfHeader = 2, kSmallAnonymous = 3, kFileData = 4, kLargeAnonymous = 5 };
  Priority priority = kLargeAnonymous;
  bool anonymous = false;  // never-touched pages read as zeros (the source may tell which)
};

// What a dump is taken from: a live process (live_source.h) or an existing core.
class DumpSource {
 public:
  virtual ~DumpSource() = default;
  virtual Result<void> Suspend() = 0;
  virtual const elf::Abi& abi() const = 0;
  virtual std::size_t thread_count() const = 0;
  // NT_PRPSINFO, NT_SIGINFO (when the process took a signal), NT_AUXV, NT_FILE...
  virtual Result<std::vector<NoteData>> ProcessNotes() = 0;
  // The index-th thread's notes, NT_PRSTATUS first.
  virtual Result<std::vector<NoteData>> ThreadNotes(std::size_t index) = 0;
  virtual Result<std::vector<PlannedSegment>> PlanMemory() = 0;
  // Like Target::ReadSome: bytes from address until the first unreadable one.
  virtual Result<std::size_t> ReadMemory(std::uint64_t address, std::span<std::uint8_t> out) = 0;
  // Which of `count` pages from `start` hold data; the others read as zeros. Empty: all do.
  virtual std::vector<bool> TouchedPages(std::uint64_t start, std::size_t count) = 0;
  virtual void Resume() = 0;
  // How long the source kept the process stopped.
  virtual std::chrono::nanoseconds stopped_for() const = 0;
};

struct DumpOptions {
  std::optional<std::uint64_t> max_size;  // bytes of the whole file
  std::string producer = "corekit";        // "corekit 0.3"
  std::string options_text;               // the options used, for the COREKIT note
};

enum class Phase { kSuspend, kProcessNotes, kThreadNotes, kPlanMemory, kWriteHeaders, kWriteMemory, kResume, kDone };
std::string_view PhaseName(Phase phase);

struct Progress {
  std::size_t threads_done = 0, threads_total = 0;
  std::uint64_t bytes_done = 0, bytes_total = 0;
};

struct DumpSummary {
  std::size_t threads = 0;
  std::size_t segments = 0, segments_dumped = 0;
  std::uint64_t file_size = 0;        // the core's size
  std::uint64_t memory_bytes = 0;     // memory the headers say is in the core
  std::uint64_t hole_bytes = 0;       // of which zeros left as holes (never touched or zero pages)
  std::uint64_t unreadable_bytes = 0; // pages that could not be read (written as zeros)
  std::vector<PlannedSegment> dropped;  // by the size limit
  std::chrono::nanoseconds elapsed{}, stopped{};
};

class Dumper {
 public:
  Dumper(DumpSource& source, DumpOptions options) : source_(source), options_(std::move(options)) {}

  // Called at the start of each phase and as memory is written (at most every 4 MiB).
  void set_observer(std::function<void(Phase, const Progress&)> observer) { observer_ = std::move(observer); }

  // The phases, in order; each fails if called out of order.
  Result<void> Suspend();
  Result<void> CollectProcessNotes();
  Result<void> CollectThreadNotes();
  Result<void> PlanMemory();
  Result<void> WriteHeaders(Sink& sink);
  Result<void> WriteMemory(Sink& sink);
  void Resume();

  // Every phase; the source is resumed whatever happens.
  Result<DumpSummary> Run(Sink& sink);

  void Cancel() { cancelled_.store(true); }
  Progress progress() const;
  const DumpSummary& summary() const { return summary_; }

 private:
  Result<void> CheckCancelled() const;
  Result<void> Enter(Phase phase, Phase expected);
  void Notify(Phase phase);
  // The COREKIT note's text (NUL-terminated JSON) for what summary_.dropped holds now.
  std::vector<std::uint8_t> CorekitNote() const;

  DumpSource& source_;
  DumpOptions options_;
  std::function<void(Phase, const Progress&)> observer_;
  std::atomic<bool> cancelled_{false};
  Phase next_ = Phase::kSuspend;
  std::chrono::steady_clock::time_point started_;
  std::vector<NoteData> process_notes_;
  std::vector<std::vector<NoteData>> thread_notes_;
  std::vector<PlannedSegment> segments_;
  std::uint64_t data_offset_ = 0, file_size_ = 0;
  std::time_t time_ = 0;                    // when the dump was planned, in the COREKIT note
  std::vector<std::uint8_t> corekit_note_;  // written as laid out
  std::atomic<std::size_t> threads_done_{0};
  std::atomic<std::uint64_t> bytes_done_{0};
  std::uint64_t bytes_total_ = 0;
  DumpSummary summary_;
};

}  // namespace corekit::dump
