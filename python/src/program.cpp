// corekit.open and the Program, its process, threads, frames, mappings, modules and symbols.
#include <pybind11/stl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <span>

#include "analyze/report_json.h"
#include "binding.h"
#include "corekit/analyze/report.h"
#include "corekit/capture/handler.h"
#include "corekit/core/core_file.h"
#include "corekit/elf/core_notes.h"
#include "corekit/live/process.h"
#include "corekit/store/store.h"
#include "values.h"

namespace corekit::python {

// ---- the program's state ----

target::Target& ProgramState::Target() {
  if (!target) Raise(Error{Errc::kInvalidArgument, "the program is closed"});
  return *target;
}

unwind::Unwinder& ProgramState::Unwinder() {
  if (!unwinder) {
    target::Target& t = Target();
    unwind::UnwindOptions uo;
    uo.modules.exe = options.exe;
    uo.modules.sysroot = options.sysroot;
    if (!options.debug_dirs.empty()) uo.debug_dir = options.debug_dirs.front();
    uo.cache_dir = unwind::DefaultCacheDir();
    uo.locator = locator.get();
    unwinder = Take(unwind::Unwinder::Create(t, std::move(uo)));
  }
  return *unwinder;
}

eval::Evaluator& ProgramState::Evaluator() {
  if (!evaluator) evaluator = std::make_unique<eval::Evaluator>(Target(), Unwinder());
  return *evaluator;
}

std::shared_ptr<const unwind::ThreadBacktrace> ProgramState::Backtrace(const target::Thread& thread) {
  auto& slot = backtraces[thread.tid];
  if (!slot) slot = std::make_shared<const unwind::ThreadBacktrace>(Unwinder().Backtrace(thread));
  return slot;
}

void ProgramState::Close() {
  // The evaluator and unwinder borrow the target: they go first. A live process is resumed and
  // detached when its Target is destroyed; memoryviews of a core keep its mapping (shared).
  backtraces.clear();
  evaluator.reset();
  unwinder.reset();
  target.reset();
}

namespace {

// ---- opening ----

bool IsAllDigits(const std::string& s) {
  return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

Result<std::unique_ptr<target::Target>> OpenCore(const std::string& path, const OpenOptions& options) {
  core::Options core_options;
  core_options.sysroot = options.sysroot;
  auto core = core::CoreFile::Open(path, core_options);
  if (!core) return Unexpected(core.error());
  return std::unique_ptr<target::Target>(std::move(*core));
}

// The crash store "@ID" reads: the option's, else $COREKIT_STORE, else /var/lib/corekit.
std::string StorePath(const OpenOptions& options) {
  return options.store.empty() ? store::Store::DefaultPath() : options.store;
}

Result<std::unique_ptr<target::Target>> OpenStored(const std::string& id, const OpenOptions& options) {
  auto store = store::Store::Open(StorePath(options), store::Access::kRead);
  if (!store) return Unexpected(store.error());
  auto fd = (*store)->OpenCore(id, store::CallingViewer());
  if (!fd) return Unexpected(fd.error());
  auto opened = OpenCore("/dev/fd/" + std::to_string(*fd), options);  // mapped (or inflated) now
  ::close(*fd);
  return opened;
}

State Open(const std::string& what, OpenOptions options) {
  auto state = std::make_shared<ProgramState>();
  state->path = what;
  state->options = std::move(options);
  const OpenOptions& o = state->options;
  locate::Options lo;
  lo.sysroot = o.sysroot;
  lo.debug_dirs = o.debug_dirs;
  if (o.debuginfod) {
    lo.offline = o.debuginfod->empty();
    // libdebuginfod reads its servers from the environment, as gdb and elfutils do.
    if (!o.debuginfod->empty()) ::setenv("DEBUGINFOD_URLS", o.debuginfod->c_str(), 1);
  }
  if (what.size() > 1 && what[0] == '@') {
    // The symbols the crash handler fetched for a stored crash are in the store.
    lo.extra_caches.push_back(StorePath(o) + "/" + capture::kSymbolCacheDir);
  }
  lo.cancel = &state->cancel;
  state->locator = std::make_unique<locate::Locator>(std::move(lo));
  Result<std::unique_ptr<target::Target>> opened = Unexpected(Errc::kInvalidArgument, "");
  {
    LongCall call(&state->cancel);
    {
      py::gil_scoped_release unlocked;
      struct stat st {};
      if (what.size() > 1 && what[0] == '@') {
        opened = OpenStored(what.substr(1), o);
      } else if (IsAllDigits(what) && ::stat(what.c_str(), &st) != 0) {
        auto process = live::Process::Attach(static_cast<pid_t>(std::stol(what)));
        if (process) opened = std::unique_ptr<target::Target>(std::move(*process));
        else opened = Unexpected(process.error());
      } else {
        opened = OpenCore(what, o);
      }
    }
    call.Finish();
  }
  state->target = std::shared_ptr<target::Target>(Take(std::move(opened)));
  return state;
}

// ---- small value classes ----

py::object OrNoneText(const std::string& s) { return s.empty() ? py::none() : py::object(Text(s)); }

struct Signal {
  int number = 0;
  std::optional<int> code;
  std::optional<std::uint64_t> address;
  std::optional<std::int64_t> thread;
  std::optional<int> sender_pid;
};

struct Process {
  target::Process model;
};

struct Thread {
  State state;
  std::int64_t tid = 0;
  const target::Thread& Model() const {
    const target::Thread* t = state->Target().FindThread(tid);
    if (!t) RaiseLookup("no thread " + std::to_string(tid));
    return *t;
  }
};

// $_siginfo is the selected thread's, as in gdb.
void SelectThread(ProgramState& state, std::int64_t tid) {
  const target::Thread* t = state.Target().FindThread(tid);
  state.Evaluator().SetSiginfo(t ? std::span<const std::uint8_t>(t->siginfo) : std::span<const std::uint8_t>());
}

struct Frame {
  State state;
  std::shared_ptr<const unwind::ThreadBacktrace> backtrace;
  std::size_t index = 0;
  const unwind::Frame& Model() const { return backtrace->frames[index]; }
  std::span<const unwind::Frame> Callers() const { return std::span(backtrace->frames).subspan(index + 1); }
  // Selects this frame in the program's evaluator (the lock held).
  eval::Evaluator& Select() const {
    eval::Evaluator& e = state->Evaluator();
    SelectThread(*state, backtrace->tid);
    e.SelectFrame(&Model(), Callers());
    return e;
  }
};

struct Symbol {
  std::string name;
  std::uint64_t address = 0, size = 0, offset = 0;
  std::string module;
};

Signal SignalOf(const target::Signal& s, std::optional<std::int64_t> thread) {
  return Signal{s.number, s.code, s.fault_address, thread, s.sender_pid};
}

py::dict Registers(const target::Thread& t) {
  py::dict registers;
  for (const elf::Register& r : t.registers) {
    if (r.width <= 8) registers[py::str(r.name)] = py::int_(r.value);
  }
  return registers;
}

std::string StackPointerName(const elf::Abi& abi) {
  switch (abi.arch) {
    case elf::Arch::kX86_64: return "rsp";
    case elf::Arch::kI386: return "esp";
    default: return "sp";
  }
}

std::vector<Thread> Threads(const State& state) {
  Hold hold(*state);
  std::vector<Thread> threads;
  for (const target::Thread& t : state->Target().threads()) threads.push_back(Thread{state, t.tid});
  return threads;
}

std::optional<Thread> CrashedThread(const State& state) {
  Hold hold(*state);
  target::Target& t = state->Target();
  if (auto tid = t.process().signalled_thread; tid && t.FindThread(*tid)) return Thread{state, *tid};
  return std::nullopt;
}

Thread MainThread(const State& state) {
  Hold hold(*state);
  target::Target& t = state->Target();
  if (t.threads().empty()) RaiseLookup("the program has no threads");
  if (auto pid = t.process().pid; pid && t.FindThread(*pid)) return Thread{state, *pid};
  return Thread{state, t.threads().front().tid};
}

std::vector<Frame> Backtrace(const Thread& thread) {
  auto bt = Unlocked(*thread.state, [&] { return thread.state->Backtrace(thread.Model()); });
  std::vector<Frame> frames;
  for (std::size_t i = 0; i < bt->frames.size(); ++i) frames.push_back(Frame{thread.state, bt, i});
  return frames;
}

py::dict NamedValues(const State& state, Result<std::vector<eval::NamedValue>> values) {
  py::dict out;
  for (eval::NamedValue& nv : Take(std::move(values))) {
    // An inner block's variable hides an outer one of the same name, as in the source.
    py::str name = Text(nv.name);
    if (!out.contains(name)) out[name] = py::cast(Value{state, std::move(nv.value)});
  }
  return out;
}

// A variable the frame sees (the lock held): its locals and arguments first, as the source does.
Value FindVariable(const Frame& f, const std::string& name) {
  eval::Evaluator& e = f.Select();
  auto locals = e.Locals();
  if (locals) {
    for (eval::NamedValue& nv : *locals) {
      if (nv.name == name) return Value{f.state, std::move(nv.value)};
    }
  }
  auto args = e.Arguments();
  if (args) {
    for (eval::NamedValue& nv : *args) {
      if (nv.name == name) return Value{f.state, std::move(nv.value)};
    }
  }
  // Not a local: a static or global the frame sees, as gdb's print finds it.
  auto value = e.Evaluate(name);
  if (!value) RaiseLookup("no variable \"" + name + "\" in frame #" + std::to_string(f.index));
  return Value{f.state, std::move(*value)};
}

Value FrameVariable(const Frame& f, const std::string& name) {
  return Unlocked(*f.state, [&] { return FindVariable(f, name); });
}

Value EvaluateIn(const State& state, const unwind::Frame* frame, std::span<const unwind::Frame> callers,
                 const std::string& expression) {
  eval::Evaluator& e = state->Evaluator();
  e.SelectFrame(frame, callers);
  return Value{state, Take(e.Evaluate(expression))};
}

// An expression in the crashed thread's innermost frame (else the first thread's; else no frame:
// globals only), the lock held.
Value EvaluateInCrashedFrame(const State& s, const std::string& expression) {
  target::Target& t = s->Target();
  const target::Thread* thread = nullptr;
  if (auto tid = t.process().signalled_thread) thread = t.FindThread(*tid);
  if (!thread && !t.threads().empty()) thread = &t.threads().front();
  if (!thread) return EvaluateIn(s, nullptr, {}, expression);
  SelectThread(*s, thread->tid);
  auto bt = s->Backtrace(*thread);
  if (bt->frames.empty()) return EvaluateIn(s, nullptr, {}, expression);
  return EvaluateIn(s, &bt->frames.front(), std::span(bt->frames).subspan(1), expression);
}

std::string ModuleOf(unwind::Unwinder& u, std::uint64_t address) {
  for (const unwind::Module& m : u.modules()) {
    if (address >= m.start && address < m.end) return m.name;
  }
  return "";
}

// A read-only buffer over a core's own bytes: it holds the Target, so the mapping outlives a
// closed Program for as long as a memoryview of it is alive.
struct CoreBytes {
  std::shared_ptr<target::Target> owner;
  std::span<const std::uint8_t> bytes;
};

py::memoryview Read(const State& state, std::uint64_t address, std::uint64_t size) {
  Hold hold(*state);
  target::Target& t = state->Target();
  if (auto* core = dynamic_cast<core::CoreFile*>(&t)) {
    if (auto bytes = core->BytesInCore(address, size)) {
      py::object buffer = py::cast(CoreBytes{state->target, *bytes});
      return py::memoryview(buffer);
    }
  }
  if (size > (1ull << 30)) Raise(Error{Errc::kInvalidArgument, "a read of more than 1 GiB at once"});
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
  if (!raw) throw py::error_already_set();
  py::bytes out = py::reinterpret_steal<py::bytes>(raw);
  auto* data = reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(raw));
  if (auto r = t.ReadExact(address, std::span(data, static_cast<std::size_t>(size))); !r) Raise(r.error(), address);
  return py::memoryview(out);
}

template <unsigned kWidth>
std::uint64_t ReadWord(ProgramState& state, std::uint64_t address) {
  Hold hold(state);
  return Take(state.Target().ReadWord(address, kWidth), address);
}

py::object JsonToPython(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return Text(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      py::list list;
      for (const auto& e : j) list.append(JsonToPython(e));
      return list;
    }
    case nlohmann::json::value_t::object: {
      py::dict dict;
      for (auto it = j.begin(); it != j.end(); ++it) dict[Text(it.key())] = JsonToPython(it.value());
      return dict;
    }
    default: return py::none();
  }
}

py::object Report(const State& state, const std::vector<std::string>& source_dirs) {
  const nlohmann::json document = Unlocked(*state, [&] {
    target::Target& t = state->Target();
    unwind::Unwinder& u = state->Unwinder();
    return analyze::ReportJson(t, u, analyze::Analyze(t, u), state->path, source_dirs);
  });
  return JsonToPython(document);
}

}  // namespace

