/* wfdb.c — WFDB headers, signal files and MIT annotation files; see wfdb.h.
 *
 * Every signal format is one row of a table: samples come in groups of n samples
 * packed into b bytes, and each sample of a group is at most two bit ranges of
 * the group read as a little-endian integer. One decoder and one encoder serve
 * all ten formats. */
#include "wfdb.h"

#include "fileio.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * Signal formats */

typedef struct {
    unsigned char shift, bits;
} BitRange;

typedef struct {
    int format;
    int bits;                       /* width of a stored sample */
    int group_bytes, group_samples; /* samples come in groups of group_samples in group_bytes */
    int offset_binary;              /* stored as value + 2^(bits-1) instead of two's complement */
    int differences;                /* stored as the difference from the signal's previous sample */
    int32_t invalid;                /* ADC value of a missing sample */
    BitRange lo[3], hi[3];          /* (group_samples) low and high bits of each sample of a group */
} WfdbFormat;

/* format, bits, group bytes and samples, offset binary, differences, invalid value, then the
 * (shift, count) of the low bits of each sample of a group and of its high bits */
static const WfdbFormat wfdb_formats[] = {
    {8,   8,  1, 1, 0, 1, -32768,    {{0, 8}},                      {{0, 0}}},
    {16,  16, 2, 1, 0, 0, -32768,    {{0, 16}},                     {{0, 0}}},
    {61,  16, 2, 1, 0, 0, -32768,    {{8, 8}},                      {{0, 8}}}, /* big-endian */
    {80,  8,  1, 1, 1, 0, -128,      {{0, 8}},                      {{0, 0}}},
    {160, 16, 2, 1, 1, 0, -32768,    {{0, 16}},                     {{0, 0}}},
    {212, 12, 3, 2, 0, 0, -2048,     {{0, 12}, {16, 8}},            {{0, 0}, {12, 4}}},
    {310, 10, 4, 3, 0, 0, -512,      {{1, 10}, {17, 10}, {11, 5}},  {{0, 0}, {0, 0}, {27, 5}}},
    {311, 10, 4, 3, 0, 0, -512,      {{0, 10}, {10, 10}, {20, 10}}, {{0, 0}, {0, 0}, {0, 0}}},
    {24,  24, 3, 1, 0, 0, -8388608,  {{0, 24}},                     {{0, 0}}},
    {32,  32, 4, 1, 0, 0, INT32_MIN, {{0, 32}},                     {{0, 0}}},
};

static const WfdbFormat *find_format(int format)
{
    for (size_t i = 0; i < sizeof wfdb_formats / sizeof wfdb_formats[0]; i++)
        if (wfdb_formats[i].format == format)
            return &wfdb_formats[i];
    return NULL;
}

int32_t ecg_wfdb_invalid_value(int format)
{
    const WfdbFormat *f = find_format(format);
    return f ? f->invalid : -32768;
}

static int range_end(BitRange r)
{
    return r.bits ? r.shift + r.bits : 0;
}

/* Bytes that hold n consecutive samples: whole groups, then only the bytes that
 * the samples of a last partial group reach into (format 310 ends 1 sample in 2
 * bytes). */
static size_t format_bytes(const WfdbFormat *f, size_t n)
{
    size_t bytes = n / (size_t)f->group_samples * (size_t)f->group_bytes;
    int end = 0;
    for (size_t k = 0; k < n % (size_t)f->group_samples; k++) {
        if (range_end(f->lo[k]) > end)
            end = range_end(f->lo[k]);
        if (range_end(f->hi[k]) > end)
            end = range_end(f->hi[k]);
    }
    return bytes + (size_t)(end + 7) / 8;
}

/* The number of whole samples that bytes bytes hold. */
static size_t format_samples(const WfdbFormat *f, size_t bytes)
{
    size_t n = bytes / (size_t)f->group_bytes * (size_t)f->group_samples;
    while (format_bytes(f, n + 1) <= bytes)
        n++;
    return n;
}

static uint64_t get_bits(uint64_t group, BitRange r)
{
    return (group >> r.shift) & ((UINT64_C(1) << r.bits) - 1);
}

