/* Remembered classification verdicts, keyed by a SHA-256 of everything the verdict was made
 * from. A fixed number of entries, replaced oldest first: a capture with more distinct hello
 * shapes than that only loses hits, never correctness. */
#include <string.h>

#include "class_memo.h"

struct memo_entry {
    uint8_t key[CLS_MEMO_KEY_LEN];
    struct cls_verdict v;
    bool used;
};

struct cls_memo {
    struct memo_entry *entries;
    size_t cap, next;
    GHashTable *index; /* key bytes (inside entries) -> entry */
};

static guint key_hash(gconstpointer k)
{
    guint h;
    memcpy(&h, k, sizeof(h)); /* a SHA-256 prefix is as good a hash as any */
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, CLS_MEMO_KEY_LEN) == 0;
}

struct cls_memo *cls_memo_new(size_t cap)
{
    struct cls_memo *m = g_new0(struct cls_memo, 1);
    m->cap = cap ? cap : 1;
    m->entries = g_new0(struct memo_entry, m->cap);
    m->index = g_hash_table_new(key_hash, key_equal);
    return m;
}

void cls_memo_free(struct cls_memo *m)
{
    if (m == NULL) {
        return;
    }
    g_hash_table_destroy(m->index);
    g_free(m->entries);
    g_free(m);
}

const struct cls_verdict *cls_memo_find(const struct cls_memo *m,
                                                    const uint8_t key[CLS_MEMO_KEY_LEN])
{
    const struct memo_entry *e = g_hash_table_lookup(m->index, key);
    return e ? &e->v : NULL;
}

void cls_memo_store(struct cls_memo *m, const uint8_t key[CLS_MEMO_KEY_LEN],
                          const struct cls_verdict *v)
{
    struct memo_entry *e = g_hash_table_lookup(m->index, key);
    if (e == NULL) {
        e = &m->entries[m->next];
        m->next = (m->next + 1) % m->cap;
        if (e->used) {
            g_hash_table_remove(m->index, e->key);
        }
        memcpy(e->key, key, CLS_MEMO_KEY_LEN);
        e->used = true;
        g_hash_table_insert(m->index, e->key, e);
    }
    e->v = *v;
}

size_t cls_memo_size(const struct cls_memo *m)
{
    return g_hash_table_size(m->index);
}
