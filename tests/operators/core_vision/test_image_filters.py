"""ImageQualityFilter and ImageDeduplicator on generated images: every check, its near misses, copies
found after resizing and re-encoding, different photos of one scene kept, every image form, resume."""

import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dataflow.operators.core_vision import ImageDeduplicator, ImageQualityFilter
from dataflow.utils.storage import FileStorage
from tests.conftest import REPO_ROOT, run_cli


def scene(seed: int, size=(640, 480), shift=0) -> Image.Image:
    """A photo-like image: smooth random structure plus sensor noise; ``shift`` pans the view."""
    rng = np.random.default_rng(seed)
    base = Image.fromarray((rng.random((9, 12, 3)) * 255).astype("uint8")).resize((size[0] + 200, size[1]),
                                                                                   Image.Resampling.BICUBIC)
    base = base.crop((shift, 0, shift + size[0], size[1]))
    noise = rng.standard_normal((size[1], size[0], 3)) * 10
    return Image.fromarray(np.clip(np.asarray(base, dtype=float) + noise, 0, 255).astype("uint8"))


def jpeg(image: Image.Image, quality=90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def night_photo() -> Image.Image:
    """Mostly black, a dim gradient and a few bright windows: dark, but a real picture."""
    rng = np.random.default_rng(7)
    sky = np.linspace(2, 25, 480)[:, None, None] * np.ones((480, 640, 3))
    for _ in range(30):
        y, x = rng.integers(200, 470), rng.integers(0, 620)
        sky[y:y + 8, x:x + 12] = (250, 220, 120)
    return Image.fromarray(np.clip(sky + rng.standard_normal(sky.shape) * 2, 0, 255).astype("uint8"))


def almost_solid() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(np.clip(200 + rng.standard_normal((480, 640, 3)) * 1.0, 0, 255).astype("uint8"))


def verdicts(cells, **kwargs):
    frame = pd.DataFrame({"image": pd.Series(cells, dtype=object)})
    out = ImageQualityFilter(**kwargs).process(frame)
    return [r for r in out["image_quality_reasons"]], out


@pytest.mark.parametrize(
    "image, reason",
    [
        (scene(1, (640, 480)), None),
        (scene(1, (111, 300)), "row: image_too_small"),
        (scene(1, (112, 300)), None),  # near miss: exactly the minimum side
        (scene(1, (960, 300)), "row: image_extreme_aspect_ratio"),  # 3.2:1
        (scene(1, (300, 900)), None),  # near miss: a 3:1 portrait is kept at the default
        (Image.new("RGB", (640, 480), (30, 90, 200)), "row: image_blank"),
        (almost_solid(), "row: image_blank"),
        (night_photo(), None),  # dark but real
    ],
)
def test_each_check_and_its_near_miss(image, reason):
    reasons, out = verdicts([jpeg(image)])
    assert reasons[0] == ([reason] if reason else [])
    assert (out["image_quality"][0] is None) == bool(reason)


def test_unreadable_missing_and_huge_images(tmp_path):
    (tmp_path / "fake.jpg").write_text("not a picture")
    reasons, _ = verdicts([str(tmp_path / "fake.jpg"), str(tmp_path / "missing.jpg"), b"\xff\xd8\xff"])
    assert reasons == [["row: image_unreadable"]] * 3
    reasons, _ = verdicts([jpeg(scene(2, (800, 600)))], max_pixels=400 * 300)
    assert reasons == [["row: image_too_large"]]


def test_rows_with_several_images_and_the_reject_rule():
    good, tiny = jpeg(scene(3)), jpeg(scene(3, (60, 60)))
    assert verdicts([[good, tiny]])[0] == [["row: image_too_small"]]
    reasons, out = verdicts([[good, tiny], [tiny, tiny], []], reject_if="all")
    assert reasons == [["row: image_too_small"], ["row: image_too_small"], ["row: no_image"]]
    assert out["image_quality"][0] is not None and out["image_quality"][1] is None  # one good image keeps it


def test_checks_switch_off():
    reasons, _ = verdicts([jpeg(scene(1, (60, 600))), jpeg(Image.new("RGB", (300, 300)))],
                          min_side=None, max_aspect_ratio=None, min_std=None)
    assert reasons == [[], []]


def test_every_image_form(tmp_path):
    data = jpeg(scene(4))
    (tmp_path / "a.jpg").write_bytes(data)
    cells = [str(tmp_path / "a.jpg"), data, {"bytes": data, "path": None}, {"bytes": None, "path": str(tmp_path / "a.jpg")},
             Image.open(io.BytesIO(data))]
    reasons, _ = verdicts(cells)
    assert reasons == [[]] * 5
    out = ImageDeduplicator().process(pd.DataFrame({"image": pd.Series(cells, dtype=object)}))
    assert out["image_dedup_reasons"].tolist() == [[], ["row: duplicate_image"], ["row: duplicate_image"],
                                                    ["row: duplicate_image"], ["row: near_duplicate_image"]]
    assert out["image_dedup_duplicate_of"].tolist() == [None, 0, 0, 0, 0]


def dedup(cells, **kwargs):
    out = ImageDeduplicator(**kwargs).process(pd.DataFrame({"image": pd.Series(cells, dtype=object)}))
    return out["image_dedup_reasons"].tolist(), out["image_dedup_duplicate_of"].tolist()


def test_copies_are_removed_and_different_photos_of_one_scene_kept():
    original = scene(10)
    cells = [
        jpeg(original),
        jpeg(original.resize((320, 240)), quality=60),  # resized and re-encoded
        jpeg(scene(10, shift=120)),  # the same scene, panned: another photo
        jpeg(scene(11)),
        jpeg(original),  # an exact copy
    ]
    reasons, of = dedup(cells)
    assert reasons == [[], ["row: near_duplicate_image"], [], [], ["row: duplicate_image"]]
    assert of == [None, 0, None, None, 0]
    assert dedup(cells, max_distance=None)[0] == [[], [], [], [], ["row: duplicate_image"]]


def test_a_removed_row_is_never_the_one_kept_for_later_copies():
    a, b = scene(20), scene(21)
    # row 1 repeats row 0 by one image; row 2 holds only that other image of row 1, which no kept row has
    reasons, of = dedup([[jpeg(a)], [jpeg(a), jpeg(b)], [jpeg(b)], [jpeg(b)]])
    assert reasons == [[], ["row: duplicate_image"], [], ["row: duplicate_image"]] and of == [None, 0, None, 2]
    reasons, _ = dedup([[jpeg(a)], [jpeg(a), jpeg(b)]], reject_if="all")
    assert reasons == [[], []]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.3, 1.5), quality=st.integers(40, 95),
       fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]))
