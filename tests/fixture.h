/* fixture.h — reading the PyTorch reference fixtures written by the scripts
 * under tests/ (make-fixtures.py, make-model-fixtures.py) and comparing with
 * them: HDF5, root attributes format = "ecglens-fixture" and version = 1, one
 * group per case, sizes as attributes and float32 datasets. Buffers come from
 * nn-test.h (freed by release()). */
#pragma once

#include <stdbool.h>

#include "h5util.h"
#include "nn-test.h"
#include "test.h"

static hid_t fixture = -1;
static const char *fixture_path = "";

/* Open the fixture at path if there is one (the cases skip otherwise); false,
 * after a "Bail out!", when the file is not an ecglens fixture of version 1. */
static bool fixture_open(const char *path)
{
    ecg_h5_quiet();
    fixture_path = path;
    if (access(path, R_OK) != 0)
        return true;
    fixture = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char format[64] = "";
    EcgError err;
    long version = 0;
    if (fixture < 0 ||
        ecg_h5_read_attr_string(fixture, "format", format, sizeof format, path, &err) ||
        strcmp(format, "ecglens-fixture") != 0 ||
        ecg_h5_read_attr_int(fixture, "version", &version, path, &err) || version != 1) {
        printf("Bail out! %s is not an ecglens fixture of version 1\n", path);
        return false;
    }
    return true;
}

static void fixture_close(void)
{
    if (fixture >= 0)
        H5Fclose(fixture);
    fixture = -1;
}

#define SKIP_WITHOUT_FIXTURE() SKIP_IF(fixture < 0, "no fixture")

static hid_t open_case(const char *name)
{
    hid_t g = H5Gopen2(fixture, name, H5P_DEFAULT);
    CHECK_MSG(g >= 0, "no case '%s' in %s", name, fixture_path);
    return g;
}

static size_t size_attr(hid_t g, const char *name)
{
    long v = 0;
    EcgError err;
    CHECK_OK(ecg_h5_read_attr_int(g, name, &v, fixture_path, &err), &err);
    return v > 0 ? (size_t)v : 0;
}

static double double_attr(hid_t g, const char *name)
{
    double v = 0;
    EcgError err;
    CHECK_OK(ecg_h5_read_attr_double(g, name, &v, fixture_path, &err), &err);
    return v;
}

// The dataset called name (a path below g), which must hold n floats (zeros if it does not).
static float *get(hid_t g, const char *name, size_t n)
{
    float *p = zeros(n);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    CHECK_MSG(count == (hssize_t)n, "dataset '%s': %lld values, expected %zu", name,
              (long long)count, n);
    if (count == (hssize_t)n)
        CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, p) >= 0);
    if (space >= 0)
        H5Sclose(space);
    if (d >= 0)
        H5Dclose(d);
    return p;
}

/* Print the largest absolute difference of got from want and that difference
 * relative to the largest |want|, which must be at most tol. */
static void compare(const char *label, const char *what, const float *got, const float *want,
                    size_t n, double tol)
{
    double max_abs = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        max_abs = fmax(max_abs, fabs((double)got[i] - want[i]));
        scale = fmax(scale, fabs(want[i]));
    }
    double rel = max_abs / (scale > 0 ? scale : 1.0);
    printf("#   %-18s %-26s max abs %.1e, rel %.1e\n", label, what, max_abs, rel);
    CHECK_MSG(rel <= tol, "%s %s: relative error %.3g > %.1g", label, what, rel, tol);
}