/* Decode n samples, out (n). data holds whole groups, zero past the file's end. */
static void decode(const WfdbFormat *f, const unsigned char *data, size_t n, int32_t *out)
{
    if (f->format == 16) {
        /* PTB-XL's format, read ~1000 records/s by the importer: its own tight loop
         * (the general loop below costs ~5x more per sample) */
        for (size_t i = 0; i < n; i++)
            out[i] = (int32_t)(((uint32_t)data[2 * i] | (uint32_t)data[2 * i + 1] << 8) ^ 0x8000) - 0x8000;
        return;
    }
    const size_t gs = (size_t)f->group_samples;
    const uint64_t sign = UINT64_C(1) << (f->bits - 1);
    /* two's complement: flip the sign bit and subtract it; offset binary: subtract */
    const uint64_t flip = f->offset_binary ? 0 : sign;
    for (size_t i = 0; i < n; i += gs, data += f->group_bytes) {
        uint64_t group = 0;
        for (int b = 0; b < f->group_bytes; b++)
            group |= (uint64_t)data[b] << (8 * b);
        for (size_t k = 0; k < gs && i + k < n; k++) {
            uint64_t u = get_bits(group, f->lo[k]) | get_bits(group, f->hi[k]) << f->lo[k].bits;
            out[i + k] = (int32_t)((int64_t)(u ^ flip) - (int64_t)sign);
        }
    }
}

/* Encode n samples that fit the format's width into data (whole groups, zeroed). */
static void encode(const WfdbFormat *f, const int32_t *in, size_t n, unsigned char *data)
{
    const size_t gs = (size_t)f->group_samples;
    const uint64_t sign = UINT64_C(1) << (f->bits - 1);
    const uint64_t flip = f->offset_binary ? 0 : sign;
    for (size_t i = 0; i < n; i += gs, data += f->group_bytes) {
        uint64_t group = 0;
        for (size_t k = 0; k < gs && i + k < n; k++) {
            uint64_t u = (uint64_t)((int64_t)in[i + k] + (int64_t)sign) ^ flip;
            BitRange lo = f->lo[k], hi = f->hi[k];
            group |= get_bits(u, (BitRange){0, lo.bits}) << lo.shift;
            group |= get_bits(u, (BitRange){lo.bits, hi.bits}) << hi.shift;
        }
        for (int b = 0; b < f->group_bytes; b++)
            data[b] = (unsigned char)(group >> (8 * b));
    }
}

/* ---------------------------------------------------------------------------
 * Header */

/* Where a header line is being parsed, for messages. */
typedef struct {
    const char *path;
    int line;
    EcgError *err;
} LineCtx;

/* The next blank-separated field of *p, NUL-terminated in place, or NULL. */
static char *next_field(char **p)
{
    char *s = *p + strspn(*p, " \t");
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *e = s + strcspn(s, " \t");
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

/* Split tok at the first c: tok keeps what precedes it; returns what follows, or NULL. */
static char *cut(char *tok, char c)
{
    char *at = strchr(tok, c);
    if (!at)
        return NULL;
    *at = '\0';
    return at + 1;
}

/* Split "x(y)" into tok "x" and *inside "y"; *inside is NULL without parentheses. */
static int cut_parens(LineCtx *c, const char *what, char *tok, char **inside)
{
    size_t len = strlen(tok);
    char *open = cut(tok, '(');
    *inside = open;
    if (!open)
        return ECG_OK;
    if (tok[len - 1] != ')') /* tok's original last character */
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: %s '%s(%s' lacks its ')'", c->path, c->line,
                        what, tok, open);
    tok[len - 1] = '\0';
    return ECG_OK;
}

static int parse_long(LineCtx *c, const char *what, const char *tok, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(tok, &end, 10);
    if (end == tok || *end)
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: %s '%s' is not a number", c->path, c->line,
                        what, tok);
    if (errno == ERANGE || v < lo || v > hi)
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: %s %s is out of range [%ld, %ld]", c->path,
                        c->line, what, tok, lo, hi);
    *out = v;
    return ECG_OK;
}

static int parse_int(LineCtx *c, const char *what, const char *tok, long lo, long hi, int *out)
{
    long v;
    int s = parse_long(c, what, tok, lo, hi, &v);
    if (s == ECG_OK)
        *out = (int)v;
    return s;
}

static int parse_double(LineCtx *c, const char *what, const char *tok, double *out)
{
    char *end;
    double v = strtod(tok, &end);
    if (end == tok || *end || !isfinite(v))
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: %s '%s' is not a number", c->path, c->line,
                        what, tok);
    *out = v;
    return ECG_OK;
}

/* Copy src into a fixed-size field, refusing what does not fit. */
static int copy_field(LineCtx *c, const char *what, const char *src, char *dst, size_t cap)
{
    if (strlen(src) >= cap)
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: %s '%s' is longer than %zu bytes", c->path,
                        c->line, what, src, cap - 1);
    strcpy(dst, src);
    return ECG_OK;
}

