"""Guided decoding for the transformers backend: answers kept inside a JSON Schema with llguidance.

llguidance is the grammar engine vLLM's ``guidance`` backend uses, so both local backends constrain
answers the same way. (xgrammar 0.2.x, the other maintained choice, lets a JSON string with
``minLength``/``maxLength`` take raw control characters, which JSON forbids.)
"""

from __future__ import annotations

import json
from typing import Any

from dataflow.errors import MissingDependencyError

_TOKENIZERS: dict[int, Any] = {}


def _llguidance():
    try:
        import llguidance
        import llguidance.hf
        import llguidance.torch
    except ImportError:
        raise MissingDependencyError("llguidance", "hf", "json_schema with the transformers backend") from None
    return llguidance


class JsonSchemaLogitsProcessor:
    """A transformers logits processor: each row of a batch may only write JSON valid for ``schema``.

    Args:
        tokenizer: the model's Hugging Face tokenizer.
        schema: a JSON Schema (dict).
        batch_size: rows in the ``generate`` call.
        prompt_length: the (padded) prompt length; tokens after it are the answer.
    """

    def __init__(self, tokenizer: Any, schema: dict, batch_size: int, prompt_length: int):
        llg = _llguidance()
        key = id(tokenizer)
        if key not in _TOKENIZERS:  # building the token trie takes a while: once per tokenizer
            _TOKENIZERS[key] = llg.hf.from_tokenizer(tokenizer)
        self._llg = llg
        self.tokenizer = _TOKENIZERS[key]
        grammar = llg.LLMatcher.grammar_from_json_schema(json.dumps(schema))
        self.matchers = [llg.LLMatcher(self.tokenizer, grammar) for _ in range(batch_size)]
        self.prompt_length = prompt_length
        self.bitmask = llg.torch.allocate_token_bitmask(batch_size, self.tokenizer.vocab_size)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if input_ids.shape[1] > self.prompt_length:
            for matcher, token in zip(self.matchers, input_ids[:, -1].tolist()):
                if not matcher.is_stopped():
                    matcher.consume_token(token)
        for i, matcher in enumerate(self.matchers):
            self._llg.torch.fill_next_token_bitmask(matcher, self.bitmask, i)
        vocab = self.tokenizer.vocab_size
        allowed = scores[:, :vocab].float()
        self._llg.torch.apply_token_bitmask_inplace(allowed, self.bitmask.to(allowed.device))
        scores = scores.clone()
        scores[:, :vocab] = allowed.to(scores.dtype)
        scores[:, vocab:] = torch.finfo(scores.dtype).min  # padded embedding rows are never text
        return scores
