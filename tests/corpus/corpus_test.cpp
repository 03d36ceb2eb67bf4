// The peer corpus: 84 cores written by other projects' kernels and tools, with the facts their
// own test suites assert (../shared/corpus/expected/*.txt, format in its MANIFEST.md).
//
// One test per fact file. Every fact the core alone determines is checked against corekit's
// reader; facts that need something the corpus does not ship (the executables, hence symbols and
// frames) or a later layer (the unwinder) are counted as skipped with their reason, never
// silently passed. Every core must open, damaged ones included.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "corekit/core/core_file.h"
#include "corekit/elf/constants.h"
#include "corekit/elf/core_notes.h"
#include "corekit/unwind/unwinder.h"

namespace corekit {
namespace {

namespace fs = std::filesystem;

fs::path CorpusDir() {
  if (const char* env = std::getenv("COREKIT_CORPUS")) return env;
  return COREKIT_DEFAULT_CORPUS;
}

struct Fact {
  std::string section;
  std::string line;
  std::vector<std::string> words;            // words without '='
  std::map<std::string, std::string> values;  // key=value pairs (quotes removed)
  std::vector<std::pair<std::string, std::string>> ordered;  // the same, in order
};

Fact ParseFact(const std::string& section, std::string line) {
  Fact f;
  f.section = section;
  if (auto hash = line.find(" # "); hash != std::string::npos) line = line.substr(0, hash);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  f.line = line;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    std::string token;
    bool quoted = false;
    while (i < line.size() && (quoted || line[i] != ' ')) {
      if (line[i] == '"') {
        quoted = !quoted;
      } else {
        token += line[i];
      }
      ++i;
    }
    if (auto eq = token.find('='); eq != std::string::npos && eq > 0) {
      f.values[token.substr(0, eq)] = token.substr(eq + 1);
      f.ordered.emplace_back(token.substr(0, eq), token.substr(eq + 1));
    } else {
      f.words.push_back(token);
    }
  }
  return f;
}

// Parses "0x1f", "31" or "-2" into a 64-bit pattern.
std::optional<std::uint64_t> Number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
      std::uint64_t v = std::stoull(text, &used, 16);
      return used == text.size() ? std::optional(v) : std::nullopt;
    }
    if (text[0] == '-') {
      std::int64_t v = std::stoll(text, &used, 10);
      return used == text.size() ? std::optional(static_cast<std::uint64_t>(v)) : std::nullopt;
    }
    std::uint64_t v = std::stoull(text, &used, 10);
    return used == text.size() ? std::optional(v) : std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

bool SameModWidth(std::uint64_t a, std::uint64_t b, unsigned width) {
  if (width >= 8) return a == b;
  const std::uint64_t mask = (std::uint64_t{1} << (8 * width)) - 1;
  return (a & mask) == (b & mask);
}

std::vector<std::uint8_t> ByteList(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::string t = text;
  if (t.size() >= 2 && t.front() == '{') t = t.substr(1, t.size() - 2);
  std::stringstream ss(t);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(static_cast<std::uint8_t>(*Number(item)));
  return out;
}

class FactChecker {
 public:
  explicit FactChecker(core::CoreFile& core) : core_(core) {}

