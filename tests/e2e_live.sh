#!/usr/bin/env bash
# Live capture on loopback: a real TCP exchange on 127.0.0.1 captured with -i lo and a port
# filter; SIGINT/SIGTERM/SIGHUP end it with a complete report. Needs root (skips otherwise).
exec /usr/bin/python3 "$2/tests/e2e_live.py" "$@"
