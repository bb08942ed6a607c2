/* The TLS state of one connection: drives one record framer and one handshake reassembler per
 * direction, calls the message decoders, and builds the tls_summary (versions, cipher, SNI,
 * ALPN, Zeek-style history, handshake kind, resumption offer and outcome, alerts, desyncs,
 * fingerprints). Close-time inferences live in tls_close.c.
 *
 * What a passive observer cannot see is left alone, not guessed: TLS 1.3 encrypts everything
 * after the ServerHello (certificates, tickets, Finished), and a TLS <= 1.2 renegotiation runs
 * inside the encrypted channel: what shows is a plaintext second ClientHello (never, after a real
 * cipher) or an encrypted handshake record from the client after both Finished, whose contents
 * stay unknown. */
#include <string.h>

#include <glib.h>

#include "dissect_hints.h"
#include "prefetch.h"
#include "spare_list.h"
#include "tls_conn_internal.h"
#include "tls_decrypt_internal.h"
#include "tls_decode_internal.h"
#include "tls_shared_internal.h"

#define TLS_VERSION_13 0x0304
#define TLS_CIPHER_AES_128_CCM_8 0x1305 /* RFC 8446 appendix B.4 */

static bool on_record(void *user, const struct tls_record_info *rec, bool oversized);
static void on_body(void *user, const struct tls_record_info *rec, const uint8_t *body, size_t len);
static void on_body_lost(void *user, const struct tls_record_info *rec);
static void on_sslv2(void *user, uint64_t offset, const uint8_t *record, size_t len, int64_t ts_us);
static void on_desync(void *user, const struct tls_desync *d);

static const struct tls_framer_events FRAMER_EVENTS = {
    .on_record = on_record,
    .on_body = on_body,
    .on_body_lost = on_body_lost,
    .on_sslv2 = on_sslv2,
    .on_desync = on_desync,
};

uint16_t tls_alert_record_len13(uint16_t cipher)
{
    /* TLSInnerPlaintext: 2 alert bytes + 1 content type, plus the AEAD tag: 16 bytes for GCM,
     * ChaCha20-Poly1305 and CCM, 8 for CCM_8 (RFC 8446 §5.2, RFC 6655). */
    return cipher == TLS_CIPHER_AES_128_CCM_8 ? 2 + 1 + 8 : 2 + 1 + 16;
}

struct tls_conn *tls_conn_new(const struct tls_config *cfg)
{
    struct tls_conn *c = cfg && cfg->shared ? spare_list_take(&cfg->shared->conn_spares)
                                            : g_new0(struct tls_conn, 1);
    if (cfg) {
        c->cfg = *cfg;
    } else {
        tls_config_defaults(&c->cfg);
    }
    for (int d = 0; d < 2; d++) {
        c->ctx[d].conn = c;
        c->ctx[d].dir = (enum cap_dir)d;
        tls_framer_init(&c->fr[d], (enum cap_dir)d, &c->cfg, &FRAMER_EVENTS, &c->ctx[d]);
        tls_hs_init(&c->hs[d], c->cfg.max_handshake_msg);
        c->ds[d].last_alert = -1;
    }
    c->sum.client_hello_dir = CAP_DIR_CLIENT;
    return c;
}

size_t tls_conn_mem_bytes(const struct tls_conn *c)
{
    size_t n = sizeof(*c) + (c->sum.cert ? sizeof(*c->sum.cert) : 0) +
               (c->sum.alpn ? TLS_MAX_ALPN * TLS_MAX_ALPN_LEN : 0) +
               (c->sum.desyncs ? TLS_MAX_DESYNCS * sizeof(struct tls_desync) : 0);
    for (int d = 0; d < 2; d++) {
        n += c->fr[d].rec_alloc + c->fr[d].scan_alloc + c->fr[d].replay_alloc;
        n += c->hs[d].buf_alloc;
        n += c->pre[d].head ? TLS_PRELUDE_KEEP : 0;
    }
    return n;
}

void tls_conn_trim(struct tls_conn *c)
{
    if (c->finished_called) {
        return;
    }
    for (int d = 0; d < 2; d++) {
        tls_framer_trim(&c->fr[d]);
        if (tls_hs_idle(&c->hs[d])) {
            tls_hs_cleanup(&c->hs[d]);
        }
    }
}

/* The prefetchers stay out of line, even under link-time optimisation: e2e_prefetch reads their
 * code to check the loops survived compilation (a call per packet, as before LTO). */
G_GNUC_NO_INLINE void tls_conn_prefetch(const struct tls_conn *c)
{
    /* All of it: finishing reads the framers and the summary, and the block goes back to the
     * spare list, where the next connection's memset takes it. */
    prefetch_block(c, sizeof(*c));
}

G_GNUC_NO_INLINE void tls_conn_prefetch_summary(const struct tls_conn *c)
{
    if (c == NULL) {
        return;
    }
    prefetch_block(c->sum.cert, c->sum.cert ? sizeof(*c->sum.cert) : 0);
    prefetch_block(c->sum.alpn, c->sum.alpn ? sizeof(*c->sum.alpn) * c->sum.num_alpn : 0);
    prefetch_block(c->sum.desyncs, c->sum.desyncs
                                       ? sizeof(*c->sum.desyncs) *
                                             MIN(c->sum.num_desyncs, (uint32_t)TLS_MAX_DESYNCS)
                                       : 0);
}

