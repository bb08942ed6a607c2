/* The TLS record framer of one stream direction: header validation, record hopping, and
 * resynchronisation after a broken header or a TCP gap, with the estimate of how many bytes an
 * endpoint lost or injected inside an intact TCP stream.
 *
 * Memory: headers are always copied (5 bytes). A body is copied only when it spans chunks and
 * either the owner asked for it (plaintext handshake, alert, CCS) or it may be needed as
 * look-back. The look-back exists because the commonest framing break is a short write: a server
 * announces a record of L bytes and fewer reach the wire, so the real next header lies *inside*
 * the L bytes the framer already hopped over, before the offset where the broken header was
 * read. Measuring that loss exactly needs the bytes of the last good record's body, which have
 * left the capture buffer by then. Records up to 2^14 + 2048 bytes are therefore kept while they
 * span chunks (one record per direction, grown with the bytes received, allocated once); records
 * inside one chunk are never copied. The resync window is bounded: the look-back plus
 * resync_chain records of the maximum size. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cursor.h"
#include "spare_list.h"
#include "tls_decode_internal.h"
#include "tls_record_internal.h"
#include "tls_shared_internal.h"

#define TLS_CT_FIRST 20 /* change_cipher_spec, RFC 8446 §5.1 */
#define TLS_CT_LAST 24  /* heartbeat, RFC 6520 */
#define TLS_CT_APPDATA 23
#define TLS_REC_BUF_MAX 65535 /* a record length is a uint16 */
#define TLS_LOOKBACK_MAX TLS_MAX_CIPHERTEXT_LEN
#define TLS_CHAIN_STRIDE (TLS_MAX_CIPHERTEXT_LEN + TLS_RECORD_HEADER_LEN)

enum chain_result { CHAIN_NO, CHAIN_YES, CHAIN_NEED_MORE };

/* struct { ContentType type; ProtocolVersion legacy_record_version; uint16 length; }
 * TLSPlaintext header (RFC 8446 §5.1, RFC 5246 §6.2.1). */
struct rec_hdr {
    uint8_t type;
    uint16_t version;
    uint16_t length;
};

/* Always inline: out of line, its three small stores were read back by its caller as one wider
 * load, which cannot be forwarded from them (a stall on every record header). */
static inline __attribute__((always_inline)) bool read_header(struct cur *c, struct rec_hdr *out)
{
    return cur_u8(c, &out->type) && cur_u16(c, &out->version) && cur_u16(c, &out->length);
}

/* A header the framer follows: a known content type, a 3.x version (SSL 3.0 to TLS 1.3 all use
 * major 3 on the record layer, RFC 8446 §5.1 and appendix D), and a non-empty body unless
 * application_data (RFC 5246 §6.2.1: zero-length fragments only for application data). The
 * length limit is checked separately: an oversized but otherwise sane record is framed. */
static bool header_valid(const struct rec_hdr *h)
{
    if (h->type < TLS_CT_FIRST || h->type > TLS_CT_LAST || (h->version >> 8) != 3 ||
        (h->version & 0xff) > 4) {
        return false;
    }
    return h->length > 0 || h->type == TLS_CT_APPDATA;
}

static bool plausible(const struct rec_hdr *h)
{
    return header_valid(h) && h->length <= TLS_MAX_CIPHERTEXT_LEN;
}

bool tls_framer_header_plausible(const uint8_t h[TLS_RECORD_HEADER_LEN])
{
    struct cur c = cur_make(h, TLS_RECORD_HEADER_LEN);
    struct rec_hdr rh;
    return read_header(&c, &rh) && plausible(&rh);
}

/* The handshake type that opens data's first record, or -1 when data does not start with a
 * plausible handshake record header and a message type. */
static int opening_handshake(const uint8_t *data, size_t len)
{
    struct cur c = cur_make(data, len);
    struct rec_hdr rh;
    uint8_t hs_type;
    if (read_header(&c, &rh) && plausible(&rh) && rh.type == TLS_CT_HANDSHAKE &&
        cur_u8(&c, &hs_type)) {
        return hs_type;
    }
    return -1;
}

bool tls_opens_with_hello(const uint8_t *data, size_t len)
{
    int t = opening_handshake(data, len);
    return t == TLS_HT_CLIENT_HELLO || t == TLS_HT_SERVER_HELLO;
}

