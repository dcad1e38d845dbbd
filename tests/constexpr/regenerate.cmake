# Runs GENERATOR with ARGS and OUT, then requires OUT to equal COMMITTED
# byte for byte. The generator's exit status 77 (no corpus) is passed on,
# so ctest reports the test skipped.
#
#   cmake -DGENERATOR=... -DARGS=a;b -DOUT=... -DCOMMITTED=... -P regenerate.cmake
cmake_minimum_required(VERSION 3.21)
execute_process(COMMAND ${GENERATOR} ${ARGS} ${OUT} RESULT_VARIABLE rc)
if(rc EQUAL 77)
  # cmake -P cannot exit with a chosen status; a message ctest matches does.
  message("KSYM_SKIPPED: the corpus kernel is absent")
  return()
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} ${ARGS} failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${COMMITTED} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "${COMMITTED} is stale: regenerating it gives ${OUT}")
endif()
