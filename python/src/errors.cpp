// corekit's errors as Python exceptions, the Ctrl-C scope of long calls, and text from a core.

#include <cstdlib>
#include <regex>

#include "binding.h"

namespace corekit::python {
namespace {

PyObject* error_type = nullptr;   // corekit.Error
PyObject* fault_type = nullptr;   // corekit.FaultError
PyObject* format_type = nullptr;  // corekit.FormatError
PyObject* lookup_type = nullptr;  // corekit.LookupError

unsigned long main_thread = 0;
std::atomic<bool> interrupted{false};
std::atomic<std::atomic<bool>*> cancel_on_interrupt{nullptr};
int depth = 0;  // LongCalls open in the main thread (guarded by the GIL when they start and end)

void OnInterrupt(int) {
  interrupted.store(true);
  if (std::atomic<bool>* cancel = cancel_on_interrupt.load()) cancel->store(true);
}

PyObject* NewException(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  const std::string qualified = std::string("corekit.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(type));
  return type;
}

// "Cannot access memory at address 0x1234" (the evaluator's words, as gdb's): the address.
std::optional<std::uint64_t> AddressIn(const std::string& message) {
  static const std::regex kAddress("0x([0-9a-fA-F]{1,16})");
  std::smatch match;
  if (!std::regex_search(message, match, kAddress)) return std::nullopt;
  return std::strtoull(match[1].str().c_str(), nullptr, 16);
}

}  // namespace

// Sets the Python error of a Failure (the GIL held: the translator runs with it).
void SetPythonError(const Failure& failure) {
  const Error& error = failure.error;
  std::optional<std::uint64_t> address = failure.address;
  PyObject* type = failure.lookup ? lookup_type : error_type;
  switch (failure.lookup ? Errc::kInvalidArgument : error.code) {
    case Errc::kNotInCore:
    case Errc::kUnmapped:
      type = fault_type;
      if (!address) address = AddressIn(error.message);
      break;
    case Errc::kTruncated:
    case Errc::kCorrupt:
    case Errc::kUnsupported:
      type = format_type;
      break;
    default:
      break;
  }
  py::object exception = py::reinterpret_borrow<py::object>(type)(Text(error.message));
  exception.attr("code") = ErrcName(error.code);
  if (type == fault_type) exception.attr("address") = address ? py::object(py::int_(*address)) : py::object(py::none());
  PyErr_SetObject(type, exception.ptr());
}

LongCall::LongCall(std::atomic<bool>* cancel) {
  if (PyThread_get_thread_ident() != main_thread || depth++ > 0) return;
  interrupted.store(false);
  if (cancel) cancel->store(false);
  cancel_on_interrupt.store(cancel);
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  installed_ = ::sigaction(SIGINT, &action, &previous_) == 0;
}

LongCall::~LongCall() {
  if (PyThread_get_thread_ident() != main_thread) return;
  --depth;
  if (!installed_) return;
  ::sigaction(SIGINT, &previous_, nullptr);
  cancel_on_interrupt.store(nullptr);
}

void LongCall::Finish() {
  if (installed_ && interrupted.exchange(false)) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
}

bool LongCall::Interrupted() { return interrupted.load(); }

py::str Text(const std::string& text) {
  PyObject* s = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "surrogateescape");
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

py::object OptionalText(const std::optional<std::string>& text) { return text ? py::object(Text(*text)) : py::none(); }

void AddErrors(py::module_& m) {
  main_thread = PyThread_get_thread_ident();
  error_type = NewException(m, "Error",
                            "Something corekit could not do: the message says what, as the corekit command would.\n"
                            "`code` names the kind (not-in-core, truncated, corrupt, unsupported, io, ...).",
                            PyExc_Exception);
  fault_type = NewException(m, "FaultError",
                            "Memory the core (or process) does not hold: `address` is where, when known.", error_type);
  format_type = NewException(m, "FormatError", "A file that is not a core corekit can read: malformed, cut short, or "
                                               "of a kind it does not read.", error_type);
  py::tuple lookup_bases = py::make_tuple(py::reinterpret_borrow<py::object>(error_type),
                                          py::reinterpret_borrow<py::object>(PyExc_LookupError));
  lookup_type = NewException(m, "LookupError", "No such thread, symbol, variable or stored crash.", lookup_bases.ptr());
  py::register_exception_translator([](std::exception_ptr raised) {
    try {
      if (raised) std::rethrow_exception(raised);
    } catch (const Failure& failure) {
      SetPythonError(failure);
    }
  });
}

}  // namespace corekit::python
