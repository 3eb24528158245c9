"""Run an unchanged pipeline on a Ray cluster (Ray Data).

``RayPipelineRunner(pipeline).run()`` calls the pipeline's own ``forward()`` once with its
operators swapped for recorders, which yields the plan: which operator runs at which step with which
keys. Each step then runs on Ray Data: model-backed operators (those with a ``serving``) in a pool of
actors, each holding one copy of the operator and so one serving (its engine loads inside the actor),
model-free operators (``WikiQARefiner``) as plain batch tasks. Both call the operator's storage-free
``process(frame, ...)``, exactly the code a single machine runs.

Outputs, per step n:

* shards: ``{cache_path}/{prefix}_step{n}.shards/shard-*.jsonl``, written atomically by the worker
  that made them, each row tagged with its stable row id (``_row_id``, the row's position in the
  input);
* the step file users expect on one machine, ``{cache_path}/{prefix}_step{n}.{cache_type}``,
  assembled from the shards in input order once every row is there.

Rerunning after a node, actor or driver failure skips the rows already in shards (by row id) and
never duplicates one: a retried batch rewrites the same shard name, and assembly keeps one row per id.
A shard folder made from other input data or other settings is discarded (``_FINGERPRINT``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from dataflow.core.serving import serving_fingerprint
from dataflow.errors import DataFlowError, MissingDependencyError
from dataflow.logger import enable_script_defaults
from dataflow.pipeline.plan import PlannedStep, record_forward
from dataflow.step.fingerprint import data_fingerprint, row_digests, settings_fingerprint, step_key
from dataflow.step.meta import reusable
from dataflow.step.lock import StepLock
from dataflow.step.meta import file_stamp, record_step_file
from dataflow.utils.fs import atomic_write_bytes, remove_stale_temp_files
from dataflow.storage.media import externalize_media
from dataflow.storage.stream import RowWriter
from dataflow.storage.formats import frame_from_records, json_default, raw_records, read_frame, read_records, write_records

logger = logging.getLogger(__name__)

ROW_ID = "_row_id"
_SHARD_SUFFIX = ".jsonl"


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependencyError("ray", "ray", "RayPipelineRunner") from None
    return ray


def plan_pipeline(pipeline: Any) -> list[PlannedStep]:
    """The operator calls ``pipeline.forward()`` makes, in order, without running any of them
    (``dataflow.pipeline.record_forward``, the mechanism ``PipelineABC.compile()`` uses too)."""
    plan = record_forward(pipeline)
    unsupported = [type(s.operator).__name__ for s in plan if not getattr(s.operator, "ray_supported", True)]
    if unsupported:
        raise DataFlowError(
            f"RayPipelineRunner cannot run {sorted(set(unsupported))} (ray_supported = False). "
            "Run the other steps on Ray, then those steps on one machine."
        )
    for earlier, later in zip(plan, plan[1:]):
        if later.index != earlier.index + 1:
            raise DataFlowError("RayPipelineRunner runs linear pipelines: each operator must read the step before it")
    return plan


# ----------------------------------------------------------------------------------------------
# what runs on the workers
# ----------------------------------------------------------------------------------------------
def _process_kwargs(operator: Any, kwargs: dict, media_root: str | None) -> dict:
    if "media_root" in inspect.signature(operator.process).parameters:
        return {**kwargs, "media_root": media_root}
    if hasattr(operator, "media_root"):  # StepOperators read it from themselves
        operator.media_root = media_root
    return kwargs


def _sign(batch: Any, operator: Any, keys: dict, media_root: str | None) -> Any:
    """A global step's first half on one batch: each row's compact state (``operator.sign``)."""
    import pandas as pd

    frame = _decode(batch)
    operator.media_root = media_root
    signatures = operator.sign(frame.drop(columns=[ROW_ID]), **keys)
    encode = lambda value: value.tolist() if hasattr(value, "tolist") else repr(value)  # noqa: E731 - numpy arrays
    return pd.DataFrame({ROW_ID: frame[ROW_ID].tolist(), "_sig": [json.dumps(s, default=encode) for s in signatures]})


_ROW_JSON = "_row_json"


def _decode(batch: Any) -> Any:
    """A batch of (row id, row as JSON) back into the rows' DataFrame, values exactly as read.

    Rows travel through Ray as JSON text so that Arrow never re-types a cell (a string id "007",
    nested conversations, mixed types): the operator sees what a single machine would.
    """

    ids = [int(i) for i in batch[ROW_ID].tolist()]
    records = [json.loads(text) for text in batch[_ROW_JSON].tolist()]
    frame = frame_from_records(records)
    frame[ROW_ID] = ids
    return frame


def _write_shard(frame: Any, shard_dir: str) -> Any:
    """Write one processed batch as a shard named by its row ids; return the ids it holds."""
    import pandas as pd

    ids = [int(i) for i in frame[ROW_ID].tolist()]
    digest = hashlib.sha256(json.dumps(ids).encode()).hexdigest()[:12]
    write_records(os.path.join(shard_dir, f"shard-{min(ids):012d}-{digest}{_SHARD_SUFFIX}"), frame)
    return pd.DataFrame({ROW_ID: ids})


class _ModelWorker:
    """A Ray actor's state: one copy of a model-backed operator (and so one serving)."""

    def __init__(self, operator: Any, kwargs: dict, media_root: str | None, shard_dir: str):
        self.operator = operator
        self.kwargs = _process_kwargs(operator, kwargs, media_root)
        self.shard_dir = shard_dir

    def __call__(self, batch: Any) -> Any:
        return _write_shard(self.operator.process(_decode(batch), **self.kwargs), self.shard_dir)


