/* Close-time inferences: did each side end its TLS stream with close_notify, and was the last
 * TLS 1.3 record an encrypted alert?
 *
 * TLS <= 1.2 shows an encrypted alert's content type (21) on the record layer. TLS 1.3 hides it
 * inside application_data (RFC 8446 §5.2), so the only evidence is size: an alert is 2 bytes,
 * plus the inner content type byte, plus the AEAD tag, and it is the last thing a side sends
 * before FIN or RST (RFC 8446 §6.1: close_notify, then close). The record must end exactly at
 * the TCP close offset for the inference to hold. */
#include "tls_conn_internal.h"
#include "tls_decrypt_internal.h"

static bool close_offset(const struct cap_flow_summary *flow, enum cap_dir dir, uint64_t *out_off,
                         bool *out_rst)
{
    if (!flow) {
        return false;
    }
    const struct cap_dir_stats *fs = &flow->dir[dir];
    if (fs->fin_seen) {
        *out_off = fs->fin_offset;
        *out_rst = false;
        return true;
    }
    if (fs->rst_seen) {
        *out_off = fs->rst_offset;
        *out_rst = true;
        return true;
    }
    return false;
}

static bool gap_at_end(const struct cap_flow_summary *flow, enum cap_dir dir, uint64_t end)
{
    if (!flow) {
        return false;
    }
    const struct cap_dir_stats *fs = &flow->dir[dir];
    uint32_t n = fs->num_gaps < CAP_MAX_GAPS ? fs->num_gaps : CAP_MAX_GAPS;
    for (uint32_t i = 0; i < n; i++) {
        if (fs->gaps[i].offset + fs->gaps[i].len > end) {
            return true;
        }
    }
    return false;
}

/* The side's stream ended inside a record that the capture saw begin, with nothing missing. */
static void note_truncation(struct tls_conn *c, const struct cap_flow_summary *flow,
                            enum cap_dir dir)
{
    struct tls_dir_summary *d = &c->sum.dir[dir];
    const struct tls_framer *f = &c->fr[dir];
    uint64_t close_off = 0;
    bool rst = false;
    if (f->not_tls || !d->has_last_record || f->desync_pending ||
        !close_offset(flow, dir, &close_off, &rst) || tls_framer_at_boundary(f)) {
        return;
    }
    uint64_t last_end = d->last_record.offset + 5 + d->last_record.length;
    if (close_off > d->last_record.offset && close_off < last_end &&
        !gap_at_end(flow, dir, d->last_record.offset)) {
        d->truncated = true;
        d->truncated_at = close_off;
    }
}

/* A side that sent a fatal alert (exact or inferred) never closed with close_notify. */
static bool sent_fatal(const struct tls_conn *c, enum cap_dir dir)
{
    for (uint32_t i = 0; i < MIN(c->sum.num_alerts, (uint32_t)TLS_MAX_ALERTS); i++) {
        if (c->sum.alerts[i].from == dir && tls_alert_is_fatal(&c->sum.alerts[i])) {
            return true;
        }
    }
    return false;
}

