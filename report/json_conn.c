/* One connection as a compact JSON object: endpoints, TCP facts per direction, the TLS summary
 * and the ids of the findings about it. Member order is fixed here, so output is deterministic. */
#include <string.h>

#include "json_internal.h"

static const char HEX[] = "0123456789abcdef";

/* A byte's two hex digits at HEX_PAIRS[2 * byte]: session IDs are 64 digits a connection, each
 * written with one table read instead of two. */
static const char HEX_PAIRS[512] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* Hex digits need no escape scan, so they go straight into the text. The name's length comes
 * from the forced-inline wrapper below, where strlen of the literal folds. */
static void hex_member_n(struct rpt_jw *b, const char *name, size_t name_len, const uint8_t *bytes,
                         size_t len)
{
    if (len == 0) {
        rpt_jb_null(b, name);
        return;
    }
    char *p = rpt_jw_reserve(b, RPT_JW_MEMBER_ROOM(name_len) + 2 * len + 2);
    p = rpt_jw_put_member(b, p, name, name_len);
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        memcpy(p, &HEX_PAIRS[2 * bytes[i]], 2);
        p += 2;
    }
    *p++ = '"';
    rpt_jw_commit(b, p);
}

static inline __attribute__((always_inline)) void hex_member(struct rpt_jw *b, const char *name,
                                                             const uint8_t *bytes, size_t len)
{
    hex_member_n(b, name, strlen(name), bytes, len);
}

/* "0x" and four lower-case hex digits into buf, as printf's "0x%04x" (a cipher suite or a
 * version: a call to printf per connection was a visible cost). */
static const char *hex16(uint16_t v, char buf[7])
{
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 4; i++) {
        buf[2 + i] = HEX[(v >> (12 - 4 * i)) & 0xf];
    }
    buf[6] = '\0';
    return buf;
}

static void link_addr_member(struct rpt_jw *b, const char *name, const uint8_t *a, size_t len)
{
    if (len == 0) {
        rpt_jb_null(b, name);
        return;
    }
    char buf[3 * CAP_LINK_ADDR_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < len && i < CAP_LINK_ADDR_MAX; i++) {
        if (i > 0) {
            buf[n++] = ':';
        }
        buf[n++] = HEX[a[i] >> 4];
        buf[n++] = HEX[a[i] & 0xf];
    }
    rpt_jb_plain_n(b, name, strlen(name), buf, n);
}

static void changes_member(struct rpt_jw *b, const char *name, const struct cap_change *ch,
                           uint32_t num, bool ttl)
{
    uint32_t n = MIN(num, (uint32_t)CAP_MAX_CHANGES);
    if (n == 0) {
        rpt_jb_empty_list(b, name, '[');
        return;
    }
    struct rpt_jw_mark m;
    rpt_jb_begin_list(b, name, '[', &m);
    for (uint32_t i = 0; i < n; i++) {
        rpt_jw_begin_object(b);
        rpt_jb_ts(b, "ts", ch[i].ts_us);
        rpt_jb_uint(b, "packet", ch[i].pkt_index);
        if (ttl) {
            rpt_jb_uint(b, "old", ch[i].old_val[0]);
            rpt_jb_uint(b, "new", ch[i].new_val[0]);
        } else {
            link_addr_member(b, "old", ch[i].old_val, ch[i].len);
            link_addr_member(b, "new", ch[i].new_val, ch[i].len);
        }
        rpt_jw_end_object(b);
    }
    rpt_jb_end_list(b, &m);
}

static void close_member(struct rpt_jw *b, const char *name, bool seen, uint64_t offset, int64_t ts)
{
    if (!seen) {
        rpt_jb_null(b, name);
        return;
    }
    rpt_jw_set_member_name(b, name);
    rpt_jw_begin_object(b);
    rpt_jb_uint(b, "offset", offset);
    rpt_jb_ts(b, "ts", ts);
    rpt_jw_end_object(b);
}

