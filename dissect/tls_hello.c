/* Decoders for the hello-phase handshake messages: ClientHello (TLS and the SSLv2-compatible
 * form), ServerHello (including HelloRetryRequest), NewSessionTicket and the named group of an
 * ECDHE ServerKeyExchange. Each reads one complete message body through the cursor and fills a
 * fixed-capacity result; a field that runs past the end of the body is TRUNCATED, anything the
 * format forbids (a nested vector that disagrees with its parent, a duplicate extension, an
 * out-of-range length) is MALFORMED. */
#include <string.h>

#include "tls_decode_internal.h"

#define TLS_RANDOM_LEN 32       /* RFC 8446 §4.1.2 Random random */
#define SSLV2_MT_CLIENT_HELLO 1 /* RFC 6101 appendix E.2 */
#define SSLV2_CIPHER_SPEC_LEN 3 /* RFC 6101 appendix E.2 V2CipherSpec */
#define SSLV2_SESSION_ID_LEN 16 /* RFC 5246 appendix E.2: session_id_length zero or 16 */
#define SSLV2_MIN_CHALLENGE 16  /* RFC 5246 appendix E.2: challenge 16..32 bytes */
#define TLS_PSK_MIN_BINDER 32   /* RFC 8446 §4.2.11 PskBinderEntry<32..255> */
#define OCSP_STATUS_TYPE 1      /* RFC 6066 §8 CertificateStatusType ocsp */

/* RFC 8446 §4.1.3: a ServerHello whose random is SHA-256("HelloRetryRequest") is an HRR. */
static const uint8_t HRR_RANDOM[TLS_RANDOM_LEN] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given extension
 * block." A hello has a dozen or two extensions, so the types seen go in a small open-addressed
 * set (clearing it is 32 bytes, where a bitmap of every type is 8 KiB to clear per hello); a block
 * with more than EXT_SET_MAX of them (hostile, or a test) moves to one bit per possible type. */
#define EXT_SET_SLOTS 256u /* power of two, at most half full */
#define EXT_SET_MAX (EXT_SET_SLOTS / 2)

struct ext_seen {
    uint64_t used[EXT_SET_SLOTS / 64];
    uint16_t slot[EXT_SET_SLOTS];
    unsigned n;
    bool big; /* bits holds every type seen; used and slot are stale */
    uint8_t bits[65536 / 8];
};

static void ext_seen_init(struct ext_seen *seen)
{
    memset(seen->used, 0, sizeof(seen->used));
    seen->n = 0;
    seen->big = false;
}

static bool bit_first(uint8_t *bits, uint16_t type)
{
    uint8_t mask = (uint8_t)(1u << (type & 7));
    if (bits[type >> 3] & mask) {
        return false;
    }
    bits[type >> 3] |= mask;
    return true;
}

static bool first_sighting(struct ext_seen *seen, uint16_t type)
{
    if (seen->big) {
        return bit_first(seen->bits, type);
    }
    /* Fibonacci hashing: the top byte of the 16-bit product. */
    unsigned i = ((uint16_t)(type * 0x9e37u)) >> 8;
    while ((seen->used[i / 64] >> (i % 64)) & 1) {
        if (seen->slot[i] == type) {
            return false;
        }
        i = (i + 1) & (EXT_SET_SLOTS - 1);
    }
    if (seen->n == EXT_SET_MAX) {
        memset(seen->bits, 0, sizeof(seen->bits));
        for (unsigned k = 0; k < EXT_SET_SLOTS; k++) {
            if ((seen->used[k / 64] >> (k % 64)) & 1) {
                (void)bit_first(seen->bits, seen->slot[k]);
            }
        }
        seen->big = true;
        return bit_first(seen->bits, type);
    }
    seen->used[i / 64] |= (uint64_t)1 << (i % 64);
    seen->slot[i] = type;
    seen->n++;
    return true;
}

/* Copies a wire string into a NUL-terminated buffer, replacing bytes outside printable ASCII so
 * a hostile name cannot inject control characters into reports; cut at cap-1. */
