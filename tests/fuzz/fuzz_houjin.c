/* Rows of the NTA's corporate-number data (core/sa_houjin.h): the input's
 * first line as a row, then what it offers to the rest split into the
 * form's values.  Invariants: a row taken has a 13-digit 法人番号 whose
 * check digit holds and a name; a refused row says why; what is offered
 * never replaces a value that was typed (it is listed as differing). */
#include "fuzz_common.h"
#include "sa_houjin.h"
#include "sa_validate.h"

static const char *const fields[] = { "corp_name", "corp_kana", "postal", "pref", "city" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fz_begin(data, size), *nl = strchr(in, '\n'), *piece[NFIELDS];
    const char *why = NULL, *typed[NFIELDS];
    apr_table_t *vals;
    apr_array_header_t *filled, *differs;
    sa_houjin h;
    int rc, n = 0;
    apr_size_t i;

    if (nl) {
        *nl = '\0';
        n = fz_split((const uint8_t *)nl + 1, size - (apr_size_t)(nl + 1 - in), piece, NFIELDS);
    }
    memset(&h, 0, sizeof(h));
    rc = sa_houjin_parse(fz_pool, in, &h, &why);
    FZ_ASSERT(rc >= -1 && rc <= 1, "result %d", rc);
    if (rc == -1)
        FZ_ASSERT(why && *why, "a malformed row without a reason");
    if (rc == 1) {
        FZ_ASSERT(h.corp_no && strlen(h.corp_no) == 13, "法人番号 %s", fz_q(h.corp_no));
        FZ_ASSERT(strspn(h.corp_no, "0123456789") == 13, "法人番号 %s", fz_q(h.corp_no));
        FZ_ASSERT(h.corp_no[0] - '0' == sa_corporate_check_digit(h.corp_no + 1),
                  "check digit of %s", fz_q(h.corp_no));
        FZ_ASSERT(h.name && *h.name, "a row without a name");
        vals = apr_table_make(fz_pool, 8);
        for (i = 0; i < NFIELDS; i++) {
            typed[i] = (int)i < n ? piece[i] : "";
            apr_table_set(vals, fields[i], typed[i]);
        }
        filled = apr_array_make(fz_pool, 4, sizeof(sa_houjin_offer));
        differs = apr_array_make(fz_pool, 4, sizeof(sa_houjin_offer));
        sa_houjin_offer_to(fz_pool, &h, vals, filled, differs);
        for (i = 0; i < NFIELDS; i++)
            if (*typed[i])
                FZ_ASSERT(!strcmp(apr_table_get(vals, fields[i]), typed[i]),
                          "typed %s of %s replaced by %s", fz_q(typed[i]), fields[i],
                          fz_q(apr_table_get(vals, fields[i])));
        (void)sa_houjin_labels(fz_pool, filled);
        (void)sa_houjin_labels(fz_pool, differs);
    }
    (void)sa_houjin_town(fz_pool, in);
    fz_end();
    return 0;
}
