/* Flow classification with nDPI 4.2: the only file that includes nDPI.
 *
 * nDPI sees a flow only until it has a final answer. TLS flows are followed a little further
 * (extra dissection) so nDPI can read the certificate and raise its certificate risks; after
 * that, or after CLASSIFY_MAX_PACKETS, its per-flow state (about 1 KB plus buffers in 4.2) is
 * freed and only the protocol name, risk names and JA3 are kept.
 *
 * A verdict can also be reused (cli/verdict_memo.h): the classifier holds a flow's first
 * segments, supplies what besides their bytes nDPI's verdict depends on (cap_classify_context),
 * and keeps remembered verdicts in class_memo.c. What a key must hold was worked out from nDPI
 * 4.2's source: its TLS dissector reads the hellos and, for a certificate, the packet time;
 * its connection tracking reads flags and relative sequence numbers; its port guess, risk
 * check and the dissectors that run before TLS read ports (see MEMO_PRIVILEGED_PORTS) and
 * addresses (client_address_read); its certificate cache is history (cert_epoch). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "capture.h"
#include "class_memo.h"
#include "prefetch.h"
#include "spare_list.h"

/* A TLS 1.2 full handshake has shown its certificate (the last thing nDPI's TLS dissector
 * reads) within the first dozen packets; a TLS 1.3 certificate is encrypted, so following the
 * flow further only costs time. */
#define CLASSIFY_MAX_PACKETS 12

/* Which client ports go into a memo key as they are (the others count as one). A verdict is
 * remembered only when nDPI detected TLS on the flow's first packet, the ClientHello. Up to
 * then, in nDPI 4.2, the client port is read by its connection tracking (which side has the
 * lower port: in the key), its port guess, its risk check and the dissector it tries first
 * (all through its default-port table), and by the dissectors ahead of TLS in its order, HTTP
 * and StarCraft, neither of which reads it for a payload that is not HTTP. TLS's dissector
 * compares the mail-over-TLS ports. Privileged ports are kept too, as a margin. */
#define MEMO_PRIVILEGED_PORTS 1024
static const uint16_t tls_dissector_ports[] = {465, 587, 993, 995};

/* Held copies: one segment at most this big, all flows together at most the budget (a flood of
 * ClientHellos nobody answers is held this far, then given to nDPI as it comes). */
#define CLASSIFY_HELD_MAX_SEGMENT 16384
#define CLASSIFY_HELD_BUDGET (8u << 20)

/* A flow's held copies go one after another into one block of this size (a ClientHello and the
 * ACKs before the server answers take well under 2 KB); one that does not fit gets its own. The
 * blocks, and the flows' own structs, come from short spare lists (spare_list.h): a few hundred
 * bytes to malloc and free per flow were a tenth of what a reused verdict cost. */
#define CLASSIFY_HOLD_BLOCK 2048
#define CLASSIFY_SPARE_FLOWS 1024
#define CLASSIFY_SPARE_BLOCKS 256
/* Slots of the IP-table answer cache (guess_cache): 64, 768 bytes. */
#define CLASSIFY_GUESS_BITS 6
#define CLASSIFY_GUESS_SLOTS (1u << CLASSIFY_GUESS_BITS)

/* nDPI's "about to expire" window for certificates, set explicitly so a reused verdict can
 * place a time in it the way nDPI does (this is 4.2's default). */
#define CLASSIFY_CERT_EXPIRE_DAYS 30

