/* 法人番号 → 事業者名 and 所在地: the National Tax Agency's published
 * corporate-number data (法人番号公表サイト, 基本3情報 全件データ, CSV in
 * Unicode/UTF-8, no header row), one row at a time, and what a row offers
 * to the fields of 事業者情報入力.  Core file: APR only.
 *
 * The columns of the NTA's resource definition, in order (1-based):
 *   1 一連番号 sequenceNumber    2 法人番号 corporateNumber   3 処理区分 process
 *   4 訂正区分 correct           5 更新年月日 updateDate      6 変更年月日 changeDate
 *   7 商号又は名称 name          8 商号又は名称イメージID     9 法人種別 kind
 *  10 国内所在地（都道府県）    11 国内所在地（市区町村）   12 国内所在地（丁目番地等）
 *  13 国内所在地イメージID      14 都道府県コード           15 市区町村コード
 *  16 郵便番号 postCode         17 国外所在地               18 国外所在地イメージID
 *  19 登記記録の閉鎖等年月日    20 閉鎖等の事由             21 承継先法人番号
 *  22 変更事由の詳細            23 法人番号指定年月日       24 最新履歴 latest
 *  25-28 英語表記（名称、都道府県、市区町村、国外所在地）    29 フリガナ furigana
 *  30 検索対象除外 hihyoji */
#ifndef SA_HOUJIN_H
#define SA_HOUJIN_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Columns a row has at least (through 最新履歴), and at most. */
#define SA_HOUJIN_MIN_COLS 24
#define SA_HOUJIN_MAX_COLS 30

/* What one row says, as the form's fields take it. */
typedef struct {
    const char *corp_no;    /* 13 digits, check digit verified */
    const char *name;       /* 商号又は名称 */
    const char *kana;       /* フリガナ, or NULL */
    const char *pref;       /* JIS X 0401 code "13", or NULL (abroad) */
    const char *pref_name;  /* 東京都, or NULL */
    const char *city;       /* 市区町村・町名: the city and the town of the
                               street column, "文京区本駒込" */
    const char *postal;     /* "113-0021", or NULL */
    const char *closed;     /* 登記記録の閉鎖等年月日 "2020-03-31", or NULL */
    const char *updated;    /* 更新年月日 */
} sa_houjin;

/* Parses one line of the file (its line end removed; modified in place,
 * the results point into it or into p).  1: *h holds the row; 0: a row
 * to leave out (a deleted number, or an older history row); -1: the line
 * is malformed, *why says how. */
int sa_houjin_parse(apr_pool_t *p, char *line, sa_houjin *h, const char **why);

/* The town at the start of a 丁目番地等 column: everything before its first
 * digit (ASCII or full-width): "本駒込２丁目２８－８" gives "本駒込". */
const char *sa_houjin_town(apr_pool_t *p, const char *street);

/* One field the data offers. */
typedef struct {
    const char *field;      /* corp_name, corp_kana, postal, pref, city */
    const char *label;      /* 事業者名 ... as the form labels it */
    const char *value;      /* the value for the field (a code for pref) */
    const char *shown;      /* the value as people read it (東京都 for pref) */
} sa_houjin_offer;

/* What the row h offers to the values typed so far (vals, the form's
 * fields): a field left empty is filled in vals and listed in filled; a
 * field typed otherwise keeps what was typed and is listed in differs;
 * the same value (after the form's own normalisation) is neither.  Never
 * overwrites what was typed.  Arrays of sa_houjin_offer. */
void sa_houjin_offer_to(apr_pool_t *p, const sa_houjin *h, apr_table_t *vals,
                        apr_array_header_t *filled, apr_array_header_t *differs);

/* The labels of offers joined with 「、」 ("事業者名、郵便番号"). */
const char *sa_houjin_labels(apr_pool_t *p, const apr_array_header_t *offers);

#endif
