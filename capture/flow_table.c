/* The flow table: maps every TCP segment to its connection (both directions of a 5-tuple are
 * one flow), decides who is client, tracks the TCP facts of each side (handshake, FIN, RST, TTL
 * and link-source changes), feeds each direction's reassembler, and ends flows on idle timeout,
 * port reuse, eviction or the end of the capture, in an order that depends only on the input.
 *
 * Index: open addressing with linear probing over a slot array sized at creation for max_flows
 * at load factor <= 1/2, keyed by a hash of the tuple with its two endpoints in canonical order,
 * so one probe sequence finds the flow from either direction. Deletion shifts entries back
 * instead of leaving tombstones, so probe lengths never decay.
 *
 * Expiry: every flow sits in one of three lists (half-open, established, closed), each ordered
 * by last activity because a flow moves to the tail of its list on every packet. A flow's
 * timeout only depends on its list, so the heads are the only candidates: expiry costs O(1) per
 * packet plus O(1) per expired flow, and the least recently active flow (for eviction) is the
 * oldest of the three heads. Capture time only moves forward here: a packet stamped earlier
 * than the latest one is treated as arriving at the latest time.
 *
 * Choices the public header leaves open: a SYN-ACK without its SYN also fixes roles (its
 * receiver is the client, CAP_ROLE_SYN); at cap_flow_table_finish a flow whose TCP connection
 * is already over (FIN both ways, or RST) ends with CAP_END_FIN or CAP_END_RST rather than
 * CAP_END_CAPTURE_END; "half-open" means that only one side has sent anything yet; an evicted
 * flow is marked cap_hit. Memory: each flow is charged its block (struct cap_flow, about 1 KB,
 * most of it the fixed arrays of struct cap_dir_stats, and the consumer's user area), plus its
 * rings and held bytes. */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_hints.h"
#include "prefetch.h"
#include "spare_list.h"
#include "tcp_reassembly_internal.h"

enum tclass { TCLASS_HALFOPEN, TCLASS_ESTABLISHED, TCLASS_CLOSED, TCLASS_COUNT };

/* The index starts at CAP_FLOW_INDEX_MIN slots and doubles to stay at most half full (16 bytes
 * per slot, outside max_memory), so it follows the flows that are open at once rather than
 * the most that could be. CAP_FLOW_INDEX_MAX_FLOWS bounds max_flows. */
#define CAP_FLOW_INDEX_MIN 1024u
#define CAP_FLOW_INDEX_MAX_FLOWS (1u << 26)

/* Ended flows kept for the next ones (spare_list.h): about 1 MB at most, outside max_memory. */
#define CAP_FLOW_SPARES 1024
/* Closed flows' smallest retransmission rings kept for the next flows: 2 MB at most, outside
 * max_memory. Rings are given back when a flow closes, not when it ends, so this many covers
 * the flows that open while as many are open and unclosed. */
#define CAP_RING_SPARES 512

/* A flow's block: the flow, then the consumer's user area (cap_stream_events.user_bytes). */
#define FLOW_USER_OFFSET ((sizeof(struct cap_flow) + 15u) & ~(size_t)15u)

/* What one side has sent, for the Zeek-style connection state. */
struct side_tcp {
    bool sent_any;
    bool sent_syn;    /* SYN without ACK */
    bool sent_synack; /* SYN with ACK */
    bool established; /* synchronised: its SYN (or SYN-ACK) was followed by an acknowledgement */
    bool meta_seen;
    uint8_t ttl; /* current value (the first one is in the stats) */
    uint8_t link_len;
    uint8_t link[CAP_LINK_ADDR_MAX];
};

/* Sides are fixed when the flow is made: side 0 is the client as first judged. Public
 * directions map to sides through `swapped`, so cap_flow_set_client is one bit flip that is safe
 * even while a reassembler is delivering bytes to the consumer who calls it. */
struct cap_flow {
    struct cap_flow_table *t;
    uint64_t hash;
    size_t slot;
    struct cap_flow *lprev, *lnext;
    enum tclass tclass;
    bool swapped;
    void *user;
    int64_t last_ts; /* table clock at the last packet (monotonic) */
    uint64_t pkts;
    struct cap_addr addr[2];
    uint16_t port[2];
    struct side_tcp tcp[2];
    struct tcp_reasm rs[2];
    /* The only copy of the per-direction stats is sum.dir, laid out by side while
     * layout_swapped != swapped; see layout_settle. */
    bool layout_swapped;
    size_t consumer_bytes; /* cap_flow_set_consumer_bytes; in t->mem */
    struct cap_flow_summary sum;
};

struct flow_list {
    struct cap_flow *head, *tail;
};

/* An index slot keeps its flow's hash beside the pointer, so a probe passes over other flows
 * without reading them (each read would be a cache miss). */
