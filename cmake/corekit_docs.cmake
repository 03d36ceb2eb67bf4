# Writes the corekit(1) man page and the bash completion from the command's own help texts
# (`corekit --help` and `corekit COMMAND --help`), so that neither can drift from the program.
#   cmake -DCOREKIT=path/to/corekit -DMAN=corekit.1 -DCOMPLETION=corekit.bash -P corekit_docs.cmake
#
# CLI11's help is read as: a line ending in ':' at column 0 starts a section ("Options:"); a line
# indented by two spaces is an item, its name (an option's spellings and value type) separated
# from its description by a run of spaces, or with its description on the next, deeper-indented
# line; other lines are prose. The top-level footer's "Exit status:" and "Environment:" sections
# become the man page's own.
cmake_minimum_required(VERSION 3.25)  # policies: empty list elements are kept
foreach(var COREKIT MAN COMPLETION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "corekit_docs.cmake needs -D${var}=...")
  endif()
endforeach()

function(corekit_help out)
  execute_process(COMMAND ${COREKIT} ${ARGN} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${COREKIT} ${ARGN} --help failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Roff text: backslashes escaped, and no line may start with a control character.
function(roff_text out text)
  string(REPLACE "\\" "\\e" text "${text}")
  if(text MATCHES "^[.']")
    set(text "\\&${text}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Splits help text into lines. A ';' in the text would split CMake's lists: it travels as the
# ASCII unit separator until the output is written (unsemicolon).
string(ASCII 31 semicolon)
function(help_lines out text)
  string(REPLACE ";" "${semicolon}" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()
function(unsemicolon var)
  string(REPLACE "${semicolon}" ";" text "${${var}}")
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

# The roff of one help text (sections as .SS, or .SH for the top-level footer's), and the option
# spellings it lists, in <prefix>_OPTIONS.
function(help_to_roff out prefix text section_macro)
  help_lines(lines "${text}")
  set(roff "")
  set(options "")
  set(verbatim OFF)  # inside an "Example:" section: command lines, kept as they are
  foreach(line IN LISTS lines)
    if(verbatim AND line STREQUAL "")
      string(APPEND roff ".fi\n.RE\n")
      set(verbatim OFF)
      continue()
    elseif(verbatim)
      string(STRIP "${line}" example)
      roff_text(example "${example}")
      string(REPLACE "-" "\\-" example "${example}")  # ASCII minus signs, for copy and paste
      string(APPEND roff "${example}\n")
      continue()
    endif()
    if(line MATCHES "^Usage: (.*)$")
      roff_text(usage "${CMAKE_MATCH_1}")
      string(APPEND roff ".PP\n.B ${usage}\n")
    elseif(line MATCHES "^(Examples?):$")
      string(APPEND roff ".PP\n${CMAKE_MATCH_1}:\n.RS 4\n.nf\n")
      set(verbatim ON)
    elseif(line MATCHES "^([A-Za-z][A-Za-z ]*):$")
      string(TOUPPER "${CMAKE_MATCH_1}" heading)
      if(section_macro STREQUAL ".SH")
        string(APPEND roff ".SH ${heading}\n")
      else()
        string(APPEND roff ".PP\n${CMAKE_MATCH_1}:\n")
      endif()
    elseif(line MATCHES "^          +([^ ].*)$")  # the description of a long item, below it
      roff_text(description "${CMAKE_MATCH_1}")
      string(APPEND roff "${description}\n")
    elseif(line MATCHES "^  [^ ]")
      # (Two MATCHES in one if() would both run, the second overwriting CMAKE_MATCH_n.)
      if(line MATCHES "^  ([^ ].*[^ ])   +([^ ].*)$")
        set(name "${CMAKE_MATCH_1}")
        set(description "${CMAKE_MATCH_2}")
      else()
        string(STRIP "${line}" name)
        set(description "")
      endif()
      string(REGEX REPLACE " Excludes: .*$" "" name "${name}")
      string(REGEX MATCHALL "--?[A-Za-z][-A-Za-z]*" spellings "${name}")
      list(APPEND options ${spellings})
      roff_text(name "${name}")
      string(REPLACE "-" "\\-" name "${name}")
      roff_text(description "${description}")
      string(APPEND roff ".TP\n.B ${name}\n")
      if(NOT description STREQUAL "")
        string(APPEND roff "${description}\n")
      endif()
    elseif(line STREQUAL "")
      string(APPEND roff ".PP\n")
    else()
      roff_text(prose "${line}")
      string(APPEND roff "${prose}\n")
    endif()
  endforeach()
  if(verbatim)
    string(APPEND roff ".fi\n.RE\n")
  endif()
  string(REGEX REPLACE "(\\.PP\n)+" ".PP\n" roff "${roff}")
  set(${out} "${roff}" PARENT_SCOPE)
  set(${prefix}_OPTIONS "${options}" PARENT_SCOPE)
endfunction()

# --- the top level: version, description, subcommands, footer ---
execute_process(COMMAND ${COREKIT} --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
corekit_help(top)
help_lines(top_lines "${top}")
list(GET top_lines 0 summary)                       # "corekit: read, explain ..."
string(REGEX REPLACE "^corekit: " "" summary "${summary}")
# The names a help text lists under "Subcommands:".
function(subcommands_of out text)
  help_lines(lines "${text}")
  set(names "")
  set(inside OFF)
  foreach(line IN LISTS lines)
    if(line STREQUAL "Subcommands:")
      set(inside ON)
    elseif(inside AND line MATCHES "^  ([a-z]+)  ")
      list(APPEND names ${CMAKE_MATCH_1})
    elseif(inside AND line STREQUAL "")
      set(inside OFF)
    endif()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()
subcommands_of(commands "${top}")
if(NOT commands)
  message(FATAL_ERROR "no subcommands found in `corekit --help`")
endif()
# A command with verbs of its own (crashes list, handler install): each verb gets a section
# after its command's, as "command verb".
set(expanded "")
foreach(command IN LISTS commands)
  list(APPEND expanded "${command}")
  corekit_help(text ${command})
  subcommands_of(verbs_of_${command} "${text}")
  foreach(verb IN LISTS verbs_of_${command})
    list(APPEND expanded "${command} ${verb}")
  endforeach()
endforeach()
# The footer: what follows the subcommand list.
string(FIND "${top}" "\nSubcommands:\n" at)
string(SUBSTRING "${top}" ${at} -1 rest)
string(REGEX REPLACE "^\nSubcommands:\n(  [^\n]*\n)*\n" "" footer "${rest}")
string(REGEX REPLACE "^(.*)\n\n(Exit status:.*)$" "\\1" footer_prose "${footer}")
string(REGEX REPLACE "^(.*)\n\n(Exit status:.*)$" "\\2" footer_sections "${footer}")

string(TIMESTAMP date "%Y-%m-%d" UTC)  # honours SOURCE_DATE_EPOCH
roff_text(summary_roff "${summary}")
string(REPLACE "-" "\\-" summary_roff "${summary_roff}")
set(man ".\\\" Generated by cmake/corekit_docs.cmake from corekit --help; do not edit.
.TH COREKIT 1 \"${date}\" \"${version}\" \"User Commands\"
.SH NAME
corekit \\- ${summary_roff}
.SH SYNOPSIS
.B corekit
.I command
.RI [ options ]
.RI [ core | pid ]
.br
.B corekit \\-\\-help
|
.B \\-\\-version
.SH DESCRIPTION
")
help_lines(prose_lines "${footer_prose}")
foreach(line IN LISTS prose_lines)
  roff_text(line "${line}")
  string(APPEND man "${line}\n")
endforeach()
string(APPEND man ".SH COMMANDS\n")
set(completion_cases "")
foreach(command IN LISTS expanded)
  separate_arguments(words UNIX_COMMAND "${command}")
  corekit_help(text ${words})
  help_lines(lines "${text}")
  list(GET lines 0 description)
  list(REMOVE_AT lines 0)
  string(REPLACE ";" "\n" body "${lines}")
  # A man page says what a command does before its options: the footer's prose (what follows
  # the options after a blank line) goes first, its examples last.
  set(footer_prose "")
  set(footer_example "")
  if(body MATCHES "^(.*\nOptions:\n[^\n]*(\n  [^\n]*)*)\n\n(.*)$")
    set(body "${CMAKE_MATCH_1}")
    set(footer_prose "${CMAKE_MATCH_3}")
    if(footer_prose MATCHES "^(.*)\n\n(Examples?:\n.*)$")
      set(footer_prose "${CMAKE_MATCH_1}")
      set(footer_example "${CMAKE_MATCH_2}")
    elseif(footer_prose MATCHES "^Examples?:\n")  # a footer of examples alone
      set(footer_example "${footer_prose}")
      set(footer_prose "")
    endif()
  endif()
  help_to_roff(prose_roff prose "${footer_prose}" ".SS")
  help_to_roff(example_roff example "${footer_example}" ".SS")
  help_to_roff(roff command "${body}" ".SS")
  roff_text(description "${description}")
  string(APPEND man ".SS ${command}\n${description}\n.PP\n${prose_roff}${roff}${example_roff}")
  # Completion: a command's words are its options, its verbs and its verbs' options.
  list(GET words 0 top)
  list(APPEND completion_words_${top} ${command_OPTIONS} ${verbs_of_${top}})
endforeach()
foreach(command IN LISTS commands)
  list(REMOVE_DUPLICATES completion_words_${command})
  string(REPLACE ";" " " words "${completion_words_${command}}")
  string(APPEND completion_cases "    ${command}) options=\"${words}\" ;;\n")
endforeach()
help_to_roff(sections_roff footer "${footer_sections}" ".SH")
string(APPEND man "${sections_roff}.SH SEE ALSO\n.BR gdb (1),\n.BR eu-stack (1),\n.BR coredumpctl (1),\n.BR core (5)\n")
unsemicolon(man)
file(WRITE "${MAN}" "${man}")

# --- bash completion ---
string(REPLACE ";" " " command_words "${commands}")
file(WRITE "${COMPLETION}" "# bash completion for corekit; generated by cmake/corekit_docs.cmake from corekit --help.
_corekit() {
  local cur=\${COMP_WORDS[COMP_CWORD]} command=\"\" options=\"\" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in -*) ;; *) command=\${COMP_WORDS[i]}; break ;; esac
  done
  if [[ -z \$command ]]; then
    COMPREPLY=(\$(compgen -W \"${command_words} --help --version\" -- \"\$cur\"))
    return
  fi
  case \$command in
${completion_cases}  esac
  if [[ \$cur == -* || ( \$COMP_CWORD -eq 2 && ( \$command == crashes || \$command == handler ) ) ]]; then
    COMPREPLY=(\$(compgen -W \"\$options\" -- \"\$cur\"))
  elif [[ \$command == dump ]]; then
    # dump takes a PID: the processes of this user.
    COMPREPLY=(\$(compgen -W \"\$(ps -o pid= -u \"\$(id -u)\" 2>/dev/null)\" -- \"\$cur\"))
  else
    compopt -o filenames 2>/dev/null
    COMPREPLY=(\$(compgen -f -- \"\$cur\"))
  fi
}
complete -F _corekit corekit
")
