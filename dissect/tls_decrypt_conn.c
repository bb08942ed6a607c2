/* Decrypting a connection's alert records: the randoms that find its secrets in the key log,
 * each direction's record count (the AEAD sequence number), and the last few records small
 * enough to be an alert, kept whole. At the end the alerts among them are opened with the keys
 * (tls_crypto.c); an alert that authenticates is exact. Application data is never kept: only
 * records of at most TLS_DEC_MAX_BODY bytes, and only the last few of each direction. */
#include <string.h>

#include "tls_crypto.h"
#include "tls_decrypt_internal.h"
#include "tls_keylog.h"
#include "tls_shared_internal.h"

/* An alert is 2 bytes: with TLS 1.3's inner type, some padding and a 16-byte tag, or TLS 1.2's
 * explicit nonce and tag, it stays far below this. */
#define TLS_DEC_MAX_BODY 64
#define TLS_DEC_KEPT 6 /* per direction, the most recent */

struct dec_rec {
    bool used;
    uint64_t idx; /* records of its direction before it, since the keys changed */
    uint64_t offset;
    uint8_t hdr[5];
    uint16_t len;
    uint8_t body[TLS_DEC_MAX_BODY];
};

/* The keys of one direction: TLS 1.3 has two epochs that carry alerts (handshake, then
 * application traffic); TLS <= 1.2 one after the ChangeCipherSpec. */
struct dir_keys {
    bool have[2];
    struct tls_record_keys k[2]; /* [0] handshake (TLS 1.3) or the only epoch, [1] application */
};

struct tls_dec {
    uint8_t client_random[32], server_random[32];
    bool have_client, have_server;
    bool counting[2];
    uint64_t count[2];
    unsigned next[2];
    struct dec_rec recs[2][TLS_DEC_KEPT];
    bool want[2]; /* the body of the record just counted is wanted */
    uint64_t want_idx[2];
    /* Verification of every record: keys derived once, at the first record that needs them. */
    bool keys_tried, keys_ok;
    uint64_t keys_tried_size; /* secrets in the key log at the last try: live, keys come later */
    bool unkeyed[2];          /* records of the side passed before its keys were known */
    enum tls_decryption_why keys_why;
    struct dir_keys dk[2]; /* by direction */
    bool stopped[2], failed[2];
    bool app_epoch[2];      /* TLS 1.3: the direction moved to its application keys */
    uint64_t epoch_base[2]; /* TLS 1.3: the index of that epoch's first record */
};

static struct tls_dec *dec_of(const struct tls_conn *c, bool create)
{
    struct tls_shared *sh = c->cfg.shared;
    if (!sh || !sh->keylog) {
        return NULL;
    }
    struct tls_dec *d = g_hash_table_lookup(sh->dec_states, c);
    if (!d && create) {
        d = g_new0(struct tls_dec, 1);
        g_hash_table_insert(sh->dec_states, (gpointer)c, d);
    }
    return d;
}

bool tls_dec_wanted(const struct tls_conn *c)
{
    return c->cfg.shared && c->cfg.shared->keylog;
}

void tls_dec_client_random(struct tls_conn *c, const uint8_t random[32])
{
    struct tls_dec *d = dec_of(c, true);
    if (d) {
        memcpy(d->client_random, random, 32);
        d->have_client = true;
    }
}

void tls_dec_server_random(struct tls_conn *c, const uint8_t random[32])
{
    struct tls_dec *d = dec_of(c, true);
    if (d) {
        memcpy(d->server_random, random, 32);
        d->have_server = true;
    }
}

