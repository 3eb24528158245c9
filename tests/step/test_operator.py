"""StepOperator / ModelOperator: an operator writes only process(); run() is derived, durable and
keyed on the constructor's arguments. The README's operator is run exactly as printed."""

import inspect
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from dataflow.step import ModelOperator, StepOperator
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage
from tests.conftest import REPO_ROOT


def readme_operator() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    return re.search(r"```python\n(from dataflow.step import ModelOperator\n.*?)```", readme, re.S)[1]


def load_captioner():
    namespace = {}
    exec(compile(readme_operator(), "README.md", "exec"), namespace)
    return namespace["Captioner"]


def test_the_readme_operator_is_short():
    code = readme_operator()
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) <= 20 and sum(line.startswith(("import ", "from ")) for line in lines) <= 2


def write_rows(tmp_path, n, missing=()):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    rows = []
    for i in range(n):
        if i not in missing:
            Image.new("RGB", (32, 32), (i % 255, 0, 0)).save(folder / f"{i}.png")
        rows.append({"id": i, "image": [f"{i}.png"]})
    (folder / "rows.json").write_text(json.dumps(rows))
    return folder / "rows.json"


def storage_for(tmp_path, source):
    return FileStorage(str(source), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="json")


def step_rows(tmp_path):
    return json.loads((tmp_path / "cache" / "t_step1.json").read_text())


def served(log):
    return log.read_text().count("\n") if log.exists() else 0


def test_the_readme_operator_runs_reuses_and_recomputes_on_a_changed_argument(tmp_path, caplog, monkeypatch):
    Captioner = load_captioner()
    assert list(inspect.signature(Captioner.run).parameters) == ["self", "storage", "input_image_key", "output_key"]
    source = write_rows(tmp_path, 5, missing=(3,))
    monkeypatch.chdir(tmp_path)  # images are found next to the input file, not in the working directory
    log = tmp_path / "served.log"
    serving = EchoServing(log_path=str(log))
    assert Captioner(serving).run(storage_for(tmp_path, source).step()) == "caption"
    rows = step_rows(tmp_path)
    assert [r["caption"] for r in rows] == ["answer to Describe this image in one sentence."] * 3 + ["", rows[4]["caption"]]
    assert rows[3]["caption_error"].startswith("image file not found") and rows[0]["caption_error"] is None
    assert served(log) == 5  # EchoServing logs the row with the missing image too, then fails it
    with caplog.at_level("INFO", logger="dataflow"):
        Captioner(EchoServing(log_path=str(log))).run(storage_for(tmp_path, source).step())
    assert "Captioner: reused the cached result" in caplog.text and served(log) == 5
    Captioner(EchoServing(log_path=str(log)), prompt="Name the colour.").run(storage_for(tmp_path, source).step())
    assert served(log) == 10 and step_rows(tmp_path)[0]["caption"] == "answer to Name the colour."
    Captioner(EchoServing(log_path=str(log), model="other")).run(storage_for(tmp_path, source).step())
    assert served(log) == 15  # another model is another result, though no argument of Captioner changed


def test_a_constructor_argument_kept_under_another_name_is_an_error_not_a_stale_cache(tmp_path):
    class Forgetful(StepOperator):
        def __init__(self, factor=2):
            self.multiplier = factor

        def process(self, frame, input_key="n", output_key="m"):
            return frame.assign(**{output_key: frame[input_key] * self.multiplier})

    source = tmp_path / "in.json"
    source.write_text(json.dumps([{"n": 1}, {"n": 2}]))
    with pytest.raises(TypeError, match=r"Forgetful.__init__ takes 'factor' but keeps no self.factor"):
        Forgetful().run(storage_for(tmp_path, source).step())


def test_a_model_free_operator_gets_the_same_run(tmp_path, caplog):
    class WordCounter(StepOperator):
        def process(self, frame, input_key="text", output_key="n_words"):
            return frame.assign(**{output_key: [len(str(t).split()) for t in frame[input_key]]})

    source = tmp_path / "in.json"
    source.write_text(json.dumps([{"text": "one two three"}, {"text": "four"}]))
    with caplog.at_level("INFO", logger="dataflow"):
        assert WordCounter().run(storage_for(tmp_path, source).step(), input_key="text") == "n_words"
    assert [r["n_words"] for r in step_rows(tmp_path)] == [3, 1]
    assert "WordCounter: rows 2" in caplog.text
    with pytest.raises(Exception, match=r"input column\(s\) \['txt'\] not in the data"):
        WordCounter().run(storage_for(tmp_path, source).step(), input_key="txt")


