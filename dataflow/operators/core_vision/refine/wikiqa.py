"""Parse a VLM's "Wikipedia article + question/answer pairs" output into ``{context, qas}``.

``parse_wiki_qa(text)`` never raises. It understands what models really write:

* article headers (``**Wikipedia Article:**``, ``### Wikipedia Article``, ``Article:``, ``Title:``,
  markdown headers and bold title lines), chatter before the article ("Sure! Here is ..."),
  ``---`` rules, CRLF line endings, full-width colons;
* a QA section opened by a header (``## Questions and Answers``, ``Question-Answer Pairs``,
  ``QA Pairs:``, ``Q&A``, ...) or by the first labelled question;
* labels ``Question:``/``Answer:``, ``**Question:**``, ``Q:``/``A:`` on one line or two,
  ``Q1:``/``A1:``, ``Question 1:``, ``**Q1.**``, ``Q.``/``A.``; numbered (``1.``/``1)``) and bulleted
  items, nested answer bullets, ``... ? Answer: ...`` inline, unlabelled question lines;
* a markdown table with Question/Answer columns, and a JSON object (fenced or bare) with
  ``context`` and ``qas``;
* a note after the pairs (not part of the last answer), and a last pair cut off by the token
  limit (dropped);
* refusals and ``Error: ...`` strings, which give an empty result.

The context keeps the article's text without headers or markdown markers; paragraphs are
separated by a blank line, whitespace inside a paragraph is collapsed.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

__all__ = ["empty_result", "parse_wiki_qa"]


def empty_result() -> dict:
    return {"context": "", "qas": []}


# ------------------------------------------------------------------------------------------
# text helpers
# ------------------------------------------------------------------------------------------
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_BOLD = re.compile(r"\*\*|__")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_HEADING = re.compile(r"^\s*#{1,6}\s*")
_QUOTE = re.compile(r"^\s*(?:>\s*)+")
_BULLET = re.compile(r"^\s*(?:[-*+•·‣▪]|\u2013|\u2014)\s+")
_NUMBER = re.compile(r"^\s*\(?(\d{1,3})[.)]\s+|^\s*\(?(\d{1,3})[.)](?=\*\*|__)")
_RULE = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})\s*$")
_FENCE = re.compile(r"^\s*```")
_WS = re.compile(r"\s+")


def _demark(text: str) -> str:
    """Remove inline markdown (bold, italics, code, links, heading and quote markers)."""
    # Each pattern runs only when its marker character is present: most lines have none.
    if ">" in text:
        text = _QUOTE.sub("", text)
    if "#" in text:
        text = _HEADING.sub("", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "*" in text or "_" in text:
        text = _BOLD.sub("", text)
        if "*" in text:
            text = _ITALIC_STAR.sub(r"\1", text)
        if "_" in text:
            text = _ITALIC_UNDERSCORE.sub(r"\1", text)
    if "`" in text:
        text = text.replace("`", "")
    return " ".join(text.split())


def _normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = text.replace("\uff1a", ":").replace("\u00a0", " ")
    return text.strip()


# ------------------------------------------------------------------------------------------
# line classification
# ------------------------------------------------------------------------------------------
_SEP = r"(?:\s*[:.)\]]|\s+[-\u2013\u2014](?=\s))"
_Q_LABEL = re.compile(
    r"^(?:"
    rf"(?:[Qq](?:uestion|UESTION)?|Ques\.?)\s*\#?\s*\d+(?:{_SEP}|(?=\s)|$)"
    rf"|(?:Question|QUESTION|question)(?:{_SEP}|$)"
    rf"|[Qq]{_SEP}"
    r")\s*(?P<rest>.*)$"
)
_A_LABEL = re.compile(
    r"^(?:"
    rf"(?:[Aa](?:nswer|NSWER)?|Ans\.?)\s*\#?\s*\d+(?:{_SEP}|(?=\s)|$)"
    rf"|(?:Answers?|ANSWERS?|answers?|Ans\.?)(?:{_SEP}|$)"
    rf"|A{_SEP}"
    r")\s*(?P<rest>.*)$"
)
_INLINE_ANSWER = re.compile(r"(?:(?<=\?)|\s)[-\u2013\u2014|]?\s*\(?(?:Answer|ANSWER|answer|Ans|A)\s*\d*\s*:\s*")
_ARTICLE_LABEL = re.compile(
    r"^(?P<label>(?:the\s+)?(?:wikipedia(?:[- ]style)?\s+(?:article|entry)(?:\s+title)?|wiki\s+article|"
    r"article(?:\s+title)?|wikipedia|context|passage|title|heading))\s*(?::\s*(?P<rest>.*)|$)",
    re.I,
)
_CHATTER = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|alright|great|here(?:'s|’s| is| are)|below is|"
    r"the following is|i'd be happy|i would be happy|happy to help)\b",
    re.I,
)
_REFUSAL = re.compile(
    r"^(?:i['’]m sorry|i am sorry|sorry\b|i apologi[sz]e|i cannot|i can['’]t|i can not|i['’]m unable|"
    r"i am unable|i['’]m not able|i am not able|as an ai\b|unfortunately,? i (?:can|am|cannot))",
    re.I,
)
_ERROR = re.compile(r"^error\s*[:\-]", re.I)
_NOTE = re.compile(
    r"^\(?(?:notes?\b|please note|these (?:questions|qa|q&a|pairs|answers)|this (?:article|set|format)|"
    r"the (?:above|questions|answers|article)\b|all (?:questions|answers|of the)|each (?:question|answer)|"
    r"i hope|hope this|let me know|feel free|if you (?:need|would|want|have)|in summary|overall,)",
    re.I,
)
_QA_CORES = {
    ("question", "answer"),
    ("questions", "answers"),
    ("questions", "answer"),
    ("question", "answers"),
    ("q", "a"),
    ("qa",),
    ("qas",),
    ("questions",),
    ("faq",),
    ("faqs",),
}
_QA_FILLER = {"and", "the", "pair", "pairs", "section", "set", "of", "some", "with", "their", "s"}
_QA_PREFIX = {"related", "sample", "example", "generated", "suggested", "comprehension", "knowledge", "based"}
_QA_TAIL = {"based", "about", "related", "for", "from", "on", "regarding"}
_QA_TAIL_TOPIC = {"article", "text", "passage", "image", "above", "context", "wikipedia", "it", "this"}


def _is_qa_header(clean: str) -> bool:
    """``clean`` (a demarked line) is a header that opens the question/answer section."""
    if "?" in clean or len(clean) > 100 or clean.endswith("."):
        return False
    tokens = re.findall(r"[a-z]+", clean.lower())
    for i, token in enumerate(tokens):  # drop "based on the article" and similar tails
        if token in _QA_TAIL and i > 0:
            if not _QA_TAIL_TOPIC.intersection(tokens[i:]) or len(tokens) > 12:
                return False
            tokens = tokens[:i]
            break
    while tokens and tokens[0] in _QA_PREFIX:
        tokens = tokens[1:]
    core = tuple(t for t in tokens if t not in _QA_FILLER)
    return core in _QA_CORES


def _is_qa_intro(clean: str) -> bool:
    """Chatter that introduces the pairs, e.g. "Here are some question-answer pairs:"."""
    lower = clean.lower()
    return (
        clean.endswith(":")
        and "?" not in clean
        and len(clean) < 200
        and ("question" in lower or "q&a" in lower or "qa pair" in lower)
    )


class _Line:
    """One non-blank line of the QA section, classified."""

    __slots__ = ("kind", "text", "numbered", "bulleted", "indent")

    def __init__(self, raw: str):
        self.indent = len(raw) - len(raw.lstrip())
        body = _QUOTE.sub("", raw)
        self.bulleted = bool(_BULLET.match(body))
        body = _BULLET.sub("", body)
        clean = _demark(body)
        number = _NUMBER.match(clean)
        self.numbered = bool(number)
        if number:
            clean = clean[number.end() :].strip()
        self.kind = "text"
        self.text = clean
        if not clean:
            self.kind = "empty"
        elif _is_qa_header(clean):
            self.kind = "header"
        elif m := _Q_LABEL.match(clean):
            self.kind, self.text = "question", m["rest"].strip()
        elif m := _A_LABEL.match(clean):
            self.kind, self.text = "answer", m["rest"].strip()
        elif _is_qa_intro(clean) and not self.numbered:
            self.kind = "header"


@functools.lru_cache(maxsize=8192)
def _line(raw: str) -> _Line:
    """``_Line(raw)``, shared between finding the QA section and parsing it (lines are read-only)."""
    return _Line(raw)


def _split_inline_answer(question: str) -> tuple[str, str | None]:
    """``"What is X? Answer: Y"`` -> ``("What is X?", "Y")``."""
    match = _INLINE_ANSWER.search(question)
    if match and match.start() > 0:
        answer = question[match.end() :].strip()
        if match.group(0).rstrip().endswith(":") and "(" in match.group(0) and answer.endswith(")"):
            answer = answer[:-1]
        return question[: match.start()].strip(), answer
    return question, None


def _split_at_question_mark(text: str) -> tuple[str, str | None]:
    """``"What is X? Paris."`` -> ``("What is X?", "Paris.")`` for unlabelled items."""
    idx = text.find("?")
    if idx < 0 or idx == len(text) - 1:
        return text, None
    rest = text[idx + 1 :].strip()
    rest = re.sub(r"^[-\u2013\u2014:|]+\s*", "", rest)
    if not rest or rest.endswith("?"):
        return text, None
    return text[: idx + 1].strip(), rest


# ------------------------------------------------------------------------------------------
# QA section
# ------------------------------------------------------------------------------------------
class _Pair:
    __slots__ = ("question", "answer")

    def __init__(self, question: str):
        self.question: list[str] = [question] if question else []
        self.answer: list[str] | None = None

    def q_text(self) -> str:
        return _WS.sub(" ", " ".join(self.question)).strip()

    def a_text(self) -> str:
        return _WS.sub(" ", " ".join(self.answer or [])).strip()


def _parse_qa_lines(lines: list[str]) -> list[tuple[str, str]]:
    pairs: list[_Pair] = []
    current: _Pair | None = None
    blank_after_answer = False
    # "Questions: 1. ... 2. ...  Answers: 1. ... 2. ...": answers that fill earlier questions in order.
    answer_queue: list[_Pair] = []

    def start(question: str, inline_answer: str | None = None) -> _Pair:
        pair = _Pair(question)
        if inline_answer is not None:
            pair.answer = [inline_answer]
        pairs.append(pair)
        return pair

    for raw in lines:
        if not raw.strip() or _RULE.match(raw) or _FENCE.match(raw):
            if current is not None and current.answer:
                blank_after_answer = True
            continue
        line = _line(raw)
        after_blank, blank_after_answer = blank_after_answer, False
        if line.kind in ("empty", "header"):
            continue
        if answer_queue and line.kind != "question":
            if line.text:
                answer_queue.pop(0).answer = [line.text]
            continue
        if line.kind == "question":
            answer_queue = []
            q, a = _split_inline_answer(line.text)
            current = start(q, a)
            continue
        if line.kind == "answer":
            if current is None:
                continue
            pending = [p for p in pairs if not p.answer]
            if not line.text and len(pending) >= 2 and pending[-1] is current:
                answer_queue = pending
                continue
            if current.answer is None or not current.answer:
                current.answer = [line.text] if line.text else []
            else:
                current.answer.append(line.text)
            continue

        text = line.text
        if line.numbered or line.bulleted:
            awaiting_answer = current is not None and not current.answer and current.q_text().endswith("?")
            if "?" in text and not (awaiting_answer and line.bulleted and not line.numbered):
                q, a = _split_inline_answer(text)
                if a is None:
                    q, a = _split_at_question_mark(text)
                current = start(q, a)
                continue
            if current is None:
                continue
            if not current.answer:
                current.answer = [text]
            elif after_blank and not line.bulleted:
                break  # a numbered non-question after the pairs: trailing material
            else:
                current.answer.append(text)
            continue

        # plain text line
        if current is not None and (current.answer or pairs) and _NOTE.match(text):
            break
        if text.endswith("?") and len(text) < 400 and (current is None or current.answer):
            current = start(*_split_inline_answer(text))
            continue
        if current is None:
            continue
        if current.answer is None or not current.answer:
            if current.question and current.q_text().endswith("?") or current.answer is not None:
                current.answer = [text]
            else:
                current.question.append(text)
        elif after_blank:
            break  # an unlabelled paragraph after a finished pair is a note, not the answer
        else:
            current.answer.append(text)

    return [(p.q_text(), p.a_text()) for p in pairs]


_TERMINAL = re.compile(r"[.!?)\]\"'”’»。！？]$")
_DANGLING = re.compile(
    r"(?:[,:;(\-\u2013\u2014/&]|\b(?:the|a|an|of|and|or|to|in|on|with|for|by|at|from|is|was|were|are|"
    r"which|that|as|its|their|his|her|this|these|during|between|into|than|but))$",
    re.I,
)


def _clean_answer(answer: str) -> str:
    answer = re.sub(r"^[-\u2013\u2014:|]+\s*", "", answer).strip()
    if answer.startswith("(") and answer.endswith(")"):
        answer = answer[1:-1].strip()
    return answer


def _finish_pairs(raw_pairs: list[tuple[str, str]]) -> list[dict]:
    pairs = [(q.strip(), _clean_answer(a)) for q, a in raw_pairs]
    if pairs:
        q, a = pairs[-1]
        others = [x for _, x in pairs[:-1] if x]
        punctuated = sum(1 for x in others if _TERMINAL.search(x))
        truncated = (
            not a
            or _DANGLING.search(a) is not None
            or (len(others) >= 2 and punctuated >= 0.75 * len(others) and not _TERMINAL.search(a))
        )
        if truncated:
            pairs = pairs[:-1]
    return [{"question": q, "answer": a} for q, a in pairs if q and a]


# ------------------------------------------------------------------------------------------
# tables and JSON
# ------------------------------------------------------------------------------------------
def _table_cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return [_demark(c) for c in body.split("|")]


def _find_table(lines: list[str]) -> tuple[int, int, list[tuple[str, str]]] | None:
    """The first markdown table with Question and Answer columns: (start, end, pairs)."""
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        cells = [c.lower() for c in _table_cells(line)]
        q_col = next((j for j, c in enumerate(cells) if c in ("q", "question", "questions") or "question" in c), None)
        a_col = next((j for j, c in enumerate(cells) if c in ("a", "answer", "answers") or "answer" in c), None)
        if q_col is None or a_col is None or q_col == a_col:
            continue
        pairs = []
        end = i + 1
        while end < len(lines) and lines[end].lstrip().startswith("|"):
            row = _table_cells(lines[end])
            end += 1
            if all(re.fullmatch(r":?-{2,}:?", c.strip()) or not c.strip() for c in row):
                continue
            if max(q_col, a_col) < len(row):
                pairs.append((row[q_col], row[a_col]))
        return i, end, pairs
    return None


_JSON_QA_KEY = re.compile(r'"(?:q|question|questions|qas|qa|qa_pairs)"\s*:', re.I)
_FENCED = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n(.*?)\n?```", re.S)
_CONTEXT_KEYS = ("context", "article", "wikipedia_article", "wikipedia article", "wiki_article", "passage", "text", "content")
_QAS_KEYS = (
    "qas",
    "qa_pairs",
    "qa",
    "question_answer_pairs",
    "questions_and_answers",
    "question_answers",
    "questions",
    "pairs",
)


def _lower_keys(obj: dict) -> dict:
    return {str(k).strip().lower().replace("-", "_"): v for k, v in obj.items()}


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(_text_of(v) for v in value if v is not None)
    if isinstance(value, dict):
        lowered = _lower_keys(value)
        for key in ("content", "text", "body", "article"):
            if key in lowered:
                return _text_of(lowered[key])
        return ""
    return "" if value is None else str(value)


def _qas_from_json(items: Any) -> list[tuple[str, str]] | None:
    if not isinstance(items, list):
        return None
    pairs = []
    for item in items:
        if not isinstance(item, dict):
            continue
        lowered = _lower_keys(item)
        q = next((lowered[k] for k in ("question", "q") if k in lowered), None)
        a = next((lowered[k] for k in ("answer", "a", "answers") if k in lowered), None)
        if q is not None and a is not None:
            pairs.append((_demark(_text_of(q)), _demark(_text_of(a))))
    return pairs


def _parse_json_payload(payload: Any) -> tuple[str | None, list[tuple[str, str]] | None]:
    if isinstance(payload, list):
        return None, _qas_from_json(payload)
    if not isinstance(payload, dict):
        return None, None
    lowered = _lower_keys(payload)
    context = next((_text_of(lowered[k]) for k in _CONTEXT_KEYS if k in lowered), None)
    qas = next((_qas_from_json(lowered[k]) for k in _QAS_KEYS if k in lowered), None)
    return context, qas


def _try_json(text: str) -> dict | None:
    candidates: list[tuple[str, str]] = []  # (json text, text outside it)
    for match in _FENCED.finditer(text):
        candidates.append((match.group(1), text[: match.start()] + "\n" + text[match.end() :]))
    stripped = text.strip()
    if stripped[:1] in "{[":
        candidates.append((stripped, ""))
    elif not candidates and _JSON_QA_KEY.search(text):
        # A JSON object inside prose ("Here is the JSON: {...}").
        first, last = text.find("{"), text.rfind("}")
        if 0 <= first < last:
            candidates.append((text[first : last + 1], text[:first]))
    for payload_text, outside in candidates:
        try:
            payload = json.loads(payload_text, strict=False)
        except ValueError:
            continue
        context, qas = _parse_json_payload(payload)
        if qas is None and context is None:
            continue
        if context is None:
            context = _article_text(outside.split("\n"))
        else:
            context = _article_text(_normalize(context).split("\n"))
        return {"context": context, "qas": _finish_pairs(qas or [])}
    return None


# ------------------------------------------------------------------------------------------
# article
# ------------------------------------------------------------------------------------------
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?:(?!\1).)+\1\s*:?\s*$")
_WIKI_HEADING = re.compile(r"^\s*(=+)\s*[^=].*?\s*\1\s*$")


def _is_title(text: str) -> bool:
    """A short line without sentence punctuation: a title, not the article's first sentence."""
    return len(text) < 80 and not text.rstrip().endswith((".", "!", "?", ":", ";", ","))


