/* Secrets and identifiers: tokens, their stored hashes, 10-digit IDs,
 * constant-time comparison and bcrypt passwords.  Core file: APR, APR-util
 * and OpenSSL only.  All randomness comes from OpenSSL's CSPRNG. */
#include "sa_token.h"

#include <string.h>

#include <apr_strings.h>
#include <apr_md5.h>          /* apr_bcrypt_encode, apr_password_validate */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>

#define SA_TOKEN_CHARS 43      /* ceil(32 * 8 / 6), no padding */
#define SA_ID_MIN      APR_UINT64_C(1000000000)
#define SA_ID_SPAN     APR_UINT64_C(9000000000)  /* 1000000000..9999999999 */
#define SA_BCRYPT_SALT 16
#define SA_BCRYPT_LEN  60

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int random_bytes(void *buf, int len)
{
    return RAND_bytes(buf, len) == 1;
}

/* base64url of n bytes, no padding; out must hold 4 * ceil(n / 3) + 1. */
static void b64url_encode(char *out, const unsigned char *in, apr_size_t n)
{
    apr_size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        *out++ = b64url[(v >> 18) & 63];
        *out++ = b64url[(v >> 12) & 63];
        *out++ = b64url[(v >> 6) & 63];
        *out++ = b64url[v & 63];
    }
    if (n - i == 1) {
        *out++ = b64url[in[i] >> 2];
        *out++ = b64url[(in[i] & 3) << 4];
    }
    else if (n - i == 2) {
        *out++ = b64url[in[i] >> 2];
        *out++ = b64url[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        *out++ = b64url[(in[i + 1] & 15) << 2];
    }
    *out = '\0';
}

const char *sa_token_new(apr_pool_t *p)
{
    unsigned char raw[SA_TOKEN_BYTES];
    char *out = apr_palloc(p, SA_TOKEN_CHARS + 2);

    if (!random_bytes(raw, sizeof(raw)))
        return NULL;
    b64url_encode(out, raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    return out;
}

static const char *hex_of(apr_pool_t *p, const unsigned char *md, unsigned int mdlen)
{
    static const char hex[] = "0123456789abcdef";
    unsigned int i;
    char *out = apr_palloc(p, mdlen * 2 + 1);
    for (i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
    return out;
}

const char *sa_token_hash(apr_pool_t *p, const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!s || EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1)
        return NULL;
    return hex_of(p, md, mdlen);
}

const char *sa_keyed_hash(apr_pool_t *p, const char *key, const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!key || !*key || !s
        || !HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)s, strlen(s),
                 md, &mdlen))
        return NULL;
    return hex_of(p, md, mdlen);
}

static int b64url_value(char c)
{
    const char *hit = c ? strchr(b64url, c) : NULL;
    return hit ? (int)(hit - b64url) : -1;
}

int sa_token_wellformed(const char *s)
{
    int i, v = 0;

    if (!s || strlen(s) != SA_TOKEN_CHARS)
        return 0;
    for (i = 0; i < SA_TOKEN_CHARS; i++) {
        v = b64url_value(s[i]);
        if (v < 0)
            return 0;
    }
    /* The last char carries 4 data bits; we never emit the 2 spare bits set,
     * so only canonical encodings are tokens. */
    return (v & 3) == 0;
}

const char *sa_id_new(apr_pool_t *p)
{
    /* Largest multiple of the span that fits: values at or above it would
     * make low IDs more likely than high ones, so they are drawn again. */
    const apr_uint64_t limit = (APR_UINT64_MAX / SA_ID_SPAN) * SA_ID_SPAN;
    apr_uint64_t r;
    int tries;

    for (tries = 0; tries < 64; tries++) {
        if (!random_bytes(&r, sizeof(r)))
            return NULL;
        if (r < limit)
            return apr_psprintf(p, "%" APR_UINT64_T_FMT, SA_ID_MIN + r % SA_ID_SPAN);
    }
    return NULL;   /* 64 rejections in a row (p < 2^-1000): the RNG is broken */
}

int sa_secure_equal(const char *a, const char *b)
{
    apr_size_t la, lb;

    if (!a || !b)
        return 0;
    la = strlen(a);
    lb = strlen(b);
    if (la != lb)
        return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}

const char *sa_password_hash(apr_pool_t *p, const char *pw, int cost)
{
    unsigned char salt[SA_BCRYPT_SALT];
    char out[SA_BCRYPT_LEN + 8];

    if (!pw || cost < 4 || cost > 31 || !random_bytes(salt, sizeof(salt)))
        return NULL;
    if (apr_bcrypt_encode(pw, (unsigned int)cost, salt, sizeof(salt), out, sizeof(out))
        != APR_SUCCESS)
        return NULL;
    return apr_pstrdup(p, out);
}

/* apr_password_validate also accepts MD5, SHA1, crypt(3) and (on some
 * platforms) plain text; we store only bcrypt, so anything else in the
 * database is refused rather than compared by a weaker scheme. */
static int is_bcrypt(const char *hash)
{
    return strlen(hash) == SA_BCRYPT_LEN && hash[0] == '$' && hash[1] == '2'
        && (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

int sa_password_verify(const char *pw, const char *hash)
{
    if (!pw || !hash || !is_bcrypt(hash))
        return 0;
    return apr_password_validate(pw, hash) == APR_SUCCESS;
}
