/* Record framer tests: framing at every split point, oversized records, desync after bytes were
 * dropped inside or injected after a record (the estimate must equal the damage exactly),
 * resync after a TCP gap, SSLv2 hello, mid-stream pickup, streams that are not TLS, record
 * buffers from a spare list, and trimming a framer once its connection closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect.h"
#include "spare_list.h"
#include "tls_shared_internal.h"
#include "tls_record_internal.h"
#include "tls_test_build.h"

#define MAX_EV 64

struct recorder {
    size_t num_records;
    struct tls_record_info records[MAX_EV];
    bool oversized[MAX_EV];
    size_t num_bodies;
    uint32_t body_sum[MAX_EV]; /* a checksum of each delivered body */
    size_t body_len[MAX_EV];
    size_t num_desyncs;
    struct tls_desync desyncs[MAX_EV];
    size_t num_sslv2;
    size_t sslv2_len;
    uint8_t sslv2_first;
    size_t num_lost;
};

static uint32_t checksum(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

static bool rec_record(void *user, const struct tls_record_info *rec, bool oversized)
{
    struct recorder *r = user;
    if (r->num_records < MAX_EV) {
        r->records[r->num_records] = *rec;
        r->oversized[r->num_records] = oversized;
    }
    r->num_records++;
    /* Ask for the bodies a dissector would parse: handshake, alert, CCS. */
    return rec->content_type != 23;
}

static void rec_body(void *user, const struct tls_record_info *rec, const uint8_t *body,
                     size_t len)
{
    struct recorder *r = user;
    assert_int_equal(len, rec->length);
    if (r->num_bodies < MAX_EV) {
        r->body_sum[r->num_bodies] = checksum(body, len);
        r->body_len[r->num_bodies] = len;
    }
    r->num_bodies++;
}

static void rec_lost(void *user, const struct tls_record_info *rec)
{
    struct recorder *r = user;
    (void)rec;
    r->num_lost++;
}

static void rec_sslv2(void *user, uint64_t offset, const uint8_t *record, size_t len,
                      int64_t ts_us)
{
    struct recorder *r = user;
    (void)ts_us;
    assert_int_equal(offset, 0);
    r->num_sslv2++;
    r->sslv2_len = len;
    r->sslv2_first = len ? record[0] : 0;
}

static void rec_desync(void *user, const struct tls_desync *d)
{
    struct recorder *r = user;
    if (r->num_desyncs < MAX_EV) {
        r->desyncs[r->num_desyncs] = *d;
    }
    r->num_desyncs++;
}

static const struct tls_framer_events EVENTS = {rec_record, rec_body, rec_lost, rec_sslv2,
                                                rec_desync};

/* framer_new_spares: with record buffers from spares (NULL: malloc, the default config). */
static void framer_new_spares(struct tls_framer *f, struct recorder *r, struct tls_shared *spares)
{
    struct tls_config cfg;
    tls_config_defaults(&cfg);
    cfg.shared = spares;
    memset(r, 0, sizeof(*r));
    tls_framer_init(f, CAP_DIR_SERVER, &cfg, &EVENTS, r);
}

static void framer_new(struct tls_framer *f, struct recorder *r)
{
    framer_new_spares(f, r, NULL);
}

/* ------------------------------------------------------------------ stream builder */

struct stream {
    uint8_t *p;
    size_t len;
    uint32_t seed;
};

static uint8_t rnd(struct stream *s)
{
    s->seed = s->seed * 1103515245u + 12345u;
    return (uint8_t)(s->seed >> 16);
}

static void put(struct stream *s, const void *data, size_t n)
{
    s->p = realloc(s->p, s->len + n + 1);
    memcpy(s->p + s->len, data, n);
    s->len += n;
}

/* add_record: a header claiming claimed_len, followed by body_len pseudo-random bytes. Returns
 * the record's offset. */
static uint64_t add_record(struct stream *s, uint8_t type, uint16_t version, uint16_t claimed_len,
                           size_t body_len)
{
    uint64_t off = s->len;
    uint8_t h[5] = {type, (uint8_t)(version >> 8), (uint8_t)version, (uint8_t)(claimed_len >> 8),
                    (uint8_t)claimed_len};
    put(s, h, 5);
    for (size_t i = 0; i < body_len; i++) {
        uint8_t b = rnd(s);
        put(s, &b, 1);
    }
    return off;
}

static void add_junk(struct stream *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = rnd(s);
        put(s, &b, 1);
    }
}

