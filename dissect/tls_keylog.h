/* The key log: secrets from NSS key log text (SSLKEYLOGFILE, as curl, browsers, OpenSSL, Go,
 * rustls and Java agents write it, or a pcapng Decryption Secrets Block), held by client random
 * for the decryption to look up. Bounded, never fatal on bad input: bad lines are counted and
 * the first few kept as messages. Live capture re-reads a growing file from where it stopped. */
#ifndef TLSSCOPE_TLS_KEYLOG_H
#define TLSSCOPE_TLS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

enum tls_secret_kind {
    TLS_SK_MASTER,     /* CLIENT_RANDOM: the TLS 1.2 (and earlier) master secret, 48 bytes */
    TLS_SK_CLIENT_HS,  /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    TLS_SK_SERVER_HS,  /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    TLS_SK_CLIENT_AP0, /* CLIENT_TRAFFIC_SECRET_0 */
    TLS_SK_SERVER_AP0, /* SERVER_TRAFFIC_SECRET_0 */
    TLS_SK_COUNT
};

/* The number of bad lines kept as messages (tls_keylog_bad_examples). */
#define TLS_KEYLOG_MAX_BAD_EXAMPLES 10
#define TLS_KEYLOG_DEFAULT_MAX_ENTRIES 1000000

struct tls_keylog;

/* tls_keylog_new: an empty key log holding at most max_entries client randoms (0: the default,
 * 1,000,000: about 300 MB when full, 280 bytes and a hash slot per random). Never NULL (GLib aborts
 * on exhaustion). */
struct tls_keylog *tls_keylog_new(uint64_t max_entries);
/* tls_keylog_free: NULL-safe; wipes the secrets before freeing them. */
void tls_keylog_free(struct tls_keylog *k);

/* tls_keylog_add_text: parses len bytes of NSS key log text: lines "LABEL <client random, 64
 * hex digits> <secret, hex>", '#' comments and blank lines skipped, LF or CRLF. Labels other
 * than the five of enum tls_secret_kind (EXPORTER_SECRET, EARLY_*, ...) are counted as ignored.
 * A bad line (bad hex, a random not 32 bytes, a secret of the wrong length: 48 bytes for
 * CLIENT_RANDOM, 32 or 48 for the TLS 1.3 labels; no three fields) is counted, the first
 * TLS_KEYLOG_MAX_BAD_EXAMPLES kept as "origin:line: reason", and skipped. A newer secret for
 * the same random and kind replaces the older. Past max_entries randoms a new random is
 * dropped and counted (tls_keylog_dropped). origin (may be NULL) names the text in messages.
 * A last line without a newline is parsed like the others. Returns the secrets accepted. */
uint64_t tls_keylog_add_text(struct tls_keylog *k, const char *text, size_t len,
                             const char *origin);

/* tls_keylog_load_file: adds the key log file at path. A second call with the same path reads
 * only what was appended since (live capture: the client writes as it connects); a file that
 * has shrunk since is read again from its start. A last line without its newline may be still
 * being written: it is added when valid and read again, whole, by the next call. False with
 * *error set (G_FILE_ERROR) only when the file cannot be opened or read; bad lines are not an
 * error. */
bool tls_keylog_load_file(struct tls_keylog *k, const char *path, GError **error);

/* tls_keylog_find: the secret of kind for client_random and its length in *out_len, owned by
 * the key log (valid until the next add or the free), or NULL. */
const uint8_t *tls_keylog_find(const struct tls_keylog *k, const uint8_t client_random[32],
                               enum tls_secret_kind kind, size_t *out_len);

uint64_t tls_keylog_size(const struct tls_keylog *k); /* client randoms held */
uint64_t tls_keylog_bad_lines(const struct tls_keylog *k);
uint64_t tls_keylog_ignored_lines(const struct tls_keylog *k);
/* tls_keylog_dropped: secrets dropped because max_entries randoms were held already. */
uint64_t tls_keylog_dropped(const struct tls_keylog *k);
/* tls_keylog_bad_examples: the first bad lines' messages, *n of them (at most
 * TLS_KEYLOG_MAX_BAD_EXAMPLES), owned by the key log. */
const char *const *tls_keylog_bad_examples(const struct tls_keylog *k, size_t *n);

#endif