bool tls_dec_record(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec,
                    bool ccs)
{
    struct tls_dec *d = dec_of(c, false);
    if (!d) {
        return false;
    }
    if (ccs) {
        d->counting[dir] = true; /* the next record is sequence number 0 (RFC 5246 §6.1) */
        d->count[dir] = 0;
        d->want[dir] = false;
        return false;
    }
    if (!d->counting[dir] && !c->tls13) {
        return false;
    }
    uint64_t idx = d->count[dir]++;
    /* Every record is wanted while its direction can be verified; only records small enough
     * to be an alert once it cannot. */
    bool verifiable = !d->stopped[dir] && !d->failed[dir] && !(d->keys_tried && !d->keys_ok);
    d->want[dir] = verifiable || rec->length <= TLS_DEC_MAX_BODY;
    d->want_idx[dir] = idx;
    return d->want[dir];
}

static bool derive_keys(const struct tls_conn *c, struct tls_dec *d);
static void verify(struct tls_conn *c, struct tls_dec *d, enum cap_dir dir,
                   const struct tls_record_info *rec, const uint8_t *body, size_t len);

void tls_dec_body(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec,
                  const uint8_t *body, size_t len)
{
    struct tls_dec *d = dec_of(c, false);
    if (!d || !d->want[dir] || len != rec->length) {
        return;
    }
    d->want[dir] = false;
    verify(c, d, dir, rec, body, len);
    if (len > TLS_DEC_MAX_BODY) {
        return;
    }
    struct dec_rec *r = &d->recs[dir][d->next[dir]++ % TLS_DEC_KEPT];
    r->used = true;
    r->idx = d->want_idx[dir];
    r->offset = rec->offset;
    r->hdr[0] = rec->content_type;
    r->hdr[1] = (uint8_t)(rec->version >> 8);
    r->hdr[2] = (uint8_t)rec->version;
    r->hdr[3] = (uint8_t)(rec->length >> 8);
    r->hdr[4] = (uint8_t)rec->length;
    r->len = (uint16_t)len;
    memcpy(r->body, body, len);
}

static const struct dec_rec *kept_at(const struct tls_dec *d, enum cap_dir dir, uint64_t offset)
{
    for (unsigned i = 0; i < TLS_DEC_KEPT; i++) {
        if (d->recs[dir][i].used && d->recs[dir][i].offset == offset) {
            return &d->recs[dir][i];
        }
    }
    return NULL;
}

static bool open_alert(const struct tls_conn *c, const struct dir_keys *dk, const struct dec_rec *r,
                       uint8_t *level, uint8_t *desc)
{
    uint8_t out[TLS_DEC_MAX_BODY];
    size_t out_len = 0;
    uint8_t inner = 0;
    /* TLS 1.3 does not say on the wire where the handshake epoch ends (the Finished is
     * encrypted), so the application epoch's sequence number is tried for each plausible
     * count of handshake records before it; a wrong guess fails the tag (2^-128 to pass). */
    for (int e = 0; e < 2; e++) {
        if (!dk->have[e]) {
            continue;
        }
        unsigned tries = c->tls13 && e == 1 ? 8 : 1;
        for (unsigned h = c->tls13 && e == 1 ? 1 : 0; h <= tries && h <= r->idx; h++) {
            uint64_t seq = r->idx - h;
            if (tls_record_open(&dk->k[e], seq, r->hdr, r->body, r->len, out, sizeof(out), &out_len,
                                &inner) &&
                inner == TLS_CT_ALERT && out_len >= 2) {
                *level = out[0];
                *desc = out[1];
                return true;
            }
            if (!c->tls13) {
                break;
            }
        }
    }
    return false;
}

static bool keys13(const struct tls_keylog *kl, const struct tls_dec *d, uint16_t suite,
                   enum tls_secret_kind hs, enum tls_secret_kind ap, struct dir_keys *out)
{
    size_t len = 0;
    const uint8_t *s = tls_keylog_find(kl, d->client_random, hs, &len);
    out->have[0] = s && tls13_traffic_keys(suite, s, len, &out->k[0]);
    s = tls_keylog_find(kl, d->client_random, ap, &len);
    out->have[1] = s && tls13_traffic_keys(suite, s, len, &out->k[1]);
    return out->have[0] || out->have[1];
}

