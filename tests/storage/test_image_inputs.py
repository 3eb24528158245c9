"""Images as people have them: Hub datasets (embedded bytes), PIL images, data: URIs, folders of photos
and of shards; text step files stay text, each embedded image written once; every bad form is a row
error that never prints bytes."""

import base64
import io
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dataflow.errors import StorageError
from dataflow.io.images import load_image
from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
from dataflow.step.fingerprint import row_digests
from dataflow.storage.media import media_cell_to_list
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage
from tests.conftest import run_cli

CONVERSATION = [{"from": "human", "value": "Write about this picture"}]


def png(color, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def hub_parquet(tmp_path, name="train.parquet"):
    """A Parquet file written by `datasets` with an Image column: 4 rows, 2 share an image, 1 corrupt."""
    datasets = pytest.importorskip("datasets")
    red, blue = png((200, 10, 10)), png((10, 10, 200))
    images = [{"bytes": red, "path": None}, {"bytes": blue, "path": None}, {"bytes": red, "path": None},
              {"bytes": b"\x89PNG not really", "path": None}]
    dataset = datasets.Dataset.from_dict(
        {"id": [0, 1, 2, 3], "image": images, "conversation": [CONVERSATION] * 4},
    ).cast_column("image", datasets.Image())
    folder = tmp_path / "hub"
    folder.mkdir(exist_ok=True)
    dataset.to_parquet(str(folder / name))
    return folder / name


ARTICLE = ("The red bridge is a steel arch bridge that carries a railway over the river. It was opened in 1911 "
           "after four years of work and was restored in 1990.\n\nQuestion: When was the bridge opened?\nAnswer: 1911")


class WikiServing(EchoServing):
    """EchoServing's checks (missing files, undecodable bytes), with an article and a QA as the answer."""

    def generate_results(self, conversations, image_list=None, video_list=None, audio_list=None, system_prompt=""):
        results = super().generate_results(conversations, image_list, video_list, audio_list, system_prompt)
        for result in results:
            if result.error is None:
                result.text = ARTICLE
        return results


def run_pipeline(source, cache, cache_type, serving=None):
    storage = FileStorage(str(source), cache_path=str(cache), file_name_prefix="t", cache_type=cache_type)
    PromptedVQAGenerator(serving or EchoServing(), show_progress=False).run(
        storage.step(), input_image_key="image", output_answer_key="vqa")
    WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
    return FileStorage(str(source), cache_path=str(cache), file_name_prefix="t", cache_type=cache_type)


@pytest.mark.parametrize("cache_type", ["json", "jsonl", "parquet"])
def test_a_hub_parquet_with_an_image_column_runs_with_every_cache(tmp_path, cache_type):
    source = hub_parquet(tmp_path)
    cache = tmp_path / "cache"
    storage = run_pipeline(source, cache, cache_type)
    step1 = storage.step().step().read("dict")
    assert [r["id"] for r in step1] == [0, 1, 2, 3]
    assert [r["vqa_error"] is None for r in step1] == [True, True, True, False]
    error = step1[3]["vqa_error"]
    assert "not an image" in error and "\\x" not in error and "PNG not really" not in error and "\n" not in error
    media = sorted(p.name for p in (cache / "media").iterdir()) if (cache / "media").exists() else []
    if cache_type == "parquet":  # Parquet keeps the bytes themselves
        assert step1[0]["image"]["bytes"] == step1[2]["image"]["bytes"] and media == []
    else:
        text = (cache / f"t_step1.{cache_type}").read_bytes()
        text.decode("utf-8")  # text, not bytes
        assert len(media) == 3  # red once, blue once, the corrupt bytes once
        assert step1[0]["image"] == step1[2]["image"] and step1[0]["image"].startswith(str(cache / "media"))
        assert Image.open(step1[1]["image"]).getpixel((0, 0)) == (10, 10, 200)


def test_an_image_dataset_without_a_text_column_is_asked_the_template(tmp_path):
    import pandas as pd

    from dataflow.prompts import SKVQA_PROMPT

    source = tmp_path / "images.parquet"
    pd.DataFrame({"image": [{"bytes": png((5, 5, 5)), "path": None}]}).to_parquet(source)
    storage = FileStorage(str(source), cache_path=str(tmp_path / "cache"), cache_type="json")
    log = tmp_path / "served.log"
    PromptedVQAGenerator(EchoServing(log_path=str(log)), prompt_template=SKVQA_PROMPT, show_progress=False).run(
        storage.step(), input_conversation_key=None, input_image_key="image", output_answer_key="vqa")
    assert log.read_text().startswith(SKVQA_PROMPT[:60])
    with pytest.raises(Exception, match="give input_conversation_key or input_prompt_key"):
        PromptedVQAGenerator(EchoServing()).run(FileStorage(str(source)).step(), input_conversation_key=None)


def test_view_and_export_resolve_the_media_folder(tmp_path):
    datasets = pytest.importorskip("datasets")
    cache = tmp_path / "cache"
    run_pipeline(hub_parquet(tmp_path), cache, "json", serving=WikiServing())
    step2 = cache / "t_step2.json"
    run_cli("view", str(step2), cwd=tmp_path)
    thumbs = list((cache / "t_step2.report_files" / "thumbs").iterdir())
    assert len(thumbs) == 2  # red and blue; the corrupt image has none
    run_cli("export", str(step2), "--format", "hf", "-o", str(tmp_path / "hf"), cwd=tmp_path)
    shards = sorted(str(p) for p in (tmp_path / "hf" / "data").glob("*.parquet"))
    exported = datasets.load_dataset("parquet", data_files=shards, split="train")
    assert len(exported) == 3  # one QA per ok row; the failed row is skipped
    assert sorted(sample["image"].getpixel((0, 0)) for sample in exported) == [(10, 10, 200), (200, 10, 10), (200, 10, 10)]


def test_the_hf_source_reads_a_local_parquet_folder_and_a_saved_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    source = hub_parquet(tmp_path)
    dataset = datasets.load_dataset("parquet", data_files=str(source), split="train")
    dataset.save_to_disk(str(tmp_path / "saved"))
    for spec in (f"hf:{source.parent}", f"hf:{tmp_path / 'saved'}"):
        frame = FileStorage(spec).step().read()
        assert list(frame["id"]) == [0, 1, 2, 3]
        first = frame["image"][0]
        assert isinstance(first, dict) and first["bytes"][:4] == b"\x89PNG"  # never decoded into memory
        head = FileStorage(spec).step().read_head(2)
        assert len(head) == 2
        cache = tmp_path / f"cache-{len(spec)}"
        storage = run_pipeline(spec, cache, "json")
        assert [r["vqa_error"] is None for r in storage.step().step().read("dict")] == [True, True, True, False]


def photo_folder(tmp_path):
    folder = tmp_path / "my_photos"
    (folder / "2024" / "summer").mkdir(parents=True)
    Image.new("RGB", (50, 40), (0, 120, 0)).save(folder / "b.jpg")
    Image.new("RGB", (50, 40), (0, 0, 120)).save(folder / "2024" / "summer" / "a.PNG")
    Image.new("RGB", (50, 40), (120, 0, 0)).save(folder / "2024" / "c.webp")
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".hidden.jpg").write_bytes(b"")
    return folder


