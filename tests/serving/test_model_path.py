import shutil

import pytest

from dataflow.errors import ServingError
from dataflow.serving.base import resolve_model_path


def test_local_folder_is_used_as_is(tiny_model):
    assert resolve_model_path(tiny_model) == tiny_model


def test_missing_local_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ServingError, match="model folder not found"):
        resolve_model_path(str(tmp_path / "nope" / "model"))
    with pytest.raises(ServingError, match="hf_model_name_or_path is required"):
        resolve_model_path(None)


def test_hub_id_goes_through_snapshot_download(tiny_model, tmp_path, monkeypatch):
    # A hub cache laid out as huggingface_hub writes it; offline, snapshot_download resolves it.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--acme--tiny-vl"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(tiny_model, repo / "snapshots" / commit)
    path = resolve_model_path("acme/tiny-vl", cache_dir=str(tmp_path / "hub"))
    assert path == str(repo / "snapshots" / commit)
    with pytest.raises(ServingError, match="could not fetch model 'acme/other'"):
        resolve_model_path("acme/other", cache_dir=str(tmp_path / "hub"))