/* The keys of both directions, looked up once (the key log is complete by the first
 * encrypted record offline; live, a connection whose keys come later is read at its end). */
static bool derive_keys(const struct tls_conn *c, struct tls_dec *d)
{
    const struct tls_keylog *kl = c->cfg.shared->keylog;
    if (d->keys_tried && (d->keys_ok || tls_keylog_size(kl) == d->keys_tried_size)) {
        return d->keys_ok;
    }
    d->keys_tried = true;
    d->keys_tried_size = tls_keylog_size(kl);
    const struct tls_summary *s = &c->sum;
    if (!d->have_client || !s->cipher_known) {
        d->keys_why = TLS_DECRYPT_WHY_NO_HELLO;
        return false;
    }
    if (!tls_suite_supported(s->cipher, s->version)) {
        d->keys_why = TLS_DECRYPT_WHY_SUITE;
        return false;
    }
    enum cap_dir client = s->client_hello_dir;
    enum cap_dir server = client == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
    bool have;
    if (c->tls13) {
        have = keys13(kl, d, s->cipher, TLS_SK_CLIENT_HS, TLS_SK_CLIENT_AP0, &d->dk[client]);
        have |= keys13(kl, d, s->cipher, TLS_SK_SERVER_HS, TLS_SK_SERVER_AP0, &d->dk[server]);
    } else {
        size_t len = 0;
        const uint8_t *ms = tls_keylog_find(kl, d->client_random, TLS_SK_MASTER, &len);
        have = ms && len == 48 && d->have_server &&
               tls12_keys(s->cipher, s->version, ms, d->client_random, d->server_random,
                          &d->dk[client].k[0], &d->dk[server].k[0]);
        d->dk[client].have[0] = d->dk[server].have[0] = have;
    }
    d->keys_ok = have;
    d->keys_why = have ? TLS_DECRYPT_WHY_NONE : TLS_DECRYPT_WHY_NO_KEYS;
    return have;
}

static bool open_at(const struct tls_conn *c, const struct tls_record_keys *k, uint64_t seq,
                    const struct tls_record_info *rec, const uint8_t *body, size_t len)
{
    uint8_t hdr[5] = {rec->content_type, (uint8_t)(rec->version >> 8), (uint8_t)rec->version,
                      (uint8_t)(rec->length >> 8), (uint8_t)rec->length};
    size_t out_len = 0;
    uint8_t inner = 0;
    return tls_record_open(k, seq, hdr, body, len, c->cfg.shared->dec_scratch, TLS_DEC_SCRATCH,
                           &out_len, &inner);
}

/* Each record's tag is checked as it arrives, with its sequence number in its epoch; the
 * plaintext is dropped at once. The first record that fails is kept in the summary, and its
 * direction is not checked further (its receiver stopped there too). */
static void verify(struct tls_conn *c, struct tls_dec *d, enum cap_dir dir,
                   const struct tls_record_info *rec, const uint8_t *body, size_t len)
{
    struct tls_summary *s = &c->sum;
    if (d->stopped[dir] || d->failed[dir] || d->unkeyed[dir]) {
        return;
    }
    if (!derive_keys(c, d)) {
        /* Its sequence numbers are known, but where a TLS 1.3 epoch began would not be: once a
         * record went by unchecked, the side's later records are not checked (its alerts are,
         * at the end, if the keys came by then). */
        d->unkeyed[dir] = true;
        return;
    }
    if (c->tls13 && s->early_data_offered && dir == s->client_hello_dir) {
        d->stopped[dir] = true; /* 0-RTT records use early secrets this version does not read */
        return;
    }
    const struct dir_keys *dk = &d->dk[dir];
    uint64_t idx = d->want_idx[dir];
    bool ok = false;
    if (!c->tls13) {
        if (!dk->have[0]) {
            return;
        }
        ok = open_at(c, &dk->k[0], idx, rec, body, len);
    } else if (d->app_epoch[dir]) {
        ok = dk->have[1] && open_at(c, &dk->k[1], idx - d->epoch_base[dir], rec, body, len);
    } else {
        ok = dk->have[0] && open_at(c, &dk->k[0], idx, rec, body, len);
        if (!ok && dk->have[1] && open_at(c, &dk->k[1], 0, rec, body, len)) {
            ok = true; /* the first record under the application keys */
            d->app_epoch[dir] = true;
            d->epoch_base[dir] = idx;
        }
        if (!ok && !dk->have[0]) {
            return; /* a handshake record without the handshake secret: not checkable */
        }
    }
    if (ok) {
        s->records_verified[dir]++;
        return;
    }
    d->failed[dir] = true;
    s->auth_fail_offset[dir] = rec->offset;
    s->auth_fail_ts_us[dir] = rec->ts_us;
    s->auth_fail_len[dir] = rec->length;
}

