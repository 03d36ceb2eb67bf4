#!/usr/bin/env bash
# Runs the core fuzzer for a fixed time on generated seeds plus the peer corpus's small cores.
# Usage: run_fuzz.sh FUZZER MAKE_SEEDS SECONDS [CORPUS_DIR]
set -euo pipefail
fuzzer=$1 make_seeds=$2 seconds=$3 corpus=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/seeds" "$work/found"
"$make_seeds" "$work/seeds"
extra=()
if [ -n "$corpus" ] && [ -d "$corpus/lldb" ]; then
  # Small peer cores as read-only seed directories (read in place, never copied).
  mkdir -p "$work/peers"
  find "$corpus" -type f -size -300k ! -name '*.txt' ! -name '*.md' ! -name '*.tsv' \
    -exec ln -s {} "$work/peers/" \; 2>/dev/null || true
  extra+=("$work/peers")
fi
echo "fuzzing for ${seconds}s: $(ls "$work/seeds" | wc -l) generated seeds, ${#extra[@]} peer directory"
exec "$fuzzer" -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$PWD/fuzz-crash-" -print_final_stats=1 "$work/found" "$work/seeds" "${extra[@]}"