def _article_text(lines: list[str]) -> str:
    paragraphs: list[list[str]] = []
    current: list[str] = []

    def close() -> None:
        nonlocal current
        if current:
            paragraphs.append(current)
            current = []

    first_content = True
    for raw in lines:
        if not raw.strip() or _RULE.match(raw) or _FENCE.match(raw):
            close()
            continue
        if _HEADING.match(raw) or _BOLD_LINE.match(raw) or _WIKI_HEADING.match(raw):
            close()  # headings and bold title lines are not article text
            continue
        body = _BULLET.sub("", _QUOTE.sub("", raw))
        clean = _demark(body)
        if first_content and _CHATTER.match(clean) and (clean.endswith((":", "!", ".")) and len(clean) < 300):
            first_content = False
            continue
        first_content = False
        label = _ARTICLE_LABEL.match(clean)
        if label:
            rest = (label["rest"] or "").strip()
            if label["label"].lower() in ("title", "heading") or "title" in label["label"].lower() or not rest or _is_title(rest):
                close()
                continue
            clean = rest
        if clean:
            current.append(clean)
    close()
    return "\n\n".join(" ".join(p) for p in paragraphs)


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------
def _qa_start(lines: list[str]) -> int | None:
    """Index of the first line of the QA section, or None for article-only output."""
    for i, raw in enumerate(lines):
        if not raw.strip() or _RULE.match(raw):
            continue
        line = _line(raw)
        if line.kind == "header" or line.kind == "question":
            return i
        if line.kind == "text" and line.numbered and "?" in line.text:
            return i
        if line.kind == "text" and _BOLD_LINE.match(raw.strip()) and line.text.endswith("?"):
            return i
    return None


