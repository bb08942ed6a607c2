/* TCP reassembly of one direction: sequence numbers to 64-bit stream offsets, zero-copy delivery
 * of in-order bytes, a bounded ordered store for out-of-order bytes (first copy wins),
 * comparison of retransmitted bytes with a ring of recently delivered bytes, and the rules that
 * turn a hole into a gap. The flow table feeds it; see tcp_reassembly_internal.h. */
#include <string.h>

#include <glib.h>

#include "tcp_reassembly_internal.h"

/* One held out-of-order piece. Pieces never overlap: a later copy of the same bytes is compared
 * with the held one and dropped, so the first copy is what gets delivered. */
struct tcp_ooo_node {
    struct tcp_ooo_node *prev, *next;
    uint64_t off;
    uint32_t len;
    uint8_t data[];
};

void tcp_mem_init(struct tcp_mem *m, uint64_t max, unsigned num_spare_rings)
{
    memset(m, 0, sizeof(*m));
    m->max = max;
    spare_list_init(&m->ring_spares, TCP_RING_MIN, num_spare_rings);
}

void tcp_mem_cleanup(struct tcp_mem *m)
{
    spare_list_cleanup(&m->ring_spares);
}

static uint8_t *ring_block_new(struct tcp_mem *m, uint32_t cap)
{
    if (cap == TCP_RING_MIN && m->ring_spares.max > 0) {
        return spare_list_take_raw(&m->ring_spares);
    }
    return g_malloc(cap);
}

static void ring_block_free(struct tcp_mem *m, uint8_t *ring, uint32_t cap)
{
    if (cap == TCP_RING_MIN && m->ring_spares.max > 0) {
        spare_list_give(&m->ring_spares, ring);
    } else {
        g_free(ring);
    }
}

bool tcp_mem_reserve(struct tcp_mem *m, size_t n)
{
    if (n > m->max || m->in_use > m->max - n) {
        m->memory_cap_hits++;
        return false;
    }
    m->in_use += n;
    if (m->in_use > m->peak) {
        m->peak = m->in_use;
    }
    return true;
}

void tcp_mem_charge(struct tcp_mem *m, size_t n)
{
    m->in_use += n;
    if (m->in_use > m->peak) {
        m->peak = m->in_use;
    }
}

void tcp_mem_release(struct tcp_mem *m, size_t n)
{
    g_assert(m->in_use >= n);
    m->in_use -= n;
}

size_t tcp_reasm_node_overhead(void)
{
    return sizeof(struct tcp_ooo_node);
}

void tcp_reasm_init(struct tcp_reasm *r)
{
    memset(r, 0, sizeof(*r));
}

static void node_free(struct tcp_reasm *r, struct tcp_mem *mem, struct tcp_ooo_node *n)
{
    r->ooo_segments--;
    r->ooo_bytes -= n->len;
    tcp_mem_release(mem, sizeof(*n) + n->len);
    g_free(n);
}

/* Frees the ring and returns its memory to mem (NULL-safe: no ring, nothing). */
static void drop_ring(struct tcp_reasm *r, struct tcp_mem *mem)
{
    if (r->ring) {
        tcp_mem_release(mem, r->ring_cap);
        ring_block_free(mem, r->ring, r->ring_cap);
        r->ring = NULL;
        r->ring_cap = 0;
    }
}

void tcp_reasm_release_ring(struct tcp_reasm *r, struct tcp_mem *mem)
{
    drop_ring(r, mem);
    /* Nothing below next can be compared any more; ring_append never regrows past this. */
    r->ring_lo = r->next;
    r->ring_released = true;
}

void tcp_reasm_cleanup(struct tcp_reasm *r, struct tcp_mem *mem)
{
    struct tcp_ooo_node *n = r->head;
    while (n) {
        struct tcp_ooo_node *nx = n->next;
        node_free(r, mem, n);
        n = nx;
    }
    r->head = r->tail = NULL;
    drop_ring(r, mem);
}

/* The only place 32-bit sequence arithmetic happens: the signed distance from the sequence
 * number of `next`, so streams longer than 4 GiB keep their offsets. */
