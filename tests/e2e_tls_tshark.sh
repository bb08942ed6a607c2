#!/usr/bin/env bash
# TLS facts per connection agree with tshark on every sample (issue 4).
exec /usr/bin/python3 "$2/tests/e2e_tls_tshark.py" "$@"
