#!/usr/bin/python3
"""PyTorch peer of ctgrad's fused full-batch kernel: the squared loss over all n examples.

    loss(w, b) = mean_i (x_i . w + b - y_i)^2 / 2

X is an n x d tensor, example-major (one row per example, as a torch user stores it), y has
length n, w (length d) and b (a scalar) require grad. Two things are timed, each after one
untimed warm-up:
  fullbatch_value_and_grad  one iteration = the forward pass (the loss), loss.backward()
                            (the grads of w and b), and clearing the grads (set to None, as
                            optimizer.zero_grad(set_to_none=True) does)
  fullbatch_value           the loss alone under torch.no_grad()
Before timing, the autograd gradient is checked once against the analytic one computed in
float64 (X^T r / n and mean(r), r = X w + b - y); exit 1 if they differ by more than the
rounding a dtype allows for sums of n terms.

Each measurement prints one line `PEER {json}`; bytes_per_second counts X and y read once
per pass, (d + 1) n sizeof(dtype) bytes, over the median time (what one fused pass must read;
eager torch reads more). Exit 2 for bad arguments, 3 if torch cannot be imported.

Memory: eager torch allocates every temporary (n elements each) afresh. glibc serves blocks
above 32 MiB with mmap and returns them on free, so at n = 2e7 every pass page-faults on all
its temporaries, and page faults are very slow in some VMs (measured here: 25x slower passes).
Running with GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184
keeps freed memory in the heap for reuse, as a long-running torch job would see; the PEER
line records the GLIBC_TUNABLES in effect.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def positive_int(text):
    try:
        value = float(text) if "e" in text.lower() else int(text)  # also accept 1e6, 2e7
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if not (math.isfinite(value) and value == int(value)):
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    value = int(value)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args():
    parser = argparse.ArgumentParser(
        description="Time a full-batch squared-loss value and gradient step in PyTorch.")
    parser.add_argument("--n", type=positive_int, default=1_000_000, help="examples (default 1e6)")
    parser.add_argument("--d", type=positive_int, default=128, help="features (default 128)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="element type (default float32)")
    parser.add_argument("--repeat", type=positive_int, default=10, metavar="N",
                        help="timed iterations of each measurement (default 10)")
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="torch.set_num_threads(N) (default: torch's own choice)")
    parser.add_argument("--seed", type=int, default=42, help="torch.manual_seed (default 42)")
    return parser.parse_args()


def loss_fn(X, y, w, b):
    return ((torch.mv(X, w) + b - y) ** 2 / 2).mean()


def value_and_grad(X, y, w, b):
    loss = loss_fn(X, y, w, b)
    loss.backward()
    w.grad = None  # clear, so that the next backward writes fresh grads instead of adding
    b.grad = None
    return loss


def value_only(X, y, w, b):
    with torch.no_grad():
        return loss_fn(X, y, w, b)


def check_gradient(X, y, w, b):
    """Autograd's gradient against the analytic one in float64; exits 1 on a mismatch."""
    loss_fn(X, y, w, b).backward()
    got = torch.cat([w.grad.double(), b.grad.double().reshape(1)])
    w.grad = b.grad = None
    n, d = X.shape
    with torch.no_grad():
        X64, w64 = X.double(), w.double()
        r = torch.mv(X64, w64) + b.double() - y.double()
        want = torch.cat([torch.mv(X64.t(), r) / n, r.mean().reshape(1)])
        # Scale of each component: the mean of |terms|, so that the error bound does not
        # depend on how much the terms cancel.
        scale = torch.cat([torch.mv(X64.abs().t(), r.abs()) / n, r.abs().mean().reshape(1)])
        del X64, r
    # Rounding of n-term sums grows like sqrt(n) eps in practice (float32's BLAS adds sequentially).
    eps = torch.finfo(X.dtype).eps
    tolerance = 10 * eps * math.sqrt(n + d)
    error = ((got - want).abs() / scale.clamp_min(torch.finfo(torch.float64).tiny)).max().item()
    if not error <= tolerance:  # also catches NaN
        print(f"fullbatch_torch: the gradient is wrong: relative error {error:.3g} > {tolerance:.3g}",
              file=sys.stderr)
        sys.exit(1)
    return error, tolerance


def measure(step, X, y, w, b, repeat):
    step(X, y, w, b)  # warm-up: first-call allocations
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        step(X, y, w, b)
        seconds.append(time.perf_counter() - start)
    return seconds


def main():
    args = parse_args()
    # torch is imported only now, so that --help and argument errors work without it.
    global torch
    try:
        import torch
    except ImportError as error:
        print(f"python3-torch is not installed: apt-get install python3-torch ({error})", file=sys.stderr)
        sys.exit(3)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    n, d = args.n, args.d

    # The d2l data model at scale: y = X w_true + 4.2 + noise; the parameters start as the
    # book's (w ~ N(0, 0.01), b = 0), so the residuals are of order one.
    X = torch.randn(n, d, dtype=dtype)
    w_true = torch.randn(d, dtype=dtype)
    y = torch.mv(X, w_true) + 4.2 + 0.01 * torch.randn(n, dtype=dtype)
    w = torch.normal(0, 0.01, (d,), dtype=dtype, requires_grad=True)
    b = torch.zeros((), dtype=dtype, requires_grad=True)
    grad_error, tolerance = check_gradient(X, y, w, b)

    bytes_per_pass = (d + 1) * n * X.element_size()
    for workload, step in (("fullbatch_value_and_grad", value_and_grad), ("fullbatch_value", value_only)):
        seconds = measure(step, X, y, w, b, args.repeat)
        median = statistics.median(seconds)
        record = {
            "workload": workload,
            "framework": "pytorch",
            "torch": torch.__version__,
            "n": n,
            "d": d,
            "dtype": args.dtype,
            "threads": torch.get_num_threads(),
            "repeats": len(seconds),
            "seconds_best": min(seconds),
            "seconds_median": median,
            "examples_per_second": n / median,
            "bytes_per_second": bytes_per_pass / median,
            "grad_relative_error": grad_error,
            "grad_tolerance": tolerance,
            "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
        }
        print("PEER " + json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