struct flow_slot {
    struct cap_flow *f; /* NULL: empty */
    uint64_t hash;
};

struct cap_flow_table {
    struct cap_flow_config cfg;
    struct cap_stream_events ev;
    struct cap_stream_hints hints;
    void *user;
    struct tcp_reasm_limits lim;
    struct tcp_mem mem;
    struct flow_slot *slots;
    size_t mask;
    size_t index_used; /* flows in the index */
    uint64_t seed;
    struct flow_list lists[TCLASS_COUNT];
    /* The flow of the last segment, or NULL: most segments belong to the flow of the one
     * before, whose block is still in cache, so it is compared before the index is hashed and
     * probed (a cache miss on the slot). */
    struct cap_flow *last;
    int64_t now;
    bool clock_set;
    bool busy; /* inside a reassembler call: sum.dir must not move */
    struct cap_flow_summary scratch;
    struct spare_list spares; /* of flow blocks (block_bytes) */
    size_t block_bytes;       /* a flow and its user area */
    uint64_t next_id;
    struct cap_table_stats stats;
};

/* side_st: the stats of a side, wherever the current layout keeps them. */
static struct cap_dir_stats *side_st(struct cap_flow *f, int side)
{
    return &f->sum.dir[side ^ (int)f->layout_swapped];
}

static const struct cap_dir_stats *side_st_c(const struct cap_flow *f, int side)
{
    return &f->sum.dir[side ^ (int)f->layout_swapped];
}

void cap_flow_config_defaults(struct cap_flow_config *c)
{
    memset(c, 0, sizeof(*c));
    c->max_flows = 1000000;
    c->max_memory = 512ull << 20;
    c->ooo_max_bytes = 1u << 20;
    c->ooo_max_segments = 1024;
    c->timeout_established_us = 300 * G_USEC_PER_SEC;
    /* A closed flow only waits for the last ACKs and a retransmitted FIN, which come within a
     * few retransmission timeouts (RTO >= 200 ms); Zeek waits 5 s. Clients that close by RST
     * hundreds of times a second would otherwise keep thousands of finished flows in memory. */
    c->timeout_closed_us = 2 * G_USEC_PER_SEC;
    c->timeout_halfopen_us = 30 * G_USEC_PER_SEC;
    c->gap_wait_packets = 32;
    c->gap_wait_us = G_USEC_PER_SEC;
    c->verify_checksums = false;
    c->recent_bytes = 64u << 10;
}

/* ------------------------------------------------------------------ the index */

/* A total order on endpoints, so the two directions of a tuple hash alike. Which order does not
 * matter, only that it is one: the address is compared as two native words (a memcmp call per
 * packet was a visible cost). */
static int endpoint_cmp(const struct cap_addr *a, uint16_t ap, const struct cap_addr *b,
                        uint16_t bp)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a->bytes, 8);
    memcpy(&a1, a->bytes + 8, 8);
    memcpy(&b0, b->bytes, 8);
    memcpy(&b1, b->bytes + 8, 8);
    if (a->family != b->family) {
        return a->family < b->family ? -1 : 1;
    }
    if (a0 != b0) {
        return a0 < b0 ? -1 : 1;
    }
    if (a1 != b1) {
        return a1 < b1 ? -1 : 1;
    }
    return ap == bp ? 0 : (ap < bp ? -1 : 1);
}

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static uint64_t endpoint_hash(uint64_t h, const struct cap_addr *a, uint16_t port)
{
    uint64_t w0, w1;
    memcpy(&w0, a->bytes, 8);
    memcpy(&w1, a->bytes + 8, 8);
    h = mix(h, w0);
    h = mix(h, w1);
    return mix(h, ((uint64_t)a->family << 16) | port);
}

/* Symmetric: the endpoints are hashed in canonical order. */
static uint64_t tuple_hash(const struct cap_flow_table *t, const struct cap_segment *s)
{
    uint64_t h = t->seed;
    if (endpoint_cmp(&s->src, s->sport, &s->dst, s->dport) <= 0) {
        h = endpoint_hash(h, &s->src, s->sport);
        h = endpoint_hash(h, &s->dst, s->dport);
    } else {
        h = endpoint_hash(h, &s->dst, s->dport);
        h = endpoint_hash(h, &s->src, s->sport);
    }
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 33);
}

