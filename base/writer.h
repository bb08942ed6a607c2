/* The bounded writer that builds bytes and text: the cursor's (cursor.h) counterpart for output.
 *
 * A writer appends into a caller's fixed buffer (wr_init, wr_init_text) or at the end of a
 * capped growable buffer (wr_init_capbuf). No write ever passes the end: a write that does not
 * fit writes nothing and sets the sticky error, after which every write is refused, so a
 * builder is a straight run of writes and one wr_ok at the end. Each write is all or nothing,
 * so what a failed writer holds is the writes before the first refusal, whole. Integers are
 * network byte order. A length-prefixed section (wr_open / wr_close) reserves its prefix and
 * fills it in on close, so a TLS vector is written in the order it reads. Header-only; every
 * write is a length comparison and a store, for builders on the per-connection path. */
#ifndef TLSSCOPE_WRITER_H
#define TLSSCOPE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capbuf.h"

struct wr {
    uint8_t *buf;      /* cap bytes (a capbuf's current allocation when cb is set) */
    size_t len;        /* bytes written */
    size_t cap;        /* bytes that may be written; set to len on error */
    struct capbuf *cb; /* the buffer grown when buf is full, or NULL */
    bool err;          /* sticky: a write was refused */
};

/* wr_init: a writer over n bytes at buf; buf may be NULL when n is 0. */
static inline void wr_init(struct wr *w, void *buf, size_t n)
{
    w->buf = (uint8_t *)buf;
    w->len = 0;
    w->cap = buf ? n : 0;
    w->cb = NULL;
    w->err = false;
}

/* wr_init_text: a writer for a C string in size bytes at buf: one byte stays for the NUL that
 * wr_cstr adds. size must be at least 1. */
static inline void wr_init_text(struct wr *w, char *buf, size_t size)
{
    wr_init(w, buf, size - 1);
    buf[0] = '\0';
}

/* wr_init_capbuf: a writer appending at the end of b, which grows up to its cap. b->len follows
 * every write; until the writer is done, b is written through it only. A write refused for the
 * cap sets both the writer's error and b->over. A section is an offset into b, so one opened by
 * a writer on b may be closed by a later writer on b. */
static inline void wr_init_capbuf(struct wr *w, struct capbuf *b)
{
    w->buf = b->data;
    w->len = b->len;
    w->cap = b->alloc;
    w->cb = b;
    w->err = false;
}

static inline bool wr_ok(const struct wr *w)
{
    return !w->err;
}

static inline size_t wr_len(const struct wr *w)
{
    return w->len;
}

/* wr_avail: bytes a fixed-buffer writer can still take (0 once it failed); a capbuf writer may
 * grow past it. */
static inline size_t wr_avail(const struct wr *w)
{
    return w->cap - w->len;
}

/* wr_data: the bytes written so far (moves when a capbuf grows: read it after the writes). */
static inline const uint8_t *wr_data(const struct wr *w)
{
    return w->buf;
}

/* wr_fail: sets the sticky error. With cap cut to len, every later write of a byte or more
 * fails wr_space's one comparison and is refused in wr_room_slow. */
static inline bool wr_fail(struct wr *w)
{
    w->err = true;
    w->cap = w->len;
    return false;
}

/* Reached only when the buffer is full: grows a capbuf, or fails. */
static inline bool wr_room_slow(struct wr *w, size_t n)
{
    if (w->err || w->cb == NULL || !cb_grow(w->cb, n)) {
        return wr_fail(w);
    }
    w->buf = w->cb->data;
    w->cap = w->cb->alloc;
    return true;
}

/* wr_space: n bytes to fill at the end, counted as written; NULL (nothing written, error set)
 * when they do not fit. n may be 0. */
static inline uint8_t *wr_space(struct wr *w, size_t n)
{
    if (n > w->cap - w->len && !wr_room_slow(w, n)) {
        return NULL;
    }
    uint8_t *at = w->buf + w->len;
    w->len += n;
    if (w->cb != NULL) {
        w->cb->len = w->len;
    }
    return at;
}

static inline bool wr_bytes(struct wr *w, const void *p, size_t n)
{
    uint8_t *at = wr_space(w, n);
    if (at == NULL) {
        return false;
    }
    if (n > 0) {
        memcpy(at, p, n); /* p may be an empty view's NULL, which memcpy must not get */
    }
    return true;
}

static inline bool wr_zeros(struct wr *w, size_t n)
{
    uint8_t *at = wr_space(w, n);
    if (at == NULL) {
        return false;
    }
    memset(at, 0, n);
    return true;
}