static void feed_chunks(struct tls_framer *f, const uint8_t *p, size_t len, size_t chunk)
{
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        tls_framer_data(f, off, p + off, n, (int64_t)off);
    }
}

/* A small TLS 1.2-like exchange: handshake, CCS, encrypted handshake, data, alert. */
static void build_mixed(struct stream *s)
{
    memset(s, 0, sizeof(*s));
    s->seed = 7;
    add_record(s, 22, 0x0303, 93, 93);
    add_record(s, 22, 0x0303, 61, 61);
    add_record(s, 20, 0x0303, 1, 1);
    add_record(s, 22, 0x0303, 40, 40);
    add_record(s, 23, 0x0303, 0, 0);
    add_record(s, 23, 0x0303, 77, 77);
    add_record(s, 21, 0x0303, 26, 26);
}

/* ------------------------------------------------------------------ split points */

static void test_every_split_point(void **state)
{
    (void)state;
    struct stream s;
    build_mixed(&s);
    struct tls_framer f;
    struct recorder ref, got;
    framer_new(&f, &ref);
    tls_framer_data(&f, 0, s.p, s.len, 0);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(ref.num_records, 7);
    assert_int_equal(ref.num_bodies, 5);
    assert_int_equal(ref.num_desyncs, 0);
    assert_int_equal(ref.records[6].offset, s.len - 31);

    for (size_t a = 0; a <= s.len; a++) {
        framer_new(&f, &got);
        tls_framer_data(&f, 0, s.p, a, 0);
        tls_framer_data(&f, a, s.p + a, s.len - a, 0);
        tls_framer_finish(&f);
        tls_framer_cleanup(&f);
        assert_int_equal(got.num_records, ref.num_records);
        assert_int_equal(got.num_bodies, ref.num_bodies);
        assert_int_equal(got.num_desyncs, 0);
        for (size_t i = 0; i < ref.num_records; i++) {
            assert_int_equal(got.records[i].offset, ref.records[i].offset);
            assert_int_equal(got.records[i].length, ref.records[i].length);
            assert_int_equal(got.records[i].content_type, ref.records[i].content_type);
        }
        for (size_t i = 0; i < ref.num_bodies; i++) {
            assert_int_equal(got.body_sum[i], ref.body_sum[i]);
        }
    }
    /* One byte at a time: every header split at every position at once. */
    framer_new(&f, &got);
    feed_chunks(&f, s.p, s.len, 1);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(got.num_records, ref.num_records);
    for (size_t i = 0; i < ref.num_bodies; i++) {
        assert_int_equal(got.body_sum[i], ref.body_sum[i]);
    }
    free(s.p);
}

/* ------------------------------------------------------------------ oversized */

struct oversized_case {
    const char *name;
    uint16_t max_len;
    uint16_t len;
    bool oversized;
};

static const struct oversized_case OVERSIZED[] = {
    {"tls12_limit", TLS_MAX_CIPHERTEXT_LEN, TLS_MAX_CIPHERTEXT_LEN, false},
    {"tls12_over", TLS_MAX_CIPHERTEXT_LEN, TLS_MAX_CIPHERTEXT_LEN + 1, true},
    {"tls12_max_u16", TLS_MAX_CIPHERTEXT_LEN, 0xffff, true},
    {"tls13_limit", TLS13_MAX_CIPHERTEXT_LEN, TLS13_MAX_CIPHERTEXT_LEN, false},
    {"tls13_over", TLS13_MAX_CIPHERTEXT_LEN, TLS13_MAX_CIPHERTEXT_LEN + 1, true},
};

