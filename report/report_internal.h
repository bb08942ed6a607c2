/* Internal to report/ and its tests: the finding record every producer fills and every writer
 * reads, the cross-connection state (session origins, per-server aggregates) and the reporter
 * context. Only the JSON writer files include json-glib; everything here is plain C and GLib. */
#ifndef TLSSCOPE_REPORT_INTERNAL_H
#define TLSSCOPE_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "report.h"

/* Finding kinds (report/kinds.def), in the order the summary lists their counts. */
enum rpt_kind {
#define RPT_KIND(id, name, doc) RPT_K_##id,
#include "kinds.def"
#undef RPT_KIND
    RPT_K_COUNT
};
const char *rpt_kind_name(enum rpt_kind k);

enum rpt_confidence {
    RPT_CONF_LOW,
    RPT_CONF_MEDIUM,
    RPT_CONF_HIGH,
};
const char *rpt_confidence_name(enum rpt_confidence c);

/* Probable causes (report/causes.def). */
enum rpt_cause_id {
#define RPT_CAUSE(id, name, priority, doc) RPT_C_##id,
#include "causes.def"
#undef RPT_CAUSE
    RPT_C_COUNT
};
const char *rpt_cause_name(enum rpt_cause_id c);
/* rpt_cause_priority: the tie-break rank of causes.def (lower ranks first). */
unsigned rpt_cause_priority(enum rpt_cause_id c);

/* Where a piece of evidence sits, all optional: built with designated initialisers, e.g.
 * (struct rpt_pin){.side = rpt_side(dir), .has_offset = true, .offset = o, .ts_us = t}.
 * Zero means "not given" for every member. */
enum rpt_side { RPT_SIDE_NONE, RPT_SIDE_CLIENT, RPT_SIDE_SERVER };
struct rpt_pin {
    enum rpt_side side;
    bool has_offset;
    uint64_t offset;
    bool has_length;
    uint64_t length;
    int64_t ts_us;   /* 0: none */
    uint64_t packet; /* 0: none */
};
#define RPT_NO_PIN ((struct rpt_pin){0})
static inline enum rpt_side rpt_side(int dir)
{
    return dir == CAP_DIR_CLIENT ? RPT_SIDE_CLIENT : RPT_SIDE_SERVER;
}

/* One piece of evidence: a sentence, optionally pinned. */
struct rpt_evidence {
    char *text;
    struct rpt_pin at;
};

struct rpt_cause {
    enum rpt_cause_id id;
    enum rpt_confidence confidence;
    char *why;
};

#define RPT_MAX_CAUSES 8
/* A grouped finding names at most this many connections; related_total keeps the true count. */
#define RPT_MAX_RELATED 1000

struct rpt_finding {
    uint64_t id; /* assigned when emitted: F1, F2, ... */
    enum rpt_kind kind;
    enum rpt_severity severity;
    uint64_t conn_id; /* 0: a server-level finding */
    bool has_server;
    struct cap_addr server_ip;
    uint16_t server_port;
    int64_t ts_us;
    char *summary;
    GPtrArray *evidence; /* struct rpt_evidence *, owned */
    uint32_t num_causes;
    struct rpt_cause causes[RPT_MAX_CAUSES]; /* ranked after rpt_finding_rank_causes */
    GArray *related;                         /* uint64_t connection ids */
    uint64_t related_total;
};

struct rpt_finding *rpt_finding_new(enum rpt_kind kind, enum rpt_severity sev, uint64_t conn_id,
                                    int64_t ts_us, char *summary /* owned */);