bool tls_opens_with_client_hello(const uint8_t *data, size_t len)
{
    return opening_handshake(data, len) == TLS_HT_CLIENT_HELLO;
}

static bool buf_append(uint8_t **buf, size_t *len, size_t *alloc, const uint8_t *data, size_t n,
                       size_t cap)
{
    if (n > cap || *len > cap - n) {
        return false;
    }
    if (*len + n > *alloc) {
        size_t want = *alloc ? *alloc : 1024;
        while (want < *len + n) {
            want *= 2;
        }
        if (want > cap) {
            want = cap;
        }
        *buf = g_realloc(*buf, want);
        *alloc = want;
    }
    if (n > 0) {
        memcpy(*buf + *len, data, n);
    }
    *len += n;
    return true;
}

/* Bytes of the body buffer a framer keeps between records; a larger one (a bulk record that
 * spanned segments) is released when the next record starts, so a finished or idle flow
 * holds kilobytes, not the 16 KB of its last big record. Buffers of this size come from the
 * run's shared rec_spares when there are any: every connection wants one for its first record that
 * spans segments, and each used to be reallocated to the record's exact size and freed, cold,
 * when its flow ended long after. */
#define TLS_REC_KEEP 4096

void tls_rec_spares_init(struct spare_list *s, unsigned max)
{
    spare_list_init(s, TLS_REC_KEEP, max);
}

static void rec_release(struct tls_framer *f)
{
    if (f->rec != NULL && f->rec_alloc == TLS_REC_KEEP && f->rec_spares != NULL) {
        spare_list_give(f->rec_spares, f->rec);
    } else {
        g_free(f->rec);
    }
    f->rec = NULL;
    f->rec_len = f->rec_alloc = 0;
}

/* rec_reserve: rec holds at least want bytes (want <= TLS_REC_BUF_MAX), its content kept. */
static void rec_reserve(struct tls_framer *f, size_t want)
{
    if (want <= f->rec_alloc) {
        return;
    }
    uint8_t *b;
    size_t n;
    if (want <= TLS_REC_KEEP) {
        n = TLS_REC_KEEP;
        b = f->rec_spares != NULL ? spare_list_take_raw(f->rec_spares) : g_malloc(n);
    } else {
        /* Only flush_body asks for more, and for the record's whole body at once. */
        n = want;
        b = g_malloc(n);
    }
    if (f->rec_len > 0) {
        memcpy(b, f->rec, f->rec_len);
    }
    size_t len = f->rec_len;
    rec_release(f);
    f->rec = b;
    f->rec_alloc = n;
    f->rec_len = len;
}

/* rec_append: as buf_append, for rec. */
static bool rec_append(struct tls_framer *f, const uint8_t *data, size_t n, size_t cap)
{
    if (n > cap || f->rec_len > cap - n) {
        return false;
    }
    rec_reserve(f, f->rec_len + n);
    if (n > 0) {
        memcpy(f->rec + f->rec_len, data, n);
    }
    f->rec_len += n;
    return true;
}

void tls_framer_init(struct tls_framer *f, enum cap_dir dir, const struct tls_config *cfg,
                     const struct tls_framer_events *ev, void *user)
{
    memset(f, 0, sizeof(*f));
    f->dir = dir;
    f->resync_chain = cfg->resync_chain;
    if (f->resync_chain < 1) {
        f->resync_chain = 1;
    }
    if (f->resync_chain > TLS_RESYNC_MAX_CHAIN) {
        f->resync_chain = TLS_RESYNC_MAX_CHAIN;
    }
    f->not_tls_after = cfg->not_tls_after ? cfg->not_tls_after : 1;
    f->max_len = TLS_MAX_CIPHERTEXT_LEN;
    f->ev = *ev;
    f->user = user;
    f->rec_spares = cfg->shared ? &cfg->shared->rec_spares : NULL;
    f->state = TLS_FR_HEADER;
    f->stream_start = true;
    /* Look-back, then the bad header, then resync_chain maximal records: enough to decide any
     * candidate that lies inside the look-back. */
    f->scan_cap = (size_t)(f->resync_chain + 1) * TLS_CHAIN_STRIDE;
}

void tls_framer_cleanup(struct tls_framer *f)
{
    rec_release(f);
    g_free(f->scan);
    g_free(f->replay);
    f->scan = f->replay = NULL;
    f->scan_len = f->scan_alloc = f->replay_len = f->replay_alloc = 0;
}