G_GNUC_NO_INLINE void tls_conn_prefetch_data(const struct tls_conn *c, enum cap_dir dir)
{
    if (c == NULL) {
        return;
    }
    /* What every data event reads: the flags that gate it, the direction's framer, and the
     * counters each record updates. */
    prefetch_block(&c->fr[dir], sizeof(c->fr[dir]));
    prefetch_block(&c->sum.dir[dir], 64);
    prefetch_block(&c->ds[dir], sizeof(c->ds[dir]));
    prefetch_block(&c->hs[dir], sizeof(c->hs[dir]));
    prefetch_block(&c->pre[dir], sizeof(c->pre[dir]));
    __builtin_prefetch(&c->sum.not_tls);
    __builtin_prefetch(&c->finished_called);
}

void tls_conn_free(struct tls_conn *c)
{
    if (!c) {
        return;
    }
    for (int d = 0; d < 2; d++) {
        tls_framer_cleanup(&c->fr[d]);
        tls_hs_cleanup(&c->hs[d]);
        g_free(c->pre[d].head);
    }
    g_free(c->sum.cert);
    g_free(c->sum.alpn);
    g_free(c->sum.desyncs);
    tls_dec_release(c);
    if (c->cfg.shared) {
        spare_list_give(&c->cfg.shared->conn_spares, c);
    } else {
        g_free(c);
    }
}

void tls_conn_spares_init(struct spare_list *s, unsigned max)
{
    spare_list_init(s, sizeof(struct tls_conn), max);
}

static bool is_client(const struct tls_conn *c, enum cap_dir dir)
{
    return c->sum.client_hello_seen ? dir == c->sum.client_hello_dir : dir == CAP_DIR_CLIENT;
}

static enum cap_dir server_dir(const struct tls_conn *c)
{
    return c->sum.client_hello_dir == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
}

void tls_conn_add_history(struct tls_conn *c, enum cap_dir dir, char letter)
{
    size_t n = strlen(c->sum.history);
    if (n >= TLS_MAX_HISTORY) {
        return;
    }
    c->sum.history[n] = is_client(c, dir) ? g_ascii_toupper(letter) : g_ascii_tolower(letter);
    c->sum.history[n + 1] = '\0';
}

int32_t tls_conn_add_alert(struct tls_conn *c, const struct tls_alert *a)
{
    uint32_t i = c->sum.num_alerts++;
    if (i >= TLS_MAX_ALERTS) {
        return -1;
    }
    struct tls_alert *k = &c->sum.alerts[i];
    *k = *a;
    /* The evidence of the record that carries it, taken when that record began; what follows
     * it is added at close (tls_alert_verdicts). */
    const struct tls_dir_state *ds = &c->ds[a->from];
    k->verdict = a->encrypted ? TLS_AV_UNKNOWN : TLS_AV_EXACT;
    k->confidence = a->encrypted ? TLS_CONF_LOW : TLS_CONF_HIGH;
    k->in_handshake = c->sum.client_hello_seen && !c->hs_complete;
    k->acks_known = ds->last_acks_known;
    k->acked_peer = ds->last_acked_peer;
    k->peer_acked = ds->last_peer_acked;
    k->peer_mid_record = ds->last_peer_mid;
    k->answers_alert = ds->last_answers_alert;
    /* As the record began: a TLS 1.3 alert found at close would otherwise count the server's
     * tickets that followed it as application data. */
    k->before_app_data = ds->last_before_app_data;
    return (int32_t)i;
}

void tls_conn_peer_acked(struct tls_conn *c, enum cap_dir dir, uint64_t offset)
{
    if (c->sum.not_tls || c->finished_called) {
        return;
    }
    c->ds[dir].acked_known = true;
    c->ds[dir].acked_all = offset >= c->fr[dir].pos;
}

bool tls_alert_sized(const struct tls_conn *c, const struct tls_record_info *rec)
{
    if (rec->content_type == TLS_CT_ALERT) {
        return true;
    }
    return c->tls13 && rec->content_type == TLS_CT_APPLICATION_DATA &&
           rec->length == tls_alert_record_len13(c->sum.cipher);
}

/* Zeek's ssl_history letters (scripts/base/protocols/ssl/main.zeek), lower case here. */
static char history_letter(uint8_t type)
{
    switch (type) {
    case TLS_HT_HELLO_REQUEST:
        return 'h';
    case TLS_HT_CLIENT_HELLO:
        return 'c';
    case TLS_HT_SERVER_HELLO:
        return 's';
    case 3: /* hello_verify_request (DTLS) */
        return 'v';
    case TLS_HT_NEW_SESSION_TICKET:
        return 't';
    case TLS_HT_END_OF_EARLY_DATA:
        return 'e';
    case 6: /* hello_retry_request (draft TLS 1.3) */
        return 'j';
    case TLS_HT_ENCRYPTED_EXTENSIONS:
        return 'o';
    case TLS_HT_CERTIFICATE:
        return 'x';
    case TLS_HT_SERVER_KEY_EXCHANGE:
        return 'k';
    case TLS_HT_CERTIFICATE_REQUEST:
        return 'r';
    case TLS_HT_SERVER_HELLO_DONE:
        return 'n';
    case TLS_HT_CERTIFICATE_VERIFY:
        return 'y';
    case TLS_HT_CLIENT_KEY_EXCHANGE:
        return 'g';
    case TLS_HT_FINISHED:
        return 'f';
    case 21: /* certificate_url */
        return 'w';
    case TLS_HT_CERTIFICATE_STATUS:
        return 'u';
    case 23: /* supplemental_data */
        return 'a';
    case TLS_HT_KEY_UPDATE:
        return 'p';
    case 254: /* message_hash */
        return 'm';
    default:
        return 'z';
    }
}

static void decide_resumption(struct tls_conn *c, enum tls_resumption_outcome o)
{
    if (c->sum.offered && c->sum.resumption == TLS_RESUME_NONE) {
        c->sum.resumption = o;
    }
}

