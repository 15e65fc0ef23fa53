#!/usr/bin/env python3
"""A failure on one rank ends the whole MPI job, in bounded time, naming the rank, and the job
resumes from its last checkpoint: tests/mpi/mpi_faults.cpp under mpirun.

usage: check_mpi_faults.py MPIRUN MPI_FAULTS WORKDIR
"""
import os
import re
import subprocess
import sys
import time

BOUND = 30  # seconds a failed job may take to end (mpirun kills the others within a few)


def run(mpirun, program, ranks, args, extra=()):
    start = time.monotonic()
    proc = subprocess.run([mpirun, "-n", str(ranks), "--oversubscribe", *extra, program, *args],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def main():
    mpirun, program, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    failures, checks = [], 0

    def check(condition, what, output=""):
        nonlocal checks
        checks += 1
        print(("ok   " if condition else "FAIL ") + what)
        if not condition:
            failures.append(what)
            print(output[-3000:])

    status, out, took = run(mpirun, program, 2, ["throw", "1", "2"])
    check(status != 0 and took < BOUND, f"an exception on rank 1 ends the job (status {status}, {took:.1f} s)", out)
    check(re.search(r"rank 1 of 2 failed: injected failure at epoch 2; ending the job", out) is not None,
          "the message names the rank and the exception", out)

    status, out, took = run(mpirun, program, 3, ["kill", "2", "2"])
    check(status != 0 and took < BOUND, f"a killed rank 2 of 3 ends the job (status {status}, {took:.1f} s)", out)
    check(re.search(r"rank 2 .*signal 9", out.replace("\n", " ")) is not None, "mpirun names the killed rank", out)

    status, out, took = run(mpirun, program, 2, ["hang", "1", "1"], ["--timeout", "5"])
    check(status != 0 and took < BOUND, f"a hung rank is ended by mpirun --timeout 5 (status {status}, {took:.1f} s)", out)

    # Killed after epoch 2 with a checkpoint every epoch; resumed with 3 ranks, the end is the
    # uninterrupted run's to rounding (the same bits with as many ranks).
    for name in ("run.ckpt",):
        if os.path.exists(name):
            os.remove(name)
    status, whole, _ = run(mpirun, program, 2, ["none", "0", "0"])
    check(status == 0 and "w = " in whole, "the uninterrupted run", whole)
    status, out, _ = run(mpirun, program, 2, ["kill", "1", "3", "--checkpoint", "run.ckpt"])
    check(status != 0 and os.path.exists("run.ckpt"), "killed in epoch 3, a checkpoint of epoch 2 is left", out)
    status, resumed, _ = run(mpirun, program, 2, ["none", "0", "0", "--resume", "run.ckpt", "--checkpoint", "run.ckpt"])
    line = lambda text: next((l for l in text.splitlines() if l.startswith("w = ")), "missing")
    check(status == 0 and line(resumed) == line(whole),
          f"resumed on 2 ranks: {line(resumed)} (uninterrupted: {line(whole)})", resumed)
    status, resumed3, _ = run(mpirun, program, 3, ["none", "0", "0", "--resume", "run.ckpt"])
    numbers = lambda text: [float(v) for v in re.findall(r"-?[0-9]+\.[0-9]+(?:e[-+]?[0-9]+)?", line(text))]
    a, b = numbers(resumed3), numbers(whole)
    check(status == 0 and len(a) == 3 and len(b) == 3 and all(abs(p - q) <= 1e-12 * abs(q) for p, q in zip(a, b)),
          f"resumed on 3 ranks: {line(resumed3)}", resumed3)

    print(f"{len(failures)} of {checks} checks failed" if failures else f"all {checks} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