static void copy_printable(struct cur s, char *dst, size_t cap)
{
    size_t n = 0;
    uint8_t b;
    while (n + 1 < cap && cur_u8(&s, &b)) {
        dst[n++] = (b >= 0x20 && b < 0x7f) ? (char)b : '?';
    }
    dst[n] = '\0';
}

/* Reads a vector of u16 values (already isolated in list) into a capped array; the number kept
 * goes to *num. The list must be non-empty and of even length. */
static bool read_u16_list(struct cur list, uint16_t *dst, uint32_t cap, uint32_t *num)
{
    if (cur_empty(&list) || cur_len(&list) % 2 != 0) {
        return false;
    }
    uint16_t v;
    *num = 0;
    while (cur_u16(&list, &v)) {
        if (*num < cap) {
            dst[(*num)++] = v;
        }
    }
    return true;
}

/* RFC 6066 §3:
 *   struct { NameType name_type; select (name_type) { case host_name: HostName; } name; }
 *       ServerName;
 *   opaque HostName<1..2^16-1>;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList; */
static bool ch_server_name(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    if (!cur_u16_prefixed(&data, &list) || !cur_empty(&data) || cur_empty(&list)) {
        return false;
    }
    bool seen_host = false;
    while (!cur_empty(&list)) {
        uint8_t name_type;
        struct cur name;
        if (!cur_u8(&list, &name_type) || !cur_u16_prefixed(&list, &name) || cur_empty(&name)) {
            return false;
        }
        if (name_type == 0) {
            /* RFC 6066 §3: the list MUST NOT contain more than one name of the same type. */
            if (seen_host) {
                return false;
            }
            seen_host = true;
            out->has_sni = true;
            copy_printable(name, out->sni, sizeof(out->sni));
        }
    }
    return true;
}

/* RFC 7301 §3.1:
 *   opaque ProtocolName<1..2^8-1>;
 *   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList; */
static bool ch_alpn(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    if (!cur_u16_prefixed(&data, &list) || !cur_empty(&data) || cur_empty(&list)) {
        return false;
    }
    bool first = true;
    while (!cur_empty(&list)) {
        struct cur name;
        if (!cur_u8_prefixed(&list, &name) || cur_empty(&name)) {
            return false;
        }
        if (first) {
            first = false;
            (void)cur_peek_u8(&name, 0, &out->alpn_first_byte);
            (void)cur_peek_u8(&name, cur_len(&name) - 1, &out->alpn_last_byte);
        }
        if (out->num_alpn < TLS_MAX_ALPN) {
            copy_printable(name, out->alpn[out->num_alpn], TLS_MAX_ALPN_LEN);
            out->num_alpn++;
        }
    }
    return true;
}

/* RFC 8446 §4.2.1: ProtocolVersion versions<2..254> in a ClientHello. */
static bool ch_supported_versions(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    return cur_u8_prefixed(&data, &list) && cur_empty(&data) &&
           read_u16_list(list, out->versions, TLS_MAX_VERSIONS, &out->num_versions);
}

/* RFC 8446 §4.2.7: NamedGroup named_group_list<2..2^16-1>. */
static bool ch_supported_groups(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    return cur_u16_prefixed(&data, &list) && cur_empty(&data) &&
           read_u16_list(list, out->groups, TLS_MAX_GROUPS, &out->num_groups);
}

/* RFC 8446 §4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>. */
static bool ch_signature_algorithms(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    return cur_u16_prefixed(&data, &list) && cur_empty(&data) &&
           read_u16_list(list, out->sigalgs, TLS_MAX_SIGALGS, &out->num_sigalgs);
}

/* RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>. */
static bool ch_ec_point_formats(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    if (!cur_u8_prefixed(&data, &list) || !cur_empty(&data) || cur_empty(&list)) {
        return false;
    }
    uint8_t f;
    while (cur_u8(&list, &f)) {
        if (out->num_point_formats < TLS_MAX_POINT_FORMATS) {
            out->point_formats[out->num_point_formats++] = f;
        }
    }
    return true;
}

