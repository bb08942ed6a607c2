#!/usr/bin/env python3
"""faultproxy: a TCP proxy that damages a TLS stream on purpose, for samples/make-samples.

It relays bytes between a client and a server and can, per direction, drop bytes, flip a byte or
truncate the stream. Faults are placed by TLS record position rather than by absolute offset,
because record sizes depend on the stacks and we want the damage to land where the sample says
(e.g. "inside the body of the 10th application-data record"). The proxy tracks record framing of
the ORIGINAL stream it receives (5-byte header: type, version, length; RFC 8446 section 5.1), so
the count is not disturbed by its own damage.

Every fault it applies is written as one JSON line to --log with the absolute stream offset
(0 = first payload byte of that direction), so the sample's truth does not depend on guesses.

Rules (DIR is c2s or s2c; TYPE a record content type: 20 ccs, 21 alert, 22 handshake, 23 data;
NTH counts records of TYPE in that direction from 1; BODYOFF counts bytes from the record body's
start):
  --flip DIR:TYPE:NTH:BODYOFF[:XOR]     XOR one body byte with XOR (default 0x01)
  --drop DIR:TYPE:NTH:BODYOFF:COUNT     silently drop COUNT bytes starting at that body byte
                                        (they may run on into following records)
  --truncate DIR:OFFSET                 forward only the first OFFSET bytes of DIR, then close
                                        both connections with FIN (no alert)
Rules apply to every accepted connection; --max-conns stops accepting after that many.
Stdlib only.
"""
import argparse
import json
import socket
import sys
import threading

TLS_HEADER_LEN = 5  # type(1) legacy_version(2) length(2), RFC 8446 section 5.1


def parse_hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Rule:
    def __init__(self, kind, spec):
        parts = spec.split(":")
        self.kind = kind
        self.direction = parts[0]
        if self.direction not in ("c2s", "s2c"):
            raise ValueError("direction must be c2s or s2c: " + spec)
        if kind == "truncate":
            self.offset = int(parts[1], 0)
            return
        self.rtype = int(parts[1], 0)
        self.nth = int(parts[2], 0)
        self.bodyoff = int(parts[3], 0)
        if kind == "flip":
            self.xor = int(parts[4], 0) if len(parts) > 4 else 0x01
        else:
            self.count = int(parts[4], 0)


class Direction:
    """Record tracker plus fault state for one direction of one connection."""

    def __init__(self, name, rules, log, conn_id):
        self.name = name
        self.rules = [r for r in rules if r.direction == name]
        self.log = log
        self.conn_id = conn_id
        self.offset = 0          # stream offset of the next original byte
        self.hdr = bytearray()
        self.body_left = 0
        self.body_off = 0
        self.rtype = None
        self.rec_start = 0
        self.seen = {}           # content type -> records seen
        self.drop_left = 0
        self.truncated = False

    def _emit(self, **fields):
        fields.update(conn=self.conn_id, dir=self.name)
        self.log(fields)

    def transform(self, data):
        out = bytearray()
        for b in data:
            if self.truncated:
                break
            for r in self.rules:
                if r.kind == "truncate" and self.offset == r.offset:
                    self.truncated = True
                    where = {}
                    if self.body_left > 0:   # cut inside a record body: say which one
                        where = dict(record_type=self.rtype, record_offset=self.rec_start,
                                     record_nth=self.seen.get(self.rtype, 0),
                                     body_offset=self.body_off,
                                     record_body_len=self.body_off + self.body_left)
                    self._emit(action="truncate", offset=self.offset, **where)
            if self.truncated:
                break
            in_body = self.body_left > 0
            if in_body:
                nth = self.seen.get(self.rtype, 0)
                for r in self.rules:
                    if r.kind in ("flip", "drop") and r.rtype == self.rtype and r.nth == nth \
                            and r.bodyoff == self.body_off:
                        if r.kind == "flip":
                            nb = b ^ r.xor
                            self._emit(action="flip", offset=self.offset, record_type=self.rtype,
                                       record_nth=nth, record_offset=self.rec_start,
                                       body_offset=self.body_off, old=b, new=nb)
                            b = nb
                        else:
                            self.drop_left = r.count
                            self._emit(action="drop", offset=self.offset, count=r.count,
                                       record_type=self.rtype, record_nth=nth,
                                       record_offset=self.rec_start, body_offset=self.body_off,
                                       record_body_len=self.body_off + self.body_left)
            # framing of the original stream, independent of what we forward
            if in_body:
                self.body_left -= 1
                self.body_off += 1
            else:
                if not self.hdr:
                    self.rec_start = self.offset
                self.hdr.append(b)
                if len(self.hdr) == TLS_HEADER_LEN:
                    self.rtype = self.hdr[0]
                    self.seen[self.rtype] = self.seen.get(self.rtype, 0) + 1
                    self.body_left = (self.hdr[3] << 8) | self.hdr[4]
                    self.body_off = 0
                    self.hdr.clear()
            self.offset += 1
            if self.drop_left > 0:
                self.drop_left -= 1
                continue
            out.append(b)
        return bytes(out)


def pump(src, dst, direction, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            out = direction.transform(data)
            if out:
                dst.sendall(out)
            if direction.truncated:
                # close both sides so the peer sees a clean FIN where the record was cut
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                break
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    except OSError as e:
        direction._emit(action="error", error=str(e))
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    finally:
        done.release()


def handle(client, target, rules, log, conn_id):
    fam = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    server = socket.socket(fam, socket.SOCK_STREAM)
    try:
        server.connect(target)
    except OSError as e:
        log({"conn": conn_id, "action": "error", "error": str(e)})
        client.close()
        return
    done = threading.Semaphore(0)
    c2s = Direction("c2s", rules, log, conn_id)
    s2c = Direction("s2c", rules, log, conn_id)
    threading.Thread(target=pump, args=(client, server, c2s, done), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, s2c, done), daemon=True).start()
    done.acquire()
    done.acquire()
    log({"conn": conn_id, "action": "closed", "c2s_bytes": c2s.offset, "s2c_bytes": s2c.offset})
    client.close()
    server.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", required=True, help="HOST:PORT to accept on")
    ap.add_argument("--connect", required=True, help="HOST:PORT of the real server")
    ap.add_argument("--flip", action="append", default=[])
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--truncate", action="append", default=[])
    ap.add_argument("--log", help="file for JSON-lines fault log (default stderr)")
    ap.add_argument("--max-conns", type=int, default=0, help="exit after this many connections")
    args = ap.parse_args()

    rules = [Rule("flip", s) for s in args.flip] + [Rule("drop", s) for s in args.drop] + \
        [Rule("truncate", s) for s in args.truncate]
    lock = threading.Lock()
    logf = open(args.log, "a") if args.log else sys.stderr

    def log(obj):
        with lock:
            logf.write(json.dumps(obj, sort_keys=True) + "\n")
            logf.flush()

    host, port = parse_hostport(args.listen)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(16)
    target = parse_hostport(args.connect)
    threads = []
    n = 0
    while args.max_conns == 0 or n < args.max_conns:
        client, _ = ls.accept()
        n += 1
        t = threading.Thread(target=handle, args=(client, target, rules, log, n), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
