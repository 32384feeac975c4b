/* bench_digest.h — the digest benchmark (bench_digest.c), run from
 * bench_match.c's main after the consortium line, or alone with
 * `bench_match --digest`. */
#ifndef BIDBROKER_BENCH_DIGEST_H
#define BIDBROKER_BENCH_DIGEST_H

/* Prints one JSON line; 0, or 1 if a digest could not be composed. */
int bench_digest(void);

#endif
