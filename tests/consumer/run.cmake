# Installs ksym into a scratch prefix, then configures, builds and runs the
# consumer project against it with find_package(ksym CONFIG REQUIRED).
# Also checks that the pkg-config file lands. Invoked by ctest.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S ${KSYM_SOURCE_DIR} -B ${WORK_DIR}/ksym-build -DCMAKE_CXX_COMPILER=${CXX}
    -DKSYM_BUILD_TESTS=OFF -DKSYM_BUILD_BENCH=OFF -DKSYM_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX=${prefix})
run(${CMAKE_COMMAND} --install ${WORK_DIR}/ksym-build)
if(NOT EXISTS ${prefix}/share/pkgconfig/ksym.pc)
  message(FATAL_ERROR "pkg-config file was not installed")
endif()
run(${CMAKE_COMMAND} -S ${KSYM_SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/consumer-build
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${WORK_DIR}/consumer-build/consumer)

# The same consumer with ksym pulled in as a subproject.
run(${CMAKE_COMMAND} -S ${KSYM_SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/fetch-build
    -DCMAKE_CXX_COMPILER=${CXX} -DKSYM_FETCH_SOURCE=${KSYM_SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/fetch-build)
run(${WORK_DIR}/fetch-build/consumer)
