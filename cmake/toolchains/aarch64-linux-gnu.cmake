# Cross build for 64-bit ARM Linux with Debian's cross compiler (package gcc-aarch64-linux-gnu):
#   cmake -S . -B build-aarch64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# NEON is part of AArch64, so the baseline needs no flags; the dot-product kernels
# (*_neondot.c) get their own -march and run only when the CPU reports them.
# ctest runs the C tests under user-mode QEMU (package qemu-user) when it is installed; its
# default CPU ("max") has the dot-product instructions, and QEMU_CPU=cortex-a53 in the
# environment gives a CPU without them (NEON-only paths).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(LITERT_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${LITERT_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${LITERT_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${LITERT_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${LITERT_CROSS_TRIPLE}-strip CACHE FILEPATH "")

# Headers and libraries from the target's sysroot only; programs from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/${LITERT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -L: where QEMU finds the target's dynamic loader and libc.
find_program(LITERT_QEMU_AARCH64 qemu-aarch64)
if(LITERT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LITERT_QEMU_AARCH64} -L /usr/${LITERT_CROSS_TRIPLE})
endif()