/* RFC 8446 §4.2.8:
 *   struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
 *   struct { KeyShareEntry client_shares<0..2^16-1>; } KeyShareClientHello; */
static bool ch_key_share(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    if (!cur_u16_prefixed(&data, &list) || !cur_empty(&data)) {
        return false;
    }
    while (!cur_empty(&list)) {
        uint16_t group;
        struct cur key;
        if (!cur_u16(&list, &group) || !cur_u16_prefixed(&list, &key) || cur_empty(&key)) {
            return false;
        }
        if (out->num_key_share_groups < TLS_MAX_GROUPS) {
            out->key_share_groups[out->num_key_share_groups++] = group;
        }
    }
    return true;
}

/* RFC 8446 §4.2.11:
 *   struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
 *   opaque PskBinderEntry<32..255>;
 *   struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; }
 *       OfferedPsks; */
static bool ch_pre_shared_key(struct cur data, struct tls_client_hello *out)
{
    struct cur ids, binders;
    if (!cur_u16_prefixed(&data, &ids) || !cur_u16_prefixed(&data, &binders) || !cur_empty(&data) ||
        cur_empty(&ids)) {
        return false;
    }
    uint32_t num_ids = 0;
    while (!cur_empty(&ids)) {
        struct cur identity;
        uint32_t age;
        if (!cur_u16_prefixed(&ids, &identity) || cur_empty(&identity) || !cur_u32(&ids, &age)) {
            return false;
        }
        if (num_ids++ == 0) {
            out->psk_first_identity = identity;
        }
    }
    uint32_t num_binders = 0;
    while (!cur_empty(&binders)) {
        struct cur binder;
        if (!cur_u8_prefixed(&binders, &binder) || cur_len(&binder) < TLS_PSK_MIN_BINDER) {
            return false;
        }
        num_binders++;
    }
    /* RFC 8446 §4.2.11: one binder per offered identity, in the same order. */
    if (num_binders != num_ids) {
        return false;
    }
    out->has_psk = true;
    out->psk_identities = num_ids;
    return true;
}

/* RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>; psk_ke(0), psk_dhe_ke(1). */
static bool ch_psk_modes(struct cur data, struct tls_client_hello *out)
{
    struct cur list;
    if (!cur_u8_prefixed(&data, &list) || !cur_empty(&data) || cur_empty(&list)) {
        return false;
    }
    uint8_t mode;
    while (cur_u8(&list, &mode)) {
        if (mode <= 1) {
            out->psk_modes |= (uint8_t)(1u << mode);
        }
    }
    return true;
}

/* RFC 6066 §8:
 *   struct { CertificateStatusType status_type;
 *            select (status_type) { case ocsp: OCSPStatusRequest; } request;
 *   } CertificateStatusRequest;
 *   struct { ResponderID responder_id_list<0..2^16-1>; Extensions request_extensions; }
 *       OCSPStatusRequest;   (Extensions is opaque<0..2^16-1>)
 * Other status types are opaque to us. */
static bool ch_status_request(struct cur data, struct tls_client_hello *out)
{
    uint8_t type;
    if (!cur_u8(&data, &type)) {
        return false;
    }
    if (type == OCSP_STATUS_TYPE) {
        struct cur responders, exts;
        if (!cur_u16_prefixed(&data, &responders) || !cur_u16_prefixed(&data, &exts) ||
            !cur_empty(&data)) {
            return false;
        }
        while (!cur_empty(&responders)) {
            struct cur id;
            if (!cur_u16_prefixed(&responders, &id) || cur_empty(&id)) {
                return false;
            }
        }
    }
    out->status_request = true;
    return true;
}

/* RFC 5746 §3.2: opaque renegotiated_connection<0..255>. */
static bool renegotiation_info_ok(struct cur data)
{
    struct cur verify;
    return cur_u8_prefixed(&data, &verify) && cur_empty(&data);
}

