/* Unit tests of the template engine: exact output for each kind of slot,
 * compile errors with file and line, and escaping of hostile values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "sa_tmpl.h"

static apr_pool_t *pool;

/* --- helpers ----------------------------------------------------------- */

/* Collects the output; fail_at > 0 makes that write (1-based) fail. */
typedef struct {
    char buf[65536];
    size_t len;
    int writes;
    int fail_at;
} sink;

static apr_status_t sink_write(void *ctx, const char *buf, apr_size_t len)
{
    sink *s = ctx;
    if (s->fail_at && ++s->writes == s->fail_at)
        return APR_EGENERAL;
    assert_true(s->len + len < sizeof(s->buf));
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return APR_SUCCESS;
}

/* A fixture, found from this file's path as compiled (relative to the
 * repository top, where make runs the tests). */
static const char *fixture(const char *name)
{
    const char *dir = apr_pstrndup(pool, __FILE__, strrchr(__FILE__, '/') - __FILE__);
    return apr_pstrcat(pool, dir, "/tmpl/", name, NULL);
}

static sa_tmpl *compile(const char *src)
{
    sa_tmpl *t = NULL;
    const char *err = sa_tmpl_compile_mem(pool, "t.xhtml", src, strlen(src), &t);
    if (err)
        fail_msg("unexpected compile error: %s", err);
    assert_non_null(t);
    return t;
}

static const char *compile_err(const char *src)
{
    sa_tmpl *t = (sa_tmpl *)1;
    const char *err = sa_tmpl_compile_mem(pool, "bad.xhtml", src, strlen(src), &t);
    assert_non_null(err);
    assert_null(t);
    return err;
}

/* Renders t (with inner) into a pool string. */
static const char *render2(const sa_tmpl *t, const sa_tmpl *inner, const sa_tdata *d)
{
    static sink s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(sa_tmpl_render(t, inner, d, sink_write, &s), APR_SUCCESS);
    return apr_pstrmemdup(pool, s.buf, s.len);
}

static const char *render(const char *src, const sa_tdata *d)
{
    return render2(compile(src), NULL, d);
}

#define NS " xmlns:sa=\"urn:secaction:template\""

/* --- literal markup ---------------------------------------------------- */

static void test_literal_page(void **state)
{
    (void)state;
    sa_tmpl *t = NULL;
    const char *err = sa_tmpl_compile_file(pool, fixture("page.xhtml"), &t);
    assert_null(err);
    assert_string_equal(render2(t, NULL, sa_tdata_make(pool)),
        "<!DOCTYPE html>\n"
        "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"ja\">\n"
        "  <head>\n"
        "    <meta charset=\"UTF-8\" />\n"
        "    <title>届出の受付 &amp; 確認</title>\n"
        "    <link rel=\"stylesheet\" href=\"/static/a.css?v=1&amp;m=2\" />\n"
        "    <script src=\"/static/a.js\"></script>\n"
        "    <style>p > em { color: #c00; }</style>\n"
        "  </head>\n"
        "  <body>\n"
        "    \n"
        "    <h1 class=\"title\">事業者の届出</h1>\n"
        "    <p>「&lt;必須&gt;」の項目は入力してください。<br />\n"
        "    全角・半角のどちらでも構いません。</p>\n"
        "    <p>a &lt; b &amp; c</p>\n"
        "    <textarea name=\"memo\"></textarea>\n"
        "    <div id=\"empty\"></div>\n"
        "    <input type=\"text\" name=\"corp_no\" value=\"&quot;x&quot;\" />\n"
        "  </body>\n"
        "</html>\n");
}

static void test_fragment_has_no_doctype(void **state)
{
    (void)state;
    assert_string_equal(render("<p" NS ">x</p>", NULL), "<p>x</p>");
}

static void test_void_and_empty_elements(void **state)
{
    (void)state;
    assert_string_equal(render(
        "<div>"
        "<br/><hr></hr><img src=\"a.png\" alt=\"\"/><input name=\"a\"/>"
        "<area/><base/><col/><embed/><link/><meta/><source/><track/><wbr/>"
        "<textarea name=\"t\"/><script src=\"x\"/><span></span><div/><p/>"
        "</div>", NULL),
        "<div>"
        "<br /><hr /><img src=\"a.png\" alt=\"\" /><input name=\"a\" />"
        "<area /><base /><col /><embed /><link /><meta /><source /><track /><wbr />"
        "<textarea name=\"t\"></textarea><script src=\"x\"></script>"
        "<span></span><div></div><p></p>"
        "</div>");
}

