/* CPU feature detection for the x86-64 kernel levels: CPUID for the instruction sets and
 * XGETBV for the operating system's support of the registers they use (an OS that does not
 * save the ZMM state on context switches makes AVX-512 unusable even on a CPU that has it). */
#include "cpu_isa.h"

#include <string.h>

#if defined(__x86_64__) && defined(LITERT_X86_KERNELS) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define LT_DETECT_X86 1
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
#ifdef LT_DETECT_X86
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

bool lt_isa_parse(const char *name, int *isa) {
    static const struct {
        const char *name;
        int isa;
    } levels[] = {{"portable", LT_ISA_PORTABLE},
                  {"avx2", LT_ISA_AVX2},
                  {"avx512", LT_ISA_AVX512},
                  {"avx512vnni", LT_ISA_AVX512_VNNI}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(name, levels[i].name) == 0) {
            *isa = levels[i].isa;
            return true;
        }
    }
    return false;
}

const char *lt_isa_name(int isa) {
    switch (isa) {
    case LT_ISA_PORTABLE: return "portable";
    case LT_ISA_AVX2: return "avx2";
    case LT_ISA_AVX512: return "avx512";
    case LT_ISA_AVX512_VNNI: return "avx512vnni";
    default: return "unknown";
    }
}

int lt_isa_supported(int isa) {
    return isa >= LT_ISA_PORTABLE && isa <= lt_cpu_best_isa();
}