struct cap_classifier {
    struct ndpi_detection_module_struct *ndpi;
    struct cap_class_memo *memo;
    struct cap_class_stats stats;
    /* bit set: some protocol's default TCP port in nDPI, or one its TLS dissector tests */
    uint8_t default_port[65536 / 8];
    /* bit set: the default TCP port of a protocol other than TLS (nDPI tries that protocol's
     * dissector first on a flow to or from it) */
    uint8_t other_default_port[65536 / 8];
    /* nDPI's TLS dissector keeps a cache (not reachable through its API) of servers whose
     * certificate subject named a protocol, and names later flows to them from it. This counts
     * the flows that may have added to it, so a verdict made before is not reused after. */
    uint32_t cert_epoch;
    /* What goes into a key was worked out by reading nDPI 4.2's source; another release may
     * read more, so verdicts are reused only with the release that was read. */
    bool memo_ok;
    /* nDPI's IP-table answers by (IPv4 address, port): the table does not change after
     * initialisation, and a busy server's address and port come back on every flow to it.
     * Direct-mapped; a slot holds its whole key. */
    struct {
        uint32_t addr; /* network byte order */
        uint16_t port; /* host byte order */
        uint16_t guess;
        bool used;
    } guess_cache[CLASSIFY_GUESS_SLOTS];
    size_t held_bytes;              /* copies held by all flows, at most CLASSIFY_HELD_BUDGET */
    struct cap_spares flow_spares;  /* of struct cap_class_flow */
    struct cap_spares block_spares; /* of CLASSIFY_HOLD_BLOCK bytes */
};

struct held_segment {
    int64_t ts_us;
    uint8_t *l3; /* in the flow's hold block, or its own allocation when !in_block */
    uint32_t l3_len;
    bool in_block;
};

struct cap_class_flow {
    struct cap_classifier *owner;
    struct ndpi_flow_struct *ndpi_flow; /* NULL once classification is final */
    uint32_t packets;
    bool done;
    bool tls;            /* nDPI's verdict names TLS as the protocol or its master */
    bool first_detected; /* nDPI named the protocol on the first packet it read */
    bool cached_server;  /* nDPI may have put the server in its certificate cache */
    unsigned num_held;
    struct held_segment held[CAP_CLASS_HOLD_MAX];
    uint8_t *hold_block; /* CLASSIFY_HOLD_BLOCK bytes, NULL until a copy goes in */
    uint32_t hold_used;
    struct cap_class_verdict v;
};

static void set_port_bit(uint8_t *bits, uint16_t port)
{
    bits[port / 8] |= (uint8_t)(1u << (port % 8));
}

static void note_default_ports(struct cap_classifier *c)
{
    for (size_t i = 0; i < G_N_ELEMENTS(tls_dissector_ports); i++) {
        uint16_t port = tls_dissector_ports[i];
        set_port_bit(c->default_port, port);
    }
    const ndpi_proto_defaults_t *d = ndpi_get_proto_defaults(c->ndpi);
    unsigned n = ndpi_get_num_supported_protocols(c->ndpi);
    for (unsigned p = 0; d != NULL && p < n; p++) {
        for (size_t i = 0; i < MAX_DEFAULT_PORTS; i++) {
            uint16_t port = d[p].tcp_default_ports[i];
            set_port_bit(c->default_port, port);
            if (p != NDPI_PROTOCOL_TLS) {
                set_port_bit(c->other_default_port, port);
            }
        }
    }
}

struct cap_classifier *cap_classifier_new(GError **error)
{
    struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
    if (m == NULL) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "nDPI failed to initialise");
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m, &all);
    ndpi_set_tls_cert_expire_days(m, CLASSIFY_CERT_EXPIRE_DAYS);
    ndpi_finalize_initialization(m);
    struct cap_classifier *c = g_new0(struct cap_classifier, 1);
    c->ndpi = m;
    c->memo = cap_class_memo_new(CAP_MEMO_ENTRIES);
    c->memo_ok = g_str_has_prefix(ndpi_revision(), "4.2.");
    cap_spares_init(&c->flow_spares, sizeof(struct cap_class_flow), CLASSIFY_SPARE_FLOWS);
    cap_spares_init(&c->block_spares, CLASSIFY_HOLD_BLOCK, CLASSIFY_SPARE_BLOCKS);
    note_default_ports(c);
    return c;
}

