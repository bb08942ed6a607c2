/* The flow table through its public API (capture.h): connection scripts between a client and a
 * server (each run at ISN 0, 1, 2^32-1 and 2^32-11) checked against Zeek's conn_state, end
 * reasons, roles and per-direction bytes; then timeouts on capture time, role swapping, TTL and
 * link-source changes, the flow, out-of-order and memory caps, close order, and two real
 * captures (samples/lab/big.pcap and gap.pcap) decoded with libpcap and cap_decode, whose
 * expected numbers are derived at test time (tshark, and big.pcap itself for the removed frame). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <pcap/pcap.h>

#include "capture.h"
#include "capture_hints.h"

/* ------------------------------------------------------------------ recording events */

#define MAX_FLOWS_REC 2048
#define MAX_GAPS_REC 16

struct flow_rec {
    uint64_t id;
    bool closed;
    int close_seq;
    struct cap_flow_summary sum;
    uint64_t cursor[2];
    uint64_t delivered[2];
    uint32_t num_gaps[2];
    struct cap_gap gaps[2][MAX_GAPS_REC];
    GByteArray *bytes[2];
    size_t consumer_held; /* rec.consumer_per_byte: what this flow charged */
};

struct rec {
    struct flow_rec flows[MAX_FLOWS_REC];
    uint32_t num_flows;
    int num_closed;
    uint64_t close_order[MAX_FLOWS_REC];
    bool keep_bytes;
    int swap_to;  /* >= 0: on the first data of direction swap_to, call cap_flow_set_client */
    int swap_arg; /* with this direction; -1: the event's own direction */
    bool swap_result;
    int swap_calls;
    uint16_t swap_client_port; /* the summary's view right after the swap */
    uint64_t swap_client_packets;
    size_t consumer_per_byte; /* > 0: the consumer holds this much per byte delivered */
};

static void on_open(void *user, struct cap_flow *flow)
{
    struct rec *r = user;
    const struct cap_flow_summary *s = cap_flow_get_summary(flow);
    assert_true(r->num_flows < MAX_FLOWS_REC);
    /* Ids count up from 1 in order of first packet. */
    assert_int_equal(s->id, r->num_flows + 1);
    struct flow_rec *fr = &r->flows[r->num_flows++];
    fr->id = s->id;
    if (r->keep_bytes) {
        fr->bytes[0] = g_byte_array_new();
        fr->bytes[1] = g_byte_array_new();
    }
    cap_flow_set_user(flow, fr);
}

static void on_data(void *user, struct cap_flow *flow, enum cap_dir dir, uint64_t offset,
                    const uint8_t *data, size_t len, int64_t ts_us)
{
    (void)ts_us;
    struct rec *r = user;
    struct flow_rec *fr = cap_flow_get_user(flow);
    if (r->consumer_per_byte) {
        fr->consumer_held += len * r->consumer_per_byte;
        cap_flow_set_consumer_bytes(flow, fr->consumer_held);
    }
    if (r->swap_to >= 0 && (int)dir == r->swap_to && r->swap_calls == 0) {
        r->swap_calls++;
        r->swap_result =
            cap_flow_set_client(flow, r->swap_arg >= 0 ? (enum cap_dir)r->swap_arg : dir);
        if (r->swap_result) {
            /* The consumer swaps its own per-direction state, as the contract says. */
            uint64_t t0 = fr->cursor[0];
            fr->cursor[0] = fr->cursor[1];
            fr->cursor[1] = t0;
            t0 = fr->delivered[0];
            fr->delivered[0] = fr->delivered[1];
            fr->delivered[1] = t0;
            GByteArray *b = fr->bytes[0];
            fr->bytes[0] = fr->bytes[1];
            fr->bytes[1] = b;
            dir = dir == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
            /* Inside the event, the summary already shows the new roles. */
            const struct cap_flow_summary *s = cap_flow_get_summary(flow);
            r->swap_client_port = s->client_port;
            r->swap_client_packets = s->dir[CAP_DIR_CLIENT].packets;
        }
    }
    assert_int_equal(offset, fr->cursor[dir]);
    fr->cursor[dir] += len;
    fr->delivered[dir] += len;
    if (fr->bytes[dir]) {
        g_byte_array_append(fr->bytes[dir], data, (guint)len);
    }
}

static void on_gap(void *user, struct cap_flow *flow, enum cap_dir dir, const struct cap_gap *g)
{
    (void)user;
    struct flow_rec *fr = cap_flow_get_user(flow);
    assert_int_equal(g->offset, fr->cursor[dir]);
    fr->cursor[dir] += g->len;
    if (fr->num_gaps[dir] < MAX_GAPS_REC) {
        fr->gaps[dir][fr->num_gaps[dir]] = *g;
    }
    fr->num_gaps[dir]++;
}

static void on_close(void *user, struct cap_flow *flow)
{
    struct rec *r = user;
    struct flow_rec *fr = cap_flow_get_user(flow);
    assert_false(fr->closed);
    fr->closed = true;
    fr->close_seq = r->num_closed;
    r->close_order[r->num_closed++] = fr->id;
    cap_flow_summary_copy(&fr->sum, cap_flow_get_summary(flow)); /* outlives the flow */
}

static const struct cap_stream_events EVENTS = {
    .on_open = on_open, .on_data = on_data, .on_gap = on_gap, .on_close = on_close};

static struct rec *rec_new(void)
{
    struct rec *r = g_new0(struct rec, 1);
    r->swap_to = -1;
    r->swap_arg = -1;
    return r;
}

static void rec_free(struct rec *r)
{
    for (uint32_t i = 0; i < r->num_flows; i++) {
        cap_flow_summary_release(&r->flows[i].sum);
        for (int d = 0; d < 2; d++) {
            if (r->flows[i].bytes[d]) {
                g_byte_array_unref(r->flows[i].bytes[d]);
            }
        }
    }
    g_free(r);
}

/* ------------------------------------------------------------------ building segments */

enum side { C, S };

struct conn {
    uint32_t isn[2];
    struct cap_addr addr[2];
    uint16_t port[2];
    int64_t ts;
    uint64_t pkt_index;
};

static uint8_t pattern(int side, uint64_t off)
{
    return (uint8_t)(off * 11 + (uint64_t)side * 101 + 5);
}

static void conn_init(struct conn *k, uint32_t isn, uint16_t cport, bool v6)
{
    memset(k, 0, sizeof(*k));
    k->isn[C] = isn;
    k->isn[S] = isn - 7;
    for (int i = 0; i < 2; i++) {
        k->addr[i].family = v6 ? 6 : 4;
        if (v6) {
            k->addr[i].bytes[0] = 0x20;
            k->addr[i].bytes[1] = 0x01;
            k->addr[i].bytes[15] = (uint8_t)(i + 1);
        } else {
            k->addr[i].bytes[0] = 10;
            k->addr[i].bytes[3] = (uint8_t)(i + 1);
        }
    }
    k->port[C] = cport;
    k->port[S] = 443;
    k->ts = 1700000000000000;
}

struct pkt_opts {
    uint8_t ttl;     /* 0: 64 */
    uint8_t mac;     /* last byte of the link source; 0: side-specific default */
    uint16_t window; /* 0 means 0 only with zero_window */
    bool zero_window;
    int64_t dt_us; /* 0: 1000 */
};

/* send_pkt: side sends flags with payload at relative offset rel (from ISN+1; rel -1 is the SYN)
 * and, when ACK is set, acknowledges the peer's relative offset ack_rel. */
