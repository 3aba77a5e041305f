#include "vecmath.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

// the portable copy: four lanes (SSE2 on x86-64, NEON on arm64)
#define LANES 4
#define NAME(f) f##_4
#include "vecmath-lanes.h"
#undef LANES
#undef NAME

// x86-64 with GCC: copies of eight lanes for AVX2 and sixteen for AVX-512, both
// with fused multiply-adds, chosen at run time; each about twice the one before
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_X86_COPIES 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=fast")
#define LANES 8
#define NAME(f) f##_8
#include "vecmath-lanes.h"
#undef LANES
#undef NAME
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#pragma GCC optimize("fp-contract=fast")
#define LANES 16
#define NAME(f) f##_16
#include "vecmath-lanes.h"
#undef LANES
#undef NAME
#pragma GCC pop_options
#endif

#ifdef HAVE_X86_COPIES
#define DISPATCH(f, ...)                                                         \
    (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")   \
         ? f##_16(__VA_ARGS__)                                                   \
     : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")         \
         ? f##_8(__VA_ARGS__)                                                    \
         : f##_4(__VA_ARGS__))
#else
#define DISPATCH(f, ...) f##_4(__VA_ARGS__)
#endif

void ecg_vexp(float *y, const float *x, size_t n)
{
    DISPATCH(exp, y, x, n);
}

void ecg_vsigmoid(float *y, const float *x, size_t n)
{
    DISPATCH(sigmoid, y, x, n);
}

void ecg_vtanh(float *y, const float *x, size_t n)
{
    DISPATCH(tanh, y, x, n);
}

void ecg_vsoftmax(float *x, size_t rows, size_t cols)
{
    DISPATCH(softmax, x, rows, cols);
}

void ecg_vsoftmax_backward(float *d, const float *a, size_t rows, size_t cols)
{
    DISPATCH(softmax_backward, d, a, rows, cols);
}

void ecg_vmatmul_pack(float *Bp, const float *src, size_t rs, size_t cs, size_t K, size_t N)
{
    for (size_t p = 0; p < N; p += ECG_VMATMUL_PANEL) {
        size_t w = N - p < ECG_VMATMUL_PANEL ? N - p : ECG_VMATMUL_PANEL;
        float *panel = Bp + p * K; // (K, w)
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < w; j++)
                panel[k * w + j] = src[k * rs + (p + j) * cs];
    }
}

void ecg_vmatmul(float *C, size_t ldc, const float *A, size_t lda, const float *Bp, size_t M,
                 size_t N, size_t K)
{
    DISPATCH(matmul, C, ldc, A, lda, Bp, M, N, K);
}

void ecg_vgemm(float *C, size_t ldc, const float *A, size_t ars, size_t aks, const float *B,
               size_t ldb, size_t M, size_t N, size_t K, bool add, const float *bias, bool relu)
{
    DISPATCH(vgemm, C, ldc, A, ars, aks, B, ldb, M, N, K, add, bias, relu);
}

void ecg_vlstm_cell(float *gate, float *c, float *tc, float *h, const float *c_prev,
                    const float *bias, size_t B, size_t H)
{
    DISPATCH(lstm_cell, gate, c, tc, h, c_prev, bias, B, H);
}

void ecg_vlstm_cell_backward(float *dgate, float *dc, const float *dh, const float *gate,
                             const float *tc, const float *c_prev, size_t B, size_t H)
{
    DISPATCH(lstm_cell_backward, dgate, dc, dh, gate, tc, c_prev, B, H);
}