static int64_t seq_rel(const struct tcp_reasm *r, uint32_t seq)
{
    uint32_t next_seq = r->base_seq + (uint32_t)r->next;
    return (int64_t)r->next + (int32_t)(seq - next_seq);
}

bool tcp_reasm_offset(const struct tcp_reasm *r, uint32_t seq, uint64_t *out_offset)
{
    if (!r->base_set) {
        return false;
    }
    int64_t rel = seq_rel(r, seq);
    if (rel < 0) {
        return false;
    }
    *out_offset = (uint64_t)rel;
    return true;
}

/* ------------------------------------------------------------------ the ring */

static void ring_write(uint8_t *ring, uint32_t cap, uint64_t off, const uint8_t *data, size_t len)
{
    if (len > cap) {
        data += len - cap;
        off += len - cap;
        len = cap;
    }
    size_t pos = (size_t)(off % cap);
    size_t first = MIN(len, cap - pos);
    memcpy(ring + pos, data, first);
    memcpy(ring, data + first, len - first);
}

static uint64_t ring_valid_lo(const struct tcp_reasm *r)
{
    uint64_t lo = r->next > r->ring_cap ? r->next - r->ring_cap : 0;
    return MAX(lo, r->ring_lo);
}

static void ring_grow(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t want)
{
    uint32_t limit = c->lim->recent_bytes;
    uint64_t cap = r->ring_cap ? r->ring_cap : TCP_RING_MIN;
    while (cap < want && cap < limit) {
        cap *= 2;
    }
    cap = MIN(cap, (uint64_t)limit);
    if (cap <= r->ring_cap || !tcp_mem_reserve(c->mem, (size_t)(cap - r->ring_cap))) {
        return;
    }
    uint8_t *ring = ring_block_new(c->mem, (uint32_t)cap);
    /* Copy the still-valid bytes to their positions in the larger ring. */
    uint64_t lo = ring_valid_lo(r);
    for (uint64_t o = lo; o < r->next;) {
        size_t pos = (size_t)(o % r->ring_cap);
        size_t n = (size_t)MIN(r->next - o, (uint64_t)(r->ring_cap - pos));
        ring_write(ring, (uint32_t)cap, o, r->ring + pos, n);
        o += n;
    }
    /* Only the growth was reserved; the old ring's share carries over to the new one. */
    ring_block_free(c->mem, r->ring, r->ring_cap); /* the first growth frees NULL: nothing */
    r->ring = ring;
    r->ring_cap = (uint32_t)cap;
}

static void ring_append(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, const uint8_t *data,
                        size_t len)
{
    if (c->lim->recent_bytes == 0 || r->ring_released) {
        return;
    }
    uint64_t want = r->next + len - r->ring_lo;
    if (want > r->ring_cap && r->ring_cap < c->lim->recent_bytes) {
        ring_grow(r, c, want);
    }
    if (r->ring_cap) {
        ring_write(r->ring, r->ring_cap, r->next, data, len);
    }
}

/* ------------------------------------------------------------------ events */

static void record_incons(const struct tcp_reasm_ctx *c, uint64_t off, uint64_t len, int64_t ts,
                          uint64_t pkt_index)
{
    struct cap_dir_stats *st = c->st;
    if (st->num_incons < CAP_MAX_INCONS) {
        if (st->incons == NULL) {
            st->incons = g_new(struct cap_incons, CAP_MAX_INCONS);
        }
        struct cap_incons *i = &st->incons[st->num_incons];
        i->offset = off;
        i->len = len;
        i->ts_us = ts;
        i->pkt_index = pkt_index;
    }
    st->num_incons++;
}

/* compare: records one inconsistency spanning the first to the last differing byte. */
static void compare(const struct tcp_reasm_ctx *c, uint64_t off, const uint8_t *held,
                    const uint8_t *seen, size_t len, int64_t ts, uint64_t pkt_index)
{
    if (memcmp(held, seen, len) == 0) {
        return;
    }
    size_t first = 0;
    while (held[first] == seen[first]) {
        first++;
    }
    size_t last = len - 1;
    while (held[last] == seen[last]) {
        last--;
    }
    record_incons(c, off + first, last - first + 1, ts, pkt_index);
}

