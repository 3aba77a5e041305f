/* vecmath.h — the vector kernels of core/nn (internal to it): exp, sigmoid, tanh
 * and softmax over arrays, the LSTM cell, the product of a few rows by a matrix,
 * and the convolutions' products on strided operands.
 *
 * The LSTM gates and the attention softmax spend more time here than in their
 * matrix products when they go through libm one element at a time (expf about
 * 5 ns, tanhf about 25 ns on this class of machine), and compilers vectorise
 * neither without -ffast-math; an LSTM step's product is too small for a BLAS.
 * These work on whole vectors in plain C (GCC/Clang vector extensions, no
 * intrinsics): four lanes everywhere, eight where the CPU has AVX2 and FMA,
 * sixteen where it has AVX-512 (chosen at run time). Accuracy: exp within 2 ulp
 * on [-87, 88], 0 below (so e^-inf = 0) and e^88 above; sigmoid and tanh within
 * 3e-7 absolute. y may be x. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

void ecg_vexp(float *y, const float *x, size_t n);
void ecg_vsigmoid(float *y, const float *x, size_t n);
void ecg_vtanh(float *y, const float *x, size_t n);

/* The LSTM cells (lstm.c) of B sequences at one step; rows of gate hold i, f, g,
 * o. Forward: gate (pre-activations less the bias) becomes the activations, then
 * c = f c_prev + i g, tc = tanh(c), h = o tc. Backward: from dh, the gradient of h,
 * and dc, that of c from the step after, dgate gets the gradient of the
 * pre-activations and dc becomes that of c_prev. */
void ecg_vlstm_cell(float *gate /* (B, 4H) */, float *c /* (B, H) */, float *tc /* (B, H) */,
                    float *h /* (B, H) */, const float *c_prev /* (B, H) */,
                    const float *bias /* (4H) */, size_t B, size_t H);
void ecg_vlstm_cell_backward(float *dgate /* (B, 4H) */, float *dc /* (B, H) */,
                             const float *dh /* (B, H) */, const float *gate /* (B, 4H) */,
                             const float *tc /* (B, H) */, const float *c_prev /* (B, H) */,
                             size_t B, size_t H);

/* The product of a few rows by a matrix that stays the same (an LSTM step):
 * C (M, N) += A (M, K) B (K, N), rows of A and C lda and ldc floats apart. B is
 * packed once into column panels of ECG_VMATMUL_PANEL columns, each a contiguous
 * (K, width) block, so that every step streams it from L1; a BLAS would pack it at
 * every step, and take longer doing so than multiplying. ecg_vmatmul_pack takes
 * B[k, n] = src[k rs + n cs] (rs = N, cs = 1 row-major; rs = 1, cs = K for the
 * transpose of a row-major (N, K) matrix) and fills K N floats of Bp. */
#define ECG_VMATMUL_PANEL 64
void ecg_vmatmul_pack(float *Bp /* (K N) */, const float *src, size_t rs, size_t cs, size_t K,
                      size_t N);
void ecg_vmatmul(float *C, size_t ldc, const float *A, size_t lda, const float *Bp, size_t M,
                 size_t N, size_t K);

/* The products of the convolutions (conv1d.c): C (M, N) = C (if add) + bias + A (M,
 * K) B (K, N), through a ReLU if relu, with A[m, k] = A[m ars + k aks] for any
 * strides (the overlapping windows of a sequence stored by rows, or their
 * transpose) and rows of B and C ldb and ldc floats apart; bias (N) or NULL.
 * Taking A where it lies saves the copies a BLAS needs (windows unrolled into a
 * column matrix, then packed again, and scattered back for the transposed
 * direction), which took the CAE's training nearly as long as its arithmetic. B is
 * read in whole vectors: up to ECG_VGEMM_SLACK floats past column N of its last row
 * must be readable (their values are not used). */
#define ECG_VGEMM_SLACK 32
void ecg_vgemm(float *C, size_t ldc, const float *A, size_t ars, size_t aks, const float *B,
               size_t ldb, size_t M, size_t N, size_t K, bool add, const float *bias, bool relu);

/* Each row of x <- its softmax (the row's maximum subtracted first). */
void ecg_vsoftmax(float *x /* (rows, cols) */, size_t rows, size_t cols);
/* Through a row softmax a = softmax(s): d <- a (d - sum_j d_j a_j) row by row,
 * d the gradient of a on entry and of s on return. */
void ecg_vsoftmax_backward(float *d /* (rows, cols) */, const float *a /* (rows, cols) */,
                           size_t rows, size_t cols);
