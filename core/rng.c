#include "rng.h"

#include <math.h>

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15u

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t ecg_rng_derive_seed(uint64_t a, uint64_t b)
{
    return mix64(a ^ mix64(b * GOLDEN_GAMMA + GOLDEN_GAMMA));
}

void ecg_rng_init(EcgRng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += GOLDEN_GAMMA;
        r->s[i] = mix64(x);
    }
    r->has_spare = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ecg_rng_next(EcgRng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ecg_rng_uniform(EcgRng *r) { return (double)(ecg_rng_next(r) >> 11) * 0x1.0p-53; }

double ecg_rng_range(EcgRng *r, double lo, double hi) { return lo + (hi - lo) * ecg_rng_uniform(r); }

size_t ecg_rng_below(EcgRng *r, size_t n) { return (size_t)(ecg_rng_uniform(r) * (double)n); }

int ecg_rng_chance(EcgRng *r, double p) { return ecg_rng_uniform(r) < p; }

double ecg_rng_normal(EcgRng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * ecg_rng_uniform(r) - 1.0;
        v = 2.0 * ecg_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}
