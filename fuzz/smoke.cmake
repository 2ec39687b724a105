# CTest registration of the bounded fuzz smoke (label "fuzz"), for the normal
# (gcc) build: include(${CMAKE_SOURCE_DIR}/fuzz/smoke.cmake) after enable_testing().
#
# fuzz.build configures and builds the clang/libFuzzer targets in
# <build>/fuzz (scripts/fuzz.sh build); then one test per target replays its
# seeds and crash regressions (fuzz/corpus, fuzz/regressions) and fuzzes it for
# VI2C_FUZZ_SMOKE_SECONDS. About 2.5 minutes in all on two cores.
set(VI2C_FUZZ_SMOKE_SECONDS 15 CACHE STRING "Seconds of fuzzing per target in the CTest smoke")

set(VI2C_FUZZ_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/../scripts/fuzz.sh)
set(VI2C_FUZZ_ENV "VI2C_FUZZ_BUILD=${CMAKE_BINARY_DIR}/fuzz")

add_test(NAME fuzz.build COMMAND ${VI2C_FUZZ_SCRIPT} build)
set_tests_properties(fuzz.build PROPERTIES LABELS fuzz TIMEOUT 600
  ENVIRONMENT "${VI2C_FUZZ_ENV}" FIXTURES_SETUP vi2c_fuzz_build)

foreach(target vhost_user virtq config smbus emul control)
  add_test(NAME fuzz.${target}
           COMMAND ${VI2C_FUZZ_SCRIPT} check ${target} ${VI2C_FUZZ_SMOKE_SECONDS})
  set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT 300
    ENVIRONMENT "${VI2C_FUZZ_ENV}" FIXTURES_REQUIRED vi2c_fuzz_build)
endforeach()