static void test_oversized(void **state)
{
    const struct oversized_case *t = *state;
    struct stream s = {0};
    s.seed = 3;
    add_record(&s, 23, 0x0303, 100, 100);
    add_record(&s, 23, 0x0303, t->len, t->len);
    uint64_t after = add_record(&s, 23, 0x0303, 50, 50);
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    f.max_len = t->max_len;
    feed_chunks(&f, s.p, s.len, 1448);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_records, 3);
    assert_int_equal(r.oversized[1], t->oversized);
    assert_false(r.oversized[0]);
    assert_int_equal(r.records[2].offset, after);
    assert_int_equal(r.num_desyncs, 0);
    free(s.p);
}

/* ------------------------------------------------------------------ invalid headers */

struct badhdr_case {
    const char *name;
    uint8_t h[5];
};

static const struct badhdr_case BADHDR[] = {
    {"type_19", {19, 3, 3, 0, 10}},
    {"type_25", {25, 3, 3, 0, 10}},
    {"major_2", {23, 2, 0, 0, 10}},
    {"minor_5", {23, 3, 5, 0, 10}},
    {"empty_handshake", {22, 3, 3, 0, 0}},
    {"empty_alert", {21, 3, 3, 0, 0}},
};

static void test_bad_header_is_desync(void **state)
{
    const struct badhdr_case *t = *state;
    struct stream s = {0};
    s.seed = 11;
    add_record(&s, 23, 0x0303, 200, 200);
    uint64_t bad = s.len;
    put(&s, t->h, 5);
    add_junk(&s, 10);
    uint64_t r1 = add_record(&s, 23, 0x0303, 300, 300);
    add_record(&s, 23, 0x0303, 300, 300);
    add_record(&s, 23, 0x0303, 300, 300);
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, 1448);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_desyncs, 1);
    assert_int_equal(r.desyncs[0].bad_offset, bad);
    assert_int_equal(r.desyncs[0].resync_offset, r1);
    assert_true(r.desyncs[0].resynced);
    assert_int_equal(r.desyncs[0].estimated_missing_bytes, -15);
    assert_int_equal(r.num_records, 4);
    free(s.p);
}

static void test_zero_length_appdata_ok(void **state)
{
    (void)state;
    uint8_t s[] = {23, 3, 3, 0, 0, 23, 3, 3, 0, 1, 0xaa};
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    tls_framer_data(&f, 0, s, sizeof(s), 0);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_records, 2);
    assert_int_equal(r.num_desyncs, 0);
}

/* ------------------------------------------------------------------ desync: dropped bytes */

struct desync_case {
    const char *name;
    long damage;   /* >0: bytes dropped at the end of the 16 KB record; <0: bytes injected */
    size_t chunk;  /* delivery chunk size */
};

static const struct desync_case DESYNC[] = {
    {"drop_444_mss", 444, 1448},  {"drop_444_whole", 444, 1 << 20},
    {"drop_444_gso", 444, 65483}, {"drop_1", 1, 1448},
    {"drop_100", 100, 1448},      {"drop_5000", 5000, 1448},
    {"drop_5000_tiny", 5000, 7},  {"inject_7", -7, 1448},
    {"inject_300", -300, 1448},   {"inject_1", -1, 1 << 20},
};

static void test_desync_estimate(void **state)
{
    const struct desync_case *t = *state;
    struct stream s = {0};
    s.seed = 99;
    add_record(&s, 23, 0x0303, 1000, 1000);
    uint64_t damaged = add_record(&s, 23, 0x0303, 16384,
                                  t->damage > 0 ? 16384 - (size_t)t->damage : 16384);
    if (t->damage < 0) {
        add_junk(&s, (size_t)-t->damage);
    }
    uint64_t next = add_record(&s, 23, 0x0303, 8000, 8000);
    add_record(&s, 23, 0x0303, 16384, 16384);
    uint64_t last = add_record(&s, 23, 0x0303, 300, 300);
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, t->chunk);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);

    assert_int_equal(r.num_desyncs, 1);
    const struct tls_desync *d = &r.desyncs[0];
    assert_false(d->after_gap);
    assert_true(d->resynced);
    assert_true(d->estimate_valid);
    assert_int_equal(d->last_good_offset, damaged);
    assert_int_equal(d->bad_offset, damaged + 5 + 16384);
    assert_int_equal(d->resync_offset, next);
    assert_int_equal(d->estimated_missing_bytes, t->damage);
    assert_int_equal(d->skipped_bytes, t->damage < 0 ? (uint64_t)-t->damage : 0);
    /* Framing goes on after the resync: the three records of the chain, in order. */
    assert_int_equal(r.num_records, 5);
    assert_int_equal(r.records[2].offset, next);
    assert_int_equal(r.records[4].offset, last);
    free(s.p);
}

