/* Connection state tests on real handshakes: the TCP payload streams of samples/lab/cap.pcap's
 * six connections and alert.pcap (extracted to tests/data/tls_streams/, see the README there),
 * fed segment by segment and byte by byte; plus handshake reassembly splits and a 16 MB claimed
 * handshake message that must be skipped without being buffered. Expected values come from
 * samples/lab/README.md and from tshark's dissection of the same captures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_conn_internal.h"
#include "tls_decode_internal.h"
#include "tls_handshake_internal.h"
#include "tls_vectors.h"

/* ------------------------------------------------------------------ stream files */

struct seg {
    enum cap_dir dir;
    uint64_t off;
    uint8_t *data;
    size_t len;
};

struct conn_file {
    struct seg segs[64];
    size_t num_segs;
    struct cap_flow_summary flow;
};

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}

/* Lines: "C|S <offset> <hex payload>" in capture order, "FIN|RST C|S <offset>". */
static void load(const char *name, struct conn_file *cf)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/data/tls_streams/%s", TLSSCOPE_SOURCE_DIR, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    memset(cf, 0, sizeof(*cf));
    static char line[1 << 17];
    while (fgets(line, sizeof(line), fp)) {
        char kind[8], who[8];
        unsigned long long off;
        if (sscanf(line, "%7s %7s %llu", kind, who, &off) == 3 &&
            (strcmp(kind, "FIN") == 0 || strcmp(kind, "RST") == 0)) {
            struct cap_dir_stats *ds = &cf->flow.dir[who[0] == 'C' ? 0 : 1];
            if (kind[0] == 'F') {
                ds->fin_seen = true;
                ds->fin_offset = off;
            } else {
                ds->rst_seen = true;
                ds->rst_offset = off;
            }
            continue;
        }
        char *hex = NULL;
        char d = line[0];
        off = strtoull(line + 2, &hex, 10);
        assert_true(d == 'C' || d == 'S');
        assert_true(cf->num_segs < 64);
        while (*hex == ' ') {
            hex++;
        }
        size_t n = strcspn(hex, "\r\n") / 2;
        struct seg *s = &cf->segs[cf->num_segs++];
        s->dir = d == 'C' ? CAP_DIR_CLIENT : CAP_DIR_SERVER;
        s->off = off;
        s->data = malloc(n);
        s->len = n;
        for (size_t i = 0; i < n; i++) {
            s->data[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
        }
    }
    fclose(fp);
}

static void unload(struct conn_file *cf)
{
    for (size_t i = 0; i < cf->num_segs; i++) {
        free(cf->segs[i].data);
    }
}

/* run_partial: feeds the first num_segs segments whole, without finishing. */
static struct tls_conn *run_partial(const struct conn_file *cf, size_t num_segs)
{
    struct tls_conn *c = tls_conn_new(NULL);
    for (size_t i = 0; i < num_segs && i < cf->num_segs; i++) {
        const struct seg *s = &cf->segs[i];
        tls_conn_data(c, s->dir, s->off, s->data, s->len, (int64_t)i);
    }
    return c;
}

static struct tls_conn *run(const struct conn_file *cf, size_t chunk)
{
    struct tls_config cfg;
    tls_config_defaults(&cfg);
    struct tls_conn *c = tls_conn_new(&cfg);
    for (size_t i = 0; i < cf->num_segs; i++) {
        const struct seg *s = &cf->segs[i];
        for (size_t o = 0; o < s->len; o += chunk) {
            size_t n = s->len - o < chunk ? s->len - o : chunk;
            tls_conn_data(c, s->dir, s->off + o, s->data + o, n, (int64_t)i);
        }
    }
    tls_conn_finish(c, &cf->flow);
    return c;
}

/* ------------------------------------------------------------------ the lab connections */

struct lab_case {
    const char *name;
    const char *file;
    const char *history;
    uint16_t version;
    uint16_t cipher;
    enum tls_handshake_kind kind;
    unsigned offered;
    enum tls_resumption_outcome resumption;
    const char *ja3; /* tshark 4.0.17 tls.handshake.ja3 */
    uint32_t tickets_issued;
    bool cert;
    uint16_t ske_group;
    uint32_t num_alerts; /* all encrypted close_notify (probable for TLS 1.3) */
};

/* Histories use Zeek's ssl_history letters (upper case: client): c client_hello, s
 * server_hello, x certificate, k server_key_exchange, n server_hello_done, g
 * client_key_exchange, i change_cipher_spec, f finished (TLS <= 1.2: the first encrypted
 * handshake record after CCS), t new_session_ticket, l alert (a TLS <= 1.2 encrypted alert shows
 * its content type; TLS 1.3 alerts are hidden inside application_data). */
