#include "target/registers.h"

#include "corekit/elf/constants.h"
#include "corekit/elf/core_notes.h"

namespace corekit::target {

void SetGeneralRegisters(Thread& thread, elf::Bytes gregs, const elf::Abi& abi) {
  const elf::RegisterLayout& layout = elf::GeneralRegisterLayout(abi, gregs.size());
  thread.registers = elf::DecodeRegisters(gregs, layout);
  auto value_of = [&](int index) -> std::optional<std::uint64_t> {
    if (index < 0) return std::nullopt;
    const std::string& name = layout.registers[static_cast<std::size_t>(index)].name;
    for (const elf::Register& r : thread.registers) {
      if (r.name == name) return r.value;
    }
    return std::nullopt;
  };
  thread.pc = value_of(layout.pc);
  thread.sp = value_of(layout.sp);
}

// Decodes x86 FP notes into the thread's registers; other FP notes are only listed.
void DecodeFpNotes(Thread& thread, const elf::Note& note, const elf::Abi& abi, elf::Bytes xsave_layout,
                   Diagnostics& diagnostics) {
  const bool x86 = abi.arch == elf::Arch::kX86_64 || abi.arch == elf::Arch::kX32 ||
                   abi.arch == elf::Arch::kI386;
  if (!x86) return;
  // On x86-64 NT_FPREGSET is the FXSAVE image; on i386 it is the old FSAVE layout and the FXSAVE
  // image comes in NT_PRXFPREG.
  const bool fxsave = (note.type == elf::NT_FPREGSET && abi.reg_width == 8 && abi.is64) ||
                      (note.type == elf::NT_FPREGSET && abi.arch == elf::Arch::kX32) ||
                      note.type == elf::NT_PRXFPREG;
  if (fxsave && thread.fp_registers.empty()) {
    thread.fp_registers = elf::DecodeFxsave(note.desc, abi.arch != elf::Arch::kI386 || abi.is64);
  }
  if (note.type == elf::NT_X86_XSTATE) {
    auto xsave = elf::DecodeXsave(note.desc, xsave_layout, abi.arch != elf::Arch::kI386);
    if (!xsave) {
      diagnostics.Warn("thread " + std::to_string(thread.tid) + ": " + xsave.error().message);
      return;
    }
    thread.xcr0 = xsave->xcr0;
    thread.xsave_missing = xsave->missing;
    thread.vector_registers = std::move(xsave->registers);
    if (thread.fp_registers.empty()) {
      thread.fp_registers = elf::DecodeFxsave(note.desc, abi.arch != elf::Arch::kI386);
    }
  }
}

}  // namespace corekit::target