/* After a drop only one record remains: the chain is accepted because it runs exactly to the
 * end of the stream. */
static void test_desync_resync_at_end(void **state)
{
    (void)state;
    struct stream s = {0};
    s.seed = 5;
    add_record(&s, 23, 0x0303, 16384, 16384 - 444);
    uint64_t alert = add_record(&s, 21, 0x0303, 26, 26);
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, 1448);
    assert_int_equal(r.num_desyncs, 0); /* undecided until the stream ends */
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_desyncs, 1);
    assert_true(r.desyncs[0].resynced);
    assert_int_equal(r.desyncs[0].resync_offset, alert);
    assert_int_equal(r.desyncs[0].estimated_missing_bytes, 444);
    assert_int_equal(r.num_records, 2);
    free(s.p);
}

static void test_desync_never_resyncs(void **state)
{
    (void)state;
    struct stream s = {0};
    s.seed = 17;
    add_record(&s, 23, 0x0303, 500, 500);
    put(&s, "\x01\x02\x03\x04\x05", 5);
    for (int i = 0; i < 2000; i++) {
        put(&s, "\xee", 1);
    }
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, 1448);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_desyncs, 1);
    assert_false(r.desyncs[0].resynced);
    assert_int_equal(r.desyncs[0].bad_offset, 505);
    assert_int_equal(r.num_records, 1);
    free(s.p);
}

/* ------------------------------------------------------------------ gaps */

struct gap_case {
    const char *name;
    size_t gap_from; /* relative to the start of record 2 */
    size_t gap_len;
    bool desync;
};

static const struct gap_case GAPS[] = {
    {"inside_body", 100, 1000, false},
    {"exactly_to_end_of_body", 5, 4000, false},
    {"over_next_header", 2000, 2010, true},
    {"swallows_header", 4005, 3, true},
};

static void test_gap(void **state)
{
    const struct gap_case *t = *state;
    struct stream s = {0};
    s.seed = 23;
    add_record(&s, 23, 0x0303, 1000, 1000);
    uint64_t r2 = add_record(&s, 23, 0x0303, 4000, 4000);
    add_record(&s, 23, 0x0303, 3000, 3000);
    uint64_t r4 = add_record(&s, 23, 0x0303, 3000, 3000);
    add_record(&s, 23, 0x0303, 3000, 3000);
    add_record(&s, 23, 0x0303, 3000, 3000);
    uint64_t g0 = r2 + t->gap_from, g1 = g0 + t->gap_len;
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, g0, 1448);
    tls_framer_gap(&f, g0, g1 - g0, 0);
    tls_framer_data(&f, g1, s.p + g1, s.len - g1, 0);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    if (!t->desync) {
        assert_int_equal(r.num_desyncs, 0);
        assert_int_equal(r.num_records, 6);
        free(s.p);
        return;
    }
    assert_int_equal(r.num_desyncs, 1);
    const struct tls_desync *d = &r.desyncs[0];
    assert_true(d->after_gap);
    assert_true(d->resynced);
    assert_false(d->estimate_valid);
    assert_int_equal(d->last_good_offset, r2);
    assert_int_equal(d->resync_offset, r4);
    free(s.p);
}

/* ------------------------------------------------------------------ not TLS, SSLv2, midstream */