static void send_pkt(struct cap_flow_table *t, struct conn *k, enum side from, uint8_t flags,
                     int64_t rel, uint32_t len, int64_t ack_rel, const struct pkt_opts *o)
{
    static uint8_t buf[65536];
    struct pkt_opts none = {0};
    if (!o) {
        o = &none;
    }
    assert_true(len <= sizeof(buf));
    for (uint32_t i = 0; i < len; i++) {
        buf[i] = pattern(from, (uint64_t)(rel + i));
    }
    k->ts += o->dt_us ? o->dt_us : 1000;
    struct cap_segment s;
    memset(&s, 0, sizeof(s));
    s.ts_us = k->ts;
    s.pkt_index = ++k->pkt_index;
    s.src = k->addr[from];
    s.dst = k->addr[!from];
    s.sport = k->port[from];
    s.dport = k->port[!from];
    s.seq = (flags & CAP_TCP_SYN) ? k->isn[from] : k->isn[from] + 1 + (uint32_t)rel;
    s.ack = (flags & CAP_TCP_ACK) ? k->isn[!from] + 1 + (uint32_t)ack_rel : 0;
    s.flags = flags;
    s.window = o->zero_window ? 0 : (o->window ? o->window : 512);
    s.ttl = o->ttl ? o->ttl : 64;
    s.link_src_len = 6;
    s.link_src[0] = 0x02;
    s.link_src[5] = o->mac ? o->mac : (uint8_t)(from + 1);
    s.wscale = -1;
    s.payload = buf;
    s.payload_len = len;
    cap_flow_table_add(t, &s);
}

static struct cap_flow_table *table_new(struct rec *r, void (*tune)(struct cap_flow_config *))
{
    struct cap_flow_config cfg;
    cap_flow_config_defaults(&cfg);
    cfg.max_flows = 1024;
    cfg.gap_wait_packets = 4;
    if (tune) {
        tune(&cfg);
    }
    return cap_flow_table_new(&cfg, &EVENTS, r);
}

/* ------------------------------------------------------------------ connection scripts */

#define SYN CAP_TCP_SYN
#define ACK CAP_TCP_ACK
#define FIN CAP_TCP_FIN
#define RST CAP_TCP_RST
#define PSH CAP_TCP_PSH

struct step {
    int op; /* 0 end, 1 packet, 2 new connection on the same tuple (client ISN + 100000) */
    enum side from;
    uint8_t flags;
    int64_t rel;
    uint32_t len;
    int64_t ack;
};

struct exp_flow {
    const char *state;
    enum cap_end_reason end;
    enum cap_role_source roles;
    uint64_t delivered_c, delivered_s;
    uint32_t gaps_c, gaps_s;
    bool syn_ts, synack_ts, ack_ts;
    bool data_after_close_c;
};

struct script {
    const char *name;
    bool v6;
    struct step steps[16];
    uint32_t num_flows;
    struct exp_flow flows[2];
};

#define P(from, fl, rel, len, ack)                                                                 \
    {                                                                                              \
        1, from, fl, rel, len, ack                                                                 \
    }
#define HANDSHAKE P(C, SYN, -1, 0, 0), P(S, SYN | ACK, -1, 0, 0), P(C, ACK, 0, 0, 0)

static const struct script SCRIPTS[] = {
    {.name = "SF",
     .steps = {HANDSHAKE, P(C, ACK | PSH, 0, 100, 0), P(S, ACK | PSH, 0, 200, 100),
               P(C, ACK | FIN, 100, 0, 200), P(S, ACK | FIN, 200, 0, 101), P(C, ACK, 101, 0, 201)},
     .num_flows = 1,
     .flows = {{"SF", CAP_END_FIN, CAP_ROLE_SYN, 100, 200, 0, 0, true, true, true, false}}},
    {.name = "SF_ipv6",
     .v6 = true,
     .steps = {HANDSHAKE, P(C, ACK | PSH, 0, 100, 0), P(S, ACK | PSH, 0, 200, 100),
               P(C, ACK | FIN, 100, 0, 200), P(S, ACK | FIN, 200, 0, 101)},
     .num_flows = 1,
     .flows = {{"SF", CAP_END_FIN, CAP_ROLE_SYN, 100, 200, 0, 0, true, true, true, false}}},
    {.name = "S0_syn_retransmitted",
     .steps = {P(C, SYN, -1, 0, 0), P(C, SYN, -1, 0, 0), P(C, SYN, -1, 0, 0)},
     .num_flows = 1,
     .flows = {{"S0", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 0, 0, 0, 0, true, false, false}}},
    {.name = "S1",
     .steps = {HANDSHAKE, P(C, ACK | PSH, 0, 10, 0), P(S, ACK | PSH, 0, 20, 10)},
     .num_flows = 1,
     .flows = {{"S1", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 10, 20, 0, 0, true, true, true}}},
    {.name = "REJ",
     .steps = {P(C, SYN, -1, 0, 0), P(S, RST | ACK, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"REJ", CAP_END_RST, CAP_ROLE_SYN, 0, 0, 0, 0, true, false, false}}},
    /* A SYN that repeats the ISN after the rejection is the same attempt, not a new flow. */
    {.name = "REJ_then_same_syn",
     .steps = {P(C, SYN, -1, 0, 0), P(S, RST | ACK, 0, 0, 0), P(C, SYN, -1, 0, 0)},
     .num_flows = 1,
     .flows = {{"REJ", CAP_END_RST, CAP_ROLE_SYN, 0, 0, 0, 0, true, false, false}}},
    {.name = "RSTO",
     .steps = {HANDSHAKE, P(C, ACK | PSH, 0, 10, 0), P(C, RST | ACK, 10, 0, 0)},
     .num_flows = 1,
     .flows = {{"RSTO", CAP_END_RST, CAP_ROLE_SYN, 10, 0, 0, 0, true, true, true}}},
    /* RST in the middle: the client keeps sending after the server's RST. */
    {.name = "RSTR_data_after",
     .steps = {HANDSHAKE, P(C, ACK | PSH, 0, 10, 0), P(S, RST | ACK, 0, 0, 10),
               P(C, ACK | PSH, 10, 5, 0)},
     .num_flows = 1,
     .flows = {{"RSTR", CAP_END_RST, CAP_ROLE_SYN, 15, 0, 0, 0, true, true, true, true}}},
    {.name = "RSTOS0",
     .steps = {P(C, SYN, -1, 0, 0), P(C, RST, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"RSTOS0", CAP_END_RST, CAP_ROLE_SYN, 0, 0, 0, 0, true, false, false}}},
    {.name = "RSTRH",
     .steps = {P(S, SYN | ACK, -1, 0, 0), P(S, RST | ACK, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"RSTRH", CAP_END_RST, CAP_ROLE_SYN, 0, 0, 0, 0, false, true, false}}},
    {.name = "S2",
     .steps = {HANDSHAKE, P(C, ACK | FIN, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"S2", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 0, 0, 0, 0, true, true, true}}},
    {.name = "S3",
     .steps = {HANDSHAKE, P(S, ACK | FIN, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"S3", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 0, 0, 0, 0, true, true, true}}},
    {.name = "SH",
     .steps = {P(C, SYN, -1, 0, 0), P(C, FIN, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"SH", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 0, 0, 0, 0, true, false, false}}},
    {.name = "SHR",
     .steps = {P(S, SYN | ACK, -1, 0, 0), P(S, FIN | ACK, 0, 0, 0)},
     .num_flows = 1,
     .flows = {{"SHR", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 0, 0, 0, 0, false, true, false}}},
    /* Mid-stream pickup: no SYN, so the higher port (the client's 40000) is the client, and
     * it does not matter which side spoke first. */
    {.name = "OTH_midstream_server_first",
     .steps = {P(S, ACK | PSH, 0, 30, 0), P(C, ACK | PSH, 0, 20, 30), P(S, ACK, 30, 0, 20)},
     .num_flows = 1,
     .flows = {{"OTH", CAP_END_CAPTURE_END, CAP_ROLE_PORT, 20, 30, 0, 0, false, false, false}}},
    /* Port reuse: a closed connection, then a new SYN with another ISN on the same tuple. */
    {.name = "port_reuse",
     .steps = {HANDSHAKE,
               P(C, ACK | PSH, 0, 10, 0),
               P(C, ACK | FIN, 10, 0, 0),
               P(S, ACK | FIN, 0, 0, 11),
               {2, C, 0, 0, 0, 0},
               P(C, SYN, -1, 0, 0),
               P(S, SYN | ACK, -1, 0, 0),
               P(C, ACK | PSH, 0, 7, 0)},
     .num_flows = 2,
     .flows = {{"SF", CAP_END_PORT_REUSE, CAP_ROLE_SYN, 10, 0, 0, 0, true, true, true},
               {"S1", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 7, 0, 0, 0, true, true, true}}},
    /* A SYN on an open connection is not a new flow. */
    {.name = "syn_on_open_flow",
     .steps = {HANDSHAKE, P(C, ACK | PSH, 0, 10, 0), {2, C, 0, 0, 0, 0}, P(C, SYN, -1, 0, 0)},
     .num_flows = 1,
     .flows = {{"S1", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 10, 0, 0, 0, true, true, true}}},
    /* Server bytes [100,200) never seen but acked by the client: one acked-unseen gap. */
    {.name = "server_gap_acked",
     .steps = {HANDSHAKE, P(S, ACK | PSH, 0, 100, 0), P(S, ACK | PSH, 200, 100, 0),
               P(C, ACK, 0, 0, 300)},
     .num_flows = 1,
     .flows = {{"S1", CAP_END_CAPTURE_END, CAP_ROLE_SYN, 0, 200, 0, 1, true, true, true}}},
};

