/* The TCP reassembler alone (tcp_reassembly_internal.h), driven by step scripts: segments at a
 * relative sequence number (relative to ISN+1, or to the first byte for midstream scripts),
 * peer ACKs, and idle ticks. Every script runs at ISN 0, 1, 2^32-1 and 2^32-11, so sequence
 * wraparound happens inside most of them; some run in every order of their segments.
 *
 * Each byte of the sender's stream is a function of its offset (pattern()); a step may send the
 * complement instead ("corrupt"), which is how a retransmission with different bytes is made.
 * The harness checks that events are continuous (every data or gap event starts where the last
 * one ended), that every delivered byte is the expected one, the gap list, and the counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "capture.h"
#include "tcp_reassembly_internal.h"

#define MAX_STEPS 24
#define MAX_EXP_GAPS 8
#define STREAM_MAX 65536
#define DT_DEFAULT 1000 /* us between steps unless a step says otherwise */

enum op { END_OF_SCRIPT, SEG, ACK };
enum { CLEAN = 0, CORRUPT = 1 };

struct step {
    enum op op;
    int64_t rel; /* SEG: offset of the first byte (or of the SYN/FIN/RST); ACK: acked offset */
    uint32_t len;
    uint8_t flags;
    int corrupt;
    int64_t dt_us; /* 0: DT_DEFAULT */
};

struct exp_gap {
    uint64_t off, len;
    enum cap_gap_reason reason;
};

struct row {
    const char *name;
    bool midstream;   /* no SYN: offset 0 is the first step's byte */
    int64_t base;     /* midstream: rel of the first step (stream offset = rel - base) */
    unsigned permute; /* >0: steps[1..permute] are run in every order (one test per order) */
    uint32_t ooo_max_bytes, ooo_max_segments, recent_bytes; /* 0: generous defaults */
    uint64_t max_memory;                                    /* 0: generous default */
    struct step steps[MAX_STEPS];
    /* expectations */
    uint64_t end; /* data + gaps delivered up to here */
    uint32_t num_gaps;
    struct exp_gap gaps[MAX_EXP_GAPS];
    uint64_t retrans;
    uint32_t num_incons;
    uint64_t incons_off, incons_len;
    uint64_t flip_off, flip_len; /* delivered bytes expected complemented (first copy was) */
    uint64_t ooo_cap_hits;
    uint64_t cap_dropped;
    int64_t fin_offset; /* -1: no FIN expected */
    int64_t rst_offset; /* -1: no RST expected */
    bool data_after_close;
};

#define SYN_STEP                                                                                   \
    {                                                                                              \
        SEG, -1, 0, CAP_TCP_SYN, CLEAN, 0                                                          \
    }
#define S(rel, len)                                                                                \
    {                                                                                              \
        SEG, rel, len, CAP_TCP_ACK, CLEAN, 0                                                       \
    }
#define SC(rel, len)                                                                               \
    {                                                                                              \
        SEG, rel, len, CAP_TCP_ACK, CORRUPT, 0                                                     \
    }
#define ST(rel, len, dt)                                                                           \
    {                                                                                              \
        SEG, rel, len, CAP_TCP_ACK, CLEAN, dt                                                      \
    }
#define SF(rel, len, fl)                                                                           \
    {                                                                                              \
        SEG, rel, len, (uint8_t)(CAP_TCP_ACK | (fl)), CLEAN, 0                                     \
    }
#define A(rel)                                                                                     \
    {                                                                                              \
        ACK, rel, 0, 0, CLEAN, 0                                                                   \
    }
#define G(o, l, r)                                                                                 \
    {                                                                                              \
        o, l, CAP_GAP_##r                                                                          \
    }

