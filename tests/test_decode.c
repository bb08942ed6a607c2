/* cap_decode: every link type and IP variant, built around two real packets, plus truncation of
 * each built frame at every byte offset.
 *
 * Origin of the bytes: `tcpdump -r samples/lab/cap.pcap -nn -xx`, frames 1 and 11. tcpdump's own
 * decoding of those frames (-nn -vv) gives the values asserted below (ports, seq/ack from the hex,
 * window, TTL, options, and the correct TCP checksums it prints next to the "incorrect" loopback
 * offload placeholders). The samples hold no IPv6 traffic, so the IPv6 frames carry the same TCP
 * segment behind an IPv6 header (::1 -> ::1) built here; their TCP checksum is computed by
 * csum_ref(), a plain RFC 1071 implementation that a separate test checks against tcpdump's
 * values for the real IPv4 frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <pcap/dlt.h>

#include "capture.h"

/* Frame 1: 127.0.0.1.32776 > 127.0.0.1.14433 Flags [S], seq 2965752510, win 65495,
 * options [mss 65495,sackOK,TS val 3955226286 ecr 0,nop,wscale 10]; tcpdump -vv: cksum 0xfe30
 * (incorrect -> 0x39a2). */
static const uint8_t FRAME_SYN[74] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x3c, 0x6b, 0x4e, 0x40, 0x00, 0x40, 0x06, 0xd1, 0x6b, 0x7f, 0x00, 0x00, 0x01,
    0x7f, 0x00, 0x00, 0x01, 0x80, 0x08, 0x38, 0x61, 0xb0, 0xc5, 0xca, 0xbe, 0x00, 0x00, 0x00,
    0x00, 0xa0, 0x02, 0xff, 0xd7, 0xfe, 0x30, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02,
    0x08, 0x0a, 0xeb, 0xbf, 0xf6, 0xae, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
#define SYN_TCP_CSUM_TCPDUMP 0x39a2

/* Frame 11: 127.0.0.1.32776 > 127.0.0.1.14433 Flags [P.], seq 345:376 (absolute 0xb0c5cc17),
 * ack 0x6d67063a, win 75, ttl 64, options [nop,nop,TS], length 31 (a TLS record); tcpdump -vv:
 * cksum 0xfe47 (incorrect -> 0xa0be). */
static const uint8_t FRAME_DATA[97] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x53, 0x6b, 0x54, 0x40, 0x00, 0x40, 0x06, 0xd1, 0x4e, 0x7f, 0x00,
    0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x80, 0x08, 0x38, 0x61, 0xb0, 0xc5, 0xcc, 0x17,
    0x6d, 0x67, 0x06, 0x3a, 0x80, 0x18, 0x00, 0x4b, 0xfe, 0x47, 0x00, 0x00, 0x01, 0x01,
    0x08, 0x0a, 0xeb, 0xbf, 0xf6, 0xb2, 0x35, 0x24, 0x72, 0xc0, 0x15, 0x03, 0x03, 0x00,
    0x1a, 0x4c, 0xf0, 0xa4, 0x22, 0xdf, 0x1b, 0xcb, 0x99, 0x16, 0x02, 0x23, 0x03, 0xd0,
    0x04, 0x88, 0x5f, 0xfe, 0x6b, 0x4e, 0xc1, 0x88, 0x91, 0x7e, 0xac, 0xc5, 0xd4,
};
#define DATA_TCP_CSUM_TCPDUMP 0xa0be
#define DATA_OFFLOAD_CSUM 0xfe47

/* Layout of both real frames: Ethernet 14, IPv4 20, TCP from byte 34. */
#define REAL_ETH_LEN 14
#define REAL_IP_HDR_LEN 20
#define REAL_TCP_OFF (REAL_ETH_LEN + REAL_IP_HDR_LEN)
#define DATA_PAYLOAD_LEN 31
#define DATA_TCP_HDR_LEN 32

static const uint8_t TEST_MAC[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

/* ------------------------------------------------------------------ reference checksum */

static uint32_t sum_ref(const uint8_t *b, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)(b[i] << 8 | b[i + 1]);
    }
    if (n % 2) {
        sum += (uint32_t)b[n - 1] << 8;
    }
    return sum;
}

static uint16_t csum_ref(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/* TCP checksum of seg (checksum field taken as zero) behind the given addresses. */
static uint16_t tcp_csum_ref(const uint8_t *src, const uint8_t *dst, size_t addr_len,
                             const uint8_t *seg, size_t seg_len)
{
    uint8_t copy[256];
    assert_true(seg_len <= sizeof(copy));
    memcpy(copy, seg, seg_len);
    copy[16] = copy[17] = 0;
    uint32_t sum = sum_ref(src, addr_len, 0);
    sum = sum_ref(dst, addr_len, sum);
    sum += 6 + (uint32_t)seg_len;
    return csum_ref(sum_ref(copy, seg_len, sum));
}

/* ------------------------------------------------------------------ frame builder */

struct frame {
    uint8_t b[512];
    size_t len;
};

static void put(struct frame *f, const void *p, size_t n)
{
    assert_true(f->len + n <= sizeof(f->b));
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

static void put8(struct frame *f, uint8_t v)
{
    put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)v);
}

static void put32(struct frame *f, uint32_t v)
{
    put16(f, (uint16_t)(v >> 16));
    put16(f, (uint16_t)v);
}

static void put32le(struct frame *f, uint32_t v)
{
    put8(f, (uint8_t)v);
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)(v >> 16));
    put8(f, (uint8_t)(v >> 24));
}

static void set16(struct frame *f, size_t off, uint16_t v)
{
    f->b[off] = (uint8_t)(v >> 8);
    f->b[off + 1] = (uint8_t)v;
}

