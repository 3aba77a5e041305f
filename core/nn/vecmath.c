#include "vecmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// the portable copy: four lanes (SSE2 on x86-64, NEON on arm64)
#define LANES 4
#define NAME(f) f##_4
#include "vecmath-lanes.h"
#undef LANES
#undef NAME

// x86-64 with GCC: an eight-lane copy for AVX2, chosen at run time; twice as fast
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_AVX2_COPY 1
#pragma GCC push_options
#pragma GCC target("avx2")
#define LANES 8
#define NAME(f) f##_8
#include "vecmath-lanes.h"
#undef LANES
#undef NAME
#pragma GCC pop_options
#endif

#ifdef HAVE_AVX2_COPY
#define DISPATCH(f, ...) \
    (__builtin_cpu_supports("avx2") ? f##_8(__VA_ARGS__) : f##_4(__VA_ARGS__))
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
