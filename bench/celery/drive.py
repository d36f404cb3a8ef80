"""Submits one bag of N tasks to Celery and waits for every result; prints JSON figures.

Usage: python3 drive.py N [noop|shell]
"""
import json
import sys
import time

from celery import group

from bench_tasks import noop, shell


def main() -> None:
    n = int(sys.argv[1])
    task = shell if len(sys.argv) > 2 and sys.argv[2] == "shell" else noop
    t0 = time.perf_counter()
    result = group(task.s(i) for i in range(n)).apply_async()
    submitted = time.perf_counter()
    values = result.join_native(timeout=3600)
    t1 = time.perf_counter()
    if sorted(values) != list(range(n)):
        raise SystemExit(f"expected {n} results, got {len(values)}")
    print(json.dumps({"tasks": n, "seconds": t1 - t0, "submitSeconds": submitted - t0}))


if __name__ == "__main__":
    main()