def _map_free(batch: Any, operator: Any, kwargs: dict, media_root: str | None, shard_dir: str) -> Any:
    return _write_shard(operator.process(_decode(batch), **_process_kwargs(operator, kwargs, media_root)), shard_dir)


# ----------------------------------------------------------------------------------------------
# the driver
# ----------------------------------------------------------------------------------------------
def read_input(path: str) -> Any:
    """The first entry as a single machine reads it: a file, a folder of shards or of photos, or ``hf:``."""
    from dataflow.storage import FileStorage

    return FileStorage(path).step().read("dataframe")


class _StepFile:
    """What an operator's ``write_step`` needs of a step: where its files go, and writers of them
    (the meta record is written by the runner)."""

    def __init__(self, out_path: Path, storage: Any):
        self.out_path = out_path
        self.media_dir = Path(getattr(storage, "cache_path", out_path.parent)) / "media"

    def writer(self, path: Any = None) -> RowWriter:
        return RowWriter(path or self.out_path, media_dir=self.media_dir)

    def commit(self, writer: RowWriter) -> str:
        return writer.close()


class RayPipelineRunner:
    """Run a pipeline's ``forward()`` on Ray Data.

    Args:
        pipeline: an object with ``storage`` (a ``FileStorage``) and ``forward()`` calling operators'
            ``run(storage=self.storage.step(), ...)``, such as ``ContextVQAPipeline``. Not modified.
        num_actors: actors for each model-backed step (each holds one serving). Tune this first:
            one per GPU (or per ``vllm_tensor_parallel_size`` GPUs).
        gpus_per_actor: GPUs each actor reserves (0 on CPU-only clusters).
        cpus_per_actor: CPUs each actor reserves.
        batch_size: rows per call into an actor; large enough to keep the engine full (vLLM
            batches them continuously), small enough that a lost batch costs little.
        max_retries: Ray retries of a failed batch and restarts of a dead actor.
        ray_address: ``ray.init`` address (None: the running cluster, or a local one).

    Example:
        >>> from gpu_pipelines.context_vqa import ContextVQAPipeline
        >>> RayPipelineRunner(ContextVQAPipeline(), num_actors=8, gpus_per_actor=1, batch_size=256).run()
    """

    def __init__(
        self,
        pipeline: Any,
        num_actors: int = 1,
        gpus_per_actor: float = 1,
        cpus_per_actor: float = 1,
        batch_size: int = 256,
        max_retries: int = 3,
        ray_address: str | None = None,
    ):
        if num_actors < 1 or batch_size < 1:
            raise ValueError("num_actors and batch_size must be positive")
        self.pipeline = pipeline
        self.num_actors = num_actors
        self.gpus_per_actor = gpus_per_actor
        self.cpus_per_actor = cpus_per_actor
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.ray_address = ray_address

    def run(self) -> list[str]:
        """Run every step; return the step files written."""
        enable_script_defaults()
        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=self.ray_address, ignore_reinit_error=True, log_to_driver=True)
        plan = plan_pipeline(self.pipeline)
        self._check_resources(ray, plan)
        first = plan[0].storage
        frame = read_input(first.first_entry_file_name) if plan[0].index == 0 else None
        written = []
        for step in plan:
            if frame is None:
                frame = read_input(step.storage.read_path)
            frame = self._run_step(step, frame.reset_index(drop=True))
            written.append(step.storage.write_path)
        return written

    def _step_key(self, step: PlannedStep, frame: Any) -> tuple[str, dict]:
        """The step's cache key and its parts, by the formula a single machine uses (``DurableStep``):
        a step made on Ray is reused by a local run and the other way round."""
        operator = step.operator
        name = type(operator).__name__
        if hasattr(operator, "step_identity"):
            identity = operator.step_identity(step.kwargs)
            settings, media, hash_media, code = identity.settings, identity.media_columns, identity.hash_media, identity.code
        else:  # an operator written against upstream's contract: its attributes are its settings
            settings = {"kwargs": step.kwargs, "attributes": {k: v for k, v in vars(operator).items() if k != "serving"},
                        "serving": serving_fingerprint(getattr(operator, "serving", None))}
            media, hash_media, code = [], False, None
        digests = row_digests(frame, media, getattr(step.storage, "media_root", None), hash_media)
        parts = {"settings": settings_fingerprint(name, settings), "data": data_fingerprint(frame.columns, digests),
                 "code": code}
        return step_key(parts["settings"], parts["data"], code), parts

    def _check_resources(self, ray: Any, plan: list[PlannedStep]) -> None:
        """Stop at once, naming the setting to change, when the cluster cannot hold the actor pool
        (Ray itself would wait for ever behind "The job may hang forever")."""
        if not any(step.model_backed for step in plan):
            return
        resources = ray.cluster_resources()
        gpus, cpus = float(resources.get("GPU", 0)), float(resources.get("CPU", 0))
        problems = []
        if self.gpus_per_actor > gpus:
            problems.append(f"gpus_per_actor={self.gpus_per_actor:g}, but the cluster has {gpus:g} GPU(s): "
                            "set gpus_per_actor=0 (--gpus-per-actor 0) to run the model on CPUs, or add GPU nodes")
        elif self.gpus_per_actor and self.num_actors * self.gpus_per_actor > gpus:
            problems.append(f"num_actors={self.num_actors} x gpus_per_actor={self.gpus_per_actor:g} needs "
                            f"{self.num_actors * self.gpus_per_actor:g} GPUs, the cluster has {gpus:g}: "
                            f"use num_actors={int(gpus // self.gpus_per_actor)}")
        if self.num_actors * self.cpus_per_actor > cpus:
            problems.append(f"num_actors={self.num_actors} x cpus_per_actor={self.cpus_per_actor:g} needs "
                            f"{self.num_actors * self.cpus_per_actor:g} CPUs, the cluster has {cpus:g}: use fewer "
                            "actors or a smaller cpus_per_actor")
        if problems:
            raise DataFlowError("the Ray cluster cannot run this pipeline's actors: " + "; ".join(problems))

    def _done_ids(self, shard_dir: Path, total: int) -> set[int]:
        """Row ids already in shards. A shard is read back as untrusted input: an unreadable one,
        or one holding row ids outside the input, is removed and its rows are processed again."""
        done: set[int] = set()
        for shard in shard_dir.glob(f"shard-*{_SHARD_SUFFIX}"):
            try:
                ids = [r.get(ROW_ID) for r in read_records(str(shard))]
            except DataFlowError as err:
                ids, why = [], str(err)
            else:
                why = "" if ids and all(type(i) is int and 0 <= i < total for i in ids) else "row ids outside the input"
            if why:
                logger.warning("discarding shard %s (%s); its rows are processed again", shard, why)
                shard.unlink(missing_ok=True)
                continue
            done.update(ids)
        return done

    def _run_step(self, step: PlannedStep, frame: Any) -> Any:
        """Run one step under the same lock a single-machine run takes, so the two never mix."""
        out_path = Path(step.storage.write_path)
        with StepLock(out_path):
            remove_stale_temp_files(out_path)
            return self._run_locked_step(step, frame, out_path)

    def _run_locked_step(self, step: PlannedStep, frame: Any, out_path: Path) -> Any:
        ray = _ray()
        started = time.perf_counter()
        name = type(step.operator).__name__
        shard_dir = Path(str(out_path.with_suffix("")) + ".shards")
        key, parts = self._step_key(step, frame)
        if reusable(out_path, key, parts, name):
            return read_frame(str(out_path))
        stamp = shard_dir / "_FINGERPRINT"
        if shard_dir.exists() and (not stamp.exists() or stamp.read_text() != key):
            logger.info("%s: discarding %s (made from other data or settings)", name, shard_dir)
            shutil.rmtree(shard_dir)
        shard_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(stamp, key.encode())


        if getattr(step.operator, "ray_global", False):
            result = self._run_global(ray, step, frame)
            return self._finish(step, result, out_path, key, parts, started, 0, len(frame))
        done = self._done_ids(shard_dir, len(frame))
        todo = self._rows_to_send(step, frame, done)
        logger.info("%s on Ray: rows %d, already in shards %d, to process %d", name, len(frame), len(done), len(todo))
        if todo:
            media_root = getattr(step.storage, "media_root", None)
            dataset = ray.data.from_items(todo, override_num_blocks=max(1, -(-len(todo) // self.batch_size)))
            args = (step.operator, step.kwargs, media_root, str(shard_dir))
            common = {"batch_size": self.batch_size, "batch_format": "pandas"}
            if step.model_backed:
                processed = dataset.map_batches(
                    _ModelWorker, fn_constructor_args=args, concurrency=self.num_actors, num_gpus=self.gpus_per_actor,
                    num_cpus=self.cpus_per_actor,
                    # Passed through to the actors; Ray 2.60 warns that this form goes away in 2.64 (pinned below it).
                    max_restarts=self.max_retries, max_task_retries=self.max_retries, **common,
                )
            else:
                processed = dataset.map_batches(_map_free, fn_args=args, max_retries=self.max_retries, **common)
            sent = sum(len(batch[ROW_ID]) for batch in processed.iter_batches(batch_format="pandas"))
        else:
            sent = 0
        result = self._assemble(shard_dir, len(frame), name)
        return self._finish(step, result, out_path, key, parts, started, len(done), sent)

    def _rows_to_send(self, step: PlannedStep, frame: Any, done: set[int] | frozenset = frozenset()) -> list[dict]:
        """The rows not yet done, as (row id, row as JSON); embedded images travel as files in the
        cache's media folder, as in a text step file."""
        media = Path(step.storage.cache_path) / "media"
        return [
            {ROW_ID: i, _ROW_JSON: json.dumps(record, ensure_ascii=False, default=json_default)}
            for i, record in enumerate(externalize_media(raw_records(frame), media))
            if i not in done
        ]

    def _run_global(self, ray: Any, step: PlannedStep, frame: Any) -> Any:
        """A step that compares rows across the whole dataset (de-duplication): each batch is signed in
        parallel (``operator.sign``: compact per-row state), then one pass on the driver decides
        (``operator.decide``); memory holds the signatures, not a second copy of the rows' work."""
        operator = step.operator
        keys = operator.bind_keys(step.kwargs)
        media_root = getattr(step.storage, "media_root", None)
        todo = self._rows_to_send(step, frame)
        dataset = ray.data.from_items(todo, override_num_blocks=max(1, -(-len(todo) // self.batch_size)))
        signed = dataset.map_batches(_sign, fn_args=(operator, keys, media_root), batch_size=self.batch_size,
                                     batch_format="pandas", max_retries=self.max_retries)
        signatures: list[Any] = [None] * len(frame)
        for batch in signed.iter_batches(batch_format="pandas"):
            for i, signature in zip(batch[ROW_ID].tolist(), batch["_sig"].tolist()):
                signatures[int(i)] = json.loads(signature)
        operator.media_root = media_root
        return operator.decide(frame, signatures, **keys)

    def _finish(self, step: PlannedStep, result: Any, out_path: Path, key: str, parts: dict, started: float,
                reused: int, sent: int) -> Any:
        """Write the step file as a single machine would (quality operators: kept rows, rejected beside
        them), record what it was made from, and return the rows the next step reads."""
        name = type(step.operator).__name__
        if hasattr(step.operator, "write_step"):
            keys = step.operator.bind_keys(step.kwargs)
            step.operator.write_step(_StepFile(out_path, step.storage), result, keys)
        else:
            write_records(str(out_path), result)
        written = read_frame(str(out_path))
        record_step_file(out_path, name, key, len(written), parts, source={
            "stamp": file_stamp(step.storage.read_path), "data": parts["data"], "rows": len(result)})
        logger.info(
            "%s on Ray: rows %d, kept %d, reused %d, sent to the %s %d, %.1fs -> %s",
            name, len(result), len(written), reused, "model" if step.model_backed else "workers", sent,
            time.perf_counter() - started, out_path,
        )
        return written

    def _assemble(self, shard_dir: Path, total: int, name: str) -> Any:
        import pandas as pd

        shards = sorted(shard_dir.glob(f"shard-*{_SHARD_SUFFIX}"))
        frames = [read_frame(str(s)) for s in shards]
        merged = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({ROW_ID: []})
        merged = merged.drop_duplicates(subset=ROW_ID, keep="first").sort_values(ROW_ID, kind="stable")
        if len(merged) != total:
            raise DataFlowError(f"{name}: shards in {shard_dir} hold {len(merged)} of {total} rows; rerun to finish")
        return merged.drop(columns=[ROW_ID]).reset_index(drop=True)