def test_a_folder_of_photos_is_one_row_per_photo_with_the_contextvqa_prompt(tmp_path, monkeypatch):
    from dataflow.prompts import SKVQA_PROMPT

    photo_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    rows = FileStorage("./my_photos/").step().read("dict")
    assert [r["image"] for r in rows] == [["my_photos/2024/c.webp"], ["my_photos/2024/summer/a.PNG"], ["my_photos/b.jpg"]]
    assert [r["id"] for r in rows] == ["2024/c.webp", "2024/summer/a.PNG", "b.jpg"]
    assert all(r["conversation"] == [{"from": "human", "value": SKVQA_PROMPT}] for r in rows)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the paths resolve from the input folder's parents too
    storage = run_pipeline(tmp_path / "my_photos", tmp_path / "cache", "jsonl")
    assert all(r["vqa_error"] is None for r in storage.step().step().read("dict"))


def test_a_folder_of_shards_reads_every_shard_and_a_mixed_folder_is_refused(tmp_path):
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "part-0.jsonl").write_text('{"id": 0}\n{"id": 1}\n')
    (shards / "part-1.jsonl").write_text('{"id": 2}\n')
    assert list(FileStorage(str(shards)).step().read()["id"]) == [0, 1, 2]
    assert len(FileStorage(str(shards)).step().read_head(2)) == 2
    Image.new("RGB", (8, 8)).save(shards / "stray.png")
    with pytest.raises(StorageError, match=r"holds both photos \(1, e.g. stray.png\) and data files \(2"):
        FileStorage(str(shards)).step().read()


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "cell, expected",
    [
        (b"garbage bytes", "not an image file"),
        (b"", "image bytes are empty"),
        ({"bytes": None, "path": None}, "needs non-empty 'bytes' or 'path'"),
        ({"bytes": b"", "path": ""}, "needs non-empty 'bytes' or 'path'"),
        (object(), "a media cell must hold"),
        ([png((1, 2, 3)), 7], "a media cell must hold"),
        ("data:image/png;base64,AAAA", "not an image file"),
        ({"bytes": b"\xff\xd8\xff\xe0 truncated jpeg", "path": "x.jpg"}, "cannot"),
    ],
)
def test_every_bad_form_is_a_one_line_row_error_without_the_bytes(tmp_path, cell, expected):
    import pandas as pd

    good = png((9, 9, 9))
    frame = pd.DataFrame({"image": pd.Series([good, cell], dtype=object), "conversation": [CONVERSATION] * 2})
    out = PromptedVQAGenerator(EchoServing(), show_progress=False).process(frame, input_image_key="image",
                                                                           output_answer_key="vqa")
    assert not isinstance(out["vqa_error"][0], str)
    error = out["vqa_error"][1]
    assert expected in error and "\n" not in error and len(error) < 300
    assert "garbage" not in error and "truncated jpeg" not in error and "\\x" not in error


