import os

import pytest

from dataflow.storage.media import media_cell_to_list, resolve_media_cell, resolve_media_path
from dataflow.utils.storage import FileStorage


@pytest.fixture
def work(tmp_path):
    data = tmp_path / "work" / "example_data" / "image_contextvqa"
    data.mkdir(parents=True)
    (data / "person.png").write_bytes(b"x")
    (data / "sample_data.json").write_text("[]")
    return tmp_path / "work"


def test_path_as_written_when_it_exists_from_cwd(work, monkeypatch):
    monkeypatch.chdir(work)
    path = "./example_data/image_contextvqa/person.png"
    assert resolve_media_path(path, work / "example_data" / "image_contextvqa") == path


def test_relative_to_input_folder_from_another_cwd(work, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = work / "example_data" / "image_contextvqa"
    assert resolve_media_path("person.png", base) == str(base / "person.png")


def test_upstream_style_paths_found_from_any_cwd(work, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    storage = FileStorage(str(work / "example_data" / "image_contextvqa" / "sample_data.json"))
    resolved = storage.resolve_media(["./example_data/image_contextvqa/person.png"])
    assert resolved == [str(work / "example_data" / "image_contextvqa" / "person.png")]
    assert os.path.exists(resolved[0])


def test_unfound_path_and_urls_are_returned_as_written(work):
    assert resolve_media_path("missing.png", work) == "missing.png"
    assert resolve_media_path("https://x.org/a.png", work) == "https://x.org/a.png"
    assert resolve_media_path("/abs/a.png", work) == "/abs/a.png"


@pytest.mark.parametrize(
    "cell, expected",
    [(None, []), (float("nan"), []), ("", []), ("a.png", ["a.png"]), (["a.png", "b.png"], ["a.png", "b.png"]), ([], [])],
)
def test_media_cells(cell, expected):
    assert media_cell_to_list(cell) == expected


@pytest.mark.parametrize("cell", [3, {"a": 1}, [1]])
def test_bad_media_cells_are_row_errors(cell):
    with pytest.raises(ValueError, match="media"):
        resolve_media_cell(cell, None)


def test_the_resolver_follows_the_rule_with_one_lookup_per_distinct_path(tmp_path, monkeypatch):
    import os

    from dataflow.storage.media import MediaResolver, resolve_media_path

    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / "a.png").write_bytes(b"x")
    (tmp_path / "b.png").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    base = tmp_path / "data" / "sub"
    paths = ["a.png", "b.png", "./b.png", "missing.png", "/abs/c.png", "http://x/y.png", "~/nope.png"]
    resolver = MediaResolver(base)
    assert [resolver.path(p) for p in paths] == [resolve_media_path(p, base) for p in paths]
    calls = []
    real_exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda p: calls.append(p) or real_exists(p))
    for _ in range(100):
        resolver.cell(["a.png", "b.png"])
    assert calls == []  # looked up once, then remembered
