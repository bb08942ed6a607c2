/* dissect: what happened at the TLS layer of one connection. It consumes capture's stream events
 * per direction (data with stream offsets, gaps) and builds a tls_summary: record framing (with
 * desync detection and resynchronisation), handshake messages, negotiated parameters,
 * resumption, alerts, close_notify and fingerprints. It knows nothing of pcap or JSON.
 *
 * Ownership: a tls_conn owns its record and handshake buffers, each capped; the summary it
 * returns lives as long as the tls_conn. */
#ifndef TLSSCOPE_DISSECT_H
#define TLSSCOPE_DISSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

#define TLS_MAX_SNI 256
#define TLS_MAX_ALPN 8
#define TLS_MAX_ALPN_LEN 64
#define TLS_MAX_VERSIONS 8
#define TLS_MAX_ALERTS 8
#define TLS_MAX_DESYNCS 8
#define TLS_MAX_HISTORY 64
#define TLS_MAX_SANS 8
#define TLS_MAX_NAME 256
#define TLS_MAX_RECENT_RECORDS 8
#define TLS_MAX_SESSION_ID 32

/* ------------------------------------------------------------------ code points */

/* TLS extension code points, IANA "TLS ExtensionType Values". */
enum {
    TLS_EXT_SERVER_NAME = 0,
    TLS_EXT_STATUS_REQUEST = 5,
    TLS_EXT_SUPPORTED_GROUPS = 10,
    TLS_EXT_EC_POINT_FORMATS = 11,
    TLS_EXT_SIGNATURE_ALGORITHMS = 13,
    TLS_EXT_ALPN = 16,
    TLS_EXT_ENCRYPT_THEN_MAC = 22,
    TLS_EXT_EXTENDED_MASTER_SECRET = 23,
    TLS_EXT_SESSION_TICKET = 35,
    TLS_EXT_PRE_SHARED_KEY = 41,
    TLS_EXT_EARLY_DATA = 42,
    TLS_EXT_SUPPORTED_VERSIONS = 43,
    TLS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
    TLS_EXT_KEY_SHARE = 51,
    TLS_EXT_RENEGOTIATION_INFO = 0xff01,
};

/* Handshake message types, RFC 8446 §4 and RFC 5246 §7.4. */
enum {
    TLS_HT_HELLO_REQUEST = 0,
    TLS_HT_CLIENT_HELLO = 1,
    TLS_HT_SERVER_HELLO = 2,
    TLS_HT_NEW_SESSION_TICKET = 4,
    TLS_HT_END_OF_EARLY_DATA = 5,
    TLS_HT_ENCRYPTED_EXTENSIONS = 8,
    TLS_HT_CERTIFICATE = 11,
    TLS_HT_SERVER_KEY_EXCHANGE = 12,
    TLS_HT_CERTIFICATE_REQUEST = 13,
    TLS_HT_SERVER_HELLO_DONE = 14,
    TLS_HT_CERTIFICATE_VERIFY = 15,
    TLS_HT_CLIENT_KEY_EXCHANGE = 16,
    TLS_HT_FINISHED = 20,
    TLS_HT_CERTIFICATE_STATUS = 22,
    TLS_HT_KEY_UPDATE = 24,
};

/* Record content types, RFC 8446 §5.1. */
enum {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPLICATION_DATA = 23,
    TLS_CT_HEARTBEAT = 24,
};

enum tls_handshake_kind {
    TLS_HS_NONE,       /* no handshake seen (not TLS, or picked up mid-stream) */
    TLS_HS_FULL,       /* a full handshake completed (both Finished; TLS 1.3: both flights) */
    TLS_HS_RESUMED,    /* an abbreviated handshake completed */
    TLS_HS_FAILED,     /* a fatal alert or abort before the handshake completed */
    TLS_HS_INCOMPLETE, /* the handshake started; the capture or connection ended before it did */
};
const char *tls_handshake_kind_name(enum tls_handshake_kind k);

enum tls_resumption_outcome {
    TLS_RESUME_NONE, /* nothing offered */
    TLS_RESUME_ACCEPTED,
    TLS_RESUME_REFUSED,
    TLS_RESUME_UNKNOWN, /* offered, but the capture does not show the answer */
};
const char *tls_resumption_outcome_name(enum tls_resumption_outcome o);

#define TLS_OFFER_SESSION_ID 0x1
#define TLS_OFFER_TICKET 0x2
#define TLS_OFFER_PSK 0x4