static void free_handshake_buffers(struct tls_conn *c)
{
    for (int d = 0; d < 2; d++) {
        if (tls_hs_idle(&c->hs[d])) {
            tls_hs_cleanup(&c->hs[d]);
        }
    }
}

static void handshake_done(struct tls_conn *c, int64_t ts_us)
{
    if (c->hs_complete) {
        return;
    }
    c->hs_complete = true;
    c->sum.handshake_end_us = ts_us;
    free_handshake_buffers(c);
}

/* TLS <= 1.2: complete once both sides' Finished went by. */
static void check_complete12(struct tls_conn *c, int64_t ts_us)
{
    if (c->sum.server_hello_seen && c->ds[0].finished && c->ds[1].finished) {
        handshake_done(c, ts_us);
    }
}

static void handle_client_hello(struct tls_conn *c, enum cap_dir dir,
                                const struct tls_client_hello *ch, int64_t ts_us)
{
    struct tls_summary *s = &c->sum;
    s->client_hello_seen = true;
    s->client_hello_dir = dir;
    s->is_tls = true;
    s->not_tls = false;
    s->handshake_start_us = ts_us;
    s->client_legacy_version = ch->legacy_version;
    if (tls_dec_wanted(c)) {
        tls_dec_client_random(c, ch->random);
    }
    s->num_client_versions = 0;
    if (ch->num_versions > 0) {
        for (uint32_t i = 0; i < ch->num_versions && i < TLS_MAX_VERSIONS; i++) {
            if (!tls_is_grease(ch->versions[i]) && s->num_client_versions < TLS_MAX_VERSIONS) {
                s->client_versions[s->num_client_versions++] = ch->versions[i];
            }
        }
    } else {
        s->client_versions[s->num_client_versions++] = ch->legacy_version;
    }
    s->num_client_ciphers = ch->num_ciphers;
    if (ch->has_sni) {
        g_strlcpy(s->sni, ch->sni, sizeof(s->sni));
    }
    s->num_alpn = ch->num_alpn < TLS_MAX_ALPN ? ch->num_alpn : TLS_MAX_ALPN;
    if (s->num_alpn > 0 && s->alpn == NULL) {
        s->alpn = g_malloc0(sizeof(*s->alpn) * TLS_MAX_ALPN);
    }
    for (uint32_t i = 0; i < s->num_alpn; i++) {
        g_strlcpy(s->alpn[i], ch->alpn[i], sizeof(s->alpn[i]));
    }
    if (ch->session_id_len > 0) {
        s->offered |= TLS_OFFER_SESSION_ID;
        s->session_id_offered_len = ch->session_id_len;
        memcpy(s->session_id_offered, ch->session_id, ch->session_id_len);
    }
    if (ch->has_session_ticket && cur_len(&ch->ticket) > 0) {
        s->offered |= TLS_OFFER_TICKET;
        s->ticket_offered_len = (uint32_t)cur_len(&ch->ticket);
        tls_digest8(ch->ticket.p, cur_len(&ch->ticket), s->ticket_offered_digest);
    }
    if (ch->has_psk) {
        /* A TLS 1.3 PSK identity is the ticket the server issued (RFC 8446 §4.6.1); its digest
         * links this offer to the connection that received it. */
        s->offered |= TLS_OFFER_PSK;
        s->psk_identities = ch->psk_identities;
        s->ticket_offered_len = (uint32_t)cur_len(&ch->psk_first_identity);
        tls_digest8(ch->psk_first_identity.p, cur_len(&ch->psk_first_identity),
                    s->ticket_offered_digest);
    }
    s->early_data_offered = ch->early_data;
    tls_fp_client(c->cfg.shared ? c->cfg.shared->fp_memo : NULL, ch, s->ja3, s->ja4);
}

static void set_tls13(struct tls_conn *c)
{
    c->tls13 = true;
    for (int d = 0; d < 2; d++) {
        c->fr[d].max_len = TLS13_MAX_CIPHERTEXT_LEN;
    }
}

static void handle_server_hello(struct tls_conn *c, const struct tls_server_hello *sh)
{
    struct tls_summary *s = &c->sum;
    s->server_hello_seen = true;
    if (tls_dec_wanted(c) && !sh->hello_retry_request) {
        tls_dec_server_random(c, sh->random);
    }
    s->version = sh->selected_version ? sh->selected_version : sh->legacy_version;
    s->cipher = sh->cipher;
    s->cipher_known = true;
    s->session_id_len = sh->session_id_len;
    memcpy(s->session_id, sh->session_id, sh->session_id_len);
    g_strlcpy(s->alpn_selected, sh->alpn, sizeof(s->alpn_selected));
    tls_fp_server(c->cfg.shared ? c->cfg.shared->fp_memo : NULL, sh, s->ja3s);
    if (s->version == TLS_VERSION_13) {
        set_tls13(c);
        s->server_key_exchange_group = sh->key_share_group;
        /* TLS 1.3 clients fill legacy_session_id with random bytes for middlebox compatibility
         * (RFC 8446 appendix D.4): not a resumption offer once 1.3 is chosen. */
        s->offered &= ~(unsigned)TLS_OFFER_SESSION_ID;
        if (s->offered) {
            decide_resumption(c, sh->psk_selected ? TLS_RESUME_ACCEPTED : TLS_RESUME_REFUSED);
        }
        return;
    }
    /* TLS <= 1.2 with only a session ID offered: a different ID in the ServerHello is a new
     * session (RFC 5246 §7.4.1.3). With a ticket, the answer comes from the flow that follows. */
    if (s->offered == TLS_OFFER_SESSION_ID &&
        (sh->session_id_len != s->session_id_offered_len ||
         memcmp(sh->session_id, s->session_id_offered, sh->session_id_len) != 0)) {
        decide_resumption(c, TLS_RESUME_REFUSED);
    }
}

