/* gemm.h — the one matrix product of the neural core, a wrapper over CBLAS sgemm.
 *
 *   C = alpha * op(A) op(B) + beta * C      op(X) = X or X^T
 *
 * Row-major. op(A) is (M,K), op(B) is (K,N), C is (M,N). Every matrix carries its
 * leading dimension (floats between the starts of consecutive stored rows), so a
 * sub-block such as one head of a projection (ld = E) or one time step of a
 * batch-major sequence (ld = T*C) is multiplied where it lies. With beta == 0, C
 * is written without being read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

void ecg_gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
              const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
              size_t ldc);

/* Threads the BLAS may use inside one product; 1 when the caller runs products in
 * parallel itself (data-parallel training). Process-wide. */
void ecg_gemm_set_threads(int n);

/* The BLAS's name for the kernels it chose for this CPU ("SkylakeX", "Haswell",
 * "Prescott", ...): OpenBLAS picks them once, when it is loaded. */
const char *ecg_gemm_kernels(void);
