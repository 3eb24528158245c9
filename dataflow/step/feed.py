"""Feeding a step's rows to its work: chunk by chunk, or continuously into an engine that takes rows
while it runs, with the next chunk prepared on a helper thread meanwhile."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from dataflow.errors import DataFlowError


class RowStream:
    """What ``DurableStep.map_rows`` feeds when the work is an engine that takes rows while it runs.

    ``submit(indices, prepared)`` hands it a prepared chunk (row indices and what ``prepare``
    made of them); ``poll()`` advances the engine and returns the rows that finished since, by
    index, each as its outputs dict; ``pending`` counts rows submitted and not yet returned;
    ``close()`` drops what is still in flight.
    """

    pending: int = 0

    def submit(self, indices: list[int], prepared: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def poll(self) -> dict[int, dict]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        pass


@dataclass
class MapStats:
    """What ``DurableStep.map_rows`` did."""

    total: int = 0
    reused: int = 0
    compute_seconds: float = 0.0
    computed_indices: list[int] = field(default_factory=list)

    @property
    def computed(self) -> int:
        return len(self.computed_indices)


def split_chunks(todo: list[int], chunk_size: int) -> list[list[int]]:
    """``todo`` in chunks of ``chunk_size``; a small first chunk gets an engine going while the next
    chunk is prepared."""
    first = min(chunk_size, max(8, chunk_size // 8))
    chunks = [todo[:first]] + [todo[s : s + chunk_size] for s in range(first, len(todo), chunk_size)]
    return [c for c in chunks if c]


class ChunkFeed:
    """Runs ``chunks`` of row indices through the work; ``finish(outputs by index)`` gets each result.

    ``prepare(records)`` runs one chunk ahead on a helper thread (e.g. image decoding).
    """

    def __init__(self, records: list[dict], chunks: list[list[int]], prepare: Callable[[list[dict]], Any],
                 finish: Callable[[dict[int, dict]], None], stats: MapStats, operator: str):
        self.records = records
        self.chunks = chunks
        self.prepare = prepare
        self.finish = finish
        self.stats = stats
        self.operator = operator
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataflow-prefetch")

    def _build(self, k: int) -> Future | None:
        if k >= len(self.chunks):
            return None
        return self._pool.submit(self.prepare, [self.records[i] for i in self.chunks[k]])

    def run(self, compute: Callable[[Any], list[dict]], stream: RowStream | None, window: int) -> None:
        try:
            if stream is not None:
                self._feed(stream, window)
            else:
                self._calls(compute)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _calls(self, compute: Callable[[Any], list[dict]]) -> None:
        """One ``compute`` call per chunk."""
        upcoming = self._build(0)
        for k, chunk in enumerate(self.chunks):
            prepared = upcoming.result()
            upcoming = self._build(k + 1)
            began = time.perf_counter()
            outputs = compute(prepared)
            self.stats.compute_seconds += time.perf_counter() - began
            if len(outputs) != len(chunk):
                raise DataFlowError(f"{self.operator}: got {len(outputs)} results for {len(chunk)} rows")
            self.finish(dict(zip(chunk, outputs)))

    def _feed(self, stream: RowStream, window: int) -> None:
        """Keep ``stream`` fed from the prepared chunks; rows are finished as they come back."""
        k, upcoming = 0, self._build(0)
        try:
            while k < len(self.chunks) or stream.pending:
                # Take the next prepared chunk while the engine has room, without waiting for the
                # preparation thread unless the engine would otherwise sit idle.
                while k < len(self.chunks) and stream.pending < window and (upcoming.done() or not stream.pending):
                    prepared = upcoming.result()
                    upcoming = self._build(k + 1)
                    began = time.perf_counter()
                    stream.submit(self.chunks[k], prepared)
                    self.stats.compute_seconds += time.perf_counter() - began
                    k += 1
                began = time.perf_counter()
                finished = stream.poll()
                self.stats.compute_seconds += time.perf_counter() - began
                if finished:
                    self.finish(finished)
        finally:
            stream.close()
