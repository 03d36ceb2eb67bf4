#include "corekit/dump/dumper.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "corekit/base/text.h"
#include "corekit/elf/constants.h"

namespace corekit::dump {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kChunk = 4 << 20;  // memory is read and written in pieces this large
constexpr std::size_t kEhdrSize = 64, kPhdrSize = 56, kShdrSize = 64;
constexpr std::size_t kPnXnum = 0xffff;

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

void Put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) { std::memcpy(&b[at], &v, 2); }
void Put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) { std::memcpy(&b[at], &v, 4); }
void Put64(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v) { std::memcpy(&b[at], &v, 8); }

std::size_t NoteSize(const NoteData& n) { return 12 + AlignUp(n.owner.size() + 1, 4) + AlignUp(n.desc.size(), 4); }

void AppendNote(std::vector<std::uint8_t>& out, const NoteData& n) {
  const std::size_t at = out.size();
  out.resize(at + NoteSize(n), 0);
  Put32(out, at, static_cast<std::uint32_t>(n.owner.size() + 1));
  Put32(out, at + 4, static_cast<std::uint32_t>(n.desc.size()));
  Put32(out, at + 8, n.type);
  std::memcpy(&out[at + 12], n.owner.data(), n.owner.size());
  if (!n.desc.empty()) std::memcpy(&out[at + 12 + AlignUp(n.owner.size() + 1, 4)], n.desc.data(), n.desc.size());
}

bool AllZero(const std::uint8_t* p, std::size_t n) {
  static const std::uint8_t zeros[kPage] = {};
  for (std::size_t at = 0; at < n; at += kPage) {
    if (std::memcmp(p + at, zeros, std::min<std::size_t>(kPage, n - at)) != 0) return false;
  }
  return true;
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kSuspend: return "suspend";
    case Phase::kProcessNotes: return "process notes";
    case Phase::kThreadNotes: return "thread notes";
    case Phase::kPlanMemory: return "plan memory";
    case Phase::kWriteHeaders: return "write headers";
    case Phase::kWriteMemory: return "write memory";
    case Phase::kResume: return "resume";
    case Phase::kDone: return "done";
  }
  return "?";
}

Result<void> Dumper::CheckCancelled() const {
  if (cancelled_.load()) return Unexpected(Errc::kIo, "cancelled");
  return {};
}

Result<void> Dumper::Enter(Phase phase, Phase expected) {
  if (next_ != expected) {
    return Unexpected(Errc::kInvalidArgument, "dump phase '" + std::string(PhaseName(phase)) + "' called out of order");
  }
  if (auto c = CheckCancelled(); !c) return c;
  Notify(phase);
  return {};
}

void Dumper::Notify(Phase phase) {
  if (observer_) observer_(phase, progress());
}

Progress Dumper::progress() const {
  Progress p;
  p.threads_total = thread_notes_.empty() ? source_.thread_count() : thread_notes_.size();
  p.threads_done = threads_done_.load();
  p.bytes_total = bytes_total_;
  p.bytes_done = bytes_done_.load();
  return p;
}

Result<void> Dumper::Suspend() {
  if (auto e = Enter(Phase::kSuspend, Phase::kSuspend); !e) return e;
  started_ = std::chrono::steady_clock::now();
  const elf::Abi& abi = source_.abi();
  if (auto s = source_.Suspend(); !s) return s;
  if (!source_.abi().is64 || source_.abi().endian != elf::Endian::kLittle) {
    return Unexpected(Errc::kUnsupported, "corekit writes 64-bit little-endian cores only");
  }
  (void)abi;
  next_ = Phase::kProcessNotes;
  return {};
}

Result<void> Dumper::CollectProcessNotes() {
  if (auto e = Enter(Phase::kProcessNotes, Phase::kProcessNotes); !e) return e;
  auto notes = source_.ProcessNotes();
  if (!notes) return Unexpected(notes.error());
  process_notes_ = std::move(*notes);
  next_ = Phase::kThreadNotes;
  return {};
}

