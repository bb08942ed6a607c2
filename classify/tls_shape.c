/* The shape of a hello segment: its TLS bytes with the values every connection draws afresh
 * (randoms, session IDs, key shares, PSK identities and binders, tickets, cookies) zeroed.
 *
 * Two connections whose hello segments have the same shape look the same to a classifier that
 * reads the hellos' versions, cipher suites, extensions, SNI, ALPN and so on; the pipeline uses
 * it to reuse nDPI's verdict. The shape keeps every byte it does not know to be per-connection,
 * so unknown extensions, malformed hellos and encrypted records stay as they are (they can only
 * make two shapes differ, never make them equal). A Certificate is kept whole and flagged: what
 * a classifier makes of one depends on the time it is read, which the caller must weigh. */
#include <string.h>

#include "classify_internal.h"
#include "cursor.h"
#include "writer.h"

enum {
    EXT_PADDING = 21,
    EXT_SESSION_TICKET = 35,
    EXT_PRE_SHARED_KEY = 41,
    EXT_COOKIE = 44,
    EXT_KEY_SHARE = 51,
};

/* Where a shape is written: a writer over a buffer on the stack, appended to the caller's array
 * when full and at the end. A hello's shape is a few dozen pieces (fields kept, values zeroed);
 * one GLib append each was a third of building a shape. The writer is never refused: every
 * write below first makes room for itself. */
struct shape_out {
    GByteArray *arr;
    struct wr w;
    uint8_t buf[2048];
};

static void flush(struct shape_out *out)
{
    if (wr_len(&out->w) > 0) {
        g_byte_array_append(out->arr, out->buf, (guint)wr_len(&out->w));
    }
    wr_init(&out->w, out->buf, sizeof(out->buf));
}

/* n bytes at p (input kept as it is, or a reduction). */
static void put(struct shape_out *out, const uint8_t *p, size_t n)
{
    if (n > wr_avail(&out->w)) {
        flush(out);
        if (n > sizeof(out->buf)) {
            g_byte_array_append(out->arr, p, (guint)n);
            return;
        }
    }
    wr_bytes(&out->w, p, n);
}

static void put_zero(struct shape_out *out, size_t n)
{
    while (n > 0) {
        if (wr_avail(&out->w) == 0) {
            flush(out);
        }
        size_t k = MIN(n, wr_avail(&out->w));
        wr_zeros(&out->w, k);
        n -= k;
    }
}

/* A big-endian field of a reduction (a length the shape writes in place of bytes). */
static void put_be(struct shape_out *out, uint32_t v, unsigned width)
{
    if (width > wr_avail(&out->w)) {
        flush(out);
    }
    wr_be(&out->w, v, width);
}

/* Copies c's next n bytes to out; false (and nothing copied) when fewer remain. */
static bool take(struct cur *c, size_t n, struct shape_out *out)
{
    const uint8_t *p;
    if (!cur_bytes(c, n, &p)) {
        return false;
    }
    put(out, p, n);
    return true;
}

/* Zeroes c's next n bytes into out. */
static bool blank(struct cur *c, size_t n, struct shape_out *out)
{
    if (!cur_skip(c, n)) {
        return false;
    }
    put_zero(out, n);
    return true;
}

/* A key_share's key_exchange values blanked, group and length kept. In a ClientHello the
 * extension holds a list; in a ServerHello one entry, or only the group in a retry request. */
static void key_share(struct cur c, bool client, struct shape_out *out)
{
    if (client && !take(&c, 2, out)) {
        goto rest;
    }
    while (cur_len(&c) >= 4) {
        uint16_t klen;
        if (!take(&c, 2, out) || !cur_peek_u16(&c, 0, &klen) || !take(&c, 2, out) ||
            !blank(&c, klen, out)) {
            goto rest;
        }
    }
rest:
    put(out, c.p, cur_len(&c));
}

/* Extensions: type and length always kept, per-connection contents blanked. */
static void extensions(struct cur c, bool client, struct shape_out *out)
{
    while (cur_len(&c) >= 4) {
        uint16_t type, len;
        struct cur body;
        if (!cur_peek_u16(&c, 0, &type) || !cur_peek_u16(&c, 2, &len) || !take(&c, 4, out) ||
            !cur_sub(&c, len, &body)) {
            break;
        }
        switch (type) {
        case EXT_KEY_SHARE:
            key_share(body, client, out);
            break;
        case EXT_PRE_SHARED_KEY:
            /* The server's selected identity index is not per-connection; the client's
             * identities and binders are. */
            if (client) {
                put_zero(out, len);
            } else {
                put(out, body.p, len);
            }
            break;
        case EXT_SESSION_TICKET:
        case EXT_COOKIE:
            put_zero(out, len);
            break;
        default:
            put(out, body.p, len);
            break;
        }
    }
    put(out, c.p, cur_len(&c));
}

