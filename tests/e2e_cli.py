"""End-to-end tests of tlsscope's command line (issue 2).

Every expectation is derived at test time from the inputs themselves or from tshark, never
written down as a number the program could merely echo."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from ndjson_lines import connection_lines, wait_connection_lines

TLSSCOPE, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
SAMPLES = os.path.join(SRC, "samples")
LAB = os.path.join(SAMPLES, "lab")
TMP = tempfile.mkdtemp(prefix="tlsscope-e2e-")
results = {"passed": 0, "failed": 0, "skipped": 0}
try:
    import jsonschema
    VALIDATOR = jsonschema.Draft202012Validator(
        json.load(open(os.path.join(SRC, "docs", "report-schema.json"))))
except ImportError:
    VALIDATOR = None


def run(args, **kw):
    return subprocess.run([TLSSCOPE] + args, capture_output=True, text=True, timeout=120, **kw)


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
        print(f"ok   {name}")
    else:
        results["failed"] += 1
        print(f"FAIL {name} {detail}")


def report(args):
    out = os.path.join(TMP, "r.json")
    if os.path.exists(out):
        os.unlink(out)
    p = run(["-q", "-o", out] + args)
    doc = json.load(open(out)) if p.returncode in (0, 1) and os.path.exists(out) else None
    if doc is not None and VALIDATOR is not None:
        errs = [e.message for e in VALIDATOR.iter_errors(doc)]
        check(f"report validates against the schema ({' '.join(args)[:60]})", not errs, errs[:3])
    return p, doc


def tshark_flows(path, extra=()):
    """Per tcp.stream and direction: packets and payload bytes, keyed by the stream's first
    packet's (src, sport, dst, dport) as tshark saw it."""
    cmd = ["tshark", "-n", "-r", path, "-Y", "tcp", "-T", "fields", "-e", "tcp.stream",
           "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst",
           "-e", "tcp.dstport", "-e", "tcp.len", *extra]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    flows = {}
    for line in out.splitlines():
        f = line.split("\t")
        stream = int(f[0])
        src = (f[1] or f[2], int(f[3]))
        dst = (f[4] or f[5], int(f[6]))
        fl = flows.setdefault(stream, {"first": (src, dst), "pk": {}, "by": {}})
        fl["pk"][src] = fl["pk"].get(src, 0) + 1
        fl["by"][src] = fl["by"].get(src, 0) + int(f[7] or 0)
    return flows


def test_usage_errors():
    cases = [
        ("missing file", ["-r", os.path.join(TMP, "no-such.pcap")], "no-such.pcap"),
        ("not a capture", ["-r", os.path.join(SRC, "README.md")], "README.md"),
        ("invalid BPF", ["-r", os.path.join(LAB, "cap.pcap"), "tcp", "port", "banana"], "filter"),
        ("no input", [], "-r"),
        ("unknown option", ["--frobnicate"], "frobnicate"),
        ("bad count", ["-r", os.path.join(LAB, "cap.pcap"), "-c", "x"], "-c"),
    ]
    for name, args, needle in cases:
        p = run(args)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        check(f"usage error: {name}: exit 2", p.returncode == 2, f"rc={p.returncode}")
        check(f"usage error: {name}: one line naming it", len(lines) == 1 and needle in lines[0],
              repr(p.stderr))


def test_help_version():
    p = run(["--help"])
    check("--help exits 0 and documents -r", p.returncode == 0 and "-r FILE" in p.stdout)
    p = run(["--version"])
    check("--version", p.returncode == 0 and p.stdout.startswith("tlsscope "))


def test_counts_match_tshark(path):
    p, doc = report(["-r", path])
    name = os.path.relpath(path, SRC)
    check(f"{name}: report written", doc is not None, p.stderr)
    if doc is None:
        return
    ts = tshark_flows(path)
    conns = doc["connections"]
    check(f"{name}: one connection per tshark tcp.stream", len(conns) == len(ts),
          f"{len(conns)} vs {len(ts)}")
    # Match by endpoint pairs in order of first packet, as both number streams that way.
    for c, (sid, fl) in zip(conns, sorted(ts.items())):
        cl = (c["client"]["ip"], c["client"]["port"])
        sv = (c["server"]["ip"], c["server"]["port"])
        ok = {cl, sv} == set(fl["first"])
        check(f"{name}: {c['id']} endpoints == tshark stream {sid}", ok)
        if not ok:
            continue
        for side, ep in (("client", cl), ("server", sv)):
            tcp = c["tcp"][side]
            check(f"{name}: {c['id']} {side} packets", tcp["packets"] == fl["pk"].get(ep, 0),
                  f"{tcp['packets']} vs {fl['pk'].get(ep, 0)}")
            check(f"{name}: {c['id']} {side} payload bytes", tcp["bytes"] == fl["by"].get(ep, 0),
                  f"{tcp['bytes']} vs {fl['by'].get(ep, 0)}")
    check(f"{name}: capture packets == tshark frames",
          doc["capture"]["packets"] == int(subprocess.run(
              ["capinfos", "-M", "-c", "-r", path], capture_output=True, text=True).stdout.split()[-1]))


