// Text from a core is data, never terminal control: a hand-built core carries escape sequences,
// BEL, backspace, carriage returns, newlines, DEL, a C1 control and ill-formed UTF-8 (a stray
// continuation byte, an overlong '/', a surrogate, a code point past U+10FFFF) in every string
// field it has — the command name and line, NT_FILE paths, a note's owner — and every command's
// text and JSON output must stay safe: no control byte but newline and tab, valid UTF-8, one
// line per record, the escapes visible.
#include "../support/elf_builder.h"
#include "../support/linux_notes.h"
#include "support.h"

namespace corekit::itest {
namespace {

using corekit::testing::ElfBuilder;
using json = nlohmann::json;

const std::string kHostile =
    "\x1b[31mRED\x1b]0;pwned\x07" "\b\rX\nY\x7f" "\xc2\x9b" "\xb8" "\xc0\xaf" "\xed\xa0\x80"
    "\xf4\x90\x80\x80" "caf\xc3\xa9";

std::vector<std::uint8_t> HostileCore() {
  std::vector<std::uint8_t> stack(0x2000);
  for (std::size_t i = 0; i < stack.size(); ++i) stack[i] = static_cast<std::uint8_t>(i);  // every byte
  return ElfBuilder()
      .Note("CORE", elf::NT_PRSTATUS, testing::Prstatus(101, 11, 0x401000, 0x7ff000))
      .Note("CORE", elf::NT_PRPSINFO, testing::Prpsinfo(kHostile.substr(0, 15), kHostile))
      .Note("CORE", elf::NT_SIGINFO, testing::Siginfo(11, 1, 0))
      .Note("CORE", elf::NT_FILE,
            testing::NtFile({{0x400000, 0x402000, 0, "/usr/bin/" + kHostile},
                             {0x7fe000, 0x800000, 0, "/lib/" + kHostile + "\n0x1 0x2 rwxp fake row"}}))
      .Note("\x1b[2J\xb8ORE", 1, {1, 2, 3, 4})
      .Load(0x400000, std::vector<std::uint8_t>(0x2000, 0xc3))
      .Load(0x7fe000, stack)
      .Build();
}

TEST(HostileText, TheCheckerSeesEveryHazard) {
  for (const std::string bad : {"\x1b", "\x07", "\b", "\r", "\x7f", "\xc2\x9b", "\xb8", "\xc0\xaf",
                                "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    EXPECT_TRUE(TerminalHazard("ok " + bad + " ok").has_value()) << Quote(bad);
  }
  EXPECT_FALSE(TerminalHazard("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\t\\x1b\n").has_value());
}

TEST(HostileText, EveryCommandEscapesWhatTheCoreSays) {
  TempDir dir;
  const fs::path core = dir / "hostile.core";
  {
    const auto bytes = HostileCore();
    std::ofstream out(core, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const std::vector<std::string> commands = {
      "info", "notes", "maps", "threads", "regs --all", "read", "bt", "report",
      "debug --batch -ex bt -ex 'info proc mappings' -ex 'info sharedlibrary' -ex 'x/4s $sp' "
      "-ex 'p (char *)$sp' -ex 'info threads'",
      "symbols", "info --json", "notes --json", "maps --json", "threads --json", "bt --json", "report --json",
      "symbols --json"};
  for (const std::string& command : commands) {
    std::string line = std::string(COREKIT_BIN) + " " + command + " " + Quote(core.string());
    if (command == "read") line += " '$sp' 64";
    SCOPED_TRACE("corekit " + command);
    const CommandResult r = RunCommand(line);
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r.status << "\n" << r.err;
    if (auto hazard = TerminalHazard(r.out)) ADD_FAILURE() << "stdout: " << *hazard << "\n" << r.out;
    if (auto hazard = TerminalHazard(r.err)) ADD_FAILURE() << "stderr: " << *hazard << "\n" << r.err;
    if (command.find("--json") != std::string::npos) {
      const json document = json::parse(r.out);  // throws on invalid UTF-8
      EXPECT_FALSE(document.is_null());
    }
  }

  // One record, one line; the hostile bytes shown as escapes.
  const CommandResult maps = RunCommand(std::string(COREKIT_BIN) + " maps " + Quote(core.string()));
  std::istringstream rows(maps.out);
  int usr_bin = 0, lib = 0, fake = 0;
  for (std::string row; std::getline(rows, row);) {
    usr_bin += row.find("/usr/bin/") != std::string::npos;
    lib += row.find("/lib/") != std::string::npos;
    fake += row.rfind("0x1 0x2", 0) == 0;
  }
  EXPECT_EQ(usr_bin, 1) << maps.out;
  EXPECT_EQ(lib, 1) << maps.out;
  EXPECT_EQ(fake, 0) << maps.out;
  EXPECT_NE(maps.out.find("\\x1b[31mRED\\x1b]0;pwned\\x07\\x08\\x0dX\\nY\\x7f\\xc2\\x9b\\xb8\\xc0\\xaf"
                          "\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80caf\xc3\xa9"),
            std::string::npos)
      << maps.out;
  const CommandResult notes = RunCommand(std::string(COREKIT_BIN) + " notes " + Quote(core.string()));
  EXPECT_NE(notes.out.find("\\x1b[2J\\xb8ORE"), std::string::npos) << notes.out;

  // JSON: the controls as JSON escapes (decoded: the bytes), ill-formed bytes as the text \xNN.
  const json info = json::parse(RunCommand(std::string(COREKIT_BIN) + " info --json " + Quote(core.string())).out);
  const std::string command_line = info.dump();
  EXPECT_NE(command_line.find("\\u001b[31mRED"), std::string::npos) << command_line;
  EXPECT_NE(command_line.find("\\\\xb8\\\\xc0\\\\xaf"), std::string::npos) << command_line;
}

}  // namespace
}  // namespace corekit::itest