static const uint32_t ISNS[] = {0, 1, 0xffffffffu, 0xfffffff5u};

struct script_case {
    const struct script *sc;
    uint32_t isn;
};

static void run_script(void **state)
{
    const struct script_case *in = *state;
    const struct script *sc = in->sc;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    struct conn k;
    conn_init(&k, in->isn, 40000, sc->v6);
    for (int i = 0; i < 16 && sc->steps[i].op; i++) {
        const struct step *st = &sc->steps[i];
        if (st->op == 2) {
            k.isn[C] += 100000;
            k.isn[S] += 300000;
            continue;
        }
        send_pkt(t, &k, st->from, st->flags, st->rel, st->len, st->ack, NULL);
    }
    cap_flow_table_finish(t);
    struct cap_table_stats ts;
    cap_flow_table_get_stats(t, &ts);
    assert_int_equal(ts.flows_active, 0);
    assert_int_equal(ts.memory_in_use, 0);
    cap_flow_table_free(t);

    assert_int_equal(r->num_flows, sc->num_flows);
    assert_int_equal(ts.flows_total, sc->num_flows);
    for (uint32_t i = 0; i < sc->num_flows; i++) {
        const struct exp_flow *e = &sc->flows[i];
        const struct flow_rec *fr = &r->flows[i];
        const struct cap_flow_summary *s = &fr->sum;
        assert_true(fr->closed);
        assert_int_equal(s->id, i + 1);
        assert_string_equal(s->state, e->state);
        assert_int_equal(s->end_reason, e->end);
        assert_int_equal(s->roles, e->roles);
        assert_int_equal(s->client_port, 40000);
        assert_int_equal(s->server_port, 443);
        assert_int_equal(s->client_ip.bytes[sc->v6 ? 15 : 3], 1);
        assert_int_equal(fr->delivered[CAP_DIR_CLIENT], e->delivered_c);
        assert_int_equal(fr->delivered[CAP_DIR_SERVER], e->delivered_s);
        assert_int_equal(s->dir[CAP_DIR_CLIENT].delivered_bytes, e->delivered_c);
        assert_int_equal(s->dir[CAP_DIR_SERVER].delivered_bytes, e->delivered_s);
        assert_int_equal(s->dir[CAP_DIR_CLIENT].num_gaps, e->gaps_c);
        assert_int_equal(s->dir[CAP_DIR_SERVER].num_gaps, e->gaps_s);
        assert_int_equal(fr->num_gaps[CAP_DIR_SERVER], e->gaps_s);
        assert_int_equal(s->syn_ts_us != 0, e->syn_ts);
        assert_int_equal(s->synack_ts_us != 0, e->synack_ts);
        assert_int_equal(s->ack_ts_us != 0, e->ack_ts);
        assert_int_equal(s->dir[CAP_DIR_CLIENT].data_after_close, e->data_after_close_c);
        assert_true(s->first_ts_us <= s->last_ts_us);
    }
    rec_free(r);
}

/* ------------------------------------------------------------------ timeouts */

struct timeout_case {
    const char *name;
    int kind;        /* 0 established, 1 closed (FIN both ways), 2 half-open (SYN only) */
    int64_t idle_us; /* capture time until another flow's packet */
    bool expect_ended;
    enum cap_end_reason reason;
};

static const struct timeout_case TIMEOUTS[] = {
    {"established_299s", 0, 299000000, false, 0},
    {"established_301s", 0, 301000000, true, CAP_END_TIMEOUT},
    {"closed_1.9s", 1, 1900000, false, 0},
    {"closed_2.1s", 1, 2100000, true, CAP_END_FIN},
    {"halfopen_29s", 2, 29000000, false, 0},
    {"halfopen_31s", 2, 31000000, true, CAP_END_TIMEOUT},
};

static void run_timeout(void **state)
{
    const struct timeout_case *tc = *state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    struct conn a, b;
    conn_init(&a, 1000, 40000, false);
    conn_init(&b, 5000, 40001, false);
    if (tc->kind == 2) {
        send_pkt(t, &a, C, SYN, -1, 0, 0, NULL);
    } else {
        send_pkt(t, &a, C, SYN, -1, 0, 0, NULL);
        send_pkt(t, &a, S, SYN | ACK, -1, 0, 0, NULL);
        send_pkt(t, &a, C, ACK, 0, 0, 0, NULL);
        if (tc->kind == 1) {
            send_pkt(t, &a, C, ACK | FIN, 0, 0, 0, NULL);
            send_pkt(t, &a, S, ACK | FIN, 0, 0, 1, NULL);
        }
    }
    /* Another connection advances capture time; no wall clock is involved. */
    b.ts = a.ts + tc->idle_us - 1000;
    send_pkt(t, &b, C, SYN, -1, 0, 0, NULL);
    assert_int_equal(r->flows[0].closed, tc->expect_ended);
    if (tc->expect_ended) {
        assert_int_equal(r->flows[0].sum.end_reason, tc->reason);
        assert_int_equal(r->close_order[0], 1);
    }
    cap_flow_table_finish(t);
    assert_true(r->flows[0].closed && r->flows[1].closed);
    if (!tc->expect_ended) {
        /* Still open at the end: the flow that started first closes first. */
        assert_int_equal(r->close_order[0], 1);
        assert_int_equal(r->flows[0].sum.end_reason,
                         tc->kind == 1 ? CAP_END_FIN : CAP_END_CAPTURE_END);
    }
    cap_flow_table_free(t);
    rec_free(r);
}

static void tune_short_timeout(struct cap_flow_config *c)
{
    c->timeout_established_us = 5 * G_USEC_PER_SEC;
}

/* An idle live link moves the clock without a packet: a connection that closed ends once
 * timeout_closed has passed on that clock, not before; the clock never goes back, and a table
 * that has seen no packet ignores it. A segment of the ended connection then opens a new flow. */