static const struct row ROWS[] = {
    {.name = "in_order",
     .steps = {SYN_STEP, S(0, 100), S(100, 100), S(200, 50)},
     .end = 250,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "reversed",
     .steps = {SYN_STEP, S(200, 50), S(100, 100), S(0, 100)},
     .end = 250,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "perm4",
     .permute = 4,
     .steps = {SYN_STEP, S(0, 10), S(10, 20), S(30, 30), S(60, 40)},
     .end = 100,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "perm4_overlapping",
     .permute = 4,
     .steps = {SYN_STEP, S(0, 30), S(20, 30), S(40, 40), S(70, 30)},
     .end = 100,
     .retrans = 30,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "duplicates",
     .steps = {SYN_STEP, S(0, 100), S(0, 100), S(100, 50), S(100, 50)},
     .end = 150,
     .retrans = 150,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "duplicate_while_held",
     .steps = {SYN_STEP, S(100, 50), S(100, 50), S(0, 100)},
     .end = 150,
     .retrans = 50,
     .fin_offset = -1,
     .rst_offset = -1},
    /* [50,150) overlaps delivered bytes on its left; [180,320) overlaps a held piece [200,300)
     * on both sides; only the new parts are delivered. */
    {.name = "partial_overlaps",
     .steps = {SYN_STEP, S(0, 100), S(50, 100), S(200, 100), S(180, 140), S(150, 30)},
     .end = 320,
     .retrans = 50 + 100,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "incons_after_delivery",
     .steps = {SYN_STEP, S(0, 100), SC(20, 30), S(100, 10)},
     .end = 110,
     .retrans = 30,
     .num_incons = 1,
     .incons_off = 20,
     .incons_len = 30,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "incons_held_first_copy_wins",
     .steps = {SYN_STEP, SC(100, 50), S(100, 50), S(0, 100)},
     .end = 150,
     .retrans = 50,
     .num_incons = 1,
     .incons_off = 100,
     .incons_len = 50,
     .flip_off = 100,
     .flip_len = 50,
     .fin_offset = -1,
     .rst_offset = -1},
    /* The in-order packet covers a held piece: the held (first) copy is what is delivered. */
    {.name = "incons_inorder_over_held",
     .steps = {SYN_STEP, S(50, 50), SC(0, 100)},
     .end = 100,
     .retrans = 50,
     .num_incons = 1,
     .incons_off = 50,
     .incons_len = 50,
     .flip_off = 0,
     .flip_len = 50,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "hole_filled_late",
     .steps = {SYN_STEP, S(0, 100), S(200, 100), S(300, 100), S(400, 100), S(100, 100)},
     .end = 500,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "hole_never_filled",
     .steps = {SYN_STEP, S(0, 100), S(200, 100), S(300, 50)},
     .end = 350,
     .num_gaps = 1,
     .gaps = {G(100, 100, FLOW_END)},
     .fin_offset = -1,
     .rst_offset = -1},
    /* The receiver's ACK overtakes the data (SPAN reordering): no gap, the data fills it. */
    {.name = "ack_before_data_within_wait",
     .steps = {SYN_STEP, S(0, 100), A(200), A(200), S(100, 100)},
     .end = 200,
     .fin_offset = -1,
     .rst_offset = -1},
    /* The data does not come within gap_wait_packets (4) packets: a gap, and the bytes that
     * arrive afterwards are a retransmission of a range already reported missing. */
    {.name = "ack_before_data_after_wait",
     .steps = {SYN_STEP, S(0, 100), A(200), A(200), A(200), A(200), A(200), S(100, 100),
               S(200, 10)},
     .end = 210,
     .num_gaps = 1,
     .gaps = {G(100, 100, ACKED_UNSEEN)},
     .retrans = 100,
     .fin_offset = -1,
     .rst_offset = -1},
    /* Same by capture time (gap_wait_us = 1 s) with fewer packets. */
    {.name = "ack_before_data_after_time",
     .steps = {SYN_STEP, S(0, 100), A(200), {ACK, 200, 0, 0, CLEAN, 1500000}, S(100, 100)},
     .end = 200,
     .num_gaps = 1,
     .gaps = {G(100, 100, ACKED_UNSEEN)},
     .retrans = 100,
     .fin_offset = -1,
     .rst_offset = -1},
    /* Acked tail never seen: held data below the ACK is delivered after the gap. */
    {.name = "acked_hole_below_held",
     .steps = {SYN_STEP, S(0, 100), S(150, 50), A(200), A(200), A(200), A(200), A(200)},
     .end = 200,
     .num_gaps = 1,
     .gaps = {G(100, 50, ACKED_UNSEEN)},
     .fin_offset = -1,
     .rst_offset = -1},
    /* One beyond the last byte: the ACK of a FIN the capture missed, not a missing byte. */
    {.name = "ack_of_unseen_fin",
     .steps = {SYN_STEP, S(0, 100), A(101), A(101), A(101), A(101), A(101)},
     .end = 100,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "acked_two_beyond_is_a_gap",
     .steps = {SYN_STEP, S(0, 100), A(102), A(102), A(102), A(102), A(102)},
     .end = 102,
     .num_gaps = 1,
     .gaps = {G(100, 2, ACKED_UNSEEN)},
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "acked_tail_unseen_at_end",
     .steps = {SYN_STEP, S(0, 100), A(300)},
     .end = 300,
     .num_gaps = 1,
     .gaps = {G(100, 200, ACKED_UNSEEN)},
     .fin_offset = -1,
     .rst_offset = -1},
    /* No ACK covers the hole: after 1 s and 4 segments of this direction it is a gap. */
    {.name = "unacked_hole_timeout",
     .steps = {SYN_STEP, S(0, 100), S(200, 100), ST(300, 100, 400000), ST(400, 100, 400000),
               ST(500, 100, 400000), ST(600, 100, 400000), S(100, 100)},
     .end = 700,
     .num_gaps = 1,
     .gaps = {G(100, 100, TIMEOUT)},
     .retrans = 100,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "fin_with_data",
     .steps = {SYN_STEP, S(0, 100), SF(100, 50, CAP_TCP_FIN), A(151)},
     .end = 150,
     .fin_offset = 150,
     .rst_offset = -1},
    {.name = "fin_with_data_then_more",
     .steps = {SYN_STEP, S(0, 100), SF(100, 50, CAP_TCP_FIN), S(150, 10)},
     .end = 160,
     .fin_offset = 150,
     .rst_offset = -1,
     .data_after_close = true},
    {.name = "fin_above_hole",
     .steps = {SYN_STEP, S(0, 100), SF(150, 50, CAP_TCP_FIN)},
     .end = 200,
     .num_gaps = 1,
     .gaps = {G(100, 50, FLOW_END)},
     .fin_offset = 200,
     .rst_offset = -1},
    {.name = "rst_in_middle",
     .steps = {SYN_STEP, S(0, 100), SF(100, 0, CAP_TCP_RST), S(100, 50)},
     .end = 150,
     .fin_offset = -1,
     .rst_offset = 100,
     .data_after_close = true},
    {.name = "syn_retransmitted",
     .steps = {SYN_STEP, SYN_STEP, S(0, 100), SYN_STEP, S(100, 10)},
     .end = 110,
     .fin_offset = -1,
     .rst_offset = -1},
    /* Picked up in the middle, then older bytes arrive: they lie before offset 0 and cannot be
     * delivered; counted as retransmitted like the part that overlaps what was delivered. */
    {.name = "midstream_older_bytes_later",
     .midstream = true,
     .base = 100,
     .steps = {S(100, 50), S(0, 120), S(150, 10), S(0, 50)},
     .end = 60,
     .retrans = 100 + 20 + 50,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "midstream",
     .midstream = true,
     .steps = {S(0, 100), S(200, 100), S(100, 100)},
     .end = 300,
     .fin_offset = -1,
     .rst_offset = -1},
    /* Segments of a long stream; with ISN 2^32-11 the wrap is a few bytes in, with 2^32-1 at
     * the first byte. */
    {.name = "wraparound_long",
     .steps = {SYN_STEP, S(0, 8000), S(16000, 8000), S(8000, 8000), S(24000, 8000), S(40000, 8000),
               S(32000, 8000)},
     .end = 48000,
     .fin_offset = -1,
     .rst_offset = -1},
    /* 4 held pieces max: the 5th out-of-order segment turns the lowest hole into a gap. */
    {.name = "ooo_segment_cap",
     .ooo_max_segments = 4,
     .steps = {SYN_STEP, S(0, 10), S(20, 10), S(40, 10), S(60, 10), S(80, 10), S(100, 10)},
     .end = 110,
     .num_gaps = 5,
     .gaps = {G(10, 10, OOO_CAP), G(30, 10, FLOW_END), G(50, 10, FLOW_END), G(70, 10, FLOW_END),
              G(90, 10, FLOW_END)},
     .ooo_cap_hits = 1,
     .fin_offset = -1,
     .rst_offset = -1},
    /* 25 held bytes max: the third held segment does not fit; bytes of the forced gap that come
     * later are counted as refused by the cap. */
    {.name = "ooo_byte_cap_late_bytes",
     .ooo_max_bytes = 25,
     .steps = {SYN_STEP, S(0, 10), S(20, 10), S(40, 10), S(60, 10), S(10, 10)},
     .end = 70,
     .num_gaps = 3,
     .gaps = {G(10, 10, OOO_CAP), G(30, 10, FLOW_END), G(50, 10, FLOW_END)},
     .ooo_cap_hits = 1,
     .cap_dropped = 10,
     .fin_offset = -1,
     .rst_offset = -1},
    /* One segment larger than the whole cap is delivered after a gap, never copied. */
    {.name = "ooo_segment_larger_than_cap",
     .ooo_max_bytes = 100,
     .steps = {SYN_STEP, S(0, 10), S(50, 500)},
     .end = 550,
     .num_gaps = 1,
     .gaps = {G(10, 40, OOO_CAP)},
     .ooo_cap_hits = 1,
     .fin_offset = -1,
     .rst_offset = -1},
    /* Global memory too small for the held piece: a MEMORY_CAP gap, bytes still delivered. */
    {.name = "memory_cap",
     .max_memory = 64,
     .steps = {SYN_STEP, S(0, 10), S(20, 100)},
     .end = 120,
     .num_gaps = 1,
     .gaps = {G(10, 10, MEMORY_CAP)},
     .fin_offset = -1,
     .rst_offset = -1},
    /* The ring keeps 4 KiB: a different retransmission of older bytes cannot be compared and is
     * counted only; one inside the ring is caught. */
    /* The ring grows with the stream (4 -> 32 KiB here); bytes copied into the grown ring must
     * still compare equal, and a change is found at its exact offset. */
    {.name = "retransmission_after_ring_growth",
     .steps = {SYN_STEP, S(0, 3000), S(3000, 3000), S(6000, 3000), S(9000, 3000), S(12000, 8000),
               S(1000, 5000), S(4000, 9000), SC(15000, 10), S(19990, 20)},
     .end = 20010,
     .retrans = 5000 + 9000 + 10 + 10,
     .num_incons = 1,
     .incons_off = 15000,
     .incons_len = 10,
     .fin_offset = -1,
     .rst_offset = -1},
    {.name = "retransmission_beyond_ring",
     .recent_bytes = 4096,
     .steps = {SYN_STEP, S(0, 3000), S(3000, 3000), S(6000, 3000), SC(0, 100), SC(8000, 100)},
     .end = 9000,
     .retrans = 200,
     .num_incons = 1,
     .incons_off = 8000,
     .incons_len = 100,
     .fin_offset = -1,
     .rst_offset = -1},
};

