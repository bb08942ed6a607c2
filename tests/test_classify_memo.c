/* The classifier's remembered verdicts (classify/classify.c, class_memo.c).
 *
 * A remembered verdict is only as good as its key: these tests replay real hello segments from
 * samples/ through nDPI and check that what the key leaves out (the client's ephemeral port)
 * does not change nDPI's verdict, that what it keeps does, and the memo table's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <ndpi/ndpi_api.h>
#include <pcap/pcap.h>

#include "capture.h"
#include "class_memo.h"

#define MAX_PKTS 8

/* The first payload segments of a sample's first flow, as nDPI gets them (IP header on). */
struct flow_pkts {
    size_t n;
    uint8_t *l3[MAX_PKTS];
    size_t l3_len[MAX_PKTS];
    bool from_client[MAX_PKTS];
    int64_t ts_us[MAX_PKTS];
    uint8_t family;
    struct cap_segment first; /* the first payload segment's decoded fields (pointers cleared) */
};

static void load(const char *name, struct flow_pkts *fp)
{
    char path[512];
    char err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/samples/%s", TLSSCOPE_SOURCE_DIR, name);
    pcap_t *p = pcap_open_offline(path, err);
    assert_non_null(p);
    memset(fp, 0, sizeof(*fp));
    struct pcap_pkthdr *h;
    const u_char *data;
    uint16_t client_port = 0;
    while (fp->n < MAX_PKTS && pcap_next_ex(p, &h, &data) == 1) {
        struct cap_segment seg;
        enum cap_skip_reason why;
        if (!cap_decode(pcap_datalink(p), data, h->caplen, false, &seg, &why) ||
            seg.payload_len == 0) {
            continue;
        }
        if (client_port == 0) {
            client_port = seg.sport;
            fp->first = seg;
            fp->first.l3 = fp->first.payload = NULL;
        }
        size_t i = fp->n++;
        fp->l3[i] = g_memdup2(seg.l3, seg.l3_len);
        fp->l3_len[i] = seg.l3_len;
        fp->from_client[i] = seg.sport == client_port;
        fp->ts_us[i] = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        fp->family = seg.src.family;
    }
    pcap_close(p);
    assert_true(fp->n >= 2);
}

static void unload(struct flow_pkts *fp)
{
    for (size_t i = 0; i < fp->n; i++) {
        g_free(fp->l3[i]);
    }
}

/* Offset of the TCP header in an IP packet (IPv4 header length, or the fixed IPv6 header: the
 * samples carry no extension headers). */
static size_t tcp_offset(const uint8_t *l3, uint8_t family)
{
    return family == 4 ? (size_t)(l3[0] & 0x0f) * 4 : 40;
}

/* Classifies the flow with, in every packet, the client's port set to port (when port >= 0)
 * and its IPv4 address to addr (when not NULL); fills out. */
static void classify_edited(struct cls_classifier *c, const struct flow_pkts *fp, int32_t port,
                            const uint8_t *addr, struct cls_verdict *out)
{
    struct cls_flow *f = cls_flow_new(c);
    uint8_t buf[4096];
    for (size_t i = 0; i < fp->n; i++) {
        assert_true(fp->l3_len[i] <= sizeof(buf));
        memcpy(buf, fp->l3[i], fp->l3_len[i]);
        if (port >= 0) {
            size_t t = tcp_offset(buf, fp->family);
            size_t at = t + (fp->from_client[i] ? 0 : 2); /* source port, or destination port */
            buf[at] = (uint8_t)(port >> 8);
            buf[at + 1] = (uint8_t)port;
        }
        if (addr != NULL) {
            memcpy(buf + (fp->from_client[i] ? 12 : 16), addr, 4);
        }
        struct cap_segment seg = {.l3 = buf, .l3_len = fp->l3_len[i], .ts_us = fp->ts_us[i]};
        if (cls_classify_segment(c, f, &seg, fp->from_client[i])) {
            break;
        }
    }
    cls_flow_finish(c, f);
    memset(out, 0, sizeof(*out));
    g_strlcpy(out->app, cls_flow_app(f), sizeof(out->app));
    g_strlcpy(out->ja3, cls_flow_ja3(f), sizeof(out->ja3));
    const char *const *r = cls_flow_risks(f);
    for (size_t i = 0; r[i] != NULL && i < CLS_MAX_RISKS; i++) {
        out->risks[i] = r[i];
    }
    cls_flow_free(f);
}

