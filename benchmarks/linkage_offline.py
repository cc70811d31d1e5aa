"""Throughput and memory of ``ivdb link`` at 10,000, 100,000 and 1,000,000 records.

Each size runs in a fresh child process (so peak RSS is that run's alone) over a JSONL
file of synthetic records written beforehand. Candidates compared per record must stay
flat as the database grows: that is what blocking promises.

    python benchmarks/linkage_offline.py            # all three sizes
    python benchmarks/linkage_offline.py --quick    # 10,000 and 100,000 only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "functions"), ROOT]

from ivdb.commands.link import link_stream  # noqa: E402
from ivdb.evaluation.synthetic import generate  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)


def write_records(path: str, count: int, seed: int) -> None:
    with open(path, "w", encoding="utf-8") as output:
        for record in generate(count, seed):
            output.write(json.dumps({k: record[k] for k in ("id", "identity", "statistical")}) + "\n")


def measure(path: str, results: "multiprocessing.Queue[dict]") -> None:
    """Run in a child: link the file, report time, peak memory and the summary."""
    started = time.perf_counter()
    with open(path, encoding="utf-8") as lines, open(os.devnull, "w") as output:
        summary = link_stream(lines, output)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put({**summary, "seconds": seconds, "peak_mib": peak_kib / 1024})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the two smaller sizes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES

    context = multiprocessing.get_context("spawn")
    print(f"{'records':>10} {'records/s':>10} {'seconds':>9} {'peak MiB':>9} {'cand./record':>13} {'persons':>9} {'reviews':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = os.path.join(folder, f"records-{size}.jsonl")
            write_records(path, size, args.seed)
            results = context.Queue()
            child = context.Process(target=measure, args=(path, results))
            child.start()
            result = results.get()
            child.join()
            os.remove(path)
            print(
                f"{size:>10,} {size / result['seconds']:>10,.0f} {result['seconds']:>9.1f} {result['peak_mib']:>9,.0f} "
                f"{result['candidates_compared'] / size:>13.2f} {result['persons']:>9,} {result['reviews']:>8,}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
