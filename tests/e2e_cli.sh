#!/usr/bin/env bash
# End-to-end tests of the command line: exit codes, error messages, BPF, several files,
# truncated files, per-flow counts against tshark. Args: <tlsscope> <source dir> <build dir>.
exec /usr/bin/python3 "$2/tests/e2e_cli.py" "$@"
