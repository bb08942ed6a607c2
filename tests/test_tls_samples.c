/* The dissector on the fault-injection captures of samples/ (made by samples/make-samples; what
 * is true in each by construction is in samples/truth.json): the engine (the pipeline the CLI
 * runs) reads each, and each connection's tls_summary must state those facts: version,
 * cipher, handshake outcome, resumption, HelloRetryRequest, alerts, close_notify, and, for the
 * 444-byte short write, a desync whose estimate is exactly 444 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "engine.h"

#define MAX_CONNS 64

struct conn_out {
    struct cap_flow_summary flow;
    struct tls_summary tls;
};

struct run {
    size_t num;
    struct conn_out *out; /* MAX_CONNS, in order of close */
};

/* The engine's connection hook: each connection as it ends, copied (its lists outlive it). */
static void on_connection(void *user, const struct rpt_connection *c)
{
    struct run *r = user;
    if (r->num < MAX_CONNS && c->tls != NULL) {
        cap_flow_summary_copy(&r->out[r->num].flow, c->flow);
        tls_summary_copy(&r->out[r->num].tls, c->tls);
        r->num++;
    }
}

static int by_id(const void *a, const void *b)
{
    const struct conn_out *x = a, *y = b;
    return x->flow.id < y->flow.id ? -1 : x->flow.id > y->flow.id;
}

/* release_out: what the MAX_CONNS results of dissect_file own (their copies' lists and
 * certificates); free_out: that and the array. */
static void release_out(struct conn_out *out)
{
    for (size_t i = 0; i < MAX_CONNS; i++) {
        cap_flow_summary_release(&out[i].flow);
        tls_summary_release(&out[i].tls);
    }
}

static void free_out(struct conn_out *out)
{
    release_out(out);
    free(out);
}

/* dissect_file: every connection of samples/<file>, ordered by first packet (tshark's
 * tcp.stream order). */
static size_t dissect_file(const char *file, struct conn_out *out)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/samples/%s", TLSSCOPE_SOURCE_DIR, file);
    if (access(path, R_OK) != 0) {
        /* samples/ is produced by samples/make-samples; a tree without it skips, visibly.
         * skip() does not return: out (the caller's) is freed here. */
        free_out(out);
        skip();
    }
    release_out(out); /* a second file read into the same results replaces the first */
    struct run r = {0};
    r.out = out;
    struct eng_options eo;
    eng_options_defaults(&eo);
    struct engine *e = eng_new(&eo, NULL, on_connection, &r, NULL);
    const char *paths[] = {path};
    GError *err = NULL;
    struct cap_source *src = cap_source_open_files(paths, 1, NULL, &err);
    assert_non_null(src);
    assert_true(eng_read_all(e, src, &err));
    eng_free(e);
    cap_source_free(src);
    qsort(out, r.num, sizeof(out[0]), by_id);
    if (getenv("TLS_SAMPLES_DUMP")) {
        for (size_t i = 0; i < r.num; i++) {
            const struct tls_summary *t = &out[i].tls;
            printf("%s[%zu] v=%04x c=%04x hs=%s hist=%s off=%u res=%s hrr=%d alerts=%u desyncs=%u "
                   "cn=%s/%s (%s | %s)\n",
                   file, i, t->version, t->cipher, tls_handshake_kind_name(t->handshake),
                   t->history, t->offered, tls_resumption_outcome_name(t->resumption),
                   t->hello_retry_request, t->num_alerts, t->num_desyncs,
                   tls_close_notify_name(t->dir[0].close_notify),
                   tls_close_notify_name(t->dir[1].close_notify),
                   t->dir[0].close_notify_reason ? t->dir[0].close_notify_reason : "-",
                   t->dir[1].close_notify_reason ? t->dir[1].close_notify_reason : "-");
            for (uint32_t a = 0; a < t->num_alerts && a < TLS_MAX_ALERTS; a++) {
                printf("   alert from=%d lvl=%u desc=%u enc=%d prob=%d len=%u off=%llu bad=%d\n",
                       t->alerts[a].from, t->alerts[a].level, t->alerts[a].description,
                       t->alerts[a].encrypted, t->alerts[a].probable, t->alerts[a].record_len,
                       (unsigned long long)t->alerts[a].offset, t->alerts[a].before_app_data);
            }
            for (uint32_t d = 0; d < t->num_desyncs && d < TLS_MAX_DESYNCS; d++) {
                const struct tls_desync *x = &t->desyncs[d];
                printf("   desync from=%d gap=%d last=%llu bad=%llu r=%llu skip=%llu est=%lld "
                       "valid=%d ok=%d\n",
                       x->from, x->after_gap, (unsigned long long)x->last_good_offset,
                       (unsigned long long)x->bad_offset, (unsigned long long)x->resync_offset,
                       (unsigned long long)x->skipped_bytes, (long long)x->estimated_missing_bytes,
                       x->estimate_valid, x->resynced);
            }
        }
    }
    return r.num;
}

