"""Step integrity: a step file is always exactly the output of its inputs.

Journals, caches and locks are read back from disk as untrusted input; every case here was a
silent wrong answer, a stuck resume or a crash before ``dataflow.step.durable`` owned them.
"""

import json
import os
import socket
import stat
import threading

import pytest
from PIL import Image

from dataflow.errors import StepBusyError
from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
from dataflow.testing import EchoServing
from dataflow.step.durable import DurableStep
from dataflow.step.lock import StepLock
from dataflow.utils.storage import FileStorage


def make_input(tmp_path, n, prefix="q", images=True, name="rows.json"):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    if images:
        Image.new("RGB", (8, 8), "red").save(folder / "a.png")
    rows = [{"id": i, "image": ["a.png"] if images else [], "conversation": [{"from": "human", "value": f"{prefix}{i}"}]}
            for i in range(n)]
    path = folder / name
    path.write_text(json.dumps(rows))
    return path


def storage_for(tmp_path, src, cache_type="json"):
    return FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type=cache_type)


def generate(tmp_path, src, serving=None, **kwargs):
    serving = serving or EchoServing(log_path=str(tmp_path / "served.log"))
    gen = PromptedVQAGenerator(serving, chunk_size=kwargs.pop("chunk_size", 10), show_progress=False, **kwargs)
    gen.run(storage_for(tmp_path, src).step(), input_image_key="image", output_answer_key="vqa")
    return serving


def served(tmp_path):
    log = tmp_path / "served.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def step_rows(tmp_path, n=1):
    return json.loads((tmp_path / "cache" / f"t_step{n}.json").read_text())


def journal_path(tmp_path):
    return tmp_path / "cache" / "t_step1.json.partial.jsonl"


class Crash(Exception):
    pass


class CrashingServing(EchoServing):
    """Serves ``calls`` chunks, then raises (a crash after some rows were journaled)."""

    def __init__(self, calls, **kwargs):
        super().__init__(**kwargs)
        self.left = calls

    def generate_results(self, *args, **kwargs):
        if self.left == 0:
            raise Crash("engine died")
        self.left -= 1
        return super().generate_results(*args, **kwargs)

    def fingerprint(self):  # the same model as the EchoServing that resumes
        return EchoServing(model=self.model).fingerprint()


def crash_after(tmp_path, src, calls, chunk_size=10):
    with pytest.raises(Crash):
        generate(tmp_path, src, CrashingServing(calls, log_path=str(tmp_path / "served.log")), chunk_size=chunk_size)
    served(tmp_path)
    return [json.loads(line) for line in journal_path(tmp_path).read_text().splitlines()]


def rewrite_journal(tmp_path, lines):
    journal_path(tmp_path).write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))


# ----------------------------------------------------------------------------------------------
# the journal
# ----------------------------------------------------------------------------------------------
def test_a_journal_row_from_other_data_is_rejected(tmp_path, caplog):
    src = make_input(tmp_path, 30)
    header, *rows = crash_after(tmp_path, src, calls=2)  # chunks of 8 then 10: rows 0-17 saved
    assert len(rows) == 18 and all(set(r) == {"i", "d", "o"} for r in rows)
    # A row finished for another dataset, given an index this journal has not reached.
    other = dict(rows[0], i=25, o={"text": "answer to SOMETHING ELSE", "error": None, "tokens": 3})
    rewrite_journal(tmp_path, [header, *rows, other])
    with caplog.at_level("WARNING", logger="dataflow"):
        generate(tmp_path, src)
    assert "1 row(s) of other input data" in caplog.text
    assert served(tmp_path) == [f"q{i}" for i in range(18, 30)]
    assert [r["vqa"] for r in step_rows(tmp_path)] == [f"answer to q{i}" for i in range(30)]


