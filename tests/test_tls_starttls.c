/* STARTTLS recognition (dissect/tls_starttls.c) and its use by the connection dissector:
 * protocol naming from plaintext, where TLS begins inside a chunk, what counts as plaintext, and
 * whole exchanges fed through tls_conn with a real ClientHello/ServerHello (tests/tls_vectors.h,
 * from samples/lab/cap.pcap) placed after each protocol's upgrade dialogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_conn_internal.h"
#include "tls_starttls_internal.h"
#include "tls_vectors.h"

/* A handshake record around one message body: 5-byte record header + 4-byte message header. */
static size_t wrap(uint8_t type, const uint8_t *body, size_t body_len, uint8_t *out)
{
    size_t msg = body_len + 4;
    uint8_t h[9] = {22, 3, 1, (uint8_t)(msg >> 8), (uint8_t)msg, type, 0, (uint8_t)(body_len >> 8),
                    (uint8_t)body_len};
    memcpy(out, h, sizeof(h));
    memcpy(out + 9, body, body_len);
    return body_len + 9;
}

struct upgrade_case {
    const char *name;
    const char *client; /* plaintext the client sends before its ClientHello */
    size_t client_len;  /* 0: strlen(client) */
    const char *server; /* plaintext the server sends before its ServerHello */
    size_t server_len;
    const char *want;
};

#define TXT(s) s, 0
static const uint8_t PG[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
/* A MySQL protocol-10 greeting (len 74, seq 0) cut to its first bytes; only the head matters. */
static const uint8_t MYSQL_HELLO[] = {74, 0, 0, 0, 10, '8', '.', '0', 0};
static const uint8_t MYSQL_SSL[36] = {32, 0, 0, 1};
/* LDAPMessage(1) ExtendedRequest{ requestName "1.3.6.1.4.1.1466.20037" }, RFC 4511 §4.14.1. */
static const uint8_t LDAP_REQ[] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.',
                                   '3',  '.',  '6',  '.',  '1',  '.',  '4',  '.',  '1',  '.',  '1',
                                   '4',  '6',  '6',  '.',  '2',  '0',  '0',  '3',  '7'};
static const uint8_t LDAP_RESP[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07,
                                    0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00};
static const uint8_t TPKT[] = {3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0};

