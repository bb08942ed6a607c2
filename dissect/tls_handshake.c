/* Handshake message reassembly: turns handshake record bodies of one direction into complete
 * messages (RFC 8446 §5.1: messages may be fragmented across records and coalesced into one).
 * Handshake { HandshakeType msg_type; uint24 length; opaque body[length]; } (RFC 8446 §4). */
#include <string.h>

#include <glib.h>

#include "tls_handshake_internal.h"

void tls_hs_init(struct tls_hs_reasm *r, uint32_t max_msg)
{
    memset(r, 0, sizeof(*r));
    r->max_msg = max_msg;
}

void tls_hs_cleanup(struct tls_hs_reasm *r)
{
    g_free(r->buf);
    r->buf = NULL;
    r->buf_len = r->buf_alloc = 0;
}

void tls_hs_reset(struct tls_hs_reasm *r)
{
    tls_hs_cleanup(r);
    r->hdr_have = 0;
    r->in_body = false;
    r->skip_left = 0;
}

bool tls_hs_idle(const struct tls_hs_reasm *r)
{
    return r->hdr_have == 0 && !r->in_body && r->skip_left == 0;
}

/* The buffer grows with bytes received (doubling), never with the length the header claims, so a
 * hostile 16 MB claim costs nothing until 16 MB actually arrive, and those are refused above
 * max_msg anyway. */
static void buf_add(struct tls_hs_reasm *r, const uint8_t *p, size_t n)
{
    if (n == 0) {
        return;
    }
    if (r->buf_len + n > r->buf_alloc) {
        size_t want = r->buf_alloc ? r->buf_alloc : 512;
        while (want < r->buf_len + n) {
            want *= 2;
        }
        r->buf = g_realloc(r->buf, want);
        r->buf_alloc = want;
    }
    memcpy(r->buf + r->buf_len, p, n);
    r->buf_len += n;
}

enum tls_hs_status tls_hs_feed(struct tls_hs_reasm *r, const uint8_t *data, size_t len,
                               tls_hs_msg_fn fn, void *user)
{
    enum tls_hs_status st = TLS_HS_OK;
    struct cur c = cur_make(data, len);
    while (!cur_empty(&c)) {
        if (r->skip_left > 0) {
            size_t n = cur_len(&c) < r->skip_left ? cur_len(&c) : r->skip_left;
            cur_skip(&c, n);
            r->skip_left -= (uint32_t)n;
            st = TLS_HS_LIMIT;
            continue;
        }
        if (!r->in_body) {
            /* Fast path: a whole message inside this record, nothing buffered. */
            if (r->hdr_have == 0) {
                struct cur save = c;
                uint8_t type;
                struct cur body;
                if (cur_u8(&c, &type) && cur_u24_prefixed(&c, &body)) {
                    if (cur_len(&body) <= r->max_msg) {
                        r->messages++;
                        fn(user, type, (uint32_t)cur_len(&body), body, false);
                        continue;
                    }
                }
                c = save;
            }
            size_t n = TLS_HS_HEADER_LEN - r->hdr_have;
            if (n > cur_len(&c)) {
                n = cur_len(&c);
            }
            cur_copy(&c, r->hdr + r->hdr_have, n);
            r->hdr_have += n;
            if (r->hdr_have < TLS_HS_HEADER_LEN) {
                break;
            }
            r->hdr_have = 0;
            r->type = r->hdr[0];
            r->msg_len = ((uint32_t)r->hdr[1] << 16) | ((uint32_t)r->hdr[2] << 8) | r->hdr[3];
            r->messages++;
            if (r->msg_len > r->max_msg) {
                r->limit_hits++;
                r->skip_left = r->msg_len;
                st = TLS_HS_LIMIT;
                fn(user, r->type, r->msg_len, cur_make(NULL, 0), true);
                continue;
            }
            r->in_body = true;
            r->buf_len = 0;
        }
        size_t need = r->msg_len - r->buf_len;
        size_t n = cur_len(&c) < need ? cur_len(&c) : need;
        /* n <= cur_len, so cur_bytes cannot fail; gcc -O3 cannot see that and warns. */
        const uint8_t *p = NULL;
        cur_bytes(&c, n, &p);
        buf_add(r, p, n);
        if (r->buf_len == r->msg_len) {
            r->in_body = false;
            fn(user, r->type, r->msg_len, cur_make(r->buf, r->buf_len), false);
            r->buf_len = 0;
        }
    }
    return st;
}