static void emit_data(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, const uint8_t *data,
                      size_t len, int64_t ts)
{
    uint64_t off = r->next;
    ring_append(r, c, data, len);
    r->next += len;
    c->st->delivered_bytes += len;
    if (c->on_data) {
        c->on_data(c->arg, off, data, len, ts);
    }
}

static void emit_gap(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t to,
                     enum cap_gap_reason reason, int64_t ts)
{
    g_assert(to > r->next);
    struct cap_gap g = {.offset = r->next, .len = to - r->next, .ts_us = ts, .reason = reason};
    struct cap_dir_stats *st = c->st;
    if (st->num_gaps < CAP_MAX_GAPS) {
        if (st->gaps == NULL) {
            st->gaps = g_new(struct cap_gap, CAP_MAX_GAPS);
        }
        st->gaps[st->num_gaps] = g;
    }
    st->num_gaps++;
    st->missing_bytes += g.len;
    r->last_gap = g;
    r->any_gap = true;
    r->next = to;
    /* Bytes before a gap are not contiguous with what follows; comparisons restart here. */
    r->ring_lo = to;
    if (c->on_gap) {
        c->on_gap(c->arg, &g);
    }
}

static void pop_and_emit_head(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t ts)
{
    struct tcp_ooo_node *n = r->head;
    r->head = n->next;
    if (r->head) {
        r->head->prev = NULL;
    } else {
        r->tail = NULL;
    }
    emit_data(r, c, n->data, n->len, ts);
    node_free(r, c->mem, n);
}

/* drain: delivers held pieces that have become contiguous. */
static void drain(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t ts)
{
    while (r->head && r->head->off == r->next) {
        pop_and_emit_head(r, c, ts);
    }
}

/* skip_lowest_hole: the hole at `next` becomes a gap up to the first held piece or `to`,
 * whichever is lower, then what became contiguous is delivered. */
static void skip_lowest_hole(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t to,
                             enum cap_gap_reason reason, int64_t ts)
{
    uint64_t end = r->head ? MIN(r->head->off, to) : to;
    if (end > r->next) {
        emit_gap(r, c, end, reason, ts);
    }
    drain(r, c, ts);
}

/* ------------------------------------------------------------------ data paths */

static uint64_t overlap(uint64_t o, uint64_t e, const struct cap_gap *g)
{
    uint64_t lo = MAX(o, g->offset), hi = MIN(e, g->offset + g->len);
    bool by_cap = g->reason == CAP_GAP_OOO_CAP || g->reason == CAP_GAP_MEMORY_CAP;
    return by_cap && hi > lo ? hi - lo : 0;
}

/* cap_refused: bytes of [o, e) inside a gap that a cap forced: the capture saw them, but too late
 * because of the cap. Looks at the kept gaps and the latest one. */
static uint64_t cap_refused(const struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t o,
                            uint64_t e)
{
    if (!r->any_gap) {
        return 0;
    }
    uint64_t n = 0;
    uint32_t kept = MIN(c->st->num_gaps, (uint32_t)CAP_MAX_GAPS);
    for (uint32_t i = 0; i < kept; i++) {
        n += overlap(o, e, &c->st->gaps[i]);
    }
    if (c->st->num_gaps > CAP_MAX_GAPS) {
        n += overlap(o, e, &r->last_gap);
    }
    return MIN(n, e - o);
}

/* old_data: bytes below `next` were delivered (or declared missing) already: a retransmission.
 * Only what is still in the ring can be compared; older bytes are counted without comparison.
 * Bytes that fall in a gap a cap forced are counted as refused by that cap. */