static void release_scan(struct tls_framer *f)
{
    g_free(f->scan);
    g_free(f->replay);
    f->scan = f->replay = NULL;
    f->scan_len = f->scan_alloc = f->replay_len = f->replay_alloc = 0;
}

void tls_framer_trim(struct tls_framer *f)
{
    if (f->state != TLS_FR_HEADER || f->hdr_have != 0 || f->desync_pending || f->replay_pending) {
        return;
    }
    rec_release(f);
    f->lookback_ok = false;
    release_scan(f);
}

/* chain_check: is data the start of resync_chain consecutive plausible headers of one record
 * version? At the end of the stream, a shorter chain whose last record ends exactly at the end
 * also counts: nothing follows it that could contradict it. */
static enum chain_result chain_check(const struct tls_framer *f, const uint8_t *data, size_t len,
                                     bool at_end)
{
    struct cur c = cur_make(data, len);
    uint32_t k = 0;
    uint16_t version = 0;
    for (;;) {
        if (at_end && k >= 1 && cur_empty(&c)) {
            return CHAIN_YES;
        }
        struct rec_hdr h;
        if (!read_header(&c, &h)) {
            return at_end ? CHAIN_NO : CHAIN_NEED_MORE;
        }
        if (!plausible(&h) || (k > 0 && h.version != version)) {
            return CHAIN_NO;
        }
        version = h.version;
        if (++k >= f->resync_chain) {
            return CHAIN_YES;
        }
        if (!cur_skip(&c, h.length)) {
            return at_end ? CHAIN_NO : CHAIN_NEED_MORE;
        }
    }
}

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f))) {
            return false;
        }
    }
    return true;
}

static void become_not_tls(struct tls_framer *f)
{
    f->not_tls = true;
    f->state = TLS_FR_NOT_TLS;
    f->pos = f->scan_off + f->scan_len;
    release_scan(f);
    rec_release(f);
}

static void report_resync(struct tls_framer *f, uint64_t r)
{
    struct tls_desync *d = &f->desync;
    d->resync_offset = r;
    d->skipped_bytes = r > d->bad_offset ? r - d->bad_offset : 0;
    d->resynced = true;
    if (f->scan_from_lookback && !d->after_gap) {
        /* The last good record (header at last_good_offset, claimed length L, body at
         * B = last_good_offset + 5) put the next header at B + L = bad_offset. The real next
         * header is at R. If the sender lost d bytes of its record (a short write), everything
         * after them arrives d bytes early: R = B + L - d, so d = (B + L) - R > 0. If bytes
         * were injected after the record, R = B + L + k and the estimate is -k. The scan started
         * at B, so any loss up to the whole body is measured exactly. */
        d->estimated_missing_bytes = (int64_t)d->bad_offset - (int64_t)r;
        d->estimate_valid = true;
    } else {
        d->estimated_missing_bytes = 0;
        d->estimate_valid = false;
    }
    f->desync_pending = false;
    if (f->ev.on_desync) {
        f->ev.on_desync(f->user, d);
    }
}

/* try_scan: examines candidate positions in order; the first whose chain holds wins. Rejected
 * positions are dropped from the window so it never outgrows scan_cap. */
static bool try_scan(struct tls_framer *f, bool at_end)
{
    size_t p = 0;
    bool found = false;
    bool at_start = f->scan_at_start && !f->has_good;
    /* A plain-text protocol (HTTP, an SMTP banner) fails at its first bytes, which are
     * printable: not_tls_after failed positions settle it. Binary junk is given a whole resync
     * window (or the whole stream) to show a chain, since a mid-stream pickup also starts with
     * failing positions. */
    bool text = f->start_bytes_printable >= TLS_RECORD_HEADER_LEN;
    while (p < f->scan_len) {
        enum chain_result r = chain_check(f, f->scan + p, f->scan_len - p, at_end);
        if (r == CHAIN_YES) {
            found = true;
            break;
        }
        if (r == CHAIN_NEED_MORE) {
            break;
        }
        p++;
        if (at_start) {
            f->failed_headers++;
            if (text && f->failed_headers >= f->not_tls_after) {
                break;
            }
        }
    }
    if (!found && at_start &&
        ((text && f->failed_headers >= f->not_tls_after) || f->scan_off + p >= f->scan_cap ||
         (at_end && p == f->scan_len))) {
        f->scan_off += p;
        f->scan_len -= p;
        become_not_tls(f);
        return false;
    }
    if (found) {
        uint64_t r = f->scan_off + p;
        if (f->desync_pending) {
            report_resync(f, r);
        }
        /* Replay the window from the chain start through the normal framer. */
        uint8_t *tmp = f->replay;
        size_t tmp_alloc = f->replay_alloc;
        f->replay = f->scan;
        f->replay_alloc = f->scan_alloc;
        f->scan = tmp;
        f->scan_alloc = tmp_alloc;
        memmove(f->replay, f->replay + p, f->scan_len - p);
        f->replay_len = f->scan_len - p;
        f->scan_len = 0;
        f->replay_pending = true;
        f->pos = r;
        f->state = TLS_FR_HEADER;
        f->hdr_have = 0;
        f->scan_at_start = false;
        f->scan_from_lookback = false;
        return true;
    }
    if (p > 0) {
        memmove(f->scan, f->scan + p, f->scan_len - p);
        f->scan_len -= p;
        f->scan_off += p;
    }
    return false;
}

