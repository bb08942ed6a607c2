/* Per-connection findings: every rule that can be decided from one connection's summary (and,
 * for refused resumption, the origin table), with probable causes ranked from the evidence.
 * Rules read facts only; they never change the reporter's state. */
#include <string.h>

#include "report_internal.h"

/* Alert descriptions, RFC 8446 §6 and RFC 5246 §7.2. */
enum {
    ALERT_UNEXPECTED_MESSAGE = 10,
    ALERT_BAD_RECORD_MAC = 20,
    ALERT_DECRYPTION_FAILED = 21,
    ALERT_RECORD_OVERFLOW = 22,
    ALERT_HANDSHAKE_FAILURE = 40,
    ALERT_BAD_CERTIFICATE = 42,
    ALERT_UNSUPPORTED_CERTIFICATE = 43,
    ALERT_CERTIFICATE_REVOKED = 44,
    ALERT_CERTIFICATE_EXPIRED = 45,
    ALERT_CERTIFICATE_UNKNOWN = 46,
    ALERT_UNKNOWN_CA = 48,
    ALERT_DECODE_ERROR = 50,
    ALERT_DECRYPT_ERROR = 51,
    ALERT_PROTOCOL_VERSION = 70,
    ALERT_INSUFFICIENT_SECURITY = 71,
    ALERT_INAPPROPRIATE_FALLBACK = 86,
    ALERT_CERTIFICATE_REQUIRED = 116,
};

#define TLS13 0x0304

/* Tie-break order of causes of equal confidence: the more specific explanation first. */
enum {
    PRI_VERSION = 1,
    PRI_CIPHER,
    PRI_CERT,
    PRI_BYTES_MISSING,
    PRI_CORRUPTION_SEEN,
    PRI_PATH,
    PRI_GAP,
    PRI_RESUMPTION,
    PRI_CORRUPTION_INFERRED,
    PRI_UNKNOWN,
};

static const char *version_str(uint16_t v, char *buf, size_t len)
{
    const char *n = tls_version_name(v);
    if (n) {
        return n;
    }
    snprintf(buf, len, "0x%04x", v);
    return buf;
}

static const char *alert_str(uint8_t desc, char *buf, size_t len)
{
    const char *n = tls_alert_name(desc);
    if (n) {
        return n;
    }
    snprintf(buf, len, "alert %u", desc);
    return buf;
}

static const char *cipher_str(uint16_t id, char *buf, size_t len)
{
    const char *n = tls_cipher_name(id);
    if (n) {
        return n;
    }
    snprintf(buf, len, "0x%04x", id);
    return buf;
}

static char *client_versions_str(const struct tls_summary *t)
{
    GString *s = g_string_new(NULL);
    uint32_t n = MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS);
    for (uint32_t i = 0; i < n; i++) {
        char b[16];
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               version_str(t->client_versions[i], b, sizeof(b)));
    }
    if (n == 0) {
        g_string_append(s, "nothing recorded");
    }
    return g_string_free(s, FALSE);
}

static bool client_offered(const struct tls_summary *t, uint16_t v)
{
    uint32_t n = MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS);
    for (uint32_t i = 0; i < n; i++) {
        if (t->client_versions[i] == v) {
            return true;
        }
    }
    return false;
}

/* A duration for a sentence: milliseconds below a second (handshake-scale delays on a LAN are
 * fractions of a millisecond), seconds above. */
static const char *dur(int64_t us, char *buf, size_t len)
{
    if (us > -1000000 && us < 1000000) {
        g_snprintf(buf, len, "%.3f ms", (double)us / 1e3);
    } else {
        g_snprintf(buf, len, "%.3f s", (double)us / 1e6);
    }
    return buf;
}

static struct rpt_evidence *pin(struct rpt_evidence *e, int dir, bool has_offset, uint64_t offset,
                                bool has_length, uint64_t length, int64_t ts, uint64_t packet)
{
    e->dir = dir;
    e->has_offset = has_offset;
    e->offset = offset;
    e->has_length = has_length;
    e->length = length;
    e->ts_us = ts;
    e->packet = packet;
    return e;
}

/* Events strictly after the alert cannot have caused it; an unknown time (0) is kept. */
static bool before(int64_t ev_ts, int64_t alert_ts)
{
    return ev_ts == 0 || ev_ts <= alert_ts;
}

static bool alert_is_integrity(const struct tls_alert *a)
{
    return a->encrypted || a->description == ALERT_BAD_RECORD_MAC ||
           a->description == ALERT_DECRYPTION_FAILED || a->description == ALERT_RECORD_OVERFLOW ||
           a->description == ALERT_UNEXPECTED_MESSAGE || a->description == ALERT_DECODE_ERROR ||
           a->description == ALERT_DECRYPT_ERROR;
}

static bool alert_is_certificate(uint8_t d)
{
    return d == ALERT_BAD_CERTIFICATE || d == ALERT_UNSUPPORTED_CERTIFICATE ||
           d == ALERT_CERTIFICATE_REVOKED || d == ALERT_CERTIFICATE_EXPIRED ||
           d == ALERT_CERTIFICATE_UNKNOWN || d == ALERT_UNKNOWN_CA ||
           d == ALERT_CERTIFICATE_REQUIRED;
}

