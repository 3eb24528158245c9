"""``dataflow export``: a step file's QA records in the formats VLM trainers load.

* ``llava``: a JSON list of ``{"id", "image", "conversations": [{"from": "human", "value":
  "<image>\\n..."}, {"from": "gpt", "value": ...}]}``, one sample per QA (``multi_turn``: one per row);
* ``sharegpt``: LLaMA-Factory's multimodal ShareGPT layout (``messages`` with ``role``/``content``,
  ``images``) plus the ``dataset_info.json`` entry that registers it;
* ``hf``: a Hugging Face ``datasets`` dataset with an ``Image`` feature (image bytes embedded),
  one row per record (``id``, ``image``, ``context``, ``qas``, multi-turn ``messages``: the image is
  stored once, not once per QA), written as Parquet shards that ``datasets.load_dataset("parquet",
  ...)`` reads.

Only ``ok`` rows with QAs are exported; failed and rejected rows are skipped and counted. The
record column is the most refined one (``context_vqa_final`` over ``context_vqa_filtered`` over
``context_vqa``), unless ``record_key`` names one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataflow.errors import DataFlowError, MissingDependencyError
from dataflow.report.records import ImageLocator, RowView, load_rows
from dataflow.utils.fs import atomic_write_bytes

logger = logging.getLogger(__name__)

FORMATS = ("llava", "sharegpt", "hf")
CONTEXT_MODES = ("in_prompt", "none")


@dataclass
class ExportReport:
    """What an export wrote and skipped."""

    output: str
    samples: int = 0
    rows: int = 0
    skipped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in self.skipped.most_common()) or "none"
        return f"exported {self.samples} samples from {self.rows} rows -> {self.output} (skipped: {skipped})"


def human_turn(question: str, context: str, with_context: bool, image_token: str = "<image>") -> str:
    """The user's text: the image marker, the article when it goes in the prompt, the question."""
    if with_context and context:
        return f"{image_token}\nRead the article and answer the question.\n\nArticle:\n{context}\n\nQuestion: {question}"
    return f"{image_token}\n{question}"


class _Images:
    """Image paths as the export writes them: relative to ``image_root``, or copied beside the output."""

    def __init__(self, base_dir: str, out_dir: Path, image_root: str | None, copy: bool):
        self.locate = ImageLocator(base_dir, image_root)
        self.image_root = self.locate.image_root
        self.out_dir = out_dir
        self.copy = copy
        self.copied: dict[str, str] = {}

    def written(self, resolved: str) -> str:
        """How the export names the image file ``resolved`` (copying it when asked)."""
        if self.copy:
            if resolved not in self.copied:
                folder = self.out_dir / "images"
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{len(self.copied):06d}_{Path(resolved).name}"
                shutil.copyfile(resolved, folder / name)
                self.copied[resolved] = f"images/{name}"
            return self.copied[resolved]
        if self.image_root:
            return os.path.relpath(os.path.abspath(resolved), self.image_root)
        return os.path.abspath(resolved)


@dataclass
class _Sample:
    id: str
    row: RowView
    images: list[str]  # as written in the export
    files: list[str]  # where they are on disk
    pairs: list[tuple[str, str]]  # (question, answer)
    turns: list[tuple[str, str]]  # (user text, answer)


def _pairs(row: RowView) -> list[tuple[str, str]]:
    return [(str(qa.get("question", "")).strip(), str(qa.get("answer", "")).strip()) for qa in row.qas]


def _samples(rows: list[RowView], images: _Images, report: ExportReport, multi_turn: bool, with_context: bool):
    """The samples to write; rows that cannot give one are counted by reason."""
    for row in rows:
        if row.status != "ok":
            report.skipped[row.status] += 1
            continue
        if not row.qas:
            report.skipped["no QA pairs"] += 1
            continue
        files = [images.locate.existing(p) for p in row.images]
        if not files or any(f is None for f in files):
            report.skipped["image missing"] += 1
            continue
        written = [images.written(f) for f in files]
        report.rows += 1
        marker = "\n".join("<image>" for _ in written)
        pairs = _pairs(row)
        if multi_turn:
            turns = [(human_turn(q, row.context, with_context, marker) if k == 0 else q, a) for k, (q, a) in enumerate(pairs)]
            yield _Sample(f"{row.id}", row, written, files, pairs, turns)  # type: ignore[arg-type]
        else:
            for k, (q, a) in enumerate(pairs):
                yield _Sample(f"{row.id}_{k}", row, written, files, [(q, a)],  # type: ignore[arg-type]
                              [(human_turn(q, row.context, with_context, marker), a)])