enum tls_close_notify {
    TLS_CN_UNKNOWN,
    TLS_CN_YES,
    TLS_CN_NO,
};
const char *tls_close_notify_name(enum tls_close_notify c);

/* What an alert record is taken to be. A plaintext alert is exact; an encrypted one (no keys) is
 * inferred from the wire around it (dissect/tls_alert_verdict.c). */
enum tls_alert_verdict {
    TLS_AV_EXACT,        /* level and description read (plaintext; later: decrypted) */
    TLS_AV_CLOSE_NOTIFY, /* encrypted, inferred close_notify */
    TLS_AV_FATAL,        /* encrypted, inferred fatal */
    TLS_AV_UNKNOWN,      /* encrypted, the wire does not decide */
};
const char *tls_alert_verdict_name(enum tls_alert_verdict v); /* "close_notify", ...; "exact" */

enum tls_confidence {
    TLS_CONF_LOW,
    TLS_CONF_MEDIUM,
    TLS_CONF_HIGH,
};
const char *tls_confidence_name(enum tls_confidence c); /* "low", "medium", "high" */

/* Damage the capture saw in the stream an alert's sender was receiving, before the alert. */
enum tls_alert_damage {
    TLS_AD_NONE,
    TLS_AD_DESYNC,    /* the record framing broke inside an intact TCP stream */
    TLS_AD_TRUNCATED, /* that stream was closed in the middle of a record */
    TLS_AD_INCONS,    /* a retransmission carried bytes different from the first copy */
};

/* One alert record. The evidence members are what the verdict rests on; the bit-fields keep the
 * record at 40 bytes (a connection holds TLS_MAX_ALERTS of them inline). */
struct tls_alert {
    enum cap_dir from;
    uint8_t level;       /* 1 warning, 2 fatal; 0 when encrypted */
    uint8_t description; /* valid when !encrypted */
    bool encrypted;
    bool probable; /* TLS 1.3 inference from the final record's size */
    uint16_t record_len;
    enum tls_alert_verdict verdict : 8;
    enum tls_confidence confidence : 8;
    /* Evidence at the alert. peer_records_after counts the peer's records that came after it
     * (until the sender's next record), 255 at most. */
    uint8_t peer_records_after;
    bool before_app_data : 1;  /* sent after the handshake but before any application data */
    bool in_handshake : 1;     /* sent before the handshake completed (the sender's Finished) */
    bool acks_known : 1;       /* the two ACK members below were measured */
    bool acked_peer : 1;       /* the sender had acknowledged every byte the peer had sent */
    bool peer_acked : 1;       /* the peer had acknowledged every byte the sender sent before */
    bool peer_mid_record : 1;  /* the peer's stream stood inside a record */
    bool answers_alert : 1;    /* the peer's last record before it was alert-sized */
    bool peer_answered : 1;    /* the peer's last record after it is alert-sized */
    bool sender_more : 1;      /* the sender sent more records after it */
    bool next_fin : 1;         /* its sender closed with FIN after it (its last record) */
    bool next_rst : 1;         /* its sender sent a RST after it (its last record) */
    bool alert_sized : 1;      /* TLS 1.3: exactly an alert's size (2 + 1 + tag); TLS <= 1.2: 1 */
    bool peer_closed : 1;      /* the peer had closed (FIN or RST) before it, its last record not
                                  an alert */
    bool peer_reset_after : 1; /* the peer reset the connection after it */
    bool decrypted : 1;        /* opened with keys from a key log: level and description exact */
    enum tls_alert_damage damage : 2;
    int64_t ts_us;
    uint64_t offset; /* stream offset of the record header */
    /* One sentence naming the evidence of the verdict (static), NULL for an exact alert. */
    const char *because;
};
/* tls_alert_is_fatal: an exact alert of level 2, or an inferred fatal one.
 * tls_alert_is_close_notify: an exact close_notify, or an inferred one. */
bool tls_alert_is_fatal(const struct tls_alert *a);
bool tls_alert_is_close_notify(const struct tls_alert *a);

struct tls_desync {
    enum cap_dir from;
    bool after_gap;            /* resync after a TCP gap (capture loss), not a framing break */
    uint64_t last_good_offset; /* offset of the last record header that parsed */
    uint64_t bad_offset;       /* offset of the header that failed validation */
    uint64_t resync_offset;    /* offset of the first header of the chain found again */
    uint64_t skipped_bytes;    /* bytes between bad_offset and resync_offset */
    int64_t estimated_missing_bytes; /* >0 bytes missing from the damaged record, <0 extra */
    bool estimate_valid; /* the look-back held the damaged record: the estimate is exact */
    int64_t ts_us;
    bool resynced; /* false when no plausible chain was found again */
};