static void negotiation_causes(struct rpt_finding *f, const struct tls_summary *t,
                               const struct tls_alert *a)
{
    if (a->encrypted) {
        return;
    }
    char vb[16], ab[24];
    char *offered = client_versions_str(t);
    const char *sender = rpt_dir_name(a->from);
    if (a->description == ALERT_PROTOCOL_VERSION) {
        if (t->server_hello_seen && t->version) {
            rpt_finding_cause(f, "version_mismatch", RPT_CONF_HIGH, PRI_VERSION,
                              "the client offered %s; the server chose %s and the %s answered "
                              "protocol_version",
                              offered, version_str(t->version, vb, sizeof(vb)), sender);
        } else {
            rpt_finding_cause(f, "version_mismatch", RPT_CONF_HIGH, PRI_VERSION,
                              "the client offered %s and the %s answered protocol_version with "
                              "no ServerHello: no version in common",
                              offered, sender);
        }
    } else if (t->server_hello_seen && t->version && t->num_client_versions > 0 &&
               !client_offered(t, t->version)) {
        rpt_finding_cause(f, "version_mismatch", RPT_CONF_HIGH, PRI_VERSION,
                          "the server chose %s, which the client did not offer (%s)",
                          version_str(t->version, vb, sizeof(vb)), offered);
    } else if (a->description == ALERT_INAPPROPRIATE_FALLBACK) {
        rpt_finding_cause(f, "version_mismatch", RPT_CONF_MEDIUM, PRI_VERSION,
                          "inappropriate_fallback: the client retried with a lower version (%s) "
                          "than the server supports",
                          offered);
    }
    if ((a->description == ALERT_HANDSHAKE_FAILURE ||
         a->description == ALERT_INSUFFICIENT_SECURITY) &&
        !t->server_hello_seen) {
        rpt_finding_cause(f, "cipher_mismatch",
                          a->from == CAP_DIR_SERVER ? RPT_CONF_HIGH : RPT_CONF_MEDIUM, PRI_CIPHER,
                          "the %s answered %s before any ServerHello: the client's %u cipher "
                          "suites (or its groups or signature algorithms) had nothing the server "
                          "accepts",
                          sender, alert_str(a->description, ab, sizeof(ab)), t->num_client_ciphers);
        if (a->description == ALERT_HANDSHAKE_FAILURE && t->num_client_versions == 1) {
            rpt_finding_cause(f, "version_mismatch", RPT_CONF_LOW, PRI_VERSION,
                              "the client offered a single version (%s); servers that do not "
                              "support it may answer handshake_failure",
                              offered);
        }
    }
    if (alert_is_certificate(a->description)) {
        if (a->from == CAP_DIR_CLIENT) {
            const struct tls_certificate *c = t->cert;
            if (c && c->present) {
                rpt_finding_cause(f, "certificate_rejected", RPT_CONF_HIGH, PRI_CERT,
                                  "the client refused the server's certificate with %s "
                                  "(subject \"%s\", issuer \"%s\"%s)",
                                  alert_str(a->description, ab, sizeof(ab)), c->subject, c->issuer,
                                  c->self_signed ? ", self-signed" : "");
            } else {
                rpt_finding_cause(f, "certificate_rejected", RPT_CONF_HIGH, PRI_CERT,
                                  "the client refused the server's certificate with %s",
                                  alert_str(a->description, ab, sizeof(ab)));
            }
        } else {
            rpt_finding_cause(f, "certificate_rejected", RPT_CONF_MEDIUM, PRI_CERT,
                              "the server refused the client's certificate with %s",
                              alert_str(a->description, ab, sizeof(ab)));
        }
    }
    g_free(offered);
}

/* What the stream the alert's sender was receiving shows: desyncs, gaps, corruption, path
 * changes of the peer. Returns true when that stream had any such damage. */