enum link_kind {
    L_ETH,
    L_VLAN,
    L_QINQ,
    L_VLAN5, /* five stacked tags: past the decoder's bound */
    L_ETH_ARP,
    L_ETH_8023, /* 802.3 length field instead of an EtherType */
    L_SLL,
    L_SLL_ARP,
    L_SLL_ADDR4, /* a 4-byte link address (IP-in-IP tunnel): not a hardware source */
    L_SLL2,
    L_RAW,
    L_NULL_LE,
    L_NULL_BE, /* written on a big-endian machine: swapped from the reader's view */
    L_LOOP,
};

enum l3_kind {
    V4,
    V4_OPTS,   /* IHL 6: Router Alert (RFC 2113) */
    V4_MF,     /* first fragment */
    V4_OFFSET, /* later fragment */
    V4_UDP,
    V4_IHL4,
    V4_VERSION6,  /* version nibble 6 behind an IPv4 EtherType */
    V4_TOTLEN_19, /* total length shorter than the header */
    V4_TOTLEN_30, /* total length leaves 10 bytes for TCP */
    V4_TOTLEN_0,  /* TSO: length unknown */
    V4_PADDED,    /* link padding after the IP packet */
    V4_BAD_IPSUM,
    V4_OFFLOAD_SUM, /* the real frame as captured: TCP checksum left to the NIC */
    V4_TCP_DOFF4,
    V4_TCP_DOFF15, /* TCP header longer than the segment */
    V6,
    V6_HBH_DST,     /* hop-by-hop + destination options */
    V6_ROUTING,     /* routing header, segments left 0 */
    V6_ROUTING_SL1, /* segments left 1: the checksum's destination is elsewhere */
    V6_ATOMIC_FRAG, /* fragment header with offset 0 and M clear (RFC 6946) */
    V6_FRAG_M,      /* first fragment */
    V6_FRAG_OFFSET, /* later fragment */
    V6_UDP,
    V6_NO_NEXT,      /* next header 59 */
    V6_EXT_PAST_END, /* a hop-by-hop header longer than the payload length */
    V6_EXT_CHAIN,    /* nine destination-options headers: past the decoder's bound */
    V6_VERSION4,
    V6_PAYLEN_0, /* jumbogram / TSO: length unknown */
    V6_BAD_SUM,  /* one payload bit flipped after the checksum was computed */
};

static bool l3_is_v6(enum l3_kind k)
{
    return k >= V6;
}

/* IPv4 packet from a real frame, with checksums made right unless the variant says otherwise. */
static void build_v4(struct frame *f, const uint8_t *real, size_t real_len, enum l3_kind k)
{
    size_t ip = f->len;
    const uint8_t *tcp = real + REAL_TCP_OFF;
    size_t tcp_len = real_len - REAL_TCP_OFF;
    put(f, real + REAL_ETH_LEN, REAL_IP_HDR_LEN);
    size_t hdr_len = REAL_IP_HDR_LEN;
    if (k == V4_OPTS) {
        static const uint8_t router_alert[4] = {0x94, 0x04, 0x00, 0x00};
        put(f, router_alert, 4);
        hdr_len += 4;
        f->b[ip] = 0x46;
    }
    size_t tcp_off = f->len;
    put(f, tcp, tcp_len);
    set16(f, ip + 2, (uint16_t)(hdr_len + tcp_len));
    uint16_t tcp_sum = tcp_csum_ref(real + 26, real + 30, 4, tcp, tcp_len);
    switch (k) {
    case V4_MF:
        set16(f, ip + 6, 0x2000);
        break;
    case V4_OFFSET:
        set16(f, ip + 6, 185);
        break;
    case V4_UDP:
        f->b[ip + 9] = 17;
        break;
    case V4_IHL4:
        f->b[ip] = 0x44;
        break;
    case V4_VERSION6:
        f->b[ip] = 0x65;
        break;
    case V4_TOTLEN_19:
        set16(f, ip + 2, 19);
        break;
    case V4_TOTLEN_30:
        set16(f, ip + 2, 30);
        break;
    case V4_TOTLEN_0:
        set16(f, ip + 2, 0);
        break;
    case V4_TCP_DOFF4:
        f->b[tcp_off + 12] = 0x40;
        break;
    case V4_TCP_DOFF15:
        f->b[tcp_off + 12] = 0xf0;
        break;
    default:
        break;
    }
    set16(f, tcp_off + 16, k == V4_OFFLOAD_SUM ? DATA_OFFLOAD_CSUM : tcp_sum);
    set16(f, ip + 10, 0);
    uint16_t ip_sum = csum_ref(sum_ref(f->b + ip, hdr_len, 0));
    set16(f, ip + 10, k == V4_BAD_IPSUM ? (uint16_t)(ip_sum ^ 0x0101) : ip_sum);
    if (k == V4_PADDED) {
        static const uint8_t pad[10] = {0};
        put(f, pad, sizeof(pad));
    }
}

static const uint8_t LOOPBACK6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void put_opts_ext(struct frame *f, uint8_t next)
{
    /* next, hdr ext len 0, PadN covering the remaining 6 bytes (RFC 8200 §4.2). */
    static const uint8_t padn[6] = {0x01, 0x04, 0, 0, 0, 0};
    put8(f, next);
    put8(f, 0);
    put(f, padn, sizeof(padn));
}