static const uint32_t ISNS[] = {0, 1, 0xffffffffu, 0xfffffff5u};

struct instance {
    const struct row *row;
    uint32_t isn;
    unsigned order[MAX_STEPS];
    bool dirty_spares; /* rings come from a spare list holding stale bytes */
};

struct recorder {
    uint64_t cursor;
    uint8_t stream[STREAM_MAX];
    uint32_t num_gaps;
    struct cap_gap gaps[64];
};

static uint8_t pattern(uint64_t off)
{
    return (uint8_t)((off * 7 + (off >> 8) * 13 + 3) % 251);
}

static void on_data(void *arg, uint64_t offset, const uint8_t *data, size_t len, int64_t ts)
{
    (void)ts;
    struct recorder *rec = arg;
    assert_int_equal(offset, rec->cursor);
    assert_true(offset + len <= STREAM_MAX);
    memcpy(rec->stream + offset, data, len);
    rec->cursor += len;
}

static void on_gap(void *arg, const struct cap_gap *g)
{
    struct recorder *rec = arg;
    assert_int_equal(g->offset, rec->cursor);
    assert_true(g->len > 0);
    assert_true(rec->num_gaps < 64);
    rec->gaps[rec->num_gaps++] = *g;
    rec->cursor += g->len;
}

static void run(void **state)
{
    const struct instance *in = *state;
    const struct row *row = in->row;
    struct tcp_reasm_limits lim = {
        .ooo_max_bytes = row->ooo_max_bytes ? row->ooo_max_bytes : 1u << 20,
        .ooo_max_segments = row->ooo_max_segments ? row->ooo_max_segments : 1024,
        .recent_bytes = row->recent_bytes ? row->recent_bytes : 64u << 10,
        .gap_wait_packets = 4,
        .gap_wait_us = 1000000,
    };
    struct tcp_mem mem;
    tcp_mem_init(&mem, row->max_memory ? row->max_memory : 64u << 20, in->dirty_spares ? 2 : 0);
    if (in->dirty_spares) {
        /* Another flow's bytes at every position (the complement of this stream's at the same
         * offset): a comparison that read one would see an inconsistent retransmission, and a
         * delivery that came from one would be caught byte by byte below. */
        for (int b = 0; b < 2; b++) {
            uint8_t *stale = g_malloc(TCP_RING_MIN);
            for (uint32_t i = 0; i < TCP_RING_MIN; i++) {
                stale[i] = (uint8_t)~pattern(i + (uint64_t)row->base);
            }
            spare_list_give(&mem.ring_spares, stale);
        }
    }
    struct cap_dir_stats st;
    memset(&st, 0, sizeof(st));
    bool cap_hit = false;
    struct recorder *rec = g_new0(struct recorder, 1);
    struct tcp_reasm_ctx c = {.lim = &lim,
                              .mem = &mem,
                              .st = &st,
                              .cap_hit = &cap_hit,
                              .on_data = on_data,
                              .on_gap = on_gap,
                              .arg = rec};
    struct tcp_reasm r;
    tcp_reasm_init(&r);
    /* Sequence number of offset 0: ISN+1 after a SYN, the first byte's own number midstream. */
    uint32_t seq0 = row->midstream ? in->isn : in->isn + 1;
    uint8_t *buf = g_malloc(STREAM_MAX);
    int64_t ts = 1700000000000000;
    uint64_t pkts = 0;
    for (unsigned k = 0; k < MAX_STEPS && row->steps[in->order[k]].op != END_OF_SCRIPT; k++) {
        const struct step *s = &row->steps[in->order[k]];
        ts += s->dt_us ? s->dt_us : DT_DEFAULT;
        pkts++;
        uint32_t seq = seq0 + (uint32_t)s->rel;
        if (s->op == ACK) {
            tcp_reasm_ack(&r, seq);
        } else {
            for (uint32_t i = 0; i < s->len; i++) {
                uint8_t b = pattern((uint64_t)(s->rel + i));
                buf[i] = s->corrupt ? (uint8_t)~b : b;
            }
            tcp_reasm_segment(&r, &c, seq, s->flags, buf, s->len, ts, pkts);
        }
        tcp_reasm_tick(&r, &c, ts, pkts);
    }
    tcp_reasm_finish(&r, &c, ts);

    assert_int_equal(rec->cursor, row->end);
    assert_int_equal(rec->num_gaps, row->num_gaps);
    assert_int_equal(st.num_gaps, row->num_gaps);
    uint64_t missing = 0;
    for (uint32_t i = 0; i < row->num_gaps; i++) {
        assert_int_equal(rec->gaps[i].offset, row->gaps[i].off);
        assert_int_equal(rec->gaps[i].len, row->gaps[i].len);
        assert_int_equal(rec->gaps[i].reason, row->gaps[i].reason);
        assert_memory_equal(&st.gaps[i], &rec->gaps[i], sizeof(struct cap_gap));
        missing += row->gaps[i].len;
    }
    assert_int_equal(st.missing_bytes, missing);
    assert_int_equal(st.delivered_bytes, row->end - missing);
    /* Every delivered byte is the sender's byte (or its complement where the first copy was). */
    for (uint64_t off = 0; off < row->end; off++) {
        bool in_gap = false;
        for (uint32_t i = 0; i < row->num_gaps; i++) {
            in_gap |= off >= row->gaps[i].off && off < row->gaps[i].off + row->gaps[i].len;
        }
        if (in_gap) {
            continue;
        }
        bool flipped = off >= row->flip_off && off < row->flip_off + row->flip_len;
        uint8_t p = pattern(off + (uint64_t)row->base);
        uint8_t want = flipped ? (uint8_t)~p : p;
        if (rec->stream[off] != want) {
            fail_msg("byte at offset %llu: got %u want %u", (unsigned long long)off,
                     rec->stream[off], want);
        }
    }
    assert_int_equal(st.retransmitted_bytes, row->retrans);
    assert_int_equal(st.num_incons, row->num_incons);
    if (row->num_incons) {
        assert_int_equal(st.incons[0].offset, row->incons_off);
        assert_int_equal(st.incons[0].len, row->incons_len);
        assert_true(st.incons[0].pkt_index > 0);
    }
    assert_int_equal(mem.ooo_cap_hits, row->ooo_cap_hits);
    assert_int_equal(st.cap_dropped_bytes, row->cap_dropped);
    assert_int_equal(cap_hit, row->ooo_cap_hits > 0 || row->max_memory > 0);
    assert_int_equal(st.syn_seen, !row->midstream);
    assert_int_equal(st.midstream, row->midstream);
    assert_int_equal(st.fin_seen, row->fin_offset >= 0);
    if (row->fin_offset >= 0) {
        assert_int_equal(st.fin_offset, row->fin_offset);
    }
    assert_int_equal(st.rst_seen, row->rst_offset >= 0);
    if (row->rst_offset >= 0) {
        assert_int_equal(st.rst_offset, row->rst_offset);
    }
    assert_int_equal(st.data_after_close, row->data_after_close);
    assert_true(mem.peak <= mem.max);
    tcp_reasm_cleanup(&r, &mem);
    cap_dir_stats_release(&st);
    assert_int_equal(mem.in_use, 0);
    /* A smallest ring taken from the list went back to it. */
    assert_int_equal(mem.ring_spares.num, in->dirty_spares ? 2 : 0);
    tcp_mem_cleanup(&mem);
    g_free(buf);
    g_free(rec);
}