/* One ClientHello extension. Returns false when its body contradicts its format. */
static bool ch_extension(uint16_t type, struct cur data, struct tls_client_hello *out)
{
    switch (type) {
    case TLS_EXT_SERVER_NAME:
        return ch_server_name(data, out);
    case TLS_EXT_ALPN:
        return ch_alpn(data, out);
    case TLS_EXT_SUPPORTED_VERSIONS:
        return ch_supported_versions(data, out);
    case TLS_EXT_SUPPORTED_GROUPS:
        return ch_supported_groups(data, out);
    case TLS_EXT_SIGNATURE_ALGORITHMS:
        return ch_signature_algorithms(data, out);
    case TLS_EXT_EC_POINT_FORMATS:
        return ch_ec_point_formats(data, out);
    case TLS_EXT_KEY_SHARE:
        return ch_key_share(data, out);
    case TLS_EXT_PRE_SHARED_KEY:
        return ch_pre_shared_key(data, out);
    case TLS_EXT_PSK_KEY_EXCHANGE_MODES:
        return ch_psk_modes(data, out);
    case TLS_EXT_STATUS_REQUEST:
        return ch_status_request(data, out);
    case TLS_EXT_SESSION_TICKET:
        /* RFC 5077 §3.2: the whole extension body is the ticket; empty asks for a new one. */
        out->has_session_ticket = true;
        out->ticket = data;
        return true;
    case TLS_EXT_EARLY_DATA:
        /* RFC 8446 §4.2.10: empty in a ClientHello. */
        out->early_data = true;
        return cur_empty(&data);
    case TLS_EXT_EXTENDED_MASTER_SECRET:
        /* RFC 7627 §5.1: the extension_data field SHALL be empty. */
        out->extended_master_secret = true;
        return cur_empty(&data);
    case TLS_EXT_ENCRYPT_THEN_MAC:
        /* RFC 7366 §2: the extension_data field is empty. */
        out->encrypt_then_mac = true;
        return cur_empty(&data);
    case TLS_EXT_RENEGOTIATION_INFO:
        out->renegotiation_info = true;
        return renegotiation_info_ok(data);
    default:
        return true;
    }
}

/* Extensions of a ClientHello (RFC 8446 §4.2):
 *   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
 * block is the content of the extensions vector. */
static enum tls_decode_status ch_extensions(struct cur block, struct tls_client_hello *out)
{
    struct ext_seen seen;
    ext_seen_init(&seen);
    bool psk_seen = false;
    while (!cur_empty(&block)) {
        uint16_t type;
        struct cur data;
        if (!cur_u16(&block, &type) || !cur_u16_prefixed(&block, &data)) {
            return TLS_DECODE_MALFORMED;
        }
        if (!first_sighting(&seen, type)) {
            return TLS_DECODE_MALFORMED;
        }
        /* RFC 8446 §4.2.11: pre_shared_key MUST be the last extension. Servers abort; we only
         * note it, since the point is to explain what the server then did. */
        if (psk_seen) {
            out->psk_not_last = true;
        }
        psk_seen = psk_seen || type == TLS_EXT_PRE_SHARED_KEY;
        if (out->num_exts < TLS_MAX_EXTS) {
            out->exts[out->num_exts] = type;
        } else {
            out->exts_truncated = true;
        }
        out->num_exts++;
        if (!ch_extension(type, data, out)) {
            return TLS_DECODE_MALFORMED;
        }
    }
    return TLS_DECODE_OK;
}

