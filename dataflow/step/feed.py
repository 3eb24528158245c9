"""Feeding a step's rows to its work: chunk by chunk, or continuously into an engine that takes rows
while it runs, with the next chunk prepared on a helper thread meanwhile."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

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
    computed: int = 0
    compute_seconds: float = 0.0


@dataclass
class Chunk:
    """Rows to compute (``indices`` and their ``records``), and rows of the same stretch of input that
    a journal already holds (``done``: index and record), which go straight to the output."""

    indices: list[int]
    records: list[dict]
    done: list[tuple[int, dict]] = field(default_factory=list)
    prepared: Any = None


class ChunkFeed:
    """Runs the chunks of ``source`` through the work, in order.

    ``source`` yields ``Chunk``s; it is advanced, and each chunk's records prepared
    (``prepare(records)``, e.g. image decoding), one chunk ahead on a helper thread. ``take(chunk)``
    is called on the calling thread as each chunk is taken, ``finish(outputs by index)`` as rows
    finish. With a stream, a new chunk is taken only while fewer than ``window`` rows are in flight
    and ``backlog()`` (rows finished but held for order) is under ``max_backlog``.
    """

    def __init__(self, source: Iterator[Chunk], prepare: Callable[[list[dict]], Any],
                 take: Callable[[Chunk], None], finish: Callable[[dict[int, dict]], None], stats: MapStats,
                 operator: str, backlog: Callable[[], int] = lambda: 0, max_backlog: int = 1 << 62):
        self.source = source
        self.prepare = prepare
        self.take = take
        self.finish = finish
        self.stats = stats
        self.operator = operator
        self.backlog = backlog
        self.max_backlog = max_backlog
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataflow-prefetch")

    def _next(self) -> Chunk | None:
        chunk = next(self.source, None)
        if chunk is not None and chunk.indices:
            chunk.prepared = self.prepare(chunk.records)
        return chunk

    def _build(self) -> Future:
        return self._pool.submit(self._next)

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
        upcoming = self._build()
        while (chunk := upcoming.result()) is not None:
            upcoming = self._build()
            self.take(chunk)
            if not chunk.indices:
                continue
            began = time.perf_counter()
            outputs = compute(chunk.prepared)
            self.stats.compute_seconds += time.perf_counter() - began
            if len(outputs) != len(chunk.indices):
                raise DataFlowError(f"{self.operator}: got {len(outputs)} results for {len(chunk.indices)} rows")
            self.finish(dict(zip(chunk.indices, outputs)))

    def _feed(self, stream: RowStream, window: int) -> None:
        """Keep ``stream`` fed from the prepared chunks; rows are finished as they come back."""
        upcoming: Future | None = self._build()
        try:
            while upcoming is not None or stream.pending:
                # Take the next prepared chunk while the engine has room, without waiting for the
                # preparation thread unless the engine would otherwise sit idle.
                while (upcoming is not None and stream.pending < window and self.backlog() < self.max_backlog
                       and (upcoming.done() or not stream.pending)):
                    chunk = upcoming.result()
                    upcoming = self._build() if chunk is not None else None
                    if chunk is None:
                        break
                    self.take(chunk)
                    if chunk.indices:
                        began = time.perf_counter()
                        stream.submit(chunk.indices, chunk.prepared)
                        self.stats.compute_seconds += time.perf_counter() - began
                began = time.perf_counter()
                finished = stream.poll() if stream.pending else {}
                self.stats.compute_seconds += time.perf_counter() - began
                if finished:
                    self.finish(finished)
        finally:
            stream.close()
