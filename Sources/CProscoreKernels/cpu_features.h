#ifndef PROSCORE_CPU_FEATURES_H
#define PROSCORE_CPU_FEATURES_H

#include <cpuid.h>

/// Whether the OS saves the AVX-512 state (XSAVE enabled; XCR0 bits 1, 2 for SSE and AVX and
/// 5–7 for opmask and ZMM), and if so CPUID leaf 7's EBX and ECX feature words. Shared by
/// the kernels' run-time detection.
static inline int proscore_avx512_leaf7(unsigned *ebx7, unsigned *ecx7) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & bit_OSXSAVE)) return 0;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    *ebx7 = ebx;
    *ecx7 = ecx;
    return 1;
}

#endif