static void test_comments_dropped(void **state)
{
    (void)state;
    assert_string_equal(render(
        "<!-- before --><ul><!-- a --><li>1</li><!--b--></ul><!-- after -->",
        NULL), "<ul><li>1</li></ul>");
}

static void test_raw_script_and_style(void **state)
{
    (void)state;
    assert_string_equal(render(
        "<div><script><![CDATA[if (a < b && c) x();]]></script>"
        "<script>var s = \"&lt;b&gt;\";</script>"
        "<style>a > b { }</style></div>", NULL),
        "<div><script>if (a < b && c) x();</script>"
        "<script>var s = \"<b>\";</script>"
        "<style>a > b { }</style></div>");
}

static void test_namespaces(void **state)
{
    (void)state;
    /* other declarations and prefixed names stay; sa's goes. */
    assert_string_equal(render(
        "<div xmlns:sa=\"urn:secaction:template\" xml:lang=\"ja\">"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xl=\"http://www.w3.org/1999/xlink\">"
        "<use xl:href=\"#a\"/></svg></div>", NULL),
        "<div xml:lang=\"ja\">"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xl=\"http://www.w3.org/1999/xlink\">"
        "<use xl:href=\"#a\"></use></svg></div>");
}

static void test_whitespace_kept(void **state)
{
    (void)state;
    assert_string_equal(render("<ul>\n\t<li> a  b </li>\n</ul>", NULL),
                        "<ul>\n\t<li> a  b </li>\n</ul>");
}

/* --- text slots -------------------------------------------------------- */

static void test_text_slot_escaping(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "name", "<script>&\"'");
    assert_string_equal(render("<p" NS " sa:text=\"name\">placeholder <b>x</b></p>", d),
                        "<p>&lt;script&gt;&amp;\"'</p>");
}

static void test_text_slot_unset_or_not_text(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_flag(d, "f", 1);
    sa_tdata_list(d, "l");
    assert_string_equal(render(
        "<div" NS "><p sa:text=\"none\">x</p><p sa:text=\"f\">x</p>"
        "<p sa:text=\"l\">x</p></div>", d),
        "<div><p></p><p></p><p></p></div>");
}

static void test_text_slot_japanese_and_dotted_names(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "err.corp_no", "法人番号は13桁の数字です");
    assert_string_equal(render("<p" NS " sa:text=\"err.corp_no\"/>", d),
                        "<p>法人番号は13桁の数字です</p>");
}

static void test_textarea_leading_newline(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "memo", "\nline");
    /* HTML drops the first newline after <textarea>: one is added. */
    assert_string_equal(render("<textarea" NS " name=\"m\" sa:text=\"memo\"/>", d),
                        "<textarea name=\"m\">\n\nline</textarea>");
}

static void test_hostile_value_never_raw(void **state)
{
    (void)state;
    const char *evil = "</p><script>alert(1)</script>\" onmouseover=\"x";
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "v", evil);
    sa_tdata_item(d, "rows");
    sa_tdata_text(sa_tdata_item(d, "rows"), "v", evil);
    const char *out = render(
        "<div" NS "><p sa:text=\"v\"/><a sa:attr-title=\"v\">x</a>"
        "<ul><li sa:each=\"rows\" sa:attr-class=\"v\" sa:text=\"v\"/></ul></div>", d);
    assert_null(strstr(out, "</p><script>"));
    assert_null(strstr(out, "<script"));
    /* in text a quote is harmless; in attributes it must not close them */
    assert_null(strstr(out, "=\"x\""));
    assert_string_equal(out,
        "<div><p>&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" onmouseover=\"x</p>"
        "<a title=\"&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x\">x</a>"
        "<ul><li class=\"&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x\">"
        "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" onmouseover=\"x</li>"
        "<li class=\"&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x\">"
        "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" onmouseover=\"x</li></ul></div>");
}

/* --- attribute slots --------------------------------------------------- */

static void test_attr_slot(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "v.corp_no", "a\"b<c>&d'e");
    sa_tdata_text(d, "empty", "");
    assert_string_equal(render(
        "<form" NS ">"
        "<input name=\"corp_no\" value=\"old\" sa:attr-value=\"v.corp_no\"/>"
        "<input name=\"e\" sa:attr-value=\"empty\"/>"
        "<input name=\"u\" value=\"old\" sa:attr-value=\"unset\"/>"
        "</form>", d),
        "<form>"
        "<input name=\"corp_no\" value=\"a&quot;b&lt;c&gt;&amp;d'e\" />"
        "<input name=\"e\" value=\"\" />"
        "<input name=\"u\" />"
        "</form>");
}