static bool same_verdict(const struct cls_verdict *a, const struct cls_verdict *b)
{
    if (strcmp(a->app, b->app) != 0 || strcmp(a->ja3, b->ja3) != 0) {
        return false;
    }
    for (size_t i = 0; i <= CLS_MAX_RISKS; i++) {
        if (a->risks[i] != b->risks[i]) {
            return false;
        }
        if (a->risks[i] == NULL) {
            break;
        }
    }
    return true;
}

/* Every one of the 65,536 client ports: where nDPI's verdict differs from the one at an
 * ephemeral port, the port must be one the memo key keeps. */
/* The key's context for the flow with the client's port set to port. */
static GByteArray *context_with_port(struct cls_classifier *c, const struct flow_pkts *fp,
                                     uint16_t port)
{
    struct cap_segment seg = fp->first;
    seg.sport = port;
    GByteArray *out = g_byte_array_new();
    cls_classify_context(c, &seg, out);
    return out;
}

static bool same_bytes(const GByteArray *a, const GByteArray *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Every one of the 65,536 client ports: where nDPI's verdict differs from the one at an
 * ephemeral port, the key's context must differ too. */
static void sweep(const char *sample)
{
    GError *error = NULL;
    struct cls_classifier *c = cls_classifier_new(NULL, &error);
    assert_non_null(c);
    struct flow_pkts fp;
    load(sample, &fp);
    struct cls_verdict ref, v;
    classify_edited(c, &fp, 50000, NULL, &ref);
    GByteArray *ref_ctx = context_with_port(c, &fp, 50000);
    assert_string_not_equal(ref.app, "Unknown");
    unsigned differ = 0, differ_unkept = 0, keyed = 0;
    for (uint32_t port = 0; port < 65536; port++) {
        GByteArray *ctx = context_with_port(c, &fp, (uint16_t)port);
        bool kept = !same_bytes(ctx, ref_ctx);
        keyed += kept;
        g_byte_array_free(ctx, TRUE);
        classify_edited(c, &fp, (int32_t)port, NULL, &v);
        if (!same_verdict(&ref, &v)) {
            differ++;
            if (!kept) {
                differ_unkept++;
                fprintf(stderr, "%s: client port %u changes nDPI's verdict (%s) but not the key\n",
                        sample, port, v.app);
            }
        }
    }
    fprintf(stderr,
            "%s: %s; %u of 65536 client ports change the verdict, all in the key (%u "
            "ports are)\n",
            sample, ref.app, differ, keyed);
    assert_int_equal(differ_unkept, 0);
    g_byte_array_free(ref_ctx, TRUE);
    unload(&fp);
    cls_classifier_free(c);
}

/* Client addresses: where nDPI's verdict differs from the one at the sample's own address, the
 * key's context must differ too. Pseudo-random addresses (a fixed seed) plus a few in ranges
 * nDPI's IP table names; the count of addresses whose context differs shows its table was met. */
static void test_addr_sweep(void **state)
{
    (void)state;
    GError *error = NULL;
    struct cls_classifier *c = cls_classifier_new(NULL, &error);
    assert_non_null(c);
    struct flow_pkts fp;
    load("tls13-clean.pcap", &fp);
    assert_int_equal(fp.family, 4);
    struct cls_verdict ref, v;
    uint8_t own[4];
    memcpy(own, fp.first.src.bytes, 4);
    classify_edited(c, &fp, -1, own, &ref);
    struct cap_segment seg = fp.first;
    GByteArray *ref_ctx = g_byte_array_new();
    cls_classify_context(c, &seg, ref_ctx);
    static const uint8_t named[][4] = {{8, 8, 8, 8},      {142, 250, 74, 46},  {157, 240, 1, 35},
                                       {13, 107, 6, 152}, {52, 94, 236, 248},  {17, 253, 144, 10},
                                       {0, 0, 0, 0},      {255, 255, 255, 255}};
    GRand *rng = g_rand_new_with_seed(20261123);
    unsigned tried = 0, differ = 0, differ_unkept = 0, kept = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(named) + 20000; i++) {
        uint8_t addr[4];
        if (i < G_N_ELEMENTS(named)) {
            memcpy(addr, named[i], 4);
        } else {
            guint32 r = g_rand_int(rng);
            memcpy(addr, &r, 4);
        }
        memcpy(seg.src.bytes, addr, 4);
        GByteArray *ctx = g_byte_array_new();
        cls_classify_context(c, &seg, ctx);
        bool in_key = ctx->len != ref_ctx->len || memcmp(ctx->data, ref_ctx->data, ctx->len) != 0;
        g_byte_array_free(ctx, TRUE);
        kept += in_key;
        classify_edited(c, &fp, -1, addr, &v);
        tried++;
        if (!same_verdict(&ref, &v)) {
            differ++;
            if (!in_key) {
                differ_unkept++;
                fprintf(stderr, "client %u.%u.%u.%u changes nDPI's verdict (%s) but not the key\n",
                        addr[0], addr[1], addr[2], addr[3], v.app);
            }
        }
    }
    fprintf(stderr, "%u client addresses: %u change nDPI's verdict, %u change the key\n", tried,
            differ, kept);
    assert_int_equal(differ_unkept, 0);
    assert_true(kept > 0);
    g_rand_free(rng);
    g_byte_array_free(ref_ctx, TRUE);
    unload(&fp);
    cls_classifier_free(c);
}