static void on_message(void *user, uint8_t type, uint32_t len, struct cur body, bool too_big)
{
    const struct tls_dir_ctx *x = user;
    struct tls_conn *c = x->conn;
    enum cap_dir dir = x->dir;
    struct tls_summary *s = &c->sum;
    (void)len;
    int64_t ts = c->fr[dir].cur.ts_us;
    if (too_big) {
        s->handshake_limit_hits++;
        tls_conn_add_history(c, dir, history_letter(type));
        return;
    }
    switch (type) {
    case TLS_HT_CLIENT_HELLO: {
        if (!s->client_hello_seen) {
            struct tls_client_hello ch;
            if (tls_decode_client_hello(body, &ch) == TLS_DECODE_OK) {
                handle_client_hello(c, dir, &ch, ts);
            }
        } else if (c->hs_complete) {
            s->renegotiation = true;
        }
        tls_conn_add_history(c, dir, 'c');
        return;
    }
    case TLS_HT_SERVER_HELLO: {
        struct tls_server_hello sh;
        bool ok = tls_decode_server_hello(body, &sh) == TLS_DECODE_OK;
        if (ok && sh.hello_retry_request) {
            s->hello_retry_request = true;
            tls_conn_add_history(c, dir, 'j');
            return;
        }
        tls_conn_add_history(c, dir, 's');
        if (ok && !s->server_hello_seen) {
            handle_server_hello(c, &sh);
        }
        return;
    }
    case TLS_HT_CERTIFICATE:
    case TLS_HT_SERVER_KEY_EXCHANGE:
    case TLS_HT_SERVER_HELLO_DONE:
        if (!is_client(c, dir) && !c->tls13) {
            c->server_full_flow = true;
            decide_resumption(c, TLS_RESUME_REFUSED);
        }
        if (type == TLS_HT_CERTIFICATE && !is_client(c, dir) && !s->cert) {
            struct tls_certificate cert;
            if (tls_decode_certificate(body, c->tls13, &cert) == TLS_DECODE_OK && cert.present) {
                s->cert = g_memdup2(&cert, sizeof(cert));
            }
        }
        /* Only an ECDHE ServerKeyExchange names a group (RFC 8422 §5.4); a DHE one starts with
         * its prime, whose first byte can look like the named_curve tag. */
        const char *suite = s->cipher_known ? tls_cipher_name(s->cipher) : NULL;
        if (type == TLS_HT_SERVER_KEY_EXCHANGE && suite && strstr(suite, "_ECDHE_")) {
            uint16_t group = 0;
            if (tls_decode_server_key_exchange_group(body, &group) == TLS_DECODE_OK) {
                s->server_key_exchange_group = group;
            }
        }
        break;
    case TLS_HT_NEW_SESSION_TICKET: {
        struct tls_new_session_ticket t;
        if (tls_decode_new_session_ticket(body, c->tls13, &t) == TLS_DECODE_OK) {
            s->tickets_issued++;
            s->ticket_lifetime_hint = t.lifetime;
            s->ticket_issued_len = (uint32_t)cur_len(&t.ticket);
            tls_digest8(t.ticket.p, cur_len(&t.ticket), s->ticket_issued_digest);
        }
        break;
    }
    case TLS_HT_FINISHED:
        c->ds[dir].finished = true;
        break;
    default:
        break;
    }
    tls_conn_add_history(c, dir, history_letter(type));
    if (type == TLS_HT_FINISHED && !c->tls13) {
        check_complete12(c, ts);
    }
}

static void record_encrypted_alert(struct tls_conn *c, enum cap_dir dir,
                                   const struct tls_record_info *rec, bool probable)
{
    struct tls_alert a = {
        .from = dir,
        .encrypted = true,
        .probable = probable,
        .record_len = rec->length,
        .ts_us = rec->ts_us,
        .offset = rec->offset,
        .before_app_data = c->hs_complete && !c->app_data_seen,
    };
    c->ds[dir].last_alert = tls_conn_add_alert(c, &a);
    c->ds[dir].last_is_alert = true;
    if (!c->hs_complete) {
        c->enc_alert_in_hs = true;
    }
}

/* The framer has just stored the record's fields one by one; a whole-struct copy reads them
 * with 16-byte loads, which cannot be forwarded from those smaller stores and wait for them to
 * reach the cache. Field by field, each load matches its store. */
static void record_copy(struct tls_record_info *dst, const struct tls_record_info *src)
{
    dst->content_type = src->content_type;
    dst->version = src->version;
    dst->length = src->length;
    dst->offset = src->offset;
    dst->ts_us = src->ts_us;
}

/* The wire around a record as it begins, kept in case it is an alert: had its sender received
 * (acknowledged) all its peer sent, had the peer received all of the sender's, was the peer in
 * the middle of a record, was the peer's last record alert-sized; and, for the peer's last
 * record, one more record of this side after it (and whether it is alert-sized). */
