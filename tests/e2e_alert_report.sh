#!/usr/bin/env bash
# What the report makes of the alert samples (issue 21): failed, uncertain, findings, causes.
exec /usr/bin/python3 "$2/tests/e2e_alert_report.py" "$@"
