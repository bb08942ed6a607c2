"""The report over samples/alerts (issue 21): each capture was made to show one pattern
(samples/alerts/README.md; the alerts themselves are checked against tshark's decryption by
e2e_alert_verdicts). This checks what a reviewer reads from them: summary.failed and
summary.uncertain, the findings and their top causes, the server's count of handshake-only
probes, the compat session ID as no offer, and --fail-on error's exit status.

The expected facts come from how each capture was made (its scenario in truth.json), not from a
run of tlsscope: e.g. probe-openssl's four connections are all `s_client` probes that close at
once, so four probes and nothing failed; tls13-unknown-ca's clients trust another CA, so every
connection failed on the certificate. The relay's server legs are left to e2e_alert_verdicts
(the wire cannot tell their relayed fatal alert from a close_notify)."""
import json
import os
import subprocess
import sys
import tempfile

TLSSCOPE, SRC = sys.argv[1], sys.argv[2]
results = {"passed": 0, "failed": 0}

# capture -> expectations. kinds: {kind: (count, severity, top cause)}; probes: the server's
# handshake_only count (None: no such finding); exit: --fail-on error's status.
CASES = {
    # Python ssl client, relay flips a byte of a server record: the client answers with a fatal
    # bad_record_mac in the middle of the response and resets.
    "abort-tls12.pcap": dict(failed=1, uncertain=0, exit=1,
                             kinds={"fatal_alert": (1, "error", "in_flight_corruption")}),
    "abort-tls13.pcap": dict(failed=1, uncertain=0, exit=1,
                             kinds={"fatal_alert": (1, "error", "in_flight_corruption")}),
    # Handshake-only probes: nothing failed, one info finding counting them.
    "probe-openssl.pcap": dict(failed=0, uncertain=0, exit=0, probes=4,
                               kinds={"handshake_only": (1, "info", "health_check_or_probe")}),
    "probe-gnutls.pcap": dict(failed=0, uncertain=0, exit=0, probes=3,
                              kinds={"handshake_only": (1, "info", "health_check_or_probe")}),
    # Two curl probes (wrong pin after the handshake) and one real GET.
    "probe-curl.pcap": dict(failed=0, uncertain=0, exit=0, probes=2,
                            kinds={"handshake_only": (1, "info", "health_check_or_probe")}),
    # One server byte altered in the first copy, the client kept it: bad_record_mac.
    "retrans-altered-first.pcap": dict(
        failed=1, uncertain=0, exit=1,
        kinds={"fatal_alert": (1, "error", "in_flight_corruption"),
               "inconsistent_retransmission": (1, "error", "in_flight_corruption")}),
    # The altered copy came second; the client read the good one and both closed cleanly.
    "retrans-altered-after.pcap": dict(
        failed=0, uncertain=0, exit=0,
        kinds={"inconsistent_retransmission": (1, "warning", "in_flight_corruption")}),
    # TLS to nginx's plain HTTP port: a 400 page answers each ClientHello.
    "tls-to-http.pcap": dict(failed=2, uncertain=0, exit=1,
                             kinds={"not_tls": (2, "error", "other_protocol")}),
    # TLS 1.0 only against OpenSSL 3 at its default security level: internal_error.
    "tls10-hello-refused.pcap": dict(failed=1, uncertain=0, exit=1,
                                     kinds={"fatal_alert": (1, "error", "version_mismatch")}),
    # A 1 MB download closed cleanly both ways; a TLS 1.3 request with a compat session ID.
    "tls12-medium-clean.pcap": dict(failed=0, uncertain=0, exit=0, kinds={}),
    "tls13-compat-sessid.pcap": dict(failed=0, uncertain=0, exit=0, kinds={}, no_offer=True),
    # TLS 1.3 clients that trust another CA: an encrypted alert in place of their Finished.
    "tls13-unknown-ca.pcap": dict(failed=2, uncertain=0, exit=1,
                                  kinds={"fatal_alert": (2, "error", "certificate_rejected")}),
}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    if not ok:
        print("FAIL %s %s" % (name, detail))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for cap, want in sorted(CASES.items()):
            path = os.path.join(SRC, "samples/alerts", cap)
            out = os.path.join(tmp, cap + ".json")
            run = subprocess.run([TLSSCOPE, "-r", path, "-o", out, "--fail-on", "error",
                                  "--color", "never"], capture_output=True, text=True)
            check(cap + ": exit", run.returncode == want["exit"],
                  "got %d: %s" % (run.returncode, run.stderr.strip()))
            doc = json.load(open(out))
            s = doc["summary"]
            check(cap + ": failed", s["failed"] == want["failed"], "got %d" % s["failed"])
            check(cap + ": uncertain", s["uncertain"] == want["uncertain"],
                  "got %d" % s["uncertain"])
            check(cap + ": text", "%d failed, %d uncertain" % (want["failed"], want["uncertain"])
                  in run.stdout, run.stdout.splitlines()[0] if run.stdout else "")
            got = {}
            for f in doc["findings"]:
                if f["kind"] in ("tcp_reset", "incomplete_handshake"):
                    continue  # how each side closed after the failure; not the pattern
                top = f["probable_causes"][0]["cause"] if f["probable_causes"] else None
                n, sevs, tops = got.get(f["kind"], (0, set(), set()))
                got[f["kind"]] = (n + 1, sevs | {f["severity"]}, tops | {top})
            check(cap + ": kinds", set(got) == set(want["kinds"]),
                  "got %s" % sorted(got))
            for kind, (n, sev, top) in want["kinds"].items():
                g = got.get(kind, (0, set(), set()))
                check(cap + ": " + kind, g == (n, {sev}, {top}), "got %s" % (g,))
            probes = [srv["handshake_only"] for srv in doc["servers"]]
            check(cap + ": probes", sum(probes) == want.get("probes", 0), "got %s" % probes)
            if want.get("no_offer"):
                for c in doc["connections"]:
                    r = c["tls"]["resumption"]
                    check(cap + ": compat session ID is no offer",
                          "session_id" not in r.get("offered", []) and r["outcome"] == "none",
                          json.dumps(r))
    print("# passed %d, failed %d" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