  void Check(const Fact& f) {
    // Each section lists the notes and NT_FILE entries from the start again.
    if (f.section != section_) {
      section_ = f.section;
      note_index_ = 0;
      nt_file_index_ = 0;
    }
    const std::string& subject = f.words.empty() ? "" : f.words[0];
    if (f.values.count("module-count")) return Skip("modules need the unwinder (issue 3)");
    if (subject == "core" || subject == "exe") return;  // header lines, not facts
    if (subject == "process") return CheckProcess(f);
    if (subject == "thread") return CheckThread(f);
    if (subject == "note") return CheckNote(f);
    if (subject == "prpsinfo") return CheckPrpsinfo(f);
    if (subject == "siginfo") return CheckSiginfo(f);
    if (subject == "auxv") return CheckAuxv(f);
    if (subject == "nt_file") return CheckNtFile(f);
    if (subject == "elf") return CheckElf(f);
    if (subject == "file") return CheckFile(f);
    if (subject == "mem") return CheckMem(f);
    if (subject == "map") return CheckMap(f);
    if (subject == "vmcoreinfo") return CheckVmcoreinfo(f);
    if (f.values.count("os")) return Expect(f, Lower(f.values.at("os")) == std::string(elf::OsName(core_.abi().os)), "os");
    if (subject == "module") return CheckModule(f);
    if (subject == "addr") return CheckAddr(f);
    if (subject == "symbol" && f.words.size() > 2 && f.words[1] == "vdso") return CheckVdsoSymbol(f);
    if (subject == "backtrace" || subject == "symbol") {
      return Skip("frames and symbols of the peer's executables need those executables");
    }
    if (subject == "memory") return Skip("lldb's memory-region count is lldb's own notion");
    if (subject == "mapping") return Skip("mappings located by symbol need the peer's executable");
    if (subject == "readelf-compat") return Skip("byte-exact GNU readelf output is readelf's format");
    if (subject == "arch") return CheckElf(f);
    if (subject == "rizin" && f.values.count("iSS_line_count")) {
      // rizin prints one line per program header plus three of header and footer.
      return ExpectNumber(f, "iSS_line_count", core_.elf().program_headers().size() + 3);
    }
    if (f.values.count("producer")) {
      const std::string want = f.values.at("producer");
      const std::string actual(target::ProducerName(core_.producer()));
      return Expect(f, want == actual || (want == "gdb-gcore" && actual == "gcore"),
                    "producer: corekit says " + actual);
    }
    Fail(f, "unknown fact kind");
  }

  int checked = 0;
  std::map<std::string, int> skipped;
  std::vector<std::string> failures;

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  void Skip(const std::string& why) { ++skipped[why]; }
  void Fail(const Fact& f, const std::string& what) {
    failures.push_back("[" + f.section + "] " + f.line + "  <-- " + what);
  }
  void Expect(const Fact& f, bool ok, const std::string& what) {
    ++checked;
    if (!ok) Fail(f, what);
  }
  void ExpectNumber(const Fact& f, const std::string& key, std::optional<std::uint64_t> actual,
                    unsigned width = 8) {
    auto expected = Number(f.values.at(key));
    ++checked;
    if (!expected) return Fail(f, key + ": unparsable expected value");
    if (!actual) return Fail(f, key + ": corekit has no value");
    if (!SameModWidth(*expected, *actual, width)) {
      std::ostringstream os;
      os << key << ": corekit says 0x" << std::hex << *actual;
      Fail(f, os.str());
    }
  }

  void CheckProcess(const Fact& f) {
    const target::Process& p = core_.process();
    for (const auto& [key, value] : f.ordered) {
      if (key == "pid") {
        ExpectNumber(f, key, p.pid ? std::optional<std::uint64_t>(*p.pid) : std::nullopt, 4);
      } else if (key == "nthreads" || key == "nthreads_prstatus" || key == "nlwps") {
        ExpectNumber(f, key, core_.threads().size());
      } else if (key == "tids" || key == "lwps") {
        std::vector<std::int64_t> tids;
        for (const auto& t : core_.threads()) tids.push_back(t.tid);
        std::sort(tids.begin(), tids.end());
        std::string actual;
        for (auto t : tids) actual += (actual.empty() ? "" : ",") + std::to_string(t);
        Expect(f, actual == value, key + ": corekit says " + actual);
      } else if (key == "signal") {
        ExpectNumber(f, key, p.signal ? p.signal->number : 0);
      } else if (key == "sigcode") {
        ExpectNumber(f, key, p.signal && p.signal->code ? std::optional<std::uint64_t>(*p.signal->code) : std::nullopt, 4);
      } else if (key == "name") {
        Expect(f, p.executable == value, "name: corekit says " + p.executable);
      } else if (key == "siglwp") {
        // The procinfo field itself (0: a process-directed signal).
        std::optional<std::uint64_t> siglwp;
        for (const elf::Note& n : core_.notes()) {
          if (n.owner == "NetBSD-CORE" && n.type == elf::NT_NETBSDCORE_PROCINFO) {
            if (auto info = elf::DecodeNetBsdProcinfo(n.desc); info && info->siglwp) {
              siglwp = static_cast<std::uint64_t>(*info->siglwp);
            }
          }
        }
        ExpectNumber(f, key, siglwp, 4);
      } else if (key == "terminated-signal") {
        ExpectNumber(f, key, p.signal ? p.signal->number : 0);
      } else if (key == "args") {
        Expect(f, p.command_line == value || p.command_line == value + " ", "args: corekit says " + p.command_line);
      } else if (key == "arch") {
        const std::string arch(elf::ArchName(core_.abi().arch));
        Expect(f, arch == value || (value == "amd64" && arch == "x86_64"), "arch: corekit says " + arch);
      } else if (key == "ptrsize") {
        ExpectNumber(f, key, core_.abi().long_size);
      } else if (key == "logptrsize") {
        ExpectNumber(f, key, core_.abi().long_size == 8 ? 3 : 2);
      } else if (key == "byteorder") {
        Expect(f, (value == "LittleEndian") == (core_.abi().endian == elf::Endian::kLittle), "byteorder");
      } else if (key == "state") {
        Skip("process state is the debugger's (stopped), not the core's");
      } else {
        Fail(f, "unknown process key " + key);
      }
    }
  }

