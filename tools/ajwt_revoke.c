/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt-revoke: revoke a token by jti, or every token of a subject, directly
 * in the memcached cluster or Redis servers that mod_auth_jwt's servers
 * share (AuthJWTRevocationStore memcached:... or redis://...), and in
 * their state directory's journal (--state-dir), so that a store that
 * comes back empty is refilled with it too, for when the jwt-revoke web
 * endpoint is not the right door (it is down, or the operator has no
 * admin token).
 *
 * The entries are exactly those the module writes: same keys, same
 * lifetimes, same hashing over the servers (src/ajwt_store.c and
 * src/ajwt_store_mc.c), so name the servers as AuthJWTRevocationStore
 * does: ketama places a server on the ring by its name and port.
 * Unlike the core, this tool reads the clock.
 *
 * Exit status: 0 revoked (or nothing to revoke), 1 the store failed,
 * 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "ajwt.h"
#include "ajwt_journal.h"
#include "ajwt_key.h"
#include "ajwt_store.h"

#define EXIT_STORE 1
#define EXIT_USAGE 2
#define TIME_MAX   253402300799LL   /* 9999-12-31T23:59:59Z */

static const char usage_text[] =
"Usage: ajwt-revoke --servers STORE --jti JTI --exp EXP [OPTIONS]\n"
"       ajwt-revoke --servers STORE --sub SUB [OPTIONS]\n"
"\n"
"Revoke JWTs in the store of AuthJWTRevocationStore memcached:... or\n"
"redis://..., and in the servers' journal (--state-dir)\n"
"\n"
"  --servers LIST  memcached:HOST[:PORT],... or redis://HOST[:PORT],...,\n"
"                  the value of AuthJWTRevocationStore (no scheme:\n"
"                  memcached); the memcached servers named exactly as in\n"
"                  the module's\n"
"                  AuthJWTRevocationStore (consistent hashing uses the\n"
"                  names: localhost and 127.0.0.1 are different servers\n"
"                  to it); the port defaults to 11211, and the\n"
"                  directive's value may be pasted, memcached: and all\n"
"  --jti JTI       revoke the one token with this jti claim...\n"
"  --exp EXP       ...whose exp claim is EXP (seconds since the epoch): the\n"
"                  entry lives until EXP + leeway, when the token would be\n"
"                  refused as expired anyway; an EXP already past is not\n"
"                  stored\n"
"  --sub SUB       revoke every token of this subject issued now or before\n"
"  --max-lifetime S  the servers' AuthJWTMaxTokenLifetime (default 30\n"
"                  days): the subject entry lives S + leeway seconds\n"
"                  (--max-age S is an old name for it)\n"
"  --leeway S      the servers' largest AuthJWTLeeway (default 30)\n"
"  --auth USER     AuthJWTRevocationStoreAuth's user (SASL, Redis ACL)...\n"
"  --password SRC  ...and its password, file:PATH or env:NAME\n"
"  --state-dir DIR the servers' AuthJWTStateDir: the revocation is also\n"
"                  journaled there (a file ajwt-revoke-HOST.journal owned\n"
"                  by the directory's owner), so that a store found empty\n"
"                  is refilled with it\n"
"  --timeout MS    connect and reply timeout per server (default 300)\n"
"  --help          this text\n"
"  --version       the version of ajwt-revoke and of its libraries\n"
"\n"
"Exit status: 0 revoked (or nothing left to revoke), 1 the store could not\n"
"be reached or refused, 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "ajwt-revoke: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'ajwt-revoke --help'.\n");
    return EXIT_USAGE;
}

/* Strict non-negative decimal up to max: no sign, no spaces, no junk. */
static int parse_num(const char *s, apr_int64_t max, apr_int64_t *out)
{
    apr_int64_t v = 0;
    const char *c;
    if (!*s || strlen(s) > 19) {
        return 0;
    }
    for (c = s; *c; c++) {
        if (*c < '0' || *c > '9') {
            return 0;
        }
        v = v * 10 + (*c - '0');
        if (v > max) {
            return 0;
        }
    }
    *out = v;
    return 1;
}