static void build_v6(struct frame *f, const uint8_t *real, size_t real_len, enum l3_kind k)
{
    const uint8_t *tcp = real + REAL_TCP_OFF;
    size_t tcp_len = real_len - REAL_TCP_OFF;
    size_t ip = f->len;
    put32(f, (k == V6_VERSION4 ? 0x40000000u : 0x60000000u) | 0x12345u);
    put16(f, 0); /* payload length, set below */
    put8(f, 0);  /* next header, set below */
    put8(f, 64); /* hop limit: the IPv4 frame's TTL */
    put(f, LOOPBACK6, 16);
    put(f, LOOPBACK6, 16);
    uint8_t first = 6;
    switch (k) {
    case V6_HBH_DST:
        first = 0;
        put_opts_ext(f, 60);
        put_opts_ext(f, 6);
        break;
    case V6_ROUTING:
    case V6_ROUTING_SL1:
        first = 43;
        /* next, len 0, routing type 4 (RFC 8754), segments left, 4 bytes of type data */
        put8(f, 6);
        put8(f, 0);
        put8(f, 4);
        put8(f, k == V6_ROUTING_SL1 ? 1 : 0);
        put32(f, 0);
        break;
    case V6_ATOMIC_FRAG:
    case V6_FRAG_M:
    case V6_FRAG_OFFSET:
        first = 44;
        put8(f, 6);
        put8(f, 0);
        put16(f, k == V6_ATOMIC_FRAG ? 0 : k == V6_FRAG_M ? 0x0001 : (uint16_t)(185 << 3));
        put32(f, 0xcafef00d);
        break;
    case V6_UDP:
        first = 17;
        break;
    case V6_NO_NEXT:
        first = 59;
        break;
    case V6_EXT_PAST_END:
        first = 0;
        put8(f, 6);
        put8(f, 200); /* (200 + 1) * 8 bytes: far past the payload */
        put(f, (const uint8_t[6]){0x01, 0x04, 0, 0, 0, 0}, 6);
        break;
    case V6_EXT_CHAIN:
        first = 60;
        for (int i = 0; i < 9; i++) {
            put_opts_ext(f, i == 8 ? 6 : 60);
        }
        break;
    default:
        break;
    }
    size_t tcp_off = f->len;
    put(f, tcp, tcp_len);
    set16(f, tcp_off + 16, tcp_csum_ref(LOOPBACK6, LOOPBACK6, 16, tcp, tcp_len));
    if (k == V6_BAD_SUM) {
        f->b[f->len - 1] ^= 0x01;
    }
    set16(f, ip + 4, k == V6_PAYLEN_0 ? 0 : (uint16_t)(f->len - ip - 40));
    f->b[ip + 6] = first;
}

/* Link header of the given kind announcing IPv4 or IPv6 (v6) as its payload. */
static void build_link(struct frame *f, enum link_kind lk, bool v6, uint32_t null_family)
{
    uint16_t etype = v6 ? 0x86dd : 0x0800;
    static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    switch (lk) {
    case L_ETH:
    case L_VLAN:
    case L_QINQ:
    case L_VLAN5:
    case L_ETH_ARP:
    case L_ETH_8023:
        put(f, dst_mac, 6);
        put(f, TEST_MAC, 6);
        if (lk == L_QINQ) {
            put16(f, 0x88a8);
            put16(f, 0x0010);
        }
        if (lk == L_VLAN5) {
            for (int i = 0; i < 4; i++) {
                put16(f, 0x8100);
                put16(f, (uint16_t)(0x0010 + i));
            }
        }
        if (lk == L_VLAN || lk == L_QINQ || lk == L_VLAN5) {
            put16(f, 0x8100);
            put16(f, 0x0064);
        }
        put16(f, lk == L_ETH_ARP ? 0x0806 : lk == L_ETH_8023 ? 0x0040 : etype);
        break;
    case L_SLL:
    case L_SLL_ARP:
    case L_SLL_ADDR4:
        put16(f, 0);                           /* sent to us */
        put16(f, lk == L_SLL_ADDR4 ? 768 : 1); /* ARPHRD_TUNNEL or ARPHRD_ETHER */
        put16(f, lk == L_SLL_ADDR4 ? 4 : 6);   /* address length */
        put(f, TEST_MAC, 6);
        put16(f, 0); /* address field padding */
        put16(f, lk == L_SLL_ARP ? 0x0806 : etype);
        break;
    case L_SLL2:
        put16(f, etype);
        put16(f, 0);
        put32(f, 1); /* ifindex */
        put16(f, 1); /* ARPHRD_ETHER */
        put8(f, 0);  /* packet type */
        put8(f, 6);  /* address length */
        put(f, TEST_MAC, 6);
        put16(f, 0);
        break;
    case L_RAW:
        break;
    case L_NULL_LE:
        put32le(f, null_family);
        break;
    case L_NULL_BE:
    case L_LOOP:
        put32(f, null_family);
        break;
    }
}

static void build_frame(struct frame *f, enum link_kind lk, enum l3_kind k, bool syn,
                        uint32_t null_family)
{
    const uint8_t *real = syn ? FRAME_SYN : FRAME_DATA;
    size_t real_len = syn ? sizeof(FRAME_SYN) : sizeof(FRAME_DATA);
    f->len = 0;
    build_link(f, lk, l3_is_v6(k), null_family);
    if (l3_is_v6(k)) {
        build_v6(f, real, real_len, k);
    } else {
        build_v4(f, real, real_len, k);
    }
}

/* ------------------------------------------------------------------ decode table */

struct decode_case {
    const char *name;
    int linktype;
    enum link_kind link;
    enum l3_kind l3;
    uint32_t null_family;
    bool syn;    /* frame 1 instead of frame 11 */
    bool verify; /* verify_checksums */
    size_t cut;  /* nonzero: caplen is the full frame minus this many bytes */
    bool ok;
    enum cap_skip_reason reason;
    int payload_len; /* expected when ok; -1: the real segment's 31 bytes minus cut */
    bool link_src;   /* TEST_MAC expected as link source */
    bool verified;   /* checksum_verified expected */
};

#define OK4(n, dlt, lk)                                                                            \
    {                                                                                              \
        n, dlt, lk, V4, 0, false, false, 0, true, 0, -1, false, false                              \
    }
#define SKIP(n, dlt, lk, l3, r)                                                                    \
    {                                                                                              \
        n, dlt, lk, l3, 0, false, false, 0, false, r, 0, false, false                              \
    }