static void enter_scan(struct tls_framer *f, uint64_t start)
{
    f->state = TLS_FR_SCAN;
    f->scan_len = 0;
    f->scan_off = start;
}

static size_t scan_feed(struct tls_framer *f, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len && f->state == TLS_FR_SCAN) {
        size_t room = f->scan_cap - f->scan_len;
        size_t n = len - used < room ? len - used : room;
        if (n == 0) {
            /* Cannot happen while scan_cap exceeds the longest chain; dropping the oldest byte
             * keeps the window bounded if it ever does. */
            memmove(f->scan, f->scan + 1, f->scan_len - 1);
            f->scan_len--;
            f->scan_off++;
            continue;
        }
        buf_append(&f->scan, &f->scan_len, &f->scan_alloc, data + used, n, f->scan_cap);
        used += n;
        f->pos += n;
        if (try_scan(f, false)) {
            return used;
        }
    }
    if (f->state == TLS_FR_NOT_TLS) {
        f->pos += len - used;
        return len;
    }
    return used;
}

/* Per-chunk view of the current record's body bytes inside the chunk being framed. */
struct chunk_body {
    const uint8_t *data;
    size_t idx;
    size_t len;
};

static void flush_body(struct tls_framer *f, struct chunk_body *cb)
{
    if (cb->len == 0) {
        return;
    }
    size_t cap = f->cur_want ? TLS_REC_BUF_MAX : (f->lookback_ok ? TLS_LOOKBACK_MAX : 0);
    if (cap > 0 && f->cur.length <= cap) {
        /* One allocation for the whole body rather than doubling up to it. */
        rec_reserve(f, f->cur.length);
    }
    if (cap == 0 || !rec_append(f, cb->data + cb->idx, cb->len, cap)) {
        f->lookback_ok = false;
        f->rec_len = 0;
    }
    cb->len = 0;
}

static void body_complete(struct tls_framer *f, struct chunk_body *cb)
{
    if (!f->cur_want || f->cur_body_lost) {
        return;
    }
    const uint8_t *body;
    if (f->rec_len == 0) {
        body = cb->data ? cb->data + cb->idx : NULL;
    } else {
        flush_body(f, cb);
        body = f->rec;
    }
    size_t len = f->cur.length;
    if (f->cur_sslv2) {
        if (f->ev.on_sslv2) {
            f->ev.on_sslv2(f->user, f->cur.offset, body, len, f->cur.ts_us);
        }
    } else if (f->ev.on_body) {
        f->ev.on_body(f->user, &f->cur, body, len);
    }
}

static void start_record(struct tls_framer *f, struct chunk_body *cb, const uint8_t *data, size_t i)
{
    f->rec_len = 0;
    if (f->rec_alloc > TLS_REC_KEEP) {
        rec_release(f);
    }
    f->cur_body_lost = false;
    f->body_left = f->cur.length;
    cb->data = data;
    cb->idx = i;
    cb->len = 0;
    f->state = TLS_FR_BODY;
    if (f->body_left == 0) {
        f->state = TLS_FR_HEADER;
        body_complete(f, cb);
    }
}

/* A header failed validation. Before any good record this is the stream start (a mid-stream
 * pickup or not TLS at all); after one it is a framing desync inside the stream. */
