"""Shared bits of the benchmark scripts: machine description, timing, report writing."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}; {os.cpu_count()} CPUs; Python {platform.python_version()}; {platform.system()}"


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs of ``fn`` in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def write_report(name: str, rows: list[dict], out: str | None = None, **extra: Any) -> dict:
    report = {"benchmark": name, "machine": machine(), **extra, "rows": rows}
    path = Path(out or REPO / "benchmarks" / "results" / f"{name}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"machine: {report['machine']}")
    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("  ".join(f"{k:>14}" for k in keys))
    for r in rows:
        print("  ".join(f"{_fmt(r.get(k)):>14}" for k in keys))
    print(f"-> {path}")
    return report


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return "" if value is None else str(value)
