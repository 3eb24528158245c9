import logging

import pandas as pd
import pytest

from dataflow import get_logger
from dataflow.core import OPERATOR_REGISTRY, OperatorABC, VLMServingABC, get_operator, require_columns
from dataflow.errors import InputDataError
from dataflow.operators.core_vision import WikiQARefiner


def test_logger_has_success_level(caplog):
    logger = get_logger()
    assert logger.name == "dataflow"
    with caplog.at_level(logging.INFO, logger="dataflow"):
        logger.success("done %d", 3)
    assert any(r.levelname == "SUCCESS" and r.getMessage() == "done 3" for r in caplog.records)


def test_registry_uses_upstream_names():
    assert get_operator("WikiQARefiner") is WikiQARefiner
    assert "WikiQARefiner" in OPERATOR_REGISTRY
    with pytest.raises(KeyError, match="Known: .*WikiQARefiner"):
        get_operator("NoSuchOperator")


def test_operators_describe_themselves_in_both_languages():
    for name in OPERATOR_REGISTRY:
        cls = get_operator(name)
        assert issubclass(cls, OperatorABC)
        zh, en = cls.get_desc("zh"), cls.get_desc("en")
        assert zh and en and zh != en


def test_require_columns_lists_what_exists():
    frame = pd.DataFrame({"image": [1], "conversation": [2]})
    with pytest.raises(InputDataError, match=r"\['vqa'\] not in the data.*\['image', 'conversation'\]"):
        require_columns(frame, ["image", "vqa"], "Op")


def test_upstream_style_serving_gets_result_wrapper():
    class Canned(VLMServingABC):
        def generate_from_input(self, user_inputs, system_prompt=""):
            return ["x"] * len(user_inputs)

        def generate_from_input_messages(self, conversations, image_list=None, video_list=None, audio_list=None,
                                         system_prompt=""):
            return [f"answer {i}" for i in range(len(conversations))]

        def cleanup(self):
            pass

    results = Canned().generate_results([[], []])
    assert [r.text for r in results] == ["answer 0", "answer 1"] and all(r.ok for r in results)


def test_importing_dataflow_changes_no_global_state():
    """No excepthook, no patched logging.Logger, no handler: entry points opt in (enable_script_defaults)."""
    import subprocess
    import sys

    code = (
        "import logging, sys\n"
        "hook = sys.excepthook\n"
        "import dataflow, dataflow.core, dataflow.utils.storage, dataflow.operators, dataflow.pipeline, dataflow.step\n"
        "import dataflow.serving.local_model_vlm_serving, dataflow.serving.api_vlm_serving_openai\n"
        "assert sys.excepthook is hook, 'excepthook replaced'\n"
        "assert not hasattr(logging.Logger, 'success'), 'logging.Logger patched'\n"
        "assert not logging.getLogger('dataflow').handlers, 'handler added'\n"
        "assert logging.getLogger().handlers == [], 'root logger configured'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_the_first_step_of_a_script_enables_short_errors(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(
        "from dataflow.operators.core_vision import WikiQARefiner\n"
        "from dataflow.utils.storage import FileStorage\n"
        "WikiQARefiner().run(FileStorage('missing.json').step(), input_key='vqa', output_key='x')\n"
    )
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(__import__("tests").__path__[0] + "/..")})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "dataflow: StorageError: First entry file not found" in proc.stderr