/* ------------------------------------------------------------------ expectations */

#define A_NONE 0xff

struct alert_exp {
    enum cap_dir from;
    bool encrypted;
    uint8_t description; /* A_NONE when encrypted */
};

struct conn_exp {
    uint16_t version; /* 0: no ServerHello */
    uint16_t cipher;
    enum tls_handshake_kind kind;
    unsigned offered;
    enum tls_resumption_outcome resumption;
    bool hrr;
    int num_alerts; /* -1: not checked (racy in the capture) */
    struct alert_exp alerts[2];
    int cn[2]; /* enum tls_close_notify, or ANY */
};

struct sample_case {
    const char *name;
    const char *file;
    size_t num_conns; /* exact, or at least this many when each is set */
    struct conn_exp conns[3];
    bool each; /* every connection matches conns[0] */
};

#define C CAP_DIR_CLIENT
#define S CAP_DIR_SERVER
#define YES TLS_CN_YES
#define NO TLS_CN_NO
#define UNK TLS_CN_UNKNOWN
#define ANY (-1)
#define CLOSE_BOTH                                                                                 \
    2, {{S, true, A_NONE}, {C, true, A_NONE}},                                                     \
    {                                                                                              \
        YES, YES                                                                                   \
    }
#define CLOSE_BOTH_CS                                                                              \
    2, {{C, true, A_NONE}, {S, true, A_NONE}},                                                     \
    {                                                                                              \
        YES, YES                                                                                   \
    }

