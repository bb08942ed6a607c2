"""Flow classification, TLS on any port and STARTTLS (issue 8), on the captures in
samples/public (other projects' test suites) checked against the tshark view stored beside
each one (*.tshark.json), plus nDPI agreement on every sample:

- per-direction packets and payload bytes equal tshark's;
- TLS records and plaintext handshake types per direction equal tshark's;
- STARTTLS: the protocol is named and the plaintext prefix (both directions) equals the bytes
  tshark saw before TLS;
- nDPI's JA3 equals tlsscope's on every TLS flow where nDPI computed one;
- --no-ndpi changes nothing but the nDPI fields."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from report_defaults import compare_forms

TLSSCOPE, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
PUBLIC = os.path.join(SRC, "samples", "public")
results = {"passed": 0, "failed": 0}
LETTER_TYPE = {"h": 0, "c": 1, "s": 2, "j": 2, "t": 4, "o": 8, "x": 11, "k": 12, "r": 13,
               "n": 14, "y": 15, "g": 16, "u": 22, "p": 24}
# tshark's protocol names for the plaintext before TLS -> tlsscope's starttls names.
TSHARK_PROTO = {"ftp": "ftp", "ldap": "ldap", "mysql": "mysql", "pgsql": "postgresql",
                "smtp": "smtp", "imap": "imap", "pop": "pop3", "xmpp": "xmpp"}
# Protocols tshark does not dissect before TLS, named from the file (the upgrade is visible in
# the plaintext: "STARTTLS" answered by IRC numeric 670).
UNDISSECTED = {"tls__irc-starttls.pcap": "irc"}
# Bytes of plaintext that share a frame with the first TLS record, which the tshark view counts
# as TLS: PostgreSQL's one-byte 'S' answer to SSLRequest precedes the ServerHello in one segment.
MIXED_FRAME_BYTES = {"postgresql__psql-aws-ssl-require.pcap": 1}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    if not cond:
        print(f"FAIL {name} {detail}"[:1500])


try:
    import jsonschema
    VALIDATOR = jsonschema.Draft202012Validator(
        json.load(open(os.path.join(SRC, "docs", "report-schema.json"))))
except ImportError:
    VALIDATOR = None


def run_report(path, out, extra):
    p = subprocess.run([TLSSCOPE, "-q", *extra, "-r", path, "-o", out], capture_output=True,
                       text=True, timeout=120)
    doc = json.load(open(out)) if p.returncode == 0 else None
    if doc is not None and VALIDATOR is not None:
        errs = [e.message for e in VALIDATOR.iter_errors(doc)]
        check(f"{os.path.basename(path)} {' '.join(extra)}: report validates", not errs, errs[:3])
    return doc


def report(path, tmp, extra=()):
    """The --keep-defaults report, which the checks read member by member; the default one is
    checked to be it without the default members (tests/report_defaults.py)."""
    doc = run_report(path, os.path.join(tmp, "r.json"), ("--keep-defaults", *extra))
    compact = run_report(path, os.path.join(tmp, "c.json"), extra)
    if doc is not None and compact is not None:
        diff = compare_forms(doc, compact)
        check(f"{os.path.basename(path)} {' '.join(extra)}: defaults left out by the rule",
              diff is None, diff)
    return doc


def history_types(history, upper):
    return [LETTER_TYPE[ch.lower()] for ch in history
            if ch.isupper() == upper and ch.lower() in LETTER_TYPE]


def check_public(path, tmp):
    name = os.path.basename(path)
    oracle = json.load(open(path + ".tshark.json"))
    doc = report(path, tmp)
    check(f"{name}: report", doc is not None)
    if doc is None:
        return
    check(f"{name}: one connection per tshark stream",
          len(doc["connections"]) == len(oracle["streams"]))
    for c, s in zip(doc["connections"], oracle["streams"]):
        for side, d in (("client", "c2s"), ("server", "s2c")):
            check(f"{name} {c['id']}: {side} packets", c["tcp"][side]["packets"] ==
                  s["tcp"][d]["packets"], (c["tcp"][side]["packets"], s["tcp"][d]["packets"]))
            check(f"{name} {c['id']}: {side} payload bytes", c["tcp"][side]["bytes"] ==
                  s["tcp"][d]["payload_bytes"], (c["tcp"][side]["bytes"],
                                                 s["tcp"][d]["payload_bytes"]))
        t, ot = c["tls"], s.get("tls")
        if not ot:
            continue
        check(f"{name} {c['id']}: TLS found", t is not None and not t.get("not_tls"))
        if t is None:
            continue
        for side, d, upper in (("client", "c2s", True), ("server", "s2c", False)):
            check(f"{name} {c['id']}: {side} TLS records", t["records"][side] == ot[d]["records"],
                  (t["records"][side], ot[d]["records"]))
            check(f"{name} {c['id']}: {side} handshake types",
                  history_types(t["history"], upper) == ot[d]["handshake_types"],
                  (t["history"], ot[d]["handshake_types"]))
        pre = ot["plaintext_before_tls"]
        want = [TSHARK_PROTO[p] for p in pre["protocols"] if p in TSHARK_PROTO]
        want = want or ([UNDISSECTED[name]] if name in UNDISSECTED else [])
        if want:
            st = c["starttls"]
            check(f"{name} {c['id']}: STARTTLS {want[0]}", st and st["protocol"] == want[0], st)
            if st:
                check(f"{name} {c['id']}: plaintext before TLS == tshark's bytes",
                      st["offset"] + st["server_offset"] ==
                      pre["bytes"] + MIXED_FRAME_BYTES.get(name, 0), (st, pre["bytes"]))
        elif pre["bytes"] == 0 and pre["tls_continuation_frames"] == 0:
            check(f"{name} {c['id']}: no STARTTLS when TLS starts at once", c["starttls"] is None)


def strip_ndpi(doc):
    for c in doc["connections"]:
        for k in ("app", "ndpi_risks", "ndpi_ja3"):
            c.pop(k, None)
    # not_tls findings quote nDPI's protocol name.
    doc["findings"] = [f for f in doc["findings"] if f["kind"] != "not_tls"]
    for c in doc["connections"]:
        c["findings"] = [i for i in c["findings"]
                         if not any(f["id"] == i for f in doc["findings"] if f["kind"] == "not_tls")]
    doc["summary"].pop("findings", None)
    return doc


def check_ndpi(path, tmp):
    name = os.path.relpath(path, SRC)
    doc = report(path, tmp)
    plain = report(path, tmp, ("--no-ndpi",))
    if doc is None or plain is None:
        check(f"{name}: reports with and without nDPI", False)
        return
    check(f"{name}: --no-ndpi leaves no nDPI fields",
          all(c["app"] is None and c["ndpi_risks"] == [] and c["ndpi_ja3"] is None
              for c in plain["connections"]))
    a, b = strip_ndpi(json.loads(json.dumps(doc))), strip_ndpi(plain)
    check(f"{name}: TLS analysis identical with and without nDPI",
          a["connections"] == b["connections"] and a["findings"] == b["findings"])
    for c in doc["connections"]:
        t = c["tls"]
        if t and t.get("ja3") and c["ndpi_ja3"]:
            check(f"{name} {c['id']}: nDPI JA3 == tlsscope JA3", t["ja3"] == c["ndpi_ja3"],
                  (t["ja3"], c["ndpi_ja3"]))
    check_ndpi_tls(name, path, tmp, doc)


NDPI_TLS_SEEN = {"skipped": 0, "classified": 0}


def opens_with_hello(c):
    """The report says the flow's first payload was a TLS hello: TLS from its first byte (no
    STARTTLS prelude, not picked up midstream), a hello first in its history, nothing lost."""
    t = c["tls"]
    return (t is not None and c["starttls"] is None and not t["midstream"] and t["history"]
            and t["history"][0] in "Cs" and c["tcp"]["roles"] == "syn"
            and not c["tcp"]["client"]["gaps"] and not c["tcp"]["server"]["gaps"])


def check_ndpi_tls(name, path, tmp, doc):
    """--no-ndpi-tls: flows that open with a TLS hello get no nDPI fields; every other flow keeps
    nDPI's verdict; nothing else in the report changes."""
    part = report(path, tmp, ("--no-ndpi-tls",))
    if part is None:
        check(f"{name}: report with --no-ndpi-tls", False)
        return
    ids = {c["id"]: c for c in doc["connections"]}
    for c in part["connections"]:
        full = ids.get(c["id"])
        if full is None:
            check(f"{name} {c['id']}: same connections with --no-ndpi-tls", False)
            continue
        nd = (c["app"], c["ndpi_risks"], c["ndpi_ja3"])
        if opens_with_hello(full):
            NDPI_TLS_SEEN["skipped"] += 1
            check(f"{name} {c['id']}: --no-ndpi-tls skips nDPI on a flow opening with a hello",
                  nd == (None, [], None), nd)
        elif full["tls"] is None or full["tls"]["handshake"] is None or full["starttls"]:
            # Plaintext first (not TLS at all, or a STARTTLS prelude): nDPI still sees it.
            NDPI_TLS_SEEN["classified"] += 1
            check(f"{name} {c['id']}: --no-ndpi-tls still classifies a flow opening in plaintext",
                  nd == (full["app"], full["ndpi_risks"], full["ndpi_ja3"]),
                  (nd, full["app"], full["starttls"]))
    a = strip_ndpi(json.loads(json.dumps(doc)))
    b = strip_ndpi(part)
    check(f"{name}: TLS analysis identical with --no-ndpi-tls",
          a["connections"] == b["connections"] and a["findings"] == b["findings"])


