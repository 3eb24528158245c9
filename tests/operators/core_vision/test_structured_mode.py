"""Structured mode without a model: the schema reaches the serving, every answer is checked, and the
refiner turns the JSON into {context, qas} exactly."""

import json

import pytest

from dataflow.core import GenerationResult, ServingCapabilities
from dataflow.operators.core_vision import PromptedVQAGenerator
from dataflow.operators.core_vision.refine import parse_wiki_qa
from dataflow.prompts.context_vqa import CONTEXTVQA_SCHEMA, STRUCTURED_SKVQA_PROMPT
from dataflow.utils.storage import FileStorage

ARTICLE = ("The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named "
           "after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889. "
           "It was the centrepiece of the 1889 World's Fair.")
GOOD = {"title": "Eiffel Tower", "article": ARTICLE,
        "qas": [{"question": "Who is it named after?", "answer": "Gustave Eiffel"},
                {"question": "In which city is it?", "answer": "Paris"},
                {"question": "When was it finished?", "answer": "1889"}]}


class SchemaServing:
    """Answers from a script per prompt number; records the json_schema it was given."""

    capabilities = ServingCapabilities(results=True, json_schema=True)

    def __init__(self, answers):
        self.answers = answers
        self.schemas = []

    def generate_results(self, conversations, image_list=None, video_list=None, system_prompt="", json_schema=None):
        self.schemas.append(json_schema)
        return [self.answers[int(c[0]["value"].rsplit(" ", 1)[-1])] for c in conversations]

    def fingerprint(self):
        return {"class": "SchemaServing"}


def test_every_answer_is_checked_against_the_schema(tmp_path):
    answers = [
        GenerationResult(text=json.dumps(GOOD), finish_reason="stop"),
        GenerationResult(text=json.dumps(GOOD)[:120], finish_reason="length"),  # cut off by the token limit
        GenerationResult(text='{"title": "x"} trailing', finish_reason="stop"),
        GenerationResult(text=json.dumps({**GOOD, "qas": GOOD["qas"][:2]}), finish_reason="stop"),  # too few pairs
        GenerationResult(error="engine rejected the prompt"),
    ]
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"conversation": [{"from": "human", "value": f"row {i}"}]} for i in range(5)]))
    storage = FileStorage(str(src), cache_path=str(tmp_path / "c"), file_name_prefix="s", cache_type="json")
    serving = SchemaServing(answers)
    gen = PromptedVQAGenerator(serving, json_schema=CONTEXTVQA_SCHEMA, show_progress=False)
    gen.run(storage.step(), output_answer_key="vqa")
    rows = json.loads((tmp_path / "c" / "s_step1.json").read_text())
    assert serving.schemas and all(s == CONTEXTVQA_SCHEMA for s in serving.schemas)
    assert rows[0]["vqa_error"] is None and json.loads(rows[0]["vqa"]) == GOOD
    assert rows[1]["vqa"] == "" and rows[1]["vqa_error"].startswith("truncated at max_tokens") and "vllm_max_tokens" in rows[1]["vqa_error"]
    assert "not valid JSON" in rows[2]["vqa_error"]
    assert "does not match the schema at qas" in rows[3]["vqa_error"] and "too short" in rows[3]["vqa_error"]
    assert rows[4]["vqa_error"] == "engine rejected the prompt"
    # the schema is part of what decides cache reuse
    again = SchemaServing(answers)
    PromptedVQAGenerator(again, show_progress=False).run(
        FileStorage(str(src), cache_path=str(tmp_path / "c"), file_name_prefix="s", cache_type="json").step(),
        output_answer_key="vqa",
    )
    assert again.schemas == [None]  # recomputed (one call for 5 rows), without a schema


def test_a_serving_without_json_schema_support_still_works(tmp_path):
    class Upstream:  # upstream's contract: no generate_results, no json_schema
        def generate_from_input_messages(self, conversations, image_list=None, video_list=None, system_prompt=""):
            return [json.dumps(GOOD)] * len(conversations)

    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"conversation": [{"from": "human", "value": "x"}]}]))
    frame = FileStorage(str(src)).step().read()
    out = PromptedVQAGenerator(Upstream(), json_schema=CONTEXTVQA_SCHEMA, show_progress=False).process(frame, output_answer_key="a")
    assert out["a_error"].tolist() == [None]


def test_the_refiner_turns_the_json_into_context_and_qas_exactly():
    assert parse_wiki_qa(json.dumps(GOOD)) == {"context": ARTICLE, "qas": GOOD["qas"]}
    assert parse_wiki_qa(json.dumps(GOOD, indent=2, ensure_ascii=False)) == {"context": ARTICLE, "qas": GOOD["qas"]}
    two_paragraphs = {**GOOD, "article": ARTICLE + "\n\nIt is 330 metres tall."}
    assert parse_wiki_qa(json.dumps(two_paragraphs))["context"] == ARTICLE + "\n\nIt is 330 metres tall."


def test_the_prompt_keeps_skvqa_criteria_and_the_schema_bounds():
    assert all(f"{n}: " in STRUCTURED_SKVQA_PROMPT for n in range(1, 9))
    assert CONTEXTVQA_SCHEMA["properties"]["qas"]["minItems"] == 3 and CONTEXTVQA_SCHEMA["properties"]["qas"]["maxItems"] == 10
    assert CONTEXTVQA_SCHEMA["properties"]["article"]["minLength"] >= 200
    with pytest.raises(ValueError, match="'json_schema' parameter must be a JSON Schema dict"):
        PromptedVQAGenerator(SchemaServing([]), json_schema='{"type": "object"}')
