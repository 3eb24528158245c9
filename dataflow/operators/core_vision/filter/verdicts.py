"""What the quality operators share: reason codes, counting them, and writing kept and rejected rows."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from dataflow.step.meta import rejected_path
from dataflow.step.operator import StepOperator


class QualityOperator(StepOperator):
    """Base of the quality operators: ``process()`` keeps every row and adds ``{output_key}`` (null for a
    rejected row) and ``{output_key}_reasons``; ``run()`` writes the kept rows as the next step and the
    rejected ones beside it. Row-local ones run per batch on Ray; the de-duplicators compare rows
    across the whole dataset (``ray_global``): they split ``process()`` into ``sign`` (per batch)
    and ``decide`` (one pass)."""

    ray_global = False  # True: compares rows across the dataset; Ray signs batches, then decides in one pass
    output_suffixes = ("_reasons",)

    def open_outputs(self, step: Any, keys: dict) -> list[Any]:
        """The kept rows' writer (the step file) and, with a file storage, the rejected rows' beside it."""
        if step.out_path is None:
            return [step.writer()]
        return [step.writer(), step.writer(rejected_path(step.out_path))]

    def write_chunk(self, writers: list[Any], records: list[dict], keys: dict) -> None:
        key = keys["output_key"]
        writers[0].write([r for r in records if r.get(key) is not None])
        if len(writers) > 1:
            writers[1].write([r for r in records if r.get(key) is None])

    def tally(self, records: list[dict], keys: dict) -> Counter:
        key = keys["output_key"]
        kept = [r[key] for r in records if r.get(key) is not None]
        totals = Counter(rows=len(records), kept=len(kept),
                         qas_kept=sum(len(r.get("qas") or []) for r in kept if isinstance(r, dict)))
        totals.update({f"reason {code}": n for code, n in count_reasons(r.get(f"{key}_reasons") for r in records).items()})
        return totals

    def describe(self, totals: Counter, keys: dict) -> str:
        reasons = Counter({k[len("reason "):]: n for k, n in totals.items() if k.startswith("reason ")})
        listed = ", ".join(f"{r} {n}" for r, n in reasons.most_common()) or "none"
        return (f"rows in {totals['rows']}, kept {totals['kept']}, rejected {totals['rows'] - totals['kept']}"
                f"{self.figures(totals, reasons)}; reasons: {listed}")

    def figures(self, totals: Counter, reasons: Counter) -> str:
        """More figures for the summary line (", QAs 17"), from the summed ``tally`` and reason counts."""
        return ""


def row_reason(code: str) -> str:
    """A reason that rejects the whole row: ``"row: image_reference"``."""
    return f"row: {code}"


def qa_reason(index: int, code: str) -> str:
    """A reason that removes one QA: ``"qa[2]: answer_not_in_context"``."""
    return f"qa[{index}]: {code}"


def reason_code(reason: str) -> str:
    """``"qa[2]: answer_not_in_context"`` -> ``"qa: answer_not_in_context"`` (for counting)."""
    where, _, code = reason.partition(": ")
    return f"{where.split('[', 1)[0]}: {code}"


def count_reasons(cells: Iterable[Any]) -> Counter:
    """How often each reason code occurs over a column of reason lists."""
    counts: Counter = Counter()
    for cell in cells:
        if isinstance(cell, (list, tuple)):
            counts.update(reason_code(r) for r in cell if isinstance(r, str))
    return counts


def _holds_records(frame: Any, column: str) -> bool:
    """True for a column of ``{context, qas}`` records (not, say, an image filter's measurements)."""
    if column not in frame.columns or len(frame) == 0:
        return column in frame.columns
    return any(isinstance(v, dict) and "qas" in v for v in frame[column].tolist()[:50])


def quality_summary(storage: Any, final_key: str | None = None) -> dict:
    """Figures of a filtered run, from its step files: rows in, rows kept, QAs per kept row, reasons.

    ``storage`` is the pipeline's ``FileStorage`` after ``forward()``: its last step file holds the
    kept rows; every ``*.rejected.*`` file beside a step file holds rows rejected there. Each
    reason is counted once (kept and rejected rows carry every earlier filter's reasons column).
    ``final_key`` is the column with the final records (default: the last ``*_reasons`` column's).
    """
    import logging

    from dataflow.storage.formats import read_head
    from dataflow.storage.stream import iter_record_chunks

    last = storage.operator_step + 1
    final_path = storage.step_path(last)
    head = read_head(final_path, 50)
    reason_columns = [c for c in head.columns if str(c).endswith("_reasons")]
    key = final_key or next((c[: -len("_reasons")] for c in reversed(reason_columns)
                             if _holds_records(head, c[: -len("_reasons")])), None)
    counts: Counter = Counter()
    kept = qas = rejected = 0
    files = [final_path] + [str(rejected_path(storage.step_path(n))) for n in range(1, last + 1)
                            if rejected_path(storage.step_path(n)).exists()]
    for path in files:  # a chunk at a time: a million rows' files are never held whole
        for records in iter_record_chunks(path, 4096):
            for record in records:
                counts.update(count_reasons(v for k, v in record.items() if str(k).endswith("_reasons")))
                if path == final_path and isinstance(record.get(key), dict):
                    qas += len(record[key].get("qas") or [])
            if path == final_path:
                kept += len(records)
            else:
                rejected += len(records)
    rows_in = kept + rejected  # a row is kept, or rejected at one step
    summary = {
        "rows_in": rows_in,
        "rows_kept": kept,
        "qas_kept": qas,
        "qas_per_kept_row": round(qas / kept, 2) if kept else 0.0,
        "reasons": dict(counts.most_common()),
    }
    logging.getLogger(__name__).info(
        "quality: rows in %d, rows kept %d, QAs %d (%.2f per kept row); reasons: %s",
        summary["rows_in"], summary["rows_kept"], qas, summary["qas_per_kept_row"],
        ", ".join(f"{r} {n}" for r, n in counts.most_common()) or "none",
    )
    return summary