def test_an_unreadable_line_in_the_middle_does_not_block_resuming(tmp_path, caplog):
    src = make_input(tmp_path, 40)
    header, *rows = crash_after(tmp_path, src, calls=3)  # rows 0-27 saved
    rewrite_journal(tmp_path, [header, *rows[:9], '{"i": 9, "d": "torn', "\x00\x00garbage", *rows[9:]])
    with caplog.at_level("WARNING", logger="dataflow"):
        generate(tmp_path, src)
    assert "skipped 2 unreadable line(s)" in caplog.text and "kept 28 finished row(s)" in caplog.text
    assert served(tmp_path) == [f"q{i}" for i in range(28, 40)]
    assert [r["vqa"] for r in step_rows(tmp_path)] == [f"answer to q{i}" for i in range(40)]


@pytest.mark.parametrize("header", ["[]", "null", '"text"', "{}", '{"journal": 2}', "not json"])
def test_a_bad_header_discards_the_journal_instead_of_crashing(tmp_path, header, caplog):
    src = make_input(tmp_path, 20)
    _, *rows = crash_after(tmp_path, src, calls=1)
    rewrite_journal(tmp_path, [header, *rows])
    with caplog.at_level("INFO", logger="dataflow"):
        generate(tmp_path, src)
    assert "discarding" in caplog.text
    assert len(served(tmp_path)) == 20
    assert [r["vqa"] for r in step_rows(tmp_path)] == [f"answer to q{i}" for i in range(20)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: {**r, "o": {k: v for k, v in r["o"].items() if k != "text"}},  # no text
        lambda r: {**r, "o": {**r["o"], "text": None}},  # wrong type
        lambda r: {**r, "o": {**r["o"], "extra": 1}},  # unknown column
        lambda r: {**r, "i": "3"},  # index not an int
        lambda r: {**r, "i": True},
        lambda r: [r],  # not an object
        lambda r: {**r, "d": None},  # no digest
    ],
)
def test_a_row_of_the_wrong_shape_is_recomputed_not_a_crash(tmp_path, damage):
    src = make_input(tmp_path, 20)
    header, *rows = crash_after(tmp_path, src, calls=1)  # rows 0-7 saved
    rows[3] = damage(rows[3])
    rewrite_journal(tmp_path, [header, *rows])
    generate(tmp_path, src)
    redone = served(tmp_path)
    assert redone[0] == "q3" and redone[1:] == [f"q{i}" for i in range(8, 20)]
    assert [r["vqa"] for r in step_rows(tmp_path)] == [f"answer to q{i}" for i in range(20)]


def test_a_crash_before_any_row_is_saved_leaves_no_journal(tmp_path, caplog):
    src = make_input(tmp_path, 20)
    with pytest.raises(Crash), caplog.at_level("WARNING", logger="dataflow"):
        generate(tmp_path, src, CrashingServing(0))
    assert not journal_path(tmp_path).exists()
    assert "no rows were saved" in caplog.text and "run the same command again" not in caplog.text


# ----------------------------------------------------------------------------------------------
# the cache
# ----------------------------------------------------------------------------------------------
def _cut_to_60_rows(path):
    path.write_text(json.dumps(json.loads(path.read_text())[:60], indent=2))


def _other_answers(path):
    rows = json.loads(path.read_text())
    path.write_text(json.dumps([{**r, "vqa": "WRONG"} for r in rows], indent=2))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _same_size_other_bytes(path):
    data = bytearray(path.read_bytes())
    i = data.index(b"answer to q5")
    data[i : i + 6] = b"ANSWER"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("tamper", [_truncate, _cut_to_60_rows, _other_answers, _same_size_other_bytes])
def test_a_step_file_changed_since_it_was_written_is_recomputed(tmp_path, tamper, caplog):
    src = make_input(tmp_path, 100)
    generate(tmp_path, src)
    served(tmp_path)
    tamper(tmp_path / "cache" / "t_step1.json")
    with caplog.at_level("WARNING", logger="dataflow"):
        generate(tmp_path, src)
    assert "changed since it was written" in caplog.text
    assert len(served(tmp_path)) == 100
    assert [r["vqa"] for r in step_rows(tmp_path)] == [f"answer to q{i}" for i in range(100)]
    # and the next operator reads it without trouble
    storage = storage_for(tmp_path, src)
    storage.step()
    WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
    assert len(step_rows(tmp_path, 2)) == 100