  // Resolves the thread selector of a `thread T ...` fact.
  std::vector<const target::Thread*> Select(const std::string& which, bool* any) {
    std::vector<const target::Thread*> out;
    const auto& threads = core_.threads();
    *any = which == "any";
    const target::Thread* crashed = nullptr;
    if (auto tid = core_.process().signalled_thread) crashed = core_.FindThread(*tid);
    if (!crashed && !threads.empty()) crashed = &threads.front();
    if (which == "selected" || which == "crashed") {
      if (crashed) out.push_back(crashed);
    } else if (which == "main") {
      for (const auto& t : threads) {
        if (core_.process().pid && t.tid == *core_.process().pid) out.push_back(&t);
      }
    } else if (which == "all" || which == "any") {
      for (const auto& t : threads) out.push_back(&t);
    } else if (which == "other") {
      for (const auto& t : threads) {
        if (&t != crashed) out.push_back(&t);
      }
    } else if (auto tid = Number(which)) {
      for (const auto& t : threads) {
        if (static_cast<std::uint64_t>(t.tid) == *tid) out.push_back(&t);
      }
    }
    return out;
  }

  // Checks `key=value` of one thread; returns an error text or "".
  std::string ThreadValue(const target::Thread& t, const std::string& key, const std::string& value,
                          const std::string& kind) {
    auto expected = Number(value);
    auto mismatch = [&](std::uint64_t actual) {
      std::ostringstream os;
      os << key << ": corekit says " << std::dec << static_cast<std::int64_t>(actual) << " (0x"
         << std::hex << actual << ")";
      return os.str();
    };
    if (kind == "reg" || kind == "note") {
      std::string name = key;
      const elf::RegisterLayout& layout = elf::GeneralRegisterLayout(core_.abi(), 0);
      const elf::Register* r = t.FindRegister(name);
      if (!r) {
        for (const auto& [alias, real] : layout.aliases) {
          if (alias == name) r = t.FindRegister(real);
        }
      }
      if (!r) return "?";
      if (value.front() == '{') {
        auto bytes = ByteList(value);
        return bytes == r->bytes ? "" : key + ": corekit's bytes differ";
      }
      if (r->width > 8 && value.size() > 18 && value.rfind("0x", 0) == 0) {
        // A wide register as one hex number: most significant byte first.
        std::vector<std::uint8_t> bytes;
        for (std::size_t i = value.size(); i >= 4; i -= 2) {
          bytes.push_back(static_cast<std::uint8_t>(std::stoul(value.substr(i - 2, 2), nullptr, 16)));
        }
        bytes.resize(r->bytes.size(), 0);
        return bytes == r->bytes ? "" : key + ": corekit's bytes differ";
      }
      if (!expected) return key + ": unparsable";
      return SameModWidth(*expected, r->value, r->width) ? "" : mismatch(r->value);
    }
    if (kind == "prstatus") {
      if (!t.prstatus) return key + ": no prstatus";
      std::int64_t actual = key == "pid" ? t.prstatus->pid : key == "ppid" ? t.prstatus->ppid
                            : key == "pgrp" ? t.prstatus->pgrp : t.prstatus->sid;
      return SameModWidth(*expected, static_cast<std::uint64_t>(actual), 4) ? "" : mismatch(static_cast<std::uint64_t>(actual));
    }
    if (key == "signal" && kind == "cursig") {
      if (!t.prstatus) return "signal: no prstatus";
      const auto actual = static_cast<std::uint64_t>(t.prstatus->cursig);
      return *expected == actual ? "" : mismatch(actual);
    }
    if (key == "signal") {
      const std::uint64_t actual = t.signal ? t.signal->number : 0;
      return *expected == actual ? "" : mismatch(actual);
    }
    if (key == "si_signo" || key == "si_code" || key == "si_errno") {
      if (!t.prstatus) return key + ": no prstatus";
      const std::int32_t actual = key == "si_signo" ? t.prstatus->si_signo
                                  : key == "si_code" ? t.prstatus->si_code : t.prstatus->si_errno;
      return SameModWidth(*expected, static_cast<std::uint64_t>(actual), 4) ? "" : mismatch(static_cast<std::uint64_t>(actual));
    }
    if (key == "tid") return static_cast<std::uint64_t>(t.tid) == *expected ? "" : mismatch(static_cast<std::uint64_t>(t.tid));
    if (key == "fpvalid") {
      if (!t.prstatus || !t.prstatus->fpvalid) return "fpvalid: none";
      return static_cast<std::uint64_t>(*t.prstatus->fpvalid) == *expected ? "" : mismatch(static_cast<std::uint64_t>(*t.prstatus->fpvalid));
    }
    return "?";
  }