static bool addr_eq(const struct cap_addr *a, const struct cap_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

/* flow_side: 0 or 1 for the side that sent s, -1 when s is not of this flow. */
static int flow_side(const struct cap_flow *f, const struct cap_segment *s)
{
    if (f->port[0] == s->sport && f->port[1] == s->dport && addr_eq(&f->addr[0], &s->src) &&
        addr_eq(&f->addr[1], &s->dst)) {
        return 0;
    }
    if (f->port[1] == s->sport && f->port[0] == s->dport && addr_eq(&f->addr[1], &s->src) &&
        addr_eq(&f->addr[0], &s->dst)) {
        return 1;
    }
    return -1;
}

static struct cap_flow *index_find(const struct cap_flow_table *t, const struct cap_segment *s,
                                   uint64_t h, int *out_side)
{
    for (size_t i = h & t->mask; t->slots[i].f; i = (i + 1) & t->mask) {
        if (t->slots[i].hash == h) {
            struct cap_flow *f = t->slots[i].f;
            int side = flow_side(f, s);
            if (side >= 0) {
                *out_side = side;
                return f;
            }
        }
    }
    return NULL;
}

static void index_place(struct cap_flow_table *t, struct cap_flow *f)
{
    size_t i = f->hash & t->mask;
    while (t->slots[i].f) {
        i = (i + 1) & t->mask;
    }
    t->slots[i].f = f;
    t->slots[i].hash = f->hash;
    f->slot = i;
}

static void index_grow(struct cap_flow_table *t)
{
    struct flow_slot *old = t->slots;
    size_t old_n = t->mask + 1;
    t->slots = g_new0(struct flow_slot, old_n * 2);
    t->mask = old_n * 2 - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old[i].f) {
            index_place(t, old[i].f);
        }
    }
    g_free(old);
}

static void index_insert(struct cap_flow_table *t, struct cap_flow *f)
{
    if ((t->index_used + 1) * 2 > t->mask + 1) {
        index_grow(t);
    }
    index_place(t, f);
    t->index_used++;
}

/* Backward-shift deletion: later entries of the probe run move into the hole unless their home
 * slot lies cyclically in (hole, their slot]. */
static void index_remove(struct cap_flow_table *t, struct cap_flow *f)
{
    size_t i = f->slot;
    t->slots[i].f = NULL;
    t->index_used--;
    for (size_t j = (i + 1) & t->mask; t->slots[j].f; j = (j + 1) & t->mask) {
        size_t home = t->slots[j].hash & t->mask;
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->slots[i].f->slot = i;
            t->slots[j].f = NULL;
            i = j;
        }
    }
}

/* ------------------------------------------------------------------ expiry lists */

static void list_unlink(struct cap_flow_table *t, struct cap_flow *f)
{
    struct flow_list *l = &t->lists[f->tclass];
    if (f->lprev) {
        f->lprev->lnext = f->lnext;
    } else {
        l->head = f->lnext;
    }
    if (f->lnext) {
        f->lnext->lprev = f->lprev;
    } else {
        l->tail = f->lprev;
    }
    f->lprev = f->lnext = NULL;
}

static void list_append(struct cap_flow_table *t, struct cap_flow *f, enum tclass c)
{
    struct flow_list *l = &t->lists[c];
    f->tclass = c;
    f->lnext = NULL;
    f->lprev = l->tail;
    if (l->tail) {
        l->tail->lnext = f;
    } else {
        l->head = f;
    }
    l->tail = f;
}

static bool flow_closed(const struct cap_flow *f)
{
    const struct cap_dir_stats *a = side_st_c(f, 0), *b = side_st_c(f, 1);
    return (a->fin_seen && b->fin_seen) || a->rst_seen || b->rst_seen;
}

static enum tclass classify(const struct cap_flow *f)
{
    if (flow_closed(f)) {
        return TCLASS_CLOSED;
    }
    /* Until both sides have spoken it is an attempt (or a one-sided capture). */
    if (!(f->tcp[0].sent_any && f->tcp[1].sent_any)) {
        return TCLASS_HALFOPEN;
    }
    return TCLASS_ESTABLISHED;
}

static int64_t class_timeout(const struct cap_flow_table *t, enum tclass c)
{
    switch (c) {
    case TCLASS_HALFOPEN:
        return t->cfg.timeout_halfopen_us;
    case TCLASS_ESTABLISHED:
        return t->cfg.timeout_established_us;
    case TCLASS_CLOSED:
    case TCLASS_COUNT:
        break;
    }
    return t->cfg.timeout_closed_us;
}

/* ------------------------------------------------------------------ events through sides */

struct emit_arg {
    struct cap_flow_table *t;
    struct cap_flow *f;
    int side;
};

static enum cap_dir side_dir(const struct cap_flow *f, int side)
{
    return (enum cap_dir)(side ^ (int)f->swapped);
}

static void emit_data(void *arg, uint64_t offset, const uint8_t *data, size_t len, int64_t ts)
{
    struct emit_arg *a = arg;
    if (a->t->ev.on_data) {
        a->t->ev.on_data(a->t->user, a->f, side_dir(a->f, a->side), offset, data, len, ts);
    }
}

