#include <cblas.h>

/* LAPACK's Cholesky solve of A·X = B (A symmetric positive definite, column-major).
   OpenBLAS exports it, but Debian ships no LAPACK header beside cblas.h. */
void dposv_(const char *uplo, const blasint *n, const blasint *nrhs, double *a, const blasint *lda,
            double *b, const blasint *ldb, blasint *info);
