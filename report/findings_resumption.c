/* The resumption_refused rule: a client offered a session the server did not resume, with the
 * connection that issued the session (from the origin table) and how it ended. */
#include <string.h>

#include "findings_internal.h"

/* A random middlebox-compatibility session ID is not an offer (rpt_sid_offer_is_filler). */
bool rpt_rule_resumption_refused_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    const struct tls_summary *t = x->t;
    return x->is_tls && t->offered && t->resumption == TLS_RESUME_REFUSED &&
           !rpt_sid_offer_is_filler(x->r->origins, t);
}

void rpt_rule_resumption_refused(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                                 GPtrArray *out)
{
    (void)dir;
    const struct rpt_ctx *r = x->r;
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const struct rpt_origin *o = NULL;
    const char *what;
    char key_text[2 * TLS_MAX_SESSION_ID + 1];
    bool has_ticket =
        (t->offered & (TLS_OFFER_TICKET | TLS_OFFER_PSK)) && t->ticket_offered_digest[0];
    bool has_sid = (t->offered & TLS_OFFER_SESSION_ID) && t->session_id_offered_len > 0;
    if (has_ticket) {
        what = (t->offered & TLS_OFFER_PSK) ? "PSK identity" : "session ticket";
        g_strlcpy(key_text, t->ticket_offered_digest, sizeof(key_text));
        o = rpt_origins_get(r->origins, RPT_ORIGIN_TICKET,
                            (const uint8_t *)t->ticket_offered_digest,
                            strlen(t->ticket_offered_digest));
    } else {
        what = "session ID";
        rpt_hex(t->session_id_offered, t->session_id_offered_len, key_text, sizeof(key_text));
    }
    if (!o && has_sid) {
        const struct rpt_origin *so = rpt_origins_get(
            r->origins, RPT_ORIGIN_SESSION_ID, t->session_id_offered, t->session_id_offered_len);
        if (so) {
            o = so;
            what = "session ID";
            rpt_hex(t->session_id_offered, t->session_id_offered_len, key_text, sizeof(key_text));
        }
    }
    int64_t ts = t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us;
    char tsb[32];
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "The client offered a %s (%s) at %s that the server did not resume",
                           what, key_text, rpt_format_ts(ts, tsb, sizeof(tsb)));
    if (t->handshake == TLS_HS_FULL) {
        g_string_append(s, ": it did a full handshake instead");
    }
    if (o) {
        g_string_append_printf(s, "; C%" G_GUINT64_FORMAT " %s it and ended by %s%s%s%s.",
                               o->conn_id, o->resumed ? "last resumed" : "issued", o->close,
                               o->closed_by >= 0 ? " from the " : "",
                               o->closed_by >= 0 ? rpt_dir_name(o->closed_by) : "",
                               o->unclean ? " without close_notify" : "");
    } else {
        g_string_append(s, "; the connection that issued it is not in the capture.");
    }
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_RESUMPTION_REFUSED, sev, fl->id, ts, g_string_free(s, FALSE));
    rpt_finding_evidence(f, (struct rpt_pin){.side = rpt_side(CAP_DIR_CLIENT), .ts_us = ts},
                         "client offered %s %s; resumption %s, handshake %s", what, key_text,
                         tls_resumption_outcome_name(t->resumption),
                         tls_handshake_kind_name(t->handshake));
    if (o) {
        char eb[32], db[32];
        rpt_finding_related(f, o->conn_id);
        rpt_finding_evidence(
            f, (struct rpt_pin){.ts_us = o->end_ts_us},
            "C%" G_GUINT64_FORMAT " %s it; it ended at %s (%s, closed by %s),"
            " close_notify client %s, server %s, %s before this offer",
            o->conn_id, o->resumed ? "last resumed" : "issued",
            rpt_format_ts(o->end_ts_us, eb, sizeof(eb)), cap_end_reason_name(o->end_reason),
            o->closed_by >= 0 ? rpt_dir_name(o->closed_by) : "nobody",
            tls_close_notify_name(o->close_notify[0]), tls_close_notify_name(o->close_notify[1]),
            rpt_duration_str(ts - o->end_ts_us, db, sizeof(db)));
        bool unknown =
            !o->unclean && (o->close_notify[0] != TLS_CN_YES || o->close_notify[1] != TLS_CN_YES);
        if (o->unclean) {
            rpt_finding_cause(f, RPT_C_PRIOR_UNCLEAN_CLOSE, RPT_CONF_HIGH,
                              "C%" G_GUINT64_FORMAT " ended without close_notify: servers such as "
                              "JDK and OpenSSL invalidate a session whose connection was not shut "
                              "down cleanly",
                              o->conn_id);
            rpt_finding_cause(f, RPT_C_SERVER_CACHE_MISS, RPT_CONF_LOW,
                              "the server may also have dropped the session from its cache");
        } else if (unknown) {
            rpt_finding_cause(f, RPT_C_SERVER_CACHE_MISS, RPT_CONF_MEDIUM,
                              "the server no longer had the session (cache size or timeout, ticket "
                              "key rotation, or another server behind the same address)");
            rpt_finding_cause(f, RPT_C_PRIOR_UNCLEAN_CLOSE, RPT_CONF_LOW,
                              "the capture cannot tell whether C%" G_GUINT64_FORMAT " ended with "
                              "close_notify",
                              o->conn_id);
        } else {
            rpt_finding_cause(f, RPT_C_SERVER_CACHE_MISS, RPT_CONF_MEDIUM,
                              "C%" G_GUINT64_FORMAT " closed cleanly, yet the server no longer had "
                              "the session (cache size or timeout, ticket key rotation, or another "
                              "server behind the same address)",
                              o->conn_id);
        }
    } else {
        rpt_finding_cause(f, RPT_C_SERVER_CACHE_MISS, RPT_CONF_LOW,
                          "the session was issued before the capture started; the server no longer "
                          "had it");
    }
    g_ptr_array_add(out, f);
}
