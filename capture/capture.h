/* capture: the ground floor of tlsscope. Packets from pcap files or a live interface, decoded to
 * TCP segments (link, IP, TCP), grouped into flows, and reassembled into one byte stream per
 * direction with every unseen byte an explicit gap. It knows nothing of TLS: its consumers see
 * stream events (open, data, gap, close) and per-flow facts (TCP close, TTL and link-source
 * changes, retransmissions, handshake timing).
 *
 * Timestamps everywhere are microseconds since the Unix epoch, taken from the capture, never
 * from the wall clock, so offline results are the same on every run. */
#ifndef TLSSCOPE_CAPTURE_H
#define TLSSCOPE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "cursor.h"

#define CAP_ERROR (cap_error_quark())
GQuark cap_error_quark(void);
enum cap_error_code {
    CAP_ERROR_OPEN,      /* missing, unreadable or not a capture file; no such interface */
    CAP_ERROR_FILTER,    /* the BPF expression does not compile */
    CAP_ERROR_ACTIVATE,  /* live capture could not start (permissions, device down) */
    CAP_ERROR_READ,      /* an error while reading packets */
    CAP_ERROR_PRIVILEGE, /* dropping privileges failed */
};

/* ------------------------------------------------------------------ decoded packets */

/* Why a packet was not turned into a TCP segment. Counted per reason, never fatal. */
enum cap_skip_reason {
    CAP_SKIP_TRUNCATED,    /* caplen ends inside a header */
    CAP_SKIP_LINKTYPE,     /* link type tlsscope does not decode */
    CAP_SKIP_NOT_IP,       /* link payload is not IPv4/IPv6 (ARP, LLDP, ...) */
    CAP_SKIP_BAD_IP,       /* impossible IP header (version, IHL, lengths) */
    CAP_SKIP_IP_FRAGMENT,  /* IP fragments are counted, not reassembled */
    CAP_SKIP_NOT_TCP,      /* UDP, ICMP, ... */
    CAP_SKIP_BAD_TCP,      /* impossible TCP header (data offset) */
    CAP_SKIP_BAD_CHECKSUM, /* only with --verify-checksums */
    CAP_SKIP_COUNT
};
const char *cap_skip_reason_name(enum cap_skip_reason r);

struct cap_addr {
    uint8_t family;    /* 4 or 6 */
    uint8_t bytes[16]; /* IPv4 in the first 4 bytes, the rest zero */
};
/* cap_addr_format: text form (inet_ntop) into buf of at least 46 bytes; returns buf. */
const char *cap_addr_format(const struct cap_addr *a, char *buf, size_t buf_len);

#define CAP_TCP_FIN 0x01
#define CAP_TCP_SYN 0x02
#define CAP_TCP_RST 0x04
#define CAP_TCP_PSH 0x08
#define CAP_TCP_ACK 0x10
#define CAP_TCP_URG 0x20
#define CAP_TCP_ECE 0x40
#define CAP_TCP_CWR 0x80

#define CAP_LINK_ADDR_MAX 8

/* One decoded TCP segment. payload points into the packet buffer and lives only for the call
 * that received it. */
struct cap_segment {
    int64_t ts_us;
    uint64_t pkt_index; /* 1-based, across all sources in order: tshark's frame.number */
    struct cap_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags; /* CAP_TCP_* */
    uint16_t window;
    uint8_t ttl;          /* IPv4 TTL or IPv6 hop limit */
    uint8_t link_src_len; /* 0 when the link type has no source address */
    uint8_t link_src[CAP_LINK_ADDR_MAX];
    /* SYN options (read on segments with SYN set only, where they are sent) */
    int8_t wscale; /* window scale option, -1 when absent */
    uint16_t mss;  /* 0 when absent */
    bool sack_permitted;
    bool checksum_verified; /* --verify-checksums was asked for and the checksum is right */
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *l3; /* IP header onwards (for the nDPI classifier), captured bytes only */
    size_t l3_len;
};

/* cap_decode: decodes one captured frame of the given DLT link type into *out. Returns true for
 * a TCP segment; false with *out_reason set otherwise. Never reads past caplen. When
 * verify_checksums is set, a TCP segment whose checksum is wrong is rejected with
 * CAP_SKIP_BAD_CHECKSUM (only possible when the whole segment was captured); the IPv4 header
 * checksum is checked too. out->ts_us and out->pkt_index are left as the caller set them; every
 * other field is overwritten. Linktypes: DLT_EN10MB (802.1Q/802.1ad tags), DLT_LINUX_SLL,
 * DLT_LINUX_SLL2, DLT_RAW (and LINKTYPE_RAW 101), DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP. */
