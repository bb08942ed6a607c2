/* The one bounds-checked cursor every parser in tlsscope reads wire bytes through.
 *
 * A cursor is a borrowed view (pointer + remaining length) over bytes someone else owns. Each
 * reader compares the remaining length with what it needs before touching memory, writes its
 * output only on success, and leaves the cursor unchanged on failure, so a decoder can be a
 * short chain of reads joined by ||. Multi-byte integers are network byte order. Nested vectors
 * are read into a child cursor that the caller must drain. This header has no dependencies so
 * that it can be audited on its own. */
#ifndef TLSSCOPE_CURSOR_H
#define TLSSCOPE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
    const uint8_t *p;
    size_t len;
};

static inline struct cur cur_make(const void *p, size_t len)
{
    struct cur c = {(const uint8_t *)p, p ? len : 0};
    return c;
}

static inline size_t cur_len(const struct cur *c)
{
    return c->len;
}

static inline bool cur_empty(const struct cur *c)
{
    return c->len == 0;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
    if (c->len < n) {
        return false;
    }
    c->p += n;
    c->len -= n;
    return true;
}

/* cur_bytes: a view of the next n bytes in *out; the bytes stay owned by the caller's buffer. */
static inline bool cur_bytes(struct cur *c, size_t n, const uint8_t **out)
{
    if (c->len < n) {
        return false;
    }
    *out = c->p;
    c->p += n;
    c->len -= n;
    return true;
}

static inline bool cur_copy(struct cur *c, void *dst, size_t n)
{
    if (c->len < n) {
        return false;
    }
    memcpy(dst, c->p, n);
    c->p += n;
    c->len -= n;
    return true;
}

/* cur_sub: the next n bytes as a child cursor. */
static inline bool cur_sub(struct cur *c, size_t n, struct cur *out)
{
    if (c->len < n) {
        return false;
    }
    out->p = c->p;
    out->len = n;
    c->p += n;
    c->len -= n;
    return true;
}

static inline bool cur_peek_u8(const struct cur *c, size_t off, uint8_t *out)
{
    if (c->len <= off) {
        return false;
    }
    *out = c->p[off];
    return true;
}

static inline bool cur_peek_u16(const struct cur *c, size_t off, uint16_t *out)
{
    if (c->len < 2 || c->len - 2 < off) {
        return false;
    }
    *out = (uint16_t)((c->p[off] << 8) | c->p[off + 1]);
    return true;
}

static inline bool cur_u8(struct cur *c, uint8_t *out)
{
    if (c->len < 1) {
        return false;
    }
    *out = c->p[0];
    c->p += 1;
    c->len -= 1;
    return true;
}

static inline bool cur_u16(struct cur *c, uint16_t *out)
{
    if (c->len < 2) {
        return false;
    }
    *out = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->len -= 2;
    return true;
}

static inline bool cur_u24(struct cur *c, uint32_t *out)
{
    if (c->len < 3) {
        return false;
    }
    *out = ((uint32_t)c->p[0] << 16) | ((uint32_t)c->p[1] << 8) | c->p[2];
    c->p += 3;
    c->len -= 3;
    return true;
}

static inline bool cur_u32(struct cur *c, uint32_t *out)
{
    if (c->len < 4) {
        return false;
    }
    *out = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) |
           c->p[3];
    c->p += 4;
    c->len -= 4;
    return true;
}

/* Little-endian readers exist for link headers that are host-order on the wire (BSD NULL). */
static inline bool cur_u32le(struct cur *c, uint32_t *out)
{
    if (c->len < 4) {
        return false;
    }
    *out = ((uint32_t)c->p[3] << 24) | ((uint32_t)c->p[2] << 16) | ((uint32_t)c->p[1] << 8) |
           c->p[0];
    c->p += 4;
    c->len -= 4;
    return true;
}

/* cur_uN_prefixed: a vector with an N-byte length prefix, as a child cursor. On failure (prefix
 * missing or longer than what remains) the parent is unchanged. */
static inline bool cur_u8_prefixed(struct cur *c, struct cur *out)
{
    struct cur save = *c;
    uint8_t n;
    if (!cur_u8(c, &n) || !cur_sub(c, n, out)) {
        *c = save;
        return false;
    }
    return true;
}

static inline bool cur_u16_prefixed(struct cur *c, struct cur *out)
{
    struct cur save = *c;
    uint16_t n;
    if (!cur_u16(c, &n) || !cur_sub(c, n, out)) {
        *c = save;
        return false;
    }
    return true;
}

static inline bool cur_u24_prefixed(struct cur *c, struct cur *out)
{
    struct cur save = *c;
    uint32_t n;
    if (!cur_u24(c, &n) || !cur_sub(c, n, out)) {
        *c = save;
        return false;
    }
    return true;
}

#endif
