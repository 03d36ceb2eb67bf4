// The Locator a command reads with (locate/locator.h), set from its options: --debug-dir,
// --sysroot, --debuginfod URL (else DEBUGINFOD_URLS), --offline, --debuginfod-timeout. On a
// terminal each download shows one progress line on stderr (what, size, rate); Ctrl-C during a
// download cancels it and the command goes on without that file.
#pragma once

#include <memory>

#include "corekit/locate/locator.h"
#include "corekit/unwind/unwinder.h"
#include "render.h"

namespace corekit::tools {

class SymbolFetch {
 public:
  explicit SymbolFetch(const CommonOptions& options);
  ~SymbolFetch();
  locate::Locator& locator() { return *locator_; }
  // The unwinder's options for this command, with this locator.
  unwind::UnwindOptions UnwindOptions();
  // Prints, once each, the warnings the locator gathered since the last call ("warning: ...").
  void PrintNewWarnings();

 private:
  const CommonOptions& options_;
  std::unique_ptr<locate::FetchObserver> progress_;
  std::unique_ptr<locate::Locator> locator_;
  std::size_t warnings_printed_ = 0;
};

}  // namespace corekit::tools
