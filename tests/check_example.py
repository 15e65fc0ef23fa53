#!/usr/bin/env python3
"""Runs an example and checks what it did, so that the README's claims are tested.

usage: check_example.py [--exit N] [--expect REGEX]... [--bound LABEL MAX]...
                        [--svg FILE CURVES LABEL,LABEL...] [--csv FILE ROWS] -- COMMAND...

--exit N          the exit status the command must have (default 0)
--expect REGEX    a regular expression its stdout + stderr must match (re.MULTILINE)
--bound LABEL MAX the line starting with LABEL lists numbers ("[0.0123, -0.0456]"); each
                  must have |value| < MAX
--svg ...         the command wrote FILE: it must parse as XML with CURVES curves and these
                  legend labels (checked by check_svg.py next to this script)
--csv FILE ROWS   the command wrote FILE: a CSV with a header and ROWS data rows
"""
import csv
import os
import re
import subprocess
import sys


def fail(message, output=""):
    if output:
        sys.stderr.write("--- output ---\n" + output + "--- end ---\n")
    sys.stderr.write("check_example: " + message + "\n")
    sys.exit(1)


def main(argv):
    if "--" not in argv:
        fail("no command: put it after --")
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    exit_status, expects, bounds, svgs, csvs = 0, [], [], [], []
    i = 0
    while i < len(options):
        flag = options[i]
        if flag == "--exit":
            exit_status = int(options[i + 1]); i += 2
        elif flag == "--expect":
            expects.append(options[i + 1]); i += 2
        elif flag == "--bound":
            bounds.append((options[i + 1], float(options[i + 2]))); i += 3
        elif flag == "--svg":
            svgs.append((options[i + 1], options[i + 2], options[i + 3].split(","))); i += 4
        elif flag == "--csv":
            csvs.append((options[i + 1], int(options[i + 2]))); i += 3
        else:
            fail("unknown option " + flag)

    for path, *_ in svgs + csvs:
        if os.path.exists(path):
            os.remove(path)  # a file left by an earlier run must not pass for this one's
    run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    output = run.stdout
    sys.stdout.write(output)
    if run.returncode != exit_status:
        fail(f"exit status {run.returncode}, expected {exit_status}", output)
    for pattern in expects:
        if not re.search(pattern, output, re.MULTILINE):
            fail(f"output does not match {pattern!r}", output)
    for label, bound in bounds:
        lines = [line for line in output.splitlines() if line.startswith(label)]
        if not lines:
            fail(f"no line starts with {label!r}", output)
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", lines[-1][len(label):])]
        if not numbers or any(abs(v) >= bound for v in numbers):
            fail(f"{label} {numbers}: expected every |value| < {bound}", output)
    for path, curves, labels in svgs:
        checker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_svg.py")
        args = [sys.executable, checker, path, "--curves", curves]
        for label in labels:
            args += ["--label", label]
        if subprocess.run(args).returncode != 0:
            fail(f"{path} is not the expected picture")
    for path, rows in csvs:
        with open(path, newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
        if len(table) != rows + 1:
            fail(f"{path} has {len(table) - 1} data rows, expected {rows}")
    print("check_example: ok")


if __name__ == "__main__":
    main(sys.argv[1:])
