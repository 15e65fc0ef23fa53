#!/usr/bin/env python3
"""ctgrad beside a hand-written loop, PyTorch and the read-bandwidth probe, in one run.

    bench/compare.py [--rounds 3] [--build-dir build-compare] [--quick] [--no-compile] [--json FILE]

Builds the benchmarks and the d2l example with -O3 -march=native (a Meson build directory of
its own), then runs, round after round, each workload's ctgrad binary right beside its PyTorch
script (bench/peers/), so that both see the same machine state. After the rounds it prints one
table: the median over the rounds of every figure, the ratios, and each performance target with
"met" or "MISSED". Then the compile-time rows: wall time and peak memory of g++ 12 and clang 14
compiling the d2l example and the largest test file.

Every figure is measured in this run; nothing is copied from an earlier one. Times of whole
processes and compilers come from os.wait4 (wall clock around it, peak resident memory from the
kernel's rusage of the child and its own children, e.g. cc1plus under g++).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
# The Debian interpreter: python3-torch installs into it, not into a pyenv one first on PATH.
TORCH_PYTHON = "/usr/bin/python3"

# The full-batch sizes compared with PyTorch: (n, d).
FULL_BATCHES = [(1_000_000, 128), (20_000_000, 2)]
DTYPES = [("float", "float32"), ("double", "float64")]
# The d2l example, and the two test files that cost the compilers most (README, Compile time):
# the fused kernel's law (many losses, each instantiating every kernel path) and the symbolic one.
COMPILE_UNITS = ["examples/linear_regression_scratch.cpp", "tests/laws/test_fused_equals_scalar.cpp",
                 "tests/laws/test_finite_differences.cpp"]


def die(message, status=1):
    print(f"compare: {message}", file=sys.stderr)
    sys.exit(status)


def run(command, **kwargs):
    """Runs a command, returning its stdout; dies with its stderr if it fails."""
    done = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, **kwargs)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        die(f"`{' '.join(map(str, command))}` exited with {done.returncode}")
    return done.stdout


def wall_and_peak(command, cwd):
    """Runs a command to completion; returns (wall seconds, peak RSS in MiB). Dies if it fails."""
    start = time.perf_counter()
    with subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        stderr = process.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if process.returncode != 0:
        sys.stderr.write(stderr[-4000:])
        die(f"`{' '.join(map(str, command))}` exited with {process.returncode}")
    return wall, usage.ru_maxrss / 1024.0


# ---- setup ------------------------------------------------------------------------------

def require_torch(install):
    probe = subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        return
    if not install:
        die("PyTorch is missing: apt-get install python3-torch (or run with --install)", 3)
    print("compare: installing python3-torch (Debian's; a large package)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], env=env, check=True)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "python3-torch"], env=env, check=True)


def build(build_dir):
    options = ["-Dbuildtype=release", "-Dcpp_args=-march=native", "-Dtests=false", "-Dexamples=true",
               "-Dbenchmarks=true"]
    if (ROOT / build_dir / "meson-private" / "coredata.dat").exists():
        run(["meson", "configure", build_dir, *options])  # whatever it was configured with before
    else:
        run(["meson", "setup", build_dir, *options])
    print(f"compare: building in {build_dir} (-O3 -march=native)", flush=True)
    run(["meson", "compile", "-C", build_dir,
         "bench_fit", "bench_fused", "bench_regression", "linear_regression_scratch"])


# ---- one measurement of each workload ------------------------------------------------------

def google_benchmark(binary, name_filter, min_time):
    """Runs a Google Benchmark binary; returns {name: (seconds per iteration, counters)}."""
    out = run([str(binary), f"--benchmark_filter={name_filter}", f"--benchmark_min_time={min_time}",
               "--benchmark_format=json"])
    to_seconds = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    results = {}
    for entry in json.loads(out)["benchmarks"]:
        counters = {k: v for k, v in entry.items() if isinstance(v, (int, float))}
        name = entry["name"].removesuffix("/real_time")  # UseRealTime() appends it
        results[name] = (entry["real_time"] * to_seconds[entry["time_unit"]], counters)
    return results


def peer_lines(script, *args, env=None):
    out = run([TORCH_PYTHON, str(PEERS / script), *map(str, args)], env=env)
    return [json.loads(line[len("PEER "):]) for line in out.splitlines() if line.startswith("PEER ")]


class Samples:
    """Figures by key, one sample per round; the table shows medians."""

    def __init__(self):
        self.values = {}

    def add(self, key, value):
        self.values.setdefault(key, []).append(value)

    def median(self, key):
        values = self.values.get(key)
        return statistics.median(values) if values else None


def measure_fit(s, build_dir, quick):
    found = google_benchmark(ROOT / build_dir / "bench" / "bench_fit", "^(ctgrad|hand)_fit", 0.05 if quick else 0.3)
    s.add("fit/ctgrad", found["ctgrad_fit"][0])
    s.add("fit/hand", found["hand_fit"][0])
    s.add("fit/ctgrad_adam", found["ctgrad_fit_adam"][0])


def measure_fit_torch(s, quick):
    (line,) = peer_lines("d2l_torch.py", "--repeat", 3 if quick else 10)
    s.add("fit/torch", line["seconds_median"])
    (line,) = peer_lines("d2l_torch.py", "--repeat", 3 if quick else 10, "--optimizer", "adam")
    s.add("fit/torch_adam", line["seconds_median"])


def full_batch_filter():
    return ("^(ctgrad_(rows_)?value_and_grad|ctgrad_(rows_)?value|hand_scalar_loop|read_probe)(_threads)?"
            "<(float|double)>/pytorch_sizes/")


# PyTorch runs on 1 thread and on every core; the table takes the faster (on 2026-11-27's VM
# 2 threads were up to 11% faster at six of eight workloads; on 2026-11-23's they were 50-70x slower).
TORCH_THREADS = sorted({1, os.cpu_count() or 1})


def measure_full_batches(s, build_dir, quick):
    found = google_benchmark(ROOT / build_dir / "bench" / "bench_fused", full_batch_filter(), 0.05 if quick else 0.5)
    pattern = re.compile(r"^(\w+)<(\w+)>/pytorch_sizes/d:(\d+)/m:(\d+)")
    for name, (seconds, _) in found.items():
        variant, ctype, d, n = pattern.match(name).groups()
        s.add(f"full/{ctype}/{n}/{d}/{variant}", seconds)


# Eager PyTorch allocates each large temporary afresh; glibc maps blocks over 32 MiB with mmap
# and returns them on free, so every pass page-faults them in again (about 25 µs per page on
# this VM: 18× the time at n = 2e7). Keeping freed memory for reuse gives PyTorch its best time.
TORCH_MALLOC = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"


def measure_full_batches_torch(s, quick):
    env = dict(os.environ, GLIBC_TUNABLES=TORCH_MALLOC)
    for n, d in FULL_BATCHES:
        for ctype, torch_dtype in DTYPES:
            for threads in TORCH_THREADS:
                for line in peer_lines("fullbatch_torch.py", "--n", n, "--d", d, "--dtype", torch_dtype,
                                       "--threads", threads, "--repeat", 2 if quick else 5, env=env):
                    variant = {"fullbatch_value_and_grad": "torch_value_and_grad",
                               "fullbatch_value": "torch_value"}[line["workload"]]
                    s.add(f"full/{ctype}/{n}/{d}/{variant}/{threads}", line["seconds_median"])


def fastest_torch(s, key):
    """The faster of PyTorch's thread counts (by median) for key, and that count."""
    found = [(s.median(f"{key}/{t}"), t) for t in TORCH_THREADS if s.median(f"{key}/{t}") is not None]
    return min(found) if found else (None, None)


