/* The rules about the bytes of each direction: capture gaps, inconsistent retransmissions,
 * path changes, truncated and oversized records, and record framing broken in intact streams. */
#include "findings_internal.h"

bool rpt_rule_stream_gap_applies(const struct rpt_facts *x, int dir)
{
    const struct cap_dir_stats *d = &x->fl->dir[dir];
    return d->num_gaps > 0;
}

void rpt_rule_stream_gap(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const struct cap_dir_stats *d = &fl->dir[dir];
    const char *side = rpt_dir_name(dir);
    const struct cap_gap *g0 = &d->gaps[0];
    char *sum = g_strdup_printf(
        "The capture missed %" G_GUINT64_FORMAT " bytes of the %s stream in %u gap%s, the "
        "first at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes, %s).",
        d->missing_bytes, side, d->num_gaps, d->num_gaps == 1 ? "" : "s", g0->offset, g0->len,
        cap_gap_reason_name(g0->reason));
    struct rpt_finding *f = rpt_finding_new(RPT_K_STREAM_GAP, sev, fl->id, g0->ts_us, sum);
    uint32_t ng = MIN(d->num_gaps, (uint32_t)CAP_MAX_GAPS);
    bool acked = false, limit = false, ended = false;
    for (uint32_t i = 0; i < ng; i++) {
        const struct cap_gap *g = &d->gaps[i];
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(dir),
                                              .has_offset = true,
                                              .offset = g->offset,
                                              .has_length = true,
                                              .length = g->len,
                                              .ts_us = g->ts_us},
                             "gap of %" G_GUINT64_FORMAT " bytes (%s)", g->len,
                             cap_gap_reason_name(g->reason));
        acked |= g->reason == CAP_GAP_ACKED_UNSEEN;
        limit |= g->reason == CAP_GAP_OOO_CAP || g->reason == CAP_GAP_MEMORY_CAP;
        ended |= g->reason == CAP_GAP_FLOW_END || g->reason == CAP_GAP_TIMEOUT;
    }
    if (t) {
        uint32_t nd = MIN(t->num_desyncs, (uint32_t)TLS_MAX_DESYNCS);
        for (uint32_t i = 0; i < nd; i++) {
            const struct tls_desync *ds = &t->desyncs[i];
            if ((int)ds->from == dir && ds->after_gap) {
                rpt_finding_evidence(
                    f,
                    (struct rpt_pin){.side = rpt_side(dir),
                                     .has_offset = true,
                                     .offset = ds->resync_offset,
                                     .ts_us = ds->ts_us},
                    "record framing %s after the gap (%" G_GUINT64_FORMAT " bytes skipped)",
                    ds->resynced ? "resynchronised" : "was not recovered", ds->skipped_bytes);
            }
        }
    }
    if (acked) {
        rpt_finding_cause(f, RPT_C_CAPTURE_LOSS, RPT_CONF_HIGH,
                          "the receiver acknowledged bytes the capture never saw: the capture "
                          "(SPAN port, ring buffer, snaplen) dropped them, not the network");
    }
    if (limit) {
        rpt_finding_cause(f, RPT_C_CAPTURE_LIMIT, RPT_CONF_HIGH,
                          "tlsscope's out-of-order or memory cap turned a hole into a gap");
    }
    if (ended) {
        rpt_finding_cause(f, RPT_C_CAPTURE_ENDED, RPT_CONF_MEDIUM,
                          "the hole was never filled before the flow or capture ended");
    }
    g_ptr_array_add(out, f);
}

/* The receiver's behaviour says which copy it kept: when no fatal alert followed and both sides
 * closed with close_notify, every record after the range authenticated, so the copy it kept
 * was the good one (a warning: a device on the path damages packets); otherwise it may have
 * kept the damaged bytes (an error). */
bool rpt_rule_incons_harmless(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return x->is_tls && x->fatal == NULL && x->t->dir[0].close_notify == TLS_CN_YES &&
           x->t->dir[1].close_notify == TLS_CN_YES;
}

bool rpt_rule_incons_applies(const struct rpt_facts *x, int dir)
{
    const struct cap_dir_stats *d = &x->fl->dir[dir];
    return d->num_incons > 0;
}

void rpt_rule_incons(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct cap_dir_stats *d = &fl->dir[dir];
    const char *side = rpt_dir_name(dir);
    const struct cap_incons *i0 = &d->incons[0];
    char *sum = g_strdup_printf(
        "The %s stream carried %u retransmission%s with different bytes than the first copy, "
        "the first at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
        " bytes, packet %" G_GUINT64_FORMAT ").",
        side, d->num_incons, d->num_incons == 1 ? "" : "s", i0->offset, i0->len, i0->pkt_index);
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_INCONSISTENT_RETRANSMISSION, sev, fl->id, i0->ts_us, sum);
    uint32_t n = MIN(d->num_incons, (uint32_t)CAP_MAX_INCONS);
    for (uint32_t i = 0; i < n; i++) {
        const struct cap_incons *ic = &d->incons[i];
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(dir),
                                              .has_offset = true,
                                              .offset = ic->offset,
                                              .has_length = true,
                                              .length = ic->len,
                                              .ts_us = ic->ts_us,
                                              .packet = ic->pkt_index},
                             "retransmitted bytes differ");
    }
    rpt_finding_cause(f, RPT_C_IN_FLIGHT_CORRUPTION, RPT_CONF_HIGH,
                      "the same TCP sequence range arrived twice with different content: a "
                      "device on the path (or the sender's NIC) corrupted one copy");
    g_ptr_array_add(out, f);
}