bool cap_decode(int linktype, const uint8_t *pkt, size_t caplen, bool verify_checksums,
                struct cap_segment *out, enum cap_skip_reason *out_reason);

/* ------------------------------------------------------------------ packet sources */

/* One packet as read from a source; data lives only for the callback. */
struct cap_packet {
    int64_t ts_us;
    int linktype; /* DLT_* */
    const uint8_t *data;
    size_t caplen;
    size_t len; /* original length on the wire */
};

typedef void (*cap_packet_fn)(void *user, const struct cap_packet *pkt);

struct cap_live_options {
    int snaplen;    /* default 262144 */
    int buffer_kib; /* kernel ring; default 32768; 0: libpcap's default */
    bool promisc;   /* default true; -p clears */
    int timeout_ms; /* read timeout, default 100 */
};
void cap_live_options_defaults(struct cap_live_options *o);

struct cap_source;

/* cap_source_open_files: reads the files in order as one continuous packet sequence ("-" is
 * stdin). Opens the first file at once (so a bad name fails here), the rest when reached.
 * Returns NULL with CAP_ERROR_OPEN or CAP_ERROR_FILTER. bpf may be NULL. */
struct cap_source *cap_source_open_files(const char *const *paths, size_t num_paths,
                                         const char *bpf, GError **error);
/* cap_source_open_live: pcap_create/pcap_activate on iface; warnings from activation are kept
 * and returned by cap_source_warning(). */
struct cap_source *cap_source_open_live(const char *iface, const struct cap_live_options *o,
                                        const char *bpf, GError **error);
/* cap_source_open_pcap_bytes: a source over an in-memory capture (fuzzing, tests). The bytes are
 * read in place: they must outlive the source. */
struct cap_source *cap_source_open_memory(const void *bytes, size_t len, const char *bpf,
                                          GError **error);
void cap_source_free(struct cap_source *src);

enum cap_source_status {
    CAP_SOURCE_OK,      /* packets delivered, more may follow */
    CAP_SOURCE_EOF,     /* all files read (never for live) */
    CAP_SOURCE_STOPPED, /* cap_source_stop() was called */
    CAP_SOURCE_ERROR,   /* *error set; packets before it were delivered */
};

/* cap_source_dispatch: delivers up to max_packets (<= 0: one buffer's worth; for files 4096) to
 * fn. A file cut short mid-packet ends that file as if at EOF and is recorded in the stats
 * (truncated_file), then the next file is opened. On an idle live interface it may block until a
 * packet or cap_source_stop() arrives (Linux TPACKET_V3 ignores the timeout when nothing came):
 * poll cap_source_get_fd() first to stay responsive. */
enum cap_source_status cap_source_dispatch(struct cap_source *src, int max_packets,
                                           cap_packet_fn fn, void *user, GError **error)
    __attribute__((warn_unused_result));

/* cap_source_stop: async-signal-safe request to end the capture (pcap_breakloop). */
void cap_source_stop(struct cap_source *src);

/* cap_source_get_fd: selectable fd for live capture, -1 for files. */
int cap_source_get_fd(const struct cap_source *src);

#define CAP_MAX_LINKTYPES 8
struct cap_source_stats {
    uint64_t packets;          /* read from the source(s) */
    uint64_t bytes;            /* sum of original lengths */
    uint64_t file_bytes_total; /* size of all regular input files, 0 when unknown */
    uint64_t file_bytes_read;  /* position in them */
    size_t num_linktypes;
    int linktypes[CAP_MAX_LINKTYPES];
    bool live;
    bool kernel_stats_valid;
    uint64_t kernel_drops;            /* pcap_stats ps_drop */
    uint64_t interface_drops;         /* pcap_stats ps_ifdrop */
    uint64_t kernel_received;         /* ps_recv */
    const char *truncated_file;       /* name of the first file cut short mid-packet, or NULL */
    uint64_t bad_timestamps;          /* packets whose time did not fit (kept the previous time) */
    uint64_t truncated_after_packets; /* packets read when the cut was met */
    /* Progress through a file list (for a progress line; all 0/NULL for live). */
    size_t num_files;          /* files given (1 for a memory source) */
    size_t file_index;         /* 1-based index of the file being read or last read */
    const char *current_file;  /* its name while open, else NULL; owned by the source */
    uint64_t packets_estimate; /* total packets extrapolated from bytes read, 0 if unknown */
};
void cap_source_get_stats(struct cap_source *src, struct cap_source_stats *out);
const char *cap_source_warning(const struct cap_source *src); /* activation warning or NULL */
const char *cap_linktype_name(int linktype);