/* From samples/truth.json: each row restates the "connections" facts of one sample. */
static const struct sample_case SAMPLES[] = {
    {"tls12_clean",
     "tls12-clean.pcap",
     1,
     {{0x0303, 0xc02f, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH}},
     false},
    {"tls12_clean_sll",
     "tls12-clean-sll.pcap",
     1,
     {{0x0303, 0xc02f, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH}},
     false},
    {"tls13_clean",
     "tls13-clean.pcap",
     1,
     {{0x0304, 0x1301, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH}},
     false},
    {"tls13_ipv6",
     "tls13-ipv6-9443.pcap",
     1,
     {{0x0304, 0x1301, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH}},
     false},
    {"tls13_hrr",
     "tls13-hrr.pcap",
     1,
     {{0x0304, 0x1301, TLS_HS_FULL, 0, TLS_RESUME_NONE, true, CLOSE_BOTH}},
     false},
    {"tls12_sessid_resume",
     "tls12-sessid-resume.pcap",
     3,
     {{0x0303, 0xc02f, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH},
      {0x0303, 0xc02f, TLS_HS_RESUMED, TLS_OFFER_SESSION_ID, TLS_RESUME_ACCEPTED, false,
       CLOSE_BOTH},
      {0x0303, 0xc02f, TLS_HS_FULL, TLS_OFFER_SESSION_ID, TLS_RESUME_REFUSED, false, CLOSE_BOTH}},
     false},
    {"tls12_ticket_resume",
     "tls12-ticket-resume.pcap",
     3,
     {{0x0303, 0xc02f, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH},
      {0x0303, 0xc02f, TLS_HS_RESUMED, TLS_OFFER_SESSION_ID | TLS_OFFER_TICKET, TLS_RESUME_ACCEPTED,
       false, CLOSE_BOTH},
      {0x0303, 0xc02f, TLS_HS_FULL, TLS_OFFER_SESSION_ID | TLS_OFFER_TICKET, TLS_RESUME_REFUSED,
       false, CLOSE_BOTH}},
     false},
    {"tls13_psk_resume",
     "tls13-psk-resume.pcap",
     3,
     {{0x0304, 0x1301, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH},
      {0x0304, 0x1301, TLS_HS_RESUMED, TLS_OFFER_PSK, TLS_RESUME_ACCEPTED, false, CLOSE_BOTH},
      {0x0304, 0x1301, TLS_HS_FULL, TLS_OFFER_PSK, TLS_RESUME_REFUSED, false, CLOSE_BOTH}},
     false},
    {"version_mismatch",
     "tls-version-mismatch.pcap",
     1,
     {{0, 0, TLS_HS_FAILED, 0, TLS_RESUME_NONE, false, 1, {{S, false, 70}}, {NO, NO}}},
     false},
    {"no_shared_cipher",
     "tls12-no-shared-cipher.pcap",
     1,
     {{0, 0, TLS_HS_FAILED, 0, TLS_RESUME_NONE, false, 1, {{S, false, 40}}, {NO, NO}}},
     false},
    {"unknown_ca",
     "tls12-unknown-ca.pcap",
     1,
     {{0x0303, 0xc02f, TLS_HS_FAILED, 0, TLS_RESUME_NONE, false, 1, {{C, false, 48}}, {NO, NO}}},
     false},
    {"flipped_finished",
     "tls12-flipped-finished.pcap",
     2,
     {{0x0303, 0xc02f, TLS_HS_FAILED, 0, TLS_RESUME_NONE, false, 1, {{S, false, 20}}, {NO, NO}},
      {0x0303, 0xc02f, TLS_HS_FAILED, 0, TLS_RESUME_NONE, false, 1, {{S, false, 20}}, {NO, NO}}},
     false},
    {"download",
     "tls12-download.pcap",
     1,
     {{0x0303, 0xc02f, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, CLOSE_BOTH}},
     false},
    /* The client's encrypted alert is a fatal bad_record_mac by construction; by its size and
     * place alone it is indistinguishable from close_notify, so its close_notify is not
     * checked. */
    {"dropped_444_serverleg",
     "tls12-dropped-444-serverleg.pcap",
     1,
     {{0x0303,
       0xc02f,
       TLS_HS_FULL,
       0,
       TLS_RESUME_NONE,
       false,
       2,
       {{S, true, A_NONE}, {C, true, A_NONE}},
       {ANY, YES}}},
     false},
    /* Stream 0: the client FINs without close_notify; the JDK answers with an encrypted fatal
     * unexpected_message (again not distinguishable from close_notify: server not checked). */
    /* Both Java samples: the server's final encrypted alert answers the client's close without
     * close_notify. The wire cannot tell a close_notify reply (accepted) from the fatal
     * unexpected_message of requireCloseNotify (refused), so the server side is unknown. */
    {"java_unclean_refused",
     "java-unclean-refused.pcap",
     2,
     {{0x0303, 0xc030, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, 1, {{S, true, A_NONE}}, {NO, UNK}},
      {0x0303, 0xc030, TLS_HS_FULL, TLS_OFFER_SESSION_ID, TLS_RESUME_REFUSED, false,
       CLOSE_BOTH_CS}},
     false},
    {"java_unclean_accepted",
     "java-unclean-accepted.pcap",
     2,
     {{0x0303, 0xc030, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, 1, {{S, true, A_NONE}}, {NO, UNK}},
      {0x0303, 0xc030, TLS_HS_RESUMED, TLS_OFFER_SESSION_ID, TLS_RESUME_ACCEPTED, false,
       CLOSE_BOTH_CS}},
     false},
    /* Every health check: a full TLS 1.3 handshake, then the client's RST, no alert. */
    {"haproxy_checks",
     "haproxy-ssl-checks.pcap",
     10,
     {{0x0304, 0x1302, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, 0, {{C, false, 0}}, {NO, ANY}}},
     true},
    {"tcp_rst_abort",
     "tcp-rst-abort.pcap",
     1,
     {{0x0304, 0x1302, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, 0, {{C, false, 0}}, {NO, ANY}}},
     false},
    {"gnutls_tls13_resume",
     "gnutls-tls13-resume.pcap",
     2,
     {{0x0304, 0x1303, TLS_HS_FULL, 0, TLS_RESUME_NONE, false, -1, {{C, false, 0}}, {ANY, ANY}},
      {0x0304, 0x1303, TLS_HS_RESUMED, TLS_OFFER_PSK, TLS_RESUME_ACCEPTED, false, CLOSE_BOTH_CS}},
     false},
};