DRIVER = '''
import sys
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage
{operator}
Captioner.chunk_size = 5
Captioner.show_progress = False
storage = FileStorage(sys.argv[1], cache_path=sys.argv[2], file_name_prefix="t", cache_type="json")
Captioner(EchoServing(delay=0.05, log_path=sys.argv[3])).run(storage.step())
'''


def test_the_readme_operator_resumes_after_kill_9(tmp_path):
    rows = 60
    source = write_rows(tmp_path, rows)
    script = tmp_path / "captions.py"
    script.write_text(DRIVER.format(operator=readme_operator()))
    log = tmp_path / "served.log"
    command = [sys.executable, str(script), str(source), str(tmp_path / "cache"), str(log)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATAFLOW_PROGRESS": "0"}
    first = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while served(log) < 20 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = served(log)
    assert 20 <= before < rows and not (tmp_path / "cache" / "t_step1.json").exists()
    second = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming" in second.stderr
    assert served(log) - before <= rows - before + 5 and served(log) <= rows + 5  # at most one chunk redone
    assert [r["id"] for r in step_rows(tmp_path)] == list(range(rows))
    assert all(r["caption_error"] is None for r in step_rows(tmp_path))
    third = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "reused the cached result" in third.stderr
    assert served(log) <= rows + 5


def test_process_must_write_what_it_declares(tmp_path):
    class Sloppy(ModelOperator):
        def __init__(self, serving):
            self.serving = serving

        def process(self, frame, output_key="x"):
            return frame.assign(**{output_key: 1})  # no x_error

    source = tmp_path / "in.json"
    source.write_text(json.dumps([{"n": 1}]))
    with pytest.raises(Exception, match=r"Sloppy.process\(\) did not write \['x_error'\]"):
        Sloppy(EchoServing()).run(storage_for(tmp_path, source).step())


def test_an_upgrade_that_changes_the_refiner_recomputes_it_and_reuses_generation(tmp_path, monkeypatch, caplog):
    import dataflow.version
    from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
    from dataflow.operators.core_vision.refine import wikiqa_refiner

    source = tmp_path / "in.json"
    source.write_text(json.dumps([{"conversation": [{"from": "human", "value": f"q{i}"}]} for i in range(3)]))
    log = tmp_path / "served.log"

    def run():
        storage = storage_for(tmp_path, source)
        PromptedVQAGenerator(EchoServing(log_path=str(log)), show_progress=False).run(storage.step(),
                                                                                      output_answer_key="vqa")
        WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
        return json.loads((tmp_path / "cache" / "t_step2.json").read_text())

    run()
    assert served(log) == 3
    # the next release parses differently: its version and the refiner's behaviour change
    monkeypatch.setattr(dataflow.version, "__version__", dataflow.version.__version__ + ".post1")
    monkeypatch.setattr(wikiqa_refiner, "parse_wiki_qa", lambda text: {"context": "new parser", "qas": []})
    with caplog.at_level("INFO", logger="dataflow"):
        rows = run()
    assert served(log) == 3  # generation sends the same requests: reused
    assert "PromptedVQAGenerator: reused the cached result" in caplog.text
    assert "WikiQARefiner: recomputing" in caplog.text and "the operator's code changed" in caplog.text
    assert [r["context_vqa"]["context"] for r in rows] == ["new parser"] * 3


def test_a_changed_setting_is_named_as_the_reason(tmp_path, caplog):
    from dataflow.operators.core_vision import ContextVQAFilter

    source = tmp_path / "in.json"
    source.write_text(json.dumps([{"r": {"context": "word " * 60, "qas": [{"question": "q?", "answer": "word"}]}}]))
    ContextVQAFilter().run(storage_for(tmp_path, source).step(), input_key="r", output_key="f")
    with caplog.at_level("INFO", logger="dataflow"):
        ContextVQAFilter(min_context_words=10).run(storage_for(tmp_path, source).step(), input_key="r", output_key="f")
    assert "ContextVQAFilter: recomputing" in caplog.text and "its settings changed" in caplog.text
