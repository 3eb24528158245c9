"""Comparing short answers with text the way a careful reader would.

``answer_tokens("The Louvre")`` and ``text_tokens("... at the louvre.")`` are both lists of
normalised words, and ``contains(haystack, needle)`` asks whether the needle's words occur there
in a row, on whole words. Normalising:

* Unicode NFKC (full-width ``１２`` is ``12``), then case-folding;
* thousands separators dropped inside numbers (``1,200`` is ``1200``);
* punctuation and symbols are word breaks (``Jean-Paul`` is ``jean paul``);
* number words zero to twenty are digits (``twelve`` is ``12``);
* for an answer, one leading article (a / an / the) is dropped;
* Chinese and Japanese (written without spaces) count each character as a word.

A match is on whole words: ``art`` is not found in ``Stuttgart``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20",
}
LEADING_ARTICLES = ("a", "an", "the")

# A separator between groups of three digits: "1,200", "12\u00a0000" (no-break and thin spaces too;
# a plain space is not one: "in 1937 200 workers" are two numbers).
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f\u2009](?=\d{3}(?!\d))")
# Scripts written without spaces (Chinese, Japanese kana) count one character as one word, so
# "巴黎" is found in "...位于巴黎的博物馆...".
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+", re.UNICODE)
# Lower-cased ASCII text: every character but a-z and 0-9 (and the \x00 that joins texts) breaks words,
# giving the same words as _WORD.
_ASCII_BREAKS = str.maketrans({chr(c): " " for c in range(1, 128) if not chr(c).isalnum() or chr(c).isupper()})
_NUMBER_SET = frozenset(NUMBER_WORDS)
# In normal_text's form every word has a space before and after it.
_SPACED_NUMBER_WORD = re.compile(" (?:" + "|".join(NUMBER_WORDS) + ")(?= )")
_SPACED_ARTICLES = tuple(f" {w} " for w in LEADING_ARTICLES)
_ARTICLE_INITIALS = frozenset(w[0] for w in LEADING_ARTICLES)
# Several answers in one ("red, blue and green"): SK-VQA asks models to list answers with commas.
_ANSWER_SPLIT = re.compile(r"\s*(?:[,;/]|\band\b|\bor\b|\u3001)\s*", re.IGNORECASE)


def _drop_thousands_commas(text: str) -> str:
    """``1,200`` -> ``1200`` in ASCII text (a plain loop: faster than the regex for the usual few commas)."""
    i = text.find(",")
    if i < 0:
        return text
    parts, start = [], 0
    while i >= 0:
        group = text[i + 1 : i + 4]
        if i and text[i - 1].isdigit() and len(group) == 3 and group.isdigit() and not text[i + 4 : i + 5].isdigit():
            parts.append(text[start:i])
            start = i + 1
        i = text.find(",", i + 1)
    parts.append(text[start:])
    return "".join(parts)


def _numbers(tokens: list[str]) -> list[str]:
    return tokens if _NUMBER_SET.isdisjoint(tokens) else [NUMBER_WORDS.get(w, w) for w in tokens]


def text_tokens(text: str) -> list[str]:
    """Normalised words of ``text`` (see the module's rules; no article is dropped)."""
    if not isinstance(text, str) or not text:
        return []
    if text.isascii():  # the cheap path for plain ASCII
        return _numbers(_drop_thousands_commas(text.lower()).translate(_ASCII_BREAKS).split())
    return _numbers(_WORD.findall(_THOUSANDS.sub("", unicodedata.normalize("NFKC", text).casefold())))


def normal_text(text: str) -> str:
    """``text``'s normalised words joined by single spaces, with a space at each end.

    Equal to ``" " + " ".join(text_tokens(text)) + " "``, built without a list of words for plain
    ASCII text (much faster for articles): a needle's words occur in ``text`` on whole words
    exactly when ``" " + " ".join(needle) + " "`` is a substring of it.
    """
    return normal_texts([text])[0]


def normalize_answers(answers: Sequence[str]) -> list[str]:
    """``normalize_answer`` of each string, plain ASCII ones normalised together in one pass."""
    return [strip_article_text(normal).strip() for normal in normal_texts(answers)]


def normal_texts(texts: Sequence[object]) -> list[str]:
    """``normal_text`` of each text; plain ASCII texts are normalised together, in one pass."""
    if texts and all(isinstance(t, str) and t.isascii() and "\x00" not in t for t in texts):
        blob = " \x00 ".join(texts).lower()  # type: ignore[arg-type]
        if "," in blob:
            blob = _drop_thousands_commas(blob)
        blob = blob.translate(_ASCII_BREAKS)
        while "  " in blob:
            blob = blob.replace("  ", " ")
        blob = f" {blob} "
        if _SPACED_NUMBER_WORD.search(blob):
            blob = _SPACED_NUMBER_WORD.sub(_digits, blob)
        return [f" {piece.strip()} " for piece in blob.split("\x00")]
    return [f" {' '.join(text_tokens(t))} " for t in texts]  # type: ignore[arg-type]


def _digits(match: "re.Match[str]") -> str:
    return " " + NUMBER_WORDS[match.group()[1:]]


def strip_article(tokens: list[str]) -> list[str]:
    """Drop one leading article (a / an / the) from a multi-word answer."""
    return tokens[1:] if len(tokens) > 1 and tokens[0] in LEADING_ARTICLES else tokens


def strip_article_text(normal: str) -> str:
    """``strip_article`` on ``normal_text``'s form: ``" the louvre "`` -> ``" louvre "``."""
    if normal[1:2] not in _ARTICLE_INITIALS:  # most answers: no article can start them
        return normal
    for article in _SPACED_ARTICLES:
        if normal.startswith(article) and normal.count(" ") >= 3:  # two words or more
            return normal[len(article) - 1 :]
    return normal


def answer_tokens(answer: str) -> list[str]:
    """Normalised words of an answer, without one leading article."""
    return strip_article(text_tokens(answer))


def normalize_answer(answer: str) -> str:
    """An answer as one normalised string (for equality and de-duplication)."""
    return " ".join(answer_tokens(answer))


def contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """True when ``needle``'s words occur in ``haystack`` contiguously (whole words)."""
    return bool(needle) and f" {' '.join(needle)} " in f" {' '.join(haystack)} "


class TokenIndex:
    """A text's words, ready for many ``contains`` questions about the same text.

    Words hold no spaces, so the words joined by single spaces, with a space at each end, contain
    `` needle words `` exactly when the needle occurs on whole words (a C-speed substring search).
    """

    def __init__(self, tokens: Sequence[str] = (), *, joined: str | None = None):
        self._joined = joined if joined is not None else f" {' '.join(tokens)} "

    @classmethod
    def from_text(cls, text: str) -> "TokenIndex":
        return cls(joined=normal_text(text))

    @property
    def word_count(self) -> int:
        return self._joined.count(" ") - 1 if self._joined.strip() else 0

    def contains(self, needle: Sequence[str]) -> bool:
        return bool(needle) and f" {' '.join(needle)} " in self._joined

    def contains_text(self, normal: str) -> bool:
        """``contains`` for a needle in ``normal_text``'s form."""
        return normal.strip() != "" and normal in self._joined


def answer_parts(answer: str) -> list[list[str]]:
    """The answer's normalised words, or each listed answer's when it lists several ("red, blue")."""
    whole = answer_tokens(answer)
    if not isinstance(answer, str):
        return [whole]
    text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", answer))
    parts = [answer_tokens(p) for p in _ANSWER_SPLIT.split(text) if p.strip()]
    parts = [p for p in parts if p]
    return parts if len(parts) > 1 else [whole]


def answer_in(index: TokenIndex, answer: str, normal: str | None = None) -> bool:
    """Whether ``answer`` occurs in the indexed text: the whole answer, or every answer it lists.

    ``normal``: the answer's ``strip_article_text(normal_text(answer))``, when the caller has it.
    """
    if index.contains_text(strip_article_text(normal_text(answer)) if normal is None else normal):
        return True
    parts = answer_parts(answer)
    return len(parts) > 1 and all(index.contains(p) for p in parts)