bool rpt_rule_path_change_applies(const struct rpt_facts *x, int dir)
{
    const struct cap_dir_stats *d = &x->fl->dir[dir];
    return d->num_ttl_changes > 0 || d->num_link_src_changes > 0;
}

void rpt_rule_path_change(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct cap_dir_stats *d = &fl->dir[dir];
    const char *side = rpt_dir_name(dir);
    const struct cap_change *ch =
        d->num_ttl_changes > 0 ? &d->ttl_changes[0] : &d->link_src_changes[0];
    char *sum;
    if (d->num_ttl_changes > 0) {
        sum = g_strdup_printf("The %s's TTL changed %u time%s within the connection, first from "
                              "%u to %u at packet %" G_GUINT64_FORMAT "%s.",
                              side, d->num_ttl_changes, d->num_ttl_changes == 1 ? "" : "s",
                              ch->old_val[0], ch->new_val[0], ch->pkt_index,
                              d->num_link_src_changes ? "; its link-layer source changed too" : "");
    } else {
        sum = g_strdup_printf("The %s's link-layer source address changed %u time%s within the "
                              "connection, first at packet %" G_GUINT64_FORMAT ".",
                              side, d->num_link_src_changes,
                              d->num_link_src_changes == 1 ? "" : "s", ch->pkt_index);
    }
    struct rpt_finding *f = rpt_finding_new(RPT_K_PATH_CHANGE, sev, fl->id, ch->ts_us, sum);
    uint32_t n = MIN(d->num_ttl_changes, (uint32_t)CAP_MAX_CHANGES);
    for (uint32_t i = 0; i < n; i++) {
        const struct cap_change *c = &d->ttl_changes[i];
        rpt_finding_evidence(
            f, (struct rpt_pin){.side = rpt_side(dir), .ts_us = c->ts_us, .packet = c->pkt_index},
            "TTL %u -> %u", c->old_val[0], c->new_val[0]);
    }
    n = MIN(d->num_link_src_changes, (uint32_t)CAP_MAX_CHANGES);
    for (uint32_t i = 0; i < n; i++) {
        const struct cap_change *c = &d->link_src_changes[i];
        char ob[3 * CAP_LINK_ADDR_MAX + 1], nb[3 * CAP_LINK_ADDR_MAX + 1];
        rpt_finding_evidence(
            f, (struct rpt_pin){.side = rpt_side(dir), .ts_us = c->ts_us, .packet = c->pkt_index},
            "link source %s -> %s",
            rpt_hex(c->old_val, MIN(c->len, CAP_LINK_ADDR_MAX), ob, sizeof(ob)),
            rpt_hex(c->new_val, MIN(c->len, CAP_LINK_ADDR_MAX), nb, sizeof(nb)));
    }
    rpt_finding_cause(f, RPT_C_LOAD_BALANCER_OR_FAILOVER, RPT_CONF_MEDIUM,
                      "another device started answering for the %s mid-connection", side);
    rpt_finding_cause(f, RPT_C_ROUTE_CHANGE, RPT_CONF_LOW,
                      "the route between the %s and the capture point changed", side);
    g_ptr_array_add(out, f);
}

bool rpt_rule_truncated_applies(const struct rpt_facts *x, int dir)
{
    return x->t && x->t->dir[dir].truncated;
}

void rpt_rule_truncated(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const char *side = rpt_dir_name(dir);
    const struct tls_dir_summary *td = &t->dir[dir];
    const struct cap_dir_stats *ds = &fl->dir[dir];
    char *sum = g_strdup_printf("The %s's TLS stream ended with %s at offset %" G_GUINT64_FORMAT
                                " in the middle of a "
                                "%u-byte record that began at offset %" G_GUINT64_FORMAT
                                ", with no TCP gap: the stream was truncated.",
                                side, ds->fin_seen ? "FIN" : "RST", td->truncated_at,
                                td->last_record.length, td->last_record.offset);
    struct rpt_finding *f = rpt_finding_new(RPT_K_TRUNCATED_STREAM, sev, fl->id,
                                            ds->fin_seen ? ds->fin_ts_us : ds->rst_ts_us, sum);
    rpt_finding_cause(f, RPT_C_SENDER_OR_MIDDLEBOX_CUT_STREAM, RPT_CONF_HIGH,
                      "the %s, or a proxy or load balancer in front of it, closed the TCP "
                      "connection before the record it was sending was complete",
                      side);
    g_ptr_array_add(out, f);
}

bool rpt_rule_auth_failed_applies(const struct rpt_facts *x, int dir)
{
    return x->is_tls && x->t->auth_fail_len[dir] > 0;
}