static void old_data(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t o, uint64_t e,
                     const uint8_t *data, int64_t ts, uint64_t pkt_index)
{
    uint64_t refused = cap_refused(r, c, o, e);
    c->st->cap_dropped_bytes += refused;
    c->st->retransmitted_bytes += e - o - refused;
    if (!r->ring_cap) {
        return;
    }
    uint64_t lo = MAX(o, ring_valid_lo(r));
    /* Compare piecewise so each piece is contiguous in the ring; the first and last differing
     * offsets over the whole range make one record. */
    uint64_t first_diff = UINT64_MAX, last_diff = 0;
    for (uint64_t p = lo; p < e;) {
        size_t pos = (size_t)(p % r->ring_cap);
        size_t n = (size_t)MIN(e - p, (uint64_t)(r->ring_cap - pos));
        const uint8_t *seen = data + (p - o);
        if (memcmp(r->ring + pos, seen, n) != 0) {
            for (size_t i = 0; i < n; i++) {
                if (r->ring[pos + i] != seen[i]) {
                    first_diff = MIN(first_diff, p + i);
                    last_diff = MAX(last_diff, p + i);
                }
            }
        }
        p += n;
    }
    if (first_diff != UINT64_MAX) {
        record_incons(c, first_diff, last_diff - first_diff + 1, ts, pkt_index);
    }
}

/* deliver_in_order: o == next. Packet bytes go straight to the consumer, except where a piece is
 * already held: the held (first) copy is delivered and the packet's copy only compared. */
static void deliver_in_order(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t o,
                             uint64_t e, const uint8_t *data, int64_t ts, uint64_t pkt_index)
{
    while (o < e) {
        struct tcp_ooo_node *h = r->head;
        uint64_t lim = (h && h->off < e) ? h->off : e;
        if (lim > o) {
            emit_data(r, c, data, (size_t)(lim - o), ts);
            data += lim - o;
            o = lim;
        }
        if (o >= e) {
            break;
        }
        uint64_t ov_e = MIN(e, h->off + h->len);
        compare(c, o, h->data, data, (size_t)(ov_e - o), ts, pkt_index);
        c->st->retransmitted_bytes += ov_e - o;
        data += ov_e - o;
        o = ov_e;
        pop_and_emit_head(r, c, ts);
    }
    drain(r, c, ts);
}

enum store_status { STORE_OK, STORE_OOO_CAP, STORE_NOMEM };

/* store_ooo: holds the parts of [o, e) (o > next) that no held piece covers yet. Nothing changes
 * unless the whole segment fits both the direction's caps and the global memory cap. */
static enum store_status store_ooo(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint64_t o,
                                   uint64_t e, const uint8_t *data, int64_t ts, uint64_t pkt_index)
{
    /* Most reordering is short: search from the tail. */
    struct tcp_ooo_node *before = r->tail;
    while (before && before->off >= e) {
        before = before->prev;
    }
    struct tcp_ooo_node *first = NULL;
    while (before && before->off + before->len > o) {
        first = before;
        before = before->prev;
    }

    uint64_t new_bytes = 0;
    uint32_t new_pieces = 0;
    uint64_t cur = o;
    for (struct tcp_ooo_node *n = first; n && n->off < e; n = n->next) {
        if (n->off > cur) {
            new_bytes += n->off - cur;
            new_pieces++;
        }
        cur = MAX(cur, n->off + n->len);
    }
    if (cur < e) {
        new_bytes += e - cur;
        new_pieces++;
    }

    if (new_pieces && (r->ooo_bytes + new_bytes > c->lim->ooo_max_bytes ||
                       r->ooo_segments + new_pieces > c->lim->ooo_max_segments)) {
        return STORE_OOO_CAP;
    }
    size_t charge = new_pieces * sizeof(struct tcp_ooo_node) + (size_t)new_bytes;
    if (new_pieces && !tcp_mem_reserve(c->mem, charge)) {
        return STORE_NOMEM;
    }

    c->st->ooo_segments++;
    struct tcp_ooo_node *prev = before;
    cur = o;
    for (struct tcp_ooo_node *n = first; n && n->off < e; n = n->next) {
        if (n->off > cur) {
            struct tcp_ooo_node *p = g_malloc(sizeof(*p) + (size_t)(n->off - cur));
            p->off = cur;
            p->len = (uint32_t)(n->off - cur);
            memcpy(p->data, data + (cur - o), p->len);
            p->prev = prev;
            p->next = n;
            n->prev = p;
            if (prev) {
                prev->next = p;
            } else {
                r->head = p;
            }
            r->ooo_segments++;
            r->ooo_bytes += p->len;
        }
        uint64_t ov_o = MAX(o, n->off), ov_e = MIN(e, n->off + n->len);
        compare(c, ov_o, n->data + (ov_o - n->off), data + (ov_o - o), (size_t)(ov_e - ov_o), ts,
                pkt_index);
        c->st->retransmitted_bytes += ov_e - ov_o;
        cur = MAX(cur, n->off + n->len);
        prev = n;
    }
    if (cur < e) {
        struct tcp_ooo_node *p = g_malloc(sizeof(*p) + (size_t)(e - cur));
        p->off = cur;
        p->len = (uint32_t)(e - cur);
        memcpy(p->data, data + (cur - o), p->len);
        p->prev = prev;
        p->next = prev ? prev->next : r->head;
        if (p->next) {
            p->next->prev = p;
        } else {
            r->tail = p;
        }
        if (prev) {
            prev->next = p;
        } else {
            r->head = p;
        }
        r->ooo_segments++;
        r->ooo_bytes += p->len;
    }
    return STORE_OK;
}

