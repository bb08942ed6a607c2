#!/usr/bin/env bash
# e2e_samples_sanity: every sample listed in samples/truth.json exists, is readable, and shows in
# tshark exactly the TLS facts truth.json claims (versions, ciphers, resumption offered/accepted,
# HelloRetryRequest, alerts with sender/level/description/encryption, RSTs, and the fault
# positions: flipped byte, dropped bytes, removed packets). tshark is the oracle, not tlsscope,
# so this guards the samples themselves: a regenerated capture that no longer matches its truth
# fails here before any tlsscope test trusts it.
#
# Args (ctest e2e convention): <tlsscope binary (unused)> <source dir> <build dir (unused)>
#       [samples dir, default <source dir>/samples]. Exit 77 (skip) without tshark or python3.
set -euo pipefail
SRC=${2:-$(cd "$(dirname "$0")/.." && pwd)}
SAMPLES=${4:-$SRC/samples}
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
[ -f "$SAMPLES/truth.json" ] || { echo "FAIL: $SAMPLES/truth.json missing"; exit 1; }

exec python3 - "$SAMPLES" <<'PYEOF'
import json
import os
import struct
import subprocess
import sys

SAMPLES = sys.argv[1]
HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"  # RFC 8446 4.1.3
VERSIONS = {"0x0303": "TLS 1.2", "0x0304": "TLS 1.3"}
LINKTYPES = {1: "EN10MB", 113: "LINUX_SLL", 276: "LINUX_SLL2"}
FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "ip.src", "ipv6.src", "tcp.flags.reset",
          "tcp.seq", "tcp.len", "tcp.analysis.lost_segment", "tcp.analysis.out_of_order",
          "tcp.analysis.retransmission",
          "tls.record.content_type", "tls.record.length",
          "tls.alert_message.level", "tls.alert_message.desc", "tls.handshake.type",
          "tls.handshake.ciphersuite", "tls.handshake.version",
          "tls.handshake.extensions.supported_version", "tls.handshake.random",
          "tls.handshake.session_id", "tls.handshake.extension.type",
          "tls.handshake.extension.len"]
errors = []


def err(sample, msg):
    errors.append("%s: %s" % (sample, msg))


def file_info(path):
    """(format, linktype name) from the file header itself."""
    with open(path, "rb") as f:
        head = f.read(4096)
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "pcap", LINKTYPES.get(struct.unpack_from("<I", head, 20)[0])
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return "pcap", LINKTYPES.get(struct.unpack_from(">I", head, 20)[0])
    if magic == b"\x0a\x0d\x0d\x0a":
        bom = head[8:12]
        e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
        shb_len = struct.unpack_from(e + "I", head, 4)[0]
        btype, = struct.unpack_from(e + "I", head, shb_len)
        if btype != 1:
            return "pcapng", None
        return "pcapng", LINKTYPES.get(struct.unpack_from(e + "H", head, shb_len + 8)[0])
    return None, None


