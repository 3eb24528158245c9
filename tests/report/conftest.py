import json
import os
import shutil

import pytest

from tests.conftest import REPO_ROOT

XSS = ['<script>window.pwned = "script"</script>', '<img src=x onerror="window.pwned=\'img\'">',
       '"><svg onload="window.pwned=\'svg\'">', "</script><script>window.pwned='close'</script>"]


def make_step(folder, n=130, image_pixels=None):
    """A step file like the filtered pipeline's, plus its rejected rows beside it, with XSS in every text field.

    ``image_pixels``: copy the example images shrunk to this size (keeps 100k-row exports small).
    """
    from PIL import Image

    images = sorted(p for p in (REPO_ROOT / "example_data" / "image_contextvqa").iterdir() if p.suffix in (".png", ".jpg"))
    folder.mkdir(parents=True, exist_ok=True)
    for image in images:
        if image_pixels:
            with Image.open(image) as im:
                im.thumbnail((image_pixels, image_pixels))
                im.save(folder / image.name)
        else:
            shutil.copy(image, folder / image.name)
    (folder / "cache").mkdir(exist_ok=True)
    kept, rejected = [], []
    for i in range(n):
        payload = XSS[i % len(XSS)]
        record = {"context": f"Article number {i} about topic{i}. {payload} " + "More text. " * 20,
                  "qas": [{"question": f"Question {k} of row {i}? {payload}", "answer": f"answer{i}x{k}"} for k in range(i % 4)]}
        row = {"id": f"r{i:04d}{payload if i % 10 == 0 else ''}", "image": [images[i % len(images)].name],
               "vqa": "raw", "vqa_error": None, "context_vqa": record,
               "context_vqa_filtered": record, "context_vqa_filtered_reasons": []}
        if i % 7 == 3:
            row.update(vqa="", vqa_error=f"image file not found: /data/{payload}.png", context_vqa={"context": "", "qas": []},
                       context_vqa_filtered=None, context_vqa_filtered_reasons=["row: empty_context"])
            rejected.append(row)
        elif i % 7 == 5:
            row.update(context_vqa_filtered=None, context_vqa_filtered_reasons=["row: image_reference", f"qa[0]: {payload}"])
            rejected.append(row)
        elif i % 11 == 0:
            row["image"] = ["missing.png"]
            kept.append(row)
        else:
            kept.append(row)
    step = folder / "cache" / "p_step3.json"
    step.write_text(json.dumps(kept))
    (folder / "cache" / "p_step3.rejected.json").write_text(json.dumps(rejected))
    return step, kept, rejected


@pytest.fixture
def step_file(tmp_path):
    return make_step(tmp_path / "work")


def chromium_path():
    """The Debian chromium (or $DATAFLOW_CHROMIUM); in CI a missing browser fails the test, never skips it."""
    path = os.environ.get("DATAFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium for the report test")
    pytest.skip("chromium is not installed (apt-get install chromium)")