static void process_data(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t o, int64_t e,
                         const uint8_t *data, int64_t ts, uint64_t pkt_index)
{
    if (o < 0) {
        /* Before offset 0 (a midstream pickup that began above earlier bytes): nowhere to put
         * them, and they were not delivered either; counted as retransmitted. */
        uint64_t drop = (uint64_t)(MIN(e, 0) - o);
        c->st->retransmitted_bytes += drop;
        if (e <= 0) {
            return;
        }
        data += drop;
        o = 0;
    }
    uint64_t uo = (uint64_t)o, ue = (uint64_t)e;
    while (uo < ue) {
        if (uo < r->next) {
            uint64_t old_e = MIN(ue, r->next);
            old_data(r, c, uo, old_e, data, ts, pkt_index);
            data += old_e - uo;
            uo = old_e;
            continue;
        }
        if (uo == r->next) {
            deliver_in_order(r, c, uo, ue, data, ts, pkt_index);
            return;
        }
        enum store_status s = store_ooo(r, c, uo, ue, data, ts, pkt_index);
        if (s == STORE_OK) {
            return;
        }
        /* A cap is reached. Refusing the segment would lose bytes the capture saw; instead the
         * lowest hole becomes a gap (never past this segment) and what was held above it goes
         * to the consumer, which frees room; at worst the segment becomes in-order and is
         * delivered without a copy. Each turn moves `next` up, so this ends. */
        *c->cap_hit = true;
        if (s == STORE_OOO_CAP) {
            c->mem->ooo_cap_hits++;
        }
        skip_lowest_hole(r, c, uo, s == STORE_OOO_CAP ? CAP_GAP_OOO_CAP : CAP_GAP_MEMORY_CAP, ts);
    }
}

/* The clock of a hole that no ACK covers restarts whenever the hole moves. */
static void update_hole_clock(struct tcp_reasm *r, int64_t ts, uint64_t *hole_next)
{
    if (!r->head) {
        r->hole_open = false;
        return;
    }
    if (!r->hole_open || *hole_next != r->next) {
        r->hole_open = true;
        r->hole_ts = ts;
        r->hole_pkts = r->pkts;
    }
}

void tcp_reasm_segment(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint32_t seq,
                       uint8_t flags, const uint8_t *payload, size_t len, int64_t ts_us,
                       uint64_t pkt_index)
{
    struct cap_dir_stats *st = c->st;
    uint64_t hole_next = r->next;
    r->pkts++;
    bool syn = (flags & CAP_TCP_SYN) != 0;
    if (!r->base_set) {
        r->base_set = true;
        if (syn) {
            r->isn = seq;
            r->base_seq = seq + 1;
            st->syn_seen = true;
        } else {
            r->base_seq = seq;
            st->midstream = true;
        }
    }
    /* A SYN's payload (TCP Fast Open) starts after the SYN's own sequence number. */
    int64_t o = seq_rel(r, syn ? seq + 1 : seq);
    int64_t e = o + (int64_t)len;

    if (len > 0 && ((st->fin_seen && e > (int64_t)st->fin_offset) || st->rst_seen)) {
        st->data_after_close = true;
    }
    if ((flags & CAP_TCP_FIN) && !st->fin_seen && e >= 0) {
        st->fin_seen = true;
        st->fin_offset = (uint64_t)e;
        st->fin_ts_us = ts_us;
    }
    if ((flags & CAP_TCP_RST) && !st->rst_seen) {
        st->rst_seen = true;
        st->rst_offset = o > 0 ? (uint64_t)o : 0;
        st->rst_ts_us = ts_us;
        st->rst_after_fin = st->fin_seen;
    }
    /* RFC 1122 §4.2.2.12: data on an RST is diagnostic text, not stream bytes. */
    if (len == 0 || (flags & CAP_TCP_RST)) {
        return;
    }
    if (e > 0 && (uint64_t)e > r->high) {
        r->high = (uint64_t)e;
    }
    process_data(r, c, o, e, payload, ts_us, pkt_index);
    update_hole_clock(r, ts_us, &hole_next);
}

