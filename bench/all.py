"""`make bench`: every benchmark in turn, then ONE table of every measure with its target, its
value and pass or fail (bench/README.md lists the targets).

    .venv/bin/python bench/all.py [--only run,bench_audit,...] [--quick]

Each benchmark prints its own details as it goes and records its measures (_setup.record);
a benchmark that fails outright is a failed line of its own. The machine's cores and load
average are printed with the table: figures from a busy machine are not the machine's best.
--quick runs the load test for 60 s with 30 users and the page benchmark at 500 participants
(for a busy shared machine; say so when quoting it). Exits 1 if any target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES = {
    "run": [],
    "bench_audit": [],
    "bench_save": [],
    "bench_followup": [],
    "bench_imaging": [],
    "bench_reminders": [],
    "bench_pdf": [],
    "bench_exports": [],
    "bench_review": [],
    "bench_submission": [],
    "bench_oversight": [],
    "bench_load": ["--users", "100", "--duration", "300"],
}
QUICK = {"run": ["--participants", "500"], "bench_load": ["--users", "30", "--duration", "60"]}


def machine() -> str:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load} (1, 5, 15 min)"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(
            f"no benchmark named {', '.join(unknown)}; the benchmarks: {', '.join(BENCHES)}"
        )
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as results:
        path = results.name
    env = {**os.environ, "BENCH_RESULTS": path}
    started_on = machine()
    rows: list[dict] = []
    for name in names:
        extra = QUICK.get(name, BENCHES[name]) if args.quick else BENCHES[name]
        print(f"\n===== {name} {' '.join(extra)} ({machine()})", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *extra], env=env)
        if done.returncode != 0:
            rows.append(
                {
                    "measure": f"{name} ran to its end",
                    "target": "exit 0",
                    "value": f"exit {done.returncode}",
                    "passed": False,
                }
            )
        print(f"===== {name}: {time.perf_counter() - started:.0f} s", flush=True)
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()] + rows
    os.unlink(path)
    width = max([len(r["measure"]) for r in rows] + [7])
    target_width = max([len(r["target"]) for r in rows] + [6])
    value_width = max([len(r["value"]) for r in rows] + [5])
    print(f"\nBenchmarks: started on {started_on}; ended on {machine()}")
    print(f"{'measure':{width}}  {'target':{target_width}}  {'value':{value_width}}  result")
    print(f"{'-' * width}  {'-' * target_width}  {'-' * value_width}  ------")
    for r in rows:
        verdict = "pass" if r["passed"] else "FAIL"
        measure, target, value = r["measure"], r["target"], r["value"]
        print(f"{measure:{width}}  {target:{target_width}}  {value:{value_width}}  {verdict}")
    return 0 if rows and all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
