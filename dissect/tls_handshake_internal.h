/* Handshake message reassembly of one direction (internal to dissect/ and its tests).
 *
 * Record bodies of content type handshake go in; complete messages come out, however the sender
 * split them across records or packed several into one. A message inside one record body is
 * handed out as a view (no copy); one that spans records is copied into a buffer that grows with
 * the bytes actually received, up to max_msg. A message whose header claims more than max_msg is
 * skipped without buffering and reported as too big (LIMIT). */
#ifndef TLSSCOPE_TLS_HANDSHAKE_INTERNAL_H
#define TLSSCOPE_TLS_HANDSHAKE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define TLS_HS_HEADER_LEN 4 /* msg_type u8 + length u24, RFC 8446 §4 */

enum tls_hs_status {
    TLS_HS_OK,
    TLS_HS_LIMIT, /* a message longer than max_msg was skipped (counted) */
};

/* tls_hs_msg_fn: one complete message (body without its 4-byte header), or, when too_big, only
 * its type and claimed length with an empty body. body lives only for the call. */
typedef void (*tls_hs_msg_fn)(void *user, uint8_t type, uint32_t len, struct cur body,
                              bool too_big);

struct tls_hs_reasm {
    uint32_t max_msg;
    uint8_t hdr[TLS_HS_HEADER_LEN];
    size_t hdr_have;
    uint8_t type;
    uint32_t msg_len;   /* claimed length of the message in progress */
    bool in_body;
    uint32_t skip_left; /* bytes of a too-big message still to skip */
    uint8_t *buf;
    size_t buf_len, buf_alloc;
    uint64_t limit_hits;
    uint64_t messages;
};

void tls_hs_init(struct tls_hs_reasm *r, uint32_t max_msg);
/* tls_hs_cleanup: frees the buffer; the reassembler can be fed again (it reallocates). */
void tls_hs_cleanup(struct tls_hs_reasm *r);
/* tls_hs_reset: forgets a partial message (after bytes were lost) and frees the buffer. */
void tls_hs_reset(struct tls_hs_reasm *r);
/* tls_hs_feed: the body of one handshake record. Returns TLS_HS_LIMIT when a too-big message
 * started or was skipped in it, TLS_HS_OK otherwise. */
enum tls_hs_status tls_hs_feed(struct tls_hs_reasm *r, const uint8_t *data, size_t len,
                               tls_hs_msg_fn fn, void *user) __attribute__((warn_unused_result));
/* tls_hs_idle: no partial message is held. */
bool tls_hs_idle(const struct tls_hs_reasm *r);

#endif
