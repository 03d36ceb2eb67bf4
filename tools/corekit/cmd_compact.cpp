// corekit compact IN OUT: rewrite a core keeping what a post-mortem needs (compact.h) — the
// notes unchanged, every thread's stack, what registers and stack words point to, the link map
// and build-ids, the vDSO — still an ordinary ELF core that gdb, lldb and eu-stack read.
#include <fmt/format.h>

#include "core_writer.h"
#include "corekit/compact/compact.h"
#include "corekit/dump/core_source.h"
#include "render.h"
#include "stored_crash.h"

namespace corekit::tools {
namespace {

struct CompactCommandOptions {
  std::string input, output;
  std::string stack_limit = "8M", pointee_limit = "64M";
  std::string sysroot;
  bool json = false;
  bool compress = false;
};

int Run(const CompactCommandOptions& options) {
  compact::CompactOptions co;
  auto stack = ParseSize(options.stack_limit);
  if (!stack) return Fail(stack.error());
  auto pointees = ParseSize(options.pointee_limit);
  if (!pointees) return Fail(pointees.error());
  co.stack_limit = *stack;
  co.pointee_limit = *pointees;
  core::Options core_options;
  core_options.sysroot = options.sysroot;
  std::string input = options.input;
  if (IsStoredCrash(input)) {
    auto path = StoredCorePath("", input);
    if (!path) return Fail(path.error());
    input = *path;
  }
  auto core = core::CoreFile::Open(input, core_options);
  if (!core) return Fail(core.error());
  dump::CoreSource source(**core);
  core::CoreFile* file = core->get();
  compact::CompactSource compacted(source, [file] { return static_cast<target::Target*>(file); }, co);
  dump::DumpOptions dump_options;
  dump_options.producer = "corekit " COREKIT_VERSION;
  dump_options.options_text = "compact --stack-limit " + options.stack_limit + " --pointee-limit " + options.pointee_limit;
  dump::Dumper dumper(compacted, dump_options);
  auto summary = WriteCore(dumper, options.output, options.compress);
  if (!summary) return Fail(summary.error());
  const std::uint64_t in_size = (*core)->file().bytes().size();
  const double percent = in_size ? 100.0 * static_cast<double>(summary->file_size) / static_cast<double>(in_size) : 0;
  std::FILE* out = options.output == "-" ? stderr : stdout;
  if (options.json) {
    const nlohmann::json j = {{"input", options.input}, {"output", options.output}, {"input_size", in_size},
                              {"output_size", summary->file_size}, {"memory_bytes", summary->memory_bytes},
                              {"segments", summary->segments}, {"segments_with_data", summary->segments_dumped}};
    PrintJson(j, out);
    return 0;
  }
  PrintTo(out, "{}: {} of {} ({:.{}f}%), {} of memory in {} segments\n", options.output, HumanSize(summary->file_size),
             HumanSize(in_size), percent, percent < 1 ? 3 : 1, HumanSize(summary->memory_bytes), summary->segments_dumped);
  return 0;
}

}  // namespace

void AddCompactCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<CompactCommandOptions>();
  CLI::App* command = app.add_subcommand("compact", "rewrite a core keeping only what a post-mortem needs");
  command->footer(R"(Keeps the notes, every thread's stack from SP up, the pages registers and stack words point
into, what corekit's module discovery, unwinder and crash report read, the vDSO, the loader's
and libc's data and the pages around the fault. The result is an ordinary ELF core that gdb,
lldb and eu-stack read as they read the full one.

Example:
  corekit compact core core.small)");
  command->add_option("input", options->input, "the core to compact")->required();
  command->add_option("output", options->output, "the compact core to write (- for stdout)")->required();
  command->add_option("--stack-limit", options->stack_limit, "stack kept per thread, from SP up (default 8M)");
  command->add_option("--pointee-limit", options->pointee_limit,
                      "memory kept because registers and stack words point to it (default 64M)");
  command->add_option("--sysroot", options->sysroot, "look up the files the core names under this directory");
  command->add_flag("--compress", options->compress, "zstd-compress the output (default for NAME.zst)");
  command->add_flag("--json", options->json, "print the summary as JSON");
  command->callback([options, &run] { run = [options] { return Run(*options); }; });
}

}  // namespace corekit::tools
