/* A growable byte buffer with a hard cap fixed when it is made (STYLE.md "Memory": every
 * growable buffer has one). It grows as bytes are appended, never to a length read from the
 * wire, and never holds more than `cap` bytes: an append that would pass the cap appends nothing,
 * returns false and sets the sticky `over` flag, so a builder can append freely and check once.
 * The bytes are the caller's to read through `data` and `len`; nothing else may write them
 * except a writer opened on the buffer (writer.h). Not thread-safe. */
#ifndef TLSSCOPE_CAPBUF_H
#define TLSSCOPE_CAPBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct capbuf {
    uint8_t *data; /* alloc bytes, NULL until the first growth */
    size_t len;    /* bytes held */
    size_t alloc;  /* bytes allocated */
    size_t cap;    /* len never passes it */
    bool over;     /* an append was refused for the cap (or allocation failed); sticky */
};

/* cb_init: an empty buffer that will hold at most cap bytes; allocates nothing yet. */
void cb_init(struct capbuf *b, size_t cap);
/* cb_cleanup: frees the bytes; b is empty (same cap, flag cleared) and may be used again. */
void cb_cleanup(struct capbuf *b);
/* cb_new / cb_free: a heap-allocated buffer; cb_free(NULL) does nothing. */
struct capbuf *cb_new(size_t cap);
void cb_free(struct capbuf *b);

/* cb_grow: makes room for n more bytes (alloc >= len + n). False, and `over` set, when len + n
 * passes the cap or the allocation fails; the bytes held are unchanged either way. */
bool cb_grow(struct capbuf *b, size_t n);

/* cb_append: appends n bytes from p, or nothing (see cb_grow). p may be NULL when n is 0. */
static inline bool cb_append(struct capbuf *b, const void *p, size_t n)
{
    if (n == 0) {
        return true; /* memcpy must not get an empty view's NULL */
    }
    if (n > b->alloc - b->len && !cb_grow(b, n)) {
        return false;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

/* cb_clear: empties b and clears `over`, keeping the allocation for the next use. */
static inline void cb_clear(struct capbuf *b)
{
    b->len = 0;
    b->over = false;
}

#endif
