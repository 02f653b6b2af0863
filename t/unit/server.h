/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.h: the helper servers of the store unit tests (memcached for
 * test_store_mc, redis-server for test_store_redis): found where they are
 * usually installed, started here in the foreground on 127.0.0.1 (a free
 * port unless told), waited for until they answer, stopped by PID; and
 * stopped on the way out (exit, SIGINT, SIGTERM) by the test's own
 * cleanup, in the test process only, never in a child it forked.
 *
 *   bin = server_find(getenv("AJWT_MEMCACHED"), paths);
 *   server_cleanup_on_exit(stop_all);
 *   pid = server_start(&port, 5, 3000, launch, ready, i);
 *   server_stop(&pid, SIGKILL, 0);
 */
#ifndef AJWT_SERVER_H
#define AJWT_SERVER_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#define SERVER_UNUSED __attribute__((unused))

/* The program: env when it is set (NULL if not executable), else the
 * first of paths (NULL-terminated) that is executable, else NULL. */
static SERVER_UNUSED const char *server_find(const char *env,
                                             const char *const *paths)
{
    int i;
    if (env && *env) {
        return access(env, X_OK) == 0 ? env : NULL;
    }
    for (i = 0; paths[i]; i++) {
        if (access(paths[i], X_OK) == 0) {
            return paths[i];
        }
    }
    return NULL;
}

/* A port of 127.0.0.1 free a moment ago (0 if none could be had). */
static SERVER_UNUSED int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0
        && getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

/* A connection to 127.0.0.1:port with send and receive timeouts; -1. */
static SERVER_UNUSED int connect_port(int port, int timeout_ms)
{
    struct sockaddr_in a;
    struct timeval tv;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static SERVER_UNUSED void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* In a forked child before exec: stdin, stdout and stderr to /dev/null
 * (the TAP output is the test's alone). */
static SERVER_UNUSED void server_quiet(void)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
}

/* launch(arg, port): fork and exec the server on port, the child's PID
 * or -1; ready(arg, port): 1 once it answers. arg: the test's index. */
typedef pid_t (*server_launch_fn)(int arg, int port);
typedef int (*server_ready_fn)(int arg, int port);

/*
 * Start a server on *port, or (*port 0) on a free port, and wait up to
 * wait_ms for ready(). One that exits before it answers (its port taken
 * after all) or does not answer in time is killed and tried again, on
 * another free port when none was asked for, up to attempts times in
 * all. Returns its PID and sets *port, or 0 when it did not come up.
 */
static SERVER_UNUSED pid_t server_start(int *port, int attempts,
                                        int wait_ms, server_launch_fn launch,
                                        server_ready_fn ready, int arg)
{
    int attempt;
    for (attempt = 0; attempt < attempts; attempt++) {
        int p = *port ? *port : free_port(), waited, status;
        pid_t pid;
        if (!p) {
            continue;
        }
        fflush(stdout);             /* not twice, once in the child */
        if ((pid = launch(arg, p)) < 0) {
            return 0;
        }
        for (waited = 0; waited < wait_ms; waited += 20) {
            if (ready(arg, p)) {
                *port = p;
                return pid;
            }
            if (waitpid(pid, &status, WNOHANG) == pid) {
                break;              /* port taken after all: try another */
            }
            msleep(20);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return 0;
}

/* Stop by PID: sig, up to wait_ms for it to go, then SIGKILL (at once
 * for sig SIGKILL); *pid is 0 after. Nothing to do for *pid 0. */
static SERVER_UNUSED void server_stop(pid_t *pid, int sig, int wait_ms)
{
    int status, waited;
    if (*pid <= 0) {
        return;
    }
    kill(*pid, sig);
    for (waited = 0; sig != SIGKILL && waited < wait_ms; waited += 20) {
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            *pid = 0;
            return;
        }
        msleep(20);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    *pid = 0;
}

static void (*server_cleanup)(void);
static pid_t server_owner;

static SERVER_UNUSED void server_at_exit(void)
{
    if (server_cleanup && getpid() == server_owner) {
        server_cleanup();
    }
}

static SERVER_UNUSED void server_on_signal(int sig)
{
    server_at_exit();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* stop_all runs when this process exits and on SIGINT and SIGTERM (not in
 * a forked child that exits); SIGPIPE is ignored (a server gone away). */
static SERVER_UNUSED void server_cleanup_on_exit(void (*stop_all)(void))
{
    server_owner = getpid();
    server_cleanup = stop_all;
    atexit(server_at_exit);
    signal(SIGINT, server_on_signal);
    signal(SIGTERM, server_on_signal);
    signal(SIGPIPE, SIG_IGN);
}

#endif