@pytest.mark.parametrize("meta", ["[]", "null", "{}", '{"fingerprint": 5}', "{", ""])
def test_a_bad_meta_file_means_recompute_not_a_crash(tmp_path, meta, caplog):
    src = make_input(tmp_path, 10)
    generate(tmp_path, src)
    served(tmp_path)
    (tmp_path / "cache" / "t_step1.json.meta.json").write_text(meta)
    with caplog.at_level("INFO", logger="dataflow"):
        generate(tmp_path, src)
    assert "recomputing" in caplog.text
    assert len(served(tmp_path)) == 10


def test_an_intact_step_is_reused_without_the_model(tmp_path, caplog):
    src = make_input(tmp_path, 10)
    generate(tmp_path, src)
    served(tmp_path)
    with caplog.at_level("INFO", logger="dataflow"):
        generate(tmp_path, src)
    assert served(tmp_path) == [] and "reused the cached result" in caplog.text
    meta = json.loads((tmp_path / "cache" / "t_step1.json.meta.json").read_text())
    assert meta["rows"] == 10 and meta["size"] == (tmp_path / "cache" / "t_step1.json").stat().st_size


def test_a_replaced_image_at_the_same_path_is_redone(tmp_path):
    src = make_input(tmp_path, 6)
    generate(tmp_path, src)
    served(tmp_path)
    image = tmp_path / "data" / "a.png"
    Image.new("RGB", (16, 16), "blue").save(image)  # another photo, same name
    generate(tmp_path, src)
    assert len(served(tmp_path)) == 6


def _same_size_same_mtime_other_pixels(image):
    before = image.stat()
    data = bytearray(image.read_bytes())
    data[-20] ^= 0xFF
    image.write_bytes(bytes(data))
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_hash_media_sees_a_changed_image_with_the_same_size_and_mtime(tmp_path):
    src = make_input(tmp_path, 4)
    image = tmp_path / "data" / "a.png"
    generate(tmp_path, src, hash_media=True)
    served(tmp_path)
    _same_size_same_mtime_other_pixels(image)
    generate(tmp_path, src, hash_media=True)
    assert len(served(tmp_path)) == 4
    generate(tmp_path, src, hash_media=True)
    assert served(tmp_path) == []
    # size + mtime alone cannot see such a change: that is what the option is for
    generate(tmp_path, src)
    served(tmp_path)
    _same_size_same_mtime_other_pixels(image)
    generate(tmp_path, src)
    assert served(tmp_path) == []


# ----------------------------------------------------------------------------------------------
# files on disk
# ----------------------------------------------------------------------------------------------
def test_temp_files_of_a_killed_writer_are_removed_when_the_step_next_starts(tmp_path):
    src = make_input(tmp_path, 5)
    cache = tmp_path / "cache"
    cache.mkdir()
    leftovers = [cache / ".t_step1.json.abc123.tmp", cache / ".t_step1.json.meta.json.x9.tmp"]
    for path in leftovers:
        path.write_bytes(b"x" * 1000)
    unrelated = cache / ".t_step1.jsonl.keep.tmp"  # another step file's name: not ours to remove
    unrelated.write_bytes(b"x")
    generate(tmp_path, src)
    assert not any(p.exists() for p in leftovers) and unrelated.exists()


