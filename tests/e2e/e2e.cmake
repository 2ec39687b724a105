# End-to-end tests: the real daemon, QEMU 7.2 (TCG) with vhost-user-i2c-pci and
# a real Debian kernel in the guest (tests/e2e/run.sh). The guest pieces are
# downloaded and built once, cached outside the tree (tests/e2e/build-guest.sh).
set(VI2C_E2E_DIR ${CMAKE_CURRENT_LIST_DIR})

# Builds (or finds) the cached kernel + initramfs; first run downloads ~215 MB.
add_test(NAME e2e.guest_image COMMAND ${VI2C_E2E_DIR}/build-guest.sh)
set_tests_properties(e2e.guest_image PROPERTIES LABELS e2e TIMEOUT 1800
  FIXTURES_SETUP vi2c_e2e_guest)

# One guest boot each (two_vms: two at once).
foreach(scenario smoke transfers drivers rebind two_vms demo)
  add_test(NAME e2e.${scenario}
    COMMAND ${VI2C_E2E_DIR}/run.sh --daemon $<TARGET_FILE:vhost-user-i2c> ${scenario})
  set_tests_properties(e2e.${scenario} PROPERTIES LABELS e2e TIMEOUT 360
    FIXTURES_REQUIRED vi2c_e2e_guest)
endforeach()
set_tests_properties(e2e.two_vms PROPERTIES PROCESSORS 2)

# Host-passthrough scenarios (-l, /dev/i2c-N) come with their own issue. The
# host has no I2C, so they will run a second daemon inside a guest, passing
# through a device of the guest's virtio-i2c bus (see the e2e recipe): add
# them here as run.sh scenarios.
