# After a firmware link: its text size and the deepest stack any call chain
# can reach (stack_bound.awk over the -fcallgraph-info=su files, from the
# start-up code's three calls), written to REPORT. With CHECK, more text
# than TEXT or a bound over STACK fails the build.
#
#   cmake -DELF=... -DSIZE=... -DFILT=... -DCI_FILES=a.o|b.o -DAWK=... -DSTACK=... -DTEXT=...
#         -DCHECK=1 -DREPORT=... -P budgets.cmake
cmake_minimum_required(VERSION 3.21)

execute_process(COMMAND ${SIZE} -A ${ELF} OUTPUT_VARIABLE sections RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT sections MATCHES "\n\\.text +([0-9]+)")
  message(FATAL_ERROR "budgets: cannot read the sections of ${ELF}")
endif()
set(text ${CMAKE_MATCH_1})

# GCC writes x.cpp.ci next to x.cpp.o (.obj here); the start-up assembly has none (it
# calls board_init, main and board_exit, each from the top of the stack).
set(ci "")
string(REPLACE "|" ";" CI_FILES "${CI_FILES}")  # "|"-separated: a custom command splits arguments at ";"
foreach(obj IN LISTS CI_FILES)
  string(REGEX REPLACE "\\.o(bj)?$" ".ci" c "${obj}")
  if(EXISTS "${c}")
    list(APPEND ci "${c}")
  endif()
endforeach()
execute_process(COMMAND awk -v root=board_init,main,board_exit -f ${AWK} ${ci}
  OUTPUT_VARIABLE bound_line ERROR_VARIABLE bound_error RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(rc EQUAL 0 AND bound_line MATCHES "^([0-9]+) (.*)$")
  set(bound ${CMAKE_MATCH_1})
  file(WRITE ${REPORT}.chain "${CMAKE_MATCH_2}\n")
  execute_process(COMMAND ${FILT} INPUT_FILE ${REPORT}.chain OUTPUT_VARIABLE chain OUTPUT_STRIP_TRAILING_WHITESPACE)
elseif(CHECK)
  message(FATAL_ERROR "budgets: no static stack bound for ${ELF}:\n${bound_error}")
else()
  # The dispatching program calls through reader_ref's function pointers.
  set(bound "unknown")
  string(REPLACE "stack_bound: " "" chain "${bound_error}")
  string(STRIP "${chain}" chain)
endif()

get_filename_component(name ${ELF} NAME_WE)
if(CHECK)
  set(report "${name}: text ${text} bytes (budget ${TEXT}); static stack bound ${bound} bytes (stack ${STACK}):\n  ${chain}\n")
else()
  set(report "${name}: text ${text} bytes (not held to the budgets); static stack bound ${bound}:\n  ${chain}\n")
endif()
file(WRITE ${REPORT} "${report}")
message(STATUS "${report}")
if(CHECK)
  if(text GREATER TEXT)
    message(FATAL_ERROR "budgets: ${name} has ${text} bytes of text, over ${TEXT}")
  endif()
  if(bound GREATER STACK)
    message(FATAL_ERROR "budgets: ${name} may use ${bound} bytes of stack, over ${STACK}")
  endif()
endif()