def test_files_honour_the_umask(tmp_path):
    src = make_input(tmp_path, 20)
    old = os.umask(0o022)
    try:
        crash_after(tmp_path, src, calls=1)
        assert stat.S_IMODE(journal_path(tmp_path).stat().st_mode) == 0o644
        generate(tmp_path, src)
        storage = storage_for(tmp_path, src)
        storage.step()
        WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
        for name in ("t_step1.json", "t_step1.json.meta.json", "t_step2.json", "t_step2.json.meta.json"):
            assert stat.S_IMODE((tmp_path / "cache" / name).stat().st_mode) == 0o644, name
        os.umask(0o077)
        (tmp_path / "cache" / "t_step1.json").unlink()
        generate(tmp_path, src)
        assert stat.S_IMODE((tmp_path / "cache" / "t_step1.json").stat().st_mode) == 0o600
    finally:
        os.umask(old)


# ----------------------------------------------------------------------------------------------
# the lock
# ----------------------------------------------------------------------------------------------
def test_a_held_step_is_refused_at_once_naming_the_holder(tmp_path):
    target = tmp_path / "cache" / "t_step1.json"
    held = threading.Event()
    release = threading.Event()

    def hold():
        with StepLock(target):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(StepBusyError) as err:
            StepLock(target).acquire()
        message = str(err.value)
        assert f"pid {os.getpid()} on host {socket.gethostname()}, started 20" in message
        assert str(target) + ".lock" in message
    finally:
        release.set()
        holder.join()
    with StepLock(target):  # free again once released
        pass
    assert not (tmp_path / "cache" / "t_step1.json.lock.json").exists()


def test_a_second_operator_run_on_a_held_step_stops_before_any_work(tmp_path):
    src = make_input(tmp_path, 5)
    serving = EchoServing(log_path=str(tmp_path / "served.log"))
    with StepLock(tmp_path / "cache" / "t_step1.json"):
        with pytest.raises(StepBusyError, match="another run is writing"):
            generate(tmp_path, src, serving)
    assert served(tmp_path) == [] and not (tmp_path / "cache" / "t_step1.json").exists()
    # a step reading step 1 is refused too while step 1 is being written
    generate(tmp_path, src)
    storage = storage_for(tmp_path, src)
    storage.step()
    with StepLock(tmp_path / "cache" / "t_step1.json"):
        with pytest.raises(StepBusyError):
            WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")


def test_durable_step_without_a_file_storage_just_reads_and_writes():
    import pandas as pd

    class MemoryStorage:
        def __init__(self):
            self.written = None

        def read(self, output_type="dataframe"):
            return pd.DataFrame({"text": ["a", "b"]})

        def write(self, data):
            self.written = data
            return "memory"

    storage = MemoryStorage()
    with DurableStep(storage, "Op", {"k": 1}) as step:
        assert not step.reuse()
        rows = step.map_rows(lambda records: [{"n": len(r["text"])} for r in records], {"n": int})
        assert step.write(step.frame.assign(n=[r["n"] for r in rows])) == "memory"
    assert storage.written["n"].tolist() == [1, 1]




class OutOfOrderStream:
    """An engine that takes rows while it runs: each poll finishes the oldest half of what is in flight,
    newest first (rows finish out of order, as in a real engine)."""

    def __init__(self):
        self.in_flight = []
        self.most_in_flight = 0
        self.closed = False

    @property
    def pending(self):
        return len(self.in_flight)

    def submit(self, indices, prepared):
        assert [r["q"] for r in prepared] == [f"q{i}" for i in indices]
        self.in_flight += list(zip(indices, prepared))
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))

    def poll(self):
        k = max(1, len(self.in_flight) // 2)
        done, self.in_flight = self.in_flight[:k], self.in_flight[k:]
        return {i: {"n": int(row["q"][1:]) * 2} for i, row in reversed(done)}

    def close(self):
        self.closed = True


def test_a_stream_is_fed_continuously_and_rows_land_in_order(tmp_path):
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"q": f"q{i}"} for i in range(500)]))
    storage = FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="json")
    stream = OutOfOrderStream()
    with DurableStep(storage.step(), "Doubler", {"v": 1}) as step:
        rows = step.map_rows(None, {"n": int}, chunk_size=40, stream=stream, window=80, show_progress=False)
        step.write(step.frame.assign(n=[r["n"] for r in rows]))
    assert [r["n"] for r in rows] == [2 * i for i in range(500)]
    assert stream.closed and 40 <= stream.most_in_flight <= 80 + 40  # fed before it drained, never flooded
    out = step_rows(tmp_path)
    assert [r["n"] for r in out] == [2 * i for i in range(500)] and [r["q"] for r in out] == [f"q{i}" for i in range(500)]
    assert not journal_path(tmp_path).exists()