void tcp_reasm_ack(struct tcp_reasm *r, uint32_t ack)
{
    if (!r->base_set) {
        return;
    }
    int64_t rel = seq_rel(r, ack);
    if (rel <= 0) {
        return;
    }
    r->ack_valid = true;
    r->acked = MAX(r->acked, (uint64_t)rel);
}

/* The FIN takes one sequence number that is not a stream byte. An ACK exactly one beyond the
 * highest byte seen, with no FIN seen, is read as acknowledging a FIN the capture missed rather
 * than one unseen byte (TLS never sends a 1-byte segment at the end of a stream). */
static uint64_t acked_bytes(const struct tcp_reasm *r, const struct tcp_reasm_ctx *c)
{
    if (!r->ack_valid) {
        return 0;
    }
    if (c->st->fin_seen && r->acked > c->st->fin_offset) {
        return c->st->fin_offset;
    }
    if (!c->st->fin_seen && r->acked == MAX(r->high, r->next) + 1) {
        return r->acked - 1;
    }
    return r->acked;
}

void tcp_reasm_tick(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t ts_us,
                    uint64_t flow_pkts)
{
    uint64_t hole_next = r->next;
    uint64_t acked = acked_bytes(r, c);
    if (acked > r->next) {
        if (!r->waiting) {
            r->waiting = true;
            r->wait_ts = ts_us;
            r->wait_pkts = flow_pkts;
            r->wait_ack = acked;
        }
        /* Not on the first ACK: SPAN ports and taps reorder an ACK ahead of the data it
         * acknowledges (zeek/zeek#335), so the data gets a little time to show up. */
        if (flow_pkts - r->wait_pkts >= c->lim->gap_wait_packets ||
            ts_us - r->wait_ts >= c->lim->gap_wait_us) {
            while (r->next < r->wait_ack) {
                skip_lowest_hole(r, c, r->wait_ack, CAP_GAP_ACKED_UNSEEN, ts_us);
            }
            r->waiting = false;
            if (acked > r->next) {
                r->waiting = true;
                r->wait_ts = ts_us;
                r->wait_pkts = flow_pkts;
                r->wait_ack = acked;
            }
        }
    } else {
        r->waiting = false;
    }
    /* No ACK covers it (one-sided capture, lost ACKs): the sender has moved on for a while
     * without retransmitting, so the bytes are not coming. */
    if (r->head && r->hole_open && ts_us - r->hole_ts >= c->lim->gap_wait_us &&
        r->pkts - r->hole_pkts >= c->lim->gap_wait_packets) {
        skip_lowest_hole(r, c, r->head->off, CAP_GAP_TIMEOUT, ts_us);
    }
    update_hole_clock(r, ts_us, &hole_next);
}

void tcp_reasm_finish(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t ts_us)
{
    uint64_t acked = acked_bytes(r, c);
    uint64_t target = MAX(r->high, acked);
    if (c->st->fin_seen) {
        target = MAX(target, c->st->fin_offset);
    }
    while (r->head || r->next < target) {
        uint64_t to = r->head ? r->head->off : target;
        enum cap_gap_reason reason = acked >= to ? CAP_GAP_ACKED_UNSEEN : CAP_GAP_FLOW_END;
        skip_lowest_hole(r, c, to, reason, ts_us);
    }
    r->waiting = false;
    r->hole_open = false;
}
