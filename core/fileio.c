/* fileio.c — whole-file reads and crash-safe writes; see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ecg_file_read_all(const char *path, char **data, size_t *size, EcgError *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot read: not a regular file", path);
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %ld bytes", path, n);
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || got != (size_t)n) {
        free(buf);
        return ecg_fail(err, ECG_ERR_IO, "%s: read error after %zu of %ld bytes", path, got, n);
    }
    buf[n] = '\0';
    *data = buf;
    *size = (size_t)n;
    return ECG_OK;
}

int ecg_file_write_atomic(const char *path, const void *head, size_t head_size, const void *body,
                          size_t body_size, EcgError *err)
{
    char tmp[4096];
    int fd;
    int s = ecg_file_temp_create(path, tmp, sizeof tmp, &fd, err);
    if (s != ECG_OK)
        return s;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    int ok = fwrite(head, 1, head_size, f) == head_size &&
             (body_size == 0 || fwrite(body, 1, body_size, f) == body_size) && fflush(f) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return ecg_file_temp_commit(tmp, path, err);
}

/* The mode a newly created file gets from open(..., 0666): the process umask,
 * read from /proc without the umask(0)/umask(old) race against other threads. */
static mode_t new_file_mode(void)
{
    unsigned mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Umask: %o", &mask) == 1)
            break;
    if (f)
        fclose(f);
    return (mode_t)(0666 & ~mask);
}

int ecg_file_temp_create(const char *path, char *tmp_path, size_t size, int *fd, EcgError *err)
{
    *fd = -1;
    if ((size_t)snprintf(tmp_path, size, "%s.tmp-XXXXXX", path) >= size)
        return ecg_fail(err, ECG_ERR_ARG, "%s: path too long", path);
    int f = mkstemp(tmp_path);
    if (f < 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot create a file there: %s", path, strerror(errno));
    /* mkstemp makes the file private; the result replaces an ordinary data file */
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : new_file_mode();
    if (fchmod(f, mode) != 0) {
        int e = errno;
        close(f);
        unlink(tmp_path);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot set permissions: %s", path, strerror(e));
    }
    *fd = f;
    return ECG_OK;
}

int ecg_file_temp_commit(const char *tmp_path, const char *path, EcgError *err)
{
    /* the data must be on disk before the rename makes it the file of record */
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp_path);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot flush to disk: %s", path, strerror(e));
    }
    close(fd);
    if (rename(tmp_path, path) != 0) {
        int e = errno;
        unlink(tmp_path);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot replace the file: %s", path, strerror(e));
    }
    return ECG_OK;
}
