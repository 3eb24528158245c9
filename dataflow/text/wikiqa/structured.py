"""Structured output first: find JSON, JSON Lines, YAML, TOML or XML-like blocks anywhere in a model's
text and read the article and the QA pairs from them by shape, not by key name.

The pairs are a list of records with a question-like and an answer-like field (a key from the
vocabulary, or a value ending with a question mark and the other text value), or a list of
``[question, answer]`` pairs, or a mapping from questions to answers; the article is the longest
prose string outside them, with article-like key names breaking ties. Parsing is tolerant: trailing
commas are ignored and a block cut off by the token limit keeps its complete pairs.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from typing import Any, Callable, Iterator

from dataflow.text.wikiqa import vocabulary as V

Pairs = list[tuple[str, str]]

_FENCE_OPEN = re.compile(r"```[ \t]*(?P<lang>[A-Za-z]*)[ \t]*\n")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_QMARK_END = tuple(V.QUESTION_MARKS)


@functools.lru_cache(maxsize=4096)
def _key(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


_Q_KEYS, _A_KEYS = frozenset(map(_key, V.QUESTION_KEYS)), frozenset(map(_key, V.ANSWER_KEYS))
_ARTICLE_KEYS, _TITLE_KEYS = frozenset(map(_key, V.ARTICLE_KEYS)), frozenset(map(_key, V.TITLE_KEYS))
_QAS_KEYS = frozenset(map(_key, V.QAS_KEYS))


@functools.lru_cache(maxsize=4096)
def _role(key: str) -> str | None:
    """Whether a record's (normalised) key names a question ("q"), an answer ("a") or neither;
    "question_2" names a question."""
    for role, keys in (("q", _Q_KEYS), ("a", _A_KEYS)):
        if key in keys or key.rstrip("_0123456789") in keys:
            return role
    return None


def _text(value: Any, nested: bool = False) -> str | None:
    """A field's text: a string or number, a list of them (joined), or, SQuAD-like, a record holding its
    text (``{"text": "Paris", "answer_start": 12}``) or a list of such records (the first one)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(v, (str, int, float)) for v in value):
        if nested:  # {"text": ["Paris", "Paris"], "answer_start": [...]}: alternatives, not parts
            return _text(value[0])
        return ", ".join(str(v).strip() for v in value)
    if not nested:
        if isinstance(value, dict):
            inner = next((v for k, v in value.items() if _key(k) in _TEXT_KEYS), None)
            return _text(inner, nested=True) if inner is not None else None
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return _text(value[0])
    return None


_TEXT_KEYS = frozenset(("text", "answer_text", "value", "content", "span"))


GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")


def ends_question(text: str) -> bool:
    """``text`` ends with a question mark of any script (Greek writes ";"); the parser's test too."""
    return text.endswith(_QMARK_END) or (text.endswith(";") and GREEK.search(text) is not None)


def _is_question(text: str) -> bool:
    return ends_question(text.rstrip())


# ----------------------------------------------------------------------------------------------
# pairs by shape
# ----------------------------------------------------------------------------------------------
def _pair_of(record: Any) -> tuple[str, str] | None:
    """(question, answer) of one record: a dict with question- and answer-like fields, or a 2-list."""
    if isinstance(record, (list, tuple)) and len(record) == 2:
        q, a = _text(record[0]), _text(record[1])
        return (q, a) if q and a is not None and _is_question(q) else None
    if not isinstance(record, dict):
        return None
    if len(record) == 1:  # {"What is X?": "Paris"}: one pair as a mapping
        (key, value), = record.items()
        if isinstance(key, str) and _is_question(key) and (answer := _answer_of(value)) is not None:
            return key.strip(), answer
        if isinstance(value, dict):  # {"pair": {"question": ..., "answer": ...}}: a record wrapped in a field
            return _pair_of(value)
    fields = {_key(k): v for k, v in record.items()}
    found: dict[str, str | None] = {}  # the first question-named and answer-named fields' texts
    for key, value in fields.items():
        role = _role(key)
        if role is not None and role not in found:
            if role == "q" and isinstance(value, list) and len(value) > 1 and all(isinstance(v, str) for v in value):
                return None  # a list of questions: the halves of many pairs, not one pair's question
            found[role] = _text(value)
    q, a = found.get("q"), found.get("a")
    if q is None:  # by shape: the value that reads as a question, and the other text value
        texts = [(k, _text(v)) for k, v in fields.items() if _text(v)]
        asked = [k for k, t in texts if _is_question(t) and not isinstance(fields[k], list)]  # (a list: many questions)
        if len(asked) == 1:
            q = dict(texts)[asked[0]]
            rest = [t for k, t in texts if k != asked[0] and k not in _TITLE_KEYS]
            a = a if a is not None else (rest[0] if len(rest) == 1 else None)
    return (q, a) if q and a is not None else None


