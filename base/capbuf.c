/* See capbuf.h. Growth doubles (from CB_MIN_ALLOC) so n appends cost O(n) copies, and is cut
 * to the cap so a buffer never allocates more than it may hold. */
#include "capbuf.h"

#include <glib.h>

/* A first allocation small enough for a handshake field, big enough to skip the tiny steps. */
#define CB_MIN_ALLOC 64

void cb_init(struct capbuf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
    b->over = false;
}

void cb_cleanup(struct capbuf *b)
{
    g_free(b->data);
    cb_init(b, b->cap);
}

struct capbuf *cb_new(size_t cap)
{
    struct capbuf *b = g_new(struct capbuf, 1);
    cb_init(b, cap);
    return b;
}

void cb_free(struct capbuf *b)
{
    if (b == NULL) {
        return;
    }
    g_free(b->data);
    g_free(b);
}

bool cb_grow(struct capbuf *b, size_t n)
{
    /* len <= cap always holds, so cap - len cannot wrap. */
    if (n > b->cap - b->len) {
        b->over = true;
        return false;
    }
    size_t need = b->len + n;
    if (need <= b->alloc) {
        return true;
    }
    size_t alloc = b->alloc < CB_MIN_ALLOC ? CB_MIN_ALLOC : b->alloc;
    while (alloc < need && alloc <= SIZE_MAX / 2) {
        alloc *= 2;
    }
    if (alloc < need) {
        alloc = need;
    }
    if (alloc > b->cap) {
        alloc = b->cap; /* need <= cap was checked above */
    }
    /* g_try_realloc: a refused allocation is a refused append, not an abort. */
    uint8_t *p = g_try_realloc(b->data, alloc);
    if (p == NULL) {
        b->over = true;
        return false;
    }
    b->data = p;
    b->alloc = alloc;
    return true;
}