static void check_conn(const struct conn_exp *e, const struct tls_summary *t)
{
    assert_true(t->is_tls);
    assert_true(t->client_hello_seen);
    assert_int_equal(t->client_hello_dir, CAP_DIR_CLIENT);
    assert_int_equal(t->server_hello_seen, e->version != 0);
    assert_int_equal(t->version, e->version);
    if (e->version) {
        assert_int_equal(t->cipher, e->cipher);
    }
    assert_int_equal(t->handshake, e->kind);
    assert_int_equal(t->offered, e->offered);
    assert_int_equal(t->resumption, e->resumption);
    assert_int_equal(t->hello_retry_request, e->hrr);
    if (e->num_alerts >= 0) {
        assert_int_equal(t->num_alerts, e->num_alerts);
    }
    /* truth.json lists alerts per connection without a cross-direction order: match each
     * expected alert to a distinct actual one. */
    bool used[TLS_MAX_ALERTS] = {false};
    for (int i = 0; i < e->num_alerts; i++) {
        bool found = false;
        for (uint32_t j = 0; j < t->num_alerts && j < TLS_MAX_ALERTS && !found; j++) {
            const struct tls_alert *a = &t->alerts[j];
            if (used[j] || a->from != e->alerts[i].from || a->encrypted != e->alerts[i].encrypted) {
                continue;
            }
            if (!a->encrypted && (a->description != e->alerts[i].description || a->level != 2)) {
                continue;
            }
            used[j] = found = true;
        }
        assert_true(found);
    }
    for (int d = 0; d < 2; d++) {
        if (e->cn[d] != ANY) {
            assert_int_equal(t->dir[d].close_notify, e->cn[d]);
            assert_int_equal(t->dir[d].close_notify_reason == NULL, e->cn[d] == YES);
        }
    }
    assert_int_equal(t->num_desyncs, 0);
}

static void test_sample(void **state)
{
    const struct sample_case *t = *state;
    struct conn_out *out = calloc(MAX_CONNS, sizeof(*out));
    size_t n = dissect_file(t->file, out);
    if (t->each) {
        assert_true(n >= t->num_conns);
    } else {
        assert_int_equal(n, t->num_conns);
    }
    for (size_t i = 0; i < n; i++) {
        check_conn(&t->conns[t->each ? 0 : i], &out[i].tls);
    }
    free_out(out);
}

/* fault_field: an integer of the "fault" object of one sample in samples/truth.json (the
 * samples are regenerated by samples/make-samples, so offsets are read, not copied). */
static int64_t fault_field(const char *sample, const char *field)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/samples/truth.json", TLSSCOPE_SOURCE_DIR);
    if (access(path, R_OK) != 0) {
        skip();
    }
    JsonParser *p = json_parser_new();
    assert_true(json_parser_load_from_file(p, path, NULL));
    JsonArray *samples =
        json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "samples");
    int64_t v = -1;
    for (guint i = 0; i < json_array_get_length(samples); i++) {
        JsonObject *o = json_array_get_object_element(samples, i);
        if (strcmp(json_object_get_string_member(o, "name"), sample) == 0) {
            v = json_object_get_int_member(json_object_get_object_member(o, "fault"), field);
        }
    }
    g_object_unref(p);
    assert_true(v >= 0);
    return v;
}

/* The proxy dropped `count` (444) server bytes inside the body of one application data record;
 * the TCP stream is intact. truth.json "fault" gives the record's offset and body length. */
static void test_dropped_444(void **state)
{
    (void)state;
    int64_t rec_off = fault_field("tls12-dropped-444", "record_offset");
    int64_t body_len = fault_field("tls12-dropped-444", "record_body_len");
    int64_t count = fault_field("tls12-dropped-444", "count");
    assert_int_equal(count, 444);
    struct conn_out *out = calloc(MAX_CONNS, sizeof(*out));
    size_t n = dissect_file("tls12-dropped-444.pcap", out);
    assert_int_equal(n, 1);
    const struct tls_summary *t = &out[0].tls;
    assert_int_equal(t->version, 0x0303);
    assert_int_equal(t->handshake, TLS_HS_FULL);
    assert_true(t->num_desyncs >= 1);
    const struct tls_desync *d = &t->desyncs[0];
    assert_int_equal(d->from, CAP_DIR_SERVER);
    assert_false(d->after_gap);
    assert_int_equal(d->last_good_offset, rec_off);
    assert_int_equal(d->bad_offset, rec_off + 5 + body_len);
    assert_true(d->resynced);
    assert_true(d->estimate_valid);
    assert_int_equal(d->estimated_missing_bytes, count);
    assert_int_equal(d->resync_offset, rec_off + 5 + body_len - count);
    /* The client's answer: an encrypted (fatal bad_record_mac) alert. */
    assert_true(t->num_alerts >= 1);
    assert_int_equal(t->alerts[0].from, CAP_DIR_CLIENT);
    assert_true(t->alerts[0].encrypted);
    assert_int_equal(out[0].tls.dir[CAP_DIR_SERVER].oversized_records, 0);
    free_out(out);
}

/* Capture loss: two server packets deleted, each inside a record body: gaps, never a desync, and
 * the close_notify of both sides still found. */
