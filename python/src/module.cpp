// The _corekit extension module: corekit.dump (the writer), corekit.Store (the crash store), and
// the module itself. Programs, threads and frames: program.cpp; values and types: values.cpp.
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <unistd.h>

#include <chrono>

#include "corekit/compact/compact.h"
#include "corekit/dump/core_file_writer.h"
#include "corekit/dump/dumper.h"
#include "corekit/dump/live_source.h"
#include "corekit/elf/core_notes.h"
#include "corekit/store/store.h"
#include "binding.h"

namespace corekit::python {
namespace {

py::dict Dump(pid_t pid, const std::string& path, bool non_stop, bool compact, bool compress, py::object progress) {
  dump::DumpOptions options;
  options.producer = "corekit " COREKIT_VERSION;
  options.options_text = std::string("python dump") + (compact ? " --compact" : "") + (non_stop ? " --non-stop" : "");
  dump::LiveSource live(pid, live::AttachOptions{}, non_stop);
  compact::CompactSource compacted(live, [&live] { return static_cast<target::Target*>(live.process()); },
                                   compact::CompactOptions{});
  dump::DumpSource& source = compact ? static_cast<dump::DumpSource&>(compacted) : live;
  dump::Dumper dumper(source, options);
  std::optional<py::error_already_set> raised;  // by the progress callback: the dump is cancelled
  dumper.set_observer([&](dump::Phase phase, const dump::Progress& p) {
    if (LongCall::Interrupted()) dumper.Cancel();
    if (progress.is_none() || raised) return;
    py::gil_scoped_acquire locked;
    try {
      progress(std::string(dump::PhaseName(phase)), p.threads_done, p.threads_total, p.bytes_done, p.bytes_total);
    } catch (py::error_already_set& e) {
      raised = std::move(e);
      dumper.Cancel();
    }
  });
  Result<dump::DumpSummary> summary = Unexpected(Errc::kInvalidArgument, "");
  {
    LongCall call;
    {
      py::gil_scoped_release unlocked;
      // The target is resumed and detached on every path out of Run, a cancelled one included.
      summary = dump::WriteCoreFile(dumper, path, compress);
    }
    call.Finish();
  }
  if (raised) throw std::move(*raised);
  const dump::DumpSummary s = Take(std::move(summary));
  const auto seconds = [](std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); };
  py::dict out;
  out["path"] = path;
  out["threads"] = s.threads;
  out["mappings"] = s.segments;
  out["mappings_dumped"] = s.segments_dumped;
  out["file_size"] = s.file_size;
  out["memory_bytes"] = s.memory_bytes;
  out["hole_bytes"] = s.hole_bytes;
  out["seconds"] = seconds(s.elapsed);
  out["stopped_seconds"] = seconds(s.stopped);
  out["non_stop"] = live.used_snapshot();
  return out;
}

struct Store {
  std::string path;
  std::unique_ptr<store::Store> store;
};

// A time the filters take: seconds since the epoch, a datetime, or the command's text ("-2h",
// "2026-12-02", "2026-12-02T10:00Z").
std::optional<std::int64_t> TimeArgument(const py::object& value) {
  if (value.is_none()) return std::nullopt;
  if (py::hasattr(value, "timestamp")) return static_cast<std::int64_t>(value.attr("timestamp")().cast<double>());
  if (py::isinstance<py::str>(value)) return Take(store::ParseTime(value.cast<std::string>()));
  return static_cast<std::int64_t>(value.cast<double>());
}

}  // namespace