static void test_http_is_not_tls(void **state)
{
    (void)state;
    const char *req = "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\n\r\n";
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    tls_framer_data(&f, 0, (const uint8_t *)req, strlen(req), 0);
    assert_true(f.not_tls);
    assert_int_equal(f.failed_headers, 4);
    /* Cheap from then on: more bytes are only counted. */
    tls_framer_data(&f, strlen(req), (const uint8_t *)req, strlen(req), 0);
    assert_int_equal(f.pos, 2 * strlen(req));
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_records, 0);
    assert_int_equal(r.num_desyncs, 0);
}

static void test_random_is_not_tls(void **state)
{
    (void)state;
    struct stream s = {0};
    s.seed = 1234;
    add_junk(&s, 4096);
    s.p[0] = 0x99; /* not a content type, not SSLv2 */
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, 1000);
    assert_false(f.not_tls); /* binary: undecided while a chain could still show up */
    tls_framer_finish(&f);
    assert_true(f.not_tls);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_records, 0);
    free(s.p);
}

static void test_sslv2_hello(void **state)
{
    (void)state;
    /* msg_type 1, version 3.1, cipher_spec_length 6, session_id_length 0, challenge 16. */
    uint8_t v2[] = {0x80, 0x1f, 0x01, 0x03, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00,
                    0x00, 0x2f, 0x00, 0x00, 0x35, 1,    2,    3,    4,    5,    6,    7,
                    8,    9,    10,   11,   12,   13,   14,   15,   16};
    struct stream s = {0};
    put(&s, v2, sizeof(v2));
    uint64_t next = add_record(&s, 22, 0x0301, 10, 10);
    for (size_t chunk = 1; chunk <= s.len; chunk++) {
        struct tls_framer f;
        struct recorder r;
        framer_new(&f, &r);
        feed_chunks(&f, s.p, s.len, chunk);
        tls_framer_finish(&f);
        tls_framer_cleanup(&f);
        assert_int_equal(r.num_sslv2, 1);
        assert_int_equal(r.sslv2_len, 0x1f);
        assert_int_equal(r.sslv2_first, 1);
        assert_int_equal(r.num_records, 1);
        assert_int_equal(r.records[0].offset, next);
        assert_false(f.not_tls);
    }
    free(s.p);
}

static void test_midstream_pickup(void **state)
{
    (void)state;
    struct stream s = {0};
    s.seed = 77;
    add_record(&s, 23, 0x0303, 5000, 5000);
    uint64_t r2 = add_record(&s, 23, 0x0303, 3000, 3000);
    add_record(&s, 23, 0x0303, 300, 300);
    add_record(&s, 23, 0x0303, 4000, 4000);
    add_record(&s, 21, 0x0303, 26, 26);
    const size_t cut = 1234; /* the capture starts inside the first record */
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    for (size_t off = cut; off < s.len; off += 1448) {
        size_t n = s.len - off < 1448 ? s.len - off : 1448;
        tls_framer_data(&f, off - cut, s.p + off, n, 0);
    }
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_false(f.not_tls);
    assert_int_equal(r.num_desyncs, 0);
    assert_int_equal(r.num_records, 4);
    assert_int_equal(r.records[0].offset, r2 - cut);
    free(s.p);
}

/* Every strict prefix: the records whose header is complete, nothing else; no desync, no
 * not-TLS verdict, even at finish (a capture that stops mid-record is not a short write). */
static void test_every_prefix(void **state)
{
    (void)state;
    struct stream s;
    build_mixed(&s);
    struct tls_framer f;
    struct recorder ref, got;
    framer_new(&f, &ref);
    tls_framer_data(&f, 0, s.p, s.len, 0);
    tls_framer_cleanup(&f);
    for (size_t a = 1; a < s.len; a++) {
        framer_new(&f, &got);
        feed_chunks(&f, s.p, a, 29);
        tls_framer_finish(&f);
        tls_framer_cleanup(&f);
        size_t expect = 0;
        for (size_t i = 0; i < ref.num_records; i++) {
            expect += ref.records[i].offset + 5 <= a;
        }
        assert_int_equal(got.num_records, expect);
        assert_int_equal(got.num_desyncs, 0);
        assert_false(f.not_tls);
    }
    free(s.p);
}

