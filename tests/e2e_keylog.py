"""--keylog (issue 22, first part): with the key log each capture of samples/alerts was made
with (samples/alerts/keys/), every alert record of every connection is decrypted: exact, with
the level and description that tshark read with the same key log (samples/alerts/truth.json is
generated from tshark's decryption), `decrypted: true`, and the connection says how far it was
decrypted, every record's tag is checked (tls.decryption full; where the relay damaged a record
before the capture point, partial with a record_auth_failed finding on that record, and the
fatal alert's top cause says the damage came before this capture point; on the relay's server
leg every record verifies and the cause says after it). Without --keylog nothing is decrypted and no connection has a `decryption` member;
with a key log that lacks a connection's secrets, that connection says so. close_notify.<side>
is "yes" exactly when tshark saw that side send close_notify. Bad key-log lines
are reported on stderr and never fatal; a key log that cannot be read is an input error (2).
A pcapng whose secrets were injected (samples/alerts/abort-tls13-dsb.pcapng) needs no --keylog."""
import json
import os
import subprocess
import sys
import tempfile

TLSSCOPE, SRC = sys.argv[1], sys.argv[2]
ALERTS = os.path.join(SRC, "samples/alerts")
results = {"passed": 0, "failed": 0}
LEVEL = {1: "warning", 2: "fatal"}
DAMAGED_BEFORE_CAPTURE = {"abort-tls12.pcap", "abort-tls13.pcap", "retrans-altered-first.pcap"}
RELAYED_FATAL = {"abort-tls12-serverleg.pcap", "abort-tls13-serverleg.pcap"}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    if not ok:
        print("FAIL %s %s" % (name, detail))


def report(args, tmp, name):
    out = os.path.join(tmp, name + ".json")
    run = subprocess.run([TLSSCOPE] + args + ["-o", out, "-q"], capture_output=True, text=True)
    doc = json.load(open(out)) if os.path.exists(out) and run.returncode in (0, 1) else None
    return run, doc


