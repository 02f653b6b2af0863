/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_fetch.c: one strict HTTPS GET with libcurl (see ajwt_fetch.h).
 *
 * Why these choices:
 * - https only and no redirects: keys must come from the place the
 *   administrator named, over a channel that authenticates it. A 3xx is
 *   a failure that names the status, so a moved URL is visible in the log.
 * - The size limit is enforced twice: CURLOPT_MAXFILESIZE refuses an
 *   announced Content-Length at once, and the write callback aborts a body
 *   that grows past the limit without announcing it.
 * - CURLOPT_NOSIGNAL: timeouts must not use signals in a threaded server.
 */
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <apr_strings.h>
#include "ajwt_fetch.h"

typedef struct {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap, max;
    int too_big;
    long max_age;
} sink;

ajwt_status_t ajwt_fetch_global_init(ajwt_err_t *err)
{
    static int done;
    if (!done) {
        CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "curl_global_init: %s",
                                curl_easy_strerror(rc));
        }
        done = 1;
    }
    return AJWT_OK;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    apr_size_t add = size * n;
    if (add > s->max - s->len) {
        s->too_big = 1;
        return 0;               /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (s->len + add + 1 > s->cap) {
        apr_size_t cap = s->cap ? s->cap : 8192;
        char *nb;
        while (cap < s->len + add + 1) {
            cap *= 2;
        }
        nb = apr_palloc(s->p, cap);
        if (s->len) {
            memcpy(nb, s->buf, s->len);
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, add);
    s->len += add;
    return add;
}

/* Cache-Control: ... max-age=N ... (the last header of a redirect-free
 * answer; no-store and no-cache count as 0, clamped by the caller). */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    apr_size_t len = size * n, i;
    static const char name[] = "cache-control:";
    if (len > sizeof(name) - 1 && !strncasecmp(data, name, sizeof(name) - 1)) {
        char line[512];
        apr_size_t m = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
        memcpy(line, data, m);
        line[m] = '\0';
        for (i = 0; i < m; i++) {
            line[i] = (char)((line[i] >= 'A' && line[i] <= 'Z')
                             ? line[i] + 32 : line[i]);
        }
        if (strstr(line, "no-store") || strstr(line, "no-cache")) {
            s->max_age = 0;
        }
        else {
            const char *a = strstr(line, "max-age=");
            if (a) {
                long v = 0;
                int digits = 0;
                for (a += 8; *a >= '0' && *a <= '9' && digits < 9; a++) {
                    v = v * 10 + (*a - '0');
                    digits++;
                }
                if (digits) {
                    s->max_age = v;
                }
            }
        }
    }
    return len;
}

static apr_status_t easy_cleanup(void *data)
{
    curl_easy_cleanup(data);
    return APR_SUCCESS;
}

ajwt_status_t ajwt_fetch(ajwt_fetch_result_t *out, const char *url,
                         const ajwt_fetch_opts_t *o, apr_pool_t *p,
                         ajwt_err_t *err)
{
    static const ajwt_fetch_opts_t none = { 0 };
    char why[CURL_ERROR_SIZE] = "";
    sink s = { 0 };
    CURL *h;
    CURLcode rc;
    long status = 0;

    if (!o) {
        o = &none;
    }
    if (!url || strncasecmp(url, "https://", 8)) {
        return ajwt_err_set(err, AJWT_EFETCH, "GET %s: not an https URL",
                            url ? url : "(none)");
    }
    s.p = p;
    s.max = o->max_size ? o->max_size : AJWT_FETCH_MAX_SIZE;
    s.max_age = -1;
    if (!(h = curl_easy_init())) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "GET %s: curl_easy_init "
                            "failed", url);
    }
    apr_pool_cleanup_register(p, h, easy_cleanup, apr_pool_cleanup_null);

    curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->connect_timeout_ms ? o->connect_timeout_ms
                                                  : AJWT_FETCH_CONNECT_MS));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     (long)(o->timeout_ms ? o->timeout_ms
                                          : AJWT_FETCH_TIMEOUT_MS));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mod_auth_jwt");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, why);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);

    rc = curl_easy_perform(h);
    if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        return ajwt_err_set(err, AJWT_EFETCH, "GET %s: answer larger than "
                            "%lu bytes", url, (unsigned long)s.max);
    }
    if (rc != CURLE_OK) {
        return ajwt_err_set(err, AJWT_EFETCH, "GET %s: %s", url,
                            why[0] ? why : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        return ajwt_err_set(err, AJWT_EFETCH, "GET %s: status %ld, not 200",
                            url, status);
    }
    if (!s.buf) {
        s.buf = apr_palloc(p, 1);
    }
    s.buf[s.len] = '\0';
    out->body = s.buf;
    out->len = s.len;
    out->max_age = s.max_age;
    return AJWT_OK;
}
