/* The TCP reassembler of one direction, below the flow table, with its own API so that it can be
 * unit tested without flows. It turns sequence numbers into 64-bit stream offsets, delivers
 * in-order bytes straight from the packet buffer, holds out-of-order bytes in a bounded ordered
 * store, compares retransmitted bytes with what it already delivered, and turns holes into gaps
 * (acked-but-unseen after a wait, a cap, a timeout, or the end of the flow). It updates the
 * direction's struct cap_dir_stats; the flow table owns everything else (packets, TTL, link
 * addresses, roles, timeouts). Only capture/ and its tests include this header. */
#ifndef TLSSCOPE_TCP_REASSEMBLY_INTERNAL_H
#define TLSSCOPE_TCP_REASSEMBLY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "spare_list.h"

/* The ring grows with the bytes actually delivered, from this size up to recent_bytes, so that
 * the many short flows of a busy link do not each pay for a full ring. */
#define TCP_RING_MIN 4096

/* Memory shared by every reassembler (and flow) of one table: every allocation is reserved here
 * first, so the global cap holds before the bytes exist. */
struct tcp_mem {
    uint64_t max;
    uint64_t in_use;
    uint64_t peak;
    uint64_t ooo_cap_hits;    /* a direction's out-of-order byte or segment cap was reached */
    uint64_t memory_cap_hits; /* a reservation was refused */
    /* Rings of the smallest size, handed from flows that closed to flows that open (most short
     * flows never need a larger one): each was a malloc and a free, the free of a block gone
     * cold. max 0 (a zeroed tcp_mem): rings come from malloc. */
    struct spare_list ring_spares;
};

/* tcp_mem_init: max bytes, and a spare list of up to num_spare_rings rings (TCP_RING_MIN bytes
 * each, outside max; a spare ring's old bytes are never read, only overwritten). tcp_mem_cleanup
 * frees the spare rings. */
void tcp_mem_init(struct tcp_mem *m, uint64_t max, unsigned num_spare_rings);
void tcp_mem_cleanup(struct tcp_mem *m);

/* tcp_mem_reserve: true and in_use grown by n when in_use + n stays within max; false (counted in
 * memory_cap_hits) otherwise. */
bool tcp_mem_reserve(struct tcp_mem *m, size_t n) __attribute__((warn_unused_result));
void tcp_mem_release(struct tcp_mem *m, size_t n);
/* tcp_mem_charge: in_use grows by n even past max (memory that already exists); the owner brings
 * in_use back under max by freeing something else. */
void tcp_mem_charge(struct tcp_mem *m, size_t n);

struct tcp_reasm_limits {
    uint32_t ooo_max_bytes;    /* held out-of-order bytes per direction */
    uint32_t ooo_max_segments; /* held out-of-order pieces per direction */
    uint32_t recent_bytes;     /* delivered bytes kept to compare retransmissions with */
    uint32_t gap_wait_packets; /* packets an acked (or stale) hole may wait for its data */
    int64_t gap_wait_us;       /* capture time it may wait */
};

typedef void (*tcp_data_fn)(void *arg, uint64_t offset, const uint8_t *data, size_t len,
                            int64_t ts_us);
typedef void (*tcp_gap_fn)(void *arg, const struct cap_gap *gap);

/* Everything a call needs besides the direction's own state. st and cap_hit may change between
 * calls (the flow table swaps directions), which is why they are not kept in struct tcp_reasm. */
struct tcp_reasm_ctx {
    const struct tcp_reasm_limits *lim;
    struct tcp_mem *mem;
    struct cap_dir_stats *st;
    bool *cap_hit;
    tcp_data_fn on_data;
    tcp_gap_fn on_gap;
    void *arg;
};

struct tcp_ooo_node;