static void tcp_dir(struct rpt_jw *b, const char *name, const struct cap_dir_stats *d)
{
    struct rpt_jw_mark dm, lm;
    rpt_jb_begin_list(b, name, '{', &dm);
    rpt_jb_uint(b, "bytes", d->bytes);
    rpt_jb_uint(b, "packets", d->packets);
    rpt_jb_uint(b, "delivered_bytes", d->delivered_bytes);
    rpt_jb_uint(b, "missing_bytes", d->missing_bytes);
    uint32_t n = MIN(d->num_gaps, (uint32_t)CAP_MAX_GAPS);
    if (n == 0) {
        rpt_jb_empty_list(b, "gaps", '[');
    } else {
        rpt_jb_begin_list(b, "gaps", '[', &lm);
        for (uint32_t i = 0; i < n; i++) {
            rpt_jw_begin_object(b);
            rpt_jb_uint(b, "offset", d->gaps[i].offset);
            rpt_jb_uint(b, "length", d->gaps[i].len);
            rpt_jb_ts(b, "ts", d->gaps[i].ts_us);
            rpt_jb_known(b, "reason", cap_gap_reason_name(d->gaps[i].reason));
            rpt_jw_end_object(b);
        }
        rpt_jb_end_list(b, &lm);
    }
    rpt_jb_uint(b, "num_gaps", d->num_gaps);
    rpt_jb_uint(b, "retransmitted_bytes", d->retransmitted_bytes);
    n = MIN(d->num_incons, (uint32_t)CAP_MAX_INCONS);
    if (n == 0) {
        rpt_jb_empty_list(b, "inconsistent_retransmissions", '[');
    } else {
        rpt_jb_begin_list(b, "inconsistent_retransmissions", '[', &lm);
        for (uint32_t i = 0; i < n; i++) {
            rpt_jw_begin_object(b);
            rpt_jb_uint(b, "offset", d->incons[i].offset);
            rpt_jb_uint(b, "length", d->incons[i].len);
            rpt_jb_ts(b, "ts", d->incons[i].ts_us);
            rpt_jb_uint(b, "packet", d->incons[i].pkt_index);
            rpt_jw_end_object(b);
        }
        rpt_jb_end_list(b, &lm);
    }
    rpt_jb_uint(b, "num_inconsistent_retransmissions", d->num_incons);
    rpt_jb_uint(b, "ttl", d->ttl);
    changes_member(b, "ttl_changes", d->ttl_changes, d->num_ttl_changes, true);
    link_addr_member(b, "link_src", d->link_src, d->link_src_len);
    changes_member(b, "link_src_changes", d->link_src_changes, d->num_link_src_changes, false);
    close_member(b, "fin", d->fin_seen, d->fin_offset, d->fin_ts_us);
    close_member(b, "rst", d->rst_seen, d->rst_offset, d->rst_ts_us);
    rpt_jb_uint(b, "zero_window", d->zero_window);
    rpt_jb_uint(b, "ooo_segments", d->ooo_segments);
    rpt_jb_uint(b, "cap_dropped_bytes", d->cap_dropped_bytes);
    rpt_jb_uint(b, "bad_checksum", d->bad_checksum);
    rpt_jb_bool(b, "syn", d->syn_seen);
    rpt_jb_bool(b, "midstream", d->midstream);
    rpt_jb_bool(b, "data_after_close", d->data_after_close);
    rpt_jb_end_list(b, &dm);
}

static const char *role_name(enum cap_role_source r)
{
    switch (r) {
    case CAP_ROLE_SYN:
        return "syn";
    case CAP_ROLE_CLIENTHELLO:
        return "client_hello";
    case CAP_ROLE_PORT:
        return "port";
    }
    return "port";
}

static void tcp_member(struct rpt_jw *b, const struct cap_flow_summary *f)
{
    rpt_jw_set_member_name(b, "tcp");
    rpt_jw_begin_object(b);
    char state[sizeof(f->state) + 1];
    memcpy(state, f->state, sizeof(f->state));
    state[sizeof(f->state)] = '\0';
    rpt_jb_known(b, "state", state);
    rpt_jb_known(b, "close", rpt_close_kind(f));
    int by = rpt_closed_by(f);
    if (by < 0) {
        rpt_jb_null(b, "closed_by");
    } else {
        rpt_jb_known(b, "closed_by", rpt_dir_name(by));
    }
    rpt_jb_known(b, "roles", role_name(f->roles));
    if (f->syn_ts_us && f->synack_ts_us && f->ack_ts_us && f->ack_ts_us >= f->synack_ts_us &&
        f->synack_ts_us >= f->syn_ts_us) {
        /* SYN to SYN-ACK is the round trip between the capture point and the server, SYN-ACK to
         * ACK the one to the client: the shorter leg tells which end the capture sat near. */
        int64_t server_leg = f->synack_ts_us - f->syn_ts_us;
        int64_t client_leg = f->ack_ts_us - f->synack_ts_us;
        /* Present exactly when measured, zero included (loopback rounds to 0 us). */
        bool kept = rpt_jw_keep_defaults(b, true);
        rpt_jb_int(b, "rtt_us", f->ack_ts_us - f->syn_ts_us);
        rpt_jb_int(b, "rtt_server_side_us", server_leg);
        rpt_jb_int(b, "rtt_client_side_us", client_leg);
        rpt_jb_known(b, "capture_near",
                     client_leg * 4 < server_leg   ? "client"
                     : server_leg * 4 < client_leg ? "server"
                                                   : NULL);
        rpt_jw_keep_defaults(b, kept);
    }
    rpt_jb_bool(b, "cap_hit", f->cap_hit);
    tcp_dir(b, "client", &f->dir[CAP_DIR_CLIENT]);
    tcp_dir(b, "server", &f->dir[CAP_DIR_SERVER]);
    rpt_jw_end_object(b);
}

