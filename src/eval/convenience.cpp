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

// gdb's linux_get_siginfo_type_with_fields for LP64 (x86-64, AArch64, RISC-V 64...): 128 bytes,
// the union of per-signal fields after si_signo, si_errno, si_code and padding to 16.
const Type* SiginfoType(TypeTable& types) {
  const Type* int_type = types.Base("int");
  const Type* uint_type = types.Base("unsigned int");
  const Type* long_type = types.Base("long");
  const Type* short_type = types.Base("short");
  const Type* void_ptr = types.PointerTo(types.Void());
  const Type* sigval = Aggregate(types, TypeKind::kUnion, "sigval_t", 8,
                                 {Field("sival_int", int_type, 0), Field("sival_ptr", void_ptr, 0)});
  const Type* kill = Aggregate(types, TypeKind::kStruct, "", 8, {Field("si_pid", int_type, 0), Field("si_uid", uint_type, 4)});
  const Type* timer = Aggregate(types, TypeKind::kStruct, "", 16,
                                {Field("si_tid", int_type, 0), Field("si_overrun", int_type, 4), Field("si_sigval", sigval, 8)});
  const Type* rt = Aggregate(types, TypeKind::kStruct, "", 16,
                             {Field("si_pid", int_type, 0), Field("si_uid", uint_type, 4), Field("si_sigval", sigval, 8)});
  const Type* sigchld = Aggregate(types, TypeKind::kStruct, "", 32,
                                  {Field("si_pid", int_type, 0), Field("si_uid", uint_type, 4), Field("si_status", int_type, 8),
                                   Field("si_utime", long_type, 16), Field("si_stime", long_type, 24)});
  const Type* bounds = Aggregate(types, TypeKind::kStruct, "", 16, {Field("_lower", void_ptr, 0), Field("_upper", void_ptr, 8)});
  const Type* sigfault = Aggregate(types, TypeKind::kStruct, "", 32,
                                   {Field("si_addr", void_ptr, 0), Field("_addr_lsb", short_type, 8), Field("_addr_bnd", bounds, 16)});
  const Type* sigpoll = Aggregate(types, TypeKind::kStruct, "", 16, {Field("si_band", long_type, 0), Field("si_fd", int_type, 8)});
  const Type* sigsys = Aggregate(types, TypeKind::kStruct, "", 16,
                                 {Field("_call_addr", void_ptr, 0), Field("_syscall", int_type, 8), Field("_arch", uint_type, 12)});
  const Type* fields = Aggregate(types, TypeKind::kUnion, "", 112,
                                 {Field("_pad", types.ArrayOf(int_type, 28), 0), Field("_kill", kill, 0), Field("_timer", timer, 0),
                                  Field("_rt", rt, 0), Field("_sigchld", sigchld, 0), Field("_sigfault", sigfault, 0),
                                  Field("_sigpoll", sigpoll, 0), Field("_sigsys", sigsys, 0)});
  return Aggregate(types, TypeKind::kStruct, "siginfo", 128,
                   {Field("si_signo", int_type, 0), Field("si_errno", int_type, 4), Field("si_code", int_type, 8),
                    Field("_sifields", fields, 16)});
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
    // Only the LP64 layout is modelled; a 32-bit core's siginfo is not shown rather than misread.
    if (siginfo.size() < 128 || !target.abi().is64) return Result<Value>(EvalError("Unable to read siginfo"));
    if (!siginfo_type) siginfo_type = SiginfoType(types);
    Value v;
    v.type = siginfo_type;
    v.bytes = siginfo;
    return Result<Value>(std::move(v));
  }
  if (auto it = convenience.find(name); it != convenience.end()) return Result<Value>(it->second);
  return std::nullopt;
}

}  // namespace corekit::eval