static void emit_gap(void *arg, const struct cap_gap *gap)
{
    struct emit_arg *a = arg;
    if (a->t->ev.on_gap) {
        a->t->ev.on_gap(a->t->user, a->f, side_dir(a->f, a->side), gap);
    }
}

static struct tcp_reasm_ctx side_ctx(struct cap_flow_table *t, struct cap_flow *f, int side,
                                     struct emit_arg *arg)
{
    arg->t = t;
    arg->f = f;
    arg->side = side;
    struct tcp_reasm_ctx c = {
        .lim = &t->lim,
        .mem = &t->mem,
        .st = side_st(f, side),
        .cap_hit = &f->sum.cap_hit,
        .on_data = emit_data,
        .on_gap = emit_gap,
        .arg = arg,
    };
    return c;
}

/* ------------------------------------------------------------------ summary */

/* Endpoint states and conn_state after Zeek's base/protocols/conn/main.zeek. */
enum ep_state {
    EP_INACTIVE,
    EP_SYN_SENT,
    EP_SYN_ACK_SENT,
    EP_PARTIAL,
    EP_ESTABLISHED,
    EP_CLOSED,
    EP_RESET
};

static enum ep_state ep_state(const struct cap_flow *f, int side)
{
    const struct side_tcp *s = &f->tcp[side];
    if (side_st_c(f, side)->rst_seen) {
        return EP_RESET;
    }
    if (side_st_c(f, side)->fin_seen) {
        return EP_CLOSED;
    }
    if (s->established) {
        return EP_ESTABLISHED;
    }
    if (s->sent_syn) {
        return EP_SYN_SENT;
    }
    if (s->sent_synack) {
        return EP_SYN_ACK_SENT;
    }
    return s->sent_any ? EP_PARTIAL : EP_INACTIVE;
}

static const char *conn_state(const struct cap_flow *f)
{
    int cs = (int)f->swapped;
    enum ep_state os = ep_state(f, cs), rs = ep_state(f, cs ^ 1);
    bool o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
    bool r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;
    if (rs == EP_RESET) {
        if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT ||
            (os == EP_RESET && side_st_c(f, cs)->bytes == 0 && side_st_c(f, cs ^ 1)->bytes == 0)) {
            return "REJ";
        }
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == EP_RESET) {
        if (r_inactive) {
            /* Zeek: history ^S...R: the originator's SYN, then its RST. */
            return f->tcp[cs].sent_syn ? "RSTOS0" : "OTH";
        }
        return "RSTO";
    }
    if (rs == EP_CLOSED && os == EP_CLOSED) {
        return "SF";
    }
    if (os == EP_CLOSED) {
        return r_inactive ? "SH" : "S2";
    }
    if (rs == EP_CLOSED) {
        return o_inactive ? "SHR" : "S3";
    }
    if (os == EP_SYN_SENT && rs == EP_INACTIVE) {
        return "S0";
    }
    if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED) {
        return "S1";
    }
    return "OTH";
}

/* layout_settle: after cap_flow_set_client the stats move to their new public places, but only
 * outside reassembler calls, which hold pointers to them. */
static void layout_settle(struct cap_flow *f)
{
    if (f->layout_swapped != f->swapped) {
        struct cap_dir_stats tmp = f->sum.dir[0];
        f->sum.dir[0] = f->sum.dir[1];
        f->sum.dir[1] = tmp;
        f->layout_swapped = f->swapped;
    }
}

static void summary_fill(const struct cap_flow *f, struct cap_flow_summary *out)
{
    int cs = (int)f->swapped;
    out->client_ip = f->addr[cs];
    out->client_port = f->port[cs];
    out->server_ip = f->addr[cs ^ 1];
    out->server_port = f->port[cs ^ 1];
    g_strlcpy(out->state, conn_state(f), sizeof(out->state));
}

/* cap_flow_get_summary: the flow's summary, up to date. Called from a stream event right after a
 * swap, it is a copy in the table that the next such call overwrites. */
const struct cap_flow_summary *cap_flow_get_summary(const struct cap_flow *f)
{
    struct cap_flow *mf = (struct cap_flow *)f;
    if (!mf->t->busy) {
        layout_settle(mf);
    }
    if (mf->layout_swapped == mf->swapped) {
        summary_fill(mf, &mf->sum);
        return &mf->sum;
    }
    struct cap_flow_summary *s = &mf->t->scratch;
    *s = mf->sum;
    s->dir[0] = mf->sum.dir[1];
    s->dir[1] = mf->sum.dir[0];
    summary_fill(mf, s);
    return s;
}

void cap_flow_set_user(struct cap_flow *f, void *user)
{
    f->user = user;
}

void cap_flow_set_consumer_bytes(struct cap_flow *f, size_t bytes)
{
    struct tcp_mem *m = &f->t->mem;
    if (bytes >= f->consumer_bytes) {
        tcp_mem_charge(m, bytes - f->consumer_bytes);
    } else {
        tcp_mem_release(m, f->consumer_bytes - bytes);
    }
    f->consumer_bytes = bytes;
}

