#!/usr/bin/env python3
"""alertlab: helpers for samples/make-alert-samples (stdlib only).

  alertlab.py proxy --listen H:P --connect H:P --flip-big DIR:NTH:BODYOFF[:XOR] [--min-len N]
                    [--log FILE] [--max-conns N]
      TCP relay that XORs one body byte of the NTH "big" TLS record of type 23 in direction DIR
      (c2s or s2c). A record is big when its length is >= --min-len (default 16000): in TLS 1.3
      the encrypted handshake flight and the session tickets are type-23 records too, so counting
      only big records lands the damage in the bulk application data whatever the stack sends
      first. Record framing is tracked on the ORIGINAL stream (RFC 8446 section 5.1). The applied
      fault is logged as one JSON line (stream offset 0 = first payload byte of DIR).

  alertlab.py abortclient HOST PORT CAFILE KEYLOG PATH VERSION(1.2|1.3)
      Python ssl client with a 32 KiB receive buffer: GET PATH and read until the TLS stack
      fails (bad_record_mac after the proxy's flip). OpenSSL sends the fatal alert itself; the
      socket is then closed without unwrap() while the server is still sending, so the kernel
      answers the queued/unread data with RST. Prints one JSON line.

  alertlab.py pyprobe HOST PORT KEYLOG
      Python ssl client (no verification) that sends GET / and reports how the handshake failed
      (used against a plain HTTP server). Prints one JSON line.

  alertlab.py retrans IN OUT MODE SRCPORT SEQ_REL_OFFSET BYTEOFF XOR NBYTES
      Edit a pcap (Ethernet/IPv4/TCP, as tcpdump writes on lo): find the TCP segment from SRCPORT
      whose payload covers relative stream offset SEQ_REL_OFFSET (0 = first payload byte of that
      direction), then insert a duplicate of it (same seq) with NBYTES bytes from payload offset
      BYTEOFF XORed with XOR. MODE "after": the copy goes right after the original (a retransmission
      the receiver ignores). MODE "restore-after": same, but BYTEOFF is taken as the byte at
      SEQ_REL_OFFSET itself: the duplicate carries the bytes the server sent for a segment the
      proxy damaged (XOR undoes the flip); captured_bytes/inserted_bytes in the output say which. IPv4 header and TCP
      checksums of the inserted packet are recomputed (valid); the captured packets are untouched.
      Prints one JSON line describing the edit.

  alertlab.py truth OUTDIR INTENT_JSON
      Read every capture named in the intent file, decode with tshark (with and without its key
      log), write OUTDIR/truth.json, and fail if tshark disagrees with the intent.
"""
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

TLS_HEADER_LEN = 5


# ------------------------------------------------------------------------------------------ proxy
def hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Flipper:
    def __init__(self, name, rule, min_len, log, conn_id):
        self.name, self.rule, self.min_len, self.log, self.conn_id = name, rule, min_len, log, conn_id
        self.offset = 0
        self.hdr = bytearray()
        self.body_left = 0
        self.body_off = 0
        self.rtype = None
        self.rlen = 0
        self.rec_start = 0
        self.big_seen = 0
        self.nth_cur = 0

    def transform(self, data):
        out = bytearray(data)
        for i, b in enumerate(data):
            if self.body_left > 0:
                r = self.rule
                if r and r["dir"] == self.name and self.rtype == 23 and self.nth_cur == r["nth"] \
                        and self.body_off == r["bodyoff"]:
                    nb = b ^ r["xor"]
                    out[i] = nb
                    self.log(dict(conn=self.conn_id, dir=self.name, action="flip", offset=self.offset,
                                  record_offset=self.rec_start, record_len=self.rlen,
                                  big_record_nth=self.nth_cur, body_offset=self.body_off,
                                  old=b, new=nb))
                self.body_left -= 1
                self.body_off += 1
            else:
                if not self.hdr:
                    self.rec_start = self.offset
                self.hdr.append(b)
                if len(self.hdr) == TLS_HEADER_LEN:
                    self.rtype = self.hdr[0]
                    self.rlen = self.body_left = (self.hdr[3] << 8) | self.hdr[4]
                    self.body_off = 0
                    self.nth_cur = 0
                    if self.rtype == 23 and self.rlen >= self.min_len:
                        self.big_seen += 1
                        self.nth_cur = self.big_seen
                    self.hdr.clear()
            self.offset += 1
        return bytes(out)