static const struct lab_case LAB[] = {
    {"s0_tls12_full", "cap_s0.txt", "CsxknGIFifLl", 0x0303, 0xc030, TLS_HS_FULL, 0,
     TLS_RESUME_NONE, "2c4428422b734ef16cdbf05bc5d82e08", 0, true, 0x001d, 2},
    {"s1_tls12_sessionid_resumed", "cap_s1.txt", "CsifIFLl", 0x0303, 0xc030, TLS_HS_RESUMED,
     TLS_OFFER_SESSION_ID, TLS_RESUME_ACCEPTED, "2c4428422b734ef16cdbf05bc5d82e08", 0, false, 0,
     2},
    {"s2_tls12_full_ticket", "cap_s2.txt", "CsxknGIFtifLl", 0x0303, 0xc030, TLS_HS_FULL, 0,
     TLS_RESUME_NONE, "871a754af286dfb70c1b53c6887c62e0", 1, true, 0x001d, 2},
    {"s3_tls12_ticket_resumed", "cap_s3.txt", "CsifIFlL", 0x0303, 0xc030, TLS_HS_RESUMED,
     TLS_OFFER_SESSION_ID | TLS_OFFER_TICKET, TLS_RESUME_ACCEPTED,
     "871a754af286dfb70c1b53c6887c62e0", 0, false, 0, 2},
    {"s4_tls13_full", "cap_s4.txt", "CsiI", 0x0304, 0x1302, TLS_HS_FULL, 0, TLS_RESUME_NONE,
     "9dffdb8b608a430b774a2ff7d36c1a0c", 0, false, 0x001d, 2},
    {"s5_tls13_psk_resumed", "cap_s5.txt", "CsiI", 0x0304, 0x1302, TLS_HS_RESUMED, TLS_OFFER_PSK,
     TLS_RESUME_ACCEPTED, "5d70a188544fb769122c0d9b2509a405", 0, false, 0x001d, 2},
};

static void check_lab(const struct lab_case *t, const struct tls_summary *s)
{
    assert_true(s->is_tls);
    assert_false(s->not_tls);
    assert_true(s->client_hello_seen);
    assert_true(s->server_hello_seen);
    assert_int_equal(s->client_hello_dir, CAP_DIR_CLIENT);
    assert_string_equal(s->history, t->history);
    assert_int_equal(s->version, t->version);
    assert_true(s->cipher_known);
    assert_int_equal(s->cipher, t->cipher);
    assert_int_equal(s->handshake, t->kind);
    assert_int_equal(s->offered, t->offered);
    assert_int_equal(s->resumption, t->resumption);
    assert_string_equal(s->ja3, t->ja3);
    assert_string_equal(s->sni, "test.local");
    assert_int_equal(s->tickets_issued, t->tickets_issued);
    assert_int_equal(s->cert != NULL && s->cert->present, t->cert);
    assert_int_equal(s->server_key_exchange_group, t->ske_group);
    assert_int_equal(s->num_desyncs, 0);
    assert_int_equal(s->handshake_limit_hits, 0);
    /* The lab closes every connection with an encrypted close_notify, after application
     * data, right before each side's FIN. */
    assert_int_equal(s->num_alerts, t->num_alerts);
    for (uint32_t i = 0; i < s->num_alerts; i++) {
        assert_true(s->alerts[i].encrypted);
        assert_int_equal(s->alerts[i].probable, t->version == 0x0304);
        assert_false(s->alerts[i].before_app_data);
    }
    for (int d = 0; d < 2; d++) {
        assert_int_equal(s->dir[d].close_notify, TLS_CN_YES);
        assert_true(s->dir[d].ccs_seen);
        assert_int_equal(s->dir[d].oversized_records, 0);
    }
    if (t->tickets_issued) {
        assert_int_equal(strlen(s->ticket_issued_digest), 16);
        assert_true(s->ticket_issued_len > 0);
    }
    if (t->offered & TLS_OFFER_SESSION_ID) {
        assert_int_equal(s->session_id_offered_len, 32);
        assert_memory_equal(s->session_id, s->session_id_offered, 32);
    }
    if (t->offered & (TLS_OFFER_TICKET | TLS_OFFER_PSK)) {
        assert_int_equal(strlen(s->ticket_offered_digest), 16);
    }
}