bool cap_flow_acked(const struct cap_flow *f, enum cap_dir dir, uint64_t *out_offset)
{
    const struct tcp_reasm *r = &f->rs[(int)dir ^ (int)f->swapped];
    if (!r->ack_valid) {
        return false;
    }
    *out_offset = r->acked;
    return true;
}

void *cap_flow_get_user(const struct cap_flow *f)
{
    return f->user;
}

bool cap_flow_set_client(struct cap_flow *f, enum cap_dir dir)
{
    if (f->sum.roles != CAP_ROLE_PORT) {
        return false;
    }
    f->sum.roles = CAP_ROLE_CLIENTHELLO;
    if (dir == CAP_DIR_CLIENT) {
        return false;
    }
    f->swapped = !f->swapped;
    return true;
}

/* ------------------------------------------------------------------ flow lifecycle */

static void flow_end(struct cap_flow_table *t, struct cap_flow *f, enum cap_end_reason reason)
{
    f->sum.end_reason = reason;
    if (t->last == f) {
        t->last = NULL;
    }
    t->busy = true;
    /* Client's side first; fixed before the loop because a consumer may swap roles meanwhile. */
    int first = (int)f->swapped;
    for (int k = 0; k < 2; k++) {
        int side = first ^ k;
        struct emit_arg arg;
        struct tcp_reasm_ctx c = side_ctx(t, f, side, &arg);
        tcp_reasm_finish(&f->rs[side], &c, t->now);
    }
    t->busy = false;
    layout_settle(f);
    summary_fill(f, &f->sum);
    if (t->ev.on_close) {
        t->ev.on_close(t->user, f);
    }
    index_remove(t, f);
    list_unlink(t, f);
    tcp_reasm_cleanup(&f->rs[0], &t->mem);
    tcp_reasm_cleanup(&f->rs[1], &t->mem);
    cap_flow_summary_release(&f->sum);
    tcp_mem_release(&t->mem, t->block_bytes + f->consumer_bytes);
    spare_list_give(&t->spares, f);
    t->stats.flows_active--;
}

static enum cap_end_reason closed_reason(const struct cap_flow *f)
{
    return (side_st_c(f, 0)->rst_seen || side_st_c(f, 1)->rst_seen) ? CAP_END_RST : CAP_END_FIN;
}

/* Flows expire in list order, so the ones to end after f are known: the second one's block
 * is fetched now, and the next one, fetched at the previous end, has its consumer's state
 * fetched (on_ending_soon) and its index slot. By the time each ends, what it reads is in
 * cache instead of a miss per line. */
static void prefetch_next_ends(const struct cap_flow_table *t, const struct cap_flow *f)
{
    struct cap_flow *n1 = f->lnext;
    if (n1 == NULL) {
        return;
    }
    if (n1->lnext != NULL) {
        prefetch_block(n1->lnext, t->block_bytes);
    }
    prefetch_block(&t->slots[n1->slot], sizeof(t->slots[0]));
    if (t->hints.on_ending_soon) {
        t->hints.on_ending_soon(t->user, n1);
    }
}

static void expire(struct cap_flow_table *t)
{
    for (int c = 0; c < TCLASS_COUNT; c++) {
        int64_t timeout = class_timeout(t, (enum tclass)c);
        struct cap_flow *f;
        while ((f = t->lists[c].head) && t->now - f->last_ts > timeout) {
            prefetch_next_ends(t, f);
            flow_end(t, f, c == TCLASS_CLOSED ? closed_reason(f) : CAP_END_TIMEOUT);
        }
    }
}

/* evict_lru: ends the least recently active flow; false when there is none. */
static bool evict_lru(struct cap_flow_table *t)
{
    struct cap_flow *victim = NULL;
    for (int c = 0; c < TCLASS_COUNT; c++) {
        struct cap_flow *h = t->lists[c].head;
        if (h && (!victim || h->last_ts < victim->last_ts ||
                  (h->last_ts == victim->last_ts && h->sum.id < victim->sum.id))) {
            victim = h;
        }
    }
    if (!victim) {
        return false;
    }
    t->stats.flows_evicted++;
    /* Whatever the connection sends next lands in a new, midstream flow. */
    victim->sum.cap_hit = true;
    flow_end(t, victim, CAP_END_EVICTED);
    return true;
}

/* flow_new: the client is the SYN sender (or the receiver of a SYN-ACK); with neither, the
 * higher port, the sender on a tie, until the consumer says otherwise. */
