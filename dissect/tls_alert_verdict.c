/* The verdict of each alert record: exact when its level and description can be read, otherwise
 * inferred from the wire around the encrypted record, with a confidence and one sentence naming
 * the evidence.
 *
 * An encrypted alert is close_notify or an error, and its size cannot tell them apart (TLS 1.2:
 * RFC 5246 §7.2; TLS 1.3 hides even the content type, RFC 8446 §5.2, and both alerts are 2 bytes
 * plus the content type plus the tag). What tells them apart is where the record falls: during
 * the handshake only an error is sent; right after damage in the stream its sender was
 * receiving it answers that damage; a client that closes at once after a completed handshake,
 * with the server's flight received and no application data, is overwhelmingly a probe
 * (openssl s_client, health checks, pinning checks) sending close_notify; an alert sent while
 * the peer was still sending, followed by a RST (unread data), is an abort; the last record
 * after the peer's data was complete, followed by FIN or answered by the peer's own alert, is
 * the closing close_notify (a peer does not answer a fatal alert: RFC 8446 §6.2). What none of
 * these covers stays unknown. */
#include "tls_conn_internal.h"

const char *tls_alert_verdict_name(enum tls_alert_verdict v)
{
    switch (v) {
    case TLS_AV_EXACT:
        return "exact";
    case TLS_AV_CLOSE_NOTIFY:
        return "close_notify";
    case TLS_AV_FATAL:
        return "fatal";
    case TLS_AV_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

const char *tls_confidence_name(enum tls_confidence c)
{
    switch (c) {
    case TLS_CONF_LOW:
        return "low";
    case TLS_CONF_MEDIUM:
        return "medium";
    case TLS_CONF_HIGH:
        return "high";
    }
    return "low";
}

bool tls_alert_is_fatal(const struct tls_alert *a)
{
    return a->verdict == TLS_AV_EXACT ? a->level == 2 : a->verdict == TLS_AV_FATAL;
}

bool tls_alert_is_close_notify(const struct tls_alert *a)
{
    return a->verdict == TLS_AV_EXACT ? a->description == 0 && a->level != 2
                                      : a->verdict == TLS_AV_CLOSE_NOTIFY;
}

static enum cap_dir other(enum cap_dir d)
{
    return d == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
}

/* Damage before ts_us in the stream `recv`, as the capture saw it. */
static enum tls_alert_damage damage_before(const struct tls_conn *c,
                                           const struct cap_flow_summary *flow, enum cap_dir recv,
                                           int64_t ts_us)
{
    const struct tls_summary *t = &c->sum;
    for (uint32_t i = 0; i < MIN(t->num_desyncs, (uint32_t)TLS_MAX_DESYNCS); i++) {
        const struct tls_desync *d = &t->desyncs[i];
        if (d->from == recv && !d->after_gap && d->ts_us <= ts_us) {
            return TLS_AD_DESYNC;
        }
    }
    if (!flow) {
        return TLS_AD_NONE;
    }
    const struct cap_dir_stats *ds = &flow->dir[recv];
    int64_t close_ts = ds->fin_seen ? ds->fin_ts_us : ds->rst_ts_us;
    if (t->dir[recv].truncated && (ds->fin_seen || ds->rst_seen) && close_ts <= ts_us) {
        return TLS_AD_TRUNCATED;
    }
    for (uint32_t i = 0; i < MIN(ds->num_incons, (uint32_t)CAP_MAX_INCONS); i++) {
        if (ds->incons[i].ts_us <= ts_us) {
            return TLS_AD_INCONS;
        }
    }
    return TLS_AD_NONE;
}

/* What came after the alert: the peer's records (for the sender's final record; an alert the
 * sender went on from has them already), the sender's TCP close, the peer's earlier close. */
static void evidence_after(const struct tls_conn *c, const struct cap_flow_summary *flow,
                           uint32_t i, struct tls_alert *a)
{
    enum cap_dir peer = other(a->from);
    const struct tls_dir_state *ds = &c->ds[a->from];
    if (ds->last_is_alert && ds->last_alert == (int32_t)i) {
        a->peer_records_after = ds->peer_after;
        a->peer_answered = ds->peer_after > 0 && ds->after_last_alert_sized;
    }
    a->alert_sized = !c->tls13 || a->record_len == tls_alert_record_len13(c->sum.cipher);
    a->damage = damage_before(c, flow, peer, a->ts_us);
    if (!flow) {
        return;
    }
    const struct cap_dir_stats *fs = &flow->dir[a->from];
    if (!a->sender_more) {
        a->next_fin = fs->fin_seen;
        a->next_rst = fs->rst_seen;
    }
    const struct cap_dir_stats *ps = &flow->dir[peer];
    int64_t peer_close = ps->fin_seen ? ps->fin_ts_us : (ps->rst_seen ? ps->rst_ts_us : 0);
    a->peer_closed = peer_close != 0 && peer_close <= a->ts_us && !c->ds[peer].last_is_alert &&
                     !c->ds[peer].plain_close_notify;
    a->peer_reset_after = ps->rst_seen && ps->rst_ts_us >= a->ts_us;
}

static bool from_client(const struct tls_summary *s, const struct tls_alert *a)
{
    return s->client_hello_seen ? a->from == s->client_hello_dir : a->from == CAP_DIR_CLIENT;
}

static void set(struct tls_alert *a, enum tls_alert_verdict v, enum tls_confidence conf,
                const char *because)
{
    a->verdict = v;
    a->confidence = conf;
    a->because = because;
}

/* The rules, first match wins; the order is their strength. */
void tls_alert_decide(const struct tls_summary *s, struct tls_alert *a)
{
    /* The peer went on sending records after the alert arrived and did not end them with an
     * alert of its own, was inside a record, or had bytes the sender had not acknowledged.
     * Records that end in the peer's own alert are what it had in flight (a TLS 1.3 server's
     * tickets answer the client's Finished, which often shares a segment with its alert) and
     * its answer: a peer does not answer a fatal alert (RFC 8446 §6.2). */
    bool peer_continued = a->peer_records_after > 0 && !a->peer_answered;
    bool only_answer = a->peer_answered && a->peer_records_after == 1;
    /* Bytes of the peer's the sender had not acknowledged, beyond a closing alert of the peer's
     * that crossed this one. */
    bool unacked = a->acks_known && !a->acked_peer && !a->answers_alert;
    bool peer_busy = a->peer_mid_record || peer_continued || unacked;
    bool client = from_client(s, a);

    if (!a->encrypted || a->decrypted) {
        set(a, TLS_AV_EXACT, TLS_CONF_HIGH, NULL);
        return;
    }
    if (a->in_handshake) {
        set(a, TLS_AV_FATAL, TLS_CONF_HIGH,
            "sent before the handshake completed (in place of the sender's Finished, or before "
            "the peer's): only an error alert is sent there; a TLS 1.3 client's alert answering "
            "the server's encrypted flight rejects its certificate or handshake");
        return;
    }
    if (a->damage == TLS_AD_DESYNC) {
        set(a, TLS_AV_FATAL, TLS_CONF_HIGH,
            "sent after the record framing of the stream it was receiving broke: it answers a "
            "record it could not read");
        return;
    }
    if (a->damage == TLS_AD_TRUNCATED) {
        set(a, TLS_AV_FATAL, TLS_CONF_HIGH,
            "sent after the stream it was receiving was cut in the middle of a record");
        return;
    }
    bool reply = a->answers_alert && !peer_busy && a->next_fin && !a->next_rst;
    if (a->damage == TLS_AD_INCONS && !reply) {
        set(a, TLS_AV_FATAL, a->next_rst || peer_busy ? TLS_CONF_HIGH : TLS_CONF_MEDIUM,
            "sent after a retransmission in the stream it was receiving carried different "
            "bytes, before that stream had ended cleanly");
        return;
    }
    if (a->sender_more) {
        set(a, TLS_AV_UNKNOWN, TLS_CONF_LOW,
            "its sender went on sending records after it: neither close_notify nor a fatal alert "
            "ends a stream that goes on (a warning alert, or a misbehaving sender)");
        return;
    }
    if (a->peer_closed) {
        set(a, TLS_AV_UNKNOWN, TLS_CONF_LOW,
            "encrypted alert sent after the peer closed without close_notify: a close_notify "
            "reply or a fatal alert about the truncated stream (JDK sends unexpected_message)");
        return;
    }
    if (a->before_app_data && client && !a->peer_mid_record && !unacked) {
        if (only_answer) {
            set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_HIGH,
                "handshake-only probe: the client closed at once after a completed handshake, "
                "with the server's flight received and no application data, and the server "
                "answered with an alert of its own");
        } else if (a->peer_answered) {
            set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM,
                "handshake-only probe: the client closed at once after a completed handshake, "
                "with the server's flight received and no application data; the server sent the "
                "records it had in flight (TLS 1.3 tickets) and then an alert of its own");
        } else if (a->next_fin && !a->next_rst) {
            set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM,
                peer_continued
                    ? "handshake-only probe: the client closed at once after a completed "
                      "handshake, with the server's flight received and no application data, "
                      "then FIN; the server's records after it answer the client's Finished "
                      "(TLS 1.3 tickets)"
                    : "handshake-only probe: the client closed at once after a completed "
                      "handshake, with the server's flight received and no application data, "
                      "then FIN (a client rejecting the server's Finished looks the same)");
        } else {
            set(a, TLS_AV_UNKNOWN, TLS_CONF_LOW,
                "the client's alert right after the handshake, before any application data, "
                "was neither answered by the server nor followed by FIN");
        }
        return;
    }
    if (peer_busy) {
        if (a->next_rst) {
            set(a, TLS_AV_FATAL, TLS_CONF_MEDIUM,
                "sent while the peer was still sending (in the middle of a record, its records "
                "continuing after the alert, or bytes not yet acknowledged), then RST");
        } else if (peer_continued && a->next_fin) {
            /* After a fatal alert its sender closes, and what the peer still sends draws a
             * RST; a sender that reads on to its FIN half-closed with close_notify (a client
             * sending close_notify after its request, RFC 8446 §6.1). */
            set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM,
                "the peer's records went on after it and its sender read them to the end (FIN, "
                "no RST): a half-close with close_notify");
        } else {
            set(a, TLS_AV_UNKNOWN, TLS_CONF_LOW,
                "sent while the peer was still sending, with no RST after it: an early "
                "close_notify or an error");
        }
        return;
    }
    if (!client && a->before_app_data && !a->answers_alert) {
        set(a, TLS_AV_UNKNOWN, TLS_CONF_LOW,
            "the server's alert right after the handshake, before any request: a rejection of "
            "the client's certificate or Finished, or a close of an idle connection");
        return;
    }
    if (a->peer_answered) {
        set(a, TLS_AV_CLOSE_NOTIFY, only_answer ? TLS_CONF_HIGH : TLS_CONF_MEDIUM,
            only_answer ? "its sender's last record, after the peer's data was complete, and the "
                          "peer answered with an alert of its own"
                        : "its sender's last record, after the peer's data was complete; the "
                          "peer sent the records it had in flight and then an alert of its own");
        return;
    }
    if (a->answers_alert) {
        const char *why =
            a->next_fin
                ? (a->damage == TLS_AD_INCONS
                       ? "answers the peer's closing alert and then FIN: its sender read the "
                         "stream to its end, past an earlier retransmission with different bytes"
                       : "answers the peer's closing alert (the peer's last record), then FIN")
            : a->next_rst ? "answers the peer's closing alert (the peer's last record), then RST"
                          : "answers the peer's closing alert (the peer's last record); no FIN "
                            "or RST seen after it";
        set(a, TLS_AV_CLOSE_NOTIFY, a->next_fin ? TLS_CONF_MEDIUM : TLS_CONF_LOW, why);
        return;
    }
    if (a->next_fin) {
        set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM,
            "its sender's last record, after the peer's data was complete, then FIN");
        return;
    }
    if (a->next_rst) {
        set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_LOW,
            "its sender's last record, after the peer's data was complete, then RST: a close "
            "with unread data (TLS 1.3 tickets) does so, and the peer did not answer");
        return;
    }
    if (a->peer_reset_after) {
        /* nginx and most servers send close_notify after a Connection: close response; a client
         * that closes its socket with that record unread resets, and no FIN can follow. */
        set(a, TLS_AV_CLOSE_NOTIFY, TLS_CONF_LOW,
            "its sender's last record, after the peer's data was complete; the peer then reset "
            "the connection (closing with the record unread), so no FIN could follow");
        return;
    }
    set(a, TLS_AV_UNKNOWN, TLS_CONF_LOW,
        "its sender's last record, but no FIN or RST was seen after it");
}

void tls_alert_verdicts(struct tls_conn *c, const struct cap_flow_summary *flow)
{
    for (uint32_t i = 0; i < MIN(c->sum.num_alerts, (uint32_t)TLS_MAX_ALERTS); i++) {
        struct tls_alert *a = &c->sum.alerts[i];
        if (a->encrypted) {
            evidence_after(c, flow, i, a);
        }
        tls_alert_decide(&c->sum, a);
    }
}
