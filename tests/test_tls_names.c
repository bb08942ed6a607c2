/* Tests of dissect/tls_names.c. Expected cipher suite and group names are the IANA registry
 * names, cross-checked with tshark 4.0.17's value strings
 * (tshark -G values | grep -P '^V\ttls.handshake.ciphersuite\t' and ...extensions_supported_group);
 * alert names follow RFC 8446 §6 / RFC 5246 §7.2. */
#include "tls_test_build.h"

#include "dissect.h"

struct name16_row {
    const char *(*fn)(uint16_t);
    uint16_t value;
    const char *want; /* NULL: unassigned */
};

static const struct name16_row CODE16_ROWS[] = {
    /* cipher suites, including both ends of every assigned range and the gaps between */
    {tls_cipher_name, 0x0000, "TLS_NULL_WITH_NULL_NULL"},
    {tls_cipher_name, 0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {tls_cipher_name, 0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
    {tls_cipher_name, 0x001c, NULL}, /* reserved: SSLv3 Fortezza clash */
    {tls_cipher_name, 0x001e, "TLS_KRB5_WITH_DES_CBC_SHA"},
    {tls_cipher_name, 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {tls_cipher_name, 0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
    {tls_cipher_name, 0x0047, NULL},
    {tls_cipher_name, 0x0060, NULL}, /* reserved: EXPORT1024 drafts */
    {tls_cipher_name, 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {tls_cipher_name, 0x0080, NULL}, /* GOST draft, never assigned */
    {tls_cipher_name, 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {tls_cipher_name, 0x00c7, "TLS_SM4_CCM_SM3"},
    {tls_cipher_name, 0x00c8, NULL},
    {tls_cipher_name, 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {tls_cipher_name, 0x0a0a, NULL}, /* GREASE */
    {tls_cipher_name, 0x1301, "TLS_AES_128_GCM_SHA256"},
    {tls_cipher_name, 0x1302, "TLS_AES_256_GCM_SHA384"},
    {tls_cipher_name, 0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {tls_cipher_name, 0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {tls_cipher_name, 0x1307, "TLS_AEGIS_128L_SHA256"},
    {tls_cipher_name, 0x5600, "TLS_FALLBACK_SCSV"},
    {tls_cipher_name, 0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
    {tls_cipher_name, 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {tls_cipher_name, 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {tls_cipher_name, 0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"},
    {tls_cipher_name, 0xc0b5, "TLS_SHA384_SHA384"},
    {tls_cipher_name, 0xc0b6, NULL},
    {tls_cipher_name, 0xc0ff, "TLS_ECJPAKE_WITH_AES_128_CCM_8"},
    {tls_cipher_name, 0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
    {tls_cipher_name, 0xcc13, NULL}, /* pre-RFC 7905 ChaCha20 code point */
    {tls_cipher_name, 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {tls_cipher_name, 0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {tls_cipher_name, 0xd004, NULL},
    {tls_cipher_name, 0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
    {tls_cipher_name, 0xfeff, NULL}, /* Netscape FIPS, never assigned */
    {tls_cipher_name, 0xffff, NULL},
    /* supported groups */
    {tls_group_name, 0x0017, "secp256r1"},
    {tls_group_name, 0x0018, "secp384r1"},
    {tls_group_name, 0x001d, "x25519"},
    {tls_group_name, 0x001e, "x448"},
    {tls_group_name, 0x0100, "ffdhe2048"},
    {tls_group_name, 0x0104, "ffdhe8192"},
    {tls_group_name, 0x0105, NULL},
    {tls_group_name, 0x11ec, "X25519MLKEM768"},
    {tls_group_name, 0x6399, "X25519Kyber768Draft00"},
    {tls_group_name, 0xff02, "arbitrary_explicit_char2_curves"},
    {tls_group_name, 0x0000, NULL},
    {tls_group_name, 0x2a2a, NULL},
    /* versions */
    {tls_version_name, 0x0300, "SSL 3.0"},
    {tls_version_name, 0x0301, "TLS 1.0"},
    {tls_version_name, 0x0302, "TLS 1.1"},
    {tls_version_name, 0x0303, "TLS 1.2"},
    {tls_version_name, 0x0304, "TLS 1.3"},
    {tls_version_name, 0x7f1c, "TLS 1.3 draft 28"},
    {tls_version_name, 0x7f0e, "TLS 1.3 draft 14"},
    {tls_version_name, 0x7f0d, NULL},
    {tls_version_name, 0x7f1d, NULL},
    {tls_version_name, 0xfefd, "DTLS 1.2"},
    {tls_version_name, 0x0305, NULL},
    {tls_version_name, 0x1a1a, NULL},
};

static void test_code16(void **state)
{
    const struct name16_row *r = *state;
    const char *got = r->fn(r->value);
    if (r->want) {
        assert_non_null(got);
        assert_string_equal(got, r->want);
    } else {
        assert_null(got);
    }
}

struct name8_row {
    const char *(*fn)(uint8_t);
    uint8_t value;
    const char *want;
};

static const struct name8_row CODE8_ROWS[] = {
    {tls_alert_name, 0, "close_notify"},
    {tls_alert_name, 10, "unexpected_message"},
    {tls_alert_name, 20, "bad_record_mac"},
    {tls_alert_name, 21, "decryption_failed_RESERVED"},
    {tls_alert_name, 22, "record_overflow"},
    {tls_alert_name, 40, "handshake_failure"},
    {tls_alert_name, 41, "no_certificate_RESERVED"},
    {tls_alert_name, 48, "unknown_ca"},
    {tls_alert_name, 60, "export_restriction_RESERVED"},
    {tls_alert_name, 70, "protocol_version"},
    {tls_alert_name, 86, "inappropriate_fallback"},
    {tls_alert_name, 90, "user_canceled"},
    {tls_alert_name, 100, "no_renegotiation"},
    {tls_alert_name, 109, "missing_extension"},
    {tls_alert_name, 112, "unrecognized_name"},
    {tls_alert_name, 116, "certificate_required"},
    {tls_alert_name, 120, "no_application_protocol"},
    {tls_alert_name, 1, NULL},
    {tls_alert_name, 255, NULL},
    {tls_content_type_name, 20, "change_cipher_spec"},
    {tls_content_type_name, 21, "alert"},
    {tls_content_type_name, 22, "handshake"},
    {tls_content_type_name, 23, "application_data"},
    {tls_content_type_name, 24, "heartbeat"},
    {tls_content_type_name, 19, NULL},
    {tls_content_type_name, 0, NULL},
    {tls_handshake_type_name, 0, "hello_request"},
    {tls_handshake_type_name, 1, "client_hello"},
    {tls_handshake_type_name, 2, "server_hello"},
    {tls_handshake_type_name, 4, "new_session_ticket"},
    {tls_handshake_type_name, 8, "encrypted_extensions"},
    {tls_handshake_type_name, 11, "certificate"},
    {tls_handshake_type_name, 12, "server_key_exchange"},
    {tls_handshake_type_name, 14, "server_hello_done"},
    {tls_handshake_type_name, 16, "client_key_exchange"},
    {tls_handshake_type_name, 20, "finished"},
    {tls_handshake_type_name, 24, "key_update"},
    {tls_handshake_type_name, 254, "message_hash"},
    {tls_handshake_type_name, 7, NULL},
    {tls_handshake_type_name, 99, NULL},
};

static void test_code8(void **state)
{
    const struct name8_row *r = *state;
    const char *got = r->fn(r->value);
    if (r->want) {
        assert_non_null(got);
        assert_string_equal(got, r->want);
    } else {
        assert_null(got);
    }
}

/* The cipher table is searched with bsearch, so an out-of-order entry would hide its
 * neighbours: every value must be found, each named value must be a TLS_ name, and names
 * are unique. 353 = the assigned values of the IANA registry kept in tls_names.c. */
static void test_cipher_sweep(void **state)
{
    (void)state;
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    unsigned named = 0;
    for (unsigned v = 0; v <= 0xffff; v++) {
        const char *n = tls_cipher_name((uint16_t)v);
        if (!n) {
            continue;
        }
        named++;
        assert_memory_equal(n, "TLS_", 4);
        assert_false(g_hash_table_contains(seen, n));
        g_hash_table_add(seen, (gpointer)n);
        assert_false(tls_is_grease((uint16_t)v));
    }
    assert_int_equal(named, 353);
    g_hash_table_destroy(seen);
}

/* RFC 8701 §2: exactly 0x0A0A, 0x1A1A, ..., 0xFAFA. */
static void test_grease_sweep(void **state)
{
    (void)state;
    unsigned count = 0;
    for (unsigned v = 0; v <= 0xffff; v++) {
        bool want = (v & 0xff) == ((v >> 8) & 0xff) && (v & 0x0f) == 0x0a;
        assert_int_equal(tls_is_grease((uint16_t)v), want);
        count += want;
    }
    assert_int_equal(count, 16);
    assert_true(tls_is_grease(0x0a0a));
    assert_true(tls_is_grease(0xfafa));
    assert_false(tls_is_grease(0x0a1a));
    assert_false(tls_is_grease(0x1a0a));
    assert_false(tls_is_grease(0xaaab));
}

struct weak_row {
    uint16_t id;
    bool weak;
};

static const struct weak_row WEAK_ROWS[] = {
    {0x0000, true},  /* NULL_WITH_NULL_NULL */
    {0x0002, true},  /* RSA_WITH_NULL_SHA */
    {0x0003, true},  /* RSA_EXPORT_WITH_RC4_40_MD5 */
    {0x0004, true},  /* RSA_WITH_RC4_128_MD5 */
    {0x0009, true},  /* RSA_WITH_DES_CBC_SHA */
    {0x000a, true},  /* RSA_WITH_3DES_EDE_CBC_SHA */
    {0x0018, true},  /* DH_anon_WITH_RC4_128_MD5 */
    {0x0034, true},  /* DH_anon_WITH_AES_128_CBC_SHA */
    {0xc006, true},  /* ECDHE_ECDSA_WITH_NULL_SHA */
    {0xc011, true},  /* ECDHE_RSA_WITH_RC4_128_SHA */
    {0xc017, true},  /* ECDH_anon_WITH_3DES_EDE_CBC_SHA */
    {0xc0b4, true},  /* SHA256_SHA256: integrity only, RFC 9150 */
    {0xc0b5, true},  /* SHA384_SHA384 */
    {0xc01d, false}, /* SRP_SHA_WITH_AES_128_CBC_SHA: "TLS_SRP_SHA" is not "TLS_SHA" */
    {0xc01a, true},  /* SRP_SHA_WITH_3DES_EDE_CBC_SHA */
    {0x002f, false}, /* RSA_WITH_AES_128_CBC_SHA */
    {0x009c, false}, {0xc02f, false}, {0xcca8, false}, {0x1301, false}, {0x00ff, false}, /* SCSV */
    {0x0a0a, false}, /* GREASE, unnamed */
    {0xffff, false},
};

static void test_weak(void **state)
{
    const struct weak_row *r = *state;
    assert_int_equal(tls_cipher_is_weak(r->id), r->weak);
}

static void test_enum_names(void **state)
{
    (void)state;
    assert_string_equal(tls_handshake_kind_name(TLS_HS_NONE), "none");
    assert_string_equal(tls_handshake_kind_name(TLS_HS_FULL), "full");
    assert_string_equal(tls_handshake_kind_name(TLS_HS_RESUMED), "resumed");
    assert_string_equal(tls_handshake_kind_name(TLS_HS_FAILED), "failed");
    assert_string_equal(tls_handshake_kind_name(TLS_HS_INCOMPLETE), "incomplete");
    assert_string_equal(tls_resumption_outcome_name(TLS_RESUME_NONE), "none");
    assert_string_equal(tls_resumption_outcome_name(TLS_RESUME_ACCEPTED), "accepted");
    assert_string_equal(tls_resumption_outcome_name(TLS_RESUME_REFUSED), "refused");
    assert_string_equal(tls_resumption_outcome_name(TLS_RESUME_UNKNOWN), "unknown");
    assert_string_equal(tls_close_notify_name(TLS_CN_YES), "yes");
    assert_string_equal(tls_close_notify_name(TLS_CN_NO), "no");
    assert_string_equal(tls_close_notify_name(TLS_CN_UNKNOWN), "unknown");
}

int main(void)
{
    struct test_list l = {NULL, 0};
    for (size_t i = 0; i < sizeof(CODE16_ROWS) / sizeof(CODE16_ROWS[0]); i++) {
        const struct name16_row *r = &CODE16_ROWS[i];
        const char *fn = r->fn == tls_cipher_name  ? "cipher"
                         : r->fn == tls_group_name ? "group"
                                                   : "version";
        test_list_add(&l, test_code16, (void *)r, "%s 0x%04x", fn, r->value);
    }
    for (size_t i = 0; i < sizeof(CODE8_ROWS) / sizeof(CODE8_ROWS[0]); i++) {
        const struct name8_row *r = &CODE8_ROWS[i];
        const char *fn = r->fn == tls_alert_name          ? "alert"
                         : r->fn == tls_content_type_name ? "content type"
                                                          : "handshake type";
        test_list_add(&l, test_code8, (void *)r, "%s %u", fn, r->value);
    }
    for (size_t i = 0; i < sizeof(WEAK_ROWS) / sizeof(WEAK_ROWS[0]); i++) {
        test_list_add(&l, test_weak, (void *)&WEAK_ROWS[i], "weak 0x%04x", WEAK_ROWS[i].id);
    }
    test_list_add(&l, test_cipher_sweep, NULL, "cipher table sweep");
    test_list_add(&l, test_grease_sweep, NULL, "GREASE sweep");
    test_list_add(&l, test_enum_names, NULL, "enum names");
    return test_list_run("tls_names", &l);
}
