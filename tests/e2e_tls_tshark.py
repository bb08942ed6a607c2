"""On every sample, what tlsscope reports at the TLS layer agrees with tshark's dissection:
plaintext handshake message types per direction (from the Zeek-style history), session IDs,
the selected cipher suite and version, SNI, ALPN, plaintext alert descriptions, the number of
alert records (tshark's content type 21) per direction, and the number of TLS records per
direction on streams without gaps or desyncs (where tshark and tlsscope frame the same bytes).
Expectations all come from running tshark now."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TLSSCOPE, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
results = {"passed": 0, "failed": 0}
# History letters (Zeek ssl_history) of messages tshark can see in plaintext, as handshake types.
LETTER_TYPE = {"h": 0, "c": 1, "s": 2, "j": 2, "t": 4, "o": 8, "x": 11, "k": 12, "r": 13,
               "n": 14, "y": 15, "g": 16, "u": 22, "p": 24}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    if not cond:
        print(f"FAIL {name} {detail}")


def tshark_tls(path, ports):
    # Out-of-order reassembly on, as tlsscope reassembles out-of-order segments too.
    args = ["tshark", "-n", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE"]
    for p in ports:
        args += ["-d", f"tcp.port=={p},tls"]
    fields = ["tcp.stream", "tcp.srcport", "tls.record.content_type", "tls.record.opaque_type",
              "tls.handshake.type",
              "tls.handshake.session_id", "tls.handshake.ciphersuite",
              "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
              "tls.alert_message.desc", "tls.handshake.extensions.supported_version",
              "tls.handshake.version", "tcp.analysis.retransmission", "tcp.len"]
    args += ["-Y", "tls", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    streams = {}
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t")))
        s = streams.setdefault(int(v["tcp.stream"]), {"first_port": v["tcp.srcport"], "rows": []})
        s["rows"].append(v)
    return streams


def split(v):
    return [x for x in v.split("|") if x] if v else []


def compare(name, conn, st):
    t = conn["tls"]
    cport = str(conn["client"]["port"])
    side = lambda row: "client" if row["tcp.srcport"] == cport else "server"
    hs = {"client": [], "server": []}
    alerts_plain = {"client": [], "server": []}
    alert_records = {"client": 0, "server": 0}
    records = {"client": 0, "server": 0}
    ch_sid = sh_sid = cipher = sni = version = None
    alpn = []
    for row in st["rows"]:
        d = side(row)
        types = split(row["tls.handshake.type"])
        hs[d] += [int(x) for x in types]
        cts = split(row["tls.record.content_type"])
        # TLS 1.3 ciphertext records carry opaque_type instead of content_type in tshark.
        records[d] += len(cts) + len(split(row["tls.record.opaque_type"]))
        alert_records[d] += sum(1 for x in cts if x == "21")
        alerts_plain[d] += [int(x) for x in split(row["tls.alert_message.desc"])]
        sids = split(row["tls.handshake.session_id"])
        if "1" in types and ch_sid is None:
            ch_sid = sids[0] if sids else ""
            sni = row["tls.handshake.extensions_server_name"] or None
            alpn = split(row["tls.handshake.extensions_alpn_str"])
        if "2" in types:
            sh_sid = sids[-1] if sids else ""
            cs = split(row["tls.handshake.ciphersuite"])
            cipher = cs[-1] if cs else None
            sv = split(row["tls.handshake.extensions.supported_version"])
            version = sv[-1] if sv else split(row["tls.handshake.version"])[-1]
    # Handshake types per direction from the history string.
    ours = {"client": [], "server": []}
    for ch in t["history"]:
        d = "client" if ch.isupper() else "server"
        if ch.lower() in LETTER_TYPE:
            ours[d].append(LETTER_TYPE[ch.lower()])
    for d in ("client", "server"):
        check(f"{name}: {d} plaintext handshake types", ours[d] == hs[d],
              f"history {t['history']} -> {ours[d]} vs tshark {hs[d]}")
    if ch_sid is not None:
        check(f"{name}: ClientHello session id", (t["resumption"]["session_id_offered"] or "") ==
              ch_sid.replace(":", ""), f"{t['resumption']['session_id_offered']} vs {ch_sid}")
        check(f"{name}: SNI", t["sni"] == sni, f"{t['sni']} vs {sni}")
        check(f"{name}: ALPN offered", t["alpn"] == alpn, f"{t['alpn']} vs {alpn}")
    if cipher is not None:
        check(f"{name}: cipher", t["cipher_id"] == cipher, f"{t['cipher_id']} vs {cipher}")
        names = {"0x0300": "SSL 3.0", "0x0301": "TLS 1.0", "0x0302": "TLS 1.1",
                 "0x0303": "TLS 1.2", "0x0304": "TLS 1.3"}
        check(f"{name}: version", t["version"] == names.get(version), f"{t['version']} vs {version}")
        if not t["hello_retry_request"]:
            check(f"{name}: ServerHello session id",
                  (t["resumption"]["session_id"] or "") == (sh_sid or "").replace(":", ""),
                  f"{t['resumption']['session_id']} vs {sh_sid}")
    for d in ("client", "server"):
        ours_plain = [a for a in t["alerts"] if a["from"] == d and not a["encrypted"]]
        ours_records = [a for a in t["alerts"] if a["from"] == d and not a["probable"]]
        intact = not conn["tcp"][d]["gaps"] and not [x for x in t["desync"] if x["from"] == d]
        if not intact:
            continue
        check(f"{name}: {d} alert records", len(ours_records) == alert_records[d],
              f"{len(ours_records)} vs {alert_records[d]}")
        check(f"{name}: {d} plaintext alert descriptions",
              [a["description"] for a in ours_plain] == [desc_name(x) for x in alerts_plain[d]],
              f"{ours_plain} vs {alerts_plain[d]}")
        # tshark shows a record once its body is complete; tlsscope counts a header it saw even
        # when the connection ended inside that record's body.
        want = records[d]
        last = t["recent_records"][d][-1] if t["recent_records"][d] else None
        if last and last["offset"] + 5 + last["length"] > conn["tcp"][d]["delivered_bytes"]:
            want += 1
        check(f"{name}: {d} record count", t["records"][d] == want, f"{t['records'][d]} vs {want}")


ALERT_NAMES = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
               40: "handshake_failure", 42: "bad_certificate", 46: "certificate_unknown",
               47: "illegal_parameter", 48: "unknown_ca", 50: "decode_error",
               51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
               80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
               109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
               120: "no_application_protocol"}


def desc_name(code):
    return ALERT_NAMES.get(code, str(code))


def main():
    if shutil.which("tshark") is None:
        print("tshark missing: skipping")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="tlsscope-tshark-")
    samples = os.path.join(SRC, "samples")
    pcaps = sorted(os.path.join(d, f) for d in (samples, os.path.join(samples, "lab"))
                   for f in os.listdir(d) if f.endswith((".pcap", ".pcapng")))
    for path in pcaps:
        out = os.path.join(tmp, "r.json")
        p = subprocess.run([TLSSCOPE, "-q", "--no-ndpi", "--all-records", "--keep-defaults", "-r", path,
                            "-o", out],
                           capture_output=True, text=True)
        rel = os.path.relpath(path, SRC)
        check(f"{rel}: tlsscope ran", p.returncode == 0, p.stderr)
        if p.returncode != 0:
            continue
        doc = json.load(open(out))
        ports = sorted({c["server"]["port"] for c in doc["connections"]})
        streams = tshark_tls(path, ports)
        tls_conns = [c for c in doc["connections"] if c["tls"] is not None]
        # tcp.stream numbers follow first packets, as connection ids do.
        order = {c["id"]: i for i, c in enumerate(doc["connections"])}
        for c in tls_conns:
            st = streams.get(order[c["id"]])
            check(f"{rel} {c['id']}: tshark sees TLS on it", st is not None)
            if st:
                compare(f"{rel} {c['id']}", c, st)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


main()