static const struct decode_case DECODE_CASES[] = {
    /* link types, IPv4 and IPv6 */
    {"eth_v4", DLT_EN10MB, L_ETH, V4, 0, false, false, 0, true, 0, -1, true, false},
    {"eth_v6", DLT_EN10MB, L_ETH, V6, 0, false, false, 0, true, 0, -1, true, false},
    {"vlan_v4", DLT_EN10MB, L_VLAN, V4, 0, false, false, 0, true, 0, -1, true, false},
    {"vlan_v6", DLT_EN10MB, L_VLAN, V6, 0, false, false, 0, true, 0, -1, true, false},
    {"qinq_v4", DLT_EN10MB, L_QINQ, V4, 0, false, false, 0, true, 0, -1, true, false},
    {"qinq_v6", DLT_EN10MB, L_QINQ, V6, 0, false, false, 0, true, 0, -1, true, false},
    {"sll_v4", DLT_LINUX_SLL, L_SLL, V4, 0, false, false, 0, true, 0, -1, true, false},
    {"sll_v6", DLT_LINUX_SLL, L_SLL, V6, 0, false, false, 0, true, 0, -1, true, false},
    {"sll2_v4", DLT_LINUX_SLL2, L_SLL2, V4, 0, false, false, 0, true, 0, -1, true, false},
    {"sll2_v6", DLT_LINUX_SLL2, L_SLL2, V6, 0, false, false, 0, true, 0, -1, true, false},
    OK4("raw12_v4", DLT_RAW, L_RAW),
    {"raw12_v6", DLT_RAW, L_RAW, V6, 0, false, false, 0, true, 0, -1, false, false},
    OK4("raw101_v4", 101, L_RAW),
    {"raw101_v6", 101, L_RAW, V6, 0, false, false, 0, true, 0, -1, false, false},
    OK4("ipv4_dlt", DLT_IPV4, L_RAW),
    {"ipv6_dlt", DLT_IPV6, L_RAW, V6, 0, false, false, 0, true, 0, -1, false, false},
    {"null_le_v4", DLT_NULL, L_NULL_LE, V4, 2, false, false, 0, true, 0, -1, false, false},
    {"null_le_v6_24", DLT_NULL, L_NULL_LE, V6, 24, false, false, 0, true, 0, -1, false, false},
    {"null_le_v6_28", DLT_NULL, L_NULL_LE, V6, 28, false, false, 0, true, 0, -1, false, false},
    {"null_le_v6_30", DLT_NULL, L_NULL_LE, V6, 30, false, false, 0, true, 0, -1, false, false},
    {"null_be_v4", DLT_NULL, L_NULL_BE, V4, 2, false, false, 0, true, 0, -1, false, false},
    {"null_be_v6_30", DLT_NULL, L_NULL_BE, V6, 30, false, false, 0, true, 0, -1, false, false},
    {"loop_v4", DLT_LOOP, L_LOOP, V4, 2, false, false, 0, true, 0, -1, false, false},
    {"loop_v6_24", DLT_LOOP, L_LOOP, V6, 24, false, false, 0, true, 0, -1, false, false},
    /* link payloads that are not IP, link types not decoded */
    SKIP("eth_arp", DLT_EN10MB, L_ETH_ARP, V4, CAP_SKIP_NOT_IP),
    SKIP("eth_8023_length", DLT_EN10MB, L_ETH_8023, V4, CAP_SKIP_NOT_IP),
    SKIP("vlan_five_tags", DLT_EN10MB, L_VLAN5, V4, CAP_SKIP_NOT_IP),
    {"sll_addr_len_4", DLT_LINUX_SLL, L_SLL_ADDR4, V4, 0, false, false, 0, true, 0, -1, false,
     false},
    SKIP("sll_arp", DLT_LINUX_SLL, L_SLL_ARP, V4, CAP_SKIP_NOT_IP),
    {"null_family_7", DLT_NULL, L_NULL_LE, V4, 7, false, false, 0, false, CAP_SKIP_NOT_IP, 0, false,
     false},
    {"loop_le_family", DLT_LOOP, L_NULL_LE, V4, 2, false, false, 0, false, CAP_SKIP_NOT_IP, 0,
     false, false},
    SKIP("linktype_80211", DLT_IEEE802_11, L_RAW, V4, CAP_SKIP_LINKTYPE),
    /* IPv4 variants */
    {"v4_options", DLT_EN10MB, L_ETH, V4_OPTS, 0, false, true, 0, true, 0, -1, true, true},
    SKIP("v4_more_fragments", DLT_EN10MB, L_ETH, V4_MF, CAP_SKIP_IP_FRAGMENT),
    SKIP("v4_fragment_offset", DLT_RAW, L_RAW, V4_OFFSET, CAP_SKIP_IP_FRAGMENT),
    SKIP("v4_udp", DLT_EN10MB, L_ETH, V4_UDP, CAP_SKIP_NOT_TCP),
    SKIP("v4_ihl_4", DLT_EN10MB, L_ETH, V4_IHL4, CAP_SKIP_BAD_IP),
    SKIP("v4_version_6", DLT_EN10MB, L_ETH, V4_VERSION6, CAP_SKIP_BAD_IP),
    SKIP("v4_total_length_19", DLT_EN10MB, L_ETH, V4_TOTLEN_19, CAP_SKIP_BAD_IP),
    SKIP("v4_total_length_30", DLT_EN10MB, L_ETH, V4_TOTLEN_30, CAP_SKIP_BAD_TCP),
    /* TSO: the capture is the packet, and an unknown length is never checksummed */
    {"v4_total_length_0", DLT_EN10MB, L_ETH, V4_TOTLEN_0, 0, false, true, 0, true, 0, -1, true,
     false},
    {"v4_link_padding", DLT_EN10MB, L_ETH, V4_PADDED, 0, false, true, 0, true, 0, -1, true, true},
    SKIP("v4_tcp_data_offset_4", DLT_EN10MB, L_ETH, V4_TCP_DOFF4, CAP_SKIP_BAD_TCP),
    {"v4_tcp_data_offset_past_end", DLT_EN10MB, L_ETH, V4_TCP_DOFF15, 0, true, false, 0, false,
     CAP_SKIP_BAD_TCP, 0, false, false},
    /* IPv6 extension headers */
    {"v6_hbh_dstopts", DLT_EN10MB, L_ETH, V6_HBH_DST, 0, false, true, 0, true, 0, -1, true, true},
    {"v6_routing", DLT_RAW, L_RAW, V6_ROUTING, 0, false, true, 0, true, 0, -1, false, true},
    /* the checksum was computed over ::1, which is not the final destination: unverifiable */
    {"v6_routing_segments_left", DLT_RAW, L_RAW, V6_ROUTING_SL1, 0, false, true, 0, true, 0, -1,
     false, false},
    {"v6_atomic_fragment", DLT_RAW, L_RAW, V6_ATOMIC_FRAG, 0, false, true, 0, true, 0, -1, false,
     true},
    SKIP("v6_fragment_first", DLT_RAW, L_RAW, V6_FRAG_M, CAP_SKIP_IP_FRAGMENT),
    SKIP("v6_fragment_offset", DLT_EN10MB, L_ETH, V6_FRAG_OFFSET, CAP_SKIP_IP_FRAGMENT),
    SKIP("v6_udp", DLT_EN10MB, L_ETH, V6_UDP, CAP_SKIP_NOT_TCP),
    SKIP("v6_no_next_header", DLT_RAW, L_RAW, V6_NO_NEXT, CAP_SKIP_NOT_TCP),
    SKIP("v6_ext_past_payload", DLT_RAW, L_RAW, V6_EXT_PAST_END, CAP_SKIP_BAD_IP),
    SKIP("v6_ext_chain_too_long", DLT_RAW, L_RAW, V6_EXT_CHAIN, CAP_SKIP_BAD_IP),
    SKIP("v6_version_4", DLT_EN10MB, L_ETH, V6_VERSION4, CAP_SKIP_BAD_IP),
    {"v6_payload_length_0", DLT_RAW, L_RAW, V6_PAYLEN_0, 0, false, true, 0, true, 0, -1, false,
     false},
    /* checksums */
    {"csum_v4_right", DLT_EN10MB, L_ETH, V4, 0, false, true, 0, true, 0, -1, true, true},
    {"csum_v6_right", DLT_EN10MB, L_ETH, V6, 0, false, true, 0, true, 0, -1, true, true},
    {"csum_v4_syn_right", DLT_EN10MB, L_ETH, V4, 0, true, true, 0, true, 0, 0, true, true},
    {"csum_v4_offload_wrong", DLT_EN10MB, L_ETH, V4_OFFLOAD_SUM, 0, false, true, 0, false,
     CAP_SKIP_BAD_CHECKSUM, 0, false, false},
    {"csum_v4_offload_not_asked", DLT_EN10MB, L_ETH, V4_OFFLOAD_SUM, 0, false, false, 0, true, 0,
     -1, true, false},
    {"csum_v4_ip_header_wrong", DLT_EN10MB, L_ETH, V4_BAD_IPSUM, 0, false, true, 0, false,
     CAP_SKIP_BAD_CHECKSUM, 0, false, false},
    {"csum_v6_wrong", DLT_EN10MB, L_ETH, V6_BAD_SUM, 0, false, true, 0, false,
     CAP_SKIP_BAD_CHECKSUM, 0, false, false},
    {"csum_v6_wrong_not_asked", DLT_EN10MB, L_ETH, V6_BAD_SUM, 0, false, false, 0, true, 0, -1,
     true, false},
    /* a wrong checksum on a segment the snap length cut cannot be judged */
    {"csum_v4_wrong_but_cut", DLT_EN10MB, L_ETH, V4_OFFLOAD_SUM, 0, false, true, 5, true, 0, -1,
     true, false},
};