static void test_flag_attrs(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_flag(d, "on", 1);
    sa_tdata_flag(d, "off", 0);
    assert_string_equal(render(
        "<form" NS ">"
        "<input type=\"checkbox\" sa:attr-checked=\"on\"/>"
        "<input type=\"checkbox\" checked=\"checked\" sa:attr-checked=\"off\"/>"
        "<select><option value=\"1\" sa:attr-selected=\"on\">1</option>"
        "<option value=\"2\" sa:attr-selected=\"off\">2</option></select>"
        "<button sa:attr-disabled=\"on\" sa:attr-hidden=\"unset\">b</button>"
        "</form>", d),
        "<form>"
        "<input type=\"checkbox\" checked=\"checked\" />"
        "<input type=\"checkbox\" />"
        "<select><option value=\"1\" selected=\"selected\">1</option>"
        "<option value=\"2\">2</option></select>"
        "<button disabled=\"disabled\">b</button>"
        "</form>");
}

/* --- conditionals ------------------------------------------------------ */

static void test_if_unless(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "t", "x");
    sa_tdata_text(d, "te", "");
    sa_tdata_flag(d, "f1", 1);
    sa_tdata_flag(d, "f0", 0);
    sa_tdata_list(d, "l0");
    sa_tdata_item(d, "l1");
    const char *keys[] = { "t", "te", "f1", "f0", "l0", "l1", "none" };
    const char *want[] = { "<b>if</b>", "<i>unless</i>", "<b>if</b>",
                           "<i>unless</i>", "<i>unless</i>", "<b>if</b>",
                           "<i>unless</i>" };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const char *src = apr_psprintf(pool,
            "<p" NS "><b sa:if=\"%s\">if</b><i sa:unless=\"%s\">unless</i></p>",
            keys[k], keys[k]);
        assert_string_equal(render(src, d),
                            apr_pstrcat(pool, "<p>", want[k], "</p>", NULL));
    }
}

static void test_if_and_unless_together(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_flag(d, "a", 1);
    assert_string_equal(render(
        "<p" NS "><b sa:if=\"a\" sa:unless=\"b\">1</b><b sa:if=\"a\" sa:unless=\"a\">2</b></p>",
        d), "<p><b>1</b></p>");
}

/* --- repeated blocks --------------------------------------------------- */

static void test_each_with_parent_lookup(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "field", "pref");
    sa_tdata_text(d, "selected", "13");
    const char *codes[] = { "01", "13", "47" };
    const char *names[] = { "北海道", "東京都", "沖縄県" };
    for (int k = 0; k < 3; k++) {
        sa_tdata *it = sa_tdata_item(d, "prefs");
        sa_tdata_text(it, "code", codes[k]);
        sa_tdata_text(it, "name", names[k]);
        sa_tdata_flag(it, "sel", k == 1);
    }
    assert_string_equal(render(
        "<select" NS " sa:attr-name=\"field\">\n"
        "<option sa:each=\"prefs\" sa:attr-value=\"code\" sa:attr-selected=\"sel\""
        " sa:attr-data-field=\"field\" sa:text=\"name\">x</option>\n"
        "</select>", d),
        "<select name=\"pref\">\n"
        "<option value=\"01\" data-field=\"pref\">北海道</option>"
        "<option value=\"13\" selected=\"selected\" data-field=\"pref\">東京都</option>"
        "<option value=\"47\" data-field=\"pref\">沖縄県</option>\n"
        "</select>");
}

static void test_each_item_shadows_parent(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "v", "outer");
    sa_tdata_text(sa_tdata_item(d, "l"), "v", "inner");
    sa_tdata_item(d, "l");
    assert_string_equal(render("<ul" NS "><li sa:each=\"l\" sa:text=\"v\"/></ul>", d),
                        "<ul><li>inner</li><li>outer</li></ul>");
}