Result<void> Dumper::CollectThreadNotes() {
  if (auto e = Enter(Phase::kThreadNotes, Phase::kThreadNotes); !e) return e;
  thread_notes_.clear();
  for (std::size_t i = 0; i < source_.thread_count(); ++i) {
    if (auto c = CheckCancelled(); !c) return c;
    auto notes = source_.ThreadNotes(i);
    if (!notes) return Unexpected(notes.error());
    thread_notes_.push_back(std::move(*notes));
    threads_done_.store(i + 1);
  }
  next_ = Phase::kPlanMemory;
  return {};
}

namespace {

// How the COREKIT note lists one segment the size limit dropped.
nlohmann::json DroppedJson(const PlannedSegment& s) {
  char range[64];
  std::snprintf(range, sizeof range, "0x%llx-0x%llx", static_cast<unsigned long long>(s.start),
                static_cast<unsigned long long>(s.end));
  // A mapping's path is bytes (a file may be named anything); the note's JSON must be UTF-8.
  return {{"range", range}, {"path", ValidUtf8(s.path)}, {"bytes", s.dump_size}};
}

}  // namespace

std::vector<std::uint8_t> Dumper::CorekitNote() const {
  nlohmann::json dropped = nlohmann::json::array();
  for (const PlannedSegment& s : summary_.dropped) dropped.push_back(DroppedJson(s));
  const nlohmann::json info = {{"producer", options_.producer},
                               {"time", static_cast<std::int64_t>(time_)},
                               {"options", options_.options_text},
                               {"max_size", options_.max_size ? nlohmann::json(*options_.max_size) : nlohmann::json(nullptr)},
                               {"dropped", dropped}};
  const std::string text = info.dump();
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  bytes.push_back(0);
  return bytes;
}

Result<void> Dumper::PlanMemory() {
  if (auto e = Enter(Phase::kPlanMemory, Phase::kPlanMemory); !e) return e;
  auto plan = source_.PlanMemory();
  if (!plan) return Unexpected(plan.error());
  segments_ = std::move(*plan);
  for (PlannedSegment& s : segments_) s.dump_size = std::min(AlignUp(s.dump_size, kPage), s.end - s.start);
  summary_.dropped.clear();
  time_ = std::time(nullptr);
  // Lay out the file; while it is over the size limit, drop the least useful segment (the
  // order is fixed once: higher priority value first, larger first, then plan order) and lay it
  // out again. Only the COREKIT note changes size as segments are dropped: the dump() of its
  // JSON grows by each dropped entry's text and a comma between entries.
  std::uint64_t fixed_notes = 0;
  for (const NoteData& n : process_notes_) fixed_notes += NoteSize(n);
  for (const auto& t : thread_notes_) {
    for (const NoteData& n : t) fixed_notes += NoteSize(n);
  }
  const std::size_t empty_corekit = CorekitNote().size();
  std::vector<std::size_t> victims;
  std::uint64_t memory = 0;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].dump_size > 0) victims.push_back(i);
    memory += segments_[i].dump_size;
  }
  std::stable_sort(victims.begin(), victims.end(), [this](std::size_t a, std::size_t b) {
    const PlannedSegment &x = segments_[a], &y = segments_[b];
    return x.priority != y.priority ? x.priority > y.priority : x.dump_size > y.dump_size;
  });
  const std::size_t phnum = 1 + segments_.size();
  std::size_t corekit_size = empty_corekit, next_victim = 0;
  for (;;) {
    const std::uint64_t notes_size = fixed_notes + NoteSize({"COREKIT", 0, {}}) + AlignUp(corekit_size, 4);
    data_offset_ = AlignUp(kEhdrSize + kPhdrSize * phnum + notes_size, kPage);
    file_size_ = data_offset_ + memory + (phnum >= kPnXnum ? kShdrSize : 0);
    if (!options_.max_size || file_size_ <= *options_.max_size) break;
    if (next_victim == victims.size()) {
      return Unexpected(Errc::kInvalidArgument, "--max-size is smaller than the core's headers and notes (" +
                                                    std::to_string(data_offset_) + " bytes)");
    }
    PlannedSegment& victim = segments_[victims[next_victim++]];
    summary_.dropped.push_back(victim);
    corekit_size += DroppedJson(victim).dump().size() + (summary_.dropped.size() > 1 ? 1 : 0);
    memory -= victim.dump_size;
    victim.dump_size = 0;
  }
  corekit_note_ = CorekitNote();
  if (corekit_note_.size() != corekit_size) {
    return Unexpected(Errc::kInvalidArgument, "internal error: the COREKIT note's size changed after layout");
  }
  bytes_total_ = 0;
  for (const PlannedSegment& s : segments_) bytes_total_ += s.dump_size;
  next_ = Phase::kWriteHeaders;
  return {};
}