def test_a_stream_interrupted_keeps_finished_rows_for_the_rerun(tmp_path):
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"q": f"q{i}"} for i in range(300)]))

    class Dies(OutOfOrderStream):
        """Dies once 100 rows have come back."""

        done_so_far: dict = {}

        def poll(self):
            if len(self.done_so_far) >= 100:
                raise Crash("engine died")
            out = super().poll()
            self.done_so_far.update(out)
            return out

    dies = Dies()
    storage = FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="json")
    with pytest.raises(Crash):
        with DurableStep(storage.step(), "Doubler", {"v": 1}) as step:
            step.map_rows(None, {"n": int}, chunk_size=20, stream=dies, window=40, show_progress=False)
    assert dies.closed
    saved = [json.loads(line) for line in journal_path(tmp_path).read_text().splitlines()[1:]]
    assert {r["i"] for r in saved} == set(dies.done_so_far) and len(saved) >= 100
    again = OutOfOrderStream()
    with DurableStep(FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t",
                                 cache_type="json").step(), "Doubler", {"v": 1}) as step:
        rows = step.map_rows(None, {"n": int}, chunk_size=20, stream=again, window=40, show_progress=False)
    assert [r["n"] for r in rows] == [2 * i for i in range(300)]
    assert step.stats.reused == len(saved) and step.stats.computed == 300 - len(saved)


def test_an_unchanged_input_is_reused_without_being_read_and_a_rewritten_one_is_checked(tmp_path, monkeypatch, caplog):
    src = tmp_path / "rows.jsonl"
    src.write_text("".join(json.dumps({"text": f"Question: q{i}?\nAnswer: a{i}"}) + "\n" for i in range(50)))
    reads = []
    original = FileStorage.read_chunks

    def counting(self, rows=4096):
        reads.append(self.read_path)
        return original(self, rows)

    monkeypatch.setattr(FileStorage, "read_chunks", counting)

    def refine():
        storage = FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="jsonl")
        WikiQARefiner().run(storage.step(), input_key="text", output_key="parsed")

    refine()
    assert len(reads) == 1  # the work's own pass digested the input: no separate scan
    step1 = tmp_path / "cache" / "t_step1.jsonl"
    first = step1.read_bytes()
    with caplog.at_level("INFO", logger="dataflow"):
        refine()
    assert len(reads) == 1 and "reused the cached result" in caplog.text  # not read at all
    src.write_bytes(src.read_bytes())  # same rows, rewritten: its stamp changed, so it is read once
    caplog.clear()
    with caplog.at_level("INFO", logger="dataflow"):
        refine()
    assert len(reads) == 2 and "reused the cached result" in caplog.text and step1.read_bytes() == first
    src.write_text(src.read_text().replace("q7?", "q77?"))
    refine()
    assert len(reads) == 4  # read to find it changed, then read again for the work
    assert b"q77" in step1.read_bytes()


def test_a_journal_left_beside_a_verified_step_file_is_removed_when_the_step_is_reused(tmp_path):
    # A run killed after writing the step file and its meta record, before removing its journal.
    src = make_input(tmp_path, 12)
    generate(tmp_path, src)
    assert len(served(tmp_path)) == 12
    journal_path(tmp_path).write_text('{"journal": 2}\n')
    serving = EchoServing(log_path=str(tmp_path / "served.log"))
    generate(tmp_path, src, serving)
    assert served(tmp_path) == [] and not journal_path(tmp_path).exists()
