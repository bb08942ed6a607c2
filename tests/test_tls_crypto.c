/* Tests of dissect/tls_crypto.c and dissect/tls_record_open.c: TLS 1.3 traffic keys and record
 * opening on the RFC 8448 §3 "Simple 1-RTT Handshake" trace, and real records of the bundled
 * captures (TLS 1.3 AES-256-GCM-SHA384, TLS 1.2 AES-128/256-GCM) and of a capture made for the
 * ChaCha20-Poly1305 and AES-CCM(_8) suites of both versions, opened with their key logs.
 * Each valid record is also opened with every byte flipped, with the wrong sequence number,
 * truncated at every length, and into a buffer one byte short: all must fail. */
#include "tls_test_build.h"

#include "tls_crypto.h"

/* Hex with optional spaces into a new exact-size buffer (dup_exact); *n its length. */
static uint8_t *unhex(const char *s, size_t *n)
{
    uint8_t tmp[2048];
    size_t len = 0;
    int hi = -1;
    for (; *s; s++) {
        int v = g_ascii_xdigit_value(*s);
        if (v < 0) {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(len < sizeof(tmp));
            tmp[len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    *n = len;
    return dup_exact(tmp, len);
}

static void assert_hex_equal(const uint8_t *got, size_t got_len, const char *want_hex)
{
    size_t n;
    uint8_t *want = unhex(want_hex, &n);
    assert_int_equal(got_len, n);
    assert_memory_equal(got, want, n);
    free(want);
}

/* RFC 8448 §3: the traffic secrets of the trace (TLS_AES_128_GCM_SHA256). */
#define R8448_C_HS                                                                                 \
    "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 "   \
    "5a 21"
#define R8448_S_HS                                                                                 \
    "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 "   \
    "ad 38"
#define R8448_C_AP                                                                                 \
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 "   \
    "04 a5"
#define R8448_S_AP                                                                                 \
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 "   \
    "16 43"

struct keys_row {
    const char *name;
    const char *secret, *key, *iv;
};

/* RFC 8448 §3, "derive write traffic keys" for handshake and application data. */
static const struct keys_row KEYS_ROWS[] = {
    {"server handshake", R8448_S_HS, "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
     "5d 31 3e b2 67 12 76 ee 13 00 0b 30"},
    {"client handshake", R8448_C_HS, "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
     "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"},
    {"server application", R8448_S_AP, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
     "cf 78 2b 88 dd 83 54 9a ad f1 e9 84"},
    {"client application", R8448_C_AP, "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
     "5b 78 92 3d ee 08 57 90 33 e5 23 d9"},
};

static void test_keys(void **state)
{
    const struct keys_row *r = *state;
    size_t n;
    uint8_t *secret = unhex(r->secret, &n);
    struct tls_record_keys k;
    assert_true(tls13_traffic_keys(0x1301, secret, n, &k));
    assert_int_equal(k.version, 0x0304);
    assert_int_equal(k.tag_len, 16);
    assert_false(k.explicit_nonce);
    assert_hex_equal(k.key, k.key_len, r->key);
    assert_hex_equal(k.iv, k.iv_len, r->iv);
    /* A secret of the other hash's length, or a suite that is not TLS 1.3's, is refused. */
    assert_false(tls13_traffic_keys(0x1302, secret, n, &k));
    assert_false(tls13_traffic_keys(0x1301, secret, n - 1, &k));
    assert_false(tls13_traffic_keys(0xc02f, secret, n, &k));
    free(secret);
}

struct record_row {
    const char *name;
    uint16_t suite, version;
    /* TLS 1.3: the traffic secret. TLS 1.2: master secret, client and server random. */
    const char *secret, *client_random, *server_random;
    bool from_server;
    uint64_t seq;
    const char *record; /* header and body */
    uint8_t want_type;
    const char *want_prefix; /* the plaintext, or its start when want_len is longer */
    size_t want_len;
};

/* The client's and server's 50 bytes of application data in RFC 8448 §3. */
#define R8448_APP_PAYLOAD                                                                          \
    "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d "   \
    "1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31"

static const struct record_row RECORD_ROWS[] = {
    /* RFC 8448 §3 {server} send handshake record: EncryptedExtensions (08 00 00 24), Certificate,
     * CertificateVerify, Finished; 674 - 16 (tag) - 1 (type) = 657 bytes of handshake. */
    {"rfc8448 server flight", 0x1301, 0x0304, R8448_S_HS, NULL, NULL, true, 0,
     "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f"
     "45 e4 89 e7 f3 3a f3 5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca"
     "07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd"
     "05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b"
     "d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e"
     "f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c"
     "7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8"
     "bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92"
     "8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70"
     "a2 55 9c 09 ea d6 86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8"
     "94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea"
     "52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f"
     "44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 8d 89"
     "f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3"
     "6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1"
     "00 d7 d9 61 ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e"
     "1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84"
     "c8 b0 37 8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c"
     "f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88 2b d8 9f"
     "c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be"
     "5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6"
     "fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb"
     "56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10"
     "dc 35 ae 69 f5 51 56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38"
     "eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f"
     "60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78"
     "40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98 28 fd 4a e3"
     "79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e"
     "75 0e dc 53 37 0d 2b",
     22, "08 00 00 24", 657},
    /* RFC 8448 §3 {client} send handshake record: the client Finished (14 00 00 20 + 32). */
    {"rfc8448 client finished", 0x1301, 0x0304, R8448_C_HS, NULL, NULL, false, 0,
     "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0"
     "51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c"
     "ae ac ab 68 67 d7 26 c4 05 46",
     22, "14 00 00 20", 36},
    /* RFC 8448 §3 {server} send handshake record: NewSessionTicket (04 00 00 c9), the first
     * record of the server's application epoch. */
    {"rfc8448 server ticket", 0x1301, 0x0304, R8448_S_AP, NULL, NULL, true, 0,
     "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24"
     "0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a"
     "01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1"
     "70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0"
     "9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15"
     "13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77"
     "f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d 86 cb ee ac 87 aa c3"
     "47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74"
     "bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b"
     "3b 6c 67 79 b3 7b f1 59 85 68 4f",
     22, "04 00 00 c9", 205},
    /* RFC 8448 §3 {client} send application_data record. */
    {"rfc8448 client application data", 0x1301, 0x0304, R8448_C_AP, NULL, NULL, false, 0,
     "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea"
     "42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b"
     "62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4",
     23, R8448_APP_PAYLOAD, 50},
    /* RFC 8448 §3 {server} send application_data record, after the ticket. */
    {"rfc8448 server application data", 0x1301, 0x0304, R8448_S_AP, NULL, NULL, true, 1,
     "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc"
     "32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8"
     "fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d",
     23, R8448_APP_PAYLOAD, 50},
    /* RFC 8448 §3 {server} send alert record: close_notify. */
    {"rfc8448 server close_notify", 0x1301, 0x0304, R8448_S_AP, NULL, NULL, true, 2,
     "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9", 21, "01 00", 2},
    /* samples/alerts/probe-gnutls.pcap, TCP stream 1 (gnutls, TLS 1.3 TLS_AES_256_GCM_SHA384),
     * client random 42578de2...5172; secrets from samples/alerts/keys/probe-gnutls.keylog,
     * records from `tshark -q -z follow,tcp,raw,1` split at the record headers; tshark's
     * decryption with the key log reads both as close_notify. The client's is the first record
     * of its application epoch, the server's follows two NewSessionTickets. */
    {"gnutls tls1.3 aes256 client close_notify", 0x1302, 0x0304,
     "d857a6cbc9bf2fd15b43f6efa22003eb85b169f5c873e40fb67f7e3c55774fc2f9e415108064b2907d90ed3ebeca3"
     "35c",
     NULL, NULL, false, 0, "17030300136766c80591691268eea48589515a1ee75cfb11", 21, "01 00", 2},
    {"gnutls tls1.3 aes256 server close_notify", 0x1302, 0x0304,
     "0c7ec5adeaf35f15a9401f59102e18eeb802050cef11de8550dc9dbfc5952ca3a9ac64fb4b28e75922900a64be82b"
     "bd1",
     NULL, NULL, true, 2, "170303001388e836db9a9325aaeb65410fb5aa4d3715e3cd", 21, "01 00", 2},
    /* samples/alerts/tls12-medium-clean.pcap (openssl, TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256):
     * master secret from keys/tls12-medium-clean.keylog, randoms from `tshark -T fields -e
     * tls.handshake.random`, the alert records from `tshark -q -z follow,tcp,raw,0`; tshark
     * reads both as close_notify. Sequence numbers count from each side's Finished (0): the
     * client sent one application data record, the server three. */
    {"openssl tls1.2 aes128 client close_notify", 0xc02f, 0x0303,
     "15153de8ad875012fb5798f7cd0f8b2cff65d2a9879d852e4263f893ccf42832dc0392e29880f35b4820119a96d83"
     "02f",
     "3dcae523df73778b1bdc74e35bc6bdb238f647b4f0f1fb510197d53258f9721e",
     "43fb18aecd919df568858df09b938a3c41954d7574e6da2a61911424c8c1afa1", false, 2,
     "150303001aae7d9468b378efe33a9f96c60b698ccbdd41f5515c473fc37618", 21, "01 00", 2},
    {"openssl tls1.2 aes128 server close_notify", 0xc02f, 0x0303,
     "15153de8ad875012fb5798f7cd0f8b2cff65d2a9879d852e4263f893ccf42832dc0392e29880f35b4820119a96d83"
     "02f",
     "3dcae523df73778b1bdc74e35bc6bdb238f647b4f0f1fb510197d53258f9721e",
     "43fb18aecd919df568858df09b938a3c41954d7574e6da2a61911424c8c1afa1", true, 4,
     "150303001a97bd55689bc0c79d278453f6af1cea10c10813da27aadab529ba", 21, "01 00", 2},
    /* samples/alerts/probe-gnutls.pcap, TCP stream 0 (gnutls, TLS 1.2
     * ECDHE-RSA-AES256-GCM-SHA384), extracted as above: the close_notify of each side right
     * after its Finished. gnutls's explicit nonce is the sequence number. */
    {"gnutls tls1.2 aes256 client close_notify", 0xc030, 0x0303,
     "e4d5a7a475e3b23ab9b3ac17c8fb07fed9b056b6e9761f1503f3279f1ad9e811550427f540bd3d6be32c522ddc48b"
     "3f2",
     "0a74c46b10485ec83c4acef84488a92835389f3c49b433f3dfe413573d241183",
     "6f47442236c7c05a4789ea7d267bc3fa7c5654155599c840444f574e47524401", false, 1,
     "150303001a000000000000000163c423b2db59a0a4729784a1b2c3b9ceb638", 21, "01 00", 2},
    {"gnutls tls1.2 aes256 server close_notify", 0xc030, 0x0303,
     "e4d5a7a475e3b23ab9b3ac17c8fb07fed9b056b6e9761f1503f3279f1ad9e811550427f540bd3d6be32c522ddc48b"
     "3f2",
     "0a74c46b10485ec83c4acef84488a92835389f3c49b433f3dfe413573d241183",
     "6f47442236c7c05a4789ea7d267bc3fa7c5654155599c840444f574e47524401", true, 1,
     "150303001a5e76582ff851b93b782f581a0e9da159522e2b386c1d2baabda4", 21, "01 00", 2},
    /* No bundled capture uses ChaCha20-Poly1305 or AES-CCM, so these come from one made for
     * this test: OpenSSL 3.0.22 s_server (-keylogfile, -naccept 1, self-signed RSA certificate)
     * and `echo hello | openssl s_client` on loopback, one connection per suite (-ciphersuites
     * or -cipher on both ends), captured with tshark -i lo. Secrets and randoms from its key log
     * and `tshark -T fields -e tls.handshake.random`, the last record of each side from
     * `tshark -q -z follow,tcp,raw,N`; tshark 4.0.17 decrypts each as close_notify. TLS 1.3:
     * the client's alert follows its "hello\n" record (application epoch seq 1), the server's
     * two NewSessionTickets (seq 2). TLS 1.2: each alert follows its side's Finished (seq 1);
     * OpenSSL's explicit nonce is the sequence number. */
    {"tls1.3 TLS_CHACHA20_POLY1305_SHA256 client close_notify", 0x1303, 0x0304,
     "4be950730479a4648f2179f7d484dec03737552871606740f5ea32653fd0d8d4", NULL, NULL, false, 1,
     "1703030013c68a5d51751f46d86a60391edefa0751d7e9a2", 21, "01 00", 2},
    {"tls1.3 TLS_CHACHA20_POLY1305_SHA256 server close_notify", 0x1303, 0x0304,
     "aa84ea1c00845a41ec39ca1a09de3e4fe7e89d3b9a8132df3b68b2da2e602505", NULL, NULL, true, 2,
     "170303001315137faaf2a56bb6add241eea1eb2687ab3a0a", 21, "01 00", 2},
    {"tls1.3 TLS_AES_128_CCM_SHA256 client close_notify", 0x1304, 0x0304,
     "ddaebbe3fd59039570c52ad0550d0f9325d81a38b4406c13c3d64f41ebadb3b6", NULL, NULL, false, 1,
     "1703030013aca0136f4781cca92883ce3ea186764617503f", 21, "01 00", 2},
    {"tls1.3 TLS_AES_128_CCM_SHA256 server close_notify", 0x1304, 0x0304,
     "4a8b1111072fa3be4d9e2b01eb5fbd7cef44a4002f94c3302dcb2020f9be186b", NULL, NULL, true, 2,
     "1703030013391864f77608935464ee2e19297d3dc9fff240", 21, "01 00", 2},
    {"tls1.3 TLS_AES_128_CCM_8_SHA256 client close_notify", 0x1305, 0x0304,
     "e1bd4417625a721faf8fea50aa121e6fd0278958535b7907bdb9e678f1c19f91", NULL, NULL, false, 1,
     "170303000b50fe46b17833c4ccb5772a", 21, "01 00", 2},
    {"tls1.3 TLS_AES_128_CCM_8_SHA256 server close_notify", 0x1305, 0x0304,
     "b96e47e02c4bd4d1044225210303edf655fb20fefb27de8b6972c555be1a868d", NULL, NULL, true, 2,
     "170303000b440551763a3668b70b2215", 21, "01 00", 2},
    {"tls1.2 ECDHE-RSA-CHACHA20-POLY1305 client close_notify", 0xcca8, 0x0303,
     "9a9f8685a5e37065b463bd401a15a0360c8668f2b56ed332d9f52c901667b3596e9d2cdfc71247dfe535dbcac1782"
     "e31",
     "bdea915eaf3eacfb162e7b93e25ca9658a08b752435aa50427c75eebf7b06a57",
     "ccf9829155efa6e5017c6a7727757d70d789c7b2e7fec273444f574e47524401", false, 1,
     "1503030012593c604afcf1c99d19c76ba99b2d80e7e915", 21, "01 00", 2},
    {"tls1.2 ECDHE-RSA-CHACHA20-POLY1305 server close_notify", 0xcca8, 0x0303,
     "9a9f8685a5e37065b463bd401a15a0360c8668f2b56ed332d9f52c901667b3596e9d2cdfc71247dfe535dbcac1782"
     "e31",
     "bdea915eaf3eacfb162e7b93e25ca9658a08b752435aa50427c75eebf7b06a57",
     "ccf9829155efa6e5017c6a7727757d70d789c7b2e7fec273444f574e47524401", true, 1,
     "1503030012d9b4f0f37f9b189309b83a57eeff5079fcf0", 21, "01 00", 2},
    {"tls1.2 AES128-CCM client close_notify", 0xc09c, 0x0303,
     "32d6c527e41c64f22aec62aec6f9ea213210ac54e0e1316460e3d1b77c3630bfe5eb912d5043af231fdfa423656b8"
     "6f3",
     "955e7c98184bf54288ece9abd43ad141b2aa5674c2f19415661bb8d5ba253165",
     "adbb39e7f2b7f0d573cdac767640d8332653e866cdc0cb2f444f574e47524401", false, 1,
     "150303001a0000000000000001f9df4ce6a7048b568ef3b6963fca6e90740e", 21, "01 00", 2},
    {"tls1.2 AES128-CCM server close_notify", 0xc09c, 0x0303,
     "32d6c527e41c64f22aec62aec6f9ea213210ac54e0e1316460e3d1b77c3630bfe5eb912d5043af231fdfa423656b8"
     "6f3",
     "955e7c98184bf54288ece9abd43ad141b2aa5674c2f19415661bb8d5ba253165",
     "adbb39e7f2b7f0d573cdac767640d8332653e866cdc0cb2f444f574e47524401", true, 1,
     "150303001a000000000000000181d91d7e2ed2f20ed1d51f882a6985e1d19d", 21, "01 00", 2},
    {"tls1.2 DHE-RSA-AES256-CCM8 client close_notify", 0xc0a3, 0x0303,
     "33ca27c59a8c09f8615d03bf9b6e5f39d16ff1f2baeecd53a95931cfe793a0b1675ec810c3e11de22926f50bb2141"
     "406",
     "1df3eeaecc878389bd5788b367df0bb5360b2caa400640dec68bc0ce34b55c5e",
     "6967b631e33a31db2512a96e9f6f22f1399d723309eb365e444f574e47524401", false, 1,
     "15030300120000000000000001a9e8aaeef857a16c6973", 21, "01 00", 2},
    {"tls1.2 DHE-RSA-AES256-CCM8 server close_notify", 0xc0a3, 0x0303,
     "33ca27c59a8c09f8615d03bf9b6e5f39d16ff1f2baeecd53a95931cfe793a0b1675ec810c3e11de22926f50bb2141"
     "406",
     "1df3eeaecc878389bd5788b367df0bb5360b2caa400640dec68bc0ce34b55c5e",
     "6967b631e33a31db2512a96e9f6f22f1399d723309eb365e444f574e47524401", true, 1,
     "1503030012000000000000000145398c4532dddae5062e", 21, "01 00", 2},
};

static void row_keys(const struct record_row *r, struct tls_record_keys *k)
{
    size_t n;
    uint8_t *secret = unhex(r->secret, &n);
    if (r->version == 0x0304) {
        assert_true(tls13_traffic_keys(r->suite, secret, n, k));
    } else {
        size_t cn, sn;
        uint8_t *cr = unhex(r->client_random, &cn), *sr = unhex(r->server_random, &sn);
        assert_int_equal(n, 48);
        assert_int_equal(cn, 32);
        assert_int_equal(sn, 32);
        struct tls_record_keys c, s;
        assert_true(tls12_keys(r->suite, r->version, secret, cr, sr, &c, &s));
        *k = r->from_server ? s : c;
        free(cr);
        free(sr);
    }
    free(secret);
}

/* Opens body (exact-size copy) with header hdr; the result as tls_record_open returns it. */
static bool open_with(const struct tls_record_keys *k, uint64_t seq, const uint8_t hdr[5],
                      const uint8_t *body, size_t body_len, size_t cap, size_t *out_len,
                      uint8_t *type)
{
    uint8_t *b = dup_exact(body, body_len);
    uint8_t *out = g_malloc(cap + 1);
    bool ok = tls_record_open(k, seq, hdr, b, body_len, out, cap, out_len, type);
    g_free(out);
    free(b);
    return ok;
}

static void test_record(void **state)
{
    const struct record_row *r = *state;
    struct tls_record_keys k;
    row_keys(r, &k);
    size_t rec_len;
    uint8_t *rec = unhex(r->record, &rec_len);
    assert_true(rec_len > 5);
    uint8_t hdr[5];
    memcpy(hdr, rec, 5);
    uint8_t *body = dup_exact(rec + 5, rec_len - 5);
    size_t body_len = rec_len - 5;

    uint8_t *out = g_malloc(body_len);
    size_t out_len = 0;
    uint8_t type = 0;
    assert_true(tls_record_open(&k, r->seq, hdr, body, body_len, out, body_len, &out_len, &type));
    assert_int_equal(type, r->want_type);
    assert_int_equal(out_len, r->want_len);
    size_t prefix_len;
    uint8_t *prefix = unhex(r->want_prefix, &prefix_len);
    assert_true(prefix_len <= out_len);
    assert_memory_equal(out, prefix, prefix_len);
    free(prefix);

    /* The plaintext takes all the ciphertext's room in the buffer; one byte less fails. */
    size_t need = body_len - k.tag_len - (k.explicit_nonce ? 8 : 0);
    size_t n;
    uint8_t t;
    assert_false(open_with(&k, r->seq, hdr, body, body_len, need - 1, &n, &t));
    assert_true(open_with(&k, r->seq, hdr, body, body_len, need, &n, &t));
    /* Another sequence number is another nonce (or, in TLS 1.2, other additional data). */
    assert_false(open_with(&k, r->seq + 1, hdr, body, body_len, body_len, &n, &t));
    if (r->seq > 0) {
        assert_false(open_with(&k, r->seq - 1, hdr, body, body_len, body_len, &n, &t));
    }
    /* Every byte of the body is authenticated, and so is the header (the additional data). */
    for (size_t i = 0; i < body_len; i++) {
        body[i] ^= 0x01;
        if (open_with(&k, r->seq, hdr, body, body_len, body_len, &n, &t)) {
            fail_msg("byte %zu of the body flipped: the record still opened", i);
        }
        body[i] ^= 0x01;
    }
    for (size_t i = 0; i < 3; i++) {
        uint8_t h2[5];
        memcpy(h2, hdr, 5);
        h2[i] ^= 0x01;
        if (open_with(&k, r->seq, h2, body, body_len, body_len, &n, &t)) {
            fail_msg("byte %zu of the header flipped: the record still opened", i);
        }
    }
    /* Every strict prefix of the body, with its header's length to match, fails; so does a
     * header whose length does not match the body. */
    for (size_t len = 0; len < body_len; len++) {
        uint8_t h2[5];
        memcpy(h2, hdr, 5);
        h2[3] = (uint8_t)(len >> 8);
        h2[4] = (uint8_t)len;
        if (open_with(&k, r->seq, h2, body, len, body_len, &n, &t)) {
            fail_msg("body cut to %zu bytes: the record still opened", len);
        }
        if (open_with(&k, r->seq, hdr, body, len, body_len, &n, &t)) {
            fail_msg("body cut to %zu bytes under the whole record's header: opened", len);
        }
    }
    /* The other direction's keys do not open it. */
    if (r->version == 0x0303) {
        struct tls_record_keys c, s;
        size_t sl, cl, srl;
        uint8_t *secret = unhex(r->secret, &sl), *cr = unhex(r->client_random, &cl),
                *sr = unhex(r->server_random, &srl);
        assert_true(tls12_keys(r->suite, r->version, secret, cr, sr, &c, &s));
        assert_false(
            open_with(r->from_server ? &c : &s, r->seq, hdr, body, body_len, body_len, &n, &t));
        /* Randoms swapped: another key block. */
        assert_true(tls12_keys(r->suite, r->version, secret, sr, cr, &c, &s));
        assert_false(
            open_with(r->from_server ? &s : &c, r->seq, hdr, body, body_len, body_len, &n, &t));
        free(secret);
        free(cr);
        free(sr);
    }
    g_free(out);
    free(body);
    free(rec);
}

struct suite_row {
    uint16_t suite, version;
    bool supported;
    uint8_t key_len, iv_len, tag_len;
    bool explicit_nonce;
};

/* RFC 8446 §B.4; RFC 5288, RFC 5289, RFC 7905, RFC 6655, RFC 7251. */
static const struct suite_row SUITE_ROWS[] = {
    {0x1301, 0x0304, true, 16, 12, 16, false}, {0x1302, 0x0304, true, 32, 12, 16, false},
    {0x1303, 0x0304, true, 32, 12, 16, false}, {0x1304, 0x0304, true, 16, 12, 16, false},
    {0x1305, 0x0304, true, 16, 12, 8, false},  {0x1306, 0x0304, false, 0, 0, 0, false},
    {0x1301, 0x0303, false, 0, 0, 0, false},   {0xc02f, 0x0304, false, 0, 0, 0, false},
    {0xc02f, 0x0303, true, 16, 4, 16, true},   {0xc030, 0x0303, true, 32, 4, 16, true},
    {0xc02b, 0x0303, true, 16, 4, 16, true},   {0xc02c, 0x0303, true, 32, 4, 16, true},
    {0x009c, 0x0303, true, 16, 4, 16, true},   {0x009f, 0x0303, true, 32, 4, 16, true},
    {0xcca8, 0x0303, true, 32, 12, 16, false}, {0xcca9, 0x0303, true, 32, 12, 16, false},
    {0xccaa, 0x0303, true, 32, 12, 16, false}, {0xc09c, 0x0303, true, 16, 4, 16, true},
    {0xc0a3, 0x0303, true, 32, 4, 8, true},    {0xc0ae, 0x0303, true, 16, 4, 8, true},
    {0xc02f, 0x0302, false, 0, 0, 0, false},   {0x002f, 0x0303, false, 0, 0, 0, false},
    {0xc027, 0x0303, false, 0, 0, 0, false},   {0xccab, 0x0303, false, 0, 0, 0, false},
};

static void test_suite(void **state)
{
    const struct suite_row *r = *state;
    assert_int_equal(tls_suite_supported(r->suite, r->version), r->supported);
    uint8_t master[48] = {1}, cr[32] = {2}, sr[32] = {3}, secret[48] = {4};
    struct tls_record_keys c, s;
    bool ok = r->version == 0x0304
                  ? tls13_traffic_keys(r->suite, secret,
                                       r->key_len == 32 && r->suite == 0x1302 ? 48 : 32, &c)
                  : tls12_keys(r->suite, r->version, master, cr, sr, &c, &s);
    assert_int_equal(ok, r->supported);
    if (!ok) {
        return;
    }
    assert_int_equal(c.cipher_suite, r->suite);
    assert_int_equal(c.version, r->version);
    assert_non_null(c.evp_cipher);
    assert_int_equal(c.key_len, r->key_len);
    assert_int_equal(c.iv_len, r->iv_len);
    assert_int_equal(c.tag_len, r->tag_len);
    assert_int_equal(c.explicit_nonce, r->explicit_nonce);
    if (r->version == 0x0303) {
        /* The two directions' keys come from different parts of the key block. */
        assert_memory_not_equal(c.key, s.key, c.key_len);
    }
}

/* Keys of no suite this module knows, and absurd record lengths, are refused up front. */
static void test_refusals(void **state)
{
    (void)state;
    struct tls_record_keys k;
    memset(&k, 0, sizeof(k));
    uint8_t hdr[5] = {23, 3, 3, 0, 0}, body[32] = {0}, out[64];
    size_t n;
    uint8_t t;
    assert_false(tls_record_open(&k, 0, hdr, body, 0, out, sizeof(out), &n, &t));
    assert_false(tls_record_open(NULL, 0, hdr, body, 0, out, sizeof(out), &n, &t));
    uint8_t secret[32] = {0};
    assert_true(tls13_traffic_keys(0x1301, secret, sizeof(secret), &k));
    hdr[4] = 16;
    assert_false(tls_record_open(&k, 0, hdr, body, 16, out, sizeof(out), &n, &t));
    assert_false(tls_record_open(&k, 0, hdr, NULL, 16, out, sizeof(out), &n, &t));
    /* Longer than any record body (2^14 + 256 for TLS 1.3): refused before any decryption. */
    size_t big_len = 16384 + 257;
    uint8_t *big = g_malloc0(big_len), *big_out = g_malloc(big_len);
    hdr[3] = (uint8_t)(big_len >> 8);
    hdr[4] = (uint8_t)big_len;
    assert_false(tls_record_open(&k, 0, hdr, big, big_len, big_out, big_len, &n, &t));
    g_free(big);
    g_free(big_out);
}

int main(void)
{
    struct test_list l = {NULL, 0};
    for (size_t i = 0; i < G_N_ELEMENTS(KEYS_ROWS); i++) {
        test_list_add(&l, test_keys, (void *)&KEYS_ROWS[i], "rfc8448 %s keys", KEYS_ROWS[i].name);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(RECORD_ROWS); i++) {
        test_list_add(&l, test_record, (void *)&RECORD_ROWS[i], "%s", RECORD_ROWS[i].name);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(SUITE_ROWS); i++) {
        test_list_add(&l, test_suite, (void *)&SUITE_ROWS[i], "suite 0x%04x version 0x%04x",
                      SUITE_ROWS[i].suite, SUITE_ROWS[i].version);
    }
    test_list_add(&l, test_refusals, NULL, "refusals");
    return test_list_run("tls_crypto", &l);
}
