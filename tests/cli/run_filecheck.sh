#!/usr/bin/env bash
# A small lit: runs the `RUN:` lines of one .test file with %corekit, %corpus, %s and %t
# substituted, each under `set -o pipefail`. `REQUIRES: corpus` skips (exit 77) when the peer
# corpus is absent. Usage: run_filecheck.sh TEST COREKIT FILECHECK CORPUS
set -uo pipefail
test_file=$1 corekit=$2 filecheck=$3 corpus=$4
if grep -q 'REQUIRES: corpus' "$test_file" && [ ! -d "$corpus/lldb" ]; then
  echo "skipped: the peer corpus is not at $corpus"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
while IFS= read -r line; do
  command=${line#*RUN: }
  command=${command//%corekit/$corekit}
  command=${command//FileCheck/$filecheck}
  command=${command//%corpus/$corpus}
  command=${command//%s/$test_file}
  command=${command//%t/$tmp}
  echo "RUN: $command"
  if ! bash -c "set -o pipefail; $command"; then
    echo "FAILED: $command"
    status=1
  fi
done < <(grep -E '^# RUN: ' "$test_file")
exit $status