static bool stream_causes(struct rpt_finding *f, const struct cap_flow_summary *fl,
                          const struct tls_summary *t, const struct tls_alert *a)
{
    int recv = a->from == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
    const char *peer = rpt_dir_name(recv);
    const struct cap_dir_stats *d = &fl->dir[recv];
    bool damaged = false;
    bool integrity = alert_is_integrity(a);

    uint32_t nd = MIN(t->num_desyncs, (uint32_t)TLS_MAX_DESYNCS);
    for (uint32_t i = 0; i < nd; i++) {
        const struct tls_desync *ds = &t->desyncs[i];
        if ((int)ds->from != recv || ds->after_gap || !before(ds->ts_us, a->ts_us)) {
            continue;
        }
        damaged = true;
        char size[96];
        if (ds->estimated_missing_bytes > 0) {
            g_snprintf(size, sizeof(size),
                       "about %" G_GINT64_FORMAT " bytes missing from the record",
                       ds->estimated_missing_bytes);
        } else if (ds->estimated_missing_bytes < 0) {
            g_snprintf(size, sizeof(size), "about %" G_GINT64_FORMAT " bytes extra in the stream",
                       -ds->estimated_missing_bytes);
        } else {
            g_strlcpy(size, "the size of the loss could not be estimated", sizeof(size));
        }
        rpt_finding_cause(f, "bytes_missing_in_stream", integrity ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                          PRI_BYTES_MISSING,
                          "the %s's record framing broke at stream offset %" G_GUINT64_FORMAT
                          " (last good header at %" G_GUINT64_FORMAT ") with no TCP gap: %s; the "
                          "capture saw the TCP stream intact, so the %s or a middlebox before the "
                          "capture point lost or added bytes (a short write)",
                          peer, ds->bad_offset, ds->last_good_offset, size, peer);
        pin(rpt_finding_evidence(
                f,
                "%s record framing broke at offset %" G_GUINT64_FORMAT
                ", estimated %" G_GINT64_FORMAT " bytes missing, %" G_GUINT64_FORMAT
                " bytes skipped to resynchronise",
                peer, ds->bad_offset, ds->estimated_missing_bytes, ds->skipped_bytes),
            recv, true, ds->bad_offset, false, 0, ds->ts_us, 0);
        break; /* the first break explains the alert; later ones follow from it */
    }

    uint32_t ni = MIN(d->num_incons, (uint32_t)CAP_MAX_INCONS);
    for (uint32_t i = 0; i < ni; i++) {
        const struct cap_incons *ic = &d->incons[i];
        if (!before(ic->ts_us, a->ts_us)) {
            continue;
        }
        damaged = true;
        rpt_finding_cause(
            f, "in_flight_corruption", RPT_CONF_HIGH, PRI_CORRUPTION_SEEN,
            "the %s's TCP bytes at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
            " bytes) were seen twice with different content (packet %" G_GUINT64_FORMAT
            "): they were corrupted on the path",
            peer, ic->offset, ic->len, ic->pkt_index);
        pin(rpt_finding_evidence(f, "inconsistent retransmission in the %s stream", peer), recv,
            true, ic->offset, true, ic->len, ic->ts_us, ic->pkt_index);
        break;
    }

    const struct cap_change *ch = NULL;
    const char *ch_what = NULL;
    uint32_t nt = MIN(d->num_ttl_changes, (uint32_t)CAP_MAX_CHANGES);
    for (uint32_t i = 0; i < nt && !ch; i++) {
        if (before(d->ttl_changes[i].ts_us, a->ts_us)) {
            ch = &d->ttl_changes[i];
            ch_what = "TTL";
        }
    }
    uint32_t nl = MIN(d->num_link_src_changes, (uint32_t)CAP_MAX_CHANGES);
    for (uint32_t i = 0; i < nl && !ch; i++) {
        if (before(d->link_src_changes[i].ts_us, a->ts_us)) {
            ch = &d->link_src_changes[i];
            ch_what = "link-layer source address";
        }
    }
    if (ch) {
        damaged = true;
        if (ch->len == 1) {
            rpt_finding_cause(f, "path_change", integrity ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                              PRI_PATH,
                              "the %s's TTL changed from %u to %u at packet %" G_GUINT64_FORMAT
                              ", before the alert: a load balancer or failover may have handed the "
                              "connection to another peer",
                              peer, ch->old_val[0], ch->new_val[0], ch->pkt_index);
        } else {
            rpt_finding_cause(f, "path_change", integrity ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                              PRI_PATH,
                              "the %s's %s changed at packet %" G_GUINT64_FORMAT
                              ", before the alert: a load balancer or failover may have handed the "
                              "connection to another peer",
                              peer, ch_what, ch->pkt_index);
        }
        pin(rpt_finding_evidence(f, "%s %s changed", peer, ch_what), recv, false, 0, false, 0,
            ch->ts_us, ch->pkt_index);
    }

    const struct tls_dir_summary *td = &t->dir[recv];
    int64_t close_ts = d->fin_seen ? d->fin_ts_us : d->rst_ts_us;
    if (td->truncated && before(close_ts, a->ts_us)) {
        damaged = true;
        rpt_finding_cause(f, "stream_truncated", RPT_CONF_HIGH, PRI_BYTES_MISSING,
                          "the %s closed its stream at offset %" G_GUINT64_FORMAT " in the middle "
                          "of a %u-byte record that began at offset %" G_GUINT64_FORMAT ", with no "
                          "TCP gap: the %s or a middlebox cut the TLS stream short, and the %s "
                          "could not finish reading the record",
                          peer, td->truncated_at, td->last_record.length, td->last_record.offset,
                          peer, rpt_dir_name(a->from));
        pin(rpt_finding_evidence(f,
                                 "%s stream ends at %" G_GUINT64_FORMAT
                                 " inside the record at %" G_GUINT64_FORMAT,
                                 peer, td->truncated_at, td->last_record.offset),
            recv, true, td->truncated_at, false, 0, close_ts, 0);
    }

    uint32_t ng = MIN(d->num_gaps, (uint32_t)CAP_MAX_GAPS);
    for (uint32_t i = 0; i < ng; i++) {
        const struct cap_gap *g = &d->gaps[i];
        if (!before(g->ts_us, a->ts_us)) {
            continue;
        }
        damaged = true;
        bool acked = g->reason == CAP_GAP_ACKED_UNSEEN;
        rpt_finding_cause(f, "capture_gap", acked ? RPT_CONF_LOW : RPT_CONF_MEDIUM, PRI_GAP,
                          "the capture missed %" G_GUINT64_FORMAT " bytes of the %s stream at "
                          "offset %" G_GUINT64_FORMAT " (%s)%s: the capture cannot tell what the "
                          "%s received there",
                          g->len, peer, g->offset, cap_gap_reason_name(g->reason),
                          acked ? ", which the receiver acknowledged" : "", rpt_dir_name(a->from));
        pin(rpt_finding_evidence(f, "gap of %" G_GUINT64_FORMAT " bytes in the %s stream (%s)",
                                 g->len, peer, cap_gap_reason_name(g->reason)),
            recv, true, g->offset, true, g->len, g->ts_us, 0);
        break;
    }
    return damaged;
}

