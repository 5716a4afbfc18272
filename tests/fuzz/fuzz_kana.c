/* The kana functions of core/sa_validate.h: sa_kana and sa_corp_kana.
 * Invariants, for an accepted reading K of the input:
 *   - K is non-empty full-width katakana (ー included) and sa_kana(K) == K;
 *   - the same reading typed as hiragana, as half-width katakana (voiced
 *     letters as letter + ﾞ/ﾟ), with combining sound marks (U+3099/U+309A)
 *     or with spaces between the letters normalises to K again;
 *   - sa_corp_kana accepts exactly the readings sa_kana accepts that neither
 *     start nor end with a legal-form word, with the same result. */
#include "fuzz_common.h"
#include "sa_validate.h"

static const char *const legal_forms[] = {
    "カブシキガイシャ", "カブシキカイシャ", "ユウゲンガイシャ", "ユウゲンカイシャ",
    "ゴウドウガイシャ", "ゴウドウカイシャ", "ゴウメイガイシャ", "ゴウメイカイシャ",
    "ゴウシガイシャ", "ゴウシカイシャ", "イッパンシャダンホウジン", "イッパンザイダンホウジン",
    NULL
};

/* Half-width forms U+FF61..U+FF9F (as in the core's table, kept apart so a
 * mistake there shows here). */
static const uint16_t halfwidth[0x3F] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3,
    0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,
    0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF,
    0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF,
    0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD,
    0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA,
    0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C
};

static char *put(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    return d;
}

/* The unvoiced letter and mark (0x3099 / 0x309A) of a voiced katakana, or 0. */
static uint32_t decompose(uint32_t cp, uint32_t *mark)
{
    static const struct { uint16_t from, base, mark; } v[] = {
        { 0x30AC, 0x30AB, 0x3099 }, { 0x30AE, 0x30AD, 0x3099 }, { 0x30B0, 0x30AF, 0x3099 },
        { 0x30B2, 0x30B1, 0x3099 }, { 0x30B4, 0x30B3, 0x3099 }, { 0x30B6, 0x30B5, 0x3099 },
        { 0x30B8, 0x30B7, 0x3099 }, { 0x30BA, 0x30B9, 0x3099 }, { 0x30BC, 0x30BB, 0x3099 },
        { 0x30BE, 0x30BD, 0x3099 }, { 0x30C0, 0x30BF, 0x3099 }, { 0x30C2, 0x30C1, 0x3099 },
        { 0x30C5, 0x30C4, 0x3099 }, { 0x30C7, 0x30C6, 0x3099 }, { 0x30C9, 0x30C8, 0x3099 },
        { 0x30D0, 0x30CF, 0x3099 }, { 0x30D1, 0x30CF, 0x309A }, { 0x30D3, 0x30D2, 0x3099 },
        { 0x30D4, 0x30D2, 0x309A }, { 0x30D6, 0x30D5, 0x3099 }, { 0x30D7, 0x30D5, 0x309A },
        { 0x30D9, 0x30D8, 0x3099 }, { 0x30DA, 0x30D8, 0x309A }, { 0x30DC, 0x30DB, 0x3099 },
        { 0x30DD, 0x30DB, 0x309A }, { 0x30F4, 0x30A6, 0x3099 }, { 0x30F7, 0x30EF, 0x3099 },
        { 0x30F8, 0x30F0, 0x3099 }, { 0x30F9, 0x30F1, 0x3099 }, { 0x30FA, 0x30F2, 0x3099 },
        { 0x30FE, 0x30FD, 0x3099 }, { 0, 0, 0 }
    };
    int i;
    for (i = 0; v[i].from; i++)
        if (v[i].from == cp) {
            *mark = v[i].mark;
            return v[i].base;
        }
    return 0;
}

static int halfwidth_of(uint32_t cp)
{
    int i;
    for (i = 5; i < 0x3D; i++)            /* letters and ー, not punctuation or marks */
        if (halfwidth[i] == cp)
            return 0xFF61 + i;
    return 0;
}

