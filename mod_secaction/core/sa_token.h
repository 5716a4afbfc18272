/* Secrets and identifiers.  Core file: APR and OpenSSL only. */
#ifndef SA_TOKEN_H
#define SA_TOKEN_H

#include <apr_pools.h>
#include <apr_errno.h>

#define SA_TOKEN_BYTES 32          /* 256-bit verification tokens */

/* A fresh random token, base64url without padding (43 chars), from
 * OpenSSL's CSPRNG.  Returns NULL if the generator fails. */
const char *sa_token_new(apr_pool_t *p);

/* Lower-case hex SHA-256 of s (64 chars); what the database stores. */
const char *sa_token_hash(apr_pool_t *p, const char *s);

/* Lower-case hex HMAC-SHA-256 of s under key (NULL without a key): what
 * is kept of a client's IP address, so that it can be counted but not read. */
const char *sa_keyed_hash(apr_pool_t *p, const char *key, const char *s);

/* Syntax check of a token as it arrives in a URL (43 base64url chars). */
int sa_token_wellformed(const char *s);

/* A random 10-digit identifier, uniformly drawn from 1000000000..9999999999
 * (rejection sampling, no modulo bias).  NULL if the generator fails. */
const char *sa_id_new(apr_pool_t *p);

/* Constant-time comparison of two NUL-terminated strings (length may leak). */
int sa_secure_equal(const char *a, const char *b);

/* bcrypt through apr-util; cost 4..31.  NULL if hashing failed. */
const char *sa_password_hash(apr_pool_t *p, const char *pw, int cost);
int sa_password_verify(const char *pw, const char *hash);

#endif
