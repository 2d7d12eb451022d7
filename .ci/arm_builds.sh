#!/usr/bin/env bash
# ARM builds, checked on every CI run (issue 6):
#   aarch64 Linux   Release, shared + static library, tools and C tests; ctest under
#                   qemu-aarch64 twice: QEMU's default CPU (NEON + dot product) and a
#                   Cortex-A53 (NEON only), so both NEON kernel levels meet the portable ones.
#   armhf Linux     Release, library and C tests; ctest under qemu-arm with NEON (default CPU)
#                   and without (Cortex-R5F: VFPv3-D16, the portable kernels).
#   Cortex-M4F      bare metal (arm-none-eabi, no OS, no threads, no files), MinSizeRel: the
#                   static library and a firmware image running a model from a C array.
# then prints the stripped library sizes (x86-64 and aarch64 shared libraries, Cortex-M code +
# data) and checks them against the issue's targets. Exit status: 0 all good, 1 a build or test
# failed (or a tool is missing), 3 everything built and passed but a size target was missed.
#
# Needs cmake, ninja and the Debian packages listed in PACKAGES below. Environment:
#   ARM_BUILD_DIR  where the builds go (default: $TMPDIR/litert-arm-builds, rebuilt from scratch)
#   JOBS           parallel compile jobs (default: 2)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${ARM_BUILD_DIR:-${TMPDIR:-/tmp}/litert-arm-builds}
JOBS=${JOBS:-2}
TOOLCHAINS=$ROOT/cmake/toolchains
# Debian packages (the libc6-dev ones are only recommended by the compilers, so name them).
PACKAGES="gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"
PACKAGES+=" gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-user"

# Size targets of the issue, in bytes (KB = 1024 bytes).
AARCH64_MAX=$((400 * 1024))
CORTEX_M_MAX=$((150 * 1024))

for tool in cmake ninja strip aarch64-linux-gnu-gcc aarch64-linux-gnu-strip \
            arm-linux-gnueabihf-gcc arm-linux-gnueabihf-strip arm-none-eabi-gcc arm-none-eabi-size \
            qemu-aarch64 qemu-arm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "arm_builds: '$tool' not found; install cmake, ninja and the Debian packages:" >&2
        echo "  apt-get install -y --no-install-recommends $PACKAGES" >&2
        exit 1
    fi
done

# Start from scratch, but only ever delete a directory this script made (marker file).
if [[ -e $OUT && ! -e $OUT/.litert-arm-builds ]] && [[ -n $(ls -A "$OUT" 2>/dev/null) ]]; then
    echo "arm_builds: $OUT exists and was not made by this script; set ARM_BUILD_DIR" >&2
    exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT"
touch "$OUT/.litert-arm-builds"
START=$SECONDS

# Runs a command with its output in $OUT/<log>.log; on failure shows the end of the log.
run() {
    local log=$OUT/$1.log
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "arm_builds: FAILED: $*" >&2
        tail -n 60 "$log" >&2
        exit 1
    fi
}

# step NAME: prints the step and the time since the start.
step() { printf '== %-60s (t=%3ds)\n' "$1" $((SECONDS - START)); }

# configure NAME [cmake args...]: a Ninja build of the repository in $OUT/NAME.
configure() {
    local name=$1
    shift
    run "$name.configure" cmake -S "$ROOT" -B "$OUT/$name" -G Ninja "$@"
}

# ---- aarch64 -------------------------------------------------------------------------------
step "aarch64: build (Release, shared + static, C tests)"
configure aarch64 -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAINS/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DLITERT_BUILD_TESTS=ON
run aarch64.build ninja -C "$OUT/aarch64" -j "$JOBS"
step "aarch64: ctest under qemu-aarch64 (NEON + dot product)"
run aarch64.ctest ctest --test-dir "$OUT/aarch64" --output-on-failure -j "$JOBS"
step "aarch64: ctest under qemu-aarch64 -cpu cortex-a53 (NEON)"
QEMU_CPU=cortex-a53 run aarch64.ctest-a53 \
    ctest --test-dir "$OUT/aarch64" --output-on-failure -j "$JOBS"

# ---- armhf ---------------------------------------------------------------------------------
step "armhf: build (Release, library + C tests)"
configure armhf -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAINS/arm-linux-gnueabihf.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DLITERT_BUILD_TESTS=ON -DLITERT_BUILD_TOOLS=OFF
run armhf.build ninja -C "$OUT/armhf" -j "$JOBS"
step "armhf: ctest under qemu-arm (NEON)"
run armhf.ctest ctest --test-dir "$OUT/armhf" --output-on-failure -j "$JOBS"
step "armhf: ctest under qemu-arm -cpu cortex-r5f (no NEON)"
QEMU_CPU=cortex-r5f run armhf.ctest-noneon \
    ctest --test-dir "$OUT/armhf" --output-on-failure -j "$JOBS"

