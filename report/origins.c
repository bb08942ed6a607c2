/* The session origin table: which connection issued (or last resumed) each session ID and
 * ticket, and how it ended, so a later refused resumption can name it.
 *
 * It holds up to max_entries origins and then forgets the oldest (FIFO), so its memory is flat
 * however many connections go by. An entry is 48 bytes plus 8 in the index: the key is kept
 * as a 64-bit digest of (kind, bytes) rather than the bytes themselves, so two keys match
 * falsely with probability about n^2 / 2^65 (under 10^-8 for a million entries). Slots are
 * allocated in chunks as the table fills, and the index (open addressing, linear probing,
 * load at most one half) grows by doubling. An index entry keeps the low 32 bits of its key's
 * digest beside the slot number, so a probe passes other keys without reading their slots
 * (each such read was a cache miss: the table outgrows the caches long before it is full). */
#include <string.h>

#include "bytes_hash.h"
#include "report_internal.h"

#define ORIGIN_CHUNK 4096u /* slots per allocation */

struct origin_slot {
    uint64_t key; /* digest; never 0 */
    struct rpt_origin origin;
};

struct index_entry {
    uint32_t slot1; /* slot + 1, or 0 for an empty position */
    uint32_t low;   /* the low 32 bits of the slot's key: its home position and a first check */
};

struct rpt_origins {
    uint32_t max_entries;
    struct origin_slot **chunks;
    uint32_t num_chunks;
    uint32_t count; /* slots in use: grows to max_entries, then stays */
    uint32_t next;  /* the oldest slot once full: the next to be reused */
    struct index_entry *index;
    uint32_t index_mask;
    uint64_t evicted;
};

/* A word-at-a-time hash of the bytes (bytes_hash, which counts the length), the kind added,
 * then the splitmix64 finaliser so every bit of the digest depends on every input bit (the index
 * uses the low bits). Computed twice per key (prefetch, then put), so it is kept cheap. */
static uint64_t digest(enum rpt_origin_kind kind, const uint8_t *key, size_t len)
{
    uint64_t h = bytes_hash(key, len) + ((uint64_t)kind + 1) * 0x9e3779b97f4a7c15ull;
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
    o->index = g_new0(struct index_entry, o->index_mask + 1);
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

static bool entry_holds(const struct rpt_origins *o, struct index_entry e, uint64_t key)
{
    return e.low == (uint32_t)key && slot_at(o, e.slot1 - 1)->key == key;
}

/* The index position holding key, or the empty position where it would go. */
static uint32_t find_pos(const struct rpt_origins *o, uint64_t key)
{
    uint32_t p = (uint32_t)key & o->index_mask;
    while (o->index[p].slot1 != 0 && !entry_holds(o, o->index[p], key)) {
        p = (p + 1) & o->index_mask;
    }
    return p;
}

/* The empty position where an entry with these low bits goes (keys in the index are distinct,
 * so growing needs no comparison). */
static uint32_t free_pos(const struct rpt_origins *o, uint32_t low)
{
    uint32_t p = low & o->index_mask;
    while (o->index[p].slot1 != 0) {
        p = (p + 1) & o->index_mask;
    }
    return p;
}

static void grow_index(struct rpt_origins *o)
{
    struct index_entry *old = o->index;
    uint32_t old_size = o->index_mask + 1;
    o->index_mask = old_size * 2 - 1;
    o->index = g_new0(struct index_entry, (size_t)old_size * 2);
    for (uint32_t i = 0; i < old_size; i++) {
        if (old[i].slot1 != 0) {
            o->index[free_pos(o, old[i].low)] = old[i];
        }
    }
    g_free(old);
}

/* Linear-probing deletion by backward shift: later entries of the same probe run move up so
 * every lookup still finds them without tombstones. */
static void index_remove(struct rpt_origins *o, uint32_t p)
{
    o->index[p].slot1 = 0;
    uint32_t q = p;
    for (;;) {
        q = (q + 1) & o->index_mask;
        if (o->index[q].slot1 == 0) {
            return;
        }
        uint32_t home = o->index[q].low & o->index_mask;
        /* The entry at q may fill the hole at p unless its home lies cyclically in (p, q]. */
        bool stays = p <= q ? (home > p && home <= q) : (home > p || home <= q);
        if (!stays) {
            o->index[p] = o->index[q];
            o->index[q].slot1 = 0;
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
    if (o->index[p].slot1 != 0) {
        /* Re-issued key: the newest issuer is the one a later offer refers to. */
        slot_at(o, o->index[p].slot1 - 1)->origin = *origin;
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
    o->index[free_pos(o, (uint32_t)k)] = (struct index_entry){.slot1 = idx + 1, .low = (uint32_t)k};
    if (o->count > (o->index_mask + 1) / 2) {
        grow_index(o);
    }
}

void rpt_origins_prefetch(const struct rpt_origins *o, enum rpt_origin_kind kind,
                          const uint8_t *key, size_t key_len)
{
    if (key_len == 0 || key_len > TLS_MAX_SESSION_ID) {
        return;
    }
    __builtin_prefetch(&o->index[(uint32_t)digest(kind, key, key_len) & o->index_mask]);
    /* The slot a new key takes: the next free one, or the oldest once the table is full. */
    uint32_t idx = o->count < o->max_entries ? o->count : o->next;
    if (idx / ORIGIN_CHUNK < o->num_chunks) {
        __builtin_prefetch(slot_at(o, idx), 1);
    }
}

const struct rpt_origin *rpt_origins_get(const struct rpt_origins *o, enum rpt_origin_kind kind,
                                         const uint8_t *key, size_t key_len)
{
    if (key_len == 0 || key_len > TLS_MAX_SESSION_ID) {
        return NULL;
    }
    uint32_t p = find_pos(o, digest(kind, key, key_len));
    return o->index[p].slot1 != 0 ? &slot_at(o, o->index[p].slot1 - 1)->origin : NULL;
}

uint64_t rpt_origins_evicted(const struct rpt_origins *o)
{
    return o->evicted;
}

uint64_t rpt_origins_size(const struct rpt_origins *o)
{
    return o->count;
}
