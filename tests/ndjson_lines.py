"""Reading a growing NDJSON stream in the end-to-end tests (e2e_cli.py, e2e_live.py)."""
import os
import time


def connection_lines(path):
    """The connection records written to path so far ([] before the file exists)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line for line in f.read().splitlines() if '"type":"connection"' in line]


def wait_connection_lines(path, timeout, interval):
    """Polls path every interval seconds until it holds a connection record or timeout seconds
    have passed; returns the records then."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline and not lines:
        time.sleep(interval)
        lines = connection_lines(path)
    return lines
