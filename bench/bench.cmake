# vi2c-bench: the benchmark tool, its start-up/footprint helper and a CTest smoke pass.
# Include from the top-level CMakeLists.txt AFTER add_subdirectory(tests): the tool
# drives the backend through the test frontend library (vi2c_frontend).
if(NOT TARGET vi2c_frontend)
  message(STATUS "bench: skipped (needs the test frontend library, VI2C_TESTS=ON)")
  return()
endif()

set(VI2C_BENCH_DIR ${CMAKE_CURRENT_LIST_DIR})
# JSON reports and their readers (Debian libjansson-dev, scripts/install-deps.sh).
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

add_executable(vi2c-bench
  ${VI2C_BENCH_DIR}/main.c ${VI2C_BENCH_DIR}/driver.c ${VI2C_BENCH_DIR}/floor.c
  ${VI2C_BENCH_DIR}/stats.c ${VI2C_BENCH_DIR}/procinfo.c)
target_link_libraries(vi2c-bench PRIVATE vi2c_frontend PkgConfig::JANSSON m)

add_executable(vi2c-bench-startup
  ${VI2C_BENCH_DIR}/startup.c ${VI2C_BENCH_DIR}/stats.c ${VI2C_BENCH_DIR}/procinfo.c)
target_include_directories(vi2c-bench-startup PRIVATE ${CMAKE_SOURCE_DIR}/tests/frontend)
target_link_libraries(vi2c-bench-startup PRIVATE PkgConfig::JANSSON m)

# A stand-in backend with other implementations' quirks (re-created sockets, wrong used.len).
add_executable(vi2c-bench-standin ${VI2C_BENCH_DIR}/standin.c)
target_link_libraries(vi2c-bench-standin PRIVATE Threads::Threads)

# Smoke pass: correctness of the tool against the dev daemon and the stand-in, tiny counts,
# no timing limits.
add_executable(bench_smoke ${VI2C_BENCH_DIR}/smoke.c
  ${CMAKE_SOURCE_DIR}/tests/integration/daemon.c)
target_include_directories(bench_smoke PRIVATE ${CMAKE_SOURCE_DIR}/tests/integration)
target_link_libraries(bench_smoke PRIVATE vi2c_frontend PkgConfig::JANSSON m)
add_test(NAME bench.smoke COMMAND bench_smoke)
set_tests_properties(bench.smoke PROPERTIES LABELS bench TIMEOUT 150
  ENVIRONMENT "VI2C_DAEMON=$<TARGET_FILE:vhost-user-i2c>;VI2C_BENCH=$<TARGET_FILE:vi2c-bench>;VI2C_BENCH_STARTUP=$<TARGET_FILE:vi2c-bench-startup>;VI2C_BENCH_STANDIN=$<TARGET_FILE:vi2c-bench-standin>")
