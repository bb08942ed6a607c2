/* The fatal_alert rule: a side sent a fatal alert; its causes are ranked from what the
 * handshake negotiated and from the damage in the stream the alert's sender was receiving. */
#include <string.h>

#include "findings_internal.h"

#define TLS13 0x0304

static bool before(int64_t ev_ts, int64_t alert_ts)
{
    return ev_ts == 0 || ev_ts <= alert_ts;
}

static bool alert_is_integrity(const struct tls_alert *a)
{
    return (a->encrypted && !a->decrypted) || a->description == ALERT_BAD_RECORD_MAC ||
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

/* Every version the client offered is older than TLS 1.2 (RFC 8996 deprecates them). */
static bool offered_only_legacy(const struct tls_summary *t)
{
    uint32_t n = MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS);
    for (uint32_t i = 0; i < n; i++) {
        if (t->client_versions[i] >= 0x0303) {
            return false;
        }
    }
    return n > 0;
}

static void negotiation_causes(struct rpt_finding *f, const struct tls_summary *t,
                               const struct tls_alert *a)
{
    if (a->encrypted && !a->decrypted) {
        return;
    }
    char vb[16], ab[24];
    char *offered = rpt_client_versions_str(t);
    const char *sender = rpt_dir_name(a->from);
    bool legacy = false;
    if (a->description == ALERT_PROTOCOL_VERSION) {
        if (t->server_hello_seen && t->version) {
            rpt_finding_cause(f, RPT_C_VERSION_MISMATCH, RPT_CONF_HIGH,
                              "the client offered %s; the server chose %s and the %s answered "
                              "protocol_version",
                              offered, rpt_version_str(t->version, vb, sizeof(vb)), sender);
        } else {
            rpt_finding_cause(f, RPT_C_VERSION_MISMATCH, RPT_CONF_HIGH,
                              "the client offered %s and the %s answered protocol_version with "
                              "no ServerHello: no version in common",
                              offered, sender);
        }
    } else if (t->server_hello_seen && t->version && t->num_client_versions > 0 &&
               !rpt_client_offered(t, t->version)) {
        rpt_finding_cause(f, RPT_C_VERSION_MISMATCH, RPT_CONF_HIGH,
                          "the server chose %s, which the client did not offer (%s)",
                          rpt_version_str(t->version, vb, sizeof(vb)), offered);
    } else if (!t->server_hello_seen && a->from == CAP_DIR_SERVER && offered_only_legacy(t)) {
        rpt_finding_cause(f, RPT_C_VERSION_MISMATCH, RPT_CONF_HIGH,
                          "the client offered only %s and the server answered %s before any "
                          "ServerHello: servers that require TLS 1.2 or later (OpenSSL 3 at its "
                          "default security level) refuse such a hello, not always with "
                          "protocol_version",
                          offered, rpt_alert_str(a->description, ab, sizeof(ab)));
        legacy = true;
    } else if (a->description == ALERT_INAPPROPRIATE_FALLBACK) {
        rpt_finding_cause(f, RPT_C_VERSION_MISMATCH, RPT_CONF_MEDIUM,
                          "inappropriate_fallback: the client retried with a lower version (%s) "
                          "than the server supports",
                          offered);
    }
    if ((a->description == ALERT_HANDSHAKE_FAILURE ||
         a->description == ALERT_INSUFFICIENT_SECURITY) &&
        !t->server_hello_seen) {
        rpt_finding_cause(
            f, RPT_C_CIPHER_MISMATCH, a->from == CAP_DIR_SERVER ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
            "the %s answered %s before any ServerHello: the client's %u cipher "
            "suites (or its groups or signature algorithms) had nothing the server "
            "accepts",
            sender, rpt_alert_str(a->description, ab, sizeof(ab)), t->num_client_ciphers);
        if (a->description == ALERT_HANDSHAKE_FAILURE && t->num_client_versions == 1 && !legacy) {
            rpt_finding_cause(f, RPT_C_VERSION_MISMATCH, RPT_CONF_LOW,
                              "the client offered a single version (%s); servers that do not "
                              "support it may answer handshake_failure",
                              offered);
        }
    }
    if (alert_is_certificate(a->description)) {
        if (a->from == CAP_DIR_CLIENT) {
            const struct tls_certificate *c = t->cert;
            if (c && c->present) {
                rpt_finding_cause(f, RPT_C_CERTIFICATE_REJECTED, RPT_CONF_HIGH,
                                  "the client refused the server's certificate with %s "
                                  "(subject \"%s\", issuer \"%s\"%s)",
                                  rpt_alert_str(a->description, ab, sizeof(ab)), c->subject,
                                  c->issuer, c->self_signed ? ", self-signed" : "");
            } else {
                rpt_finding_cause(f, RPT_C_CERTIFICATE_REJECTED, RPT_CONF_HIGH,
                                  "the client refused the server's certificate with %s",
                                  rpt_alert_str(a->description, ab, sizeof(ab)));
            }
        } else {
            rpt_finding_cause(f, RPT_C_CERTIFICATE_REJECTED, RPT_CONF_MEDIUM,
                              "the server refused the client's certificate with %s",
                              rpt_alert_str(a->description, ab, sizeof(ab)));
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
        rpt_finding_cause(f, RPT_C_BYTES_MISSING_IN_STREAM,
                          integrity ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                          "the %s's record framing broke at stream offset %" G_GUINT64_FORMAT
                          " (last good header at %" G_GUINT64_FORMAT ") with no TCP gap: %s; the "
                          "capture saw the TCP stream intact, so the %s or a middlebox before the "
                          "capture point lost or added bytes (a short write)",
                          peer, ds->bad_offset, ds->last_good_offset, size, peer);
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(recv),
                                              .has_offset = true,
                                              .offset = ds->bad_offset,
                                              .ts_us = ds->ts_us},
                             "%s record framing broke at offset %" G_GUINT64_FORMAT
                             ", estimated %" G_GINT64_FORMAT " bytes missing, %" G_GUINT64_FORMAT
                             " bytes skipped to resynchronise",
                             peer, ds->bad_offset, ds->estimated_missing_bytes, ds->skipped_bytes);
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
            f, RPT_C_IN_FLIGHT_CORRUPTION, RPT_CONF_HIGH,
            "the %s's TCP bytes at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
            " bytes) were seen twice with different content (packet %" G_GUINT64_FORMAT
            "): they were corrupted on the path",
            peer, ic->offset, ic->len, ic->pkt_index);
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(recv),
                                              .has_offset = true,
                                              .offset = ic->offset,
                                              .has_length = true,
                                              .length = ic->len,
                                              .ts_us = ic->ts_us,
                                              .packet = ic->pkt_index},
                             "inconsistent retransmission in the %s stream", peer);
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
            rpt_finding_cause(f, RPT_C_PATH_CHANGE, integrity ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                              "the %s's TTL changed from %u to %u at packet %" G_GUINT64_FORMAT
                              ", before the alert: a load balancer or failover may have handed the "
                              "connection to another peer",
                              peer, ch->old_val[0], ch->new_val[0], ch->pkt_index);
        } else {
            rpt_finding_cause(f, RPT_C_PATH_CHANGE, integrity ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                              "the %s's %s changed at packet %" G_GUINT64_FORMAT
                              ", before the alert: a load balancer or failover may have handed the "
                              "connection to another peer",
                              peer, ch_what, ch->pkt_index);
        }
        rpt_finding_evidence(
            f,
            (struct rpt_pin){.side = rpt_side(recv), .ts_us = ch->ts_us, .packet = ch->pkt_index},
            "%s %s changed", peer, ch_what);
    }

    const struct tls_dir_summary *td = &t->dir[recv];
    int64_t close_ts = d->fin_seen ? d->fin_ts_us : d->rst_ts_us;
    if (td->truncated && before(close_ts, a->ts_us)) {
        damaged = true;
        rpt_finding_cause(f, RPT_C_STREAM_TRUNCATED, RPT_CONF_HIGH,
                          "the %s closed its stream at offset %" G_GUINT64_FORMAT " in the middle "
                          "of a %u-byte record that began at offset %" G_GUINT64_FORMAT ", with no "
                          "TCP gap: the %s or a middlebox cut the TLS stream short, and the %s "
                          "could not finish reading the record",
                          peer, td->truncated_at, td->last_record.length, td->last_record.offset,
                          peer, rpt_dir_name(a->from));
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(recv),
                                              .has_offset = true,
                                              .offset = td->truncated_at,
                                              .ts_us = close_ts},
                             "%s stream ends at %" G_GUINT64_FORMAT
                             " inside the record at %" G_GUINT64_FORMAT,
                             peer, td->truncated_at, td->last_record.offset);
    }

    uint32_t ng = MIN(d->num_gaps, (uint32_t)CAP_MAX_GAPS);
    for (uint32_t i = 0; i < ng; i++) {
        const struct cap_gap *g = &d->gaps[i];
        if (!before(g->ts_us, a->ts_us)) {
            continue;
        }
        damaged = true;
        bool acked = g->reason == CAP_GAP_ACKED_UNSEEN;
        rpt_finding_cause(f, RPT_C_CAPTURE_GAP, acked ? RPT_CONF_LOW : RPT_CONF_MEDIUM,
                          "the capture missed %" G_GUINT64_FORMAT " bytes of the %s stream at "
                          "offset %" G_GUINT64_FORMAT " (%s)%s: the capture cannot tell what the "
                          "%s received there",
                          g->len, peer, g->offset, cap_gap_reason_name(g->reason),
                          acked ? ", which the receiver acknowledged" : "", rpt_dir_name(a->from));
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(recv),
                                              .has_offset = true,
                                              .offset = g->offset,
                                              .has_length = true,
                                              .length = g->len,
                                              .ts_us = g->ts_us},
                             "gap of %" G_GUINT64_FORMAT " bytes in the %s stream (%s)", g->len,
                             peer, cap_gap_reason_name(g->reason));
        break;
    }
    return damaged;
}

