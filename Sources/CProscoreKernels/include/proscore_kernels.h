#ifndef PROSCORE_KERNELS_H
#define PROSCORE_KERNELS_H

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

#endif