/* With keys: the first record of a direction whose tag did not verify. The capture point saw
 * it damaged, so the damage was done before it (by the sender, its NIC, or the path between
 * them); records before it authenticated, so the keys fit. */
void rpt_rule_auth_failed(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const char *side = rpt_dir_name(dir);
    char tsb[32];
    char *sum = g_strdup_printf(
        "The %s's record at stream offset %" G_GUINT64_FORMAT " (%u bytes, %s) did not "
        "authenticate with the key log's keys, after %" G_GUINT64_FORMAT " record%s that did: its "
        "bytes were already damaged at this capture point.",
        side, t->auth_fail_offset[dir], t->auth_fail_len[dir],
        rpt_format_ts(t->auth_fail_ts_us[dir], tsb, sizeof(tsb)), t->records_verified[dir],
        t->records_verified[dir] == 1 ? "" : "s");
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_RECORD_AUTH_FAILED, sev, fl->id, t->auth_fail_ts_us[dir], sum);
    rpt_finding_evidence(f,
                         (struct rpt_pin){.side = rpt_side(dir),
                                          .has_offset = true,
                                          .offset = t->auth_fail_offset[dir],
                                          .has_length = true,
                                          .length = (uint64_t)t->auth_fail_len[dir] + 5,
                                          .ts_us = t->auth_fail_ts_us[dir]},
                         "record whose authentication tag did not verify");
    rpt_finding_cause(f, RPT_C_CORRUPTED_BEFORE_CAPTURE, RPT_CONF_HIGH,
                      "the %s's earlier records authenticated with the same keys, so this one was "
                      "damaged on its way from the %s to the capture point (the sender, its NIC, "
                      "or a device between them)",
                      side, side);
    g_ptr_array_add(out, f);
}

bool rpt_rule_oversized_applies(const struct rpt_facts *x, int dir)
{
    return x->t && x->t->dir[dir].oversized_records > 0;
}

void rpt_rule_oversized(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const char *side = rpt_dir_name(dir);
    char *sum = g_strdup_printf("The %s sent %" G_GUINT64_FORMAT " record%s longer than the TLS "
                                "limit (2^14 + 2048 bytes of ciphertext).",
                                side, t->dir[dir].oversized_records,
                                t->dir[dir].oversized_records == 1 ? "" : "s");
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_OVERSIZED_RECORD, sev, fl->id, fl->last_ts_us, sum);
    rpt_finding_cause(f, RPT_C_NONCONFORMING_PEER, RPT_CONF_MEDIUM,
                      "RFC 8446 §5.1 and RFC 5246 §6.2 bound record length; the receiver must "
                      "answer record_overflow");
    g_ptr_array_add(out, f);
}

bool rpt_rule_record_desync_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return x->is_tls && x->t->num_desyncs > 0;
}

/* One finding per framing break; a resync after a TCP gap is reported with the stream_gap. */
void rpt_rule_record_desync(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                            GPtrArray *out)
{
    (void)dir;
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
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
        struct rpt_finding *f =
            rpt_finding_new(RPT_K_RECORD_DESYNC, sev, fl->id, ds->ts_us, g_string_free(s, FALSE));
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(ds->from),
                                              .has_offset = true,
                                              .offset = ds->last_good_offset},
                             "last record header that parsed");
        rpt_finding_evidence(f,
                             (struct rpt_pin){.side = rpt_side(ds->from),
                                              .has_offset = true,
                                              .offset = ds->bad_offset,
                                              .ts_us = ds->ts_us},
                             "header that failed validation");
        if (ds->resynced) {
            rpt_finding_evidence(f,
                                 (struct rpt_pin){.side = rpt_side(ds->from),
                                                  .has_offset = true,
                                                  .offset = ds->resync_offset,
                                                  .has_length = true,
                                                  .length = ds->skipped_bytes},
                                 "framing found again");
        }
        if (ds->estimated_missing_bytes > 0) {
            rpt_finding_cause(f, RPT_C_BYTES_MISSING_IN_STREAM, RPT_CONF_HIGH,
                              "every TCP byte was captured, yet about %" G_GINT64_FORMAT " bytes "
                              "of a record never entered the stream: the %s (a short write, e.g. "
                              "an io_uring send) or a middlebox before the capture point lost them",
                              ds->estimated_missing_bytes, side);
        } else if (ds->estimated_missing_bytes < 0) {
            rpt_finding_cause(f, RPT_C_BYTES_INJECTED_IN_STREAM, RPT_CONF_HIGH,
                              "every TCP byte was captured, yet about %" G_GINT64_FORMAT " bytes "
                              "that belong to no record were in the stream: the %s or a middlebox "
                              "wrote them",
                              -ds->estimated_missing_bytes, side);
        } else {
            rpt_finding_cause(f, RPT_C_FRAMING_BREAK, RPT_CONF_MEDIUM,
                              "the %s's stream stopped framing as TLS records without a TCP gap",
                              side);
        }
        g_ptr_array_add(out, f);
    }
}