static void test_lab(void **state)
{
    const struct lab_case *t = *state;
    struct conn_file cf;
    load(t->file, &cf);
    struct tls_conn *c = run(&cf, SIZE_MAX);
    check_lab(t, tls_conn_get_summary(c));
    /* The handshake buffers are gone once the handshake is done. */
    assert_null(c->hs[0].buf);
    assert_null(c->hs[1].buf);
    tls_conn_free(c);
    /* The same bytes one at a time: every record and message split everywhere. */
    c = run(&cf, 1);
    check_lab(t, tls_conn_get_summary(c));
    tls_conn_free(c);
    /* Trimmed once the connection closed (as the pipeline does while the flow waits for
     * stragglers): the record buffers are released and the summary is the same. */
    c = run_partial(&cf, cf.num_segs);
    size_t held = tls_conn_mem_bytes(c);
    assert_true(c->fr[0].rec != NULL || c->fr[1].rec != NULL);
    tls_conn_trim(c);
    for (int d = 0; d < 2; d++) {
        assert_null(c->fr[d].rec);
        assert_null(c->hs[d].buf);
    }
    assert_true(tls_conn_mem_bytes(c) < held);
    tls_conn_finish(c, &cf.flow);
    check_lab(t, tls_conn_get_summary(c));
    tls_conn_free(c);
    unload(&cf);
}

static void test_s0_details(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    struct tls_conn *c = run(&cf, 700);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_non_null(s->cert);
    assert_string_equal(s->cert->subject, "CN=test.local");
    assert_true(s->cert->self_signed);
    assert_int_equal(s->client_legacy_version, 0x0303);
    assert_int_equal(s->num_client_versions, 1);
    assert_int_equal(s->client_versions[0], 0x0303);
    assert_int_equal(s->num_client_ciphers, 28);
    /* Server records: hello flight (1), CCS, Finished, data, alert. */
    assert_int_equal(s->dir[CAP_DIR_SERVER].records, 4 + 4);
    assert_int_equal(s->dir[CAP_DIR_SERVER].last_record.content_type, 21);
    assert_int_equal(s->dir[CAP_DIR_SERVER].last_record.offset, 6326);
    assert_true(s->dir[CAP_DIR_SERVER].num_recent <= TLS_MAX_RECENT_RECORDS);
    assert_int_equal(s->dir[CAP_DIR_SERVER].recent[s->dir[CAP_DIR_SERVER].num_recent - 1].offset,
                     6326);
    tls_conn_free(c);
    unload(&cf);
}

static void test_tls13_alpn_offered(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s4.txt", &cf);
    struct tls_conn *c = run(&cf, SIZE_MAX);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->num_alpn, 2);
    assert_string_equal(s->alpn[0], "h2");
    assert_string_equal(s->alpn[1], "http/1.1");
    /* TLS 1.3 selects ALPN in EncryptedExtensions: not visible. */
    assert_string_equal(s->alpn_selected, "");
    /* The compatibility session ID is not a resumption offer. */
    assert_int_equal(s->offered, 0);
    tls_conn_free(c);
    unload(&cf);
}

/* Without FIN facts nothing anchors the TLS 1.3 final record: close_notify is unknown. */
static void test_tls13_no_fin_unknown(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s4.txt", &cf);
    memset(&cf.flow, 0, sizeof(cf.flow));
    struct tls_conn *c = run(&cf, SIZE_MAX);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->num_alerts, 0);
    assert_int_equal(s->dir[0].close_notify, TLS_CN_UNKNOWN);
    assert_non_null(s->dir[0].close_notify_reason);
    tls_conn_free(c);
    unload(&cf);
}

/* A FIN a few bytes after the last record (data the framer saw as a complete record is not
 * followed by the close) or a last record that is data: no close_notify. */
static void test_tls12_fin_after_data(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    /* Drop the server's final alert segment: its last record is application data. */
    for (size_t i = 0; i < cf.num_segs; i++) {
        if (cf.segs[i].dir == CAP_DIR_SERVER && cf.segs[i].off == 6326) {
            cf.segs[i].len = 0;
        }
    }
    cf.flow.dir[CAP_DIR_SERVER].fin_offset = 6326;
    struct tls_conn *c = run(&cf, SIZE_MAX);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->dir[CAP_DIR_SERVER].close_notify, TLS_CN_NO);
    assert_string_equal(s->dir[CAP_DIR_SERVER].close_notify_reason, "FIN without close_notify");
    assert_int_equal(s->dir[CAP_DIR_CLIENT].close_notify, TLS_CN_YES);
    tls_conn_free(c);
    unload(&cf);
}