static void check_tcp_fields(const struct cap_segment *s, bool v6, bool syn)
{
    char buf[64];
    assert_int_equal(s->src.family, v6 ? 6 : 4);
    assert_int_equal(s->dst.family, v6 ? 6 : 4);
    assert_string_equal(cap_addr_format(&s->src, buf, sizeof(buf)), v6 ? "::1" : "127.0.0.1");
    assert_string_equal(cap_addr_format(&s->dst, buf, sizeof(buf)), v6 ? "::1" : "127.0.0.1");
    assert_int_equal(s->sport, 32776);
    assert_int_equal(s->dport, 14433);
    assert_int_equal(s->ttl, 64);
    if (syn) {
        assert_int_equal(s->seq, 2965752510u);
        assert_int_equal(s->ack, 0);
        assert_int_equal(s->flags, CAP_TCP_SYN);
        assert_int_equal(s->window, 65495);
        assert_int_equal(s->mss, 65495);
        assert_int_equal(s->wscale, 10);
        assert_true(s->sack_permitted);
    } else {
        assert_int_equal(s->seq, 0xb0c5cc17u);
        assert_int_equal(s->ack, 0x6d67063au);
        assert_int_equal(s->flags, CAP_TCP_PSH | CAP_TCP_ACK);
        assert_int_equal(s->window, 75);
        assert_int_equal(s->mss, 0);
        assert_int_equal(s->wscale, -1);
        assert_false(s->sack_permitted);
    }
}