def test_bpf_and_multiple_files():
    cap = os.path.join(LAB, "cap.pcap")
    alert = os.path.join(LAB, "alert.pcap")
    _, one = report(["-r", cap])
    _, two = report(["-r", cap, "-r", alert])
    check("two files: packets add up",
          two is not None and one is not None and
          two["capture"]["packets"] > one["capture"]["packets"])
    _, a = report(["-r", alert])
    if two and one and a:
        check("two files: packets == sum of each",
              two["capture"]["packets"] == one["capture"]["packets"] + a["capture"]["packets"])
        check("two files: both sources named", len(two["capture"]["sources"]) == 2)
    # BPF keeps only one stream's port: every connection must carry it.
    first = one["connections"][0] if one and one["connections"] else None
    if first:
        port = first["client"]["port"]
        _, f = report(["-r", cap, "tcp", "port", str(port)])
        want = sum(1 for c in one["connections"] if port in (c["client"]["port"], c["server"]["port"]))
        check("BPF on a file keeps only matching flows",
              f is not None and len(f["connections"]) == want and want >= 1)
        exp = subprocess.run(["tshark", "-r", cap, "-Y", f"tcp.port == {port}"],
                             capture_output=True, text=True).stdout.count("\n")
        check("BPF on a file: packets == tshark's", f is not None and f["capture"]["packets"] == exp,
              f"{f and f['capture']['packets']} vs {exp}")