static void test_alert_pcap(void **state)
{
    (void)state;
    struct conn_file cf;
    load("alert_s0.txt", &cf);
    struct tls_conn *c = run(&cf, SIZE_MAX);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_true(s->client_hello_seen);
    assert_false(s->server_hello_seen);
    assert_int_equal(s->num_alerts, 1);
    assert_false(s->alerts[0].encrypted);
    assert_int_equal(s->alerts[0].from, CAP_DIR_SERVER);
    assert_int_equal(s->alerts[0].level, 2);
    assert_int_equal(s->alerts[0].description, 70); /* protocol_version */
    assert_int_equal(s->alerts[0].offset, 0);
    assert_int_equal(s->handshake, TLS_HS_FAILED);
    assert_string_equal(s->history, "Cl");
    /* The client offered TLS 1.3 only (GREASE removed from the list). */
    assert_int_equal(s->num_client_versions, 1);
    assert_int_equal(s->client_versions[0], 0x0304);
    assert_int_equal(s->dir[CAP_DIR_SERVER].close_notify, TLS_CN_NO);
    tls_conn_free(c);
    unload(&cf);
}

/* ------------------------------------------------------------------ hostile lengths */

static void test_16mb_handshake_claim(void **state)
{
    (void)state;
    struct tls_config cfg;
    tls_config_defaults(&cfg);
    struct tls_conn *c = tls_conn_new(&cfg);
    /* A handshake record whose ClientHello claims 0xffffff bytes, then 40 more full records of
     * its supposed body. */
    uint8_t rec[5 + 16384];
    memset(rec, 0x41, sizeof(rec));
    rec[0] = 22;
    rec[1] = 3;
    rec[2] = 1;
    rec[3] = 0x40;
    rec[4] = 0x00;
    rec[5] = 1;
    rec[6] = 0xff;
    rec[7] = 0xff;
    rec[8] = 0xff;
    uint64_t off = 0;
    tls_conn_data(c, CAP_DIR_CLIENT, off, rec, sizeof(rec), 0);
    off += sizeof(rec);
    memset(rec + 5, 0x41, 4);
    rec[2] = 3;
    for (int i = 0; i < 40; i++) {
        tls_conn_data(c, CAP_DIR_CLIENT, off, rec, sizeof(rec), 0);
        off += sizeof(rec);
        assert_true(c->hs[CAP_DIR_CLIENT].buf_alloc == 0);
    }
    assert_int_equal(c->hs[CAP_DIR_CLIENT].limit_hits, 1);
    tls_conn_finish(c, NULL);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->handshake_limit_hits, 1);
    assert_false(s->client_hello_seen);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].records, 41);
    assert_int_equal(s->num_desyncs, 0);
    tls_conn_free(c);
}

/* ------------------------------------------------------------------ reassembly splits */

struct hs_seen {
    size_t n;
    uint8_t types[16];
    uint32_t lens[16];
    uint8_t first[16];
    uint8_t last[16];
};

static void hs_cb(void *user, uint8_t type, uint32_t len, struct cur body, bool too_big)
{
    struct hs_seen *h = user;
    assert_false(too_big);
    assert_int_equal(cur_len(&body), len);
    h->types[h->n] = type;
    h->lens[h->n] = len;
    h->first[h->n] = len ? body.p[0] : 0;
    h->last[h->n] = len ? body.p[len - 1] : 0;
    h->n++;
}

static void test_hs_every_split(void **state)
{
    (void)state;
    /* Three messages: 0-length ServerHelloDone-like, a 300-byte one, a 2-byte one. */
    uint8_t msgs[4 + 0 + 4 + 300 + 4 + 2];
    size_t n = 0;
    uint8_t h1[4] = {14, 0, 0, 0};
    memcpy(msgs + n, h1, 4);
    n += 4;
    uint8_t h2[4] = {11, 0, 1, 44};
    memcpy(msgs + n, h2, 4);
    n += 4;
    for (int i = 0; i < 300; i++) {
        msgs[n++] = (uint8_t)(i * 7 + 1);
    }
    uint8_t h3[6] = {20, 0, 0, 2, 0xaa, 0xbb};
    memcpy(msgs + n, h3, 6);
    n += 6;
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b += 13) {
            struct tls_hs_reasm r;
            struct hs_seen seen = {0};
            tls_hs_init(&r, 1024);
            assert_int_equal(tls_hs_feed(&r, msgs, a, hs_cb, &seen), TLS_HS_OK);
            assert_int_equal(tls_hs_feed(&r, msgs + a, b - a, hs_cb, &seen), TLS_HS_OK);
            assert_int_equal(tls_hs_feed(&r, msgs + b, n - b, hs_cb, &seen), TLS_HS_OK);
            assert_int_equal(seen.n, 3);
            assert_int_equal(seen.types[0], 14);
            assert_int_equal(seen.lens[0], 0);
            assert_int_equal(seen.types[1], 11);
            assert_int_equal(seen.lens[1], 300);
            assert_int_equal(seen.first[1], 1);
            assert_int_equal(seen.last[1], (uint8_t)(299 * 7 + 1));
            assert_int_equal(seen.types[2], 20);
            assert_int_equal(seen.first[2], 0xaa);
            assert_int_equal(seen.last[2], 0xbb);
            assert_true(tls_hs_idle(&r));
            tls_hs_cleanup(&r);
        }
    }
}