void cap_classifier_free(struct cap_classifier *c)
{
    if (c == NULL) {
        return;
    }
    ndpi_exit_detection_module(c->ndpi);
    cap_class_memo_free(c->memo);
    cap_spares_cleanup(&c->flow_spares);
    cap_spares_cleanup(&c->block_spares);
    g_free(c);
}

size_t cap_classifier_flow_bytes(void)
{
    return ndpi_detection_get_sizeof_ndpi_flow_struct();
}

struct cap_class_flow *cap_class_flow_new(struct cap_classifier *c)
{
    c->stats.flows++;
    struct cap_class_flow *f = cap_spares_take(&c->flow_spares);
    f->owner = c;
    g_strlcpy(f->v.app, "Unknown", sizeof(f->v.app));
    return f;
}

size_t cap_class_flow_mem_bytes(const struct cap_class_flow *f)
{
    if (f == NULL) {
        return 0;
    }
    size_t n = sizeof(*f) + (f->ndpi_flow ? ndpi_detection_get_sizeof_ndpi_flow_struct() : 0) +
               (f->hold_block ? CLASSIFY_HOLD_BLOCK : 0);
    for (unsigned i = 0; i < f->num_held; i++) {
        n += f->held[i].in_block ? 0 : f->held[i].l3_len;
    }
    return n;
}

/* Out of line even under link-time optimisation: e2e_prefetch reads its code. */
G_GNUC_NO_INLINE void cap_class_flow_prefetch(const struct cap_class_flow *f)
{
    cap_prefetch(f, f ? sizeof(*f) : 0);
}

/* nDPI's state for the flow, made when nDPI first reads it: a flow whose verdict is reused
 * never needs one. NULL (and the flow left unclassified) when memory runs out. */
static struct ndpi_flow_struct *ndpi_state(struct cap_class_flow *f)
{
    if (f->ndpi_flow == NULL && !f->done) {
        f->ndpi_flow = calloc(1, ndpi_detection_get_sizeof_ndpi_flow_struct());
        if (f->ndpi_flow == NULL) {
            f->done = true;
        }
    }
    return f->ndpi_flow;
}

/* Frees the copies of f->held[0..n) that have their own allocation, and the hold block. */
static void free_held(struct cap_class_flow *f, unsigned n, uint8_t *block)
{
    for (unsigned i = 0; i < n; i++) {
        f->owner->held_bytes -= f->held[i].l3_len;
        if (!f->held[i].in_block) {
            g_free(f->held[i].l3);
        }
    }
    cap_spares_give(&f->owner->block_spares, block);
}

/* Takes the held segments off the flow (so nothing that runs while they are read can free
 * them), into *out_n and *out_block. */
static void detach_held(struct cap_class_flow *f, unsigned *out_n, uint8_t **out_block)
{
    *out_n = f->num_held;
    *out_block = f->hold_block;
    f->num_held = 0;
    f->hold_block = NULL;
    f->hold_used = 0;
}

static void drop_held(struct cap_class_flow *f)
{
    unsigned n;
    uint8_t *block;
    detach_held(f, &n, &block);
    free_held(f, n, block);
}

static void release(struct cap_class_flow *f)
{
    drop_held(f);
    if (f->ndpi_flow != NULL) {
        ndpi_free_flow_data(f->ndpi_flow);
        free(f->ndpi_flow);
        f->ndpi_flow = NULL;
    }
    f->done = true;
}