static void header_failed(struct tls_framer *f, struct chunk_body *cb, uint64_t hdr_off)
{
    if (!f->has_good) {
        if (hdr_off == 0) {
            f->start_bytes_printable =
                printable(f->hdr, TLS_RECORD_HEADER_LEN) ? TLS_RECORD_HEADER_LEN : 0;
        }
        f->scan_at_start = true;
        f->scan_from_lookback = false;
        enter_scan(f, hdr_off);
        buf_append(&f->scan, &f->scan_len, &f->scan_alloc, f->hdr, TLS_RECORD_HEADER_LEN,
                   f->scan_cap);
        return;
    }
    f->desync_pending = true;
    memset(&f->desync, 0, sizeof(f->desync));
    f->desync.from = f->dir;
    f->desync.last_good_offset = f->cur.offset;
    f->desync.bad_offset = hdr_off;
    f->desync.ts_us = f->hdr_ts;
    bool whole = f->lookback_ok && !f->cur_body_lost && !f->cur_sslv2 &&
                 f->rec_len + cb->len == f->cur.length;
    f->scan_at_start = false;
    f->scan_from_lookback = whole;
    enter_scan(f, whole ? f->cur.offset + TLS_RECORD_HEADER_LEN : hdr_off);
    if (whole) {
        buf_append(&f->scan, &f->scan_len, &f->scan_alloc, f->rec, f->rec_len, f->scan_cap);
        if (cb->len > 0) {
            buf_append(&f->scan, &f->scan_len, &f->scan_alloc, cb->data + cb->idx, cb->len,
                       f->scan_cap);
        }
    }
    buf_append(&f->scan, &f->scan_len, &f->scan_alloc, f->hdr, TLS_RECORD_HEADER_LEN, f->scan_cap);
    cb->len = 0;
    f->rec_len = 0;
}

/* hdr: the header's bytes, f->hdr or the same bytes where they lie in the data. */
static void header_complete(struct tls_framer *f, struct chunk_body *cb, const uint8_t *data,
                            size_t i, const uint8_t *hdr)
{
    uint64_t hdr_off = f->pos - TLS_RECORD_HEADER_LEN;
    f->hdr_have = 0;
    bool at_start = f->stream_start;
    f->stream_start = false;
    struct cur hc = cur_make(hdr, TLS_RECORD_HEADER_LEN);
    struct rec_hdr h;
    bool whole = read_header(&hc, &h);
    assert(whole); /* hdr holds exactly TLS_RECORD_HEADER_LEN bytes */
    (void)whole;
    /* SSLv2-compatible CLIENT-HELLO (RFC 6101 appendix E.2; RFC 5246 appendix E.2): a 2-byte
     * header with the high bit set, msg_type 1, then the client's version (2.0 or 3.x). Only
     * ever the first bytes of a stream. The same 5 bytes read as a TLS header: */
    uint16_t v2_len = (uint16_t)(((h.type & 0x7f) << 8) | (h.version >> 8));
    uint8_t v2_msg_type = (uint8_t)h.version;
    bool v2_version = ((h.length >> 8) == 3 && (h.length & 0xff) <= 4) || h.length == 0x0002;
    if (at_start && hdr_off == 0 && (h.type & 0x80) && v2_msg_type == 1 && v2_version &&
        v2_len >= 3) {
        f->cur_sslv2 = true;
        f->cur.content_type = 0;
        f->cur.version = 0x0002;
        f->cur.length = v2_len;
        f->cur.offset = 0;
        f->cur.ts_us = f->hdr_ts;
        f->cur_want = true;
        f->lookback_ok = false;
        f->has_good = true;
        start_record(f, cb, data, i);
        /* Three bytes of the body were read as part of the 5-byte header; v2_len >= 3. */
        rec_append(f, f->hdr + 2, 3, TLS_REC_BUF_MAX);
        f->body_left -= 3;
        if (f->body_left == 0) {
            f->state = TLS_FR_HEADER;
            body_complete(f, cb);
        }
        return;
    }
    if (!header_valid(&h)) {
        header_failed(f, cb, hdr_off);
        return;
    }
    f->cur_sslv2 = false;
    f->cur.content_type = h.type;
    f->cur.version = h.version;
    f->cur.length = h.length;
    f->cur.offset = hdr_off;
    f->cur.ts_us = f->hdr_ts;
    f->has_good = true;
    bool oversized = f->cur.length > f->max_len;
    f->cur_want = f->ev.on_record ? f->ev.on_record(f->user, &f->cur, oversized) : false;
    f->lookback_ok = f->cur.length <= TLS_LOOKBACK_MAX;
    start_record(f, cb, data, i);
}

