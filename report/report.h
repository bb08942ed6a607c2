/* report: explains what capture and dissect saw. It reads per-connection summaries (never
 * packets), keeps the cross-connection state it needs (who issued a session ID or ticket and how
 * that connection ended; per-server counters and handshake rates), derives findings with ranked
 * probable causes, and writes the JSON document, the NDJSON stream and the text summary.
 *
 * Memory stays flat as connections grow: each connection is serialised and written out when it
 * is added; only small per-session and per-server records are kept. */
#ifndef TLSSCOPE_REPORT_H
#define TLSSCOPE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "capture.h"
#include "classify.h"
#include "dissect.h"

enum rpt_severity {
    RPT_SEV_INFO = 0,
    RPT_SEV_WARNING = 1,
    RPT_SEV_ERROR = 2,
    RPT_SEV_NEVER = 3, /* --fail-on default */
};
/* rpt_severity_parse: "info", "warning", "error", "never"; false on anything else. */
bool rpt_severity_parse(const char *s, enum rpt_severity *out);
const char *rpt_severity_name(enum rpt_severity s);

struct rpt_options {
    const char *json_path;   /* -o: NULL none, "-" stdout */
    const char *ndjson_path; /* --ndjson: NULL none, "-" stdout */
    FILE *text_out;          /* summary; NULL when -q */
    bool ndjson_flush;       /* flush each NDJSON line at once (live capture); else buffered */
    bool all_records;        /* recent_records on every connection, not only those with findings */
    bool keep_defaults;      /* connection records keep members that hold their default */
    bool color;              /* ANSI colour in the text summary */
    uint32_t unclean_close_group; /* per-server unclean closes (and, separately, routine resets)
                                     above which one grouped finding is made instead of one per
                                     connection; default 10 */
    double storm_rate;            /* full handshakes per second that make a storm; default 50 */
    const char *version;          /* tlsscope version written in the report; default "unknown" */
    uint32_t max_servers;         /* servers aggregated (per ip and port); default 100,000 */
    uint32_t max_origins;         /* session-ID/ticket origins remembered (FIFO, 56 bytes each);
                                     default 250,000 */
};
void rpt_options_defaults(struct rpt_options *o);

/* One finished connection as the reporter sees it. */
struct rpt_connection {
    const struct cap_flow_summary *flow;
    const struct tls_summary *tls;   /* NULL when no TLS state was kept */
    const char *app;                 /* nDPI protocol name, or NULL */
    const char *const *ndpi_risks;   /* NULL-terminated, or NULL */
    const char *ndpi_ja3;            /* nDPI's JA3 of the ClientHello, or NULL */
    const char *starttls;            /* protocol name when TLS followed a plaintext upgrade */
    uint64_t starttls_offset;        /* the client's plaintext prefix length */
    uint64_t starttls_server_offset; /* the server's */
};

struct rpt_source_info {
    const char *name;
};

/* Capture-wide facts, known at the end. */
struct rpt_capture_info {
    size_t num_sources;
    const char *const *sources;
    const struct cap_source_stats *source;
    uint64_t skipped[CAP_SKIP_COUNT];
    const struct cap_table_stats *table;
    const struct cls_stats *classification; /* NULL without nDPI */
    int64_t first_ts_us, last_ts_us;        /* 0 when no packet */
    bool interrupted;                       /* ended by a signal */
};

struct rpt_ctx;

/* rpt_new: opens outputs (a JSON document is written to a temporary name beside its target and
 * renamed by rpt_finish). NULL with error when an output cannot be opened. */
struct rpt_ctx *rpt_new(const struct rpt_options *o, GError **error);
/* rpt_add_connection: findings for this connection are made now; the connection and its
 * findings are written to the NDJSON stream at once. Copies what it keeps. */
void rpt_add_connection(struct rpt_ctx *r, const struct rpt_connection *c);
/* rpt_finish: per-server aggregates and findings, the JSON document, the summary. */
bool rpt_finish(struct rpt_ctx *r, const struct rpt_capture_info *info, GError **error);
/* rpt_max_severity: highest severity among findings, RPT_SEV_NEVER-1 semantics: -1 if none. */
int rpt_max_severity(const struct rpt_ctx *r);
void rpt_free(struct rpt_ctx *r);

/* rpt_format_ts: RFC 3339 UTC with microseconds ("2026-11-23T12:00:00.000001Z") into buf of at
 * least 32 bytes, without time zone lookups. */
const char *rpt_format_ts(int64_t ts_us, char *buf, size_t buf_len);
/* rpt_format_ts_n: the same, returning the length written. */
size_t rpt_format_ts_n(int64_t ts_us, char *buf, size_t buf_len);

#endif
