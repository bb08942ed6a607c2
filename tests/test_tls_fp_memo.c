/* Tests of dissect/tls_fp_memo.c: the memo gives exactly what tls_ja3/tls_ja4/tls_ja3s compute.
 * Every input the fingerprints read is changed in turn after the unchanged hello was memoised:
 * a key that left one out would hand back the old fingerprints and fail here. Also: repeats
 * are hits, more distinct hellos than slots stay right, a hello too large for a key is computed
 * without the memo. */
#include "tls_test_build.h"
#include "tls_vectors.h"

#include "tls_decode_internal.h"
#include "tls_shared_internal.h"

static void decode_ch(const uint8_t *b, size_t n, struct tls_client_hello *ch)
{
    uint8_t *c = dup_exact(b, n);
    assert_int_equal(tls_decode_client_hello(cur_make(c, n), ch), TLS_DECODE_OK);
    free(c); /* fingerprints read only copied fields */
}

static void decode_sh(const uint8_t *b, size_t n, struct tls_server_hello *sh)
{
    uint8_t *c = dup_exact(b, n);
    assert_int_equal(tls_decode_server_hello(cur_make(c, n), sh), TLS_DECODE_OK);
    free(c);
}

struct client_fp {
    char ja3[33], ja4[40];
};

static struct client_fp direct(const struct tls_client_hello *ch)
{
    struct client_fp f;
    tls_ja3(ch, f.ja3, NULL, 0);
    tls_ja4(ch, f.ja4);
    return f;
}

static struct client_fp memoised(struct tls_fp_memo *m, const struct tls_client_hello *ch)
{
    struct client_fp f;
    tls_fp_client(m, ch, f.ja3, f.ja4);
    return f;
}

static bool same_fp(const struct client_fp *a, const struct client_fp *b)
{
    return strcmp(a->ja3, b->ja3) == 0 && strcmp(a->ja4, b->ja4) == 0;
}

/* ------------------------------------------------------------ one input changed at a time */

struct mutation_row {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    void (*edit)(struct tls_client_hello *ch);
};

static void m_legacy_version(struct tls_client_hello *ch)
{
    ch->legacy_version ^= 1;
}
static void m_cipher_value(struct tls_client_hello *ch)
{
    ch->ciphers[0] ^= 0x0101;
}
static void m_cipher_order(struct tls_client_hello *ch)
{
    uint16_t t = ch->ciphers[0];
    ch->ciphers[0] = ch->ciphers[1];
    ch->ciphers[1] = t;
}
static void m_cipher_dropped(struct tls_client_hello *ch)
{
    ch->num_ciphers--;
}
static void m_ext_value(struct tls_client_hello *ch)
{
    ch->exts[ch->num_exts - 1] ^= 0x0100;
}
static void m_ext_order(struct tls_client_hello *ch)
{
    uint16_t t = ch->exts[0];
    ch->exts[0] = ch->exts[1];
    ch->exts[1] = t;
}
static void m_group(struct tls_client_hello *ch)
{
    ch->groups[0] ^= 0x0100;
}
static void m_point_format(struct tls_client_hello *ch)
{
    ch->point_formats[0] ^= 0x40;
}
static void m_point_format_dropped(struct tls_client_hello *ch)
{
    ch->num_point_formats--;
}
static void m_versions(struct tls_client_hello *ch)
{
    for (uint32_t i = 0; i < ch->num_versions; i++) {
        if (ch->versions[i] == 0x0304) {
            ch->versions[i] = 0x0302;
        }
    }
}
static void m_sigalg(struct tls_client_hello *ch)
{
    ch->sigalgs[0] ^= 0x0100;
}
static void m_sni_flag(struct tls_client_hello *ch)
{
    ch->has_sni = !ch->has_sni;
}
static void m_alpn_present(struct tls_client_hello *ch)
{
    ch->num_alpn = ch->num_alpn ? 0 : 1;
    ch->alpn_first_byte = 'h';
    ch->alpn_last_byte = '2';
}
static void m_alpn_first(struct tls_client_hello *ch)
{
    ch->alpn_first_byte = 'x';
}
static void m_alpn_last(struct tls_client_hello *ch)
{
    ch->alpn_last_byte = 'x';
}

static const struct mutation_row MUTATIONS[] = {
    {"legacy_version", CH12, sizeof(CH12), m_legacy_version},
    {"a cipher", CH12, sizeof(CH12), m_cipher_value},
    {"cipher order", CH12, sizeof(CH12), m_cipher_order},
    {"a cipher fewer", CH12, sizeof(CH12), m_cipher_dropped},
    {"an extension", CH12, sizeof(CH12), m_ext_value},
    {"extension order", CH12, sizeof(CH12), m_ext_order},
    {"a group", CH12, sizeof(CH12), m_group},
    {"a point format", CH12, sizeof(CH12), m_point_format},
    {"a point format fewer", CH12, sizeof(CH12), m_point_format_dropped},
    {"supported_versions", CH13, sizeof(CH13), m_versions},
    {"a signature algorithm", CH13, sizeof(CH13), m_sigalg},
    {"SNI present", CH13_ONLY, sizeof(CH13_ONLY), m_sni_flag},
    {"ALPN present", CH12, sizeof(CH12), m_alpn_present},
    {"ALPN first byte", CH13, sizeof(CH13), m_alpn_first},
    {"ALPN last byte", CH13, sizeof(CH13), m_alpn_last},
};