def test_fingerprints_hash_the_bytes(tmp_path):
    import pandas as pd

    a, b = png((1, 1, 1)), png((2, 2, 2))
    frame = pd.DataFrame({"image": pd.Series([{"bytes": a, "path": None}, [a, Image.open(io.BytesIO(b))]], dtype=object)})
    first = row_digests(frame, ["image"])
    assert first == row_digests(frame, ["image"])
    changed = pd.DataFrame({"image": pd.Series([{"bytes": b, "path": None}, [a, Image.open(io.BytesIO(b))]], dtype=object)})
    digests = row_digests(changed, ["image"])
    assert digests[0] != first[0] and digests[1] == first[1]


FORMS = ["path", "bytes", "dict_bytes", "dict_path", "pil", "data_uri"]


@settings(max_examples=60, deadline=None)
@given(
    colors=st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=1, max_size=4),
    forms=st.lists(st.sampled_from(FORMS), min_size=4, max_size=4),
    as_list=st.booleans(),
)
def test_every_image_form_decodes_to_the_same_pixels(tmp_path_factory, colors, forms, as_list):
    folder = tmp_path_factory.mktemp("forms")
    items = []
    for k, (color, form) in enumerate(zip(colors, forms)):
        data = png(color)
        path = folder / f"{k}.png"
        path.write_bytes(data)
        items.append({
            "path": str(path), "bytes": data, "dict_bytes": {"bytes": data, "path": None},
            "dict_path": {"bytes": None, "path": str(path)}, "pil": Image.open(io.BytesIO(data)),
            "data_uri": data_uri(data),
        }[form])
    cell = items if as_list or len(items) > 1 else items[0]
    decoded = [load_image(item, max_pixels=None) for item in media_cell_to_list(cell)]
    assert [image.getpixel((5, 5)) for image in decoded] == [tuple(c) for c in colors]
    assert all(image.size == (40, 30) for image in decoded)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["hub parquet", "photo folder"])
def test_the_seed_pipeline_on_the_vllm_cpu_engine(tmp_path, tiny_model, source):
    from tests.conftest import require_vllm
    from tests.e2e.test_context_vqa_pipeline import pipeline_env

    require_vllm()
    work = tmp_path / "work"
    work.mkdir()
    run_cli("init", cwd=work)
    entry = hub_parquet(tmp_path) if source == "hub parquet" else photo_folder(tmp_path)
    script = work / "gpu_pipelines" / "context_vqa.py"
    text = script.read_text().replace('"Qwen/Qwen2.5-VL-3B-Instruct"', repr(tiny_model))
    text = text.replace('"./example_data/image_contextvqa/sample_data.json"', repr(str(entry)))
    script.write_text(text.replace("vllm_max_tokens=512", "vllm_max_tokens=16"))
    proc = subprocess.run([sys.executable, str(script)], cwd=work, env=pipeline_env(), capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-4000:]
    step1 = json.loads((work / "cache_local" / "context_vqa_step1.json").read_text())
    if source == "hub parquet":
        assert [r["vqa_error"] is None for r in step1] == [True, True, True, False]
        assert "not an image" in step1[3]["vqa_error"]
        assert len(list((work / "cache_local" / "media").iterdir())) == 3
    else:
        assert len(step1) == 3 and all(r["vqa_error"] is None and r["vqa"] for r in step1)
    assert len(json.loads((work / "cache_local" / "context_vqa_step2.json").read_text())) == len(step1)
