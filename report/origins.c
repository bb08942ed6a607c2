/* The session origin table: which connection issued (or last resumed) each session ID and
 * ticket, and how it ended, so a later refused resumption can name it.
 *
 * It holds up to max_entries origins and then forgets the oldest (FIFO), so its memory is flat
 * however many connections go by. An entry is 48 bytes plus 8 in the index: the key is kept
 * as a 64-bit digest of (kind, bytes) rather than the bytes themselves, so two keys match
 * falsely with probability about n^2 / 2^65 (under 10^-8 for a million entries). Slots are
 * allocated in chunks as the table fills, and the index (open addressing, linear probing,
 * load at most one half) grows by doubling. */
#include <string.h>

#include "report_internal.h"

#define ORIGIN_CHUNK 4096u /* slots per allocation */

struct origin_slot {
    uint64_t key; /* digest; never 0 */
    struct rpt_origin origin;
};

struct rpt_origins {
    uint32_t max_entries;
    struct origin_slot **chunks;
    uint32_t num_chunks;
    uint32_t count;  /* slots in use: grows to max_entries, then stays */
    uint32_t next;   /* the oldest slot once full: the next to be reused */
    uint32_t *index; /* slot + 1, or 0 for an empty position */
    uint32_t index_mask;
    uint64_t evicted;
};

/* FNV-1a over kind, length and bytes, then the splitmix64 finaliser so every bit of the
 * digest depends on every input bit (the index uses the low bits). */
static uint64_t digest(enum rpt_origin_kind kind, const uint8_t *key, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    h = (h ^ (uint64_t)kind) * 1099511628211ull;
    h = (h ^ (uint64_t)len) * 1099511628211ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ key[i]) * 1099511628211ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h ? h : 1;
}

static struct origin_slot *slot_at(const struct rpt_origins *o, uint32_t i)
{
    return &o->chunks[i / ORIGIN_CHUNK][i % ORIGIN_CHUNK];
}

struct rpt_origins *rpt_origins_new(uint32_t max_entries)
{
    struct rpt_origins *o = g_new0(struct rpt_origins, 1);
    o->max_entries = max_entries ? max_entries : 1;
    o->index_mask = 1023;
    o->index = g_new0(uint32_t, o->index_mask + 1);
    return o;
}

void rpt_origins_free(struct rpt_origins *o)
{
    if (!o) {
        return;
    }
    for (uint32_t i = 0; i < o->num_chunks; i++) {
        g_free(o->chunks[i]);
    }
    g_free(o->chunks);
    g_free(o->index);
    g_free(o);
}

/* The index position holding key, or the empty position where it would go. */
static uint32_t find_pos(const struct rpt_origins *o, uint64_t key)
{
    uint32_t p = (uint32_t)key & o->index_mask;
    while (o->index[p] != 0 && slot_at(o, o->index[p] - 1)->key != key) {
        p = (p + 1) & o->index_mask;
    }
    return p;
}

static void grow_index(struct rpt_origins *o)
{
    uint32_t *old = o->index;
    uint32_t old_size = o->index_mask + 1;
    o->index_mask = old_size * 2 - 1;
    o->index = g_new0(uint32_t, (size_t)old_size * 2);
    for (uint32_t i = 0; i < old_size; i++) {
        if (old[i] != 0) {
            o->index[find_pos(o, slot_at(o, old[i] - 1)->key)] = old[i];
        }
    }
    g_free(old);
}

/* Linear-probing deletion by backward shift: later entries of the same probe run move up so
 * every lookup still finds them without tombstones. */
static void index_remove(struct rpt_origins *o, uint32_t p)
{
    o->index[p] = 0;
    uint32_t q = p;
    for (;;) {
        q = (q + 1) & o->index_mask;
        if (o->index[q] == 0) {
            return;
        }
        uint32_t home = (uint32_t)slot_at(o, o->index[q] - 1)->key & o->index_mask;
        /* The entry at q may fill the hole at p unless its home lies cyclically in (p, q]. */
        bool stays = p <= q ? (home > p && home <= q) : (home > p || home <= q);
        if (!stays) {
            o->index[p] = o->index[q];
            o->index[q] = 0;
            p = q;
        }
    }
}

void rpt_origins_put(struct rpt_origins *o, enum rpt_origin_kind kind, const uint8_t *key,
                     size_t key_len, const struct rpt_origin *origin)
{
    if (key_len == 0 || key_len > TLS_MAX_SESSION_ID) {
        return;
    }
    uint64_t k = digest(kind, key, key_len);
    uint32_t p = find_pos(o, k);
    if (o->index[p] != 0) {
        /* Re-issued key: the newest issuer is the one a later offer refers to. */
        slot_at(o, o->index[p] - 1)->origin = *origin;
        return;
    }
    uint32_t idx;
    if (o->count < o->max_entries) {
        idx = o->count++;
        if (idx / ORIGIN_CHUNK >= o->num_chunks) {
            o->chunks = g_renew(struct origin_slot *, o->chunks, o->num_chunks + 1);
            o->chunks[o->num_chunks++] = g_new(struct origin_slot, ORIGIN_CHUNK);
        }
    } else {
        idx = o->next;
        o->next = (o->next + 1) % o->max_entries;
        index_remove(o, find_pos(o, slot_at(o, idx)->key));
        o->evicted++;
    }
    struct origin_slot *s = slot_at(o, idx);
    s->key = k;
    s->origin = *origin;
    /* The victim's removal may have moved entries: look the position up again. */
    o->index[find_pos(o, k)] = idx + 1;
    if (o->count > (o->index_mask + 1) / 2) {
        grow_index(o);
    }
}

const struct rpt_origin *rpt_origins_get(const struct rpt_origins *o, enum rpt_origin_kind kind,
                                         const uint8_t *key, size_t key_len)
{
    if (key_len == 0 || key_len > TLS_MAX_SESSION_ID) {
        return NULL;
    }
    uint32_t p = find_pos(o, digest(kind, key, key_len));
    return o->index[p] != 0 ? &slot_at(o, o->index[p] - 1)->origin : NULL;
}

uint64_t rpt_origins_evicted(const struct rpt_origins *o)
{
    return o->evicted;
}

uint64_t rpt_origins_size(const struct rpt_origins *o)
{
    return o->count;
}