void AddWriterAndStore(py::module_& m) {
  m.def("dump", &Dump, py::arg("pid"), py::arg("path"), py::kw_only(), py::arg("non_stop") = false,
        py::arg("compact") = false, py::arg("compress") = false, py::arg("progress") = py::none(),
        R"(Writes the core of the running process pid to path, as `corekit dump` does, and returns a summary dict.

The process is stopped while its core is written (non_stop: only for milliseconds, the memory
copied from a fork of it) and resumed on every path. compact: only what a post-mortem needs;
compress: zstd (also when path ends in .zst). The file appears under its name only when complete
(mode 0600). progress(phase, threads_done, threads_total, bytes_done, bytes_total) is called as it
goes; an exception it raises, or Ctrl-C, cancels the dump.)");

  py::class_<store::Crash>(m, "Crash", "A crash of the crash store, as `corekit crashes list` lists it.")
      .def_readonly("id", &store::Crash::id)
      .def_readonly("time", &store::Crash::time, "seconds since the epoch")
      .def_property_readonly("pid", [](const store::Crash& c) { return OrNone(c.pid); })
      .def_property_readonly("uid", [](const store::Crash& c) { return OrNone(c.uid); })
      .def_property_readonly("signal", [](const store::Crash& c) { return OrNone(c.signal); })
      .def_property_readonly("signal_name", [](const store::Crash& c) -> py::object {
        if (!c.signal) return py::none();
        auto name = elf::SignalName(*c.signal);
        return name.empty() ? py::none() : py::object(py::str(std::string(name)));
      })
      .def_property_readonly("executable", [](const store::Crash& c) { return Text(c.executable); })
      .def_property_readonly("command_line", [](const store::Crash& c) { return Text(c.command_line); })
      .def_property_readonly("hostname", [](const store::Crash& c) { return Text(c.hostname); })
      .def_property_readonly("signature", [](const store::Crash& c) { return OptionalText(c.signature); })
      .def_property_readonly("kind", [](const store::Crash& c) { return OptionalText(c.report_kind); }, "the report's kind of crash")
      .def_readonly("core", &store::Crash::core, "what the store holds of its core: present, compact, truncated, none")
      .def("__repr__", [](const store::Crash& c) { return Text("Crash(" + c.id + " " + c.executable + ")"); });

  py::class_<Store>(m, "Store", "The crash store the crash handler writes (`corekit handler install`).")
      .def(py::init([](py::object path) {
             Store s;
             s.path = path.is_none() ? store::Store::DefaultPath() : py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
             s.store = Take(store::Store::Open(s.path, store::Access::kRead));
             return s;
           }),
           py::arg("path") = py::none(), "Opens the store at path (default $COREKIT_STORE, else /var/lib/corekit) for reading.")
      .def_readonly("path", &Store::path)
      .def("crashes", [](Store& s, py::object since, py::object until, std::optional<std::string> exe,
                         std::optional<std::string> signature, std::optional<std::size_t> limit) {
        store::Filter filter;
        filter.since = TimeArgument(since);
        filter.until = TimeArgument(until);
        filter.executable = std::move(exe);
        filter.signature = std::move(signature);
        filter.limit = limit;
        filter.viewer = store::CallingViewer();
        return Take(s.store->List(filter));
      }, py::kw_only(), py::arg("since") = py::none(), py::arg("until") = py::none(), py::arg("exe") = py::none(),
         py::arg("signature") = py::none(), py::arg("limit") = py::none(),
         "The crashes, newest first, that match: since/until (seconds, datetime, or \"-2h\", \"2026-12-02\"), the "
         "executable's path, the signature, the newest `limit`.")
      .def("crash", [](Store& s, const std::string& id) {
        auto crash = s.store->Find(id, store::CallingViewer());
        if (!crash) RaiseLookup(crash.error().message);
        return *crash;
      }, py::arg("id"), "The crash with this id (or an unambiguous prefix of one, or \"last\").")
      .def("open", [](const Store& s, py::object crash, py::kwargs kwargs) {
        const std::string id = py::isinstance<store::Crash>(crash) ? crash.cast<const store::Crash&>().id : crash.cast<std::string>();
        kwargs["store"] = s.path;
        return py::module_::import("corekit").attr("open")("@" + id, **kwargs);
      }, py::arg("crash"), "The crash's core (a Crash or an id), as corekit.open(\"@ID\") opens it.");
}

}  // namespace corekit::python

PYBIND11_MODULE(_corekit, m) {
  using namespace corekit::python;
  m.doc() = "corekit: ELF core dumps and live processes for scripted triage (the corekit package's native part).";
  m.attr("__version__") = COREKIT_VERSION;
  AddErrors(m);
  AddValues(m);
  AddProgram(m);
  AddWriterAndStore(m);
}
