/* See verdict_memo.h. The key is a SHA-256 of the bytes gathered here; cls_classify_context
 * adds what only the classifier knows. */
#include <string.h>

#include "bytes_hash.h"
#include "cursor.h"
#include "dissect.h"
#include "verdict_memo.h"

/* A hello segment's shape is a few hundred bytes; this many mean something else is going on. */
#define SHAPE_MAX 16384
/* A key's first allocation: a hello pair with a certificate chain fits in a few KB. */
#define KEY_INITIAL 1024

/* Digests of recent keys, kept with the keys themselves: most flows of a busy link repeat a
 * key byte for byte (same client stack, same server), and the SHA-256 of a key with a
 * certificate in it was the largest part of a reused verdict's cost. A hit compares the whole
 * key, so it gives the digest hashing would. Direct-mapped; keys longer than DIGEST_KEY_MAX are
 * hashed each time. Fixed size: DIGEST_SLOTS * (DIGEST_KEY_MAX + 36) bytes, about 260 KB. */
#define DIGEST_SLOTS 64u /* power of two */
#define DIGEST_KEY_MAX 4096

struct vmemo_digests {
    struct {
        uint32_t key_len; /* 0: empty */
        uint8_t digest[CLS_MEMO_KEY_LEN];
        uint8_t key[DIGEST_KEY_MAX];
    } slot[DIGEST_SLOTS];
    uint64_t hits, misses;
};

struct vmemo_digests *vmemo_digests_new(void)
{
    return g_new0(struct vmemo_digests, 1);
}

void vmemo_digests_free(struct vmemo_digests *d)
{
    g_free(d);
}

void vmemo_digests_counts(const struct vmemo_digests *d, uint64_t *out_hits, uint64_t *out_misses)
{
    *out_hits = d->hits;
    *out_misses = d->misses;
}

void vmemo_key_digest(struct vmemo_digests *d, const uint8_t *key, size_t len,
                      uint8_t out[CLS_MEMO_KEY_LEN])
{
    if (d == NULL || len == 0 || len > DIGEST_KEY_MAX) {
        tls_sha256(key, len, out);
        return;
    }
    size_t i = (size_t)(bytes_hash(key, len) & (DIGEST_SLOTS - 1));
    if (d->slot[i].key_len == len && memcmp(d->slot[i].key, key, len) == 0) {
        d->hits++;
    } else {
        d->misses++;
        tls_sha256(key, len, d->slot[i].digest);
        memcpy(d->slot[i].key, key, len);
        d->slot[i].key_len = (uint32_t)len;
    }
    memcpy(out, d->slot[i].digest, CLS_MEMO_KEY_LEN);
}

struct vmemo_hold {
    struct vmemo_holds *pool;
    GByteArray *key;     /* kept, emptied, while the hold waits in the pool */
    size_t key_peak;     /* the longest key this array held: GLib never shrinks it */
    enum cap_dir client; /* the direction that sent the ClientHello */
    /* The ClientHello segment's header fields: its sequence numbers are where relative ones
     * count from, its addresses and ports give nDPI's context, which is taken when the key is
     * complete (that is when nDPI reads the held segments, so its certificate cache is as it
     * is then). */
    struct cap_segment first;
    struct cls_shape_dir shape[2];
};

/* Holds of ended flows, with their key arrays, for the next flows: the malloc and free of a
 * hold and of its growing key were a tenth of what a reused verdict cost. */
#define HOLD_SPARES 256

struct vmemo_holds {
    unsigned num;
    struct vmemo_hold *spare[HOLD_SPARES];
};

struct vmemo_holds *vmemo_holds_new(void)
{
    return g_new0(struct vmemo_holds, 1);
}

static void hold_destroy(struct vmemo_hold *h)
{
    g_byte_array_free(h->key, TRUE);
    g_free(h);
}

void vmemo_holds_free(struct vmemo_holds *p)
{
    if (p == NULL) {
        return;
    }
    for (unsigned i = 0; i < p->num; i++) {
        hold_destroy(p->spare[i]);
    }
    g_free(p);
}

static struct vmemo_hold *hold_take(struct vmemo_holds *p)
{
    if (p != NULL && p->num > 0) {
        struct vmemo_hold *h = p->spare[--p->num];
        GByteArray *key = h->key;
        size_t peak = h->key_peak;
        memset(h, 0, sizeof(*h));
        h->key = key;
        h->key_peak = peak;
        h->pool = p;
        return h;
    }
    struct vmemo_hold *h = g_new0(struct vmemo_hold, 1);
    h->key = g_byte_array_sized_new(KEY_INITIAL);
    h->pool = p;
    return h;
}