/* cap_list_interfaces: one line per device into out (like tcpdump -D); false on error. */
bool cap_list_interfaces(GString *out, GError **error);
/* cap_drop_privileges: setgroups, setgid, setuid to user, each checked. */
bool cap_drop_privileges(const char *user, GError **error);

/* ------------------------------------------------------------------ flows and streams */

enum cap_dir {
    CAP_DIR_CLIENT = 0, /* bytes the client sent */
    CAP_DIR_SERVER = 1, /* bytes the server sent */
};

enum cap_gap_reason {
    CAP_GAP_ACKED_UNSEEN, /* the receiver acknowledged bytes the capture never saw */
    CAP_GAP_OOO_CAP,      /* data held above the hole passed the out-of-order cap */
    CAP_GAP_TIMEOUT,      /* the hole stayed open longer than the gap timeout */
    CAP_GAP_FLOW_END,     /* the flow ended with data missing below the highest byte seen */
    CAP_GAP_MEMORY_CAP,   /* the global memory cap forced a flush */
};
const char *cap_gap_reason_name(enum cap_gap_reason r);

enum cap_end_reason {
    CAP_END_FIN, /* both sides closed and the closed timeout passed */
    CAP_END_RST,
    CAP_END_TIMEOUT,     /* idle timeout */
    CAP_END_CAPTURE_END, /* the input ended with the flow open */
    CAP_END_EVICTED,     /* the flow cap forced it out */
    CAP_END_PORT_REUSE,  /* a new SYN reused the tuple */
};
const char *cap_end_reason_name(enum cap_end_reason r);

enum cap_role_source {
    CAP_ROLE_SYN,         /* the SYN sender is the client */
    CAP_ROLE_CLIENTHELLO, /* told by the consumer: the side that sent a ClientHello */
    CAP_ROLE_PORT,        /* the higher port is the client */
};

struct cap_gap {
    uint64_t offset;
    uint64_t len;
    int64_t ts_us;
    enum cap_gap_reason reason;
};

struct cap_incons {
    uint64_t offset;
    uint64_t len;
    int64_t ts_us;
    uint64_t pkt_index;
};

/* A change of TTL/hop limit or link source address within one side of a connection. */
struct cap_change {
    int64_t ts_us;
    uint64_t pkt_index;
    uint8_t len; /* 1 for TTL, link address length otherwise */
    uint8_t old_val[CAP_LINK_ADDR_MAX];
    uint8_t new_val[CAP_LINK_ADDR_MAX];
};

#define CAP_MAX_GAPS 16 /* kept per direction; num_gaps stays exact */
#define CAP_MAX_INCONS 8
#define CAP_MAX_CHANGES 8

struct cap_dir_stats {
    uint64_t packets;
    uint64_t bytes;           /* TCP payload bytes seen, retransmissions included */
    uint64_t delivered_bytes; /* stream bytes handed to the consumer, each once */
    uint64_t missing_bytes;   /* sum of gap lengths */
    uint64_t retransmitted_bytes;
    uint64_t ooo_segments;
    uint64_t zero_window;
    uint64_t bad_checksum;
    uint64_t cap_dropped_bytes; /* out-of-order bytes refused by a cap */
    /* The four lists below (gaps, inconsistent retransmissions, TTL and link-source changes)
     * are NULL until their first entry, then hold up to their CAP_MAX_* entries; their num_
     * counts stay exact. Most flows never have one, and inline arrays were 2.8 KB of every
     * flow. cap_dir_stats_release frees them. */
    uint32_t num_gaps;
    struct cap_gap *gaps;
    uint32_t num_incons;
    struct cap_incons *incons;
    bool syn_seen;
    bool midstream; /* no SYN: offsets count from the first byte seen */
    bool fin_seen;
    uint64_t fin_offset;
    int64_t fin_ts_us;
    bool rst_seen;
    uint64_t rst_offset;
    int64_t rst_ts_us;
    bool rst_after_fin;
    bool data_after_close; /* payload beyond the FIN, or after an RST */
    uint8_t ttl;           /* first seen */
    uint32_t num_ttl_changes;
    struct cap_change *ttl_changes;
    uint8_t link_src_len;
    uint8_t link_src[CAP_LINK_ADDR_MAX]; /* first seen */
    uint32_t num_link_src_changes;
    struct cap_change *link_src_changes;
};