static void record_evidence(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec)
{
    enum cap_dir peer = dir == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
    struct tls_dir_state *ds = &c->ds[dir];
    struct tls_dir_state *ps = &c->ds[peer];
    const struct tls_framer *pf = &c->fr[peer];
    const struct tls_dir_summary *pd = &c->sum.dir[peer];
    bool peer_mid = pf->has_good && !tls_framer_at_boundary(pf);
    ds->last_acks_known = ps->acked_known;
    ds->last_acked_peer = ps->acked_known && ps->acked_all;
    ds->last_peer_acked = ds->acked_known && ds->acked_all;
    ds->last_peer_mid = peer_mid;
    ds->last_answers_alert =
        pd->has_last_record && !peer_mid && tls_alert_sized(c, &pd->last_record);
    ds->last_before_app_data = c->hs_complete && !c->app_data_seen;
    ds->peer_after = 0;
    ds->after_last_alert_sized = false;
    ps->after_last_alert_sized = tls_alert_sized(c, rec);
    if (ps->peer_after < UINT8_MAX) {
        ps->peer_after++;
    }
}

static void update_dir_records(struct tls_conn *c, enum cap_dir dir,
                               const struct tls_record_info *rec, bool oversized)
{
    struct tls_dir_summary *d = &c->sum.dir[dir];
    struct tls_dir_state *ds = &c->ds[dir];
    d->records++;
    if (oversized) {
        d->oversized_records++;
    }
    record_copy(&d->recent[ds->recent_next % TLS_MAX_RECENT_RECORDS], rec);
    ds->recent_next++;
    if (d->num_recent < TLS_MAX_RECENT_RECORDS) {
        d->num_recent++;
    }
    record_copy(&d->last_record, rec);
    d->has_last_record = true;
    if (ds->last_is_alert && ds->last_alert >= 0) {
        /* The sender goes on after its alert: what its peer sent in between is final. */
        struct tls_alert *a = &c->sum.alerts[ds->last_alert];
        a->sender_more = true;
        a->peer_records_after = ds->peer_after;
        a->peer_answered = ds->peer_after > 0 && ds->after_last_alert_sized;
    }
    ds->last_is_alert = false;
    ds->last_alert = -1;
    record_evidence(c, dir, rec);
}

/* TLS 1.3 application_data records: the server's flight after its ServerHello, then the
 * client's Finished (its first encrypted record), then data. An alert-sized first client record
 * is the client refusing the server's flight. */
static void appdata13(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec)
{
    struct tls_dir_state *ds = &c->ds[dir];
    ds->enc_records++;
    if (!is_client(c, dir)) {
        if (c->hs_complete) {
            c->app_data_seen = true;
        }
        return;
    }
    if (ds->finished) {
        c->app_data_seen = true;
        return;
    }
    if (rec->length == tls_alert_record_len13(c->sum.cipher)) {
        record_encrypted_alert(c, dir, rec, true);
        return;
    }
    ds->finished = true;
    if (c->ds[server_dir(c)].enc_records > 0) {
        handshake_done(c, rec->ts_us);
    }
}

/* With a key log: counts the record for its sequence number; true when its body should be
 * kept for decryption (a record that may be an encrypted alert). */
static bool dec_count(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec)
{
    if (!c->sum.server_hello_seen) {
        return false;
    }
    if (c->tls13) {
        return rec->content_type == TLS_CT_APPLICATION_DATA && tls_dec_record(c, dir, rec, false);
    }
    if (rec->content_type == TLS_CT_CHANGE_CIPHER_SPEC) {
        return tls_dec_record(c, dir, rec, true);
    }
    return c->ds[dir].encrypted && tls_dec_record(c, dir, rec, false);
}

static bool on_record(void *user, const struct tls_record_info *rec, bool oversized)
{
    const struct tls_dir_ctx *x = user;
    struct tls_conn *c = x->conn;
    enum cap_dir dir = x->dir;
    struct tls_dir_state *ds = &c->ds[dir];
    update_dir_records(c, dir, rec, oversized);
    bool dec_body = tls_dec_wanted(c) && dec_count(c, dir, rec);
    switch (rec->content_type) {
    case TLS_CT_CHANGE_CIPHER_SPEC:
        tls_conn_add_history(c, dir, 'i');
        c->sum.dir[dir].ccs_seen = true;
        /* A TLS 1.3 CCS is a compatibility no-op (RFC 8446 appendix D.4); before any
         * ServerHello it can only be that, since TLS <= 1.2 never sends CCS that early. */
        if (c->sum.server_hello_seen && !c->tls13) {
            ds->encrypted = true;
            if (!is_client(c, dir) && !c->server_full_flow) {
                /* Abbreviated handshake: the server goes straight to CCS (RFC 5246 §7.3,
                 * RFC 5077 §3.1), possibly after a NewSessionTicket. */
                c->abbreviated = true;
                decide_resumption(c, TLS_RESUME_ACCEPTED);
            }
        }
        return false;
    case TLS_CT_ALERT:
        /* An alert is 2 bytes (RFC 8446 §6); a longer TLS <= 1.2 alert record is encrypted even
         * when this side's CCS was not seen (lost to a gap). TLS 1.3 hides encrypted alerts in
         * application_data, so its alert records are plaintext. */
        if ((ds->encrypted || rec->length != 2) && !c->tls13) {
            tls_conn_add_history(c, dir, 'l');
            record_encrypted_alert(c, dir, rec, false);
            return dec_body;
        }
        return true;
    case TLS_CT_HANDSHAKE:
        if (ds->encrypted) {
            /* TLS <= 1.2: the first encrypted handshake message after CCS is Finished
             * (RFC 5246 §7.4.9); later ones are an invisible renegotiation. */
            if (!ds->finished) {
                ds->finished = true;
                tls_conn_add_history(c, dir, 'f');
                check_complete12(c, rec->ts_us);
            } else if (c->hs_complete && is_client(c, dir)) {
                /* TLS <= 1.2 has no post-handshake client messages: an encrypted handshake
                 * record from the client after both Finished is a renegotiation ClientHello
                 * (RFC 5746), its contents invisible. */
                c->sum.renegotiation = true;
            }
            return dec_body;
        }
        return !ds->hs_lost;
    case TLS_CT_APPLICATION_DATA:
        c->sum.dir[dir].app_data_records++;
        c->sum.dir[dir].app_data_bytes += rec->length;
        if (c->tls13 && c->sum.server_hello_seen) {
            appdata13(c, dir, rec);
        } else if (c->hs_complete) {
            c->app_data_seen = true;
        }
        return dec_body;
    case TLS_CT_HEARTBEAT:
        tls_conn_add_history(c, dir, 'b');
        return false;
    default:
        return false;
    }
}