enum { HIRAGANA, HALFWIDTH, COMBINING, SPACED };

/* K written another way (see the header comment). */
static const char *respell(const char *k, int how)
{
    char *out = apr_palloc(fz_pool, strlen(k) * 3 + 1), *d = out;
    const char *q = k;
    uint32_t cp, mark = 0, base;
    int h;

    while (*q) {
        fz_u8_next(&q, &cp);
        switch (how) {
        case HIRAGANA:
            if (cp >= 0x30A1 && cp <= 0x30F6)
                cp -= 0x60;
            else if (cp == 0x30FD || cp == 0x30FE)
                cp -= 0x60;
            d = put(d, cp);
            break;
        case HALFWIDTH:
            base = decompose(cp, &mark);
            if (base && (h = halfwidth_of(base)) != 0) {
                d = put(d, (uint32_t)h);
                d = put(d, mark == 0x3099 ? 0xFF9E : 0xFF9F);
            } else if ((h = halfwidth_of(cp)) != 0) {
                d = put(d, (uint32_t)h);
            } else {
                d = put(d, cp);
            }
            break;
        case COMBINING:
            base = decompose(cp, &mark);
            if (base) {
                d = put(d, base);
                d = put(d, mark);
            } else {
                d = put(d, cp);
            }
            break;
        case SPACED:
            d = put(d, cp);
            *d++ = ' ';
            break;
        }
    }
    *d = '\0';
    return out;
}

static int has_legal_form(const char *k)
{
    apr_size_t kl = strlen(k);
    int i;
    for (i = 0; legal_forms[i]; i++) {
        apr_size_t fl = strlen(legal_forms[i]);
        if (kl >= fl && (strncmp(k, legal_forms[i], fl) == 0
                         || strcmp(k + kl - fl, legal_forms[i]) == 0))
            return 1;
    }
    return 0;
}

static void one(const char *s)
{
    const char *k = NULL, *c = NULL, *again = NULL, *q, *msg, *cmsg;
    uint32_t cp;
    int how;

    msg = sa_kana(fz_pool, s, &k);
    cmsg = sa_corp_kana(fz_pool, s, &c);
    if (msg) {
        FZ_ASSERT(cmsg != NULL, "corp_kana accepts what kana refuses: %s", fz_q(s));
        return;
    }
    FZ_ASSERT(k && *k && fz_utf8_ok(k), "%s -> %s", fz_q(s), fz_q(k));
    for (q = k; *q; ) {
        fz_u8_next(&q, &cp);
        FZ_ASSERT((cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0x30FC && cp <= 0x30FE),
                  "not katakana U+%04X: %s -> %s", (unsigned)cp, fz_q(s), fz_q(k));
    }
    FZ_ASSERT(sa_kana(fz_pool, k, &again) == NULL && strcmp(again, k) == 0,
              "not idempotent: %s -> %s -> %s", fz_q(s), fz_q(k), fz_q(again));
    for (how = HIRAGANA; how <= SPACED; how++) {
        const char *r = respell(k, how);
        again = NULL;
        msg = sa_kana(fz_pool, r, &again);
        FZ_ASSERT(msg == NULL && strcmp(again, k) == 0, "respelling %d of %s: %s -> %s",
                  how, fz_q(k), fz_q(r), msg ? msg : fz_q(again));
    }
    if (has_legal_form(k)) {
        FZ_ASSERT(cmsg != NULL, "corp_kana accepts a legal form: %s -> %s", fz_q(s), fz_q(c));
    } else {
        FZ_ASSERT(cmsg == NULL && strcmp(c, k) == 0, "corp_kana refuses %s (%s)", fz_q(k),
                  cmsg ? cmsg : fz_q(c));
    }
}

static int one_input(const uint8_t *data, size_t size)
{
    char *piece[4];
    int n, i;

    fz_begin(data, size);
    n = fz_split(data, size, piece, 4);
    for (i = 0; i < n; i++)
        one(piece[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
