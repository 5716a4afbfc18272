/* Shared by the libFuzzer targets of the core (tests/fuzz/fuzz_*.c).
 *
 * One APR pool is created once and cleared before each input.  The targets
 * are linked with -Wl,--wrap for apr_palloc and the apr_pstr*dup family
 * (see fuzz_common.c and mk/fuzz.mk): every buffer the core or a target
 * takes from a pool is then a malloc block of exactly the size asked for,
 * freed by a pool cleanup, so AddressSanitizer sees an overflow of it (and a
 * use after the pool is cleared) that the pool allocator would hide. */
#ifndef SA_FUZZ_COMMON_H
#define SA_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* The pool of the current input (cleared by fz_begin). */
extern apr_pool_t *fz_pool;

/* Clears fz_pool and returns data[0..size) as a NUL-terminated copy. */
char *fz_begin(const uint8_t *data, size_t size);
/* Clears fz_pool at the end of an input.  Needed for leak detection: APR's
 * allocator maps its nodes with mmap, which LeakSanitizer does not scan, so
 * blocks still held by the pool when libFuzzer checks look leaked. */
void fz_end(void);

/* While zero, apr_palloc & co. are APR's own (for data kept across inputs,
 * in a pool of its own, which would look leaked otherwise). */
extern int fz_exact;

/* Splits data[0..size) at NUL bytes (the copy could not hold them anyway)
 * into at most max strings; returns how many (at least 1). */
int fz_split(const uint8_t *data, size_t size, char **out, int max);

/* Reports a broken invariant with the values involved, then aborts so that
 * libFuzzer keeps the input as a crash file. */
#define FZ_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "\n*** invariant broken at %s:%d: %s\n    ",         \
                    __FILE__, __LINE__, #cond);                                \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* s quoted for a message, non-printable bytes as \xNN (from fz_pool). */
const char *fz_q(const char *s);

/* Strict UTF-8 decoding of one code point at *s (advances); -1 if malformed. */
int fz_u8_next(const char **s, uint32_t *cp);
/* Whether s is valid UTF-8. */
int fz_utf8_ok(const char *s);

#endif