static void on_body(void *user, const struct tls_record_info *rec, const uint8_t *body, size_t len)
{
    const struct tls_dir_ctx *x = user;
    struct tls_conn *c = x->conn;
    enum cap_dir dir = x->dir;
    if (rec->content_type == TLS_CT_APPLICATION_DATA ||
        (rec->content_type == TLS_CT_ALERT && (c->ds[dir].encrypted || rec->length != 2) &&
         !c->tls13) ||
        (rec->content_type == TLS_CT_HANDSHAKE && c->ds[dir].encrypted && !c->tls13)) {
        tls_dec_body(c, dir, rec, body, len); /* asked for by on_record: a key log is loaded */
        return;
    }
    if (rec->content_type == TLS_CT_HANDSHAKE) {
        if (tls_hs_feed(&c->hs[dir], body, len, on_message, user) == TLS_HS_LIMIT) {
            /* Counted per message in on_message; nothing was allocated for it. */
        }
        return;
    }
    if (rec->content_type != TLS_CT_ALERT) {
        return;
    }
    /* struct { AlertLevel level; AlertDescription description; } Alert; (RFC 8446 §6) */
    struct cur cu = cur_make(body, len);
    uint8_t level, desc;
    while (cur_u8(&cu, &level) && cur_u8(&cu, &desc)) {
        struct tls_alert a = {
            .from = dir,
            .level = level,
            .description = desc,
            .record_len = rec->length,
            .ts_us = rec->ts_us,
            .offset = rec->offset,
            .before_app_data = c->hs_complete && !c->app_data_seen,
        };
        tls_conn_add_history(c, dir, 'l');
        c->ds[dir].last_alert = tls_conn_add_alert(c, &a);
        c->ds[dir].last_is_alert = true;
        if (desc == 0) { /* close_notify */
            c->ds[dir].plain_close_notify = true;
            c->sum.dir[dir].close_notify_plain = true;
        }
        if (level == 2) {
            c->fatal_alert = true;
        }
    }
}

static void on_body_lost(void *user, const struct tls_record_info *rec)
{
    const struct tls_dir_ctx *x = user;
    struct tls_conn *c = x->conn;
    if (tls_dec_wanted(c)) {
        tls_dec_stop(c, x->dir);
    }
    if (rec->content_type == TLS_CT_HANDSHAKE) {
        /* Message boundaries are gone with the bytes; later records of this side could start
         * mid-message, so its plaintext handshake is no longer parsed. */
        tls_hs_reset(&c->hs[x->dir]);
        c->ds[x->dir].hs_lost = true;
    }
}

static void on_sslv2(void *user, uint64_t offset, const uint8_t *record, size_t len, int64_t ts_us)
{
    const struct tls_dir_ctx *x = user;
    struct tls_conn *c = x->conn;
    struct tls_client_hello ch;
    (void)offset;
    if (c->sum.client_hello_seen) {
        return;
    }
    if (tls_decode_sslv2_client_hello(cur_make(record, len), &ch) == TLS_DECODE_OK) {
        handle_client_hello(c, x->dir, &ch, ts_us);
        c->sum.sslv2_hello = true;
        tls_conn_add_history(c, x->dir, 'c');
    }
}

static void on_desync(void *user, const struct tls_desync *d)
{
    const struct tls_dir_ctx *x = user;
    struct tls_conn *c = x->conn;
    if (tls_dec_wanted(c)) {
        tls_dec_stop(c, x->dir);
    }
    if (!c->hs_complete) {
        /* Handshake message boundaries did not survive the break: stop parsing this side's
         * plaintext handshake rather than decode from the middle of a message. */
        tls_hs_reset(&c->hs[x->dir]);
        c->ds[x->dir].hs_lost = true;
    }
    uint32_t i = c->sum.num_desyncs++;
    if (c->sum.desyncs == NULL) {
        c->sum.desyncs = g_new0(struct tls_desync, TLS_MAX_DESYNCS);
    }
    if (i < TLS_MAX_DESYNCS) {
        c->sum.desyncs[i] = *d;
        c->sum.desyncs[i].from = x->dir;
    }
}

/* A direction's bytes before its TLS begins. Returns how many leading bytes of data are
 * plaintext of a STARTTLS-style exchange (len: all of them, or the plaintext ran past
 * TLS_PRELUDE_MAX without TLS and the flow is not TLS); the rest is framed as TLS. */