/* RFC 8446 §4.1.2 (RFC 5246 §7.4.1.2 has the same layout, extensions optional):
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello; */
enum tls_decode_status tls_decode_client_hello(struct cur body, struct tls_client_hello *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t sid_len;
    uint16_t ciphers_len;
    struct cur ciphers, comp, exts;
    if (!cur_u16(&body, &out->legacy_version) || !cur_copy(&body, out->random, TLS_RANDOM_LEN) ||
        !cur_u8(&body, &sid_len)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (sid_len > TLS_MAX_SESSION_ID) {
        return TLS_DECODE_MALFORMED;
    }
    if (!cur_copy(&body, out->session_id, sid_len) || !cur_peek_u16(&body, 0, &ciphers_len)) {
        return TLS_DECODE_TRUNCATED;
    }
    /* cipher_suites<2..2^16-2>: whole 2-byte suites, at least one. */
    if (ciphers_len == 0 || ciphers_len % 2 != 0) {
        return TLS_DECODE_MALFORMED;
    }
    out->session_id_len = sid_len;
    if (!cur_u16_prefixed(&body, &ciphers) || !cur_u8_prefixed(&body, &comp)) {
        return TLS_DECODE_TRUNCATED;
    }
    /* legacy_compression_methods<1..2^8-1> */
    if (cur_empty(&comp)) {
        return TLS_DECODE_MALFORMED;
    }
    out->num_compressions = (uint8_t)cur_len(&comp);
    uint16_t suite;
    while (cur_u16(&ciphers, &suite)) {
        if (out->num_ciphers < TLS_CH_MAX_CIPHERS) {
            out->ciphers[out->num_ciphers] = suite;
        } else {
            out->ciphers_truncated = true;
        }
        out->num_ciphers++;
    }
    /* RFC 5246 §7.4.1.2: a client may omit the extensions block altogether. */
    if (cur_empty(&body)) {
        return TLS_DECODE_OK;
    }
    if (!cur_u16_prefixed(&body, &exts)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (!cur_empty(&body)) {
        return TLS_DECODE_MALFORMED;
    }
    return ch_extensions(exts, out);
}

/* RFC 6101 appendix E.2 / RFC 5246 appendix E.2, after the 2-byte SSLv2 record header:
 *   uint8 msg_type (1); Version version; uint16 cipher_spec_length; uint16 session_id_length;
 *   uint16 challenge_length; V2CipherSpec cipher_specs[cipher_spec_length];
 *   opaque session_id[session_id_length]; opaque challenge[challenge_length]; */
enum tls_decode_status tls_decode_sslv2_client_hello(struct cur record,
                                                     struct tls_client_hello *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t msg_type;
    uint16_t specs_len, sid_len, challenge_len;
    struct cur specs, challenge;
    if (!cur_u8(&record, &msg_type)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (msg_type != SSLV2_MT_CLIENT_HELLO) {
        return TLS_DECODE_MALFORMED;
    }
    if (!cur_u16(&record, &out->legacy_version) || !cur_u16(&record, &specs_len) ||
        !cur_u16(&record, &sid_len) || !cur_u16(&record, &challenge_len)) {
        return TLS_DECODE_TRUNCATED;
    }
    /* RFC 5246 E.2: session_id_length MUST be zero or 16; the challenge is 16..32 bytes. */
    if (specs_len == 0 || specs_len % SSLV2_CIPHER_SPEC_LEN != 0 ||
        (sid_len != 0 && sid_len != SSLV2_SESSION_ID_LEN) || challenge_len < SSLV2_MIN_CHALLENGE ||
        challenge_len > TLS_RANDOM_LEN) {
        return TLS_DECODE_MALFORMED;
    }
    if (!cur_sub(&record, specs_len, &specs) || !cur_copy(&record, out->session_id, sid_len) ||
        !cur_sub(&record, challenge_len, &challenge)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (!cur_empty(&record)) {
        return TLS_DECODE_MALFORMED;
    }
    out->session_id_len = (uint8_t)sid_len;
    /* RFC 5246 E.2: the challenge becomes the ClientHello.random, right-aligned, zero-padded. */
    (void)cur_copy(&challenge, out->random + TLS_RANDOM_LEN - challenge_len, challenge_len);
    uint8_t kind;
    uint16_t suite;
    while (cur_u8(&specs, &kind) && cur_u16(&specs, &suite)) {
        /* A spec whose first byte is zero is a TLS suite; the others are SSLv2-only. */
        if (kind != 0) {
            continue;
        }
        if (out->num_ciphers < TLS_CH_MAX_CIPHERS) {
            out->ciphers[out->num_ciphers] = suite;
        } else {
            out->ciphers_truncated = true;
        }
        out->num_ciphers++;
    }
    out->num_compressions = 1; /* SSLv2 has no compression: the null method is implied */
    out->sslv2 = true;
    return TLS_DECODE_OK;
}

/* One ServerHello (or HelloRetryRequest) extension. Returns false when its body contradicts its
 * format. */
static bool sh_extension(uint16_t type, struct cur data, struct tls_server_hello *out)
{
    switch (type) {
    case TLS_EXT_SUPPORTED_VERSIONS:
        /* RFC 8446 §4.2.1: ProtocolVersion selected_version. */
        return cur_u16(&data, &out->selected_version) && cur_empty(&data);
    case TLS_EXT_PRE_SHARED_KEY:
        /* RFC 8446 §4.2.11: uint16 selected_identity. */
        out->psk_selected = true;
        return cur_u16(&data, &out->psk_index) && cur_empty(&data);
    case TLS_EXT_KEY_SHARE: {
        /* RFC 8446 §4.2.8: an HRR carries NamedGroup selected_group only; a ServerHello one
         * KeyShareEntry server_share. */
        if (!cur_u16(&data, &out->key_share_group)) {
            return false;
        }
        if (out->hello_retry_request) {
            return cur_empty(&data);
        }
        struct cur key;
        return cur_u16_prefixed(&data, &key) && !cur_empty(&key) && cur_empty(&data);
    }
    case TLS_EXT_ALPN: {
        /* RFC 7301 §3.1: the server's ProtocolNameList MUST contain exactly one name. */
        struct cur list, name;
        if (!cur_u16_prefixed(&data, &list) || !cur_empty(&data) ||
            !cur_u8_prefixed(&list, &name) || cur_empty(&name) || !cur_empty(&list)) {
            return false;
        }
        copy_printable(name, out->alpn, sizeof(out->alpn));
        return true;
    }
    case TLS_EXT_SESSION_TICKET:
        /* RFC 5077 §3.2: the server's SessionTicket extension is empty. */
        out->has_session_ticket = true;
        return cur_empty(&data);
    case TLS_EXT_EXTENDED_MASTER_SECRET:
        out->extended_master_secret = true;
        return cur_empty(&data);
    case TLS_EXT_ENCRYPT_THEN_MAC:
        out->encrypt_then_mac = true;
        return cur_empty(&data);
    case TLS_EXT_RENEGOTIATION_INFO:
        out->renegotiation_info = true;
        return renegotiation_info_ok(data);
    default:
        return true;
    }
}

/* RFC 8446 §4.1.3 (RFC 5246 §7.4.1.3 has the same layout, extensions optional):
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;
 *   } ServerHello; */
enum tls_decode_status tls_decode_server_hello(struct cur body, struct tls_server_hello *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t sid_len;
    struct cur exts;
    if (!cur_u16(&body, &out->legacy_version) || !cur_copy(&body, out->random, TLS_RANDOM_LEN) ||
        !cur_u8(&body, &sid_len)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (sid_len > TLS_MAX_SESSION_ID) {
        return TLS_DECODE_MALFORMED;
    }
    if (!cur_copy(&body, out->session_id, sid_len) || !cur_u16(&body, &out->cipher) ||
        !cur_u8(&body, &out->compression)) {
        return TLS_DECODE_TRUNCATED;
    }
    out->session_id_len = sid_len;
    out->hello_retry_request = memcmp(out->random, HRR_RANDOM, TLS_RANDOM_LEN) == 0;
    if (cur_empty(&body)) {
        return TLS_DECODE_OK;
    }
    if (!cur_u16_prefixed(&body, &exts)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (!cur_empty(&body)) {
        return TLS_DECODE_MALFORMED;
    }
    struct ext_seen seen;
    ext_seen_init(&seen);
    while (!cur_empty(&exts)) {
        uint16_t type;
        struct cur data;
        if (!cur_u16(&exts, &type) || !cur_u16_prefixed(&exts, &data) ||
            !first_sighting(&seen, type)) {
            return TLS_DECODE_MALFORMED;
        }
        if (out->num_exts < TLS_MAX_EXTS) {
            out->exts[out->num_exts] = type;
        } else {
            out->exts_truncated = true;
        }
        out->num_exts++;
        if (!sh_extension(type, data, out)) {
            return TLS_DECODE_MALFORMED;
        }
    }
    return TLS_DECODE_OK;
}

/* RFC 5077 §3.3:
 *   struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; } NewSessionTicket;
 * RFC 8446 §4.6.1:
 *   struct {
 *       uint32 ticket_lifetime; uint32 ticket_age_add; opaque ticket_nonce<0..255>;
 *       opaque ticket<1..2^16-1>; Extension extensions<0..2^16-2>;
 *   } NewSessionTicket;
 * A TLS 1.3 lifetime above 604800 s is decoded as sent: clients must not honour it, but the
 * report should still show it. */
enum tls_decode_status tls_decode_new_session_ticket(struct cur body, bool tls13,
                                                     struct tls_new_session_ticket *out)
{
    memset(out, 0, sizeof(*out));
    if (!tls13) {
        if (!cur_u32(&body, &out->lifetime) || !cur_u16_prefixed(&body, &out->ticket)) {
            return TLS_DECODE_TRUNCATED;
        }
        return cur_empty(&body) ? TLS_DECODE_OK : TLS_DECODE_MALFORMED;
    }
    uint32_t age_add;
    struct cur nonce, exts;
    if (!cur_u32(&body, &out->lifetime) || !cur_u32(&body, &age_add) ||
        !cur_u8_prefixed(&body, &nonce) || !cur_u16_prefixed(&body, &out->ticket) ||
        !cur_u16_prefixed(&body, &exts)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (cur_empty(&out->ticket) || !cur_empty(&body)) {
        return TLS_DECODE_MALFORMED;
    }
    struct ext_seen seen;
    ext_seen_init(&seen);
    while (!cur_empty(&exts)) {
        uint16_t type;
        struct cur data;
        if (!cur_u16(&exts, &type) || !cur_u16_prefixed(&exts, &data) ||
            !first_sighting(&seen, type)) {
            return TLS_DECODE_MALFORMED;
        }
        /* RFC 8446 §4.2.10: early_data here is uint32 max_early_data_size. */
        uint32_t max_early;
        if (type == TLS_EXT_EARLY_DATA && (!cur_u32(&data, &max_early) || !cur_empty(&data))) {
            return TLS_DECODE_MALFORMED;
        }
    }
    return TLS_DECODE_OK;
}

/* RFC 8422 §5.4:
 *   struct { ECCurveType curve_type; select (curve_type) { case named_curve: NamedCurve
 *            namedcurve; }; } ECParameters;
 *   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;
 *   opaque point<1..2^8-1>;
 * The caller passes a ServerKeyExchange of an ECDHE suite: a DHE one starts with the length of
 * dh_p, whose first byte is also 3 for 768-byte primes (ffdhe6144), so the cipher suite, not
 * these bytes, decides which structure applies. Other curve types (explicit curves, deprecated
 * by RFC 8422) give group 0. The signature that follows is not examined. */
enum tls_decode_status tls_decode_server_key_exchange_group(struct cur body, uint16_t *out_group)
{
    enum { NAMED_CURVE = 3 };
    uint8_t curve_type;
    uint16_t group;
    struct cur point;
    *out_group = 0;
    if (!cur_u8(&body, &curve_type)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (curve_type != NAMED_CURVE) {
        return TLS_DECODE_OK;
    }
    if (!cur_u16(&body, &group) || !cur_u8_prefixed(&body, &point)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (cur_empty(&point)) {
        return TLS_DECODE_MALFORMED;
    }
    *out_group = group;
    return TLS_DECODE_OK;
}
