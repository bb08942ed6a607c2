"""End-to-end report tests on every sample (issue 5).

- The JSON document and every NDJSON line validate against docs/report-schema.json.
- Connections leave out their default members unless --keep-defaults, by the schema's rule
  (tests/report_defaults.py); the rest of the document is the same either way.
- Output is deterministic: two runs give byte-identical documents.
- The NDJSON stream and the document carry the same connections and findings.
- A golden report per sample (tests/golden/<sample>.json) is diffed; regenerate them with
  UPDATE_GOLDEN=1 after an intended change (and read the diff before committing it).
- The findings that samples/truth.json's facts call for are present, with their causes and
  related connections; clean samples have nothing of severity warning or above."""
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from report_defaults import compare_forms

TLSSCOPE, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
SAMPLES = os.path.join(SRC, "samples")
GOLDEN = os.path.join(SRC, "tests", "golden")
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    if not cond:
        print(f"FAIL {name} {detail}"[:2000])


def run(path, tmp, tag, extra=()):
    doc = os.path.join(tmp, f"{tag}.json")
    nd = os.path.join(tmp, f"{tag}.ndjson")
    # Run beside the capture with its bare name, so the report's source name (and so the golden
    # report) does not depend on where the checkout is.
    p = subprocess.run([os.path.abspath(TLSSCOPE), "-q", *extra, "-r", os.path.basename(path),
                        "-o", doc, "--ndjson", nd], capture_output=True, text=True, timeout=300,
                       cwd=os.path.dirname(path))
    return p, doc, nd


def findings_of(doc, conn_id, kind):
    return [f for f in doc["findings"] if f["kind"] == kind and f.get("connection") == conn_id]


def conn_by_stream(doc, stream):
    conns = doc["connections"]
    return conns[stream] if stream is not None and stream < len(conns) else None


