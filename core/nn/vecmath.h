/* vecmath.h — exp, sigmoid, tanh and softmax over arrays (internal to core/nn).
 *
 * The LSTM gates and the attention softmax spend more time here than in their
 * matrix products when they go through libm one element at a time (expf about
 * 5 ns, tanhf about 25 ns on this class of machine), and compilers vectorise
 * neither without -ffast-math. These work on whole vectors in plain C (GCC/Clang
 * vector extensions, no intrinsics): four lanes everywhere, eight where the CPU
 * has AVX2 (chosen at run time). Accuracy: exp within 2 ulp on [-87, 88], 0
 * below (so e^-inf = 0) and e^88 above; sigmoid and tanh within 3e-7 absolute.
 * y may be x. */
#pragma once

#include <stddef.h>

void ecg_vexp(float *y, const float *x, size_t n);
void ecg_vsigmoid(float *y, const float *x, size_t n);
void ecg_vtanh(float *y, const float *x, size_t n);

/* Each row of x <- its softmax (the row's maximum subtracted first). */
void ecg_vsoftmax(float *x /* (rows, cols) */, size_t rows, size_t cols);
/* Through a row softmax a = softmax(s): d <- a (d - sum_j d_j a_j) row by row,
 * d the gradient of a on entry and of s on return. */
void ecg_vsoftmax_backward(float *d /* (rows, cols) */, const float *a /* (rows, cols) */,
                           size_t rows, size_t cols);