def _answer_of(value: Any) -> str | None:
    """The answer a question maps to: its text, or the answer field of a record ({"answer": "Paris"})."""
    text = _text(value)
    if text is None and isinstance(value, dict):
        text = next((_text(v) for k, v in value.items() if _role(_key(k)) == "a"), None)
    return text


def _turn_pairs(records: list) -> Pairs | None:
    """Pairs from a conversation: records of a speaker and what was said ({"from": "human", "value": ...},
    {"role": "user", "content": ...}), two speakers in turns, the first one asking."""
    if len(records) < 2 or not all(isinstance(r, dict) and len(r) == 2 for r in records):
        return None
    keys = list(records[0])
    if any(list(r) != keys for r in records) or any(_role(_key(k)) for k in keys):
        return None  # (question and answer fields: records of pairs, not turns)
    for speaker, said in (keys, keys[::-1]):
        who = [r[speaker] for r in records]
        if not all(isinstance(w, str) and 0 < len(w) <= 20 and not w.strip().count(" ") for w in who):
            continue
        if len(set(who)) != 2 or any(a == b for a, b in zip(who, who[1:])):
            continue
        texts = [_text(r[said]) for r in records]
        pairs = [(q, a) for q, a in zip(texts[::2], texts[1::2]) if q and a]
        if pairs and all(_is_question(q) and not _is_question(a) for q, a in pairs):
            return pairs
    return None