void tls_dec_stop(struct tls_conn *c, enum cap_dir dir)
{
    struct tls_dec *d = dec_of(c, false);
    if (d) {
        d->stopped[dir] = true;
    }
}

void tls_dec_alerts(struct tls_conn *c)
{
    struct tls_dec *d = dec_of(c, false);
    struct tls_summary *s = &c->sum;
    if (!tls_dec_wanted(c) || !s->is_tls) {
        return;
    }
    s->decryption = TLS_DECRYPT_NONE;
    if (!d) {
        s->decryption_why = TLS_DECRYPT_WHY_NO_HELLO;
        return;
    }
    if (!derive_keys(c, d)) {
        s->decryption_why = d->keys_why;
        return;
    }
    const struct dir_keys *dk = d->dk;
    unsigned failed = 0;
    for (uint32_t i = 0; i < MIN(s->num_alerts, (uint32_t)TLS_MAX_ALERTS); i++) {
        struct tls_alert *a = &s->alerts[i];
        if (!a->encrypted) {
            continue;
        }
        const struct dec_rec *r = kept_at(d, a->from, a->offset);
        uint8_t level, desc;
        if (r && open_alert(c, &dk[a->from], r, &level, &desc)) {
            a->decrypted = true;
            a->level = level;
            a->description = desc;
        } else {
            failed++;
        }
    }
    bool mismatch = false, auth_failed = false, lost = false, any = false;
    any = s->records_verified[0] > 0 || s->records_verified[1] > 0;
    for (int dir = 0; dir < 2; dir++) {
        /* No record of either side authenticated: keys that do not fit this connection, not
         * a damaged record. When the other side's did, the keys fit and this first record (a
         * Finished, say) was damaged. */
        if (d->failed[dir] && !any) {
            mismatch = true;
            s->auth_fail_len[dir] = 0;
        }
        auth_failed |= s->auth_fail_len[dir] > 0;
        lost |= d->stopped[dir] || d->unkeyed[dir];
    }
    if (mismatch && !any) {
        s->decryption = TLS_DECRYPT_NONE;
        s->decryption_why = TLS_DECRYPT_WHY_MISMATCH;
    } else if (auth_failed) {
        s->decryption = TLS_DECRYPT_PARTIAL;
        s->decryption_why = TLS_DECRYPT_WHY_AUTH_FAILED;
    } else if (lost || mismatch || failed > 0 || !any) {
        s->decryption = TLS_DECRYPT_PARTIAL;
        s->decryption_why = failed > 0 ? TLS_DECRYPT_WHY_ALERT_FAILED
                            : any      ? TLS_DECRYPT_WHY_CHAIN_LOST
                                       : TLS_DECRYPT_WHY_ALERTS;
    } else {
        s->decryption = TLS_DECRYPT_FULL;
        s->decryption_why = TLS_DECRYPT_WHY_VERIFIED;
    }
}