struct limit_seen {
    size_t n, too_big;
    uint8_t types[8];
    uint32_t lens[8];
};

static void limit_cb(void *user, uint8_t type, uint32_t len, struct cur body, bool too_big)
{
    struct limit_seen *h = user;
    h->types[h->n] = type;
    h->lens[h->n] = len;
    h->n++;
    if (too_big) {
        h->too_big++;
        assert_int_equal(cur_len(&body), 0);
    }
}

static void test_hs_limit(void **state)
{
    (void)state;
    /* Exactly at the cap: delivered. One above: skipped, and the next message is still found. */
    uint8_t buf[4 + 100 + 4 + 101 + 5];
    size_t n = 0;
    uint8_t a[4] = {11, 0, 0, 100};
    memcpy(buf + n, a, 4);
    n += 4;
    memset(buf + n, 0x11, 100);
    n += 100;
    uint8_t b[4] = {11, 0, 0, 101};
    memcpy(buf + n, b, 4);
    n += 4;
    memset(buf + n, 0x22, 101);
    n += 101;
    uint8_t c[5] = {20, 0, 0, 1, 0x33};
    memcpy(buf + n, c, 5);
    n += 5;
    for (size_t split = 0; split <= n; split++) {
        struct tls_hs_reasm r;
        struct limit_seen seen = {0};
        tls_hs_init(&r, 100);
        enum tls_hs_status s1 = tls_hs_feed(&r, buf, split, limit_cb, &seen);
        enum tls_hs_status s2 = tls_hs_feed(&r, buf + split, n - split, limit_cb, &seen);
        assert_true(s1 == TLS_HS_LIMIT || s2 == TLS_HS_LIMIT);
        assert_int_equal(seen.n, 3);
        assert_int_equal(seen.too_big, 1);
        assert_int_equal(seen.lens[0], 100);
        assert_int_equal(seen.lens[1], 101);
        assert_int_equal(seen.types[2], 20);
        assert_int_equal(r.limit_hits, 1);
        assert_true(r.buf_alloc <= 512); /* the first message at most, never the 101 */
        tls_hs_cleanup(&r);
    }
}


/* ------------------------------------------------------------------ framing desync, real data */

struct drop_case {
    const char *name;
    size_t drop;
    size_t chunk;
};

static const struct drop_case DROPS[] = {
    {"drop_444", 444, SIZE_MAX}, {"drop_444_mss", 444, 1448}, {"drop_1", 1, 1448},
    {"drop_100", 100, 333},      {"drop_4000", 4000, 1448}, {"drop_4000_tiny", 4000, 9},
};

/* The server of stream 0 loses `drop` bytes from the middle of its 5060-byte application data
 * record (offset 1261) and the TCP stream stays intact: the desync must be measured exactly,
 * and the close_notify after it still recognised. */
static void test_server_short_write(void **state)
{
    const struct drop_case *t = *state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    for (size_t i = 0; i < cf.num_segs; i++) {
        struct seg *sg = &cf.segs[i];
        if (sg->dir == CAP_DIR_SERVER && sg->off == 1261) {
            assert_true(sg->len > 1000 + t->drop);
            memmove(sg->data + 1000, sg->data + 1000 + t->drop, sg->len - 1000 - t->drop);
            sg->len -= t->drop;
        } else if (sg->dir == CAP_DIR_SERVER && sg->off > 1261) {
            sg->off -= t->drop;
        }
    }
    cf.flow.dir[CAP_DIR_SERVER].fin_offset -= t->drop;
    struct tls_conn *c = run(&cf, t->chunk);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->num_desyncs, 1);
    const struct tls_desync *d = &s->desyncs[0];
    assert_int_equal(d->from, CAP_DIR_SERVER);
    assert_false(d->after_gap);
    assert_true(d->resynced);
    assert_true(d->estimate_valid);
    assert_int_equal(d->last_good_offset, 1261);
    assert_int_equal(d->bad_offset, 1261 + 5 + 5060);
    assert_int_equal(d->resync_offset, 6326 - t->drop);
    assert_int_equal(d->estimated_missing_bytes, (int64_t)t->drop);
    assert_int_equal(s->dir[CAP_DIR_SERVER].close_notify, TLS_CN_YES);
    assert_int_equal(s->dir[CAP_DIR_SERVER].last_record.content_type, 21);
    assert_int_equal(s->handshake, TLS_HS_FULL);
    tls_conn_free(c);
    unload(&cf);
}

