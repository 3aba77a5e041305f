/* .npy reader: both orientations, float32/float64/int16, C and Fortran order,
 * and every kind of bad file. Fixtures are written here, byte by byte. */
#include <stdint.h>

#include "npy.h"
#include "test.h"

/* test_tmpdir()/name; eight results stay valid at a time. */
static const char *tmp_path(const char *name)
{
    static char buf[8][4096];
    static int slot;
    char *out = buf[slot++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

/* Write a .npy file: magic, version, the dict padded to 64 bytes, then size bytes of data. */
static void write_npy(const char *path, int version, const char *dict, const void *data, size_t size)
{
    unsigned char head[256];
    size_t prefix = version == 1 ? 10 : 12;
    size_t len = strlen(dict), total = (prefix + len + 1 + 63) / 64 * 64, header_len = total - prefix;
    memcpy(head, "\x93NUMPY", 6);
    head[6] = (unsigned char)version;
    head[7] = 0;
    for (size_t b = 0; b < prefix - 8; b++)
        head[8 + b] = (unsigned char)(header_len >> (8 * b));
    memcpy(head + prefix, dict, len);
    memset(head + prefix + len, ' ', total - prefix - len - 1);
    head[total - 1] = '\n';
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(head, 1, total, f) != total || fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

/* Little-endian bytes of v (size bytes). */
static void put_le(unsigned char *out, uint64_t v, size_t size)
{
    for (size_t b = 0; b < size; b++)
        out[b] = (unsigned char)(v >> (8 * b));
}

/* A value for lead l at sample t, exact in float32. */
static float value(size_t l, size_t t)
{
    return (float)l - 0.25f * (float)(t % 7) + (float)t / 1024.0f;
}

/* Expect a failure with this status whose message names the file and the problem. */
#define CHECK_FAILS(call, errp, status, file, problem)                                                       \
    do {                                                                                                     \
        int st_ = (call);                                                                                    \
        CHECK_MSG(st_ == (status), "%s returned %d (%s)", #call, st_, (errp)->message);                      \
        CHECK_MSG(strstr((errp)->message, file) != NULL, "message '%s' lacks '%s'", (errp)->message, file);  \
        CHECK_MSG(strstr((errp)->message, problem) != NULL, "message '%s' lacks '%s'", (errp)->message,      \
                  problem);                                                                                  \
    } while (0)

/* The record holds value(l, t) in n_leads leads of n_samples samples. */
static void check_values(const EcgRecord *rec, size_t n_leads, size_t n_samples)
{
    CHECK(rec->n_leads == n_leads && rec->n_samples == n_samples);
    if (rec->n_leads != n_leads || rec->n_samples != n_samples)
        return;
    size_t wrong = 0;
    for (size_t l = 0; l < n_leads; l++)
        for (size_t t = 0; t < n_samples; t++)
            wrong += ecg_record_lead(rec, l)[t] != value(l, t);
    CHECK_MSG(wrong == 0, "%zu samples differ", wrong);
}

static void test_both_orientations(void)
{
    enum { T = 1000, L = 12 };
    float *tl = malloc(T * L * sizeof *tl), *lt = malloc(T * L * sizeof *lt);
    for (size_t t = 0; t < T; t++)
        for (size_t l = 0; l < L; l++)
            tl[t * L + l] = lt[l * T + t] = value(l, t);
    EcgError err = {0};
    CHECK_OK(ecg_npy_write_f32(tmp_path("tl.npy"), tl, T, L, &err), &err);
    CHECK_OK(ecg_npy_write_f32(tmp_path("lt.npy"), lt, L, T, &err), &err);
    const char *names[] = {"tl.npy", "lt.npy"};
    for (int i = 0; i < 2; i++) {
        EcgRecord rec;
        CHECK_OK(ecg_npy_read_record(tmp_path(names[i]), 500.0, &rec, &err), &err);
        check_values(&rec, L, T);
        CHECK(rec.fs == 500.0);
        CHECK(strncmp(rec.id, names[i], 2) == 0 && strlen(rec.id) == 2);
        CHECK(ecg_record_has_standard12(&rec));
        CHECK(strcmp(rec.leads[3].name, "aVR") == 0 && strcmp(rec.leads[11].units, "mV") == 0);
        ecg_record_clear(&rec);
    }
    free(tl);
    free(lt);
}

/* Without an axis of 12 the shorter axis holds the leads; 12 × 12 reads columns as leads. */
static void test_other_shapes(void)
{
    float x[3 * 40], sq[12 * 12];
    for (size_t l = 0; l < 3; l++)
        for (size_t t = 0; t < 40; t++)
            x[l * 40 + t] = value(l, t);
    for (size_t t = 0; t < 12; t++)
        for (size_t l = 0; l < 12; l++)
            sq[t * 12 + l] = value(l, t);
    EcgError err = {0};
    CHECK_OK(ecg_npy_write_f32(tmp_path("three.npy"), x, 3, 40, &err), &err);
    CHECK_OK(ecg_npy_write_f32(tmp_path("square.npy"), sq, 12, 12, &err), &err);
    EcgRecord rec;
    CHECK_OK(ecg_npy_read_record(tmp_path("three.npy"), 100.0, &rec, &err), &err);
    check_values(&rec, 3, 40);
    CHECK(rec.n_leads == 3 && strcmp(rec.leads[2].name, "lead 3") == 0);
    ecg_record_clear(&rec);
    CHECK_OK(ecg_npy_read_record(tmp_path("square.npy"), 100.0, &rec, &err), &err);
    check_values(&rec, 12, 12);
    ecg_record_clear(&rec);
}

/* float64 in Fortran order with a version-2 header; int16 in C order. */
static void test_float64_and_int16(void)
{
    enum { T = 100, L = 12 };
    unsigned char f8[T * L * 8];
    for (size_t t = 0; t < T; t++)
        for (size_t l = 0; l < L; l++) {
            double v = value(l, t);
            uint64_t u;
            memcpy(&u, &v, sizeof u);
            put_le(f8 + 8 * (l * T + t), u, 8); /* Fortran: element (t, l) at l*T + t */
        }
    write_npy(tmp_path("f8.npy"), 2, "{'descr': '<f8', 'fortran_order': True, 'shape': (100, 12), }", f8,
              sizeof f8);
    EcgRecord rec;
    EcgError err = {0};
    CHECK_OK(ecg_npy_read_record(tmp_path("f8.npy"), 250.0, &rec, &err), &err);
    check_values(&rec, L, T);
    ecg_record_clear(&rec);

    unsigned char i2[L * 50 * 2];
    for (size_t l = 0; l < L; l++)
        for (size_t t = 0; t < 50; t++)
            put_le(i2 + 2 * (l * 50 + t), (uint16_t)(int16_t)((int)(l * 1000 + t) - 6000), 2);
    write_npy(tmp_path("i2.npy"), 1, "{'descr': '<i2', 'fortran_order': False, 'shape': (12, 50), }", i2,
              sizeof i2);
    CHECK_OK(ecg_npy_read_record(tmp_path("i2.npy"), 250.0, &rec, &err), &err);
    CHECK(rec.n_leads == L && rec.n_samples == 50);
    if (rec.n_leads == L && rec.n_samples == 50) {
        CHECK(ecg_record_lead(&rec, 0)[0] == -6000.0f);
        CHECK(ecg_record_lead(&rec, 11)[49] == 5049.0f);
        CHECK(ecg_record_lead(&rec, 5)[7] == -993.0f);
    }
    ecg_record_clear(&rec);
}

static void test_bad_files(void)
{
    static const unsigned char data[12 * 8 * 4] = {0};
    static const struct {
        const char *name, *dict, *problem;
        int status;
        size_t data_size;
    } cases[] = {
        {"c8.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (8, 12), }", "unsupported dtype '<c8'",
         ECG_ERR_FORMAT, sizeof data},
        {"be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (8, 12), }", "unsupported dtype '>f4'",
         ECG_ERR_FORMAT, sizeof data},
        {"rank1.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (96,), }", "rank 1, expected 2",
         ECG_ERR_FORMAT, sizeof data},
        {"rank3.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 12), }", "rank 3, expected 2",
         ECG_ERR_FORMAT, sizeof data},
        {"short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 12), }",
         "truncated: 380 of 384 data bytes", ECG_ERR_FORMAT, sizeof data - 4},
        {"noshape.npy", "{'descr': '<f4', 'fortran_order': False, }", "no readable 'shape'", ECG_ERR_FORMAT,
         sizeof data},
        {"noorder.npy", "{'descr': '<f4', 'shape': (8, 12), }", "no 'fortran_order'", ECG_ERR_FORMAT,
         sizeof data},
        {"empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 12), }", "is empty",
         ECG_ERR_DATA, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_npy(tmp_path(cases[i].name), 1, cases[i].dict, data, cases[i].data_size);
        EcgRecord rec;
        EcgError err = {0};
        CHECK_FAILS(ecg_npy_read_record(tmp_path(cases[i].name), 500.0, &rec, &err), &err, cases[i].status,
                    cases[i].name, cases[i].problem);
        CHECK(rec.samples == NULL);
    }

    EcgRecord rec;
    EcgError err = {0};
    FILE *f = fopen(tmp_path("magic.npy"), "wb");
    fputs("PK\x03\x04 this is a zip archive, not an array", f);
    fclose(f);
    CHECK_FAILS(ecg_npy_read_record(tmp_path("magic.npy"), 500.0, &rec, &err), &err, ECG_ERR_FORMAT,
                "magic.npy", "bad magic");
    CHECK_FAILS(ecg_npy_read_record(tmp_path("absent.npy"), 500.0, &rec, &err), &err, ECG_ERR_IO,
                "absent.npy", "cannot open");
}

static void test_non_finite_samples(void)
{
    float x[200 * 12];
    for (size_t i = 0; i < 200 * 12; i++)
        x[i] = 0.5f;
    x[131 * 12 + 7] = NAN; /* lead V2, sample 131 */
    EcgError err = {0};
    CHECK_OK(ecg_npy_write_f32(tmp_path("nan.npy"), x, 200, 12, &err), &err);
    EcgRecord rec;
    CHECK_FAILS(ecg_npy_read_record(tmp_path("nan.npy"), 500.0, &rec, &err), &err, ECG_ERR_DATA, "nan.npy",
                "lead V2 sample 131 is NaN");
    CHECK(rec.samples == NULL);
    x[131 * 12 + 7] = 0;
    x[5 * 12 + 0] = INFINITY;
    CHECK_OK(ecg_npy_write_f32(tmp_path("inf.npy"), x, 200, 12, &err), &err);
    CHECK_FAILS(ecg_npy_read_record(tmp_path("inf.npy"), 500.0, &rec, &err), &err, ECG_ERR_DATA, "inf.npy",
                "lead I sample 5 is infinite");
}

/* The writer replaces the file whole and leaves no temporary file behind. */
static void test_write_replaces(void)
{
    float a[2 * 12] = {1}, b[3 * 12] = {2};
    EcgError err = {0};
    CHECK_OK(ecg_npy_write_f32(tmp_path("replace.npy"), a, 2, 12, &err), &err);
    CHECK_OK(ecg_npy_write_f32(tmp_path("replace.npy"), b, 3, 12, &err), &err);
    EcgRecord rec;
    CHECK_OK(ecg_npy_read_record(tmp_path("replace.npy"), 500.0, &rec, &err), &err);
    CHECK(rec.n_samples == 3 && ecg_record_lead(&rec, 0)[0] == 2.0f);
    ecg_record_clear(&rec);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q 'replace.npy.'", test_tmpdir());
    CHECK(system(cmd) != 0);
    CHECK_FAILS(ecg_npy_write_f32("/nonexistent-dir/x.npy", a, 2, 12, &err), &err, ECG_ERR_IO,
                "/nonexistent-dir/x.npy", "cannot create");
}

int main(void)
{
    RUN(test_both_orientations);
    RUN(test_other_shapes);
    RUN(test_float64_and_int16);
    RUN(test_bad_files);
    RUN(test_non_finite_samples);
    RUN(test_write_replaces);
    return test_done();
}
