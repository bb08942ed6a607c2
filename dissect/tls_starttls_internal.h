/* STARTTLS and its relatives: TLS that begins after a plaintext exchange (internal to dissect/
 * and its tests). A direction whose first bytes are plaintext (text, or a known binary upgrade
 * request) is held in a prelude until a chunk starts with the TLS record that opens that side's
 * handshake; the prelude's length becomes the STARTTLS offset and its first bytes name the
 * protocol. */
#ifndef TLSSCOPE_TLS_STARTTLS_INTERNAL_H
#define TLSSCOPE_TLS_STARTTLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect.h"

/* Plaintext kept per direction to name the protocol: commands and banners are short. */
#define TLS_PRELUDE_KEEP 512
/* Plaintext bytes per direction after which a flow is taken as not TLS at all. A STARTTLS
 * conversation (banner, EHLO and its extension list, STARTTLS) fits in a few KB. */
#define TLS_PRELUDE_MAX (64 * 1024)

enum tls_prelude_state {
    TLS_PRELUDE_UNDECIDED, /* nothing seen in this direction yet */
    TLS_PRELUDE_TLS,       /* bytes go to the record framer */
    TLS_PRELUDE_PLAIN,     /* plaintext: waiting for TLS to begin */
    TLS_PRELUDE_GAVE_UP,   /* plaintext longer than TLS_PRELUDE_MAX: not TLS */
};

struct tls_prelude {
    enum tls_prelude_state state;
    uint64_t plain_len;
    size_t head_len;
    uint8_t *head; /* TLS_PRELUDE_KEEP bytes, allocated by the first tls_prelude_keep: most
                      flows start with a hello and never need it */
};

/* tls_prelude_looks_plain: the first chunk of a direction is plaintext of an upgrade-capable
 * protocol: printable text, a PostgreSQL SSLRequest, a MySQL greeting or SSL request, or an LDAP
 * message (BER SEQUENCE). Binary data that is none of these is left to the record framer (a
 * mid-stream pickup, or not TLS at all). */
bool tls_prelude_looks_plain(const uint8_t *data, size_t len);
/* tls_prelude_never_upgrades: the first chunk opens a protocol that never turns into TLS on
 * the same connection (an HTTP request other than CONNECT, HTTP/2 cleartext, SSH), so the flow
 * is declared not TLS at once instead of being watched for an upgrade. */
bool tls_prelude_never_upgrades(const uint8_t *data, size_t len);
/* tls_prelude_tls_starts: data begins with the record that opens a side's TLS: a handshake
 * record holding a ClientHello (client) or ServerHello (server), or, from the server, an alert
 * refusing the handshake. */
bool tls_prelude_tls_starts(bool from_client, const uint8_t *data, size_t len);
/* tls_prelude_find_tls: where in data a side's TLS begins: 0 when at once, after a known
 * fixed-size binary request (MySQL, PostgreSQL) or after a text line in the same segment; len
 * when not in this chunk. */
size_t tls_prelude_find_tls(bool from_client, const uint8_t *data, size_t len);
/* tls_prelude_keep: appends plaintext to the kept head (bounded) and counts it. */
void tls_prelude_keep(struct tls_prelude *p, const uint8_t *data, size_t len);
/* tls_starttls_protocol: names the upgrade from the plaintext heads of both directions
 * ("smtp", "lmtp", "imap", "pop3", "ftp", "ldap", "xmpp", "postgresql", "mysql", "irc",
 * "rdp", "http_connect", "unknown"). */
const char *tls_starttls_protocol(const struct tls_prelude *client,
                                  const struct tls_prelude *server);

#endif
