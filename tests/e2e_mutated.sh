#!/usr/bin/env bash
# Seeded mutants of every capture in samples/ and samples/lab/, and files broken as files
# (cut, empty, wrong magic, huge snaplen, time going backwards, two link types in one pcapng):
# exit 0 with a JSON report or exit 2 with a message, no sanitizer report, no hang.
# Args: <tlsscope> <source dir> <build dir>. TLSSCOPE_MUTATIONS=N changes mutants per capture.
exec /usr/bin/python3 "$2/tests/e2e_mutated.py" "$@"
