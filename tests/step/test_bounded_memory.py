"""Steps stream: a pipeline's peak memory does not grow with its number of rows.

Each size runs in its own process (``bounded_memory_run.py``: generator, refiner, filter, blind
check and de-duplicator over generated rows), so that each peak RSS is that run's own. Ten times
the rows may not cost more than a small margin: what grows per row is a 12-byte digest, a few
de-duplication values and the near-duplicate signatures, which go to files beside the step.
Reading every step whole, as before, took about 1 KiB per row here (200 MiB more at 200k rows).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).with_name("bounded_memory_run.py")
MARGIN_MIB = 48


def peak(rows: int, folder: Path, cache_type: str) -> dict:
    folder.mkdir()
    proc = subprocess.run([sys.executable, str(RUN), str(rows), str(folder), cache_type],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("cache_type", ["jsonl", "json"])
def test_ten_times_the_rows_takes_no_more_memory(tmp_path, cache_type):
    small = peak(20_000, tmp_path / "small", cache_type)
    large = peak(200_000, tmp_path / "large", cache_type)
    assert small["final_bytes"] > 1_000_000 and large["final_bytes"] > 9 * small["final_bytes"]  # rows went through
    assert large["peak_rss_mib"] <= small["peak_rss_mib"] + MARGIN_MIB, (small, large)
