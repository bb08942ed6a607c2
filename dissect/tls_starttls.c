/* Recognises TLS that begins after a plaintext exchange (SMTP/LMTP STARTTLS, IMAP STARTTLS,
 * POP3 STLS, FTP AUTH TLS, LDAP StartTLS, XMPP starttls, PostgreSQL SSLRequest, MySQL SSL
 * request, IRC STARTTLS, HTTP CONNECT tunnels) and names the protocol from the plaintext. The
 * rules only look at bytes each protocol's RFC fixes; nothing here decides that TLS started
 * except a record header that validates, so a wrong name never misframes a stream. */
#include <string.h>

#include <glib.h>

#include "cursor.h"
#include "tls_decode_internal.h"
#include "tls_record_internal.h"
#include "tls_starttls_internal.h"
#include "writer.h"

/* PostgreSQL SSLRequest: Int32 length 8, Int32 80877103 (protocol docs, "SSLRequest"). */
static const uint8_t PG_SSLREQUEST[8] = {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f};
/* LDAP StartTLS extended request OID, RFC 4511 §4.14.1. */
static const char LDAP_STARTTLS_OID[] = "1.3.6.1.4.1.1466.20037";

/* Text up to the first line end (or 8 bytes): a short command line may be followed by the
 * ClientHello in the same segment. One byte is enough: PostgreSQL answers an SSLRequest with a
 * lone 'S'. */
static bool printable_text(const uint8_t *data, size_t len)
{
    size_t n = len < 8 ? len : 8;
    if (n < 1) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t b = data[i];
        if (b == '\n' || b == '>') {
            return true;
        }
        if (!((b >= 0x20 && b < 0x7f) || b == '\r' || b == '\t')) {
            return false;
        }
    }
    return true;
}

/* MySQL packets: 3-byte little-endian length, 1-byte sequence id. The server speaks first with
 * a protocol-10 handshake (sequence 0); the client's SSLRequest is sequence 1 of 32 bytes. */
static bool mysql_greeting(const uint8_t *data, size_t len)
{
    struct cur c = cur_make(data, len);
    uint8_t l0, l1, l2, seq, proto;
    return cur_u8(&c, &l0) && cur_u8(&c, &l1) && cur_u8(&c, &l2) && cur_u8(&c, &seq) &&
           cur_u8(&c, &proto) && seq == 0 && proto == 10 && l2 == 0 && (l0 | (l1 << 8)) > 40;
}

/* The client's MySQL SSLRequest packet: 32-byte payload, sequence id 1. */
static bool mysql_ssl_request(const uint8_t *data, size_t len)
{
    return len >= 4 && data[0] == 32 && data[1] == 0 && data[2] == 0 && data[3] == 1;
}

/* RDP starts with a TPKT header (version 3, reserved 0; RFC 1006) around X.224. */
static bool tpkt(const uint8_t *data, size_t len)
{
    return len >= 4 && data[0] == 3 && data[1] == 0;
}

static bool memmem_bytes(const uint8_t *hay, size_t hay_len, const void *needle, size_t n)
{
    for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

bool tls_prelude_looks_plain(const uint8_t *data, size_t len)
{
    if (printable_text(data, len) || mysql_greeting(data, len) || mysql_ssl_request(data, len) ||
        tpkt(data, len)) {
        return true;
    }
    if (len >= sizeof(PG_SSLREQUEST) && memcmp(data, PG_SSLREQUEST, sizeof(PG_SSLREQUEST)) == 0) {
        return true;
    }
    /* An LDAP message is a BER SEQUENCE (0x30); only one carrying the StartTLS OID is taken as
     * an upgrade, so other binary protocols still reach the framer's mid-stream search. */
    return len > 0 && data[0] == 0x30 &&
           memmem_bytes(data, len, LDAP_STARTTLS_OID, sizeof(LDAP_STARTTLS_OID) - 1);
}

bool tls_prelude_never_upgrades(const uint8_t *data, size_t len)
{
    /* Plain HTTP requests (only CONNECT opens a tunnel; RFC 2817's Upgrade: TLS is unused in
     * practice), HTTP/2 cleartext and SSH never turn into TLS on the same connection. */
    static const char *const words[] = {"GET ",     "POST ",  "HEAD ",        "PUT ", "DELETE ",
                                        "OPTIONS ", "PATCH ", "PRI * HTTP/2", "SSH-"};
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        size_t n = strlen(words[i]);
        if (len >= n && memcmp(data, words[i], n) == 0) {
            return true;
        }
    }
    return false;
}