def main():
    truth = json.load(open(os.path.join(ALERTS, "truth.json")))["captures"]
    with tempfile.TemporaryDirectory() as tmp:
        for cap, t in sorted(truth.items()):
            keylog = os.path.join(ALERTS, t["keylog"])
            run, doc = report(["-r", os.path.join(ALERTS, cap), "--keylog", keylog], tmp, cap)
            check(cap + ": runs", doc is not None, run.stderr.strip())
            if doc is None:
                continue
            by_port = {c["client"]["port"]: c for c in doc["connections"] if c.get("tls")}
            for tc in t["connections"]:
                name = "%s:%d" % (cap, tc["client_port"])
                c = by_port.get(tc["client_port"])
                check(name + ": connection", c is not None)
                if c is None:
                    continue
                tls = c["tls"]
                want = [(a["from"], a["level"], a["description"]) for a in tc["alerts"]]
                got = [(a["from"], a.get("level"), a.get("description")) for a in tls.get("alerts", [])]
                check(name + ": alerts as tshark decrypted them", got == want,
                      "got %s want %s" % (got, want))
                for a in tls.get("alerts", []):
                    if a.get("encrypted"):
                        check(name + ": encrypted alert decrypted and exact",
                              a.get("decrypted") is True and "inferred" not in a, json.dumps(a))
                for side in ("client", "server"):
                    yes = tls.get("close_notify", {}).get(side) == "yes"
                    check("%s: close_notify.%s as decrypted" % (name, side),
                          yes == bool(tc["close_notify"][side]),
                          "got %s" % tls.get("close_notify"))
                dec = tls.get("decryption") or {}
                if not tc.get("version"):
                    continue
                # By construction: the relay damaged a server record before the client leg's
                # capture point (and the edit altered the first copy the client kept); every
                # other capture carries each record intact.
                damaged = cap in DAMAGED_BEFORE_CAPTURE
                check(name + ": decryption stated",
                      dec.get("state") == ("partial" if damaged else "full"), json.dumps(dec))
                fails = [f for f in doc["findings"] if f["kind"] == "record_auth_failed" and
                         f["connection"] == c["id"]]
                check(name + ": record_auth_failed exactly on the damaged capture",
                      len(fails) == (1 if damaged else 0), [f["summary"] for f in fails])
                fatal = [f for f in doc["findings"] if f["kind"] == "fatal_alert" and
                         f["connection"] == c["id"]]
                if damaged:
                    check(name + ": the server record is the one that failed",
                          fails and fails[0]["evidence"][0]["direction"] == "server")
                    check(name + ": fatal alert ranks the damage before the capture point",
                          fatal and fatal[0]["probable_causes"][0]["cause"] == "corrupted_before_capture",
                          fatal and fatal[0]["probable_causes"])
                elif cap in RELAYED_FATAL:
                    check(name + ": relayed fatal alert: damage after the capture point",
                          fatal and fatal[0]["probable_causes"][0]["cause"] == "corrupted_after_capture",
                          fatal and fatal[0]["probable_causes"])
        # Secrets embedded in the capture (editcap --inject-secrets): decrypted without --keylog.
        run, doc = report(["-r", os.path.join(ALERTS, "abort-tls13-dsb.pcapng")], tmp, "dsb")
        want = [(a["from"], a["level"], a["description"])
                for c in truth["abort-tls13.pcap"]["connections"] for a in c["alerts"]]
        got = [] if doc is None else [(a["from"], a.get("level"), a.get("description"))
                                      for c in doc["connections"]
                                      for a in (c.get("tls") or {}).get("alerts", [])]
        check("pcapng secrets block: alerts decrypted without --keylog", got == want,
              "got %s want %s" % (got, want))
        # samples/*.pcap with their key logs (samples/keys): a record fails authentication only
        # where the capture's fault damaged one before the capture point: tls12-dropped-444's
        # client leg lost 444 bytes of a server record (samples/README.md). Elsewhere every
        # record verifies, and tls12-flipped-finished's client leg, which carries the original
        # bytes the proxy then flipped, ranks the damage after the capture point.
        for k in sorted(os.listdir(os.path.join(SRC, "samples/keys"))):
            cap = os.path.join(SRC, "samples", k[:-len(".keylog")] + ".pcap")
            if not k.endswith(".keylog") or not os.path.exists(cap):
                continue
            name = os.path.basename(cap)
            run, doc = report(["-r", cap, "--keylog", os.path.join(SRC, "samples/keys", k)],
                              tmp, "s-" + name)
            if doc is None:
                check(name + ": runs", False, run.stderr)
                continue
            fails = [f for f in doc["findings"] if f["kind"] == "record_auth_failed"]
            check(name + ": record_auth_failed only where a record was damaged before capture",
                  len(fails) == (1 if name == "tls12-dropped-444.pcap" else 0),
                  [f["summary"][:80] for f in fails])
            if name == "tls12-flipped-finished.pcap":
                c1 = [f for f in doc["findings"] if f["kind"] == "fatal_alert" and
                      f["connection"] == "C1"]
                check(name + ": client leg: damage after the capture point",
                      c1 and c1[0]["probable_causes"][0]["cause"] == "corrupted_after_capture",
                      c1 and c1[0]["probable_causes"])
        # Without a key log: no decryption, nothing stated.
        run, doc = report(["-r", os.path.join(ALERTS, "abort-tls12.pcap")], tmp, "nokeys")
        check("no key log: no decryption member",
              doc is not None and all("decryption" not in (c.get("tls") or {}) for c in doc["connections"]))
        check("no key log: alert inferred",
              doc is not None and all("inferred" in a for c in doc["connections"]
                                      for a in (c.get("tls") or {}).get("alerts", []) if a.get("encrypted")))
        # Another capture's key log: no secret for these connections.
        other = os.path.join(ALERTS, "keys/probe-openssl.keylog")
        run, doc = report(["-r", os.path.join(ALERTS, "abort-tls12.pcap"), "--keylog", other], tmp, "wrong")
        check("foreign key log: no keys for the connection",
              doc is not None and all((c["tls"].get("decryption") or {}).get("state") == "none" and
                                      "no secret" in c["tls"]["decryption"]["why"]
                                      for c in doc["connections"] if c.get("tls")))
        # Bad lines are counted and named, never fatal; an unreadable key log is an input error.
        bad = os.path.join(tmp, "bad.keylog")
        with open(bad, "w") as f:
            f.write(open(os.path.join(ALERTS, "keys/abort-tls12.keylog")).read())
            f.write("CLIENT_RANDOM nothex 1234\nthis is not a key log line\n")
        run, doc = report(["-r", os.path.join(ALERTS, "abort-tls12.pcap"), "--keylog", bad], tmp, "bad")
        check("bad lines: not fatal", run.returncode in (0, 1) and doc is not None, run.stderr)
        check("bad lines: reported with a line number", "2 bad lines" in run.stderr and
              "bad.keylog:" in run.stderr, run.stderr)
        check("bad lines: the good ones still used", doc is not None and any(
            a.get("decrypted") for c in doc["connections"] for a in (c.get("tls") or {}).get("alerts", [])))
        run, _ = report(["-r", os.path.join(ALERTS, "abort-tls12.pcap"), "--keylog",
                         os.path.join(tmp, "missing.keylog")], tmp, "missing")
        check("missing key log: input error", run.returncode == 2, "rc %d" % run.returncode)
    print("# passed %d, failed %d" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