static struct cap_flow *flow_new(struct cap_flow_table *t, const struct cap_segment *s, uint64_t h,
                                 int *out_side)
{
    if (t->stats.flows_active >= t->cfg.max_flows && !evict_lru(t)) {
        return NULL;
    }
    while (!tcp_mem_reserve(&t->mem, t->block_bytes)) {
        if (!evict_lru(t)) {
            return NULL;
        }
    }
    struct cap_flow *f = spare_list_take(&t->spares);
    f->t = t;
    f->hash = h;
    if (t->ev.user_bytes > 0) {
        f->user = (char *)f + FLOW_USER_OFFSET;
    }
    bool syn = (s->flags & CAP_TCP_SYN) != 0, ack = (s->flags & CAP_TCP_ACK) != 0;
    bool sender_is_client;
    if (syn) {
        sender_is_client = !ack;
        f->sum.roles = CAP_ROLE_SYN;
    } else {
        sender_is_client = s->sport >= s->dport;
        f->sum.roles = CAP_ROLE_PORT;
    }
    int side = sender_is_client ? 0 : 1;
    f->addr[side] = s->src;
    f->port[side] = s->sport;
    f->addr[side ^ 1] = s->dst;
    f->port[side ^ 1] = s->dport;
    tcp_reasm_init(&f->rs[0]);
    tcp_reasm_init(&f->rs[1]);
    f->sum.id = ++t->next_id;
    f->sum.first_ts_us = s->ts_us;
    f->sum.last_ts_us = s->ts_us;
    g_strlcpy(f->sum.state, "OTH", sizeof(f->sum.state));
    f->last_ts = t->now;
    index_insert(t, f);
    list_append(t, f, TCLASS_HALFOPEN);
    t->stats.flows_total++;
    t->stats.flows_active++;
    t->stats.flows_peak = MAX(t->stats.flows_peak, t->stats.flows_active);
    *out_side = side;
    if (t->ev.on_open) {
        t->ev.on_open(t->user, f);
    }
    return f;
}

/* A SYN (without ACK) starts a new connection on a tuple whose connection is over, unless it
 * repeats the SYN that opened it. */
static bool is_new_syn(const struct cap_flow *f, int side, const struct cap_segment *s)
{
    if ((s->flags & (CAP_TCP_SYN | CAP_TCP_ACK)) != CAP_TCP_SYN || !flow_closed(f)) {
        return false;
    }
    return !(side_st_c(f, side)->syn_seen && f->rs[side].isn == s->seq);
}

static void record_change(uint32_t *num, struct cap_change **arr, const struct cap_segment *s,
                          uint8_t len, const uint8_t *old_val, const uint8_t *new_val)
{
    if (*num < CAP_MAX_CHANGES) {
        if (*arr == NULL) {
            *arr = g_new(struct cap_change, CAP_MAX_CHANGES);
        }
        struct cap_change *c = &(*arr)[*num];
        memset(c, 0, sizeof(*c));
        c->ts_us = s->ts_us;
        c->pkt_index = s->pkt_index;
        c->len = len;
        memcpy(c->old_val, old_val, len);
        memcpy(c->new_val, new_val, len);
    }
    (*num)++;
}

/* TTL and link source: a change within one side is the trace of a path change. */
static void track_path(struct side_tcp *tcp, struct cap_dir_stats *st, const struct cap_segment *s)
{
    uint8_t link_len = MIN(s->link_src_len, (uint8_t)CAP_LINK_ADDR_MAX);
    if (!tcp->meta_seen) {
        tcp->meta_seen = true;
        tcp->ttl = st->ttl = s->ttl;
        tcp->link_len = st->link_src_len = link_len;
        memcpy(tcp->link, s->link_src, link_len);
        memcpy(st->link_src, s->link_src, link_len);
        return;
    }
    if (s->ttl != tcp->ttl) {
        record_change(&st->num_ttl_changes, &st->ttl_changes, s, 1, &tcp->ttl, &s->ttl);
        tcp->ttl = s->ttl;
    }
    if (link_len != tcp->link_len || memcmp(tcp->link, s->link_src, link_len) != 0) {
        uint8_t old_val[CAP_LINK_ADDR_MAX] = {0}, new_val[CAP_LINK_ADDR_MAX] = {0};
        memcpy(old_val, tcp->link, tcp->link_len);
        memcpy(new_val, s->link_src, link_len);
        record_change(&st->num_link_src_changes, &st->link_src_changes, s,
                      MAX(link_len, tcp->link_len), old_val, new_val);
        tcp->link_len = link_len;
        memcpy(tcp->link, s->link_src, link_len);
    }
}