/* step: frames one chunk. Returns the bytes consumed, which is all of them unless a resync
 * succeeded and its window must be replayed first. */
static size_t step(struct tls_framer *f, const uint8_t *data, size_t len, int64_t ts_us)
{
    size_t i = 0;
    struct chunk_body cb = {data, 0, 0};
    while (i < len) {
        switch (f->state) {
        case TLS_FR_NOT_TLS:
            f->pos += len - i;
            return len;
        case TLS_FR_SCAN: {
            i += scan_feed(f, data + i, len - i);
            if (f->replay_pending) {
                return i;
            }
            break;
        }
        case TLS_FR_HEADER: {
            if (f->hdr_have == 0) {
                f->hdr_ts = ts_us;
            }
            size_t take = TLS_RECORD_HEADER_LEN - f->hdr_have;
            if (take > len - i) {
                take = len - i;
            }
            memcpy(f->hdr + f->hdr_have, data + i, take);
            f->hdr_have += take;
            f->pos += take;
            i += take;
            if (f->hdr_have == TLS_RECORD_HEADER_LEN) {
                /* A header wholly in this chunk is read where it lies: f->hdr was just written
                 * with a 4-byte and a 1-byte store, and its 2-byte fields read back across them
                 * cannot be forwarded (a stall that was half of this function's time). */
                header_complete(f, &cb, data, i,
                                take == TLS_RECORD_HEADER_LEN ? data + i - take : f->hdr);
            }
            break;
        }
        case TLS_FR_BODY: {
            size_t take = f->body_left < len - i ? f->body_left : len - i;
            if (cb.len == 0) {
                cb.data = data;
                cb.idx = i;
            }
            cb.len += take;
            i += take;
            f->pos += take;
            f->body_left -= take;
            if (f->body_left == 0) {
                f->state = TLS_FR_HEADER;
                body_complete(f, &cb);
            }
            break;
        }
        }
    }
    if (f->has_good && (f->state == TLS_FR_BODY || f->state == TLS_FR_HEADER)) {
        flush_body(f, &cb);
    }
    return i;
}

static void run_replay(struct tls_framer *f, int64_t ts_us)
{
    /* The replay buffer is owned here for the duration of the step; a resync inside it fills
     * the (emptied) scan buffer, never this one. */
    uint8_t *buf = f->replay;
    size_t len = f->replay_len, alloc = f->replay_alloc;
    f->replay = NULL;
    f->replay_len = f->replay_alloc = 0;
    f->replay_pending = false;
    size_t used = step(f, buf, len, ts_us);
    /* A nested resync's window is a suffix of this buffer, which fits scan_cap, so the scan
     * consumed everything before succeeding. */
    assert(used == len);
    (void)used;
    if (f->replay == NULL) {
        f->replay = buf;
        f->replay_alloc = alloc;
    } else {
        g_free(buf);
    }
}

void tls_framer_data(struct tls_framer *f, uint64_t offset, const uint8_t *data, size_t len,
                     int64_t ts_us)
{
    if (len == 0) {
        return;
    }
    if (offset > f->pos) {
        tls_framer_gap(f, f->pos, offset - f->pos, ts_us);
    } else if (offset < f->pos) {
        uint64_t old = f->pos - offset;
        if (old >= len) {
            return;
        }
        data += old;
        len -= (size_t)old;
    }
    f->gap_at_end = false;
    while (len > 0 || f->replay_pending) {
        if (f->replay_pending) {
            run_replay(f, ts_us);
            continue;
        }
        size_t used = step(f, data, len, ts_us);
        data += used;
        len -= used;
    }
    if (f->state != TLS_FR_SCAN && f->scan_alloc > 0 && !f->replay_pending) {
        release_scan(f);
    }
}

static void resync_after_gap(struct tls_framer *f, uint64_t expected_hdr, uint64_t resume,
                             int64_t ts_us)
{
    if (!f->desync_pending) {
        f->desync_pending = true;
        memset(&f->desync, 0, sizeof(f->desync));
        f->desync.from = f->dir;
        f->desync.after_gap = true;
        f->desync.last_good_offset = f->cur.offset;
        f->desync.bad_offset = expected_hdr;
        f->desync.ts_us = ts_us;
    }
    f->scan_at_start = false;
    f->scan_from_lookback = false;
    f->hdr_have = 0;
    enter_scan(f, resume);
}

