"""Benchmark message understanding: throughput and per-message latency after warm-up, and cold start.

    python bench/nlu.py [--rounds 20]

Messages are the labelled sets in tests/data (every intent, short and long). Cold start is a fresh
Python process importing the understanding and reading its first message, measured end to end.
Prints last:  nlu: R msg/s, p50=A ms, p99=B ms, cold_start=C s
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def messages() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "data").glob("nlu-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


COLD = """
import time; t = time.perf_counter()
from datetime import datetime
from handlers.nlu import understand
from handlers.nlu.chinese_time import TZ
understand("今天巡查3组，发现河道垃圾一处，已清理", datetime(2024, 5, 15, 10, tzinfo=TZ))
print(time.perf_counter() - t)
"""


def cold_start(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from handlers.nlu import understand
    from handlers.nlu.chinese_time import TZ

    texts = messages()
    now = datetime(2024, 5, 15, 10, tzinfo=TZ)
    for text in texts:  # warm-up: imports, regex compilation, caches
        understand(text, now)

    latencies = []
    began = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            t = time.perf_counter()
            understand(text, now)
            latencies.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - began
    latencies.sort()
    rate = len(latencies) / elapsed
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[int(len(latencies) * 0.99)]
    longest = max(texts, key=len)
    t = time.perf_counter()
    understand(longest * 20, now)  # a 5,000-character paste
    huge = (time.perf_counter() - t) * 1000
    cold = cold_start()
    print(f"{len(texts)} distinct messages × {args.rounds} rounds = {len(latencies)} readings")
    print(f"throughput {rate:.0f} msg/s   p50 {p50:.3f} ms   p99 {p99:.3f} ms   max {latencies[-1]:.3f} ms")
    print(f"a {len(longest) * 20}-character message: {huge:.1f} ms")
    print(f"cold start (new process, import + first message, median of 5): {cold:.2f} s")
    print(f"nlu: {rate:.0f} msg/s, p50={p50:.3f} ms, p99={p99:.3f} ms, cold_start={cold:.2f} s")


if __name__ == "__main__":
    main()