def _pairs_in(value: Any) -> Pairs | None:
    """The pairs a value holds, if it is a QA list, a mapping of records ({"1": {...}, "2": {...}}), a
    question -> answer mapping, or a record with numbered fields ("question1", "answer1", ...)."""
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()) and (
            len(value) > 1 or str(next(iter(value))).strip().isdigit()) and not _is_question(str(next(iter(value)))):
        # {"1": {...}} alone counts too; {"What ...?": {"answer": ...}} is a question -> answer mapping
        value = list(value.values())
    if isinstance(value, list) and value and isinstance(value[0], (dict, list, tuple)):
        if isinstance(value[0], dict) and (turns := _turn_pairs(value)):
            return turns
        pairs = [p for p in map(_pair_of, value) if p]
        return pairs if len(pairs) >= max(1, len(value) // 2) else None
    if isinstance(value, list) and value and isinstance(value[0], str):
        return _string_pairs(value)
    if isinstance(value, dict) and value and all(isinstance(k, str) and _is_question(k) for k in value):
        pairs = [(k.strip(), answer) for k, v in value.items() if (answer := _answer_of(v)) is not None]
        return pairs or None
    if isinstance(value, dict):
        found = _numbered_fields(value)
        if found is None and sum(type(v) is list for v in value.values()) >= 2:  # (a record holds no lists)
            found = _parallel_lists(value)
        return found
    return None


# The parser's reader of labelled lines, for pairs written as strings; set by ``parser`` (which imports
# this module): lines -> (question, answer) pairs.
read_pair_lines: Callable[[list[str]], Pairs] | None = None


def _string_pairs(strings: list) -> Pairs | None:
    """Pairs from a list of strings that each hold one ("Q: What ...? A: Paris") or that alternate
    questions and answers ("Q: What ...?", "A: Paris"), read as the lines of a text. A list of
    questions alone is none (its questions would pair with each other), nor are paragraphs."""
    if read_pair_lines is None or not all(isinstance(s, str) for s in strings):
        return None
    pairs = read_pair_lines("\n".join(strings).split("\n"))
    if not pairs or len(pairs) < len(strings) // 2 or any(_is_question(a) or not _is_question(q) for q, a in pairs):
        return None
    return pairs


def _parallel_lists(record: dict) -> Pairs | None:
    """Pairs from a list of questions and a list of answers side by side, of one length:
    ``{"questions": ["...?", ...], "answers": ["...", ...]}``."""
    lists: dict[str, list] = {}
    for key, value in record.items():
        if isinstance(value, list) and value and all(isinstance(v, (str, int, float)) for v in value):
            name = _key(key)
            role = _role(name) or (_role(name[:-1]) if name.endswith("s") else None)  # "questions", "answers"
            if role is not None:
                lists.setdefault(role, value)
    questions, answers = lists.get("q"), lists.get("a")
    if not questions or not answers or len(questions) != len(answers):
        return None
    return [(str(q).strip(), str(a).strip()) for q, a in zip(questions, answers)]


def _numbered_fields(record: dict) -> Pairs | None:
    """Pairs from one record's numbered fields: "question1"/"answer1", "q_2"/"a_2", ... (two or more)."""
    if not any(isinstance(k, str) and k[-1:].isdigit() for k in record):
        return None  # most records: no numbered field at all
    by_number: dict[str, dict[str, str]] = {}
    for key, value in record.items():
        name = _key(key)
        number = name[len(name.rstrip("_0123456789")):].strip("_")
        role = _role(name) if number else None
        text = _text(value) if role else None
        if role and text:
            by_number.setdefault(number, {})[role] = text
    pairs = [(f["q"], f["a"]) for _, f in sorted(by_number.items(), key=lambda item: int(item[0])) if "q" in f and "a" in f]
    return pairs if len(pairs) >= 2 else None


def _walk(value: Any) -> list[tuple[tuple, Any]]:
    """Every node of a parsed structure with its path of keys and indexes, parents before their
    children and in document order (a loop, not nested generators: a payload's nodes are many)."""
    nodes = []
    stack = [((), value)]
    while stack:
        path, value = stack.pop()
        nodes.append((path, value))
        if isinstance(value, dict):
            stack += reversed([(path + (_key(k),), v) for k, v in value.items()])
        elif isinstance(value, list):
            stack += reversed([(path + (i,), v) for i, v in enumerate(value)])
    return nodes


def read_payload(payload: Any) -> tuple[str | None, Pairs] | None:
    """(article, pairs) of a parsed structure, or None when it holds no QA pairs.

    Among the QA lists the largest wins (a key from the vocabulary breaks ties); the article is the
    longest string outside it, preferring article-like keys and leaving titles out.
    """
    if isinstance(payload, dict) and len(payload) == 2 and set(map(_key, payload)) <= _Q_KEYS | _A_KEYS:
        payload = [payload]  # one pair alone
    nodes = _walk(payload)
    candidates = []
    for path, value in nodes:
        pairs = _pairs_in(value) if isinstance(value, (list, dict)) else None
        if pairs:
            named = bool(path) and isinstance(path[-1], str) and path[-1] in _QAS_KEYS
            candidates.append((len(pairs), named, -len(path), path, pairs))
    if not candidates:
        return None
    *_, qa_path, pairs = max(candidates, key=lambda c: c[:3])
    # Pairs from one record's numbered fields: the record's other fields (its article) are not inside them.
    holder = dict(nodes)[qa_path]
    fields = isinstance(holder, dict) and (_numbered_fields(holder) is not None or _parallel_lists(holder) is not None)
    prose = []  # (path, article-named, text) of every prose string outside the pairs
    inner = []  # ... and of those inside them under an article-like key (records that repeat their context)
    for path, value in nodes:
        if not isinstance(value, str):
            continue
        inside = path[: len(qa_path)] == qa_path and not (fields and len(path) == len(qa_path) + 1)
        if inside and len(path) != len(qa_path) + 2 or not value.strip():
            continue  # (inside the pairs, only a record's own fields can hold the article)
        name = path[-1] if path and isinstance(path[-1], str) else next((p for p in reversed(path) if isinstance(p, str)), "")
        if name in _TITLE_KEYS or _role(name) is not None:
            continue
        if inside:
            if name in _ARTICLE_KEYS:  # a record that repeats its context
                inner.append((True, len(value), value.strip()))
            continue
        prose.append((path, name in _ARTICLE_KEYS, value.strip()))
    texts = [(named, len(text), text) for _, named, text in prose]
    # A list outside the pairs holding several prose strings (paragraphs, sections): the article may be all of them.
    for path, value in nodes:
        if isinstance(value, list) and len(value) > 1 and qa_path[: len(path)] != path:
            parts = [(named, text) for p, named, text in prose if p[: len(path)] == path]
            if len(parts) > 1:
                text = "\n\n".join(t for _, t in parts)
                texts.append((any(named for named, _ in parts), len(text), text))
    texts = texts or inner
    article = max(texts)[2] if texts else None
    return article, pairs


def _fenced(text: str) -> Iterator[tuple[str, str, int, int]]:
    """(language, body, start, end) of each fenced block; a block the token limit cut off runs to the end."""
    at = text.find("```")
    while at >= 0:
        opening = _FENCE_OPEN.match(text, at)
        if opening is None:
            at = text.find("```", at + 1)
            continue
        close = text.find("\n```", opening.end())
        end = len(text) if close < 0 else close + 4
        yield opening["lang"], text[opening.end() : close if close >= 0 else end], at, end
        at = text.find("```", end)


# ----------------------------------------------------------------------------------------------
# tolerant parsers
# ----------------------------------------------------------------------------------------------
def loads_json(text: str) -> Any:
    """JSON, tolerating trailing commas, whole-line ``//`` comments, a Python literal's single quotes
    (and True/False/None), and a tail cut off by the token limit (complete values kept)."""
    if "//" in text:
        text = _COMMENT_LINE.sub("", text)
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            pass
    if "//" in text and (uncommented := _without_comments(text)) != text:
        try:
            return loads_json(uncommented)  # '{"q": "...", "a": "..."}, // the first pair'
        except ValueError:
            pass
    if "'" in text and len(text) < 200_000:
        try:
            import ast

            return ast.literal_eval(_balanced(text.strip()))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pass
    return _cut_json(_TRAILING_COMMA.sub(r"\1", text))


def _balanced(text: str) -> str:
    """``text`` up to the bracket that closes its first one (strings in either quote skipped): a
    literal without the prose after it."""
    depth = 0
    for i, ch in _outside_strings(text, "'\""):
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
            if depth == 0:
                return text[: i + 1]
    return text


def _outside_strings(text: str, quotes: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of ``text`` outside its string literals (opened by any of
    ``quotes``, closed by the same, backslash escapes inside)."""
    quote, escaped = "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in quotes:
            quote = ch
        else:
            yield i, ch


def _without_comments(text: str) -> str:
    """``text`` without the ``//`` comments after its values (a URL's "//" inside a string stays)."""
    kept, start, quote, escaped, i = [], 0, False, False, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            kept.append(text[start:i])
            start = i = len(text) if end < 0 else end
            continue
        i += 1
    kept.append(text[start:])
    return "".join(kept)


_COMMENT_LINE = re.compile(r"^[ \t]*//[^\n]*\n?", re.M)


def _cut_json(text: str) -> Any:
    """The longest prefix ending at a closed value, with the brackets still open then closed."""
    stack: list[str] = []
    closes: list[tuple[int, str]] = []  # (index after a closing bracket, the brackets still open)
    for i, ch in _outside_strings(text, '"'):
        if ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
            closes.append((i + 1, "".join(reversed(stack))))
    for end, still_open in reversed(closes[-200:]):
        try:
            return json.loads(_TRAILING_COMMA.sub(r"\1", text[:end] + still_open), strict=False)
        except ValueError:
            continue
    raise ValueError("no complete JSON value")


def _loads_yaml(text: str) -> Any:
    """YAML, when its top-level keys are distinct: "Question: ...", "Answer: ..." again and again are
    labelled lines (YAML would keep only the last pair), not a document."""
    if _top_key_repeats(text):
        raise ValueError("a top-level key repeats: labelled lines, not YAML")
    import yaml

    return yaml.safe_load(text)


_YAML_TOP_KEYS = re.compile(r"^([^\s:#\-][^:\n]*?)\s*:(?:[ \t]|$)", re.M)


def _top_key_repeats(text: str) -> bool:
    """A key at the start of a line (YAML's top level) appears twice: labelled lines, not a document."""
    keys = _YAML_TOP_KEYS.findall(text)
    return len(keys) != len(set(keys))


def _loads_toml(text: str) -> Any:
    import tomllib

    return tomllib.loads(text)


def _loads_jsonl(text: str) -> Any:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    if len(rows) < 1 or not all(isinstance(r, dict) for r in rows):
        raise ValueError("not JSON Lines")
    return rows


def _loads_delimited(text: str, delimiter: str | None = None) -> Any:
    """CSV/TSV rows under a header row (a list of dicts), when the header names question and answer columns."""
    import csv
    import io

    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty")
    delimiter = delimiter or ("\t" if "\t" in lines[0] else "," if "," in lines[0] else ";" if ";" in lines[0] else "|")
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [_key(h) for h in rows[0]]
    if not (set(header) & _Q_KEYS and set(header) & _A_KEYS):
        raise ValueError("no question and answer columns")
    return [dict(zip(rows[0], row)) for row in rows[1:] if len(row) >= 2]


_LOADERS: dict[str, tuple[Callable[[str], Any], ...]] = {
    "json": (loads_json, _loads_jsonl), "jsonl": (_loads_jsonl, loads_json), "yaml": (_loads_yaml,),
    "yml": (_loads_yaml,), "toml": (_loads_toml,), "csv": (lambda t: _loads_delimited(t, ","), _loads_delimited),
    "tsv": (lambda t: _loads_delimited(t, "\t"),),
    "": (loads_json, _loads_jsonl, _loads_yaml, _loads_toml, _loads_delimited),
}


def _payloads(body: str, lang: str) -> Iterator[Any]:
    """What each loader for ``lang`` makes of ``body`` (mappings and lists only), in the loaders' order."""
    for loader in _LOADERS.get(lang.lower(), _LOADERS[""]):
        try:
            payload = loader(body)
        except Exception:  # noqa: BLE001 - any parser's error: not this format
            continue
        if isinstance(payload, (dict, list)):
            yield payload


def _article_block(body: str, lang: str) -> str | None:
    """The article of a block that holds no pairs (``{"article": "..."}``): its longest text under an
    article-like key."""
    for payload in _payloads(body, lang):
        if isinstance(payload, dict):
            texts = [v.strip() for k, v in payload.items() if isinstance(v, str) and _key(k) in _ARTICLE_KEYS and v.strip()]
            if texts:
                return max(texts, key=len)
    return None


def _parse_block(body: str, lang: str) -> tuple[str | None, Pairs] | None:
    for payload in _payloads(body, lang):
        found = read_payload(payload)
        if found:
            return found
    return None


# ----------------------------------------------------------------------------------------------
# XML-like tags
# ----------------------------------------------------------------------------------------------
def _tag_pattern(names: frozenset) -> re.Pattern:
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if re.fullmatch(r"[\w\-]+", n))
    return re.compile(rf"<(?P<tag>{alternation})(?:\s[^>]*)?>(?P<body>.*?)</(?P=tag)\s*>", re.S | re.I)


_Q_TAG, _A_TAG, _ARTICLE_TAG = _tag_pattern(_Q_KEYS), _tag_pattern(_A_KEYS), _tag_pattern(_ARTICLE_KEYS)


def has_qa_tags(text: str) -> bool:
    """``text`` holds an XML-like question element (``<question>``, ``<q>``, ...), elements whose
    attributes hold the pairs (``<qa question="..." answer="..."/>``) or collapsible pairs (``<details>``)."""
    return (_Q_TAG.search(text) is not None or ("=" in text and _attribute_pairs(text) is not None)
            or "<summary" in text.lower() and _DETAILS.search(text) is not None)


def _from_tags(text: str) -> tuple[str | None, Pairs, str] | None:
    """(article, pairs, text outside the tags) from ``<article>``, ``<question>``/``<answer>`` tags, or
    from elements whose attributes hold the pair (``<qa question="..." answer="..."/>``)."""
    questions = [(m.start(), _element_text(m.group("body"))) for m in _Q_TAG.finditer(text)]
    pairs = []
    if questions:
        answers = [(m.start(), _element_text(m.group("body"))) for m in _A_TAG.finditer(text)]
        for k, (start, question) in enumerate(questions):
            limit = questions[k + 1][0] if k + 1 < len(questions) else len(text)
            answer = next((a for pos, a in answers if start < pos < limit), None)
            if answer is not None:
                pairs.append((question, answer))
        first = questions[0][0]
    if not pairs and ("type=" in text or "role=" in text or "kind=" in text or "class=" in text):
        typed = _typed_pairs(text)  # <item type="question">...</item> <item type="answer">...</item>
        if typed:
            first, pairs = typed
    if not pairs and "<summary" in text.lower():  # collapsible pairs: <details><summary>question</summary>answer</details>
        details = [(m.start(), _INLINE_TAG.sub("", m["q"]).strip(), _INLINE_TAG.sub("", m["a"]).strip()) for m in _DETAILS.finditer(text)]
        pairs = [(q, a) for _, q, a in details if q and a]
        first = details[0][0] if details else 0
    if not pairs:
        found = _attribute_pairs(text)
        if not found:
            return None
        first, pairs = found
    article = _article_element(text)
    outside = re.sub(r"<[^>\n]{1,40}>", "\n", text[:first])
    return (_element_text(article.group("body")) if article else None), pairs, outside


_DETAILS = re.compile(r"<details\b[^>]*>\s*<summary\b[^>]*>(?P<q>.*?)</summary\s*>(?P<a>.*?)</details\s*>", re.S | re.I)
_INLINE_TAG = re.compile(r"<[^<>\n]{1,40}>")


_TYPED_ELEMENT = re.compile(
    r"<(?P<tag>[\w:-]+)\s[^>]*?\b(?:type|role|kind|class)\s*=\s*[\"'](?P<role>[^\"']{1,30})[\"'][^>]*>(?P<body>.*?)</(?P=tag)\s*>",
    re.S | re.I)


def _typed_pairs(text: str) -> tuple[int, Pairs] | None:
    """(where the first is, the pairs) of elements whose type attribute says question or answer, in turns."""
    first, pairs, question = None, [], None
    for element in _TYPED_ELEMENT.finditer(text):
        role = _role(_key(element["role"]))
        body = _INLINE_TAG.sub("", _element_text(element["body"])).strip()
        if role == "q":
            first = element.start() if first is None else first
            question = body
        elif role == "a" and question:
            pairs.append((question, body))
            question = None
    return (first, pairs) if pairs else None


def _element_text(body: str) -> str:
    """An element's text, a CDATA section unwrapped."""
    if "<![" in body:
        body = _CDATA.sub(r"\1", body)
    return body.strip()


_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _article_element(text: str) -> re.Match | None:
    """The first article-like element (``<article>``, ``<context>``, ...) that holds no pairs itself: a
    ``<document>`` around the article and the pairs is their container, not the article."""
    found = None
    for outer in _ARTICLE_TAG.finditer(text):
        for start in _tag_starts(text, outer):
            element = outer if start == outer.start() else _ARTICLE_TAG.match(text, start)
            if element is None:
                continue
            if not has_qa_tags(element.group("body")):
                return element
            found = found or element
    return found


def _tag_starts(text: str, element: re.Match) -> Iterator[int]:
    """Where ``element`` starts, and every tag inside it (the elements it may hold)."""
    position = element.start()
    while 0 <= position < element.end():
        yield position
        position = text.find("<", position + 1)


_ELEMENT = re.compile(r"<[\w\-]+(?P<attributes>(?:\s+[\w\-:]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))+)\s*/?>")
_ATTRIBUTE = re.compile(r"([\w\-:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _attribute_pairs(text: str) -> tuple[int, Pairs] | None:
    """(where the first is, the pairs) of elements with a question-like and an answer-like attribute."""
    import html

    first, pairs = None, []
    for element in _ELEMENT.finditer(text):
        values = {_key(name): html.unescape(double or single).strip()
                  for name, double, single in _ATTRIBUTE.findall(element["attributes"])}
        question = next((v for k, v in values.items() if k in _Q_KEYS and v), None)
        answer = next((v for k, v in values.items() if k in _A_KEYS and v), None)
        if question and answer:
            first = element.start() if first is None else first
            pairs.append((question, answer))
    return (first, pairs) if pairs else None


def _jsonl_run(text: str) -> tuple[str | None, Pairs, str] | None:
    """Prose, then one JSON object a line (the longest run of them): its pairs, the prose the article."""
    lines = text.split("\n")
    best: tuple[int, int] | None = None
    start = end = None
    for i, line in enumerate([*lines, "<end>"]):
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            start = i if start is None else start
            end = i + 1
        elif stripped and start is not None:
            if best is None or end - start > best[1] - best[0]:
                best = (start, end)
            start = None
    if best is None:
        return None
    rows = []
    for line in lines[best[0] : best[1]]:
        if line.strip():
            try:
                rows.append(json.loads(line, strict=False))
            except ValueError:
                return None
    found = read_payload(rows)
    if not found:
        return None
    return found[0], found[1], _around(lines[: best[0]], lines[best[1]:])


# ----------------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------------
_JSONISH = re.compile(r"[{\[]")
_JSON_KEY = re.compile(r'"[^"\n]{1,60}"\s*:')
_PY_KEY = re.compile(r"'[^'\n]{1,60}'\s*:")
_JSON_LINE = re.compile(r"^\s*\{", re.M)
_DELIMITED_HEADER = re.compile(  # a header naming a question column, after up to three others ("id", "#", "No.")
    r"^\s*(?:[\"']?[\w#.\- ]{0,20}[\"']?[ ]*[\t,;][ ]*){0,3}[\"']?(?:" + "|".join(re.escape(k) for k in sorted(_Q_KEYS | _A_KEYS, key=len, reverse=True))
    + r")[\"']?\s*[\t,;]", re.M | re.I)


def _around(before: list[str], after: list[str]) -> str:
    """The prose that holds the article: before the block, or after it when nothing is before."""
    return "\n".join(before if any(line.strip() for line in before) else after)


def extract(text: str) -> tuple[str | None, Pairs, str] | None:
    """(article or None, pairs, the text outside the structured block) when ``text`` holds one.

    Every kind of block is tried (fenced blocks, XML-like tags, JSON Lines, a bare JSON value, a
    bare YAML document, CSV/TSV rows); the one giving the most pairs wins. Cheap substring checks
    skip the kinds a text shows no sign of (most outputs are prose and labels). A one-character test
    comes first where it can: it runs many times faster than a longer substring's.
    """
    found: list[tuple[str | None, Pairs, str] | None] = []
    if "`" in text and "```" in text:
        articles = []  # from blocks that hold an article and no pairs: the pairs may be in the next block
        outside, last = [], 0  # the text around those blocks
        for lang, body, start, end in _fenced(text):
            block = _parse_block(body, lang)
            if block:
                found.append((block[0], block[1], _around(text[:start].split("\n"), text[end:].split("\n"))))
            elif article := _article_block(body, lang):
                articles.append(article)
                outside.append(text[last:start])
                last = end
        if articles:
            found = [(f[0] or articles[0], f[1], f[2]) for f in found]
            if not found and read_pair_lines is not None:  # the pairs written as text around the article's block
                rest = "\n".join(outside + [text[last:]])
                found.append((articles[0], read_pair_lines(rest.split("\n")), rest))
    if "<" in text and ("</" in text or "=" in text):  # elements, or attributes holding the pairs
        found.append(_from_tags(text))
    stripped = text.strip()
    if not any(f and f[1] for f in found) and ('"' in text and ('":' in text or '" :' in text) and _JSON_KEY.search(stripped)
                                              or "':" in text and _PY_KEY.search(stripped)):  # or a Python literal's
        for start in [m.start() for m in _JSONISH.finditer(stripped)][:20]:
            block = _parse_block(stripped[start:], "json")
            if block:
                found.append((block[0], block[1], stripped[:start]))
                break
    # After the bare value: a record on a line of its own inside a larger value is no JSON Lines run.
    if "{" in text and ("\n{" in text or text.lstrip().startswith("{")) and _JSON_LINE.search(text):
        found.append(_jsonl_run(text))
    if "- " in text and _YAML_HINT.search(text) and _YAML_KEY.search(stripped) and _YAML_ITEM.search(stripped):
        found.append(_bare_yaml(stripped))
    if "=" in text and " = " in text and ("[" in text and "]\n" in text and _TOML_TABLE.search(text)
                                          or _TOML_KEY.search(stripped)):  # tables, or keys on their lines
        found.append(_bare_toml(stripped))
    if _delimited_hint(text) and _DELIMITED_HEADER.search(text):
        found.append(_delimited_rows(text))
    pairs_found = [f for f in found if f]
    if not pairs_found:
        return _article_only(stripped)
    # The most pairs win; at equal counts, a reading that found the article (then the first found).
    return max(pairs_found, key=lambda f: (len(f[1]), f[0] is not None))


def _article_only(text: str) -> tuple[str, Pairs, str] | None:
    """An output that is one JSON object (fenced or not) holding an article and no pairs: its article,
    and no pairs (rather than the object's text as the article)."""
    if text[:1] == "`" and text[-3:] == "```":
        text = text.split("\n", 1)[1][:-3].strip() if "\n" in text else ""
    if text[:1] != "{" or text[-1:] != "}":
        return None  # (most outputs)
    article = _article_block(text, "json")
    return (article, [], "") if article else None


_TOML_TABLE = re.compile(r"^\[\[?[\w.\- ]{1,40}\]\]?[ \t]*$", re.M)
_TOML_KEY = re.compile(r"^[\w.\-]{1,40} = [\"'\[{]", re.M)  # 'article = "..."', 'qa = [{...}]'
_TOML_START = re.compile(r"^(?:\[\[?[\w.\- ]{1,40}\]\]?|[\w.\-\"]{1,40}\s*=\s*\S)")


def _bare_toml(text: str) -> tuple[str | None, Pairs, str] | None:
    """A TOML document without a fence (see ``_document_from``)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _TOML_START.match(line)), None)
    return None if start is None else _document_from(lines, start, "toml")


def _bare_yaml(text: str) -> tuple[str | None, Pairs, str] | None:
    """A YAML document without a fence: from its first top-level key to the last paragraph that
    still parses (a preamble before it and an epilogue after it are prose)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _YAML_TOP_KEY.match(line)), None)
    if start is None:
        return None
    if _top_key_repeats("\n".join(lines[start:])):  # checked on the whole: a cut-down block would hide it
        return None  # "Question: ..." / "Answer: ..." again and again: labelled lines, not a document
    return _document_from(lines, start, "yaml")


