# fake_i2cdev: LD_PRELOAD fake of the kernel's i2c-dev (see fake_i2cdev.h).
# Include from tests/CMakeLists.txt: include(${CMAKE_CURRENT_SOURCE_DIR}/shim/shim.cmake)
#
# Provides:
#   target fake_i2cdev (MODULE library)
#   VI2C_SHIM_ENV: the ENVIRONMENT entries a test needs to run with the fake
#                  preloaded (append VI2C_SHIM_CONFIG=<file> for a daemon test).
#   vi2c_shim_test(<test name>): adds VI2C_SHIM_ENV to a test's ENVIRONMENT.
add_library(fake_i2cdev MODULE ${CMAKE_CURRENT_LIST_DIR}/fake_i2cdev.c)
target_include_directories(fake_i2cdev PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fake_i2cdev PRIVATE Threads::Threads ${CMAKE_DL_LIBS})

# ASan insists on being first in the library list; the preloaded fake comes first.
set(VI2C_SHIM_ENV "LD_PRELOAD=$<TARGET_FILE:fake_i2cdev>"
    "ASAN_OPTIONS=verify_asan_link_order=0")

function(vi2c_shim_test test)
  get_test_property(${test} ENVIRONMENT env)
  if(NOT env)
    set(env "")
  endif()
  list(APPEND env ${VI2C_SHIM_ENV})
  set_tests_properties(${test} PROPERTIES ENVIRONMENT "${env}")
endfunction()

if(TARGET test_i2c_host)
  add_dependencies(test_i2c_host fake_i2cdev)
  vi2c_shim_test(unit.test_i2c_host)
endif()