Result<void> Dumper::WriteHeaders(Sink& sink) {
  if (auto e = Enter(Phase::kWriteHeaders, Phase::kWriteHeaders); !e) return e;
  // Notes in the kernel's order.
  std::vector<NoteData> notes;
  if (!thread_notes_.empty() && !thread_notes_[0].empty()) notes.push_back(thread_notes_[0][0]);
  notes.insert(notes.end(), process_notes_.begin(), process_notes_.end());
  for (std::size_t t = 0; t < thread_notes_.size(); ++t) {
    for (std::size_t i = t == 0 ? 1 : 0; i < thread_notes_[t].size(); ++i) notes.push_back(thread_notes_[t][i]);
  }
  notes.push_back({"COREKIT", elf::NT_COREKIT_INFO, corekit_note_});
  const std::size_t phnum = 1 + segments_.size();
  const bool xnum = phnum >= kPnXnum;
  std::vector<std::uint8_t> out(kEhdrSize + kPhdrSize * phnum, 0);
  const std::uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::memcpy(out.data(), ident, sizeof ident);
  Put16(out, 16, 4);  // ET_CORE
  Put16(out, 18, source_.abi().e_machine);
  Put32(out, 20, 1);
  Put64(out, 32, kEhdrSize);                                    // e_phoff
  Put64(out, 40, xnum ? file_size_ - kShdrSize : 0);            // e_shoff
  Put16(out, 52, kEhdrSize);
  Put16(out, 54, kPhdrSize);
  Put16(out, 56, static_cast<std::uint16_t>(xnum ? kPnXnum : phnum));
  Put16(out, 58, xnum ? kShdrSize : 0);
  Put16(out, 60, xnum ? 1 : 0);
  std::vector<std::uint8_t> note_bytes;
  for (const NoteData& n : notes) AppendNote(note_bytes, n);
  auto put_phdr = [&](std::size_t index, std::uint32_t type, std::uint32_t flags, std::uint64_t offset,
                      std::uint64_t vaddr, std::uint64_t filesz, std::uint64_t memsz, std::uint64_t align) {
    const std::size_t at = kEhdrSize + kPhdrSize * index;
    Put32(out, at, type);
    Put32(out, at + 4, flags);
    Put64(out, at + 8, offset);
    Put64(out, at + 16, vaddr);
    Put64(out, at + 32, filesz);
    Put64(out, at + 40, memsz);
    Put64(out, at + 48, align);
  };
  const std::uint64_t note_offset = kEhdrSize + kPhdrSize * phnum;
  put_phdr(0, elf::PT_NOTE, 0, note_offset, 0, note_bytes.size(), 0, 4);
  std::uint64_t offset = data_offset_;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const PlannedSegment& s = segments_[i];
    put_phdr(i + 1, elf::PT_LOAD, s.flags, offset, s.start, s.dump_size, s.end - s.start, kPage);
    offset += s.dump_size;
  }
  out.insert(out.end(), note_bytes.begin(), note_bytes.end());
  if (auto w = sink.Write(0, out); !w) return w;
  summary_.threads = thread_notes_.size();
  summary_.segments = segments_.size();
  next_ = Phase::kWriteMemory;
  return {};
}