/* Length fields off by one: the framing break is measured as one byte missing (claimed one
 * too many) or one extra (claimed one too few). */
struct lenpm_case {
    const char *name;
    int delta;
};

static const struct lenpm_case LENPM[] = {{"length_plus_1", 1}, {"length_minus_1", -1}};

static void test_length_off_by_one(void **state)
{
    const struct lenpm_case *t = *state;
    struct stream s = {0};
    s.seed = 41;
    add_record(&s, 23, 0x0303, 700, 700);
    uint64_t bad = add_record(&s, 23, 0x0303, (uint16_t)(900 + t->delta), 900);
    uint64_t next = add_record(&s, 23, 0x0303, 600, 600);
    add_record(&s, 23, 0x0303, 600, 600);
    add_record(&s, 23, 0x0303, 600, 600);
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, 1448);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_int_equal(r.num_desyncs, 1);
    assert_int_equal(r.desyncs[0].last_good_offset, bad);
    assert_int_equal(r.desyncs[0].resync_offset, next);
    assert_int_equal(r.desyncs[0].estimated_missing_bytes, t->delta);
    free(s.p);
}

/* Hostile lengths: 0xffff and 0x8000 on short records. Oversized is counted, the framer hops
 * the claimed length (nothing is allocated for it) and the damage shows as a desync without an
 * estimate, since no look-back is kept for records above 2^14 + 2048. */
struct hostile_case {
    const char *name;
    uint16_t len;
};

static const struct hostile_case HOSTILE[] = {{"len_ffff", 0xffff}, {"len_8000", 0x8000}};

static void test_hostile_length(void **state)
{
    const struct hostile_case *t = *state;
    struct stream s = {0};
    s.seed = 43;
    add_record(&s, 23, 0x0303, 700, 700);
    add_record(&s, 23, 0x0303, t->len, 100);
    for (int i = 0; i < 12; i++) {
        add_record(&s, 23, 0x0303, 16000, 16000);
    }
    struct tls_framer f;
    struct recorder r;
    framer_new(&f, &r);
    feed_chunks(&f, s.p, s.len, 1448);
    assert_true(f.rec_alloc <= 65536);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_true(r.oversized[1]);
    assert_int_equal(r.num_desyncs, 1);
    assert_true(r.desyncs[0].resynced);
    assert_false(r.desyncs[0].estimate_valid);
    free(s.p);
}

#define ROW(fn, tbl, i) cmocka_unit_test_prestate(fn, (void *)&tbl[i])

/* tls_opens_with_hello decides whether --no-ndpi-tls leaves a flow to the dissector alone;
 * tls_opens_with_client_hello whether an nDPI verdict may be reused on it. */
struct opens_case {
    const char *name;
    uint8_t bytes[8];
    size_t len;
    bool want;
    bool want_client;
};