/* The classifier keeps nDPI's IP-table answers by address and port: with the cache holding other
 * addresses and ports (named ones, random ones; each as client and as server, at two server
 * ports, asked twice), the guess a context carries is always what nDPI's own table gives. The
 * guess sits in the context's bytes 11-12 (cls_classify_context) when byte 10 (the client's
 * address read by nDPI) is 0. */
static uint16_t ndpi_guess(struct ndpi_detection_module_struct *m, const struct cap_segment *seg)
{
    struct in_addr src, dst;
    memcpy(&src.s_addr, seg->src.bytes, 4);
    memcpy(&dst.s_addr, seg->dst.bytes, 4);
    uint16_t g = ndpi_network_port_ptree_match(m, &src, htons(seg->sport));
    return g != NDPI_PROTOCOL_UNKNOWN ? g : ndpi_network_port_ptree_match(m, &dst, htons(seg->dport));
}

static void test_guess_cache(void **state)
{
    (void)state;
    GError *error = NULL;
    struct cls_classifier *c = cls_classifier_new(NULL, &error);
    assert_non_null(c);
    struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
    assert_non_null(m);
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m, &all);
    ndpi_finalize_initialization(m);
    struct flow_pkts fp;
    load("tls13-clean.pcap", &fp);
    static const uint8_t named[][4] = {{8, 8, 8, 8}, {142, 250, 74, 46}, {157, 240, 1, 35},
                                       {13, 107, 6, 152}, {52, 94, 236, 248}};
    GRand *rng = g_rand_new_with_seed(20261206);
    enum { N = 600 };
    static uint8_t addrs[N][4];
    for (unsigned i = 0; i < N; i++) {
        if (i % 3 == 0) {
            memcpy(addrs[i], named[(i / 3) % G_N_ELEMENTS(named)], 4);
        } else {
            guint32 r = g_rand_int(rng);
            memcpy(addrs[i], &r, 4);
        }
    }
    static const uint16_t ports[] = {443, 8443};
    GByteArray *ctx = g_byte_array_new();
    unsigned compared = 0, named_hits = 0;
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < N; i++) {
            struct cap_segment seg = fp.first;
            /* The address as the client's (rounds 0, 2) or the server's (1, 3). */
            memcpy(round % 2 == 0 ? seg.src.bytes : seg.dst.bytes, addrs[i], 4);
            seg.dport = ports[(i + round / 2) % 2];
            uint16_t want = ndpi_guess(m, &seg);
            g_byte_array_set_size(ctx, 0);
            cls_classify_context(c, &seg, ctx);
            assert_true(ctx->len > 12);
            if (ctx->data[10] != 0) {
                continue; /* nDPI reads the client's address: no guess in the key */
            }
            uint16_t got = (uint16_t)(ctx->data[11] << 8 | ctx->data[12]);
            if (got != want) {
                fail_msg("%u.%u.%u.%u as %s, port %u: guess %u, nDPI's table %u", addrs[i][0],
                         addrs[i][1], addrs[i][2], addrs[i][3],
                         round % 2 == 0 ? "client" : "server", seg.dport, got, want);
            }
            compared++;
            named_hits += want != NDPI_PROTOCOL_UNKNOWN;
        }
    }
    /* Most were compared, and nDPI's table named some of them. */
    assert_true(compared > 2 * N);
    assert_true(named_hits > 0);
    g_byte_array_free(ctx, TRUE);
    g_rand_free(rng);
    unload(&fp);
    ndpi_exit_detection_module(m);
    cls_classifier_free(c);
}

