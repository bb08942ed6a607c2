/* Fingerprints of recently seen hellos. JA3, JA4 and JA3S are pure functions of a few decoded
 * lists, and on a busy link most connections come from a handful of client stacks talking to a
 * handful of servers, so the same inputs recur thousands of times a second. Building the
 * strings, sorting for JA4 and three digests are worth not repeating (bench/RESULTS.md). The memo
 * keys on every input exactly (the serialised lists, compared byte for byte, never a digest of
 * them), so a hit gives the bytes the computation would: bytes_hash only picks the slot, and a
 * crafted collision costs a miss, nothing more.
 *
 * Bounds: TLS_FP_SLOTS entries of fixed size, direct-mapped (a new key replaces the slot's old
 * one); inputs whose key does not fit TLS_FP_KEY_MAX are computed each time. */
#include <string.h>

#include "bytes_hash.h"
#include "tls_decode_internal.h"
#include "tls_shared_internal.h"

#define TLS_FP_SLOTS 256u  /* power of two */
#define TLS_FP_KEY_MAX 512 /* bytes; a browser's hello serialises to about 250 */

enum fp_kind { FP_CLIENT = 1, FP_SERVER = 2 };

struct fp_slot {
    uint16_t key_len; /* 0: empty */
    uint8_t key[TLS_FP_KEY_MAX];
    char ja3[33]; /* JA3 or, for a server key, JA3S */
    char ja4[40];
};

struct tls_fp_memo {
    struct fp_slot slots[TLS_FP_SLOTS];
    struct tls_fp_memo_stats stats;
};

/* The serialised inputs; `over` once they do not fit. */
struct fp_key {
    uint8_t buf[TLS_FP_KEY_MAX];
    size_t len;
    bool over;
};

static void key_bytes(struct fp_key *k, const void *p, size_t n)
{
    if (k->over || n > sizeof(k->buf) - k->len) {
        k->over = true;
        return;
    }
    memcpy(k->buf + k->len, p, n);
    k->len += n;
}

static void key_u32(struct fp_key *k, uint32_t v)
{
    key_bytes(k, &v, sizeof(v));
}

/* A count and then that many entries: the count keeps adjacent lists from running together. */
static void key_list16(struct fp_key *k, const uint16_t *v, uint32_t num, uint32_t cap)
{
    uint32_t n = num < cap ? num : cap;
    key_u32(k, n);
    key_bytes(k, v, n * sizeof(*v));
}

/* Everything tls_ja3 and tls_ja4 read of a ClientHello, and nothing else. */
static void client_key(struct fp_key *k, const struct tls_client_hello *ch)
{
    uint8_t head[8] = {FP_CLIENT,
                       (uint8_t)(ch->legacy_version >> 8),
                       (uint8_t)ch->legacy_version,
                       ch->has_sni,
                       ch->num_alpn > 0,
                       ch->alpn_first_byte,
                       ch->alpn_last_byte,
                       0};
    key_bytes(k, head, sizeof(head));
    key_list16(k, ch->ciphers, ch->num_ciphers, TLS_CH_MAX_CIPHERS);
    key_list16(k, ch->exts, ch->num_exts, TLS_MAX_EXTS);
    key_list16(k, ch->groups, ch->num_groups, TLS_MAX_GROUPS);
    key_list16(k, ch->versions, ch->num_versions, TLS_MAX_VERSIONS);
    key_list16(k, ch->sigalgs, ch->num_sigalgs, TLS_MAX_SIGALGS);
    uint32_t npf = ch->num_point_formats < TLS_MAX_POINT_FORMATS ? ch->num_point_formats
                                                                 : TLS_MAX_POINT_FORMATS;
    key_u32(k, npf);
    key_bytes(k, ch->point_formats, npf);
}

/* Everything tls_ja3s reads of a ServerHello. */
static void server_key(struct fp_key *k, const struct tls_server_hello *sh)
{
    uint8_t head[6] = {FP_SERVER,
                       (uint8_t)(sh->legacy_version >> 8),
                       (uint8_t)sh->legacy_version,
                       (uint8_t)(sh->cipher >> 8),
                       (uint8_t)sh->cipher,
                       0};
    key_bytes(k, head, sizeof(head));
    key_list16(k, sh->exts, sh->num_exts, TLS_MAX_EXTS);
}

static uint32_t slot_of(const struct fp_key *k)
{
    return (uint32_t)(bytes_hash(k->buf, k->len) & (TLS_FP_SLOTS - 1));
}

/* The slot holding exactly this key, or NULL (counting the lookup either way). */
static struct fp_slot *find(struct tls_fp_memo *m, const struct fp_key *k,
                            struct fp_slot **out_slot)
{
    struct fp_slot *s = &m->slots[slot_of(k)];
    *out_slot = s;
    if (s->key_len == k->len && memcmp(s->key, k->buf, k->len) == 0) {
        m->stats.hits++;
        return s;
    }
    m->stats.misses++;
    return NULL;
}

static void store(struct fp_slot *s, const struct fp_key *k)
{
    memcpy(s->key, k->buf, k->len);
    s->key_len = (uint16_t)k->len;
}

struct tls_fp_memo *tls_fp_memo_new(void)
{
    return g_new0(struct tls_fp_memo, 1);
}

void tls_fp_memo_free(struct tls_fp_memo *m)
{
    g_free(m);
}

struct tls_fp_memo_stats tls_fp_memo_get_stats(const struct tls_fp_memo *m)
{
    return m->stats;
}

void tls_fp_client(struct tls_fp_memo *m, const struct tls_client_hello *ch, char out_ja3[33],
                   char out_ja4[40])
{
    struct fp_key k = {.len = 0};
    if (m != NULL) {
        client_key(&k, ch);
    }
    if (m == NULL || k.over) {
        tls_ja3(ch, out_ja3, NULL, 0);
        tls_ja4(ch, out_ja4);
        return;
    }
    struct fp_slot *slot;
    const struct fp_slot *hit = find(m, &k, &slot);
    if (hit == NULL) {
        tls_ja3(ch, slot->ja3, NULL, 0);
        tls_ja4(ch, slot->ja4);
        store(slot, &k);
        hit = slot;
    }
    memcpy(out_ja3, hit->ja3, sizeof(hit->ja3));
    memcpy(out_ja4, hit->ja4, sizeof(hit->ja4));
}

void tls_fp_server(struct tls_fp_memo *m, const struct tls_server_hello *sh, char out_ja3s[33])
{
    struct fp_key k = {.len = 0};
    if (m != NULL) {
        server_key(&k, sh);
    }
    if (m == NULL || k.over) {
        tls_ja3s(sh, out_ja3s);
        return;
    }
    struct fp_slot *slot;
    const struct fp_slot *hit = find(m, &k, &slot);
    if (hit == NULL) {
        tls_ja3s(sh, slot->ja3);
        slot->ja4[0] = '\0';
        store(slot, &k);
        hit = slot;
    }
    memcpy(out_ja3s, hit->ja3, sizeof(hit->ja3));
}