/* What capture knows about one connection, complete once it has ended. */
struct cap_flow_summary {
    uint64_t id; /* 1, 2, ... in order of first packet */
    struct cap_addr client_ip, server_ip;
    uint16_t client_port, server_port;
    int64_t first_ts_us, last_ts_us;
    enum cap_role_source roles;
    struct cap_dir_stats dir[2]; /* indexed by enum cap_dir */
    char state[8];               /* Zeek conn_state: S0, S1, SF, REJ, RSTO, RSTR, SH, OTH, ... */
    enum cap_end_reason end_reason;
    int64_t syn_ts_us, synack_ts_us, ack_ts_us; /* 0 when not seen */
    bool cap_hit;                               /* some of this flow's data was refused by a cap */
};

/* cap_dir_stats_release: frees a direction's lists (the flow table does this for its flows after
 * on_close). cap_flow_summary_copy: a deep copy for a summary that must outlive its flow;
 * cap_flow_summary_release frees the copy's lists. */
void cap_dir_stats_release(struct cap_dir_stats *d);
void cap_flow_summary_copy(struct cap_flow_summary *dst, const struct cap_flow_summary *src);
void cap_flow_summary_release(struct cap_flow_summary *s);

struct cap_flow;

/* Stream events. Pointers live only for the call. offset is the stream offset (0 = first byte
 * after the SYN) of data[0]; a gap event always comes before the data that follows it, so
 * offsets are continuous across data and gaps. */
struct cap_stream_events {
    void (*on_open)(void *user, struct cap_flow *flow);
    void (*on_data)(void *user, struct cap_flow *flow, enum cap_dir dir, uint64_t offset,
                    const uint8_t *data, size_t len, int64_t ts_us);
    void (*on_gap)(void *user, struct cap_flow *flow, enum cap_dir dir, const struct cap_gap *gap);
    /* on_close: the flow has ended; cap_flow_get_summary() is complete. The flow is freed after
     * this returns. */
    void (*on_close)(void *user, struct cap_flow *flow);
    /* on_segment (may be NULL): every segment after its flow and direction are known and before
     * its data is reassembled; for per-packet consumers such as the classifier. */
    void (*on_segment)(void *user, struct cap_flow *flow, enum cap_dir dir,
                       const struct cap_segment *seg);
    /* on_closed (may be NULL): the TCP connection is over (FIN both ways, or a RST) and the
     * flow now waits timeout_closed for stragglers before on_close; the consumer may release
     * what only more stream bytes would need. Once per flow; stream events may still follow
     * (data after the close, a hole filled late). */
    void (*on_closed)(void *user, struct cap_flow *flow);
    /* user_bytes: the consumer's per-flow state, kept inside the flow's own block (one
     * allocation, read with it): each flow opens with cap_flow_get_user pointing at user_bytes
     * zeroed bytes (aligned as malloc aligns), charged to max_memory with the flow. 0: none, and
     * the user pointer starts NULL. */
    size_t user_bytes;
};

struct cap_flow_config {
    uint32_t max_flows;             /* default 1,000,000 */
    uint64_t max_memory;            /* bytes held by flows and out-of-order data; default 512 MiB */
    uint32_t ooo_max_bytes;         /* per direction; default 1 MiB */
    uint32_t ooo_max_segments;      /* per direction; default 1024 */
    int64_t timeout_established_us; /* default 300 s */
    int64_t timeout_closed_us;      /* default 2 s */
    int64_t timeout_halfopen_us;    /* default 30 s */
    uint32_t gap_wait_packets;      /* packets an acked hole may wait for its data; default 32 */
    int64_t gap_wait_us;            /* time it may wait; default 1 s */
    bool verify_checksums;
    uint32_t recent_bytes; /* per direction: delivered bytes kept to compare retransmissions with
                              (inconsistent retransmissions); older ones are counted without
                              comparison; default 64 KiB, 0 turns comparison off */
};
void cap_flow_config_defaults(struct cap_flow_config *c);

