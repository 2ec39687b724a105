# libFuzzer targets, clang only. Included by fuzz/CMakeLists.txt (the standalone
# fuzz build that scripts/fuzz.sh configures in build-fuzz) or by the top-level
# CMakeLists.txt when configured with -DVI2C_FUZZ=ON and CC=clang.
#
# The daemon's code is compiled again here, into vi2c_fuzz_core, with coverage
# instrumentation (-fsanitize=fuzzer-no-link) and ASan+UBSan, so that this file
# does not depend on how or where the top level defines vi2c_core.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "fuzz targets need clang's libFuzzer: configure with CC=clang")
endif()

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(VI2C_FUZZ_SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(VI2C_FUZZ_JANSSON REQUIRED IMPORTED_TARGET jansson)

get_filename_component(VI2C_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR} ABSOLUTE)
get_filename_component(VI2C_FUZZ_SRC ${CMAKE_CURRENT_LIST_DIR}/../src ABSOLUTE)
file(GLOB VI2C_FUZZ_CORE_SOURCES CONFIGURE_DEPENDS ${VI2C_FUZZ_SRC}/*.c)
list(REMOVE_ITEM VI2C_FUZZ_CORE_SOURCES ${VI2C_FUZZ_SRC}/main.c)

if(PROJECT_VERSION)
  set(VI2C_FUZZ_VERSION ${PROJECT_VERSION})
else()
  set(VI2C_FUZZ_VERSION 0.0.0-fuzz)
endif()

set(VI2C_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer -g)

add_library(vi2c_fuzz_core STATIC ${VI2C_FUZZ_CORE_SOURCES})
target_include_directories(vi2c_fuzz_core PUBLIC ${VI2C_FUZZ_SRC})
target_compile_definitions(vi2c_fuzz_core PUBLIC VI2C_VERSION="${VI2C_FUZZ_VERSION}")
target_compile_options(vi2c_fuzz_core PUBLIC ${VI2C_FUZZ_SANITIZERS}
                                      PRIVATE -fsanitize=fuzzer-no-link)
target_link_options(vi2c_fuzz_core PUBLIC -fsanitize=address,undefined)
target_link_libraries(vi2c_fuzz_core PUBLIC Threads::Threads PkgConfig::VI2C_FUZZ_SECCOMP
                                             PkgConfig::VI2C_FUZZ_JANSSON m)

# One executable per fuzz/fuzz_<name>.c; each also replays files given on its command line.
set(VI2C_FUZZ_TARGETS vhost_user virtq config smbus emul control)
foreach(name ${VI2C_FUZZ_TARGETS})
  add_executable(fuzz_${name} ${VI2C_FUZZ_DIR}/fuzz_${name}.c)
  target_include_directories(fuzz_${name} PRIVATE ${VI2C_FUZZ_DIR})
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer -Werror)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${name} PRIVATE vi2c_fuzz_core)
endforeach()
