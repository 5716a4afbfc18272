/* sa-hashbench — the CPU time of one bcrypt hash made by the module's own
 * sa_password_hash (core/sa_token.c), for make bench's whole-declaration
 * figure (tests/bench_pages.py).
 *
 *   build/sa-hashbench COST N [PROCS]
 *
 * Makes N hashes in one process and prints the process CPU time per hash;
 * then PROCS processes (default: the number of online CPUs) make N hashes
 * each at once and it prints the hashes per second of the whole machine.
 * Output, one line: "cost C cpu_ms_per_hash X hashes_per_s Y procs P". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sa_token.h"

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hash_n(int cost, int n)
{
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    for (int i = 0; i < n; i++) {
        if (!sa_password_hash(p, "Passw0rd!xyz", cost))
            return 1;
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    return 0;
}

int main(int argc, char **argv)
{
    int cost, n, procs;
    double c0, cpu, w0, wall;

    if (argc < 3 || (cost = atoi(argv[1])) < 4 || (n = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: sa-hashbench COST N [PROCS]\n");
        return 64;
    }
    procs = argc > 3 ? atoi(argv[3]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (procs < 1)
        procs = 1;
    apr_initialize();

    c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    if (hash_n(cost, n))
        return 1;
    cpu = (now(CLOCK_PROCESS_CPUTIME_ID) - c0) / n;

    w0 = now(CLOCK_MONOTONIC);
    for (int k = 0; k < procs; k++) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0)
            _exit(hash_n(cost, n));
    }
    for (int k = 0; k < procs; k++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
            return 1;
    }
    wall = now(CLOCK_MONOTONIC) - w0;
    printf("cost %d cpu_ms_per_hash %.3f hashes_per_s %.1f procs %d\n", cost, cpu * 1e3,
           procs * n / wall, procs);
    apr_terminate();
    return 0;
}