void rpt_finding_free(struct rpt_finding *f);
void rpt_finding_set_server(struct rpt_finding *f, const struct cap_addr *ip, uint16_t port);
/* rpt_finding_evidence: appends a sentence (printf format) pinned as at says. */
void rpt_finding_evidence(struct rpt_finding *f, struct rpt_pin at, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* rpt_finding_cause: adds a cause; past RPT_MAX_CAUSES further causes are ignored. */
void rpt_finding_cause(struct rpt_finding *f, enum rpt_cause_id cause, enum rpt_confidence conf,
                       const char *fmt, ...) G_GNUC_PRINTF(4, 5);
void rpt_finding_related(struct rpt_finding *f, uint64_t conn_id);
/* rpt_finding_rank_causes: stable order by confidence (high first), then causes.def priority. */
void rpt_finding_rank_causes(struct rpt_finding *f);

/* ------------------------------------------------------------------ cross-connection state */

/* How a connection that issued a session ended, as far as resumption cares. */
/* Kept for up to max_origins sessions, so it is packed: enums in bytes. */
struct rpt_origin {
    uint64_t conn_id;
    int64_t issued_ts_us;
    int64_t end_ts_us;
    uint8_t end_reason;      /* enum cap_end_reason */
    uint8_t close_notify[2]; /* enum tls_close_notify */
    char close[5];           /* "fin", "rst", "none" */
    int8_t closed_by;        /* enum cap_dir, or -1 */
    bool unclean;            /* a side closed without close_notify */
    bool resumed;            /* this connection resumed the session rather than issuing it */
};

enum rpt_origin_kind {
    RPT_ORIGIN_SESSION_ID = 1,
    RPT_ORIGIN_TICKET = 2,
};

/* Default bound of the origin table; the oldest entry is evicted first and counted. */
#define RPT_ORIGIN_MAX 250000u

struct rpt_origins;
struct rpt_origins *rpt_origins_new(uint32_t max_entries);
void rpt_origins_free(struct rpt_origins *o);
/* rpt_origins_put: remembers that key was issued by origin (a newer issue of the same key wins). */
void rpt_origins_put(struct rpt_origins *o, enum rpt_origin_kind kind, const uint8_t *key,
                     size_t key_len, const struct rpt_origin *origin);
/* rpt_origins_prefetch: a hint (changes nothing): key is about to be put; its index position
 * (and, once the table is full, the slot the put will reuse) is fetched into the cache. */
void rpt_origins_prefetch(const struct rpt_origins *o, enum rpt_origin_kind kind,
                          const uint8_t *key, size_t key_len);
/* rpt_origins_get: the connection that issued key, or NULL (never seen, or evicted). */
const struct rpt_origin *rpt_origins_get(const struct rpt_origins *o, enum rpt_origin_kind kind,
                                         const uint8_t *key, size_t key_len);
uint64_t rpt_origins_evicted(const struct rpt_origins *o);
uint64_t rpt_origins_size(const struct rpt_origins *o);

#define RPT_SERVER_MAX_SNI 16

struct rpt_server {
    struct cap_addr ip;
    uint16_t port;
    uint64_t connections;
    uint64_t tls_connections;
    uint64_t full_handshakes;
    uint64_t resumed;
    uint64_t resumption_offered;
    uint64_t resumption_refused;
    uint64_t unclean_closes;
    uint64_t unclean_reported; /* individual unclean_close findings made */
    int64_t first_unclean_us;
    uint64_t fatal_alerts;
    /* Handshake-only probes (rpt_conn_is_probe), grouped into one info finding. */
    uint64_t handshake_only;
    int64_t first_handshake_only_us;
    GArray *handshake_only_conns; /* uint64_t ids, up to RPT_MAX_RELATED; NULL before one */
    uint32_t num_sni;
    char *sni[RPT_SERVER_MAX_SNI];
    bool sni_truncated;
    GArray *unclean_conns; /* uint64_t ids, up to RPT_MAX_RELATED */
    /* Routine resets (an info tcp_reset: after close_notify, or explained by an unclean close or
     * a fatal alert), grouped like unclean closes. */
    uint64_t routine_resets;  /* connections with one */
    uint64_t resets_reported; /* those whose tcp_reset findings were made one by one */
    int64_t first_reset_us;
    uint64_t resets_after_shutdown; /* of routine_resets: the reset followed close_notify */
    GArray *reset_conns;            /* uint64_t ids, up to RPT_MAX_RELATED */
    GHashTable *hs_per_second;      /* second -> full handshakes started in it */
    uint64_t hs_peak;
    int64_t hs_peak_second;
    int64_t hs_first_us, hs_last_us; /* 0 before the first full handshake */
};

/* rpt_server_rate_mean: full handshakes per second over the span from the first to the last
 * full handshake, the span counted as at least one second. */
double rpt_server_rate_mean(const struct rpt_server *s);

struct rpt_servers;
/* rpt_servers_new: at most max_servers (0: no cap) are tracked; rpt_servers_get returns NULL
 * for a new server past the cap and rpt_servers_untracked counts what went unaggregated. */
struct rpt_servers *rpt_servers_new(uint32_t max_servers);
uint64_t rpt_servers_untracked(const struct rpt_servers *s);
size_t rpt_servers_count(const struct rpt_servers *s);
void rpt_servers_free(struct rpt_servers *s);
struct rpt_server *rpt_servers_get(struct rpt_servers *s, const struct cap_addr *ip, uint16_t port);
/* rpt_correlate_add: counts the connection into its server and remembers the sessions it
 * issued or used (after its findings were made, so it never matches itself). unclean_sides as
 * from rpt_conn_wants_unclean (0: a clean or non-TLS connection). */
void rpt_correlate_add(struct rpt_servers *servers, struct rpt_origins *origins,
                       const struct rpt_connection *c, unsigned unclean_sides);
/* rpt_correlate_prefetch: a hint (changes nothing): c is about to be added; the origin table's
 * entries its sessions will go to are fetched while its record is written (the table outgrows
 * the caches). */
void rpt_correlate_prefetch(const struct rpt_origins *origins, const struct rpt_connection *c);
/* rpt_servers_sorted: every server, sorted by address family, address bytes, port. The array
 * is owned by the caller (g_ptr_array_unref); the servers are not. */
GPtrArray *rpt_servers_sorted(struct rpt_servers *s);

/* ------------------------------------------------------------------ per-connection facts */

/* rpt_alert_fatal_why: why an alert counts as fatal (a static phrase), or NULL when it does not:
 * an exact fatal alert, or an encrypted one the dissector inferred fatal (its `because`).
 * rpt_alert_is_fatal: the same as a bool. */
const char *rpt_alert_fatal_why(const struct cap_flow_summary *f, const struct tls_summary *t,
                                const struct tls_alert *a);
bool rpt_alert_is_fatal(const struct cap_flow_summary *f, const struct tls_summary *t,
                        const struct tls_alert *a);
/* rpt_first_fatal_alert: the connection's first alert that counts as fatal, or NULL (also when
 * not TLS). */
const struct tls_alert *rpt_first_fatal_alert(const struct cap_flow_summary *f,
                                              const struct tls_summary *t);
/* rpt_conn_wants_unclean: true with the sides (bit 1 << dir) that closed without close_notify,
 * on a TLS connection whose handshake completed (or was picked up mid-stream) and that no fatal
 * alert ended: after a fatal alert no close_notify is due. */
bool rpt_conn_wants_unclean(const struct rpt_connection *c, unsigned *out_sides);
/* rpt_close_kind / rpt_closed_by: the first TCP close of the connection ("fin", "rst", "none")
 * and the side that made it (-1 when none). */
const char *rpt_close_kind(const struct cap_flow_summary *f);
int rpt_closed_by(const struct cap_flow_summary *f);
/* rpt_sid_offer_is_filler: the client offered only a session ID, also offers TLS 1.3, and no
 * connection in the capture issued that ID. Such an ID is almost always the random
 * middlebox-compatibility filler of RFC 8446 appendix D.4 (openssl s_time -new against a TLS 1.2
 * server sends one on every connection), so it counts neither as a resumption offer of its
 * server nor as a refused one; with an issuing connection in the capture it is a real offer. */
bool rpt_sid_offer_is_filler(const struct rpt_origins *origins, const struct tls_summary *t);
/* rpt_conn_is_probe: a handshake-only connection: the handshake completed, no fatal alert, and
 * the client closed without sending application data (its first alert a close_notify, and no
 * application data from it: in TLS 1.2 and older none either way, in TLS 1.3 no record of its
 * own but its Finished and its alerts). Health checks, monitoring and scanners do this;
 * it is one info finding per server, not a failure. */
bool rpt_conn_is_probe(const struct rpt_connection *c);
/* rpt_conn_failed: a TLS connection whose handshake failed, that a fatal alert ended, or whose
 * ClientHello the server answered in another protocol.
 * rpt_conn_uncertain: not failed, but an alert the wire cannot decide (inferred unknown). */
bool rpt_conn_failed(const struct rpt_connection *c);
bool rpt_conn_uncertain(const struct rpt_connection *c);
/* rpt_unclean_sides: bit (1 << dir) for each side that closed (FIN or RST) while the TLS layer
 * says it sent no close_notify. 0 when not TLS. */
unsigned rpt_unclean_sides(const struct cap_flow_summary *f, const struct tls_summary *t);
const char *rpt_dir_name(int dir); /* "client", "server" */
/* rpt_addr_format: inet_ntop text into buf (at least 46 bytes). rpt_endpoint_format: "ip:port",
 * "[ip6]:port" into buf (at least 56 bytes). */
const char *rpt_addr_format(const struct cap_addr *a, char *buf, size_t buf_len);
const char *rpt_endpoint_format(const struct cap_addr *a, uint16_t port, char *buf, size_t buf_len);
/* rpt_hex: lower-case hex of bytes into buf (2 * len + 1). */
const char *rpt_hex(const uint8_t *bytes, size_t len, char *buf, size_t buf_len);

/* ------------------------------------------------------------------ findings engine */

struct rpt_ctx;
/* What the reporter decides about a connection before any rule runs (rpt_ctx.c): whether its
 * unclean close and routine resets are reported one by one or only counted into their server,
 * which depends on how many of that server's came before. Rules read it; they never decide it. */
struct rpt_conn_plan {
    unsigned unclean_sides; /* sides (1 << dir) that closed without close_notify when one was due */
    bool unclean_one_by_one; /* make its unclean_close finding */
    bool routine_reset[2];   /* the side's RST is explained by another finding (info) */
    bool resets_grouped;     /* routine resets are counted into the server, not made */
};
/* rpt_findings_connection: runs the connection rules (report/rules.c) in table order and
 * appends their findings to out (struct rpt_finding *). Updates no state. */
void rpt_findings_connection(const struct rpt_ctx *r, const struct rpt_connection *c,
                             const struct rpt_conn_plan *plan, GPtrArray *out);
/* rpt_findings_server: the server-level rules run at finish (grouped unclean closes and
 * routine resets, full handshake storm), appended to out. */
void rpt_findings_server(const struct rpt_options *o, const struct rpt_server *s, GPtrArray *out);

/* ------------------------------------------------------------------ spool and context */

/* The findings kept for the text summary: the first few of each severity. */
#define RPT_TEXT_KEEP 20
#define RPT_TEXT_UNCERTAIN 10
struct rpt_text_item {
    uint64_t finding_id;
    uint64_t conn_id;
    int64_t conn_position; /* index in the document's connections array; -1 for none */
    enum rpt_kind kind;
    enum rpt_severity severity;
    char *summary;
    const char *top_cause;
    enum rpt_confidence top_confidence;
    char server[64]; /* "ip:port" for server-level findings */
};

struct rpt_ctx {
    struct rpt_options opts;
    char *json_path;
    char *json_tmp_path; /* NULL when writing to stdout */
    FILE *json_out;
    char *ndjson_path;
    FILE *ndjson_out;
    bool ndjson_failed;
    bool ndjson_flush; /* flush after every line (live capture) */
    char *json_buf;    /* stdio buffers of json_out and ndjson_out; freed after them */
    char *ndjson_buf;
    GString *line;            /* the connection being serialised, reused */
    GPtrArray *conn_findings; /* the findings about it (struct rpt_finding *, owned), reused */
    uint64_t doc_connections; /* connections written to the document so far */
    FILE *finding_spool;      /* compact JSON findings, one per line, in id order */
    bool spool_failed;
    uint64_t next_finding_id;
    struct rpt_origins *origins;
    struct rpt_servers *servers;
    /* summary counters */
    uint64_t num_connections;
    uint64_t num_tls;
    uint64_t num_failed;
    uint64_t num_uncertain;
    GArray *uncertain_conns; /* uint64_t ids of the first RPT_TEXT_UNCERTAIN, for the text */
    uint64_t by_severity[3];
    uint64_t by_kind[RPT_K_COUNT];
    int max_severity;
    GPtrArray *text_items[3]; /* struct rpt_text_item *, per severity, up to RPT_TEXT_KEEP */
    bool finished;
};

/* ------------------------------------------------------------------ JSON (json-glib files) */

/* rpt_json_connection_append: the connection as a compact one-line object appended to out;
 * recent_records is null unless with_records; sid_filler as rpt_sid_offer_is_filler says. Unless
 * keep_defaults, a member whose value is its default (null, false, 0, an empty array or object) is
 * left out, by the rule that docs/report-schema.json states with its exceptions. */
void rpt_json_connection_append(GString *out, const struct rpt_connection *c,
                                const uint64_t *finding_ids, size_t num_finding_ids,
                                bool with_records, bool keep_defaults, bool sid_filler);

/* Each returns a newly allocated compact one-line JSON object (no newline). */
char *rpt_json_finding(const struct rpt_finding *f);
char *rpt_json_server(const struct rpt_server *s);
char *rpt_json_capture(const struct rpt_capture_info *info);
char *rpt_json_summary(const struct rpt_ctx *r);
char *rpt_json_tool(const struct rpt_options *o);
/* rpt_json_summary_line: the summary with the tool and capture sections, for NDJSON. */
char *rpt_json_summary_line(const struct rpt_ctx *r, const struct rpt_capture_info *info);
/* rpt_json_typed_line: writes {"type":"<type>",<members of obj>}\n; obj is len bytes. */
bool rpt_json_typed_line(FILE *out, const char *type, const char *obj, size_t len);
/* The document in three steps: the head (tool section, the connections array opened) when the
 * outputs open, each connection as it ends, and the tail (servers, findings read back from
 * their spool, capture, summary) at finish. */
void rpt_json_document_head(FILE *out, const struct rpt_options *o);
void rpt_json_document_connection(FILE *out, const char *obj, size_t len, bool first);
bool rpt_json_document_tail(struct rpt_ctx *r, FILE *out, const struct rpt_capture_info *info,
                            GPtrArray *servers_sorted, GError **error);

/* ------------------------------------------------------------------ text */

/* rpt_text_summary: counts, the most severe findings, where to look in the JSON. */
void rpt_text_summary(const struct rpt_ctx *r, FILE *out);

#endif