/* A TCP gap over the end of the server's last data record and the header of its close_notify:
 * a gap, not a framing break; nothing framable follows, so close_notify is unknown. */
static void test_gap_is_not_desync(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s2.txt", &cf);
    struct tls_config cfg;
    tls_config_defaults(&cfg);
    struct tls_conn *c = tls_conn_new(&cfg);
    bool cut = false;
    for (size_t i = 0; i < cf.num_segs; i++) {
        const struct seg *sg = &cf.segs[i];
        if (sg->dir == CAP_DIR_SERVER && sg->len > 4000) {
            tls_conn_data(c, sg->dir, sg->off, sg->data, 1000, 0);
            tls_conn_gap(c, sg->dir, sg->off + 1000, sg->len - 1000 + 5, 0);
            cut = true;
            continue;
        }
        if (cut && sg->dir == CAP_DIR_SERVER) {
            tls_conn_data(c, sg->dir, sg->off + 5, sg->data + 5, sg->len - 5, 0);
            continue;
        }
        tls_conn_data(c, sg->dir, sg->off, sg->data, sg->len, 0);
    }
    assert_true(cut);
    tls_conn_finish(c, &cf.flow);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->num_desyncs, 1);
    assert_true(s->desyncs[0].after_gap);
    assert_false(s->desyncs[0].estimate_valid);
    assert_false(s->desyncs[0].resynced);
    assert_int_equal(s->desyncs[0].from, CAP_DIR_SERVER);
    assert_int_equal(s->handshake, TLS_HS_FULL);
    assert_int_equal(s->dir[CAP_DIR_SERVER].close_notify, TLS_CN_UNKNOWN);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].close_notify, TLS_CN_YES);
    tls_conn_free(c);
    unload(&cf);
}

/* Ports said the wrong side was the client: the ClientHello arrives as "server" bytes, capture
 * swaps, and the dissector follows. */
static void test_swap_dirs(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    struct tls_config cfg;
    tls_config_defaults(&cfg);
    struct tls_conn *c = tls_conn_new(&cfg);
    enum cap_dir hint;
    assert_false(tls_conn_client_hello_dir(c, &hint));
    const struct seg *first = &cf.segs[0];
    tls_conn_data(c, CAP_DIR_SERVER, first->off, first->data, first->len, 0);
    assert_true(tls_conn_client_hello_dir(c, &hint));
    assert_int_equal(hint, CAP_DIR_SERVER);
    tls_conn_swap_dirs(c);
    assert_true(tls_conn_client_hello_dir(c, &hint));
    assert_int_equal(hint, CAP_DIR_CLIENT);
    for (size_t i = 1; i < cf.num_segs; i++) {
        const struct seg *sg = &cf.segs[i];
        tls_conn_data(c, sg->dir, sg->off, sg->data, sg->len, (int64_t)i);
    }
    assert_true(tls_conn_wants_data(c));
    tls_conn_finish(c, &cf.flow);
    check_lab(&LAB[0], tls_conn_get_summary(c));
    tls_conn_free(c);
    unload(&cf);
}

static void test_http_on_443(void **state)
{
    (void)state;
    const char *req = "GET / HTTP/1.1\r\nHost: test.local\r\n\r\n";
    const char *resp = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    struct tls_conn *c = tls_conn_new(NULL);
    tls_conn_data(c, CAP_DIR_CLIENT, 0, (const uint8_t *)req, strlen(req), 0);
    assert_false(tls_conn_wants_data(c));
    tls_conn_data(c, CAP_DIR_SERVER, 0, (const uint8_t *)resp, strlen(resp), 0);
    tls_conn_finish(c, NULL);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_true(s->not_tls);
    assert_false(s->is_tls);
    assert_int_equal(s->handshake, TLS_HS_NONE);
    assert_int_equal(s->dir[0].records, 0);
    assert_string_equal(s->history, "");
    tls_conn_free(c);
}

