/* Packet front-end: turns one captured frame (link header, IPv4/IPv6, TCP) into a cap_segment
 * whose payload is a view into the frame. Every byte is read through the cursor, nothing is
 * allocated or copied except the addresses, and a frame cut short by the snap length yields either
 * CAP_SKIP_TRUNCATED (a header is cut) or a segment with a shorter payload (only data is cut).
 * Bytes that contradict the format are told apart from bytes that are merely missing: an IP or
 * TCP header that overruns what the IP header itself declares is malformed; one that overruns
 * only what was captured is truncated. */
#include <arpa/inet.h>
#include <string.h>

#include <pcap/dlt.h>

#include "capture.h"

/* LINKTYPE_RAW as written in file headers. libpcap maps it to DLT_RAW (12 on Linux) before
 * pcap_datalink() returns it, but callers that take the number from a file header see 101. */
#define LINKTYPE_RAW 101

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100     /* IEEE 802.1Q */
#define ETHERTYPE_QINQ 0x88a8     /* IEEE 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad QinQ, still emitted by some switches */
/* Stacked VLAN tags walked before giving up; real networks use at most two (802.1ad), and a
 * bound keeps a hostile frame of nothing but tags from costing more than a few reads. */
#define VLAN_MAX_TAGS 4

/* BSD loopback (DLT_NULL/DLT_LOOP) address families, as in tcpdump's af.h: AF_INET6 differs
 * between the BSDs (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30). */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define IPPROTO_NUM_HOPOPTS 0
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_ROUTING 43
#define IPPROTO_NUM_FRAGMENT 44
#define IPPROTO_NUM_AH 51
#define IPPROTO_NUM_DSTOPTS 60
/* IPv6 extension headers walked before the upper layer must appear; RFC 8200 §4.1 expects each
 * at most once (destination options twice), so more than this is an attack or garbage. */
#define IPV6_MAX_EXT_HEADERS 8

#define IPV4_MIN_HDR_LEN 20 /* RFC 791 §3.1: IHL >= 5 */
#define IPV6_HDR_LEN 40     /* RFC 8200 §3 */
#define TCP_MIN_HDR_LEN 20  /* RFC 9293 §3.1: data offset >= 5 */
#define TCP_MAX_WSCALE 14   /* RFC 7323 §2.3: larger shift counts MUST be treated as 14 */

enum link_result {
    LINK_IPV4,
    LINK_IPV6,
    LINK_EITHER, /* raw IP: the version nibble decides */
};

/* What the IP layer leaves for TCP: the IP payload as declared, clipped to the capture. */
struct ip_view {
    struct cur payload;  /* after extension headers: the TCP segment, clipped */
    bool clipped;        /* the capture ended before the declared end, or no end was declared */
    bool dst_elsewhere;  /* a routing header holds the pseudo-header's destination */
    size_t declared_len; /* TCP segment length per the IP header; SIZE_MAX when unknown */
    size_t l3_len;       /* captured bytes of the IP packet, link padding excluded */
};

/* Adds big-endian 16-bit words to a one's-complement accumulator (RFC 1071); a trailing odd byte
 * is padded with zero. Whole 32-bit words are added at once, which is the same as adding their
 * two halves because 2^16 = 1 (mod 2^16 - 1); a 64-bit sum of 32-bit words cannot overflow
 * before 2^32 words, far beyond any IP packet. */
static uint64_t sum_words(struct cur c, uint64_t sum)
{
    uint32_t w32;
    uint16_t w16;
    uint8_t w8;
    while (cur_u32(&c, &w32)) {
        sum += w32;
    }
    if (cur_u16(&c, &w16)) {
        sum += w16;
    }
    if (cur_u8(&c, &w8)) {
        sum += (uint32_t)w8 << 8;
    }
    return sum;
}

