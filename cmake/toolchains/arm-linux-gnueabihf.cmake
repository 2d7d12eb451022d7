# Cross build for 32-bit ARM Linux, hard-float ABI, with Debian's cross compiler (package
# gcc-arm-linux-gnueabihf):
#   cmake -S . -B build-armhf -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake
# The whole library is built for ARMv7-A with hard float. NEON is optional on 32-bit ARM, so
# the baseline is the armhf ABI's VFPv3-D16 and only the NEON kernels (*_neon.c) are built
# with -mfpu=neon (native/CMakeLists.txt); cpu_isa.c runs them only when the kernel reports
# NEON in AT_HWCAP. Set -DLITERT_ARMHF_FPU=neon to let the compiler use NEON everywhere (for
# boards known to have it).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)

set(LITERT_CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${LITERT_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${LITERT_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${LITERT_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${LITERT_CROSS_TRIPLE}-strip CACHE FILEPATH "")

set(LITERT_ARMHF_FPU vfpv3-d16 CACHE STRING "-mfpu of the whole armhf build (vfpv3-d16 or neon)")
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=${LITERT_ARMHF_FPU} -mfloat-abi=hard")

set(CMAKE_FIND_ROOT_PATH /usr/${LITERT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# QEMU's default 32-bit ARM CPU ("max") has NEON, so the NEON kernels run under ctest.
find_program(LITERT_QEMU_ARM qemu-arm)
if(LITERT_QEMU_ARM)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LITERT_QEMU_ARM} -L /usr/${LITERT_CROSS_TRIPLE})
endif()