/* wr_be: the low `width` bytes of v, most significant first (width 0 to 4; wr_u8..wr_u32). */
static inline bool wr_be(struct wr *w, uint32_t v, unsigned width)
{
    uint8_t *at = wr_space(w, width);
    if (at == NULL) {
        return false;
    }
    for (unsigned i = 0; i < width; i++) {
        at[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    }
    return true;
}

static inline bool wr_u8(struct wr *w, uint8_t v)
{
    return wr_be(w, v, 1);
}

static inline bool wr_u16(struct wr *w, uint16_t v)
{
    return wr_be(w, v, 2);
}

/* wr_u24: v must be below 2^24; higher bits would be lost, so such a v is refused. */
static inline bool wr_u24(struct wr *w, uint32_t v)
{
    if (v > 0xffffffu) {
        return wr_fail(w);
    }
    return wr_be(w, v, 3);
}

static inline bool wr_u32(struct wr *w, uint32_t v)
{
    return wr_be(w, v, 4);
}

/* ------------------------------------------------------------------ text */

static inline bool wr_char(struct wr *w, char c)
{
    uint8_t *at = wr_space(w, 1);
    if (at == NULL) {
        return false;
    }
    *at = (uint8_t)c;
    return true;
}

/* wr_str: a NUL-terminated string, without its NUL. */
static inline bool wr_str(struct wr *w, const char *s)
{
    return wr_bytes(w, s, strlen(s));
}

/* wr_dec_min: v in decimal, zero-padded to at least min_digits (at most 20) digits, as
 * printf's "%0*llu" but without printf: fingerprints write dozens of numbers per connection. */
static inline bool wr_dec_min(struct wr *w, uint64_t v, unsigned min_digits)
{
    char tmp[20]; /* 2^64 - 1 has 20 digits */
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < min_digits && n < sizeof(tmp)) {
        tmp[n++] = '0';
    }
    uint8_t *at = wr_space(w, n);
    if (at == NULL) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        at[i] = (uint8_t)tmp[n - 1 - i];
    }
    return true;
}

static inline bool wr_dec(struct wr *w, uint64_t v)
{
    return wr_dec_min(w, v, 1);
}

/* A macro, not a static array: a header's unused static would warn in every file that includes
 * it and writes no hex. */
#define WR_HEX_DIGITS "0123456789abcdef"

/* wr_hex: the low `digits` hex digits of v (at most 16), lowercase, as "%0*x". */
static inline bool wr_hex(struct wr *w, uint64_t v, unsigned digits)
{
    if (digits > 16) {
        return wr_fail(w);
    }
    uint8_t *at = wr_space(w, digits);
    if (at == NULL) {
        return false;
    }
    for (unsigned i = 0; i < digits; i++) {
        at[i] = (uint8_t)WR_HEX_DIGITS[(v >> (4 * (digits - 1 - i))) & 0xf];
    }
    return true;
}

/* wr_hex_bytes: n bytes as 2n lowercase hex digits. */
static inline bool wr_hex_bytes(struct wr *w, const uint8_t *p, size_t n)
{
    if (n > SIZE_MAX / 2) {
        return wr_fail(w);
    }
    uint8_t *at = wr_space(w, 2 * n);
    if (at == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        at[2 * i] = (uint8_t)WR_HEX_DIGITS[p[i] >> 4];
        at[2 * i + 1] = (uint8_t)WR_HEX_DIGITS[p[i] & 0xf];
    }
    return true;
}

/* wr_cstr: for a wr_init_text writer only: NUL-terminates what it holds (the writes before any
 * refusal) and returns it. The NUL is not counted, so writing may go on after it. */
static inline const char *wr_cstr(struct wr *w)
{
    w->buf[w->len] = '\0'; /* wr_init_text kept this byte: len <= cap = size - 1 */
    return (const char *)w->buf;
}

/* ------------------------------------------------------------------ length-prefixed sections */

/* A section being written: where its prefix is and how wide it is. */
struct wr_sec {
    size_t at;      /* offset of the prefix; SIZE_MAX when the open was refused */
    unsigned width; /* 1, 2 or 3 bytes (TLS's opaque<..2^8-1>, <..2^16-1>, <..2^24-1>) */
};

/* wr_open: reserves a width-byte length prefix (filled with zeros until wr_close). Sections
 * nest: close them innermost first. */
static inline struct wr_sec wr_open(struct wr *w, unsigned width)
{
    struct wr_sec s = {w->len, width};
    if (width < 1 || width > 3) {
        wr_fail(w);
    }
    if (w->err || !wr_zeros(w, width)) {
        s.at = SIZE_MAX;
    }
    return s;
}

/* wr_close: writes the section's length (the bytes written since its prefix) into the prefix.
 * A length the prefix cannot hold sets the error; a refused open, or an error since, leaves the
 * prefix as it is (the caller's wr_ok fails anyway). */
static inline bool wr_close(struct wr *w, struct wr_sec s)
{
    if (w->err || s.at == SIZE_MAX) {
        return wr_fail(w);
    }
    size_t n = w->len - s.at - s.width;
    if (n >> (8 * s.width) != 0) {
        return wr_fail(w);
    }
    for (unsigned i = 0; i < s.width; i++) {
        w->buf[s.at + i] = (uint8_t)(n >> (8 * (s.width - 1 - i)));
    }
    return true;
}

#endif
