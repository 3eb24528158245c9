"""The transformers backend on a CUDA GPU (skipped without one): bf16/fp32, static cache + compile."""

import pytest

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def serving(model, **kwargs):
    from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers

    return LocalModelVLMServing_transformers(
        model, temperature=0, max_tokens=12, min_tokens=12, batch_size=4, show_progress=False, **kwargs
    )


def test_cuda_defaults_and_static_cache_agree(tiny_model, example_images):
    convs = [[{"from": "human", "value": f"Describe picture {i}."}] for i in range(6)]
    images = [[example_images["cat.jpg"]], [example_images["coffee.jpg"]], [], [example_images["rocket.jpg"]],
              [example_images["person.png"]], None]
    default = serving(tiny_model)
    default.load_model()
    assert str(default.model.device).startswith("cuda") and default.model.dtype == torch.bfloat16
    results = default.generate_results(convs, images)
    assert all(r.ok and r.output_tokens == 12 for r in results)
    default.cleanup()

    eager = serving(tiny_model, dtype="float32").generate_results(convs, images)
    static = serving(tiny_model, dtype="float32", static_cache=True).generate_results(convs, images)
    assert [r.text for r in static] == [r.text for r in eager]  # greedy: the cache must not change answers
