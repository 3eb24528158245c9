"""The quality stage: ContextVQAFilter verdicts on hand-written records, the step files it writes,
VisionDependencyFilter with a serving whose blind answers are known, QADeduplicator."""

import json

import pytest

from dataflow.operators.core_vision import ContextVQAFilter, QADeduplicator, VisionDependencyFilter
from dataflow.utils.storage import FileStorage
from tests.operators.core_vision.filter_cases import BRIDGE, CASES, LOUVRE, RETRIEVER, article, qa


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name, record, options, kept, reasons", CASES, ids=[c[0] for c in CASES])
def test_contextvqa_filter_verdict(name, record, options, kept, reasons):
    filtered, why = ContextVQAFilter(**options).check(record)
    assert why == reasons
    if kept is None:
        assert filtered is None
    else:
        assert filtered == {**record, "qas": [record["qas"][i] for i in kept]}


# ----------------------------------------------------------------------------------------------
# ContextVQAFilter as a step
# ----------------------------------------------------------------------------------------------
def write_rows(tmp_path, rows, name="in.json"):
    path = tmp_path / name
    path.write_text(json.dumps(rows))
    return FileStorage(str(path), cache_path=str(tmp_path / "cache"), file_name_prefix="q", cache_type="json")


def read(tmp_path, name):
    return json.loads((tmp_path / "cache" / name).read_text())


def test_process_keeps_every_row_and_run_splits_kept_and_rejected(tmp_path, caplog):
    rows = [{"id": i, "context_vqa": record} for i, (_, record, options, _, _) in enumerate(CASES) if not options]
    storage = write_rows(tmp_path, rows)
    frame = storage.step().read()
    out = ContextVQAFilter().process(frame)
    assert len(out) == len(rows) and list(out.columns) == ["id", "context_vqa", "context_vqa_filtered",
                                                          "context_vqa_filtered_reasons"]
    expected_kept = [r["id"] for r, v in zip(rows, out["context_vqa_filtered"]) if v is not None]
    with caplog.at_level("INFO", logger="dataflow"):
        assert ContextVQAFilter().run(write_rows(tmp_path, rows).step()) == "context_vqa_filtered"
    kept = read(tmp_path, "q_step1.json")
    rejected = read(tmp_path, "q_step1.rejected.json")
    assert [r["id"] for r in kept] == expected_kept
    assert len(kept) + len(rejected) == len(rows)
    assert all(r["context_vqa_filtered"] is None and r["context_vqa_filtered_reasons"] for r in rejected)
    assert "row: image_reference 6" in caplog.text and "qa: answer_not_in_context" in caplog.text
    assert f"rows in {len(rows)}, kept {len(kept)}" in caplog.text


def test_bad_options_are_named():
    with pytest.raises(ValueError, match=r"'image_reference' parameter must be one of \['phrase', 'word'\]"):
        ContextVQAFilter(image_reference="strict")
    with pytest.raises(ValueError, match=r"'answer_in_context' parameter must be 'qa', 'row' or None"):
        ContextVQAFilter(answer_in_context="all")


# ----------------------------------------------------------------------------------------------
# VisionDependencyFilter
# ----------------------------------------------------------------------------------------------
class KnownAnswers:
    """Answers a blind question from a table keyed by a word of the question; records every prompt."""

    from dataflow.core import ServingCapabilities

    capabilities = ServingCapabilities(results=True)

    def __init__(self, table, fail_on=()):
        self.table = table
        self.fail_on = fail_on
        self.prompts = []

    def generate_results(self, conversations, image_list=None, video_list=None, system_prompt=""):
        from dataflow.core import GenerationResult

        out = []
        for conversation in conversations:
            prompt = conversation[0]["content"]
            self.prompts.append(prompt)
            assert image_list is None, "the blind check sends no image"
            question = prompt.rsplit("Question: ", 1)[1]
            if any(w in question for w in self.fail_on):
                out.append(GenerationResult(error="engine rejected the prompt"))
                continue
            out.append(GenerationResult(text=next((a for k, a in self.table.items() if k in question), "I cannot tell.")))
        return out

    def fingerprint(self):
        return {"class": "KnownAnswers", "table": self.table}


