# test_faults needs the fake i2c-dev (a slow host device) preloaded.
if(TEST integration.test_faults)
  add_dependencies(test_faults fake_i2cdev)
  vi2c_shim_test(integration.test_faults)
endif()