def _messages(sample: _Sample) -> list[dict]:
    return [m for q, a in sample.turns for m in ({"role": "user", "content": q}, {"role": "assistant", "content": a})]


def export(
    step_file: str | os.PathLike,
    fmt: str,
    output: str | os.PathLike,
    *,
    multi_turn: bool = False,
    context: str = "in_prompt",
    image_root: str | None = None,
    copy_images: bool = False,
    record_key: str | None = None,
    dataset_name: str = "contextvqa",
    push_to_hub: str | None = None,
    image_key: str = "image",
) -> ExportReport:
    """Export ``step_file`` as ``fmt`` to ``output`` (a file for llava/sharegpt, a folder for hf)."""
    if fmt not in FORMATS:
        raise DataFlowError(f"The 'format' parameter must be one of {list(FORMATS)}. Got {fmt!r} instead.")
    if context not in CONTEXT_MODES:
        raise DataFlowError(f"The 'context' parameter must be one of {list(CONTEXT_MODES)}. Got {context!r} instead.")
    step = Path(step_file)
    rows, columns = load_rows(step, image_key=image_key, record_key=record_key)
    out = Path(output)
    out_dir = out if fmt == "hf" else out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    images = _Images(str(step.resolve().parent), out_dir, image_root, copy_images)
    report = ExportReport(output=str(out))
    samples = _samples(rows, images, report, multi_turn, context == "in_prompt")
    if fmt == "llava":
        data = [
            {"id": x.id, "image": x.images[0] if len(x.images) == 1 else x.images,
             "conversations": [t for q, a in x.turns for t in ({"from": "human", "value": q}, {"from": "gpt", "value": a})]}
            for x in samples
        ]
        _write_json(out, data)
    elif fmt == "sharegpt":
        data = [{"messages": _messages(x), "images": x.images} for x in samples]
        _write_json(out, data)
        _register_sharegpt(out, dataset_name)
    else:  # one row per record: the image bytes are embedded once, not once per QA
        data = _write_hf(out, _samples(rows, images, report, True, context == "in_prompt"), push_to_hub)
    report.samples = len(data)
    logger.info("%s", report.summary())
    return report


def _write_json(path: Path, data: list) -> None:
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))


def _register_sharegpt(data_file: Path, name: str) -> None:
    """Add (or replace) ``name`` in ``dataset_info.json`` beside the data, as LLaMA-Factory reads it."""
    info_path = data_file.parent / "dataset_info.json"
    info = {}
    if info_path.exists():
        try:
            info = json.loads(info_path.read_text())
        except ValueError:
            raise DataFlowError(f"{info_path} exists but is not JSON; move it away or fix it") from None
    info[name] = {
        "file_name": data_file.name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
    }
    atomic_write_bytes(info_path, json.dumps(info, ensure_ascii=False, indent=2).encode("utf-8"))


def _write_hf(folder: Path, samples: Any, push_to_hub: str | None, shard_rows: int = 2000) -> list:
    """Parquet shards of one row per record (the image embedded once, its QAs as a list), written as
    they fill so memory holds one shard; returns the ids written."""
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "datasets", "Exporting a Hugging Face dataset") from None
    features = datasets.Features({
        "id": datasets.Value("string"),
        "image": datasets.Image(),
        "context": datasets.Value("string"),
        "qas": [{"question": datasets.Value("string"), "answer": datasets.Value("string")}],
        "messages": [{"role": datasets.Value("string"), "content": datasets.Value("string")}],
    })
    data_dir = folder / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    ids: list[str] = []
    shard: list[dict] = []
    written: list[Path] = []

    def flush() -> None:
        if shard:
            path = data_dir / f"train-{len(written):05d}.parquet"
            datasets.Dataset.from_list(shard, features=features).to_parquet(str(path))
            written.append(path)
            shard.clear()

    for x in samples:
        ids.append(x.id)
        shard.append({
            "id": x.id,
            "image": {"bytes": Path(x.files[0]).read_bytes(), "path": Path(x.files[0]).name},
            "context": x.row.context,
            "qas": [{"question": q, "answer": a} for q, a in x.pairs],
            "messages": _messages(x),
        })
        if len(shard) >= shard_rows:
            flush()
    flush()
    if push_to_hub:
        datasets.load_dataset("parquet", data_files=[str(p) for p in written], split="train").push_to_hub(push_to_hub)
    return ids
