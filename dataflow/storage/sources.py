"""Where step 0's rows come from: a file, a folder (of photos, or of data shards), or a Hugging Face
dataset (``hf:name[:config][:split]``: a Hub id, a local folder of data files, or a ``save_to_disk``
folder, all through ``datasets``)."""

from __future__ import annotations

import os
import re
from itertools import islice
from pathlib import Path
from typing import Any

from dataflow.errors import MissingDependencyError, StorageError
from dataflow.storage.formats import EXTENSIONS, frame_from_records, read_head, read_records

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
HF_SOURCE = re.compile(r"^hf:(?P<dataset>[^:]+)(?::(?P<config>[^:]*))?(?::(?P<split>[^:]+))?$")


# ----------------------------------------------------------------------------------------------
# folders
# ----------------------------------------------------------------------------------------------
def folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The photos (recursively) and the data shards (top level) of ``folder``, each sorted by path.

    Hidden files and folders and names starting with ``_`` are skipped; a folder holding both
    photos and data files is an error (which of them are the rows?).
    """
    images, shards = [], []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in files:
            if name.startswith((".", "_")):
                continue
            path = Path(root) / name
            suffix = path.suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                images.append(path)
            elif suffix in EXTENSIONS and Path(root) == folder:
                shards.append(path)
    if images and shards:
        raise StorageError(
            f"{folder} holds both photos ({len(images)}, e.g. {images[0].name}) and data files ({len(shards)}, e.g. "
            f"{shards[0].name}): give a folder of photos (one row per photo) or a folder of data shards, not both"
        )
    if not images and not shards:
        raise StorageError(
            f"{folder} holds no photos ({', '.join(IMAGE_EXTENSIONS)}) and no data files ({', '.join(sorted(EXTENSIONS))})"
        )
    key = lambda p: str(p.relative_to(folder))  # noqa: E731 - sort by the path users see
    return sorted(images, key=key), sorted(shards, key=key)


def photo_rows(folder: Path, photos: list[Path]) -> list[dict]:
    """One row per photo: ``id`` (its path inside ``folder``), ``image`` (its path as the folder was
    given, so that it resolves from the working directory, as upstream's example rows do, and from
    any step file's folder inside it) and the ContextVQA conversation the scaffolded pipeline uses."""
    from dataflow.prompts.context_vqa import SKVQA_PROMPT

    rows = []
    for path in photos:
        relative = path.relative_to(folder).as_posix()
        rows.append({"id": relative, "image": [path.as_posix()],
                     "conversation": [{"from": "human", "value": SKVQA_PROMPT}]})
    return rows


def read_folder(folder: Path, head: int | None = None) -> Any:
    """The rows of a folder of photos or of data shards (in name order); the first ``head`` only if given."""
    import pandas as pd

    from dataflow.storage.formats import convert_rows

    photos, shards = folder_files(folder)
    if photos:
        return photo_rows(folder, photos[:head] if head is not None else photos)
    frames = []
    for shard in shards:
        frame = read_head(str(shard), head) if head is not None else convert_rows(read_records(str(shard)), "dataframe")
        frames.append(frame)
        if head is not None and sum(len(f) for f in frames) >= head:
            break
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return merged.head(head) if head is not None else merged


# ----------------------------------------------------------------------------------------------
# Hugging Face datasets
# ----------------------------------------------------------------------------------------------
def _undecoded(dataset: Any) -> Any:
    """``dataset`` with its image columns left as ``{"bytes", "path"}`` (never decoded into memory)."""
    import datasets

    for column, feature in (dataset.features or {}).items():
        if isinstance(feature, datasets.Image) and feature.decode:
            dataset = dataset.cast_column(column, datasets.Image(decode=False))
        elif isinstance(feature, (datasets.Sequence, datasets.List)) and isinstance(feature.feature, datasets.Image):
            dataset = dataset.cast_column(column, type(feature)(datasets.Image(decode=False)))
    return dataset


def read_hf(source: str, head: int | None = None) -> Any:
    """Rows of ``hf:name[:config][:split]``: a Hub id or a local folder through ``datasets.load_dataset``,
    or a ``save_to_disk`` folder through ``datasets.load_from_disk``. Images stay encoded bytes."""
    match = HF_SOURCE.match(source)
    if not match:
        raise StorageError(f"Hugging Face source must look like 'hf:dataset[:config][:split]', got {source!r}")
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "datasets", f"Reading {source!r}") from None
    name, config, split = match["dataset"], match["config"] or None, match["split"] or "train"
    local = Path(name).expanduser()
    try:
        if local.is_dir() and ((local / "state.json").exists() or (local / "dataset_dict.json").exists()):
            dataset = datasets.load_from_disk(str(local))
            if isinstance(dataset, datasets.DatasetDict):
                dataset = dataset[split]
        else:
            dataset = datasets.load_dataset(str(local) if local.is_dir() else name, config, split=split,
                                            streaming=head is not None)
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise StorageError(f"cannot load {source!r}: {type(err).__name__}: {err}") from None
    dataset = _undecoded(dataset)
    # rows as Python values (to_pandas would turn list cells into numpy arrays)
    rows = list(islice(iter(dataset), head)) if head is not None else dataset.to_list()
    return frame_from_records(rows)
