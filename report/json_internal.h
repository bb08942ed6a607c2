/* Internal to the JSON writer files of report/: the one place json-glib is included. Small
 * encoders for the values every JSON object uses (timestamps, endpoints, sanitised strings). */
#ifndef TLSSCOPE_JSON_INTERNAL_H
#define TLSSCOPE_JSON_INTERNAL_H

#include <json-glib/json-glib.h>

#include "report_internal.h"

/* Each adds one member to the object being built. */
void rpt_jb_str(JsonBuilder *b, const char *name, const char *s); /* NULL -> null */
void rpt_jb_int(JsonBuilder *b, const char *name, int64_t v);
void rpt_jb_uint(JsonBuilder *b, const char *name, uint64_t v);
void rpt_jb_bool(JsonBuilder *b, const char *name, bool v);
void rpt_jb_null(JsonBuilder *b, const char *name);
/* rpt_jb_double: rounded to 3 decimals so rates and times print short and stable. */
void rpt_jb_double(JsonBuilder *b, const char *name, double v);
void rpt_jb_ts(JsonBuilder *b, const char *name, int64_t ts_us);         /* RFC 3339 */
void rpt_jb_ts_or_null(JsonBuilder *b, const char *name, int64_t ts_us); /* 0 -> null */
void rpt_jb_endpoint(JsonBuilder *b, const char *name, const struct cap_addr *ip, uint16_t port);
void rpt_jb_conn_id(JsonBuilder *b, const char *name, uint64_t id); /* "C<id>"; 0 -> null */
/* rpt_jb_add_string_value: an array element, sanitised like rpt_jb_str. */
void rpt_jb_add_string_value(JsonBuilder *b, const char *s);
/* rpt_jb_compact: serialises the builder's root on one line and frees the builder. */
char *rpt_jb_compact(JsonBuilder *b);

#endif
