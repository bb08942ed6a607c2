/* Flow classification with nDPI 4.2: the only file that includes nDPI.
 *
 * nDPI sees a flow only until it has a final answer. TLS flows are followed a little further
 * (extra dissection) so nDPI can read the certificate and raise its certificate risks; after
 * that, or after CLASSIFY_MAX_PACKETS, its per-flow state (about 1 KB plus buffers in 4.2) is
 * freed and only the protocol name, risk names and JA3 are kept.
 *
 * A verdict can also be reused (verdict_memo.h): the classifier holds a flow's first
 * segments, supplies what besides their bytes nDPI's verdict depends on (cls_classify_context),
 * and keeps remembered verdicts in class_memo.c. What a key must hold was worked out from nDPI
 * 4.2's source: its TLS dissector reads the hellos and, for a certificate, the packet time;
 * its connection tracking reads flags and relative sequence numbers; its port guess, risk
 * check and the dissectors that run before TLS read ports (see MEMO_PRIVILEGED_PORTS) and
 * addresses (client_address_read); its certificate cache is history (cert_epoch). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "class_memo.h"
#include "classify_hints.h"
#include "classify_internal.h"
#include "prefetch.h"
#include "spare_list.h"
#include "verdict_memo.h"

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

struct cls_classifier {
    struct ndpi_detection_module_struct *ndpi;
    struct cls_memo *memo;
    struct cls_stats stats;
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
    struct spare_list flow_spares;  /* of struct cls_flow */
    struct spare_list block_spares; /* of CLASSIFY_HOLD_BLOCK bytes */
    struct cls_options opt;
    struct vmemo_digests *digests; /* digests of recent verdict keys */
    struct vmemo_holds *holds;     /* ended holds for the next flows */
};

struct held_segment {
    int64_t ts_us;
    uint8_t *l3; /* in the flow's hold block, or its own allocation when !in_block */
    uint32_t l3_len;
    bool in_block;
};

struct cls_flow {
    struct cls_classifier *owner;
    struct ndpi_flow_struct *ndpi_flow; /* NULL once classification is final */
    uint32_t packets;
    bool done;
    bool tls;            /* nDPI's verdict names TLS as the protocol or its master */
    bool first_detected; /* nDPI named the protocol on the first packet it read */
    bool cached_server;  /* nDPI may have put the server in its certificate cache */
    unsigned num_held;
    struct held_segment held[CLS_HOLD_MAX];
    uint8_t *hold_block; /* CLASSIFY_HOLD_BLOCK bytes, NULL until a copy goes in */
    uint32_t hold_used;
    struct cls_verdict v;
};

static void set_port_bit(uint8_t *bits, uint16_t port)
{
    bits[port / 8] |= (uint8_t)(1u << (port % 8));
}

static void note_default_ports(struct cls_classifier *c)
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

void cls_options_defaults(struct cls_options *o)
{
    o->skip_tls = false;
    o->memo = true;
}

struct cls_classifier *cls_classifier_new(const struct cls_options *o, GError **error)
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
    struct cls_classifier *c = g_new0(struct cls_classifier, 1);
    c->ndpi = m;
    c->memo = cls_memo_new(CLS_MEMO_ENTRIES);
    c->memo_ok = g_str_has_prefix(ndpi_revision(), "4.2.");
    spare_list_init(&c->flow_spares, sizeof(struct cls_flow), CLASSIFY_SPARE_FLOWS);
    spare_list_init(&c->block_spares, CLASSIFY_HOLD_BLOCK, CLASSIFY_SPARE_BLOCKS);
    note_default_ports(c);
    if (o != NULL) {
        c->opt = *o;
    } else {
        cls_options_defaults(&c->opt);
    }
    c->digests = vmemo_digests_new();
    c->holds = vmemo_holds_new();
    return c;
}

void cls_classifier_free(struct cls_classifier *c)
{
    if (c == NULL) {
        return;
    }
    ndpi_exit_detection_module(c->ndpi);
    cls_memo_free(c->memo);
    spare_list_cleanup(&c->flow_spares);
    spare_list_cleanup(&c->block_spares);
    vmemo_digests_free(c->digests);
    vmemo_holds_free(c->holds);
    g_free(c);
}