static void fatal_alert(struct rpt_finding **out_f, const struct rpt_connection *c,
                        const struct tls_alert *a)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    char ab[24], ts[32], db[32];
    const char *sender = rpt_dir_name(a->from);
    int recv = a->from == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
    char *summary;
    if (a->encrypted) {
        summary = g_strdup_printf(
            "The %s sent an encrypted alert (%u-byte record) at %s, stream offset "
            "%" G_GUINT64_FORMAT ", %s after the connection started; it is taken as fatal: %s.",
            sender, a->record_len, rpt_format_ts(a->ts_us, ts, sizeof(ts)), a->offset,
            dur(a->ts_us - fl->first_ts_us, db, sizeof(db)), rpt_alert_fatal_why(fl, t, a));
    } else {
        summary =
            g_strdup_printf("The %s sent a fatal %s alert at %s, stream offset %" G_GUINT64_FORMAT
                            ", %s after the connection started.",
                            sender, alert_str(a->description, ab, sizeof(ab)),
                            rpt_format_ts(a->ts_us, ts, sizeof(ts)), a->offset,
                            dur(a->ts_us - fl->first_ts_us, db, sizeof(db)));
    }
    /* An encrypted alert taken as fatal only because it came right after the handshake may be a
     * close_notify from a client that only tests the connection (openssl s_time, health
     * checks): a warning, with that reading among the causes. */
    const char *why = rpt_alert_fatal_why(fl, t, a);
    bool timing_only =
        a->encrypted && a->level != 2 && why != NULL && strcmp(why, RPT_WHY_BEFORE_APP_DATA) == 0;
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_FATAL_ALERT, timing_only ? RPT_SEV_WARNING : RPT_SEV_ERROR, fl->id,
                        a->ts_us, summary);
    if (timing_only) {
        rpt_finding_cause(f, "close_right_after_handshake", RPT_CONF_MEDIUM,
                          PRI_CORRUPTION_INFERRED,
                          "the %s may have sent close_notify at once: clients that only test a "
                          "connection do; a %s that rejected the peer's Finished or certificate "
                          "looks the same on the wire",
                          sender, sender);
    }
    pin(rpt_finding_evidence(
            f, "%s alert %s from the %s (%u-byte record)%s", a->encrypted ? "encrypted" : "fatal",
            a->encrypted ? "(description encrypted)" : alert_str(a->description, ab, sizeof(ab)),
            sender, a->record_len, a->probable ? ", inferred from the record size" : ""),
        a->from, true, a->offset, true, a->record_len, a->ts_us, 0);
    char *offered = client_versions_str(t);
    char vb[16], cb[16];
    rpt_finding_evidence(
        f, "client offered %s with %u cipher suites; ServerHello %s%s%s%s", offered,
        t->num_client_ciphers, t->server_hello_seen ? "chose " : "not seen",
        t->server_hello_seen && t->version ? version_str(t->version, vb, sizeof(vb)) : "",
        t->server_hello_seen && t->cipher_known ? " " : "",
        t->server_hello_seen && t->cipher_known ? cipher_str(t->cipher, cb, sizeof(cb)) : "");
    if (t->history[0]) {
        rpt_finding_evidence(f, "TLS history %s, handshake %s", t->history,
                             tls_handshake_kind_name(t->handshake));
    }
    g_free(offered);

    negotiation_causes(f, t, a);
    bool damaged = stream_causes(f, fl, t, a);

    bool resumed = t->handshake == TLS_HS_RESUMED || t->resumption == TLS_RESUME_ACCEPTED;
    if (resumed) {
        bool early = a->before_app_data ||
                     (t->dir[0].app_data_records == 0 && t->dir[1].app_data_records == 0);
        enum rpt_confidence conf = !early                  ? RPT_CONF_LOW
                                   : alert_is_integrity(a) ? RPT_CONF_HIGH
                                                           : RPT_CONF_MEDIUM;
        rpt_finding_cause(f, "resumption_state_mismatch", conf, PRI_RESUMPTION,
                          "the alert %s an abbreviated handshake: the two sides may not hold the "
                          "same session state (keys of a session the server no longer has, or of "
                          "another server behind the same address)",
                          early ? "came right after" : "followed, later,");
    }
    if (!damaged && alert_is_integrity(a) &&
        (a->encrypted || a->description == ALERT_BAD_RECORD_MAC ||
         a->description == ALERT_DECRYPTION_FAILED)) {
        rpt_finding_cause(f, "in_flight_corruption", timing_only ? RPT_CONF_LOW : RPT_CONF_MEDIUM,
                          PRI_CORRUPTION_INFERRED,
                          "the capture point saw the %s stream intact (no TCP gap, no framing "
                          "break, no path change, no inconsistent retransmission): the bytes were "
                          "damaged between the capture point and the %s, or in an endpoint",
                          rpt_dir_name(recv), sender);
    }
    if (f->num_causes == 0) {
        rpt_finding_cause(f, "unknown", RPT_CONF_LOW, PRI_UNKNOWN,
                          "nothing in the capture explains it: the %s rejected something in the %s "
                          "stream that the capture does not show",
                          sender, rpt_dir_name(recv));
    }
    *out_f = f;
}

static void resumption_refused(const struct rpt_ctx *r, const struct rpt_connection *c,
                               GPtrArray *out)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
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
    struct rpt_finding *f = rpt_finding_new(RPT_K_RESUMPTION_REFUSED, RPT_SEV_WARNING, fl->id, ts,
                                            g_string_free(s, FALSE));
    pin(rpt_finding_evidence(f, "client offered %s %s; resumption %s, handshake %s", what, key_text,
                             tls_resumption_outcome_name(t->resumption),
                             tls_handshake_kind_name(t->handshake)),
        CAP_DIR_CLIENT, false, 0, false, 0, ts, 0);
    if (o) {
        char eb[32], db[32];
        rpt_finding_related(f, o->conn_id);
        pin(rpt_finding_evidence(
                f,
                "C%" G_GUINT64_FORMAT " %s it; it ended at %s (%s, closed by %s),"
                " close_notify client %s, server %s, %s before this offer",
                o->conn_id, o->resumed ? "last resumed" : "issued",
                rpt_format_ts(o->end_ts_us, eb, sizeof(eb)), cap_end_reason_name(o->end_reason),
                o->closed_by >= 0 ? rpt_dir_name(o->closed_by) : "nobody",
                tls_close_notify_name(o->close_notify[0]),
                tls_close_notify_name(o->close_notify[1]), dur(ts - o->end_ts_us, db, sizeof(db))),
            -1, false, 0, false, 0, o->end_ts_us, 0);
        bool unknown =
            !o->unclean && (o->close_notify[0] != TLS_CN_YES || o->close_notify[1] != TLS_CN_YES);
        if (o->unclean) {
            rpt_finding_cause(f, "prior_unclean_close", RPT_CONF_HIGH, 1,
                              "C%" G_GUINT64_FORMAT " ended without close_notify: servers such as "
                              "JDK and OpenSSL invalidate a session whose connection was not shut "
                              "down cleanly",
                              o->conn_id);
            rpt_finding_cause(f, "server_cache_miss", RPT_CONF_LOW, 2,
                              "the server may also have dropped the session from its cache");
        } else if (unknown) {
            rpt_finding_cause(f, "server_cache_miss", RPT_CONF_MEDIUM, 2,
                              "the server no longer had the session (cache size or timeout, ticket "
                              "key rotation, or another server behind the same address)");
            rpt_finding_cause(f, "prior_unclean_close", RPT_CONF_LOW, 1,
                              "the capture cannot tell whether C%" G_GUINT64_FORMAT " ended with "
                              "close_notify",
                              o->conn_id);
        } else {
            rpt_finding_cause(f, "server_cache_miss", RPT_CONF_MEDIUM, 2,
                              "C%" G_GUINT64_FORMAT " closed cleanly, yet the server no longer had "
                              "the session (cache size or timeout, ticket key rotation, or another "
                              "server behind the same address)",
                              o->conn_id);
        }
    } else {
        rpt_finding_cause(f, "server_cache_miss", RPT_CONF_LOW, 2,
                          "the session was issued before the capture started; the server no longer "
                          "had it");
    }
    g_ptr_array_add(out, f);
}

