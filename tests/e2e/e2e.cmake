# End-to-end tests: the real daemon, QEMU 7.2 (TCG) with vhost-user-i2c-pci and
# a real Debian kernel in the guest (tests/e2e/run.sh). The guest pieces are
# downloaded and built once, cached outside the tree (tests/e2e/build-guest.sh).
# Besides the full set on Debian 12's QEMU 7.2 x Linux 6.1 (amd64), the core
# scenarios run on bookworm-backports' QEMU 10.0 x Linux 6.12 (e2e.backports.*,
# label e2e-backports) and on an aarch64 guest over virtio-mmio and PCI
# (e2e.arm64.*, label e2e-arm64). All carry the label e2e: CI runs them all.
set(VI2C_E2E_DIR ${CMAKE_CURRENT_LIST_DIR})

# Builds (or finds) the cached kernel + initramfs; first run downloads ~215 MB.
add_test(NAME e2e.guest_image COMMAND ${VI2C_E2E_DIR}/build-guest.sh)
set_tests_properties(e2e.guest_image PROPERTIES LABELS e2e TIMEOUT 1800
  FIXTURES_SETUP vi2c_e2e_guest)

# One guest boot each (two_vms: two at once).
foreach(scenario smoke transfers drivers ee1004 models rebind two_vms demo control
                 ee1004_hotplug)
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

# The newer stack (what Debian 13 ships), from bookworm-backports without
# installing it (tests/e2e/backports.sh): QEMU 10.0 rebuilt vhost-user-i2c
# on vhost-user-base and sends a different message sequence.
add_test(NAME e2e.backports.guest_image COMMAND ${VI2C_E2E_DIR}/backports.sh)
set_tests_properties(e2e.backports.guest_image PROPERTIES LABELS "e2e;e2e-backports"
  TIMEOUT 1800 FIXTURES_SETUP vi2c_e2e_backports)
foreach(scenario transfers drivers rebind demo)
  add_test(NAME e2e.backports.${scenario}
    COMMAND ${VI2C_E2E_DIR}/run.sh --daemon $<TARGET_FILE:vhost-user-i2c> --backports ${scenario})
  set_tests_properties(e2e.backports.${scenario} PROPERTIES LABELS "e2e;e2e-backports"
    TIMEOUT 360 FIXTURES_REQUIRED vi2c_e2e_backports)
endforeach()

# An aarch64 guest (qemu-system-aarch64 -M virt, TCG, Debian's arm64 kernel,
# i2c-virtio cross-built) with vhost-user-i2c-device on virtio-mmio and with
# vhost-user-i2c-pci.
add_test(NAME e2e.arm64.guest_image COMMAND ${VI2C_E2E_DIR}/build-guest.sh --arch arm64)
set_tests_properties(e2e.arm64.guest_image PROPERTIES LABELS "e2e;e2e-arm64"
  TIMEOUT 1800 FIXTURES_SETUP vi2c_e2e_arm64)
foreach(transport mmio pci)
  foreach(scenario transfers drivers)
    add_test(NAME e2e.arm64.${transport}.${scenario}
      COMMAND ${VI2C_E2E_DIR}/run.sh --daemon $<TARGET_FILE:vhost-user-i2c>
              --arch arm64 --transport ${transport} ${scenario})
    set_tests_properties(e2e.arm64.${transport}.${scenario} PROPERTIES
      LABELS "e2e;e2e-arm64" TIMEOUT 360 FIXTURES_REQUIRED vi2c_e2e_arm64)
  endforeach()
endforeach()
