/*
 * replay.c — run a fuzz harness without libFuzzer: every file named on the
 * command line, and every regular file of every directory named, is read
 * into a buffer of exactly its size and passed to LLVMFuzzerTestOneInput().
 * Linked with each tests/fuzz/fuzz_NAME.c by the Makefile (gcc, optionally
 * with ASan/UBSan), so `make test` replays the seed corpora as regressions.
 * Prints "NAME: N inputs" and exits 0; a crash or sanitizer report fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (4u << 20)     /* larger files are refused, not fuzzed */

static int
replay_file(const char *path, size_t *count)
{
        struct stat st;
        uint8_t *data;
        size_t off = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if ((size_t)st.st_size > REPLAY_MAX_INPUT) {
                fprintf(stderr, "replay: %s: larger than %u bytes\n", path, REPLAY_MAX_INPUT);
                close(fd);
                return -1;
        }
        /* exactly size bytes (at least 1 for malloc), so ASan sees over-reads */
        data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
        if (data == NULL)
                abort();
        while (off < (size_t)st.st_size) {
                ssize_t n = read(fd, data + off, (size_t)st.st_size - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t)n;
        }
        close(fd);
        LLVMFuzzerTestOneInput(data, off);
        free(data);
        (*count)++;
        return 0;
}

static int
name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir, size_t *count)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, cap = 0;
        int r = 0;

        if (d == NULL) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        names = realloc(names, cap * sizeof(*names));
                        if (names == NULL)
                                abort();
                }
                names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
                if (names[n] == NULL)
                        abort();
                sprintf(names[n], "%s/%s", dir, e->d_name);
                n++;
        }
        closedir(d);
        if (n > 0)
                qsort(names, n, sizeof(*names), name_cmp);     /* a stable order */
        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (r == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
                        r = replay_file(names[i], count);
                free(names[i]);
        }
        free(names);
        return r;
}

int
main(int argc, char **argv)
{
        size_t count = 0;
        const char *me = strrchr(argv[0], '/');

        me = me ? me + 1 : argv[0];
        if (argc < 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", me);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                r = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count)
                                        : replay_file(argv[i], &count);
                if (r < 0)
                        return 1;
        }
        printf("%s: %zu inputs\n", me, count);
        return 0;
}