Result<void> Dumper::WriteMemory(Sink& sink) {
  if (auto e = Enter(Phase::kWriteMemory, Phase::kWriteMemory); !e) return e;
  std::vector<std::uint8_t> buffer(kChunk);
  std::uint64_t offset = data_offset_;
  for (const PlannedSegment& s : segments_) {
    if (s.dump_size > 0) ++summary_.segments_dumped;
    summary_.memory_bytes += s.dump_size;
    for (std::uint64_t done = 0; done < s.dump_size;) {
      if (auto c = CheckCancelled(); !c) return c;
      const std::uint64_t address = s.start + done;
      const std::size_t size = static_cast<std::size_t>(std::min(kChunk, s.dump_size - done));
      const std::size_t pages = size / kPage;
      const std::vector<bool> touched = s.anonymous ? source_.TouchedPages(address, pages) : std::vector<bool>();
      const bool any_touched = touched.empty() || std::find(touched.begin(), touched.end(), true) != touched.end();
      if (any_touched) {
        // Read the piece; a page that cannot be read becomes zeros, counted.
        for (std::size_t got = 0; got < size;) {
          auto n = source_.ReadMemory(address + got, std::span(buffer.data() + got, size - got));
          if (!n && n.error().code == Errc::kTargetGone) return Unexpected(n.error());
          if (n && *n > 0) {
            got += *n;
            continue;
          }
          const std::size_t page_end = std::min<std::size_t>(AlignUp(got + 1, kPage), size);
          std::memset(buffer.data() + got, 0, page_end - got);
          summary_.unreadable_bytes += page_end - got;
          got = page_end;
        }
        // Write runs of pages that hold something; zero and untouched pages stay holes.
        std::size_t run = 0;
        for (std::size_t p = 0; p <= pages; ++p) {
          const bool data = p < pages && (touched.empty() || touched[p]) && !AllZero(buffer.data() + p * kPage, kPage);
          if (data) continue;
          if (p > run) {
            auto w = sink.Write(offset + done + run * kPage, std::span(buffer.data() + run * kPage, (p - run) * kPage));
            if (!w) return w;
          }
          if (p < pages) summary_.hole_bytes += kPage;
          run = p + 1;
        }
      } else {
        summary_.hole_bytes += size;
      }
      done += size;
      bytes_done_.fetch_add(size);
      Notify(Phase::kWriteMemory);
    }
    offset += s.dump_size;
  }
  if (auto f = sink.Finish(file_size_ - (segments_.size() + 1 >= kPnXnum ? kShdrSize : 0)); !f) return f;
  if (segments_.size() + 1 >= kPnXnum) {
    // PN_XNUM: section header 0 carries the real program header count in sh_info.
    std::vector<std::uint8_t> shdr(kShdrSize, 0);
    Put32(shdr, 44, static_cast<std::uint32_t>(segments_.size() + 1));
    if (auto w = sink.Write(file_size_ - kShdrSize, shdr); !w) return w;
    if (auto f = sink.Finish(file_size_); !f) return f;
  }
  summary_.file_size = file_size_;
  next_ = Phase::kResume;
  return {};
}

void Dumper::Resume() {
  Notify(Phase::kResume);
  source_.Resume();
  summary_.stopped = source_.stopped_for();
  summary_.elapsed = std::chrono::steady_clock::now() - started_;
  next_ = Phase::kDone;
}

Result<DumpSummary> Dumper::Run(Sink& sink) {
  auto run = [&]() -> Result<void> {
    if (auto r = Suspend(); !r) return r;
    if (auto r = CollectProcessNotes(); !r) return r;
    if (auto r = CollectThreadNotes(); !r) return r;
    if (auto r = PlanMemory(); !r) return r;
    if (auto r = WriteHeaders(sink); !r) return r;
    return WriteMemory(sink);
  };
  const Result<void> result = run();
  Resume();
  if (!result) return Unexpected(result.error());
  Notify(Phase::kDone);
  return summary_;
}

}  // namespace corekit::dump
