/* A short list of freed blocks of one size, handed out again before asking malloc: the flow
 * table's flows and the dissector's connection states. On captures of many short connections a
 * closed flow waits --timeout-closed for stragglers, so by the time it ends its memory is cold,
 * and glibc's free of a cold block of a few KB coalesces it with neighbours that are cold too. A
 * block given back here is pushed (no neighbour is read) and the next flow takes it while it is
 * still in cache. At most `max` blocks wait; the rest go to free. Not thread-safe (neither is
 * anything that holds one). Header-only. */
#ifndef TLSSCOPE_SPARE_LIST_H
#define TLSSCOPE_SPARE_LIST_H

#include <stddef.h>
#include <string.h>

#include <glib.h>

struct spare_list {
    size_t size;   /* of every block */
    unsigned max;  /* blocks kept at most */
    unsigned num;  /* blocks kept now */
    void **blocks; /* max slots, allocated with the first block kept */
};

static inline void spare_list_init(struct spare_list *s, size_t size, unsigned max)
{
    s->size = size;
    s->max = max;
    s->num = 0;
    s->blocks = NULL;
}

/* spare_list_take: a zeroed block of s->size bytes (as g_malloc0 gives), the most recently
 * given back first. */
static inline void *spare_list_take(struct spare_list *s)
{
    if (s->num == 0) {
        return g_malloc0(s->size);
    }
    void *p = s->blocks[--s->num];
    memset(p, 0, s->size);
    return p;
}

/* spare_list_take_raw: as spare_list_take, for a buffer its taker fills: not zeroed. */
static inline void *spare_list_take_raw(struct spare_list *s)
{
    if (s->num == 0) {
        return g_malloc(s->size);
    }
    return s->blocks[--s->num];
}

/* spare_list_give: p (NULL-safe, from a take of the same list) is kept or freed. */
static inline void spare_list_give(struct spare_list *s, void *p)
{
    if (p == NULL) {
        return;
    }
    if (s->num < s->max) {
        if (s->blocks == NULL) {
            s->blocks = g_new(void *, s->max);
        }
        s->blocks[s->num++] = p;
        return;
    }
    g_free(p);
}

/* spare_list_cleanup: frees the blocks kept and the list. */
static inline void spare_list_cleanup(struct spare_list *s)
{
    for (unsigned i = 0; i < s->num; i++) {
        g_free(s->blocks[i]);
    }
    g_free(s->blocks);
    s->blocks = NULL;
    s->num = 0;
}

#endif
