#!/usr/bin/env bash
# e2e_prefetch: the prefetch hints survive compilation. They change no output, so no other test
# can see them go; GCC 12 once folded base/prefetch.h's loop over an inlined sizeof into a
# single prefetch and then into none, silently costing 16% on short connections. Checks that
# the built binary's tls_conn_prefetch, tls_conn_prefetch_data, tls_conn_prefetch_summary and
# cls_flow_prefetch each hold a prefetch loop (a prefetch instruction and a branch back; in
# an unoptimised or link-time optimised build, in the out-of-line prefetch_block they call or
# jump to). x86-64 only (exit 77 elsewhere, or without objdump).
#
# Args (ctest e2e convention): <tlsscope binary> <source dir (unused)> <build dir (unused)>.
set -euo pipefail
BIN=$1
command -v objdump >/dev/null || { echo "SKIP: objdump not installed"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: not x86-64"; exit 77; }
dis=$(mktemp)
trap 'rm -f "$dis"' EXIT
objdump -d --no-show-raw-insn "$BIN" >"$dis"
fail=0
for fn in tls_conn_prefetch tls_conn_prefetch_data tls_conn_prefetch_summary cls_flow_prefetch; do
    body=$(awk -v f="<$fn>:" '$2 == f {on=1; next} on && /^$/ {exit} on' "$dis")
    # Unoptimised (the sanitizer build), or link-time optimised (a private clone, tail-called):
    # the loop is in the out-of-line copy it calls or jumps to.
    callee=$(grep -oE '(call|jmp) +[0-9a-f]+ <prefetch_block[^>+]*>' <<<"$body" | head -1 |
             grep -oE '<[^>]+>' || true)
    if [ -n "$callee" ]; then
        body=$(awk -v f="$callee:" '$2 == f {on=1; next} on && /^$/ {exit} on' "$dis")
    fi
    if [ -z "$body" ]; then
        echo "FAIL: $fn not found in $BIN"; fail=1; continue
    fi
    n=$(grep -c 'prefetch' <<<"$body" || true)
    if [ "$n" -lt 1 ] || ! grep -qE '\sj(b|ne|l|ae|be)\s' <<<"$body"; then
        echo "FAIL: $fn has no prefetch loop:"; echo "$body"; fail=1
    else
        echo "ok: $fn: $n prefetch instruction(s) in a loop"
    fi
done
exit $fail