def _document_from(lines: list[str], start: int, kind: str) -> tuple[str | None, Pairs, str] | None:
    """The ``kind`` document in ``lines`` from ``start`` to the end, or to one of the last few blank
    lines (an epilogue after it is prose, as a preamble before it is), whichever parses first."""
    ends = [len(lines)] + [j for j in range(len(lines) - 1, start, -1) if not lines[j].strip()][:4]
    for end in ends:
        block = _parse_block("\n".join(lines[start:end]), kind)
        if block:
            return block[0], block[1], _around(lines[:start], lines[end:])
    return None


_YAML_TOP_KEY = re.compile(r"^[\w\-]+\s*:(?:\s|$)")
_YAML_KEY = re.compile(r"^\s*[\w\-]+\s*:\s*(?:\||>|$)", re.M)
_YAML_HINT = re.compile(r":\s*(?:\||>|$)", re.M)  # what every _YAML_KEY holds; its first character is a literal: a fast scan
_YAML_ITEM = re.compile(r"^\s*-\s+(?:[\w\-]+\s*:|[\[{])", re.M)  # "- question: ...", or flow "- [q, a]", "- {question: q}"
_DELIMITED_HINTS = ("uestion,", "UESTION,", 'uestion",', "q,", "Q,", "uery,", "rompt,")  # a comma after a column's name
_ENDS_BEFORE_COMMA = operator.methodcaller("endswith", tuple(h[:-1] for h in _DELIMITED_HINTS))


def _delimited_hint(text: str) -> bool:
    """A tab, a semicolon-separated header (``_DELIMITED_HEADER``, in any language of the key table), or
    one of ``_DELIMITED_HINTS`` (a question column's name and a comma): the sign of CSV/TSV rows. The
    text split at its commas is checked piece by piece (one pass), not scanned once per hint."""
    if "\t" in text:
        return True
    if ";" in text and _DELIMITED_HEADER.search(text):  # "Frage;Antwort", "id;question;answer"
        return True
    return any(map(_ENDS_BEFORE_COMMA, text.split(",")[:-1]))


def _delimited_rows(text: str) -> tuple[str | None, Pairs, str] | None:
    """CSV/TSV rows in prose: a header line naming question and answer columns, rows to the next blank line."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        cells = [_key(c.strip().strip("\"'")) for c in re.split(r"\t|,|;", line)]
        if len(cells) >= 2 and set(cells) & _Q_KEYS and set(cells) & _A_KEYS:
            end = next((j for j in range(i + 1, len(lines)) if not lines[j].strip()), len(lines))
            block = _parse_block("\n".join(lines[i:end]), "tsv" if "\t" in line else "csv")
            if block:
                return block[0], block[1], _around(lines[:i], lines[end:])
    return None