  void CheckThread(const Fact& f) {
    if (f.words.size() < 2) return Fail(f, "no thread selector");
    const std::string& which = f.words[1];
    const std::string kind = f.words.size() > 2 ? f.words[2] : "";
    if (kind == "frame" || kind == "iframe" || kind == "frames-prefix" || kind == "frames-contain" ||
        f.values.count("nframes") || f.line.find("nframes") != std::string::npos) {
      return Skip("frames need the unwinder and the peer's executables (issue 3)");
    }
    bool any = false;
    auto threads = Select(which, &any);
    if (threads.empty()) return Expect(f, false, "no thread matches " + which);
    for (const auto& [key, value] : f.ordered) {
      if (key == "name") {
        Skip("thread names: Linux cores record none (lldb shows pr_fname)");
        continue;
      }
      if (key == "stop_reason_data_count") {
        Skip("lldb's stop-reason data count");
        continue;
      }
      std::string kind_for_value = kind == "reg" || kind == "note" || kind == "prstatus" ? kind : "";
      // eu-readelf's lines ("signal=6 si_signo=6 ...") report the raw pr_cursig.
      if (key == "signal" && f.values.count("si_signo")) kind_for_value = "cursig";
      if (kind == "note" && f.words.size() > 3) {
        const std::string& note = f.words[3];
        if (note != "FPREGSET" && note != "ARM_VFP") {
          Skip("register notes other than FPREGSET/ARM_VFP are listed, not decoded");
          continue;
        }
      }
      std::string error;
      bool unknown = false;
      int matched = 0;
      for (const target::Thread* t : threads) {
        std::string e = ThreadValue(*t, key, value, kind_for_value);
        if (e == "?") {
          unknown = true;
          break;
        }
        if (e.empty()) {
          ++matched;
        } else if (error.empty()) {
          error = e;
        }
      }
      if (unknown) {
        Skip(kind == "reg" ? "register corekit does not name for this ABI"
                           : kind == "note" ? "FP register corekit does not decode for this ABI"
                                            : "thread key " + key);
        continue;
      }
      Expect(f, any ? matched > 0 : error.empty(), error);
    }
  }

  void CheckNote(const Fact& f) {
    const auto& notes = core_.notes();
    const std::size_t index = note_index_++;
    if (index >= notes.size()) return Expect(f, false, "corekit found only " + std::to_string(notes.size()) + " notes");
    const elf::Note& n = notes[index];
    std::string type(elf::NoteTypeName(n.owner, n.type));
    if (type.rfind("NT_", 0) == 0) type = type.substr(3);
    const std::string& want_type = f.values.at("type");
    // eu-readelf spells types it does not know "<unknown>: 776" (decimal).
    auto want_number = want_type.rfind("<unknown>:_", 0) == 0 ? Number(want_type.substr(11))
                                                               : Number(want_type);
    const bool type_ok = want_number ? *want_number == n.type : want_type == type;
    Expect(f, std::string(n.owner) == f.values.at("owner") && type_ok &&
                  Number(f.values.at("descsz")) == n.desc.size(),
           "corekit's note " + std::to_string(index) + " is " + std::string(n.owner) + " " + type +
               " of " + std::to_string(n.desc.size()) + " bytes");
  }