def test_resized_and_reencoded_copies_are_found(seed, scale, quality, fmt):
    original = scene(seed)
    copy = original.resize((max(16, int(640 * scale)), max(12, int(480 * scale))), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format=fmt, **({"quality": quality} if fmt != "PNG" else {}))
    reasons, of = dedup([jpeg(original), jpeg(scene(seed + 1)), buffer.getvalue()])
    assert reasons == [[], [], ["row: near_duplicate_image"]] and of == [None, None, 0]


def test_run_writes_kept_and_rejected_and_view_and_stats_show_them(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    scene(1).save(folder / "a.jpg")
    scene(1).resize((320, 240)).save(folder / "b_copy.jpg", quality=70)
    Image.new("RGB", (400, 300), (10, 10, 10)).save(folder / "c_blank.png")
    scene(2, (60, 60)).save(folder / "d_tiny.jpg")
    scene(3).save(folder / "e.jpg")
    storage = FileStorage(str(folder), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="json")
    ImageQualityFilter().run(storage.step())
    ImageDeduplicator().run(storage.step())
    kept = json.loads((tmp_path / "cache" / "t_step2.json").read_text())
    assert [r["id"] for r in kept] == ["a.jpg", "e.jpg"]
    rejected = json.loads((tmp_path / "cache" / "t_step1.rejected.json").read_text())
    assert {r["id"]: r["image_quality_reasons"] for r in rejected} == {
        "c_blank.png": ["row: image_blank"], "d_tiny.jpg": ["row: image_too_small"]}
    removed = json.loads((tmp_path / "cache" / "t_step2.rejected.json").read_text())
    assert [(r["id"], r["image_dedup_duplicate_of"]) for r in removed] == [("b_copy.jpg", 0)]
    stats = run_cli("stats", str(tmp_path / "cache" / "t_step2.json"), cwd=tmp_path).stdout
    assert "row: near_duplicate_image" in stats
    run_cli("view", str(tmp_path / "cache" / "t_step1.json"), cwd=tmp_path)
    thumbs = list((tmp_path / "cache" / "t_step1.report_files" / "thumbs").iterdir())
    assert len(thumbs) == 5  # kept and rejected rows, each with its thumbnail


DRIVER = """
import sys, time
from dataflow.operators.core_vision import ImageQualityFilter
from dataflow.io import image_probe
from dataflow.utils.storage import FileStorage
slow = image_probe.probe_image
def probe(*args, **kwargs):
    time.sleep(0.02)
    return slow(*args, **kwargs)
image_probe.probe_image = probe
import dataflow.operators.core_vision.filter.image_quality_filter as module
module.probe_image = probe
ImageQualityFilter(num_workers=1).run(FileStorage(sys.argv[1], cache_path=sys.argv[2], cache_type="json").step())
"""


def test_a_killed_filter_run_leaves_no_partial_step_and_the_rerun_completes(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for k in range(60):
        scene(k, (160, 120)).save(folder / f"{k:03d}.jpg")
    command = [sys.executable, "-c", DRIVER, str(folder), str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATAFLOW_PROGRESS": "0"}
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    step = tmp_path / "cache" / "dataflow_cache_step1.json"
    assert not step.exists()
    rerun = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert len(json.loads(step.read_text())) == 60
    again = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert "reused the cached result" in again.stderr
