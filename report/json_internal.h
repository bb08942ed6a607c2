/* Internal to the JSON writer files of report/: the streaming writer (json_writer.c) and small
 * encoders for the values every JSON object uses (timestamps, endpoints, sanitised strings). */
#ifndef TLSSCOPE_JSON_INTERNAL_H
#define TLSSCOPE_JSON_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "report_internal.h"

#define RPT_JW_MAX_DEPTH 16

/* A compact JSON text being written, value after value; members keep the order written. */
struct rpt_jw {
    GString *s;
    unsigned depth;
    uint32_t count[RPT_JW_MAX_DEPTH]; /* values so far in each open container */
    bool after_name;                  /* a member name was written, its value comes next */
    /* The rpt_jb_* members leave out a value that is its member's default (null, false, 0, an
     * empty array or object, see rpt_jb_end_list), so a record holds what happened and not
     * every counter that stayed at zero. */
    bool omit_defaults;
};

/* Where a container member began, so an empty one can be taken back (rpt_jb_end_list). */
struct rpt_jw_mark {
    gsize len;
    uint32_t count;
    char close; /* ']' or '}' */
};

struct rpt_jw *rpt_jw_new(void);
/* rpt_jw_init_on: a writer appending to s, which the caller keeps (the per-connection path
 * reuses one buffer instead of allocating a string per object); no rpt_jw_finish. */
void rpt_jw_init_on(struct rpt_jw *w, GString *s);
void rpt_jw_begin_object(struct rpt_jw *w);
void rpt_jw_end_object(struct rpt_jw *w);
void rpt_jw_begin_array(struct rpt_jw *w);
void rpt_jw_end_array(struct rpt_jw *w);
/* rpt_jw_member_n: a member name of len bytes; names need no escaping (see json_writer.c). */
void rpt_jw_member_n(struct rpt_jw *w, const char *name, size_t len);
static inline void rpt_jw_set_member_name(struct rpt_jw *w, const char *name)
{
    rpt_jw_member_n(w, name, strlen(name));
}
void rpt_jw_add_string_value(struct rpt_jw *w, const char *s); /* valid UTF-8 */
/* rpt_jw_add_known_value: a string value that is tlsscope's own text (see rpt_jb_known), written
 * without the escape scan. */
void rpt_jw_add_known_value(struct rpt_jw *w, const char *s);
/* rpt_jw_add_plain_string: writes s in one pass and returns true when it is printable ASCII
 * with nothing to escape (almost every string of a report); false, writing nothing,
 * otherwise. */
bool rpt_jw_add_plain_string(struct rpt_jw *w, const char *s);
void rpt_jw_add_int_value(struct rpt_jw *w, int64_t v);
void rpt_jw_add_double_value(struct rpt_jw *w, double v);
void rpt_jw_add_boolean_value(struct rpt_jw *w, bool v);
void rpt_jw_add_null_value(struct rpt_jw *w);
/* rpt_jw_finish: the text (g_free it); frees the writer. All containers must be closed. */
char *rpt_jw_finish(struct rpt_jw *w);

/* rpt_jb_add_string_value: an array element, sanitised like rpt_jb_str. */
void rpt_jb_add_string_value(struct rpt_jw *b, const char *s);

/* Each rpt_jb_* adds one member to the object being built. These are inline so the compiler
 * sees each literal member name (and folds its strlen): a connection record has about 150.
 * The common ones (numbers, booleans, null, plain strings, timestamps) write the separator, the
 * name and the value after one capacity check; the general path (member name, then value) costs
 * a check and a call per piece, which was most of the writer's time. */

/* rpt_jw_reserve: room for n more bytes and the terminating NUL; returns where they go.
 * rpt_jw_commit: the text now ends at end (at most the n bytes reserved). */
static inline char *rpt_jw_reserve(struct rpt_jw *w, size_t n)
{
    GString *s = w->s;
    if (G_UNLIKELY(s->len + n >= s->allocated_len)) {
        size_t keep = s->len;
        g_string_set_size(s, keep + n); /* grows the allocation geometrically */
        s->len = keep;
    }
    return s->str + s->len;
}

static inline void rpt_jw_commit(struct rpt_jw *w, char *end)
{
    w->s->len = (gsize)(end - w->s->str);
    *end = '\0';
}

/* The longest ',"name":' prefix a member adds for a name of len bytes. */
#define RPT_JW_MEMBER_ROOM(len) ((len) + 4)

/* ',"name":' at p (the comma unless the member is the object's first); returns the end. A
 * member name never follows another, so after_name is false here. Names need no escaping (see
 * rpt_jw_member_n). */