def measure_torch_default_malloc(s, quick):
    """PyTorch as a user runs it, with glibc's default allocator (once: at n = 2e7 a pass took
    seconds on 2026-11-23's VM). Shown beside the tuned figures, never instead of them."""
    for n, d in FULL_BATCHES:
        for ctype, torch_dtype in DTYPES:
            for line in peer_lines("fullbatch_torch.py", "--n", n, "--d", d, "--dtype", torch_dtype,
                                   "--repeat", 1 if quick else 2):
                if line["workload"] == "fullbatch_value_and_grad":
                    s.add(f"full/{ctype}/{n}/{d}/torch_default_value_and_grad", line["seconds_median"])


def measure_regression(s, build_dir, quick):
    """bench_regression's best-of-interleaved-rounds times (counter best_us); the hand-written
    baselines are the fastest of its gradient variants and of its value variants."""
    found = google_benchmark(ROOT / build_dir / "bench" / "bench_regression", ".", 0.05 if quick else 0.3)
    pattern = re.compile(r"^(\w+)/N:(\d+)$")
    best = {}
    for name, (seconds, counters) in found.items():
        match = pattern.match(name)
        if not match:
            continue
        variant, n = match.groups()
        seconds = counters.get("best_us", seconds * 1e6) * 1e-6
        if variant.startswith("hand_grad_"):
            variant = "hand_gradient"
        elif variant.startswith("hand_value_"):
            variant = "hand_value"
        key = f"regression/{n}/{variant}"
        best[key] = min(best.get(key, seconds), seconds)
    for key, seconds in best.items():
        s.add(key, seconds)