static void advance_ends_closed_flows_without_packets(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    cap_flow_table_advance(t, 1); /* no packet yet: nothing to do, and no crash */
    struct conn k;
    conn_init(&k, 7, 40001, false);
    send_pkt(t, &k, C, SYN, -1, 0, 0, NULL);
    send_pkt(t, &k, S, SYN | ACK, -1, 0, 0, NULL);
    send_pkt(t, &k, C, ACK, 0, 0, 0, NULL);
    send_pkt(t, &k, C, ACK | PSH, 0, 10, 0, NULL);
    send_pkt(t, &k, S, ACK | FIN, 0, 0, 10, NULL);
    send_pkt(t, &k, C, ACK | FIN, 10, 0, 1, NULL);
    send_pkt(t, &k, S, ACK, 1, 0, 11, NULL);
    int64_t closed_at = k.ts;
    struct cap_flow_config defaults;
    cap_flow_config_defaults(&defaults);
    int64_t wait = defaults.timeout_closed_us;
    cap_flow_table_advance(t, closed_at + wait / 2);
    assert_int_equal(r->num_closed, 0);
    cap_flow_table_advance(t, closed_at); /* backwards: ignored */
    assert_int_equal(r->num_closed, 0);
    cap_flow_table_advance(t, closed_at + wait + 1);
    assert_int_equal(r->num_closed, 1);
    assert_int_equal(r->flows[0].sum.end_reason, CAP_END_FIN);
    /* A straggler of the ended connection, right after it (the table's last flow until it
     * ended), starts a flow of its own. */
    k.ts = closed_at + wait + 2;
    send_pkt(t, &k, C, ACK, 11, 0, 1, NULL);
    assert_int_equal(r->num_flows, 2);
    /* The same when the wait runs out at the straggler itself (the flow ends inside the add
     * that brings it, after the table compared it as its last flow). */
    struct conn k2;
    conn_init(&k2, 9, 40002, false);
    k2.ts = k.ts;
    send_pkt(t, &k2, C, SYN, -1, 0, 0, NULL);
    send_pkt(t, &k2, S, SYN | ACK, -1, 0, 0, NULL);
    send_pkt(t, &k2, C, ACK | RST, 0, 0, 0, NULL);
    struct pkt_opts late = {.dt_us = wait + 1};
    send_pkt(t, &k2, C, ACK, 0, 0, 0, &late);
    assert_int_equal(r->num_flows, 4);
    assert_int_equal(r->num_closed, 2);
    assert_int_equal(r->flows[2].sum.end_reason, CAP_END_RST);
    cap_flow_table_finish(t);
    assert_int_equal(r->num_closed, 4);
    assert_int_equal(r->flows[1].sum.end_reason, CAP_END_CAPTURE_END);
    assert_int_equal(r->flows[3].sum.end_reason, CAP_END_CAPTURE_END);
    cap_flow_table_free(t);
    rec_free(r);
}

/* ------------------------------------------------------------------ user area and hints */

#define AREA_BYTES 40
#define HINT_LOG 32

struct hint_rec {
    char log[HINT_LOG][8]; /* "o1" open, "x1" closed, "s1" ending soon, "c1" close */
    int num_log;
    uint64_t next_id;
};

static void hint_log(struct hint_rec *h, char what, const uint8_t *area)
{
    assert_true(h->num_log < HINT_LOG);
    g_snprintf(h->log[h->num_log++], sizeof(h->log[0]), "%c%u", what, area[0]);
}

static void area_open(void *user, struct cap_flow *flow)
{
    struct hint_rec *h = user;
    uint8_t *area = cap_flow_get_user(flow);
    assert_non_null(area);
    assert_int_equal((uintptr_t)area % 16, 0);
    for (size_t i = 0; i < AREA_BYTES; i++) {
        assert_int_equal(area[i], 0); /* zeroed, also when the block is an ended flow's */
    }
    memset(area, 0xff, AREA_BYTES);
    area[0] = (uint8_t)++h->next_id;
    hint_log(h, 'o', area);
}

static void area_closed(void *user, struct cap_flow *flow)
{
    hint_log(user, 'x', cap_flow_get_user(flow));
}

static void area_soon(void *user, struct cap_flow *flow)
{
    hint_log(user, 's', cap_flow_get_user(flow));
}

static void area_close(void *user, struct cap_flow *flow)
{
    const uint8_t *area = cap_flow_get_user(flow);
    for (size_t i = 1; i < AREA_BYTES; i++) {
        assert_int_equal(area[i], 0xff); /* the consumer's bytes, untouched by the table */
    }
    hint_log(user, 'c', area);
}

/* The consumer's per-flow area comes zeroed and aligned inside the flow; on_closed comes once,
 * when the TCP connection is over (FIN both ways, or a RST), not again for stragglers; and the
 * closed flows that expire one after another are each announced (on_ending_soon) just before
 * the one ahead of them ends. */
static void user_area_and_close_hints(void **state)
{
    (void)state;
    static const struct cap_stream_events ev = {.on_open = area_open,
                                                .on_close = area_close,
                                                .on_closed = area_closed,
                                                .user_bytes = AREA_BYTES};
    struct hint_rec *h = g_new0(struct hint_rec, 1);
    struct cap_flow_config cfg;
    cap_flow_config_defaults(&cfg);
    struct cap_flow_table *t = cap_flow_table_new(&cfg, &ev, h);
    cap_flow_table_set_hints(t, &(struct cap_stream_hints){.on_ending_soon = area_soon});
    struct conn k[4];
    for (int i = 0; i < 3; i++) {
        conn_init(&k[i], (uint32_t)i * 1000, (uint16_t)(40000 + i), false);
        k[i].ts += i * 10000;
        send_pkt(t, &k[i], C, SYN, -1, 0, 0, NULL);
        send_pkt(t, &k[i], S, SYN | ACK, -1, 0, 0, NULL);
        send_pkt(t, &k[i], C, ACK | PSH, 0, 10, 0, NULL);
        if (i == 1) {
            send_pkt(t, &k[i], S, RST | ACK, 0, 0, 10, NULL);
        } else {
            send_pkt(t, &k[i], S, ACK | FIN, 0, 0, 10, NULL);
            send_pkt(t, &k[i], C, ACK | FIN, 10, 0, 1, NULL);
            send_pkt(t, &k[i], S, ACK, 1, 0, 11, NULL); /* a straggler: no second on_closed */
        }
    }
    /* Long after: a new flow; the three closed ones end first, in order, each announced. */
    conn_init(&k[3], 5000, 41000, false);
    k[3].ts = k[2].ts + cfg.timeout_closed_us + 1;
    send_pkt(t, &k[3], C, SYN, -1, 0, 0, NULL);
    cap_flow_table_finish(t);
    static const char *const want[] = {"o1", "x1", "o2", "x2", "o3", "x3", "s2", "c1",
                                       "s3", "c2", "c3", "o4", "c4"};
    assert_int_equal(h->num_log, G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        assert_string_equal(h->log[i], want[i]);
    }
    cap_flow_table_free(t);
    g_free(h);
}

/* Configured timeouts are honoured; several idle flows end in order of last activity. */
static void timeout_configurable_and_ordered(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, tune_short_timeout);
    struct conn k[3];
    for (int i = 0; i < 3; i++) {
        conn_init(&k[i], (uint32_t)i * 1000, (uint16_t)(40000 + i), false);
    }
    /* Flow 2 is the least recently active, then flow 1, then flow 3. */
    for (int i = 0; i < 3; i++) {
        send_pkt(t, &k[i], C, ACK | PSH, 0, 1, 0, NULL);
        send_pkt(t, &k[i], S, ACK | PSH, 0, 1, 1, NULL);
    }
    int64_t base = k[2].ts;
    k[0].ts = base;
    send_pkt(t, &k[0], C, ACK, 1, 0, 1, NULL);
    k[2].ts = k[0].ts;
    send_pkt(t, &k[2], C, ACK, 1, 0, 1, NULL);
    struct conn late;
    conn_init(&late, 99, 50000, false);
    late.ts = k[2].ts + 6 * G_USEC_PER_SEC;
    send_pkt(t, &late, C, SYN, -1, 0, 0, NULL);
    assert_int_equal(r->num_closed, 3);
    assert_int_equal(r->close_order[0], 2);
    assert_int_equal(r->close_order[1], 1);
    assert_int_equal(r->close_order[2], 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r->flows[i].sum.end_reason, CAP_END_TIMEOUT);
    }
    cap_flow_table_finish(t);
    cap_flow_table_free(t);
    rec_free(r);
}