static void dir_findings(const struct cap_flow_summary *fl, const struct tls_summary *t, int dir,
                         GPtrArray *out)
{
    const struct cap_dir_stats *d = &fl->dir[dir];
    const char *side = rpt_dir_name(dir);
    if (d->num_gaps > 0) {
        const struct cap_gap *g0 = &d->gaps[0];
        char *sum = g_strdup_printf(
            "The capture missed %" G_GUINT64_FORMAT " bytes of the %s stream in %u gap%s, the "
            "first at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes, %s).",
            d->missing_bytes, side, d->num_gaps, d->num_gaps == 1 ? "" : "s", g0->offset, g0->len,
            cap_gap_reason_name(g0->reason));
        struct rpt_finding *f =
            rpt_finding_new(RPT_K_STREAM_GAP, RPT_SEV_WARNING, fl->id, g0->ts_us, sum);
        uint32_t ng = MIN(d->num_gaps, (uint32_t)CAP_MAX_GAPS);
        bool acked = false, limit = false, ended = false;
        for (uint32_t i = 0; i < ng; i++) {
            const struct cap_gap *g = &d->gaps[i];
            pin(rpt_finding_evidence(f, "gap of %" G_GUINT64_FORMAT " bytes (%s)", g->len,
                                     cap_gap_reason_name(g->reason)),
                dir, true, g->offset, true, g->len, g->ts_us, 0);
            acked |= g->reason == CAP_GAP_ACKED_UNSEEN;
            limit |= g->reason == CAP_GAP_OOO_CAP || g->reason == CAP_GAP_MEMORY_CAP;
            ended |= g->reason == CAP_GAP_FLOW_END || g->reason == CAP_GAP_TIMEOUT;
        }
        if (t) {
            uint32_t nd = MIN(t->num_desyncs, (uint32_t)TLS_MAX_DESYNCS);
            for (uint32_t i = 0; i < nd; i++) {
                const struct tls_desync *ds = &t->desyncs[i];
                if ((int)ds->from == dir && ds->after_gap) {
                    pin(rpt_finding_evidence(f,
                                             "record framing %s after the gap (%" G_GUINT64_FORMAT
                                             " bytes skipped)",
                                             ds->resynced ? "resynchronised" : "was not recovered",
                                             ds->skipped_bytes),
                        dir, true, ds->resync_offset, false, 0, ds->ts_us, 0);
                }
            }
        }
        if (acked) {
            rpt_finding_cause(f, "capture_loss", RPT_CONF_HIGH, 1,
                              "the receiver acknowledged bytes the capture never saw: the capture "
                              "(SPAN port, ring buffer, snaplen) dropped them, not the network");
        }
        if (limit) {
            rpt_finding_cause(f, "capture_limit", RPT_CONF_HIGH, 2,
                              "tlsscope's out-of-order or memory cap turned a hole into a gap");
        }
        if (ended) {
            rpt_finding_cause(f, "capture_ended", RPT_CONF_MEDIUM, 3,
                              "the hole was never filled before the flow or capture ended");
        }
        g_ptr_array_add(out, f);
    }
    if (d->num_incons > 0) {
        const struct cap_incons *i0 = &d->incons[0];
        char *sum = g_strdup_printf(
            "The %s stream carried %u retransmission%s with different bytes than the first copy, "
            "the first at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
            " bytes, packet %" G_GUINT64_FORMAT ").",
            side, d->num_incons, d->num_incons == 1 ? "" : "s", i0->offset, i0->len, i0->pkt_index);
        struct rpt_finding *f = rpt_finding_new(RPT_K_INCONSISTENT_RETRANSMISSION, RPT_SEV_ERROR,
                                                fl->id, i0->ts_us, sum);
        uint32_t n = MIN(d->num_incons, (uint32_t)CAP_MAX_INCONS);
        for (uint32_t i = 0; i < n; i++) {
            const struct cap_incons *ic = &d->incons[i];
            pin(rpt_finding_evidence(f, "retransmitted bytes differ"), dir, true, ic->offset, true,
                ic->len, ic->ts_us, ic->pkt_index);
        }
        rpt_finding_cause(f, "in_flight_corruption", RPT_CONF_HIGH, 1,
                          "the same TCP sequence range arrived twice with different content: a "
                          "device on the path (or the sender's NIC) corrupted one copy");
        g_ptr_array_add(out, f);
    }
    if (d->num_ttl_changes > 0 || d->num_link_src_changes > 0) {
        const struct cap_change *ch =
            d->num_ttl_changes > 0 ? &d->ttl_changes[0] : &d->link_src_changes[0];
        char *sum;
        if (d->num_ttl_changes > 0) {
            sum = g_strdup_printf(
                "The %s's TTL changed %u time%s within the connection, first from "
                "%u to %u at packet %" G_GUINT64_FORMAT "%s.",
                side, d->num_ttl_changes, d->num_ttl_changes == 1 ? "" : "s", ch->old_val[0],
                ch->new_val[0], ch->pkt_index,
                d->num_link_src_changes ? "; its link-layer source changed too" : "");
        } else {
            sum = g_strdup_printf("The %s's link-layer source address changed %u time%s within the "
                                  "connection, first at packet %" G_GUINT64_FORMAT ".",
                                  side, d->num_link_src_changes,
                                  d->num_link_src_changes == 1 ? "" : "s", ch->pkt_index);
        }
        struct rpt_finding *f =
            rpt_finding_new(RPT_K_PATH_CHANGE, RPT_SEV_WARNING, fl->id, ch->ts_us, sum);
        uint32_t n = MIN(d->num_ttl_changes, (uint32_t)CAP_MAX_CHANGES);
        for (uint32_t i = 0; i < n; i++) {
            const struct cap_change *c = &d->ttl_changes[i];
            pin(rpt_finding_evidence(f, "TTL %u -> %u", c->old_val[0], c->new_val[0]), dir, false,
                0, false, 0, c->ts_us, c->pkt_index);
        }
        n = MIN(d->num_link_src_changes, (uint32_t)CAP_MAX_CHANGES);
        for (uint32_t i = 0; i < n; i++) {
            const struct cap_change *c = &d->link_src_changes[i];
            char ob[3 * CAP_LINK_ADDR_MAX + 1], nb[3 * CAP_LINK_ADDR_MAX + 1];
            pin(rpt_finding_evidence(
                    f, "link source %s -> %s",
                    rpt_hex(c->old_val, MIN(c->len, CAP_LINK_ADDR_MAX), ob, sizeof(ob)),
                    rpt_hex(c->new_val, MIN(c->len, CAP_LINK_ADDR_MAX), nb, sizeof(nb))),
                dir, false, 0, false, 0, c->ts_us, c->pkt_index);
        }
        rpt_finding_cause(f, "load_balancer_or_failover", RPT_CONF_MEDIUM, 1,
                          "another device started answering for the %s mid-connection", side);
        rpt_finding_cause(f, "route_change", RPT_CONF_LOW, 2,
                          "the route between the %s and the capture point changed", side);
        g_ptr_array_add(out, f);
    }
    if (t && t->dir[dir].truncated) {
        const struct tls_dir_summary *td = &t->dir[dir];
        const struct cap_dir_stats *ds = &fl->dir[dir];
        char *sum = g_strdup_printf("The %s's TLS stream ended with %s at offset %" G_GUINT64_FORMAT
                                    " in the middle of a "
                                    "%u-byte record that began at offset %" G_GUINT64_FORMAT
                                    ", with no TCP gap: the stream was truncated.",
                                    side, ds->fin_seen ? "FIN" : "RST", td->truncated_at,
                                    td->last_record.length, td->last_record.offset);
        struct rpt_finding *f = rpt_finding_new(RPT_K_TRUNCATED_STREAM, RPT_SEV_ERROR, fl->id,
                                                ds->fin_seen ? ds->fin_ts_us : ds->rst_ts_us, sum);
        rpt_finding_cause(f, "sender_or_middlebox_cut_stream", RPT_CONF_HIGH, 1,
                          "the %s, or a proxy or load balancer in front of it, closed the TCP "
                          "connection before the record it was sending was complete",
                          side);
        g_ptr_array_add(out, f);
    }
    if (t && t->dir[dir].oversized_records > 0) {
        char *sum = g_strdup_printf(
            "The %s sent %" G_GUINT64_FORMAT " record%s longer than the TLS "
            "limit (2^14 + 2048 bytes of ciphertext).",
            side, t->dir[dir].oversized_records, t->dir[dir].oversized_records == 1 ? "" : "s");
        struct rpt_finding *f =
            rpt_finding_new(RPT_K_OVERSIZED_RECORD, RPT_SEV_WARNING, fl->id, fl->last_ts_us, sum);
        rpt_finding_cause(f, "nonconforming_peer", RPT_CONF_MEDIUM, 1,
                          "RFC 8446 §5.1 and RFC 5246 §6.2 bound record length; the receiver must "
                          "answer record_overflow");
        g_ptr_array_add(out, f);
    }
}