def check_plain_on_tls_port(tmp):
    """samples/http-on-443.pcap (samples/make-plaintext-samples): curl sends plain HTTP to port
    443 twice. Each connection gets a not_tls warning that names nDPI's verdict, HTTP; without
    nDPI the warning stays, without the name."""
    path = os.path.join(SRC, "samples", "http-on-443.pcap")
    for extra, named in (((), True), (("--no-ndpi",), False), (("--no-ndpi-tls",), True)):
        doc = report(path, tmp, extra)
        check(f"http-on-443 {extra}: report", doc is not None)
        if doc is None:
            continue
        check(f"http-on-443 {extra}: two connections", len(doc["connections"]) == 2)
        for c in doc["connections"]:
            fs = [f for f in doc["findings"] if f["connection"] == c["id"] and f["kind"] == "not_tls"]
            check(f"http-on-443 {extra} {c['id']}: one not_tls warning",
                  len(fs) == 1 and fs[0]["severity"] == "warning", fs)
            check(f"http-on-443 {extra} {c['id']}: names HTTP only with nDPI",
                  bool(fs) and (("HTTP" in fs[0]["summary"]) == named), fs and fs[0]["summary"])
            check(f"http-on-443 {extra} {c['id']}: no TLS analysis claimed",
                  c["tls"] is None or c["tls"]["handshake"] is None)


def main():
    tmp = tempfile.mkdtemp(prefix="tlsscope-public-")
    check_plain_on_tls_port(tmp)
    for f in sorted(os.listdir(PUBLIC)):
        if f.endswith(".pcap"):
            check_public(os.path.join(PUBLIC, f), tmp)
    samples = os.path.join(SRC, "samples")
    for d in (samples, os.path.join(samples, "lab"), PUBLIC):
        for f in sorted(os.listdir(d)):
            if f.endswith((".pcap", ".pcapng")):
                check_ndpi(os.path.join(d, f), tmp)
    check("--no-ndpi-tls was exercised both ways", NDPI_TLS_SEEN["skipped"] > 0
          and NDPI_TLS_SEEN["classified"] > 0, NDPI_TLS_SEEN)
    print(f"--no-ndpi-tls: {NDPI_TLS_SEEN['skipped']} flows left to the dissector, "
          f"{NDPI_TLS_SEEN['classified']} flows opening in plaintext still classified")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


main()
