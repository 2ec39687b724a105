# Static programs for the end-to-end guest, whose initramfs has no C library:
#   vhost-user-i2c-static  the daemon, from the same sources as vhost-user-i2c
#   vi2c-drive             the frontend library as a command-line "VMM"
#                          (tests/e2e/guest/vi2c-drive.c)
# Both are built without the sanitizers (they cannot link statically); the
# sanitized daemon is tested everywhere else. Included by e2e.cmake.

find_library(VI2C_SECCOMP_STATIC NAMES libseccomp.a REQUIRED)
find_library(VI2C_JANSSON_STATIC NAMES libjansson.a REQUIRED)

file(GLOB VI2C_STATIC_DAEMON_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*.c)
file(GLOB VI2C_STATIC_FRONTEND_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/frontend/*.c)

# The directory's options minus the sanitizer flags.
function(vi2c_static_program target)
  foreach(prop COMPILE_OPTIONS LINK_OPTIONS)
    get_target_property(opts ${target} ${prop})
    if(opts)
      list(FILTER opts EXCLUDE REGEX "sanitize")
      set_target_properties(${target} PROPERTIES ${prop} "${opts}")
    endif()
  endforeach()
  target_link_options(${target} PRIVATE -static)
  target_link_libraries(${target} PRIVATE Threads::Threads)
endfunction()

add_executable(vhost-user-i2c-static ${VI2C_STATIC_DAEMON_SOURCES})
target_include_directories(vhost-user-i2c-static PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(vhost-user-i2c-static PRIVATE VI2C_VERSION="${PROJECT_VERSION}")
vi2c_static_program(vhost-user-i2c-static)
target_link_libraries(vhost-user-i2c-static PRIVATE ${VI2C_SECCOMP_STATIC} ${VI2C_JANSSON_STATIC} m)
target_include_directories(vhost-user-i2c-static PRIVATE ${JANSSON_INCLUDE_DIRS})

add_executable(vi2c-drive ${VI2C_E2E_DIR}/guest/vi2c-drive.c ${VI2C_STATIC_FRONTEND_SOURCES})
target_include_directories(vi2c-drive PRIVATE ${CMAKE_SOURCE_DIR}/tests/frontend)
vi2c_static_program(vi2c-drive)
