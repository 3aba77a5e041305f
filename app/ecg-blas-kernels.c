#include "ecg-blas-kernels.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/gemm.h"

void
ecg_blas_use_cpu_kernels (char **argv)
{
  const char *core = NULL;

  if (getenv ("OPENBLAS_CORETYPE") != NULL || strcmp (ecg_gemm_kernels (), "Prescott") != 0)
    return;
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw") &&
      __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    core = "SkylakeX";
  else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    core = "Haswell";
  if (core == NULL)
    return;
  setenv ("OPENBLAS_CORETYPE", core, 1);
  execv ("/proc/self/exe", argv);
  /* still here: run with the fallback kernels */
}
