/* arena.h — one block of floats with named, shaped views.
 *
 * A model's parameters live in one arena, so the optimizer and gradient clipping
 * see one flat vector and the checkpoint walks the views by name. Gradients and
 * Adam moments live in arenas of the same layout (ecg_arena_init_like), so the
 * view at offset o in one is the same tensor's slot in the others. Activation
 * caches can use an arena too, one 1-D view per layer sized by the layer's
 * *_cache_size().
 *
 *   EcgArena p;
 *   ecg_arena_init(&p);
 *   ecg_arena_add(&p, "encoder.weight_ih_l0", 2, (size_t[]){4 * H, I}, err);
 *   ...
 *   ecg_arena_alloc(&p, err);                  // zeroed
 *   float *w = ecg_arena_get(&p, "encoder.weight_ih_l0");
 *   ecg_arena_clear(&p); */
#pragma once

#include <stddef.h>

#include "../status.h"

#define ECG_VIEW_NAME_MAX 64
#define ECG_VIEW_MAX_DIMS 4

typedef struct {
    char name[ECG_VIEW_NAME_MAX];   // e.g. "decoder.weight_hh_l0_reverse"
    size_t ndim;
    size_t shape[ECG_VIEW_MAX_DIMS];
    size_t offset;                  // in floats from the start of the block
    size_t size;                    // product of the shape
} EcgView;

typedef struct {
    float *data;                    // (size), NULL until ecg_arena_alloc
    size_t size;
    EcgView *views;                 // (n_views) in the order added
    size_t n_views;
    size_t cap_views;
} EcgArena;

void ecg_arena_init(EcgArena *a);

/* Append a view of the given shape after the previous ones. Only before
 * ecg_arena_alloc. Refused (ECG_ERR_ARG): an empty or too long name, a name
 * already present, ndim outside 1..ECG_VIEW_MAX_DIMS, a zero dimension. */
int ecg_arena_add(EcgArena *a, const char *name, size_t ndim, const size_t *shape, EcgError *err);

/* Allocate the block, zeroed. */
int ecg_arena_alloc(EcgArena *a, EcgError *err);

/* A new arena dst with the views of src, allocated and zeroed (gradients, Adam
 * moments). dst must not be initialised. */
int ecg_arena_init_like(EcgArena *dst, const EcgArena *src, EcgError *err);

/* The view called name, or NULL. */
const EcgView *ecg_arena_find(const EcgArena *a, const char *name);

/* The floats of the view called name, or NULL if there is none or the block is
 * not allocated yet. */
float *ecg_arena_get(const EcgArena *a, const char *name);

/* Set every float to zero (gradients before a backward pass). */
void ecg_arena_zero(EcgArena *a);

/* Free everything; a is left initialised and empty. */
void ecg_arena_clear(EcgArena *a);