static void version_value(struct rpt_jw *b, uint16_t v)
{
    const char *n = tls_version_name(v);
    char buf[7];
    rpt_jw_add_known_value(b, n ? n : hex16(v, buf));
}

static void alerts_member(struct rpt_jw *b, const struct tls_summary *t)
{
    struct rpt_jw_mark m;
    rpt_jb_begin_list(b, "alerts", '[', &m);
    uint32_t n = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    for (uint32_t i = 0; i < n; i++) {
        const struct tls_alert *a = &t->alerts[i];
        rpt_jw_begin_object(b);
        rpt_jb_known(b, "from", rpt_dir_name(a->from));
        rpt_jb_known(b, "level", a->level == 1 ? "warning" : a->level == 2 ? "fatal" : NULL);
        if (a->encrypted && !a->decrypted) {
            rpt_jb_null(b, "description");
        } else {
            const char *d = tls_alert_name(a->description);
            char buf[24];
            if (!d) {
                g_snprintf(buf, sizeof(buf), "unknown_%u", a->description);
                d = buf;
            }
            rpt_jb_known(b, "description", d);
        }
        rpt_jb_bool(b, "encrypted", a->encrypted);
        rpt_jb_bool(b, "decrypted", a->decrypted);
        rpt_jb_bool(b, "probable", a->probable);
        rpt_jb_bool(b, "fatal", tls_alert_is_fatal(a));
        bool inferred = a->verdict != TLS_AV_EXACT;
        rpt_jb_known(b, "inferred", inferred ? tls_alert_verdict_name(a->verdict) : NULL);
        rpt_jb_known(b, "confidence", inferred ? tls_confidence_name(a->confidence) : NULL);
        rpt_jb_known(b, "because", a->because);
        rpt_jb_ts(b, "ts", a->ts_us);
        rpt_jb_uint(b, "offset", a->offset);
        rpt_jb_uint(b, "record_length", a->record_len);
        rpt_jb_bool(b, "before_app_data", a->before_app_data);
        rpt_jw_end_object(b);
    }
    rpt_jb_end_list(b, &m);
    rpt_jb_uint(b, "num_alerts", t->num_alerts);
}

static void desync_member(struct rpt_jw *b, const struct tls_summary *t)
{
    uint32_t n = MIN(t->num_desyncs, (uint32_t)TLS_MAX_DESYNCS);
    if (n == 0) {
        rpt_jb_empty_list(b, "desync", '[');
        return;
    }
    struct rpt_jw_mark m;
    rpt_jb_begin_list(b, "desync", '[', &m);
    for (uint32_t i = 0; i < n; i++) {
        const struct tls_desync *d = &t->desyncs[i];
        rpt_jw_begin_object(b);
        rpt_jb_known(b, "from", rpt_dir_name(d->from));
        rpt_jb_uint(b, "offset", d->bad_offset);
        rpt_jb_uint(b, "last_good_offset", d->last_good_offset);
        rpt_jb_uint(b, "skipped_bytes", d->skipped_bytes);
        rpt_jb_int(b, "estimated_missing_bytes", d->estimated_missing_bytes);
        if (d->resynced) {
            /* Absent means null (no resync), so an offset of 0 is written. */
            bool kept = rpt_jw_keep_defaults(b, true);
            rpt_jb_uint(b, "resync_offset", d->resync_offset);
            rpt_jw_keep_defaults(b, kept);
        } else {
            rpt_jb_null(b, "resync_offset");
        }
        rpt_jb_bool(b, "after_gap", d->after_gap);
        rpt_jb_ts(b, "ts", d->ts_us);
        rpt_jw_end_object(b);
    }
    rpt_jb_end_list(b, &m);
}

