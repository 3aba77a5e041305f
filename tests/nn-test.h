/* nn-test.h — helpers of the neural-core tests: buffers registered in one list
 * and freed together at the end of a case. */
#pragma once

#include <stdlib.h>

static void *nn_buffers[128];
static size_t nn_n_buffers;

// Take ownership of p (freed by release()).
static inline float *keep(float *p)
{
    if (!p || nn_n_buffers == sizeof nn_buffers / sizeof *nn_buffers)
        abort();
    nn_buffers[nn_n_buffers++] = p;
    return p;
}

static inline float *zeros(size_t n)
{
    return keep(calloc(n ? n : 1, sizeof(float)));
}

static inline void release(void)
{
    while (nn_n_buffers)
        free(nn_buffers[--nn_n_buffers]);
}
