"""Streaming steps collect the young generations after chunks, less often while there is no garbage."""

from __future__ import annotations

from dataflow.step.durable import YoungCollector


def chunks_collected(garbage: list[int], longest: int = 16) -> list[int]:
    """The chunks (1-based) after which a collection ran; ``garbage[k]``: what the k-th collection finds."""
    found = iter(garbage)
    ran: list[int] = []
    chunk = 0
    collector = YoungCollector(longest, collect=lambda: (ran.append(chunk), next(found, 0))[1])
    for chunk in range(1, 61):
        collector.after_chunk()
    return ran


def test_no_garbage_backs_off_to_every_sixteenth_chunk():
    assert chunks_collected([]) == [1, 3, 7, 15, 31, 47]


def test_garbage_brings_collection_back_to_every_chunk():
    # the 3rd collection (after chunk 7) finds garbage: the next is after chunk 8, then it backs off again
    assert chunks_collected([0, 0, 5])[:6] == [1, 3, 7, 8, 10, 14]


def test_a_step_that_always_leaves_garbage_collects_after_every_chunk():
    assert chunks_collected([1] * 60) == list(range(1, 61))
