#!/usr/bin/env python3
"""Seeds the fuzz corpora from the real samples: handshake messages (for fuzz_hello), both
directions of TLS streams chunked in the fuzz_record step format, first segments of each
direction (fuzz_shape), small captures (fuzz_pcap),
and a few segment-operation scripts (fuzz_reasm). Needs tshark. Run from the repository root:
tests/fuzz/make-seeds.py"""
import hashlib
import os
import subprocess
import sys

ROOT = os.getcwd()
CORPUS = os.path.join(ROOT, "tests/fuzz/corpus")
PCAPS = ["samples/lab/cap.pcap", "samples/lab/alert.pcap", "samples/tls13-hrr.pcap",
         "samples/tls12-unknown-ca.pcap", "samples/tls12-sessid-resume.pcap",
         "samples/tls13-ipv6-9443.pcap", "samples/tls12-clean-sll.pcap"]


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def streams(pcap):
    """Per tcp.stream: list of (direction 0/1, bytes) in capture order."""
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp.len > 0", "-T", "fields",
                          "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.payload"],
                         capture_output=True, text=True, check=True).stdout
    res, first = {}, {}
    for line in out.splitlines():
        sid, sport, hexp = line.split("\t")
        first.setdefault(sid, sport)
        res.setdefault(sid, []).append((0 if sport == first[sid] else 1,
                                        bytes.fromhex(hexp.replace(":", ""))))
    return res


def records(stream):
    i = 0
    while i + 5 <= len(stream):
        ctype, length = stream[i], int.from_bytes(stream[i + 3:i + 5], "big")
        yield ctype, stream[i + 5:i + 5 + length]
        i += 5 + length


SELECT = {1: [0], 2: [2], 11: [3], 4: [5], 12: [7]}


def main():
    for pcap in PCAPS:
        if not os.path.exists(pcap):
            continue
        data = open(pcap, "rb").read()
        if len(data) <= 65536:
            put("fuzz_pcap", data)
        for sid, chunks in streams(pcap).items():
            step = b""
            for d, payload in chunks:
                for k in range(0, len(payload), 63 * 37 + 1):
                    piece = payload[k:k + 63 * 37 + 1]
                    n = max(0, (len(piece) - 1) // 37)
                    piece = piece[:n * 37 + 1]
                    step += bytes([(0x80 if d else 0) | n]) + piece
            put("fuzz_record", step[:65536])
            # The first payload segment of each direction, whole (split point 255).
            for d in (0, 1):
                first = next((p for dd, p in chunks if dd == d), None)
                if first:
                    put("fuzz_shape", bytes([255]) + first)
            for d in (0, 1):
                s = b"".join(p for dd, p in chunks if dd == d)
                for ctype, body in records(s):
                    if ctype != 22 or len(body) < 4:
                        continue
                    htype = body[0]
                    for sel in SELECT.get(htype, []):
                        put("fuzz_hello", bytes([sel]) + body[4:])
    # Segment scripts: in order, reordered, overlapping, with SYN/FIN/RST flags.
    for seed in (b"\x00\x02\x00\x00\x08\x12\x00\x00\x00\x10\x01\x10\x08\x10\x01\x10",
                 b"\x00\x02\x00\x00\x00\x10\x05\x20\x00\x10\xfb\x20\x00\x11\x01\x00",
                 b"\x01\x02\x00\x00\x09\x12\x00\x00\x01\x10\x7f\x40\x01\x04\x01\x00"):
        put("fuzz_reasm", seed)
    print("seeded", {t: len(os.listdir(os.path.join(CORPUS, t))) for t in os.listdir(CORPUS)})


main()
