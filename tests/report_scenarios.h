/* Hand-built connection summaries for the report tests: each scenario is a short list of
 * (cap_flow_summary, tls_summary) pairs describing one situation tlsscope must explain, starting
 * from a clean TLS 1.2 connection and changing only what the scenario is about. */
#ifndef TLSSCOPE_TEST_REPORT_SCENARIOS_H
#define TLSSCOPE_TEST_REPORT_SCENARIOS_H

#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define SC_T0 1795435200000000LL /* 2026-11-23T12:00:00Z */
#define SC_MAX_CONNS 320

struct sc_conn {
    struct cap_flow_summary flow;
    struct tls_summary tls;
    bool has_tls;
    /* Storage for the flow's lists, which capture allocates on their first entry; a scenario
     * points the summary at these (so a struct copy of an sc_conn shares them). */
    struct cap_gap gaps[CAP_MAX_GAPS];
    struct cap_incons incons[CAP_MAX_INCONS];
    struct cap_change ttl_changes[CAP_MAX_CHANGES];
    /* The same for the TLS summary's out-of-line lists. */
    struct tls_desync desyncs[TLS_MAX_DESYNCS];
    char alpn[TLS_MAX_ALPN][TLS_MAX_ALPN_LEN];
};

struct scenario {
    size_t num;
    struct sc_conn conns[SC_MAX_CONNS];
};

static inline void sc_addr4(struct cap_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, sizeof(*a));
    a->family = 4;
    a->bytes[0] = x;
    a->bytes[1] = y;
    a->bytes[2] = z;
    a->bytes[3] = w;
}

/* A clean TLS 1.2 connection: SYN handshake, full TLS handshake, some application data, both
 * sides send close_notify and FIN. Starts at t0, lasts 100 ms. */
static inline struct sc_conn *sc_clean(struct scenario *s, int64_t t0)
{
    struct sc_conn *c = &s->conns[s->num];
    memset(c, 0, sizeof(*c));
    uint64_t id = ++s->num;
    struct cap_flow_summary *f = &c->flow;
    f->id = id;
    sc_addr4(&f->client_ip, 10, 0, 0, 1);
    sc_addr4(&f->server_ip, 10, 0, 0, 2);
    f->client_port = (uint16_t)(40000 + id);
    f->server_port = 443;
    f->first_ts_us = t0;
    f->last_ts_us = t0 + 100000;
    f->roles = CAP_ROLE_SYN;
    f->syn_ts_us = t0;
    f->synack_ts_us = t0 + 250;
    f->ack_ts_us = t0 + 500;
    memcpy(f->state, "SF", 3);
    f->end_reason = CAP_END_FIN;
    for (int d = 0; d < 2; d++) {
        struct cap_dir_stats *ds = &f->dir[d];
        ds->packets = 10;
        ds->bytes = d == 0 ? 900 : 4200;
        ds->delivered_bytes = ds->bytes;
        ds->syn_seen = true;
        ds->ttl = 64;
        ds->fin_seen = true;
        ds->fin_offset = ds->bytes;
        ds->fin_ts_us = t0 + 90000 + d * 1000;
    }
    c->has_tls = true;
    struct tls_summary *t = &c->tls;
    t->is_tls = true;
    t->client_hello_seen = t->server_hello_seen = true;
    t->version = 0x0303;
    t->client_legacy_version = 0x0303;
    t->num_client_versions = 1;
    t->client_versions[0] = 0x0303;
    t->cipher = 0xc02f;
    t->cipher_known = true;
    t->num_client_ciphers = 17;
    strcpy(t->sni, "example.test");
    strcpy(t->history, "CsxiIkKhf");
    t->handshake = TLS_HS_FULL;
    t->handshake_start_us = t0 + 600;
    t->handshake_end_us = t0 + 5000;
    t->session_id_len = 32;
    for (int i = 0; i < 32; i++) {
        t->session_id[i] = (uint8_t)(id * 7 + i);
    }
    for (int d = 0; d < 2; d++) {
        t->dir[d].records = 6;
        t->dir[d].app_data_records = 2;
        t->dir[d].app_data_bytes = 300;
        t->dir[d].ccs_seen = true;
        t->dir[d].close_notify = TLS_CN_YES;
        t->dir[d].num_recent = 1;
        t->dir[d].recent[0] = (struct tls_record_info){.content_type = 21,
                                                       .version = 0x0303,
                                                       .length = 26,
                                                       .offset = f->dir[d].bytes - 31,
                                                       .ts_us = t0 + 89000};
        t->dir[d].last_record = t->dir[d].recent[0];
        t->dir[d].has_last_record = true;
    }
    /* A clean close: both sides' final records are encrypted close_notify alerts. */
    t->num_alerts = 2;
    for (int d = 0; d < 2; d++) {
        t->alerts[d] = (struct tls_alert){.from = (enum cap_dir)d,
                                          .encrypted = true,
                                          .verdict = TLS_AV_CLOSE_NOTIFY,
                                          .confidence = TLS_CONF_HIGH,
                                          .because = "its sender's last record, and the peer "
                                                     "answered with an alert of its own",
                                          .record_len = 26,
                                          .ts_us = t0 + 89000 + d * 1000,
                                          .offset = f->dir[d].bytes - 31};
    }
    strcpy(t->ja3, "2c4428422b734ef16cdbf05bc5d82e08");
    strcpy(t->ja3s, "e54965894d6b45ecb4323c7ea3d6c115");
    return c;
}