static size_t prelude_data(struct tls_conn *c, enum cap_dir dir, uint64_t offset,
                           const uint8_t *data, size_t len)
{
    struct tls_prelude *p = &c->pre[dir];
    struct tls_prelude *peer = &c->pre[dir == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT];
    bool from_client = dir == CAP_DIR_CLIENT;
    if (p->state == TLS_PRELUDE_UNDECIDED) {
        /* Only a stream seen from its first byte can carry a prelude; a mid-stream pickup is
         * the framer's to search. Once the peer is in a plaintext exchange, this side's first
         * bytes are its answer (an LDAP or MySQL reply is binary but still plaintext). */
        bool at_start = offset == 0 && c->fr[dir].pos == 0;
        bool plain = at_start && !tls_prelude_tls_starts(from_client, data, len) &&
                     (tls_prelude_looks_plain(data, len) || peer->state == TLS_PRELUDE_PLAIN ||
                      (peer->state == TLS_PRELUDE_TLS && peer->plain_len > 0));
        p->state = plain ? TLS_PRELUDE_PLAIN : TLS_PRELUDE_TLS;
        if (!plain) {
            return 0;
        }
        if (tls_prelude_never_upgrades(data, len)) {
            p->state = TLS_PRELUDE_GAVE_UP;
            tls_prelude_keep(p, data, len);
            if (!c->sum.client_hello_seen) {
                c->sum.not_tls = true;
            }
            return len;
        }
    }
    if (p->state == TLS_PRELUDE_GAVE_UP) {
        return len;
    }
    size_t k = tls_prelude_find_tls(from_client, data, len);
    tls_prelude_keep(p, data, k);
    if (k < len) {
        /* The framer starts where TLS does, as if the plaintext were not part of the stream. */
        p->state = TLS_PRELUDE_TLS;
        c->fr[dir].pos = offset + k;
        c->sum.starttls_offset[dir] = offset + k;
        g_strlcpy(c->sum.starttls,
                  tls_starttls_protocol(&c->pre[CAP_DIR_CLIENT], &c->pre[CAP_DIR_SERVER]),
                  sizeof(c->sum.starttls));
        return k;
    }
    if (p->plain_len > TLS_PRELUDE_MAX) {
        p->state = TLS_PRELUDE_GAVE_UP;
        if (!c->sum.client_hello_seen) {
            c->sum.not_tls = true;
        }
    }
    return len;
}

void tls_conn_data(struct tls_conn *c, enum cap_dir dir, uint64_t offset, const uint8_t *data,
                   size_t len, int64_t ts_us)
{
    struct tls_framer *f = &c->fr[dir];
    if (c->sum.not_tls || c->finished_called) {
        return;
    }
    if (c->pre[dir].state != TLS_PRELUDE_TLS) {
        size_t plain = prelude_data(c, dir, offset, data, len);
        if (plain == len) {
            return;
        }
        offset += plain;
        data += plain;
        len -= plain;
    }
    tls_framer_data(f, offset, data, len, ts_us);
    if (f->not_tls && !c->sum.client_hello_seen) {
        c->sum.not_tls = true;
    }
}

void tls_conn_gap(struct tls_conn *c, enum cap_dir dir, uint64_t offset, uint64_t len,
                  int64_t ts_us)
{
    if (c->sum.not_tls || c->finished_called) {
        return;
    }
    if (c->pre[dir].state == TLS_PRELUDE_PLAIN) {
        c->pre[dir].plain_len += len; /* plaintext lost to the capture: still plaintext */
        return;
    }
    tls_framer_gap(&c->fr[dir], offset, len, ts_us);
}

static void swap_bytes(void *a, void *b, size_t n)
{
    uint8_t tmp[sizeof(struct tls_framer) > sizeof(struct tls_dir_summary)
                    ? sizeof(struct tls_framer)
                    : sizeof(struct tls_dir_summary)];
    g_assert(n <= sizeof(tmp));
    memcpy(tmp, a, n);
    memcpy(a, b, n);
    memcpy(b, tmp, n);
}

static enum cap_dir flip(enum cap_dir d)
{
    return d == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
}

void tls_conn_swap_dirs(struct tls_conn *c)
{
    swap_bytes(&c->fr[0], &c->fr[1], sizeof(c->fr[0]));
    swap_bytes(&c->hs[0], &c->hs[1], sizeof(c->hs[0]));
    swap_bytes(&c->ds[0], &c->ds[1], sizeof(c->ds[0]));
    struct tls_prelude pre = c->pre[0];
    c->pre[0] = c->pre[1];
    c->pre[1] = pre;
    uint64_t so = c->sum.starttls_offset[0];
    c->sum.starttls_offset[0] = c->sum.starttls_offset[1];
    c->sum.starttls_offset[1] = so;
    swap_bytes(&c->sum.dir[0], &c->sum.dir[1], sizeof(c->sum.dir[0]));
    tls_dec_swap_dirs(c);
    for (int d = 0; d < 2; d++) {
        c->fr[d].dir = (enum cap_dir)d;
        c->fr[d].user = &c->ctx[d];
        c->fr[d].desync.from = (enum cap_dir)d;
    }
    if (c->sum.client_hello_seen) {
        c->sum.client_hello_dir = flip(c->sum.client_hello_dir);
    }
    for (uint32_t i = 0; i < c->sum.num_alerts && i < TLS_MAX_ALERTS; i++) {
        c->sum.alerts[i].from = flip(c->sum.alerts[i].from);
    }
    for (uint32_t i = 0; i < c->sum.num_desyncs && i < TLS_MAX_DESYNCS; i++) {
        c->sum.desyncs[i].from = flip(c->sum.desyncs[i].from);
    }
}

bool tls_conn_client_hello_dir(const struct tls_conn *c, enum cap_dir *out)
{
    if (!c->sum.client_hello_seen) {
        return false;
    }
    *out = c->sum.client_hello_dir;
    return true;
}

bool tls_conn_wants_data(const struct tls_conn *c)
{
    return !c->sum.not_tls && !c->finished_called;
}

static void order_recent(struct tls_dir_summary *d, uint32_t next)
{
    if (next <= TLS_MAX_RECENT_RECORDS) {
        return;
    }
    struct tls_record_info tmp[TLS_MAX_RECENT_RECORDS];
    for (uint32_t i = 0; i < TLS_MAX_RECENT_RECORDS; i++) {
        tmp[i] = d->recent[(next + i) % TLS_MAX_RECENT_RECORDS];
    }
    memcpy(d->recent, tmp, sizeof(tmp));
}

