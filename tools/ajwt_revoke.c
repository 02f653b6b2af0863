/*
 * ajwt-revoke: revoke a token by jti, or every token of a subject, directly
 * in the memcached cluster that mod_auth_jwt's servers share
 * (AuthJWTRevocationStore memcached:...), for when the jwt-revoke web
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
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "ajwt.h"
#include "ajwt_store.h"

#define EXIT_STORE 1
#define EXIT_USAGE 2
#define TIME_MAX   253402300799LL   /* 9999-12-31T23:59:59Z */

static const char usage_text[] =
"Usage: ajwt-revoke --servers HOST[:PORT][,...] --jti JTI --exp EXP\n"
"                   [--leeway S] [--timeout MS]\n"
"       ajwt-revoke --servers HOST[:PORT][,...] --sub SUB\n"
"                   [--max-age S] [--leeway S] [--timeout MS]\n"
"\n"
"Revoke JWTs in the memcached cluster of AuthJWTRevocationStore memcached:...\n"
"\n"
"  --servers LIST  the memcached servers, named exactly as in the module's\n"
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
"  --max-age S     the servers' AuthJWTMaxAge, if set: the subject entry then\n"
"                  lives S + leeway seconds instead of 30 days\n"
"  --leeway S      the servers' AuthJWTLeeway (default 30)\n"
"  --timeout MS    connect and reply timeout per server (default 300)\n"
"  --help          this text\n"
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
        { "leeway",  required_argument, NULL, 'l' },
        { "timeout", required_argument, NULL, 't' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *servers = NULL, *jti = NULL, *sub = NULL;
    const char *exp_s = NULL, *max_age_s = NULL;
    apr_int64_t exp = 0, max_age = -1, leeway = AJWT_DEFAULT_LEEWAY;
    apr_int64_t timeout = 300, now;
    ajwt_mc_conf_t conf;
    ajwt_store_t *st;
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
    conf.servers = servers;
    conf.connect_timeout_ms = (int)timeout;
    conf.poll_timeout_ms = (int)timeout;
    conf.retry_timeout_s = 0;
    if ((rv = ajwt_store_mc_create(&st, &conf, p, &err)) != AJWT_OK) {
        fprintf(stderr, "ajwt-revoke: %s\n", err.text);
        return rv == AJWT_ECONFIG ? EXIT_USAGE : EXIT_STORE;
    }
    now = (apr_int64_t)time(NULL);
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
            apr_int64_t ttl = max_age >= 0 ? max_age + leeway
                                           : AJWT_SUB_REVOKE_TTL;
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