def vision_rows():
    return [
        {"id": 0, "context_vqa_filtered": article(BRIDGE, qa("When did it open?", "1937"), qa("Who designed it?", "Joseph Strauss"))},
        {"id": 1, "context_vqa_filtered": article(LOUVRE, qa("Which city?", "Paris"))},
        {"id": 2, "context_vqa_filtered": None},  # rejected upstream: passes through
        {"id": 3, "context_vqa_filtered": article(RETRIEVER, qa("When was it recognised?", "1911"), qa("Which lord?", "Lord Tweedmouth"))},
    ]


def test_blind_answers_flag_questions_that_need_no_image(tmp_path):
    import pandas as pd

    serving = KnownAnswers({"open": "It opened in 1937.", "designed": "Irving Morrow", "city": "the city of Paris",
                            "lord": "tweedmouth"}, fail_on=("recognised",))
    out = VisionDependencyFilter(serving).process(pd.DataFrame(vision_rows()))
    records, reasons = out["context_vqa_vision"].tolist(), out["context_vqa_vision_reasons"].tolist()
    assert [q["answerable_without_image"] for q in records[0]["qas"]] == [True, False]
    assert records[0]["qas"][0]["blind_answer"] == "It opened in 1937."
    assert reasons[0] == ["qa[0]: answerable_without_image"]
    assert reasons[1] == ["qa[0]: answerable_without_image"]
    assert records[2] is None and reasons[2] == []
    # "tweedmouth" lacks "Lord": the reference is not all there, so the image may still be needed
    assert [q["answerable_without_image"] for q in records[3]["qas"]] == [None, False]
    assert reasons[3] == ["qa[0]: blind_check_failed"]
    assert len(serving.prompts) == 5 and "Article:\n" + BRIDGE in serving.prompts[0]

    dropped = VisionDependencyFilter(serving, drop=True).process(pd.DataFrame(vision_rows()))
    records, reasons = dropped["context_vqa_vision"].tolist(), dropped["context_vqa_vision_reasons"].tolist()
    assert [q["question"] for q in records[0]["qas"]] == ["Who designed it?"]
    assert records[1] is None and reasons[1] == ["qa[0]: answerable_without_image", "row: no_qa_left"]
    assert len(records[3]["qas"]) == 2  # a failed check is not a reason to drop


def test_vision_filter_run_writes_kept_rows_and_is_reused(tmp_path, caplog):
    serving = KnownAnswers({"city": "Paris"})
    rows = [r for r in vision_rows() if r["context_vqa_filtered"] is not None]
    VisionDependencyFilter(serving, drop=True, show_progress=False).run(write_rows(tmp_path, rows).step())
    kept = read(tmp_path, "q_step1.json")
    assert [r["id"] for r in kept] == [0, 3] and [r["id"] for r in read(tmp_path, "q_step1.rejected.json")] == [1]
    again = KnownAnswers({"city": "Paris"})
    with caplog.at_level("INFO", logger="dataflow"):
        VisionDependencyFilter(again, drop=True, show_progress=False).run(write_rows(tmp_path, rows).step())
    assert again.prompts == [] and "reused the cached result" in caplog.text


# ----------------------------------------------------------------------------------------------
# QADeduplicator
# ----------------------------------------------------------------------------------------------
def test_repeated_qas_are_removed_within_an_articles_scope_and_near_duplicate_articles_flagged():
    import pandas as pd

    near_copy = LOUVRE.replace("In 2023 it received", "In the year 2023 it welcomed")
    rows = pd.DataFrame({"r": [
        article(LOUVRE, qa("Which city?", "Paris"), qa("Which painting?", "Mona Lisa")),
        article(BRIDGE, qa("which city?", "paris!"), qa("When did it open?", "1937")),  # another article: kept
        article(near_copy, qa("How many visitors?", "8.9 million"), qa("which city?", "Paris.")),  # repeats row 0
        article(near_copy, qa("Which painting?", "Mona Lisa")),  # only a repeat of row 0 (near copy): nothing left
        None,
    ]})
    out = QADeduplicator().process(rows, input_key="r", output_key="d", input_image_key=None)
    records, reasons, near = out["d"].tolist(), out["d_reasons"].tolist(), out["d_near_duplicate_of"].tolist()
    assert len(records[1]["qas"]) == 2 and reasons[1] == []
    assert near == [None, None, 0, 0, None]
    assert [q["question"] for q in records[2]["qas"]] == ["How many visitors?"]
    assert reasons[2] == ["qa[1]: duplicate_qa", "row: near_duplicate_article"]
    assert out["d_duplicate_of"].tolist() == [None, None, {"1": 0}, {"0": 0}, None]
    assert records[3] is None and reasons[3] == ["qa[0]: duplicate_qa", "row: near_duplicate_article", "row: no_qa_left"]
    assert records[4] is None and reasons[4] == []
    dropped = QADeduplicator(drop_near_duplicate_articles=True).process(rows, input_key="r", output_key="d",
                                                                        input_image_key=None)
    assert dropped["d"].tolist()[2] is None


