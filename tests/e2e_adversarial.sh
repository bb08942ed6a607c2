#!/usr/bin/env bash
# Adversarial traffic (SYN flood, out-of-order floods, 16 MB handshake claims, a million tiny
# records, maximum-length records, 50 MB of non-TLS on 443) against the caps: peak RSS and the
# caps' counters. Args: <tlsscope> <source dir> <build dir>.
exec /usr/bin/python3 "$2/tests/e2e_adversarial.py" "$@"