static void records_list(struct rpt_jw *b, const char *name, const struct tls_dir_summary *d)
{
    struct rpt_jw_mark m;
    rpt_jb_begin_list(b, name, '[', &m);
    uint32_t n = MIN(d->num_recent, (uint32_t)TLS_MAX_RECENT_RECORDS);
    for (uint32_t i = 0; i < n; i++) {
        const struct tls_record_info *r = &d->recent[i];
        rpt_jw_begin_object(b);
        const char *ct = tls_content_type_name(r->content_type);
        char buf[16];
        if (!ct) {
            g_snprintf(buf, sizeof(buf), "%u", r->content_type);
            ct = buf;
        }
        rpt_jb_known(b, "type", ct);
        rpt_jw_set_member_name(b, "version");
        version_value(b, r->version);
        rpt_jb_uint(b, "length", r->length);
        rpt_jb_uint(b, "offset", r->offset);
        rpt_jb_ts(b, "ts", r->ts_us);
        rpt_jw_end_object(b);
    }
    rpt_jb_end_list(b, &m);
}

static void certificate_member(struct rpt_jw *b, const struct tls_certificate *c)
{
    if (!c || !c->present) {
        rpt_jb_null(b, "certificate");
        return;
    }
    rpt_jw_set_member_name(b, "certificate");
    rpt_jw_begin_object(b);
    rpt_jb_str(b, "subject", c->subject);
    rpt_jb_str(b, "issuer", c->issuer);
    struct rpt_jw_mark m;
    rpt_jb_begin_list(b, "sans", '[', &m);
    for (uint32_t i = 0; i < MIN(c->num_sans, (uint32_t)TLS_MAX_SANS); i++) {
        rpt_jb_add_string_value(b, c->sans[i]);
    }
    rpt_jb_end_list(b, &m);
    rpt_jb_ts(b, "not_before", c->not_before * 1000000);
    rpt_jb_ts(b, "not_after", c->not_after * 1000000);
    rpt_jb_known(b, "sha256", c->sha256);
    rpt_jb_uint(b, "chain_length", c->chain_len);
    rpt_jb_bool(b, "self_signed", c->self_signed);
    rpt_jw_end_object(b);
}

static void str_or_null(struct rpt_jw *b, const char *name, const char *s)
{
    rpt_jb_str(b, name, s && s[0] ? s : NULL);
}

/* The same for tlsscope's own text (digests, fingerprints). */
static void known_or_null(struct rpt_jw *b, const char *name, const char *s)
{
    rpt_jb_known(b, name, s && s[0] ? s : NULL);
}

/* with_records: the last record headers of each direction are listed; otherwise
 * recent_records is null (they explain findings and are noise on a connection without one). */