/* Keeps what the report needs from nDPI's flow before it is freed. */
static void keep_result(struct cap_classifier *c, struct cap_class_flow *f, ndpi_protocol p)
{
    ndpi_protocol2name(c->ndpi, p, f->v.app, sizeof(f->v.app));
    g_strlcpy(f->v.ja3, f->ndpi_flow->protos.tls_quic.ja3_client, sizeof(f->v.ja3));
    size_t n = 0;
    for (unsigned r = 1; r < NDPI_MAX_RISK && n < CAP_MAX_RISKS; r++) {
        if (f->ndpi_flow->risk & ((ndpi_risk)1 << r)) {
            f->v.risks[n++] = ndpi_risk2str((ndpi_risk_enum)r);
        }
    }
    f->v.risks[n] = NULL;
    f->tls = p.master_protocol == NDPI_PROTOCOL_TLS || p.app_protocol == NDPI_PROTOCOL_TLS;
    f->v.not_before = f->ndpi_flow->protos.tls_quic.notBefore;
    f->v.not_after = f->ndpi_flow->protos.tls_quic.notAfter;
    /* A certificate read and a protocol named besides TLS: nDPI may have cached the server. */
    if (f->ndpi_flow->protos.tls_quic.subjectDN != NULL && p.master_protocol == NDPI_PROTOCOL_TLS &&
        p.app_protocol != NDPI_PROTOCOL_TLS && p.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
        c->cert_epoch++;
        f->cached_server = true;
    }
}

/* Where nDPI 4.2 places the time it read a certificate at (seconds, from the packet's
 * milliseconds) against the validity it parsed: 1 expired or not yet valid, 2 about to expire,
 * 0 neither. The same unsigned arithmetic as nDPI's. With no certificate read (both 0) every
 * time after 1970 is 1, so flows without one always match. */
static uint8_t cert_time_class(uint32_t not_before, uint32_t not_after, int64_t ts_us)
{
    uint32_t t = (uint32_t)((uint64_t)(ts_us / 1000) / 1000);
    if (t < not_before || t > not_after) {
        return 1;
    }
    if (t > not_before && t > not_after - CLASSIFY_CERT_EXPIRE_DAYS * 86400u) {
        return 2;
    }
    return 0;
}

static bool detected(ndpi_protocol p)
{
    return p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
}

/* nDPI's last word on a flow it has not finished with: its guess. */
static void give_up(struct cap_classifier *c, struct cap_class_flow *f)
{
    if (f->done || ndpi_state(f) == NULL) {
        return;
    }
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(c->ndpi, f->ndpi_flow, 1, &guessed);
    keep_result(c, f, p);
    release(f);
}

static bool feed(struct cap_classifier *c, struct cap_class_flow *f, const uint8_t *l3,
                 size_t l3_len, int64_t ts_us)
{
    if (f->done) {
        return true;
    }
    if (l3 == NULL || l3_len == 0) {
        return false;
    }
    if (ndpi_state(f) == NULL) {
        return true;
    }
    /* nDPI takes an unsigned short length; a larger (GSO-sized) capture is cut to what it can
     * see, which is more than any classifier needs. */
    unsigned short len = l3_len > 65535 ? 65535 : (unsigned short)l3_len;
    ndpi_protocol p =
        ndpi_detection_process_packet(c->ndpi, f->ndpi_flow, l3, len, (uint64_t)(ts_us / 1000));
    f->packets++;
    if (f->packets == 1 && detected(p)) {
        f->first_detected = true;
    }
    /* Final when nDPI wants no more of the flow, or has stopped reading it by itself (its TLS
     * dissector does on a record it cannot walk, such as a TLS 1.2 encrypted Finished): past
     * that, a detected flow's packets only return the protocol already set. */
    if (detected(p) && (!ndpi_extra_dissection_possible(c->ndpi, f->ndpi_flow) ||
                        !f->ndpi_flow->check_extra_packets)) {
        keep_result(c, f, p);
        release(f);
        return true;
    }
    if (f->packets >= CLASSIFY_MAX_PACKETS) {
        give_up(c, f);
        return true;
    }
    return false;
}

bool cap_class_flow_feed_held(struct cap_classifier *c, struct cap_class_flow *f)
{
    unsigned n;
    uint8_t *block;
    /* feed() may release the flow, which would free what is still to go */
    detach_held(f, &n, &block);
    for (unsigned i = 0; i < n; i++) {
        feed(c, f, f->held[i].l3, f->held[i].l3_len, f->held[i].ts_us);
    }
    free_held(f, n, block);
    return f->done;
}

