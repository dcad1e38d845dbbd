# Fails the firmware build unless linking heap_probe.cpp the firmware's way
# fails for want of malloc and operator new: the program has no heap, and
# anything that asks for one does not link.
#
#   cmake -DCXX=... -DSOURCE=heap_probe.cpp -DOUT=... -DFLAGS=a|b -DLINK=c|d -P heap_check.cmake
cmake_minimum_required(VERSION 3.21)
string(REPLACE "|" ";" FLAGS "${FLAGS}")
string(REPLACE "|" ";" LINK "${LINK}")
execute_process(COMMAND ${CXX} ${FLAGS} ${SOURCE} ${LINK} -o ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "heap_check: a program that calls malloc and new linked: the firmware has a heap")
endif()
foreach(symbol "malloc" "operator new")
  if(NOT out MATCHES "undefined reference to `${symbol}")
    message(FATAL_ERROR "heap_check: the probe failed to link, but not for want of ${symbol}:\n${out}")
  endif()
endforeach()
file(WRITE ${OUT}.log "${out}")
message(STATUS "heap_check: malloc and operator new are undefined: no heap")
