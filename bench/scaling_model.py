#!/usr/bin/env python3
"""The scaling model of docs/distributed.md: the examples per rank that keep a data-parallel
step's efficiency (compute / (compute + communication)) at or above 90%.

usage: scaling_model.py [--throughput GB/s]   (one rank's loss+gradient throughput, measured)

Per step, each rank reads its M examples once: compute = 8 (d + 1) M / throughput. The ranks
then add n = d + 3 numbers (the gradient, the loss, the example count) in rank order,
communicator::sum's two ways (latency alpha, time per byte beta, p ranks, b = 8 n bytes):
  gathered whole (n <= 8192):    ceil(log2 p) alpha + (p - 1) b beta          (allgather)
  in pieces:                     2 (p - 1) alpha + 2 (p - 1) / p * b beta     (alltoall + allgather)
the costs of those collectives' algorithms in Thakur, Rabenseifner and Gropp (2005), as MPICH's
source states them. Efficiency >= 0.9 when compute >= 9 communication.
"""
import argparse
import math

# name: (alpha in seconds, bandwidth in bytes/s, where the figures come from)
NETWORKS = {
    "InfiniBand HDR": (1.2e-6, 24e9, "Azure HBv3 OSU figures: 1.2 us, 192 Gb/s"),
    "10 GbE, TCP": (30e-6, 1.25e9, "assumed 30 us (Cisco's tuned best case ~10 us); line rate 10 Gb/s"),
}
GATHER_WHOLE_LIMIT = 8192  # communicator::gather_whole_limit


def communication(p, n, alpha, bandwidth):
    if p == 1:
        return 0.0
    b = 8 * n
    if n <= GATHER_WHOLE_LIMIT:
        return math.ceil(math.log2(p)) * alpha + (p - 1) * b / bandwidth
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * b / bandwidth


def examples_for_90_percent(p, d, alpha, bandwidth, throughput):
    per_example = 8 * (d + 1) / throughput
    return 9 * communication(p, d + 3, alpha, bandwidth) / per_example


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", type=float, default=12.0, help="one rank's GB/s (default 12)")
    args = parser.parse_args()
    throughput = args.throughput * 1e9
    ranks = [2, 4, 8, 16, 32, 64]
    print(f"examples per rank for >= 90% efficiency, one rank per node reading {args.throughput:g} GB/s")
    for name, (alpha, bandwidth, source) in NETWORKS.items():
        print(f"\n{name} ({source})")
        print("| d | " + " | ".join(f"p = {p}" for p in ranks) + " |")
        print("|---|" + "---|" * len(ranks))
        for d in (2, 128, 1024, 10**6):
            cells = []
            for p in ranks:
                m = examples_for_90_percent(p, d, alpha, bandwidth, throughput)
                cells.append(f"{m:,.0f}" if m >= 10 else f"{m:.1f}")
            print(f"| {d:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
