#!/usr/bin/env bash
# cppcheck and clang-tidy over capture/ dissect/ report/ cli/ with the checked-in configuration
# (.clang-tidy, scripts/cppcheck-suppressions.txt): any finding fails. Uses this build's
# compile_commands.json. Args: <tlsscope> <source dir> <build dir>. Exit 77: a tool is missing.
set -uo pipefail
src=$2 build=$3
for t in cppcheck clang-tidy; do
    command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
exec "$src/scripts/static-analysis" "$build"
