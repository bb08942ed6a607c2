#!/usr/bin/env bash
# --keylog: the alerts of samples/alerts decrypted, against tshark's decryption (issue 22).
exec /usr/bin/python3 "$2/tests/e2e_keylog.py" "$@"
