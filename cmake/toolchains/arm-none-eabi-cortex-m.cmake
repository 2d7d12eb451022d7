# Bare-metal build for a Cortex-M microcontroller with an FPU (default: Cortex-M4F, single-
# precision FPU, hard-float ABI), with Arm's GNU toolchain as packaged by Debian
# (gcc-arm-none-eabi, libnewlib-arm-none-eabi):
#   cmake -S . -B build-cm -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi-cortex-m.cmake
# No operating system: the top-level CMakeLists.txt turns LITERT_THREADS and
# LITERT_FILESYSTEM off for CMAKE_SYSTEM_NAME Generic, builds only the static library (no
# tools, no tests) and the bare-metal example of native/baremetal/. Other cores:
#   -DLITERT_CORTEX_M_FLAGS="-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard"
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(LITERT_CROSS_TRIPLE arm-none-eabi)
set(CMAKE_C_COMPILER ${LITERT_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${LITERT_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${LITERT_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${LITERT_CROSS_TRIPLE}-strip CACHE FILEPATH "")
set(CMAKE_SIZE ${LITERT_CROSS_TRIPLE}-size CACHE FILEPATH "")

set(LITERT_CORTEX_M_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
    CACHE STRING "CPU flags of the Cortex-M build")
# Sections per function and data, so that the linker drops what a program does not use;
# newlib-nano (smaller printf/malloc) for everything linked.
set(CMAKE_C_FLAGS_INIT "${LITERT_CORTEX_M_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -Wl,--gc-sections")

# Compiler checks build a static library: there is no OS to link a test program against.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH /usr/lib/${LITERT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