/* TLS 1.2: the client's only record after the handshake is an encrypted alert. */
static void test_alert_before_app_data(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    for (size_t i = 0; i < cf.num_segs; i++) {
        struct seg *sg = &cf.segs[i];
        if (sg->dir == CAP_DIR_CLIENT && sg->off == 296) { /* application data: drop it */
            sg->len = 0;
        } else if (sg->dir == CAP_DIR_CLIENT && sg->off == 344) {
            sg->off = 296;
        } else if (sg->dir == CAP_DIR_SERVER && sg->off == 1261) {
            sg->len = 0;
        } else if (sg->dir == CAP_DIR_SERVER && sg->off == 6326) {
            sg->off = 1261;
        }
    }
    cf.flow.dir[CAP_DIR_CLIENT].fin_offset = 296 + 31;
    cf.flow.dir[CAP_DIR_SERVER].fin_offset = 1261 + 31;
    struct tls_conn *c = run(&cf, SIZE_MAX);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->num_alerts, 2);
    assert_true(s->alerts[0].before_app_data);
    assert_int_equal(s->alerts[0].from, CAP_DIR_CLIENT);
    /* A client closing at once after the handshake, answered by the server's own alert: a
     * handshake-only probe's close_notify, not an error. */
    assert_int_equal(s->alerts[0].verdict, TLS_AV_CLOSE_NOTIFY);
    assert_int_equal(s->alerts[0].confidence, TLS_CONF_HIGH);
    assert_non_null(strstr(s->alerts[0].because, "handshake-only probe"));
    assert_int_equal(s->dir[CAP_DIR_CLIENT].close_notify, TLS_CN_YES);
    assert_null(s->dir[CAP_DIR_CLIENT].close_notify_reason);
    tls_conn_free(c);
    unload(&cf);
}

/* An encrypted handshake record from the client after both Finished: renegotiation. */
static void test_encrypted_renegotiation(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    struct tls_conn *c = run_partial(&cf, 5); /* up to and including the client's data record */
    uint8_t reneg[5 + 64] = {22, 3, 3, 0, 64};
    memset(reneg + 5, 0x5a, 64);
    tls_conn_data(c, CAP_DIR_CLIENT, 296 + 48, reneg, sizeof(reneg), 0);
    tls_conn_finish(c, NULL);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_true(s->renegotiation);
    assert_int_equal(s->handshake, TLS_HS_FULL);
    tls_conn_free(c);
    unload(&cf);

    load("cap_s0.txt", &cf);
    c = run(&cf, SIZE_MAX);
    assert_false(tls_conn_get_summary(c)->renegotiation);
    tls_conn_free(c);
    unload(&cf);
}

/* The capture stops in the middle of the server's data record: no desync, close unknown. */
static void test_capture_cut_mid_record(void **state)
{
    (void)state;
    struct conn_file cf;
    load("cap_s0.txt", &cf);
    for (size_t i = 0; i < cf.num_segs; i++) {
        if (cf.segs[i].dir == CAP_DIR_SERVER && cf.segs[i].off == 1261) {
            cf.segs[i].len = 3000;
        } else if (cf.segs[i].dir == CAP_DIR_SERVER && cf.segs[i].off > 1261) {
            cf.segs[i].len = 0;
        }
    }
    cf.flow.dir[CAP_DIR_SERVER].fin_seen = false;
    struct tls_conn *c = run(&cf, 1448);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_int_equal(s->num_desyncs, 0);
    assert_int_equal(s->dir[CAP_DIR_SERVER].close_notify, TLS_CN_UNKNOWN);
    assert_int_equal(s->dir[CAP_DIR_CLIENT].close_notify, TLS_CN_YES);
    tls_conn_free(c);
    unload(&cf);
}

static void test_sslv2_client_hello(void **state)
{
    (void)state;
    /* SSLv2 CLIENT-HELLO: version 3.1, two cipher specs, no session ID, 16-byte challenge. */
    const uint8_t v2[] = {0x80, 0x1f, 0x01, 0x03, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x10,
                          0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 1,    2,    3,    4,    5,
                          6,    7,    8,    9,    10,   11,   12,   13,   14,   15,   16};
    struct tls_conn *c = tls_conn_new(NULL);
    tls_conn_data(c, CAP_DIR_CLIENT, 0, v2, sizeof(v2), 0);
    tls_conn_finish(c, NULL);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_true(s->is_tls);
    assert_true(s->sslv2_hello);
    assert_true(s->client_hello_seen);
    assert_int_equal(s->client_legacy_version, 0x0301);
    assert_int_equal(s->num_client_ciphers, 2);
    assert_string_equal(s->history, "C");
    assert_int_equal(s->handshake, TLS_HS_INCOMPLETE);
    tls_conn_free(c);
}

