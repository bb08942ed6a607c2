"""Small pcap/pcapng writer and reader for the hostile-input tests (python3 stdlib only).

Builds Ethernet/IPv4/TCP packets and TLS records, writes classic pcap (streamed, so
multi-megabyte adversarial captures never sit in memory) and pcapng, and splits an existing
classic pcap into its records so mutation tests can find and corrupt length fields."""
import struct

LINKTYPE_EN10MB = 1
LINKTYPE_RAW = 101
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

TLS_HANDSHAKE, TLS_APP_DATA, TLS_ALERT, TLS_CCS = 22, 23, 21, 20


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip_checksum(hdr):
    if len(hdr) % 2:
        hdr += b"\0"
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp_ipv4(src, dst, sport, dport, seq, ack=0, flags=TCP_ACK, payload=b"", window=65535,
             ether=True):
    """One Ethernet (or raw, ether=False) IPv4 TCP packet. The TCP checksum is left 0:
    tlsscope only checks it with --verify-checksums, and computing it in python for tens of
    megabytes would dominate the test's run time."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, window, 0, 0)
    total = 20 + len(tcp) + len(payload)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
    pkt = iph + tcp + payload
    if ether:
        pkt = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + pkt
    return pkt


def tls_record(ctype, body, version=0x0303, length=None):
    return struct.pack("!BHH", ctype, version, len(body) if length is None else length) + body


def handshake(htype, body, length=None):
    n = len(body) if length is None else length
    return struct.pack("!B", htype) + n.to_bytes(3, "big") + body


def client_hello(sni=b"adversarial.test"):
    """A minimal, well-formed TLS 1.2 ClientHello (RFC 5246 §7.4.1.2) with an SNI extension."""
    name = struct.pack("!BH", 0, len(sni)) + sni
    sni_ext = struct.pack("!HHH", 0, len(name) + 2, len(name)) + name
    exts = sni_ext
    body = (struct.pack("!H", 0x0303) + b"\x11" * 32 + b"\x00" +
            struct.pack("!HHH", 4, 0xC02F, 0xC030) + b"\x01\x00" +
            struct.pack("!H", len(exts)) + exts)
    return tls_record(TLS_HANDSHAKE, handshake(1, body), version=0x0301)


class PcapWriter:
    """Streams classic pcap records to a file."""

    def __init__(self, path, linktype=LINKTYPE_EN10MB, snaplen=262144, magic=PCAP_MAGIC_US):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        self.ts_us = 1_700_000_000_000_000
        self.count = 0

    def write(self, pkt, ts_us=None, orig_len=None, step_us=10):
        if ts_us is None:
            self.ts_us += step_us
            ts_us = self.ts_us
        self.f.write(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, len(pkt),
                                 len(pkt) if orig_len is None else orig_len))
        self.f.write(pkt)
        self.count += 1

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class TcpConn:
    """Writes one TCP connection's packets with running sequence numbers."""

    def __init__(self, w, cli="10.0.0.1", srv="10.0.0.2", sport=40000, dport=443,
                 isn_c=1000, isn_s=5000):
        self.w = w
        self.c, self.s = ip4(cli), ip4(srv)
        self.sport, self.dport = sport, dport
        self.seq = {True: isn_c, False: isn_s}

    def pkt(self, from_client, flags, payload=b"", seq=None, advance=True):
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        sp, dp = (self.sport, self.dport) if from_client else (self.dport, self.sport)
        s = self.seq[from_client] if seq is None else seq
        self.w.write(tcp_ipv4(src, dst, sp, dp, s, self.seq[not from_client], flags, payload))
        if advance and seq is None:
            self.seq[from_client] += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)

    def handshake(self):
        self.pkt(True, TCP_SYN)
        self.pkt(False, TCP_SYN | TCP_ACK)
        self.pkt(True, TCP_ACK)

    def send(self, from_client, data, mss=1448):
        for i in range(0, len(data), mss):
            self.pkt(from_client, TCP_ACK | TCP_PSH, data[i:i + mss])

    def close(self):
        self.pkt(True, TCP_FIN | TCP_ACK)
        self.pkt(False, TCP_FIN | TCP_ACK)
        self.pkt(True, TCP_ACK)


def read_pcap(data):
    """Splits classic pcap bytes into (header, [record offsets]). Returns None for anything
    that is not a little- or big-endian classic pcap. Stops at the first incomplete record."""
    if len(data) < 24:
        return None
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        end = "<"
    elif struct.unpack(">I", data[:4])[0] in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        end = ">"
    else:
        return None
    linktype = struct.unpack(end + "I", data[20:24])[0]
    recs = []
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if off + 16 + caplen > len(data):
            break
        recs.append(off)
        off += 16 + caplen
    return {"endian": end, "linktype": linktype, "records": recs}