static void desync_findings(const struct cap_flow_summary *fl, const struct tls_summary *t,
                            GPtrArray *out)
{
    uint32_t nd = MIN(t->num_desyncs, (uint32_t)TLS_MAX_DESYNCS);
    for (uint32_t i = 0; i < nd; i++) {
        const struct tls_desync *ds = &t->desyncs[i];
        if (ds->after_gap) {
            continue; /* reported with the stream_gap it follows from */
        }
        const char *side = rpt_dir_name(ds->from);
        GString *s = g_string_new(NULL);
        g_string_append_printf(
            s,
            "The %s's TLS record framing broke at stream offset %" G_GUINT64_FORMAT
            " inside an intact TCP stream (last good header at %" G_GUINT64_FORMAT ")",
            side, ds->bad_offset, ds->last_good_offset);
        if (ds->resynced && ds->skipped_bytes > 0) {
            g_string_append_printf(s,
                                   "; %" G_GUINT64_FORMAT
                                   " bytes were skipped to resynchronise at %" G_GUINT64_FORMAT,
                                   ds->skipped_bytes, ds->resync_offset);
        } else if (ds->resynced) {
            g_string_append_printf(s, "; the record chain resumed at offset %" G_GUINT64_FORMAT,
                                   ds->resync_offset);
        } else {
            g_string_append(s, "; no plausible record chain was found again");
        }
        if (ds->estimated_missing_bytes > 0) {
            g_string_append_printf(s,
                                   ", and about %" G_GINT64_FORMAT " bytes are missing from the "
                                   "damaged record.",
                                   ds->estimated_missing_bytes);
        } else if (ds->estimated_missing_bytes < 0) {
            g_string_append_printf(s, ", and about %" G_GINT64_FORMAT " extra bytes were inserted.",
                                   -ds->estimated_missing_bytes);
        } else {
            g_string_append(s, ".");
        }
        struct rpt_finding *f = rpt_finding_new(RPT_K_RECORD_DESYNC, RPT_SEV_ERROR, fl->id,
                                                ds->ts_us, g_string_free(s, FALSE));
        pin(rpt_finding_evidence(f, "last record header that parsed"), ds->from, true,
            ds->last_good_offset, false, 0, 0, 0);
        pin(rpt_finding_evidence(f, "header that failed validation"), ds->from, true,
            ds->bad_offset, false, 0, ds->ts_us, 0);
        if (ds->resynced) {
            pin(rpt_finding_evidence(f, "framing found again"), ds->from, true, ds->resync_offset,
                true, ds->skipped_bytes, 0, 0);
        }
        if (ds->estimated_missing_bytes > 0) {
            rpt_finding_cause(f, "bytes_missing_in_stream", RPT_CONF_HIGH, 1,
                              "every TCP byte was captured, yet about %" G_GINT64_FORMAT " bytes "
                              "of a record never entered the stream: the %s (a short write, e.g. "
                              "an io_uring send) or a middlebox before the capture point lost them",
                              ds->estimated_missing_bytes, side);
        } else if (ds->estimated_missing_bytes < 0) {
            rpt_finding_cause(f, "bytes_injected_in_stream", RPT_CONF_HIGH, 1,
                              "every TCP byte was captured, yet about %" G_GINT64_FORMAT " bytes "
                              "that belong to no record were in the stream: the %s or a middlebox "
                              "wrote them",
                              -ds->estimated_missing_bytes, side);
        } else {
            rpt_finding_cause(f, "framing_break", RPT_CONF_MEDIUM, 1,
                              "the %s's stream stopped framing as TLS records without a TCP gap",
                              side);
        }
        g_ptr_array_add(out, f);
    }
}