bool rpt_rule_fatal_alert_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return x->fatal != NULL;
}

/* One finding per connection: the first fatal alert; the rest are its echo. */
void rpt_rule_fatal_alert(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const struct tls_alert *a = x->fatal;
    (void)dir;
    char ab[24], ts[32], db[32];
    const char *sender = rpt_dir_name(a->from);
    int recv = a->from == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
    char *summary;
    if (a->encrypted && !a->decrypted) {
        summary = g_strdup_printf(
            "The %s sent an encrypted alert (%u-byte record) at %s, stream offset "
            "%" G_GUINT64_FORMAT ", %s after the connection started; it is taken as fatal: %s.",
            sender, a->record_len, rpt_format_ts(a->ts_us, ts, sizeof(ts)), a->offset,
            rpt_duration_str(a->ts_us - fl->first_ts_us, db, sizeof(db)),
            rpt_alert_fatal_why(fl, t, a));
    } else {
        summary =
            g_strdup_printf("The %s sent a fatal %s alert%s at %s, stream offset %" G_GUINT64_FORMAT
                            ", %s after the connection started.",
                            sender, rpt_alert_str(a->description, ab, sizeof(ab)),
                            a->decrypted ? " (encrypted; read with the key log)" : "",
                            rpt_format_ts(a->ts_us, ts, sizeof(ts)), a->offset,
                            rpt_duration_str(a->ts_us - fl->first_ts_us, db, sizeof(db)));
    }
    struct rpt_finding *f = rpt_finding_new(RPT_K_FATAL_ALERT, sev, fl->id, a->ts_us, summary);
    rpt_finding_evidence(
        f,
        (struct rpt_pin){.side = rpt_side(a->from),
                         .has_offset = true,
                         .offset = a->offset,
                         .has_length = true,
                         .length = a->record_len,
                         .ts_us = a->ts_us},
        "%s alert %s from the %s (%u-byte record)%s",
        a->encrypted && !a->decrypted ? "encrypted" : "fatal",
        a->encrypted && !a->decrypted ? "(description encrypted)"
                                      : rpt_alert_str(a->description, ab, sizeof(ab)),
        sender, a->record_len, a->probable ? ", inferred from the record size" : "");
    char *offered = rpt_client_versions_str(t);
    char vb[16], cb[16];
    rpt_finding_evidence(
        f, RPT_NO_PIN, "client offered %s with %u cipher suites; ServerHello %s%s%s%s", offered,
        t->num_client_ciphers, t->server_hello_seen ? "chose " : "not seen",
        t->server_hello_seen && t->version ? rpt_version_str(t->version, vb, sizeof(vb)) : "",
        t->server_hello_seen && t->cipher_known ? " " : "",
        t->server_hello_seen && t->cipher_known ? rpt_cipher_str(t->cipher, cb, sizeof(cb)) : "");
    if (t->history[0]) {
        rpt_finding_evidence(f, RPT_NO_PIN, "TLS history %s, handshake %s", t->history,
                             tls_handshake_kind_name(t->handshake));
    }
    g_free(offered);

    negotiation_causes(f, t, a);
    /* A TLS 1.3 client answering the server's encrypted flight (EncryptedExtensions,
     * Certificate, CertificateVerify, Finished) with an alert instead of its Finished is, far
     * more often than anything else, refusing the certificate (an untrusted CA, a name that
     * does not match) or its signature; damage in that flight, below, is the other reading. */
    bool cert_13 = a->encrypted && !a->decrypted && a->from == CAP_DIR_CLIENT && a->in_handshake &&
                   t->version == TLS13 && t->server_hello_seen;
    if (cert_13) {
        const struct tls_certificate *c = t->cert;
        rpt_finding_cause(f, RPT_C_CERTIFICATE_REJECTED, RPT_CONF_HIGH,
                          "the client answered the server's encrypted TLS 1.3 flight (which holds "
                          "its Certificate) with an alert instead of its Finished: it refused the "
                          "certificate or the handshake%s",
                          c && c->present ? "" : " (the certificate is encrypted in TLS 1.3)");
    }
    bool damaged = stream_causes(f, fl, t, a);
    /* With keys, where the damage was done is known: a record of the peer's stream that failed
     * authentication here was damaged before this point; if every record of both streams
     * authenticated here, after it. */
    if (t->auth_fail_len[recv] > 0 && t->auth_fail_ts_us[recv] <= a->ts_us) {
        damaged = true;
        rpt_finding_cause(f, RPT_C_CORRUPTED_BEFORE_CAPTURE, RPT_CONF_HIGH,
                          "with the key log, the %s's record at offset %" G_GUINT64_FORMAT
                          " did not authenticate at this capture point (its earlier records did): "
                          "it was damaged before it got here",
                          rpt_dir_name(recv), t->auth_fail_offset[recv]);
    } else if (t->decryption == TLS_DECRYPT_FULL && alert_is_integrity(a)) {
        damaged = true;
        rpt_finding_cause(f, RPT_C_CORRUPTED_AFTER_CAPTURE, RPT_CONF_HIGH,
                          "with the key log, all %" G_GUINT64_FORMAT " records of the %s's stream "
                          "authenticated at this capture point: the bytes the %s rejected were "
                          "damaged between here and the %s (a proxy, a device, or the %s itself)",
                          t->records_verified[recv], rpt_dir_name(recv), rpt_dir_name(a->from),
                          rpt_dir_name(a->from), rpt_dir_name(a->from));
    }
    enum rpt_confidence corruption_conf = cert_13 ? RPT_CONF_LOW : RPT_CONF_MEDIUM;

    bool resumed = t->handshake == TLS_HS_RESUMED || t->resumption == TLS_RESUME_ACCEPTED;
    if (resumed) {
        bool early = a->before_app_data ||
                     (t->dir[0].app_data_records == 0 && t->dir[1].app_data_records == 0);
        enum rpt_confidence conf = !early                  ? RPT_CONF_LOW
                                   : alert_is_integrity(a) ? RPT_CONF_HIGH
                                                           : RPT_CONF_MEDIUM;
        rpt_finding_cause(f, RPT_C_RESUMPTION_STATE_MISMATCH, conf,
                          "the alert %s an abbreviated handshake: the two sides may not hold the "
                          "same session state (keys of a session the server no longer has, or of "
                          "another server behind the same address)",
                          early ? "came right after" : "followed, later,");
    }
    if (!damaged && alert_is_integrity(a) &&
        ((a->encrypted && !a->decrypted) || a->description == ALERT_BAD_RECORD_MAC ||
         a->description == ALERT_DECRYPTION_FAILED)) {
        rpt_finding_cause(f, RPT_C_IN_FLIGHT_CORRUPTION, corruption_conf,
                          "the capture point saw the %s stream intact (no TCP gap, no framing "
                          "break, no path change, no inconsistent retransmission): the bytes were "
                          "damaged between the capture point and the %s, or in an endpoint",
                          rpt_dir_name(recv), sender);
    }
    if (f->num_causes == 0) {
        rpt_finding_cause(f, RPT_C_UNKNOWN, RPT_CONF_LOW,
                          "nothing in the capture explains it: the %s rejected something in the %s "
                          "stream that the capture does not show",
                          sender, rpt_dir_name(recv));
    }
    g_ptr_array_add(out, f);
}
