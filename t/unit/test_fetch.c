/* SPDX-License-Identifier: Apache-2.0 */
/*
 * t/unit/test_fetch.c: ajwt_fetch against a real local HTTPS server:
 * `openssl s_server -HTTP` serving whole HTTP answers from files, with a
 * test CA and server certificate made here by the openssl CLI (no key is
 * committed). A listener that never accepts stands in for a slow server.
 */
#include <unistd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "unit.h"
#include "ajwt_fetch.h"

static char dir[] = "/tmp/ajwt_fetch_XXXXXX";
static int port, slow_port, slow_fd = -1, ready;
static pid_t server_pid;

static int free_port(int keep_listening, int *fd_out)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), p;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))
        || getsockname(fd, (struct sockaddr *)&a, &len)
        || (keep_listening && listen(fd, 1))) {
        return 0;
    }
    p = ntohs(a.sin_port);
    if (keep_listening) {
        *fd_out = fd;
    }
    else {
        close(fd);
    }
    return p;
}

static int can_connect(int p)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), r;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)p);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return r;
}

static void put(const char *name, const char *head, const char *body,
                apr_size_t body_len)
{
    char path[256];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    fputs(head, f);
    fwrite(body, 1, body_len, f);
    fclose(f);
}

static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void server_stop(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
    }
    if (slow_fd >= 0) {
        close(slow_fd);
    }
    run("rm -rf %s", dir);
}

static void setup(apr_pool_t *p)
{
    static const char ec[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
                             " -nodes";
    char *big;
    FILE *f;
    int i;

    ok(mkdtemp(dir) != NULL, "temp dir");
    atexit(server_stop);
    ok(!run("(cd %s && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n'"
            " > ext.cnf"
            " && openssl req -x509 %s -keyout ca.key -out ca.pem -days 2"
            " -subj /CN=ajwt-test-ca"
            " && openssl req -x509 %s -keyout other.key -out other.pem"
            " -days 2 -subj /CN=ajwt-other-ca"
            " && openssl req %s -keyout srv.key -out srv.csr"
            " -subj /CN=localhost"
            " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key"
            " -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf"
            " ) >/dev/null 2>&1", dir, ec, ec, ec), "test CA and certificates");

    put("good", "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
        "Cache-Control: public, max-age=120\r\nContent-Length: 11\r\n\r\n",
        "{\"keys\":[]}", 11);
    put("nocache", "HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\n\r\n",
        "{}", 2);
    put("plain", "HTTP/1.0 200 OK\r\n\r\n", "{}", 2);
    put("nf", "HTTP/1.0 404 Not Found\r\nContent-Length: 16\r\n\r\n",
        "SECRET-BODY-404\n", 16);
    put("redir", "HTTP/1.0 302 Found\r\nLocation: /good\r\n"
        "Content-Length: 0\r\n\r\n", "", 0);
    put("bigcl", "HTTP/1.0 200 OK\r\nContent-Length: 10000000\r\n\r\n",
        "{}", 2);
    big = apr_palloc(p, 600 * 1024);
    memset(big, ' ', 600 * 1024);
    put("big", "HTTP/1.0 200 OK\r\n\r\n", big, 600 * 1024);

    port = free_port(0, NULL);
    slow_port = free_port(1, &slow_fd);   /* listens, never accepts */
    ok(port && slow_port, "ports %d and %d", port, slow_port);
    run("cd %s && (sleep 120 | openssl s_server -HTTP -accept 127.0.0.1:%d"
        " -cert srv.pem -key srv.key -quiet >/dev/null 2>&1 & echo $! > pid)",
        dir, port);
    f = fopen(apr_pstrcat(p, dir, "/pid", NULL), "r");
    if (f) {
        if (fscanf(f, "%d", &server_pid) != 1) {
            server_pid = 0;
        }
        fclose(f);
    }
    for (i = 0; i < 100 && !can_connect(port); i++) {
        usleep(50000);
    }
    ready = can_connect(port);
    ok(ready, "openssl s_server listens on %d", port);
    ok(ajwt_fetch_global_init(NULL) == AJWT_OK, "global init");
    ok(ajwt_fetch_global_init(NULL) == AJWT_OK, "global init twice is fine");
}

static const char *url(apr_pool_t *p, const char *name)
{
    return apr_psprintf(p, "https://localhost:%d/%s", port, name);
}

static ajwt_fetch_opts_t opts(apr_pool_t *p, const char *ca)
{
    ajwt_fetch_opts_t o = { 0 };
    o.ca_file = ca ? apr_pstrcat(p, dir, "/", ca, NULL) : NULL;
    return o;
}

static void good(apr_pool_t *p)
{
    ajwt_fetch_result_t r = { 0 };
    ajwt_fetch_opts_t o = opts(p, "ca.pem");
    ajwt_err_t err = { 0 };
    is_int(ajwt_fetch(&r, url(p, "good"), &o, p, &err), AJWT_OK,
           "200 over verified https: %s", err.text);
    is_int(r.len, 11, "length");
    ok(r.body && !strcmp(r.body, "{\"keys\":[]}"), "body, NUL terminated");
    is_int(r.max_age, 120, "Cache-Control max-age");

    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, url(p, "nocache"), &o, p, &err), AJWT_OK, "ok");
    is_int(r.max_age, 0, "no-cache counts as max-age 0");
    is_int(ajwt_fetch(&r, url(p, "plain"), &o, p, &err), AJWT_OK, "ok");
    is_int(r.max_age, -1, "no Cache-Control: -1");
    is_int(ajwt_fetch(&r, apr_psprintf(p, "https://127.0.0.1:%d/good", port),
                      &o, p, &err), AJWT_OK, "IP address in the SAN");
}