static void test_port_sweep_tls13(void **state)
{
    (void)state;
    sweep("tls13-clean.pcap");
}

static void test_port_sweep_tls12_resume(void **state)
{
    (void)state;
    sweep("tls12-sessid-resume.pcap");
}

static void test_port_sweep_ipv6(void **state)
{
    (void)state;
    sweep("tls13-ipv6-9443.pcap");
}

/* The table keeps CLS_MEMO_ENTRIES-style bounds: the oldest entry goes first. */
static void test_memo_table_bounds(void **state)
{
    (void)state;
    struct cls_memo *m = cls_memo_new(3);
    uint8_t keys[5][CLS_MEMO_KEY_LEN];
    struct cls_verdict v = {.app = "TLS"};
    for (int i = 0; i < 5; i++) {
        memset(keys[i], i + 1, CLS_MEMO_KEY_LEN);
    }
    for (int i = 0; i < 4; i++) {
        g_snprintf(v.ja3, sizeof(v.ja3), "v%d", i);
        cls_memo_store(m, keys[i], &v);
    }
    assert_int_equal(cls_memo_size(m), 3);
    assert_null(cls_memo_find(m, keys[0]));
    for (int i = 1; i < 4; i++) {
        const struct cls_verdict *f = cls_memo_find(m, keys[i]);
        assert_non_null(f);
        char want[8];
        g_snprintf(want, sizeof(want), "v%d", i);
        assert_string_equal(f->ja3, want);
    }
    /* Storing a known key replaces its verdict in place. */
    g_strlcpy(v.ja3, "again", sizeof(v.ja3));
    cls_memo_store(m, keys[2], &v);
    assert_int_equal(cls_memo_size(m), 3);
    assert_string_equal(cls_memo_find(m, keys[2])->ja3, "again");
    assert_null(cls_memo_find(m, keys[4]));
    cls_memo_free(m);
}

/* Held copies: at most CLS_HOLD_MAX per flow, none over 16 KiB, 8 MiB for all flows;
 * what a flow gives back (fed to nDPI or freed) can be held again. */
static void test_hold_caps(void **state)
{
    (void)state;
    GError *error = NULL;
    struct cls_classifier *c = cls_classifier_new(NULL, &error);
    assert_non_null(c);
    static uint8_t big[16384 + 1];
    struct cap_segment seg = {.l3 = big, .l3_len = 16384};
    struct cap_segment over = {.l3 = big, .l3_len = sizeof(big)};
    enum { FLOWS = 64 };
    struct cls_flow *flows[FLOWS];
    unsigned held = 0;
    for (int i = 0; i < FLOWS; i++) {
        flows[i] = cls_flow_new(c);
        assert_false(cls_flow_hold(flows[i], &over));
        for (int k = 0; k < CLS_HOLD_MAX + 1; k++) {
            held += cls_flow_hold(flows[i], &seg);
        }
    }
    /* 64 flows x 8 segments x 16 KiB would be 8 MiB exactly: the per-flow cap is met first. */
    assert_int_equal(held, FLOWS * CLS_HOLD_MAX);
    struct cls_flow *extra = cls_flow_new(c);
    assert_false(cls_flow_hold(extra, &seg)); /* the budget is spent */
    cls_flow_free(flows[0]);
    assert_true(cls_flow_hold(extra, &seg)); /* freed copies return to it */
    cls_flow_free(extra);
    for (int i = 1; i < FLOWS; i++) {
        cls_flow_free(flows[i]);
    }
    cls_classifier_free(c);
}

/* Held segments reach nDPI as they came: a flow whose segments were all held (the small ones
 * share one block, the certificate flight gets its own copy) and then fed, or freed while held,
 * gets the verdict a flow fed directly gets; a flow struct ended and reused starts clean. */