  const elf::Note* FindNote(std::uint32_t type) {
    for (const elf::Note& n : core_.notes()) {
      if ((n.owner == "CORE" || n.owner == "LINUX") && n.type == type) return &n;
    }
    return nullptr;
  }

  void CheckPrpsinfo(const Fact& f) {
    const elf::Note* note = FindNote(elf::NT_PRPSINFO);
    if (!note) return Expect(f, false, "no NT_PRPSINFO");
    auto p = elf::DecodeLinuxPrpsinfo(note->desc, core_.abi());
    if (!p) return Expect(f, false, p.error().message);
    for (const auto& [key, value] : f.ordered) {
      if (key == "fname") Expect(f, p->fname == value, "fname: corekit says " + p->fname);
      else if (key == "psargs") {
        // The [observed] lines were scraped from eu-readelf up to the first space.
        // Peers disagree on the kernel's trailing space (pyelftools keeps it, eu-readelf not).
        auto trim = [](std::string t) {
          while (!t.empty() && t.back() == ' ') t.pop_back();
          return t;
        };
        const bool ok = p->psargs == value || trim(p->psargs) == trim(value) ||
                        (f.section == "observed" && p->psargs.rfind(value + " ", 0) == 0);
        Expect(f, ok, "psargs: corekit says " + p->psargs);
      }
      else if (key == "sname") Expect(f, p->state && std::string(1, *p->state) == value, "sname");
      else if (key == "state") ExpectNumber(f, key, static_cast<std::uint64_t>(p->state_number.value_or(-1)), 1);
      else if (key == "zomb") ExpectNumber(f, key, static_cast<std::uint64_t>(p->zombie.value_or(-1)), 1);
      else if (key == "nice") ExpectNumber(f, key, static_cast<std::uint64_t>(p->nice.value_or(0)), 1);
      else if (key == "flag") ExpectNumber(f, key, p->flag);
      else if (key == "uid") ExpectNumber(f, key, p->uid, 4);
      else if (key == "gid") ExpectNumber(f, key, p->gid, 4);
      else if (key == "pid") ExpectNumber(f, key, static_cast<std::uint64_t>(*p->pid), 4);
      else if (key == "ppid") ExpectNumber(f, key, static_cast<std::uint64_t>(*p->ppid), 4);
      else if (key == "pgrp") ExpectNumber(f, key, static_cast<std::uint64_t>(*p->pgrp), 4);
      else if (key == "sid") ExpectNumber(f, key, static_cast<std::uint64_t>(*p->sid), 4);
      else Fail(f, "unknown prpsinfo key " + key);
    }
  }

