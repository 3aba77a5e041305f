#include "gemm.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>

void ecg_gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
              const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
              size_t ldc)
{
    assert(lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N) && ldc >= N);
    assert(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX && lda <= INT_MAX && ldb <= INT_MAX &&
           ldc <= INT_MAX);
    if (M == 0 || N == 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A, (int)lda,
                B, (int)ldb, beta, C, (int)ldc);
}

void ecg_gemm_set_threads(int n)
{
    openblas_set_num_threads(n);
}

const char *ecg_gemm_kernels(void)
{
    return openblas_get_corename();
}
