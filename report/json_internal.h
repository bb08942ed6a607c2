/* Internal to the JSON writer files of report/: the streaming writer (json_writer.c) and small
 * encoders for the values every JSON object uses (timestamps, endpoints, sanitised strings). */
#ifndef TLSSCOPE_JSON_INTERNAL_H
#define TLSSCOPE_JSON_INTERNAL_H

#include <string.h>

#include "report_internal.h"

#define RPT_JW_MAX_DEPTH 16

/* A compact JSON text being written, value after value; members keep the order written. */
struct rpt_jw {
    GString *s;
    unsigned depth;
    uint32_t count[RPT_JW_MAX_DEPTH]; /* values so far in each open container */
    bool after_name;                  /* a member name was written, its value comes next */
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
 * sees each literal member name (and folds its strlen): a connection record has about 150. */
static inline void rpt_jb_str(struct rpt_jw *b, const char *name, const char *s) /* NULL: null */
{
    rpt_jw_set_member_name(b, name);
    rpt_jb_add_string_value(b, s);
}

static inline void rpt_jb_int(struct rpt_jw *b, const char *name, int64_t v)
{
    rpt_jw_set_member_name(b, name);
    rpt_jw_add_int_value(b, v);
}

static inline void rpt_jb_uint(struct rpt_jw *b, const char *name, uint64_t v)
{
    rpt_jw_set_member_name(b, name);
    /* Counters stay far below 2^63; clamp rather than wrap to a negative number. */
    rpt_jw_add_int_value(b, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

static inline void rpt_jb_bool(struct rpt_jw *b, const char *name, bool v)
{
    rpt_jw_set_member_name(b, name);
    rpt_jw_add_boolean_value(b, v);
}

static inline void rpt_jb_null(struct rpt_jw *b, const char *name)
{
    rpt_jw_set_member_name(b, name);
    rpt_jw_add_null_value(b);
}

/* rpt_jb_ts: RFC 3339. */
static inline void rpt_jb_ts(struct rpt_jw *b, const char *name, int64_t ts_us)
{
    char buf[40];
    rpt_jw_set_member_name(b, name);
    const char *ts = rpt_format_ts(ts_us, buf, sizeof(buf));
    if (!rpt_jw_add_plain_string(b, ts)) {
        rpt_jw_add_string_value(b, ts);
    }
}

/* rpt_jb_double: rounded to 3 decimals so rates and times print short and stable. */
void rpt_jb_double(struct rpt_jw *b, const char *name, double v);
void rpt_jb_ts_or_null(struct rpt_jw *b, const char *name, int64_t ts_us); /* 0 -> null */
void rpt_jb_endpoint(struct rpt_jw *b, const char *name, const struct cap_addr *ip, uint16_t port);
void rpt_jb_conn_id(struct rpt_jw *b, const char *name, uint64_t id); /* "C<id>"; 0 -> null */
/* rpt_id_format: "<prefix><id>" (C12, F3) into buf, which holds any 64-bit id. */
#define RPT_ID_BUF 24
const char *rpt_id_format(char prefix, uint64_t id, char buf[RPT_ID_BUF]);
/* rpt_jb_compact: the finished one-line text; frees the writer. */
char *rpt_jb_compact(struct rpt_jw *b);

#endif