  void CheckSiginfo(const Fact& f) {
    const std::optional<target::Signal>& s = core_.process().signal;
    for (const auto& [key, value] : f.ordered) {
      if (!s) {
        Expect(f, false, "corekit has no signal");
        continue;
      }
      if (key == "si_signo") ExpectNumber(f, key, static_cast<std::uint64_t>(s->number), 4);
      else if (key == "si_code") ExpectNumber(f, key, s->code ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(*s->code)) : std::nullopt, 4);
      else if (key == "si_errno") ExpectNumber(f, key, s->errno_value ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(*s->errno_value)) : std::nullopt, 4);
      else if (key == "fault_address") ExpectNumber(f, key, s->fault_address, core_.abi().long_size);
      else Fail(f, "unknown siginfo key " + key);
    }
  }

  void CheckAuxv(const Fact& f) {
    const auto& auxv = core_.process().auxv;
    if (f.ordered.empty()) {
      const std::string& name = f.words.size() > 1 ? f.words[1] : "";
      bool found = false;
      for (const auto& e : auxv) found |= "AT_" + name == elf::AuxvName(e.type);
      return Expect(f, found, "no AT_" + name);
    }
    for (const auto& [key, value] : f.ordered) {
      const elf::AuxvEntry* entry = nullptr;
      for (const auto& e : auxv) {
        if ("AT_" + key == elf::AuxvName(e.type)) entry = &e;
      }
      if (!entry) {
        Expect(f, false, "no AT_" + key);
        continue;
      }
      ExpectNumber(f, key, entry->value, core_.abi().long_size);
    }
  }

  void CheckNtFile(const Fact& f) {
    const auto& maps = core_.file_mappings();
    if (f.values.count("count")) return ExpectNumber(f, "count", maps.size());
    const std::size_t index = nt_file_index_++;
    if (index >= maps.size()) return Expect(f, false, "corekit has only " + std::to_string(maps.size()) + " NT_FILE entries");
    const elf::FileMapping& m = maps[index];
    ExpectNumber(f, "start", m.start);
    ExpectNumber(f, "end", m.end);
    if (f.values.count("offset")) ExpectNumber(f, "offset", m.offset);
    if (f.values.count("page_offset")) {
      const std::uint64_t page = 4096;  // eu-readelf's page_offset is in pages of the note's page_size
      auto expected = Number(f.values.at("page_offset"));
      Expect(f, expected && (*expected == m.offset / page || *expected * page == m.offset ||
                             *expected == m.offset),
             "page_offset");
    }
    Expect(f, m.path == f.values.at("path"), "path: corekit says " + m.path);
  }

  void CheckElf(const Fact& f) {
    const elf::ElfFile& e = core_.elf();
    std::size_t pt_load = 0;
    for (const auto& ph : e.program_headers()) pt_load += ph.p_type == elf::PT_LOAD;
    for (const auto& [key, value] : f.ordered) {
      if (key == "class") Expect(f, value == (e.is64() ? "ELF64" : "ELF32"), "class");
      else if (key == "data") Expect(f, value == (e.endian() == elf::Endian::kLittle ? "LSB" : "MSB"), "data");
      else if (key == "e_machine") ExpectNumber(f, key, e.machine());
      else if (key == "e_phnum") {
        if (value == "PN_XNUM") Expect(f, e.uses_pn_xnum(), "e_phnum is not PN_XNUM");
        else ExpectNumber(f, key, e.raw_phnum());
      } else if (key == "phnum") ExpectNumber(f, key, e.program_headers().size());
      else if (key == "e_shnum") ExpectNumber(f, key, e.shnum());
      else if (key == "pt_load") ExpectNumber(f, key, pt_load);
      else if (key == "osabi") Expect(f, (value == "SYSV") == (e.osabi() == 0), "osabi");
      else if (key == "sections") {
        std::string names;
        for (std::size_t i = 1; i < e.section_headers().size(); ++i) {
          names += (names.empty() ? "" : ",") + e.SectionName(e.section_headers()[i]);
        }
        Expect(f, names.rfind(value, 0) == 0, "sections: corekit says " + names);
      } else if (key == "machine" || key == "classify" || key == "type" || key == "triple") {
        Skip("elf " + key + ": the peer's own spelling");
      } else if (key == "e_phoff") ExpectNumber(f, key, e.phoff());
      else if (key == "e_shoff") ExpectNumber(f, key, e.shoff());
      else if (key == "e_phentsize") ExpectNumber(f, key, e.is64() ? 56 : 32);
      else Skip("elf key " + key);
    }
  }

  void CheckFile(const Fact& f) {
    const elf::Bytes bytes = core_.file().bytes();
    if (f.values.count("size")) return ExpectNumber(f, "size", bytes.size());
    if (f.words.size() >= 3 && f.words[1] == "offset" && f.values.count("u32le")) {
      auto offset = Number(f.words[2]);
      return ExpectNumber(f, "u32le", bytes.WithEndian(elf::Endian::kLittle).U32(*offset), 4);
    }
    Fail(f, "unknown file fact");
  }

  void CheckMem(const Fact& f) {
    if (f.values.count("symbol")) return Skip("memory at a symbol needs the peer's executable");
    auto address = Number(f.words.size() > 1 ? f.words[1] : "");
    if (!address) return Fail(f, "no address");
    if (std::find(f.words.begin(), f.words.end(), "unreadable") != f.words.end()) {
      std::uint8_t byte;
      auto got = core_.ReadSome(*address, std::span<std::uint8_t>(&byte, 1));
      return Expect(f, !got, "corekit read a byte there");
    }
    if (f.values.count("read_request")) {
      const std::size_t want = static_cast<std::size_t>(*Number(f.values.at("read_request")));
      std::vector<std::uint8_t> buffer(want);
      std::size_t done = 0;
      while (done < want) {
        auto got = core_.ReadSome(*address + done, std::span<std::uint8_t>(buffer.data() + done, want - done));
        if (!got) break;
        done += *got;
      }
      return ExpectNumber(f, "read_len", done);
    }
    std::vector<std::uint8_t> expected;
    if (f.values.count("u8")) expected = {static_cast<std::uint8_t>(*Number(f.values.at("u8")))};
    if (f.values.count("u16le")) {
      const auto v = *Number(f.values.at("u16le"));
      expected = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)};
    }
    if (f.values.count("bytes")) {
      const std::string& hex = f.values.at("bytes");
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        expected.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
      }
    }
    std::vector<std::uint8_t> actual(expected.size());
    auto read = core_.ReadExact(*address, actual);
    Expect(f, read.has_value() && actual == expected, read ? "bytes differ" : read.error().message);
  }

  // rizin's address map: `fmap` ranges are bytes in the core (offset = the core file offset);
  // `mmap` ranges come from the named file at `offset`.
  void CheckMap(const Fact& f) {
    const auto start = *Number(f.values.at("start"));
    const auto offset = *Number(f.values.at("offset"));
    const core::Segment* s = core_.FindSegment(start);
    if (f.values.at("kind") == "fmap") {
      Expect(f, s && start - s->vaddr < s->available && s->offset + (start - s->vaddr) == offset,
             "not in the core at that file offset");
      return;
    }
    const elf::FileMapping* m = nullptr;
    for (const auto& fm : core_.file_mappings()) {
      if (start >= fm.start && start < fm.end) m = &fm;
    }
    // rizin calls a whole segment "mmap" when the core holds only part of it (the ELF header),
    // and gives no file offset for it (always 0).
    Expect(f, (!s || s->available < s->memsz) && m && m->path == f.values.at("name"),
           "not a file-backed range of that file");
  }

  void CheckVmcoreinfo(const Fact& f) {
    std::string text;
    for (const elf::Note& n : core_.notes()) {
      if (n.owner == "VMCOREINFO") text = std::string(n.desc.AsString());
    }
    for (const auto& [key, value] : f.ordered) {
      const std::string entry = key + "=" + value;
      const std::size_t at = text.find(entry);
      const bool whole = at != std::string::npos && (at == 0 || text[at - 1] == '\n') &&
                         (at + entry.size() == text.size() || text[at + entry.size()] == '\n' ||
                          text[at + entry.size()] == '\0');
      Expect(f, whole, "VMCOREINFO lacks " + entry);
    }
  }

  // Modules as corekit finds them from the core alone (no sysroot: the peer's files are absent).
  const std::vector<unwind::Module>& Modules() {
    if (!modules_) modules_ = unwind::FindModules(core_, unwind::ModuleOptions{"", "/nonexistent-sysroot"});
    return *modules_;
  }
  unwind::Unwinder* Unwinder() {
    if (!unwinder_tried_) {
      unwinder_tried_ = true;
      unwind::UnwindOptions options;
      options.modules.sysroot = "/nonexistent-sysroot";
      if (auto u = unwind::Unwinder::Create(core_, options)) unwinder_ = std::move(*u);
    }
    return unwinder_.get();
  }

  static std::string Base(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }

  // eu-unstrip -n's module list: the executable is "[exe]", the vDSO "linux-vdso*"/"linux-gate*".
  void CheckModule(const Fact& f) {
    const std::string& name = f.words.size() > 1 ? f.words[1] : "";
    const bool vdso = name.rfind("linux-vdso", 0) == 0 || name.rfind("linux-gate", 0) == 0;
    const unwind::Module* found = nullptr;
    for (const unwind::Module& m : Modules()) {
      const bool match = name == "[exe]" ? m.source == "exe" : vdso ? m.source == "vdso" : Base(m.name) == Base(name);
      if (match) found = &m;
    }
    if (f.values.count("bias") && !f.values.count("start")) {
      return Skip("a module bias derived from the peer's symbol dump (ppc64 ELFv1 .opd)");
    }
    // The peer names the executable after the file given with -e; then the start identifies it.
    if (!found && f.values.count("start")) {
      for (const unwind::Module& m : Modules()) {
        if (m.source == "exe" && Number(f.values.at("start")) == m.start) found = &m;
      }
    }
    if (!found) return Expect(f, false, "corekit found no module " + name);
    if (f.values.count("start")) ExpectNumber(f, "start", found->start);
    if (f.values.count("build_id")) {
      const std::string& want = f.values.at("build_id");
      Expect(f, want == "-" ? !found->build_id : found->build_id == want,
             "build_id: corekit says " + found->build_id.value_or("-"));
    }
    if (f.values.count("size")) Skip("module size: eu-unstrip rounds the end to the segment alignment");
  }

  void CheckAddr(const Fact& f) {
    auto address = Number(f.words.size() > 1 ? f.words[1] : "");
    unwind::Unwinder* u = Unwinder();
    if (!u) return Skip("unwinding this architecture is not supported yet");
    if (f.values.count("section")) return Skip("symbols of the peer's executable need that executable");
    auto symbol = u->SymbolAt(*address);
    std::string want = f.values.at("symbol");
    std::uint64_t want_offset = 0;
    if (auto plus = want.find('+'); plus != std::string::npos) {
      want_offset = *Number(want.substr(plus + 1));
      want = want.substr(0, plus);
    }
    if (!symbol) {
      // Symbols of libraries and executables the corpus does not ship.
      const bool in_vdso = std::any_of(Modules().begin(), Modules().end(), [&](const unwind::Module& m) {
        return m.source == "vdso" && *address >= m.start && *address < m.end;
      });
      if (!in_vdso) return Skip("symbols of the peer's libraries need those files");
    }
    Expect(f, symbol && symbol->first == want && symbol->second == want_offset,
           "corekit says " + (symbol ? symbol->first + "+" + std::to_string(symbol->second) : std::string("nothing")));
  }

  void CheckVdsoSymbol(const Fact& f) {
    unwind::Unwinder* u = Unwinder();
    if (!u) return Skip("unwinding this architecture is not supported yet");
    auto address = u->SymbolAddress(f.words[2]);
    ExpectNumber(f, "addr", address);
  }

  core::CoreFile& core_;
  std::optional<std::vector<unwind::Module>> modules_;
  std::unique_ptr<unwind::Unwinder> unwinder_;
  bool unwinder_tried_ = false;
  std::string section_;
  std::size_t note_index_ = 0;
  std::size_t nt_file_index_ = 0;
};