struct tcp_reasm {
    bool base_set;
    uint32_t base_seq; /* sequence number of stream offset 0 */
    uint32_t isn;      /* the SYN's sequence number when syn_seen */
    uint64_t next;     /* next offset to deliver: everything below was delivered or a gap */
    uint64_t high;     /* one past the highest byte (or FIN) seen */
    bool ack_valid;
    uint64_t acked;                   /* highest offset the peer acknowledged, FIN excluded */
    struct tcp_ooo_node *head, *tail; /* held bytes, ordered, never overlapping, all above next */
    uint32_t ooo_segments;
    uint64_t ooo_bytes;
    uint8_t *ring; /* the last ring_cap delivered bytes, indexed by offset % ring_cap */
    uint32_t ring_cap;
    uint64_t ring_lo;   /* no ring byte below this offset is valid (set after every gap) */
    bool ring_released; /* the flow closed: no more ring (tcp_reasm_release_ring) */
    bool waiting;       /* an acked hole is waiting for its data */
    int64_t wait_ts;
    uint64_t wait_pkts;
    uint64_t wait_ack;
    bool hole_open; /* data is held above a hole that no ACK covers */
    int64_t hole_ts;
    uint64_t hole_pkts;
    uint64_t pkts;           /* segments of this direction (the clock of an unacked hole) */
    struct cap_gap last_gap; /* the most recent gap, also beyond CAP_MAX_GAPS */
    bool any_gap;
};

void tcp_reasm_init(struct tcp_reasm *r);
/* tcp_reasm_release_ring: frees the retransmission ring for good (the flow has closed); later
 * retransmissions are counted without comparison. */
void tcp_reasm_release_ring(struct tcp_reasm *r, struct tcp_mem *mem);
/* tcp_reasm_cleanup: frees held bytes and the ring and returns their memory to mem. */
void tcp_reasm_cleanup(struct tcp_reasm *r, struct tcp_mem *mem);

/* tcp_reasm_segment: one segment sent in this direction. SYN sets offset 0 at ISN+1; without a
 * SYN the first segment seen does (midstream). Delivers what became contiguous, holds what is
 * above a hole (or, at a cap, turns the lowest hole into a gap first), compares what was seen
 * before. Records FIN and RST. payload is only read during the call. */
void tcp_reasm_segment(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, uint32_t seq,
                       uint8_t flags, const uint8_t *payload, size_t len, int64_t ts_us,
                       uint64_t pkt_index);

/* tcp_reasm_ack: the peer acknowledged everything below sequence number ack of this direction.
 * Ignored before offset 0 is known or when it points backwards. */
void tcp_reasm_ack(struct tcp_reasm *r, uint32_t ack);

/* tcp_reasm_tick: called after every packet of the flow (flow_pkts counts them). An acked hole
 * becomes a CAP_GAP_ACKED_UNSEEN gap once it has waited gap_wait_packets packets or gap_wait_us;
 * a hole with data held above it and no ACK covering it becomes CAP_GAP_TIMEOUT once it has
 * waited both gap_wait_us and gap_wait_packets of this direction's segments. */
void tcp_reasm_tick(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t ts_us,
                    uint64_t flow_pkts);

/* tcp_reasm_finish: the flow ended. Every hole below the highest byte seen (or acked) becomes a
 * gap (CAP_GAP_ACKED_UNSEEN when the peer acknowledged it, CAP_GAP_FLOW_END otherwise) and the
 * held bytes are delivered. An ACK exactly one beyond the highest byte with no FIN seen counts
 * as the ACK of an unseen FIN, not of a byte. */
void tcp_reasm_finish(struct tcp_reasm *r, const struct tcp_reasm_ctx *c, int64_t ts_us);

/* tcp_reasm_offset: the stream offset of seq, false before offset 0 is known or when seq lies
 * before offset 0. */
bool tcp_reasm_offset(const struct tcp_reasm *r, uint32_t seq, uint64_t *out_offset);

/* TCP_REASM_NODE_OVERHEAD: bytes charged per held piece besides its payload. */
size_t tcp_reasm_node_overhead(void);

#endif