static inline char *rpt_jw_put_member(struct rpt_jw *w, char *p, const char *name, size_t len)
{
#ifndef NDEBUG
    /* Checked in debug builds (the sanitizer build the tests run): it is on every member. */
    g_assert(w->depth > 0 && !w->after_name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        g_assert(c >= 0x20 && c != '"' && c != '\\' && c != 0x7f);
    }
#endif
    if (w->count[w->depth - 1]++ > 0) {
        *p++ = ',';
    }
    *p++ = '"';
    memcpy(p, name, len);
    p += len;
    *p++ = '"';
    *p++ = ':';
    return p;
}

/* The decimal digits of v at p (at most 20); returns the end. */
static inline char *rpt_jw_put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        *p++ = tmp[--n];
    }
    return p;
}

/* The member writers below come in two parts: a small always-inlined front that takes the
 * name's length (a constant for the string literal every caller passes, so no strlen runs) and
 * returns early on an omitted default, and the writer proper, inlined where the compiler likes. */
static inline void rpt_jb_uint_n(struct rpt_jw *b, const char *name, size_t len, uint64_t v)
{
    char *p = rpt_jw_reserve(b, RPT_JW_MEMBER_ROOM(len) + 20);
    p = rpt_jw_put_member(b, p, name, len);
    /* Counters stay far below 2^63; clamp rather than print what a reader of signed 64-bit
     * integers would wrap. */
    rpt_jw_commit(b, rpt_jw_put_u64(p, v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v));
}

static inline __attribute__((always_inline)) void rpt_jb_uint(struct rpt_jw *b, const char *name,
                                                              uint64_t v)
{
    if (v == 0 && b->omit_defaults) {
        return;
    }
    rpt_jb_uint_n(b, name, strlen(name), v);
}

static inline void rpt_jb_int_n(struct rpt_jw *b, const char *name, size_t len, int64_t v)
{
    char *p = rpt_jw_reserve(b, RPT_JW_MEMBER_ROOM(len) + 21);
    p = rpt_jw_put_member(b, p, name, len);
    if (v < 0) {
        *p++ = '-';
    }
    rpt_jw_commit(b, rpt_jw_put_u64(p, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v));
}

static inline __attribute__((always_inline)) void rpt_jb_int(struct rpt_jw *b, const char *name,
                                                             int64_t v)
{
    if (v == 0 && b->omit_defaults) {
        return;
    }
    rpt_jb_int_n(b, name, strlen(name), v);
}

/* A member whose value is the literal text lit (true, false, null). */
static inline void rpt_jb_literal_n(struct rpt_jw *b, const char *name, size_t len, const char *lit,
                                    size_t lit_len)
{
    char *p = rpt_jw_reserve(b, RPT_JW_MEMBER_ROOM(len) + lit_len);
    p = rpt_jw_put_member(b, p, name, len);
    memcpy(p, lit, lit_len);
    rpt_jw_commit(b, p + lit_len);
}

static inline __attribute__((always_inline)) void rpt_jb_literal(struct rpt_jw *b, const char *name,
                                                                 const char *lit, size_t lit_len)
{
    rpt_jb_literal_n(b, name, strlen(name), lit, lit_len);
}

static inline __attribute__((always_inline)) void rpt_jb_bool(struct rpt_jw *b, const char *name,
                                                              bool v)
{
    if (v) {
        rpt_jb_literal(b, name, "true", 4);
    } else if (!b->omit_defaults) {
        rpt_jb_literal(b, name, "false", 5);
    }
}

static inline __attribute__((always_inline)) void rpt_jb_null(struct rpt_jw *b, const char *name)
{
    if (!b->omit_defaults) {
        rpt_jb_literal(b, name, "null", 4);
    }
}

/* rpt_jw_keep_defaults: while on, rpt_jb_* members write default values too (for a member whose
 * absence means something else than its zero, such as a round trip that was not measured);
 * returns the previous setting, to restore. */
static inline bool rpt_jw_keep_defaults(struct rpt_jw *b, bool keep)
{
    bool was_kept = !b->omit_defaults;
    b->omit_defaults = !keep;
    return was_kept;
}

/* rpt_jb_begin_list / rpt_jb_end_list: an array member (bracket '[' / ']') or object member
 * ('{' / '}'). With omit_defaults, one that ends empty is taken back whole, name and all, so an
 * absent list reads as empty. Members whose absence means null (an object or null) use the
 * plain rpt_jw_begin_object instead. */
void rpt_jb_begin_list_n(struct rpt_jw *b, const char *name, size_t name_len, char bracket,
                         struct rpt_jw_mark *out_mark);
static inline __attribute__((always_inline)) void
rpt_jb_begin_list(struct rpt_jw *b, const char *name, char bracket, struct rpt_jw_mark *out_mark)
{
    rpt_jb_begin_list_n(b, name, strlen(name), bracket, out_mark);
}
void rpt_jb_end_list(struct rpt_jw *b, const struct rpt_jw_mark *mark);