/* ------------------------------------------------------------------ roles */

/* Without a SYN the higher port is the client; the consumer finds the ClientHello in the other
 * direction (here: a server on port 50000 talking to a client on port 443) and swaps. */
static void roles_port_then_swap(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    r->keep_bytes = true;
    struct cap_flow_table *t = table_new(r, NULL);
    struct conn k;
    conn_init(&k, 123, 443, false);
    k.port[S] = 50000;                             /* the real server has the higher port */
    send_pkt(t, &k, S, ACK | PSH, 0, 40, 0, NULL); /* the port rule calls this side client */
    r->swap_to = CAP_DIR_SERVER;                   /* the ClientHello comes from "server" */
    send_pkt(t, &k, C, ACK | PSH, 0, 25, 40, NULL);
    assert_int_equal(r->swap_calls, 1);
    assert_true(r->swap_result);
    assert_int_equal(r->swap_client_port, 443);
    assert_int_equal(r->swap_client_packets, 1);
    send_pkt(t, &k, C, ACK | PSH, 25, 5, 40, NULL);
    send_pkt(t, &k, S, ACK | PSH, 40, 10, 30, NULL);
    cap_flow_table_finish(t);
    const struct flow_rec *fr = &r->flows[0];
    const struct cap_flow_summary *s = &fr->sum;
    assert_int_equal(s->roles, CAP_ROLE_CLIENTHELLO);
    assert_int_equal(s->client_port, 443);
    assert_int_equal(s->server_port, 50000);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].delivered_bytes, 30);
    assert_int_equal(s->dir[CAP_DIR_SERVER].delivered_bytes, 50);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].packets, 2);
    assert_int_equal(fr->delivered[CAP_DIR_CLIENT], 30);
    assert_int_equal(fr->delivered[CAP_DIR_SERVER], 50);
    /* The bytes each direction received are those its side sent. */
    assert_int_equal(fr->bytes[CAP_DIR_CLIENT]->len, 30);
    for (guint i = 0; i < 30; i++) {
        assert_int_equal(fr->bytes[CAP_DIR_CLIENT]->data[i], pattern(C, i));
    }
    for (guint i = 0; i < 50; i++) {
        assert_int_equal(fr->bytes[CAP_DIR_SERVER]->data[i], pattern(S, i));
    }
    cap_flow_table_free(t);
    rec_free(r);
}

/* A swap while the end of the flow flushes held bytes: both directions are still flushed. */
static void swap_during_flush(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    struct conn k;
    conn_init(&k, 4242, 443, false);
    k.port[S] = 50000;                              /* the port rule makes S the client */
    send_pkt(t, &k, S, ACK | PSH, 0, 10, 0, NULL);  /* delivered */
    send_pkt(t, &k, S, ACK | PSH, 20, 10, 0, NULL); /* held above a hole */
    send_pkt(t, &k, C, ACK | PSH, 0, 5, 0, NULL);
    send_pkt(t, &k, C, ACK | PSH, 15, 10, 0, NULL);
    /* The first bytes flushed at the end (the port-client's) trigger the swap. */
    r->swap_to = CAP_DIR_CLIENT;
    r->swap_arg = CAP_DIR_SERVER;
    cap_flow_table_finish(t);
    assert_int_equal(r->swap_calls, 1);
    assert_true(r->swap_result);
    const struct flow_rec *fr = &r->flows[0];
    assert_int_equal(fr->sum.client_port, 443);
    assert_int_equal(fr->cursor[CAP_DIR_SERVER], 30);
    assert_int_equal(fr->cursor[CAP_DIR_CLIENT], 25);
    assert_int_equal(fr->sum.dir[CAP_DIR_SERVER].num_gaps, 1);
    assert_int_equal(fr->sum.dir[CAP_DIR_CLIENT].num_gaps, 1);
    assert_int_equal(fr->sum.dir[CAP_DIR_SERVER].delivered_bytes, 20);
    assert_int_equal(fr->sum.dir[CAP_DIR_CLIENT].delivered_bytes, 15);
    cap_flow_table_free(t);
    rec_free(r);
}

/* With roles from a SYN, set_client is refused. */
static void roles_syn_not_swapped(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    r->swap_to = CAP_DIR_SERVER;
    struct cap_flow_table *t = table_new(r, NULL);
    struct conn k;
    conn_init(&k, 77, 40000, false);
    send_pkt(t, &k, C, SYN, -1, 0, 0, NULL);
    send_pkt(t, &k, S, SYN | ACK, -1, 0, 0, NULL);
    send_pkt(t, &k, S, ACK | PSH, 0, 10, 0, NULL);
    assert_int_equal(r->swap_calls, 1);
    assert_false(r->swap_result);
    cap_flow_table_finish(t);
    assert_int_equal(r->flows[0].sum.roles, CAP_ROLE_SYN);
    assert_int_equal(r->flows[0].sum.client_port, 40000);
    cap_flow_table_free(t);
    rec_free(r);
}

/* ------------------------------------------------------------------ path changes */

static void ttl_and_mac_changes(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    struct conn k;
    conn_init(&k, 5, 40000, false);
    struct pkt_opts o64 = {.ttl = 64, .mac = 0xaa}, o63 = {.ttl = 63, .mac = 0xaa},
                    o63b = {.ttl = 63, .mac = 0xbb}, o64b = {.ttl = 64, .mac = 0xbb},
                    zw = {.ttl = 64, .zero_window = true};
    send_pkt(t, &k, C, SYN, -1, 0, 0, &o64);         /* pkt 1 */
    send_pkt(t, &k, S, SYN | ACK, -1, 0, 0, &zw);    /* pkt 2 */
    send_pkt(t, &k, C, ACK, 0, 0, 0, &o64);          /* pkt 3 */
    send_pkt(t, &k, C, ACK | PSH, 0, 10, 0, &o63);   /* pkt 4: TTL 64 -> 63 */
    send_pkt(t, &k, C, ACK | PSH, 10, 10, 0, &o63b); /* pkt 5: MAC ..aa -> ..bb */
    send_pkt(t, &k, C, ACK | PSH, 20, 10, 0, &o64b); /* pkt 6: TTL 63 -> 64 */
    cap_flow_table_finish(t);
    const struct cap_dir_stats *c = &r->flows[0].sum.dir[CAP_DIR_CLIENT];
    const struct cap_dir_stats *s = &r->flows[0].sum.dir[CAP_DIR_SERVER];
    assert_int_equal(c->ttl, 64);
    assert_int_equal(c->num_ttl_changes, 2);
    assert_int_equal(c->ttl_changes[0].pkt_index, 4);
    assert_int_equal(c->ttl_changes[0].old_val[0], 64);
    assert_int_equal(c->ttl_changes[0].new_val[0], 63);
    assert_int_equal(c->ttl_changes[0].len, 1);
    assert_int_equal(c->ttl_changes[1].pkt_index, 6);
    assert_int_equal(c->ttl_changes[1].new_val[0], 64);
    assert_int_equal(c->link_src_len, 6);
    assert_int_equal(c->link_src[5], 0xaa);
    assert_int_equal(c->num_link_src_changes, 1);
    assert_int_equal(c->link_src_changes[0].pkt_index, 5);
    assert_int_equal(c->link_src_changes[0].len, 6);
    assert_int_equal(c->link_src_changes[0].old_val[5], 0xaa);
    assert_int_equal(c->link_src_changes[0].new_val[5], 0xbb);
    assert_true(c->link_src_changes[0].ts_us > c->ttl_changes[0].ts_us);
    assert_int_equal(s->num_ttl_changes, 0);
    assert_int_equal(s->zero_window, 1);
    assert_int_equal(c->zero_window, 0);
    assert_int_equal(c->packets, 5);
    assert_int_equal(c->bytes, 30);
    cap_flow_table_free(t);
    rec_free(r);
}

/* ------------------------------------------------------------------ caps */