size_t cls_classifier_flow_bytes(void)
{
    return ndpi_detection_get_sizeof_ndpi_flow_struct();
}

struct cls_flow *cls_flow_new(struct cls_classifier *c)
{
    c->stats.flows++;
    struct cls_flow *f = spare_list_take(&c->flow_spares);
    f->owner = c;
    g_strlcpy(f->v.app, "Unknown", sizeof(f->v.app));
    return f;
}

size_t cls_flow_mem_bytes(const struct cls_flow *f)
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
G_GNUC_NO_INLINE void cls_flow_prefetch(const struct cls_flow *f)
{
    prefetch_block(f, f ? sizeof(*f) : 0);
}

/* nDPI's state for the flow, made when nDPI first reads it: a flow whose verdict is reused
 * never needs one. NULL (and the flow left unclassified) when memory runs out. */
static struct ndpi_flow_struct *ndpi_state(struct cls_flow *f)
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
static void free_held(struct cls_flow *f, unsigned n, uint8_t *block)
{
    for (unsigned i = 0; i < n; i++) {
        f->owner->held_bytes -= f->held[i].l3_len;
        if (!f->held[i].in_block) {
            g_free(f->held[i].l3);
        }
    }
    spare_list_give(&f->owner->block_spares, block);
}

/* Takes the held segments off the flow (so nothing that runs while they are read can free
 * them), into *out_n and *out_block. */
static void detach_held(struct cls_flow *f, unsigned *out_n, uint8_t **out_block)
{
    *out_n = f->num_held;
    *out_block = f->hold_block;
    f->num_held = 0;
    f->hold_block = NULL;
    f->hold_used = 0;
}

static void drop_held(struct cls_flow *f)
{
    unsigned n;
    uint8_t *block;
    detach_held(f, &n, &block);
    free_held(f, n, block);
}

