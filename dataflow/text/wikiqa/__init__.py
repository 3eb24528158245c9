"""The WikiQA parser: a model's free text (an article plus question/answer pairs, in whatever layout
the model chose) into ``{"context": str, "qas": [{"question", "answer"}, ...]}``. Label words,
headers and symbols are data, in ``vocabulary``."""

from dataflow.text.wikiqa.parser import parse_wiki_qa

__all__ = ["parse_wiki_qa"]
