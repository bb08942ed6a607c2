/* The TLS record framer of one stream direction (internal to dissect/ and its tests).
 *
 * The framer is fed stream chunks of any size with continuous offsets (and gaps), validates every
 * 5-byte record header, and reports each record through callbacks. It copies only what it must:
 * a header split across chunks, a record body its owner asked for that spans chunks, and the
 * body of the current record while that body spans chunks (the look-back that lets a framing
 * desync be measured exactly, see tls_record.c). After a header fails validation, or after a
 * TCP gap that swallowed a header, it scans a bounded window for a chain of plausible headers
 * and reports a tls_desync. */
#ifndef TLSSCOPE_TLS_RECORD_INTERNAL_H
#define TLSSCOPE_TLS_RECORD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect.h"

#define TLS_RECORD_HEADER_LEN 5
#define TLS_MAX_PLAINTEXT_LEN 16384                 /* 2^14, RFC 8446 §5.1 */
#define TLS_MAX_CIPHERTEXT_LEN (16384 + 2048)       /* 2^14 + 2048, RFC 5246 §6.2.3 */
#define TLS13_MAX_CIPHERTEXT_LEN (16384 + 256)      /* 2^14 + 256, RFC 8446 §5.2 */
#define TLS_SSLV2_MAX_RECORD 0x7fff                 /* 2-byte SSLv2 header, RFC 6101 app. E */
#define TLS_RESYNC_MAX_CHAIN 8                      /* clamp on tls_config.resync_chain */

struct tls_framer_events {
    /* on_record: a header validated (oversized: above the length limit, framing continues).
     * Return true to receive the complete body through on_body. */
    bool (*on_record)(void *user, const struct tls_record_info *rec, bool oversized);
    /* on_body: the whole body of a record on_record asked for; lives only for the call. */
    void (*on_body)(void *user, const struct tls_record_info *rec, const uint8_t *body,
                    size_t len);
    /* on_body_lost: a TCP gap fell inside a record body that was asked for. */
    void (*on_body_lost)(void *user, const struct tls_record_info *rec);
    /* on_sslv2: an SSLv2-compatible ClientHello record at the start of the stream (record is
     * what follows the 2-byte header, message type first). */
    void (*on_sslv2)(void *user, uint64_t offset, const uint8_t *record, size_t len,
                     int64_t ts_us);
    /* on_desync: framing resumed (resynced true) or, at finish, never did (false). */
    void (*on_desync)(void *user, const struct tls_desync *d);
};

enum tls_framer_state {
    TLS_FR_HEADER,  /* collecting the next header */
    TLS_FR_BODY,    /* inside a record body */
    TLS_FR_SCAN,    /* looking for a chain of plausible headers */
    TLS_FR_NOT_TLS, /* gave up: the stream does not frame as TLS */
};

struct tls_framer {
    enum cap_dir dir;
    uint32_t resync_chain;
    uint32_t not_tls_after;
    uint16_t max_len;       /* record length above which a record is oversized */
    struct tls_framer_events ev;
    void *user;

    enum tls_framer_state state;
    uint64_t pos;           /* stream offset of the next byte the framer expects */
    uint8_t hdr[TLS_RECORD_HEADER_LEN];
    size_t hdr_have;
    int64_t hdr_ts;

    struct tls_record_info cur; /* the record being framed (valid once has_good) */
    bool cur_want;
    bool cur_sslv2;
    bool cur_body_lost;
    size_t body_left;

    /* The current record's body prefix that arrived in earlier chunks. */
    uint8_t *rec;
    size_t rec_len, rec_alloc;
    struct spare_list *rec_spares; /* tls_config.shared->rec_spares, or NULL */
    bool lookback_ok;       /* rec (plus the current chunk) holds the whole body seen so far */

    /* Resynchronisation window. */
    uint8_t *scan;
    size_t scan_len, scan_alloc, scan_cap;
    uint64_t scan_off;      /* stream offset of scan[0] */
    uint8_t *replay;
    size_t replay_len, replay_alloc;
    bool replay_pending;
    bool scan_at_start;     /* looking for the first record of the stream */
    bool scan_from_lookback;/* scan[0] is the last good record's body start */
    bool desync_pending;
    struct tls_desync desync;

    bool has_good;          /* some record header validated in this direction */
    bool stream_start;      /* no byte of the stream processed yet */
    uint64_t failed_headers;
    uint64_t start_bytes_printable;
    bool not_tls;
    bool gap_at_end;        /* the last event was a gap the framer could not see past */
};

/* tls_framer_init: a framer for dir; cfg caps resync_chain to [1, TLS_RESYNC_MAX_CHAIN].
 * Allocates nothing until bytes arrive. */
void tls_framer_init(struct tls_framer *f, enum cap_dir dir, const struct tls_config *cfg,
                     const struct tls_framer_events *ev, void *user);
void tls_framer_cleanup(struct tls_framer *f);
/* tls_framer_data: in-order bytes at offset (must equal f->pos; other offsets are treated as
 * a gap up to offset, or ignored when they go backwards). */
void tls_framer_data(struct tls_framer *f, uint64_t offset, const uint8_t *data, size_t len,
                     int64_t ts_us);
void tls_framer_gap(struct tls_framer *f, uint64_t offset, uint64_t len, int64_t ts_us);
/* tls_framer_finish: the stream ended at f->pos. A pending resync is settled: a header chain
 * that runs exactly to the end of the stream is accepted; else the desync is reported with
 * resynced false. */
void tls_framer_finish(struct tls_framer *f);
/* tls_framer_trim: between records and not resynchronising, the buffers are released and the
 * look-back into the last record is given up (tls_conn_trim). */
void tls_framer_trim(struct tls_framer *f);
/* tls_framer_at_boundary: the stream so far ends exactly after a complete record. */
bool tls_framer_at_boundary(const struct tls_framer *f);
/* tls_framer_header_plausible: the strict check used for chains (type 20..24, version 3.x with
 * x <= 4, 0 < length <= 2^14 + 2048, or 0 for application_data). */
bool tls_framer_header_plausible(const uint8_t h[TLS_RECORD_HEADER_LEN]);

#endif