static void release(struct cls_flow *f)
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
static void keep_result(struct cls_classifier *c, struct cls_flow *f, ndpi_protocol p)
{
    ndpi_protocol2name(c->ndpi, p, f->v.app, sizeof(f->v.app));
    g_strlcpy(f->v.ja3, f->ndpi_flow->protos.tls_quic.ja3_client, sizeof(f->v.ja3));
    size_t n = 0;
    for (unsigned r = 1; r < NDPI_MAX_RISK && n < CLS_MAX_RISKS; r++) {
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
static void give_up(struct cls_classifier *c, struct cls_flow *f)
{
    if (f->done || ndpi_state(f) == NULL) {
        return;
    }
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(c->ndpi, f->ndpi_flow, 1, &guessed);
    keep_result(c, f, p);
    release(f);
}

static bool feed(struct cls_classifier *c, struct cls_flow *f, const uint8_t *l3,
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

bool cls_flow_feed_held(struct cls_classifier *c, struct cls_flow *f)
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

bool cls_classify_segment(struct cls_classifier *c, struct cls_flow *f,
                          const struct cap_segment *seg, bool from_client)
{
    (void)from_client; /* nDPI derives direction from the addresses in the IP header */
    cls_flow_feed_held(c, f);
    return feed(c, f, seg->l3, seg->l3_len, seg->ts_us);
}

void cls_flow_finish(struct cls_classifier *c, struct cls_flow *f)
{
    cls_flow_feed_held(c, f);
    give_up(c, f);
}

bool cls_flow_hold(struct cls_flow *f, const struct cap_segment *seg)
{
    struct cls_classifier *c = f->owner;
    if (f->done || f->num_held >= CLS_HOLD_MAX || seg->l3_len > CLASSIFY_HELD_MAX_SEGMENT ||
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
            f->hold_block = spare_list_take_raw(&c->block_spares);
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

bool cls_classify_port_is_keyed(const struct cls_classifier *c, uint16_t port)
{
    return port < MEMO_PRIVILEGED_PORTS || port_bit(c->default_port, port);
}

/* nDPI's guess of a flow's protocol from its addresses (ndpi_guess_host_protocol_id): the
 * first packet's sender with its port in nDPI's IP table, else the receiver with its port. */
static uint16_t ptree_guess(struct cls_classifier *c, const uint8_t addr_bytes[4], uint16_t port)
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

static uint16_t host_guess(struct cls_classifier *c, const struct cap_segment *seg)
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
static bool client_address_read(const struct cls_classifier *c, const struct cap_segment *seg)
{
    return seg->src.family != 4 || port_bit(c->other_default_port, seg->sport) ||
           port_bit(c->other_default_port, seg->dport);
}

void cls_classify_context(struct cls_classifier *c, const struct cap_segment *seg, GByteArray *out)
{
    uint16_t sport = seg->sport;
    bool sport_read = cls_classify_port_is_keyed(c, sport);
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

bool cls_classify_memo_adopt(struct cls_classifier *c, struct cls_flow *f,
                             const uint8_t key[CLS_MEMO_KEY_LEN], int64_t ts_us)
{
    const struct cls_verdict *v = c->memo_ok ? cls_memo_find(c->memo, key) : NULL;
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

void cls_classify_memo_save(struct cls_classifier *c, const struct cls_flow *f,
                            const uint8_t key[CLS_MEMO_KEY_LEN], int64_t ts_us)
{
    /* Only TLS verdicts made on the ClientHello: the shapes in a key describe TLS hellos, and
     * nDPI's other dissectors (which run until one names the flow) read things a key leaves
     * out. Nor a verdict whose making may have written nDPI's certificate cache: a reuse would
     * skip that write. */
    if (!c->memo_ok || !f->done || !f->tls || !f->first_detected || f->cached_server) {
        return;
    }
    struct cls_verdict v = f->v;
    v.time_class = cert_time_class(v.not_before, v.not_after, ts_us);
    cls_memo_store(c->memo, key, &v);
    c->stats.memo_saved++;
}

void cls_classifier_get_stats(const struct cls_classifier *c, struct cls_stats *out)
{
    *out = c->stats;
}

void cls_flow_free(struct cls_flow *f)
{
    if (f == NULL) {
        return;
    }
    release(f);
    spare_list_give(&f->owner->flow_spares, f);
}

const char *cls_flow_app(const struct cls_flow *f)
{
    return f->v.app;
}

const char *const *cls_flow_risks(const struct cls_flow *f)
{
    return f->v.risks;
}

const char *cls_flow_ja3(const struct cls_flow *f)
{
    return f->v.ja3;
}

/* ------------------------------------------------------------------ a flow's slot */

bool cls_slot_segment(struct cls_classifier *c, struct cls_slot *s, enum cap_dir dir,
                      const struct cap_segment *seg)
{
    if (s->done) {
        return true;
    }
    if (s->flow == NULL) {
        if (seg->payload_len == 0) {
            return false;
        }
        /* skip_tls: a flow whose first payload is a TLS hello is analysed by the dissector
         * alone; nDPI's hello processing is most of its cost on such flows. */
        if (c->opt.skip_tls && tls_opens_with_hello(seg->payload, seg->payload_len)) {
            s->done = true;
            return true;
        }
        s->flow = cls_flow_new(c);
        if (c->opt.memo) {
            s->hold = vmemo_begin(c->holds, s->flow, dir, seg);
            if (s->hold != NULL) {
                return false;
            }
        }
    } else if (s->hold != NULL) {
        if (vmemo_next(s->hold, c->digests, c, s->flow, dir, seg, &s->done)) {
            s->hold = NULL;
        }
        return s->done;
    }
    s->done = cls_classify_segment(c, s->flow, seg, dir == CAP_DIR_CLIENT);
    return s->done;
}

size_t cls_slot_mem_bytes(const struct cls_slot *s)
{
    return cls_flow_mem_bytes(s->flow) + vmemo_mem_bytes(s->hold);
}

bool cls_slot_finish(struct cls_classifier *c, struct cls_slot *s, struct cls_result *out)
{
    if (s->flow == NULL) {
        return false;
    }
    vmemo_free(s->hold);
    s->hold = NULL;
    cls_flow_finish(c, s->flow);
    out->app = cls_flow_app(s->flow);
    out->risks = cls_flow_risks(s->flow);
    out->ja3 = cls_flow_ja3(s->flow);
    return true;
}

void cls_slot_release(struct cls_slot *s)
{
    vmemo_free(s->hold);
    cls_flow_free(s->flow);
    *s = (struct cls_slot){0};
}
