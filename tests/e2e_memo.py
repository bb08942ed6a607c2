"""Reused nDPI verdicts (classify/verdict_memo.c): a TLS flow that looks to nDPI exactly like one it
has read takes that flow's verdict without nDPI reading it.

Built from the real flow in samples/tls13-clean.pcap, replayed four more times with edits:
  - a new ephemeral client port and fresh randoms and session ID (what every reconnect
    changes): the verdict is reused;
  - the SNI changed to a name nDPI knows: nDPI's verdict differs, so nothing may be reused;
  - the client port 993, one nDPI's TLS dissector tests: read by nDPI again;
  - the first copy again but to another server port: read again.
Then certificates: a TLS 1.2 flow read 10 days before and a day after its certificate's end
(nDPI's verdict depends on the time), and nDPI's own certificate cache (a flow whose
certificate names a protocol makes nDPI name later flows to that server).
Every report must equal the one made with --no-ndpi-memo (nDPI reading every flow), and the
counts in capture.classification must say which flows were reused. On every sample and
public capture, the report with and without reuse is the same too."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

TLSSCOPE, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "tests"))
import pcapgen  # noqa: E402

results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    if not cond:
        print(f"FAIL {name} {detail}"[:1500])


def report(path, tmp, extra=()):
    out = os.path.join(tmp, "r.json")
    r = subprocess.run([TLSSCOPE, "-q", "-r", path, "-o", out, *extra], capture_output=True)
    if r.returncode != 0:
        return None
    with open(out) as f:
        return json.load(f)


def without_counts(doc):
    doc = json.loads(json.dumps(doc))
    doc["capture"].pop("classification", None)
    return doc


def both_reports(tmp, name, data):
    """Writes data as tmp/name and reports on it with and without reused verdicts; (None, None)
    after a failed check when either report is missing."""
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    doc = report(path, tmp)
    ref = report(path, tmp, ("--no-ndpi-memo",))
    check(f"{name}: reports made", doc is not None and ref is not None)
    if doc is None or ref is None:
        return None, None
    return doc, ref


def flip(buf, start, n):
    for i in range(start, start + n):
        buf[i] ^= 0x5A


def copy_flow(data, info, client_port, server_port, ts_shift, edit, orig_client=None,
              client_ip=None):
    """The sample's records with the ports rewritten, timestamps shifted, and edit(payload,
    from_client) applied to each TLS payload in place (same length)."""
    out = bytearray()
    for p in info["packets"]:
        rec = bytearray(data[p["rec"]:p["end"]])
        lay = pcapgen.layers(data, p)
        tcp = lay["tcp"] - p["rec"]
        sport = struct.unpack("!H", rec[tcp:tcp + 2])[0]
        from_client = sport == (orig_client or ORIG_CLIENT_PORT)
        ports = (client_port, server_port) if from_client else (server_port, client_port)
        rec[tcp:tcp + 4] = struct.pack("!HH", *ports)
        if client_ip is not None:
            at = lay["ip"] - p["rec"] + (12 if from_client else 16)
            rec[at:at + 4] = client_ip
        sec = struct.unpack("<I", rec[0:4])[0]
        rec[0:4] = struct.pack("<I", sec + ts_shift)
        if "payload" in lay and lay["payload_end"] > lay["payload"]:
            a, b = lay["payload"] - p["rec"], lay["payload_end"] - p["rec"]
            payload = rec[a:b]
            edit(payload, from_client)
            rec[a:b] = payload
        out += rec
    return bytes(out)


def fresh_randoms(payload, from_client):
    """What a reconnect changes: the hello random and the session ID (both hellos)."""
    if len(payload) > 80 and payload[0] == 22 and payload[5] in (1, 2):
        flip(payload, 11, 32)
        sid_len = payload[43]
        flip(payload, 44, sid_len)


def other_sni(payload, from_client):
    fresh_randoms(payload, from_client)
    at = payload.find(b"tlsscope.test")
    if from_client and at >= 0:
        payload[at:at + 13] = b"www.skype.com"


def unchanged(payload, from_client):
    pass


ORIG_CLIENT_PORT = 58558
ORIG_SERVER_PORT = 4432


def check_built_capture(tmp):
    with open(os.path.join(SRC, "samples", "tls13-clean.pcap"), "rb") as f:
        data = f.read()
    info = pcapgen.split_capture(data)
    check("sample is a classic pcap", info is not None and info["kind"] == "pcap")
    copies = [
        (ORIG_CLIENT_PORT, ORIG_SERVER_PORT, unchanged),   # C1: read, remembered
        (58600, ORIG_SERVER_PORT, fresh_randoms),          # C2: reused from C1
        (58601, ORIG_SERVER_PORT, other_sni),              # C3: another verdict
        (993, ORIG_SERVER_PORT, fresh_randoms),            # C4: a port nDPI tests: read
        (58602, 4433, fresh_randoms),                      # C5: another server port: read
    ]
    body = b"".join(copy_flow(data, info, c, s, 10 * i, e) for i, (c, s, e) in enumerate(copies))
    doc, ref = both_reports(tmp, "memo.pcap", data[:24] + body)
    if doc is None:
        return
    conns = {c["client"]["port"]: c for c in doc["connections"]}
    check("five connections", len(conns) == 5, sorted(conns))
    cls = doc["capture"]["classification"]
    check("one verdict reused (the reconnect with fresh randoms)",
          cls["verdicts_reused"] == 1, cls)
    # C4's verdict is not TLS (nDPI names it by its port), so it is not remembered either.
    check("nDPI read the other four, remembering the TLS verdicts",
          cls["flows"] == 5 and cls["verdicts_remembered"] == 3, cls)
    check("--no-ndpi-memo reuses nothing", ref["capture"]["classification"]["verdicts_reused"] == 0,
          ref["capture"]["classification"])
    check("report identical without reuse", without_counts(doc) == without_counts(ref))
    a, c = conns.get(ORIG_CLIENT_PORT), conns.get(58601)
    check("the SNI edit changes nDPI's verdict (so the key must hold the SNI)",
          a is not None and c is not None and a["app"] != c["app"],
          (a and a["app"], c and c["app"]))
    d = conns.get(993)
    check("client port 993 changes nDPI's verdict (so the key must hold it)",
          a is not None and d is not None and a["app"] != d["app"],
          (a and a["app"], d and d["app"]))
    b = conns.get(58600)
    check("the reused verdict is the first flow's",
          a is not None and b is not None and
          (a["app"], a["ndpi_risks"], a["ndpi_ja3"]) == (b["app"], b["ndpi_risks"], b["ndpi_ja3"]))


def find_key(obj, key):
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def check_certificate_time(tmp):
    """samples/tls12-clean.pcap: a TLS 1.2 full handshake whose server flight carries the
    certificate, so nDPI's verdict depends on when it is read (expired, about to expire).
    Copies at the original time and 10 s later share a verdict; copies 10 days before the
    certificate's notAfter and a day after it get nDPI's own verdict, which the later one then
    shares with a copy 10 s after it."""
    with open(os.path.join(SRC, "samples", "tls12-clean.pcap"), "rb") as f:
        data = f.read()
    info = pcapgen.split_capture(data)
    base = report(os.path.join(SRC, "samples", "tls12-clean.pcap"), tmp)
    not_after = find_key(base, "not_after") if base else None
    check("tls12-clean: certificate validity in the report", not_after is not None)
    if not_after is None:
        return
    import calendar
    import time
    t_na = calendar.timegm(time.strptime(not_after[:19], "%Y-%m-%dT%H:%M:%S"))
    t0 = struct.unpack("<I", data[info["packets"][0]["rec"]:info["packets"][0]["rec"] + 4])[0]
    day = 86400
    copies = [  # client port, time shift
        (35914, 0),                       # C1: read, remembered
        (50001, 10),                      # C2: same validity class: reused
        (50002, t_na - 10 * day - t0),    # C3: about to expire: read
        (50003, t_na + day - t0),         # C4: expired: read
        (50004, t_na + day + 10 - t0),    # C5: expired too: reused from C4
    ]
    body = b"".join(copy_flow(data, info, c, 4431, shift, fresh_randoms, orig_client=35914)
                    for c, shift in copies)
    doc, ref = both_reports(tmp, "cert.pcap", data[:24] + body)
    if doc is None:
        return
    cls = doc["capture"]["classification"]
    check("cert: two verdicts reused, three read", cls["verdicts_reused"] == 2 and
          cls["verdicts_remembered"] == 3, cls)
    check("cert: report identical without reuse", without_counts(doc) == without_counts(ref))
    risks = {c["client"]["port"]: c["ndpi_risks"] for c in doc["connections"]}
    check("cert: nDPI calls the certificate about to expire 10 days before its end",
          "TLS Certificate About To Expire" in risks.get(50002, []), risks.get(50002))
    check("cert: and expired after it", "TLS Expired Certificate" in risks.get(50003, []),
          risks.get(50003))
    check("cert: neither at the capture's time",
          not any("Expire" in r for r in risks.get(35914, []) + risks.get(50001, [])), risks)


def check_certificate_cache(tmp):
    """nDPI keeps a cache of servers whose certificate subject named a protocol and names later
    flows to them from it, so its verdict on a TLS 1.3 flow (certificate encrypted) depends on
    what flows to the same server showed before. A: the TLS 1.3 flow of tls13-clean.pcap; B:
    the TLS 1.2 flow of tls12-clean.pcap to the same server, its certificate's names edited to
    contain "O=ntop.org" (one of nDPI's certificate-subject patterns); C: A again, fresh
    randoms. Without reuse nDPI names C from its cache; with reuse C must not take A's
    verdict."""
    def load(name):
        with open(os.path.join(SRC, "samples", name), "rb") as f:
            data = f.read()
        return data, pcapgen.split_capture(data)

    d13, i13 = load("tls13-clean.pcap")
    d12, i12 = load("tls12-clean.pcap")
    t13 = struct.unpack("<I", d13[i13["packets"][0]["rec"]:i13["packets"][0]["rec"] + 4])[0]
    t12 = struct.unpack("<I", d12[i12["packets"][0]["rec"]:i12["packets"][0]["rec"] + 4])[0]

    def ntop_certificate(payload, from_client):
        at = payload.find(b"tlsscope.test")
        while not from_client and at >= 0:
            payload[at:at + 13] = b"xxxO=ntop.org"
            at = payload.find(b"tlsscope.test")

    server = 4431
    body = (copy_flow(d13, i13, 50010, server, 0, unchanged, orig_client=58558) +
            copy_flow(d12, i12, 50011, server, t13 - t12 + 10, ntop_certificate,
                      orig_client=35914) +
            copy_flow(d13, i13, 50012, server, 20, fresh_randoms, orig_client=58558))
    doc, ref = both_reports(tmp, "certcache.pcap", d13[:24] + body)
    if doc is None:
        return
    apps = {c["client"]["port"]: c["app"] for c in doc["connections"]}
    check("certcache: nDPI names the edited certificate's server", apps.get(50011, "TLS") != "TLS",
          apps)
    check("certcache: and later flows to it from its cache", apps.get(50012) == apps.get(50011)
          and apps.get(50010) == "TLS", apps)
    check("certcache: report identical without reuse", without_counts(doc) == without_counts(ref))
    check("certcache: nothing reused across the cache's change",
          doc["capture"]["classification"]["verdicts_reused"] == 0,
          doc["capture"]["classification"])


def check_many_clients(tmp):
    """The flow of tls13-clean.pcap from six client addresses: nDPI reads the client address
    only through its IP table (and which address is lower), so the four addresses it does not
    list share one verdict; one in a range it names (Google's) gets nDPI's own verdict."""
    with open(os.path.join(SRC, "samples", "tls13-clean.pcap"), "rb") as f:
        data = f.read()
    info = pcapgen.split_capture(data)
    clients = [pcapgen.ip4(a) for a in ("10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4",
                                          "142.250.74.46", "10.1.0.5")]
    body = b"".join(copy_flow(data, info, 50100 + i, ORIG_SERVER_PORT, 10 * i, fresh_randoms,
                              client_ip=ip) for i, ip in enumerate(clients))
    doc, ref = both_reports(tmp, "clients.pcap", data[:24] + body)
    if doc is None:
        return
    apps = {c["client"]["ip"]: c["app"] for c in doc["connections"]}
    check("clients: nDPI names the flow from a Google address by it",
          apps.get("142.250.74.46") not in (None, "TLS") and apps.get("10.1.0.1") == "TLS", apps)
    cls = doc["capture"]["classification"]
    check("clients: the unlisted addresses share one verdict (4 reused, 2 read)",
          cls["verdicts_reused"] == 4 and cls["verdicts_remembered"] == 2, cls)
    check("clients: report identical without reuse", without_counts(doc) == without_counts(ref))


def check_all_captures(tmp):
    reused = 0
    samples = os.path.join(SRC, "samples")
    for d in (samples, os.path.join(samples, "lab"), os.path.join(samples, "public")):
        for f in sorted(os.listdir(d)):
            if not f.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(d, f)
            doc = report(path, tmp)
            ref = report(path, tmp, ("--no-ndpi-memo",))
            if doc is None or ref is None:
                check(f"{f}: reports", doc is None and ref is None)
                continue
            reused += doc["capture"]["classification"]["verdicts_reused"]
            check(f"{f}: same report with and without reused verdicts",
                  without_counts(doc) == without_counts(ref))
    check("verdicts were reused somewhere in the samples", reused > 0, reused)
    print(f"samples: {reused} verdicts reused, reports identical to nDPI reading every flow")


def main():
    tmp = tempfile.mkdtemp(prefix="tlsscope-memo-")
    check_built_capture(tmp)
    check_certificate_time(tmp)
    check_certificate_cache(tmp)
    check_many_clients(tmp)
    check_all_captures(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


main()