def pcapng_block(btype, body):
    pad = (-len(body)) % 4
    n = 12 + len(body) + pad
    return struct.pack("<II", btype, n) + body + b"\0" * pad + struct.pack("<I", n)


def pcapng_shb():
    return pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_idb(linktype, snaplen=262144):
    return pcapng_block(1, struct.pack("<HHI", linktype, 0, snaplen))


def pcapng_epb(iface, ts_us, pkt):
    return pcapng_block(6, struct.pack("<IIIII", iface, ts_us >> 32, ts_us & 0xFFFFFFFF,
                                       len(pkt), len(pkt)) + pkt)


def split_capture(data):
    """The packets of a classic pcap or pcapng file, as dicts: rec (record or block start),
    end (its end), caplen_off / len_off (where its caplen and original length fields sit),
    data_off, caplen, link (link type), endian. None when data is neither format."""
    if len(data) >= 24 and read_pcap(data) is not None:
        info = read_pcap(data)
        e = info["endian"]
        pkts = []
        for off in info["records"]:
            caplen = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            pkts.append({"rec": off, "end": off + 16 + caplen, "caplen_off": off + 8,
                         "len_off": off + 12, "data_off": off + 16, "caplen": caplen,
                         "link": info["linktype"], "endian": e})
        return {"kind": "pcap", "header_len": 24, "packets": pkts}
    if len(data) < 12 or data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    links, pkts, off, first_data = [], [], 0, None
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        if btype == 1:
            links.append(struct.unpack(e + "H", data[off + 8:off + 10])[0])
        elif btype == 6 and blen >= 32:
            iface, caplen = struct.unpack(e + "I", data[off + 8:off + 12])[0], \
                struct.unpack(e + "I", data[off + 20:off + 24])[0]
            if first_data is None:
                first_data = off
            pkts.append({"rec": off, "end": off + blen, "caplen_off": off + 20,
                         "len_off": off + 24, "data_off": off + 28, "caplen": caplen,
                         "link": links[iface] if iface < len(links) else -1, "endian": e,
                         "blen_off": off + 4})
        off += blen
    return {"kind": "pcapng", "header_len": first_data or 0, "packets": pkts}


def layers(data, pkt):
    """Offsets into data of one packet's IP and TCP headers and TLS records, as far as they
    parse: {"ip": off, "ipv": 4|6, "tcp": off, "payload": off, "payload_end": off,
    "records": [record header offsets]}. Missing keys: that layer did not parse."""
    d, end = pkt["data_off"], min(pkt["data_off"] + pkt["caplen"], len(data))
    link = pkt["link"]
    out = {}
    if link == LINKTYPE_EN10MB:
        if d + 14 > end:
            return out
        etype, l3 = struct.unpack("!H", data[d + 12:d + 14])[0], d + 14
        while etype in (0x8100, 0x88A8) and l3 + 4 <= end:
            etype, l3 = struct.unpack("!H", data[l3 + 2:l3 + 4])[0], l3 + 4
    elif link == 276:  # LINKTYPE_LINUX_SLL2: protocol first, 20-byte header
        if d + 20 > end:
            return out
        etype, l3 = struct.unpack("!H", data[d:d + 2])[0], d + 20
    elif link == 113:  # LINKTYPE_LINUX_SLL: 16-byte header, protocol last
        if d + 16 > end:
            return out
        etype, l3 = struct.unpack("!H", data[d + 14:d + 16])[0], d + 16
    elif link in (LINKTYPE_RAW, 12):
        if d >= end:
            return out
        etype, l3 = (0x0800 if data[d] >> 4 == 4 else 0x86DD), d
    else:
        return out
    if etype == 0x0800 and l3 + 20 <= end and data[l3] >> 4 == 4:
        out.update(ip=l3, ipv=4)
        ihl = (data[l3] & 15) * 4
        if data[l3 + 9] != 6 or ihl < 20:
            return out
        tcp = l3 + ihl
    elif etype == 0x86DD and l3 + 40 <= end:
        out.update(ip=l3, ipv=6)
        if data[l3 + 6] != 6:
            return out
        tcp = l3 + 40
    else:
        return out
    if tcp + 20 > end:
        return out
    out["tcp"] = tcp
    pay = tcp + (data[tcp + 12] >> 4) * 4
    if pay > end:
        return out
    out["payload"], out["payload_end"] = pay, end
    recs, r = [], pay
    while r + 5 <= end and 20 <= data[r] <= 24 and data[r + 1] == 3:
        recs.append(r)
        r += 5 + struct.unpack("!H", data[r + 3:r + 5])[0]
    out["records"] = recs
    return out