void tls_dec_swap_dirs(struct tls_conn *c)
{
    struct tls_dec *d = dec_of(c, false);
    if (!d) {
        return;
    }
    struct tls_dec t = *d;
    d->counting[0] = t.counting[1], d->counting[1] = t.counting[0];
    d->count[0] = t.count[1], d->count[1] = t.count[0];
    d->next[0] = t.next[1], d->next[1] = t.next[0];
    d->want[0] = t.want[1], d->want[1] = t.want[0];
    d->want_idx[0] = t.want_idx[1], d->want_idx[1] = t.want_idx[0];
    memcpy(d->recs[0], t.recs[1], sizeof(d->recs[0]));
    memcpy(d->recs[1], t.recs[0], sizeof(d->recs[1]));
    d->dk[0] = t.dk[1], d->dk[1] = t.dk[0];
    d->stopped[0] = t.stopped[1], d->stopped[1] = t.stopped[0];
    d->failed[0] = t.failed[1], d->failed[1] = t.failed[0];
    d->app_epoch[0] = t.app_epoch[1], d->app_epoch[1] = t.app_epoch[0];
    d->epoch_base[0] = t.epoch_base[1], d->epoch_base[1] = t.epoch_base[0];
    struct tls_summary *s = &c->sum;
    uint64_t v = s->records_verified[0], o = s->auth_fail_offset[0];
    int64_t ts = s->auth_fail_ts_us[0];
    uint16_t l = s->auth_fail_len[0];
    s->records_verified[0] = s->records_verified[1], s->records_verified[1] = v;
    s->auth_fail_offset[0] = s->auth_fail_offset[1], s->auth_fail_offset[1] = o;
    s->auth_fail_ts_us[0] = s->auth_fail_ts_us[1], s->auth_fail_ts_us[1] = ts;
    s->auth_fail_len[0] = s->auth_fail_len[1], s->auth_fail_len[1] = l;
}

const char *tls_decryption_name(enum tls_decryption d)
{
    switch (d) {
    case TLS_DECRYPT_NONE:
        return "none";
    case TLS_DECRYPT_PARTIAL:
        return "partial";
    case TLS_DECRYPT_FULL:
        return "full";
    }
    return "none";
}

const char *tls_decryption_why_text(enum tls_decryption_why w)
{
    switch (w) {
    case TLS_DECRYPT_WHY_NONE:
        return NULL;
    case TLS_DECRYPT_WHY_NO_HELLO:
        return "no ClientHello and ServerHello to find the keys by";
    case TLS_DECRYPT_WHY_SUITE:
        return "a cipher suite this version does not decrypt";
    case TLS_DECRYPT_WHY_NO_KEYS:
        return "the key log has no secret for this connection";
    case TLS_DECRYPT_WHY_ALERTS:
        return "alert records decrypted and authenticated; the other records went by before the "
               "keys were known";
    case TLS_DECRYPT_WHY_VERIFIED:
        return "every record authenticated with the key log's keys";
    case TLS_DECRYPT_WHY_AUTH_FAILED:
        return "records authenticated until one did not (see record_auth_failed)";
    case TLS_DECRYPT_WHY_MISMATCH:
        return "keys found, but no record authenticated with them: keys of another connection "
               "or run, or every record checked was damaged (too few records to tell)";
    case TLS_DECRYPT_WHY_CHAIN_LOST:
        return "records authenticated until the record chain was lost (a gap or a framing "
               "break); the rest could not be checked";
    case TLS_DECRYPT_WHY_ALERT_FAILED:
        return "keys found, but an alert record did not authenticate with them (keys that do not "
               "fit, or a record damaged before this capture point)";
    }
    return NULL;
}

void tls_dec_release(struct tls_conn *c)
{
    struct tls_shared *sh = c->cfg.shared;
    if (sh && sh->dec_states) {
        g_hash_table_remove(sh->dec_states, c);
    }
}
