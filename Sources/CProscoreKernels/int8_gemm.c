#include "proscore_kernels.h"

#include "cpu_features.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

// The arithmetic (see proscore_kernels.h for the layout and the contract):
//   q_a = clamp(round(x · (127 / max|x_row|)), −127, 127) + 128            (u8, zero point 128)
//   q_w = clamp(round(w · (127 / max|W[n,:]|)), −127, 127)                 (s8, symmetric)
//   acc = Σ_k q_a · q_w                   (vpdpbusd: u8 × s8, four products per lane, into s32)
//       − 128 · Σ_k q_w                   (zero-point correction with the packed column sums)
//   C   = fma(float(acc), rowScale · columnScale, accumulate ? C + bias : bias)   (bias 0 if NULL)
// Rounding is to nearest, ties to even, both here and in the reference, so the two agree bit
// for bit.
//
// Overflow: vpdpbusd does not saturate (vpdpbusds would), and it does not need to. Each
// product is at most 255 · 127 = 32,385 in magnitude, so `PROSCORE_INT8_MAX_DEPTH` (65,536)
// of them stay below 2^31 (65,536 · 32,385 ≈ 2.12e9); wav2vec2's deepest product (3,072,
// the feed-forward output) reaches 3,072 · 32,385 ≈ 99.5e6. Unlike vpmaddubsw there is no
// 16-bit intermediate to saturate either: the four products of a lane are summed in 32 bits.

// Rows per micro-tile: 8 rows × 32 columns keep 16 int32 accumulators in zmm registers.
#define TILE_ROWS 8
// Rows per block: the block's quantised inputs (≤ 128 × 3,072 bytes, 384 KiB) stay in L2
// while every panel runs over them; a panel (k × 32 bytes, 24 KiB at k = 768) stays in L1
// while every row tile of the block runs over it.
#define BLOCK_ROWS 128
// Full unrolling of the loops over a tile's rows.
#define UNROLL_ROWS _Pragma("GCC unroll 8")
// Bytes of one k-group of a panel: 32 columns × 4 depths.
#define GROUP_BYTES (PROSCORE_INT8_PANEL_COLUMNS * 4)

int proscore_int8_gemm_supported(void) {
    unsigned ebx, ecx;
    if (!proscore_avx512_leaf7(&ebx, &ecx)) return 0;
    // Leaf 7: EBX bit 16 AVX512F, bit 30 AVX512BW; ECX bit 11 AVX512_VNNI.
    const unsigned f = 1u << 16, bw = 1u << 30, vnni = 1u << 11;
    return ((ebx & f) && (ebx & bw) && (ecx & vnni)) ? 1 : 0;
}

long proscore_int8_packed_size(long n, long k) {
    const long panels = (n + PROSCORE_INT8_PANEL_COLUMNS - 1) / PROSCORE_INT8_PANEL_COLUMNS;
    return panels * PROSCORE_INT8_PANEL_COLUMNS * proscore_int8_padded_depth(k);
}

/// Symmetric quantisation of one value with the multiplier `inverse` = 127 / max|x|.
static inline int quantize(float x, float inverse) {
    const float q = nearbyintf(x * inverse);
    return q > 127 ? 127 : q < -127 ? -127 : (int)q;
}

void proscore_int8_pack(const float *w, long n, long k, long ldw,
                        int8_t *packed, float *scales, int32_t *columnSums) {
    const long depth = proscore_int8_padded_depth(k);
    memset(packed, 0, (size_t)proscore_int8_packed_size(n, k));
    for (long col = 0; col < n; col++) {
        const float *row = w + col * ldw;
        float max = 0;
        for (long i = 0; i < k; i++) max = fmaxf(max, fabsf(row[i]));
        const float inverse = max > 0 ? 127.0f / max : 0.0f;
        scales[col] = max / 127.0f;
        int8_t *panel = packed + (col / PROSCORE_INT8_PANEL_COLUMNS) * depth * PROSCORE_INT8_PANEL_COLUMNS;
        const long j = col % PROSCORE_INT8_PANEL_COLUMNS;
        int32_t sum = 0;
        for (long i = 0; i < k; i++) {
            const int q = quantize(row[i], inverse);
            panel[(i / 4) * GROUP_BYTES + j * 4 + i % 4] = (int8_t)q;
            sum += q;
        }
        columnSums[col] = sum;
    }
}

static void quantize_rows_scalar(const float *a, long rows, long k, long lda, uint8_t *q, float *rowScales) {
    const long depth = proscore_int8_padded_depth(k);
    for (long r = 0; r < rows; r++) {
        const float *x = a + r * lda;
        uint8_t *out = q + r * depth;
        float max = 0;
        for (long i = 0; i < k; i++) max = fmaxf(max, fabsf(x[i]));
        const float inverse = max > 0 ? 127.0f / max : 0.0f;
        rowScales[r] = max / 127.0f;
        for (long i = 0; i < k; i++) out[i] = (uint8_t)(quantize(x[i], inverse) + 128);
        for (long i = k; i < depth; i++) out[i] = 128;
    }
}

