/* test.h — a minimal TAP harness for the meson test suites.
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_NEAR(a, b, 1e-6); }
 *   int main(void) { RUN(test_something); return test_done(); }
 *
 * SKIP_IF(cond, "why") leaves the current test as skipped (used when ../shared
 * data is absent). */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_count, test_failed, test_current_failed, test_current_skipped;
static char test_skip_reason[256];

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
            test_current_failed = 1;                                                 \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("#   %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);      \
            printf(__VA_ARGS__);                                                     \
            printf("\n");                                                            \
            test_current_failed = 1;                                                 \
        }                                                                            \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
    do {                                                                             \
        double a_ = (a), b_ = (b);                                                   \
        if (!(fabs(a_ - b_) <= (tol))) {                                             \
            printf("#   %s:%d: %s = %.9g, %s = %.9g, differ by more than %g\n",      \
                   __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol));               \
            test_current_failed = 1;                                                 \
        }                                                                            \
    } while (0)

/* Report a failed core call (non-zero status) with its message; true when it succeeded. */
static inline int test_status_ok(int status, const char *file, int line, const char *call, const char *message)
{
    if (status == 0)
        return 1;
    printf("#   %s:%d: %s returned %d: %s\n", file, line, call, status, message);
    test_current_failed = 1;
    return 0;
}

#define CHECK_OK(call, errp) ((void)test_status_ok((call), __FILE__, __LINE__, #call, (errp)->message))

/* Like CHECK_OK, but ends the running test on failure (what follows depends on it). */
#define REQUIRE_OK(call, errp)                                                       \
    do {                                                                             \
        if (!test_status_ok((call), __FILE__, __LINE__, #call, (errp)->message))     \
            return;                                                                  \
    } while (0)

/* Mark the running test skipped and return from it. */
#define SKIP_IF(cond, reason)                                                        \
    do {                                                                             \
        if (cond) {                                                                  \
            test_current_skipped = 1;                                                \
            snprintf(test_skip_reason, sizeof test_skip_reason, "%s", reason);       \
            return;                                                                  \
        }                                                                            \
    } while (0)

#define RUN(fn) test_run(fn, #fn)

static inline void test_run(void (*fn)(void), const char *name)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_current_failed = 0;
    test_current_skipped = 0;
    test_count++;
    fn();
    if (test_current_skipped && !test_current_failed)
        printf("ok %d - %s # SKIP %s\n", test_count, name, test_skip_reason);
    else
        printf("%s %d - %s\n", test_current_failed ? "not ok" : "ok", test_count, name);
    fflush(stdout);
    test_failed += test_current_failed;
}


/* Path of a file of the shared data beside the project ($ECGLENS_SHARED or
 * ../shared from the source root), or NULL when it does not exist. */
static inline const char *test_shared_path(const char *rel)
{
    static char buf[8][4096];
    static int slot;
    const char *root = getenv("ECGLENS_SHARED");
    char *out = buf[slot++ % 8];
    if (!root || !*root)
        root = ECGLENS_SOURCE_ROOT "/../shared";
    snprintf(out, sizeof buf[0], "%s/%s", root, rel);
    return access(out, R_OK) == 0 ? out : NULL;
}

static char test_tmpdir_path[256];

/* A fresh temporary directory for one test binary's files, removed by test_done
 * (kept when ECGLENS_KEEP_TEST_FILES is set, to look at them). */
static inline const char *test_tmpdir(void)
{
    if (!test_tmpdir_path[0]) {
        snprintf(test_tmpdir_path, sizeof test_tmpdir_path, "/tmp/ecglens-test-XXXXXX");
        if (!mkdtemp(test_tmpdir_path))
            abort();
    }
    return test_tmpdir_path;
}

static inline void test_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        struct dirent *entry;
        while (dir && (entry = readdir(dir)) != NULL) {
            size_t size = strlen(path) + strlen(entry->d_name) + 2;
            char *child;
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
                (child = malloc(size)) == NULL)
                continue;
            snprintf(child, size, "%s/%s", path, entry->d_name);
            test_remove_tree(child);
            free(child);
        }
        if (dir)
            closedir(dir);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline int test_done(void)
{
    printf("1..%d\n", test_count);
    if (test_tmpdir_path[0] && !getenv("ECGLENS_KEEP_TEST_FILES"))
        test_remove_tree(test_tmpdir_path);
    return test_failed ? 1 : 0;
}