/* name[/segments] n_sig [fs[/counter_freq[(base_counter)]] [n_samples [time [date]]]] */
static int parse_record_line(LineCtx *c, char *p, EcgWfdbHeader *hdr)
{
    char *name = next_field(&p);
    if (strchr(name, '/'))
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: multi-segment record '%s' is not supported",
                        c->path, c->line, name);
    int s = copy_field(c, "record name", name, hdr->record_name, sizeof hdr->record_name);
    if (s != ECG_OK)
        return s;
    char *tok = next_field(&p);
    if (!tok)
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: record line lacks the number of signals",
                        c->path, c->line);
    long n_signals;
    if ((s = parse_long(c, "number of signals", tok, 1, 1 << 20, &n_signals)) != ECG_OK)
        return s;
    hdr->signals = calloc((size_t)n_signals, sizeof *hdr->signals);
    if (!hdr->signals)
        return ecg_fail(c->err, ECG_ERR_NOMEM, "%s: out of memory for %ld signals", c->path, n_signals);
    hdr->n_signals = (size_t)n_signals;
    hdr->fs = 250.0;

    if (!(tok = next_field(&p)))
        return ECG_OK;
    char *counter = cut(tok, '/'), *base = NULL;
    s = parse_double(c, "sampling frequency", tok, &hdr->fs);
    if (s == ECG_OK && !(hdr->fs > 0))
        s = ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: sampling frequency %s is not positive", c->path,
                     c->line, tok);
    if (s == ECG_OK && counter)
        s = cut_parens(c, "counter frequency", counter, &base);
    if (s == ECG_OK && counter)
        s = parse_double(c, "counter frequency", counter, &hdr->counter_freq);
    if (s == ECG_OK && base)
        s = parse_double(c, "base counter value", base, &hdr->base_counter);
    long n_samples = 0;
    if (s == ECG_OK && (tok = next_field(&p)))
        s = parse_long(c, "number of samples", tok, 0, LONG_MAX, &n_samples);
    hdr->n_samples = (size_t)n_samples;
    return s; /* base time and date are not used */
}

/* file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adc_res [adc_zero
 * [init_val [checksum [block_size [description]]]]]]] */
static int parse_signal_line(LineCtx *c, char *p, EcgWfdbSignal *sig)
{
    int s = copy_field(c, "file name", next_field(&p), sig->file_name, sizeof sig->file_name);
    if (s != ECG_OK)
        return s;
    char *tok = next_field(&p);
    if (!tok)
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: signal line lacks the format", c->path,
                        c->line);
    char *offset = cut(tok, '+'), *skew = cut(tok, ':'), *spf = cut(tok, 'x');
    if ((s = parse_int(c, "format", tok, 0, INT_MAX, &sig->format)) != ECG_OK)
        return s;
    if (!find_format(sig->format))
        return ecg_fail(c->err, ECG_ERR_FORMAT, "%s: line %d: unknown signal format %d", c->path, c->line,
                        sig->format);
    sig->samples_per_frame = 1;
    if (spf)
        s = parse_int(c, "samples per frame", spf, 1, INT_MAX, &sig->samples_per_frame);
    if (s == ECG_OK && skew)
        s = parse_int(c, "skew", skew, 0, INT_MAX, &sig->skew);
    if (s == ECG_OK && offset)
        s = parse_long(c, "byte offset", offset, 0, LONG_MAX, &sig->byte_offset);
    strcpy(sig->units, "mV");

    int has_baseline = 0;
    if (s == ECG_OK && (tok = next_field(&p))) {
        char *units = cut(tok, '/'), *baseline;
        s = cut_parens(c, "gain", tok, &baseline);
        if (s == ECG_OK)
            s = parse_double(c, "gain", tok, &sig->gain);
        if (s == ECG_OK && baseline) {
            s = parse_double(c, "baseline", baseline, &sig->baseline);
            has_baseline = 1;
        }
        if (s == ECG_OK && units && *units)
            s = copy_field(c, "units", units, sig->units, sizeof sig->units);
    }
    struct {
        const char *what;
        int *value, *given;
    } ints[] = {
        {"ADC resolution", &sig->adc_resolution, NULL},
        {"ADC zero", &sig->adc_zero, NULL},
        {"initial value", &sig->initial_value, &sig->has_initial_value},
        {"checksum", &sig->checksum, &sig->has_checksum},
        {"block size", &sig->block_size, NULL},
    };
    for (size_t i = 0; s == ECG_OK && i < sizeof ints / sizeof ints[0] && (tok = next_field(&p)); i++) {
        s = parse_int(c, ints[i].what, tok, INT_MIN, INT_MAX, ints[i].value);
        if (ints[i].given)
            *ints[i].given = 1;
    }
    if (s != ECG_OK)
        return s;
    /* the description is the rest of the line, blanks included; a label, so cut to fit */
    snprintf(sig->description, sizeof sig->description, "%s", p + strspn(p, " \t"));

    if (sig->gain == 0) /* WFDB: 0 means uncalibrated, read with the default gain */
        sig->gain = 200.0;
    if (sig->adc_resolution == 0)
        sig->adc_resolution = find_format(sig->format)->bits;
    if (!has_baseline)
        sig->baseline = sig->adc_zero;
    if (!sig->has_initial_value)
        sig->initial_value = sig->adc_zero;
    return ECG_OK;
}

