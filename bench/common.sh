# Shared by the bench/ scripts: source it after `cd` to the project root.
# bench_setup BUILD TARGET...: builds the targets, makes $work (removed on exit), raises
# vm.max_map_count for the many-mappings programs and checks that kernel cores land in the cwd.
bench_setup() {
  local build=$1
  shift
  cmake --build "$build" --target "$@" >/dev/null
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  [ "$(cat /proc/sys/vm/max_map_count)" -ge 200000 ] || echo 200000 > /proc/sys/vm/max_map_count
  if grep -q '^|' /proc/sys/kernel/core_pattern; then echo "core_pattern is a pipe" >&2; exit 1; fi
  export work
  export -f cold_corekit
}

# cold_corekit ARGS...: $build/corekit with an empty debug cache on every run (bash -c can call
# it once the script has exported `build`).
cold_corekit() {
  local dir
  dir=$(mktemp -d -p "$work")
  COREKIT_CACHE_DIR=$dir "$build/corekit" "$@"
  rm -rf "$dir"
}

# crash_in DIR PROGRAM ARGS...: runs the program in DIR with unlimited cores; leaves DIR/core.
crash_in() {
  local dir=$1
  shift
  mkdir -p "$dir"
  { ( cd "$dir"; ulimit -c unlimited; exec "$@" >/dev/null ) 2>/dev/null; } 2>/dev/null || true
  [ -f "$dir/core" ] || { echo "no core in $dir" >&2; exit 1; }
}

# mean_of_5 COMMAND...: the mean wall time in seconds of 5 runs after a warm-up.
mean_of_5() {
  local i start end
  "$@" >/dev/null 2>&1 || true
  start=$(date +%s%N)
  for i in 1 2 3 4 5; do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk "BEGIN{printf \"%.3f\", ($end - $start) / 5e9}"
}