static void test_decode_case(void **state)
{
    const struct decode_case *tc = *state;
    struct frame f;
    build_frame(&f, tc->link, tc->l3, tc->syn, tc->null_family);
    size_t caplen = f.len - tc->cut;
    /* An exact-size heap copy, so ASan sees any read past caplen. */
    uint8_t *pkt = malloc(caplen);
    assert_non_null(pkt);
    memcpy(pkt, f.b, caplen);

    struct cap_segment seg;
    memset(&seg, 0x5a, sizeof(seg));
    seg.ts_us = 1234;
    seg.pkt_index = 77;
    enum cap_skip_reason reason = CAP_SKIP_COUNT;
    bool ok = cap_decode(tc->linktype, pkt, caplen, tc->verify, &seg, &reason);
    if (!tc->ok) {
        assert_false(ok);
        assert_string_equal(cap_skip_reason_name(reason), cap_skip_reason_name(tc->reason));
        free(pkt);
        return;
    }
    assert_true(ok);
    assert_int_equal(seg.ts_us, 1234);
    assert_int_equal(seg.pkt_index, 77);
    check_tcp_fields(&seg, l3_is_v6(tc->l3), tc->syn);
    size_t want = tc->payload_len >= 0 ? (size_t)tc->payload_len : DATA_PAYLOAD_LEN - tc->cut;
    assert_int_equal(seg.payload_len, want);
    /* The payload is the real frame's last bytes, viewed in place. */
    const uint8_t *real_payload = FRAME_DATA + sizeof(FRAME_DATA) - DATA_PAYLOAD_LEN;
    if (want > 0) {
        assert_true(seg.payload >= pkt && seg.payload + want <= pkt + caplen);
        /* V6_BAD_SUM flipped the last payload byte on purpose. */
        assert_memory_equal(seg.payload, real_payload, tc->l3 == V6_BAD_SUM ? want - 1 : want);
    }
    assert_int_equal(seg.checksum_verified, tc->verified);
    if (tc->link_src) {
        assert_int_equal(seg.link_src_len, 6);
        assert_memory_equal(seg.link_src, TEST_MAC, 6);
    } else {
        assert_int_equal(seg.link_src_len, 0);
    }
    /* l3 spans the IP packet up to the end of the payload: no link header, no padding. */
    assert_true(seg.l3 >= pkt);
    assert_ptr_equal(seg.l3 + seg.l3_len, seg.payload + seg.payload_len);
    uint8_t ver = seg.l3[0] >> 4;
    assert_int_equal(ver, l3_is_v6(tc->l3) ? 6 : 4);
    free(pkt);
}

/* ------------------------------------------------------------------ truncation table */

struct trunc_case {
    const char *name;
    int linktype;
    enum link_kind link;
    enum l3_kind l3;
    uint32_t null_family;
    bool syn;
};

static const struct trunc_case TRUNC_CASES[] = {
    {"trunc_eth_v4", DLT_EN10MB, L_ETH, V4, 0, false},
    {"trunc_eth_v6", DLT_EN10MB, L_ETH, V6, 0, false},
    {"trunc_vlan_v6", DLT_EN10MB, L_VLAN, V6, 0, false},
    {"trunc_qinq_v4", DLT_EN10MB, L_QINQ, V4, 0, false},
    {"trunc_sll_v4", DLT_LINUX_SLL, L_SLL, V4, 0, false},
    {"trunc_sll2_v6", DLT_LINUX_SLL2, L_SLL2, V6, 0, false},
    {"trunc_raw_v4", DLT_RAW, L_RAW, V4, 0, false},
    {"trunc_raw_v6", DLT_RAW, L_RAW, V6, 0, false},
    {"trunc_null_v6", DLT_NULL, L_NULL_LE, V6, 30, false},
    {"trunc_loop_v4", DLT_LOOP, L_LOOP, V4, 2, false},
    {"trunc_eth_v4_options", DLT_EN10MB, L_ETH, V4_OPTS, 0, false},
    {"trunc_eth_v6_hbh_dstopts", DLT_EN10MB, L_ETH, V6_HBH_DST, 0, false},
    {"trunc_raw_v6_routing", DLT_RAW, L_RAW, V6_ROUTING, 0, false},
    {"trunc_raw_v6_fragment_atomic", DLT_RAW, L_RAW, V6_ATOMIC_FRAG, 0, false},
    {"trunc_eth_v4_syn_options", DLT_EN10MB, L_ETH, V4, 0, true},
};

/* Every prefix of a valid frame: a prefix that ends inside a header is TRUNCATED, one that ends
 * in the payload is a segment whose payload stops at the cut. With checksums asked for, a cut
 * segment is delivered unverified, the whole one verified. */
static void test_truncation(void **state)
{
    const struct trunc_case *tc = *state;
    struct frame f;
    build_frame(&f, tc->link, tc->l3, tc->syn, tc->null_family);
    size_t payload_len = tc->syn ? 0 : DATA_PAYLOAD_LEN;
    size_t hdr_end = f.len - payload_len;
    for (size_t n = 0; n <= f.len; n++) {
        for (int verify = 0; verify <= 1; verify++) {
            uint8_t *pkt = n ? malloc(n) : NULL;
            if (n) {
                assert_non_null(pkt);
                memcpy(pkt, f.b, n);
            }
            struct cap_segment seg = {0};
            enum cap_skip_reason reason = CAP_SKIP_COUNT;
            bool ok = cap_decode(tc->linktype, pkt, n, verify, &seg, &reason);
            if (n < hdr_end) {
                if (ok) {
                    fail_msg("prefix of %zu bytes (headers end at %zu) decoded", n, hdr_end);
                }
                assert_int_equal(reason, CAP_SKIP_TRUNCATED);
            } else {
                if (!ok) {
                    fail_msg("prefix of %zu bytes rejected: %s", n, cap_skip_reason_name(reason));
                }
                assert_int_equal(seg.payload_len, n - hdr_end);
                if (seg.payload_len > 0) {
                    assert_ptr_equal(seg.payload, pkt + hdr_end);
                }
                assert_int_equal(seg.checksum_verified, verify && n == f.len);
            }
            free(pkt);
        }
    }
}

/* ------------------------------------------------------------------ TCP options table */

