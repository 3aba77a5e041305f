/* vecmath-lanes.h — the bodies of the vecmath.c kernels, written once for a
 * vector of LANES floats and included by vecmath.c once per instruction set;
 * NAME(f) gives each copy its own function names. Not a public header. */

typedef float NAME(vf) __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t NAME(vi) __attribute__((vector_size(LANES * sizeof(int32_t))));
#define vf NAME(vf)
#define vi NAME(vi)

// Every lane a: the scalar operand is broadcast (x - 0 = x for every x, -0 too).
static inline __attribute__((always_inline)) vf NAME(splat)(float a)
{
    return a - (vf){0};
}

// Lanes of a where mask m is set (all ones), of b elsewhere.
static inline __attribute__((always_inline)) vf NAME(select)(vi m, vf a, vf b)
{
    return (vf)((m & (vi)a) | (~m & (vi)b));
}

// Cephes expf: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial, 2^n
// written into the exponent bits. 0 below -87 (e^-inf = 0 pads softmax rows), e^88
// above 88.
static inline __attribute__((always_inline)) vf NAME(exp_v)(vf x)
{
    const vf lo = NAME(splat)(-87.0f), hi = NAME(splat)(88.0f);
    vi underflow = x < lo;
    x = NAME(select)(underflow, lo, x);
    x = NAME(select)(x > hi, hi, x);
    // round to nearest by adding and removing 1.5 * 2^23
    vf n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    vf r = x - n * 0.693359375f; // ln2 in two parts, so n times the first is exact
    r = r + n * 2.12194440e-4f;
    vf p = NAME(splat)(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vi e = (__builtin_convertvector(n, vi) + 127) << 23;
    return (vf)((vi)(p * (vf)e) & ~underflow);
}

static inline __attribute__((always_inline)) vf NAME(sigmoid_v)(vf x)
{
    return 1.0f / (1.0f + NAME(exp_v)(-x));
}

// tanh: the Cephes odd polynomial below 0.625, where 1 - 2/(e^2a + 1) would lose
// relative accuracy, and that formula above.
static inline __attribute__((always_inline)) vf NAME(tanh_v)(vf x)
{
    const vi sign = (vi)NAME(splat)(-0.0f);
    vf a = (vf)((vi)x & ~sign);
    vf z = x * x;
    vf small = NAME(splat)(-5.70498872745e-3f);
    small = small * z + 2.06390887954e-2f;
    small = small * z - 5.37397155531e-2f;
    small = small * z + 1.33314422036e-1f;
    small = small * z - 3.33332819422e-1f;
    small = small * z * x + x;
    vf large = 1.0f - 2.0f / (NAME(exp_v)(2.0f * a) + 1.0f);
    large = (vf)((vi)large | ((vi)x & sign));
    return NAME(select)(a < 0.625f, small, large);
}

// The floats x[i .. n) (at most LANES, none when i >= n), lanes past n set to pad.
// Whole vectors go through a fixed-size copy, which compiles to one load. The tail
// goes through a float array: indexing a vector's lanes with a variable would keep
// it in memory in every loop that does so.
static inline __attribute__((always_inline)) vf NAME(load)(const float *x, size_t i, size_t n,
                                                          float pad)
{
    vf v;
    if (i + LANES <= n) {
        memcpy(&v, x + i, sizeof v);
    } else {
        float lanes[LANES];
        for (size_t l = 0; l < LANES; l++)
            lanes[l] = i + l < n ? x[i + l] : pad;
        memcpy(&v, lanes, sizeof v);
    }
    return v;
}

static inline __attribute__((always_inline)) void NAME(store)(float *y, size_t i, size_t n, vf v)
{
    if (i + LANES <= n) {
        memcpy(y + i, &v, sizeof v);
    } else {
        float lanes[LANES];
        memcpy(lanes, &v, sizeof v);
        for (size_t l = 0; i + l < n; l++)
            y[i + l] = lanes[l];
    }
}

static inline __attribute__((always_inline)) float NAME(hsum)(vf v)
{
    float s = 0.0f;
    for (int i = 0; i < LANES; i++)
        s += v[i];
    return s;
}

#define MAP(f)                                                       \
    static void NAME(f)(float *y, const float *x, size_t n)          \
    {                                                                \
        for (size_t i = 0; i < n; i += LANES)                        \
            NAME(store)(y, i, n, NAME(f##_v)(NAME(load)(x, i, n, 0))); \
    }
MAP(exp)
MAP(sigmoid)
MAP(tanh)
#undef MAP

// The partial vector at the end of a row is loaded once and kept in a register
// through the passes (padded with -inf, whose exp is 0).
static void NAME(softmax_row)(float *x, size_t n)
{
    size_t full = n - n % LANES;
    vf tail = full < n ? NAME(load)(x, full, n, -INFINITY) : NAME(splat)(-INFINITY);
    vf m = tail, sum = NAME(splat)(0.0f);
    for (size_t i = 0; i < full; i += LANES) {
        vf v = NAME(load)(x, i, n, 0);
        m = NAME(select)(v > m, v, m);
    }
    float max = m[0];
    for (int l = 1; l < LANES; l++)
        max = m[l] > max ? m[l] : max;
    for (size_t i = 0; i < full; i += LANES) {
        vf e = NAME(exp_v)(NAME(load)(x, i, n, 0) - max);
        sum += e;
        NAME(store)(x, i, n, e);
    }
    if (full < n)
        tail = NAME(exp_v)(tail - max);
    else
        tail = NAME(splat)(0.0f);
    float inv = 1.0f / NAME(hsum)(sum + tail);
    for (size_t i = 0; i < full; i += LANES)
        NAME(store)(x, i, n, NAME(load)(x, i, n, 0) * inv);
    if (full < n)
        NAME(store)(x, full, n, tail * inv);
}

static void NAME(softmax)(float *x, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        NAME(softmax_row)(x + r * cols, cols);
}

static void NAME(softmax_backward)(float *d, const float *a, size_t rows, size_t cols)
{
    size_t full = cols - cols % LANES;
    for (size_t r = 0; r < rows; r++) {
        float *dr = d + r * cols;
        const float *ar = a + r * cols;
        vf d_tail = NAME(splat)(0.0f), a_tail = d_tail;
        if (full < cols) {
            d_tail = NAME(load)(dr, full, cols, 0);
            a_tail = NAME(load)(ar, full, cols, 0);
        }
        vf acc = d_tail * a_tail;
        for (size_t i = 0; i < full; i += LANES)
            acc += NAME(load)(dr, i, cols, 0) * NAME(load)(ar, i, cols, 0);
        float dot = NAME(hsum)(acc);
        for (size_t i = 0; i < full; i += LANES)
            NAME(store)(dr, i, cols,
                        NAME(load)(ar, i, cols, 0) * (NAME(load)(dr, i, cols, 0) - dot));
        if (full < cols)
            NAME(store)(dr, full, cols, a_tail * (d_tail - dot));
    }
}

// ----------------------------------------------------------------------------
// the LSTM cells of B sequences at one step (lstm.c): gate rows of 4H in the order
// i, f, g, o, the other rows of H

static inline void NAME(lstm_cell)(float *gate, float *c, float *tc, float *h,
                                   const float *c_prev, const float *bias, size_t B, size_t H)
{
#define PRE(q) (NAME(load)(g4 + (q) * H, j, H, 0) + NAME(load)(bias + (q) * H, j, H, 0))
    for (size_t b = 0; b < B; b++) {
        float *g4 = gate + 4 * b * H;
        size_t row = b * H; // of the (B, H) arrays
        for (size_t j = 0; j < H; j += LANES) {
            vf i = NAME(sigmoid_v)(PRE(0)), f = NAME(sigmoid_v)(PRE(1));
            vf g = NAME(tanh_v)(PRE(2)), o = NAME(sigmoid_v)(PRE(3));
            vf cj = f * NAME(load)(c_prev + row, j, H, 0) + i * g, t = NAME(tanh_v)(cj);
            NAME(store)(g4, j, H, i);
            NAME(store)(g4 + H, j, H, f);
            NAME(store)(g4 + 2 * H, j, H, g);
            NAME(store)(g4 + 3 * H, j, H, o);
            NAME(store)(c + row, j, H, cj);
            NAME(store)(tc + row, j, H, t);
            NAME(store)(h + row, j, H, o * t);
        }
    }
#undef PRE
}

static inline void NAME(lstm_cell_backward)(float *dgate, float *dc, const float *dh,
                                            const float *gate, const float *tc,
                                            const float *c_prev, size_t B, size_t H)
{
    for (size_t b = 0; b < B; b++) {
        const float *g4 = gate + 4 * b * H;
        float *dg4 = dgate + 4 * b * H;
        size_t row = b * H; // of the (B, H) arrays
        for (size_t j = 0; j < H; j += LANES) {
            vf i = NAME(load)(g4, j, H, 0), f = NAME(load)(g4 + H, j, H, 0);
            vf g = NAME(load)(g4 + 2 * H, j, H, 0), o = NAME(load)(g4 + 3 * H, j, H, 0);
            vf t = NAME(load)(tc + row, j, H, 0), dhj = NAME(load)(dh + row, j, H, 0);
            vf dcj = NAME(load)(dc + row, j, H, 0) + dhj * o * (1.0f - t * t);
            vf cp = NAME(load)(c_prev + row, j, H, 0);
            NAME(store)(dg4, j, H, dcj * g * i * (1.0f - i));
            NAME(store)(dg4 + H, j, H, dcj * cp * f * (1.0f - f));
            NAME(store)(dg4 + 2 * H, j, H, dcj * i * (1.0f - g * g));
            NAME(store)(dg4 + 3 * H, j, H, dhj * t * o * (1.0f - o));
            NAME(store)(dc + row, j, H, dcj * f);
        }
    }
}

// ----------------------------------------------------------------------------
// products of a few rows: C (M, N) += A (M, K) B (K, N)

// A tile of C is MR rows by NV vectors: its sums stay in registers through K.
// Six by four vectors take 24 of AVX-512's 32 registers, six by two 12 of the 16
// of AVX2 and SSE; a row of A broadcast and a row of the tile of B take the rest.
#define MR 6
#define NV (LANES == 16 ? 4 : 2)

// The tile at C, rows <= MR by cols <= NV LANES, over K. Both are constants after
// inlining for the whole tiles, so acc lives in registers; tiles of partial
// vectors only come with odd sizes (their lanes past cols load zeros and store
// nothing).
static inline __attribute__((always_inline)) void NAME(matmul_tile)(
    float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb, size_t K,
    size_t rows, size_t cols)
{
    vf acc[MR][NV] = {0}; // zeros where rows < MR, for the compiler's sake
#pragma GCC unroll 16
    for (size_t r = 0; r < rows; r++)
#pragma GCC unroll 16
        for (size_t v = 0; v < NV; v++)
            acc[r][v] = NAME(load)(C + r * ldc, v * LANES, cols, 0);
    for (size_t k = 0; k < K; k++) {
        vf b[NV];
#pragma GCC unroll 16
        for (size_t v = 0; v < NV; v++)
            b[v] = NAME(load)(B + k * ldb, v * LANES, cols, 0);
#pragma GCC unroll 16
        for (size_t r = 0; r < rows; r++) {
            vf a = NAME(splat)(A[r * lda + k]);
#pragma GCC unroll 16
            for (size_t v = 0; v < NV; v++)
                acc[r][v] += a * b[v];
        }
    }
#pragma GCC unroll 16
    for (size_t r = 0; r < rows; r++)
#pragma GCC unroll 16
        for (size_t v = 0; v < NV; v++)
            NAME(store)(C + r * ldc, v * LANES, cols, acc[r][v]);
}

// B in column panels (ecg_vmatmul_pack). Whole tiles get a copy per row count
// (the last rows of M may be fewer than MR), partial ones one generic copy.
static inline void NAME(matmul)(float *C, size_t ldc, const float *A, size_t lda,
                                const float *Bp, size_t M, size_t N, size_t K)
{
    // K in slices whose rows of a panel (KC ECG_VMATMUL_PANEL floats) stay in L1
    const size_t KC = 128, NC = NV * LANES, P = ECG_VMATMUL_PANEL;
    for (size_t p = 0; p < N; p += P) {
        size_t w = N - p < P ? N - p : P;
        const float *panel = Bp + p * K; // (K, w)
        for (size_t k = 0; k < K; k += KC) {
            size_t kc = K - k < KC ? K - k : KC;
            for (size_t n = 0; n < w; n += NC)
                for (size_t m = 0; m < M; m += MR) {
                    float *c = C + m * ldc + p + n;
                    const float *a = A + m * lda + k, *b = panel + k * w + n;
                    size_t rows = M - m < MR ? M - m : MR, cols = w - n < NC ? w - n : NC;
#define TILE(r, n) NAME(matmul_tile)(c, ldc, a, lda, b, w, kc, r, n)
                    switch (cols < NC ? 0 : rows) { // MR = 6 cases
                    case 6: TILE(6, NC); break;
                    case 5: TILE(5, NC); break;
                    case 4: TILE(4, NC); break;
                    case 3: TILE(3, NC); break;
                    case 2: TILE(2, NC); break;
                    case 1: TILE(1, NC); break;
                    default: TILE(rows, cols); // a partial column tile
                    }
#undef TILE
                }
        }
    }
}

#undef MR
#undef NV

// ----------------------------------------------------------------------------
// strided products (the convolutions): C (M, N) = [C +] bias + A (M, K) B (K, N)

// Tiles of 6 rows by NV vectors keep their sums in registers through K: up to 4
// vectors with sixteen lanes (24 of AVX-512's 32 registers), 2 with fewer (12 of
// 16). A row of B is loaded whole and each element of A broadcast, so A may be any
// strided view: overlapping windows, a transpose. More rows would not leave
// general registers for their pointers.
#define VG_MR 6
#define VG_WIDE (LANES == 16 ? 4 : 2)

// The tile at C, rows <= VG_MR, cols <= NV LANES, over K. NV is a constant after
// inlining, so acc lives in registers; rows past `rows` read row 0 of A and are not
// stored, columns past `cols` are read from B and not stored.
static inline __attribute__((always_inline)) void NAME(vgemm_tile)(
    float *C, size_t ldc, const float *A, size_t ars, size_t aks, const float *B, size_t ldb,
    size_t K, bool add, const float *bias, bool relu, size_t rows, size_t cols, const size_t NV)
{
    vf acc[VG_MR][VG_WIDE] = {0}; // zeros past NV, for the compiler's sake
    const float *a[VG_MR];
#pragma GCC unroll 6
    for (size_t r = 0; r < VG_MR; r++) {
        a[r] = A + (r < rows ? r : 0) * ars;
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; v++)
            if (bias)
                acc[r][v] = NAME(load)(bias, v * LANES, cols, 0);
    }
#pragma GCC unroll 4
    for (size_t k = 0; k < K; k++) { // unrolled: the pointers step once per 4 k
        vf b[VG_WIDE];
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; v++)
            memcpy(&b[v], B + k * ldb + v * LANES, sizeof b[v]);
#pragma GCC unroll 6
        for (size_t r = 0; r < VG_MR; r++) {
            vf x = NAME(splat)(*a[r]);
            a[r] += aks;
#pragma GCC unroll 4
            for (size_t v = 0; v < NV; v++)
                acc[r][v] += x * b[v];
        }
    }
#pragma GCC unroll 6
    for (size_t r = 0; r < VG_MR; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < NV && r < rows; v++) {
            // C added last: a sum over K from zero, then onto C, rounds less than one
            // running on from C
            vf y = add ? acc[r][v] + NAME(load)(C + r * ldc, v * LANES, cols, 0) : acc[r][v];
            y = relu ? NAME(select)(y > 0.0f, y, NAME(splat)(0.0f)) : y;
            NAME(store)(C + r * ldc, v * LANES, cols, y);
        }
}

// The rows in tiles, each across all the columns (its rows of A stay in L1 while
// it goes through B), in panels of the widest tile that fits (a narrower one for
// the last few columns, rounded up to whole vectors).
static void NAME(vgemm)(float *C, size_t ldc, const float *A, size_t ars, size_t aks,
                        const float *B, size_t ldb, size_t M, size_t N, size_t K, bool add,
                        const float *bias, bool relu)
{
    for (size_t m = 0; m < M; m += VG_MR) {
        size_t rows = M - m < VG_MR ? M - m : VG_MR;
        for (size_t n = 0; n < N;) {
            size_t nv = VG_WIDE;
            while (nv > 1 && (nv / 2) * LANES >= N - n)
                nv /= 2;
            size_t cols = N - n < nv * LANES ? N - n : nv * LANES;
            float *c = C + m * ldc + n;
            const float *a = A + m * ars, *bn = bias ? bias + n : NULL;
#define TILE(v) NAME(vgemm_tile)(c, ldc, a, ars, aks, B + n, ldb, K, add, bn, relu, rows, cols, v)
            if (nv == VG_WIDE)
                TILE(VG_WIDE);
            else if (nv == 2)
                TILE(2);
            else
                TILE(1);
#undef TILE
            n += cols;
        }
    }
}

#undef VG_MR
#undef VG_WIDE

#undef vf
#undef vi