static int add_comment(LineCtx *c, EcgWfdbHeader *hdr, const char *text)
{
    char **grown = realloc(hdr->comments, (hdr->n_comments + 1) * sizeof *grown);
    if (!grown)
        return ecg_fail(c->err, ECG_ERR_NOMEM, "%s: out of memory for comments", c->path);
    hdr->comments = grown;
    if (!(grown[hdr->n_comments] = strdup(text)))
        return ecg_fail(c->err, ECG_ERR_NOMEM, "%s: out of memory for comments", c->path);
    hdr->n_comments++;
    return ECG_OK;
}

/* Signals [first, end) share the signal file of signals[first] (WFDB keeps a
 * file's signals consecutive). */
static size_t file_group_end(const EcgWfdbHeader *hdr, size_t first)
{
    size_t end = first + 1;
    while (end < hdr->n_signals && strcmp(hdr->signals[end].file_name, hdr->signals[first].file_name) == 0)
        end++;
    return end;
}

static size_t frame_length(const EcgWfdbHeader *hdr, size_t first, size_t end)
{
    size_t n = 0;
    for (size_t j = first; j < end; j++)
        n += (size_t)hdr->signals[j].samples_per_frame;
    return n;
}

/* The path of a signal file: file_name in the directory of the header. */
static int signal_path(const char *hea_path, const char *file_name, char *out, size_t cap, EcgError *err)
{
    const char *slash = strrchr(hea_path, '/');
    int dir_len = slash ? (int)(slash - hea_path + 1) : 0;
    if (snprintf(out, cap, "%.*s%s", dir_len, hea_path, file_name) >= (int)cap)
        return ecg_fail(err, ECG_ERR_ARG, "%s: path of signal file %s is too long", hea_path, file_name);
    return ECG_OK;
}

