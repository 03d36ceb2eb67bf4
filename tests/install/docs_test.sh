#!/usr/bin/env bash
# tests/install/docs_test.sh COREKIT MAN_GZ COMPLETION
# The generated man page documents every subcommand and every option of each, and renders
# without a groff warning; the bash completion completes subcommands and their options.
set -euo pipefail
corekit=$1 man=$2 completion=$3
fail() { echo "FAIL: $*"; exit 1; }

commands=$("$corekit" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NF && !/:$/ {print $1}')
[ -n "$commands" ] || fail "no subcommands in corekit --help"
page=$(zcat "$man")
for command in $commands; do
  grep -qx ".SS $command" <<<"$page" || fail "man page has no section for '$command'"
  for option in $("$corekit" "$command" --help | grep -o -- '--[a-z][-a-z]*' | sort -u); do
    grep -qF -- "${option//-/\\-}" <<<"$page" || fail "man page lacks $command's $option"
  done
done
warnings=$(zcat "$man" | groff -man -ww -z -Tutf8 2>&1) || true
[ -z "$warnings" ] || fail "groff warns: $warnings"
MANWIDTH=80 man -l "$man" 2>/dev/null | grep -q "EXIT STATUS" || fail "man -l does not render EXIT STATUS"

complete_line() {  # the completions bash offers for the words given, the last being completed
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _corekit; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$completion" "$@"
}
[ "$(complete_line corekit b)" = bt ] || fail "corekit b<TAB> does not give bt"
[ "$(complete_line corekit bt --max)" = --max-frames ] || fail "corekit bt --max<TAB> does not give --max-frames"
complete_line corekit debug --b | grep -qx -- --batch || fail "corekit debug --b<TAB> does not give --batch"
echo "ok: man page covers $(wc -w <<<"$commands") subcommands; completion works"
