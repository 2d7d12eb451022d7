/* CPU feature detection for the SIMD kernel levels.
 * x86-64: CPUID for the instruction sets and XGETBV for the operating system's support of
 * the registers they use (an OS that does not save the ZMM state on context switches makes
 * AVX-512 unusable even on a CPU that has it).
 * aarch64: NEON is part of the architecture; the dot-product instructions are optional
 * (Armv8.2+), reported by Linux in AT_HWCAP. 32-bit ARM: NEON is optional, in AT_HWCAP.
 * Without Linux's auxiliary vector (bare metal), only what the compiler was told to assume
 * (__ARM_NEON, __ARM_FEATURE_DOTPROD) is used. */
#include "cpu_isa.h"

#include <string.h>

#if defined(__x86_64__) && defined(LITERT_X86_KERNELS) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define LT_DETECT_X86 1
#endif

#if defined(LITERT_ARM_KERNELS) && (defined(__aarch64__) || defined(__arm__)) && defined(__linux__)
#include <sys/auxv.h>
#define LT_DETECT_ARM_LINUX 1
#endif

#ifdef LT_DETECT_X86
/* XCR0: which register states the OS saves (bits 1-2: SSE/AVX, 5-7: AVX-512 opmask/ZMM). */
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif

int lt_cpu_best_isa(void) {
#if defined(LITERT_ARM_KERNELS) && defined(__aarch64__)
#if defined(LT_DETECT_ARM_LINUX)
    const unsigned long hwcap = getauxval(AT_HWCAP);
    return (hwcap & (1ul << 20)) /* HWCAP_ASIMDDP */ ? LT_ISA_NEON_DOTPROD : LT_ISA_NEON;
#elif defined(__ARM_FEATURE_DOTPROD)
    return LT_ISA_NEON_DOTPROD;
#else
    return LT_ISA_NEON;
#endif
#elif defined(LITERT_ARM_KERNELS) && defined(__arm__)
#if defined(LT_DETECT_ARM_LINUX)
    return (getauxval(AT_HWCAP) & (1ul << 12)) /* HWCAP_NEON */ ? LT_ISA_NEON : LT_ISA_PORTABLE;
#elif defined(__ARM_NEON)
    return LT_ISA_NEON;
#else
    return LT_ISA_PORTABLE;
#endif
#elif defined(LT_DETECT_X86)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return LT_ISA_PORTABLE;
    const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx || !fma) return LT_ISA_PORTABLE;
    const unsigned long long xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return LT_ISA_PORTABLE;
    if (__get_cpuid_max(0, NULL) < 7) return LT_ISA_PORTABLE;
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = (b >> 5) & 1;
    if (!avx2) return LT_ISA_PORTABLE;
    const bool avx512 = ((b >> 16) & 1) /* F */ && ((b >> 17) & 1) /* DQ */ &&
                        ((b >> 30) & 1) /* BW */ && ((b >> 31) & 1) /* VL */ &&
                        (xcr0 & 0xe6) == 0xe6;
    if (!avx512) return LT_ISA_AVX2;
    const bool vnni = (c >> 11) & 1;
    return vnni ? LT_ISA_AVX512_VNNI : LT_ISA_AVX512;
#else
    return LT_ISA_PORTABLE;
#endif
}

/* Level names, indexed by LT_ISA_* (levels are consecutive from LT_ISA_PORTABLE). */
static const char *const isa_names[] = {
    [LT_ISA_PORTABLE] = "portable",  [LT_ISA_AVX2] = "avx2",
    [LT_ISA_AVX512] = "avx512",      [LT_ISA_AVX512_VNNI] = "avx512vnni",
    [LT_ISA_NEON] = "neon",          [LT_ISA_NEON_DOTPROD] = "neondot"};

bool lt_isa_parse(const char *name, int *isa) {
    for (int level = LT_ISA_PORTABLE; level <= LT_ISA_NEON_DOTPROD; level++) {
        if (strcmp(name, isa_names[level]) == 0) {
            *isa = level;
            return true;
        }
    }
    return false;
}

const char *lt_isa_name(int isa) {
    return isa >= LT_ISA_PORTABLE && isa <= LT_ISA_NEON_DOTPROD ? isa_names[isa] : "unknown";
}

/* Which ladder a level is on: 0 portable, 1 x86, 2 ARM. */
static int isa_family(int isa) {
    if (isa >= LT_ISA_AVX2 && isa <= LT_ISA_AVX512_VNNI) return 1;
    if (isa >= LT_ISA_NEON && isa <= LT_ISA_NEON_DOTPROD) return 2;
    return 0;
}

int lt_isa_cap(int level, int cap) {
    if (isa_family(cap) != isa_family(level)) return LT_ISA_PORTABLE;
    return cap < level ? cap : level;
}

int lt_isa_supported(int isa) {
    if (isa == LT_ISA_PORTABLE) return 1;
    return isa_family(isa) != 0 && lt_isa_cap(lt_cpu_best_isa(), isa) == isa;
}
