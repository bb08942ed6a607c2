#!/usr/bin/env bash
# Other projects' captures (samples/public) against their tshark views; STARTTLS; nDPI (issue 8).
exec /usr/bin/python3 "$2/tests/e2e_public.py" "$@"