static const struct opens_case OPENS[] = {
    {"client_hello", {22, 3, 1, 0, 200, 1, 0, 0}, 8, true, true},
    {"client_hello_type_only", {22, 3, 1, 0, 200, 1}, 6, true, true},
    {"server_hello_tls12", {22, 3, 3, 0, 90, 2, 0, 0}, 8, true, false},
    {"hello_header_only", {22, 3, 1, 0, 200}, 5, false, false},
    {"certificate_first", {22, 3, 3, 4, 0, 11, 0, 0}, 8, false, false},
    {"application_data", {23, 3, 3, 0, 40, 1, 2, 3}, 8, false, false},
    {"http_get", {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T'}, 8, false, false},
    {"zero_length_record", {22, 3, 1, 0, 0, 1, 0, 0}, 8, false, false},
    {"version_4_x", {22, 4, 1, 0, 200, 1, 0, 0}, 8, false, false},
    {"empty", {0}, 0, false, false},
};

static void test_opens_with_hello(void **state)
{
    const struct opens_case *tc = *state;
    uint8_t *copy = dup_exact(tc->bytes, tc->len);
    assert_int_equal(tls_opens_with_hello(copy, tc->len), tc->want);
    assert_int_equal(tls_opens_with_client_hello(copy, tc->len), tc->want_client);
    free(copy);
}

/* ------------------------------------------------------------------ buffers and trimming */

static void assert_same_events(const struct recorder *got, const struct recorder *ref)
{
    assert_int_equal(got->num_records, ref->num_records);
    assert_int_equal(got->num_bodies, ref->num_bodies);
    assert_int_equal(got->num_desyncs, ref->num_desyncs);
    for (size_t i = 0; i < ref->num_records && i < MAX_EV; i++) {
        assert_int_equal(got->records[i].offset, ref->records[i].offset);
        assert_int_equal(got->records[i].length, ref->records[i].length);
    }
    for (size_t i = 0; i < ref->num_bodies && i < MAX_EV; i++) {
        assert_int_equal(got->body_len[i], ref->body_len[i]);
        assert_int_equal(got->body_sum[i], ref->body_sum[i]);
    }
}

/* frame_all: frames the whole of s in chunks of chunk bytes and finishes, into r. */
static void frame_all(const struct stream *s, size_t chunk, struct tls_shared *spares,
                      struct recorder *r)
{
    struct tls_framer f;
    framer_new_spares(&f, r, spares);
    feed_chunks(&f, s->p, s->len, chunk);
    tls_framer_finish(&f);
    tls_framer_cleanup(&f);
    assert_null(f.rec);
}

/* Record buffers from a spare list frame exactly as malloc'd ones, whatever the chunking, for
 * bodies below and above the spare block size (asked-for handshake bodies and look-back of
 * application data); the block goes back to the list at cleanup and the next framer takes it. */
static void test_record_buffers_from_spares(void **state)
{
    (void)state;
    struct stream s;
    build_mixed(&s);
    add_record(&s, 22, 0x0303, 6000, 6000); /* asked for, above the 4 KB block */
    add_record(&s, 23, 0x0303, 3000, 3000); /* look-back only, inside one block */
    add_record(&s, 22, 0x0303, 900, 900);
    add_record(&s, 23, 0x0303, 16384, 16384);
    static const size_t chunks[] = {1, 7, 100, 1448, 20000};
    struct tls_shared spares = {0};
    tls_rec_spares_init(&spares.rec_spares, 4);
    void *block = NULL;
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        struct recorder ref, got;
        frame_all(&s, chunks[c], NULL, &ref);
        frame_all(&s, chunks[c], &spares, &got);
        assert_same_events(&got, &ref);
        assert_int_equal(ref.num_records, 11);
        assert_int_equal(ref.num_desyncs, 0);
        /* One block served every small record of the run (given back when a larger record
         * took over, or at cleanup), and it is the block the run before gave back. */
        assert_int_equal(spares.rec_spares.num, 1);
        if (block != NULL) {
            assert_ptr_equal(spares.rec_spares.blocks[0], block);
        }
        block = spares.rec_spares.blocks[0];
    }
    spare_list_cleanup(&spares.rec_spares);
    free(s.p);
}

/* Trimming between records releases the buffers and gives up the look-back: a record that
 * claimed 100 bytes more than it had is then measured from the bad header onwards (resync on
 * the record after the swallowed one) instead of exactly (resync on the swallowed one). */
static void test_trim_gives_up_lookback(void **state)
{
    (void)state;
    struct stream s = {0};
    s.seed = 3;
    add_record(&s, 23, 0x0303, 1000, 900); /* 100 bytes short */
    uint64_t swallowed = add_record(&s, 23, 0x0303, 500, 500);
    uint64_t after = add_record(&s, 23, 0x0303, 400, 400);
    add_record(&s, 23, 0x0303, 300, 300);
    add_record(&s, 23, 0x0303, 200, 200);
    add_record(&s, 23, 0x0303, 100, 100);
    const size_t first = 5 + 1000; /* where the framer thinks the first record ends */
    for (int trim = 0; trim < 2; trim++) {
        struct tls_framer f;
        struct recorder r;
        framer_new(&f, &r);
        tls_framer_data(&f, 0, s.p, 600, 0);
        tls_framer_data(&f, 600, s.p + 600, first - 600, 0);
        assert_true(tls_framer_at_boundary(&f));
        assert_non_null(f.rec); /* the last record's body, for the look-back */
        if (trim) {
            tls_framer_trim(&f);
            assert_null(f.rec);
            assert_int_equal(f.rec_alloc, 0);
        }
        tls_framer_data(&f, first, s.p + first, s.len - first, 0);
        tls_framer_finish(&f);
        tls_framer_cleanup(&f);
        assert_int_equal(r.num_desyncs, 1);
        assert_true(r.desyncs[0].resynced);
        assert_int_equal(r.desyncs[0].bad_offset, first);
        if (trim) {
            assert_int_equal(r.desyncs[0].resync_offset, after);
        } else {
            assert_int_equal(r.desyncs[0].resync_offset, swallowed);
            assert_true(r.desyncs[0].estimate_valid);
            assert_int_equal(r.desyncs[0].estimated_missing_bytes, 100);
        }
    }
    free(s.p);
}

/* Inside a record (and inside a header) trimming keeps everything: the body still arrives whole. */
static void test_trim_inside_record_keeps(void **state)
{
    (void)state;
    struct stream s = {0};
    s.seed = 11;
    add_record(&s, 22, 0x0303, 3000, 3000);
    add_record(&s, 21, 0x0303, 2, 2);
    static const size_t cuts[] = {3, 1500, 3005 + 2};
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        struct tls_framer f;
        struct recorder ref, got;
        frame_all(&s, s.len, NULL, &ref);
        framer_new(&f, &got);
        tls_framer_data(&f, 0, s.p, cuts[c], 0);
        const uint8_t *held = f.rec;
        size_t held_len = f.rec_len;
        tls_framer_trim(&f);
        assert_ptr_equal(f.rec, held);
        assert_int_equal(f.rec_len, held_len);
        tls_framer_data(&f, cuts[c], s.p + cuts[c], s.len - cuts[c], 0);
        tls_framer_finish(&f);
        tls_framer_cleanup(&f);
        assert_same_events(&got, &ref);
        assert_int_equal(got.num_bodies, 2);
    }
    free(s.p);
}

