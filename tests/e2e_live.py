"""Live capture tests (issue 2 and 7): run tlsscope on the loopback interface while a real TCP
exchange happens on 127.0.0.1, then stop it with a signal or --duration/-c."""
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from ndjson_lines import wait_connection_lines

TLSSCOPE, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else " " + str(detail)))


def exchange(port, payload_len):
    """One real TCP connection on 127.0.0.1: the client sends payload_len bytes, the server
    echoes them, both close."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        got = b""
        while len(got) < payload_len:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
        c.sendall(got)
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    cl = socket.create_connection(("127.0.0.1", port))
    cl.sendall(b"x" * payload_len)
    back = b""
    while len(back) < payload_len:
        chunk = cl.recv(65536)
        if not chunk:
            break
        back += chunk
    cl.close()
    t.join()
    srv.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_end(proc, timeout=20):
    """Waits for proc to end; kills it past timeout. Returns (stderr, ended by itself)."""
    try:
        _, err = proc.communicate(timeout=timeout)
        return err, True
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return err, False


def capture_run(stop, tmp, extra=()):
    port = free_port()
    out = os.path.join(tmp, f"live-{stop}.json")
    args = [TLSSCOPE, "-i", "lo", "-q", "-o", out, *extra, "tcp", "port", str(port)]
    if stop == "duration":
        args[1:1] = ["--duration", "3"]
    if stop == "count":
        args[1:1] = ["-c", "5"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the device is open and the filter set before traffic starts
    uid = None
    try:
        for line in open(f"/proc/{proc.pid}/status"):
            if line.startswith("Uid:"):
                uid = [int(x) for x in line.split()[1:]]
    except OSError:
        pass
    want = 0 if "-Z" in extra else pwd.getpwnam("nobody").pw_uid
    check(f"live {stop}: runs as uid {want} after opening the device (real, effective, saved)",
          uid is not None and uid[:3] == [want] * 3, uid)
    exchange(port, 5000)
    time.sleep(0.5)
    if stop in ("SIGINT", "SIGTERM", "SIGHUP"):
        proc.send_signal(getattr(signal, stop))
    err, ended = wait_end(proc)
    if not ended:
        check(f"live {stop}: ends by itself", False)
        return
    check(f"live {stop}: exit 0", proc.returncode == 0, f"rc={proc.returncode} {err}")
    doc = json.load(open(out)) if os.path.exists(out) else None
    check(f"live {stop}: report written", doc is not None, err)
    if not doc:
        return
    if stop == "count":
        check("live -c 5: exactly 5 packets analyzed", doc["capture"]["packets"] == 5,
              doc["capture"]["packets"])
        return
    conns = [c for c in doc["connections"] if port in (c["client"]["port"], c["server"]["port"])]
    check(f"live {stop}: the exchange is one connection", len(conns) == 1, len(conns))
    if conns:
        c = conns[0]
        check(f"live {stop}: client roles from the SYN", c["client"]["port"] != port)
        check(f"live {stop}: payload seen both ways",
              c["tcp"]["client"]["bytes"] == 5000 and c["tcp"]["server"]["bytes"] == 5000,
              (c["tcp"]["client"]["bytes"], c["tcp"]["server"]["bytes"]))
    check(f"live {stop}: kernel drops reported", "kernel_drops" in doc["capture"])
    if stop in ("SIGINT", "SIGTERM", "SIGHUP"):
        check(f"live {stop}: marked interrupted", doc["capture"].get("interrupted") is True)


def second_signal_quits(tmp):
    """The first SIGINT asks for a clean end; a second one quits at once (the handler restores
    the default action, as tcpdump users expect)."""
    port = free_port()
    out = os.path.join(tmp, "live-twice.json")
    proc = subprocess.Popen([TLSSCOPE, "-q", "-Z", "root", "-i", "lo", "-o", out, "tcp", "port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    wait_end(proc)
    # Either the clean end won the race (exit 0 with a report) or the second signal killed it
    # (-SIGINT); never a hang, never a half-written report under the real name.
    check("two SIGINTs: clean exit or killed by the second",
          proc.returncode in (0, -signal.SIGINT), proc.returncode)
    # The second signal may land after the report was renamed into place (then it is whole) or
    # before (then only the temporary name exists): under the real name it is never partial.
    whole = True
    if os.path.exists(out):
        try:
            json.load(open(out))
        except ValueError:
            whole = False
    check("two SIGINTs: nothing partial under the real name", whole)
    if proc.returncode == 0:
        check("two SIGINTs: a clean end leaves a report", os.path.exists(out))


def ndjson_while_idle(tmp):
    """A connection that ended on a link that then goes quiet is written to the NDJSON stream
    while the capture runs: the idle link's clock ends it, no later packet is needed."""
    port = free_port()
    nd = os.path.join(tmp, "live.ndjson")
    proc = subprocess.Popen([TLSSCOPE, "-i", "lo", "-q", "-Z", "root", "--timeout-closed", "0.3",
                             "--ndjson", nd, "tcp", "port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    exchange(port, 3000)
    lines = wait_connection_lines(nd, 10, 0.2)
    running = proc.poll() is None
    proc.send_signal(signal.SIGINT)
    wait_end(proc)
    check("live --ndjson: the ended connection is written while the link is idle",
          running and len(lines) == 1, f"running={running} lines={len(lines)}")
    if lines:
        c = json.loads(lines[0])
        check("live --ndjson: it is the exchange, ended by FIN",
              port in (c["client"]["port"], c["server"]["port"]) and c["end_reason"] == "fin",
              c.get("end_reason"))


def keylog_grows(tmp):
    """Live with --keylog (issue 22): the key log is empty when tlsscope starts and the client
    (Python ssl, keylog_filename) appends its secrets during the handshake; tlsscope reads the
    file again as it grows, so the client's close_notify is decrypted (exact), not inferred."""
    import ssl
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=tlsscope.test", "-days", "1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    keylog = os.path.join(tmp, "live.keylog")
    with open(keylog, "w") as f:
        f.write("# written by the client during the run\n")
    os.chmod(keylog, 0o644)  # read again after tlsscope dropped to nobody
    port = free_port()
    out = os.path.join(tmp, "live-keylog.json")
    proc = subprocess.Popen([TLSSCOPE, "-i", "lo", "-q", "-o", out, "--keylog", keylog, "tcp",
                             "port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(1.0)
    srv_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv_ctx.load_cert_chain(cert, key)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(1)

    def serve():
        conn, _ = lsock.accept()
        with srv_ctx.wrap_socket(conn, server_side=True) as s:
            data = s.recv(100)
            s.sendall(data)
            try:
                s.recv(100)  # the client's close_notify
                s.unwrap()
            except (ssl.SSLError, OSError):
                pass
    t = threading.Thread(target=serve)
    t.start()
    cli_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cli_ctx.check_hostname = False
    cli_ctx.verify_mode = ssl.CERT_NONE
    cli_ctx.keylog_filename = keylog
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with cli_ctx.wrap_socket(raw, server_hostname="tlsscope.test") as s:
            s.sendall(b"hello")
            s.recv(100)
            s.unwrap()
    t.join(5)
    lsock.close()
    time.sleep(2.0)  # at least one more read of the key log
    proc.send_signal(signal.SIGINT)
    err, ended = wait_end(proc)
    doc = json.load(open(out)) if ended and os.path.exists(out) else None
    check("live --keylog: report written", doc is not None, err)
    if not doc:
        return
    conns = [c for c in doc["connections"] if port in (c["client"]["port"], c["server"]["port"])]
    alerts = [a for c in conns for a in (c.get("tls") or {}).get("alerts", []) if a["from"] == "client"]
    check("live --keylog: the client's close_notify decrypted from keys written during the run",
          any(a.get("decrypted") and a.get("description") == "close_notify" for a in alerts),
          json.dumps(alerts))


def main():
    if os.geteuid() != 0:
        print("live capture needs root: skipping")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="tlsscope-live-")
    # tlsscope drops to 'nobody' after opening the device; the report directory must be
    # writable by that user for the final rename (no sticky bit: the file is root's).
    os.chmod(tmp, 0o777)
    for stop in ("SIGINT", "SIGTERM", "SIGHUP", "duration", "count"):
        capture_run(stop, tmp)
    capture_run("SIGINT", tmp, extra=("-Z", "root"))
    second_signal_quits(tmp)
    ndjson_while_idle(tmp)
    keylog_grows(tmp)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


main()