/* A record header as seen on the wire; the last few per direction are kept as evidence. */
struct tls_record_info {
    uint8_t content_type;
    uint16_t version;
    uint16_t length;
    uint64_t offset;
    int64_t ts_us;
};

struct tls_certificate {
    bool present;
    uint32_t chain_len;
    char subject[TLS_MAX_NAME];
    char issuer[TLS_MAX_NAME];
    uint32_t num_sans;
    char sans[TLS_MAX_SANS][TLS_MAX_NAME];
    int64_t not_before; /* seconds since the epoch */
    int64_t not_after;
    char sha256[65]; /* hex */
    bool self_signed;
};

struct tls_dir_summary {
    uint64_t records;
    uint64_t app_data_records;
    uint64_t app_data_bytes;
    uint64_t oversized_records;
    bool ccs_seen;           /* encryption started in this direction */
    bool close_notify_plain; /* a plaintext close_notify alert */
    enum tls_close_notify close_notify;
    const char *close_notify_reason; /* static string explaining a "no"/"unknown" */
    uint32_t num_recent;
    struct tls_record_info recent[TLS_MAX_RECENT_RECORDS]; /* ring, oldest first after finish */
    struct tls_record_info last_record;
    bool has_last_record;
    /* The side closed (FIN or RST) in the middle of last_record, with no TCP gap: its TLS stream
     * was truncated (by the endpoint or a middlebox); truncated_at is the close offset. */
    bool truncated;
    uint64_t truncated_at;
};

struct tls_summary {
    bool is_tls;  /* a valid TLS (or SSLv2-compatible) hello was seen */
    bool not_tls; /* bytes were seen and did not frame as TLS */
    bool sslv2_hello;
    bool midstream;                /* TLS records without a visible handshake start */
    enum cap_dir client_hello_dir; /* which direction sent the ClientHello */
    bool client_hello_seen, server_hello_seen;
    /* The server answered the ClientHello with bytes that are not TLS (an HTTP error page from
     * a plain HTTP port, a banner): other_answer_head is their first line, printable ASCII
     * ('.' for anything else), empty for binary. */
    bool other_answer;
    uint16_t version; /* negotiated: supported_versions wins over legacy; 0 unknown */
    uint16_t client_legacy_version;
    uint32_t num_client_versions;
    uint16_t client_versions[TLS_MAX_VERSIONS]; /* offered, GREASE removed; legacy only if no ext */
    uint16_t cipher;                            /* selected */
    bool cipher_known;
    uint32_t num_client_ciphers;
    char sni[TLS_MAX_SNI];
    uint32_t num_alpn;
    /* The names offered, TLS_MAX_ALPN of them at most, NULL when none was: like the lists below
     * and the certificate, kept out of line so that a connection's state stays small (a closed
     * connection waits --timeout-closed, and thousands wait at once). Owned by the tls_conn. */
    char (*alpn)[TLS_MAX_ALPN_LEN];
    char alpn_selected[TLS_MAX_ALPN_LEN];
    /* Zeek ssl_history letters (upper case: client): c hello, s server hello, j hello retry,
     * x certificate, k server key exchange, n hello done, g client key exchange, t ticket,
     * i CCS, f Finished (TLS <= 1.2: the first encrypted handshake record after CCS), l alert
     * (plaintext, or a TLS <= 1.2 encrypted one), b heartbeat; TLS 1.3 encrypted messages and
     * inferred alerts add nothing. */
    char history[TLS_MAX_HISTORY + 1];
    enum tls_handshake_kind handshake;
    bool hello_retry_request;
    bool renegotiation;
    uint16_t server_key_exchange_group; /* 0 when none */
    /* Resumption */
    unsigned offered; /* TLS_OFFER_* */
    enum tls_resumption_outcome resumption;
    uint8_t session_id_offered_len;
    uint8_t session_id_offered[TLS_MAX_SESSION_ID];
    uint8_t session_id_len; /* the server's */
    uint8_t session_id[TLS_MAX_SESSION_ID];
    /* With a key log (tls_shared_set_keylog): how far this connection was decrypted
     * (enum tls_decryption) and why (enum tls_decryption_why). Here: padding before the
     * next 4-byte member. */
    uint8_t decryption, decryption_why;
    uint32_t ticket_offered_len;
    char ticket_offered_digest[17]; /* first 8 bytes of SHA-256 of the ticket/PSK identity, hex */
    uint32_t tickets_issued;
    uint32_t ticket_issued_len;
    char ticket_issued_digest[17];
    uint32_t ticket_lifetime_hint;
    uint32_t psk_identities;
    bool early_data_offered;
    /* Alerts and records */
    uint32_t num_alerts; /* exact; the first TLS_MAX_ALERTS are kept */
    struct tls_alert alerts[TLS_MAX_ALERTS];
    uint32_t num_desyncs;
    struct tls_desync *desyncs; /* TLS_MAX_DESYNCS kept, NULL before the first; tls_conn's */
    struct tls_dir_summary dir[2];
    /* The server's leaf certificate (TLS <= 1.2), NULL when none was seen: kept out of line
     * because its names are most of a summary's size and most connections of a busy capture
     * are resumptions or TLS 1.3, which show none. Owned by the tls_conn. */
    struct tls_certificate *cert;
    char ja3[33], ja3s[33], ja4[40];
    uint32_t handshake_limit_hits; /* handshake messages longer than max_handshake_msg, skipped */
    int64_t handshake_start_us, handshake_end_us;
    /* STARTTLS: TLS began after a plaintext exchange ("smtp", "imap", ...; empty otherwise);
     * starttls_offset is each direction's plaintext length, the stream offset where TLS began. */
    char starttls[16];
    char other_answer_head[32];
    /* With a key log: per direction, records whose AEAD tag verified, and the first one that
     * did not (auth_fail_len 0: none). A direction whose very first record fails is a key
     * mismatch (decryption_why), not a failure. */
    uint64_t records_verified[2];
    uint64_t auth_fail_offset[2];
    int64_t auth_fail_ts_us[2];
    uint16_t auth_fail_len[2];
    uint64_t starttls_offset[2];
};