static void settle_side(struct tls_conn *c, const struct cap_flow_summary *flow, enum cap_dir dir)
{
    struct tls_dir_summary *d = &c->sum.dir[dir];
    struct tls_dir_state *ds = &c->ds[dir];
    const struct tls_framer *f = &c->fr[dir];
    uint64_t close_off = 0;
    bool rst = false;
    bool closed = close_offset(flow, dir, &close_off, &rst);

    if (ds->plain_close_notify) {
        bool fatal = sent_fatal(c, dir);
        d->close_notify = fatal ? TLS_CN_NO : TLS_CN_YES;
        d->close_notify_reason = fatal ? "this side also sent a fatal alert" : NULL;
        return;
    }
    if (f->not_tls || !d->has_last_record) {
        d->close_notify = TLS_CN_UNKNOWN;
        d->close_notify_reason = "no TLS records from this side";
        return;
    }
    if (d->truncated) {
        d->close_notify = TLS_CN_NO;
        d->close_notify_reason = rst ? "RST in the middle of a record: the stream was truncated"
                                     : "FIN in the middle of a record: the stream was truncated";
        return;
    }
    const struct tls_record_info *last = &d->last_record;
    uint64_t last_end = last->offset + 5 + last->length;
    bool complete = tls_framer_at_boundary(f);
    bool ends_at_close = closed && complete && last_end == close_off;

    if (!complete || f->desync_pending || gap_at_end(flow, dir, last_end)) {
        d->close_notify = TLS_CN_UNKNOWN;
        d->close_notify_reason = "bytes missing or unframed at the end of the stream";
        return;
    }
    if (ds->last_is_alert) {
        const struct tls_alert *a = ds->last_alert >= 0 ? &c->sum.alerts[ds->last_alert] : NULL;
        if (a && !a->encrypted) {
            /* A plaintext alert other than close_notify was the last word. */
            d->close_notify = TLS_CN_NO;
            d->close_notify_reason = a->level == 2 ? "ended with a fatal alert"
                                                   : "ended with an alert other than close_notify";
            return;
        }
        if (c->fatal_alert) {
            d->close_notify = TLS_CN_NO;
            d->close_notify_reason = "a fatal alert came before the final encrypted alert";
            return;
        }
        if (closed && !ends_at_close) {
            d->close_notify = TLS_CN_NO;
            d->close_notify_reason = rst ? "bytes after the final alert, then RST"
                                         : "bytes after the final alert, then FIN";
            return;
        }
        if (a && a->decrypted) {
            /* Read with the key log: what it says, as for a plaintext one. */
            bool notify = tls_alert_is_close_notify(a) && !sent_fatal(c, dir);
            d->close_notify = notify ? TLS_CN_YES : TLS_CN_NO;
            d->close_notify_reason = notify          ? NULL
                                     : a->level == 2 ? "ended with a fatal alert (decrypted)"
                                     : a->description != 0
                                         ? "ended with an alert other than close_notify (decrypted)"
                                         : "this side also sent a fatal alert";
            return;
        }
        /* The final encrypted alert is what its verdict says (tls_alert_verdict.c); one past
         * TLS_MAX_ALERTS was not kept and is taken as the closing alert, as its place says. */
        if (a && a->verdict == TLS_AV_FATAL) {
            d->close_notify = TLS_CN_NO;
            d->close_notify_reason = "ended with an encrypted alert inferred fatal";
            return;
        }
        if (a && a->verdict != TLS_AV_CLOSE_NOTIFY) {
            d->close_notify = TLS_CN_UNKNOWN;
            d->close_notify_reason = a->because;
            return;
        }
        if (sent_fatal(c, dir)) {
            d->close_notify = TLS_CN_NO;
            d->close_notify_reason = "this side sent a fatal alert before its final alert";
            return;
        }
        d->close_notify = TLS_CN_YES;
        d->close_notify_reason = NULL;
        return;
    }
    if (closed) {
        d->close_notify = TLS_CN_NO;
        if (c->tls13) {
            d->close_notify_reason = rst ? "RST after a record too large for an encrypted alert"
                                         : "FIN after a record too large for an encrypted alert";
        } else {
            d->close_notify_reason = rst ? "RST without close_notify" : "FIN without close_notify";
        }
        return;
    }
    d->close_notify = TLS_CN_UNKNOWN;
    d->close_notify_reason = "no FIN or RST seen: the capture ended or the flow timed out";
}

/* probable_alert13: the side's final record is alert-sized application data ending exactly at
 * its FIN or RST, after the handshake. */
static bool probable_alert13(const struct tls_conn *c, const struct cap_flow_summary *flow,
                             enum cap_dir dir)
{
    const struct tls_dir_summary *d = &c->sum.dir[dir];
    const struct tls_record_info *last = &d->last_record;
    uint64_t close_off = 0;
    bool rst = false;
    if (!c->tls13 || !c->hs_complete || !d->has_last_record || c->ds[dir].last_is_alert ||
        !close_offset(flow, dir, &close_off, &rst) || !tls_framer_at_boundary(&c->fr[dir])) {
        return false;
    }
    return last->content_type == 23 && last->length == tls_alert_record_len13(c->sum.cipher) &&
           last->offset + 5 + last->length == close_off;
}

static void add_probable_alert(struct tls_conn *c, enum cap_dir dir)
{
    const struct tls_record_info *last = &c->sum.dir[dir].last_record;
    struct tls_alert a = {
        .from = dir,
        .encrypted = true,
        .probable = true,
        .record_len = last->length,
        .ts_us = last->ts_us,
        .offset = last->offset,
        .before_app_data = c->hs_complete && !c->app_data_seen,
    };
    c->ds[dir].last_alert = tls_conn_add_alert(c, &a);
    c->ds[dir].last_is_alert = true;
}

void tls_close_settle(struct tls_conn *c, const struct cap_flow_summary *flow)
{
    if (c->sum.not_tls) {
        return;
    }
    bool p[2] = {probable_alert13(c, flow, CAP_DIR_CLIENT),
                 probable_alert13(c, flow, CAP_DIR_SERVER)};
    /* Inferred alerts join the list in the order they were sent. */
    enum cap_dir first = CAP_DIR_CLIENT;
    const struct tls_dir_summary *d = c->sum.dir;
    if (p[0] && p[1] && d[CAP_DIR_SERVER].last_record.ts_us < d[CAP_DIR_CLIENT].last_record.ts_us) {
        first = CAP_DIR_SERVER;
    }
    enum cap_dir order[2] = {first, first == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT};
    for (int i = 0; i < 2; i++) {
        if (p[order[i]]) {
            add_probable_alert(c, order[i]);
        }
    }
    note_truncation(c, flow, CAP_DIR_CLIENT);
    note_truncation(c, flow, CAP_DIR_SERVER);
    tls_dec_alerts(c);
    tls_alert_verdicts(c, flow);
    settle_side(c, flow, CAP_DIR_CLIENT);
    settle_side(c, flow, CAP_DIR_SERVER);
}