static void test_nested_each(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "sep", ";");
    sa_tdata *a = sa_tdata_item(d, "groups");
    sa_tdata_text(a, "name", "A");
    sa_tdata_text(sa_tdata_item(a, "items"), "code", "01");
    sa_tdata_text(sa_tdata_item(a, "items"), "code", "02");
    sa_tdata *b = sa_tdata_item(d, "groups");
    sa_tdata_text(b, "name", "B");
    sa_tdata_list(b, "items");
    /* a list defined at the top, iterated inside another each: its items
     * still see the enclosing group. */
    sa_tdata_text(sa_tdata_item(d, "cols"), "c", "x");
    assert_string_equal(render(
        "<div" NS "><section sa:each=\"groups\">"
        "<h3 sa:text=\"name\"/>"
        "<span sa:each=\"items\"><b sa:text=\"name\"/><i sa:text=\"code\"/><u sa:text=\"sep\"/></span>"
        "<em sa:unless=\"items\">none</em>"
        "<s sa:each=\"cols\"><b sa:text=\"name\"/><b sa:text=\"c\"/></s>"
        "</section></div>", d),
        "<div>"
        "<section><h3>A</h3>"
        "<span><b>A</b><i>01</i><u>;</u></span><span><b>A</b><i>02</i><u>;</u></span>"
        "<s><b>A</b><b>x</b></s></section>"
        "<section><h3>B</h3><em>none</em><s><b>B</b><b>x</b></s></section>"
        "</div>");
}

static void test_each_then_if(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_flag(sa_tdata_item(d, "l"), "show", 1);
    sa_tdata_flag(sa_tdata_item(d, "l"), "show", 0);
    sa_tdata_flag(sa_tdata_item(d, "l"), "show", 1);
    assert_string_equal(render("<ol" NS "><li sa:each=\"l\" sa:if=\"show\">x</li></ol>", d),
                        "<ol><li>x</li><li>x</li></ol>");
}

static void test_each_missing_or_not_list(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "t", "x");
    assert_string_equal(render(
        "<ol" NS "><li sa:each=\"none\">a</li><li sa:each=\"t\">b</li></ol>", d),
        "<ol></ol>");
}

/* --- layouts ----------------------------------------------------------- */

static void test_yield_in_layout(void **state)
{
    (void)state;
    sa_tmpl *layout = NULL, *step = NULL;
    assert_null(sa_tmpl_compile_file(pool, fixture("layout.xhtml"), &layout));
    assert_null(sa_tmpl_compile_file(pool, fixture("step.xhtml"), &step));
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "title", "届出 <1/3>");
    sa_tdata_text(d, "heading", "事業者");
    sa_tdata_text(d, "err.corp_no", "13桁で入力してください");
    sa_tdata_text(d, "v.corp_no", "12<3");
    assert_string_equal(render2(layout, step, d),
        "<!DOCTYPE html>\n"
        "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n"
        "<head><title>届出 &lt;1/3&gt;</title></head>\n"
        "<body>\n"
        "<main id=\"content\"><section>\n"
        "<h2>事業者</h2>\n"
        "<p class=\"error\">13桁で入力してください</p>\n"
        "<input name=\"corp_no\" value=\"12&lt;3\" />\n"
        "</section></main>\n"
        "<footer>© 2024</footer>\n"
        "</body>\n"
        "</html>\n");
    /* without an inner page the yield element stays, empty */
    assert_string_equal(render2(compile("<div" NS "><main sa:yield=\"\">x</main></div>"),
                                NULL, d), "<div><main></main></div>");
}

/* --- values ------------------------------------------------------------ */

static void test_tdata(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    char name[] = "k";
    sa_tdata_text(d, name, "v");
    name[0] = 'x';               /* names and texts are copied */
    assert_string_equal(sa_tdata_get(d, "k"), "v");
    assert_null(sa_tdata_get(d, "x"));
    sa_tdata_flag(d, "f", 1);
    assert_null(sa_tdata_get(d, "f"));
    sa_tdata *it = sa_tdata_item(d, "l");
    assert_null(sa_tdata_get(d, "l"));
    assert_string_equal(sa_tdata_get(it, "k"), "v");   /* walks outwards */
    sa_tdata_text(it, "k", "w");
    assert_string_equal(sa_tdata_get(it, "k"), "w");
    assert_string_equal(sa_tdata_get(d, "k"), "v");
    sa_tdata_text(d, "k", NULL);                       /* unsets */
    assert_null(sa_tdata_get(d, "k"));
}

