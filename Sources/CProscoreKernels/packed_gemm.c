#include "proscore_kernels.h"

#include "cpu_features.h"
#include <immintrin.h>

// Rows per micro-tile: 8 rows × 32 columns keep 16 accumulators in zmm registers.
#define TILE_ROWS 8
// Depth per block: one panel block (256 × 32 floats, 32 KiB) stays cached while every
// row tile runs over it.
#define BLOCK_DEPTH 256
// Rows per block: the block's inputs (≤ 128 × 256 floats, 128 KiB) stay in L2 while every
// panel runs over them.
#define BLOCK_ROWS 128

int proscore_packed_gemm_supported(void) {
    unsigned ebx, ecx;
    return proscore_avx512_leaf7(&ebx, &ecx) && (ebx & bit_AVX512F) ? 1 : 0;
}

long proscore_packed_size(long n, long k) {
    return (n + PROSCORE_PANEL_COLUMNS - 1) / PROSCORE_PANEL_COLUMNS * PROSCORE_PANEL_COLUMNS * k;
}

void proscore_pack(const float *w, long n, long k, long ldw, float *packed) {
    const long panels = (n + PROSCORE_PANEL_COLUMNS - 1) / PROSCORE_PANEL_COLUMNS;
    for (long p = 0; p < panels; p++) {
        float *panel = packed + p * k * PROSCORE_PANEL_COLUMNS;
        for (long j = 0; j < PROSCORE_PANEL_COLUMNS; j++) {
            const long col = p * PROSCORE_PANEL_COLUMNS + j;
            const float *row = w + col * ldw;
            for (long i = 0; i < k; i++) panel[i * PROSCORE_PANEL_COLUMNS + j] = col < n ? row[i] : 0;
        }
    }
}

// One tile: `rows` (≤ TILE_ROWS, a constant after inlining) rows × one panel, over `depth`
// steps of k. `mask0`/`mask1` select the valid columns of the panel's two halves.
__attribute__((target("avx512f"), always_inline))
static inline void tile(int rows, long depth, const float *a, long lda, const float *b,
                        float *c, long ldc, int load, __mmask16 mask0, __mmask16 mask1) {
    __m512 c0[TILE_ROWS], c1[TILE_ROWS];
    for (int r = 0; r < TILE_ROWS; r++) {
        if (r < rows && load) {
            c0[r] = _mm512_maskz_loadu_ps(mask0, c + r * ldc);
            c1[r] = _mm512_maskz_loadu_ps(mask1, c + r * ldc + 16);
        } else {
            c0[r] = _mm512_setzero_ps();
            c1[r] = _mm512_setzero_ps();
        }
    }
    for (long i = 0; i < depth; i++) {
        const __m512 b0 = _mm512_load_ps(b + i * PROSCORE_PANEL_COLUMNS);
        const __m512 b1 = _mm512_load_ps(b + i * PROSCORE_PANEL_COLUMNS + 16);
        for (int r = 0; r < TILE_ROWS; r++) {
            if (r < rows) {
                const __m512 x = _mm512_set1_ps(a[r * lda + i]);
                c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, mask0, c0[r]);
        _mm512_mask_storeu_ps(c + r * ldc + 16, mask1, c1[r]);
    }
}

#define TILE_CASE(R) \
    case R: tile(R, depth, ap + m * lda, lda, b, cp + m * ldc, ldc, load, mask0, mask1); break;

__attribute__((target("avx512f")))
void proscore_packed_gemm(long rows, long n, long k, long kBegin, long kCount,
                          const float *a, long lda, const float *packed,
                          long panelBegin, long panelEnd,
                          float *c, long ldc, int accumulate) {
    for (long k0 = 0; k0 < kCount; k0 += BLOCK_DEPTH) {
        const long depth = kCount - k0 < BLOCK_DEPTH ? kCount - k0 : BLOCK_DEPTH;
        const int load = accumulate || k0 > 0;
        for (long m0 = 0; m0 < rows; m0 += BLOCK_ROWS) {
            const long m1 = rows - m0 < BLOCK_ROWS ? rows : m0 + BLOCK_ROWS;
            for (long p = panelBegin; p < panelEnd; p++) {
                const long valid = n - p * PROSCORE_PANEL_COLUMNS;
                const __mmask16 mask0 = valid >= 16 ? 0xFFFF : (__mmask16)((1u << valid) - 1);
                const __mmask16 mask1 = valid >= 32 ? 0xFFFF
                                      : valid <= 16 ? 0 : (__mmask16)((1u << (valid - 16)) - 1);
                const float *b = packed + (p * k + kBegin + k0) * PROSCORE_PANEL_COLUMNS;
                float *cp = c + p * PROSCORE_PANEL_COLUMNS;
                const float *ap = a + k0;
                long m = m0;
                for (; m + TILE_ROWS <= m1; m += TILE_ROWS)
                    tile(TILE_ROWS, depth, ap + m * lda, lda, b, cp + m * ldc, ldc, load, mask0, mask1);
                switch (m1 - m) {
                    TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4) TILE_CASE(5) TILE_CASE(6) TILE_CASE(7)
                    default: break;
                }
            }
        }
    }
}
