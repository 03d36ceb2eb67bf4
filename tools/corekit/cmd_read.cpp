// corekit read CORE ADDR LEN [--raw]: process memory by virtual address.
//
// Text mode prints a hexdump in which absent ranges are shown as such, with the reason; --raw
// writes exactly LEN bytes or, when any byte is absent, nothing at all and an error naming the
// first absent address. Memory use is bounded by the chunk size, whatever LEN is.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "render.h"

namespace corekit::tools {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::uint64_t kMaxLength = std::uint64_t{1} << 32;

struct ReadOptions {
  CommonOptions common;
  std::string address;
  std::string length;
  bool raw = false;
  std::optional<std::int64_t> tid;
};

// A maximal run of present or absent bytes.
struct Run {
  std::uint64_t address = 0, length = 0;
  bool present = false;
  std::string reason;
};

// Walks [address, address + length) and calls `visit` for each run; present runs come with
// their bytes, chunk by chunk.
template <typename Visit>
void Walk(target::Target& t, std::uint64_t address, std::uint64_t length, Visit visit) {
  std::vector<std::uint8_t> buffer(kChunk);
  std::uint64_t pos = 0;
  while (pos < length) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length - pos));
    auto got = t.ReadSome(address + pos, std::span<std::uint8_t>(buffer.data(), want));
    if (got) {
      visit(Run{address + pos, *got, true, {}}, buffer.data());
      pos += *got;
      continue;
    }
    // Absent: find where presence resumes, a page at a time.
    Run gap{address + pos, 0, false, got.error().message};
    std::uint64_t next = ((address + pos) | 0xfff) + 1 - address;
    std::uint8_t probe = 0;
    while (next < length && !t.ReadSome(address + next, std::span<std::uint8_t>(&probe, 1))) next += 0x1000;
    next = std::min(next, length);
    gap.length = next - pos;
    visit(gap, nullptr);
    pos = next;
  }
}

bool WriteAll(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

int RunRead(target::Target& core, const ReadOptions& options) {
  const target::Thread* thread = options.tid ? core.FindThread(*options.tid) : DefaultThread(core);
  if (options.tid && !thread) return Fail(fmt::format("no thread {} in the core", *options.tid));
  auto address = ParseAddress(options.address, thread, core.abi());
  if (!address) return Fail(address.error());
  auto length = ParseAddress(options.length, nullptr, core.abi());
  if (!length) return Fail("LEN: " + length.error().message);
  if (*length > kMaxLength) return Fail(fmt::format("LEN {} is larger than the 4 GiB limit", *length));
  if (*address + *length < *address) return Fail("ADDR + LEN wraps around the address space");

  if (options.raw) {
    // First pass: prove every byte is there, so that stdout gets all LEN bytes or none.
    std::optional<Run> first_gap;
    Walk(core, *address, *length, [&](const Run& run, const std::uint8_t*) {
      if (!run.present && !first_gap) first_gap = run;
    });
    if (first_gap) return Fail(first_gap->reason);
    bool ok = true;
    Walk(core, *address, *length, [&](const Run& run, const std::uint8_t* bytes) {
      if (ok && run.present) ok = WriteAll(bytes, static_cast<std::size_t>(run.length));
    });
    if (!ok) return Fail(std::string("writing to stdout: ") + std::strerror(errno));
    return 0;
  }

  std::vector<Run> runs;
  std::string hex;  // for JSON
  std::optional<Run> first_gap;
  std::uint64_t absent = 0;
  const bool is64 = core.abi().is64;
  std::vector<std::uint8_t> line;
  std::uint64_t line_address = *address;
  auto flush_line = [&] {
    if (line.empty()) return;
    std::string hexes, text;
    for (std::size_t i = 0; i < 16; ++i) {
      if (i < line.size()) {
        hexes += fmt::format("{:02x} ", line[i]);
        text += line[i] >= 0x20 && line[i] < 0x7f ? static_cast<char>(line[i]) : '.';
      } else {
        hexes += "   ";
      }
      if (i == 7) hexes += ' ';
    }
    Print("{}  {} |{}|\n", HexAddress(line_address, is64), hexes, text);
    line_address += line.size();
    line.clear();
  };
  Walk(core, *address, *length, [&](const Run& run, const std::uint8_t* bytes) {
    if (options.common.json) {
      Run r = run;
      runs.push_back(r);
      if (run.present) {
        std::string& h = runs.back().reason;  // reused to carry the hex of a present run
        for (std::uint64_t i = 0; i < run.length; ++i) h += fmt::format("{:02x}", bytes[i]);
      }
      if (!run.present) {
        absent += run.length;
        if (!first_gap) first_gap = run;
      }
      return;
    }
    if (!run.present) {
      flush_line();
      Print("{}  -- {} absent: {}\n", HexAddress(run.address, is64), HumanSize(run.length), run.reason);
      line_address = run.address + run.length;
      absent += run.length;
      if (!first_gap) first_gap = run;
      return;
    }
    for (std::uint64_t i = 0; i < run.length; ++i) {
      line.push_back(bytes[i]);
      if (line.size() == 16) flush_line();
    }
  });
  if (options.common.json) {
    // Merge consecutive present chunks into one run.
    nlohmann::json list = nlohmann::json::array();
    for (const Run& r : runs) {
      if (!list.empty() && r.present && list.back()["present"].get<bool>()) {
        auto& last = list.back();
        last["length"] = last["length"].get<std::uint64_t>() + r.length;
        last["hex"] = last["hex"].get<std::string>() + r.reason;
        continue;
      }
      if (r.present) {
        list.push_back({{"address", HexAddress(r.address)}, {"length", r.length}, {"present", true}, {"hex", r.reason}});
      } else {
        list.push_back({{"address", HexAddress(r.address)}, {"length", r.length}, {"present", false}, {"reason", r.reason}});
      }
    }
    PrintJson({{"address", HexAddress(*address)}, {"length", *length}, {"absent_bytes", absent}, {"runs", list}});
    return 0;
  }
  flush_line();
  if (first_gap) {
    return Fail(fmt::format("{} of {} bytes are absent, the first at {}", absent, *length,
                            HexAddress(first_gap->address)));
  }
  return 0;
}

}  // namespace

void AddReadCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<ReadOptions>();
  CLI::App* command = app.add_subcommand("read", "hexdump (or raw bytes) of memory");
  command->footer(R"(The hexdump says which ranges are absent and why; --raw writes exactly LENGTH bytes or nothing,
and fails naming the first absent address.

Example:
  corekit read core '$sp' 64
  corekit read --raw core 0x7ffe0c027cf8 16 > bytes)");
  AddCommonOptions(*command, options->common);
  command->add_option("address", options->address, "address: 0x..., decimal, or a register ($pc, $sp, rip...)")->required();
  command->add_option("length", options->length, "number of bytes")->required();
  command->add_flag("--raw", options->raw, "write exactly the bytes to stdout");
  command->add_option("-t,--tid", options->tid, "thread whose registers name addresses");
  RunWhenParsed(*command, run, options, RunRead);
}

}  // namespace corekit::tools