static void test_mutation(void **state)
{
    const struct mutation_row *r = *state;
    struct tls_client_hello ch, edited;
    decode_ch(r->bytes, r->len, &ch);
    edited = ch;
    r->edit(&edited);
    struct client_fp before = direct(&ch), after = direct(&edited);
    /* The change must matter to the fingerprints, or this row could not catch anything. */
    assert_false(same_fp(&before, &after));

    struct tls_fp_memo *m = tls_fp_memo_new();
    struct client_fp got = memoised(m, &ch);
    assert_true(same_fp(&got, &before));
    got = memoised(m, &edited);
    assert_true(same_fp(&got, &after));
    got = memoised(m, &ch);
    assert_true(same_fp(&got, &before));
    tls_fp_memo_free(m);
}

/* ------------------------------------------------------------------------------ the rest */

static void test_repeat_is_hit(void **state)
{
    (void)state;
    const struct {
        const uint8_t *b;
        size_t n;
    } hellos[] = {{CH12, sizeof(CH12)}, {CH12_TICKET, sizeof(CH12_TICKET)},
                  {CH13, sizeof(CH13)}, {CH13_PSK, sizeof(CH13_PSK)},
                  {CH13_ONLY, sizeof(CH13_ONLY)}};
    struct tls_fp_memo *m = tls_fp_memo_new();
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(hellos) / sizeof(hellos[0]); i++) {
            struct tls_client_hello ch;
            decode_ch(hellos[i].b, hellos[i].n, &ch);
            struct client_fp want = direct(&ch), got = memoised(m, &ch);
            assert_true(same_fp(&got, &want));
        }
    }
    struct tls_fp_memo_stats st = tls_fp_memo_get_stats(m);
    /* The five hellos have distinct inputs (and, with this slot hash, distinct slots): five
     * misses in the first round, hits after. */
    assert_int_equal(st.misses, 5);
    assert_int_equal(st.hits, 10);
    tls_fp_memo_free(m);
}

/* More distinct hellos than slots: slots are overwritten, answers stay right. */
static void test_many_hellos(void **state)
{
    (void)state;
    struct tls_client_hello base;
    decode_ch(CH13, sizeof(CH13), &base);
    struct tls_fp_memo *m = tls_fp_memo_new();
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < 2000; i++) {
            struct tls_client_hello ch = base;
            ch.ciphers[0] = (uint16_t)(0x0100 + i);
            struct client_fp want = direct(&ch), got = memoised(m, &ch);
            assert_true(same_fp(&got, &want));
        }
    }
    tls_fp_memo_free(m);
}

/* Lists at the decoder's caps do not fit a key: computed directly, never looked up. */
static void test_too_large_for_key(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    ch.legacy_version = 0x0303;
    ch.num_ciphers = TLS_CH_MAX_CIPHERS;
    for (uint32_t i = 0; i < ch.num_ciphers; i++) {
        ch.ciphers[i] = (uint16_t)(0x0100 + i);
    }
    ch.num_exts = 3;
    ch.exts[0] = 0;
    ch.exts[1] = 10;
    ch.exts[2] = 13;
    struct tls_fp_memo *m = tls_fp_memo_new();
    for (int i = 0; i < 2; i++) {
        struct client_fp want = direct(&ch), got = memoised(m, &ch);
        assert_true(same_fp(&got, &want));
    }
    struct tls_fp_memo_stats st = tls_fp_memo_get_stats(m);
    assert_int_equal(st.hits + st.misses, 0);
    tls_fp_memo_free(m);
}

/* Without a memo the fingerprints are computed. */
static void test_no_memo(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    decode_ch(CH13, sizeof(CH13), &ch);
    struct client_fp want = direct(&ch), got = memoised(NULL, &ch);
    assert_true(same_fp(&got, &want));
    struct tls_server_hello sh;
    decode_sh(SH13, sizeof(SH13), &sh);
    char a[33], b[33];
    tls_ja3s(&sh, a);
    tls_fp_server(NULL, &sh, b);
    assert_string_equal(a, b);
}

/* JA3S reads legacy_version, the cipher and the extension list; a client key never answers a
 * server lookup. */
static void test_server(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    decode_sh(SH12, sizeof(SH12), &sh);
    struct tls_server_hello edits[5] = {sh, sh, sh, sh, sh};
    edits[0].legacy_version ^= 1;
    edits[1].cipher ^= 0x0001;
    edits[2].cipher ^= 0x0100;
    edits[3].exts[0] ^= 0x0100;
    edits[4].num_exts--;
    struct tls_fp_memo *m = tls_fp_memo_new();
    char want[33], got[33], base[33];
    tls_ja3s(&sh, base);
    tls_fp_server(m, &sh, got);
    assert_string_equal(got, base);
    for (size_t i = 0; i < 5; i++) {
        tls_ja3s(&edits[i], want);
        assert_string_not_equal(want, base);
        tls_fp_server(m, &edits[i], got);
        assert_string_equal(got, want);
        tls_fp_server(m, &sh, got);
        assert_string_equal(got, base);
    }
    tls_fp_memo_free(m);
}

int main(void)
{
    struct test_list l = {NULL, 0};
    for (size_t i = 0; i < sizeof(MUTATIONS) / sizeof(MUTATIONS[0]); i++) {
        test_list_add(&l, test_mutation, (void *)&MUTATIONS[i], "changed: %s", MUTATIONS[i].name);
    }
    test_list_add(&l, test_repeat_is_hit, NULL, "repeats hit");
    test_list_add(&l, test_many_hellos, NULL, "more hellos than slots");
    test_list_add(&l, test_too_large_for_key, NULL, "too large for a key");
    test_list_add(&l, test_no_memo, NULL, "no memo");
    test_list_add(&l, test_server, NULL, "JA3S");
    return test_list_run("tls_fp_memo", &l);
}