/* Offsets stay exact past 4 GiB: the reference point is `next`, not the ISN. */
static void stream_longer_than_4gib(void **state)
{
    (void)state;
    struct tcp_reasm_limits lim = {1u << 20, 1024, 0, 4, 1000000};
    struct tcp_mem mem = {.max = 1u << 20};
    struct cap_dir_stats st;
    memset(&st, 0, sizeof(st));
    bool cap_hit = false;
    struct tcp_reasm_ctx c = {.lim = &lim, .mem = &mem, .st = &st, .cap_hit = &cap_hit};
    static uint8_t chunk[65536];
    struct tcp_reasm r;
    tcp_reasm_init(&r);
    uint32_t seq = 0xfffffff5u;
    tcp_reasm_segment(&r, &c, seq, CAP_TCP_SYN, NULL, 0, 1, 1);
    seq++;
    uint64_t total = 0;
    for (int i = 0; i < 70000; i++) { /* 70000 * 64 KiB = 4.27 GiB */
        tcp_reasm_segment(&r, &c, seq, CAP_TCP_ACK, chunk, sizeof(chunk), 2, (uint64_t)i + 2);
        seq += sizeof(chunk);
        total += sizeof(chunk);
    }
    uint64_t off = 0;
    assert_true(tcp_reasm_offset(&r, seq, &off));
    assert_int_equal(off, total);
    assert_true(total > (1ull << 32));
    assert_int_equal(st.delivered_bytes, total);
    assert_int_equal(st.retransmitted_bytes, 0);
    tcp_reasm_cleanup(&r, &mem);
    cap_dir_stats_release(&st);
}

