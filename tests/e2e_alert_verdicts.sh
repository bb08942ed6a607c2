#!/usr/bin/env bash
# Alert verdicts against the truth of samples/alerts and samples/ (issue 21).
exec /usr/bin/python3 "$2/tests/e2e_alert_verdicts.py" "$@"
