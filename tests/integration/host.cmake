# The host passthrough tests (test_host.c, test_host_*.c) run the daemon on the
# fake i2c-dev: the fake is preloaded into the test, whose environment the
# daemon inherits. Include from tests/CMakeLists.txt after shim/shim.cmake.
file(GLOB VI2C_HOST_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_host.c
     ${CMAKE_CURRENT_LIST_DIR}/test_host_*.c)
foreach(src ${VI2C_HOST_TESTS})
  get_filename_component(name ${src} NAME_WE)
  if(TEST integration.${name})
    add_dependencies(${name} fake_i2cdev vhost-user-i2c)
    target_link_libraries(${name} PRIVATE ${CMAKE_DL_LIBS})
    vi2c_shim_test(integration.${name})
  endif()
endforeach()