def pump(src, dst, flipper, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(flipper.transform(data))
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    except OSError as e:
        flipper.log(dict(conn=flipper.conn_id, dir=flipper.name, action="error", error=str(e)))
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    finally:
        done.release()


def proxy(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="alertlab.py proxy")
    ap.add_argument("--listen", required=True)
    ap.add_argument("--connect", required=True)
    ap.add_argument("--flip-big")
    ap.add_argument("--min-len", type=int, default=16000)
    ap.add_argument("--log")
    ap.add_argument("--max-conns", type=int, default=0)
    a = ap.parse_args(argv)
    rule = None
    if a.flip_big:
        p = a.flip_big.split(":")
        rule = dict(dir=p[0], nth=int(p[1], 0), bodyoff=int(p[2], 0),
                    xor=int(p[3], 0) if len(p) > 3 else 1)
    lock = threading.Lock()
    logf = open(a.log, "a") if a.log else sys.stderr

    def log(obj):
        with lock:
            logf.write(json.dumps(obj, sort_keys=True) + "\n")
            logf.flush()

    host, port = hostport(a.listen)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(16)
    target = hostport(a.connect)
    n = 0
    threads = []

    def handle(client, cid):
        server = socket.create_connection(target)
        done = threading.Semaphore(0)
        threading.Thread(target=pump, args=(client, server, Flipper("c2s", rule, a.min_len, log, cid), done),
                         daemon=True).start()
        threading.Thread(target=pump, args=(server, client, Flipper("s2c", rule, a.min_len, log, cid), done),
                         daemon=True).start()
        done.acquire()
        done.acquire()
        log(dict(conn=cid, action="closed"))
        client.close()
        server.close()

    while a.max_conns == 0 or n < a.max_conns:
        c, _ = ls.accept()
        n += 1
        t = threading.Thread(target=handle, args=(c, n), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


# ---------------------------------------------------------------------------------------- clients
def abortclient(host, port, cafile, keylog, path, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    v = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = v
    if v == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    ctx.keylog_filename = keylog
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    raw.settimeout(10)
    raw.connect((host, int(port)))
    s = ctx.wrap_socket(raw, server_hostname="tlsscope.test")
    s.sendall(b"GET /" + path.encode() + b" HTTP/1.0\r\n\r\n")
    got, err = 0, None
    try:
        while True:
            chunk = s.recv(16384)
            if not chunk:
                break
            got += len(chunk)
    except ssl.SSLError as e:
        err = e.reason or str(e)
    print(json.dumps({"read_bytes": got, "error": err, "version": s.version(), "cipher": s.cipher()[0]}),
          flush=True)
    s.close()  # no unwrap(): unread data queued in the kernel -> RST
    return 0 if err else 1


def pyprobe(host, port, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.keylog_filename = keylog
    raw = socket.create_connection((host, int(port)), timeout=5)
    res = {}
    try:
        s = ctx.wrap_socket(raw, server_hostname="tlsscope.test")
        res["handshake"] = "completed"
        s.close()
    except ssl.SSLError as e:
        res["handshake"] = "failed"
        res["error"] = e.reason or str(e)
        raw.close()
    print(json.dumps(res), flush=True)


# ---------------------------------------------------------------------------------- pcap editing
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def read_pcap(path):
    with open(path, "rb") as f:
        gh = f.read(24)
        magic = struct.unpack("<I", gh[:4])[0]
        if magic not in (0xa1b2c3d4, 0xa1b23c4d):
            sys.exit("retrans: not a little-endian pcap: " + path)
        linktype = struct.unpack("<I", gh[20:24])[0]
        if linktype != 1:
            sys.exit("retrans: want Ethernet link type, got %d" % linktype)
        pkts = []
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                break
            ts, tfrac, incl, orig = struct.unpack("<IIII", ph)
            pkts.append([ts, tfrac, incl, orig, f.read(incl)])
    return gh, magic, pkts


def tcp_of(frame):
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = 14
    ihl = (frame[ip] & 0x0f) * 4
    if frame[ip + 9] != 6:
        return None
    tl = struct.unpack("!H", frame[ip + 2:ip + 4])[0]
    t = ip + ihl
    sport, dport, seq = struct.unpack("!HHI", frame[t:t + 8])
    doff = (frame[t + 12] >> 4) * 4
    flags = frame[t + 13]
    pay = t + doff
    return dict(ip=ip, ihl=ihl, tl=tl, t=t, sport=sport, dport=dport, seq=seq, flags=flags,
                pay=pay, plen=ip + tl - pay)


def fix_checksums(frame, info):
    f = bytearray(frame)
    ip, t = info["ip"], info["t"]
    f[ip + 10:ip + 12] = b"\0\0"
    f[ip + 10:ip + 12] = struct.pack("!H", csum(bytes(f[ip:ip + info["ihl"]])))
    seg = bytes(f[t:ip + info["tl"]])
    seg = seg[:16] + b"\0\0" + seg[18:]
    pseudo = bytes(f[ip + 12:ip + 20]) + struct.pack("!BBH", 0, 6, len(seg))
    f[t + 16:t + 18] = struct.pack("!H", csum(pseudo + seg))
    return bytes(f)


def retrans(inp, outp, mode, srcport, rel_off, byteoff, xor, nbytes):
    srcport, rel_off, byteoff, xor, nbytes = int(srcport), int(rel_off), int(byteoff), int(xor, 0), int(nbytes)
    gh, magic, pkts = read_pcap(inp)
    isn = None
    target = None
    for i, p in enumerate(pkts):
        info = tcp_of(p[4])
        if not info or info["sport"] != srcport:
            continue
        if info["flags"] & 0x02:  # SYN
            isn = info["seq"]
            continue
        if isn is None or info["plen"] <= 0:
            continue
        start = (info["seq"] - isn - 1) & 0xffffffff
        if start <= rel_off < start + info["plen"]:
            target = (i, info, start)
            break
    if target is None:
        sys.exit("retrans: no segment from port %d covers offset %d" % (srcport, rel_off))
    i, info, start = target
    if mode == "restore-after":
        byteoff = rel_off - start  # the damaged byte itself
    if byteoff + nbytes > info["plen"]:
        sys.exit("retrans: bytes to change run past the segment")
    frame = bytearray(pkts[i][4])
    old = bytes(frame[info["pay"] + byteoff:info["pay"] + byteoff + nbytes])
    for k in range(nbytes):
        frame[info["pay"] + byteoff + k] ^= xor
    new = bytes(frame[info["pay"] + byteoff:info["pay"] + byteoff + nbytes])
    frame = fix_checksums(bytes(frame), info)
    ts0 = pkts[i][0] * 1_000_000 + pkts[i][1] if magic == 0xa1b2c3d4 else None
    if ts0 is None:
        sys.exit("retrans: nanosecond pcap not supported")
    if i + 1 < len(pkts):
        ts1 = pkts[i + 1][0] * 1_000_000 + pkts[i + 1][1]
        tsn = ts0 + max(0, (ts1 - ts0) // 2)
    else:
        tsn = ts0 + 1
    dup = [tsn // 1_000_000, tsn % 1_000_000, len(frame), len(frame), frame]
    pkts.insert(i + 1, dup)
    with open(outp, "wb") as f:
        f.write(gh)
        for p in pkts:
            f.write(struct.pack("<IIII", p[0], p[1], p[2], p[3]))
            f.write(p[4])
    print(json.dumps(dict(original_frame=i + 1, inserted_frame=i + 2, tcp_srcport=srcport,
                          rel_seq_start=start, segment_len=info["plen"], payload_offset=byteoff,
                          stream_offset=start + byteoff, nbytes=nbytes, xor=xor,
                          captured_bytes=old.hex(), inserted_bytes=new.hex())))


# ----------------------------------------------------------------------------------------- truth
ALERT_NAMES = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
               22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
               43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
               46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
               49: "access_denied", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
               71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
               90: "user_canceled", 109: "missing_extension", 110: "unsupported_extension",
               112: "unrecognized_name", 116: "certificate_required", 120: "no_application_protocol"}
LEVELS = {1: "warning", 2: "fatal"}
VERSIONS = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
          "tcp.flags.fin", "tcp.flags.reset", "tcp.len", "tls.record.content_type",
          "tls.handshake.type", "tls.handshake.version", "tls.handshake.extensions.supported_version",
          "tls.handshake.session_id_length", "tls.handshake.ciphersuite",
          "tls.alert_message.level", "tls.alert_message.desc", "tcp.analysis.retransmission"]


def num(v):
    return int(v, 0)


def tshark_rows(pcap, ports, keylog):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]
    for p in ports:
        cmd += ["-d", "tcp.port==%d,tls" % p]
    if keylog:
        cmd += ["-o", "tls.keylog_file:" + keylog]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        rows.append({f: [x for x in v.split("|") if x != ""] for f, v in zip(FIELDS, vals)})
    return rows


def analyse(pcap, ports, keylog):
    dec = tshark_rows(pcap, ports, keylog)
    raw = tshark_rows(pcap, ports, None)
    conns = {}
    order = []
    for r, rr in zip(dec, raw):
        sp, dp = num(r["tcp.srcport"][0]), num(r["tcp.dstport"][0])
        stream = num(r["tcp.stream"][0])
        if stream not in conns:
            if not (r["tcp.flags.syn"] == ["1"] and r["tcp.flags.ack"] == ["0"]):
                sys.exit("truth: %s: stream %d does not start with a SYN" % (pcap, stream))
            conns[stream] = dict(client_port=sp, server_port=dp, tcp_stream=stream, ch_versions=None,
                                 sh_version=None, sh_supported=None, ch_sid_len=None, sh_sid_len=None,
                                 cipher=None, alerts=[], fin=set(), rst=set(), hs={"client": [], "server": []},
                                 app={"client": 0, "server": 0}, retrans={"client": 0, "server": 0},
                                 packets=0, frames=[], fatal_seen=False, after={"client": 0, "server": 0})
            order.append(stream)
        c = conns[stream]
        side = "client" if sp == c["client_port"] else "server"
        c["packets"] += 1
        if r["tcp.flags.fin"] == ["1"]:
            c["fin"].add(side)
        if r["tcp.flags.reset"] == ["1"]:
            c["rst"].add(side)
        if r["tcp.analysis.retransmission"]:
            c["retrans"][side] += 1
        if c["fatal_seen"] and r["tcp.len"] and num(r["tcp.len"][0]) > 0:
            c["after"][side] += 1
        hts = [num(x) for x in r["tls.handshake.type"]]
        c["hs"][side] += hts
        if 1 in hts:
            c["ch_versions"] = [num(x) for x in r["tls.handshake.version"]][:1] + \
                [num(x) for x in r["tls.handshake.extensions.supported_version"]]
            c["ch_sid_len"] = num(r["tls.handshake.session_id_length"][0]) \
                if r["tls.handshake.session_id_length"] else None
        if 2 in hts:
            hv = [num(x) for x in r["tls.handshake.version"]]
            sids = r["tls.handshake.session_id_length"]
            c["sh_version"] = hv[-1] if hv else None
            sv = [num(x) for x in r["tls.handshake.extensions.supported_version"]]
            c["sh_supported"] = sv[-1] if sv else None
            c["sh_sid_len"] = num(sids[-1]) if sids else None
            cs = r["tls.handshake.ciphersuite"]
            c["cipher"] = num(cs[-1]) if cs else None
        c["app"][side] += sum(1 for x in r["tls.record.content_type"] if num(x) == 23)
        plain = list(zip(rr["tls.alert_message.level"], rr["tls.alert_message.desc"]))
        for lv, ds in zip(r["tls.alert_message.level"], r["tls.alert_message.desc"]):
            lv, ds = num(lv), num(ds)
            enc = True
            if (str(lv), str(ds)) in plain:
                plain.remove((str(lv), str(ds)))
                enc = False
            if lv == 2:
                c["fatal_seen"] = True
            c["alerts"].append(dict(frame=num(r["frame.number"][0]), **{"from": side},
                                    level=LEVELS.get(lv, str(lv)), level_code=lv,
                                    description=ALERT_NAMES.get(ds, str(ds)), code=ds, encrypted=enc))
        if rr["tls.alert_message.desc"] and not r["tls.alert_message.desc"]:
            sys.exit("truth: %s frame %s: alert visible without keys but not with" % (pcap, r["frame.number"]))
    result = []
    for s in order:
        c = conns[s]
        if c["sh_supported"] == 0x0304:
            version = "TLS 1.3"
        elif c["sh_version"] is not None:
            version = VERSIONS.get(c["sh_version"], hex(c["sh_version"]))
        else:
            version = None
        offered = None
        if c["ch_versions"]:
            vs = c["ch_versions"][1:] or c["ch_versions"][:1]
            offered = [VERSIONS.get(v, "0x%04x" % v) for v in vs]
        result.append({
            "client_port": c["client_port"],
            "server_port": c["server_port"],
            "tcp_stream": c["tcp_stream"],
            "packets": c["packets"],
            "client_hello_versions": offered,
            "client_hello_session_id_len": c["ch_sid_len"],
            "version": version,
            "cipher_code": "0x%04x" % c["cipher"] if c["cipher"] is not None else None,
            "server_hello_session_id_len": c["sh_sid_len"],
            "server_hello": 2 in c["hs"]["server"],
            "client_finished": 20 in c["hs"]["client"],
            "server_finished": 20 in c["hs"]["server"],
            "app_data_records": c["app"],
            "alerts": c["alerts"],
            "close_notify": {sd: any(a["from"] == sd and a["code"] == 0 for a in c["alerts"])
                             for sd in ("client", "server")},
            "fin_from": sorted(c["fin"]),
            "rst_from": sorted(c["rst"]),
            "retransmissions": c["retrans"],
            # TCP segments with payload sent by each side after the frame of the first fatal alert
            "payload_segments_after_fatal_alert": c["after"],
        })
    return result


def check(name, got, want):
    """want: dict of expected facts; values compared exactly. 'alerts' is a list of
    [from, level, description] (encrypted flag optional as 4th element)."""
    errs = []
    for k, v in want.items():
        if k in ("scenario", "client_stack", "server_stack", "note"):
            continue
        if k == "alerts":
            g = [[a["from"], a["level"], a["description"]] + ([a["encrypted"]] if len(w) > 3 else [])
                 for a, w in zip(got["alerts"], v)]
            if len(got["alerts"]) != len(v) or g != [list(w) for w in v]:
                errs.append("alerts: tshark %s, intended %s" %
                            ([[a["from"], a["level"], a["description"], a["encrypted"]] for a in got["alerts"]], v))
        elif k == "alerts_contain":
            have = [[a["from"], a["level"], a["description"]] for a in got["alerts"]]
            for w in v:
                if list(w) not in have:
                    errs.append("alerts: tshark %s lacks intended %s" % (have, w))
        elif k == "payload_segments_after_fatal_alert_min":
            for sd, n in v.items():
                if got["payload_segments_after_fatal_alert"][sd] < n:
                    errs.append("payload_segments_after_fatal_alert[%s] < %d" % (sd, n))
        elif k in ("app_data_records_min",):
            for sd, n in v.items():
                if got["app_data_records"][sd] < n:
                    errs.append("app_data_records[%s] %d < %d" % (sd, got["app_data_records"][sd], n))
        elif k in ("app_data_records_max",):
            for sd, n in v.items():
                if got["app_data_records"][sd] > n:
                    errs.append("app_data_records[%s] %d > %d" % (sd, got["app_data_records"][sd], n))
        else:
            if got.get(k) != v:
                errs.append("%s: tshark says %r, intended %r" % (k, got.get(k), v))
    return ["%s port %d: %s" % (name, got["client_port"], e) for e in errs]


def truth(outdir, intent_path):
    with open(intent_path) as f:
        intent = json.load(f)
    doc = {"generator": "samples/make-alert-samples (alertlab.py truth)",
           "tshark": subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
           "notes": ["Facts are read from tshark's decryption with keys/<capture>.keylog and cross-checked "
                     "against what each scenario was built to do; make-alert-samples fails on any mismatch.",
                     "alerts: every alert record in capture order; 'from' is client (the side that sent the SYN) "
                     "or server; 'encrypted' means tshark can read it only with the key log.",
                     "close_notify[side]: that side sent an alert with description 0.",
                     "app_data_records: decrypted records of content type 23 per side (a record tshark cannot "
                     "decrypt, e.g. a damaged one, still counts as 23)."],
           "captures": {}}
    errors = []
    for cap in intent["captures"]:
        name = cap["file"]
        pcap = os.path.join(outdir, name)
        keylog = os.path.join(outdir, "keys", cap["keylog"])
        conns = analyse(pcap, cap["tls_ports"], keylog)
        # second opinion: the plain one-liner (no decode-as) must list the same alerts
        plain = subprocess.run(["tshark", "-n", "-r", pcap, "-o", "tls.keylog_file:" + keylog, "-Y", "tls.alert_message",
                                "-T", "fields", "-e", "tcp.srcport", "-e", "tls.alert_message.level",
                                "-e", "tls.alert_message.desc"], check=True, capture_output=True, text=True).stdout
        one = sorted(tuple(line.split("\t")) for line in plain.splitlines() if line.strip())
        mine = sorted((str(c["client_port"] if a["from"] == "client" else c["server_port"]),
                       str(a["level_code"]), str(a["code"])) for c in conns for a in c["alerts"])
        if one != mine:
            errors.append("%s: tshark one-liner alerts %s != decoded %s" % (name, one, mine))
        if len(conns) != len(cap["connections"]):
            errors.append("%s: %d connections in the capture, %d intended" % (name, len(conns), len(cap["connections"])))
        merged = []
        for got, want in zip(conns, cap["connections"]):
            errors += check(name, got, want)
            head = {k: want[k] for k in ("scenario", "client_stack", "server_stack", "note") if k in want}
            got["intended"] = {k: v for k, v in want.items() if k not in head}
            merged.append({**head, **got})
        conns = merged + conns[len(merged):]
        entry = {"scenario": cap["scenario"], "keylog": "keys/" + cap["keylog"], "tls_ports": cap["tls_ports"],
                 "connections": conns}
        for k in ("edit", "fault", "note", "companion"):
            if k in cap:
                entry[k] = cap[k]
        doc["captures"][name] = entry
    if errors:
        for e in errors:
            print("truth: MISMATCH " + e, file=sys.stderr)
        with open(os.path.join(outdir, "truth.rejected.json"), "w") as f:
            json.dump(doc, f, indent=1)
        sys.exit("truth: tshark disagrees with the intent (%d problems); see truth.rejected.json" % len(errors))
    with open(os.path.join(outdir, "truth.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    for name, e in doc["captures"].items():
        for c in e["connections"]:
            al = ",".join("%s:%s/%s%s" % (a["from"][0], a["level"][0], a["description"], "*" if a["encrypted"] else "")
                          for a in c["alerts"]) or "-"
            print("%-34s %5d %-8s %-28s fin=%s rst=%s" % (name, c["client_port"], c["version"] or "-", al,
                                                        "+".join(c["fin_from"]) or "-", "+".join(c["rst_from"]) or "-"))


def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "proxy":
        proxy(a)
    elif cmd == "abortclient":
        sys.exit(abortclient(*a))
    elif cmd == "pyprobe":
        pyprobe(*a)
    elif cmd == "retrans":
        retrans(*a)
    elif cmd == "truth":
        truth(*a)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