static void tune_ooo(struct cap_flow_config *c)
{
    c->ooo_max_bytes = 64 * 1024;
    c->ooo_max_segments = 64;
    c->max_memory = 2 * 1024 * 1024;
}

/* A flood of out-of-order data above a hole that never fills. */
static void ooo_flood(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, tune_ooo);
    struct conn k;
    conn_init(&k, 9, 40000, false);
    send_pkt(t, &k, C, SYN, -1, 0, 0, NULL);
    send_pkt(t, &k, S, SYN | ACK, -1, 0, 0, NULL);
    for (int i = 0; i < 2000; i++) {
        /* every other 1000-byte block, leaving holes */
        send_pkt(t, &k, C, ACK | PSH, 1000 + (int64_t)i * 2000, 1000, 0, NULL);
    }
    struct cap_table_stats ts;
    cap_flow_table_get_stats(t, &ts);
    assert_true(ts.ooo_cap_hits > 0);
    assert_true(ts.memory_peak <= 2 * 1024 * 1024);
    cap_flow_table_finish(t);
    cap_flow_table_get_stats(t, &ts);
    assert_int_equal(ts.memory_in_use, 0);
    const struct cap_flow_summary *s = &r->flows[0].sum;
    assert_true(s->cap_hit);
    /* Every byte sent was delivered once; every hole is a gap, the first ones forced by the
     * cap, and data and gaps together cover the stream. */
    assert_int_equal(s->dir[CAP_DIR_CLIENT].delivered_bytes, 2000 * 1000);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].num_gaps, 2000);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].missing_bytes, 2000 * 1000);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].gaps[0].reason, CAP_GAP_OOO_CAP);
    assert_int_equal(r->flows[0].cursor[CAP_DIR_CLIENT], 4000 * 1000);
    cap_flow_table_free(t);
    rec_free(r);
}

static void tune_max_flows(struct cap_flow_config *c)
{
    c->max_flows = 10;
}

static void max_flows_evicts_lru(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, tune_max_flows);
    struct conn k[100];
    int64_t ts = 1700000000000000;
    uint64_t one_flow = 0;
    for (int i = 0; i < 100; i++) {
        conn_init(&k[i], (uint32_t)i, (uint16_t)(20000 + i), false);
        k[i].ts = ts;
        send_pkt(t, &k[i], C, SYN, -1, 0, 0, NULL);
        ts = k[i].ts;
        if (i == 0) {
            struct cap_table_stats st0;
            cap_flow_table_get_stats(t, &st0);
            one_flow = st0.memory_in_use;
        }
        /* keep flow 1 busy: it must never be the least recently active */
        k[0].ts = ts;
        send_pkt(t, &k[0], C, SYN, -1, 0, 0, NULL);
        ts = k[0].ts;
        struct cap_table_stats st;
        cap_flow_table_get_stats(t, &st);
        assert_true(st.flows_active <= 10);
    }
    struct cap_table_stats st;
    cap_flow_table_get_stats(t, &st);
    assert_int_equal(st.flows_evicted, 90);
    assert_int_equal(st.flows_total, 100);
    assert_int_equal(st.flows_peak, 10);
    assert_true(one_flow > 0);
    assert_int_equal(st.memory_peak, 10 * one_flow);
    /* evicted in order of last activity: flows 2, 3, ... 91 */
    for (int i = 0; i < 90; i++) {
        assert_int_equal(r->close_order[i], (uint64_t)i + 2);
        assert_int_equal(r->flows[i + 1].sum.end_reason, CAP_END_EVICTED);
        assert_true(r->flows[i + 1].sum.cap_hit);
    }
    assert_false(r->flows[0].closed);
    cap_flow_table_finish(t);
    assert_false(r->flows[0].sum.cap_hit);
    cap_flow_table_get_stats(t, &st);
    assert_int_equal(st.memory_in_use, 0);
    cap_flow_table_free(t);
    rec_free(r);
}

static uint64_t one_flow_bytes;

static void tune_memory(struct cap_flow_config *c)
{
    c->max_memory = one_flow_bytes * 5 + 100;
    c->recent_bytes = 0;
}

/* max_memory bounds flows too: with room for five flows, older ones are evicted. */
static void max_memory_bounds_flows(void **state)
{
    (void)state;
    /* Measure one flow's charge through the public stats. */
    struct rec *r0 = rec_new();
    struct cap_flow_table *t0 = table_new(r0, NULL);
    struct conn k0;
    conn_init(&k0, 1, 40000, false);
    send_pkt(t0, &k0, C, SYN, -1, 0, 0, NULL);
    struct cap_table_stats st;
    cap_flow_table_get_stats(t0, &st);
    one_flow_bytes = st.memory_in_use;
    assert_true(one_flow_bytes > 0);
    cap_flow_table_finish(t0);
    cap_flow_table_free(t0);
    rec_free(r0);

    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, tune_memory);
    struct conn k[20];
    for (int i = 0; i < 20; i++) {
        conn_init(&k[i], (uint32_t)i, (uint16_t)(30000 + i), false);
        k[i].ts += i * 1000;
        send_pkt(t, &k[i], C, SYN, -1, 0, 0, NULL);
        cap_flow_table_get_stats(t, &st);
        assert_true(st.memory_in_use <= one_flow_bytes * 5 + 100);
    }
    cap_flow_table_get_stats(t, &st);
    assert_int_equal(st.flows_active, 5);
    assert_int_equal(st.flows_evicted, 15);
    assert_int_equal(st.memory_cap_hits, 15);
    assert_true(st.memory_peak <= one_flow_bytes * 5 + 100);
    cap_flow_table_finish(t);
    cap_flow_table_free(t);
    rec_free(r);
}

static void tune_consumer_memory(struct cap_flow_config *c)
{
    c->max_memory = one_flow_bytes * 10 + 10000;
    c->recent_bytes = 0;
}

/* What the consumer holds for a flow counts in max_memory: it may pass the cap inside one
 * segment's events, and the least recently active flows are evicted before the next segment.
 * Everything is given back when the flows end. */
static void consumer_memory_counts(void **state)
{
    (void)state;
    one_flow_bytes = 0;
    max_memory_bounds_flows(state); /* measures one_flow_bytes */
    struct rec *r = rec_new();
    r->consumer_per_byte = 2;
    struct cap_flow_table *t = table_new(r, tune_consumer_memory);
    uint64_t cap = one_flow_bytes * 10 + 10000;
    struct conn k[12];
    struct cap_table_stats st;
    for (int i = 0; i < 12; i++) {
        conn_init(&k[i], (uint32_t)(1000 + i), (uint16_t)(31000 + i), false);
        k[i].ts += i * 1000;
        send_pkt(t, &k[i], C, SYN, -1, 0, 0, NULL);
        send_pkt(t, &k[i], S, SYN | ACK, -1, 0, 0, NULL);
        send_pkt(t, &k[i], C, ACK | PSH, 0, 1000, 0, NULL); /* the consumer now holds 2000 */
        cap_flow_table_get_stats(t, &st);
        /* Over the cap by at most this segment's growth... */
        assert_true(st.memory_in_use <= cap + 2000);
        /* ...and back under it once the next segment arrives. */
        send_pkt(t, &k[i], S, ACK, -1, 0, 1000, NULL);
        cap_flow_table_get_stats(t, &st);
        assert_true(st.memory_in_use <= cap);
    }
    /* Ten flows' entries and 2000 bytes each do not fit: 12 flows' worth of growth evicted
     * the oldest ones. */
    assert_true(st.flows_evicted >= 3);
    assert_true(st.memory_peak > one_flow_bytes * 10);
    assert_true(st.memory_peak <= cap + 2000);
    assert_true(r->flows[0].closed);
    assert_int_equal(r->flows[0].sum.end_reason, CAP_END_EVICTED);
    cap_flow_table_finish(t);
    cap_flow_table_get_stats(t, &st);
    assert_int_equal(st.memory_in_use, 0);
    cap_flow_table_free(t);
    rec_free(r);
}