static void put_u32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* The IP header's own length field: nDPI takes the payload's length from it. */
static uint32_t ip_length_field(const struct cap_segment *seg)
{
    struct cur c = cur_make(seg->l3, seg->l3_len);
    uint16_t v = 0;
    (void)cur_peek_u16(&c, seg->src.family == 4 ? 2 : 4, &v);
    return v;
}

/* Appends what nDPI's reading of one segment depends on. Sequence numbers count relative to the
 * first held segment: nDPI only compares them. */
static bool add_segment(struct vmemo_hold *h, enum cap_dir dir, const struct cap_segment *seg)
{
    bool from_client = dir == h->client;
    uint32_t rel_seq = seg->seq - (from_client ? h->first.seq : h->first.ack);
    uint32_t rel_ack = seg->ack - (from_client ? h->first.ack : h->first.seq);
    /* nDPI treats a zero sequence number as "not yet known". */
    bool zero = seg->seq + (uint32_t)seg->payload_len == 0 || seg->ack == 0;
    /* Written in place: built on the stack and appended, the 24 bytes were stored in pieces
     * and read back with 16-byte loads that cannot be forwarded from them (a stall per
     * segment held). */
    guint at = h->key->len;
    g_byte_array_set_size(h->key, at + 24);
    uint8_t *head = h->key->data + at;
    head[0] = from_client;
    head[1] = seg->flags;
    head[2] = zero;
    head[3] = (uint8_t)seg->src.family;
    put_u32(head + 4, rel_seq);
    put_u32(head + 8, rel_ack);
    put_u32(head + 12, (uint32_t)seg->l3_len);
    put_u32(head + 16, (uint32_t)seg->payload_len);
    put_u32(head + 20, ip_length_field(seg));
    if (seg->payload_len == 0) {
        return true;
    }
    return seg->payload_len <= SHAPE_MAX &&
           cls_shape_append(seg->payload, seg->payload_len, &h->shape[dir], h->key);
}

struct vmemo_hold *vmemo_begin(struct vmemo_holds *pool, struct cls_flow *f, enum cap_dir dir,
                               const struct cap_segment *seg)
{
    if (!tls_opens_with_client_hello(seg->payload, seg->payload_len)) {
        return NULL;
    }
    struct vmemo_hold *h = hold_take(pool);
    h->client = dir;
    h->first = *seg;
    h->first.payload = h->first.l3 = NULL; /* only its addresses and ports are kept */
    if (!add_segment(h, dir, seg) || !cls_flow_hold(f, seg)) {
        vmemo_free(h);
        return NULL;
    }
    return h;
}

bool vmemo_next(struct vmemo_hold *h, struct vmemo_digests *d, struct cls_classifier *c,
                struct cls_flow *f, enum cap_dir dir, const struct cap_segment *seg,
                bool *final)
{
    bool server_payload = dir != h->client && seg->payload_len > 0;
    bool keyed = add_segment(h, dir, seg);
    if (!server_payload && keyed && (seg->payload_len == 0) && cls_flow_hold(f, seg)) {
        return false; /* an ACK before the server's answer: held with the rest */
    }
    if (server_payload && keyed) {
        uint8_t key[CLS_MEMO_KEY_LEN];
        cls_classify_context(c, &h->first, h->key);
        vmemo_key_digest(d, h->key->data, h->key->len, key);
        if (cls_classify_memo_adopt(c, f, key, seg->ts_us)) {
            *final = true;
        } else {
            cls_flow_feed_held(c, f);
            *final = cls_classify_segment(c, f, seg, false);
            if (*final) {
                cls_classify_memo_save(c, f, key, seg->ts_us);
            }
        }
    } else {
        /* Not keyable: nDPI reads everything as it came. */
        *final = cls_classify_segment(c, f, seg, false);
    }
    vmemo_free(h);
    return true;
}

size_t vmemo_mem_bytes(const struct vmemo_hold *h)
{
    if (h == NULL) {
        return 0;
    }
    /* GLib grows an array to a power of two at least the size it was made with, and never
     * shrinks it. */
    size_t alloc = KEY_INITIAL;
    while (alloc < MAX(h->key_peak, (size_t)h->key->len)) {
        alloc *= 2;
    }
    return sizeof(*h) + alloc;
}

void vmemo_free(struct vmemo_hold *h)
{
    if (h == NULL) {
        return;
    }
    struct vmemo_holds *p = h->pool;
    if (p == NULL || p->num == HOLD_SPARES) {
        hold_destroy(h);
        return;
    }
    h->key_peak = MAX(h->key_peak, (size_t)h->key->len);
    g_byte_array_set_size(h->key, 0);
    p->spare[p->num++] = h;
}