int main(void)
{
    struct CMUnitTest tests[80];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_split_point);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_prefix);
    for (size_t i = 0; i < sizeof(LENPM) / sizeof(LENPM[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_length_off_by_one, LENPM, i);
        tests[n++].name = LENPM[i].name;
    }
    for (size_t i = 0; i < sizeof(HOSTILE) / sizeof(HOSTILE[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_hostile_length, HOSTILE, i);
        tests[n++].name = HOSTILE[i].name;
    }
    for (size_t i = 0; i < sizeof(OVERSIZED) / sizeof(OVERSIZED[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_oversized, OVERSIZED, i);
        tests[n++].name = OVERSIZED[i].name;
    }
    for (size_t i = 0; i < sizeof(BADHDR) / sizeof(BADHDR[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_bad_header_is_desync, BADHDR, i);
        tests[n++].name = BADHDR[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_zero_length_appdata_ok);
    for (size_t i = 0; i < sizeof(DESYNC) / sizeof(DESYNC[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_desync_estimate, DESYNC, i);
        tests[n++].name = DESYNC[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_desync_resync_at_end);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_desync_never_resyncs);
    for (size_t i = 0; i < sizeof(GAPS) / sizeof(GAPS[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_gap, GAPS, i);
        tests[n++].name = GAPS[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_http_is_not_tls);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_random_is_not_tls);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sslv2_hello);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_midstream_pickup);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_record_buffers_from_spares);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_trim_gives_up_lookback);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_trim_inside_record_keeps);
    for (size_t i = 0; i < sizeof(OPENS) / sizeof(OPENS[0]); i++) {
        tests[n] = (struct CMUnitTest)ROW(test_opens_with_hello, OPENS, i);
        tests[n++].name = OPENS[i].name;
    }
    return _cmocka_run_group_tests("tls_record", tests, n, NULL, NULL);
}