void tls_framer_gap(struct tls_framer *f, uint64_t offset, uint64_t len, int64_t ts_us)
{
    if (offset > f->pos) {
        len += offset - f->pos;
        offset = f->pos;
    } else if (offset < f->pos) {
        uint64_t old = f->pos - offset;
        if (old >= len) {
            return;
        }
        len -= old;
        offset = f->pos;
    }
    if (len == 0) {
        return;
    }
    uint64_t end = offset + len;
    f->pos = end;
    f->gap_at_end = true;
    f->stream_start = false;
    switch (f->state) {
    case TLS_FR_NOT_TLS:
        return;
    case TLS_FR_SCAN:
        /* A chain cannot span bytes nobody saw. */
        f->scan_len = 0;
        f->scan_off = end;
        f->scan_from_lookback = false;
        return;
    case TLS_FR_HEADER:
        if (!f->has_good) {
            f->scan_at_start = true;
            f->hdr_have = 0;
            enter_scan(f, end);
            return;
        }
        resync_after_gap(f, offset - f->hdr_have, end, ts_us);
        return;
    case TLS_FR_BODY:
        if (f->cur_want && !f->cur_body_lost && f->ev.on_body_lost) {
            f->ev.on_body_lost(f->user, &f->cur);
        }
        f->cur_body_lost = true;
        f->lookback_ok = false;
        f->rec_len = 0;
        if (len <= f->body_left) {
            /* The gap ends inside (or exactly at the end of) the body: the next header's offset
             * is still known, so framing simply goes on. */
            f->body_left -= (size_t)len;
            if (f->body_left == 0) {
                f->state = TLS_FR_HEADER;
            }
            return;
        }
        resync_after_gap(f, f->cur.offset + TLS_RECORD_HEADER_LEN + f->cur.length, end, ts_us);
        return;
    }
}

/* The stream ended inside a record body. Usually the capture simply stopped; but when the
 * sender lost bytes of its last long record (the short write again), the records it sent after
 * it are already inside the body the framer is waiting for. A chain of headers that runs exactly
 * to the end of the stream from inside that body is that case; anything else is left alone. */
static void finish_inside_body(struct tls_framer *f)
{
    if (f->state != TLS_FR_BODY || !f->lookback_ok || f->cur_body_lost || f->cur_sslv2 ||
        f->gap_at_end || f->rec_len != (size_t)f->cur.length - f->body_left) {
        return;
    }
    for (size_t p = 0; p < f->rec_len; p++) {
        if (chain_check(f, f->rec + p, f->rec_len - p, true) != CHAIN_YES) {
            continue;
        }
        f->desync_pending = true;
        memset(&f->desync, 0, sizeof(f->desync));
        f->desync.from = f->dir;
        f->desync.last_good_offset = f->cur.offset;
        f->desync.bad_offset = f->cur.offset + TLS_RECORD_HEADER_LEN + f->cur.length;
        f->desync.ts_us = f->cur.ts_us;
        f->scan_at_start = false;
        f->scan_from_lookback = true;
        enter_scan(f, f->cur.offset + TLS_RECORD_HEADER_LEN);
        buf_append(&f->scan, &f->scan_len, &f->scan_alloc, f->rec, f->rec_len, f->scan_cap);
        f->rec_len = 0;
        return;
    }
}

void tls_framer_finish(struct tls_framer *f)
{
    finish_inside_body(f);
    while (f->state == TLS_FR_SCAN) {
        if (!try_scan(f, true)) {
            break;
        }
        while (f->replay_pending) {
            run_replay(f, 0);
        }
    }
    if (f->state == TLS_FR_SCAN && f->scan_at_start && !f->has_good && f->scan_len > 0) {
        become_not_tls(f);
    }
    if (f->desync_pending) {
        f->desync.resynced = false;
        f->desync.resync_offset = 0;
        f->desync.skipped_bytes = f->pos > f->desync.bad_offset ? f->pos - f->desync.bad_offset : 0;
        f->desync_pending = false;
        if (f->ev.on_desync) {
            f->ev.on_desync(f->user, &f->desync);
        }
    }
    release_scan(f);
}

bool tls_framer_at_boundary(const struct tls_framer *f)
{
    return f->has_good && f->state == TLS_FR_HEADER && f->hdr_have == 0 && !f->gap_at_end;
}
