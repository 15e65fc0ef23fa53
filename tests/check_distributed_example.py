#!/usr/bin/env python3
"""examples/distributed_linear_regression under `mpirun -n 1`, 2 and 4 prints what
linear_regression_scratch prints, line for line (rank 0 alone prints; the errors in w and b
are the single process's to rounding, far below the 4 digits shown).

usage: check_distributed_example.py MPIRUN DISTRIBUTED SCRATCH [ARGS...]
"""
import subprocess
import sys


def main():
    mpirun, distributed, scratch, *args = sys.argv[1:]
    single = subprocess.run([scratch, *args], capture_output=True, text=True, timeout=120)
    if single.returncode != 0:
        print(single.stdout + single.stderr)
        return 1
    failed = 0
    for ranks in (1, 2, 4):
        run = subprocess.run([mpirun, "-n", str(ranks), "--oversubscribe", distributed, *args],
                             capture_output=True, text=True, timeout=120)
        same = run.returncode == 0 and run.stdout == single.stdout
        print(f"{'ok  ' if same else 'FAIL'} mpirun -n {ranks}: {'the same lines' if same else 'differs'}")
        if not same:
            failed += 1
            print("--- linear_regression_scratch:\n" + single.stdout + "--- distributed:\n" + run.stdout + run.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