static void untrusted(apr_pool_t *p)
{
    ajwt_fetch_result_t r = { 0 };
    ajwt_fetch_opts_t o = opts(p, "other.pem");
    ajwt_err_t err = { 0 };
    is_int(ajwt_fetch(&r, url(p, "good"), &o, p, &err), AJWT_EFETCH,
           "another CA: refused");
    ok(strstr(err.text, "certificate") != NULL, "says why: %s", err.text);

    o = opts(p, NULL);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, url(p, "good"), &o, p, &err), AJWT_EFETCH,
           "system store does not know the test CA: refused");

    o = opts(p, "ca.pem");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, apr_psprintf(p, "https://127.0.0.2:%d/good", port),
                      &o, p, &err), AJWT_EFETCH,
           "a name the certificate does not carry: refused");
}

static void too_big(apr_pool_t *p)
{
    ajwt_fetch_result_t r = { 0 };
    ajwt_fetch_opts_t o = opts(p, "ca.pem");
    ajwt_err_t err = { 0 };
    is_int(ajwt_fetch(&r, url(p, "big"), &o, p, &err), AJWT_EFETCH,
           "600 KiB without Content-Length: refused");
    ok(strstr(err.text, "larger than 524288") != NULL, "%s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, url(p, "bigcl"), &o, p, &err), AJWT_EFETCH,
           "announced Content-Length over the limit: refused");
    ok(strstr(err.text, "larger than") != NULL, "%s", err.text);
    o.max_size = 10;
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, url(p, "good"), &o, p, &err), AJWT_EFETCH,
           "11 bytes over a limit of 10: refused");
    o.max_size = 11;
    is_int(ajwt_fetch(&r, url(p, "good"), &o, p, NULL), AJWT_OK,
           "exactly the limit: fine");
}

static void slow(apr_pool_t *p)
{
    ajwt_fetch_result_t r = { 0 };
    ajwt_fetch_opts_t o = opts(p, "ca.pem");
    ajwt_err_t err = { 0 };
    struct timeval t0, t1;
    double took;
    o.timeout_ms = 1000;
    gettimeofday(&t0, NULL);
    is_int(ajwt_fetch(&r, apr_psprintf(p, "https://localhost:%d/good",
                                       slow_port), &o, p, &err),
           AJWT_EFETCH, "no answer within the timeout: refused");
    gettimeofday(&t1, NULL);
    took = (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
    ok(took >= 0.9 && took < 3, "gave up after %.2f s", took);
    ok(strstr(err.text, "imed out") != NULL, "%s", err.text);
}

static void refused(apr_pool_t *p)
{
    ajwt_fetch_result_t r = { 0 };
    ajwt_fetch_opts_t o = opts(p, "ca.pem");
    ajwt_err_t err = { 0 };
    is_int(ajwt_fetch(&r, apr_psprintf(p, "http://localhost:%d/good", port),
                      &o, p, &err), AJWT_EFETCH, "http:// refused");
    ok(strstr(err.text, "not an https URL") != NULL, "%s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, "ftp://localhost/x", &o, p, &err), AJWT_EFETCH,
           "ftp:// refused");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, url(p, "nf"), &o, p, &err), AJWT_EFETCH,
           "404 refused");
    ok(strstr(err.text, "status 404") != NULL, "%s", err.text);
    ok(!strstr(err.text, "SECRET"), "no body bytes in the reason");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, url(p, "redir"), &o, p, &err), AJWT_EFETCH,
           "redirect not followed");
    ok(strstr(err.text, "status 302") != NULL, "%s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_fetch(&r, apr_psprintf(p, "https://localhost:%d/",
                                       free_port(0, NULL)), &o, p, &err),
           AJWT_EFETCH, "nothing listening: refused");
}

UNIT_MAIN(setup, good, untrusted, too_big, slow, refused)
