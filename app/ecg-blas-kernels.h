/* ecg-blas-kernels.h — make OpenBLAS use the vector kernels the CPU has. */
#pragma once

/* OpenBLAS 0.3.21 (Debian 12) does not know CPUs newer than it (Sapphire and
 * Emerald Rapids, among others) and falls back to its slowest, SSE3-only
 * kernels, several times slower. It reads OPENBLAS_CORETYPE once, when it is
 * loaded, so the only remedy is to set the variable and start the program again:
 * when the user has not chosen a core type, the BLAS picked the fallback, and
 * the CPU has AVX-512 or AVX2, this re-executes argv with OPENBLAS_CORETYPE set
 * (SkylakeX or Haswell). Call it first thing in main(); it returns when nothing
 * needs doing or the re-exec fails. */
void ecg_blas_use_cpu_kernels (char **argv);