def measure_processes(s, build_dir, quick, workdir):
    runs = 3 if quick else 10
    example = [str(ROOT / build_dir / "examples" / "linear_regression_scratch")]
    script = [TORCH_PYTHON, str(PEERS / "d2l_torch.py")]
    for _ in range(runs):  # alternating, so that both see the same machine
        for key, command in (("ctgrad", example), ("torch", script)):
            wall, peak = wall_and_peak(command, workdir)
            s.add(f"process/{key}/wall", wall)
            s.add(f"process/{key}/peak", peak)


def measure_compile(s):
    compilers = [("g++ 12", "g++"), ("clang 14", "clang++")]
    for unit in COMPILE_UNITS:
        for label, compiler in compilers:
            if shutil.which(compiler) is None:
                continue
            command = [compiler, "-std=c++20", "-O2", "-Iinclude", "-c", unit, "-o", os.devnull]
            wall, peak = wall_and_peak(command, ROOT)
            s.add(f"compile/{unit}/{label}/wall", wall)
            s.add(f"compile/{unit}/{label}/peak", peak)


# ---- the table --------------------------------------------------------------------------

def fmt_time(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(value):
    if value is None:
        return "-"
    return f"{value:.3g}×" if value < 100 else f"{value:,.0f}×"


def verdict(value, bound, at_most):
    if value is None:
        return "-"
    met = value <= bound if at_most else value >= bound
    return "met" if met else "MISSED"


def table(s):
    head = ["workload", "ctgrad", "hand-written", "PyTorch", "read probe", "ctgrad ÷ hand",
            "PyTorch ÷ ctgrad", "probe ÷ ctgrad", "targets"]
    rows = []

    ct, hand, torch = s.median("fit/ctgrad"), s.median("fit/hand"), s.median("fit/torch")
    rows.append(["d2l fit, 3 epochs, in process", fmt_time(ct), fmt_time(hand), fmt_time(torch), "-",
                 fmt_ratio(ratio(ct, hand)), fmt_ratio(ratio(torch, ct)), "-",
                 f"PyTorch ≥ 1000×: {verdict(ratio(torch, ct), 1000, False)}; "
                 f"≤ 1.0× hand: {verdict(ratio(ct, hand), 1.0, True)}"])
    ct_adam, torch_adam = s.median("fit/ctgrad_adam"), s.median("fit/torch_adam")
    rows.append(["d2l fit with Adam (lr 0.1), 3 epochs, in process", fmt_time(ct_adam), "-", fmt_time(torch_adam), "-",
                 "-", fmt_ratio(ratio(torch_adam, ct_adam)), "-",
                 f"PyTorch ≥ 1000×: {verdict(ratio(torch_adam, ct_adam), 1000, False)}; "
                 f"vs ctgrad's SGD fit: {fmt_ratio(ratio(ct_adam, ct))} the time"])

    for n, d in FULL_BATCHES:
        torch_bound = 4 if d == 128 else 25
        for ctype, _ in DTYPES:
            key = f"full/{ctype}/{n}/{d}"
            # ctgrad on one thread against the one-thread probe, then on every thread it uses
            # against the probe on the same threads.
            for suffix, where in (("", "1 thread"), ("_threads", "all threads")):
                for variant, torch_variant, label in (("ctgrad_value_and_grad", "torch_value_and_grad", "loss+grad"),
                                                      ("ctgrad_value", "torch_value", "loss alone"),
                                                      ("ctgrad_rows_value_and_grad", "torch_value_and_grad",
                                                       "loss+grad, example-major rows"),
                                                      ("ctgrad_rows_value", "torch_value", "loss alone, example-major rows")):
                    ct = s.median(f"{key}/{variant}{suffix}")
                    if ct is None:
                        continue
                    hand = s.median(f"{key}/hand_scalar_loop") if variant.endswith("value_and_grad") else None
                    torch, torch_threads = fastest_torch(s, f"{key}/{torch_variant}")
                    probe = s.median(f"{key}/read_probe{suffix}")
                    targets = "-"
                    if variant.endswith("value_and_grad"):
                        targets = (f"PyTorch ≥ {torch_bound}×: {verdict(ratio(torch, ct), torch_bound, False)}; "
                                   f"probe ≥ 0.9: {verdict(ratio(probe, ct), 0.9, False)}")
                    torch_label = f"{fmt_time(torch)} ({torch_threads} thr.)" if torch is not None else "-"
                    rows.append([f"full batch {label}, n = {n:.0e}, d = {d}, {ctype}, ctgrad on {where}", fmt_time(ct),
                                 fmt_time(hand), torch_label, fmt_time(probe), fmt_ratio(ratio(ct, hand)),
                                 fmt_ratio(ratio(torch, ct)), f"{ratio(probe, ct):.2f}" if ratio(probe, ct) else "-",
                                 targets])
                    default = s.median(f"{key}/torch_default_value_and_grad")
                    if variant == "ctgrad_value_and_grad" and default is not None:
                        rows.append([f"(the same, PyTorch with glibc's default malloc, its own thread count)", fmt_time(ct), "-",
                                     fmt_time(default), "-", "-", fmt_ratio(ratio(default, ct)), "-",
                                     f"PyTorch ≥ {torch_bound}×: {verdict(ratio(default, ct), torch_bound, False)}"])

    sizes = sorted({int(k.split("/")[1]) for k in s.values if k.startswith("regression/")})
    for n in sizes:
        key = f"regression/{n}"
        ct, hand = s.median(f"{key}/ctgrad_value_and_grad"), s.median(f"{key}/hand_gradient")
        ct_value, hand_value = s.median(f"{key}/ctgrad_value"), s.median(f"{key}/hand_value")
        over_value = ratio(ct, ct_value)
        rows.append([f"ADBenchmark regression, N = {n}, value+grad", fmt_time(ct), fmt_time(hand), "-", "-",
                     fmt_ratio(ratio(ct, hand)), "-", "-",
                     f"≤ 1.0× hand: {verdict(ratio(ct, hand), 1.0, True)}; "
                     f"÷ value {fmt_ratio(over_value)} ≤ 2.0: {verdict(over_value, 2.0, True)}"])
        rows.append([f"ADBenchmark regression, N = {n}, value", fmt_time(ct_value), fmt_time(hand_value), "-", "-",
                     fmt_ratio(ratio(ct_value, hand_value)), "-", "-", "-"])

    wall_c, wall_t = s.median("process/ctgrad/wall"), s.median("process/torch/wall")
    peak_c, peak_t = s.median("process/ctgrad/peak"), s.median("process/torch/peak")
    rows.append(["d2l example, whole process: wall", fmt_time(wall_c), "-", fmt_time(wall_t), "-", "-",
                 fmt_ratio(ratio(wall_t, wall_c)), "-", f"≤ 10 ms: {verdict(wall_c, 0.010, True)}"])
    rows.append(["d2l example, whole process: peak memory", f"{peak_c:.1f} MiB" if peak_c else "-", "-",
                 f"{peak_t:.0f} MiB" if peak_t else "-", "-", "-", fmt_ratio(ratio(peak_t, peak_c)), "-",
                 f"≤ 20 MiB: {verdict(peak_c, 20, True)}"])

    for unit in COMPILE_UNITS:
        for label in ("g++ 12", "clang 14"):
            wall, peak = s.median(f"compile/{unit}/{label}/wall"), s.median(f"compile/{unit}/{label}/peak")
            if wall is None:
                continue
            targets = "-"
            if unit.startswith("examples/") and label == "g++ 12":
                targets = f"≤ 10 s: {verdict(wall, 10, True)}; ≤ 1 GiB: {verdict(peak, 1024, True)}"
            rows.append([f"compile {unit}, {label} -O2", f"{wall:.1f} s, {peak:.0f} MiB", "-", "-", "-", "-", "-",
                         "-", targets])

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are shown); default 3")
    parser.add_argument("--build-dir", default="build-compare", help="Meson build directory (default build-compare)")
    parser.add_argument("--quick", action="store_true", help="short runs, to check the script (figures are rough)")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time rows (about 4 minutes)")
    parser.add_argument("--install", action="store_true", help="apt-get install python3-torch if it is missing")
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    require_torch(args.install)
    build(args.build_dir)
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="ctgrad-compare-") as workdir:
        for round_index in range(args.rounds):
            steps = [
                ("d2l fit: ctgrad", lambda: measure_fit(samples, args.build_dir, args.quick)),
                ("d2l fit: PyTorch", lambda: measure_fit_torch(samples, args.quick)),
                ("full batches: ctgrad", lambda: measure_full_batches(samples, args.build_dir, args.quick)),
                ("full batches: PyTorch", lambda: measure_full_batches_torch(samples, args.quick)),
                ("regression objective", lambda: measure_regression(samples, args.build_dir, args.quick)),
                ("whole processes", lambda: measure_processes(samples, args.build_dir, args.quick, workdir)),
            ]
            if round_index % 2:  # every other round in reverse, so neither side always runs first
                steps.reverse()
            for label, step in steps:
                print(f"compare: round {round_index + 1}/{args.rounds}: {label}", flush=True)
                step()
    print("compare: PyTorch full batches with glibc's default allocator (once)", flush=True)
    measure_torch_default_malloc(samples, args.quick)
    if not args.no_compile:
        print("compare: compile times (g++, clang++)", flush=True)
        measure_compile(samples)

    load = os.getloadavg()[0]
    print()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {load:.2f}, "
          f"medians of {args.rounds} round(s){' (quick)' if args.quick else ''}")
    print(table(samples))
    if args.json:
        args.json.write_text(json.dumps(samples.values, indent=1))


if __name__ == "__main__":
    main()