def expectations(name, truth, doc):
    """Findings implied by the facts true by construction in one sample."""
    conns = truth["connections"]
    clean = bool(conns) and not truth.get("removed_packets") and all(
        c["handshake_completed"] and not c["rst_from"] and
        [a["description"] for a in c["alerts"]].count("close_notify") == 2 and
        len(c["alerts"]) == 2 and (c["resumption_offered"] is None or c["resumed"])
        for c in conns)
    if clean:
        bad = [f for f in doc["findings"] if f["severity"] in ("warning", "error")]
        check(f"{name}: clean sample has no warning or error finding", not bad,
              [(f["kind"], f["summary"]) for f in bad])
    for tc in conns:
        c = conn_by_stream(doc, tc["tcp_stream"])
        if c is None:
            check(f"{name}: stream {tc['tcp_stream']} present", False)
            continue
        cid = c["id"]
        # An encrypted alert's description is invisible on the wire (the key logs tell it
        # here), so only plaintext fatal alerts are required to become fatal_alert findings.
        fatal = [a for a in tc["alerts"] if a["description"] != "close_notify" and
                 a.get("level") == "fatal" and not a["encrypted"]]
        for a in fatal:
            fs = findings_of(doc, cid, "fatal_alert")
            check(f"{name} {cid}: fatal_alert for {a['from']}'s {a['description']}",
                  any(a["from"] in f["summary"] for f in fs),
                  [f["summary"] for f in doc["findings"]])
            check(f"{name} {cid}: fatal_alert names {a['description']}",
                  any(a["description"] in f["summary"] for f in fs))
        if tc["resumption_offered"] and not tc["resumed"] and tc["handshake_completed"]:
            check(f"{name} {cid}: resumption_refused",
                  len(findings_of(doc, cid, "resumption_refused")) == 1)
            check(f"{name} {cid}: tls resumption outcome refused",
                  c["tls"]["resumption"]["outcome"] == "refused")
        if tc["resumption_offered"] and tc["resumed"]:
            check(f"{name} {cid}: resumption accepted",
                  c["tls"]["resumption"]["outcome"] == "accepted" and
                  c["tls"]["handshake"] == "resumed")
            check(f"{name} {cid}: {tc['resumption_offered']} offered",
                  tc["resumption_offered"] in c["tls"]["resumption"]["offered"])
        if tc["handshake_completed"] and tc.get("version"):
            check(f"{name} {cid}: version", c["tls"]["version"] == tc["version"])
            check(f"{name} {cid}: cipher", c["tls"]["cipher"] == tc["cipher"],
                  (c["tls"]["cipher"], tc["cipher"]))
        check(f"{name} {cid}: hello_retry_request",
              c["tls"]["hello_retry_request"] == tc["hello_retry_request"])
        for side in tc["rst_from"]:
            sent_cn = any(a["from"] == side and a["description"] == "close_notify"
                          for a in tc["alerts"])
            if not sent_cn:
                grouped = [f for f in doc["findings"] if f["kind"] == "unclean_close" and
                           cid in f.get("related_connections", [])]
                check(f"{name} {cid}: unclean_close (or truncated_stream) for the {side}'s reset",
                      findings_of(doc, cid, "unclean_close") or grouped or
                      findings_of(doc, cid, "truncated_stream"))
    fault = truth.get("fault")
    if fault and fault["kind"] == "drop":
        c = doc["connections"][0]
        ds = [d for d in c["tls"]["desync"] if not d["after_gap"]]
        check(f"{name}: one framing desync in the damaged direction",
              len(ds) == 1 and ds[0]["from"] == ("server" if fault["direction"] == "s2c"
                                                  else "client"), ds)
        if ds:
            check(f"{name}: desync estimate == bytes dropped ({fault['count']})",
                  ds[0]["estimated_missing_bytes"] == fault["count"], ds[0])
            check(f"{name}: last good record == the damaged record's offset",
                  ds[0]["last_good_offset"] == fault["record_offset"], ds[0])
        check(f"{name}: TCP stream intact", c["tcp"]["server"]["missing_bytes"] == 0)
        fa = findings_of(doc, c["id"], "fatal_alert")
        check(f"{name}: fatal alert explained by bytes_missing_in_stream",
              fa and fa[0]["probable_causes"][0]["cause"] == "bytes_missing_in_stream")
    if fault and fault["kind"] == "truncate":
        c = doc["connections"][0]
        side = "server" if fault["direction"] == "s2c" else "client"
        tf = findings_of(doc, c["id"], "truncated_stream")
        check(f"{name}: truncated_stream finding", len(tf) == 1, doc["findings"])
        check(f"{name}: truncated where the proxy cut, inside the record it cut",
              c["tls"]["close_notify"][side] == "no" and
              f"offset {fault['stream_offset']} " in (tf[0]["summary"] if tf else "") and
              f"began at offset {fault['record_offset']}" in (tf[0]["summary"] if tf else ""),
              tf and tf[0]["summary"])
        fa = findings_of(doc, c["id"], "fatal_alert")
        check(f"{name}: the client's encrypted alert is fatal, explained by the truncation",
              fa and fa[0]["probable_causes"][0]["cause"] == "stream_truncated", fa)
    if fault and fault["kind"] == "flip":
        for c in doc["connections"]:
            fa = findings_of(doc, c["id"], "fatal_alert")
            check(f"{name} {c['id']}: bad_record_mac explained as in-flight corruption",
                  fa and fa[0]["probable_causes"][0]["cause"] == "in_flight_corruption")
    for rp in truth.get("removed_packets", []):
        c = doc["connections"][0]
        side = "server" if rp["direction"] == "s2c" else "client"
        gaps = c["tcp"][side]["gaps"]
        check(f"{name}: gap at the removed frame {rp['frame']}",
              any(g["offset"] == rp["stream_offset_begin"] and
                  g["length"] == rp["stream_offset_end"] - rp["stream_offset_begin"]
                  for g in gaps), gaps)
    if truth.get("removed_packets"):
        c = doc["connections"][0]
        check(f"{name}: stream_gap finding", len(findings_of(doc, c["id"], "stream_gap")) == 1)