/* rpt_jb_empty_list: a list member known to be empty before it is written (what begin_list and
 * end_list with nothing between give, without writing it and taking it back): nothing with
 * omit_defaults, else name:[] (bracket '[') or name:{} ('{'). */
static inline __attribute__((always_inline)) void rpt_jb_empty_list(struct rpt_jw *b,
                                                                    const char *name, char bracket)
{
    if (!b->omit_defaults) {
        rpt_jb_literal(b, name, bracket == '[' ? "[]" : "{}", 2);
    }
}

/* rpt_jw_plain_len: the length of s when it is printable ASCII with nothing to escape (what
 * rpt_jw_add_plain_string writes as it is), else -1. */
ptrdiff_t rpt_jw_plain_len(const char *s);

/* A member (name of len bytes) whose value is s, known to be plain, of slen bytes. */
static inline void rpt_jb_plain_n(struct rpt_jw *b, const char *name, size_t len, const char *s,
                                  size_t slen)
{
    char *p = rpt_jw_reserve(b, RPT_JW_MEMBER_ROOM(len) + slen + 2);
    p = rpt_jw_put_member(b, p, name, len);
    *p++ = '"';
    memcpy(p, s, slen);
    p += slen;
    *p++ = '"';
    rpt_jw_commit(b, p);
}

/* rpt_jb_str: s NULL gives null; strings from the wire are sanitised (rpt_jb_add_string_value).
 * The wrapper is forced inline so strlen of a literal name folds; the work is out of line. */
void rpt_jb_str_n(struct rpt_jw *b, const char *name, size_t name_len, const char *s);
static inline __attribute__((always_inline)) void rpt_jb_str(struct rpt_jw *b, const char *name,
                                                             const char *s)
{
    if (s == NULL && b->omit_defaults) {
        return;
    }
    rpt_jb_str_n(b, name, strlen(name), s);
}

/* rpt_jb_known: a member whose value is tlsscope's own text (a name from a fixed table, hex
 * digits, an explanation written here), never bytes from the wire, so it is written without
 * the escape scan; debug builds check that it needs none. s NULL gives null. */
static inline __attribute__((always_inline)) void rpt_jb_known(struct rpt_jw *b, const char *name,
                                                               const char *s)
{
    if (s == NULL) {
        rpt_jb_null(b, name);
        return;
    }
#ifndef NDEBUG
    g_assert(rpt_jw_plain_len(s) >= 0);
#endif
    rpt_jb_plain_n(b, name, strlen(name), s, strlen(s));
}

/* rpt_jb_ts: RFC 3339 (digits and punctuation only). */
static inline __attribute__((always_inline)) void rpt_jb_ts(struct rpt_jw *b, const char *name,
                                                            int64_t ts_us)
{
    char buf[40];
    size_t n = rpt_format_ts_n(ts_us, buf, sizeof(buf));
    rpt_jb_plain_n(b, name, strlen(name), buf, n);
}

/* rpt_jb_double: rounded to 3 decimals so rates and times print short and stable. */
void rpt_jb_double(struct rpt_jw *b, const char *name, double v);
void rpt_jb_ts_or_null(struct rpt_jw *b, const char *name, int64_t ts_us); /* 0 -> null */
/* rpt_jb_endpoint: {"ip":..., "port":...}; rpt_jb_conn_id: "C<id>", 0 -> null. Forced-inline
 * fronts, so a literal name's strlen folds. */
void rpt_jb_endpoint_n(struct rpt_jw *b, const char *name, size_t name_len,
                       const struct cap_addr *ip, uint16_t port);
void rpt_jb_conn_id_n(struct rpt_jw *b, const char *name, size_t name_len, uint64_t id);
static inline __attribute__((always_inline)) void
rpt_jb_endpoint(struct rpt_jw *b, const char *name, const struct cap_addr *ip, uint16_t port)
{
    rpt_jb_endpoint_n(b, name, strlen(name), ip, port);
}
static inline __attribute__((always_inline)) void rpt_jb_conn_id(struct rpt_jw *b, const char *name,
                                                                 uint64_t id)
{
    rpt_jb_conn_id_n(b, name, strlen(name), id);
}
/* rpt_id_format: "<prefix><id>" (C12, F3) into buf, which holds any 64-bit id. */
#define RPT_ID_BUF 24
const char *rpt_id_format(char prefix, uint64_t id, char buf[RPT_ID_BUF]);
/* rpt_jb_compact: the finished one-line text; frees the writer. */
char *rpt_jb_compact(struct rpt_jw *b);

#endif