static void tune_tiny_memory(struct cap_flow_config *c)
{
    c->max_memory = 16;
}

/* Memory below one flow: segments are counted as untracked, nothing crashes. */
static void memory_below_one_flow(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, tune_tiny_memory);
    struct conn k;
    conn_init(&k, 1, 40000, false);
    send_pkt(t, &k, C, SYN, -1, 0, 0, NULL);
    send_pkt(t, &k, S, SYN | ACK, -1, 0, 0, NULL);
    struct cap_table_stats st;
    cap_flow_table_get_stats(t, &st);
    assert_int_equal(st.segments, 2);
    assert_int_equal(st.segments_untracked, 2);
    assert_int_equal(st.flows_total, 0);
    assert_true(st.memory_cap_hits >= 2);
    cap_flow_table_finish(t);
    cap_flow_table_free(t);
    assert_int_equal(r->num_flows, 0);
    rec_free(r);
}

/* At the end of the capture flows close in order of their first packet, whatever their
 * activity, and the same input gives the same sequence of events. */
static void finish_order_by_id(void **state)
{
    (void)state;
    uint64_t first_run[8];
    for (int run = 0; run < 2; run++) {
        struct rec *r = rec_new();
        struct cap_flow_table *t = table_new(r, NULL);
        struct conn k[8];
        for (int i = 0; i < 8; i++) {
            conn_init(&k[i], (uint32_t)i * 77, (uint16_t)(41000 + i * 13), false);
            send_pkt(t, &k[i], C, SYN, -1, 0, 0, NULL);
        }
        for (int i = 7; i >= 0; i--) {
            k[i].ts = k[0].ts + 100000 * (8 - i);
            send_pkt(t, &k[i], S, SYN | ACK, -1, 0, 0, NULL);
        }
        cap_flow_table_finish(t);
        for (int i = 0; i < 8; i++) {
            assert_int_equal(r->close_order[i], (uint64_t)i + 1);
            if (run == 0) {
                first_run[i] = r->close_order[i];
            } else {
                assert_int_equal(r->close_order[i], first_run[i]);
            }
        }
        cap_flow_table_free(t);
        rec_free(r);
    }
}

static void tune_churn(struct cap_flow_config *c)
{
    c->max_flows = 100;
    c->timeout_halfopen_us = 1000 * G_USEC_PER_SEC;
}

/* The index under churn: 100 tuples in a table sized for 100 flows; connections are reset at
 * pseudo-random, their closed flows leave the index timeout_closed later (capture time) while
 * the others keep sending, and a later packet on a gone tuple makes a new flow. Every packet of
 * a live flow must find it: a lost probe chain shows up as an extra flow. */
static void index_churn(void **state)
{
    (void)state;
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, tune_churn);
    struct conn k[100];
    uint64_t expected_total = 0;
    int64_t ts = 1700000000000000;
    bool closed[100] = {false};
    int64_t last[100];
    int64_t sent[100][2] = {{0}};
    struct pkt_opts step_dt = {.dt_us = 10000};
    for (int i = 0; i < 100; i++) {
        conn_init(&k[i], (uint32_t)i * 1000003u, (uint16_t)(10000 + i * 7), i % 3 == 0);
        k[i].ts = ts;
        send_pkt(t, &k[i], C, SYN, -1, 0, 0, &step_dt);
        ts = last[i] = k[i].ts;
        expected_total++;
    }
    uint32_t lcg = 12345;
    uint64_t expired = 0;
    for (int step = 0; step < 3000; step++) {
        lcg = lcg * 1103515245u + 12345u;
        int i = (int)((lcg >> 8) % 100);
        int action = (int)((lcg >> 20) % 8);
        if (closed[i] && (lcg >> 4) % 20 != 0) {
            ts += step_dt.dt_us; /* reset tuples stay quiet, most of the time */
            continue;
        }
        k[i].ts = ts;
        struct cap_flow_config defaults;
        cap_flow_config_defaults(&defaults);
        if (closed[i] && ts + step_dt.dt_us - last[i] > defaults.timeout_closed_us) {
            closed[i] = false; /* expired: this packet starts a new (midstream) flow */
            expected_total++;
            expired++;
        }
        if (action == 0) {
            send_pkt(t, &k[i], C, RST, sent[i][C], 0, 0, &step_dt);
            closed[i] = true;
        } else {
            enum side from = (action & 1) ? C : S;
            send_pkt(t, &k[i], from, ACK | PSH, sent[i][from], 3, 0, &step_dt);
            sent[i][from] += 3;
        }
        ts = last[i] = k[i].ts;
        struct cap_table_stats st;
        cap_flow_table_get_stats(t, &st);
        assert_int_equal(st.flows_total, expected_total);
    }
    assert_true(expired > 20);
    struct cap_table_stats st;
    cap_flow_table_get_stats(t, &st);
    assert_int_equal(st.flows_evicted, 0);
    cap_flow_table_finish(t);
    cap_flow_table_free(t);
    rec_free(r);
}

/* ------------------------------------------------------------------ real captures */

static char *sample(const char *name)
{
    return g_build_filename(TLSSCOPE_SOURCE_DIR, "samples", "lab", name, NULL);
}

/* feed_pcap: decodes every frame of path with cap_decode and feeds the table. */
static void feed_pcap(const char *path, struct cap_flow_table *t)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        fail_msg("%s: %s", path, err);
    }
    int linktype = pcap_datalink(p);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t index = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        struct cap_segment seg;
        memset(&seg, 0, sizeof(seg));
        seg.ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        seg.pkt_index = ++index;
        enum cap_skip_reason why;
        if (cap_decode(linktype, data, h->caplen, false, &seg, &why)) {
            cap_flow_table_add(t, &seg);
        }
    }
    pcap_close(p);
}

/* frame_segment: decodes frame number n (1-based) of path. */
static void frame_segment(const char *path, uint64_t n, struct cap_segment *out)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        fail_msg("%s: %s", path, err);
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t index = 0;
    bool found = false;
    while (!found && pcap_next_ex(p, &h, &data) == 1) {
        if (++index == n) {
            enum cap_skip_reason why;
            memset(out, 0, sizeof(*out));
            found = cap_decode(pcap_datalink(p), data, h->caplen, false, out, &why);
            out->payload = NULL; /* the view dies with the pcap handle */
        }
    }
    pcap_close(p);
    assert_true(found);
}

/* What tshark says about one TCP segment. */
struct tshark_seg {
    uint32_t stream;
    uint16_t sport, dport;
    uint64_t len;
    bool retrans;
};

/* tshark_segments: every TCP segment of path as tshark dissects it; NULL when tshark cannot be
 * run. */