/* RFC 8446 §5.2: 2 alert bytes + 1 inner content type + the AEAD tag (RFC 6655: CCM_8 has 8). */
static void test_alert_record_len13(void **state)
{
    (void)state;
    assert_int_equal(tls_alert_record_len13(0x1301), 19); /* AES_128_GCM */
    assert_int_equal(tls_alert_record_len13(0x1302), 19); /* AES_256_GCM */
    assert_int_equal(tls_alert_record_len13(0x1303), 19); /* CHACHA20_POLY1305 */
    assert_int_equal(tls_alert_record_len13(0x1304), 19); /* AES_128_CCM */
    assert_int_equal(tls_alert_record_len13(0x1305), 11); /* AES_128_CCM_8 */
}

/* One handshake message in its own record, from the server or the client. */
static void feed_msg(struct tls_conn *c, enum cap_dir dir, uint64_t *off, uint8_t type,
                     const uint8_t *body, size_t len)
{
    uint8_t rec[1024];
    size_t msg = len + 4;
    uint8_t h[9] = {22, 3, 3, (uint8_t)(msg >> 8), (uint8_t)msg, type, 0, (uint8_t)(len >> 8),
                    (uint8_t)len};
    assert_true(len + 9 <= sizeof(rec));
    memcpy(rec, h, 9);
    memcpy(rec + 9, body, len);
    tls_conn_data(c, dir, *off, rec, len + 9, 1);
    *off += len + 9;
}

/* The ServerKeyExchange group is read only for ECDHE suites: a DHE ServerKeyExchange starts
 * with the length of its prime, whose first byte may be 3 (the ECDHE named_curve tag). */
static void test_ske_group_only_for_ecdhe(void **state)
{
    (void)state;
    static const struct {
        uint16_t suite;
        uint16_t want_group;
    } rows[] = {{0xc02f, 0x001d}, {0x009e, 0}}; /* ECDHE_RSA_AES128_GCM; DHE_RSA_AES128_GCM */
    /* named_curve(3), x25519, then a 32-byte key: also a DHE p length of 0x031d... */
    uint8_t ske[3 + 1 + 32];
    memset(ske, 0x42, sizeof(ske));
    ske[0] = 3;
    ske[1] = 0x00;
    ske[2] = 0x1d;
    ske[3] = 32;
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        uint8_t sh[sizeof(SH12)];
        memcpy(sh, SH12, sizeof(SH12));
        size_t cipher_off = 2 + 32 + 1 + SH12[34];
        sh[cipher_off] = (uint8_t)(rows[i].suite >> 8);
        sh[cipher_off + 1] = (uint8_t)rows[i].suite;
        struct tls_conn *c = tls_conn_new(NULL);
        uint64_t coff = 0, soff = 0;
        feed_msg(c, CAP_DIR_CLIENT, &coff, TLS_HT_CLIENT_HELLO, CH12, sizeof(CH12));
        feed_msg(c, CAP_DIR_SERVER, &soff, TLS_HT_SERVER_HELLO, sh, sizeof(sh));
        feed_msg(c, CAP_DIR_SERVER, &soff, TLS_HT_SERVER_KEY_EXCHANGE, ske, sizeof(ske));
        tls_conn_finish(c, NULL);
        assert_int_equal(tls_conn_get_summary(c)->cipher, rows[i].suite);
        assert_int_equal(tls_conn_get_summary(c)->server_key_exchange_group, rows[i].want_group);
        tls_conn_free(c);
    }
}

#define ROW(fn, tbl, i) cmocka_unit_test_prestate(fn, (void *)&tbl[i])

int main(void)
{
    struct CMUnitTest tests[32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(LAB) / sizeof(LAB[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_lab, LAB, i);
        tests[n++].name = LAB[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_s0_details);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_tls13_alpn_offered);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_tls13_no_fin_unknown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_tls12_fin_after_data);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_alert_pcap);
    for (size_t i = 0; i < sizeof(DROPS) / sizeof(DROPS[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_server_short_write, DROPS, i);
        tests[n++].name = DROPS[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_gap_is_not_desync);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_swap_dirs);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_http_on_443);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_alert_before_app_data);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_encrypted_renegotiation);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_capture_cut_mid_record);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sslv2_client_hello);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_alert_record_len13);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ske_group_only_for_ecdhe);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_16mb_handshake_claim);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hs_every_split);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hs_limit);
    return _cmocka_run_group_tests("tls_conn", tests, n, NULL, NULL);
}