static void track_handshake(struct cap_flow *f, int side, const struct cap_segment *s)
{
    struct side_tcp *me = &f->tcp[side], *peer = &f->tcp[side ^ 1];
    bool syn = (s->flags & CAP_TCP_SYN) != 0, ack = (s->flags & CAP_TCP_ACK) != 0;
    enum cap_dir dir = side_dir(f, side);
    if (syn && !ack) {
        me->sent_syn = true;
        if (dir == CAP_DIR_CLIENT && !f->sum.syn_ts_us) {
            f->sum.syn_ts_us = s->ts_us;
        }
    } else if (syn && ack) {
        me->sent_synack = true;
        if (dir == CAP_DIR_SERVER && !f->sum.synack_ts_us) {
            f->sum.synack_ts_us = s->ts_us;
        }
    } else if (ack) {
        if (me->sent_syn || me->sent_synack) {
            me->established = true;
        }
        /* The ACK of a SYN-ACK completes the three-way handshake for both sides. */
        if (me->sent_syn && peer->sent_synack) {
            peer->established = true;
            if (dir == CAP_DIR_CLIENT && !f->sum.ack_ts_us) {
                f->sum.ack_ts_us = s->ts_us;
            }
        }
    }
    me->sent_any = true;
}

static void flow_packet(struct cap_flow_table *t, struct cap_flow *f, int side,
                        const struct cap_segment *s)
{
    /* Stats pointers are held across consumer callbacks, so the layout stays put until the end. */
    t->busy = true;
    struct cap_dir_stats *st = side_st(f, side);
    f->pkts++;
    f->last_ts = t->now;
    f->sum.last_ts_us = MAX(f->sum.last_ts_us, s->ts_us);
    st->packets++;
    st->bytes += s->payload_len;
    if (s->window == 0 && !(s->flags & CAP_TCP_RST)) {
        st->zero_window++;
    }
    /* The reassembler sees its own side's FIN and RST; the peer's RST closes this side too. */
    if (s->payload_len > 0 && side_st(f, side ^ 1)->rst_seen) {
        st->data_after_close = true;
    }
    track_path(&f->tcp[side], st, s);
    track_handshake(f, side, s);
    if (t->ev.on_segment) {
        t->ev.on_segment(t->user, f, side_dir(f, side), s);
    }

    /* The segment's ACK first: while its data is delivered, cap_flow_acked already shows what
     * its sender had received (an alert and the ACK of the peer's last bytes share a segment).
     * The acknowledgement is read only by the ticks below and by cap_flow_acked. */
    if (s->flags & CAP_TCP_ACK) {
        tcp_reasm_ack(&f->rs[side ^ 1], s->ack);
    }
    struct emit_arg arg;
    struct tcp_reasm_ctx c = side_ctx(t, f, side, &arg);
    tcp_reasm_segment(&f->rs[side], &c, s->seq, s->flags, s->payload, s->payload_len, s->ts_us,
                      s->pkt_index);
    for (int k = 0; k < 2; k++) {
        struct emit_arg karg;
        struct tcp_reasm_ctx kc = side_ctx(t, f, k, &karg);
        tcp_reasm_tick(&f->rs[k], &kc, s->ts_us, f->pkts);
    }
    t->busy = false;
    layout_settle(f);
    enum tclass cls = classify(f);
    if (cls == TCLASS_CLOSED && f->tclass != TCLASS_CLOSED) {
        /* Closed flows wait timeout_closed for stragglers; the retransmission rings are the
         * bulk of their memory, and a retransmission after both closes is counted without
         * comparison. */
        tcp_reasm_release_ring(&f->rs[0], &t->mem);
        tcp_reasm_release_ring(&f->rs[1], &t->mem);
        if (t->ev.on_closed) {
            t->ev.on_closed(t->user, f);
        }
    }
    list_unlink(t, f);
    list_append(t, f, cls);
}

/* ------------------------------------------------------------------ the table */

struct cap_flow_table *cap_flow_table_new(const struct cap_flow_config *c,
                                          const struct cap_stream_events *ev, void *user)
{
    struct cap_flow_table *t = g_new0(struct cap_flow_table, 1);
    t->cfg = *c;
    t->cfg.max_flows = CLAMP(t->cfg.max_flows, 1u, CAP_FLOW_INDEX_MAX_FLOWS);
    if (ev) {
        t->ev = *ev;
    }
    t->user = user;
    t->lim.ooo_max_bytes = c->ooo_max_bytes;
    t->lim.ooo_max_segments = c->ooo_max_segments;
    t->lim.recent_bytes = c->recent_bytes;
    t->lim.gap_wait_packets = c->gap_wait_packets;
    t->lim.gap_wait_us = c->gap_wait_us;
    tcp_mem_init(&t->mem, c->max_memory, CAP_RING_SPARES);
    t->block_bytes =
        t->ev.user_bytes > 0 ? FLOW_USER_OFFSET + t->ev.user_bytes : sizeof(struct cap_flow);
    spare_list_init(&t->spares, t->block_bytes, CAP_FLOW_SPARES);
    t->slots = g_new0(struct flow_slot, CAP_FLOW_INDEX_MIN);
    t->mask = CAP_FLOW_INDEX_MIN - 1;
    /* A per-table seed keeps crafted tuples from colliding on purpose; nothing observable
     * depends on slot order. */
    t->seed = ((uint64_t)g_random_int() << 32) | g_random_int();
    return t;
}

