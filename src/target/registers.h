// Filling a Thread's registers from the register sets notes and ptrace share (the kernel's
// regset layouts): one decoding for core files and live processes alike.
#pragma once

#include "corekit/base/result.h"
#include "corekit/elf/notes.h"
#include "corekit/target/model.h"

namespace corekit::target {

// From the general register set (NT_PRSTATUS's pr_reg, or PTRACE_GETREGSET NT_PRSTATUS):
// thread.registers, pc and sp.
void SetGeneralRegisters(Thread& thread, elf::Bytes gregs, const elf::Abi& abi);

// From an x86 FP note (NT_FPREGSET, NT_PRXFPREG, NT_X86_XSTATE): fp_registers and
// vector_registers; other machines' FP notes are only listed. `xsave_layout` is the kernel's
// NT_X86_XSAVE_LAYOUT when there is one.
void DecodeFpNotes(Thread& thread, const elf::Note& note, const elf::Abi& abi, elf::Bytes xsave_layout,
                   Diagnostics& diagnostics);

}  // namespace corekit::target
