/* Computed Japanese texts (see sa_text.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "sa_text.h"

#define JST_OFFSET (9 * 3600)

const char *sa_text_datetime(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;
    /* An explicit offset, not localtime: the server's TZ is not Japan's. */
    apr_time_exp_tz(&x, t, JST_OFFSET);
    return apr_psprintf(p, "%d年%d月%d日 %02d時%02d分（日本時間）", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min);
}

const char *sa_text_date(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;
    apr_time_exp_tz(&x, t, JST_OFFSET);
    return apr_psprintf(p, "%d年%d月%d日", x.tm_year + 1900, x.tm_mon + 1, x.tm_mday);
}

const char *sa_text_duration(apr_pool_t *p, long s)
{
    /* 0 would otherwise read "0日間" (0 divides by every unit). */
    if (s <= 0) return "0秒間";
    if (s % 86400 == 0) return apr_psprintf(p, "%ld日間", s / 86400);
    if (s % 3600 == 0) return apr_psprintf(p, "%ld時間", s / 3600);
    if (s % 60 == 0) return apr_psprintf(p, "%ld分間", s / 60);
    return apr_psprintf(p, "%ld秒間", s);
}

const char *sa_text_wait(apr_pool_t *p, long s)
{
    if (s <= 0) return "0秒";
    if (s < 60) return apr_psprintf(p, "%ld秒", s);
    /* Rounded up: "1分" for 61 s would send people back too early. */
    if (s < 3600) return apr_psprintf(p, "%ld分", s / 60 + (s % 60 != 0));
    return apr_psprintf(p, "%ld時間", s / 3600 + (s % 3600 != 0));
}

static int filled(const char *s)
{
    return s && *s;
}

const char *sa_display_name(apr_pool_t *p, const char *kind, const char *corp_name,
                            const char *rep_name, const char *trade_name)
{
    if (kind && strcmp(kind, "corp") == 0) return filled(corp_name) ? corp_name : "";
    if (kind && strcmp(kind, "sole") == 0) {
        if (filled(trade_name) && filled(rep_name))
            return apr_pstrcat(p, trade_name, "（", rep_name, "）", NULL);
        if (filled(trade_name)) return trade_name;
        return filled(rep_name) ? rep_name : "";
    }
    /* An unknown kind shows nothing rather than a guess at which name is
     * meant to be public. */
    return "";
}

const char *sa_mask_email(apr_pool_t *p, const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    size_t local, stars;
    char *out;
    /* The last '@' splits: the domain never contains one. */
    if (!at || at == addr || at[1] == '\0') return "***";
    local = (size_t)(at - addr);
    stars = local > 1 ? local - 1 : 1;
    out = apr_palloc(p, 1 + stars + strlen(at) + 1);
    out[0] = addr[0];
    memset(out + 1, '*', stars);
    strcpy(out + 1 + stars, at);
    return out;
}

int sa_text_parse_date(const char *s, apr_int64_t *out)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y, m, d, i;
    apr_int64_t days = 0;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return 0;
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return 0;
        }
    }
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return 0;
    }
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 0;
    }
    /* days since 1970-01-01 of y-m-d (civil calendar) */
    for (i = 1970; i < y; i++) {
        days += ((i % 4 == 0 && i % 100 != 0) || i % 400 == 0) ? 366 : 365;
    }
    for (i = 1; i < m; i++) {
        days += (i == 2) ? (((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : 28)
                         : mdays[i - 1];
    }
    days += d - 1;
    *out = days * 86400 - 9 * 3600;     /* midnight in Japan */
    return 1;
}

const char *sa_text_number(apr_pool_t *p, apr_int64_t n)
{
    char digits[32], out[48];
    apr_uint64_t u = n < 0 ? (apr_uint64_t)0 - (apr_uint64_t)n : (apr_uint64_t)n;
    int len = 0, o = 0, i;
    do {
        digits[len++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0) {
        out[o++] = '-';
    }
    for (i = len - 1; i >= 0; i--) {
        out[o++] = digits[i];
        if (i && i % 3 == 0) {
            out[o++] = ',';
        }
    }
    return apr_pstrmemdup(p, out, (apr_size_t)o);
}

const char *sa_text_age(apr_pool_t *p, long seconds)
{
    if (seconds < 3600) {
        return apr_psprintf(p, "%ld分", seconds > 0 ? seconds / 60 : 0);
    }
    if (seconds < 86400) {
        return apr_psprintf(p, "%ld時間", seconds / 3600);
    }
    return apr_psprintf(p, "%ld日", seconds / 86400);
}

const char *sa_like_contains(apr_pool_t *p, const char *s)
{
    apr_size_t n = s ? strlen(s) : 0, i, o = 0;
    char *out = apr_palloc(p, 2 * n + 3);
    out[o++] = '%';
    for (i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\') {
            out[o++] = '\\';
        }
        out[o++] = s[i];
    }
    out[o++] = '%';
    out[o] = '\0';
    return out;
}
