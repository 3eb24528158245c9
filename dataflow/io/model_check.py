"""What a checkpoint is, as far as this library is concerned (``dataflow env --model PATH``).

Reads the checkpoint's ``config.json`` and loads its processor (no weights), then says which family
it is, which servings the test suite runs that family on, the image bounds a serving will use, and
whether the checkpoint's own chat template writes the processor's image placeholder once per image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dataflow.errors import ServingError

# Enough of a Hub repository to read its config and processor, without the weights.
_CONFIG_FILES = ["*.json", "*.jinja", "tokenizer*", "*.model", "*.tiktoken", "*.txt"]
_SERVINGS = {"vllm": "LocalModelVLMServing_vllm", "transformers": "LocalModelVLMServing_transformers"}


@dataclass
class ModelReport:
    path: str
    model_type: str
    architectures: list[str]
    family: str | None
    tested: list[str]
    bounds: str
    caveat: str = ""
    processor: str = ""
    placeholder: str | None = None
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        arch = ", ".join(self.architectures) or "no architectures listed"
        family = (f"{self.family} (model_type {self.model_type}; {arch})" if self.family
                  else f"not in the tested matrix (model_type {self.model_type or '?'}; {arch}): generic chat-template path")
        tested = ", ".join(_SERVINGS[k] for k in self.tested) if self.tested else "none (not in the test matrix)"
        out = [f"{'model:':<18}{self.path}", f"{'family:':<18}{family}", f"{'tested servings:':<18}{tested}",
               f"{'image bounds:':<18}{self.bounds}"]
        if self.processor:
            out.append(f"{'processor:':<18}{self.processor} (image placeholder {self.placeholder or 'unknown'})")
        out += [f"{'check:':<18}{line}" for line in self.checks]
        if self.caveat:
            out.append(f"{'caveat:':<18}{self.caveat}")
        out += [f"{'PROBLEM:':<18}{line}" for line in self.problems]
        return out


def _local_folder(name_or_path: str, cache_dir: str | None) -> str:
    expanded = os.path.expanduser(name_or_path)
    if os.path.isdir(expanded):
        return expanded
    from dataflow.serving.base import model_source_problem

    problem = model_source_problem(name_or_path, cache_dir)
    if problem:
        raise ServingError(problem)
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        from dataflow.errors import MissingDependencyError

        raise MissingDependencyError("huggingface_hub", "hf", "Checking a Hub model") from None
    try:
        return snapshot_download(repo_id=name_or_path, cache_dir=os.path.expanduser(cache_dir) if cache_dir else None,
                                 allow_patterns=_CONFIG_FILES)
    except Exception as err:  # network, auth, missing repo
        raise ServingError(f"could not fetch the config of {name_or_path!r}: {err}") from err


def check_model(name_or_path: str, cache_dir: str | None = None) -> ModelReport:
    """Describe the checkpoint at ``name_or_path`` (a folder, or a Hub id: its config files only)."""
    from dataflow.io.adapters import adapter_for, read_model_config
    from dataflow.io.families import family_of
    from dataflow.io.messages import build_messages

    folder = _local_folder(str(name_or_path), cache_dir)
    config = read_model_config(folder)
    adapter = adapter_for(folder)
    family = family_of(adapter.model_type)
    area = f"{adapter.min_pixels or 1}..{adapter.max_pixels} pixels" if adapter.max_pixels else "unbounded"
    sides = f", sides multiples of {adapter.factor}" if adapter.factor > 1 else ""
    report = ModelReport(
        path=folder, model_type=adapter.model_type, architectures=list(config.get("architectures") or []),
        family=family.name if family else None, tested=list(family.tested) if family else [],
        bounds=f"{area}{sides} ({adapter.bounds_rule})", caveat=family.caveat if family else "",
    )
    try:
        processor = adapter.processor
    except Exception as err:  # a broken or missing processor: say so, keep the rest of the report
        report.problems.append(f"the processor does not load: {type(err).__name__}: {err}")
        return report
    report.processor = type(processor).__name__
    report.placeholder = image_placeholder_of(processor)
    for n in (1, 2):
        messages = build_messages("Describe the pictures.", n_images=n, system_prompt="You are a helpful assistant.")
        try:
            prompt = adapter.render(messages)
        except Exception as err:
            report.problems.append(f"the chat template cannot render {n} image(s): {type(err).__name__}: {err}")
            continue
        if report.placeholder is None:
            continue
        found = prompt.count(report.placeholder)
        verdict = "ok" if found == n else "WRONG"
        report.checks.append(f"{n} image(s): {found} {report.placeholder} in the rendered prompt: {verdict}")
        if found != n:
            report.problems.append(f"the chat template writes {found} image placeholder(s) for {n} image(s)")
    return report


def image_placeholder_of(processor: object) -> str | None:
    """The text a chat template writes once per image, as the processor names it."""
    for owner in (processor, getattr(processor, "tokenizer", None)):
        for attr in ("boi_token", "image_token"):  # Gemma 3 names its placeholder boi_token
            token = getattr(owner, attr, None)
            if isinstance(token, str) and token:
                return token
    return None
