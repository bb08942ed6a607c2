#!/usr/bin/env bash
# Reports on every sample: schema-valid, deterministic, NDJSON == document, golden diff, and the
# findings each sample's construction calls for (issue 5).
exec /usr/bin/python3 "$2/tests/e2e_report.py" "$@"
