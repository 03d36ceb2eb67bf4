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
check_command() {  # check_command WORD...: a section, and every option of its help
  grep -qx ".SS $*" <<<"$page" || fail "man page has no section for '$*'"
  for option in $("$corekit" "$@" --help | grep -o -- '--[a-z][-a-z]*' | sort -u); do
    grep -qF -- "${option//-/\\-}" <<<"$page" || fail "man page lacks $*'s $option"
  done
}
for command in $commands; do
  check_command "$command"
  # Verbs of a command (crashes list, handler install) have sections of their own.
  for verb in $("$corekit" "$command" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NF && !/:$/ {print $1}'); do
    check_command "$command" "$verb"
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
[ "$(complete_line corekit crashes li)" = list ] || fail "corekit crashes li<TAB> does not give list"
echo "ok: man page covers $(wc -w <<<"$commands") subcommands; completion works"