struct cap_table_stats {
    uint64_t flows_total;
    uint64_t flows_active;
    uint64_t flows_peak;
    uint64_t flows_evicted; /* max_flows hit */
    uint64_t ooo_cap_hits;  /* per-direction out-of-order caps hit */
    uint64_t memory_cap_hits;
    uint64_t memory_in_use;
    uint64_t memory_peak;
    uint64_t segments;
    uint64_t segments_untracked; /* no flow could be made for them (max_memory below one flow) */
};

struct cap_flow_table;
struct cap_flow_table *cap_flow_table_new(const struct cap_flow_config *c,
                                          const struct cap_stream_events *ev, void *user);
/* cap_flow_table_add: feeds one segment; emits events synchronously. Also expires flows idle
 * longer than their timeout as capture time advances. */
void cap_flow_table_add(struct cap_flow_table *t, const struct cap_segment *seg);
/* cap_flow_table_finish: ends every open flow with CAP_END_CAPTURE_END. */
void cap_flow_table_finish(struct cap_flow_table *t);
/* cap_flow_table_advance: moves the table's clock forward to now_us (never back; nothing before
 * the first segment) and ends the flows whose timeouts have passed. Live capture calls it while
 * the link is idle, so a connection that ended is reported without waiting for a next packet. */
void cap_flow_table_advance(struct cap_flow_table *t, int64_t now_us);
void cap_flow_table_get_stats(const struct cap_flow_table *t, struct cap_table_stats *out);
void cap_flow_table_free(struct cap_flow_table *t);

const struct cap_flow_summary *cap_flow_get_summary(const struct cap_flow *f);
void cap_flow_set_user(struct cap_flow *f, void *user);
void *cap_flow_get_user(const struct cap_flow *f);
/* cap_flow_acked: true with *out_offset the stream offset of direction dir below which the
 * other side has acknowledged every byte (a FIN's sequence number may make it one more than the
 * stream's length); false while no ACK of dir's bytes was seen. Called from a stream event, it
 * includes the ACK of the segment being delivered. */
bool cap_flow_acked(const struct cap_flow *f, enum cap_dir dir, uint64_t *out_offset);
/* cap_flow_set_consumer_bytes: the consumer now holds `bytes` of memory for this flow (its
 * dissector's and classifier's state). They count against max_memory with the table's own, so
 * the cap bounds everything a flow makes grow. A consumer's memory grows inside stream events,
 * where no flow may end: when the total is over the cap, the least recently active flows are
 * ended (evicted, as when a new flow does not fit) before the next segment is processed, so the
 * cap holds to within what one segment's events allocate. Released when the flow ends. */
void cap_flow_set_consumer_bytes(struct cap_flow *f, size_t bytes);
/* cap_flow_set_client: the consumer found that `dir` is really the client's side (it sent a
 * ClientHello). Only honoured when roles came from ports; swaps the directions of everything
 * recorded so far and of future events. Returns true when a swap happened: the consumer must
 * swap its own per-direction state too. */
bool cap_flow_set_client(struct cap_flow *f, enum cap_dir dir);

/* Decryption secrets a pcapng file carries (Decryption Secrets Blocks, written by
 * `editcap --inject-secrets`), for whoever can use them: capture/ only hands the bytes on.
 * cap_pcapng_secrets reads the head of path (a file that is not pcapng gives nothing) and calls
 * fn for each block before the first packet; false with error only when it cannot be opened.
 * cap_pcapng_secrets_mem does the same on bytes in memory; true when it found any. */
#define CAP_SECRETS_TLS_KEYLOG 0x544c534bu /* "TLSK": NSS key log text */
typedef void (*cap_secrets_fn)(void *user, uint32_t secrets_type, const uint8_t *data, size_t len);
bool cap_pcapng_secrets(const char *path, cap_secrets_fn fn, void *user, GError **error);
bool cap_pcapng_secrets_mem(const uint8_t *bytes, size_t len, cap_secrets_fn fn, void *user);

#endif