static void held_like_direct(const char *sample)
{
    GError *error = NULL;
    struct cls_classifier *c = cls_classifier_new(NULL, &error);
    assert_non_null(c);
    struct flow_pkts fp;
    load(sample, &fp);
    struct cls_verdict direct;
    classify_edited(c, &fp, -1, NULL, &direct);
    for (int round = 0; round < 3; round++) {
        struct cls_flow *f = cls_flow_new(c);
        assert_string_equal(cls_flow_app(f), "Unknown");
        assert_string_equal(cls_flow_ja3(f), "");
        size_t empty = cls_flow_mem_bytes(f), held_len = 0, largest = 0;
        for (size_t i = 0; i < fp.n; i++) {
            struct cap_segment seg = {.l3 = fp.l3[i], .l3_len = fp.l3_len[i], .ts_us = fp.ts_us[i]};
            assert_true(cls_flow_hold(f, &seg));
            held_len += fp.l3_len[i];
            largest = MAX(largest, fp.l3_len[i]);
        }
        assert_true(cls_flow_mem_bytes(f) >= empty + held_len);
        if (round == 1) {
            cls_flow_free(f); /* ended while holding: nothing leaks (ASan) */
            continue;
        }
        cls_flow_feed_held(c, f);
        cls_flow_finish(c, f);
        assert_string_equal(cls_flow_app(f), direct.app);
        assert_string_equal(cls_flow_ja3(f), direct.ja3);
        const char *const *r = cls_flow_risks(f);
        for (size_t i = 0; i <= CLS_MAX_RISKS; i++) {
            assert_ptr_equal(r[i], direct.risks[i]);
            if (r[i] == NULL) {
                break;
            }
        }
        cls_flow_free(f);
        /* both kinds of copy were made: more than a 2 KB block's worth was held */
        assert_true(held_len > 2048 && largest < held_len);
    }
    unload(&fp);
    cls_classifier_free(c);
}

static void test_held_tls12(void **state)
{
    (void)state;
    held_like_direct("tls12-clean.pcap");
}

static void test_held_tls13(void **state)
{
    (void)state;
    held_like_direct("tls13-clean.pcap");
}

/* The context in a key: one byte string per segment with the given ports. */
static GByteArray *context_for(struct cls_classifier *c, uint16_t sport, uint16_t dport)
{
    struct cap_segment seg = {.sport = sport, .dport = dport};
    seg.src.family = seg.dst.family = 4;
    seg.src.bytes[0] = 10;
    seg.dst.bytes[0] = 10;
    seg.dst.bytes[3] = 2;
    GByteArray *out = g_byte_array_new();
    cls_classify_context(c, &seg, out);
    return out;
}

static void test_context_ports(void **state)
{
    (void)state;
    GError *error = NULL;
    struct cls_classifier *c = cls_classifier_new(NULL, &error);
    assert_non_null(c);
    GByteArray *base = context_for(c, 50000, 443);
    GByteArray *other_ephemeral = context_for(c, 61000, 443);
    GByteArray *low = context_for(c, 23456, 443);
    GByteArray *mail = context_for(c, 993, 443);
    GByteArray *https_client = context_for(c, 443, 443);
    GByteArray *other_server = context_for(c, 50000, 8443);
    assert_true(same_bytes(base, other_ephemeral));
    assert_true(same_bytes(base, low));
    assert_false(same_bytes(base, mail));
    assert_false(same_bytes(base, https_client));
    assert_false(same_bytes(base, other_server));
    assert_true(cls_classify_port_is_keyed(c, 443));
    assert_true(cls_classify_port_is_keyed(c, 993));
    assert_true(cls_classify_port_is_keyed(c, 800));
    assert_false(cls_classify_port_is_keyed(c, 23456));
    assert_false(cls_classify_port_is_keyed(c, 50000));
    g_byte_array_free(base, TRUE);
    g_byte_array_free(other_ephemeral, TRUE);
    g_byte_array_free(low, TRUE);
    g_byte_array_free(mail, TRUE);
    g_byte_array_free(https_client, TRUE);
    g_byte_array_free(other_server, TRUE);
    cls_classifier_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_table_bounds), cmocka_unit_test(test_context_ports),
        cmocka_unit_test(test_hold_caps),         cmocka_unit_test(test_addr_sweep), cmocka_unit_test(test_guess_cache),
        cmocka_unit_test(test_held_tls12),        cmocka_unit_test(test_held_tls13),
        cmocka_unit_test(test_port_sweep_tls13),  cmocka_unit_test(test_port_sweep_tls12_resume),
        cmocka_unit_test(test_port_sweep_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