/* Ports where a non-TLS payload is worth a note: HTTPS and the implicit-TLS mail, LDAP and
 * alternative HTTPS ports (IANA service names registry). */
static bool tls_port(uint16_t p)
{
    return p == 443 || p == 8443 || p == 465 || p == 636 || p == 853 || p == 989 || p == 990 ||
           p == 992 || p == 993 || p == 994 || p == 995;
}

void rpt_findings_connection(const struct rpt_ctx *r, const struct rpt_connection *c,
                             GPtrArray *out, struct rpt_routine_resets *routine)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    bool is_tls = t && t->is_tls;
    char vb[16], cb[16];

    if (is_tls) {
        uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
        for (uint32_t i = 0; i < na; i++) {
            if (rpt_alert_is_fatal(c->flow, t, &t->alerts[i])) {
                struct rpt_finding *f;
                fatal_alert(&f, c, &t->alerts[i]);
                g_ptr_array_add(out, f);
                break; /* a fatal alert ends the connection; the rest are its echo */
            }
        }
        if (t->offered && t->resumption == TLS_RESUME_REFUSED &&
            !rpt_sid_offer_is_filler(r->origins, t)) {
            resumption_refused(r, c, out);
        }
        desync_findings(fl, t, out);
    }
    for (int d = 0; d < 2; d++) {
        dir_findings(fl, t, d, out);
    }
    if (!is_tls) {
        if (t && t->not_tls && tls_port(fl->server_port)) {
            /* A client speaking plaintext to a TLS port (HTTP to 443) is a classic
             * misconfiguration, so this is a warning, not trivia. */
            bool named = c->app && strcmp(c->app, "Unknown") != 0;
            char *sum = named ? g_strdup_printf("Port %u, a TLS port, carried %s, not TLS (nDPI).",
                                                fl->server_port, c->app)
                              : g_strdup_printf("Port %u, a TLS port, carried bytes that do not "
                                                "frame as TLS.",
                                                fl->server_port);
            struct rpt_finding *f =
                rpt_finding_new(RPT_K_NOT_TLS, RPT_SEV_WARNING, fl->id, fl->first_ts_us, sum);
            rpt_finding_cause(f, "other_protocol", RPT_CONF_MEDIUM, 1, "%s",
                              c->app ? c->app : "the payload is not a TLS record");
            g_ptr_array_add(out, f);
        }
        return;
    }
    if (t->handshake == TLS_HS_INCOMPLETE) {
        int64_t start = t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us;
        char tsb[32], db[32];
        char *sum = g_strdup_printf(
            "The handshake started at %s and had not finished when the "
            "connection ended (%s, %s later; history %s).",
            rpt_format_ts(start, tsb, sizeof(tsb)), cap_end_reason_name(fl->end_reason),
            dur(fl->last_ts_us - start, db, sizeof(db)), t->history[0] ? t->history : "-");
        struct rpt_finding *f = rpt_finding_new(RPT_K_INCOMPLETE_HANDSHAKE, RPT_SEV_WARNING, fl->id,
                                                fl->last_ts_us, sum);
        if (fl->dir[0].num_gaps || fl->dir[1].num_gaps) {
            rpt_finding_cause(f, "capture_gap", RPT_CONF_MEDIUM, 1,
                              "the capture missed bytes of this connection; the rest of the "
                              "handshake may be in them");
        }
        if (fl->end_reason == CAP_END_CAPTURE_END) {
            rpt_finding_cause(f, "capture_ended", RPT_CONF_MEDIUM, 2,
                              "the capture ended with the connection open");
        } else if (fl->dir[0].rst_seen || fl->dir[1].rst_seen) {
            rpt_finding_cause(f, "peer_reset", RPT_CONF_MEDIUM, 3,
                              "a side reset the connection during the handshake");
        } else {
            rpt_finding_cause(f, "peer_abandoned", RPT_CONF_LOW, 4,
                              "a side stopped answering or closed during the handshake");
        }
        g_ptr_array_add(out, f);
    }
    for (int d = 0; d < 2; d++) {
        const struct cap_dir_stats *ds = &fl->dir[d];
        if (!ds->rst_seen) {
            continue;
        }
        bool after_notify = t->dir[d].close_notify == TLS_CN_YES;
        /* A reset that an unclean_close or fatal_alert finding already explains is noted as
         * info; only a reset nothing else accounts for (during the handshake, say) warns. */
        unsigned unclean = 0;
        bool covered = rpt_conn_wants_unclean(c, &unclean) && (unclean & (1u << d));
        bool fatal = false;
        for (uint32_t i = 0; i < MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS); i++) {
            fatal |= rpt_alert_is_fatal(fl, t, &t->alerts[i]);
        }
        enum rpt_severity sev = after_notify || covered || fatal ? RPT_SEV_INFO : RPT_SEV_WARNING;
        if (sev == RPT_SEV_INFO && routine != NULL) {
            if (routine->count == 0 || ds->rst_ts_us < routine->first_ts_us) {
                routine->first_ts_us = ds->rst_ts_us;
            }
            routine->count++;
            routine->after_shutdown |= after_notify;
            continue;
        }
        char tsb[32];
        char *sum = g_strdup_printf(
            "The %s reset the connection at %s (stream offset %" G_GUINT64_FORMAT ")%s.",
            rpt_dir_name(d), rpt_format_ts(ds->rst_ts_us, tsb, sizeof(tsb)), ds->rst_offset,
            after_notify ? " after sending close_notify"
            : covered    ? " without sending close_notify"
            : fatal      ? " after a fatal alert"
                         : "");
        struct rpt_finding *f = rpt_finding_new(RPT_K_TCP_RESET, sev, fl->id, ds->rst_ts_us, sum);
        pin(rpt_finding_evidence(f, "RST from the %s", rpt_dir_name(d)), d, true, ds->rst_offset,
            false, 0, ds->rst_ts_us, 0);
        if (after_notify) {
            rpt_finding_cause(f, "abortive_close_after_shutdown", RPT_CONF_HIGH, 1,
                              "the TLS session was shut down; the socket was then closed with "
                              "unread data or SO_LINGER 0");
        } else if (covered) {
            rpt_finding_cause(f, "abortive_close", RPT_CONF_HIGH, 1,
                              "the %s closed the socket with unread data or SO_LINGER 0 instead "
                              "of a TLS shutdown (an unclean close)",
                              rpt_dir_name(d));
        } else if (fatal) {
            rpt_finding_cause(f, "abort_after_fatal_alert", RPT_CONF_HIGH, 1,
                              "a fatal alert ended the TLS connection; the reset follows from it");
        } else {
            rpt_finding_cause(f, "abortive_close", RPT_CONF_MEDIUM, 1,
                              "the %s's application or kernel aborted the connection",
                              rpt_dir_name(d));
        }
        g_ptr_array_add(out, f);
    }
    if (t->version == 0x0002 || t->version == 0x0300 || t->version == 0x0301 ||
        t->version == 0x0302) {
        char *sum = g_strdup_printf("The connection negotiated %s, which RFC 8996 deprecates.",
                                    version_str(t->version, vb, sizeof(vb)));
        struct rpt_finding *f =
            rpt_finding_new(RPT_K_OBSOLETE_VERSION, RPT_SEV_WARNING, fl->id,
                            t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us, sum);
        rpt_finding_cause(f, "legacy_endpoint", RPT_CONF_HIGH, 1,
                          "the server chose it (or the client offered nothing newer)");
        g_ptr_array_add(out, f);
    }
    if (t->cipher_known && tls_cipher_is_weak(t->cipher)) {
        char *sum = g_strdup_printf("The connection uses the weak cipher suite %s.",
                                    cipher_str(t->cipher, cb, sizeof(cb)));
        struct rpt_finding *f =
            rpt_finding_new(RPT_K_WEAK_CIPHER, RPT_SEV_WARNING, fl->id,
                            t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us, sum);
        rpt_finding_cause(
            f, "legacy_configuration", RPT_CONF_HIGH, 1,
            "RC4, NULL, EXPORT, 3DES and anonymous suites are broken or unauthenticated");
        g_ptr_array_add(out, f);
    }
}