bool cap_classify_segment(struct cap_classifier *c, struct cap_class_flow *f,
                          const struct cap_segment *seg, bool from_client)
{
    (void)from_client; /* nDPI derives direction from the addresses in the IP header */
    cap_class_flow_feed_held(c, f);
    return feed(c, f, seg->l3, seg->l3_len, seg->ts_us);
}

void cap_class_flow_finish(struct cap_classifier *c, struct cap_class_flow *f)
{
    cap_class_flow_feed_held(c, f);
    give_up(c, f);
}

bool cap_class_flow_hold(struct cap_class_flow *f, const struct cap_segment *seg)
{
    struct cap_classifier *c = f->owner;
    if (f->done || f->num_held >= CAP_CLASS_HOLD_MAX || seg->l3_len > CLASSIFY_HELD_MAX_SEGMENT ||
        c->held_bytes + seg->l3_len > CLASSIFY_HELD_BUDGET) {
        return false;
    }
    c->held_bytes += seg->l3_len;
    struct held_segment *h = &f->held[f->num_held++];
    h->ts_us = seg->ts_us;
    h->l3_len = (uint32_t)seg->l3_len;
    h->in_block = seg->l3_len <= CLASSIFY_HOLD_BLOCK - f->hold_used;
    if (h->in_block) {
        if (f->hold_block == NULL) {
            f->hold_block = cap_spares_take_raw(&c->block_spares);
        }
        h->l3 = f->hold_block + f->hold_used;
        memcpy(h->l3, seg->l3, seg->l3_len);
        f->hold_used += (uint32_t)seg->l3_len;
    } else {
        h->l3 = g_memdup2(seg->l3, seg->l3_len);
    }
    return true;
}

static bool port_bit(const uint8_t *bits, uint16_t port)
{
    return (bits[port / 8] >> (port % 8)) & 1;
}

bool cap_classify_port_is_keyed(const struct cap_classifier *c, uint16_t port)
{
    return port < MEMO_PRIVILEGED_PORTS || port_bit(c->default_port, port);
}

/* nDPI's guess of a flow's protocol from its addresses (ndpi_guess_host_protocol_id): the
 * first packet's sender with its port in nDPI's IP table, else the receiver with its port. */
static uint16_t ptree_guess(struct cap_classifier *c, const uint8_t addr_bytes[4], uint16_t port)
{
    struct in_addr a;
    memcpy(&a.s_addr, addr_bytes, 4);
    uint32_t h = (a.s_addr ^ ((uint32_t)port << 16) ^ port) * 0x9e3779b1u;
    unsigned i = h >> (32 - CLASSIFY_GUESS_BITS);
    if (c->guess_cache[i].used && c->guess_cache[i].addr == a.s_addr &&
        c->guess_cache[i].port == port) {
        return c->guess_cache[i].guess;
    }
    uint16_t g = ndpi_network_port_ptree_match(c->ndpi, &a, htons(port));
    c->guess_cache[i].addr = a.s_addr;
    c->guess_cache[i].port = port;
    c->guess_cache[i].guess = g;
    c->guess_cache[i].used = true;
    return g;
}

static uint16_t host_guess(struct cap_classifier *c, const struct cap_segment *seg)
{
    uint16_t g = ptree_guess(c, seg->src.bytes, seg->sport);
    return g != NDPI_PROTOCOL_UNKNOWN ? g : ptree_guess(c, seg->dst.bytes, seg->dport);
}

/* The client's address counts through what nDPI makes of it unless a dissector nDPI tries
 * before TLS could read it: up to naming a TLS flow from its ClientHello, nDPI 4.2 reads the
 * client's IPv4 address for its IP-table guess (host_guess), which side's address is lower,
 * and in the dissectors it runs ahead of TLS: HTTP's and StarCraft's, which act on it only for
 * HTTP or their own payload, and the one of the protocol whose default port the flow uses,
 * which could be any, so with such a port (other than TLS's own) the address is kept as it
 * is. nDPI 4.2 has no IPv6 tables; IPv6 addresses are kept as they are all the same. */
