#!/usr/bin/env python3
"""Run the C++ compiler on one source with -fsyntax-only and judge the result.

Default mode (a compile-fail test): passes only if the compiler fails AND its
combined output contains every text given in the source on lines of the form

    // expect: <text>

The compiler line should switch off source excerpts (g++
-fno-diagnostics-show-caret, clang++ -fno-caret-diagnostics; tests/meson.build
adds the right one), so that a source line which merely quotes an expected
text, such as a static_assert in a header, cannot satisfy it.

A source without any expect line is itself a failure: it would pass on any
error, including a broken include path.

--must-compile (the positive control): passes only if the compiler succeeds
without printing a warning or an error, so a broken compiler line cannot make
the compile-fail tests pass vacuously. A compile-fail source may hold its own
positive control, its twin: the same calls written right under
#ifdef CTGRAD_TWIN, checked with --must-compile --define CTGRAD_TWIN.

Usage:
    check_compile_fail.py [--must-compile] --source FILE [--include DIR]...
        [--isystem DIR]... [--define MACRO]... [--timeout SECONDS] -- COMPILER [FLAGS...]
"""

import argparse
import os
import re
import subprocess
import sys

EXPECT_RE = re.compile(r"^\s*//\s*expect:\s*(.*?)\s*$")
SHOWN_LINES = 60


def parse_args(argv):
    if "--" not in argv:
        sys.exit("check_compile_fail: missing '--' before the compiler command")
    split = argv.index("--")
    own, compiler = argv[:split], argv[split + 1:]
    if not compiler:
        sys.exit("check_compile_fail: no compiler command after '--'")
    parser = argparse.ArgumentParser(prog="check_compile_fail")
    parser.add_argument("--source", required=True)
    parser.add_argument("--include", action="append", default=[])
    parser.add_argument("--isystem", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--must-compile", action="store_true")
    parser.add_argument("--define", action="append", default=[],
                        help="a macro to define (-D), e.g. CTGRAD_TWIN for a source's compiling twin")
    args = parser.parse_args(own)
    return args, compiler


def read_expectations(path):
    expected = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = EXPECT_RE.match(line)
            if m and m.group(1):
                expected.append(m.group(1))
    return expected


def show_output(output):
    lines = output.splitlines()
    if not lines:
        print("--- no compiler output ---")
        return
    print(f"--- compiler output (first {SHOWN_LINES} of {len(lines)} lines) ---")
    for line in lines[:SHOWN_LINES]:
        print(line)
    print("--- end of compiler output ---")


def main(argv):
    args, compiler = parse_args(argv)
    source = os.path.abspath(args.source)
    if not os.path.isfile(source):
        print(f"FAIL: source not found: {source}")
        return 1

    expected = [] if args.must_compile else read_expectations(source)
    if not args.must_compile and not expected:
        print(f"FAIL: {source} has no '// expect: <text>' line")
        return 1

    cmd = list(compiler) + ["-fsyntax-only"]
    cmd += ["-D" + d for d in args.define]
    cmd += ["-I" + d for d in args.include]
    for d in args.isystem:
        cmd += ["-isystem", d]
    cmd.append(source)
    print("command:", " ".join(cmd))
    sys.stdout.flush()

    env = dict(os.environ)
    # Plain ASCII diagnostics: quotes and colours must not depend on the locale.
    env["LC_ALL"] = "C"
    env.pop("GCC_COLORS", None)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: compiler did not finish within {args.timeout:g} s")
        out = e.output or b""
        show_output(out.decode("utf-8", errors="replace"))
        return 1
    except OSError as e:
        print(f"FAIL: cannot run the compiler: {e}")
        return 1

    output = proc.stdout.decode("utf-8", errors="replace")

    if args.must_compile:
        noisy = [l for l in output.splitlines()
                 if "warning:" in l or "error:" in l]
        if proc.returncode != 0:
            print(f"FAIL: {source} must compile, but the compiler "
                  f"exited with {proc.returncode}")
            show_output(output)
            return 1
        if noisy:
            print(f"FAIL: {source} compiled, but with {len(noisy)} "
                  f"diagnostic line(s); it must compile cleanly")
            show_output(output)
            return 1
        print(f"PASS: {source} compiles cleanly")
        return 0

    if proc.returncode == 0:
        print(f"FAIL: {source} compiled, but it must not")
        show_output(output)
        return 1

    missing = [text for text in expected if text not in output]
    if missing:
        print(f"FAIL: {source} failed to compile, but without the expected text:")
        for text in missing:
            print(f"  missing: {text}")
        show_output(output)
        return 1

    print(f"PASS: {source} fails to compile with all {len(expected)} "
          f"expected text(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
