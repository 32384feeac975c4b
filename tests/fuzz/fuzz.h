/*
 * fuzz.h — shared by the fuzz harnesses in tests/fuzz (one per parser of
 * outside input).  Each fuzz_NAME.c defines LLVMFuzzerTestOneInput(); it is
 * linked either with libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) or with
 * replay.c (gcc, `make test`), which feeds it every file of a corpus.
 *
 * Harnesses keep no state between inputs and free everything they allocate:
 * a leak is reported as a bug.  An invariant the parser documents that does
 * not hold is reported with fuzz_fail(), which aborts.
 */
#ifndef BIDBROKER_FUZZ_H
#define BIDBROKER_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant and abort, so libFuzzer saves the input. */
#define fuzz_fail(...) do {                                                     \
                fprintf(stderr, "%s:%d: invariant broken: ", __FILE__, __LINE__); \
                fprintf(stderr, __VA_ARGS__);                                   \
                fputc('\n', stderr);                                            \
                abort();                                                        \
        } while (0)

#define fuzz_assert(c) do {                                                     \
                if (!(c))                                                       \
                        fuzz_fail("%s", #c);                                    \
        } while (0)

/* A NUL-terminated copy of the input (malloc; caller frees). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (s == NULL)
                abort();
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/*
 * For loaders that only take a path: put the input in an anonymous memory
 * file and name it "/proc/self/fd/N" in path (at least 32 bytes).  N is the
 * lowest free fd from FUZZ_MEMFILE_FD up, so 1000 in practice: a member
 * file is then named "1000" and a valid one says "id = 1000".  Returns the
 * fd (close it after use), or -1.  Nothing touches the file system.
 */
#define FUZZ_MEMFILE_FD 1000

static inline int
fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
        int mfd = memfd_create("fuzz", MFD_CLOEXEC);
        int fd;
        size_t off = 0;

        if (mfd < 0)
                return -1;
        fd = fcntl(mfd, F_DUPFD_CLOEXEC, FUZZ_MEMFILE_FD);
        close(mfd);
        if (fd < 0)
                return -1;
        while (off < size) {
                ssize_t n = write(fd, data + off, size - off);

                if (n <= 0) {
                        close(fd);
                        return -1;
                }
                off += (size_t)n;
        }
        snprintf(path, pathlen, "/proc/self/fd/%d", fd);
        return fd;
}

#endif