TOWER = ("The Leaning Tower of Pisa is the campanile of Pisa Cathedral, known for its nearly four-degree lean, "
         "the result of an unstable foundation; construction began in 1173 and lasted almost two centuries.")
CASTLE = ("Neuschwanstein Castle is a nineteenth-century historicist palace on a rugged hill above the village of "
          "Hohenschwangau in Bavaria, commissioned by King Ludwig II as a retreat and opened to the public in 1886.")


def test_the_same_qa_about_two_images_is_kept_and_about_one_image_twice_removed(tmp_path):
    import pandas as pd

    for name in ("lucerne.jpg", "cordoba.jpg"):
        (tmp_path / name).write_bytes(name.encode())
    same = qa("How many times was it restored?", "5")
    rows = pd.DataFrame({
        "image": [str(tmp_path / "lucerne.jpg"), str(tmp_path / "cordoba.jpg"), str(tmp_path / "lucerne.jpg"),
                  {"bytes": b"embedded", "path": None}, {"bytes": b"embedded", "path": None}],
        "r": [article(BRIDGE, same), article(LOUVRE, same), article(RETRIEVER, same, qa("Which breed?", "Retriever")),
              article(TOWER, same), article(CASTLE, same)],
    })
    out = QADeduplicator().process(rows, input_key="r", output_key="d")
    assert out["d_reasons"].tolist() == [[], [], ["qa[0]: duplicate_qa"], [], ["qa[0]: duplicate_qa", "row: no_qa_left"]]
    assert out["d_duplicate_of"].tolist() == [None, None, {"0": 0}, None, {"0": 3}]


def test_generic_questions_are_flagged_not_removed():
    import pandas as pd

    generic = qa("In which year was it built?", "1900")
    rows = pd.DataFrame({"r": [article(text, generic, qa(f"Specific {k}?", "x")) for k, text in
                               enumerate((LOUVRE, BRIDGE, RETRIEVER))]})
    out = QADeduplicator(generic_question_share=0.5).process(rows, input_key="r", output_key="d", input_image_key=None)
    assert out["d_reasons"].tolist() == [["qa[0]: generic_question"]] * 3
    assert all(len(r["qas"]) == 2 for r in out["d"])
    assert QADeduplicator().process(rows, input_key="r", output_key="d", input_image_key=None)["d_reasons"].tolist() == [[]] * 3


def test_articles_on_different_subjects_are_not_near_duplicates():
    import pandas as pd

    rows = pd.DataFrame({"r": [article(text, qa("q?", "a")) for text in (LOUVRE, BRIDGE, RETRIEVER)]})
    out = QADeduplicator().process(rows, input_key="r", output_key="d", input_image_key=None)
    assert out["d_near_duplicate_of"].tolist() == [None] * 3


def test_quality_summary_counts_every_file_a_chunk_at_a_time(tmp_path):
    from dataflow.operators.core_vision.filter import quality_summary
    from dataflow.storage.formats import write_records
    from dataflow.utils.storage import FileStorage

    storage = FileStorage(str(tmp_path / "in.jsonl"), cache_path=str(tmp_path), file_name_prefix="s", cache_type="jsonl")
    record = {"context": "An article.", "qas": [{"question": "q", "answer": "a"}] * 2}
    write_records(str(tmp_path / "s_step1.rejected.jsonl"),
                  [{"f": None, "f_reasons": ["row: short_context"]} for _ in range(3)])
    write_records(str(tmp_path / "s_step2.jsonl"),
                  [{"f": record, "f_reasons": ["qa[1]: duplicate_question"], "d": record, "d_reasons": []}
                   for _ in range(5000)])  # more than one chunk
    storage.step()
    storage.step()
    summary = quality_summary(storage)
    assert summary == {"rows_in": 5003, "rows_kept": 5000, "qas_kept": 10000, "qas_per_kept_row": 2.0,
                       "reasons": {"qa: duplicate_question": 5000, "row: short_context": 3}}