void cap_flow_table_add(struct cap_flow_table *t, const struct cap_segment *seg)
{
    t->stats.segments++;
    if (!t->clock_set || seg->ts_us > t->now) {
        t->now = seg->ts_us;
        t->clock_set = true;
    }
    /* Another flow than the last one's: its index slot is asked for now, so the miss on it
     * overlaps the expiry below instead of stalling the lookup after it. */
    struct cap_flow *last = t->last;
    int side = last ? flow_side(last, seg) : -1;
    /* The tuple's hash, once it is needed (never for the last flow's segments). */
    bool hashed = side < 0;
    uint64_t h = hashed ? tuple_hash(t, seg) : 0;
    if (hashed) {
        prefetch_block(&t->slots[h & t->mask], sizeof(t->slots[0]));
    }
    expire(t);
    /* Consumers grew inside the last segment's events (cap_flow_set_consumer_bytes). */
    while (t->mem.in_use > t->mem.max && evict_lru(t)) {
    }
    struct cap_flow *f = side >= 0 && t->last == last ? last : NULL;
    if (f == NULL) {
        if (!hashed) {
            h = tuple_hash(t, seg); /* the last flow ended meanwhile */
            hashed = true;
        }
        side = 0;
        f = index_find(t, seg, h, &side);
    }
    if (f && is_new_syn(f, side, seg)) {
        flow_end(t, f, CAP_END_PORT_REUSE);
        f = NULL;
    }
    if (!f) {
        f = flow_new(t, seg, hashed ? h : tuple_hash(t, seg), &side);
        if (!f) {
            t->stats.segments_untracked++;
            return;
        }
    }
    t->last = f;
    flow_packet(t, f, side, seg);
}

void cap_flow_table_advance(struct cap_flow_table *t, int64_t now_us)
{
    if (!t->clock_set || now_us <= t->now) {
        return;
    }
    t->now = now_us;
    expire(t);
}

static int by_id(const void *a, const void *b)
{
    const struct cap_flow *fa = *(struct cap_flow *const *)a, *fb = *(struct cap_flow *const *)b;
    return fa->sum.id < fb->sum.id ? -1 : (fa->sum.id > fb->sum.id ? 1 : 0);
}

/* Flows whose TCP connection is over (FIN both ways, or RST) end with that reason even when
 * their closed timeout has not passed yet; the rest end with CAP_END_CAPTURE_END. In id order,
 * so the order of on_close calls is that of the flows' first packets. */
void cap_flow_table_finish(struct cap_flow_table *t)
{
    size_t n = (size_t)t->stats.flows_active, k = 0;
    struct cap_flow **all = g_new(struct cap_flow *, n ? n : 1);
    for (int c = 0; c < TCLASS_COUNT; c++) {
        for (struct cap_flow *f = t->lists[c].head; f; f = f->lnext) {
            all[k++] = f;
        }
    }
    g_assert(k == n);
    qsort(all, n, sizeof(struct cap_flow *), by_id);
    for (size_t i = 0; i < n; i++) {
        struct cap_flow *f = all[i];
        flow_end(t, f, flow_closed(f) ? closed_reason(f) : CAP_END_CAPTURE_END);
    }
    g_free(all);
}

void cap_flow_table_get_stats(const struct cap_flow_table *t, struct cap_table_stats *out)
{
    *out = t->stats;
    out->ooo_cap_hits = t->mem.ooo_cap_hits;
    out->memory_cap_hits = t->mem.memory_cap_hits;
    out->memory_in_use = t->mem.in_use;
    out->memory_peak = t->mem.peak;
}

/* cap_flow_table_free: flows still open are freed without events (call finish first to get
 * them). NULL-safe. */
void cap_flow_table_free(struct cap_flow_table *t)
{
    if (!t) {
        return;
    }
    for (int c = 0; c < TCLASS_COUNT; c++) {
        struct cap_flow *f = t->lists[c].head;
        while (f) {
            struct cap_flow *nx = f->lnext;
            tcp_reasm_cleanup(&f->rs[0], &t->mem);
            tcp_reasm_cleanup(&f->rs[1], &t->mem);
            cap_flow_summary_release(&f->sum);
            g_free(f);
            f = nx;
        }
    }
    spare_list_cleanup(&t->spares);
    tcp_mem_cleanup(&t->mem);
    g_free(t->slots);
    g_free(t);
}

void cap_flow_table_set_hints(struct cap_flow_table *t, const struct cap_stream_hints *h)
{
    t->hints = *h;
}