static const struct upgrade_case CASES[] = {
    {"smtp", TXT("EHLO a.example\r\nSTARTTLS\r\n"),
     TXT("220 mx.example ESMTP\r\n250-mx.example\r\n250 STARTTLS\r\n220 2.0.0 Ready\r\n"), "smtp"},
    {"lmtp", TXT("LHLO a.example\r\nSTARTTLS\r\n"), TXT("220 lmtp ready\r\n220 go\r\n"), "lmtp"},
    {"imap", TXT("a001 STARTTLS\r\n"), TXT("* OK IMAP4rev1 ready\r\na001 OK Begin TLS\r\n"),
     "imap"},
    {"imap lower case", TXT("a001 starttls\r\n"), TXT("* OK ready\r\na001 OK go\r\n"), "imap"},
    {"pop3", TXT("STLS\r\n"), TXT("+OK POP3 ready\r\n+OK Begin TLS\r\n"), "pop3"},
    {"ftp", TXT("AUTH TLS\r\n"), TXT("220 FTP ready\r\n234 AUTH TLS OK\r\n"), "ftp"},
    {"irc", TXT("STARTTLS\r\n"), TXT(":irc.example 670 nick :STARTTLS successful\r\n"), "irc"},
    {"xmpp", TXT("<stream:stream to='x'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
     TXT("<stream:stream from='x'><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), "xmpp"},
    {"http connect", TXT("CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
     TXT("HTTP/1.1 200 Connection established\r\n\r\n"), "http_connect"},
    {"postgresql", (const char *)PG, sizeof(PG), "S", 1, "postgresql"},
    {"mysql", (const char *)MYSQL_SSL, sizeof(MYSQL_SSL), (const char *)MYSQL_HELLO,
     sizeof(MYSQL_HELLO), "mysql"},
    {"ldap", (const char *)LDAP_REQ, sizeof(LDAP_REQ), (const char *)LDAP_RESP, sizeof(LDAP_RESP),
     "ldap"},
    {"rdp", (const char *)TPKT, sizeof(TPKT), (const char *)TPKT, sizeof(TPKT), "rdp"},
};

static size_t clen(const struct upgrade_case *u)
{
    return u->client_len ? u->client_len : strlen(u->client);
}

static size_t slen(const struct upgrade_case *u)
{
    return u->server_len ? u->server_len : strlen(u->server);
}

/* The whole exchange through tls_conn: client plaintext, server plaintext, then each side's
 * hello in its own segment (split_hello false) or in the same segment as the plaintext (true).
 * Each direction is recognised on its own, so the order between directions does not matter. */
static void run_exchange(const struct upgrade_case *u, bool split_hello)
{
    uint8_t ch[1024], sh[512], cbuf[2048], sbuf[1024];
    size_t ch_len = wrap(1, CH12, sizeof(CH12), ch);
    size_t sh_len = wrap(2, SH12, sizeof(SH12), sh);
    struct tls_conn *c = tls_conn_new(NULL);
    size_t cl = clen(u), sl = slen(u);
    memcpy(cbuf, u->client, cl);
    memcpy(cbuf + cl, ch, ch_len);
    memcpy(sbuf, u->server, sl);
    memcpy(sbuf + sl, sh, sh_len);
    if (split_hello) {
        tls_conn_data(c, CAP_DIR_CLIENT, 0, cbuf, cl + ch_len, 1);
        if (strcmp(u->name, "mysql") == 0) {
            /* The greeting is sent before the client's SSL request, so never with the hello. */
            tls_conn_data(c, CAP_DIR_SERVER, 0, sbuf, sl, 2);
            tls_conn_data(c, CAP_DIR_SERVER, sl, sh, sh_len, 3);
        } else {
            tls_conn_data(c, CAP_DIR_SERVER, 0, sbuf, sl + sh_len, 2);
        }
    } else {
        tls_conn_data(c, CAP_DIR_CLIENT, 0, cbuf, cl, 1);
        tls_conn_data(c, CAP_DIR_SERVER, 0, sbuf, sl, 2);
        tls_conn_data(c, CAP_DIR_CLIENT, cl, ch, ch_len, 3);
        tls_conn_data(c, CAP_DIR_SERVER, sl, sh, sh_len, 4);
    }
    tls_conn_finish(c, NULL);
    const struct tls_summary *s = tls_conn_get_summary(c);
    assert_true(s->is_tls);
    assert_false(s->not_tls);
    assert_string_equal(s->starttls, u->want);
    assert_int_equal(s->starttls_offset[CAP_DIR_CLIENT], cl);
    assert_int_equal(s->starttls_offset[CAP_DIR_SERVER], sl);
    assert_true(s->client_hello_seen);
    assert_true(s->server_hello_seen);
    assert_string_equal(s->sni, "test.local");
    assert_int_equal(s->dir[CAP_DIR_CLIENT].records, 1);
    assert_int_equal(s->dir[CAP_DIR_SERVER].records, 1);
    tls_conn_free(c);
}

static void test_exchange_segments(void **state)
{
    run_exchange(*state, false);
}

/* Text-protocol clients and the fixed-size binary requests may put the ClientHello in the
 * same segment as the plaintext; every protocol's plaintext ends where TLS begins. */
static void test_exchange_one_segment(void **state)
{
    const struct upgrade_case *u = *state;
    if (strcmp(u->name, "ldap") == 0 || strcmp(u->name, "rdp") == 0) {
        skip(); /* binary requests of variable length: TLS is found at segment starts only */
    }
    run_exchange(u, true);
}

static void test_no_upgrade_plain_http(void **state)
{
    (void)state;
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_true(tls_prelude_looks_plain((const uint8_t *)req, strlen(req)));
    assert_true(tls_prelude_never_upgrades((const uint8_t *)req, strlen(req)));
    const char *conn = "CONNECT x:443 HTTP/1.1\r\n\r\n";
    assert_false(tls_prelude_never_upgrades((const uint8_t *)conn, strlen(conn)));
    const char *ssh = "SSH-2.0-OpenSSH_9.2\r\n";
    assert_true(tls_prelude_never_upgrades((const uint8_t *)ssh, strlen(ssh)));
}

static void test_binary_is_left_to_the_framer(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0x17, 0x99, 0x00, 0x42, 0xfe, 0x01, 0x02};
    static const uint8_t ber_other[] = {0x30, 0x05, 0x02, 0x01, 0x01, 0x42, 0x00};
    assert_false(tls_prelude_looks_plain(junk, sizeof(junk)));
    assert_false(tls_prelude_looks_plain(ber_other, sizeof(ber_other)));
    assert_false(tls_prelude_looks_plain(junk, 0));
}

static void test_find_tls_positions(void **state)
{
    (void)state;
    uint8_t ch[1024], buf[2048];
    size_t ch_len = wrap(1, CH12, sizeof(CH12), ch);
    assert_int_equal(tls_prelude_find_tls(true, ch, ch_len), 0);
    /* A ClientHello is not the server's start, nor is a ServerHello the client's. */
    assert_int_equal(tls_prelude_find_tls(false, ch, ch_len), ch_len);
    const char *line = "STARTTLS\r\n";
    memcpy(buf, line, strlen(line));
    memcpy(buf + strlen(line), ch, ch_len);
    assert_int_equal(tls_prelude_find_tls(true, buf, strlen(line) + ch_len), strlen(line));
    /* A handshake header inside a line is not a start: only after a newline. */
    memcpy(buf, "xSTARTTLS", 9);
    memcpy(buf + 9, ch, ch_len);
    assert_int_equal(tls_prelude_find_tls(true, buf, 9 + ch_len), 9 + ch_len);
    /* Every strict prefix of the record header finds nothing and reads nothing past len. */
    for (size_t n = 0; n < 6; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, ch, n);
        assert_int_equal(tls_prelude_find_tls(true, p, n), n);
        free(p);
    }
}

static void test_prelude_cap_gives_up(void **state)
{
    (void)state;
    struct tls_conn *c = tls_conn_new(NULL);
    static uint8_t line[1024];
    memset(line, 'a', sizeof(line));
    line[sizeof(line) - 1] = '\n';
    tls_conn_data(c, CAP_DIR_SERVER, 0, (const uint8_t *)"220 hi\r\n", 8, 0);
    uint64_t off = 8;
    for (int i = 0; i < 70 && tls_conn_wants_data(c); i++) {
        tls_conn_data(c, CAP_DIR_SERVER, off, line, sizeof(line), i);
        off += sizeof(line);
    }
    /* TLS_PRELUDE_MAX of plaintext without TLS: the flow is not TLS and costs nothing more. */
    assert_false(tls_conn_wants_data(c));
    assert_true(off <= 8 + TLS_PRELUDE_MAX + 2 * sizeof(line));
    tls_conn_finish(c, NULL);
    assert_true(tls_conn_get_summary(c)->not_tls);
    assert_string_equal(tls_conn_get_summary(c)->starttls, "");
    tls_conn_free(c);
}

int main(void)
{
    struct CMUnitTest tests[2 * G_N_ELEMENTS(CASES) + 5];
    size_t n = 0;
    static char names[2 * G_N_ELEMENTS(CASES)][64];
    for (size_t i = 0; i < G_N_ELEMENTS(CASES); i++) {
        snprintf(names[2 * i], sizeof(names[0]), "%s, hello in its own segment", CASES[i].name);
        snprintf(names[2 * i + 1], sizeof(names[0]), "%s, hello after plaintext", CASES[i].name);
        tests[n++] = (struct CMUnitTest){names[2 * i], test_exchange_segments, NULL, NULL,
                                         (void *)&CASES[i]};
        tests[n++] = (struct CMUnitTest){names[2 * i + 1], test_exchange_one_segment, NULL, NULL,
                                         (void *)&CASES[i]};
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_upgrade_plain_http);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_binary_is_left_to_the_framer);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_find_tls_positions);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_prelude_cap_gives_up);
    return _cmocka_run_group_tests("tls_starttls", tests, n, NULL, NULL);
}
