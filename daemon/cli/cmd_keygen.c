/*
 * cmd_keygen.c — the keygen command: a new DKIM key pair (Ed25519, or RSA
 * 2048 with --rsa), the private key written mode 0600 and never over an
 * existing one (unless --force), the DNS TXT record printed on one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidbroker/cli.h"
#include "bidbroker/dkim.h"
#include "bidbroker/err.h"
#include "bidbroker/util.h"

static const char keygen_usage[] =
        "usage: bidbroker keygen --selector S --domain D [--rsa] [--dir DIR] [--force]\n\n"
        "Make a DKIM signing key for d=D, s=S: Ed25519 (ed25519-sha256, RFC 8463), or\n"
        "with --rsa an RSA 2048 key (rsa-sha256; sign with both, under two selectors,\n"
        "since some receivers do not check Ed25519).  Writes the private key to\n"
        "DIR/S.private (mode 0600; DIR defaults to the current directory) and the DNS\n"
        "record to DIR/S.txt, and prints the record to publish, on one line:\n"
        "  S._domainkey.D. IN TXT \"v=DKIM1; k=ed25519; p=...\"\n"
        "An Ed25519 key file is the base64 of the 32-byte seed (as dkimpy's dknewkey\n"
        "writes); an RSA key file is a PKCS#8 PEM.  An existing S.private is never\n"
        "overwritten unless --force is given.\n";

static bool
dns_name_ok(const char *s)
{
        if (!s || !*s || *s == '.' || *s == '-' || strlen(s) > 253)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
                        return false;
        return true;
}

/* Write data to path with mode 0600, atomically; an existing path is kept
 * (-EEXIST) unless force. */
static int
write_new_file(const char *path, const char *data, size_t len, bool force, struct err *e)
{
        char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
        int fd, r = 0;

        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
                goto out;
        }
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
                        break;
                }
                data += n;
                len -= (size_t)n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
        if (close(fd) < 0 && r == 0)
                r = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
        if (r == 0) {
                /* link() never replaces; rename() does, for --force */
                if (force ? rename(tmp, path) < 0 : link(tmp, path) < 0)
                        r = errno == EEXIST ?
                            err_set(e, -EEXIST, "%s exists (a key in use?); --force replaces it",
                                    path) :
                            err_set(e, -errno, "%s: %s", path, strerror(errno));
        }
        (void)unlink(tmp);
out:
        free(tmp);
        return r;
}

/* the zone-file line: TXT strings are at most 255 bytes each */
static void
print_record(FILE *out, const char *selector, const char *domain, const char *txt)
{
        size_t n = strlen(txt);

        fprintf(out, "%s._domainkey.%s. IN TXT", selector, domain);
        for (size_t i = 0; i < n; i += 255)
                fprintf(out, " \"%.*s\"", (int)(n - i < 255 ? n - i : 255), txt + i);
        fputc('\n', out);
}

int
cmd_keygen(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "selector", required_argument, NULL, 's' },
                { "domain", required_argument, NULL, 'd' },
                { "rsa", no_argument, NULL, 'r' },
                { "dir", required_argument, NULL, 'D' },
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *selector = NULL, *domain = NULL, *dir = ".";
        enum dkim_alg alg = DKIM_ED25519;
        char *file = NULL, *p = NULL, *txt = NULL, *key_path = NULL, *txt_path = NULL;
        struct err err = { 0 };
        FILE *f = NULL;
        bool force = false;
        int c, rc = 1;

        (void)cli;
        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                switch (c) {
                case 's': selector = optarg; break;
                case 'd': domain = optarg; break;
                case 'r': alg = DKIM_RSA; break;
                case 'D': dir = optarg; break;
                case 'f': force = true; break;
                case 'h':
                        fputs(keygen_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("keygen", argc, argv) < 0)
                return EXIT_USAGE;
        if (!selector || !domain) {
                cli_error("keygen", "--selector and --domain are required (see bidbroker "
                          "keygen --help)");
                return EXIT_USAGE;
        }
        if (!dns_name_ok(selector) || strchr(selector, '.') || !dns_name_ok(domain)) {
                cli_error("keygen", "selector \"%s\" or domain \"%s\" is not a DNS name "
                          "(letters, digits, '-', '_'; dots in the domain only)", selector,
                          domain);
                return EXIT_USAGE;
        }
        c = mkdir_p(dir, 0700);
        if (c < 0) {
                cli_error("keygen", "%s: %s", dir, strerror(-c));
                return 1;
        }
        key_path = xasprintf("%s/%s.private", dir, selector);
        txt_path = xasprintf("%s/%s.txt", dir, selector);
        if (dkim_keygen(alg, &file, &p, &err) < 0 ||
            write_new_file(key_path, file, strlen(file), force, &err) < 0) {
                cli_error("keygen", "%s", err.msg);
                goto out;
        }
        txt = dkim_txt_record(alg, p);
        f = fopen(txt_path, "we");
        if (!f) {
                cli_error("keygen", "%s: %s", txt_path, strerror(errno));
                goto out;
        }
        print_record(f, selector, domain, txt);
        if (fclose(f) != 0) {
                cli_error("keygen", "%s: %s", txt_path, strerror(errno));
                goto out;
        }
        print_record(stdout, selector, domain, txt);
        fprintf(stderr, "keygen: wrote %s (%s, mode 0600) and %s\n", key_path,
                alg == DKIM_RSA ? "RSA 2048" : "Ed25519", txt_path);
        rc = 0;
out:
        if (file) {
                explicit_bzero(file, strlen(file));
                free(file);
        }
        free(p);
        free(txt);
        free(key_path);
        free(txt_path);
        return rc;
}
