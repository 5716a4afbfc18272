/* The form-page layer every form uses: reading a POST (a body that cannot
 * be read changes nothing and gets a clear page), Post/Redirect/Get with
 * the flash of a refused POST's values and errors kept in the route's
 * session, the error summary, and binding values to a page's template.
 * The dispatcher reads the form and checks its CSRF token before the
 * handler of an SA_R_FORM route runs.  Glue. */
#ifndef SA_FORMPAGE_H
#define SA_FORMPAGE_H

#include "sa_req.h"
#include "sa_form.h"

/* Reads an application/x-www-form-urlencoded body of valid UTF-8 into
 * q->form (repeated names kept).  OK, or the HTTP status of the problem. */
int sa_form_read(sa_req *q);

/* A table kept under key in the route's session (urlencoded once). */
apr_table_t *sa_scope_table(sa_req *q, const char *key);
void sa_scope_set_table(sa_req *q, const char *key, const apr_table_t *t);

/* The values of a refused or abandoned POST of form `name` and its errors
 * ("!field" keys; "?name" keys are notes for the page, note.name), kept until that form is accepted, so a reload shows
 * them again.  Passwords are never kept. */
void sa_flash(sa_req *q, const char *name, const apr_table_t *vals,
              const apr_array_header_t *errs);
apr_table_t *sa_flashed(sa_req *q, const char *name);
void sa_flash_clear(sa_req *q, const char *name);
/* The font-size switch: remembers size ("large" or else "normal") in its
 * cookie. */
void sa_font_remember(sa_req *q, const char *size);
/* The font switch pressed on form `name` without JavaScript (a POST with
 * font=large|normal): remembers the size, keeps every value typed (not the
 * passwords) in the flash with the note "?font" ("?font_pw" when a
 * password was typed and is gone), and 303 to path.  DECLINED when the POST
 * is not the font switch. */
int sa_form_font_switch(sa_req *q, const char *name, const char *path);
/* Flash, then 303 to path. */
int sa_form_refuse(sa_req *q, const char *name, const apr_array_header_t *errs,
                   const char *path);

/* A page with the layout's values, the CSRF token, and for a logged-in
 * business the header's logout form. */
sa_tdata *sa_page(sa_req *q, const char *title);

/* The start of a form page: values of the last refused POST of form name
 * (else vals), their errors (summary, "err.field", title prefix), and the
 * texts of names as "v.name".  Returns the values shown. */
sa_tdata *sa_form_page(sa_req *q, const char *name, const char *title,
                       const apr_table_t *vals, const char *const *names,
                       const apr_table_t **shown);

/* Binding helpers. */
void sa_form_errors(sa_req *q, sa_tdata *d, const apr_table_t *flash);
void sa_form_texts(sa_req *q, sa_tdata *d, const apr_table_t *vals, const char *const *names);
/* flag "field_code" when field has the value code */
void sa_form_flag(sa_req *q, sa_tdata *d, const apr_table_t *vals, const char *field,
                  const char *code);
void sa_form_refitems(sa_tdata *d, const char *list, const apr_array_header_t *items,
                      const char *selected);
/* 業種（中分類） grouped by 大分類: list items {label, middles: [{code,
 * name, parent, selected}]}, for an <optgroup> per 大分類. */
void sa_form_middle_groups(sa_tdata *d, const char *list, const sa_refdata *ref,
                           const char *selected);
void sa_form_choices(sa_tdata *d, const char *list, const sa_choice *ch,
                     const apr_table_t *vals, const char *field);
/* Appends an error for field. */
void sa_form_error(apr_array_header_t *errs, const char *field, const char *message);

#endif
