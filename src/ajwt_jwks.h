/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_jwks.h: keys from an identity provider's URL (AuthJWTJwksURL, or
 * AuthJWTDiscoveryURL whose document names the JWKS URL and the issuer),
 * shared by every process of the server.
 *
 * One "source" per URL. Its last good document lives in a region of
 * shared memory the caller maps (offsets only, so it is valid at any
 * address and across a graceful restart), so that ONE fetch serves every
 * worker process:
 * - a fetch lease (compare-and-swap on an expiry time) lets one process
 *   fetch at a time; the others keep using the keys they have;
 * - the document is published under a sequence counter (a seqlock):
 *   readers take no lock and copy it again if a writer was there;
 * - each process parses the shared text into its own ajwt_keyset_t only
 *   when the shared generation changed: once per process per rotation,
 *   never per request. Old keysets are never freed, since a request in
 *   another thread may still hold one: a bounded leak of one parsed set
 *   per actual change of the document (a refetch of the same text does
 *   not change the generation).
 *
 * Refresh rules (all times explicit, seconds):
 * - periodic: refresh seconds after the last good fetch (default 3600);
 *   a Cache-Control max-age in the answer replaces it, clamped to
 *   [AJWT_JWKS_REFRESH_MIN, AJWT_JWKS_REFRESH_MAX];
 * - unknown kid: at once, but at most once per AJWT_JWKS_KID_EVERY
 *   seconds per source (counted from the last fetch attempt of any kind),
 *   so that forged kids cannot make the server hammer the provider;
 * - a failed fetch or a bad document (not JSON, not a JWK Set, no usable
 *   key, a symmetric key, too big) keeps the last good keys and is retried
 *   after 5, 10, 20, 40 and then every 60 seconds.
 *
 * Nothing here logs or reads the clock; the glue passes now and logs what
 * ajwt_jwks_refresh() reports.
 */
#ifndef AJWT_JWKS_H
#define AJWT_JWKS_H

#include "ajwt.h"
#include "ajwt_fetch.h"
#include "ajwt_key.h"

#define AJWT_JWKS_REFRESH_DEFAULT 3600
#define AJWT_JWKS_REFRESH_MIN     60
#define AJWT_JWKS_REFRESH_MAX     86400
#define AJWT_JWKS_KID_EVERY       60
#define AJWT_JWKS_RETRY_MAX       60
#define AJWT_JWKS_URL_MAX         1024      /* bytes of jwks_uri, issuer */

typedef struct ajwt_jwks_t ajwt_jwks_t;

/* The fetcher, replaceable by tests (same contract as ajwt_fetch). */
typedef ajwt_status_t (*ajwt_jwks_fetch_fn)(ajwt_fetch_result_t *out,
                                            const char *url,
                                            const ajwt_fetch_opts_t *o,
                                            apr_pool_t *p, ajwt_err_t *err);

typedef struct {
    const char *url;            /* the JWKS URL, or the discovery URL */
    int discovery;              /* url is an OpenID discovery document */
    int refresh;                /* seconds; 0: AJWT_JWKS_REFRESH_DEFAULT */
    ajwt_fetch_opts_t fetch;
    ajwt_jwks_fetch_fn fetcher; /* NULL: ajwt_fetch */
} ajwt_jwks_conf_t;

/* What one call of ajwt_jwks_refresh() did. */
typedef enum {
    AJWT_JWKS_IDLE = 0,         /* nothing due, or another process fetches */
    AJWT_JWKS_UPDATED,          /* a new document was published */
    AJWT_JWKS_SAME,             /* fetched, same document as before */
    AJWT_JWKS_FAILED            /* fetched and failed: see err */
} ajwt_jwks_result_t;

/* Bytes of shared memory one source needs (8-byte multiple). */
apr_size_t ajwt_jwks_region_size(const ajwt_jwks_conf_t *conf);

/*
 * Attach to the source's region at base (size bytes, 8-byte aligned, as
 * given by ajwt_jwks_region_size), laying it out when it holds no
 * document of this URL (a graceful restart keeps the last good keys).
 * conf must outlive the source; the process-local state (parsed keys,
 * a thread mutex) is allocated from p. AJWT_ECONFIG on a bad region.
 */
ajwt_status_t ajwt_jwks_attach(ajwt_jwks_t **out,
                               const ajwt_jwks_conf_t *conf, void *base,
                               apr_size_t size, apr_pool_t *p,
                               ajwt_err_t *err);

/*
 * Is a fetch due at now? unknown_kid: a token named a kid the keys do not
 * have (rate limited). Cheap (a few atomic loads): call on every request.
 */
int ajwt_jwks_due(const ajwt_jwks_t *src, apr_time_t now, int unknown_kid);

/*
 * When due (or force), take the lease, fetch, check and publish. Blocks
 * for the fetch (up to the timeouts, twice with discovery). *what says
 * what happened; the status is AJWT_OK unless *what is AJWT_JWKS_FAILED
 * (then AJWT_EFETCH, with the reason in err: curl's text, the status, or
 * what is wrong with the document). Scratch memory comes from p.
 */
ajwt_status_t ajwt_jwks_refresh(ajwt_jwks_t *src, apr_time_t now,
                                int unknown_kid, int force,
                                ajwt_jwks_result_t *what, apr_pool_t *p,
                                ajwt_err_t *err);

/*
 * The keys of this process for the current shared generation (parsed
 * now if the generation changed since the last call), combined with
 * static keys when not NULL (static keys first; a fetched key with the
 * kid of a static key is left out). *out is NULL while no document ever
 * arrived (AJWT_OK). *issuer (when issuer is not NULL) is the discovery
 * document's issuer of that generation, or NULL. Both live as long as the
 * source's pool; *out is the same pointer for the same (generation,
 * static keys: the same key objects), so the verified-token cache keeps
 * working. Past 16 different static sets per generation, combinations
 * are made from p and not kept. Thread safe.
 */
ajwt_status_t ajwt_jwks_keys(const ajwt_keyset_t **out, const char **issuer,
                             ajwt_jwks_t *src,
                             const ajwt_keyset_t *static_keys,
                             apr_pool_t *p, ajwt_err_t *err);

/* The shared generation: 0 until a first document was published. */
apr_uint64_t ajwt_jwks_generation(const ajwt_jwks_t *src);

/* Number of keys of the last published document (0: none yet). */
int ajwt_jwks_nkeys(const ajwt_jwks_t *src);

/* When a fetch (or a publish) last brought an acceptable document, new or
 * the same as before, in seconds since the epoch; 0: never. Shared by
 * every process, kept across graceful restarts. */
apr_int64_t ajwt_jwks_last_good(const ajwt_jwks_t *src);

/*
 * Check a JWK Set document as a fetch would and publish it (the fetch
 * path uses this; tests and a start-up seed may call it). max_age < 0:
 * none given. AJWT_EFETCH when the document is refused.
 */
ajwt_status_t ajwt_jwks_publish(ajwt_jwks_t *src, const char *doc,
                                apr_size_t len, const char *issuer,
                                long max_age, apr_time_t now,
                                ajwt_jwks_result_t *what, apr_pool_t *p,
                                ajwt_err_t *err);

#endif