def tshark_rows(path, ports, keylog):
    cmd = ["tshark", "-n", "-r", path, "-o", "tls.keylog_file:" + keylog,
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for p in ports:
        cmd += ["-d", "tcp.port==%d,tls" % p]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        rows.append({f: (v.split(",") if v else []) for f, v in zip(FIELDS, vals)})
    return rows


def follow_raw(path, stream, ports):
    """(c2s bytes, s2c bytes) of one TCP stream, from tshark's follow,tcp,raw."""
    cmd = ["tshark", "-n", "-r", path, "-q", "-z", "follow,tcp,raw,%d" % stream]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    c2s, s2c = bytearray(), bytearray()
    body = False
    for line in out.splitlines():
        if line.startswith("Node 1:"):
            body = True
            continue
        if not body or line.startswith("====") or not line.strip():
            continue
        (s2c if line.startswith("\t") else c2s).extend(bytes.fromhex(line.strip()))
    return bytes(c2s), bytes(s2c)


def observe(rows, ports):
    """Per tcp.stream facts, as tshark sees them; the server end is the port listed in ports."""
    streams = {}
    issued_ids = set()
    for r in rows:
        if not r["tcp.stream"]:
            continue
        st = int(r["tcp.stream"][0])
        sport = int(r["tcp.srcport"][0])
        dport = int(r["tcp.dstport"][0])
        o = streams.setdefault(st, {"client_ip": None,
                                    "server_port": sport if sport in ports else dport, "sh": 0, "hrr": False,
                                    "version": None, "cipher": None, "server_cert": False,
                                    "fin_client": False, "fin_server": False, "ch": None,
                                    "alerts": [], "rst_from": set()})
        side = "server" if sport == o["server_port"] else "client"
        if side == "client" and o["client_ip"] is None:
            o["client_ip"] = (r["ipv6.src"] or r["ip.src"] or [None])[0]
        if r["tcp.flags.reset"] and r["tcp.flags.reset"][0] in ("1", "True"):
            o["rst_from"].add(side)
        hs = r["tls.handshake.type"]
        if side == "client" and "1" in hs and o["ch"] is None:
            types = r["tls.handshake.extension.type"]
            lens = r["tls.handshake.extension.len"]
            exts = dict(zip(types, lens)) if len(types) == len(lens) else {}
            o["ch"] = {"session_id": (r["tls.handshake.session_id"] or [""])[0],
                       "exts": exts}
        if side == "server" and "2" in hs:
            o["sh"] += hs.count("2")
            if HRR_RANDOM in r["tls.handshake.random"]:
                o["hrr"] = True
            sv = r["tls.handshake.extensions.supported_version"]
            v = sv[-1] if sv else (r["tls.handshake.version"] or [None])[-1]
            o["version"] = VERSIONS.get(v, v)
            if r["tls.handshake.ciphersuite"]:
                o["cipher"] = r["tls.handshake.ciphersuite"][-1]
            for sid in r["tls.handshake.session_id"]:
                issued_ids.add((st, sid))
        if side == "server" and "11" in hs:
            o["server_cert"] = True
        if "20" in hs:
            o["fin_" + side] = True
        ctypes, rlens = r["tls.record.content_type"], r["tls.record.length"]
        levels, descs = r["tls.alert_message.level"], r["tls.alert_message.desc"]
        alert_lens = [int(l) for c, l in zip(ctypes, rlens) if c == "21"]
        for i, ln in enumerate(alert_lens):
            # a desc tshark could not read (no key) shows as None and fails the comparison
            ok = len(descs) == len(alert_lens)
            o["alerts"].append({"from": side, "level_code": int(levels[i]) if ok else None,
                                "code": int(descs[i]) if ok else None, "encrypted": ln != 2})
    for st, o in streams.items():
        ch = o["ch"]
        offered = None
        if ch:
            if "41" in ch["exts"]:
                offered = "psk"
            elif int(ch["exts"].get("35", "0")) > 0:
                offered = "ticket"
            elif ch["session_id"] and any(s < st and sid == ch["session_id"] for s, sid in issued_ids):
                offered = "session_id"
        o["offered"] = offered
        o["resumed"] = o["sh"] > 0 and not o["server_cert"]
        o["completed"] = o["fin_client"] and o["fin_server"]
    return streams


def compare(name, want, o, label):
    got = {
        "server_port": o["server_port"], "client_ip": o["client_ip"], "version": o["version"],
        "cipher_code": o["cipher"], "handshake_completed": o["completed"],
        "resumption_offered": o["offered"], "resumed": o["resumed"],
        "hello_retry_request": o["hrr"],
        "alerts": [(a["from"], a["level_code"], a["code"], a["encrypted"]) for a in o["alerts"]],
        "rst_from": sorted(o["rst_from"]),
    }
    # an alert marked optional (e.g. past a framing break) may or may not be found by tshark:
    # drop it from both sides, matching by sender and protection
    opt = {(a["from"], a["encrypted"]) for a in want["alerts"] if a.get("optional")}
    got["alerts"] = [a for a in got["alerts"] if (a[0], a[3]) not in opt]
    want = dict(want, alerts=[a for a in want["alerts"] if not a.get("optional")])
    exp = dict(want)
    # an alert truth marks tshark_decrypts=false was sent, but tshark cannot read it (the
    # capture lost records before it): only its sender and protection can be checked
    exp["alerts"] = [(a["from"], a["level_code"], a["code"], a["encrypted"])
                     if a.get("tshark_decrypts", True) else (a["from"], None, None, a["encrypted"])
                     for a in want["alerts"]]
    if want.get("alerts_order") == "per_sender":
        exp["alerts"] = sorted(exp["alerts"], key=lambda a: a[0])   # stable: keeps each
        got["alerts"] = sorted(got["alerts"], key=lambda a: a[0])   # sender's own order
    for k, v in got.items():
        if exp.get(k) != v:
            err(name, "%s %s: truth says %r, tshark sees %r" % (label, k, exp.get(k), v))


truth = json.load(open(os.path.join(SAMPLES, "truth.json")))
if not truth.get("samples"):
    err("truth.json", "no samples")
for s in truth["samples"]:
    name = s["name"]
    path = os.path.join(SAMPLES, s["file"])
    keylog = os.path.join(SAMPLES, s["keylog"])
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        err(name, "capture missing or empty: " + path)
        continue
    if not os.path.isfile(keylog):
        err(name, "key log missing: " + keylog)
        continue
    fmt, link = file_info(path)
    if (fmt, link) != (s["format"], s["linktype"]):
        err(name, "file is %s/%s, truth says %s/%s" % (fmt, link, s["format"], s["linktype"]))
    try:
        rows = tshark_rows(path, s["tls_ports"], keylog)
    except subprocess.CalledProcessError as e:
        err(name, "tshark cannot read it: " + e.stderr.strip())
        continue
    if s.get("each_connection"):
        want = s["each_connection"]
        obs = observe(rows, s["tls_ports"])
        if len(obs) < s["min_connections"]:
            err(name, "%d connections, truth says at least %d" % (len(obs), s["min_connections"]))
        checked = sorted(obs)
        if s.get("last_connection_may_be_cut") and checked:
            checked = checked[:-1]
        for st in checked:
            compare(name, want, obs[st], "stream %d" % st)
    obs = observe(rows, s["tls_ports"])
    for c in s["connections"]:
        if c["tcp_stream"] not in obs:
            err(name, "tcp.stream %d not found" % c["tcp_stream"])
            continue
        compare(name, c, obs[c["tcp_stream"]], "stream %d" % c["tcp_stream"])
    if not s.get("each_connection"):
        seen = set(obs)
        listed = {c["tcp_stream"] for c in s["connections"]}
        if seen - listed:
            err(name, "streams %s in the capture are not in truth.json" % sorted(seen - listed))

    # the capture itself must be clean unless packets were removed on purpose: tlsscope tests
    # rely on in-order, complete segments
    if not s.get("removed_packets"):
        bad = [r["frame.number"][0] for r in rows if r["tcp.analysis.lost_segment"] or
               r["tcp.analysis.out_of_order"] or r["tcp.analysis.retransmission"]]
        if bad:
            err(name, "tshark flags lost/out-of-order/retransmitted segments in frames %s"
                % bad[:5])

    fault = s.get("fault")
    if fault and fault["kind"] == "flip":
        orig_c2s, _ = follow_raw(path, fault["original_leg_stream"], s["tls_ports"])
        dmg_c2s, _ = follow_raw(path, fault["damaged_leg_stream"], s["tls_ports"])
        off = fault["stream_offset"]
        if len(orig_c2s) <= off or len(dmg_c2s) != len(orig_c2s):
            err(name, "flip: legs have %d and %d c2s bytes, offset %d"
                % (len(orig_c2s), len(dmg_c2s), off))
        else:
            diff = [i for i in range(len(orig_c2s)) if orig_c2s[i] != dmg_c2s[i]]
            if diff != [off] or orig_c2s[off] != fault["original_byte"] \
                    or dmg_c2s[off] != fault["flipped_byte"]:
                err(name, "flip: legs differ at %s (truth: only %d, %d -> %d)"
                    % (diff[:5], off, fault["original_byte"], fault["flipped_byte"]))
    if fault and fault["kind"] in ("drop", "truncate"):
        _, s2c = follow_raw(path, s["connections"][0]["tcp_stream"], s["tls_ports"])
        if len(s2c) != fault["captured_s2c_bytes"]:
            err(name, "%s: %d s2c bytes captured, truth says %d"
                % (fault["kind"], len(s2c), fault["captured_s2c_bytes"]))
        for a in s["connections"][0]["alerts"]:
            if a.get("optional") and "stream_offset" in a:
                o = a["stream_offset"]
                if s2c[o:o + 3] != b"\x15\x03\x03" or o + 5 + struct.unpack_from(">H", s2c, o + 3)[0] != len(s2c):
                    err(name, "no alert record ending the s2c stream at offset %d" % o)
        if fault["kind"] == "truncate" and fault["record_offset"] + 5 + fault["record_body_len"] <= len(s2c):
            err(name, "truncate: the record at %d is complete in the capture" % fault["record_offset"])
        if fault.get("server_leg_file"):
            # the server leg holds the undamaged stream: removing exactly [X, X+count) from it
            # must give the client leg
            _, full = follow_raw(os.path.join(SAMPLES, fault["server_leg_file"]), 0, [])
            x, n = fault["stream_offset"], fault["count"]
            if len(full) != fault["server_sent_bytes"] or full[:x] + full[x + n:] != s2c:
                err(name, "drop: server leg (%d bytes) minus [%d, %d) is not the client leg"
                    % (len(full), x, x + n))
        # walk the record headers from offset 0: the drop's record must start exactly at
        # record_offset, be the nth record of its type, and contain stream_offset
        pos, nth = 0, 0
        while pos + 5 <= len(s2c) and pos < fault["record_offset"]:
            if s2c[pos] == fault["record_type"]:
                nth += 1
            pos += 5 + struct.unpack_from(">H", s2c, pos + 3)[0]
        hdr_ok = pos == fault["record_offset"] and pos + 5 <= len(s2c) \
            and s2c[pos] == fault["record_type"]
        if not hdr_ok:
            err(name, "%s: no record header at stream offset %d"
                % (fault["kind"], fault["record_offset"]))
        else:
            body_len = struct.unpack_from(">H", s2c, pos + 3)[0]
            if nth + 1 != fault["record_nth"] or body_len != fault["record_body_len"] or \
                    not (pos + 5 <= fault["stream_offset"] < pos + 5 + body_len) or \
                    fault["stream_offset"] - pos - 5 != fault["body_offset"]:
                err(name, fault["kind"] + ": record at %d is #%d of type %d, body %d; truth: #%d, body %d, "
                    "drop at %d" % (pos, nth + 1, s2c[pos], body_len, fault["record_nth"],
                                    fault["record_body_len"], fault["stream_offset"]))
    if s.get("removed_packets"):
        base = os.path.join(SAMPLES, s["based_on"])
        port = s["tls_ports"][0]
        def segs(p):
            out = subprocess.run(["tshark", "-n", "-r", p, "-Y", "tcp.srcport==%d && tcp.len>0" % port,
                                  "-T", "fields", "-e", "tcp.seq", "-e", "tcp.len"],
                                 capture_output=True, text=True, check=True).stdout
            return [tuple(map(int, l.split())) for l in out.splitlines()]
        bsegs, lsegs = segs(base), segs(path)
        gone = set(bsegs) - set(lsegs)
        want = {(r["tcp_seq_relative"], r["length"]) for r in s["removed_packets"]}
        if gone != want or len(bsegs) - len(lsegs) != len(want):
            err(name, "removed segments (seq, len): tshark %s, truth %s" % (sorted(gone), sorted(want)))
        lost = sum(1 for r in rows if r["tcp.analysis.lost_segment"])
        if lost < 1:
            err(name, "tshark flags no 'previous segment not captured'")
        for r in s["removed_packets"]:
            if r["stream_offset_begin"] != r["tcp_seq_relative"] - 1:
                err(name, "removed frame %d: offsets inconsistent" % r["frame"])

total = sum(os.path.getsize(os.path.join(SAMPLES, s["file"])) for s in truth["samples"]
            if os.path.exists(os.path.join(SAMPLES, s["file"])))
if total > 10 * 1024 * 1024:
    err("samples", "captures total %d bytes, budget is 10 MiB" % total)
if errors:
    print("FAIL: %d mismatch(es) between samples/truth.json and tshark:" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("OK: %d samples match truth.json (%d bytes of captures)" % (len(truth["samples"]), total))
PYEOF
