// gdb's convenience variables: $_siginfo (the selected thread's siginfo_t in gdb's Linux layout,
// built here as gdb's linux-tdep builds it, since the program's DWARF rarely describes it), and
// the ones the debugger sets ($_exitsignal, $_thread, $_, $__...). An unset one is void.
#include "impl.h"

namespace corekit::eval {
namespace {

Member Field(const std::string& name, const Type* type, std::uint64_t offset) {
  Member m;
  m.name = name;
  m.type = type;
  m.offset = offset;
  return m;
}

const Type* Aggregate(TypeTable& types, TypeKind kind, const std::string& name, std::uint64_t size, std::vector<Member> members) {
  Type t;
  t.kind = kind;
  t.name = name;
  t.size = size;
  t.keyword = kind == TypeKind::kUnion ? "union" : "struct";
  t.cplus = !name.empty();  // "siginfo", as gdb names it; the anonymous parts print as struct {...}
  t.members = std::move(members);
  return types.Make(std::move(t));
}

// gdb's linux_get_siginfo_type_with_fields: 128 bytes, the union of per-signal fields after
// si_signo, si_errno and si_code, aligned to a long; int, long and pointers as the target has
// them (LP64 or ILP32). x86 adds the bound fields to _sigfault (LINUX_SIGINFO_FIELD_ADDR_BND).
const Type* SiginfoType(TypeTable& types, bool x86) {
  const Type* int_type = types.Base("int");
  const Type* uint_type = types.Base("unsigned int");
  const Type* long_type = types.Base("long");
  const Type* short_type = types.Base("short");
  const Type* void_ptr = types.PointerTo(types.Void());
  const std::uint64_t word = long_type->size, ptr = void_ptr->size;
  const auto align = [](std::uint64_t offset, std::uint64_t to) { return (offset + to - 1) / to * to; };
  const Type* sigval = Aggregate(types, TypeKind::kUnion, "sigval_t", ptr,
                                 {Field("sival_int", int_type, 0), Field("sival_ptr", void_ptr, 0)});
  const std::uint64_t sigval_at = align(8, ptr);
  const Type* kill = Aggregate(types, TypeKind::kStruct, "", 8, {Field("si_pid", int_type, 0), Field("si_uid", uint_type, 4)});
  const Type* timer = Aggregate(types, TypeKind::kStruct, "", sigval_at + ptr,
                                {Field("si_tid", int_type, 0), Field("si_overrun", int_type, 4), Field("si_sigval", sigval, sigval_at)});
  const Type* rt = Aggregate(types, TypeKind::kStruct, "", sigval_at + ptr,
                             {Field("si_pid", int_type, 0), Field("si_uid", uint_type, 4), Field("si_sigval", sigval, sigval_at)});
  const std::uint64_t utime_at = align(12, word);
  const Type* sigchld = Aggregate(types, TypeKind::kStruct, "", utime_at + 2 * word,
                                  {Field("si_pid", int_type, 0), Field("si_uid", uint_type, 4), Field("si_status", int_type, 8),
                                   Field("si_utime", long_type, utime_at), Field("si_stime", long_type, utime_at + word)});
  std::vector<Member> fault = {Field("si_addr", void_ptr, 0)};
  std::uint64_t fault_size = ptr;
  if (x86) {
    const Type* bounds = Aggregate(types, TypeKind::kStruct, "", 2 * ptr, {Field("_lower", void_ptr, 0), Field("_upper", void_ptr, ptr)});
    const std::uint64_t bounds_at = align(ptr + 2, ptr);
    fault.push_back(Field("_addr_lsb", short_type, ptr));
    fault.push_back(Field("_addr_bnd", bounds, bounds_at));
    fault_size = bounds_at + 2 * ptr;
  }
  const Type* sigfault = Aggregate(types, TypeKind::kStruct, "", fault_size, std::move(fault));
  const Type* sigpoll = Aggregate(types, TypeKind::kStruct, "", align(word + 4, word),
                                  {Field("si_band", long_type, 0), Field("si_fd", int_type, word)});
  const Type* sigsys = Aggregate(types, TypeKind::kStruct, "", align(ptr + 8, ptr),
                                 {Field("_call_addr", void_ptr, 0), Field("_syscall", int_type, ptr), Field("_arch", uint_type, ptr + 4)});
  // _pad: as many ints as fill 128 bytes less the header (4 ints on LP64, 3 on ILP32).
  const std::uint64_t pad = 128 / 4 - (ptr == 8 ? 4 : 3);
  const std::uint64_t fields_at = align(12, word);
  Type pad_vector = *types.ArrayOf(int_type, pad);
  pad_vector.vector = true;  // gdb makes _pad a vector type
  const Type* fields = Aggregate(types, TypeKind::kUnion, "", 128 - fields_at,
                                 {Field("_pad", types.Make(std::move(pad_vector)), 0), Field("_kill", kill, 0), Field("_timer", timer, 0),
                                  Field("_rt", rt, 0), Field("_sigchld", sigchld, 0), Field("_sigfault", sigfault, 0),
                                  Field("_sigpoll", sigpoll, 0), Field("_sigsys", sigsys, 0)});
  return Aggregate(types, TypeKind::kStruct, "siginfo", 128,
                   {Field("si_signo", int_type, 0), Field("si_errno", int_type, 4), Field("si_code", int_type, 8),
                    Field("_sifields", fields, fields_at)});
}

}  // namespace

void Evaluator::SetConvenience(const std::string& name, std::optional<Value> value) {
  if (value) impl_->convenience[name] = std::move(*value);
  else impl_->convenience.erase(name);
}

void Evaluator::SetSiginfo(std::span<const std::uint8_t> siginfo) {
  Impl& s = *impl_;
  s.siginfo.assign(siginfo.begin(), siginfo.end());
}

Value Evaluator::MakeScalar(const Type* type, std::uint64_t bits) { return impl_->Scalar(type, bits); }

std::optional<Result<Value>> Evaluator::Impl::Convenience(const std::string& name) {
  if (name == "_siginfo") {
    if (siginfo.size() < 128) return Result<Value>(EvalError("Unable to read siginfo"));
    const elf::Arch arch = target.abi().arch;
    if (!siginfo_type) siginfo_type = SiginfoType(types, arch == elf::Arch::kX86_64 || arch == elf::Arch::kI386 || arch == elf::Arch::kX32);
    Value v;
    v.type = siginfo_type;
    v.bytes = siginfo;
    return Result<Value>(std::move(v));
  }
  if (auto it = convenience.find(name); it != convenience.end()) return Result<Value>(it->second);
  return std::nullopt;
}

}  // namespace corekit::eval
