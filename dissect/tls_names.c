/* Human-readable names for TLS code points (IANA registries) and the enum names of dissect.h.
 *
 * Each lookup returns a static string or NULL when the value is not assigned, so callers can
 * print the number instead of inventing a name. The cipher suite table is the IANA "TLS Cipher
 * Suites" registry (assigned values only: no SSLv2, Netscape FIPS, draft or GREASE code points);
 * it is kept sorted by value and searched with bsearch. */
#include <stdlib.h>
#include <string.h>

#include "dissect.h"

struct code_name {
    uint16_t code;
    const char *name;
};

/* IANA TLS Cipher Suites registry, sorted by value (RFC 5246, 4279, 4492, 5288, 5487, 5932, 6209,
 * 6367, 6655, 7905, 8446, 8492, 8998, 9150, 9189, draft-irtf-cfrg-aegis-aead). */
static const struct code_name CIPHERS[] = {
    {0x0000, "TLS_NULL_WITH_NULL_NULL"},
    {0x0001, "TLS_RSA_WITH_NULL_MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA"},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"},
    {0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA"},
    {0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA"},
    {0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
    {0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
    {0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
    {0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"},
    {0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
    {0x001e, "TLS_KRB5_WITH_DES_CBC_SHA"},
    {0x001f, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"},
    {0x0020, "TLS_KRB5_WITH_RC4_128_SHA"},
    {0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA"},
    {0x0022, "TLS_KRB5_WITH_DES_CBC_MD5"},
    {0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5"},
    {0x0024, "TLS_KRB5_WITH_RC4_128_MD5"},
    {0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5"},
    {0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA"},
    {0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA"},
    {0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"},
    {0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5"},
    {0x002a, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x002b, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5"},
    {0x002c, "TLS_PSK_WITH_NULL_SHA"},
    {0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"},
    {0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
    {0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
    {0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
    {0x003b, "TLS_RSA_WITH_NULL_SHA256"},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
    {0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
    {0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
    {0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
    {0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
    {0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"},
    {0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
    {0x008a, "TLS_PSK_WITH_RC4_128_SHA"},
    {0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"},
    {0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"},
    {0x008e, "TLS_DHE_PSK_WITH_RC4_128_SHA"},
    {0x008f, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"},
    {0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"},
    {0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA"},
    {0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"},
    {0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"},
    {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
    {0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"},
    {0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"},
    {0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"},
    {0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
    {0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA"},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
    {0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
    {0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
    {0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
    {0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
    {0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
    {0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
    {0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
    {0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
    {0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"},
    {0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"},
    {0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"},
    {0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"},
    {0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"},
    {0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"},
    {0x00b0, "TLS_PSK_WITH_NULL_SHA256"},
    {0x00b1, "TLS_PSK_WITH_NULL_SHA384"},
    {0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"},
    {0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"},
    {0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"},
    {0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"},
    {0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"},
    {0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"},
    {0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"},
    {0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"},
    {0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00bb, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00bc, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00c1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00c2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00c6, "TLS_SM4_GCM_SM3"},
    {0x00c7, "TLS_SM4_CCM_SM3"},
    {0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0x1306, "TLS_AEGIS_256_SHA512"},
    {0x1307, "TLS_AEGIS_128L_SHA256"},
    {0x5600, "TLS_FALLBACK_SCSV"},
    {0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
    {0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
    {0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
    {0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"},
    {0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
    {0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
    {0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
    {0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
    {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"},
    {0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
    {0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
    {0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
    {0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
    {0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"},
    {0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"},
    {0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"},
    {0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"},
    {0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
    {0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"},
    {0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
    {0xc033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA"},
    {0xc034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"},
    {0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
    {0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
    {0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
    {0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"},
    {0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"},
    {0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
    {0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"},
    {0xc03c, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc03e, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"},
    {0xc03f, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"},
    {0xc040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"},
    {0xc043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"},
    {0xc044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"},
    {0xc047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"},
    {0xc048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc04a, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc04b, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc04c, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc04d, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc04e, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"},
    {0xc04f, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"},
    {0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
    {0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
    {0xc058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"},
    {0xc059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"},
    {0xc05a, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"},
    {0xc05b, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"},
    {0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc05e, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc05f, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xc063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xc064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xc065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xc066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xc067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xc068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xc069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"},
    {0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"},
    {0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"},
    {0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"},
    {0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"},
    {0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"},
    {0xc070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256"},
    {0xc071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384"},
    {0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc07e, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc07f, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc08c, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc08d, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc08e, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc08f, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
    {0xc093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
    {0xc094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc09a, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xc09b, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
    {0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
    {0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"},
    {0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"},
    {0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"},
    {0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"},
    {0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
    {0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
    {0xc0a4, "TLS_PSK_WITH_AES_128_CCM"},
    {0xc0a5, "TLS_PSK_WITH_AES_256_CCM"},
    {0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM"},
    {0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM"},
    {0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8"},
    {0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8"},
    {0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"},
    {0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8"},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
    {0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
    {0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
    {0xc0b0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
    {0xc0b1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384"},
    {0xc0b2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256"},
    {0xc0b3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384"},
    {0xc0b4, "TLS_SHA256_SHA256"},
    {0xc0b5, "TLS_SHA384_SHA384"},
    {0xc0ff, "TLS_ECJPAKE_WITH_AES_128_CCM_8"},
    {0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"},
    {0xc101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC"},
    {0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"},
    {0xc103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"},
    {0xc104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"},
    {0xc105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S"},
    {0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
    {0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"},
    {0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
    {0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
};

/* IANA TLS Supported Groups registry (RFC 8422, 7919, 8446, 8734, 9189, 8998, and the hybrid
 * post-quantum code points of draft-ietf-tls-ecdhe-mlkem / draft-tls-westerbaan-xyber768d00). */
static const struct code_name GROUPS[] = {
    {0x0001, "sect163k1"},
    {0x0002, "sect163r1"},
    {0x0003, "sect163r2"},
    {0x0004, "sect193r1"},
    {0x0005, "sect193r2"},
    {0x0006, "sect233k1"},
    {0x0007, "sect233r1"},
    {0x0008, "sect239k1"},
    {0x0009, "sect283k1"},
    {0x000a, "sect283r1"},
    {0x000b, "sect409k1"},
    {0x000c, "sect409r1"},
    {0x000d, "sect571k1"},
    {0x000e, "sect571r1"},
    {0x000f, "secp160k1"},
    {0x0010, "secp160r1"},
    {0x0011, "secp160r2"},
    {0x0012, "secp192k1"},
    {0x0013, "secp192r1"},
    {0x0014, "secp224k1"},
    {0x0015, "secp224r1"},
    {0x0016, "secp256k1"},
    {0x0017, "secp256r1"},
    {0x0018, "secp384r1"},
    {0x0019, "secp521r1"},
    {0x001a, "brainpoolP256r1"},
    {0x001b, "brainpoolP384r1"},
    {0x001c, "brainpoolP512r1"},
    {0x001d, "x25519"},
    {0x001e, "x448"},
    {0x001f, "brainpoolP256r1tls13"},
    {0x0020, "brainpoolP384r1tls13"},
    {0x0021, "brainpoolP512r1tls13"},
    {0x0022, "GC256A"},
    {0x0023, "GC256B"},
    {0x0024, "GC256C"},
    {0x0025, "GC256D"},
    {0x0026, "GC512A"},
    {0x0027, "GC512B"},
    {0x0028, "GC512C"},
    {0x0029, "curveSM2"},
    {0x0100, "ffdhe2048"},
    {0x0101, "ffdhe3072"},
    {0x0102, "ffdhe4096"},
    {0x0103, "ffdhe6144"},
    {0x0104, "ffdhe8192"},
    {0x0200, "MLKEM512"},
    {0x0201, "MLKEM768"},
    {0x0202, "MLKEM1024"},
    {0x11eb, "SecP256r1MLKEM768"},
    {0x11ec, "X25519MLKEM768"},
    {0x11ed, "SecP384r1MLKEM1024"},
    {0x6399, "X25519Kyber768Draft00"},
    {0x639a, "SecP256r1Kyber768Draft00"},
    {0xff01, "arbitrary_explicit_prime_curves"},
    {0xff02, "arbitrary_explicit_char2_curves"},
};

static int cmp_code(const void *key, const void *elem)
{
    uint16_t k = *(const uint16_t *)key;
    uint16_t e = ((const struct code_name *)elem)->code;
    return (k > e) - (k < e);
}

static const char *lookup(const struct code_name *table, size_t n, uint16_t code)
{
    const struct code_name *hit = bsearch(&code, table, n, sizeof(*table), cmp_code);
    return hit ? hit->name : NULL;
}

const char *tls_cipher_name(uint16_t id)
{
    return lookup(CIPHERS, sizeof(CIPHERS) / sizeof(CIPHERS[0]), id);
}

const char *tls_group_name(uint16_t id)
{
    return lookup(GROUPS, sizeof(GROUPS) / sizeof(GROUPS[0]), id);
}

/* Protocol versions as they appear in record headers, hellos and supported_versions. TLS 1.3
 * drafts (0x7fxx, RFC 8446 drafts 14..28) and DTLS are named so a report can say what was
 * offered; any other value is unknown. */
const char *tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0002:
        return "SSL 2.0";
    case 0x0300:
        return "SSL 3.0";
    case 0x0301:
        return "TLS 1.0";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    case 0xfeff:
        return "DTLS 1.0";
    case 0xfefd:
        return "DTLS 1.2";
    case 0xfefc:
        return "DTLS 1.3";
    default:
        break;
    }
    if (v >= 0x7f0e && v <= 0x7f1c) {
        static const char *const DRAFTS[] = {
            "TLS 1.3 draft 14", "TLS 1.3 draft 15", "TLS 1.3 draft 16", "TLS 1.3 draft 17",
            "TLS 1.3 draft 18", "TLS 1.3 draft 19", "TLS 1.3 draft 20", "TLS 1.3 draft 21",
            "TLS 1.3 draft 22", "TLS 1.3 draft 23", "TLS 1.3 draft 24", "TLS 1.3 draft 25",
            "TLS 1.3 draft 26", "TLS 1.3 draft 27", "TLS 1.3 draft 28",
        };
        return DRAFTS[v - 0x7f0e];
    }
    return NULL;
}

/* AlertDescription, RFC 8446 §6 and RFC 5246 §7.2. Names follow RFC 5246 and RFC 6066, because
 * a TLS 1.2 peer may still legitimately send decompression_failure, no_renegotiation,
 * certificate_unobtainable and bad_certificate_hash_value (RFC 8446 only reserves them for 1.3);
 * values already reserved in TLS 1.2 keep their _RESERVED suffix. inappropriate_fallback is
 * RFC 7507, ech_required draft-ietf-tls-esni. */
const char *tls_alert_name(uint8_t desc)
{
    switch (desc) {
    case 0:
        return "close_notify";
    case 10:
        return "unexpected_message";
    case 20:
        return "bad_record_mac";
    case 21:
        return "decryption_failed_RESERVED";
    case 22:
        return "record_overflow";
    case 30:
        return "decompression_failure";
    case 40:
        return "handshake_failure";
    case 41:
        return "no_certificate_RESERVED";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 47:
        return "illegal_parameter";
    case 48:
        return "unknown_ca";
    case 49:
        return "access_denied";
    case 50:
        return "decode_error";
    case 51:
        return "decrypt_error";
    case 60:
        return "export_restriction_RESERVED";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 86:
        return "inappropriate_fallback";
    case 90:
        return "user_canceled";
    case 100:
        return "no_renegotiation";
    case 109:
        return "missing_extension";
    case 110:
        return "unsupported_extension";
    case 111:
        return "certificate_unobtainable";
    case 112:
        return "unrecognized_name";
    case 113:
        return "bad_certificate_status_response";
    case 114:
        return "bad_certificate_hash_value";
    case 115:
        return "unknown_psk_identity";
    case 116:
        return "certificate_required";
    case 120:
        return "no_application_protocol";
    case 121:
        return "ech_required";
    default:
        return NULL;
    }
}

/* ContentType, RFC 8446 §5.1, RFC 6520 (heartbeat), RFC 9146 (tls12_cid), RFC 9147 (ack). */
const char *tls_content_type_name(uint8_t t)
{
    switch (t) {
    case 20:
        return "change_cipher_spec";
    case 21:
        return "alert";
    case 22:
        return "handshake";
    case 23:
        return "application_data";
    case 24:
        return "heartbeat";
    case 25:
        return "tls12_cid";
    case 26:
        return "ack";
    default:
        return NULL;
    }
}

/* HandshakeType, IANA "TLS HandshakeType" registry (RFC 8446 §4, RFC 5246 §7.4, RFC 6066,
 * RFC 8879, RFC 6347). */
const char *tls_handshake_type_name(uint8_t t)
{
    switch (t) {
    case 0:
        return "hello_request";
    case 1:
        return "client_hello";
    case 2:
        return "server_hello";
    case 3:
        return "hello_verify_request";
    case 4:
        return "new_session_ticket";
    case 5:
        return "end_of_early_data";
    case 6:
        return "hello_retry_request";
    case 8:
        return "encrypted_extensions";
    case 9:
        return "request_connection_id";
    case 10:
        return "new_connection_id";
    case 11:
        return "certificate";
    case 12:
        return "server_key_exchange";
    case 13:
        return "certificate_request";
    case 14:
        return "server_hello_done";
    case 15:
        return "certificate_verify";
    case 16:
        return "client_key_exchange";
    case 17:
        return "client_certificate_request";
    case 20:
        return "finished";
    case 21:
        return "certificate_url";
    case 22:
        return "certificate_status";
    case 23:
        return "supplemental_data";
    case 24:
        return "key_update";
    case 25:
        return "compressed_certificate";
    case 26:
        return "ekt_key";
    case 254:
        return "message_hash";
    default:
        return NULL;
    }
}

/* RFC 8701 §2: GREASE values are 0x0A0A, 0x1A1A, ..., 0xFAFA: both bytes equal, low nibble A. */
bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A suite is weak when its name says it offers no confidentiality or authentication worth the
 * name: NULL encryption, the integrity-only suites of RFC 9150 (TLS_SHA256_SHA256,
 * TLS_SHA384_SHA384: no encryption either), RC4 (RFC 7465), export grade, single or triple DES
 * (SWEET32), RC2, or anonymous key exchange. Unknown suites are not called weak. */
static bool cipher_name_is_weak(uint16_t id)
{
    static const char *const MARKERS[] = {
        "_NULL", "TLS_SHA", "_RC4_", "EXPORT", "_DES_", "_DES40_", "_3DES_", "_RC2_", "_anon_",
    };
    const char *name = tls_cipher_name(id);
    if (!name) {
        return false;
    }
    for (size_t i = 0; i < sizeof(MARKERS) / sizeof(MARKERS[0]); i++) {
        if (strstr(name, MARKERS[i])) {
            return true;
        }
    }
    return false;
}

bool tls_cipher_is_weak(uint16_t id)
{
    /* Asked once per connection, of the few suites a link's servers pick: the answers are kept
     * in a small direct-mapped table (single-threaded, as all of dissect/). An entry is the
     * suite plus one, and its answer. */
    static struct {
        uint32_t id1;
        bool weak;
    } seen[64];
    unsigned i = id % 64u;
    if (seen[i].id1 != (uint32_t)id + 1) {
        seen[i].weak = cipher_name_is_weak(id);
        seen[i].id1 = (uint32_t)id + 1;
    }
    return seen[i].weak;
}

const char *tls_handshake_kind_name(enum tls_handshake_kind k)
{
    switch (k) {
    case TLS_HS_NONE:
        return "none";
    case TLS_HS_FULL:
        return "full";
    case TLS_HS_RESUMED:
        return "resumed";
    case TLS_HS_FAILED:
        return "failed";
    case TLS_HS_INCOMPLETE:
        return "incomplete";
    }
    return "none";
}

const char *tls_resumption_outcome_name(enum tls_resumption_outcome o)
{
    switch (o) {
    case TLS_RESUME_NONE:
        return "none";
    case TLS_RESUME_ACCEPTED:
        return "accepted";
    case TLS_RESUME_REFUSED:
        return "refused";
    case TLS_RESUME_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

const char *tls_close_notify_name(enum tls_close_notify c)
{
    switch (c) {
    case TLS_CN_YES:
        return "yes";
    case TLS_CN_NO:
        return "no";
    case TLS_CN_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}