# ---- Cortex-M ------------------------------------------------------------------------------
step "Cortex-M4F: bare-metal build (MinSizeRel, no OS)"
# Firmware carries the core op set (LITERT_OPS=core); the size target is measured on it.
configure cortex-m -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAINS/arm-none-eabi-cortex-m.cmake" \
    -DCMAKE_BUILD_TYPE=MinSizeRel -DLITERT_OPS=core
run cortex-m.build ninja -C "$OUT/cortex-m" -j "$JOBS"

# ---- aarch64, core op set: the library the size target applies to ---------------------------
step "aarch64: library with the core op set (Release) for the size target"
configure aarch64-core -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAINS/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DLITERT_BUILD_TESTS=OFF -DLITERT_BUILD_TOOLS=OFF \
    -DLITERT_OPS=core
run aarch64-core.build ninja -C "$OUT/aarch64-core" -j "$JOBS" litert

# ---- x86-64 (host) -------------------------------------------------------------------------
step "$(uname -m): library (Release) for the size table"
configure host -DCMAKE_BUILD_TYPE=Release -DLITERT_BUILD_TESTS=OFF -DLITERT_BUILD_TOOLS=OFF
run host.build ninja -C "$OUT/host" -j "$JOBS" litert

# ---- sizes ---------------------------------------------------------------------------------
step "sizes"
# stripped_size STRIP LIB: bytes of LIB after strip --strip-unneeded (as shipped).
stripped_size() {
    "$1" --strip-unneeded -o "$OUT/stripped.so" "$2"
    stat -c %s "$OUT/stripped.so"
}
host_so=$(stripped_size strip "$OUT/host/native/liblitert.so")
aarch64_so=$(stripped_size aarch64-linux-gnu-strip "$OUT/aarch64-core/native/liblitert.so")
aarch64_all_so=$(stripped_size aarch64-linux-gnu-strip "$OUT/aarch64/native/liblitert.so")
armhf_so=$(stripped_size arm-linux-gnueabihf-strip "$OUT/armhf/native/liblitert.so")
# Cortex-M: code + initialised data (what goes to flash), of the library alone (every object of
# the archive) and of the linked firmware (library + newlib-nano pieces + startup + model).
CM=$OUT/cortex-m/native
read -r cm_lib_text cm_lib_data _ < <(arm-none-eabi-size -t "$CM/liblitert_static.a" | tail -n 1)
cm_lib=$((cm_lib_text + cm_lib_data))
read -r cm_fw_text cm_fw_data cm_fw_bss _ < <(arm-none-eabi-size "$CM/baremetal/litert_baremetal_min.elf" |
    tail -n 1)
cm_fw=$((cm_fw_text + cm_fw_data))

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
{
    echo "host_arch $(uname -m)"
    echo "host_shared_stripped $host_so"
    echo "aarch64_shared_stripped $aarch64_so"
    echo "aarch64_all_ops_shared_stripped $aarch64_all_so"
    echo "armhf_shared_stripped $armhf_so"
    echo "cortex_m_library_text_data $cm_lib"
    echo "cortex_m_firmware_text_data $cm_fw"
    echo "cortex_m_firmware_bss $cm_fw_bss"
} >"$OUT/sizes.txt"
printf '%-44s %10s  %s\n' "size (stripped; Cortex-M: text + data)" bytes ""
printf '%-44s %10d  %s\n' "$(uname -m) liblitert.so (all kernels)" "$host_so" "$(kib "$host_so")"
printf '%-44s %10d  %s\n' "aarch64 liblitert.so (all kernels, core ops)" "$aarch64_so" "$(kib "$aarch64_so")"
printf '%-44s %10d  %s\n' "aarch64 liblitert.so (all kernels, all ops)" "$aarch64_all_so" \
    "$(kib "$aarch64_all_so")"
printf '%-44s %10d  %s\n' "armhf liblitert.so (all kernels)" "$armhf_so" "$(kib "$armhf_so")"
printf '%-44s %10d  %s\n' "Cortex-M4F library (reference kernels, core ops)" "$cm_lib" "$(kib "$cm_lib")"
printf '%-44s %10d  %s\n' "Cortex-M4F firmware (library + libc + model)" "$cm_fw" "$(kib "$cm_fw")"
echo "largest aarch64 objects (text bytes):"
# (awk reads all its input: `head` would end the pipe early, a failure under pipefail)
aarch64-linux-gnu-size "$OUT/aarch64/native/liblitert_static.a" | tail -n +2 | sort -k1 -n -r |
    awk 'NR <= 8 { printf "  %8d  %s\n", $1, $6 }'

status=0  # 3: a size target missed
if ((aarch64_so >= AARCH64_MAX)); then
    echo "arm_builds: aarch64 library is $aarch64_so bytes; the target is under $AARCH64_MAX" >&2
    status=3
fi
if ((cm_fw >= CORTEX_M_MAX || cm_lib >= CORTEX_M_MAX)); then
    echo "arm_builds: Cortex-M code + data is $cm_lib (library) / $cm_fw (firmware) bytes;" \
         "the target is under $CORTEX_M_MAX" >&2
    status=3
fi
step "done (status $status)"
exit $status