bool rpt_conn_wants_unclean(const struct rpt_connection *c, unsigned *out_sides)
{
    const struct tls_summary *t = c->tls;
    if (!t || !t->is_tls) {
        return false;
    }
    if (!(t->handshake == TLS_HS_FULL || t->handshake == TLS_HS_RESUMED || t->midstream)) {
        return false;
    }
    uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    for (uint32_t i = 0; i < na; i++) {
        if (rpt_alert_is_fatal(c->flow, t, &t->alerts[i])) {
            return false;
        }
    }
    unsigned sides = rpt_unclean_sides(c->flow, t);
    *out_sides = sides;
    return sides != 0;
}

struct rpt_finding *rpt_findings_unclean_close(const struct rpt_connection *c, unsigned sides)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    GString *s = g_string_new(NULL);
    int64_t ts = fl->last_ts_us;
    bool first = true;
    for (int d = 0; d < 2; d++) {
        if (!(sides & (1u << d))) {
            continue;
        }
        const struct cap_dir_stats *ds = &fl->dir[d];
        bool rst = ds->rst_seen && (!ds->fin_seen || ds->rst_ts_us < ds->fin_ts_us);
        int64_t cts = rst ? ds->rst_ts_us : ds->fin_ts_us;
        if (first) {
            ts = cts;
        }
        g_string_append_printf(s, "%s%s closed with %s without sending close_notify",
                               first ? "The " : "; the ", rpt_dir_name(d), rst ? "RST" : "FIN");
        first = false;
    }
    g_string_append_printf(s, " (close_notify client: %s, server: %s).",
                           tls_close_notify_name(t->dir[0].close_notify),
                           tls_close_notify_name(t->dir[1].close_notify));
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_UNCLEAN_CLOSE, RPT_SEV_WARNING, fl->id, ts, g_string_free(s, FALSE));
    rpt_finding_set_server(f, &fl->server_ip, fl->server_port);
    for (int d = 0; d < 2; d++) {
        if (!(sides & (1u << d))) {
            continue;
        }
        const struct cap_dir_stats *ds = &fl->dir[d];
        const char *reason = t->dir[d].close_notify_reason;
        if (ds->fin_seen) {
            pin(rpt_finding_evidence(f, "FIN from the %s, no close_notify%s%s", rpt_dir_name(d),
                                     reason ? ": " : "", reason ? reason : ""),
                d, true, ds->fin_offset, false, 0, ds->fin_ts_us, 0);
        }
        if (ds->rst_seen) {
            pin(rpt_finding_evidence(f, "RST from the %s, no close_notify%s%s", rpt_dir_name(d),
                                     reason ? ": " : "", reason ? reason : ""),
                d, true, ds->rst_offset, false, 0, ds->rst_ts_us, 0);
        }
    }
    rpt_finding_cause(f, "no_tls_shutdown", RPT_CONF_HIGH, 1,
                      "the application closed the socket without a TLS shutdown (health checks and "
                      "some HTTP clients do); JDK and OpenSSL servers then invalidate the session, "
                      "so the next connection needs a full handshake");
    return f;
}
