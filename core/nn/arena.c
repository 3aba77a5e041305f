#include "arena.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void ecg_arena_init(EcgArena *a)
{
    memset(a, 0, sizeof *a);
}

int ecg_arena_add(EcgArena *a, const char *name, size_t ndim, const size_t *shape, EcgError *err)
{
    assert(!a->data);
    size_t len = strlen(name);
    if (len == 0 || len >= ECG_VIEW_NAME_MAX)
        return ecg_fail(err, ECG_ERR_ARG, "parameter name '%s' is empty or longer than %d bytes",
                        name, ECG_VIEW_NAME_MAX - 1);
    if (ecg_arena_find(a, name))
        return ecg_fail(err, ECG_ERR_ARG, "parameter '%s' is defined twice", name);
    if (ndim == 0 || ndim > ECG_VIEW_MAX_DIMS)
        return ecg_fail(err, ECG_ERR_ARG, "parameter '%s' has %zu dimensions", name, ndim);
    size_t size = 1;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] == 0 || shape[d] > SIZE_MAX / sizeof(float) / size)
            return ecg_fail(err, ECG_ERR_ARG, "parameter '%s' has dimension %zu of size %zu", name,
                            d, shape[d]);
        size *= shape[d];
    }
    if (size > SIZE_MAX / sizeof(float) - a->size)
        return ecg_fail(err, ECG_ERR_ARG, "parameter '%s' does not fit in memory", name);

    if (a->n_views == a->cap_views) {
        size_t cap = a->cap_views ? 2 * a->cap_views : 16;
        EcgView *views = realloc(a->views, cap * sizeof *views);
        if (!views)
            return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for parameter '%s'", name);
        a->views = views;
        a->cap_views = cap;
    }
    EcgView *v = &a->views[a->n_views++];
    memset(v, 0, sizeof *v);
    memcpy(v->name, name, len + 1);
    v->ndim = ndim;
    memcpy(v->shape, shape, ndim * sizeof *shape);
    v->offset = a->size;
    v->size = size;
    a->size += size;
    return ECG_OK;
}

int ecg_arena_alloc(EcgArena *a, EcgError *err)
{
    assert(!a->data);
    a->data = calloc(a->size ? a->size : 1, sizeof(float));
    if (!a->data)
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu parameters", a->size);
    return ECG_OK;
}

int ecg_arena_init_like(EcgArena *dst, const EcgArena *src, EcgError *err)
{
    ecg_arena_init(dst);
    if (src->n_views) {
        dst->views = malloc(src->n_views * sizeof *dst->views);
        if (!dst->views)
            return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu views", src->n_views);
        memcpy(dst->views, src->views, src->n_views * sizeof *dst->views);
    }
    dst->n_views = dst->cap_views = src->n_views;
    dst->size = src->size;
    int status = ecg_arena_alloc(dst, err);
    if (status)
        ecg_arena_clear(dst);
    return status;
}

const EcgView *ecg_arena_find(const EcgArena *a, const char *name)
{
    for (size_t i = 0; i < a->n_views; i++)
        if (strcmp(a->views[i].name, name) == 0)
            return &a->views[i];
    return NULL;
}

float *ecg_arena_get(const EcgArena *a, const char *name)
{
    const EcgView *v = ecg_arena_find(a, name);
    return v && a->data ? a->data + v->offset : NULL;
}

void ecg_arena_zero(EcgArena *a)
{
    if (a->data)
        memset(a->data, 0, a->size * sizeof(float));
}

void ecg_arena_clear(EcgArena *a)
{
    free(a->data);
    free(a->views);
    ecg_arena_init(a);
}
