/* rng.h — the core's random numbers: xoshiro256** seeded through splitmix64.
 *
 * Deterministic on every platform for a seed (no rand(), no global state), so
 * synthetic datasets, weight initialisation and training are reproducible. A
 * family of independent generators (the records of a dataset, the streams of a
 * record, the layers of a model) takes its seeds from ecg_rng_derive_seed. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
    double spare;       /* second normal deviate of the polar method */
    int has_spare;
} EcgRng;

/* A seed for item b of a family seeded a. */
uint64_t ecg_rng_derive_seed(uint64_t a, uint64_t b);

void ecg_rng_init(EcgRng *r, uint64_t seed);

uint64_t ecg_rng_next(EcgRng *r);

/* Uniform in [0, 1) with 53 random bits. */
double ecg_rng_uniform(EcgRng *r);
/* Uniform in [lo, hi). */
double ecg_rng_range(EcgRng *r, double lo, double hi);
/* Uniform integer in [0, n). */
size_t ecg_rng_below(EcgRng *r, size_t n);
/* 1 with probability p. */
int ecg_rng_chance(EcgRng *r, double p);
/* Standard normal deviate (Marsaglia's polar method: no trigonometry). */
double ecg_rng_normal(EcgRng *r);