__attribute__((target("avx512f")))
static void quantize_rows_avx512(const float *a, long rows, long k, long lda, uint8_t *q, float *rowScales) {
    const long depth = proscore_int8_padded_depth(k);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), zero = _mm512_set1_epi32(128);
    for (long r = 0; r < rows; r++) {
        const float *x = a + r * lda;
        uint8_t *out = q + r * depth;
        __m512 m = _mm512_setzero_ps();
        long i = 0;
        for (; i + 16 <= k; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
        if (i < k) {
            const __mmask16 tail = (__mmask16)((1u << (k - i)) - 1);
            m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail, x + i)));
        }
        const float max = _mm512_reduce_max_ps(m);
        const float inverse = max > 0 ? 127.0f / max : 0.0f;
        rowScales[r] = max / 127.0f;
        const __m512 inv = _mm512_set1_ps(inverse);
        for (i = 0; i < depth; i += 16) {
            const __mmask16 valid = k - i >= 16 ? 0xFFFF : (__mmask16)((1u << (k - i)) - 1);
            const __mmask16 store = depth - i >= 16 ? 0xFFFF : (__mmask16)((1u << (depth - i)) - 1);
            // Rounds with MXCSR's mode (nearest, ties to even), as nearbyintf does.
            __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(valid, x + i), inv));
            v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zero);
            _mm512_mask_cvtepi32_storeu_epi8(out + i, store, v);
        }
    }
}

void proscore_int8_quantize_rows(const float *a, long rows, long k, long lda, uint8_t *q, float *rowScales) {
    // Detected once (cpuid traps to the hypervisor in a VM); callers may race to store the same value.
    static int supported = -1;
    int has = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (has < 0) __atomic_store_n(&supported, has = proscore_int8_gemm_supported(), __ATOMIC_RELAXED);
    if (has) quantize_rows_avx512(a, rows, k, lda, q, rowScales);
    else quantize_rows_scalar(a, rows, k, lda, q, rowScales);
}

/// Four quantised inputs (one k-group of a row), broadcast to every lane.
__attribute__((target("avx512f"), always_inline))
static inline __m512i group(const uint8_t *a) {
    int32_t v;
    memcpy(&v, a, 4);
    return _mm512_set1_epi32(v);
}

// One tile: `rows` (≤ TILE_ROWS, a constant after inlining) rows × one panel over `groups`
// k-groups, then the correction, scaling, bias and store. `mask0`/`mask1` select the valid
// columns of the panel's two halves; `correction`, `scale` and `bias` hold the panel's
// 128 · column sums, column scales and bias (zero beyond `n`). `next`, when not NULL, is the
// next panel, fetched into L2 alongside this one (by a block's first tile only): weights that
// come from memory (wide layers, 12 weight sets cycled) then run 4–8 % faster.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void tile(int rows, long groups, const uint8_t *a, long lda, const float *rowScales,
                        const int8_t *b, float *c, long ldc, int accumulate,
                        __mmask16 mask0, __mmask16 mask1,
                        __m512i correction0, __m512i correction1, __m512 scale0, __m512 scale1,
                        __m512 bias0, __m512 bias1, const int8_t *next) {
    __m512i c0[TILE_ROWS], c1[TILE_ROWS];
    // Fully unrolled row loops keep the accumulators in registers (clang does this unasked;
    // GCC needs the pragma, or it keeps them on the stack at half the speed).
    UNROLL_ROWS
    for (int r = 0; r < TILE_ROWS; r++) {
        c0[r] = _mm512_setzero_si512();
        c1[r] = _mm512_setzero_si512();
    }
    for (long g = 0; g < groups; g++) {
        const __m512i b0 = _mm512_loadu_si512((const void *)(b + g * GROUP_BYTES));
        const __m512i b1 = _mm512_loadu_si512((const void *)(b + g * GROUP_BYTES + 64));
        if (next) {
            _mm_prefetch((const char *)(next + g * GROUP_BYTES), _MM_HINT_T1);
            _mm_prefetch((const char *)(next + g * GROUP_BYTES + 64), _MM_HINT_T1);
        }
        UNROLL_ROWS
        for (int r = 0; r < TILE_ROWS; r++) {
            if (r < rows) {
                const __m512i x = group(a + r * lda + g * 4);
                c0[r] = _mm512_dpbusd_epi32(c0[r], x, b0);
                c1[r] = _mm512_dpbusd_epi32(c1[r], x, b1);
            }
        }
    }
    UNROLL_ROWS
    for (int r = 0; r < rows; r++) {
        const __m512 s = _mm512_set1_ps(rowScales[r]);
        __m512 add0 = bias0, add1 = bias1;
        if (accumulate) {
            add0 = _mm512_add_ps(_mm512_maskz_loadu_ps(mask0, c + r * ldc), bias0);
            add1 = _mm512_add_ps(_mm512_maskz_loadu_ps(mask1, c + r * ldc + 16), bias1);
        }
        const __m512 y0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c0[r], correction0)),
                                          _mm512_mul_ps(s, scale0), add0);
        const __m512 y1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c1[r], correction1)),
                                          _mm512_mul_ps(s, scale1), add1);
        _mm512_mask_storeu_ps(c + r * ldc, mask0, y0);
        _mm512_mask_storeu_ps(c + r * ldc + 16, mask1, y1);
    }
}