def parse_wiki_qa(text: Any) -> dict:
    """Parse one raw model output into ``{"context": str, "qas": [{"question", "answer"}, ...]}``.

    Non-strings, empty strings, refusals and ``Error: ...`` strings give an empty result.
    """
    if not isinstance(text, str):
        return empty_result()
    text = _normalize(text)
    if not text or _ERROR.match(text):
        return empty_result()

    result = _try_json(text)
    if result is None:
        lines = text.split("\n")
        table = _find_table(lines)
        start = _qa_start(lines)
        if table is not None:
            t_start, t_end, table_pairs = table
            header_start = min(start, t_start) if start is not None else t_start
            result = {
                "context": _article_text(lines[:header_start]),
                "qas": _finish_pairs(table_pairs + _parse_qa_lines(lines[t_end:])),
            }
        elif start is None:
            result = {"context": _article_text(lines), "qas": []}
        else:
            result = {
                "context": _article_text(lines[:start]),
                "qas": _finish_pairs(_parse_qa_lines(lines[start:])),
            }

    if _REFUSAL.match(text):
        if not result["qas"]:
            return empty_result()
        # A pre-amble apology followed by real content: drop the apology sentence.
        first, _, rest = result["context"].partition("\n\n")
        result["context"] = rest if _REFUSAL.match(first) else result["context"]
    return result
