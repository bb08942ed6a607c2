#!/usr/bin/env bash
# valgrind memcheck over whole runs of tlsscope: a handful of samples (pcap and pcapng, several
# files, NDJSON, stdout, a BPF filter with tiny caps) and the error paths (a file cut inside a
# record, wrong magic, a pcapng whose second interface has another link type). Each run must
# show no invalid access and no leak (valgrind exits 1 on either; tlsscope itself exits 0 or 2
# here, never 1, as no --fail-on is given).
# Args: <tlsscope> <source dir> <build dir>. Exit 77: valgrind missing, or an ASan build
# (ASan and valgrind cannot share a process).
set -uo pipefail
bin=$1 src=$2 build=$3
command -v valgrind >/dev/null || { echo "skip: valgrind not installed"; exit 77; }
libs=$(ldd "$bin" 2>/dev/null) # not piped into grep -q: pipefail would see ldd's SIGPIPE
if [[ $libs == *libasan* ]]; then
    echo "skip: $bin is an ASan build"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
s=$src/samples

# Broken inputs, made here from the samples.
clean=$s/tls12-clean.pcap
head -c $(( $(stat -c %s "$clean") - 40 )) "$clean" >"$tmp/cut.pcap"
{ printf '\xde\xad\xbe\xef'; tail -c +5 "$clean"; } >"$tmp/magic.pcap"
/usr/bin/python3 - "$tmp/twolinks.pcapng" "$src/tests" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import pcapgen as pg
c, s = pg.ip4("10.0.0.1"), pg.ip4("10.0.0.2")
out = pg.pcapng_shb() + pg.pcapng_idb(pg.LINKTYPE_EN10MB)
out += pg.pcapng_epb(0, 1, pg.tcp_ipv4(c, s, 40000, 443, 1000, 0, pg.TCP_SYN))
out += pg.pcapng_epb(0, 2, pg.tcp_ipv4(c, s, 40000, 443, 1001, 0, pg.TCP_ACK | pg.TCP_PSH,
                                        pg.client_hello()))
out += pg.pcapng_idb(pg.LINKTYPE_RAW)
out += pg.pcapng_epb(1, 3, pg.tcp_ipv4(s, c, 443, 40000, 5000, 1001, pg.TCP_ACK, ether=False))
open(sys.argv[1], "wb").write(out)
PY

fail=0
# run EXPECTED_EXIT ARGS...: tlsscope under memcheck; valgrind's own verdict is exit 1.
run() {
    local want=$1
    shift
    G_SLICE=always-malloc valgrind -q --leak-check=full --error-exitcode=1 \
        --log-file="$tmp/vg.log" "$bin" -q "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    local rc=$?
    if [ "$rc" -eq "$want" ] && [ ! -s "$tmp/vg.log" ]; then
        echo "ok   $* (exit $rc)"
    else
        echo "FAIL $* (exit $rc, expected $want)"
        cat "$tmp/vg.log" "$tmp/stderr" | head -60
        fail=1
    fi
}

run 0 -r "$clean" -o "$tmp/r.json"
run 0 -r "$s/lab/cap.pcapng" -o "$tmp/r.json"
run 0 -r "$s/lab/gap.pcap" -r "$s/lab/mid.pcap" -o "$tmp/r.json"
run 0 -r "$s/tls12-dropped-444.pcap" -o "$tmp/r.json" --ndjson "$tmp/r.ndjson"
run 0 -r "$s/tls13-psk-resume.pcap" -r "$s/tls13-hrr.pcap" -o -
run 0 -r "$s/tls12-clean-sll.pcap" -o "$tmp/r.json" --max-flows 1 --ooo-max-bytes 10 tcp port 443
run 0 -r "$tmp/cut.pcap" -o "$tmp/r.json"
run 2 -r "$tmp/magic.pcap" -o "$tmp/r.json"
run 2 -r "$tmp/twolinks.pcapng" -o "$tmp/r.json"
exit $fail