/* Random covers: a stream of RANDOM_LEN bytes sent as random segments (random offsets and
 * lengths, so duplicates and overlaps of every shape) in random order, then every byte once more
 * in order so that nothing is left unsent. With generous caps the stream must come out whole,
 * gap-free; with tight caps gaps may be forced, but the events stay continuous, every delivered
 * byte is the sender's, and every byte sent is accounted exactly once: delivered, retransmitted,
 * or refused by a cap. */
#define RANDOM_LEN 3000

struct random_case {
    uint32_t seed;
    uint32_t isn;
    bool tight;
};

static void random_cover(void **state)
{
    const struct random_case *rc = *state;
    struct tcp_reasm_limits lim = {
        .ooo_max_bytes = rc->tight ? 300 : 1u << 20,
        .ooo_max_segments = rc->tight ? 4 : 1024,
        .recent_bytes = 64u << 10,
        .gap_wait_packets = 4,
        .gap_wait_us = 1000000,
    };
    struct tcp_mem mem = {.max = 64u << 20};
    struct cap_dir_stats st;
    memset(&st, 0, sizeof(st));
    bool cap_hit = false;
    struct recorder *rec = g_new0(struct recorder, 1);
    struct tcp_reasm_ctx c = {.lim = &lim,
                              .mem = &mem,
                              .st = &st,
                              .cap_hit = &cap_hit,
                              .on_data = on_data,
                              .on_gap = on_gap,
                              .arg = rec};
    struct tcp_reasm r;
    tcp_reasm_init(&r);
    GRand *rnd = g_rand_new_with_seed(rc->seed);
    uint8_t buf[RANDOM_LEN];
    int64_t ts = 1700000000000000;
    uint64_t pkts = 1, sent = 0;
    tcp_reasm_segment(&r, &c, rc->isn, CAP_TCP_SYN, NULL, 0, ts, pkts);
    for (int i = 0; i < 60 + RANDOM_LEN / 100; i++) {
        uint32_t off, len;
        if (i < 60) {
            off = (uint32_t)g_rand_int_range(rnd, 0, RANDOM_LEN - 1);
            len = (uint32_t)g_rand_int_range(rnd, 1, 200);
        } else {
            off = (uint32_t)(i - 60) * 100;
            len = 100;
        }
        len = MIN(len, (uint32_t)RANDOM_LEN - off);
        for (uint32_t k = 0; k < len; k++) {
            buf[k] = pattern(off + k);
        }
        ts += 1000;
        pkts++;
        tcp_reasm_segment(&r, &c, rc->isn + 1 + off, CAP_TCP_ACK, buf, len, ts, pkts);
        tcp_reasm_tick(&r, &c, ts, pkts);
        sent += len;
    }
    tcp_reasm_finish(&r, &c, ts);
    g_rand_free(rnd);

    assert_int_equal(rec->cursor, RANDOM_LEN);
    assert_int_equal(st.delivered_bytes + st.missing_bytes, RANDOM_LEN);
    assert_int_equal(st.delivered_bytes + st.retransmitted_bytes + st.cap_dropped_bytes, sent);
    assert_int_equal(st.num_incons, 0);
    for (uint32_t off = 0; off < RANDOM_LEN; off++) {
        bool in_gap = false;
        for (uint32_t i = 0; i < rec->num_gaps; i++) {
            in_gap |= off >= rec->gaps[i].offset && off < rec->gaps[i].offset + rec->gaps[i].len;
        }
        if (!in_gap && rec->stream[off] != pattern(off)) {
            fail_msg("byte at offset %u", off);
        }
    }
    if (!rc->tight) {
        assert_int_equal(rec->num_gaps, 0);
        assert_false(cap_hit);
    }
    tcp_reasm_cleanup(&r, &mem);
    cap_dir_stats_release(&st);
    assert_int_equal(mem.in_use, 0);
    g_free(rec);
}