std::vector<std::string> FactFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(CorpusDir() / "expected", ec)) {
    if (entry.path().extension() == ".txt") out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) out.push_back("(corpus absent)");
  return out;
}

class CorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusTest, CoreAloneFacts) {
  const fs::path facts_path = CorpusDir() / "expected" / GetParam();
  if (!fs::exists(facts_path)) GTEST_SKIP() << "the peer corpus is not at " << CorpusDir();
  std::ifstream in(facts_path);
  std::string line, section, core_rel;
  std::vector<Fact> facts;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    if (line.rfind("core ", 0) == 0) core_rel = line.substr(5);
    facts.push_back(ParseFact(section, line));
  }
  ASSERT_FALSE(core_rel.empty()) << "no `core` line";
  auto core = core::CoreFile::Open((CorpusDir() / core_rel).string());
  ASSERT_TRUE(core.has_value()) << core.error().message;
  FactChecker checker(**core);
  for (const Fact& f : facts) checker.Check(f);
  for (const std::string& failure : checker.failures) ADD_FAILURE() << failure;
  std::string skipped;
  for (const auto& [why, count] : checker.skipped) skipped += "\n  skipped " + std::to_string(count) + ": " + why;
  RecordProperty("checked", checker.checked);
  std::cout << GetParam() << ": " << checker.checked << " facts checked" << skipped << "\n";
  EXPECT_GT(checker.checked + static_cast<int>(checker.skipped.size()), 0);
}

INSTANTIATE_TEST_SUITE_P(Peers, CorpusTest, ::testing::ValuesIn(FactFiles()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace corekit