/* Frame 1 with its 20 option bytes replaced (data offset stays 10; unlisted bytes are 0, EOL).
 * A malformed option list ends option parsing but never rejects the segment. */
struct opt_case {
    const char *name;
    uint8_t opts[20];
    uint16_t mss;
    int8_t wscale;
    bool sack;
};

static const struct opt_case OPT_CASES[] = {
    {"opts_real_syn",
     {0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0xeb, 0xbf,
      0xf6, 0xae, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a},
     65495,
     10,
     true},
    {"opts_wscale_20_is_14", {0x03, 0x03, 20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 14, false},
    {"opts_nops_then_all",
     {0x01, 0x01, 0x02, 0x04, 0x05, 0xb4, 0x03, 0x03, 7, 0x04, 0x02, 0x00},
     1460,
     7,
     true},
    {"opts_eol_first", {0x00, 0x02, 0x04, 0x05, 0xb4, 0, 0, 0, 0, 0, 0, 0}, 0, -1, false},
    {"opts_length_1", {0x08, 0x01, 0x02, 0x04, 0x05, 0xb4, 0, 0, 0, 0, 0, 0}, 0, -1, false},
    {"opts_mss_then_overrun",
     {0x02, 0x04, 0x05, 0xb4, 0x08, 0x20, 0, 0, 0, 0, 0, 0},
     1460,
     -1,
     false},
    {"opts_mss_wrong_length", {0x02, 0x03, 0x05, 0x04, 0x02, 0, 0, 0, 0, 0, 0, 0}, 0, -1, true},
    {"opts_unknown_kind_skipped",
     {0xfd, 0x04, 0xaa, 0xbb, 0x03, 0x03, 2, 0, 0, 0, 0, 0},
     0,
     2,
     false},
};

static void test_tcp_options(void **state)
{
    const struct opt_case *tc = *state;
    uint8_t frame[sizeof(FRAME_SYN)];
    memcpy(frame, FRAME_SYN, sizeof(frame));
    memcpy(frame + REAL_TCP_OFF + 20, tc->opts, sizeof(tc->opts));
    struct cap_segment seg = {0};
    enum cap_skip_reason reason;
    assert_true(cap_decode(DLT_EN10MB, frame, sizeof(frame), false, &seg, &reason));
    assert_int_equal(seg.mss, tc->mss);
    assert_int_equal(seg.wscale, tc->wscale);
    assert_int_equal(seg.sack_permitted, tc->sack);
    assert_int_equal(seg.payload_len, 0);
    /* The same options on a segment without SYN are not SYN options: not read. */
    frame[REAL_TCP_OFF + 13] = CAP_TCP_ACK;
    assert_true(cap_decode(DLT_EN10MB, frame, sizeof(frame), false, &seg, &reason));
    assert_int_equal(seg.flags, CAP_TCP_ACK);
    assert_int_equal(seg.mss, 0);
    assert_int_equal(seg.wscale, -1);
    assert_false(seg.sack_permitted);
}

/* ------------------------------------------------------------------ tshark agreement */

/* Every packet of a real capture, decoded here and by tshark (run at test time, an independent
 * dissector): the same ports, TCP payload length, TTL/hop limit, raw sequence number, flags and
 * checksum verdict. Skipped when tshark is not installed. */
struct tshark_case {
    const char *name;
    const char *file;
};

static const struct tshark_case TSHARK_CASES[] = {
    {"tshark_cap_pcapng", TLSSCOPE_SOURCE_DIR "/samples/lab/cap.pcapng"},
    {"tshark_big_pcap", TLSSCOPE_SOURCE_DIR "/samples/lab/big.pcap"},
    {"tshark_alert_pcap", TLSSCOPE_SOURCE_DIR "/samples/lab/alert.pcap"},
};

struct ours {
    GString *lines;
    uint64_t n;
};

static void on_real_packet(void *user, const struct cap_packet *pkt)
{
    struct ours *o = user;
    struct cap_segment seg = {0};
    enum cap_skip_reason reason;
    o->n++;
    if (!cap_decode(pkt->linktype, pkt->data, pkt->caplen, false, &seg, &reason)) {
        g_string_append_printf(o->lines, "%" G_GUINT64_FORMAT " not decoded: %s\n", o->n,
                               cap_skip_reason_name(reason));
        return;
    }
    bool v6 = seg.src.family == 6;
    /* tshark's tcp.checksum.status: 1 good, 0 bad */
    struct cap_segment vseg = {0};
    bool good = cap_decode(pkt->linktype, pkt->data, pkt->caplen, true, &vseg, &reason);
    assert_true(good || reason == CAP_SKIP_BAD_CHECKSUM);
    g_string_append_printf(o->lines, "%" G_GUINT64_FORMAT "\t%u\t%u\t%zu\t%s%u%s\t%d\t%u\t0x%04x\n",
                           o->n, seg.sport, seg.dport, seg.payload_len, v6 ? "\t" : "", seg.ttl,
                           v6 ? "" : "\t", good ? 1 : 0, seg.seq, seg.flags);
}

static void test_tshark_agrees(void **state)
{
    const struct tshark_case *tc = *state;
    gchar *tshark = g_find_program_in_path("tshark");
    if (tshark == NULL) {
        skip();
    }
    const char *argv[] = {tshark, "-n",
                          "-r",   tc->file,
                          "-o",   "tcp.check_checksum:TRUE",
                          "-T",   "fields",
                          "-e",   "frame.number",
                          "-e",   "tcp.srcport",
                          "-e",   "tcp.dstport",
                          "-e",   "tcp.len",
                          "-e",   "ip.ttl",
                          "-e",   "ipv6.hlim",
                          "-e",   "tcp.checksum.status",
                          "-e",   "tcp.seq_raw",
                          "-e",   "tcp.flags",
                          NULL};
    gchar *out = NULL;
    gint status = 0;
    GError *err = NULL;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                      NULL, &status, &err)) {
        fail_msg("tshark: %s", err->message);
    }
    assert_true(g_spawn_check_wait_status(status, NULL));

    struct ours o = {g_string_new(NULL), 0};
    GError *serr = NULL;
    struct cap_source *src = cap_source_open_files(&tc->file, 1, NULL, &serr);
    assert_non_null(src);
    enum cap_source_status st;
    while ((st = cap_source_dispatch(src, 0, on_real_packet, &o, &serr)) == CAP_SOURCE_OK) {
    }
    assert_int_equal(st, CAP_SOURCE_EOF);
    cap_source_free(src);
    assert_true(o.n > 0);
    assert_string_equal(o.lines->str, out);
    g_string_free(o.lines, TRUE);
    g_free(out);
    g_free(tshark);
}