/* The client sends a plaintext fatal alert at t0 + at_us; nothing after it is a close_notify. */
static inline void sc_client_alert(struct sc_conn *c, uint8_t desc, int64_t at_us)
{
    struct tls_summary *t = &c->tls;
    t->num_alerts = 1;
    t->alerts[0] = (struct tls_alert){.from = CAP_DIR_CLIENT,
                                      .level = 2,
                                      .description = desc,
                                      .record_len = 2,
                                      .ts_us = c->flow.first_ts_us + at_us,
                                      .offset = 700};
    t->dir[0].close_notify = TLS_CN_NO;
    t->dir[1].close_notify = TLS_CN_NO;
    t->dir[0].close_notify_reason = "fatal alert sent";
    t->dir[1].close_notify_reason = "peer sent a fatal alert";
}

static inline void sc_version_mismatch(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct tls_summary *t = &c->tls;
    t->num_client_versions = 1;
    t->client_versions[0] = 0x0304;
    t->server_hello_seen = false;
    t->version = 0;
    t->cipher_known = false;
    t->handshake = TLS_HS_FAILED;
    t->session_id_len = 0;
    strcpy(t->history, "Ca");
    t->num_alerts = 1;
    t->alerts[0] = (struct tls_alert){.from = CAP_DIR_SERVER,
                                      .level = 2,
                                      .description = 70,
                                      .record_len = 2,
                                      .ts_us = SC_T0 + 1200,
                                      .offset = 0};
    t->dir[0].close_notify = t->dir[1].close_notify = TLS_CN_NO;
    t->dir[0].app_data_records = t->dir[1].app_data_records = 0;
}

/* A client offering only TLS 1.0 and 1.1, answered before any ServerHello by internal_error
 * (OpenSSL 3 at its default security level does). */
static inline void sc_legacy_refused(struct scenario *s)
{
    sc_version_mismatch(s);
    struct tls_summary *t = &s->conns[s->num - 1].tls;
    t->num_client_versions = 2;
    t->client_versions[0] = 0x0302;
    t->client_versions[1] = 0x0301;
    t->alerts[0].description = 80; /* internal_error */
}

static inline void sc_desync_444(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct tls_summary *t = &c->tls;
    t->num_desyncs = 1;
    t->desyncs = c->desyncs;
    t->desyncs[0] = (struct tls_desync){.from = CAP_DIR_SERVER,
                                        .last_good_offset = 16000,
                                        .bad_offset = 32405,
                                        .resync_offset = 33000,
                                        .skipped_bytes = 595,
                                        .estimated_missing_bytes = 444,
                                        .estimate_valid = true,
                                        .ts_us = SC_T0 + 40000,
                                        .resynced = true};
    sc_client_alert(c, 20, 41000);
}

/* The same break, but the client's answer is an encrypted TLS 1.2 alert, which the dissector
 * infers fatal from the break before it. */