void AddProgram(py::module_& m) {
  py::class_<CoreBytes>(m, "_CoreBytes", py::buffer_protocol())
      .def_buffer([](CoreBytes& b) {
        return py::buffer_info(const_cast<std::uint8_t*>(b.bytes.data()), 1, py::format_descriptor<std::uint8_t>::format(),
                               1, {static_cast<py::ssize_t>(b.bytes.size())}, {1}, /*readonly=*/true);
      });

  py::class_<Signal>(m, "Signal", "The signal that stopped the process or a thread.")
      .def_readonly("number", &Signal::number, "the signal's number (11 for SIGSEGV)")
      .def_property_readonly("name", [](const Signal& s) -> py::object {
        auto name = elf::SignalName(s.number);
        return name.empty() ? py::none() : py::object(py::str(std::string(name)));
      }, "its name, \"SIGSEGV\", or None for a number without one")
      .def_property_readonly("code", [](const Signal& s) { return OrNone(s.code); }, "si_code, when the core records it")
      .def_property_readonly("code_name", [](const Signal& s) -> py::object {
        auto name = s.code ? elf::SiCodeName(s.number, *s.code) : std::string_view();
        return name.empty() ? py::none() : py::object(py::str(std::string(name)));
      }, "\"SEGV_MAPERR\", ...")
      .def_property_readonly("address", [](const Signal& s) { return OrNone(s.address); }, "the faulting address (si_addr)")
      .def_property_readonly("thread", [](const Signal& s) { return OrNone(s.thread); }, "the tid it was delivered to")
      .def_property_readonly("sender_pid", [](const Signal& s) { return OrNone(s.sender_pid); })
      .def("__repr__", [](const Signal& s) {
        auto name = elf::SignalName(s.number);
        return "Signal(" + (name.empty() ? std::to_string(s.number) : std::string(name)) + ")";
      });

  py::class_<Process>(m, "Process", "The process the core is of: ids, command line, the signal that killed it.")
      .def_property_readonly("pid", [](const Process& p) { return OrNone(p.model.pid); })
      .def_property_readonly("ppid", [](const Process& p) { return OrNone(p.model.ppid); })
      .def_property_readonly("uid", [](const Process& p) { return OrNone(p.model.uid); })
      .def_property_readonly("gid", [](const Process& p) { return OrNone(p.model.gid); })
      .def_property_readonly("command_line", [](const Process& p) { return Text(p.model.command_line); },
                             "the start of the command line, its arguments joined by spaces")
      .def_property_readonly("executable", [](const Process& p) { return Text(p.model.executable); },
                             "the command's name (as the kernel keeps it: up to 15 characters)")
      .def_property_readonly("signal", [](const Process& p) -> py::object {
        if (!p.model.signal) return py::none();
        return py::cast(SignalOf(*p.model.signal, p.model.signalled_thread));
      }, "the signal that killed the process, or None")
      .def("__repr__", [](const Process& p) {
        return "Process(pid=" + (p.model.pid ? std::to_string(*p.model.pid) : "None") + ")";
      });

  py::class_<Frame>(m, "Frame", "One frame of a thread's backtrace: where, how it was found, its variables.")
      .def_property_readonly("index", [](const Frame& f) { return f.index; })
      .def_property_readonly("pc", [](const Frame& f) { return f.Model().pc; })
      .def_property_readonly("sp", [](const Frame& f) -> py::object {
        Hold hold(*f.state);
        const std::string name = StackPointerName(f.state->Target().abi());
        const unwind::Frame* physical = &f.Model();
        for (std::size_t i = f.index; physical->inlined && i + 1 < f.backtrace->frames.size(); ++i) {
          physical = &f.backtrace->frames[i + 1];  // an inlined frame's registers are its caller's
        }
        for (const auto& [regno, value] : physical->registers) {
          if (f.state->Unwinder().RegisterName(regno) == name) return py::int_(value);
        }
        return py::none();
      }, "the stack pointer in this frame, when the unwinder recovered it")
      .def_property_readonly("cfa", [](const Frame& f) {
        return OrNone(Unlocked(*f.state, [&] { return f.state->Evaluator().DescribeFrame(f.Model()).cfa; }));
      }, "the canonical frame address (gdb's \"frame at\"), from the CFI")
      .def_property_readonly("function", [](const Frame& f) { return OptionalText(f.Model().function); })
      .def_property_readonly("offset", [](const Frame& f) { return f.Model().offset; })
      .def_property_readonly("file", [](const Frame& f) { return OptionalText(f.Model().file); })
      .def_property_readonly("line", [](const Frame& f) { return OrNone(f.Model().line); })
      .def_property_readonly("module", [](const Frame& f) { return OrNoneText(f.Model().module); })
      .def_property_readonly("how", [](const Frame& f) { return f.Model().how; },
                             "how it was found: initial, cfi, frame-pointer, stack-scan, inline, tail-call, "
                             "signal, signal-trampoline")
      .def_property_readonly("inlined", [](const Frame& f) { return f.Model().inlined; })
      .def_property_readonly("registers", [](const Frame& f) {
        Hold hold(*f.state);
        py::dict registers;
        for (const auto& [regno, value] : f.Model().registers) {
          auto name = f.state->Unwinder().RegisterName(regno);
          if (!name.empty()) registers[py::str(std::string(name))] = py::int_(value);
        }
        return registers;
      }, "the registers the unwinder recovered in this frame (all in frame 0; callee-saved ones above)")
      .def("locals", [](const Frame& f) {
        return NamedValues(f.state, Unlocked(*f.state, [&] { return f.Select().Locals(); }));
      }, "The frame's local variables, innermost block first: {name: Value}.")
      .def("args", [](const Frame& f) {
        return NamedValues(f.state, Unlocked(*f.state, [&] { return f.Select().Arguments(); }));
      }, "The frame's arguments: {name: Value}.")
      .def("__getitem__", &FrameVariable, py::arg("name"),
           "A variable the frame sees: a local, an argument, a static or a global. LookupError when none is so named.")
      .def("evaluate", [](const Frame& f, const std::string& expression) {
        return Unlocked(*f.state, [&] {
          f.Select();
          return EvaluateIn(f.state, &f.Model(), f.Callers(), expression);
        });
      }, py::arg("expression"), "A C or C++ expression in this frame, as gdb's print evaluates it: \"p->next->id\".")
      .def("__repr__", [](const Frame& f) {
        const unwind::Frame& m = f.Model();
        std::string text = "Frame(#" + std::to_string(f.index) + " " + analyze::HexAddress(m.pc) + " in " +
                           (m.function ? *m.function : "??");
        if (m.file) text += " at " + *m.file + ":" + std::to_string(m.line.value_or(0));
        return Text(text + ")");
      });

  py::class_<Thread>(m, "Thread", "A thread of the program.")
      .def_property_readonly("tid", [](const Thread& t) { return t.tid; })
      .def_property_readonly("name", [](const Thread& t) {
        Hold hold(*t.state);
        return OptionalText(t.Model().name);
      }, "the thread's name when the core records it (FreeBSD's do; Linux's kernel cores do not), else None")
      .def_property_readonly("registers", [](const Thread& t) {
        Hold hold(*t.state);
        return Registers(t.Model());
      }, "the general registers: {name: int}")
      .def_property_readonly("pc", [](const Thread& t) {
        Hold hold(*t.state);
        return OrNone(t.Model().pc);
      })
      .def_property_readonly("sp", [](const Thread& t) {
        Hold hold(*t.state);
        return OrNone(t.Model().sp);
      })
      .def_property_readonly("signal", [](const Thread& t) -> py::object {
        Hold hold(*t.state);
        const target::Thread& model = t.Model();
        if (!model.signal || model.signal->number == 0) return py::none();
        return py::cast(SignalOf(*model.signal, model.tid));
      }, "the signal pending for or stopping this thread, or None")
      .def("backtrace", &Backtrace, "The thread's frames, innermost first (inlined calls as frames of their own).")
      .def("__eq__", [](const Thread& a, const Thread& b) { return a.state == b.state && a.tid == b.tid; })
      .def("__hash__", [](const Thread& t) { return std::hash<std::int64_t>()(t.tid); })
      .def("__repr__", [](const Thread& t) { return Text("Thread(tid=" + std::to_string(t.tid) + ")"); });

  py::class_<target::Mapping>(m, "Mapping", "A mapping of the process's address space, as /proc/PID/maps lists it.")
      .def_readonly("start", &target::Mapping::start)
      .def_readonly("end", &target::Mapping::end)
      .def_property_readonly("perms", [](const target::Mapping& mp) { return Text(mp.perms); }, "\"r-xp\", as in /proc/PID/maps")
      .def_readonly("offset", &target::Mapping::offset)
      .def_property_readonly("path", [](const target::Mapping& mp) { return Text(mp.path); })
      .def_property_readonly("in_core", [](const target::Mapping& mp) { return mp.backing == target::Backing::kCore; },
                             "all of its bytes are in the core")
      .def_property_readonly("bytes", [](const target::Mapping& mp) { return std::string(target::BackingName(mp.backing)); },
                             "where its bytes come from: core, partial, file, absent, live")
      .def("__repr__", [](const target::Mapping& mp) {
        return Text("Mapping(" + analyze::HexAddress(mp.start) + "-" + analyze::HexAddress(mp.end) + " " + mp.perms + " " + mp.path + ")");
      });

  py::class_<unwind::Module>(m, "Module", "A loaded object (the executable, a library, the vDSO) and its files.")
      .def_property_readonly("name", [](const unwind::Module& md) { return Text(md.name); })
      .def_property_readonly("names", [](const unwind::Module& md) {
        py::list names;
        names.append(Text(md.name));
        for (const std::string& n : md.other_names) names.append(Text(n));
        return names;
      }, "its name and the other names the process knew it by")
      .def_property_readonly("build_id", [](const unwind::Module& md) { return OptionalText(md.build_id); })
      .def_readonly("start", &unwind::Module::start)
      .def_readonly("end", &unwind::Module::end)
      .def_readonly("bias", &unwind::Module::bias)
      .def_property_readonly("file", [](const unwind::Module& md) { return OrNoneText(md.file); },
                             "the file read for it, or None when none was found")
      .def_property_readonly("debug_file", [](const unwind::Module& md) { return OrNoneText(md.debug_file); },
                             "its separate debug file, or None (none, or the file carries its own DWARF)")
      .def_readonly("verified", &unwind::Module::verified, "the file's build-id matched the one in memory")
      .def("__repr__", [](const unwind::Module& md) { return Text("Module(" + md.name + ")"); });

  py::class_<Symbol>(m, "Symbol", "A symbol-table entry holding an address.")
      .def_property_readonly("name", [](const Symbol& s) { return Text(s.name); })
      .def_readonly("address", &Symbol::address, "where the symbol starts")
      .def_readonly("size", &Symbol::size)
      .def_readonly("offset", &Symbol::offset, "of the address looked up, from the start")
      .def_property_readonly("module", [](const Symbol& s) { return OrNoneText(s.module); })
      .def("__repr__", [](const Symbol& s) {
        return Text("Symbol(" + s.name + (s.offset ? "+" + analyze::HexAddress(s.offset) : "") + ")");
      });

  py::class_<ProgramState, State>(m, "Program", R"(A core file, or a live process, opened by corekit.open.

Its threads, memory, modules and crash report; variables through each thread's frames. A live
process stays stopped until the Program is closed (close(), or the end of a with block).)")
      .def_property_readonly("path", [](const ProgramState& s) { return s.path; }, "what it was opened as")
      .def_property_readonly("process", [](ProgramState& s) {
        Hold hold(s);
        return Process{s.Target().process()};
      })
      .def_property_readonly("arch", [](ProgramState& s) {
        Hold hold(s);
        return std::string(elf::ArchName(s.Target().abi().arch));
      }, "x86_64, i386, aarch64, arm, ...")
      .def_property_readonly("threads", [](const State& s) { return Threads(s); })
      .def("thread", [](const State& s, std::int64_t tid) {
        Hold hold(*s);
        if (!s->Target().FindThread(tid)) RaiseLookup("no thread " + std::to_string(tid));
        return Thread{s, tid};
      }, py::arg("tid"), "The thread whose id is tid. LookupError when there is none.")
      .def_property_readonly("crashed_thread", [](const State& s) -> py::object {
        auto t = CrashedThread(s);
        return t ? py::cast(*t) : py::none();
      }, "the thread the fatal signal was delivered to, or None")
      .def_property_readonly("main_thread", &MainThread, "the thread whose id is the pid (else the first)")
      .def_property_readonly("mappings", [](ProgramState& s) {
        Hold hold(s);
        return s.Target().mappings();
      })
      .def_property_readonly("modules", [](ProgramState& s) {
        return Unlocked(s, [&] {
          s.Unwinder().LoadDebugInfo();  // so that debug_file says where each one's came from
          return s.unwinder->modules();
        });
      }, "the loaded objects, with their files and debug files found")
      .def("read", &Read, py::arg("address"), py::arg("size"),
           "size bytes of memory at address, as a read-only memoryview (of the core's own mapping when one "
           "segment holds them: no copy). FaultError names the first address the core lacks.")
      .def("read_u8", [](ProgramState& s, std::uint64_t a) { return ReadWord<1>(s, a); }, py::arg("address"))
      .def("read_u16", [](ProgramState& s, std::uint64_t a) { return ReadWord<2>(s, a); }, py::arg("address"))
      .def("read_u32", [](ProgramState& s, std::uint64_t a) { return ReadWord<4>(s, a); }, py::arg("address"))
      .def("read_u64", [](ProgramState& s, std::uint64_t a) { return ReadWord<8>(s, a); }, py::arg("address"),
           "The unsigned 64-bit word at address, in the program's byte order.")
      .def("read_cstring", [](ProgramState& s, std::uint64_t address, std::size_t max_length) {
        std::string text;
        {
          Hold hold(s);
          text = Take(s.Target().ReadCString(address, max_length), address);
        }
        return py::bytes(text);
      }, py::arg("address"), py::arg("max_length") = 4096, "The NUL-terminated bytes at address (without the NUL).")
      .def("report", &Report, py::arg("source_dirs") = std::vector<std::string>{},
           "The crash report: the same dict as `corekit report --json` prints (schema corekit.report/1).")
      .def("symbol", [](ProgramState& s, std::uint64_t address) {
        Hold hold(s);
        unwind::Unwinder& u = s.Unwinder();
        auto found = u.SymbolAt(address);
        if (!found) RaiseLookup("no symbol holds " + analyze::HexAddress(address));
        Symbol symbol{found->first, address - found->second, 0, found->second, ModuleOf(u, address)};
        if (auto bounds = u.SymbolBounds(address)) symbol.size = bounds->second;
        return symbol;
      }, py::arg("address"), "The symbol holding address. LookupError when none does.")
      .def("address_of", [](ProgramState& s, const std::string& name) {
        Hold hold(s);
        auto found = s.Unwinder().FindSymbol(name);
        if (!found) RaiseLookup("no symbol \"" + name + "\"");
        return found->address;
      }, py::arg("name"), "The address of the symbol (function or variable) so named. LookupError when none is.")
      .def("evaluate", [](const State& s, const std::string& expression) {
        return Unlocked(*s, [&] { return EvaluateInCrashedFrame(s, expression); });
      }, py::arg("expression"), "A C or C++ expression in the crashed thread's innermost frame, as gdb's print "
                                "evaluates it.")
      .def("close", [](ProgramState& s) {
        py::gil_scoped_release unlocked;
        std::lock_guard hold(s.lock);
        s.Close();
      }, "Closes the core (a live process is resumed and detached). Idempotent.")
      .def("__enter__", [](const State& s) { return s; })
      .def("__exit__", [](ProgramState& s, py::args) {
        py::gil_scoped_release unlocked;
        std::lock_guard hold(s.lock);
        s.Close();
        return false;
      })
      .def("__repr__", [](const ProgramState& s) { return Text("Program(" + s.path + ")"); });

  m.def("open", [](py::object what, std::optional<std::string> sysroot, std::optional<std::string> exe,
                   std::vector<std::string> debug_dirs, py::object debuginfod, std::string store) {
    OpenOptions options;
    options.sysroot = sysroot.value_or("");
    options.exe = exe.value_or("");
    options.debug_dirs = std::move(debug_dirs);
    options.store = std::move(store);
    if (py::isinstance<py::bool_>(debuginfod)) {
      if (!debuginfod.cast<bool>()) options.debuginfod = "";
    } else if (!debuginfod.is_none()) {
      options.debuginfod = debuginfod.cast<std::string>();
    }
    std::string target;
    if (py::isinstance<py::int_>(what)) target = std::to_string(what.cast<long>());
    else target = py::str(py::module_::import("os").attr("fspath")(what)).cast<std::string>();
    return Open(target, std::move(options));
  }, py::arg("target"), py::kw_only(), py::arg("sysroot") = py::none(), py::arg("exe") = py::none(),
     py::arg("debug_dirs") = std::vector<std::string>{}, py::arg("debuginfod") = py::none(), py::arg("store") = "",
     R"(Opens a core file (path), a live process (pid: stopped until the Program is closed), or a crash of
the crash store ("@ID", "@last").

sysroot: where the files the core names are looked up; exe: the executable, when the core's is
elsewhere; debug_dirs: separate debug files; debuginfod: server URLs, False for none, None for
$DEBUGINFOD_URLS; store: the crash store "@ID" reads (default $COREKIT_STORE, else /var/lib/corekit).)");
}

}  // namespace corekit::python