/* ------------------------------------------------------------------ single tests */

/* The reference checksum must reproduce tcpdump's corrections of the two real frames before the
 * IPv6 frames, whose checksums it computes, can be trusted. */
static void test_csum_ref_matches_tcpdump(void **state)
{
    (void)state;
    assert_int_equal(tcp_csum_ref(FRAME_DATA + 26, FRAME_DATA + 30, 4, FRAME_DATA + REAL_TCP_OFF,
                                  sizeof(FRAME_DATA) - REAL_TCP_OFF),
                     DATA_TCP_CSUM_TCPDUMP);
    assert_int_equal(tcp_csum_ref(FRAME_SYN + 26, FRAME_SYN + 30, 4, FRAME_SYN + REAL_TCP_OFF,
                                  sizeof(FRAME_SYN) - REAL_TCP_OFF),
                     SYN_TCP_CSUM_TCPDUMP);
    /* tshark reports the real IPv4 header checksums as good: they sum to all ones. */
    assert_int_equal(csum_ref(sum_ref(FRAME_DATA + REAL_ETH_LEN, REAL_IP_HDR_LEN, 0)), 0);
}

/* The real frame exactly as captured (zero MACs, offloaded checksum) decodes unverified. */
static void test_real_frame_as_captured(void **state)
{
    (void)state;
    struct cap_segment seg = {0};
    enum cap_skip_reason reason;
    assert_true(cap_decode(DLT_EN10MB, FRAME_DATA, sizeof(FRAME_DATA), false, &seg, &reason));
    check_tcp_fields(&seg, false, false);
    assert_int_equal(seg.payload_len, DATA_PAYLOAD_LEN);
    assert_int_equal(seg.l3_len, sizeof(FRAME_DATA) - REAL_ETH_LEN);
    assert_int_equal(seg.link_src_len, 6);
    static const uint8_t zero[6] = {0};
    assert_memory_equal(seg.link_src, zero, 6);
    assert_true(cap_decode(DLT_EN10MB, FRAME_SYN, sizeof(FRAME_SYN), false, &seg, &reason));
    check_tcp_fields(&seg, false, true);
    assert_false(cap_decode(DLT_EN10MB, FRAME_SYN, sizeof(FRAME_SYN), true, &seg, &reason));
    assert_int_equal(reason, CAP_SKIP_BAD_CHECKSUM);
}

static void test_addr_format(void **state)
{
    (void)state;
    char buf[64];
    struct cap_addr a = {.family = 4, .bytes = {192, 0, 2, 1}};
    assert_string_equal(cap_addr_format(&a, buf, sizeof(buf)), "192.0.2.1");
    struct cap_addr b = {.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    assert_string_equal(cap_addr_format(&b, buf, sizeof(buf)), "2001:db8::1");
    struct cap_addr c = {.family = 0};
    assert_string_equal(cap_addr_format(&c, buf, sizeof(buf)), "?");
    char small[4];
    assert_string_equal(cap_addr_format(&a, small, sizeof(small)), "?");
}

int main(void)
{
    size_t n_dec = sizeof(DECODE_CASES) / sizeof(DECODE_CASES[0]);
    size_t n_tr = sizeof(TRUNC_CASES) / sizeof(TRUNC_CASES[0]);
    static const struct CMUnitTest singles[] = {
        cmocka_unit_test(test_csum_ref_matches_tcpdump),
        cmocka_unit_test(test_real_frame_as_captured),
        cmocka_unit_test(test_addr_format),
    };
    size_t n_single = sizeof(singles) / sizeof(singles[0]);
    size_t n_ts = sizeof(TSHARK_CASES) / sizeof(TSHARK_CASES[0]);
    size_t n_opt = sizeof(OPT_CASES) / sizeof(OPT_CASES[0]);
    size_t n = n_single + n_dec + n_tr + n_ts + n_opt;
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    if (tests == NULL) {
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_single; i++) {
        tests[k++] = singles[i];
    }
    for (size_t i = 0; i < n_dec; i++) {
        tests[k++] = (struct CMUnitTest){DECODE_CASES[i].name, test_decode_case, NULL, NULL,
                                         (void *)&DECODE_CASES[i]};
    }
    for (size_t i = 0; i < n_tr; i++) {
        tests[k++] = (struct CMUnitTest){TRUNC_CASES[i].name, test_truncation, NULL, NULL,
                                         (void *)&TRUNC_CASES[i]};
    }
    for (size_t i = 0; i < n_opt; i++) {
        tests[k++] = (struct CMUnitTest){OPT_CASES[i].name, test_tcp_options, NULL, NULL,
                                         (void *)&OPT_CASES[i]};
    }
    for (size_t i = 0; i < n_ts; i++) {
        tests[k++] = (struct CMUnitTest){TSHARK_CASES[i].name, test_tshark_agrees, NULL, NULL,
                                         (void *)&TSHARK_CASES[i]};
    }
    int rc = _cmocka_run_group_tests("decode", tests, n, NULL, NULL);
    free(tests);
    return rc;
}
