"""The local servings' contract, run on the real engines (vLLM CPU, transformers) with a tiny checkpoint."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import require_vllm

MAX_TOKENS = 8
pytestmark = pytest.mark.slow


def make_serving(kind, model, **kwargs):
    if kind == "vllm":
        require_vllm()
        from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm

        return LocalModelVLMServing_vllm(
            model, vllm_max_tokens=MAX_TOKENS, vllm_min_tokens=MAX_TOKENS, show_progress=False, **kwargs
        )
    from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_transformers

    return LocalModelVLMServing_transformers(
        model, max_tokens=MAX_TOKENS, min_tokens=MAX_TOKENS, batch_size=4, show_progress=False, **kwargs
    )


@pytest.fixture(scope="module", params=["vllm", "transformers"])
def serving(request, tiny_model):
    serving = make_serving(request.param, tiny_model)
    yield serving
    serving.cleanup()


def human(text):
    return [{"from": "human", "value": text}]


def test_one_answer_per_conversation_in_order(serving, example_images):
    convs = [human(f"Describe picture {i}.") for i in range(5)]
    images = [[example_images["cat.jpg"]], [example_images["coffee.jpg"]], [], None, [example_images["rocket.jpg"]]]
    results = serving.generate_results(convs, images)
    assert len(results) == 5
    for r in results:
        assert r.ok and isinstance(r.text, str) and r.text
        assert r.output_tokens == MAX_TOKENS and r.finish_reason == "length"
    answers = serving.generate_from_input_messages(convs, images)
    assert len(answers) == 5 and all(isinstance(a, str) and a for a in answers)


def test_bad_rows_fail_alone_with_reasons(serving, example_images, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    cat = example_images["cat.jpg"]
    convs = [human("ok"), None, human("<image><image>"), human("x"), human("ok too"), []]
    images = [[cat], [cat], [cat], [str(fake)], [str(tmp_path / "missing.jpg")], [cat]]
    results = serving.generate_results(convs, images)
    assert [r.ok for r in results] == [True, False, False, False, False, False]
    assert results[0].text
    assert all(r.text == "" for r in results[1:])
    assert "conversation is null" in results[1].error
    assert "2 <image> marker" in results[2].error
    assert "not an image file" in results[3].error
    assert "image file not found" in results[4].error
    assert "conversation is empty" in results[5].error


def test_odd_images_are_served(serving, tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for name, image in [
        ("big.jpg", Image.fromarray(rng.integers(0, 255, (5774, 8660, 3), dtype=np.uint8))),  # 50 MP
        ("rgba.png", Image.new("RGBA", (300, 200), (0, 0, 255, 128))),
        ("palette.gif", Image.new("P", (120, 90))),
        ("cmyk.jpg", Image.new("CMYK", (100, 100), (0, 128, 0, 0))),
        ("gray16.png", Image.fromarray(np.full((64, 64), 1000, dtype=np.uint16))),
    ]:
        image.save(tmp_path / name)
        paths.append([str(tmp_path / name)])
    results = serving.generate_results([human("What is this?")] * len(paths), paths)
    assert [r.error for r in results] == [None] * len(paths)


def test_multi_image_rows_and_upstream_signature(serving, example_images):
    answers = serving.generate_from_input(
        ["Compare <image> with <image>.", "No picture here."],
        image_inputs=[[example_images["cat.jpg"], example_images["coffee.jpg"]], []],
    )
    assert len(answers) == 2 and all(answers)


def test_media_lists_must_match_conversations(serving):
    with pytest.raises(ValueError, match="image_list has 1 entries for 2 conversations"):
        serving.generate_results([human("a"), human("b")], [[]])


def test_vllm_cleanup_lets_a_second_engine_start(tiny_model, example_images):
    first = make_serving("vllm", tiny_model)
    assert first.generate_from_input(["hello"]) != [""]
    first.cleanup()
    assert first.llm is None
    second = make_serving("vllm", tiny_model)
    try:
        results = second.generate_results([human("hi")], [[example_images["cat.jpg"]]])
        assert results[0].ok
    finally:
        second.cleanup()


def test_vllm_rows_over_the_image_limit_fail_alone(tiny_model, example_images):
    serving = make_serving("vllm", tiny_model, vllm_limit_mm_per_prompt={"image": 1})
    try:
        cat = example_images["cat.jpg"]
        results = serving.generate_results([human("a"), human("b")], [[cat], [cat, cat]])
        assert results[0].ok
        assert "at most 1 per prompt" in results[1].error
    finally:
        serving.cleanup()


def test_cpu_kv_cache_default_is_bounded():
    from dataflow.serving.local_model_vlm_serving import _default_cpu_kv_cache_gib

    assert 1 <= _default_cpu_kv_cache_gib() <= 16


def test_known_vllm_cpu_noise_is_dropped_and_nothing_else(caplog):
    import logging

    from dataflow.serving.local_model_vlm_serving import _quiet_known_vllm_noise

    _quiet_known_vllm_noise()
    _quiet_known_vllm_noise()  # idempotent: one filter
    noisy = logging.getLogger("vllm.v1.worker.cpu_worker")
    assert len(noisy.filters) == 1
    with caplog.at_level(logging.WARNING, logger="vllm.v1.worker.cpu_worker"):
        noisy.warning("CPU backend doesn't allow to use `torch.set_num_threads` after the thread binding, skip it.")
        noisy.warning("KV cache is full")
    assert [r.getMessage() for r in caplog.records] == ["KV cache is full"]


def test_vllm_gets_a_stable_id_per_image_file(tiny_model, example_images):
    require_vllm()
    from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm

    serving = LocalModelVLMServing_vllm(tiny_model, vllm_max_tokens=4, vllm_temperature=0, show_progress=False)
    try:
        cat, coffee = example_images["cat.jpg"], example_images["coffee.jpg"]
        conversations = [[{"from": "human", "value": "Describe."}]] * 3
        rows = serving.prepare(conversations, [[cat], [cat], [coffee]])
        ids = [serving._request(r)["multi_modal_uuids"]["image"] for r in rows]
        assert ids[0] == ids[1] != ids[2] and all(len(i) == 1 and len(i[0]) == 40 for i in ids)
        assert rows[0].images[0] is rows[1].images[0]  # decoded once for both rows
        with_ids = serving.generate_prepared(rows)
        serving._image_ids = False  # the same rows without ids: the engine hashes the pixels
        without = serving.generate_prepared(serving.prepare(conversations, [[cat], [cat], [coffee]]))
        assert [r.text for r in with_ids] == [r.text for r in without] and all(r.ok for r in with_ids)
    finally:
        serving.cleanup()