static bool offers_tls13(const struct tls_summary *s)
{
    for (uint32_t i = 0; i < s->num_client_versions; i++) {
        if (s->client_versions[i] == TLS_VERSION_13) {
            return true;
        }
    }
    return false;
}

static void settle_handshake(struct tls_conn *c, const struct cap_flow_summary *flow)
{
    struct tls_summary *s = &c->sum;
    if (!s->client_hello_seen) {
        s->handshake = TLS_HS_NONE;
        s->midstream = !s->not_tls && (s->dir[0].records > 0 || s->dir[1].records > 0);
        return;
    }
    if (c->hs_complete) {
        bool resumed = c->tls13 ? s->resumption == TLS_RESUME_ACCEPTED : c->abbreviated;
        s->handshake = resumed ? TLS_HS_RESUMED : TLS_HS_FULL;
    } else if (c->fatal_alert || c->enc_alert_in_hs ||
               (flow && (flow->dir[0].rst_seen || flow->dir[1].rst_seen))) {
        s->handshake = TLS_HS_FAILED;
    } else {
        s->handshake = TLS_HS_INCOMPLETE;
    }
    if (!s->server_hello_seen && offers_tls13(s)) {
        /* No answer, and the client speaks TLS 1.3: its 32-byte session ID is almost surely the
         * middlebox-compatibility filler (RFC 8446 appendix D.4), not a resumption offer. */
        s->offered &= ~(unsigned)TLS_OFFER_SESSION_ID;
    }
    if (s->offered && s->resumption == TLS_RESUME_NONE) {
        s->resumption = TLS_RESUME_UNKNOWN;
    }
}

/* A ClientHello answered by no TLS record at all, only bytes that are not TLS: the server side
 * speaks another protocol (TLS sent to an HTTP port). The prelude kept the answer's head when
 * it was text; binary answers reach the framer, which gives up on them. */
static void note_other_answer(struct tls_conn *c)
{
    if (!c->sum.client_hello_seen || c->sum.server_hello_seen || c->sum.sslv2_hello) {
        return; /* an SSLv2 hello is answered in SSLv2, which does not frame as TLS records */
    }
    enum cap_dir srv = flip(c->sum.client_hello_dir);
    const struct tls_prelude *p = &c->pre[srv];
    bool text =
        (p->state == TLS_PRELUDE_PLAIN || p->state == TLS_PRELUDE_GAVE_UP) && p->head_len > 0;
    if (c->sum.dir[srv].records > 0 || !(text || c->fr[srv].not_tls)) {
        return;
    }
    c->sum.other_answer = true;
    size_t n = 0;
    for (size_t i = 0; text && i < p->head_len && n + 1 < sizeof(c->sum.other_answer_head); i++) {
        uint8_t ch = p->head[i];
        if (ch == '\r' || ch == '\n') {
            break;
        }
        c->sum.other_answer_head[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
    }
    c->sum.other_answer_head[n] = '\0';
}

void tls_conn_finish(struct tls_conn *c, const struct cap_flow_summary *flow)
{
    if (c->finished_called) {
        return;
    }
    bool any_tls_dir = false, any_plain = false;
    for (int d = 0; d < 2; d++) {
        tls_framer_finish(&c->fr[d]);
        if (c->fr[d].not_tls && !c->sum.client_hello_seen) {
            c->sum.not_tls = true;
        }
        any_plain |= c->pre[d].state == TLS_PRELUDE_PLAIN || c->pre[d].state == TLS_PRELUDE_GAVE_UP;
        any_tls_dir |= c->pre[d].state == TLS_PRELUDE_TLS;
    }
    /* Named again now that both directions' plaintext is known (the side that switched first
     * may have done so before the other side's banner or greeting arrived). */
    if (c->sum.starttls[0]) {
        g_strlcpy(c->sum.starttls,
                  tls_starttls_protocol(&c->pre[CAP_DIR_CLIENT], &c->pre[CAP_DIR_SERVER]),
                  sizeof(c->sum.starttls));
    }
    /* Plaintext that never turned into TLS in either direction: a plaintext protocol. */
    if (any_plain && !any_tls_dir && !c->sum.client_hello_seen) {
        c->sum.not_tls = true;
    }
    note_other_answer(c);
    c->finished_called = true;
    tls_close_settle(c, flow);
    settle_handshake(c, flow);
    for (int d = 0; d < 2; d++) {
        order_recent(&c->sum.dir[d], c->ds[d].recent_next);
        tls_hs_cleanup(&c->hs[d]);
        tls_framer_cleanup(&c->fr[d]);
    }
}

const struct tls_summary *tls_conn_get_summary(const struct tls_conn *c)
{
    return &c->sum;
}

void tls_summary_copy(struct tls_summary *dst, const struct tls_summary *src)
{
    *dst = *src;
    dst->cert = src->cert ? g_memdup2(src->cert, sizeof(*src->cert)) : NULL;
    dst->alpn = src->alpn ? g_memdup2(src->alpn, sizeof(*src->alpn) * TLS_MAX_ALPN) : NULL;
    dst->desyncs =
        src->desyncs ? g_memdup2(src->desyncs, sizeof(*src->desyncs) * TLS_MAX_DESYNCS) : NULL;
}

void tls_summary_release(struct tls_summary *s)
{
    g_clear_pointer(&s->cert, g_free);
    g_clear_pointer(&s->alpn, g_free);
    g_clear_pointer(&s->desyncs, g_free);
}