static inline void sc_desync_444_encrypted(struct scenario *s)
{
    sc_desync_444(s);
    struct sc_conn *c = &s->conns[s->num - 1];
    struct tls_summary *t = &c->tls;
    t->alerts[0].level = 0;
    t->alerts[0].encrypted = true;
    t->alerts[0].record_len = 26;
    t->alerts[0].verdict = TLS_AV_FATAL;
    t->alerts[0].confidence = TLS_CONF_HIGH;
    t->alerts[0].damage = TLS_AD_DESYNC;
    t->alerts[0].because = "sent after the record framing of the stream it was receiving broke";
    t->dir[0].close_notify = TLS_CN_NO;
    t->dir[0].close_notify_reason = "ended with an encrypted alert inferred fatal";
    t->dir[0].last_record = (struct tls_record_info){.content_type = 21,
                                                     .version = 0x0303,
                                                     .length = 26,
                                                     .offset = 700,
                                                     .ts_us = t->alerts[0].ts_us};
}

/* A client that sends an encrypted alert right after the handshake, before any application data,
 * and closes: the dissector infers a handshake-only probe's close_notify. */
static inline void sc_alert_before_data(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct tls_summary *t = &c->tls;
    t->num_alerts = 1;
    t->alerts[0] = (struct tls_alert){.from = CAP_DIR_CLIENT,
                                      .encrypted = true,
                                      .record_len = 26,
                                      .ts_us = SC_T0 + 50000,
                                      .offset = 700,
                                      .verdict = TLS_AV_CLOSE_NOTIFY,
                                      .confidence = TLS_CONF_MEDIUM,
                                      .because = "handshake-only probe",
                                      .before_app_data = true,
                                      .next_fin = true};
    t->dir[0].close_notify = TLS_CN_YES;
    t->dir[0].close_notify_reason = NULL;
    t->dir[0].last_record = (struct tls_record_info){
        .content_type = 21, .version = 0x0303, .length = 26, .offset = 700, .ts_us = SC_T0 + 50000};
    t->dir[0].app_data_records = 0;
    t->dir[1].app_data_records = 0;
}

/* An abbreviated handshake, then the server rejects the client's first encrypted record. */
static inline void sc_resumed_alert(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct tls_summary *t = &c->tls;
    t->handshake = TLS_HS_RESUMED;
    t->offered = TLS_OFFER_SESSION_ID;
    t->session_id_offered_len = 32;
    memcpy(t->session_id_offered, t->session_id, 32);
    t->resumption = TLS_RESUME_ACCEPTED;
    strcpy(t->history, "CsifI");
    t->dir[0].app_data_records = t->dir[1].app_data_records = 0;
    t->num_alerts = 1;
    t->alerts[0] = (struct tls_alert){.from = CAP_DIR_SERVER,
                                      .level = 2,
                                      .description = 20,
                                      .record_len = 2,
                                      .ts_us = SC_T0 + 6000,
                                      .offset = 300};
    t->dir[0].close_notify = t->dir[1].close_notify = TLS_CN_NO;
}

static inline void sc_gap(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct cap_dir_stats *d = &c->flow.dir[CAP_DIR_SERVER];
    d->num_gaps = 1;
    d->gaps = c->gaps;
    d->gaps[0] = (struct cap_gap){
        .offset = 20000, .len = 34752, .ts_us = SC_T0 + 30000, .reason = CAP_GAP_TIMEOUT};
    d->missing_bytes = 34752;
    c->tls.num_desyncs = 1;
    c->tls.desyncs = c->desyncs;
    c->tls.desyncs[0] = (struct tls_desync){.from = CAP_DIR_SERVER,
                                            .after_gap = true,
                                            .last_good_offset = 16000,
                                            .bad_offset = 54752,
                                            .resync_offset = 55000,
                                            .skipped_bytes = 248,
                                            .ts_us = SC_T0 + 30000,
                                            .resynced = true};
    sc_client_alert(c, 20, 41000);
}

static inline void sc_incons(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct cap_dir_stats *d = &c->flow.dir[CAP_DIR_SERVER];
    d->num_incons = 1;
    d->incons = c->incons;
    d->incons[0] =
        (struct cap_incons){.offset = 3000, .len = 1448, .ts_us = SC_T0 + 20000, .pkt_index = 17};
    sc_client_alert(c, 20, 41000);
}