static void test_escapers(void **state)
{
    (void)state;
    sink s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(sa_escape_text("a<b>&\"'c 日本", sink_write, &s), APR_SUCCESS);
    assert_string_equal(s.buf, "a&lt;b&gt;&amp;\"'c 日本");
    memset(&s, 0, sizeof(s));
    assert_int_equal(sa_escape_attr("<\"&>", sink_write, &s), APR_SUCCESS);
    assert_string_equal(s.buf, "&lt;&quot;&amp;&gt;");
    memset(&s, 0, sizeof(s));
    assert_int_equal(sa_escape_attr("", sink_write, &s), APR_SUCCESS);
    assert_int_equal(s.len, 0);
}

static void test_write_error_stops(void **state)
{
    (void)state;
    sink s;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "v", "a&b");
    memset(&s, 0, sizeof(s));
    s.fail_at = 3;
    assert_int_equal(sa_tmpl_render(compile("<p" NS " sa:text=\"v\"/>"), NULL, d,
                                    sink_write, &s), APR_EGENERAL);
    assert_string_equal(s.buf, "<p>a");
}

/* --- compile errors ---------------------------------------------------- */

static void test_parse_error_has_file_and_line(void **state)
{
    (void)state;
    const char *err = compile_err("<div>\n<p>\n</div>\n");
    assert_non_null(strstr(err, "bad.xhtml:3: "));

    sa_tmpl *t = NULL;
    const char *path = fixture("missing.xhtml");
    err = sa_tmpl_compile_file(pool, path, &t);
    assert_non_null(err);
    assert_null(t);
    assert_non_null(strstr(err, path));
}

static void test_unknown_sa_attribute(void **state)
{
    (void)state;
    const char *err = compile_err("<div" NS ">\n\n<p sa:txt=\"x\">a</p></div>");
    assert_string_equal(err, "bad.xhtml:3: unknown attribute sa:txt");
    err = compile_err("<div" NS ">\n<sa:block/></div>");
    assert_string_equal(err, "bad.xhtml:2: unknown element sa:block");
}

static void test_empty_names(void **state)
{
    (void)state;
    const char *attrs[] = { "each", "if", "unless", "text", "attr-value" };
    for (size_t k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++) {
        const char *err = compile_err(apr_psprintf(pool,
            "<div" NS ">\n<p sa:%s=\"\">a</p></div>", attrs[k]));
        assert_string_equal(err, apr_psprintf(pool,
            "bad.xhtml:2: sa:%s needs a value name", attrs[k]));
    }
    assert_string_equal(compile_err("<div" NS ">\n<p sa:attr-=\"k\"/></div>"),
                        "bad.xhtml:2: sa:attr- needs an attribute name");
}

static void test_other_errors(void **state)
{
    (void)state;
    /* undeclared sa prefix: a namespace error from libxml2 */
    assert_non_null(strstr(compile_err("<p\n sa:text=\"x\"/>"), "bad.xhtml:2: "));
    assert_non_null(strstr(compile_err("<div>\n<br>x</br></div>"), "bad.xhtml:2: "));
    assert_non_null(strstr(compile_err("<div" NS ">\n<br sa:text=\"x\"/></div>"),
                           "bad.xhtml:2: "));
    assert_non_null(strstr(compile_err("<div>\n<script><b/></script></div>"),
                           "bad.xhtml:2: "));
    assert_non_null(strstr(compile_err(
        "<div>\n<script><![CDATA[x = '</script>';]]></script></div>"), "bad.xhtml:2: "));
    /* only the predefined entities exist */
    assert_non_null(strstr(compile_err("<p>\n&nbsp;</p>"), "bad.xhtml:2: "));
    assert_non_null(strstr(compile_err(
        "<!DOCTYPE p [<!ENTITY e \"x\">]>\n<p>\n&e;</p>"), "bad.xhtml:3: "));
    assert_non_null(strstr(compile_err(""), "bad.xhtml:1: "));
}

/* Regression: an attribute slot compiled after the op array had to grow
 * lost its prebuilt text (the array moved under a held pointer). */
static void test_many_attribute_slots(void **state)
{
    sa_tdata *d = sa_tdata_make(pool);
    const char *src, *out, *p;
    int i, n = 0;
    (void)state;
    src = "<div" NS ">";
    for (i = 0; i < 100; i++)
        src = apr_pstrcat(pool, src, "<a sa:attr-href=\"u\">x</a>", NULL);
    src = apr_pstrcat(pool, src, "</div>", NULL);
    sa_tdata_text(d, "u", "/p?a=1&b=2");
    out = render(src, d);
    for (p = out; (p = strstr(p, "<a href=\"/p?a=1&amp;b=2\">x</a>")) != NULL; p++)
        n++;
    assert_int_equal(n, 100);
}

