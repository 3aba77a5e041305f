/* WFDB reader: the real records of ../shared/wfdb (every binary format, MIT-BIH
 * 100 with its beat annotations, the two-file PTB record), header details, the
 * writer's round trip in every format, and every kind of bad input. */
#include <stdint.h>
#include <sys/stat.h>

#include "test.h"
#include "wfdb.h"

/* ---------------------------------------------------------------------------
 * helpers */

/* test_tmpdir()/name; eight results stay valid at a time. */
static const char *tmp_path(const char *name)
{
    static char buf[8][4096];
    static int slot;
    char *out = buf[slot++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

static void write_bytes(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Read the header and all ADC values of a record; adc is malloc'ed. */
static int read_all(const char *hea, EcgWfdbHeader *hdr, int32_t **adc, EcgError *err)
{
    *adc = NULL;
    int s = ecg_wfdb_read_header(hea, hdr, err);
    if (s != ECG_OK)
        return s;
    *adc = malloc(hdr->n_signals * hdr->n_samples * sizeof **adc);
    if (!*adc)
        abort();
    return ecg_wfdb_read_adc(hea, hdr, *adc, err);
}

/* Every signal's first value and checksum agree with the header. */
static void check_self_consistent(const EcgWfdbHeader *hdr, const int32_t *adc)
{
    EcgWfdbCheck *checks = calloc(hdr->n_signals, sizeof *checks);
    CHECK(ecg_wfdb_verify(hdr, adc, checks) == ECG_OK);
    for (size_t j = 0; j < hdr->n_signals; j++) {
        CHECK_MSG(checks[j].first_value_ok == 1, "signal %zu: first value %d, header %d", j,
                  checks[j].first_value, hdr->signals[j].initial_value);
        CHECK_MSG(checks[j].checksum_ok == 1, "signal %zu: checksum %d, header %d", j, checks[j].checksum,
                  hdr->signals[j].checksum);
    }
    free(checks);
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

/* ---------------------------------------------------------------------------
 * the shared records */

static void test_binformats_match_header(void)
{
    const char *hea = test_shared_path("wfdb/binformats.hea");
    SKIP_IF(!hea, "no ../shared/wfdb");
    static const int formats[10] = {8, 16, 61, 80, 160, 212, 310, 311, 24, 32};
    EcgWfdbHeader hdr;
    int32_t *adc;
    EcgError err = {0};
    CHECK_OK(read_all(hea, &hdr, &adc, &err), &err);
    CHECK(hdr.n_signals == 10);
    CHECK(hdr.n_samples == 499);
    CHECK(hdr.fs == 200.0);
    for (size_t j = 0; j < hdr.n_signals && j < 10; j++) {
        CHECK(hdr.signals[j].format == formats[j]);
        CHECK(hdr.signals[j].gain == 200.0 && strcmp(hdr.signals[j].units, "mV") == 0);
        char name[32];
        snprintf(name, sizeof name, "binformats.d%zu", j);
        CHECK(strcmp(hdr.signals[j].file_name, name) == 0);
    }
    CHECK(strcmp(hdr.signals[5].description, "sig 5, fmt 212") == 0); /* a description with blanks */
    check_self_consistent(&hdr, adc);
    free(adc);
    ecg_wfdb_header_clear(&hdr);
}

/* The ten signals are not one waveform: each is a ramp that wraps around its own
 * format's range with its own step (format 8 is slew-limited to 127 per sample).
 * So the check across formats is: each packed or byte-aligned signal steps by a
 * constant (to within 1 count, the steps being fractional), and the formats of
 * one sample width (16/61/160, 310/311, 24/32) carry the same ramp. */
static void test_binformats_decode_the_same_ramps(void)
{
    const char *hea = test_shared_path("wfdb/binformats.hea");
    SKIP_IF(!hea, "no ../shared/wfdb");
    EcgWfdbHeader hdr;
    int32_t *adc;
    EcgError err = {0};
    CHECK_OK(read_all(hea, &hdr, &adc, &err), &err);
    const size_t n = hdr.n_samples;
    for (size_t j = 1; j < hdr.n_signals; j++) { /* signal 0 is format 8 */
        const int64_t range = (int64_t)1 << hdr.signals[j].adc_resolution;
        const int32_t *x = adc + j * n;
        int64_t lo = range, hi = -1;
        for (size_t t = 1; t < n; t++) {
            int64_t step = (((int64_t)x[t] - x[t - 1]) % range + range) % range;
            lo = step < lo ? step : lo;
            hi = step > hi ? step : hi;
        }
        CHECK_MSG(hi - lo <= 1, "format %d: steps from %lld to %lld", hdr.signals[j].format, (long long)lo,
                  (long long)hi);
    }
    /* same width: the same ramp up to a constant offset (modulo the range), give or
     * take a count (311 has -511 where 310 has 511, the writer having kept clear of
     * -512, the invalid value) */
    static const size_t pairs[][2] = {{1, 2}, {1, 4}, {6, 7}};
    for (size_t p = 0; p < 3; p++) {
        const int32_t *a = adc + pairs[p][0] * n, *b = adc + pairs[p][1] * n;
        const int64_t range = (int64_t)1 << hdr.signals[pairs[p][0]].adc_resolution;
        int64_t worst = 0;
        for (size_t t = 1; t < n; t++) {
            int64_t d = (((int64_t)a[t] - b[t]) - ((int64_t)a[0] - b[0])) % range;
            d = (d + range) % range;
            d = d > range / 2 ? range - d : d;
            worst = d > worst ? d : worst;
        }
        CHECK_MSG(worst <= 1, "formats %d and %d differ by %lld counts", hdr.signals[pairs[p][0]].format,
                  hdr.signals[pairs[p][1]].format, (long long)worst);
    }
    /* 24 and 32 bits: equal in units of the full scale, on the circle of the wrap */
    double worst = 0;
    for (size_t t = 0; t < n; t++) {
        double d = adc[8 * n + t] / 8388608.0 - adc[9 * n + t] / 2147483648.0;
        d = fabs(d - 2.0 * round(d / 2.0));
        worst = d > worst ? d : worst;
    }
    CHECK_MSG(worst < 1e-3, "formats 24 and 32 differ by %g of the half scale", worst);
    free(adc);
    ecg_wfdb_header_clear(&hdr);
}

static void test_binformats_record_in_mv(void)
{
    const char *hea = test_shared_path("wfdb/binformats.hea");
    SKIP_IF(!hea, "no ../shared/wfdb");
    EcgRecord rec;
    EcgError err = {0};
    CHECK_OK(ecg_wfdb_read_record(hea, &rec, &err), &err);
    CHECK(rec.n_leads == 10 && rec.n_samples == 499 && rec.fs == 200.0);
    CHECK(strcmp(rec.id, "binformats") == 0);
    CHECK(strcmp(rec.leads[3].name, "sig 3, fmt 80") == 0);
    CHECK(ecg_record_check_finite(&rec, "binformats", &err) == ECG_OK);
    CHECK_NEAR(ecg_record_lead(&rec, 1)[0], -32766 / 200.0, 1e-3); /* format 16 */
    CHECK_NEAR(ecg_record_lead(&rec, 3)[0], -124 / 200.0, 1e-6);   /* format 80 */
    CHECK_NEAR(ecg_record_lead(&rec, 0)[0], -2047 / 200.0, 1e-5);  /* format 8 */
    ecg_record_clear(&rec);
}

static void test_mitbih_100(void)
{
    const char *hea = test_shared_path("wfdb/100.hea");
    SKIP_IF(!hea, "no ../shared/wfdb");
    EcgWfdbHeader hdr;
    int32_t *adc;
    EcgError err = {0};
    /* the header starts with a comment and has a blank line between its signal lines */
    CHECK_OK(read_all(hea, &hdr, &adc, &err), &err);
    CHECK(strcmp(hdr.record_name, "100") == 0);
    CHECK(hdr.n_signals == 2 && hdr.n_samples == 650000 && hdr.fs == 360.0);
    for (size_t j = 0; j < hdr.n_signals; j++) {
        const EcgWfdbSignal *sig = &hdr.signals[j];
        CHECK(sig->format == 212 && sig->gain == 200.0 && sig->adc_zero == 1024 && sig->baseline == 1024.0);
        CHECK(sig->adc_resolution == 11 && sig->has_checksum && sig->has_initial_value);
    }
    CHECK(strcmp(hdr.signals[0].description, "MLII") == 0 && strcmp(hdr.signals[1].description, "V5") == 0);
    CHECK(hdr.signals[0].initial_value == 995 && hdr.signals[0].checksum == -22131);
    CHECK(hdr.signals[1].initial_value == 1011 && hdr.signals[1].checksum == 20052);
    CHECK(hdr.n_comments == 3 && strcmp(hdr.comments[1], "69 M 1085 1629 x1") == 0);
    check_self_consistent(&hdr, adc);
    free(adc);
    ecg_wfdb_header_clear(&hdr);

    EcgRecord rec;
    CHECK_OK(ecg_wfdb_read_record(hea, &rec, &err), &err);
    CHECK(strcmp(rec.leads[0].name, "MLII") == 0 && strcmp(rec.leads[1].name, "V5") == 0);
    CHECK(strcmp(rec.leads[0].units, "mV") == 0);
    CHECK_NEAR(ecg_record_lead(&rec, 0)[0], (995 - 1024) / 200.0, 1e-6);
    CHECK_NEAR(ecg_record_lead(&rec, 1)[0], (1011 - 1024) / 200.0, 1e-6);
    ecg_record_clear(&rec);
}

static void test_mitbih_100_annotations(void)
{
    const char *atr = test_shared_path("wfdb/100.atr");
    SKIP_IF(!atr, "no ../shared/wfdb");
    EcgAnnotation *ann;
    size_t n;
    EcgError err = {0};
    CHECK_OK(ecg_wfdb_read_annotations(atr, &ann, &n, &err), &err);
    size_t beats = 0, normal = 0, atrial = 0, ventricular = 0, increasing = 1;
    for (size_t i = 0; i < n; i++) {
        beats += (size_t)ecg_annotation_is_beat(ann[i].code);
        normal += strcmp(ann[i].symbol, "N") == 0;
        atrial += strcmp(ann[i].symbol, "A") == 0;
        ventricular += strcmp(ann[i].symbol, "V") == 0;
        if (i > 0 && ann[i].sample <= ann[i - 1].sample)
            increasing = 0;
    }
    CHECK_MSG(beats == 2273, "%zu beats", beats);
    CHECK(normal == 2239 && atrial == 33 && ventricular == 1);
    CHECK(n == 2274); /* the beats and one rhythm label */
    CHECK(increasing);
    CHECK(n > 2 && ann[0].sample == 18 && ann[0].code == 28 && strcmp(ann[0].symbol, "+") == 0);
    CHECK(n > 2 && strcmp(ann[0].aux, "(N") == 0 && !ecg_annotation_is_beat(ann[0].code));
    CHECK(n > 2 && ann[1].sample == 77 && ann[1].code == 1 && ann[2].sample == 370);
    CHECK(n > 2 && ann[n - 1].sample < 650000);
    free(ann);
}

static void test_ptb_two_signal_files(void)
{
    const char *hea = test_shared_path("wfdb/s0010_re.hea");
    SKIP_IF(!hea, "no ../shared/wfdb");
    EcgWfdbHeader hdr;
    int32_t *adc;
    EcgError err = {0};
    CHECK_OK(read_all(hea, &hdr, &adc, &err), &err);
    CHECK(hdr.n_signals == 15 && hdr.n_samples == 38400 && hdr.fs == 1000.0);
    for (size_t j = 0; j < hdr.n_signals; j++) {
        CHECK(strcmp(hdr.signals[j].file_name, j < 12 ? "s0010_re.dat" : "s0010_re.xyz") == 0);
        CHECK(hdr.signals[j].gain == 2000.0 && hdr.signals[j].format == 16);
    }
    CHECK(hdr.n_comments == 48 && strcmp(hdr.comments[0], "age: 81") == 0);
    check_self_consistent(&hdr, adc);
    free(adc);
    ecg_wfdb_header_clear(&hdr);

    static const char *const names[15] = {"I",  "II", "III", "aVR", "aVL", "aVF", "V1", "V2",
                                          "V3", "V4", "V5",  "V6",  "vx",  "vy",  "vz"};
    EcgRecord rec;
    CHECK_OK(ecg_wfdb_read_record(hea, &rec, &err), &err);
    CHECK(rec.n_leads == 15 && rec.n_samples == 38400);
    for (size_t l = 0; l < rec.n_leads && l < 15; l++)
        CHECK_MSG(strcmp(rec.leads[l].name, names[l]) == 0, "lead %zu is '%s'", l, rec.leads[l].name);
    CHECK(ecg_record_has_standard12(&rec));
    CHECK_NEAR(ecg_record_lead(&rec, 3)[0], 474 / 2000.0, 1e-6);  /* aVR, from the .dat */
    CHECK_NEAR(ecg_record_lead(&rec, 13)[0], 120 / 2000.0, 1e-6); /* vy, from the .xyz */
    ecg_record_clear(&rec);
}

static void test_test01_00s(void)
{
    const char *hea = test_shared_path("wfdb/test01_00s.hea");
    SKIP_IF(!hea, "no ../shared/wfdb");
    EcgWfdbHeader hdr;
    int32_t *adc;
    EcgError err = {0};
    CHECK_OK(read_all(hea, &hdr, &adc, &err), &err);
    CHECK(hdr.n_signals == 4 && hdr.n_samples == 4000 && hdr.fs == 500.0);
    CHECK(hdr.signals[0].gain == 100.0 && strcmp(hdr.signals[0].units, "mV") == 0);
    CHECK(strcmp(hdr.signals[3].description, "ECG 4") == 0);
    CHECK(hdr.n_comments == 1 && strncmp(hdr.comments[0], "<age>: 25", 9) == 0);
    check_self_consistent(&hdr, adc);
    free(adc);
    ecg_wfdb_header_clear(&hdr);
}

/* ---------------------------------------------------------------------------
 * header details */

/* Samples per frame, skew, byte offset, counter frequency, baseline, units,
 * defaults, a length taken from the file size, CRLF, comments anywhere. */
static void test_header_fields_and_defaults(void)
{
    write_text(tmp_path("fancy.hea"), "# made by hand\r\n"
                                      "fancy 2 500/1000(3)\r\n"
                                      "\r\n"
                                      "fancy.dat 16x2+4 0(5)/uV\r\n"
                                      "# between the signals\n"
                                      "fancy.dat 16:1+4 400/mV 16 3 10 0 0 lead with  spaces  \n");
    /* 4 bytes of prolog, then 5 frames of (signal 0 twice, signal 1 once) */
    int16_t frames[5][3];
    for (int t = 0; t < 5; t++) {
        frames[t][0] = (int16_t)(100 + t);
        frames[t][1] = -1;
        frames[t][2] = (int16_t)(10 * t);
    }
    unsigned char bytes[4 + sizeof frames] = {0xde, 0xad, 0xbe, 0xef};
    for (size_t i = 0; i < 15; i++) { /* little-endian whatever the host */
        uint16_t v = (uint16_t)((int16_t *)frames)[i];
        bytes[4 + 2 * i] = (unsigned char)(v & 0xFF);
        bytes[5 + 2 * i] = (unsigned char)(v >> 8);
    }
    write_bytes(tmp_path("fancy.dat"), bytes, sizeof bytes);

    EcgWfdbHeader hdr;
    int32_t *adc;
    EcgError err = {0};
    CHECK_OK(read_all(tmp_path("fancy.hea"), &hdr, &adc, &err), &err);
    CHECK(hdr.fs == 500.0 && hdr.counter_freq == 1000.0 && hdr.base_counter == 3.0);
    CHECK(hdr.n_samples == 5);
    CHECK(hdr.n_comments == 2 && strcmp(hdr.comments[1], "between the signals") == 0);
    const EcgWfdbSignal *s0 = &hdr.signals[0], *s1 = &hdr.signals[1];
    CHECK(s0->samples_per_frame == 2 && s0->skew == 0 && s0->byte_offset == 4);
    CHECK(s0->gain == 200.0 && s0->baseline == 5.0 && strcmp(s0->units, "uV") == 0);
    CHECK(s0->adc_resolution == 16 && !s0->has_initial_value && !s0->has_checksum);
    CHECK(s1->samples_per_frame == 1 && s1->skew == 1 && s1->byte_offset == 4);
    CHECK(s1->gain == 400.0 && s1->adc_zero == 3 && s1->baseline == 3.0 && s1->initial_value == 10);
    CHECK(s1->has_checksum && s1->checksum == 0);
    CHECK(strcmp(s1->description, "lead with  spaces") == 0);
    for (int t = 0; t < 5; t++)
        CHECK(adc[t] == 100 + t); /* the first sample of each frame */
    for (int t = 0; t < 4; t++)
        CHECK(adc[5 + t] == 10 * (t + 1)); /* skewed by one frame */
    CHECK(adc[9] == ecg_wfdb_invalid_value(16));

    EcgWfdbCheck checks[2];
    CHECK(ecg_wfdb_verify(&hdr, adc, checks) == ECG_ERR_DATA);
    CHECK(checks[0].first_value_ok == -1 && checks[0].checksum_ok == -1);
    CHECK(checks[1].first_value_ok == 1 && checks[1].checksum_ok == 0);
    free(adc);
    ecg_wfdb_header_clear(&hdr);

    EcgRecord rec;
    CHECK_OK(ecg_wfdb_read_record(tmp_path("fancy.hea"), &rec, &err), &err);
    CHECK(strcmp(rec.leads[0].units, "mV") == 0); /* from microvolts */
    CHECK_NEAR(ecg_record_lead(&rec, 0)[0], (100 - 5) / 200.0 / 1000.0, 1e-9);
    CHECK_NEAR(ecg_record_lead(&rec, 1)[0], (10 - 3) / 400.0, 1e-7);
    CHECK(isnan(ecg_record_lead(&rec, 1)[4]));
    CHECK(strcmp(rec.leads[1].name, "lead with  spaces") == 0);
    ecg_record_clear(&rec);
}

static void test_annotation_pseudo_codes(void)
{
    /* N at 100 with subtype 3; SKIP 70000; V 10 later on channel 2 with num 7 and
     * aux "abc" (odd length, padded); rhythm change 1 later keeps chan and num. */
    static const unsigned char atr[] = {
        100,  1 << 2,                          /* N, +100 */
        3,    61 << 2,                         /* SUB 3 */
        0,    59 << 2, 0x01, 0x00, 0x70, 0x11, /* SKIP 0x00011170 = 70000, high word first */
        10,   5 << 2,                          /* V, +10 */
        2,    62 << 2,                         /* CHN 2 */
        7,    60 << 2,                         /* NUM 7 */
        3,    63 << 2, 'a',  'b',  'c',  0,    /* AUX "abc" */
        1,    28 << 2,                         /* +, +1 */
        0,    0,                               /* end */
        0xff, 0xff,                            /* after the end: ignored */
    };
    write_bytes(tmp_path("pseudo.atr"), atr, sizeof atr);
    EcgAnnotation *ann;
    size_t n;
    EcgError err = {0};
    CHECK_OK(ecg_wfdb_read_annotations(tmp_path("pseudo.atr"), &ann, &n, &err), &err);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(ann[0].sample == 100 && ann[0].code == 1 && ann[0].subtype == 3 && ann[0].chan == 0);
        CHECK(ann[1].sample == 70110 && strcmp(ann[1].symbol, "V") == 0 && ann[1].subtype == 0);
        CHECK(ann[1].chan == 2 && ann[1].num == 7 && strcmp(ann[1].aux, "abc") == 0);
        CHECK(ann[2].sample == 70111 && ann[2].code == 28 && ann[2].chan == 2 && ann[2].num == 7);
        CHECK(ann[2].aux[0] == '\0');
    }
    free(ann);

    CHECK(strcmp(ecg_annotation_symbol(1), "N") == 0 && strcmp(ecg_annotation_symbol(41), "r") == 0);
    CHECK(strcmp(ecg_annotation_symbol(15), "[15]") == 0);
    static const int beats[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38, 41};
    int n_beats = 0;
    for (int code = -1; code < 64; code++)
        n_beats += ecg_annotation_is_beat(code);
    CHECK(n_beats == (int)(sizeof beats / sizeof beats[0]));
    for (size_t i = 0; i < sizeof beats / sizeof beats[0]; i++)
        CHECK(ecg_annotation_is_beat(beats[i]));
}

/* ---------------------------------------------------------------------------
 * writer round trips */

/* n_signals × n_samples test values that fit the format (small steps for format 8). */
static int32_t *test_signal(int format, size_t n_signals, size_t n_samples)
{
    int bits = format == 212                    ? 12
               : format == 310 || format == 311 ? 10
               : format == 24                   ? 24
               : format == 32                   ? 32
               : format == 8 || format == 80    ? 8
                                                : 16;
    double amplitude = bits == 8 ? 100 : ldexp(1, bits - 1) - 8;
    int32_t *x = malloc(n_signals * n_samples * sizeof *x);
    for (size_t j = 0; j < n_signals; j++)
        for (size_t t = 0; t < n_samples; t++)
            x[j * n_samples + t] =
                (int32_t)lround(amplitude * sin(0.065 * (double)t + (double)j)) + (int32_t)(t % 3);
    return x;
}

static void round_trip(int format, size_t n_signals, size_t n_samples)
{
    static const char *const names[3] = {"II", "avr", "V5"};
    const double gain[3] = {1000, 200, 31.5};
    const int zero[3] = {0, 1024 % 100, -7};
    int32_t *x = test_signal(format, n_signals, n_samples);
    char name[32], hea[64];
    snprintf(name, sizeof name, "rt%d_%zu", format, n_signals);
    snprintf(hea, sizeof hea, "%s.hea", name);
    EcgError err = {0};
    CHECK_OK(
        ecg_wfdb_write(test_tmpdir(), name, format, 500, n_signals, n_samples, x, gain, zero, names, &err),
        &err);
    EcgWfdbHeader hdr;
    int32_t *adc;
    CHECK_OK(read_all(tmp_path(hea), &hdr, &adc, &err), &err);
    CHECK(hdr.n_signals == n_signals && hdr.n_samples == n_samples && hdr.fs == 500.0);
    int equal = memcmp(adc, x, n_signals * n_samples * sizeof *x) == 0;
    CHECK_MSG(equal, "format %d, %zu signals: read back differs", format, n_signals);
    for (size_t j = 0; j < hdr.n_signals; j++)
        CHECK(hdr.signals[j].format == format && hdr.signals[j].gain == gain[j] &&
              hdr.signals[j].adc_zero == zero[j]);
    check_self_consistent(&hdr, adc);
    free(adc);
    ecg_wfdb_header_clear(&hdr);
    free(x);
}

static void test_write_read_every_format(void)
{
    static const int formats[] = {8, 16, 61, 80, 160, 212, 310, 311, 24, 32};
    /* 1001 and 2002 samples in the file end 212, 310 and 311 in partial groups */
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        round_trip(formats[i], 1, 1001);
        round_trip(formats[i], 2, 1001);
        round_trip(formats[i], 3, 1000);
    }
    CHECK(file_size(tmp_path("rt212_1.dat")) == 1502); /* 1001 × 12 bits, rounded up */
    CHECK(file_size(tmp_path("rt16_2.dat")) == 2 * 2 * 1001);
    CHECK(file_size(tmp_path("rt310_1.dat")) == 333 * 4 + 4);
    CHECK(file_size(tmp_path("rt311_2.dat")) == 667 * 4 + 2);
}

static void test_write_read_record_212(void)
{
    int32_t *x = test_signal(212, 3, 1000);
    const double gain[3] = {200, 200, 400};
    const int zero[3] = {0, 10, -10};
    static const char *const names[3] = {"i", "AVF", "v3"};
    EcgError err = {0};
    CHECK_OK(ecg_wfdb_write(test_tmpdir(), "rec212", 212, 360, 3, 1000, x, gain, zero, names, &err), &err);
    EcgRecord rec;
    CHECK_OK(ecg_wfdb_read_record(tmp_path("rec212.hea"), &rec, &err), &err);
    CHECK(rec.n_leads == 3 && rec.n_samples == 1000 && rec.fs == 360.0 && strcmp(rec.id, "rec212") == 0);
    CHECK(strcmp(rec.leads[0].name, "I") == 0 && strcmp(rec.leads[1].name, "aVF") == 0);
    CHECK(strcmp(rec.leads[2].name, "V3") == 0 && strcmp(rec.leads[2].units, "mV") == 0);
    double worst = 0;
    for (size_t l = 0; l < 3; l++)
        for (size_t t = 0; t < 1000; t++) {
            double want = (x[l * 1000 + t] - zero[l]) / gain[l];
            double d = fabs(ecg_record_lead(&rec, l)[t] - want);
            worst = d > worst ? d : worst;
        }
    CHECK_MSG(worst < 1e-6, "record differs by %g mV", worst);
    ecg_record_clear(&rec);
    free(x);
}

static void test_writer_refuses_what_does_not_fit(void)
{
    int32_t x[4] = {0, 2047, 2048, 0};
    const double gain = 200;
    const int zero = 0;
    EcgError err = {0};
    CHECK_FAILS(ecg_wfdb_write(test_tmpdir(), "wide", 212, 250, 1, 4, x, &gain, &zero, NULL, &err), &err,
                ECG_ERR_ARG, "wide.dat", "does not fit format 212");
    CHECK(file_size(tmp_path("wide.hea")) < 0 && file_size(tmp_path("wide.dat")) < 0);
    int32_t steps[3] = {0, 100, 300}; /* a difference of 200 does not fit format 8 */
    CHECK_FAILS(ecg_wfdb_write(test_tmpdir(), "steep", 8, 250, 1, 3, steps, &gain, &zero, NULL, &err), &err,
                ECG_ERR_ARG, "steep.dat", "sample 2 of signal 0");
    CHECK_FAILS(ecg_wfdb_write(test_tmpdir(), "odd", 13, 250, 1, 3, steps, &gain, &zero, NULL, &err), &err,
                ECG_ERR_ARG, "odd.dat", "unknown signal format 13");
}

/* ---------------------------------------------------------------------------
 * bad input */

static void test_truncated_signal_file(void)
{
    int32_t *x = test_signal(16, 2, 500);
    const double gain[2] = {200, 200};
    const int zero[2] = {0, 0};
    EcgError err = {0};
    CHECK_OK(ecg_wfdb_write(test_tmpdir(), "short", 16, 250, 2, 500, x, gain, zero, NULL, &err), &err);
    CHECK(truncate(tmp_path("short.dat"), 1990) == 0);
    EcgRecord rec;
    CHECK_FAILS(ecg_wfdb_read_record(tmp_path("short.hea"), &rec, &err), &err, ECG_ERR_FORMAT, "short.dat",
                "truncated: 1990 of 2000 bytes");
    CHECK(rec.samples == NULL);
    free(x);

    /* format 212 of PTB-XL's kind of size, one byte short of the last group */
    write_text(tmp_path("short212.hea"), "short212 1 100 999\nshort212.dat 212 200 12 0\n");
    unsigned char bytes[1498] = {0};
    write_bytes(tmp_path("short212.dat"), bytes, sizeof bytes);
    CHECK_FAILS(ecg_wfdb_read_record(tmp_path("short212.hea"), &rec, &err), &err, ECG_ERR_FORMAT,
                "short212.dat", "truncated: 1498 of 1499 bytes");
}

/* The signals of one file must share a format and a byte offset. */
static void test_mixed_formats_in_one_file(void)
{
    write_text(tmp_path("mixed.hea"), "mixed 2 250 4\nmixed.dat 16 200\nmixed.dat 212 200\n");
    write_bytes(tmp_path("mixed.dat"), "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    EcgRecord rec;
    EcgError err = {0};
    CHECK_FAILS(ecg_wfdb_read_record(tmp_path("mixed.hea"), &rec, &err), &err, ECG_ERR_FORMAT, "mixed.hea",
                "signals 0 and 1 of mixed.dat differ in format or byte offset");
}

static void test_bad_headers(void)
{
    static const struct {
        const char *name, *text, *problem;
    } cases[] = {
        {"fewer.hea", "fewer 3 250 10\nfewer.dat 16 200 16 0 0 0 0 I\n", "1 signal lines for the 3 signals"},
        {"more.hea", "more 1 250 10\nmore.dat 16 200\nmore.dat 16 200\n",
         "line 3: more signal lines than the 1 signals"},
        {"gain.hea", "gain 1 250 10\ngain.dat 16 abc 16 0\n", "line 2: gain 'abc' is not a number"},
        {"zero.hea", "zero 1 250 10\nzero.dat 16 200 16 x0\n", "line 2: ADC zero 'x0' is not a number"},
        {"base.hea", "base 1 250 10\nbase.dat 16 200(1.5x)/mV\n", "line 2: baseline '1.5x' is not a number"},
        {"paren.hea", "paren 1 250 10\nparen.dat 16 200(0/mV\n", "line 2: gain '200(0' lacks its ')'"},
        {"nsig.hea", "# first\nnsig two 250 10\n", "line 2: number of signals 'two' is not a number"},
        {"nsig0.hea", "nsig0 0 250 10\n", "number of signals 0 is out of range"},
        {"fs.hea", "fs 1 fast 10\nfs.dat 16\n", "line 1: sampling frequency 'fast' is not a number"},
        {"len.hea", "len 1 250 -5\nlen.dat 16\n", "number of samples -5 is out of range"},
        {"fmt.hea", "fmt 1 250 10\nfmt.dat 999 200\n", "line 2: unknown signal format 999"},
        {"spf.hea", "spf 1 250 10\nspf.dat 16x0 200\n", "samples per frame 0 is out of range"},
        {"noformat.hea", "noformat 1 250 10\nnoformat.dat\n", "line 2: signal line lacks the format"},
        {"multi.hea", "multi/3 2 250 10\n", "multi-segment record 'multi/3' is not supported"},
        {"empty.hea", "", "empty header: no record line"},
        {"blank.hea", "\r\n  \n# only a comment\n", "empty header: no record line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text(tmp_path(cases[i].name), cases[i].text);
        EcgWfdbHeader hdr;
        EcgError err = {0};
        CHECK_FAILS(ecg_wfdb_read_header(tmp_path(cases[i].name), &hdr, &err), &err, ECG_ERR_FORMAT,
                    cases[i].name, cases[i].problem);
        CHECK(hdr.signals == NULL && hdr.comments == NULL);
    }
}

static void test_missing_files(void)
{
    EcgRecord rec;
    EcgError err = {0};
    CHECK_FAILS(ecg_wfdb_read_record(tmp_path("nothing.hea"), &rec, &err), &err, ECG_ERR_IO, "nothing.hea",
                "cannot open");
    write_text(tmp_path("nodat.hea"), "nodat 1 250 10\nnodat_signals.dat 16 200\n");
    CHECK_FAILS(ecg_wfdb_read_record(tmp_path("nodat.hea"), &rec, &err), &err, ECG_ERR_IO,
                "nodat_signals.dat", "cannot open");
    /* without a length in the header the file size is needed already */
    write_text(tmp_path("nolen.hea"), "nolen 1 250\nnolen_signals.dat 16 200\n");
    EcgWfdbHeader hdr;
    CHECK_FAILS(ecg_wfdb_read_header(tmp_path("nolen.hea"), &hdr, &err), &err, ECG_ERR_IO,
                "nolen_signals.dat", "cannot open");
    EcgAnnotation *ann;
    size_t n;
    CHECK_FAILS(ecg_wfdb_read_annotations(tmp_path("nothing.atr"), &ann, &n, &err), &err, ECG_ERR_IO,
                "nothing.atr", "cannot open");
    CHECK(ann == NULL && n == 0);
}

static void test_truncated_annotations(void)
{
    static const unsigned char skip[] = {100, 1 << 2, 0, 59 << 2, 0x01, 0x00};
    static const unsigned char aux[] = {100, 1 << 2, 5, 63 << 2, 'a', 'b'};
    write_bytes(tmp_path("skip.atr"), skip, sizeof skip);
    write_bytes(tmp_path("aux.atr"), aux, sizeof aux);
    EcgAnnotation *ann;
    size_t n;
    EcgError err = {0};
    CHECK_FAILS(ecg_wfdb_read_annotations(tmp_path("skip.atr"), &ann, &n, &err), &err, ECG_ERR_FORMAT,
                "skip.atr", "truncated SKIP at byte 2");
    CHECK(ann == NULL && n == 0);
    CHECK_FAILS(ecg_wfdb_read_annotations(tmp_path("aux.atr"), &ann, &n, &err), &err, ECG_ERR_FORMAT,
                "aux.atr", "truncated AUX at byte 2");
    /* an empty file has no annotations, which is not an error */
    write_bytes(tmp_path("none.atr"), "", 0);
    CHECK_OK(ecg_wfdb_read_annotations(tmp_path("none.atr"), &ann, &n, &err), &err);
    CHECK(ann == NULL && n == 0);
}

int main(void)
{
    RUN(test_binformats_match_header);
    RUN(test_binformats_decode_the_same_ramps);
    RUN(test_binformats_record_in_mv);
    RUN(test_mitbih_100);
    RUN(test_mitbih_100_annotations);
    RUN(test_ptb_two_signal_files);
    RUN(test_test01_00s);
    RUN(test_header_fields_and_defaults);
    RUN(test_annotation_pseudo_codes);
    RUN(test_write_read_every_format);
    RUN(test_write_read_record_212);
    RUN(test_writer_refuses_what_does_not_fit);
    RUN(test_truncated_signal_file);
    RUN(test_mixed_formats_in_one_file);
    RUN(test_bad_headers);
    RUN(test_missing_files);
    RUN(test_truncated_annotations);
    return test_done();
}