static inline void sc_intact_mac(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    sc_client_alert(c, 20, 41000);
}

static inline void sc_ttl_change(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    struct cap_dir_stats *d = &c->flow.dir[CAP_DIR_SERVER];
    d->num_ttl_changes = 1;
    d->ttl_changes = c->ttl_changes;
    d->ttl_changes[0] = (struct cap_change){
        .ts_us = SC_T0 + 30000, .pkt_index = 12, .len = 1, .old_val = {64}, .new_val = {63}};
    sc_client_alert(c, 20, 41000);
}

/* C1 issues a session ID and the client resets without close_notify; C2 offers that session ID
 * a second later and the server does a full handshake instead. */
static inline void sc_resumption(struct scenario *s)
{
    struct sc_conn *c1 = sc_clean(s, SC_T0);
    struct cap_dir_stats *d = &c1->flow.dir[CAP_DIR_CLIENT];
    d->fin_seen = false;
    d->rst_seen = true;
    d->rst_offset = d->bytes;
    d->rst_ts_us = SC_T0 + 90000;
    memcpy(c1->flow.state, "RSTO", 5);
    c1->flow.end_reason = CAP_END_RST;
    c1->tls.dir[0].close_notify = TLS_CN_NO;
    c1->tls.dir[0].close_notify_reason = "RST with no alert record before it";
    c1->tls.num_alerts = 1;
    c1->tls.alerts[0] = c1->tls.alerts[1];

    struct sc_conn *c2 = sc_clean(s, SC_T0 + 1000000);
    struct tls_summary *t = &c2->tls;
    t->offered = TLS_OFFER_SESSION_ID;
    t->session_id_offered_len = 32;
    memcpy(t->session_id_offered, c1->tls.session_id, 32);
    t->resumption = TLS_RESUME_REFUSED;
}

/* 300 full handshakes within one second to one server, each closed by a client RST without
 * close_notify, as HAProxy's SSL health checks do. */
static inline void sc_storm(struct scenario *s)
{
    for (int i = 0; i < 300; i++) {
        struct sc_conn *c = sc_clean(s, SC_T0 + (int64_t)i * 3000);
        struct cap_dir_stats *d = &c->flow.dir[CAP_DIR_CLIENT];
        d->fin_seen = false;
        d->rst_seen = true;
        d->rst_offset = d->bytes;
        d->rst_ts_us = c->flow.first_ts_us + 6000;
        c->flow.last_ts_us = c->flow.first_ts_us + 6000;
        c->flow.dir[CAP_DIR_SERVER].fin_seen = false;
        c->tls.dir[0].close_notify = TLS_CN_NO;
        c->tls.dir[1].close_notify = TLS_CN_UNKNOWN;
        c->tls.num_alerts = 0;
        c->tls.dir[0].app_data_records = c->tls.dir[1].app_data_records = 0;
    }
}

/* The storm again, but each client offers the session ID the previous connection was given,
 * and the server refuses every one (the unclean close invalidated it): the JDK incident. */
static inline void sc_storm_refused(struct scenario *s)
{
    sc_storm(s);
    for (int i = 1; i < (int)s->num; i++) {
        struct tls_summary *t = &s->conns[i].tls;
        const struct tls_summary *prev = &s->conns[i - 1].tls;
        t->offered = TLS_OFFER_SESSION_ID;
        t->session_id_offered_len = prev->session_id_len;
        memcpy(t->session_id_offered, prev->session_id, prev->session_id_len);
        t->resumption = TLS_RESUME_REFUSED;
    }
}

static inline void sc_clean_one(struct scenario *s)
{
    sc_clean(s, SC_T0);
}

/* Feeds every connection of a scenario to the reporter, in order. */
static inline void sc_feed(struct rpt_ctx *r, const struct scenario *s)
{
    for (size_t i = 0; i < s->num; i++) {
        struct rpt_connection rc = {.flow = &s->conns[i].flow,
                                    .tls = s->conns[i].has_tls ? &s->conns[i].tls : NULL};
        rpt_add_connection(r, &rc);
    }
}

#endif