/* --- scopes: many names, rebinding, unsetting ---------------------------- */

/* A scope grows past its first size and its index: every name stays
 * found, a rebinding replaces the value, an unset name is looked up
 * outwards again, and an item sees the names of its page. */
static void test_scope_of_many_names(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    const char *src = "<p" NS "><b sa:text=\"n0\">x</b><b sa:text=\"n77\">x</b>"
                      "<b sa:text=\"n149\">x</b><i sa:each=\"rows\"><b sa:text=\"n5\">x</b>"
                      "<b sa:text=\"v\">x</b></i></p>";
    for (int i = 0; i < 150; i++)
        sa_tdata_text(d, apr_psprintf(pool, "n%d", i), apr_psprintf(pool, "<%d>", i));
    for (int i = 0; i < 150; i++)
        assert_string_equal(sa_tdata_get(d, apr_psprintf(pool, "n%d", i)),
                            apr_psprintf(pool, "<%d>", i));
    sa_tdata_text(d, "n77", "again");
    sa_tdata_text(sa_tdata_item(d, "rows"), "v", "a");
    sa_tdata *it = sa_tdata_item(d, "rows");
    sa_tdata_text(it, "n5", "own");
    sa_tdata_text(it, "v", "b");
    sa_tdata_text(it, "n5", NULL);        /* unset: the page's n5 again */
    assert_string_equal(render(src, d),
        "<p><b>&lt;0&gt;</b><b>again</b><b>&lt;149&gt;</b>"
        "<i><b>&lt;5&gt;</b><b>a</b></i><i><b>&lt;5&gt;</b><b>b</b></i></p>");
    sa_tdata_text(d, "n0", NULL);
    assert_null(sa_tdata_get(d, "n0"));
    sa_tdata_flag(d, "n0", 1);            /* a flag where the text was */
    assert_null(sa_tdata_get(d, "n0"));
    assert_string_equal(render("<p" NS "><b sa:if=\"n0\">on</b></p>", d), "<p><b>on</b></p>");
}

/* Escaping writes each run of safe bytes whole, and only the escaped
 * characters change. */
static void test_escape_runs(void **state)
{
    (void)state;
    sa_tdata *d = sa_tdata_make(pool);
    sa_tdata_text(d, "t", "株式会社<&>\"テスト\" & 'x'");
    assert_string_equal(render("<p" NS " sa:attr-title=\"t\" sa:text=\"t\">x</p>", d),
        "<p title=\"株式会社&lt;&amp;&gt;&quot;テスト&quot; &amp; 'x'\">"
        "株式会社&lt;&amp;&gt;\"テスト\" &amp; 'x'</p>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_page),
        cmocka_unit_test(test_fragment_has_no_doctype),
        cmocka_unit_test(test_void_and_empty_elements),
        cmocka_unit_test(test_comments_dropped),
        cmocka_unit_test(test_raw_script_and_style),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_whitespace_kept),
        cmocka_unit_test(test_text_slot_escaping),
        cmocka_unit_test(test_text_slot_unset_or_not_text),
        cmocka_unit_test(test_text_slot_japanese_and_dotted_names),
        cmocka_unit_test(test_textarea_leading_newline),
        cmocka_unit_test(test_hostile_value_never_raw),
        cmocka_unit_test(test_attr_slot),
        cmocka_unit_test(test_flag_attrs),
        cmocka_unit_test(test_if_unless),
        cmocka_unit_test(test_if_and_unless_together),
        cmocka_unit_test(test_each_with_parent_lookup),
        cmocka_unit_test(test_each_item_shadows_parent),
        cmocka_unit_test(test_nested_each),
        cmocka_unit_test(test_each_then_if),
        cmocka_unit_test(test_each_missing_or_not_list),
        cmocka_unit_test(test_yield_in_layout),
        cmocka_unit_test(test_tdata),
        cmocka_unit_test(test_escapers),
        cmocka_unit_test(test_write_error_stops),
        cmocka_unit_test(test_parse_error_has_file_and_line),
        cmocka_unit_test(test_unknown_sa_attribute),
        cmocka_unit_test(test_empty_names),
        cmocka_unit_test(test_other_errors),
        cmocka_unit_test(test_many_attribute_slots),
        cmocka_unit_test(test_scope_of_many_names),
        cmocka_unit_test(test_escape_runs),
    };
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