static bool client_address_read(const struct cap_classifier *c, const struct cap_segment *seg)
{
    return seg->src.family != 4 || port_bit(c->other_default_port, seg->sport) ||
           port_bit(c->other_default_port, seg->dport);
}

void cap_classify_context(struct cap_classifier *c, const struct cap_segment *seg, GByteArray *out)
{
    uint16_t sport = seg->sport;
    bool sport_read = cap_classify_port_is_keyed(c, sport);
    bool addr_read = client_address_read(c, seg);
    uint16_t guess = addr_read ? 0 : host_guess(c, seg);
    uint8_t fixed[16] = {
        seg->src.family,
        /* nDPI's direction bit for each side's packets (both 0 with equal ports) */
        (uint8_t)((seg->sport < seg->dport) | (seg->dport < seg->sport) << 1),
        (uint8_t)(sport_read ? sport >> 8 : 0),
        (uint8_t)(sport_read ? sport : 0),
        (uint8_t)(seg->dport >> 8),
        (uint8_t)seg->dport,
        (uint8_t)(c->cert_epoch >> 24),
        (uint8_t)(c->cert_epoch >> 16),
        (uint8_t)(c->cert_epoch >> 8),
        (uint8_t)c->cert_epoch,
        addr_read,
        (uint8_t)(guess >> 8),
        (uint8_t)guess,
        /* which address is lower, as nDPI first sets a packet's direction */
        (uint8_t)(memcmp(seg->src.bytes, seg->dst.bytes, sizeof(seg->src.bytes)) < 0),
    };
    g_byte_array_append(out, fixed, sizeof(fixed));
    /* The server's address as it is: nDPI's certificate cache and IP table read it. */
    g_byte_array_append(out, seg->dst.bytes, sizeof(seg->dst.bytes));
    if (addr_read) {
        g_byte_array_append(out, seg->src.bytes, sizeof(seg->src.bytes));
    }
}

bool cap_classify_memo_adopt(struct cap_classifier *c, struct cap_class_flow *f,
                             const uint8_t key[CAP_MEMO_KEY_LEN], int64_t ts_us)
{
    const struct cap_class_verdict *v = c->memo_ok ? cap_class_memo_find(c->memo, key) : NULL;
    if (v == NULL || f->done ||
        cert_time_class(v->not_before, v->not_after, ts_us) != v->time_class) {
        return false;
    }
    f->v = *v;
    f->tls = true;
    release(f);
    c->stats.memo_hits++;
    return true;
}

void cap_classify_memo_save(struct cap_classifier *c, const struct cap_class_flow *f,
                            const uint8_t key[CAP_MEMO_KEY_LEN], int64_t ts_us)
{
    /* Only TLS verdicts made on the ClientHello: the shapes in a key describe TLS hellos, and
     * nDPI's other dissectors (which run until one names the flow) read things a key leaves
     * out. Nor a verdict whose making may have written nDPI's certificate cache: a reuse would
     * skip that write. */
    if (!c->memo_ok || !f->done || !f->tls || !f->first_detected || f->cached_server) {
        return;
    }
    struct cap_class_verdict v = f->v;
    v.time_class = cert_time_class(v.not_before, v.not_after, ts_us);
    cap_class_memo_store(c->memo, key, &v);
    c->stats.memo_saved++;
}

void cap_classifier_get_stats(const struct cap_classifier *c, struct cap_class_stats *out)
{
    *out = c->stats;
}

void cap_class_flow_free(struct cap_class_flow *f)
{
    if (f == NULL) {
        return;
    }
    release(f);
    cap_spares_give(&f->owner->flow_spares, f);
}

const char *cap_class_flow_app(const struct cap_class_flow *f)
{
    return f->v.app;
}

const char *const *cap_class_flow_risks(const struct cap_class_flow *f)
{
    return f->v.risks;
}

const char *cap_class_flow_ja3(const struct cap_class_flow *f)
{
    return f->v.ja3;
}