static void test_download_loss(void **state)
{
    (void)state;
    struct conn_out *out = calloc(MAX_CONNS, sizeof(*out));
    size_t n = dissect_file("tls12-download-loss.pcap", out);
    assert_int_equal(n, 1);
    const struct tls_summary *t = &out[0].tls;
    assert_true(out[0].flow.dir[CAP_DIR_SERVER].num_gaps >= 1);
    assert_int_equal(t->num_desyncs, 0);
    assert_int_equal(t->handshake, TLS_HS_FULL);
    assert_int_equal(t->dir[CAP_DIR_SERVER].close_notify, TLS_CN_YES);
    assert_int_equal(t->dir[CAP_DIR_CLIENT].close_notify, TLS_CN_YES);
    free_out(out);
}

/* samples/lab/gap.pcap: big.pcap with a 34,752-byte server segment deleted mid-record. The gap
 * swallows record headers: the framer resynchronises after it, marked as after a gap and
 * without an estimate (the capture lost bytes, not the sender), and the close is still read. */
static void test_lab_gap(void **state)
{
    (void)state;
    struct conn_out *out = calloc(MAX_CONNS, sizeof(*out));
    assert_int_equal(dissect_file("lab/big.pcap", out), 1);
    const struct tls_summary *base = &out[0].tls;
    assert_int_equal(base->num_desyncs, 0);
    assert_int_equal(base->handshake, TLS_HS_FULL);
    uint64_t records = base->dir[CAP_DIR_SERVER].records;
    assert_true(records > 16);
    /* The recent-records ring comes out oldest first, ending with the last record. */
    const struct tls_dir_summary *sd = &base->dir[CAP_DIR_SERVER];
    assert_int_equal(sd->num_recent, TLS_MAX_RECENT_RECORDS);
    for (uint32_t i = 1; i < sd->num_recent; i++) {
        assert_int_equal(sd->recent[i].offset,
                         sd->recent[i - 1].offset + 5 + sd->recent[i - 1].length);
    }
    assert_int_equal(sd->recent[sd->num_recent - 1].offset, sd->last_record.offset);
    assert_int_equal(dissect_file("lab/gap.pcap", out), 1);
    const struct tls_summary *t = &out[0].tls;
    assert_true(out[0].flow.dir[CAP_DIR_SERVER].num_gaps >= 1);
    uint64_t g0 = out[0].flow.dir[CAP_DIR_SERVER].gaps[0].offset;
    uint64_t g1 = g0 + out[0].flow.dir[CAP_DIR_SERVER].gaps[0].len;
    assert_int_equal(g1 - g0, 34752);
    assert_int_equal(t->num_desyncs, 1);
    const struct tls_desync *d = &t->desyncs[0];
    assert_int_equal(d->from, CAP_DIR_SERVER);
    assert_true(d->after_gap);
    assert_true(d->resynced);
    assert_false(d->estimate_valid);
    assert_true(d->bad_offset >= g0 && d->bad_offset < g1);
    assert_true(d->resync_offset >= g1);
    assert_true(d->last_good_offset < g0);
    /* Fewer records framed than in big.pcap: the ones inside the gap. */
    assert_true(t->dir[CAP_DIR_SERVER].records < records);
    assert_true(t->dir[CAP_DIR_SERVER].records >= records - 3);
    assert_int_equal(t->handshake, TLS_HS_FULL);
    free_out(out);
}

/* samples/lab/mid.pcap: cap.pcap without its first two packets (stream 0's SYN and SYN-ACK):
 * the first connection still starts at its ClientHello and is dissected in full. */
static void test_lab_mid(void **state)
{
    (void)state;
    struct conn_out *out = calloc(MAX_CONNS, sizeof(*out));
    assert_int_equal(dissect_file("lab/mid.pcap", out), 6);
    const struct tls_summary *t = &out[0].tls;
    assert_true(out[0].flow.dir[CAP_DIR_CLIENT].midstream || !out[0].flow.dir[0].syn_seen);
    assert_true(t->client_hello_seen);
    assert_int_equal(t->client_hello_dir, CAP_DIR_CLIENT);
    assert_string_equal(t->ja3, "2c4428422b734ef16cdbf05bc5d82e08");
    assert_int_equal(t->handshake, TLS_HS_FULL);
    assert_int_equal(t->num_desyncs, 0);
    assert_int_equal(out[5].tls.resumption, TLS_RESUME_ACCEPTED);
    free_out(out);
}

#define ROW(fn, tbl, i) cmocka_unit_test_prestate(fn, (void *)&tbl[i])

int main(void)
{
    struct CMUnitTest tests[32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(SAMPLES) / sizeof(SAMPLES[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_sample, SAMPLES, i);
        tests[n++].name = SAMPLES[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_dropped_444);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_download_loss);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_lab_gap);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_lab_mid);
    return _cmocka_run_group_tests("tls_samples", tests, n, NULL, NULL);
}
