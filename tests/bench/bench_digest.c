/*
 * bench_digest.c — `make bench`: compose and sign 10,000 digests of 10 items
 * each (digest.h), one core.
 *
 * Each digest is built as the scheduler builds one: a view of ten items
 * (title, buyer, value, deadline, location, procedure, suitability, two
 * source links, four reasons, a consortium on every third), its signed
 * interested / not relevant / unsubscribe links (linktoken.h), the text and
 * HTML from the shipped templates (conf/digest), the MIME message, and both
 * DKIM signatures (Ed25519 and RSA 2048, keys made for the run).  Prints one
 * JSON line: digests, items, digest_compose_sign_s (CPU time of the process:
 * one core), wall_s, bytes_avg, signatures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bidbroker/config.h"
#include "bidbroker/digest.h"
#include "bidbroker/dkim.h"
#include "bidbroker/err.h"
#include "bidbroker/util.h"
#include "bench_digest.h"

#define DIGESTS 10000
#define ITEMS   10

static const char *const titles[] = {
        "Grounds maintenance of parks and open spaces, Walsall (Lot 2: grass cutting)",
        "Cleaning services for the Council House and Digbeth library",
        "Catering for community events — café & kitchen supplies",
        "Minor building works: replacement windows and doors at three schools",
        "IT support and refurbished laptops for a youth training programme",
};

static double
seconds(clockid_t c)
{
        struct timespec ts;

        clock_gettime(c, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
write_key(const char *dir, const char *name, enum dkim_alg alg, char **path)
{
        char *file = NULL, *p = NULL;
        struct err e = { 0 };
        int r = dkim_keygen(alg, &file, &p, &e);

        if (r < 0) {
                fprintf(stderr, "bench_digest: keygen: %s\n", e.msg);
                return r;
        }
        *path = xasprintf("%s/%s.private", dir, name);
        r = write_file_atomic(*path, file, strlen(file), 0600);
        explicit_bzero(file, strlen(file));
        free(file);
        free(p);
        return r;
}

static void
fill_view(struct digest_view *v, size_t n, int64_t now)
{
        v->member = xasprintf("member-%05zu", n);
        v->member_name = xasprintf("Member %zu Community Interest Company", n);
        v->to = xasprintf("bids@member-%05zu.example", n);
        snprintf(v->period, sizeof(v->period), "2026-12-02");
        v->now = now;
        v->overflow = n % 3;
        v->infeasible = n % 2;
        for (size_t i = 0; i < ITEMS; i++) {
                struct digest_entry *it = digest_view_add(v);

                it->opportunity_id = (int64_t)(n * ITEMS + i + 1);
                it->title = xstrdup(titles[(n + i) % ARRAY_SIZE(titles)]);
                it->buyer = xstrdup(i % 2 ? "Walsall Metropolitan Borough Council"
                                          : "Birmingham & Solihull NHS Trust");
                it->value_stated = i % 3 != 0;
                it->value_max = it->value_stated ? (int64_t)(500000 + i * 150000) : INT64_MIN;
                memcpy(it->currency, "GBP", 4);
                it->deadline = now + (int64_t)(5 + i) * 86400;
                it->closing_soon = i < 2;
                it->location = xstrdup("West Midlands (UKG), WS1 1TP");
                it->procedure = xstrdup("Open procedure; below threshold: no pre-qualification "
                                        "stage allowed");
                it->suitability = xstrdup("SMEs and VCSEs");
                it->urls[0] = xasprintf("https://www.contractsfinder.service.gov.uk/Notice/"
                                        "%08zx-6f6f-4ecf-ac86-a97171ea4ef0", n * 16 + i);
                it->url_labels[0] = xstrdup("Contracts Finder");
                it->urls[1] = xasprintf("https://www.find-tender.service.gov.uk/Notice/"
                                        "%06zu-2026", n * 16 + i);
                it->url_labels[1] = xstrdup("Find a Tender");
                it->nurls = 2;
                strv_add(&it->why, "Grounds maintenance: CPV codes 77310000, 77311000");
                strv_add(&it->why, "Grounds maintenance: \"grass cutting\" in the title");
                strv_add(&it->why, "where: West Midlands (UKG), in your regions");
                strv_add(&it->why, "value: £12,000");
                if (i == 3)
                        it->change = xstrdup("deadline moved to 9 Dec 2026 12:00 GMT (was 4 "
                                             "Dec 2026 12:00 GMT)");
                if (i % 3 == 2) {
                        it->lead = xstrdup("Green Hands Grounds");
                        it->own_covers = xstrdup("Grounds maintenance");
                        it->partners = xcalloc(1, sizeof(*it->partners));
                        it->npartners = 1;
                        it->partners[0].id = xstrdup("digbeth-cleaning-coop");
                        it->partners[0].name = xstrdup("Digbeth Cleaning Co-operative");
                        it->partners[0].email = xstrdup("contracts@digbeth-cleaning.example");
                        it->partners[0].covers = xstrdup("Cleaning services");
                }
                v->closing += it->closing_soon;
                v->changed += it->change != NULL;
        }
}

int
bench_digest(void)
{
        char tmpl[] = "/tmp/bb-bench-digest-XXXXXX";
        char *dir = mkdtemp(tmpl), *ed = NULL, *rsa = NULL, *conf = NULL, *text = NULL;
        char *top = getcwd(NULL, 0);
        struct config *cfg = NULL;
        struct digest_env *env = NULL;
        struct diag d;
        struct err e = { 0 };
        struct buf out;
        double cpu0, wall0, cpu, wall;
        size_t bytes = 0;
        int64_t now = 1796198400;       /* 2026-12-02T07:00:00Z */
        int rc = 1;

        diag_init(&d);
        buf_init(&out);
        if (sodium_init() < 0 || dir == NULL || write_key(dir, "ed", DKIM_ED25519, &ed) < 0 ||
            write_key(dir, "rsa", DKIM_RSA, &rsa) < 0)
                goto out;
        text = xasprintf("[bidbroker]\nstate_dir = %s\n[http]\nlisten =\n"
                         "public_url = https://bids.example.org\n"
                         "[mail]\nfrom = digests@bids.example.org\nfrom_name = Bids Brokerage\n"
                         "templates = %s/conf/digest\n"
                         "[dkim]\ndomain = bids.example.org\ned25519_selector = ed\n"
                         "ed25519_key = %s\nrsa_selector = rsa\nrsa_key = %s\n",
                         dir, top, ed, rsa);
        conf = xasprintf("%s/bidbroker.conf", dir);
        if (write_file_atomic(conf, text, strlen(text), 0600) < 0 ||
            config_load(conf, &cfg, &d) < 0) {
                diag_print(&d, stderr);
                goto out;
        }
        if (digest_env_new(cfg, dir, DIGEST_ENV_KEYS | DIGEST_ENV_LINKKEY, &env, &e) < 0) {
                fprintf(stderr, "bench_digest: %s\n", e.msg);
                goto out;
        }
        cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        wall0 = seconds(CLOCK_MONOTONIC);
        for (size_t n = 0; n < DIGESTS; n++) {
                struct digest_view v;

                digest_view_init(&v);
                fill_view(&v, n, now);
                buf_reset(&out);
                if (digest_links(env, &v, &e) < 0 || digest_compose(env, &v, &out, &e) < 0) {
                        fprintf(stderr, "bench_digest: digest %zu: %s\n", n, e.msg);
                        digest_view_done(&v);
                        goto out;
                }
                bytes += out.len;
                digest_view_done(&v);
        }
        cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
        wall = seconds(CLOCK_MONOTONIC) - wall0;
        printf("{\"bench\": \"digest\", \"digests\": %d, \"items\": %d, "
               "\"digest_compose_sign_s\": %.3f, \"wall_s\": %.3f, \"bytes_avg\": %zu, "
               "\"signatures\": %zu, \"target_s\": 5}\n", DIGESTS, ITEMS, cpu, wall,
               bytes / DIGESTS, digest_env_keys(env));
        fflush(stdout);
        rc = 0;
out:
        digest_env_free(env);
        config_free(cfg);
        buf_done(&out);
        diag_done(&d);
        if (dir != NULL) {
                char *lk = xasprintf("%s/link.key", dir);

                unlink(lk);
                free(lk);
                if (ed)
                        unlink(ed);
                if (rsa)
                        unlink(rsa);
                if (conf)
                        unlink(conf);
                rmdir(dir);
        }
        free(ed);
        free(rsa);
        free(conf);
        free(text);
        free(top);
        return rc;
}