/* A ClientHello or ServerHello body: random and session ID blanked, the rest kept or blanked by
 * extension. Whatever does not parse is kept as it is. */
static void hello(struct cur c, bool client, struct shape_out *out)
{
    uint8_t sid_len;
    if (!take(&c, 2, out) || !blank(&c, 32, out) || !cur_peek_u8(&c, 0, &sid_len) ||
        !take(&c, 1, out) || !blank(&c, sid_len, out)) {
        goto rest;
    }
    if (client) {
        uint16_t cs_len;
        uint8_t comp_len;
        if (!cur_peek_u16(&c, 0, &cs_len) || !take(&c, 2u + cs_len, out) ||
            !cur_peek_u8(&c, 0, &comp_len) || !take(&c, 1u + comp_len, out)) {
            goto rest;
        }
    } else if (!take(&c, 3, out)) {
        goto rest;
    }
    uint16_t ext_len;
    struct cur exts;
    if (!cur_peek_u16(&c, 0, &ext_len) || !take(&c, 2, out) || !cur_sub(&c, ext_len, &exts)) {
        goto rest;
    }
    extensions(exts, client, out);
rest:
    put(out, c.p, cur_len(&c));
}

/* The handshake messages of one plaintext record. */
static void handshake_record(struct cur c, struct cls_shape_dir *st, struct shape_out *out)
{
    while (cur_len(&c) >= 4) {
        uint8_t type = 0;
        uint32_t len;
        struct cur body;
        if (!cur_peek_u8(&c, 0, &type) || !take(&c, 1, out) || !cur_u24(&c, &len)) {
            break;
        }
        put(out, c.p - 3, 3);
        if (!cur_sub(&c, len, &body)) {
            break; /* a message continued in the next record: kept raw below */
        }
        if (type == TLS_HT_CLIENT_HELLO || type == TLS_HT_SERVER_HELLO) {
            hello(body, type == TLS_HT_CLIENT_HELLO, out);
        } else if (type == TLS_HT_CERTIFICATE) {
            put(out, body.p, cur_len(&body));
            st->certificate = true;
        }
        /* Other messages count by type and length: their contents (a key exchange's public
         * value, a signature) are per-connection and no classifier reads them. */
    }
    put(out, c.p, cur_len(&c));
}

/* An encrypted handshake record (a TLS 1.2 Finished). Read as plaintext, its first four bytes
 * are a message header; when the message they announce does not fit in the record, a reader
 * walking the record's messages stops there and sees nothing else. Otherwise the bytes are kept
 * and the shape is as unique as the ciphertext. */
static void encrypted_handshake(struct cur c, struct shape_out *out)
{
    uint32_t len;
    struct cur head = c;
    if (cur_skip(&head, 1) && cur_u24(&head, &len) && (uint64_t)len + 4 > cur_len(&c)) {
        put_be(out, 0xff, 1);
        return;
    }
    put(out, c.p, cur_len(&c));
}

static bool shape_records(const uint8_t *data, size_t len, struct cls_shape_dir *st,
                          struct shape_out *out)
{
    struct cur c = cur_make(data, len);
    while (!cur_empty(&c)) {
        uint8_t type;
        uint16_t rlen;
        if (cur_len(&c) < 5 || !cur_peek_u8(&c, 0, &type) || !cur_peek_u16(&c, 3, &rlen)) {
            put(out, c.p, cur_len(&c)); /* a header cut by the segment's end */
            return true;
        }
        if (type < TLS_CT_CHANGE_CIPHER_SPEC || type > TLS_CT_APPLICATION_DATA) {
            return false;
        }
        take(&c, 5, out);
        struct cur body;
        if (!cur_sub(&c, rlen, &body)) {
            /* A record continued in the next segment: only its length so far counts; its
             * bytes are read with the rest, which a shape never sees. */
            put_be(out, (uint32_t)cur_len(&c) & 0xffff, 2);
            return type == TLS_CT_APPLICATION_DATA || st->after_ccs;
        }
        switch (type) {
        case TLS_CT_APPLICATION_DATA:
            break; /* ciphertext: its length is its shape */
        case TLS_CT_HANDSHAKE:
            if (st->after_ccs) {
                encrypted_handshake(body, out);
            } else {
                handshake_record(body, st, out);
            }
            break;
        case TLS_CT_CHANGE_CIPHER_SPEC:
            st->after_ccs = true;
            put(out, body.p, cur_len(&body));
            break;
        default: /* alerts */
            put(out, body.p, cur_len(&body));
            break;
        }
    }
    return true;
}

bool cls_shape_append(const uint8_t *data, size_t len, struct cls_shape_dir *st, GByteArray *out)
{
    struct shape_out o; /* not an initialiser: that would zero the 2 KB buffer first */
    o.arr = out;
    wr_init(&o.w, o.buf, sizeof(o.buf));
    bool ok = shape_records(data, len, st, &o);
    flush(&o);
    return ok;
}