static void tls_member(struct rpt_jw *b, const struct tls_summary *t, bool with_records,
                       bool sid_filler)
{
    if (!t || !t->is_tls) {
        rpt_jb_null(b, "tls");
        return;
    }
    rpt_jw_set_member_name(b, "tls");
    rpt_jw_begin_object(b);
    if (t->version) {
        rpt_jw_set_member_name(b, "version");
        version_value(b, t->version);
    } else {
        rpt_jb_null(b, "version");
    }
    struct rpt_jw_mark m, dm;
    rpt_jb_begin_list(b, "client_versions", '[', &m);
    for (uint32_t i = 0; i < MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS); i++) {
        version_value(b, t->client_versions[i]);
    }
    rpt_jb_end_list(b, &m);
    if (t->cipher_known) {
        const char *n = tls_cipher_name(t->cipher);
        char id[7];
        hex16(t->cipher, id);
        rpt_jb_known(b, "cipher", n ? n : id);
        rpt_jb_known(b, "cipher_id", id);
    } else {
        rpt_jb_null(b, "cipher");
        rpt_jb_null(b, "cipher_id");
    }
    rpt_jb_uint(b, "client_cipher_count", t->num_client_ciphers);
    str_or_null(b, "sni", t->sni);
    if (t->num_alpn == 0) {
        rpt_jb_empty_list(b, "alpn", '[');
    } else {
        rpt_jb_begin_list(b, "alpn", '[', &m);
        for (uint32_t i = 0; i < MIN(t->num_alpn, (uint32_t)TLS_MAX_ALPN); i++) {
            rpt_jb_add_string_value(b, t->alpn[i]);
        }
        rpt_jb_end_list(b, &m);
    }
    str_or_null(b, "alpn_selected", t->alpn_selected);
    rpt_jb_known(b, "history", t->history);
    rpt_jb_known(b, "handshake",
                 t->handshake == TLS_HS_NONE ? NULL : tls_handshake_kind_name(t->handshake));
    rpt_jb_ts_or_null(b, "handshake_start", t->handshake_start_us);
    rpt_jb_ts_or_null(b, "handshake_end", t->handshake_end_us);
    rpt_jb_bool(b, "hello_retry_request", t->hello_retry_request);
    rpt_jb_bool(b, "renegotiation", t->renegotiation);
    rpt_jb_bool(b, "midstream", t->midstream);
    rpt_jb_bool(b, "sslv2_hello", t->sslv2_hello);
    rpt_jb_bool(b, "other_answer", t->other_answer);
    if (t->decryption_why != TLS_DECRYPT_WHY_NONE) {
        rpt_jw_set_member_name(b, "decryption");
        rpt_jw_begin_object(b);
        rpt_jb_known(b, "state", tls_decryption_name(t->decryption));
        rpt_jb_known(b, "why", tls_decryption_why_text(t->decryption_why));
        rpt_jw_set_member_name(b, "records_verified");
        rpt_jw_begin_object(b);
        rpt_jb_uint(b, "client", t->records_verified[CAP_DIR_CLIENT]);
        rpt_jb_uint(b, "server", t->records_verified[CAP_DIR_SERVER]);
        rpt_jw_end_object(b);
        rpt_jw_end_object(b);
    } else {
        rpt_jb_null(b, "decryption");
    }
    rpt_jb_str(b, "other_answer_head", t->other_answer ? t->other_answer_head : NULL);
    if (t->server_key_exchange_group) {
        rpt_jb_known(b, "group", tls_group_name(t->server_key_exchange_group));
    } else {
        rpt_jb_null(b, "group");
    }

    rpt_jw_set_member_name(b, "resumption");
    rpt_jw_begin_object(b);
    /* A middlebox-compatibility session ID (rpt_sid_offer_is_filler) is no offer: the record
     * says what the findings and the server's counters say. */
    rpt_jb_begin_list(b, "offered", '[', &m);
    if ((t->offered & TLS_OFFER_SESSION_ID) && !sid_filler) {
        rpt_jw_add_known_value(b, "session_id");
    }
    if (t->offered & TLS_OFFER_TICKET) {
        rpt_jw_add_known_value(b, "ticket");
    }
    if (t->offered & TLS_OFFER_PSK) {
        rpt_jw_add_known_value(b, "psk");
    }
    rpt_jb_end_list(b, &m);
    bool only_filler = sid_filler && !(t->offered & ~TLS_OFFER_SESSION_ID);
    rpt_jb_known(b, "outcome",
                 tls_resumption_outcome_name(only_filler ? TLS_RESUME_NONE : t->resumption));
    rpt_jb_bool(b, "session_id_filler", sid_filler);
    hex_member(b, "session_id_offered", t->session_id_offered,
               MIN(t->session_id_offered_len, (uint8_t)TLS_MAX_SESSION_ID));
    hex_member(b, "session_id", t->session_id, MIN(t->session_id_len, (uint8_t)TLS_MAX_SESSION_ID));
    known_or_null(b, "ticket_offered_digest", t->ticket_offered_digest);
    known_or_null(b, "ticket_issued_digest", t->ticket_issued_digest);
    rpt_jb_uint(b, "tickets_issued", t->tickets_issued);
    rpt_jb_uint(b, "ticket_lifetime_hint", t->ticket_lifetime_hint);
    rpt_jb_bool(b, "early_data_offered", t->early_data_offered);
    rpt_jw_end_object(b);

    alerts_member(b, t);

    rpt_jw_set_member_name(b, "close_notify");
    rpt_jw_begin_object(b);
    rpt_jb_known(b, "client", tls_close_notify_name(t->dir[CAP_DIR_CLIENT].close_notify));
    rpt_jb_known(b, "server", tls_close_notify_name(t->dir[CAP_DIR_SERVER].close_notify));
    rpt_jb_known(b, "client_reason", t->dir[CAP_DIR_CLIENT].close_notify_reason);
    rpt_jb_known(b, "server_reason", t->dir[CAP_DIR_SERVER].close_notify_reason);
    rpt_jw_end_object(b);

    rpt_jb_begin_list(b, "records", '{', &m);
    rpt_jb_uint(b, "client", t->dir[CAP_DIR_CLIENT].records);
    rpt_jb_uint(b, "server", t->dir[CAP_DIR_SERVER].records);
    rpt_jb_end_list(b, &m);
    rpt_jb_begin_list(b, "app_data", '{', &m);
    for (int d = 0; d < 2; d++) {
        rpt_jb_begin_list(b, rpt_dir_name(d), '{', &dm);
        rpt_jb_uint(b, "records", t->dir[d].app_data_records);
        rpt_jb_uint(b, "bytes", t->dir[d].app_data_bytes);
        rpt_jb_uint(b, "oversized_records", t->dir[d].oversized_records);
        rpt_jb_end_list(b, &dm);
    }
    rpt_jb_end_list(b, &m);

    desync_member(b, t);
    known_or_null(b, "ja3", t->ja3);
    known_or_null(b, "ja3s", t->ja3s);
    known_or_null(b, "ja4", t->ja4);
    certificate_member(b, t->cert);
    if (with_records) {
        rpt_jw_set_member_name(b, "recent_records");
        rpt_jw_begin_object(b);
        records_list(b, "client", &t->dir[CAP_DIR_CLIENT]);
        records_list(b, "server", &t->dir[CAP_DIR_SERVER]);
        rpt_jw_end_object(b);
    } else {
        rpt_jb_null(b, "recent_records");
    }
    rpt_jw_end_object(b);
}