def test_truncated_file():
    src = os.path.join(LAB, "cap.pcap")
    data = open(src, "rb").read()
    cut = os.path.join(TMP, "cut.pcap")
    open(cut, "wb").write(data[: len(data) * 2 // 3])
    p, doc = report(["-r", cut])
    check("truncated file: exit 0 with a report", p.returncode == 0 and doc is not None, p.stderr)
    check("truncated file: named on stderr", "cut.pcap" in p.stderr and "truncated" in p.stderr,
          p.stderr)
    if doc:
        check("truncated file: named in the report", doc["capture"].get("truncated_file") is not None)
        full = int(subprocess.run(["capinfos", "-M", "-c", "-r", cut], capture_output=True,
                                  text=True).stdout.split()[-1] or 0)
        check("truncated file: every whole packet before the cut analyzed",
              doc["capture"]["packets"] == full, f"{doc['capture']['packets']} vs {full}")


def test_fail_on():
    """Exit status follows --fail-on: 1 when a finding at or above the severity was made."""
    clean = os.path.join(SAMPLES, "tls12-clean.pcap")
    failed = os.path.join(SAMPLES, "tls-version-mismatch.pcap")  # a fatal alert: error
    unclean = os.path.join(SAMPLES, "tcp-rst-abort.pcap")  # unclean close: warning, no error
    for path, sev, want in ((failed, "error", 1), (failed, "never", 0), (clean, "info", 0),
                            (unclean, "warning", 1), (unclean, "error", 0), (failed, None, 0)):
        args = ["-q", "-r", path] + (["--fail-on", sev] if sev else [])
        p = run(args)
        check(f"--fail-on {sev} on {os.path.basename(path)}: exit {want}", p.returncode == want,
              f"rc={p.returncode} {p.stderr}")
    p = run(["-q", "-r", failed, "--fail-on", "fatal"])
    check("--fail-on with an unknown severity: exit 2", p.returncode == 2)


def test_output_to_device_and_fifo():
    """-o to a device or a FIFO writes into it; the temporary-name-and-rename used for regular
    files must never replace the node itself (a root run with -o /dev/null once did). Tested on a
    private null device node and FIFO, never on the system's /dev/null."""
    import stat
    import threading
    cap = os.path.join(LAB, "cap.pcap")
    fifo = os.path.join(TMP, "report.fifo")
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["data"] = f.read()
    t = threading.Thread(target=reader)
    t.start()
    p = run(["-q", "-r", cap, "-o", fifo])
    t.join(timeout=30)
    check("-o FIFO: exit 0", p.returncode == 0, p.stderr)
    check("-o FIFO: still a FIFO", stat.S_ISFIFO(os.stat(fifo).st_mode))
    try:
        doc = json.loads(got.get("data", b"").decode())
    except ValueError:
        doc = None
    check("-o FIFO: the reader got the whole report", doc is not None and
          len(doc["connections"]) == 6)
    if os.geteuid() == 0:
        node = os.path.join(TMP, "null")
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        p = run(["-q", "-r", cap, "-o", node])
        check("-o a character device: exit 0", p.returncode == 0, p.stderr)
        check("-o a character device: still that device",
              stat.S_ISCHR(os.stat(node).st_mode) and os.stat(node).st_rdev == os.makedev(1, 3))
        check("-o a character device: no temporary file left beside it",
              not [f for f in os.listdir(TMP) if f.startswith("null.tmp-")])


def test_output_replaces_report():
    """-o over an existing report replaces it whole (the names are swapped, then the old report
    is removed: nothing is left beside it); a symbolic link at the path is replaced, its target
    left alone; a directory at the path is refused before anything is written."""
    cap = os.path.join(LAB, "cap.pcap")
    out = os.path.join(TMP, "replaced.json")
    open(out, "w").write("old report\n")
    for round_ in (1, 2):
        p = run(["-q", "-r", cap, "-o", out])
        check(f"-o over a report (round {round_}): exit 0", p.returncode == 0, p.stderr)
        try:
            doc = json.load(open(out))
        except ValueError:
            doc = None
        check(f"-o over a report (round {round_}): the new report is there",
              doc is not None and len(doc["connections"]) == 6)
        check(f"-o over a report (round {round_}): nothing left beside it",
              not [f for f in os.listdir(TMP) if f.startswith("replaced.json.tmp-")])
    target = os.path.join(TMP, "link-target.txt")
    open(target, "w").write("not a report\n")
    link = os.path.join(TMP, "link.json")
    os.symlink(target, link)
    p = run(["-q", "-r", cap, "-o", link])
    check("-o over a symbolic link: exit 0, the link replaced by the report",
          p.returncode == 0 and not os.path.islink(link) and
          len(json.load(open(link))["connections"]) == 6, p.stderr)
    check("-o over a symbolic link: its target untouched",
          open(target).read() == "not a report\n")
    d = os.path.join(TMP, "adir.json")
    os.mkdir(d)
    p = run(["-q", "-r", cap, "-o", d])
    left = [f for f in os.listdir(TMP) if f.startswith("adir.json.tmp-")]
    check("-o a directory: exit 2, the directory intact, no temporary file",
          p.returncode == 2 and os.path.isdir(d) and not left and "adir.json" in p.stderr,
          f"rc={p.returncode} {p.stderr}")


def test_stdin():
    with open(os.path.join(LAB, "alert.pcap"), "rb") as f:
        out = os.path.join(TMP, "stdin.json")
        p = subprocess.run([TLSSCOPE, "-r", "-", "-q", "-o", out], stdin=f, capture_output=True)
    check("-r - reads stdin", p.returncode == 0 and json.load(open(out))["capture"]["packets"] > 0)


def pcap_records(path):
    """The global header and the records of a classic pcap file, as bytes."""
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    recs, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return data[:24], recs


def test_ndjson_streams_from_stdin():
    """Reading a pipe, a connection's NDJSON line goes out when the connection ends, not when the
    input does: with the pipe still open, the lines of connections that closed (and waited
    --timeout-closed) before the last packet written must already be in the file."""
    path = os.path.join(SAMPLES, "haproxy-ssl-checks.pcap")
    if not os.path.exists(path):
        results["skipped"] += 1
        return
    head, recs = pcap_records(path)
    cut = len(recs) - 10
    nd = os.path.join(TMP, "stream.ndjson")
    p = subprocess.Popen([TLSSCOPE, "-r", "-", "-q", "--timeout-closed", "0.2", "--ndjson", nd],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(head + b"".join(recs[:cut]))
    p.stdin.flush()
    lines = wait_connection_lines(nd, 20, 0.1)
    still_running = p.poll() is None
    p.stdin.write(b"".join(recs[cut:]))
    p.stdin.close()
    p.wait(timeout=60)
    total = connection_lines(nd)
    check("--ndjson from a pipe: connection lines written while the input is still open",
          still_running and len(lines) > 0, f"running={still_running} lines={len(lines)}")
    check("--ndjson from a pipe: every connection in the end, each once",
          len(total) == len({json.loads(l)["id"] for l in total}) and len(total) > len(lines),
          f"{len(total)} lines, {len(lines)} early")


def main():
    if shutil.which("tshark") is None:
        print("tshark missing: skipping")
        sys.exit(77)
    test_help_version()
    test_usage_errors()
    test_bpf_and_multiple_files()
    test_truncated_file()
    test_stdin()
    test_ndjson_streams_from_stdin()
    test_fail_on()
    test_output_to_device_and_fifo()
    test_output_replaces_report()
    pcaps = sorted(
        os.path.join(d, f) for d in (SAMPLES, LAB) for f in os.listdir(d)
        if f.endswith((".pcap", ".pcapng")))
    for path in pcaps:
        test_counts_match_tshark(path)
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


main()
