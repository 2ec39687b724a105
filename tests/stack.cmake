# Stack integration tests. Include from tests/CMakeLists.txt after shim/shim.cmake:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/stack.cmake)
#
# integration.test_stack replays --trace lines with the real i2ctransfer on the
# fake i2c-dev, so it needs the fake's path; the other tests are scripts:
#   stack.options   --help and the man page list the same long options
#   stack.systemd   systemd-analyze verify of the template unit (label stack)
#   stack.e2e_cache the e2e cache's pruning and locks on a fake cache (label stack)
#   package.deb     builds, installs (dpkg -i), checks and purges the .deb
#                   (label package; root only, installs build dependencies)
if(TEST integration.test_stack)
  add_dependencies(test_stack fake_i2cdev vhost-user-i2c)
  set_property(TEST integration.test_stack APPEND PROPERTY ENVIRONMENT
               "VI2C_FAKE_I2CDEV=$<TARGET_FILE:fake_i2cdev>")
endif()

add_test(NAME stack.options
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/stack/check-options.sh
                 $<TARGET_FILE:vhost-user-i2c> ${CMAKE_SOURCE_DIR}/man/vhost-user-i2c.8)
set_tests_properties(stack.options PROPERTIES LABELS stack TIMEOUT 60)

add_test(NAME stack.systemd
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/stack/check-systemd.sh ${CMAKE_BINARY_DIR})
set_tests_properties(stack.systemd PROPERTIES LABELS stack TIMEOUT 300)

add_test(NAME stack.e2e_cache
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/stack/check-e2e-cache.sh ${CMAKE_CURRENT_LIST_DIR}/e2e)
set_tests_properties(stack.e2e_cache PROPERTIES LABELS stack TIMEOUT 120)

add_test(NAME package.deb
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/stack/check-package.sh ${CMAKE_SOURCE_DIR}
                 ${PROJECT_VERSION})
set_tests_properties(package.deb PROPERTIES LABELS package TIMEOUT 1800 RUN_SERIAL TRUE)
