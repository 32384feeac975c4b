/* bench_consortium.h — the consortium benchmark (bench_consortium.c), run
 * from bench_match.c's main after the matching line. */
#ifndef BIDBROKER_BENCH_CONSORTIUM_H
#define BIDBROKER_BENCH_CONSORTIUM_H

/* Prints one JSON line; 0, or 1 if a result is not a valid cover. */
int bench_consortium(void);

#endif
