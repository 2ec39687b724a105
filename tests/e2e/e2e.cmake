# End-to-end tests: the real daemon, QEMU 7.2 (TCG) with vhost-user-i2c-pci and
# a real Debian kernel in the guest (tests/e2e/run.sh). The guest pieces are
# downloaded and built once, cached outside the tree (tests/e2e/build-guest.sh).
set(VI2C_E2E_DIR ${CMAKE_CURRENT_LIST_DIR})

# Builds (or finds) the cached kernel + initramfs; first run downloads ~215 MB.
add_test(NAME e2e.guest_image COMMAND ${VI2C_E2E_DIR}/build-guest.sh)
set_tests_properties(e2e.guest_image PROPERTIES LABELS e2e TIMEOUT 1800
  FIXTURES_SETUP vi2c_e2e_guest)

# One guest boot each (two_vms: two at once).
foreach(scenario smoke transfers drivers ee1004 models rebind two_vms demo control)
  add_test(NAME e2e.${scenario}
    COMMAND ${VI2C_E2E_DIR}/run.sh --daemon $<TARGET_FILE:vhost-user-i2c> ${scenario})
  set_tests_properties(e2e.${scenario} PROPERTIES LABELS e2e TIMEOUT 360
    FIXTURES_REQUIRED vi2c_e2e_guest)
endforeach()
set_tests_properties(e2e.two_vms e2e.models PROPERTIES PROCESSORS 2)

# Host passthrough (-l) against the real kernel: the host has no I2C, so a
# static daemon runs inside the guest and passes through the guest's own
# adapters (i2c-stub: SMBus; virtio-i2c served by the host daemon: I2C_RDWR),
# driven by the static vi2c-drive as its VMM (see the e2e recipe).
include(${VI2C_E2E_DIR}/guest-static.cmake)
foreach(scenario passthrough_smbus passthrough_rdwr)
  add_test(NAME e2e.${scenario}
    COMMAND ${VI2C_E2E_DIR}/run.sh --daemon $<TARGET_FILE:vhost-user-i2c>
            --guest-daemon $<TARGET_FILE:vhost-user-i2c-static>
            --guest-drive $<TARGET_FILE:vi2c-drive> ${scenario})
  set_tests_properties(e2e.${scenario} PROPERTIES LABELS e2e TIMEOUT 360
    FIXTURES_REQUIRED vi2c_e2e_guest)
endforeach()
