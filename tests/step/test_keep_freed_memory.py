"""Streaming steps let glibc keep freed buffers for the next chunk instead of faulting fresh pages in."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dataflow.utils import runtime
from dataflow.utils.runtime import MMAP_THRESHOLD, TRIM_THRESHOLD, keep_freed_memory


class FakeLibc:
    def __init__(self, answer: int = 1):
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return self.answer


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "DATAFLOW_KEEP_FREED_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_both_thresholds_are_set(clean_env):
    libc = FakeLibc()
    assert keep_freed_memory(libc) is True
    assert libc.calls == [(runtime._M_MMAP_THRESHOLD, MMAP_THRESHOLD), (runtime._M_TRIM_THRESHOLD, TRIM_THRESHOLD)]
    assert MMAP_THRESHOLD <= TRIM_THRESHOLD  # a freed block under the mmap threshold is never trimmed at once


def test_a_c_library_that_refuses_reports_it(clean_env):
    assert keep_freed_memory(FakeLibc(answer=0)) is False
    assert keep_freed_memory(object()) is False  # no mallopt at all (not glibc)


@pytest.mark.parametrize("name, value", [
    ("DATAFLOW_KEEP_FREED_MEMORY", "0"),
    ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000000"),
    ("MALLOC_MMAP_THRESHOLD_", "131072"),
    ("MALLOC_TRIM_THRESHOLD_", "131072"),
])
def test_the_users_own_allocator_settings_are_left_alone(clean_env, name, value):
    clean_env.setenv(name, value)
    libc = FakeLibc()
    assert keep_freed_memory(libc) is False
    assert libc.calls == []


_PROBE = """
import json, sys
from dataflow.utils.runtime import keep_freed_memory
tuned = keep_freed_memory() if sys.argv[1] == "1" else False

def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

before = rss_kib()
block = bytearray(24 << 20)  # 24 MiB, every page written
del block
print(json.dumps({"tuned": tuned, "kept_kib": rss_kib() - before}))
"""


def _probe(tune: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, tune], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or "glibc" not in " ".join(__import__("platform").libc_ver()),
                    reason="glibc's allocator only")
def test_a_freed_chunk_buffer_stays_in_the_process_for_the_next_one(monkeypatch):
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "DATAFLOW_KEEP_FREED_MEMORY")}
    plain, tuned = _probe("0", env), _probe("1", env)
    assert plain["kept_kib"] < 4 << 10  # given back to the system at once: the next one faults in anew
    assert tuned["tuned"] is True and tuned["kept_kib"] > 20 << 10  # kept, ready for the next chunk