static uint16_t fold(uint64_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

static bool link_addr(struct cur *c, size_t addr_len, struct cap_segment *out)
{
    struct cur addr;
    if (!cur_sub(c, CAP_LINK_ADDR_MAX, &addr)) {
        return false;
    }
    /* Cooked headers store the source address in an 8-byte field; only hardware-address
     * lengths (6 for Ethernet, up to 8 for e.g. FireWire EUI-64) identify a sending box. */
    if (addr_len >= 6 && addr_len <= CAP_LINK_ADDR_MAX) {
        (void)cur_copy(&addr, out->link_src, addr_len);
        out->link_src_len = (uint8_t)addr_len;
    }
    return true;
}

/* Strips 802.1Q / 802.1ad tags: each is TCI(2) then the next EtherType(2) (IEEE 802.1Q §9.6). */
static bool ethertype_to_ip(struct cur *c, uint16_t type, enum link_result *out_ip,
                            enum cap_skip_reason *out_reason)
{
    for (int tags = 0;; tags++) {
        if (type == ETHERTYPE_IPV4) {
            *out_ip = LINK_IPV4;
            return true;
        }
        if (type == ETHERTYPE_IPV6) {
            *out_ip = LINK_IPV6;
            return true;
        }
        if ((type != ETHERTYPE_VLAN && type != ETHERTYPE_QINQ && type != ETHERTYPE_QINQ_OLD) ||
            tags == VLAN_MAX_TAGS) {
            *out_reason = CAP_SKIP_NOT_IP;
            return false;
        }
        if (!cur_skip(c, 2) || !cur_u16(c, &type)) {
            *out_reason = CAP_SKIP_TRUNCATED;
            return false;
        }
    }
}

/* Ethernet II: dst(6) src(6) type(2). Types <= 1500 are 802.3 lengths (LLC follows): not IP. */
static bool decode_ethernet(struct cur *c, struct cap_segment *out, enum link_result *out_ip,
                            enum cap_skip_reason *out_reason)
{
    uint16_t type;
    if (!cur_skip(c, 6) || !cur_copy(c, out->link_src, 6) || !cur_u16(c, &type)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    out->link_src_len = 6;
    return ethertype_to_ip(c, type, out_ip, out_reason);
}

/* Linux cooked v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type(2) ARPHRD(2) addr len(2)
 * addr(8) protocol(2). libpcap re-inserts stripped VLAN tags after it, so tags are walked. */
static bool decode_sll(struct cur *c, struct cap_segment *out, enum link_result *out_ip,
                       enum cap_skip_reason *out_reason)
{
    uint16_t addr_len, proto;
    if (!cur_skip(c, 4) || !cur_u16(c, &addr_len) || !link_addr(c, addr_len, out) ||
        !cur_u16(c, &proto)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    return ethertype_to_ip(c, proto, out_ip, out_reason);
}

/* Linux cooked v2 (LINKTYPE_LINUX_SLL2, 20 bytes): protocol(2) reserved(2) ifindex(4)
 * ARPHRD(2) packet type(1) addr len(1) addr(8). */
static bool decode_sll2(struct cur *c, struct cap_segment *out, enum link_result *out_ip,
                        enum cap_skip_reason *out_reason)
{
    uint16_t proto;
    uint8_t addr_len;
    if (!cur_u16(c, &proto) || !cur_skip(c, 9) || !cur_u8(c, &addr_len) ||
        !link_addr(c, addr_len, out)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    return ethertype_to_ip(c, proto, out_ip, out_reason);
}

/* BSD loopback: a 4-byte address family, host byte order of the capturing machine for DLT_NULL
 * (which may not be ours: like tcpdump, a value with high bits set is taken as byte-swapped),
 * network byte order for DLT_LOOP. */
static bool decode_loopback(struct cur *c, bool network_order, enum link_result *out_ip,
                            enum cap_skip_reason *out_reason)
{
    uint32_t family;
    struct cur save = *c;
    if (!cur_u32(c, &family)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    if (!network_order) {
        *c = save;
        (void)cur_u32le(c, &family);
        if ((family & 0xffff0000u) != 0) {
            *c = save;
            (void)cur_u32(c, &family);
        }
    }
    switch (family) {
    case BSD_AF_INET:
        *out_ip = LINK_IPV4;
        return true;
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        *out_ip = LINK_IPV6;
        return true;
    default:
        *out_reason = CAP_SKIP_NOT_IP;
        return false;
    }
}

static bool decode_link(int linktype, struct cur *c, struct cap_segment *out,
                        enum link_result *out_ip, enum cap_skip_reason *out_reason)
{
    switch (linktype) {
    case DLT_EN10MB:
        return decode_ethernet(c, out, out_ip, out_reason);
    case DLT_LINUX_SLL:
        return decode_sll(c, out, out_ip, out_reason);
    case DLT_LINUX_SLL2:
        return decode_sll2(c, out, out_ip, out_reason);
    case DLT_RAW:
    case LINKTYPE_RAW:
        *out_ip = LINK_EITHER;
        return true;
    case DLT_IPV4:
        *out_ip = LINK_IPV4;
        return true;
    case DLT_IPV6:
        *out_ip = LINK_IPV6;
        return true;
    case DLT_NULL:
        return decode_loopback(c, false, out_ip, out_reason);
    case DLT_LOOP:
        return decode_loopback(c, true, out_ip, out_reason);
    default:
        *out_reason = CAP_SKIP_LINKTYPE;
        return false;
    }
}

/* Clips the declared IP payload to what was captured. Without a declared length (see callers)
 * the payload is treated like a clipped one: neither checksummed nor called malformed for
 * running out. */
static void set_payload(const struct cur *rest, size_t hdr_len, bool length_known,
                        size_t declared_len, struct ip_view *ip)
{
    /* The cursor's two words were just stored one by one; copying it whole compiles to one
     * 16-byte load, which cannot be forwarded from two 8-byte stores and waits for them to
     * reach the cache; so the two words are copied apart. */
    size_t avail = cur_len(rest);
    ip->payload.p = rest->p;
    ip->dst_elsewhere = false;
    if (!length_known) {
        ip->clipped = true;
        ip->declared_len = SIZE_MAX;
    } else {
        ip->clipped = avail < declared_len;
        ip->declared_len = declared_len;
        if (!ip->clipped) {
            avail = declared_len;
        }
    }
    ip->payload.len = avail;
    ip->l3_len = hdr_len + avail;
}

static uint32_t pseudo_header_sum(const struct cap_addr *src, const struct cap_addr *dst,
                                  size_t addr_len)
{
    /* RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6): source, destination, zero, protocol; the
     * TCP length is added by the caller. The order of one's-complement additions is free. */
    struct cur s = cur_make(src->bytes, addr_len);
    struct cur d = cur_make(dst->bytes, addr_len);
    return fold(sum_words(s, sum_words(d, IPPROTO_NUM_TCP)));
}

/* RFC 791 §3.1:
 *   version(4) IHL(4) | TOS(8) | total length(16) | identification(16) | flags(3) offset(13) |
 *   TTL(8) | protocol(8) | header checksum(16) | source(32) | destination(32) | options */
static bool decode_ipv4(struct cur *c, bool verify, struct cap_segment *out, struct ip_view *ip,
                        enum cap_skip_reason *out_reason)
{
    struct cur hdr_start = *c;
    uint8_t ver_ihl, ttl, proto;
    uint16_t total_len, frag;
    if (!cur_u8(c, &ver_ihl) || !cur_skip(c, 1) || !cur_u16(c, &total_len) || !cur_skip(c, 2) ||
        !cur_u16(c, &frag) || !cur_u8(c, &ttl) || !cur_u8(c, &proto) || !cur_skip(c, 2) ||
        !cur_copy(c, out->src.bytes, 4) || !cur_copy(c, out->dst.bytes, 4)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    size_t hdr_len = (size_t)(ver_ihl & 0x0f) * 4;
    /* A total length of 0 is what Linux and Windows write for segments captured before TCP
     * segmentation offload splits them (Wireshark: "assuming TSO"): the length is unknown. */
    bool length_known = total_len != 0;
    if ((ver_ihl >> 4) != 4 || hdr_len < IPV4_MIN_HDR_LEN ||
        (length_known && total_len < hdr_len)) {
        *out_reason = CAP_SKIP_BAD_IP;
        return false;
    }
    if (!cur_skip(c, hdr_len - IPV4_MIN_HDR_LEN)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    /* RFC 791 §3.2: a packet is a fragment when More Fragments is set or the offset is not 0. */
    if ((frag & 0x3fff) != 0) {
        *out_reason = CAP_SKIP_IP_FRAGMENT;
        return false;
    }
    if (proto != IPPROTO_NUM_TCP) {
        *out_reason = CAP_SKIP_NOT_TCP;
        return false;
    }
    if (verify) {
        struct cur hdr;
        if (!cur_sub(&hdr_start, hdr_len, &hdr)) {
            *out_reason = CAP_SKIP_TRUNCATED; /* cannot happen: the options were just skipped */
            return false;
        }
        /* RFC 791 §3.1, RFC 1071: the header summed with its checksum is all ones. */
        if (fold(sum_words(hdr, 0)) != 0xffff) {
            *out_reason = CAP_SKIP_BAD_CHECKSUM;
            return false;
        }
    }
    out->src.family = 4;
    out->dst.family = 4;
    out->ttl = ttl;
    set_payload(c, hdr_len, length_known, length_known ? total_len - hdr_len : 0, ip);
    return true;
}

/* Why an extension header could not be read: past the declared payload it is malformed, past
 * only the capture it is cut. */
static enum cap_skip_reason ext_failure(const struct ip_view *ip, size_t ext_end)
{
    return ext_end > ip->declared_len ? CAP_SKIP_BAD_IP : CAP_SKIP_TRUNCATED;
}

/* RFC 8200 §3: version(4) traffic class(8) flow label(20) | payload length(16) | next header(8)
 * | hop limit(8) | source(128) | destination(128); then extension headers (§4). */
static bool decode_ipv6(struct cur *c, struct cap_segment *out, struct ip_view *ip,
                        enum cap_skip_reason *out_reason)
{
    uint8_t ver, next, hop_limit;
    uint16_t payload_len;
    if (!cur_u8(c, &ver) || !cur_skip(c, 3) || !cur_u16(c, &payload_len) || !cur_u8(c, &next) ||
        !cur_u8(c, &hop_limit) || !cur_copy(c, out->src.bytes, 16) ||
        !cur_copy(c, out->dst.bytes, 16)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    if ((ver >> 4) != 6) {
        *out_reason = CAP_SKIP_BAD_IP;
        return false;
    }
    /* 0 means a jumbogram (RFC 2675) or a segment captured before offload split it: as for IPv4,
     * the length is unknown. */
    set_payload(c, IPV6_HDR_LEN, payload_len != 0, payload_len, ip);

    size_t ext_len = 0;
    for (int n = 0; next != IPPROTO_NUM_TCP; n++) {
        if (n == IPV6_MAX_EXT_HEADERS) {
            *out_reason = CAP_SKIP_BAD_IP;
            return false;
        }
        uint8_t hdr_ext_len;
        size_t len;
        struct cur peek = ip->payload;
        switch (next) {
        case IPPROTO_NUM_HOPOPTS:
        case IPPROTO_NUM_ROUTING:
        case IPPROTO_NUM_DSTOPTS:
            /* §4.3, §4.4, §4.6: next header(8) | hdr ext len(8) in 8-octet units, not counting
             * the first 8 octets; a routing header goes on with type(8) | segments left(8). */
            if (!cur_skip(&peek, 1) || !cur_u8(&peek, &hdr_ext_len)) {
                *out_reason = ext_failure(ip, ext_len + 2);
                return false;
            }
            len = ((size_t)hdr_ext_len + 1) * 8;
            if (next == IPPROTO_NUM_ROUTING) {
                uint8_t segments_left;
                if (!cur_skip(&peek, 1) || !cur_u8(&peek, &segments_left)) {
                    *out_reason = ext_failure(ip, ext_len + 4);
                    return false;
                }
                /* §8.1: with segments left, the checksum covers the final destination, which
                 * sits inside the routing header in a type-specific place: not verified. */
                ip->dst_elsewhere |= segments_left != 0;
            }
            break;
        case IPPROTO_NUM_AH:
            /* RFC 4302 §2.2: payload len in 4-octet units, minus 2. */
            if (!cur_skip(&peek, 1) || !cur_u8(&peek, &hdr_ext_len)) {
                *out_reason = ext_failure(ip, ext_len + 2);
                return false;
            }
            len = ((size_t)hdr_ext_len + 2) * 4;
            break;
        case IPPROTO_NUM_FRAGMENT: {
            /* §4.5: next header(8) reserved(8) | offset(13) res(2) M(1) | identification(32). */
            uint16_t off_m;
            if (!cur_skip(&peek, 2) || !cur_u16(&peek, &off_m)) {
                *out_reason = ext_failure(ip, ext_len + 4);
                return false;
            }
            /* RFC 6946: an atomic fragment (offset 0, M clear) is processed as a whole packet. */
            if ((off_m & 0xfff9) != 0) {
                *out_reason = CAP_SKIP_IP_FRAGMENT;
                return false;
            }
            len = 8;
            break;
        }
        default:
            /* ESP, No Next Header (59), UDP, ICMPv6, ...: no TCP header follows in clear. */
            *out_reason = CAP_SKIP_NOT_TCP;
            return false;
        }
        if (!cur_u8(&ip->payload, &next) || !cur_skip(&ip->payload, len - 1)) {
            *out_reason = ext_failure(ip, ext_len + len);
            return false;
        }
        ext_len += len;
    }
    out->src.family = 6;
    out->dst.family = 6;
    out->ttl = hop_limit;
    /* The upper-layer length excludes the extension headers (RFC 8200 §8.1). */
    ip->declared_len -= ext_len;
    return true;
}

/* RFC 9293 §3.2 options: kind 0 ends the list, kind 1 is one byte, others are kind, length
 * (counting kind and length), data. A malformed list ends option parsing, not the segment:
 * the segment itself is still real traffic. */
static void parse_tcp_options(struct cur opts, struct cap_segment *out)
{
    uint8_t kind, len;
    while (cur_u8(&opts, &kind)) {
        if (kind == 0) {
            return;
        }
        if (kind == 1) {
            continue;
        }
        struct cur body;
        if (!cur_u8(&opts, &len) || len < 2 || !cur_sub(&opts, (size_t)len - 2, &body)) {
            return;
        }
        uint16_t mss;
        uint8_t shift;
        switch (kind) {
        case 2: /* MSS, RFC 9293 §3.2: length 4 */
            if (len == 4 && cur_u16(&body, &mss)) {
                out->mss = mss;
            }
            break;
        case 3: /* window scale, RFC 7323 §2.2: length 3 */
            if (len == 3 && cur_u8(&body, &shift)) {
                out->wscale = (int8_t)(shift > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : shift);
            }
            break;
        case 4: /* SACK permitted, RFC 2018 §2: length 2 */
            if (len == 2) {
                out->sack_permitted = true;
            }
            break;
        default:
            break;
        }
    }
}

/* RFC 9293 §3.1: source port(16) | destination port(16) | sequence(32) | acknowledgment(32) |
 * data offset(4) reserved(4) | flags(8) | window(16) | checksum(16) | urgent pointer(16) |
 * options; data. */
static bool decode_tcp(const struct ip_view *ip, bool verify, struct cap_segment *out,
                       enum cap_skip_reason *out_reason)
{
    struct cur c = ip->payload;
    uint8_t off_byte;
    struct cur opts;
    /* Lengths the IP header declares decide malformation; the capture decides truncation. */
    if (ip->declared_len < TCP_MIN_HDR_LEN) {
        *out_reason = CAP_SKIP_BAD_TCP;
        return false;
    }
    if (!cur_u16(&c, &out->sport) || !cur_u16(&c, &out->dport) || !cur_u32(&c, &out->seq) ||
        !cur_u32(&c, &out->ack) || !cur_u8(&c, &off_byte) || !cur_u8(&c, &out->flags) ||
        !cur_u16(&c, &out->window) || !cur_skip(&c, 4)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    size_t hdr_len = (size_t)(off_byte >> 4) * 4;
    if (hdr_len < TCP_MIN_HDR_LEN || hdr_len > ip->declared_len) {
        *out_reason = CAP_SKIP_BAD_TCP;
        return false;
    }
    if (!cur_sub(&c, hdr_len - TCP_MIN_HDR_LEN, &opts)) {
        *out_reason = CAP_SKIP_TRUNCATED;
        return false;
    }
    /* MSS, window scale and SACK-permitted are sent on SYN segments only (RFC 9293 §3.2,
     * RFC 7323 §2.2, RFC 2018 §2); on the others the options are timestamps and SACK blocks,
     * which nothing reads, so they are not walked. */
    if (out->flags & CAP_TCP_SYN) {
        parse_tcp_options(opts, out);
    }
    out->payload_len = cur_len(&c);
    (void)cur_bytes(&c, out->payload_len, &out->payload);
    if (verify && !ip->clipped && !ip->dst_elsewhere) {
        /* RFC 9293 §3.1: pseudo-header, header and data summed with the checksum are all
         * ones when the checksum is right. */
        uint32_t pseudo = pseudo_header_sum(&out->src, &out->dst, out->src.family == 4 ? 4 : 16);
        uint64_t sum = sum_words(ip->payload, (uint64_t)pseudo + ip->declared_len);
        if (fold(sum) != 0xffff) {
            *out_reason = CAP_SKIP_BAD_CHECKSUM;
            return false;
        }
        out->checksum_verified = true;
    }
    return true;
}

bool cap_decode(int linktype, const uint8_t *pkt, size_t caplen, bool verify_checksums,
                struct cap_segment *out, enum cap_skip_reason *out_reason)
{
    /* ts_us and pkt_index belong to the caller; everything else is this frame's. */
    *out = (struct cap_segment){.ts_us = out->ts_us, .pkt_index = out->pkt_index, .wscale = -1};

    struct cur c = cur_make(pkt, caplen);
    enum link_result which;
    if (!decode_link(linktype, &c, out, &which, out_reason)) {
        return false;
    }
    if (which == LINK_EITHER) {
        uint8_t ver;
        if (!cur_peek_u8(&c, 0, &ver)) {
            *out_reason = CAP_SKIP_TRUNCATED;
            return false;
        }
        which = (ver >> 4) == 6 ? LINK_IPV6 : LINK_IPV4;
    }
    struct cur l3 = c;
    struct ip_view ip;
    bool ok = which == LINK_IPV4 ? decode_ipv4(&c, verify_checksums, out, &ip, out_reason)
                                 : decode_ipv6(&c, out, &ip, out_reason);
    if (!ok || !decode_tcp(&ip, verify_checksums, out, out_reason)) {
        return false;
    }
    /* Link-layer padding after the IP packet (Ethernet's 60-byte minimum) is not IP. */
    out->l3_len = ip.l3_len;
    (void)cur_bytes(&l3, ip.l3_len, &out->l3);
    return true;
}

const char *cap_addr_format(const struct cap_addr *a, char *buf, size_t buf_len)
{
    if (buf_len == 0) {
        return buf;
    }
    int af = a->family == 4 ? AF_INET : a->family == 6 ? AF_INET6 : -1;
    if (af < 0 || inet_ntop(af, a->bytes, buf, (socklen_t)buf_len) == NULL) {
        g_strlcpy(buf, "?", buf_len);
    }
    return buf;
}