bool tls_prelude_tls_starts(bool from_client, const uint8_t *data, size_t len)
{
    struct cur c = cur_make(data, len);
    const uint8_t *hdr;
    uint8_t type, msg;
    if (!cur_bytes(&c, TLS_RECORD_HEADER_LEN, &hdr) || !tls_framer_header_plausible(hdr)) {
        return false;
    }
    type = hdr[0];
    if (type == TLS_CT_ALERT) {
        return !from_client;
    }
    if (type != TLS_CT_HANDSHAKE || !cur_u8(&c, &msg)) {
        return false;
    }
    return msg == (from_client ? TLS_HT_CLIENT_HELLO : TLS_HT_SERVER_HELLO);
}

size_t tls_prelude_find_tls(bool from_client, const uint8_t *data, size_t len)
{
    if (tls_prelude_tls_starts(from_client, data, len)) {
        return 0;
    }
    /* Known binary requests of fixed size, then TLS in the same segment. */
    if (len > 36 && mysql_ssl_request(data, len) &&
        tls_prelude_tls_starts(from_client, data + 36, len - 36)) {
        return 36;
    }
    if (len > sizeof(PG_SSLREQUEST) && memcmp(data, PG_SSLREQUEST, sizeof(PG_SSLREQUEST)) == 0 &&
        tls_prelude_tls_starts(from_client, data + 8, len - 8)) {
        return 8;
    }
    /* PostgreSQL's one-byte 'S' answer, then the ServerHello in the same segment. */
    if (len > 1 && data[0] == 'S' && tls_prelude_tls_starts(from_client, data + 1, len - 1)) {
        return 1;
    }
    /* Text protocols: TLS can only begin right after a line, or after an XML element. */
    for (size_t i = 0; i + 1 < len; i++) {
        if ((data[i] == '\n' || data[i] == '>') &&
            tls_prelude_tls_starts(from_client, data + i + 1, len - i - 1)) {
            return i + 1;
        }
    }
    return len;
}

void tls_prelude_keep(struct tls_prelude *p, const uint8_t *data, size_t len)
{
    if (p->head == NULL) {
        p->head = g_malloc(TLS_PRELUDE_KEEP);
    }
    /* The head is what the protocol rules read: the first TLS_PRELUDE_KEEP bytes, the rest only
     * counted. */
    struct wr w;
    wr_init(&w, p->head + p->head_len, TLS_PRELUDE_KEEP - p->head_len);
    wr_bytes(&w, data, len < wr_avail(&w) ? len : wr_avail(&w));
    p->head_len += wr_len(&w);
    p->plain_len += len;
}

static bool has_text(const struct tls_prelude *p, const char *word)
{
    return p->head_len > 0 &&
           g_strstr_len((const char *)p->head, (gssize)p->head_len, word) != NULL;
}

static bool starts_with(const struct tls_prelude *p, const char *word)
{
    size_t n = strlen(word);
    return p->head_len >= n && g_ascii_strncasecmp((const char *)p->head, word, n) == 0;
}

/* Case-insensitive search for a command word (clients send STARTTLS in any case). */
static bool has_command(const struct tls_prelude *p, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= p->head_len; i++) {
        if (g_ascii_strncasecmp((const char *)p->head + i, word, n) == 0) {
            return true;
        }
    }
    return false;
}

const char *tls_starttls_protocol(const struct tls_prelude *cl, const struct tls_prelude *sv)
{
    if (cl->head_len >= sizeof(PG_SSLREQUEST) &&
        memcmp(cl->head, PG_SSLREQUEST, sizeof(PG_SSLREQUEST)) == 0) {
        return "postgresql";
    }
    if (mysql_greeting(sv->head, sv->head_len)) {
        return "mysql";
    }
    if (memmem_bytes(cl->head, cl->head_len, LDAP_STARTTLS_OID, sizeof(LDAP_STARTTLS_OID) - 1)) {
        return "ldap";
    }
    if (has_text(cl, "<starttls") || has_text(sv, "<starttls")) {
        return "xmpp";
    }
    if (has_command(cl, "AUTH TLS") || has_command(cl, "AUTH SSL")) {
        return "ftp";
    }
    if (has_command(cl, "STLS") && starts_with(sv, "+OK")) {
        return "pop3";
    }
    if (tpkt(cl->head, cl->head_len)) {
        return "rdp";
    }
    if (has_command(cl, "CONNECT ") && starts_with(sv, "HTTP/1.")) {
        return "http_connect";
    }
    if (has_command(cl, "STARTTLS")) {
        /* RFC 5321 servers greet with 220, RFC 3501 with "* OK", IRC servers with ":name". */
        if (starts_with(sv, "220")) {
            return has_command(cl, "LHLO") ? "lmtp" : "smtp";
        }
        if (starts_with(sv, "* OK")) {
            return "imap";
        }
        if (starts_with(sv, ":") || has_text(sv, " 670 ")) {
            return "irc";
        }
        if (has_command(cl, " STARTTLS")) {
            return "imap"; /* a tagged command ("a001 STARTTLS") without a visible greeting */
        }
    }
    return "unknown";
}