/* What the connections of one run share so that each costs less (memos and spare blocks; see
 * tls_shared_internal.h). It changes no summary. tls_shared_free is NULL-safe and runs once no
 * connection made with it is left. */
struct tls_shared;
struct tls_shared *tls_shared_new(void);
void tls_shared_free(struct tls_shared *s);
/* tls_shared_set_keylog: connections made from now on look their secrets up in k (borrowed;
 * it must outlive them) and decrypt their alert records (tls_decrypt_conn.c). */
struct tls_keylog;
void tls_shared_set_keylog(struct tls_shared *s, struct tls_keylog *k);

enum tls_decryption {
    TLS_DECRYPT_NONE,    /* nothing decrypted (why says what was missing) */
    TLS_DECRYPT_PARTIAL, /* some records decrypted and authenticated (why says which) */
    TLS_DECRYPT_FULL,    /* every record */
};
enum tls_decryption_why {
    TLS_DECRYPT_WHY_NONE,         /* no key log given to the run */
    TLS_DECRYPT_WHY_NO_HELLO,     /* no ClientHello (or ServerHello) to find the keys by */
    TLS_DECRYPT_WHY_SUITE,        /* a cipher suite this version does not decrypt */
    TLS_DECRYPT_WHY_NO_KEYS,      /* the key log has no secret for this connection */
    TLS_DECRYPT_WHY_ALERTS,       /* the alert records, all authenticated; no other record */
    TLS_DECRYPT_WHY_ALERT_FAILED, /* keys found, but an alert record did not authenticate */
    TLS_DECRYPT_WHY_VERIFIED,     /* every record authenticated (alerts read) */
    TLS_DECRYPT_WHY_AUTH_FAILED,  /* records authenticated until one did not */
    TLS_DECRYPT_WHY_MISMATCH,     /* the first record did not authenticate: keys that do not fit */
    TLS_DECRYPT_WHY_CHAIN_LOST,   /* authenticated until the record chain was lost (gap, desync) */
};
const char *tls_decryption_name(enum tls_decryption d);
const char *tls_decryption_why_text(enum tls_decryption_why w);

struct tls_config {
    uint32_t max_handshake_msg; /* cap on one reassembled handshake message, default 256 KiB */
    uint32_t resync_chain;      /* plausible headers in a row to resynchronise, default 3 */
    uint32_t not_tls_after;     /* failed headers before a flow is declared not TLS, default 4 */
    struct tls_shared *shared;  /* borrowed; NULL (the default): each connection on its own */
};
void tls_config_defaults(struct tls_config *c);