void rpt_json_connection_append(GString *out, const struct rpt_connection *c,
                                const uint64_t *finding_ids, size_t num_finding_ids,
                                bool with_records, bool keep_defaults, bool sid_filler)
{
    const struct cap_flow_summary *f = c->flow;
    struct rpt_jw w;
    struct rpt_jw *b = &w;
    struct rpt_jw_mark m;
    rpt_jw_init_on(b, out);
    b->omit_defaults = !keep_defaults;
    rpt_jw_begin_object(b);
    rpt_jb_conn_id(b, "id", f->id);
    rpt_jb_endpoint(b, "client", &f->client_ip, f->client_port);
    rpt_jb_endpoint(b, "server", &f->server_ip, f->server_port);
    rpt_jb_ts(b, "start", f->first_ts_us);
    rpt_jb_ts(b, "end", f->last_ts_us);
    rpt_jb_int(b, "duration_us", f->last_ts_us - f->first_ts_us);
    rpt_jb_known(b, "end_reason", cap_end_reason_name(f->end_reason));
    rpt_jb_str(b, "app", c->app);
    rpt_jb_begin_list(b, "ndpi_risks", '[', &m);
    for (size_t i = 0; c->ndpi_risks && c->ndpi_risks[i]; i++) {
        rpt_jb_add_string_value(b, c->ndpi_risks[i]);
    }
    rpt_jb_end_list(b, &m);
    rpt_jb_str(b, "ndpi_ja3", c->ndpi_ja3 && c->ndpi_ja3[0] ? c->ndpi_ja3 : NULL);
    if (c->starttls) {
        rpt_jw_set_member_name(b, "starttls");
        rpt_jw_begin_object(b);
        rpt_jb_str(b, "protocol", c->starttls);
        rpt_jb_uint(b, "offset", c->starttls_offset);
        rpt_jb_uint(b, "server_offset", c->starttls_server_offset);
        rpt_jw_end_object(b);
    } else {
        rpt_jb_null(b, "starttls");
    }
    tcp_member(b, f);
    tls_member(b, c->tls, with_records, sid_filler);
    if (num_finding_ids == 0) {
        rpt_jb_empty_list(b, "findings", '[');
    } else {
        rpt_jb_begin_list(b, "findings", '[', &m);
        for (size_t i = 0; i < num_finding_ids; i++) {
            char buf[RPT_ID_BUF];
            rpt_jw_add_known_value(b, rpt_id_format('F', finding_ids[i], buf));
        }
        rpt_jb_end_list(b, &m);
    }
    rpt_jw_end_object(b);
}