/* An identifier for the one-line report: printable ASCII as given,
 * anything else as \xNN, so that a terminal never sees control bytes. */
static const char *shown(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 4 + 1), *o = out;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
        }
        else {
            o += sprintf(o, "\\x%02x", c);
        }
    }
    *o = '\0';
    return out;
}

static const char *utc(apr_pool_t *p, apr_int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf),
                                          "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT, t);
    }
    return apr_pstrdup(p, buf);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "servers", required_argument, NULL, 's' },
        { "jti",     required_argument, NULL, 'j' },
        { "exp",     required_argument, NULL, 'e' },
        { "sub",     required_argument, NULL, 'u' },
        { "max-age", required_argument, NULL, 'm' },
        { "max-lifetime", required_argument, NULL, 'm' },
        { "auth",    required_argument, NULL, 'a' },
        { "password", required_argument, NULL, 'p' },
        { "state-dir", required_argument, NULL, 'd' },
        { "leeway",  required_argument, NULL, 'l' },
        { "timeout", required_argument, NULL, 't' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    const char *servers = NULL, *jti = NULL, *sub = NULL;
    const char *exp_s = NULL, *max_age_s = NULL;
    const char *user = NULL, *pw_src = NULL, *state_dir = NULL;
    apr_int64_t exp = 0, max_age = -1, leeway = AJWT_DEFAULT_LEEWAY;
    apr_int64_t timeout = AJWT_STORE_TIMEOUT_MS, now;
    ajwt_mc_conf_t conf;
    ajwt_redis_conf_t rconf;
    ajwt_store_t *st;
    int redis = 0;
    ajwt_err_t err = { 0 };
    ajwt_status_t rv;
    apr_pool_t *p;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': servers = optarg; break;
        case 'j': jti = optarg; break;
        case 'e': exp_s = optarg; break;
        case 'u': sub = optarg; break;
        case 'm': max_age_s = optarg; break;
        case 'a': user = optarg; break;
        case 'p': pw_src = optarg; break;
        case 'd': state_dir = optarg; break;
        case 'l':
            if (!parse_num(optarg, 86400 * 365, &leeway)) {
                return usage_error("--leeway: '%s' is not a number of "
                                   "seconds", optarg);
            }
            break;
        case 't':
            if (!parse_num(optarg, 60000, &timeout) || timeout == 0) {
                return usage_error("--timeout: '%s' is not 1 to 60000 ms",
                                   optarg);
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V': {
            char v[AJWT_VERSIONS_LEN];
            printf("ajwt-revoke (mod_auth_jwt) %s\n%s\n", ajwt_version(),
                   ajwt_versions(v, sizeof(v)));
            return 0;
        }
        default:
            return usage_error("unknown option or missing value: %s",
                               argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (!servers) {
        return usage_error("%s--servers is required", "");
    }
    if (!strncmp(servers, "memcached:", 10)) {
        servers += 10;          /* the directive's value, pasted */
    }
    else if (!strncmp(servers, "redis://", 8)) {
        servers += 8;
        redis = 1;
    }
    else if (!strncmp(servers, "rediss://", 9)) {
        return usage_error("%srediss:// is not supported by this build's "
                           "hiredis", "");
    }
    if (!!user != !!pw_src) {
        return usage_error("%s--auth and --password go together", "");
    }
    if (!!jti == !!sub) {
        return usage_error("%sgive either --jti with --exp, or --sub", "");
    }
    if (jti) {
        if (!*jti) {
            return usage_error("%s--jti is empty", "");
        }
        if (!exp_s) {
            return usage_error("%s--jti needs --exp (the token's exp claim)",
                               "");
        }
        if (!parse_num(exp_s, TIME_MAX, &exp)) {
            return usage_error("--exp: '%s' is not seconds since the epoch",
                               exp_s);
        }
        if (max_age_s) {
            return usage_error("%s--max-age goes with --sub", "");
        }
    }
    else {
        if (!*sub) {
            return usage_error("%s--sub is empty", "");
        }
        if (exp_s) {
            return usage_error("%s--exp goes with --jti", "");
        }
        if (max_age_s && !parse_num(max_age_s, TIME_MAX, &max_age)) {
            return usage_error("--max-age: '%s' is not a number of seconds",
                               max_age_s);
        }
    }

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    memset(&conf, 0, sizeof(conf));
    memset(&rconf, 0, sizeof(rconf));
    if (pw_src) {
        const char *pw;
        apr_size_t len;
        if (ajwt_secret_read(&pw, &len, pw_src, p, &err) != AJWT_OK) {
            fprintf(stderr, "ajwt-revoke: --password: %s\n", err.text);
            return EXIT_USAGE;
        }
        conf.user = rconf.user = user;
        conf.password = rconf.password = pw;
    }
    now = (apr_int64_t)time(NULL);
    if (redis) {
        rconf.servers = servers;
        rconf.connect_timeout_ms = (int)timeout;
        rconf.timeout_ms = (int)timeout;
        rconf.retry_timeout_s = 0;
        rv = ajwt_store_redis_create(&st, &rconf, p, &err);
    }
    else {
        conf.servers = servers;
        conf.connect_timeout_ms = (int)timeout;
        conf.poll_timeout_ms = (int)timeout;
        conf.retry_timeout_s = 0;
        rv = ajwt_store_mc_create(&st, &conf, p, &err);
    }
    if (rv != AJWT_OK) {
        fprintf(stderr, "ajwt-revoke: %s\n", err.text);
        return rv == AJWT_ECONFIG ? EXIT_USAGE : EXIT_STORE;
    }
    if (state_dir) {
        /* journaled like the servers' own writes, in a file of ours that
         * their replay reads: owned by whoever owns the directory (the
         * server's user), or they could not read it */
        char host[200], name[256];
        ajwt_journal_t *j;
        ajwt_journal_info_t info;
        struct stat ds;
        if (gethostname(host, sizeof(host) - 1)) {
            strcpy(host, "localhost");
        }
        host[sizeof(host) - 1] = '\0';
        apr_snprintf(name, sizeof(name), "ajwt-revoke-%s", host);
        memset(&info, 0, sizeof(info));
        if (stat(state_dir, &ds)
            || ajwt_journal_open_at(&j, state_dir, name, NULL, now, &info, p,
                                    &err) != AJWT_OK
            || (geteuid() == 0 && chown(ajwt_journal_path(j), ds.st_uid,
                                        ds.st_gid))
            || ajwt_journal_store(&st, st, j, p, &err) != AJWT_OK) {
            fprintf(stderr, "ajwt-revoke: --state-dir %s: %s\n", state_dir,
                    err.text[0] ? err.text : strerror(errno));
            return EXIT_USAGE;
        }
    }
    if (jti) {
        rv = ajwt_store_revoke_jti(st, jti, exp, (int)leeway, now, &err);
        if (rv == AJWT_OK && exp + leeway <= now) {
            printf("ajwt-revoke: jti %s expired at %s (+%d s leeway): "
                   "nothing to revoke\n", shown(p, jti), utc(p, exp),
                   (int)leeway);
        }
        else if (rv == AJWT_OK) {
            printf("ajwt-revoke: jti %s revoked until %s\n", shown(p, jti),
                   utc(p, exp + leeway));
        }
    }
    else {
        rv = ajwt_store_revoke_sub(st, sub, max_age, (int)leeway, now, &err);
        if (rv == AJWT_OK) {
            apr_int64_t ttl = (max_age >= 0 ? max_age : AJWT_SUB_REVOKE_TTL)
                              + leeway;
            printf("ajwt-revoke: every token of sub %s issued at or before "
                   "%s revoked, until %s\n", shown(p, sub), utc(p, now),
                   utc(p, now + ttl));
        }
    }
    if (rv != AJWT_OK) {
        fprintf(stderr, "ajwt-revoke: %s\n", err.text);
        apr_pool_destroy(p);
        return EXIT_STORE;
    }
    apr_pool_destroy(p);
    return 0;
}