struct tls_conn;

struct tls_conn *tls_conn_new(const struct tls_config *c);
void tls_conn_free(struct tls_conn *c);
/* tls_conn_mem_bytes: the memory c holds now, the struct and every buffer it has allocated
 * (for the caller's memory cap; O(1)). */
size_t tls_conn_mem_bytes(const struct tls_conn *c);
/* tls_conn_trim: the TCP connection is over (FIN both ways, or a RST): each direction that
 * stands between records gives back its record and message buffers, so the flow holds little
 * while it waits for stragglers. Bytes that still come (data after the close, a hole's bytes
 * retransmitted late) are framed without the look-back into the record before them, so a
 * desync among them is measured from the first bad header. */
void tls_conn_trim(struct tls_conn *c);
/* tls_conn_data: stream bytes of one direction, in order, offset continuous with the previous
 * data and gaps of that direction. data lives only for the call. */
void tls_conn_data(struct tls_conn *c, enum cap_dir dir, uint64_t offset, const uint8_t *data,
                   size_t len, int64_t ts_us);
/* tls_conn_peer_acked: the other side has acknowledged direction dir's stream below offset
 * (cap_flow_acked), as of the segment whose data comes next. The verdict of an encrypted alert
 * weighs it: had the sender received everything its peer sent? Call it for both directions
 * before each tls_conn_data; never calling it leaves the ACK evidence unknown. */
void tls_conn_peer_acked(struct tls_conn *c, enum cap_dir dir, uint64_t offset);
/* tls_conn_gap: len bytes at offset were never seen; the framer resynchronises after them. */
void tls_conn_gap(struct tls_conn *c, enum cap_dir dir, uint64_t offset, uint64_t len,
                  int64_t ts_us);
/* tls_conn_swap_dirs: capture swapped client and server (cap_flow_set_client). */
void tls_conn_swap_dirs(struct tls_conn *c);
/* tls_conn_client_hello_dir: true with *out when a ClientHello was seen (roles hint). */
bool tls_conn_client_hello_dir(const struct tls_conn *c, enum cap_dir *out);
/* tls_opens_with_hello: data (a flow's first payload) starts with a TLS record header that holds
 * a ClientHello or ServerHello: the flow is TLS from its first byte. */
bool tls_opens_with_hello(const uint8_t *data, size_t len);
/* tls_opens_with_client_hello: the same, a ClientHello only. */
bool tls_opens_with_client_hello(const uint8_t *data, size_t len);
/* tls_sha256: SHA-256 of data into out. */
void tls_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
/* tls_conn_wants_data: false once nothing more in any direction needs looking at: after the
 * flow was declared not TLS, or after tls_conn_finish. A TLS flow is followed header by header
 * for its whole life (close_notify and desyncs need every record). */
bool tls_conn_wants_data(const struct tls_conn *c);
/* tls_conn_finish: the connection ended; infer close_notify and TLS 1.3 encrypted alerts from
 * the TCP close facts in flow, and settle handshake/resumption outcomes. */
void tls_conn_finish(struct tls_conn *c, const struct cap_flow_summary *flow);
const struct tls_summary *tls_conn_get_summary(const struct tls_conn *c);
/* tls_summary_copy: a deep copy for a summary that must outlive its tls_conn (the certificate
 * and the out-of-line lists are duplicated); tls_summary_release frees the copy's. */
void tls_summary_copy(struct tls_summary *dst, const struct tls_summary *src);
void tls_summary_release(struct tls_summary *s);

/* Names (IANA registries). NULL when unknown. */
const char *tls_version_name(uint16_t v);       /* "TLS 1.2" */
const char *tls_cipher_name(uint16_t id);       /* "TLS_AES_128_GCM_SHA256" */
const char *tls_alert_name(uint8_t desc);       /* "bad_record_mac" */
const char *tls_group_name(uint16_t id);        /* "x25519" */
const char *tls_content_type_name(uint8_t t);   /* "handshake" */
const char *tls_handshake_type_name(uint8_t t); /* "client_hello" */
bool tls_is_grease(uint16_t v);
/* tls_cipher_is_weak: RC4, NULL, EXPORT, 3DES, anon. */
bool tls_cipher_is_weak(uint16_t id);

#endif