def main():
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema missing: skipping")
        sys.exit(77)
    schema = json.load(open(os.path.join(SRC, "docs", "report-schema.json")))
    validator = jsonschema.Draft202012Validator(schema)
    truth = {s["file"]: s for s in json.load(open(os.path.join(SAMPLES, "truth.json")))["samples"]}
    tmp = tempfile.mkdtemp(prefix="tlsscope-report-")
    pcaps = sorted(os.path.join(d, f) for d in (SAMPLES, os.path.join(SAMPLES, "lab"))
                   for f in os.listdir(d) if f.endswith((".pcap", ".pcapng")))
    update = os.environ.get("UPDATE_GOLDEN") == "1"
    for path in pcaps:
        rel = os.path.relpath(path, SAMPLES)
        p1, doc1, nd1 = run(path, tmp, "a")
        p2, doc2, _ = run(path, tmp, "b")
        pk, dock, _ = run(path, tmp, "k", ("--keep-defaults",))
        check(f"{rel}: exit 0", p1.returncode == 0 and p2.returncode == 0 and pk.returncode == 0,
              p1.stderr)
        if p1.returncode != 0 or pk.returncode != 0:
            continue
        text1 = open(doc1).read()
        check(f"{rel}: byte-identical on a second run", text1 == open(doc2).read())
        doc = json.loads(text1)
        errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        check(f"{rel}: document validates", not errs, [e.message for e in errs[:3]])
        # The expectations read members one by one, from the --keep-defaults document; the
        # default one must be it without the default members.
        full = json.load(open(dock))
        errs = sorted(validator.iter_errors(full), key=lambda e: list(e.path))
        check(f"{rel}: --keep-defaults document validates", not errs, [e.message for e in errs[:3]])
        diff = compare_forms(full, doc)
        check(f"{rel}: defaults left out by the rule", diff is None, diff)
        lines = [json.loads(l) for l in open(nd1)]
        nd_schema = {"$schema": schema.get("$schema"), "$defs": schema["$defs"],
                     "$ref": "#/$defs/ndjson_line"}
        nd_validator = jsonschema.Draft202012Validator(nd_schema)
        nd_errs = [e.message for l in lines for e in nd_validator.iter_errors(l)]
        check(f"{rel}: every NDJSON line validates", not nd_errs, nd_errs[:3])
        strip = lambda o: {k: v for k, v in o.items() if k != "type"}
        nd_conns = sorted((strip(l) for l in lines if l["type"] == "connection"),
                          key=lambda c: int(c["id"][1:]))
        nd_finds = sorted((strip(l) for l in lines if l["type"] == "finding"),
                          key=lambda f: int(f["id"][1:]))
        check(f"{rel}: NDJSON connections == document's", nd_conns == doc["connections"])
        check(f"{rel}: NDJSON findings == document's", nd_finds == doc["findings"])
        check(f"{rel}: NDJSON servers == document's, then the summary last",
              bool(lines) and lines[-1]["type"] == "summary" and
              [strip(l) for l in lines if l["type"] == "server"] == doc["servers"])
        golden = os.path.join(GOLDEN, rel.replace("/", "__") + ".json")
        if update:
            shutil.copy(doc1, golden)
        if os.path.exists(golden):
            want = open(golden).read()
            diff = list(difflib.unified_diff(want.splitlines(), text1.splitlines(),
                                             "golden", "now", lineterm="", n=0))
            check(f"{rel}: matches its golden report", not diff, "\n".join(diff[:6]))
        else:
            check(f"{rel}: has a golden report (UPDATE_GOLDEN=1 makes it)", False)
        if os.path.basename(path) in truth and "/" not in rel:
            expectations(rel, truth[os.path.basename(path)], full)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


main()