static GArray *tshark_segments(const char *path)
{
    char *argv[] = {
        "tshark", "-n",          "-r", (char *)path, "-Y", "tcp",
        "-T",     "fields",      "-e", "tcp.stream", "-e", "tcp.srcport",
        "-e",     "tcp.dstport", "-e", "tcp.len",    "-e", "tcp.analysis.retransmission",
        NULL};
    char *out = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                      NULL, &out, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    GArray *segs = g_array_new(FALSE, TRUE, sizeof(struct tshark_seg));
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        char **f = g_strsplit(*l, "\t", -1);
        if (g_strv_length(f) >= 4) {
            struct tshark_seg sg = {
                .stream = (uint32_t)g_ascii_strtoull(f[0], NULL, 10),
                .sport = (uint16_t)g_ascii_strtoull(f[1], NULL, 10),
                .dport = (uint16_t)g_ascii_strtoull(f[2], NULL, 10),
                .len = g_ascii_strtoull(f[3], NULL, 10),
                .retrans = g_strv_length(f) >= 5 && f[4][0] != '\0',
            };
            g_array_append_val(segs, sg);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(out);
    return segs;
}

/* Every sample decoded and reassembled: one flow per tshark TCP stream, no gaps and no
 * inconsistencies, and per direction the payload bytes tshark counts, delivered once each
 * except what tshark calls a retransmission. */
static const char *const PLAIN_SAMPLES[] = {"big.pcap", "cap.pcap", "alert.pcap", "mid.pcap"};

static void sample_vs_tshark(void **state)
{
    const char *name = *state;
    char *path = sample(name);
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    feed_pcap(path, t);
    cap_flow_table_finish(t);
    assert_true(r->num_flows > 0);
    for (uint32_t i = 0; i < r->num_flows; i++) {
        const struct cap_flow_summary *s = &r->flows[i].sum;
        assert_true(r->flows[i].closed);
        /* Every sample's connections end with FIN both ways (samples/lab/README.md). */
        assert_string_equal(s->state, "SF");
        for (int d = 0; d < 2; d++) {
            assert_int_equal(s->dir[d].num_gaps, 0);
            assert_int_equal(s->dir[d].num_incons, 0);
            assert_int_equal(s->dir[d].delivered_bytes, r->flows[i].delivered[d]);
            assert_int_equal(s->dir[d].delivered_bytes,
                             s->dir[d].bytes - s->dir[d].retransmitted_bytes);
        }
    }
    GArray *segs = tshark_segments(path);
    if (!segs) {
        print_message("tshark not runnable: skipping the comparison with tshark for %s\n", name);
    } else {
        uint32_t streams = 0;
        for (guint j = 0; j < segs->len; j++) {
            streams = MAX(streams, g_array_index(segs, struct tshark_seg, j).stream + 1);
        }
        assert_int_equal(r->num_flows, streams);
        for (uint32_t i = 0; i < r->num_flows; i++) {
            const struct cap_flow_summary *s = &r->flows[i].sum;
            uint16_t ports[2] = {s->client_port, s->server_port};
            for (int d = 0; d < 2; d++) {
                uint64_t bytes = 0, retrans = 0;
                for (guint j = 0; j < segs->len; j++) {
                    const struct tshark_seg *sg = &g_array_index(segs, struct tshark_seg, j);
                    if (sg->sport == ports[d] && sg->dport == ports[!d]) {
                        bytes += sg->len;
                        retrans += sg->retrans ? sg->len : 0;
                    }
                }
                assert_true(bytes > 0);
                assert_int_equal(s->dir[d].bytes, bytes);
                assert_int_equal(s->dir[d].delivered_bytes, bytes - retrans);
            }
        }
        g_array_unref(segs);
    }
    if (strcmp(name, "mid.pcap") == 0) {
        /* its first connection lost the SYN and SYN-ACK: port roles, midstream offsets */
        assert_int_equal(r->flows[0].sum.roles, CAP_ROLE_PORT);
        assert_true(r->flows[0].sum.dir[CAP_DIR_CLIENT].midstream);
    } else {
        assert_int_equal(r->flows[0].sum.roles, CAP_ROLE_SYN);
    }
    cap_flow_table_free(t);
    rec_free(r);
    g_free(path);
}

/* gap.pcap is big.pcap without frame 18 (samples/lab/README.md): the server stream must have
 * exactly one gap, where that frame's bytes were, reported as acked by the client. */
static void gap_pcap_one_server_gap(void **state)
{
    (void)state;
    char *big = sample("big.pcap");
    char *gap = sample("gap.pcap");
    struct cap_segment synack, removed;
    /* big.pcap: frame 2 is the server's SYN-ACK (its ISN), frame 18 the removed segment. */
    frame_segment(big, 2, &synack);
    assert_int_equal(synack.flags & (CAP_TCP_SYN | CAP_TCP_ACK), CAP_TCP_SYN | CAP_TCP_ACK);
    frame_segment(big, 18, &removed);
    assert_int_equal(removed.sport, synack.sport);
    uint64_t rel = (uint32_t)(removed.seq - (synack.seq + 1));
    uint64_t len = removed.payload_len;
    assert_true(len > 0);

    struct rec *rb = rec_new();
    struct cap_flow_table *tb = table_new(rb, NULL);
    feed_pcap(big, tb);
    cap_flow_table_finish(tb);
    struct rec *r = rec_new();
    struct cap_flow_table *t = table_new(r, NULL);
    feed_pcap(gap, t);
    cap_flow_table_finish(t);

    assert_int_equal(r->num_flows, 1);
    const struct cap_flow_summary *s = &r->flows[0].sum;
    assert_int_equal(s->dir[CAP_DIR_CLIENT].num_gaps, 0);
    assert_int_equal(s->dir[CAP_DIR_SERVER].num_gaps, 1);
    assert_int_equal(r->flows[0].num_gaps[CAP_DIR_SERVER], 1);
    const struct cap_gap *g = &s->dir[CAP_DIR_SERVER].gaps[0];
    assert_int_equal(g->offset, rel);
    assert_int_equal(g->len, len);
    assert_int_equal(g->reason, CAP_GAP_ACKED_UNSEEN);
    assert_int_equal(s->dir[CAP_DIR_SERVER].missing_bytes, len);
    const struct cap_flow_summary *sb = &rb->flows[0].sum;
    assert_int_equal(s->dir[CAP_DIR_SERVER].delivered_bytes,
                     sb->dir[CAP_DIR_SERVER].delivered_bytes - len);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].delivered_bytes,
                     sb->dir[CAP_DIR_CLIENT].delivered_bytes);
    /* data and gap events cover the whole server stream */
    assert_int_equal(r->flows[0].cursor[CAP_DIR_SERVER], sb->dir[CAP_DIR_SERVER].delivered_bytes);

    cap_flow_table_free(tb);
    cap_flow_table_free(t);
    rec_free(rb);
    rec_free(r);
    g_free(big);
    g_free(gap);
}

int main(void)
{
    GArray *tests = g_array_new(FALSE, FALSE, sizeof(struct CMUnitTest));
    for (size_t i = 0; i < G_N_ELEMENTS(SCRIPTS); i++) {
        for (size_t j = 0; j < G_N_ELEMENTS(ISNS); j++) {
            struct script_case *c = g_new0(struct script_case, 1);
            c->sc = &SCRIPTS[i];
            c->isn = ISNS[j];
            struct CMUnitTest t = cmocka_unit_test_prestate(run_script, c);
            t.name = g_strdup_printf("script/%s/isn=%u", SCRIPTS[i].name, ISNS[j]);
            g_array_append_val(tests, t);
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(TIMEOUTS); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(run_timeout, (void *)&TIMEOUTS[i]);
        t.name = g_strdup_printf("timeout/%s", TIMEOUTS[i].name);
        g_array_append_val(tests, t);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(PLAIN_SAMPLES); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(sample_vs_tshark, (void *)PLAIN_SAMPLES[i]);
        t.name = g_strdup_printf("sample_vs_tshark/%s", PLAIN_SAMPLES[i]);
        g_array_append_val(tests, t);
    }
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(timeout_configurable_and_ordered),
        cmocka_unit_test(user_area_and_close_hints),
        cmocka_unit_test(advance_ends_closed_flows_without_packets),
        cmocka_unit_test(roles_port_then_swap),
        cmocka_unit_test(roles_syn_not_swapped),
        cmocka_unit_test(swap_during_flush),
        cmocka_unit_test(ttl_and_mac_changes),
        cmocka_unit_test(ooo_flood),
        cmocka_unit_test(max_flows_evicts_lru),
        cmocka_unit_test(max_memory_bounds_flows),
        cmocka_unit_test(consumer_memory_counts),
        cmocka_unit_test(memory_below_one_flow),
        cmocka_unit_test(finish_order_by_id),
        cmocka_unit_test(index_churn),

        cmocka_unit_test(gap_pcap_one_server_gap),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
        g_array_append_val(tests, fixed[i]);
    }
    return _cmocka_run_group_tests("flow_table", (const struct CMUnitTest *)tests->data, tests->len,
                                   NULL, NULL);
}
