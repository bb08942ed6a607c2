#!/usr/bin/env python3
"""pyclient: TLS clients that end connections badly on purpose, for samples/make-samples.

OpenSSL's s_client always sends close_notify when it exits normally, so the unclean endings come
from Python's ssl module, where closing the socket without unwrap() sends no alert at all.

  pyclient.py unclean-resume HOST PORT CAFILE KEYLOG
      TLS 1.2 connection 1: send a line, read the answer, close the TCP socket with NO close_notify.
      TLS 1.2 connection 2: offer connection 1's session, send a line, close cleanly (close_notify).
      Prints one JSON line per connection: session id, whether the server resumed it.
  pyclient.py rst-abort HOST PORT CAFILE KEYLOG PATH
      TLS 1.3 with a 32 KiB receive buffer: GET PATH, read at least 16 KiB of the answer, then abort with SO_LINGER {1, 0} so
      the kernel sends RST instead of FIN, and no close_notify.
Stdlib only.
"""
import json
import socket
import ssl
import struct
import sys
import time


def context(cafile, keylog, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    ctx.minimum_version = ctx.maximum_version = version
    ctx.keylog_filename = keylog
    if version == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    return ctx


def unclean_resume(host, port, cafile, keylog):
    ctx = context(cafile, keylog, ssl.TLSVersion.TLSv1_2)
    session = None
    for n, (msg, clean) in enumerate(((b"first, closed without close_notify", False),
                                      (b"second, offers the first session", True)), 1):
        raw = socket.create_connection((host, port), timeout=5)
        s = ctx.wrap_socket(raw, server_hostname="tlsscope.test", session=session)
        s.sendall(msg + b"\n")
        answer = s.recv(200)
        print(json.dumps({"conn": n, "reused": s.session_reused, "session_id": s.session.id.hex(),
                          "cipher": s.cipher()[0], "answer": answer.decode(errors="replace").strip(),
                          "close": "close_notify" if clean else "fin_without_close_notify"}),
              flush=True)
        session = s.session
        if clean:
            plain = s.unwrap()  # sends close_notify, waits for the server's
            plain.close()
        else:
            s.close()       # no unwrap(): TCP FIN with no close_notify
        time.sleep(0.3)


def rst_abort(host, port, cafile, keylog, path):
    ctx = context(cafile, keylog, ssl.TLSVersion.TLSv1_3)
    # A small receive window keeps most of the answer (and the server's close_notify) queued in
    # the server's socket, so the RST always lands mid-download; with loopback's default
    # multi-megabyte buffers the server could finish first.
    raw = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    raw.settimeout(5)
    raw.connect((host, port))
    s = ctx.wrap_socket(raw, server_hostname="tlsscope.test")
    s.sendall(b"GET /" + path.encode() + b" HTTP/1.0\r\n\r\n")
    got = 0
    while got < 16384:
        chunk = s.recv(16384)
        if not chunk:
            break
        got += len(chunk)
    # l_onoff=1, l_linger=0: close() discards unsent data and sends RST
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    print(json.dumps({"read_bytes": got, "close": "rst"}), flush=True)
    s.close()           # wrap_socket took over raw's descriptor; no unwrap(), so no alert


def main():
    mode = sys.argv[1]
    if mode == "unclean-resume":
        unclean_resume(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif mode == "rst-abort":
        rst_abort(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
