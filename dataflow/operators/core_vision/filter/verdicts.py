"""What the quality operators share: reason codes, counting them, and writing kept and rejected rows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from dataflow.step.operator import StepOperator
from dataflow.storage.formats import write_records


class QualityOperator(StepOperator):
    """Base of the quality operators: ``process()`` keeps every row and adds ``{output_key}`` (null for a
    rejected row) and ``{output_key}_reasons``; ``run()`` writes the kept rows as the next step and the
    rejected ones beside it. Row-local ones run per batch on Ray; the de-duplicators compare rows
    across the whole dataset (``ray_global``): they split ``process()`` into ``sign`` (per batch)
    and ``decide`` (one pass)."""

    ray_global = False  # True: compares rows across the dataset; Ray signs batches, then decides in one pass
    output_suffixes = ("_reasons",)

    def write_step(self, step: Any, out: Any, keys: dict) -> str:
        return write_kept_and_rejected(step, out, keys["output_key"])[2]

    def summary(self, out: Any, keys: dict) -> str:
        kept = int(out[keys["output_key"]].map(lambda v: v is not None).sum())
        counts = count_reasons(out[f"{keys['output_key']}_reasons"])
        reasons = ", ".join(f"{r} {n}" for r, n in counts.most_common()) or "none"
        return f"rows in {len(out)}, kept {kept}, rejected {len(out) - kept}{self.figures(out, keys)}; reasons: {reasons}"

    def figures(self, out: Any, keys: dict) -> str:
        """More figures for the summary line (", QAs 17")."""
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


def rejected_path(step_file: str | Path) -> Path:
    """``cache/x_step3.json`` -> ``cache/x_step3.rejected.json``."""
    path = Path(step_file)
    return path.with_name(f"{path.stem}.rejected{path.suffix}")


def write_kept_and_rejected(step: Any, out: Any, output_key: str) -> tuple[int, int, str]:
    """Write rows with a record as the step file, the others (with reasons) beside it.

    Returns (kept, rejected, step file path). The rejected file is written first, so a step file
    (and its meta record, written last) never exists without it.
    """
    keep = out[output_key].map(lambda v: v is not None)
    kept, rejected = out[keep].reset_index(drop=True), out[~keep].reset_index(drop=True)
    if step.out_path is not None:
        write_records(str(rejected_path(step.out_path)), rejected)
    path = step.write(kept)
    return len(kept), len(rejected), path


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

    from dataflow.storage.formats import read_frame

    last = storage.operator_step + 1
    final = read_frame(storage.step_path(last))
    rejected = [
        read_frame(str(rejected_path(storage.step_path(n))))
        for n in range(1, last + 1)
        if rejected_path(storage.step_path(n)).exists()
    ]
    rows_in = len(final) + sum(len(frame) for frame in rejected)  # a row is kept, or rejected at one step
    reason_columns = [c for c in final.columns if str(c).endswith("_reasons")]
    key = final_key or next((c[: -len("_reasons")] for c in reversed(reason_columns)
                             if _holds_records(final, c[: -len("_reasons")])), None)
    counts: Counter = Counter()
    for frame in [final, *rejected]:
        for column in frame.columns:
            if str(column).endswith("_reasons"):
                counts.update(count_reasons(frame[column].tolist()))
    qas = sum(len(r.get("qas") or []) for r in final[key].tolist() if isinstance(r, dict)) if key in final else 0
    summary = {
        "rows_in": rows_in,
        "rows_kept": len(final),
        "qas_kept": qas,
        "qas_per_kept_row": round(qas / len(final), 2) if len(final) else 0.0,
        "reasons": dict(counts.most_common()),
    }
    logging.getLogger(__name__).info(
        "quality: rows in %d, rows kept %d, QAs %d (%.2f per kept row); reasons: %s",
        summary["rows_in"], summary["rows_kept"], qas, summary["qas_per_kept_row"],
        ", ".join(f"{r} {n}" for r, n in counts.most_common()) or "none",
    )
    return summary
