#!/usr/bin/env bash
# Builds ctgrad's libFuzzer targets (the CSV reader, the .npy reader) with AddressSanitizer
# and UndefinedBehaviorSanitizer, then fuzzes each for SECONDS (default 60).
#
#   fuzz/run_fuzz.sh [SECONDS] [BUILD_DIR] [TARGET...]     BUILD_DIR: build-fuzz; TARGET: csv npy
#
# The seed corpora are fuzz/corpus/TARGET (each file: option bytes, see fuzz_TARGET.cpp, then
# the file's bytes); what the fuzzer adds goes to BUILD_DIR/corpus-TARGET, so the tree stays
# clean and a later run starts from there. A crash, a sanitizer report or an exception other
# than ctgrad's own is saved as BUILD_DIR/crash-* and the script exits non-zero; replay it with
#     BUILD_DIR/fuzz_TARGET BUILD_DIR/crash-...
# and add it to tests/test_TARGET.cpp as a regression test. Needs clang++ with libFuzzer
# (Debian bookworm: clang-14; CXX_FUZZ=clang++-14 picks another compiler).
set -euo pipefail

seconds="${1:-60}"
build="${2:-build-fuzz}"
shift $(($# < 2 ? $# : 2))
targets=("$@")
((${#targets[@]})) || targets=(csv npy)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cxx="${CXX_FUZZ:-clang++}"

mkdir -p "$build"
for target in "${targets[@]}"; do
  echo "fuzz: building $build/fuzz_$target with $cxx"
  "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Wpedantic -Werror -I"$root/include" "$root/fuzz/fuzz_$target.cpp" -o "$build/fuzz_$target"
done
for target in "${targets[@]}"; do
  echo "fuzz: running fuzz_$target for $seconds s"
  mkdir -p "$build/corpus-$target"
  "$build/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/" \
    "$build/corpus-$target" "$root/fuzz/corpus/$target"
done