static unsigned count_steps(const struct row *row)
{
    unsigned n = 0;
    while (n < MAX_STEPS && row->steps[n].op != END_OF_SCRIPT) {
        n++;
    }
    return n;
}

/* next_perm: lexicographic successor of a[0..n), false after the last. */
static bool next_perm(unsigned *a, unsigned n)
{
    if (n < 2) {
        return false;
    }
    unsigned i = n - 1;
    while (i > 0 && a[i - 1] >= a[i]) {
        i--;
    }
    if (i == 0) {
        return false;
    }
    unsigned j = n - 1;
    while (a[j] <= a[i - 1]) {
        j--;
    }
    unsigned t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (unsigned l = i, h = n - 1; l < h; l++, h--) {
        t = a[l];
        a[l] = a[h];
        a[h] = t;
    }
    return true;
}

int main(void)
{
    GArray *tests = g_array_new(FALSE, FALSE, sizeof(struct CMUnitTest));
    for (size_t ri = 0; ri < G_N_ELEMENTS(ROWS); ri++) {
        const struct row *row = &ROWS[ri];
        unsigned n = count_steps(row);
        unsigned order[MAX_STEPS];
        for (unsigned k = 0; k < MAX_STEPS; k++) {
            order[k] = k;
        }
        unsigned perm_no = 0;
        do {
            for (size_t ii = 0; ii < G_N_ELEMENTS(ISNS); ii++) {
                struct instance *in = g_new0(struct instance, 1);
                in->row = row;
                in->isn = ISNS[ii];
                memcpy(in->order, order, sizeof(order));
                char *name = row->permute ? g_strdup_printf("%s/order%02u/isn=%u", row->name,
                                                            perm_no, in->isn)
                                          : g_strdup_printf("%s/isn=%u", row->name, in->isn);
                struct CMUnitTest t = cmocka_unit_test_prestate(run, in);
                t.name = name;
                g_array_append_val(tests, t);
            }
            struct instance *dirty = g_new0(struct instance, 1);
            dirty->row = row;
            dirty->isn = ISNS[G_N_ELEMENTS(ISNS) - 1];
            dirty->dirty_spares = true;
            memcpy(dirty->order, order, sizeof(order));
            struct CMUnitTest t = cmocka_unit_test_prestate(run, dirty);
            t.name = g_strdup_printf("%s/order%02u/stale_spare_rings", row->name, perm_no);
            g_array_append_val(tests, t);
            perm_no++;
        } while (row->permute && next_perm(order + 1, MIN(row->permute, n - 1)));
    }
    for (uint32_t seed = 1; seed <= 16; seed++) {
        for (size_t ii = 0; ii < G_N_ELEMENTS(ISNS); ii++) {
            for (int tight = 0; tight < 2; tight++) {
                struct random_case *rc = g_new0(struct random_case, 1);
                rc->seed = seed;
                rc->isn = ISNS[ii];
                rc->tight = tight;
                struct CMUnitTest t = cmocka_unit_test_prestate(random_cover, rc);
                t.name = g_strdup_printf("random_cover/%s/seed=%u/isn=%u",
                                         tight ? "tight_caps" : "generous", seed, rc->isn);
                g_array_append_val(tests, t);
            }
        }
    }
    struct CMUnitTest big = cmocka_unit_test(stream_longer_than_4gib);
    g_array_append_val(tests, big);
    return _cmocka_run_group_tests("tcp_reassembly", (const struct CMUnitTest *)tests->data,
                                   tests->len, NULL, NULL);
}
