# One INTERFACE target carries the warning set and the build-wide flags, so
# every library, the command and the tests are built the same way.
add_library(e2qcow_flags INTERFACE)
target_compile_options(e2qcow_flags INTERFACE
  -Wall -Wextra -Wshadow -Wcast-qual -Wstrict-prototypes
  -Wmissing-prototypes -Wold-style-definition -Wpointer-arith -Wvla
  -Wwrite-strings -Wformat=2 -Wundef -Wimplicit-fallthrough
  -Wconversion -Wsign-conversion -Wpedantic -fno-common)
target_compile_definitions(e2qcow_flags INTERFACE _FILE_OFFSET_BITS=64 _GNU_SOURCE)
if(E2QCOW_WERROR)
  target_compile_options(e2qcow_flags INTERFACE -Werror)
endif()
if(E2QCOW_FUZZ)
  # Instrument everything for coverage; only fuzz targets get the main.
  target_compile_options(e2qcow_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(E2QCOW_SANITIZE)
  target_compile_options(e2qcow_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(e2qcow_flags INTERFACE -fsanitize=address,undefined)
endif()