#define TILE_CASE(R)                                                                              \
    case R:                                                                                       \
        tile(R, groups, a + m * lda, lda, rowScales + m, b, cp + m * ldc, ldc, accumulate,         \
             mask0, mask1, correction0, correction1, scale0, scale1, bias0, bias1, m == m0 ? next : NULL); \
        break;

__attribute__((target("avx512f,avx512bw,avx512vnni")))
void proscore_int8_gemm(long rows, long n, long k,
                        const uint8_t *a, long lda, const float *rowScales,
                        const int8_t *packed, const float *scales, const int32_t *columnSums,
                        const float *bias, long panelBegin, long panelEnd,
                        float *c, long ldc, int accumulate) {
    const long depth = proscore_int8_padded_depth(k);
    const long groups = depth / 4;
    const __m512i zeroPoint = _mm512_set1_epi32(128);
    for (long m0 = 0; m0 < rows; m0 += BLOCK_ROWS) {
        const long m1 = rows - m0 < BLOCK_ROWS ? rows : m0 + BLOCK_ROWS;
        for (long p = panelBegin; p < panelEnd; p++) {
            const long first = p * PROSCORE_INT8_PANEL_COLUMNS;
            const long valid = n - first;
            const __mmask16 mask0 = valid >= 16 ? 0xFFFF : (__mmask16)((1u << valid) - 1);
            const __mmask16 mask1 = valid >= 32 ? 0xFFFF
                                  : valid <= 16 ? 0 : (__mmask16)((1u << (valid - 16)) - 1);
            const __m512i correction0 = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(mask0, columnSums + first), zeroPoint);
            const __m512i correction1 = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(mask1, columnSums + first + 16), zeroPoint);
            const __m512 scale0 = _mm512_maskz_loadu_ps(mask0, scales + first);
            const __m512 scale1 = _mm512_maskz_loadu_ps(mask1, scales + first + 16);
            const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(mask0, bias + first) : _mm512_setzero_ps();
            const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(mask1, bias + first + 16) : _mm512_setzero_ps();
            const int8_t *b = packed + p * depth * PROSCORE_INT8_PANEL_COLUMNS;
            float *cp = c + first;
            const int8_t *next = p + 1 < panelEnd ? b + depth * PROSCORE_INT8_PANEL_COLUMNS : NULL;
            long m = m0;
            for (; m + TILE_ROWS <= m1; m += TILE_ROWS)
                tile(TILE_ROWS, groups, a + m * lda, lda, rowScales + m, b, cp + m * ldc, ldc, accumulate,
                     mask0, mask1, correction0, correction1, scale0, scale1, bias0, bias1, m == m0 ? next : NULL);
            switch (m1 - m) {
                TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4) TILE_CASE(5) TILE_CASE(6) TILE_CASE(7)
                default: break;
            }
        }
    }
}

void proscore_int8_gemm_reference(long rows, long n, long k,
                                  const uint8_t *a, long lda, const float *rowScales,
                                  const int8_t *packed, const float *scales,
                                  const float *bias, long panelBegin, long panelEnd,
                                  float *c, long ldc, int accumulate) {
    const long depth = proscore_int8_padded_depth(k);
    const long first = panelBegin * PROSCORE_INT8_PANEL_COLUMNS;
    const long last = panelEnd * PROSCORE_INT8_PANEL_COLUMNS < n ? panelEnd * PROSCORE_INT8_PANEL_COLUMNS : n;
    for (long r = 0; r < rows; r++) {
        for (long col = first; col < last; col++) {
            const int8_t *panel = packed + (col / PROSCORE_INT8_PANEL_COLUMNS) * depth * PROSCORE_INT8_PANEL_COLUMNS;
            const long j = col % PROSCORE_INT8_PANEL_COLUMNS;
            int32_t sum = 0;
            for (long i = 0; i < k; i++)
                sum += ((int32_t)a[r * lda + i] - 128) * (int32_t)panel[(i / 4) * GROUP_BYTES + j * 4 + i % 4];
            float add = bias ? bias[col] : 0.0f;
            if (accumulate) add = c[r * ldc + col] + add;
            c[r * ldc + col] = fmaf((float)sum, rowScales[r] * scales[col], add);
        }
    }
}
