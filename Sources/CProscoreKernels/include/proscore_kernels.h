#ifndef PROSCORE_KERNELS_H
#define PROSCORE_KERNELS_H

#include <stdint.h>

/// Packed-weight single-precision GEMM for products whose right-hand side is a fixed
/// weight matrix (linear layers, convolutions).
///
/// The weights `W[n][k]` (PyTorch `[out, in]`) are stored once as panels of 32 output
/// columns: panel `p` holds, for each `k`, the 32 weights `W[32p ..< 32p + 32][k]`
/// contiguously (zero beyond `n`). A call then runs straight from that layout with no
/// per-call packing, which is what makes products with few rows (a streaming step's
/// 40 frames) fast.

/// Columns per panel.
#define PROSCORE_PANEL_COLUMNS 32

/// 1 when this CPU and OS run the AVX-512 kernel; 0 otherwise (callers fall back to BLAS).
int proscore_packed_gemm_supported(void);

/// Floats a packed `n × k` matrix occupies.
long proscore_packed_size(long n, long k);

/// Packs row-major `w[n][k]` (row stride `ldw`) into `packed` (`proscore_packed_size` floats).
void proscore_pack(const float *w, long n, long k, long ldw, float *packed);

/// `C[rows × n] (+)= A[rows × kCount] · W[:, kBegin ..< kBegin + kCount]ᵀ` for the output columns of
/// panels `panelBegin ..< panelEnd`. `A` rows are `lda` floats apart and may overlap (a
/// strided convolution view); `C` rows are `ldc` apart. With `accumulate` the product is
/// added to `C`, otherwise it replaces it. Only call when `proscore_packed_gemm_supported()`.
void proscore_packed_gemm(long rows, long n, long k, long kBegin, long kCount,
                          const float *a, long lda, const float *packed,
                          long panelBegin, long panelEnd,
                          float *c, long ldc, int accumulate);

/// Int8 GEMM for the same products (`C = A · Wᵀ (+ bias)`), with AVX-512 VNNI (`vpdpbusd`:
/// unsigned 8-bit inputs × signed 8-bit weights, summed four at a time into 32 bits).
///
/// Weights are quantised once, at load, symmetrically per output column:
/// `scale[n] = max|W[n, :]| / 127`, `w_q = clamp(round(W · 127 / max|W[n, :]|), −127, 127)`.
/// Inputs are quantised per row, on the fly, to unsigned bytes with zero point 128:
/// `rowScale = max|x| / 127`, `x_q = clamp(round(x · 127 / max|x|), −127, 127) + 128`.
/// Rounding is to nearest, ties to even; all-zero rows and columns get scale 0. Weights and
/// inputs must be finite.
/// The product is then exact in 32 bits and scaled once per output:
/// `C[r][n] = fma(float(Σ_k (x_q − 128) · w_q), rowScale[r] · scale[n], accumulate ? C[r][n] + bias[n] : bias[n])`
/// (bias 0 when NULL; one rounding for the product and sum, one for `C + bias`),
/// where the kernel computes `Σ_k (x_q − 128) · w_q` as `Σ_k x_q · w_q − 128 · columnSums[n]`.
///
/// Depth is padded to a multiple of 4 (`proscore_int8_padded_depth`) with zero weights, so
/// whatever lies in a quantised row's padding bytes adds nothing (the quantiser writes 128).
///
/// Packed layout (`proscore_int8_packed_size(n, k)` bytes, 64-byte aligned for speed): panels
/// of 32 output columns, each `padded_depth × 32` bytes; inside a panel, k-group `g` (depths
/// `4g ..< 4g + 4`) takes 128 bytes, column `j` at bytes `4j ..< 4j + 4`, so byte
/// `panel[g * 128 + 4 * j + d] = w_q[32p + j][4g + d]` (zero beyond `n` and `k`). One group's
/// two 64-byte halves are the `vpdpbusd` operands of columns 0–15 and 16–31.

/// Output columns per int8 panel.
#define PROSCORE_INT8_PANEL_COLUMNS 32

/// Deepest product the int8 kernel takes: each term is at most 255 · 127 in magnitude, and
/// 65,536 of them stay below 2^31, so the (non-saturating) 32-bit accumulators cannot
/// overflow. wav2vec2's deepest product is 3,072 (≈ 99.5e6 at most).
#define PROSCORE_INT8_MAX_DEPTH 65536

/// `k` rounded up to a multiple of 4: the bytes a quantised row occupies.
static inline long proscore_int8_padded_depth(long k) { return (k + 3) / 4 * 4; }

/// 1 when this CPU and OS run the int8 kernel (AVX-512 F, BW and VNNI, with the OS saving
/// ZMM state); 0 otherwise (callers stay in fp32).
int proscore_int8_gemm_supported(void);

/// Bytes a packed int8 `n × k` matrix occupies.
long proscore_int8_packed_size(long n, long k);

/// Quantises row-major `w[n][k]` (row stride `ldw` floats) into `packed`
/// (`proscore_int8_packed_size` bytes), with each column's scale in `scales[n]` and the sum
/// of its quantised weights in `columnSums[n]` (for the zero-point correction). Any CPU.
/// `k` ≤ `PROSCORE_INT8_MAX_DEPTH`.
void proscore_int8_pack(const float *w, long n, long k, long ldw,
                        int8_t *packed, float *scales, int32_t *columnSums);

/// Quantises `rows` rows of `k` floats (`lda` apart; they may overlap) to unsigned bytes with
/// zero point 128: row `r` goes to `q + r * proscore_int8_padded_depth(k)`, padding bytes set
/// to 128, and its scale to `rowScales[r]`. Once quantised, rows can go through several
/// weight matrices (queries, keys and values). Any CPU (AVX-512 when present; same result).
void proscore_int8_quantize_rows(const float *a, long rows, long k, long lda,
                                 uint8_t *q, float *rowScales);

/// `C[rows × n] (+)= dequant(Q[rows × k] · W_qᵀ) + bias` for the output columns of panels
/// `panelBegin ..< panelEnd`, with the arithmetic above. `a` holds quantised rows `lda` bytes
/// apart (each row's `proscore_int8_padded_depth(k)` bytes are read; rows may overlap),
/// `rowScales` their scales; `packed`, `scales`, `columnSums` come from `proscore_int8_pack`;
/// `bias` (`n` floats) may be NULL. `C` rows are `ldc` floats apart. With `accumulate` the
/// result is added to `C`, otherwise it replaces it. Threads split the work by panels (they
/// write disjoint columns). Unlike the fp32 kernel there is no depth range: row scales and
/// column sums cover the whole of `k`. `k` ≤ `PROSCORE_INT8_MAX_DEPTH`.
/// Only call when `proscore_int8_gemm_supported()`.
void proscore_int8_gemm(long rows, long n, long k,
                        const uint8_t *a, long lda, const float *rowScales,
                        const int8_t *packed, const float *scales, const int32_t *columnSums,
                        const float *bias, long panelBegin, long panelEnd,
                        float *c, long ldc, int accumulate);

/// The same result as `proscore_int8_gemm`, bit for bit, in plain C on any CPU: the oracle of
/// the kernel's tests. It sums `(x_q − 128) · w_q` directly, so it checks the column sums too.
void proscore_int8_gemm_reference(long rows, long n, long k,
                                  const uint8_t *a, long lda, const float *rowScales,
                                  const int8_t *packed, const float *scales,
                                  const float *bias, long panelBegin, long panelEnd,
                                  float *c, long ldc, int accumulate);

#endif
