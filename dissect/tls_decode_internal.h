/* Decoders for individual TLS handshake messages (internal to dissect/ and its tests).
 *
 * Each decoder takes a cursor over one complete handshake message body (without the 4-byte
 * handshake header) and fills a fixed-capacity result. Decoders never allocate: variable data is
 * either copied into bounded arrays (with a *_truncated flag when the wire had more) or returned
 * as views that live only as long as the message buffer. */
#ifndef TLSSCOPE_TLS_DECODE_INTERNAL_H
#define TLSSCOPE_TLS_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "dissect.h"

enum tls_decode_status {
    TLS_DECODE_OK,
    TLS_DECODE_TRUNCATED, /* the message ends before a field it announces */
    TLS_DECODE_MALFORMED, /* the bytes contradict the format (odd cipher list, bad vector end) */
};

#define TLS_CH_MAX_CIPHERS 256
#define TLS_MAX_EXTS 64
#define TLS_MAX_GROUPS 32
#define TLS_MAX_SIGALGS 64
#define TLS_MAX_POINT_FORMATS 8

struct tls_client_hello {
    uint16_t legacy_version;
    uint8_t random[32];
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint32_t num_ciphers; /* exact */
    uint16_t ciphers[TLS_CH_MAX_CIPHERS];
    bool ciphers_truncated;
    uint8_t num_compressions;
    uint32_t num_exts; /* exact */
    uint16_t exts[TLS_MAX_EXTS]; /* in wire order */
    bool exts_truncated;
    bool has_sni;
    char sni[TLS_MAX_SNI]; /* host_name, NUL-terminated; non-printable bytes replaced by '?' */
    uint32_t num_alpn; /* names kept (at most TLS_MAX_ALPN), each cut to TLS_MAX_ALPN_LEN-1 */
    char alpn[TLS_MAX_ALPN][TLS_MAX_ALPN_LEN];
    uint8_t alpn_first_byte, alpn_last_byte; /* raw ends of the first ALPN name (JA4) */
    /* num_versions, num_groups, num_point_formats, num_sigalgs, num_key_share_groups: entries
     * kept, at most the array size (longer lists are cut silently). */
    uint32_t num_versions; /* supported_versions, GREASE included, in wire order */
    uint16_t versions[TLS_MAX_VERSIONS];
    uint32_t num_groups;
    uint16_t groups[TLS_MAX_GROUPS];
    uint32_t num_point_formats;
    uint8_t point_formats[TLS_MAX_POINT_FORMATS];
    uint32_t num_sigalgs;
    uint16_t sigalgs[TLS_MAX_SIGALGS];
    uint32_t num_key_share_groups;
    uint16_t key_share_groups[TLS_MAX_GROUPS];
    bool has_session_ticket;
    struct cur ticket; /* view; empty when the extension is empty */
    bool has_psk;
    uint32_t psk_identities;
    struct cur psk_first_identity; /* view */
    bool psk_not_last; /* pre_shared_key was not the last extension (RFC 8446 §4.2.11 MUST) */
    uint8_t psk_modes; /* bit 0: psk_ke, bit 1: psk_dhe_ke */
    bool early_data;
    bool extended_master_secret;
    bool encrypt_then_mac;
    bool renegotiation_info;
    bool status_request;
    bool sslv2; /* decoded from an SSLv2-compatible CLIENT-HELLO */
};

struct tls_server_hello {
    uint16_t legacy_version;
    uint8_t random[32];
    bool hello_retry_request; /* random is the RFC 8446 §4.1.3 special value */
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint16_t cipher;
    uint8_t compression;
    uint32_t num_exts;
    uint16_t exts[TLS_MAX_EXTS];
    bool exts_truncated;
    uint16_t selected_version; /* supported_versions, 0 when absent */
    bool psk_selected;         /* pre_shared_key present (TLS 1.3 resumption accepted) */
    uint16_t psk_index;
    uint16_t key_share_group;
    char alpn[TLS_MAX_ALPN_LEN]; /* selected, empty when absent */
    bool has_session_ticket; /* empty session_ticket ext: server will issue a ticket */
    bool extended_master_secret;
    bool encrypt_then_mac;
    bool renegotiation_info;
};

struct tls_new_session_ticket {
    uint32_t lifetime;
    struct cur ticket; /* view */
};

/* RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2. Also handles a ClientHello with no extensions block. */
enum tls_decode_status tls_decode_client_hello(struct cur body, struct tls_client_hello *out)
    __attribute__((warn_unused_result));
/* SSL 2.0 CLIENT-HELLO (RFC 6101 appendix E.2): record is the whole SSLv2 record after its
 * 2-byte header (msg_type 1 first). Cipher specs are 3 bytes; those with a zero first byte map
 * to TLS suites, as JA3 implementations do. */
enum tls_decode_status tls_decode_sslv2_client_hello(struct cur record,
                                                     struct tls_client_hello *out)
    __attribute__((warn_unused_result));
enum tls_decode_status tls_decode_server_hello(struct cur body, struct tls_server_hello *out)
    __attribute__((warn_unused_result));
/* Certificate (RFC 5246 §7.4.2, RFC 8446 §4.4.2 when tls13): leaf decoded with libcrypto.
 * TRUNCATED/MALFORMED only for the TLS framing. A leaf that is not one valid DER certificate
 * still gives OK with chain_len and the SHA-256 of its bytes, but present false and empty
 * names; an empty list gives OK, chain_len 0, present false. */
enum tls_decode_status tls_decode_certificate(struct cur body, bool tls13,
                                              struct tls_certificate *out)
    __attribute__((warn_unused_result));
/* NewSessionTicket: RFC 5077 §3.3 (lifetime hint + ticket) or RFC 8446 §4.6.1 when tls13. */
enum tls_decode_status tls_decode_new_session_ticket(struct cur body, bool tls13,
                                                     struct tls_new_session_ticket *out)
    __attribute__((warn_unused_result));
/* ServerKeyExchange: the named group of an ECDHE key exchange (RFC 8422 §5.4); 0 for other
 * curve types. Call it only for ECDHE suites: a DHE body may start with the same byte. */
enum tls_decode_status tls_decode_server_key_exchange_group(struct cur body, uint16_t *out_group)
    __attribute__((warn_unused_result));

/* Fingerprints. out_hash gets 32 hex digits + NUL. The JA3 string is written to out_str
 * (truncated to str_len-1, always NUL-terminated) when out_str is non-NULL. */
void tls_ja3(const struct tls_client_hello *ch, char out_hash[33], char *out_str, size_t str_len);
void tls_ja3s(const struct tls_server_hello *sh, char out_hash[33]);
/* JA4 (FoxIO), TCP: "t13d1516h2_8daaf6152771_e5627efa2ab1". */
void tls_ja4(const struct tls_client_hello *ch, char out[40]);
struct tls_fp_memo;
/* The same through the memo m (tls_fp_memo.c); m NULL computes them. */
void tls_fp_client(struct tls_fp_memo *m, const struct tls_client_hello *ch, char out_ja3[33],
                   char out_ja4[40]);
void tls_fp_server(struct tls_fp_memo *m, const struct tls_server_hello *sh, char out_ja3s[33]);
/* tls_digest8: first 8 bytes of SHA-256 of data, as 16 hex digits + NUL. */
void tls_digest8(const uint8_t *data, size_t len, char out[17]);

#endif