/* A header without the number of samples: take it from the size of the first signal file. */
static int samples_from_file_size(const char *hea_path, EcgWfdbHeader *hdr, EcgError *err)
{
    const EcgWfdbSignal *sig = &hdr->signals[0];
    char path[4096];
    int s = signal_path(hea_path, sig->file_name, path, sizeof path, err);
    if (s != ECG_OK)
        return s;
    struct stat st;
    if (stat(path, &st) != 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t bytes = st.st_size > sig->byte_offset ? (size_t)(st.st_size - sig->byte_offset) : 0;
    hdr->n_samples =
        format_samples(find_format(sig->format), bytes) / frame_length(hdr, 0, file_group_end(hdr, 0));
    return ECG_OK;
}

int ecg_wfdb_read_header(const char *hea_path, EcgWfdbHeader *hdr, EcgError *err)
{
    memset(hdr, 0, sizeof *hdr);
    char *text;
    size_t size;
    int s = ecg_file_read_all(hea_path, &text, &size, err);
    if (s != ECG_OK)
        return s;

    LineCtx c = {hea_path, 0, err};
    int have_record_line = 0;
    size_t n_signal_lines = 0;
    char *next;
    for (char *p = text; s == ECG_OK && *p; p = next) {
        char *eol = strchr(p, '\n');
        next = eol ? eol + 1 : p + strlen(p);
        if (eol)
            *eol = '\0';
        c.line++;
        /* CRLF line ends and trailing blanks are common in PhysioNet headers */
        size_t len = strlen(p);
        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
            p[--len] = '\0';
        p += strspn(p, " \t");
        if (*p == '#')
            s = add_comment(&c, hdr, p + 1 + strspn(p + 1, " \t"));
        else if (!*p)
            continue;
        else if (!have_record_line) {
            s = parse_record_line(&c, p, hdr);
            have_record_line = 1;
        } else if (n_signal_lines < hdr->n_signals)
            s = parse_signal_line(&c, p, &hdr->signals[n_signal_lines++]);
        else
            s = ecg_fail(err, ECG_ERR_FORMAT,
                         "%s: line %d: more signal lines than the %zu signals of the record line", hea_path,
                         c.line, hdr->n_signals);
    }
    free(text);
    if (s == ECG_OK && !have_record_line)
        s = ecg_fail(err, ECG_ERR_FORMAT, "%s: empty header: no record line", hea_path);
    if (s == ECG_OK && n_signal_lines < hdr->n_signals)
        s = ecg_fail(err, ECG_ERR_FORMAT, "%s: %zu signal lines for the %zu signals of the record line",
                     hea_path, n_signal_lines, hdr->n_signals);
    if (s == ECG_OK && hdr->n_samples == 0)
        s = samples_from_file_size(hea_path, hdr, err);
    if (s != ECG_OK)
        ecg_wfdb_header_clear(hdr);
    return s;
}

void ecg_wfdb_header_clear(EcgWfdbHeader *hdr)
{
    for (size_t i = 0; i < hdr->n_comments; i++)
        free(hdr->comments[i]);
    free(hdr->comments);
    free(hdr->signals);
    memset(hdr, 0, sizeof *hdr);
}

/* ---------------------------------------------------------------------------
 * Signal files */

/* Format 8 stores first differences: sum them per signal from its initial value. */
static void integrate_differences(const EcgWfdbSignal *sigs, size_t n_sigs, int32_t *stream, size_t n_frames,
                                  size_t frame_len)
{
    size_t pos = 0;
    for (size_t j = 0; j < n_sigs; j++) {
        int64_t v = sigs[j].initial_value;
        for (size_t t = 0; t < n_frames; t++)
            for (size_t k = 0; k < (size_t)sigs[j].samples_per_frame; k++) {
                int32_t *x = &stream[t * frame_len + pos + k];
                v += *x;
                *x = (int32_t)v;
            }
        pos += (size_t)sigs[j].samples_per_frame;
    }
}

/* Read signals [first, end), which share one signal file, into their rows of adc. */
static int read_signal_file(const char *hea_path, const EcgWfdbHeader *hdr, size_t first, size_t end,
                            int32_t *adc, EcgError *err)
{
    const EcgWfdbSignal *sigs = &hdr->signals[first];
    const size_t n_sigs = end - first, n_frames = hdr->n_samples;
    char path[4096];
    int s = signal_path(hea_path, sigs[0].file_name, path, sizeof path, err);
    if (s != ECG_OK)
        return s;
    const WfdbFormat *f = find_format(sigs[0].format);
    if (!f)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: unknown signal format %d", path, sigs[0].format);
    for (size_t j = 1; j < n_sigs; j++)
        if (sigs[j].format != sigs[0].format || sigs[j].byte_offset != sigs[0].byte_offset)
            return ecg_fail(err, ECG_ERR_FORMAT,
                            "%s: signals %zu and %zu of %s differ in format or byte offset", hea_path, first,
                            first + j, sigs[0].file_name);
    const size_t frame_len = frame_length(hdr, first, end);
    if (n_frames == 0)
        return ECG_OK;
    if (n_frames > SIZE_MAX / 8 / frame_len)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: %zu samples are too many", path, n_frames);

    const size_t n = n_frames * frame_len,
                 groups = (n + (size_t)f->group_samples - 1) / (size_t)f->group_samples;
    const size_t bytes = format_bytes(f, n);
    unsigned char *data = malloc(groups * (size_t)f->group_bytes);
    int32_t *stream = malloc(n * sizeof *stream);
    FILE *fp = NULL;
    if (!data || !stream) {
        s = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu samples", path, n);
        goto done;
    }
    memset(data + bytes, 0, groups * (size_t)f->group_bytes - bytes); /* the rest of a last partial group */
    if (!(fp = fopen(path, "rb"))) {
        s = ecg_fail(err, ECG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    long size = -1;
    if (fseek(fp, 0, SEEK_END) == 0)
        size = ftell(fp);
    if (size < 0) {
        s = ecg_fail(err, ECG_ERR_IO, "%s: cannot read: not a regular file", path);
        goto done;
    }
    if ((size_t)size < (size_t)sigs[0].byte_offset + bytes) {
        s = ecg_fail(err, ECG_ERR_FORMAT, "%s: truncated: %ld of %zu bytes", path, size,
                     (size_t)sigs[0].byte_offset + bytes);
        goto done;
    }
    if (fseek(fp, sigs[0].byte_offset, SEEK_SET) != 0 || fread(data, 1, bytes, fp) != bytes) {
        s = ecg_fail(err, ECG_ERR_IO, "%s: read error", path);
        goto done;
    }

    decode(f, data, n, stream);
    if (f->differences)
        integrate_differences(sigs, n_sigs, stream, n_frames, frame_len);
    /* de-interleave: the first sample of each frame of each signal, shifted by its skew */
    size_t pos = 0;
    for (size_t j = 0; j < n_sigs; j++) {
        int32_t *row = adc + (first + j) * n_frames;
        const size_t skew = (size_t)sigs[j].skew, n_valid = skew < n_frames ? n_frames - skew : 0;
        const int32_t *src = stream + skew * frame_len + pos;
        for (size_t t = 0; t < n_valid; t++)
            row[t] = src[t * frame_len];
        for (size_t t = n_valid; t < n_frames; t++)
            row[t] = f->invalid;
        pos += (size_t)sigs[j].samples_per_frame;
    }
done:
    if (fp)
        fclose(fp);
    free(data);
    free(stream);
    return s;
}

int ecg_wfdb_read_adc(const char *hea_path, const EcgWfdbHeader *hdr, int32_t *adc, EcgError *err)
{
    for (size_t first = 0, end; first < hdr->n_signals; first = end) {
        end = file_group_end(hdr, first);
        int s = read_signal_file(hea_path, hdr, first, end, adc, err);
        if (s != ECG_OK)
            return s;
    }
    return ECG_OK;
}

/* ADC units per physical unit after converting microvolts and volts to millivolts. */
static double gain_in_mv(const EcgWfdbSignal *sig, char *units)
{
    if (strcmp(sig->units, "uV") == 0) {
        strcpy(units, "mV");
        return sig->gain * 1000.0;
    }
    if (strcmp(sig->units, "V") == 0) {
        strcpy(units, "mV");
        return sig->gain / 1000.0;
    }
    strcpy(units, sig->units);
    return sig->gain;
}

int ecg_wfdb_read_record(const char *hea_path, EcgRecord *rec, EcgError *err)
{
    memset(rec, 0, sizeof *rec);
    EcgWfdbHeader hdr;
    int s = ecg_wfdb_read_header(hea_path, &hdr, err);
    if (s != ECG_OK)
        return s;
    int32_t *adc = NULL;
    if (hdr.n_samples == 0)
        s = ecg_fail(err, ECG_ERR_DATA, "%s: record has no samples", hea_path);
    else if (hdr.n_samples > SIZE_MAX / sizeof *adc / hdr.n_signals ||
             !(adc = malloc(hdr.n_signals * hdr.n_samples * sizeof *adc)))
        s = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu x %zu samples", hea_path, hdr.n_signals,
                     hdr.n_samples);
    if (s == ECG_OK)
        s = ecg_wfdb_read_adc(hea_path, &hdr, adc, err);
    if (s == ECG_OK)
        s = ecg_record_init(rec, hdr.n_signals, hdr.n_samples, hdr.fs, err);
    if (s == ECG_OK) {
        snprintf(rec->id, sizeof rec->id, "%s", hdr.record_name);
        for (size_t l = 0; l < hdr.n_signals; l++) {
            const EcgWfdbSignal *sig = &hdr.signals[l];
            const int32_t *x = adc + l * hdr.n_samples;
            const int32_t invalid = ecg_wfdb_invalid_value(sig->format);
            const double gain = gain_in_mv(sig, rec->leads[l].units);
            float *y = ecg_record_lead(rec, l);
            for (size_t t = 0; t < hdr.n_samples; t++)
                y[t] = x[t] == invalid ? NAN : (float)((x[t] - sig->baseline) / gain);
            if (sig->description[0])
                ecg_record_set_lead_name(rec, l, sig->description);
            else
                snprintf(rec->leads[l].name, sizeof rec->leads[l].name, "signal %zu", l);
        }
    }
    free(adc);
    ecg_wfdb_header_clear(&hdr);
    return s;
}

/* Sum of the samples modulo 2^16 as a signed 16-bit number, as WFDB headers give it. */
static int checksum16(const int32_t *x, size_t n)
{
    uint32_t sum = 0;
    for (size_t t = 0; t < n; t++)
        sum += (uint32_t)x[t];
    int c = (int)(sum & 0xFFFF);
    return c >= 0x8000 ? c - 0x10000 : c;
}

int ecg_wfdb_verify(const EcgWfdbHeader *hdr, const int32_t *adc, EcgWfdbCheck *checks)
{
    int s = ECG_OK;
    for (size_t j = 0; j < hdr->n_signals; j++) {
        const EcgWfdbSignal *sig = &hdr->signals[j];
        const int32_t *x = adc + j * hdr->n_samples;
        EcgWfdbCheck *c = &checks[j];
        c->first_value = hdr->n_samples ? x[0] : 0;
        c->checksum = checksum16(x, hdr->n_samples);
        c->first_value_ok =
            sig->has_initial_value && hdr->n_samples ? c->first_value == sig->initial_value : -1;
        c->checksum_ok = sig->has_checksum && sig->samples_per_frame == 1
                             ? ((c->checksum - sig->checksum) & 0xFFFF) == 0
                             : -1;
        if (c->first_value_ok == 0 || c->checksum_ok == 0)
            s = ECG_ERR_DATA;
    }
    return s;
}

/* ---------------------------------------------------------------------------
 * Writer */

int ecg_wfdb_write(const char *dir, const char *record_name, int format, double fs, size_t n_signals,
                   size_t n_samples, const int32_t *adc, const double *gain, const int *adc_zero,
                   const char *const *lead_names, EcgError *err)
{
    char hea_path[4096], dat_path[4096];
    if (snprintf(hea_path, sizeof hea_path, "%s/%s.hea", dir, record_name) >= (int)sizeof hea_path ||
        snprintf(dat_path, sizeof dat_path, "%s/%s.dat", dir, record_name) >= (int)sizeof dat_path)
        return ecg_fail(err, ECG_ERR_ARG, "%s/%s: path too long", dir, record_name);
    const WfdbFormat *f = find_format(format);
    if (!f)
        return ecg_fail(err, ECG_ERR_ARG, "%s: unknown signal format %d", dat_path, format);
    if (strpbrk(record_name, " \t/") || !*record_name)
        return ecg_fail(err, ECG_ERR_ARG, "%s: record name '%s' is empty or has a blank or '/'", hea_path,
                        record_name);
    if (n_signals == 0 || n_samples == 0 || n_samples > SIZE_MAX / 8 / n_signals)
        return ecg_fail(err, ECG_ERR_ARG, "%s: cannot write %zu signals of %zu samples", dat_path, n_signals,
                        n_samples);

    const size_t n = n_signals * n_samples,
                 groups = (n + (size_t)f->group_samples - 1) / (size_t)f->group_samples;
    const int64_t lo = -((int64_t)1 << (f->bits - 1)), hi = -lo - 1;
    int32_t *stream = malloc(n * sizeof *stream);
    unsigned char *data = calloc(groups, (size_t)f->group_bytes);
    /* a signal line is its file name plus at most ~200 bytes of numbers and lead name */
    size_t hea_cap = (n_signals + 1) * (strlen(record_name) + 256);
    char *hea = malloc(hea_cap);
    int s = ECG_OK;
    if (!stream || !data || !hea) {
        s = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu samples", dat_path, n);
        goto done;
    }
    /* interleave frame by frame; format 8 stores each signal's differences */
    for (size_t t = 0; t < n_samples; t++)
        for (size_t j = 0; j < n_signals; j++) {
            const int32_t *x = adc + j * n_samples;
            int64_t v = f->differences ? (int64_t)x[t] - (t ? x[t - 1] : x[0]) : x[t];
            if (v < lo || v > hi) {
                s = ecg_fail(err, ECG_ERR_ARG, "%s: sample %zu of signal %zu (%d) does not fit format %d",
                             dat_path, t, j, x[t], format);
                goto done;
            }
            stream[t * n_signals + j] = (int32_t)v;
        }
    encode(f, stream, n, data);

    size_t len = (size_t)snprintf(hea, hea_cap, "%s %zu %.12g %zu\n", record_name, n_signals, fs, n_samples);
    for (size_t j = 0; j < n_signals; j++) {
        const int32_t *x = adc + j * n_samples;
        len += (size_t)snprintf(hea + len, hea_cap - len, "%s.dat %d %.12g(%d)/mV %d %d %d %d 0 %.63s\n",
                                record_name, format, gain[j], adc_zero[j], f->bits, adc_zero[j], x[0],
                                checksum16(x, n_samples), lead_names ? lead_names[j] : "");
    }
    /* the signal file first, so that a header never describes a missing signal file */
    s = ecg_file_write_atomic(dat_path, data, format_bytes(f, n), NULL, 0, err);
    if (s == ECG_OK)
        s = ecg_file_write_atomic(hea_path, hea, len, NULL, 0, err);
done:
    free(stream);
    free(data);
    free(hea);
    return s;
}

/* ---------------------------------------------------------------------------
 * Annotations */

/* MIT annotation words: 6-bit code, 10-bit value (time step, or the pseudo-annotation's data). */
enum { ANN_SKIP = 59, ANN_NUM = 60, ANN_SUB = 61, ANN_CHN = 62, ANN_AUX = 63, ANN_MAX_CODE = 49 };

static const char *const annotation_symbols[ANN_MAX_CODE + 1] = {
    " ", "N", "L",    "R",    "a",    "V",    "F",    "J",    "A",    "S",    /*  0 -  9 */
    "E", "j", "/",    "Q",    "~",    "[15]", "|",    "[17]", "s",    "T",    /* 10 - 19 */
    "*", "D", "\"",   "=",    "p",    "B",    "^",    "t",    "+",    "u",    /* 20 - 29 */
    "?", "!", "[",    "]",    "e",    "n",    "@",    "x",    "f",    "(",    /* 30 - 39 */
    ")", "r", "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]", /* 40 - 49 */
};

const char *ecg_annotation_symbol(int code)
{
    return code >= 0 && code <= ANN_MAX_CODE ? annotation_symbols[code] : "[?]";
}

int ecg_annotation_is_beat(int code)
{
    /* the QRS labels; each is the one-letter mnemonic of exactly one code */
    const char *sym = ecg_annotation_symbol(code);
    return sym[0] && !sym[1] && strchr("NLRBAaJSVrFejnE/fQ?", sym[0]) != NULL;
}

int ecg_wfdb_read_annotations(const char *atr_path, EcgAnnotation **out, size_t *n_out, EcgError *err)
{
    *out = NULL;
    *n_out = 0;
    char *text;
    size_t size;
    int s = ecg_file_read_all(atr_path, &text, &size, err);
    if (s != ECG_OK)
        return s;
    const unsigned char *p = (const unsigned char *)text;
    EcgAnnotation *ann = NULL;
    size_t n = 0, cap = 0, i = 0;
    long sample = 0;
    int chan = 0, num = 0;
    while (s == ECG_OK && i + 2 <= size) {
        const unsigned word = p[i] | (unsigned)p[i + 1] << 8, code = word >> 10, value = word & 0x3FF;
        i += 2;
        if (word == 0) /* logical end of file */
            break;
        if (code == ANN_SKIP) {
            /* a 32-bit interval, high 16-bit word first, each word little-endian */
            if (i + 4 > size) {
                s = ecg_fail(err, ECG_ERR_FORMAT, "%s: truncated SKIP at byte %zu", atr_path, i - 2);
                break;
            }
            uint32_t skip = (uint32_t)(p[i] | p[i + 1] << 8) << 16 | (uint32_t)(p[i + 2] | p[i + 3] << 8);
            sample += skip < 0x80000000u ? (long)skip : (long)skip - 0x100000000L;
            i += 4;
        } else if (code == ANN_AUX) {
            size_t len = word & 0xFF, padded = (len + 1) & ~(size_t)1;
            if (i + padded > size) {
                s = ecg_fail(err, ECG_ERR_FORMAT, "%s: truncated AUX at byte %zu", atr_path, i - 2);
                break;
            }
            if (n > 0)
                snprintf(ann[n - 1].aux, sizeof ann[n - 1].aux, "%.*s", (int)len, (const char *)p + i);
            i += padded;
        } else if (code == ANN_SUB) {
            if (n > 0)
                ann[n - 1].subtype = (int)value;
        } else if (code == ANN_CHN) {
            chan = (int)value;
            if (n > 0)
                ann[n - 1].chan = chan;
        } else if (code == ANN_NUM) {
            num = (int)value;
            if (n > 0)
                ann[n - 1].num = num;
        } else {
            if (n == cap) {
                cap = cap ? 2 * cap : 1024;
                EcgAnnotation *grown = realloc(ann, cap * sizeof *grown);
                if (!grown) {
                    s = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu annotations", atr_path, cap);
                    break;
                }
                ann = grown;
            }
            sample += (long)value;
            EcgAnnotation *a = &ann[n++];
            memset(a, 0, sizeof *a);
            a->sample = sample;
            a->code = (int)code;
            snprintf(a->symbol, sizeof a->symbol, "%s", ecg_annotation_symbol(a->code));
            a->chan = chan;
            a->num = num;
        }
    }
    free(text);
    if (s != ECG_OK) {
        free(ann);
        return s;
    }
    *out = ann;
    *n_out = n;
    return ECG_OK;
}
