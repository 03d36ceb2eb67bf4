# Splits IN into a stripped OUT and its debug info (compressed, as Debian ships it), stored by
# build-id under DEBUG_DIR (DEBUG_DIR/.build-id/xx/yyyy.debug), the layout gdb, libdwfl and
# Debian's dbgsym packages use.
execute_process(COMMAND readelf -n ${IN} OUTPUT_VARIABLE notes COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCH "Build ID: ([0-9a-f]+)" _ "${notes}")
set(id "${CMAKE_MATCH_1}")
if(NOT id)
  message(FATAL_ERROR "${IN} has no build-id")
endif()
string(SUBSTRING "${id}" 0 2 head)
string(SUBSTRING "${id}" 2 -1 tail)
file(MAKE_DIRECTORY ${DEBUG_DIR}/.build-id/${head})
execute_process(COMMAND objcopy --only-keep-debug --compress-debug-sections=zlib ${IN}
                        ${DEBUG_DIR}/.build-id/${head}/${tail}.debug
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND objcopy --strip-all ${IN} ${OUT} COMMAND_ERROR_IS_FATAL ANY)
