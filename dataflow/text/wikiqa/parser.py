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
* refusals and ``Error: ...`` strings, which give an empty result;
* Chinese output (``维基百科文章``/``问答对`` headers, ``问题``/``答案``, ``问：``/``答：``, ``问题一``,
  Chinese table columns; full-width punctuation is kept in the text as written), HTML markup,
  emoji and arrow labels (``❓``/``✅``, ``➤ Question:``), a ``<think>`` block (never parsed),
  chat-template tokens (``<|im_end|>``), degenerate repetition (each distinct pair once), the QA
  section before the article, label parentheticals, ``Explanation:`` lines after answers, answers
  listed as bullets under an empty ``Answer:`` (joined with ", "), two-level numbering under group
  titles, and reference lists whose titles end with "?".

Label words, headers and symbols are tables in ``vocabulary.py``.

The context keeps the article's text without headers or markdown markers; paragraphs are
separated by a blank line, whitespace inside a paragraph is collapsed.
"""

from __future__ import annotations

import html
import re
from typing import Any

from dataflow.text.wikiqa import structured
from dataflow.text.wikiqa import vocabulary as V

__all__ = ["empty_result", "parse_wiki_qa"]


def empty_result() -> dict:
    return {"context": "", "qas": []}


def _alt(words) -> str:
    """A regex alternation of ``words`` that prefers the longest (as "words sorted longest first" does),
    written as a tree of shared prefixes: a text that starts with none of them fails at its first
    character instead of once per word, and the label patterns try it on every line.

    Where two words part at letters that differ only in case ("A" and "aA"), a case-insensitive match
    could take the shorter word first: the words are then written as a flat list, longest first.
    """
    words = list(words)
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def branch(node: dict) -> str | None:
        letters = [ch for ch in node if ch]
        if len({ch.lower() for ch in letters}) < len(letters):
            return None  # siblings equal but for case
        parts = []
        for ch in letters:
            rest = branch(node[ch])
            if rest is None:
                return None
            parts.append(re.escape(ch) + rest)
        if "" in node:
            parts.append("")  # longer continuations first: the longest word wins
        if parts == [""]:
            return ""
        return "(?:" + "|".join(parts) + ")" if len(parts) > 1 else parts[0]

    tree = branch(trie)
    if tree is None:
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return tree


# ------------------------------------------------------------------------------------------
# text helpers
# ------------------------------------------------------------------------------------------
# Zero-width characters, and the marks that set the direction of right-to-left text (RLM, LRM, the
# Arabic letter mark, embeddings, overrides and isolates): invisible, and never part of a label.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_HEADING = re.compile(r"^\s*#{1,6}(?=\s|$)\s*")  # "#1" is a number, not a heading
_QUOTE = re.compile(r"^\s*(?:>\s*)+")
# Any other pictograph opening a line ("🏛️ Article") is decoration; the label symbols are not.
_PICTOGRAPH = rf"(?!{_alt(V.QUESTION_SYMBOLS + V.ANSWER_SYMBOLS)})[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B55][\uFE0F\u200d]*"
_BULLET = re.compile(rf"^\s*(?:(?:[-*+]|\u2013|\u2014)\s+|(?:{_alt(V.BULLET_SYMBOLS)}|{_PICTOGRAPH})\s*)")


def _unbullet(body: str) -> tuple[str, bool]:
    """``body`` without its list marker, and whether it had one (most lines start with a letter)."""
    first = _lead(body)
    if not first or (first.isascii() and (first not in "-*+" or not body.lstrip()[1:2].isspace())):
        return body, False  # an ASCII list marker is followed by a space: "**Bold**" is no bullet
    stripped = _BULLET.sub("", body, count=1)
    return stripped, stripped != body
_NUMBER = re.compile(
    r"^\s*\(?(\d{1,3})((?:\.\d{1,3})+)[.)]?\s+"  # two-level: "1.1 ", "2.3) "
    r"|^\s*\(?(\d{1,3})(?:[.)/\u00ba\u00b0]-?(?:\s+|$)|(?::|\s[-\u2013\u2014])\s+(?=[^\d\s]))"  # "1. ", "(1) ", "1/ ",
    # "1º ", "1.- ", "2." alone, "1: What", "1 - What" (but "3 - 1" and "2: 1" are a score, a ratio)
    r"|^\s*\(?(\d{1,3})[.)](?=\*\*|__)"  # "1.**"
    r"|^\s*(?:\d\ufe0f?\u20e3|\U0001f51f)[.):]?\s*"  # keycap emoji: "1️⃣ ", "🔟 "
    r"|^\s*[(\uff08]?(\d{1,3})[\uff0e\uff09\u3001]\s*|^\s*\uff08(\d{1,3})\uff09\s*"  # full-width: "１．", "1、", "（1）"
    r"|^\s*[\u2460-\u2473\u2474-\u2487\u2776-\u2793]\s*"  # circled and parenthesised: "①", "⑴", "❶"
    rf"|^\s*(?:{_alt(V.NUMERAL_WORDS)})(?:[\u3001\uff0e]\s*|[.)]\s+)"  # Chinese numerals: "一、", "十二、", "一. "
    r"|^\s*[\u2160-\u217f][.)\u3001\uff0e]?\s*"  # Roman numerals of their own characters: "Ⅰ. ", "ⅱ) "
    r"|^\s*(?:\#|No\.?\s*|№\s*)(\d{1,3})[.):]?\s+|^\s*\[(\d{1,3})\]\s+"  # "#1 ", "No. 1 ", "[1] "
    r"|^\s*\(?([a-h])\)\s+"  # "(a) ", "b) "
    r"|^\s*\(?(?=[IVX])((?:X{0,2})(?:IX|IV|V?I{0,3}))[.)]\s+(?=\S)"  # roman: "I. ", "IV) "
    r"|^\s*\(?(?=[ivx])((?:x{0,2})(?:ix|iv|v?i{0,3}))[.)]\s+(?=\S)"  # lower-case roman: "i. ", "iv) "
)
_RULE = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})\s*$")
_FENCE = re.compile(r"^\s*```")

# The characters each line pattern can start with (after indentation): most lines start with a
# letter, and a set lookup spares them the patterns that cannot match.
_NUMBER_LEADS = frozenset("(0123456789#N№abcdefghIVXivx\U0001f51f[")
_MARK_LEADS = frozenset("-*_=`")  # rules and fences
_HEADING_LEADS = frozenset("#*_=")  # "#" headings, bold lines, wiki "== headings =="
_OPTION_LEADS = frozenset("-*([ABCDEFGHabcdefgh")


def _lead(raw: str) -> str:
    """The first character of ``raw`` after its indentation ("" for a blank line)."""
    first = raw[:1]
    return raw.lstrip()[:1] if first.isspace() else first


def _is_rule(raw: str, lead: str) -> bool:
    """A horizontal rule or a code fence line: a separator, never text."""
    return lead in _MARK_LEADS and (_RULE.match(raw) is not None or _FENCE.match(raw) is not None)


def _numbered(text: str, lead: str) -> re.Match | None:
    if lead in _NUMBER_LEADS or not lead.isascii() and (lead.isnumeric() or lead == "\uff08"):  # "١", "１", "①", "（"
        return _NUMBER.match(text)
    return None


def _bulleted(raw: str, lead: str) -> bool:
    return (lead in "-*+" or not lead.isascii()) and _BULLET.match(raw) is not None


def _demark(text: str) -> str:
    """Remove inline markdown (bold, italics, code, links, heading and quote markers)."""
    # Each pattern runs only when its marker character is present: most lines have none.
    if ">" in text:
        text = _QUOTE.sub("", text)
    if "#" in text:
        text = _HEADING.sub("", text)
    if "]" in text and "](" in text:  # a one-character test first: many times faster
        text = _LINK.sub(r"\1", text)
    if "*" in text or "_" in text:
        text = text.replace("**", "").replace("__", "")
        if "*" in text:
            text = _ITALIC_STAR.sub(r"\1", text)
        if "_" in text:
            text = _ITALIC_UNDERSCORE.sub(r"\1", text)
    if "`" in text:
        text = text.replace("`", "")
    if "~" in text and "~~" in text:  # struck out: withdrawn by the writer ("~~Kenya~~ Tanzania")
        text = _STRUCK.sub("", text)
    if "\\" in text and "{" in text:  # LaTeX: "\\textbf{Question:}"
        text = _LATEX_INLINE.sub(r"\1", text)
    return _squeeze(text)


_STRUCK = re.compile(r"~~[^~\n]*~~")
_LATEX_INLINE = re.compile(r"\\(?:textbf|textit|emph|texttt|underline|textsc|mathbf|mathrm|text)\{([^{}]*)\}")


def _squeeze(text: str) -> str:
    """``text`` with runs of whitespace made one space and its ends stripped."""
    # Splitting and joining a long line costs more than looking for what needs it: most lines are
    # ASCII without whitespace other than single spaces. (On a long line, deleting the other
    # whitespace bytes and comparing lengths is a few times faster than ``str.isprintable``, which
    # looks each character up; on a short one the encoding costs more than it saves.)
    if text.isascii() and text[:1] != " " and text[-1:] != " " and "  " not in text and (
            text.isprintable() if len(text) < 64
            else len(text.encode().translate(None, _ASCII_OTHER_WHITESPACE)) == len(text)):
        return text
    return " ".join(text.split())


_ASCII_OTHER_WHITESPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"  # what str.split() splits at, besides " "


def _normalize(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # zero-width and non-breaking spaces are not ASCII
        text = _ZERO_WIDTH.sub("", text).replace("\u00a0", " ")
    text = text.strip()
    if "\n" not in text and "\\n" in text and not (text[:1] == "{" or text[:1] == "[" and text[1:].lstrip()[:1] in "{[\"'"):
        # One line with escaped breaks: an output printed as a string literal (a JSON value on one line
        # keeps its strings' escapes: its loader reads them).
        text = _ESCAPED_BREAK.sub("\n", text).replace("\\t", "\t").replace('\\"', '"').strip()
    return text


_ESCAPED_BREAK = re.compile(r"(?:\\r)?\\n")


_SPECIAL_TOKENS = re.compile("|".join(V.SPECIAL_TOKENS), re.I)
# A reasoning block, as the reasoning models write it: <think>, <thinking>, <reasoning>, <thought>,
# <reflection>, <seed:think>, Kimi's "◁think▷", "<|begin_of_thought|>", Magistral's "[THINK]".
_THINK_OPENS = r"<(?:think|thinking|reasoning|thought|reflection|seed:think)>|\u25c1think\u25b7|<\|begin_of_thought\|>|\[THINK\]"
_THINK_CLOSES = r"</(?:think|thinking|reasoning|thought|reflection|seed:think)>|\u25c1/think\u25b7|<\|end_of_thought\|>|\[/THINK\]"
_THINK = re.compile(rf"(?:{_THINK_OPENS}).*?(?:{_THINK_CLOSES})", re.S | re.I)
_THINK_OPEN = re.compile(_THINK_OPENS, re.I)
_THINK_CLOSE = re.compile(_THINK_CLOSES, re.I)
_THINK_HINT = re.compile(r"</?(?:think|reasoning|thought|reflection|seed:think)|\u25c1/?think|_of_thought\|>|\[/?think\]", re.I)
# The answer after the reasoning, in a tag of its own: <answer>...</answer>, <output>, <response>.
_ANSWER_WRAPPER = re.compile(r"<(answer|response|output|final_answer|solution)>", re.I)


def _unwrapped(text: str) -> str:
    """``text`` without the tag that opens it and wraps the answer (``<answer>...</answer>``, an epilogue
    maybe after it; the close may be cut off). Elements after its last close: the tag was one element
    among others (``<answer>...</answer><question>...``), not a wrapper."""
    opened = _ANSWER_WRAPPER.match(text)
    if opened is None:
        return text
    body = text[opened.end() :]
    close = f"</{opened[1].lower()}>"
    last = body.lower().rfind(close)
    if last < 0:
        return body.strip()
    after = body[last + len(close) :]
    return text if "<" in after else (body[:last] + "\n" + after).strip()


_HTML_TAG = re.compile(rf"</?(?:{_alt(V.HTML_BLOCK_TAGS + V.HTML_INLINE_TAGS)})\b[^>]*>", re.I)
_HTML_BLOCK = re.compile(rf"<(/?)(?:{_alt(V.HTML_BLOCK_TAGS)})\b[^>]*>", re.I)
_HTML_HEADING_OPEN = re.compile(r"<h[1-6]\b[^>]*>", re.I)
_HTML_LI_OPEN = re.compile(r"<li\b[^>]*>", re.I)
_HTML_ROW_OPEN = re.compile(r"(?:</tr\s*>\s*)?<tr\b[^>]*>", re.I)  # (the row before ends where this one starts)
_HTML_CELL_CLOSE = re.compile(r"</t[dh]\s*>", re.I)
_HTML_BOLD = re.compile(r"</?(?:b|strong)\b[^>]*>", re.I)


# A user or system turn the model echoed with its chat template: the prompt, never the answer.
_ECHOED_TURN = re.compile(
    r"\[INST\].*?\[/INST\]"
    r"|<\|im_start\|>\s*(?:user|system)\b.*?(?:<\|im_end\|>|(?=<\|im_start\|>))"
    r"|<start_of_turn>\s*user\b.*?(?:<end_of_turn>|(?=<start_of_turn>))",
    re.S | re.I,
)


def _strip_wrappers(text: str) -> str:
    """Chat-template tokens, echoed prompts and reasoning blocks out; HTML markup to lines and markdown."""
    # Each pattern runs only when the text holds what it looks for: a scan of the whole text by a
    # regular expression costs more than a substring test.
    angle, bracket = "<" in text, "[" in text
    # A reasoning block is drafts, never the answer: without its opening tag, all before the close is
    # reasoning; without its closing tag (cut off), all after the opening. Read before the template tokens
    # go ("<|begin_of_thought|>" is one); one cheap test of each kind first (most outputs hold no "<").
    if angle and _THINK_HINT.search(text) or bracket and "THINK]" in text or "\u25c1" in text and "think\u25b7" in text:
        text = _THINK.sub("", text)
        close = list(_THINK_CLOSE.finditer(text))
        if close:
            text = text[close[-1].end() :]
        opened = _THINK_OPEN.search(text)
        if opened:
            text = text[: opened.start()]
        angle, bracket = "<" in text, "[" in text
    if angle or bracket:
        lower = text.lower()
        if bracket and "[inst]" in lower or angle and ("<|im_start|>" in lower or "<start_of_turn>" in lower):
            text = _ECHOED_TURN.sub("", text)
        if angle or bracket and "inst]" in lower:
            text = _SPECIAL_TOKENS.sub("", text)
        if bracket and "[/" in text:
            text = _CLOSING_BRACKET_TAG.sub("", text)
        if "<" in text and text.lstrip()[:1] == "<":
            text = _unwrapped(text.strip())
        if "<" in text and _HTML_TAG.search(text) and not structured.has_qa_tags(text):  # <q>/<a> tags are data, not HTML
            text = _HTML_HEADING_OPEN.sub("\n## ", text)
            text = _HTML_LI_OPEN.sub("\n- ", text)
            if "<t" in text or "<T" in text:  # a table's rows as markdown rows: "| Question | Answer |"
                text = _HTML_CELL_CLOSE.sub(" |", _HTML_ROW_OPEN.sub("\n| ", text))
            text = _HTML_BOLD.sub("**", text)
            text = _HTML_BLOCK.sub("\n", text)
            text = _HTML_TAG.sub("", text)
            text = html.unescape(text)
            text = re.sub(r"[ \t]+\n", "\n", text)
    return text.strip()


def _cut_repetition(text: str) -> str:
    """The whole output written again (a decoding loop): keep the first copy.

    The opening of the text (its first lines, at least 60 characters) found again at the start of
    a later line marks the second copy.
    """
    end = 0
    for _ in range(3):
        nl = text.find("\n", end + 1)
        end = len(text) if nl < 0 else nl
        if len(text[:end].strip()) >= 60 or nl < 0:
            break
    opening = text[:end].strip()
    if len(opening) < 60:
        return text
    # Its first characters found first: a long pattern's search costs more to set up than it saves.
    probe = "\n" + opening[:64]
    again = text.find(probe, end)
    while again > 0 and not text.startswith(opening, again + 1):
        again = text.find(probe, again + 1)
    return text[:again].rstrip() if again > 0 else text


# ------------------------------------------------------------------------------------------
# line classification
# ------------------------------------------------------------------------------------------
_SEP = rf"(?:\s*(?:\?(?=\s*[:\uff1a]))?\s*(?:{_alt(V.LABEL_SEPARATORS)})(?:[:\uff1a\-\u2013\u2014]+(?=\s))?|\s+[-\u2013\u2014](?=\s))"  # "Ans:-", "Q::", "Question?:"
# "=" after a word label only ("Question = ..."): after a letter it is a formula ("A = πr²", "Q = It").
_WORD_SEP = rf"(?:{_SEP}|\s*=(?=\s))"
_NUM = rf"\s*(?:\#|№|[Nn][°ºo]\.?|[Nn]r\.?)?\s*(?:\d+(?:\s*/\s*\d+|\s+(?i:{_alt(V.NUMBER_OF)})\s+\d+)?|{_alt(V.NUMERAL_WORDS)})"  # "1", "1/3", "1 of 3"
_PAREN = r"(?:\s*(?:[(\uff08][^()\uff08\uff09]{0,80}[)\uff09]|\[[^\[\]]{1,40}\]))?"  # "Question 1 (Easy):", "Question 2 [History]:"


_HAN_KANA = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


# Brackets around a label: ASCII, and the CJK ones ("【问题】", "「質問」", "［Q］").
_LABEL_OPENERS = "[(<\u3010\u300c\u300e\u3014\uff3b\uff08"
_LABEL_CLOSERS = "])>\u3011\u300d\u300f\u3015\uff3d\uff09"


def _label(words, letters: str, symbols, other_letters: str = "", ordinal: tuple = ("", ())) -> re.Pattern:
    long_words = _alt(w for w in words if len(w) > 1 or not w.isascii())  # "问" and "答" are words
    # A line can only start with a label if it starts with one of these: checked first, it spares
    # most lines the alternation over every language's words.
    firsts = {c for w in words for c in (w[0].lower(), w[0].upper())} | set(letters) | set(other_letters) | set(_LABEL_OPENERS)
    firsts |= {s[0] for s in symbols} | set(ordinal[0][:1])
    # Chinese and Japanese write no space between words: there a space ends a label ("答え　3776メートル").
    spaced = _alt(w for w in words if _HAN_KANA.fullmatch(w))
    prefix, suffixes = ordinal
    numbered = rf"(?:{_NUM}|-\d{{1,3}}(?={_SEP}))"  # "Q1", "Question 2", and "Q-1:" (before a separator only: "A-10 road")
    ordinal_label = rf"|{re.escape(prefix)}{_NUM}\s*(?:{_alt(suffixes)}){_PAREN}(?:{_SEP}|(?=\s)|$)" if prefix else ""
    return re.compile(
        rf"^(?=[{re.escape(''.join(sorted(firsts)))}])(?:"
        rf"[{re.escape(_LABEL_OPENERS)}]!?(?:(?i:{long_words})|[{letters}])(?:{_NUM})?[{re.escape(_LABEL_CLOSERS)}]"
        r"\s*(?:[:\uff1a.]\s*)?"  # "[Q]", "(A)", "<Q1>", "【问题】"
        rf"|(?:(?i:{long_words})(?:{numbered}|\s+(?i:{_alt(V.NUMBER_WORDS)})\b)|[{letters}]\d{{1,3}}){_PAREN}(?:{_SEP}|(?=\s)|$)"  # "Q1:", "问题一：", "Question One:", "Q1 What ...?"
        rf"|[{letters}](?:{numbered}{_PAREN}{_SEP}|\s\d{{1,2}}$)"  # "Q 1:", "A #2:", "A 1" alone (but "A 1889" is an answer after a bare "A")
        rf"|(?i:{long_words}){_PAREN}(?:{_WORD_SEP}|$|(?=\s+/\s))"  # "Question:", "答案：", "Answer / Antwort:", "Answer = ..."
        rf"|(?:{spaced})\s+(?=\S)"  # "答え 3776メートル"
        rf"|[{letters}]{_PAREN}{_SEP}"  # "Q." / "A:"
        rf"|[{other_letters or letters}](?:{_NUM})?\s*[:\uff1a]"  # another language's letter, before a colon: "F:", "R :"
        rf"|(?:{_alt(symbols)})"  # "❓ ..." / "✅ ..."
        rf"{ordinal_label}"  # "第1题："
        r")\s*(?P<rest>.*)$"
    )


# A Chinese or Japanese label (its number too), then an ideographic space: the label's separator.
_IDEOGRAPHIC_LABEL = re.compile(
    rf"^(\s*(?:{_alt(w for w in V.QUESTION_WORDS + V.ANSWER_WORDS if _HAN_KANA.fullmatch(w))})(?:\d+|{_alt(V.NUMERAL_WORDS)})?)\u3000")
_Q_LABEL = _label(V.QUESTION_WORDS, "Qq\uff31", V.QUESTION_SYMBOLS, V.QUESTION_LETTERS, V.ORDINAL_QUESTION)
_A_LABEL = _label(V.ANSWER_WORDS, "A\uff21", V.ANSWER_SYMBOLS, V.ANSWER_LETTERS)
_QMARKS = tuple(V.QUESTION_MARKS)
_LONG_ANSWER_WORDS = _alt(w for w in V.ANSWER_WORDS if len(w) > 1 or not w.isascii())
_INLINE_ANSWER = re.compile(
    rf"(?:(?<=[{''.join(_QMARKS)};])[;,]?|\s)[-\u2013\u2014|/]?\s*[(\[]?(?:(?i:{_LONG_ANSWER_WORDS})|[A{V.ANSWER_LETTERS}])(?:\s*|-)\d*[)\]]?\s*[:\uff1a]\s*"
    # a bracket tag needs no colon, after the question mark: "...? [A] Paris", "...? [Answer 2] Paris"
    rf"|(?<=[{''.join(_QMARKS)};])\s*\[(?:(?i:{_LONG_ANSWER_WORDS})|A)\s*\d*\]\s*"  # ";": Greek's question mark
    rf"|(?<=[{''.join(_QMARKS)}])\s+(?:[-\u2013\u2014|]\s+)?A\d{{0,3}}[.)]\s+(?=\S)"  # "Q. What ...? A. Paris", "...? - A1. Paris"
)
_ANNOTATION = re.compile(rf"^(?i:{_alt(V.ANNOTATION_LABELS)}){_PAREN}\s*[:\uff1a]")
_ANNOTATION_LEADS = frozenset(w[:2].lower() for w in V.ANNOTATION_LABELS)  # two letters: "an" (answer) is not "aç"
_REFERENCES = re.compile(rf"^(?i:{_alt(V.REFERENCE_HEADERS)})\s*[:\uff1a]?$")
_REFERENCES_LONGEST = max(map(len, V.REFERENCE_HEADERS)) + 2  # a header, a space and a colon (demarked text)


_GREEK = structured.GREEK
_ends_question = structured.ends_question  # a question mark of any script ends ``text`` (Greek's is ";")


def _has_qmark(text: str) -> bool:
    """A question mark of any script is in ``text`` (Greek writes ";")."""
    if text.isascii():
        return "?" in text
    return any(map(text.__contains__, _QMARKS)) or (";" in text and bool(_GREEK.search(text)))


_ARTICLE_LABEL = re.compile(
    r"^\[?(?P<label>(?:the\s+)?(?:wikipedia(?:[- ]style)?\s+(?:article|entry)(?:\s+title)?|wiki\s+article|"
    r"(?:reading|source|background|main|full|generated|article)\s+(?:passage|text|article|context)|"
    rf"article(?:\s+title)?|wikipedia|context|passage|title|heading|标题|{_alt(V.ARTICLE_HEADERS)}))\]?"
    r"\s*(?:[:\uff1a]\s*(?P<rest>.*)|$)",
    re.I,
)
_CHATTER = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|alright|great|here(?:'s|’s| is| are)|below is|"
    r"the following is|i'd be happy|i would be happy|happy to help)\b",
    re.I,
)
_INSTRUCTION = re.compile(
    r"^(?:please\s+)?(?:write|generate|create|compose|produce|provide)\b[^\n]{0,200}\b(?:article|question|answer|image)",
    re.I,
)
_REFUSAL = re.compile(
    r"^(?:i['’]m sorry|i am sorry|sorry\b|i apologi[sz]e|i cannot|i can['’]t|i can not|i['’]m unable|"
    r"i am unable|i['’]m not able|i am not able|as an ai\b|unfortunately,? i (?:can|am|cannot))",
    re.I,
)
_ERROR = re.compile(r"^error\s*[:\-]", re.I)
# The prompt written back: its labels, and its criteria ("The question should ...").
_RESTATED = re.compile(
    r"^(?:(?:task|instructions?|criteria|requirements|guidelines|prompt)\s*[:\uff1a]"
    r"|[^\n]{0,40}?\b(?:questions?|answers?|articles?)\s+(?:should|must)\b"
    # a plan announced before its steps: "To complete this task, I will:", "Here is my plan:", "Steps:"
    r"|(?:to (?:complete|do|accomplish|fulfil|fulfill|address) (?:this|the|your) (?:task|request)|(?:here(?:'s|’s| is) )?"
    r"my (?:plan|approach)|i will|i'll|steps?)\b[^\n]{0,80}[:\uff1a]$)",
    re.I,
)
_RESTATED_LEADS = frozenset("TtIiCcRrGgPp")  # task, instructions, criteria, requirements, guidelines, prompt; to, I will
_PLAN_LEADS = frozenset("HhMmSs")  # here's my plan, my approach, steps: before a colon only


def _restated(clean: str) -> bool:
    """``clean`` (a demarked line) restates the task: a label of the prompt's, or "The question should ..."."""
    if clean[:1] in _PLAN_LEADS and clean.endswith((":", "\uff1a")):
        return _RESTATED.match(clean) is not None
    if clean[:1] not in _RESTATED_LEADS:
        opening = clean[:64].lower()  # "should"/"must" ends within 56 characters (single spaces)
        if "should" not in opening and "must" not in opening:
            return False
    return _RESTATED.match(clean) is not None


# "[/ARTICLE]", "[/QA]": a bracket tag closing a section, never text.
_CLOSING_BRACKET_TAG = re.compile(r"\[/(?!INST\])[A-Za-z][A-Za-z _&-]{0,29}\]")
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


_QA_HEADERS_ZH = frozenset(V.QA_HEADERS_ZH)
_WORD = re.compile(r"[a-z]+")
_QA_HEADERS = frozenset(h.replace(" ", "") for h in V.QA_HEADERS)


def _is_qa_header(clean: str) -> bool:
    """``clean`` (a demarked line) is a header that opens the question/answer section."""
    if len(clean) > 100 or clean.endswith(".") or _has_qmark(clean):
        return False
    if len(clean) <= 40:
        bare = clean.strip("[]() ").rstrip(":\uff1a ").replace(" ", "")
        if bare in _QA_HEADERS_ZH or bare.lower() in _QA_HEADERS:
            return True
    lower = clean.lower()
    if "q" not in lower:  # every English header names questions, Q&A, QA or FAQ
        return False
    tokens = _WORD.findall(lower)
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
    if not clean.endswith((":", "\uff1a")) or len(clean) >= 200 or _has_qmark(clean):
        return False
    lower = clean.lower()
    return "question" in lower or "q&a" in lower or "qa pair" in lower


# Other languages' one-letter labels with a dot instead of a colon: a question's when the line asks
# ("P. ¿Dónde ...?"), an answer's on the line under a question waiting for its answer ("R. En ...").
_DOTTED_QUESTION_LETTERS = frozenset(c for c in V.QUESTION_LETTERS if c.isalpha() and c != "\uff31")
_DOTTED_ANSWER_LETTERS = frozenset(c for c in V.ANSWER_LETTERS if c.isalpha() and c != "\uff21")


_ORDINAL = re.compile(rf"(?i:{_alt(V.ORDINAL_WORDS)})\s+(?=\S)")
_ORDINAL_LEADS = frozenset(w[:3] for w in V.ORDINAL_WORDS)  # (the first three letters: "The" is not "third")


def _after_ordinal(clean: str) -> tuple[str, str] | None:
    """(kind, text) of a line whose label follows an ordinal word: "First question: What ...?"."""
    word = _ORDINAL.match(clean)
    if word is None:
        return None
    rest = clean[word.end() :]
    for kind, label in (("question", _Q_LABEL), ("answer", _A_LABEL)):
        found = label.match(rest)
        if found is not None and found["rest"].strip():
            return kind, found["rest"].strip()
    return None


def _after_dotted_letter(text: str) -> int:
    """Where the text starts after a one-letter label with a dot ("P. ¿...?", "R.- ..."); 0 without one."""
    if text[1:3] == ". ":
        return 3
    return 4 if text[1:4] == ".- " else 0


class _Line:
    """One non-blank line of the QA section, classified."""

    __slots__ = ("kind", "text", "clean", "numbered", "bulleted", "sublevel")

    def __init__(self, raw: str):
        body = _QUOTE.sub("", raw) if ">" in raw else raw
        if "\u3000" in body:  # "答え　1100": the ideographic space ends the label (the answer is no label number)
            body = _IDEOGRAPHIC_LABEL.sub("\\1\uff1a", body, count=1)
        body, self.bulleted = _unbullet(body)
        if body[:2] in ("**", "__"):
            body = _bold_label(body)
        self.clean = clean = _demark(body)  # the line without quote and list markers and markdown
        number = _numbered(clean, clean[:1])
        self.sublevel = bool(number and number.group(2))  # "1.1", "2.3": an item under a group title
        if number is None and clean[:1] in _LETTER_ITEMS and clean[1:3] in (". ", ") ") and _ends_question(clean):
            number = _LETTERED.match(clean)  # "A. What ...?", "B) Which ...?": lettered questions, not answer labels
        self.numbered = number is not None
        if number:
            clean = clean[number.end() :].strip()
        self.kind = "text"
        self.text = clean
        if not clean:
            self.kind = "empty"
        elif len(clean) <= _REFERENCES_LONGEST and _REFERENCES.match(clean):
            self.kind = "references"
        elif clean[:2].lower() in _ANNOTATION_LEADS and (":" in clean or "\uff1a" in clean) and _ANNOTATION.match(clean) \
                and not _Q_LABEL.match(clean) and not _A_LABEL.match(clean):
            self.kind = "annotation"
        elif _is_qa_header(clean):
            self.kind = "header"
        elif m := _Q_LABEL.match(clean):
            self.kind, self.text = "question", _after_symbol(clean, m["rest"].strip(), _Q_LABEL)
        elif m := _A_LABEL.match(clean):
            self.kind, self.text = "answer", _after_symbol(clean, m["rest"].strip(), _A_LABEL)
        elif clean[:1] in "([" and clean[-1:] in ")]" and (m := _A_LABEL.match(clean[1:-1])) and m["rest"].strip():
            self.kind, self.text = "answer", m["rest"].strip()  # "(Answer: Paris)", "[Answer: Paris]"
        elif clean[:3].lower() in _ORDINAL_LEADS and (found := _after_ordinal(clean)):
            self.kind, self.text = found  # "First question: ...", "Zweite Frage: ..."
        elif clean[:1] in _DOTTED_QUESTION_LETTERS and (cut := _after_dotted_letter(clean)) and _ends_question(clean):
            self.kind, self.text = "question", clean[cut:].strip()  # "P. ¿Dónde ...?", "В. Где ...?", "P.- ¿...?"
        elif _is_qa_intro(clean) and not self.numbered:
            self.kind = "header"
        elif len(clean) < 40 and clean[-1:] in _PAIR_HEADING_ENDS and _PAIR_HEADING.match(clean):
            self.kind = "header"  # "Pair 1:" between the pairs


_PAIR_HEADING = re.compile(rf"^(?i:{_alt(V.PAIR_WORDS)})\s*(?:\#|№|[Nn][°ºo]\.?)?\s*\d{{1,3}}\s*[:\uff1a.)]?$")
_PAIR_HEADING_ENDS = frozenset("0123456789:\uff1a.)")


def _bold_label(body: str) -> str:
    """``body`` with a bold label that has no colon given one: "**Q** What ...?" -> "Q: What ...?" (the
    bold marks the label, as the colon does)."""
    close = body.find(body[:2], 2)  # the bold word: 1 to 30 characters, no marker or colon, then a space
    word = body[2:close]
    if not 3 <= close <= 32 or ":" in word or not body[close + 2 : close + 3].isspace() or _NOT_IN_BOLD_WORD.search(word):
        return body  # (most bold labels hold their colon: "**Question:** ...")
    word = word.strip()
    for label in (_Q_LABEL, _A_LABEL):
        found = label.match(word + ":")
        if found is not None and not found["rest"]:
            return f"{word}: {body[close + 2:].lstrip()}"
    return body


_NOT_IN_BOLD_WORD = re.compile("[*_:\n\uff1a]")


def _after_symbol(clean: str, rest: str, label: re.Pattern) -> str:
    """``rest`` without a word label after a symbol label: "❓ Question 1: What ...?" -> "What ...?", or
    after a label in another language: "问题1 / Question 1: What ...?" -> "What ...?"."""
    if rest[:2] == "= " and clean[1:2].isalpha():
        return rest[2:].lstrip()  # "Question 1 = What ...?" (a word label's number, then "=")
    if rest[:1] in ("/", "|"):
        rest = rest[1:].lstrip()
    elif clean[:1].isalnum() or clean[:1] in "[(<":
        return rest
    again = label.match(rest)
    return again["rest"].strip() if again and again["rest"].strip() else rest


_LETTER_ITEMS = frozenset("ABCDEFGHabcdefgh")
_LETTERED = re.compile(r"[A-Ha-h][.)]\s+")


_LINES: dict[str, _Line] = {}
_LINES_KEPT = 8192


def _line(raw: str) -> _Line:
    """``_Line(raw)``, shared between finding the QA section, parsing it and reading the article
    (lines are read-only); the last few thousand lines are remembered."""
    line = _LINES.get(raw)
    if line is None:
        if len(_LINES) >= _LINES_KEPT:
            _LINES.clear()
        line = _LINES[raw] = _Line(raw)
    return line


def _answer_letter_after_mark(text: str) -> bool:
    """"...? A. Paris", "...? - A1. Paris": an answer's letter after a question mark (the letter tested first)."""
    return "A" in text and _MARK_THEN_LETTER.search(text) is not None


_MARK_THEN_LETTER = re.compile(rf"[{''.join(V.QUESTION_MARKS[:3])}]\s(?:[-\u2013\u2014|]\s)?A")


def _split_inline_answer(question: str) -> tuple[str, str | None]:
    """``"What is X? Answer: Y"`` -> ``("What is X?", "Y")``."""
    if ":" not in question and "\uff1a" not in question and "[" not in question and not _answer_letter_after_mark(question):
        return question, None
    match = _INLINE_ANSWER.search(question)
    if match and match.start() > 0:
        answer = question[match.end() :].strip()
        if match.group(0).rstrip().endswith(":") and "(" in match.group(0) and answer.endswith(")"):
            answer = answer[:-1]
        return question[: match.start()].strip(), answer
    return question, None


# Arrows of every Unicode arrow block (→ ⇒ ➜ ➔ ➡ ⟶ ⤏ ...) and the pointers ▶ ►: "What is X? ➜ Y".
_ARROWS = "\u2190-\u21ff\u2794-\u27bf\u27f0-\u27ff\u2900-\u297f\u25b6\u25ba"
# "What is X? | Y", "What is X? => Y", "What is X?\tY", "What is X? - Y", "What is X?: Y": a pair on one line.
_SEPARATED_PAIR = re.compile(
    rf"^(?P<q>[^\n]{{3,300}}?[?\uff1f\u061f;][\"'\u201d\u2019\u00bb\u300d\u300f]?)\s*(?:\||=>|->|[{_ARROWS}]|[:\uff1a]|\t|\s[-\u2013\u2014~]\s)\s*(?P<a>\S.*)$"
)


def _separated_pair(text: str) -> Any:
    match = _SEPARATED_PAIR.match(text)
    return match if match and _ends_question(match["q"].rstrip(_CLOSERS)) else None  # '"What is X?" => Paris'


_PAIR_SEPARATOR_MARKS = tuple("-\u2013\u2014:\uff1a|=>")  # and, past ASCII, the arrows
_PAIR_SEPARATOR = re.compile(rf"^(?:[-\u2013\u2014:\uff1a|=>{_ARROWS}]+\s*)+")


def _bold_question(raw: str) -> tuple[str, str] | None:
    """``"**What is X?** Paris"`` (a line) -> ``("What is X?", "Paris")``: a bold question with its answer
    after it on the line."""
    if _lead(raw) not in "*_":
        return None  # (most lines: no bold first, and no copy made)
    stripped = raw.strip()
    mark = stripped[:2]
    if mark not in ("**", "__"):
        return None
    close = stripped.find(mark, 2)
    if close < 0 or close + 2 == len(stripped) or not _ends_question(stripped[2:close].rstrip()):
        return None  # (a bold heading, or no question in bold)
    question, answer = _demark(stripped[2:close]), stripped[close + 2 :].strip()
    if answer.startswith(_PAIR_SEPARATOR_MARKS):
        answer = _PAIR_SEPARATOR.sub("", answer)
    answer = _demark(answer)
    return (question, answer) if answer and not _has_qmark(answer) else None


def _split_at_question_mark(text: str) -> tuple[str, str | None]:
    """``"What is X? Paris."`` -> ``("What is X?", "Paris.")`` for unlabelled items; the separator
    between them (``=>``, ``|``, a dash, a tab) is dropped."""
    if text.isascii():  # the only question mark is "?"
        idx = text.find("?")
    else:
        marks = [i for i in (text.find(m) for m in _QMARKS) if i >= 0]
        if ";" in text and _GREEK.search(text):
            marks.append(text.find(";"))
        idx = min(marks) if marks else -1
    while 0 <= idx < len(text) - 1 and text[idx + 1] in _CLOSERS:
        idx += 1  # '"What is X?" - Paris': the quote closes the question
    if idx < 0 or idx == len(text) - 1:
        return text, None
    rest = text[idx + 1 :].strip()
    if rest.startswith(_PAIR_SEPARATOR_MARKS) or not rest[:1].isascii():
        rest = _PAIR_SEPARATOR.sub("", rest)
    elif rest[:2] == "~ ":
        rest = rest[2:].lstrip()  # "What ...? ~ Paris" (but "~330 m", no space, is "about 330 m")
    if not rest or _ends_question(rest):
        return text, None
    return text[: idx + 1].strip(), rest


# ------------------------------------------------------------------------------------------
# QA section
# ------------------------------------------------------------------------------------------
# A multiple-choice option under a question: "A) Paris", "(b) 1889", "C. Lyon", "[D] Nice".
_OPTION = re.compile(r"^\s*(?:[-*]\s+)?[(\[]?([A-Ha-h])(?:[)\].:]|\s[-\u2013\u2014])\s+(\S.*)$")
# An answer naming an option: "B", "(B)", "B) Paris", "Option B", "B - Paris".
_CHOSEN = re.compile(r"^(?:(?i:option|choice)\s+)?[(\[]?([A-Ha-h])(?:[)\].:]|\s[-\u2013\u2014]|$)\s*(.*)$")


_OPTIONS_LABEL = re.compile(rf"^(?i:{_alt(V.OPTION_LABELS)})\s*[:\uff1a]\s*")
_INLINE_OPTION = re.compile(r"(?:^|(?<=\s))[(\[]?([A-Ha-h])[)\].:]\s+")


_OPTION_LABEL_LEADS = frozenset(w[0] for w in V.OPTION_LABELS)


def _may_list_options(line: _Line) -> bool:
    """Whether ``line`` can start a one-line list of options (``_inline_options``): "A) ", "(A", "[A" or an
    options label first. A one-character test: most lines checked are their question's answer."""
    lead = line.clean[:1]
    if lead in "([" or lead in "Aa" and line.clean[1:2] in (")", ".", "]"):
        return True
    return line.kind != "answer" and lead.lower() in _OPTION_LABEL_LEADS


def _inline_options(text: str) -> dict[str, str] | None:
    """A question's options written on one line, labelled or not: "Options: A) Seville B) Granada" ->
    {"a": "Seville", "b": "Granada"}; None unless the options follow each other from "A", two or more after
    a label, three or more without one ("A: Vitamin B. It ..." is an answer)."""
    label = _OPTIONS_LABEL.match(text)
    body = text[label.end() :] if label else text
    first = _INLINE_OPTION.match(body)
    if first is None or first[1] not in "Aa":
        return None  # (most lines: an answer, a question)
    marks = list(_INLINE_OPTION.finditer(body))
    if len(marks) < (2 if label else 3) or "".join(m[1].lower() for m in marks) != "abcdefgh"[: len(marks)]:
        return None
    ends = [m.start() for m in marks[1:]] + [len(body)]
    options = {m[1].lower(): body[m.end() : end].strip() for m, end in zip(marks, ends)}
    return options if all(options.values()) else None


class _Pair:
    __slots__ = ("question", "answer", "listed", "options", "tentative")

    def __init__(self, question: str):
        self.question: list[str] = [question] if question else []
        self.answer: list[str] | None = None
        # The answer is what followed the question mark, unlabelled ("What is X? (2 points)"): an answer
        # label on the next line replaces it.
        self.tentative = False
        self.listed = False  # answers listed as items under an empty "Answer:" label
        self.options: dict[str, str] = {}  # multiple-choice options by lower-case letter

    def q_text(self) -> str:
        return _squeeze(" ".join(self.question))

    def a_text(self) -> str:
        items = [_squeeze(a) for a in self.answer or []]
        text = (", " if self.listed else " ").join(a for a in items if a).strip()
        if self.options:
            if not text:  # options and no answer label: the items are the answer list
                return ", ".join(self.options.values())
            chosen = _CHOSEN.match(text)
            if chosen and chosen[1].lower() in self.options:
                # "B) Paris" or "B": the option's text, whichever the answer spells out
                return chosen[2].strip() or self.options[chosen[1].lower()]
        return text


def _is_group_title(lines: list[str], k: int, line: _Line) -> bool:
    """"2. Architecture" above "2.1 ...?" items: a title that groups questions, not an answer."""
    if not line.numbered or line.sublevel or _has_qmark(line.text) or not _is_title(line.text):
        return False
    following = next((x for x in lines[k + 1 :] if x.strip()), None)
    return following is not None and _line(following).sublevel


class _QAReader:
    """Reads the lines of a QA section into pairs, one line at a time; ``feed`` returns False at
    the end of the pairs (a reference list, a note, trailing material)."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.pairs: list[_Pair] = []
        self.current: _Pair | None = None
        self.blank_after_answer = False
        self.annotating = False  # inside an "Explanation: ..." after an answer
        # "Questions: 1. ... 2. ...  Answers: 1. ... 2. ...": answers that fill earlier questions in order.
        self.answer_queue: list[_Pair] = []
        # The last line taken as no question (ignored, or added to an answer): when an answer label
        # follows it, it was the next question, written without a question mark.
        self.loose: tuple[_Pair | None, str] | None = None

    def start(self, question: str, inline_answer: str | None = None) -> None:
        self.loose = None
        pair = _Pair(question)
        if inline_answer is not None:
            pair.answer = [inline_answer]
        self.pairs.append(pair)
        self.current = pair

    def feed(self, k: int, raw: str) -> bool:
        lead = _lead(raw)
        if not lead or _is_rule(raw, lead):
            if self.current is not None and self.current.answer:
                self.blank_after_answer = True
            return True
        line = _line(raw)
        after_blank, self.blank_after_answer = self.blank_after_answer, False
        if line.kind == "references":
            return False  # a reference list ends the pairs; its titles may end with "?"
        if line.kind == "annotation":
            self.annotating = True
            return True
        if self.annotating and line.kind not in ("question", "answer", "header") and not (
            line.numbered and _has_qmark(line.text)
        ):
            return True
        self.annotating = False
        if self.on_option(k, raw, lead, line):
            return True
        if line.kind in ("empty", "header") or line.numbered and _is_group_title(self.lines, k, line):
            return True
        if self.answer_queue and line.kind != "question":
            if line.text:
                self.answer_queue.pop(0).answer = [line.text]
            return True
        if line.kind == "question":
            self.answer_queue = []
            self.start(*_split_inline_answer(line.text))
            return True
        if line.kind == "answer":
            self.on_answer(line.text)
            return True
        if line.text[:1] in _DOTTED_ANSWER_LETTERS and (cut := _after_dotted_letter(line.text)) and self.current is not None \
                and not self.current.answer and not line.numbered:
            self.on_answer(line.text[cut:].strip())  # "R. Nel centro di Roma." under "D. Dove ...?", "R.- En 1333."
            return True
        if line.numbered or line.bulleted:
            return self.on_item(line, after_blank)
        return self.on_plain(line.text, after_blank, raw)

    def on_option(self, k: int, raw: str, lead: str, line: _Line) -> bool:
        """A multiple-choice option under a question still waiting for its answer: "A) ...", then
        "B) ...". A lone "A) ..." is the answer in "Q) ... A) ..." layouts, so the first option
        counts only when the next line is option B."""
        current = self.current
        if current is None or current.answer or self.answer_queue:
            return False
        if not current.options and _may_list_options(line) and (inline := _inline_options(line.clean)):
            current.options = inline  # "Options: A) Seville B) Granada C) Madrid" on one line
            return True
        if lead not in _OPTION_LEADS or lead in "-*" and not raw.lstrip()[1:2].isspace():
            return False  # an option starts with its letter, a bracket, or a list marker and a space
        option = _OPTION.match(raw)
        if option is None or _has_qmark(option[2]) or _Q_LABEL.match(option[2]) or _A_LABEL.match(option[2]):
            return False
        letter = option[1].lower()
        if letter != "abcdefgh"[len(current.options)]:
            return False
        if not current.options:
            following = next((x for x in self.lines[k + 1 :] if x.strip()), "")
            second = _OPTION.match(following)
            if second is None or second[1].lower() != "b":
                return False
        current.options[letter] = _demark(option[2])
        return True

    def on_answer(self, text: str) -> None:
        current = self.current
        if text and self.loose is not None and (current is None or current.answer):
            # "1. Name the river it spans" (no question mark), then "Answer: ...": that line asked
            owner, asked = self.loose
            if owner is not None and owner.answer and owner.answer[-1] == asked and len(owner.answer) > 1:
                owner.answer.pop()
            if owner is None or owner.answer:
                self.start(asked)
                current = self.current
        self.loose = None
        if current is None:
            return
        if not text:
            pending = [p for p in self.pairs if not p.answer]
            if len(pending) >= 2 and pending[-1] is current:
                self.answer_queue = pending
                return
        if current.answer is None or not current.answer or current.tentative and text:
            current.answer = [text] if text else []
            current.listed = not text
        else:
            current.answer.append(text)
        current.tentative = False

    def on_item(self, line: Any, after_blank: bool) -> bool:
        """A numbered or bulleted line: a question, or the current question's answer (or one of its items)."""
        text, current = line.text, self.current
        awaiting_answer = current is not None and not current.answer and _ends_question(current.q_text())
        if _has_qmark(text) and not (awaiting_answer and line.bulleted and not line.numbered and not _ends_question(text)):
            q, a = _split_inline_answer(text)
            tentative = a is None
            if tentative:
                q, a = _split_at_question_mark(text)
            self.start(q, a)
            self.current.tentative = tentative and a is not None
            return True
        if current is None:
            self.loose = (None, text)
            return True
        if not current.answer:
            current.answer = [text]
        elif after_blank and not line.bulleted:
            return False  # a numbered non-question after the pairs: trailing material
        else:
            current.answer.append(text)
            self.loose = (current, text)
        return True

    def on_plain(self, text: str, after_blank: bool, raw: str) -> bool:
        current = self.current
        if current is not None and (current.answer or self.pairs) and _NOTE.match(text):
            return False
        if (current is None or current.answer) and (pair := _bold_question(raw)):
            self.start(*pair)
            return True
        if (current is None or current.answer) and _has_qmark(text):
            body = raw.strip()  # the raw line: a tab may be the separator
            if body[:1] == "|" and body[-1:] == "|":
                body = body[1:-1].strip()  # "| What ...? | Paris |": a table row without a header
            separated = _separated_pair(body)
            if separated:
                self.start(_demark(separated["q"]), _demark(separated["a"]))
                return True
        if _ends_question(text) and len(text) < 400 and (current is None or current.answer):
            self.start(*_split_inline_answer(text))
            return True
        if current is None:
            self.loose = (None, text)
            return True
        if current.answer is None or not current.answer:
            if current.question and _ends_question(current.q_text()) or current.answer is not None:
                current.answer = [text]
                current.listed = False
            else:
                current.question.append(text)
        elif after_blank:
            return False  # an unlabelled paragraph after a finished pair is a note, not the answer
        else:
            current.answer.append(text)
            current.listed = False
            self.loose = (current, text)
        return True


def _parse_qa_lines(lines: list[str]) -> list[tuple[str, str]]:
    return _read_qa_sections(lines)[0]


structured.read_pair_lines = _parse_qa_lines  # pairs written as strings inside JSON or YAML: ["Q: ...? A: ..."]


def _read_qa_sections(lines: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The pairs in ``lines``, and the article paragraphs written between them.

    The reader stops at material that is not a pair (a paragraph after a finished pair, a note, a
    reference list). When questions follow it again, that material was the article interleaved
    with its pairs; otherwise it is an epilogue, and dropped.
    """
    pairs: list[tuple[str, str]] = []
    between: list[str] = []
    start = 0
    while start < len(lines):
        section = lines[start:]
        reader = _QAReader(section)
        stop = len(section)
        for k, raw in enumerate(section):
            if not reader.feed(k, raw):
                stop = k
                break
        pairs += [(p.q_text(), p.a_text()) for p in reader.pairs]
        rest = section[stop:]
        resume = _qa_start(rest) if rest else None
        if resume is None or stop + resume == 0:  # nothing more, or no progress
            if between and rest:  # the article went on between the pairs: its last paragraphs may follow them
                between += [""] + _prose(rest)
            break
        between += [""] + _prose(rest[:resume])
        start += stop + resume
    return pairs, between


def _prose(lines: list[str]) -> list[str]:
    """``lines`` without reference lists and without the paragraphs that are notes or chatter."""
    out: list[str] = []
    paragraph: list[str] = []
    for raw in _drop_references(lines) + [""]:
        if raw.strip():
            paragraph.append(raw)
            continue
        if paragraph:
            first = _demark(paragraph[0])
            if not (_NOTE.match(first) or _CHATTER.match(first) or _REFUSAL.match(first)):
                out += paragraph + [""]
            paragraph = []
    return out


_TERMINAL = tuple(".!?)]\"'\u201d\u2019\u00bb\u3002\uff01\uff1f\u0964\u0965\u06d4\u061f\u0589\u1362\u2026\u104b\u17d4")  # what a finished answer ends with
_DANGLING_MARKS = tuple(",:;(-\u2013\u2014/&")
_DANGLING_WORDS = frozenset(
    "the a an of and or to in on with for by at from is was were are which that as its their his her this these "
    "during between into than but".split()
)


def _dangling(answer: str) -> bool:
    """``answer`` ends mid-sentence (a comma, a dash, "the", "of"...): cut off by the token limit."""
    if answer.endswith(_DANGLING_MARKS):
        return True
    start = len(answer)
    while start and (answer[start - 1].isalnum() or answer[start - 1] == "_"):
        start -= 1  # the last word
    return answer[start:].lower() in _DANGLING_WORDS


_CITATION = re.compile(
    r"\s*(?:[(\[](?:[^()\[\]]*\b(?:paragraph|para|sentence|line|section|source|sources|see|cited|citation|"
    r"found in|from the (?:article|text|passage)|reference|ref)\b[^()\[\]]*)[)\]]|\[\d{1,3}\])\s*$",
    re.I,
)
_QUOTES = (('"', '"'), ("\u201c", "\u201d"), ("\u00ab", "\u00bb"), ("\u300c", "\u300d"), ("'", "'"), ("\u2018", "\u2019"),
           ("\u201e", "\u201c"), ("\u201a", "\u2018"), ("\u201d", "\u201d"), ("\u00bb", "\u00ab"), ("\u2039", "\u203a"),
           ("\u300e", "\u300f"), ("\uff02", "\uff02"))  # also German „…“ ‚…‘, Swedish ”…”, »…«, ‹…›, 『…』


_QUOTE_OPENERS = tuple(left for left, _ in _QUOTES)


def _unquote(text: str) -> str:
    """``text`` without outer quotes (straight, curly, guillemets, corner brackets) around all of it."""
    if not text.startswith(_QUOTE_OPENERS):
        return text
    for left, right in _QUOTES:
        inner = text[1:-1]
        if len(text) > 2 and text.startswith(left) and text.endswith(right) and left not in inner and right not in inner:
            return text[1:-1].strip()
    return text


def _clean_question(question: str) -> str:
    return _unquote(question.strip())


_ANSWER_LEAD_MARKS = ("-", "\u2013", "\u2014", ":", "|")
_ANSWER_LEAD = re.compile(r"^[-\u2013\u2014:|]+\s*")  # "- Paris", ": Paris", "| Paris"


def _clean_answer(answer: str) -> str:
    if answer.startswith(_ANSWER_LEAD_MARKS):
        answer = _ANSWER_LEAD.sub("", answer)
    answer = answer.strip()
    if answer.endswith((")", "]")):
        answer = _CITATION.sub("", answer).strip()
    if answer.startswith("(") and answer.endswith(")"):
        answer = answer[1:-1].strip()
    return _unquote(answer)


# A word label of no known vocabulary: one to three words, maybe a number, a colon ("Interviewer:", "Soal 3:").
# A letter, or a combining mark of the scripts that write vowels with them (Devanagari, Bengali, Tamil, Thai,
# Myanmar, Khmer, ...: "উত্তর", "பதில்"), which Python's \\w leaves out.
_MARKED_LETTER = r"(?:[^\W\d_]|(?!\d)[\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff])"
_LABEL_WORD = rf"{_MARKED_LETTER}(?:{_MARKED_LETTER}|['\u2019-])*"
_WORD_LABEL = re.compile(rf"^({_LABEL_WORD}(?: {_LABEL_WORD}){{0,2}})\s*\d{{0,3}}\s*[:\uff1a]\s*(?=\S)")


def _colon_in(text: str) -> bool:
    return ":" in text or "\uff1a" in text


def _shared_label(texts: list[str], label: re.Pattern, fold_case: bool = False) -> list[re.Match] | None:
    """``label``'s match on each of ``texts`` when every one of them starts with the same label (its
    group 1; in any case with ``fold_case``), else None: a label told by its repetition."""
    found = [label.match(t) for t in texts]
    if not all(found) or len({m[1].lower() if fold_case else m[1] for m in found}) != 1:
        return None
    return found


def _without_shared_label(texts: list[str]) -> list[str]:
    """``texts`` without the word label every one of them starts with: a label of a vocabulary the parser
    does not know (a speaker's name, another language's word), told by its repetition on two or more."""
    if len(texts) < 2 or not all(map(_colon_in, texts)):
        return texts
    found = _shared_label(texts, _WORD_LABEL, fold_case=True)
    return texts if found is None else [t[m.end() :] for t, m in zip(texts, found)]


# A label of one letter with no colon or dot, its number optional: "Q What ...?" / "A The ...", "Q2 Why ...?".
_BARE_LETTER_LABEL = re.compile(r"^([^\W\d_])(\d{0,3}) (?=\S)")
# Only letters that are no word of a language in the table: Russian "В" and Czech "V" ("in") open many
# questions, Portuguese "O" ("the") many answers.
_BARE_QUESTION_LETTERS = frozenset("Q\uff31")
_BARE_ANSWER_LETTERS = frozenset("A\uff21R")


def _without_bare_letters(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` without the bare letter labels on every question ("Q ...?") and then every answer
    ("A ..."): a question rarely starts with a lone letter, so repeated on two or more it is a label, and
    then the answers' shared "A " is one too (alone, "A palace and ..." is an answer's own word)."""
    if len(pairs) < 2 or pairs[0][0][1:2] not in (" ", *"0123456789"):
        return pairs  # (most questions: a word first)
    questions = _shared_label([q for q, _ in pairs], _BARE_LETTER_LABEL)
    if questions is None or questions[0][1] not in _BARE_QUESTION_LETTERS:
        return pairs
    answers = _shared_label([a for _, a in pairs], _BARE_LETTER_LABEL)
    cuts = [m.end() for m in answers] if answers and answers[0][1] in _BARE_ANSWER_LETTERS else [0] * len(pairs)
    return [(q[mq.end() :], a[cut:]) for (q, a), mq, cut in zip(pairs, questions, cuts)]


def _finish_pairs(raw_pairs: list[tuple[str, str]]) -> list[dict]:
    if len(raw_pairs) >= 2 and _colon_in(raw_pairs[0][0] + raw_pairs[0][1]):  # (no label on the first pair: none)
        questions = _without_shared_label([q for q, _ in raw_pairs])
        raw_pairs = list(zip(questions, _without_shared_label([a for _, a in raw_pairs])))
    raw_pairs = _without_bare_letters(raw_pairs)
    pairs = [(_clean_question(q), _clean_answer(a)) for q, a in raw_pairs]
    if pairs:
        q, a = pairs[-1]
        others = [x for _, x in pairs[:-1] if x]
        punctuated = sum(1 for x in others if x.endswith(_TERMINAL))
        truncated = (
            not a
            or _dangling(a)
            or (len(others) >= 2 and punctuated >= 0.75 * len(others) and not a.endswith(_TERMINAL))
        )
        if truncated:
            pairs = pairs[:-1]
    return [{"question": q, "answer": a} for q, a in _distinct(pairs) if q and a]


def _distinct(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs without back-to-back repeats: a decoding loop repeats the pair it is stuck on (its last,
    cut-off copy a prefix of it). The same pair again later is kept: a model may ask it twice."""
    out: list[tuple[str, str]] = []
    for q, a in pairs:
        if out:
            last_q, last_a = out[-1]
            if last_a.lower().startswith(a.lower()) and " ".join(q.lower().split()) == " ".join(last_q.lower().split()):
                continue
        out.append((q, a))
    return out


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


def _column(words: tuple[str, ...]) -> tuple[frozenset, re.Pattern]:
    """The words that name a table column, and a pattern that finds the longer ones in a phrase."""
    return frozenset(words), re.compile(_alt(w for w in words if len(w) > 2))


_QUESTION_COLUMN, _ANSWER_COLUMN = _column(V.QUESTION_WORDS), _column(V.ANSWER_WORDS)


def _names(cell: str, column: tuple[frozenset, re.Pattern]) -> bool:
    """A table header cell naming a question (or answer) column: a label word, alone or in a phrase."""
    words, within = column
    cell = cell.strip().rstrip(":").strip()
    return cell in words or cell.rstrip("s") in words or within.search(cell) is not None


_TABLE_RULE = re.compile(r":?-{2,}:?")


def _find_table(lines: list[str]) -> tuple[int, int, list[tuple[str, str]]] | None:
    """The first markdown table with Question and Answer columns: (start, end, pairs)."""
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        cells = [c.lower() for c in _table_cells(line)]
        q_col = next((j for j, c in enumerate(cells) if _names(c, _QUESTION_COLUMN)), None)
        a_col = next((j for j, c in enumerate(cells) if _names(c, _ANSWER_COLUMN)), None)
        if q_col is None or a_col is None or q_col == a_col:
            continue
        pairs = []
        end = i + 1
        while end < len(lines) - 1 and not lines[end].strip() and lines[end + 1].lstrip()[:1] in ("|", ""):
            end += 1  # blank lines between the header and its rows (an HTML table's head and body)
        while end < len(lines) and lines[end].lstrip().startswith("|"):
            row = _table_cells(lines[end])
            end += 1
            if all(_TABLE_RULE.fullmatch(c.strip()) or not c.strip() for c in row):
                continue
            if max(q_col, a_col) < len(row):
                pairs.append((row[q_col], row[a_col]))
        return i, end, pairs
    return None


def _try_structured(text: str) -> dict | None:
    """``{context, qas}`` from a JSON, JSON Lines, YAML, TOML or XML-like block, when the text holds one."""
    found = structured.extract(text)
    if found is None:
        return None
    article, pairs, outside = found
    if article:
        context = _article_text(_normalize(article).split("\n"))
    else:
        lines = outside.split("\n")
        while lines and (not lines[-1].strip() or _line(lines[-1]).kind == "header"):
            lines.pop()  # the header that opened the structured pairs ("Questions and answers:")
        context = _article_text(lines)
    return {"context": context, "qas": _finish_pairs([(_demark(q), _demark(a)) for q, a in pairs])}


# ------------------------------------------------------------------------------------------
# article
# ------------------------------------------------------------------------------------------
_SETEXT = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?:(?!\1).)+\1\s*:?\s*$")


def _bold_line(raw: str) -> bool:
    """A line that is all bold ("**Title**", "__Title__:"): a heading."""
    end = raw.rstrip()
    if end.endswith(":"):
        end = end[:-1].rstrip()
    return end.endswith(("**", "__")) and _BOLD_LINE.match(raw) is not None


_WIKI_HEADING = re.compile(r"^\s*(=+)\s*[^=].*?\s*\1\s*$")


def _is_title(text: str) -> bool:
    """A short line without sentence punctuation (of any script, before closing quotes and brackets):
    a title, not the article's first sentence."""
    if len(text) >= 80 or text.rstrip().rstrip(_CLOSERS).endswith(_SENTENCE_MARKS):
        return False
    # Thai, Lao and Khmer write sentences without a closing mark: there a title is short as well.
    return len(text) <= 24 or text.isascii() or not _UNPUNCTUATED_SCRIPT.search(text)


_UNPUNCTUATED_SCRIPT = re.compile("[\u0e00-\u0eff\u1780-\u17ff]")


_CLOSERS = "\"'\u201d\u2019\u00bb)]\uff09\u300d\u300f"
# Full stops, exclamation and question marks, colons, semicolons and commas: Latin, CJK, Devanagari
# (danda), Arabic and Urdu, Armenian, Ethiopic, Greek, the ellipsis, Myanmar, Khmer, Tibetan.
_SENTENCE_MARKS = tuple(".!?:;,\u3002\uff01\uff1f\uff1a\uff1b\uff0c\u0964\u0965\u06d4\u061f\u061b\u060c\u0589\u1362\u037e"
                        "\u2026\u104b\u17d4\u0f0d")


# "Born: 1832", "Height: 330 m": a key-value line of an article's fact list, kept on its own line.
_KEY_VALUE = re.compile(r"^[^\W\d_][^:\n]{0,30}[:\uff1a]\s*\S")


def _is_item(raw: str, clean: str, lead: str) -> bool:
    """A list item or key-value line (``lead``: its first character): it keeps its own line in the article."""
    if _bulleted(raw, lead) or _numbered(raw, lead):
        return True
    if clean.find(":", 1, 32) < 0 and clean.find("\uff1a", 1, 32) < 0:
        return False  # no colon where a key's would be (most lines): the pattern cannot match
    match = _KEY_VALUE.match(clean)
    return bool(match) and len(clean.split(":", 1)[0].split()) <= 4 and len(clean) < 160


def _heading_text(raw: str) -> str:
    text = raw.strip()
    wiki = _WIKI_HEADING.match(text)
    if wiki:
        text = text.strip("=").strip()
    return _demark(text).rstrip(":\uff1a").strip()


_BARE_NUMBER = re.compile(r"^\s*\(?\d{1,3}[.)]\s*$")


def _article_text(lines: list[str]) -> str:
    """The article in ``lines``: its paragraphs, with its own section headings, lists and key-value
    lines each on their own line; without a title above it, labels, chatter and restated instructions."""
    paragraphs: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []

    def close() -> None:
        nonlocal current
        if current:
            paragraphs.append(current)
            current = []

    first_content = True
    restating = False  # inside the task the model wrote back before the article
    titled = False  # the article's title was given (a first heading, or "Article: <title>")
    setext = {i for i in range(len(lines) - 1)
              if lines[i + 1][:1] in ("=", "-") and lines[i].strip() and _SETEXT.match(lines[i + 1]) and not _RULE.match(lines[i])}
    for k, raw in enumerate(lines):
        lead = _lead(raw)
        if k in setext or lead in _HEADING_LEADS and (_HEADING.match(raw) or _bold_line(raw) or _WIKI_HEADING.match(raw)):
            close()
            # The first heading above the article is its title, not its text; the headings after
            # it are the article's own section headings.
            heading = _heading_text(raw)
            label = _ARTICLE_LABEL.match(heading) if heading else None
            if label:
                paragraphs.clear()  # what came before the article's own label is not the article
                titled = titled or bool((label["rest"] or "").strip())
            elif heading and not _is_qa_header(heading):
                if paragraphs or titled:
                    paragraphs.append([(heading, True)])
                titled = True
            continue
        if not lead or _is_rule(raw, lead):
            close()
            restating = False
            continue
        if len(raw) < 10 and _BARE_NUMBER.match(raw):
            continue  # "1." alone: the number of a pair written on the lines under it
        known = _LINES.get(raw)  # the line was classified already (most article lines are, by _qa_start)
        clean = known.clean if known is not None else _demark(_unbullet(_QUOTE.sub("", raw) if ">" in raw else raw)[0])
        if first_content and (_CHATTER.match(clean) and clean.endswith((":", "!", ".")) and len(clean) < 300
                              or clean.endswith((":", "\uff1a")) and len(clean) < 300 and _NAMES_THE_WORK.search(clean)
                              or _INSTRUCTION.match(clean) and len(clean) < 800
                              or _REFUSAL.match(clean) and len(clean) < 300):
            first_content = False  # "Sure! Here is ...", the task restated, an apology: not the article
            restating = bool(_INSTRUCTION.match(clean)) or _restated(clean)  # "Here is my plan:" and its steps
            continue
        if not paragraphs and not current and len(clean) < 400 and _restated(clean):
            first_content, restating = False, True  # "Task: ...", "Criteria:", "1: The question should ..."
            continue
        if restating and not paragraphs and not current and (_is_item(raw, clean, lead) or clean.endswith(":")):
            continue  # the restated task's own list
        first_content = restating = False
        label = (_ARTICLE_LABEL.match(clean) if len(clean) < 60 or clean.find(":", 0, 80) >= 0 or clean.find("\uff1a", 0, 80) >= 0
                 else None)
        if label is None and known is not None and known.numbered and len(known.text) < 60:
            numbered = _ARTICLE_LABEL.match(known.text)  # "1. Article": a numbered section of the output
            if numbered is not None and not (numbered["rest"] or "").strip():
                close()
                paragraphs.clear()
                continue
        if label:
            rest = (label["rest"] or "").strip()
            if label["label"].lower() in ("title", "heading") or "title" in label["label"].lower() or not rest or _is_title(rest):
                close()
                titled = titled or bool(rest)
                continue
            close()
            paragraphs.clear()  # "Image description: ...", then "Article: ...": the article starts here
            clean = rest
        if clean and not (len(clean) < 80 and _meta_line(clean)):
            current.append((clean, not label and _is_item(raw, clean, lead)))
    close()
    return "\n\n".join(_join_lines(p) for p in paragraphs)


_TAGLINES = frozenset(V.WIKIPEDIA_TAGLINES)
_WORD_COUNT = re.compile(  # "(Word count: 250)", "Length: 250 words": a count, never a fact ("Length: 330 m")
    r"^[(\[]?\s*(?:(?:approximate|total|estimated)\s+)?(?:word\s+count\s*[:\uff1a=]?\s*(?:about\s+|~)?\d[\d,]*(?:\s*words)?"
    r"|(?:words|length)\s*[:\uff1a=]\s*(?:about\s+|~)?\d[\d,]*\s*words)\s*[)\]]?\.?$", re.I)


def _meta_line(clean: str) -> bool:
    """A line about the article, not of it: Wikipedia's tagline copied under the title, a word count."""
    if "iki" in clean or not clean.isascii() and any(map(clean.__contains__, ("维基", "維基", "Википеди", "ウィキ", "위키"))):
        return clean.lower().strip(" .*_()") in _TAGLINES
    return ("ord" in clean or "ength" in clean) and _WORD_COUNT.match(clean) is not None


# What an introduction to the article names ("Based on the image, here is a Wikipedia-style article:").
_NAMES_THE_WORK = re.compile(r"\b(?:article|wikipedia|image|picture|photo(?:graph)?)\b", re.I)


def _join_lines(paragraph: list[tuple[str, bool]]) -> str:
    """Wrapped prose lines joined with spaces; a list item or key-value line on its own line."""
    out = paragraph[0][0]
    for (_, was_item), (text, is_item) in zip(paragraph, paragraph[1:]):
        out += ("\n" if was_item or is_item else " ") + text
    return out


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------
def _qa_start(lines: list[str]) -> int | None:
    """Index of the first line of the QA section, or None for article-only output."""
    in_references = False
    previous: tuple[int, _Line] | None = None  # the last content line before this one
    for i, raw in enumerate(lines):
        lead = _lead(raw)
        if not lead or lead in _MARK_LEADS and _RULE.match(raw):
            continue
        line = _line(raw)
        if line.kind == "answer" and line.text and previous is not None and _asks_without_mark(previous[1]):
            return previous[0]  # "1. Name the river it spans", then "Answer: ..."
        previous = (i, line)
        if line.kind == "references":
            in_references = True  # its titles may end with "?": not questions
            continue
        if line.kind == "header" or line.kind == "question":
            return i
        if in_references:
            in_references = line.numbered or line.bulleted
            if in_references:
                continue
        if line.kind == "text" and line.numbered and _has_qmark(line.text):
            return i
        if line.kind == "text" and line.bulleted and _has_qmark(line.text) and _split_inline_answer(line.text)[1]:
            return i  # "- What is X? (Answer: Y)"
        if line.kind == "text" and lead in "*_" and _bold_question(raw):  # (the lead known here: no call for most lines)
            return i  # "**What is X?** Paris"
        if line.kind == "text" and _ends_question(line.text) and _bold_line(raw.strip()):
            return i
        if line.kind == "text" and _has_qmark(line.text) and _separated_pair(raw.strip()):
            return i
    return None


def _asks_without_mark(line: _Line) -> bool:
    """A line that can be a question written without a question mark, when an answer label follows it:
    a list item, or a short line that is no sentence of an article's (an imperative ends without one)."""
    if line.kind != "text" or not line.text:
        return False
    return (line.numbered or line.bulleted) and len(line.text) < 200 or len(line.text) < 150 and not line.text.endswith(".")


def _bare_pairs_start(lines: list[str]) -> int | None:
    """Pairs with no label or number at all: a short line ending with a question mark, then a short
    line that is no question, twice or more (once, when nothing follows). The first such question."""
    found: list[int] = []
    content = [i for i, raw in enumerate(lines) if raw.strip()]
    for n, i in enumerate(content[:-1]):
        question = _demark(lines[i])
        if len(question) > 200 or not _ends_question(question) or _has_qmark(question[:-1]):
            continue
        answer = _demark(lines[content[n + 1]])
        if answer and len(answer) <= 100 and not _has_qmark(answer) and not _SENTENCE_BREAK.search(answer):
            found.append(n)
    if not found:
        return None
    last_answer = _demark(lines[content[found[0] + 1]])
    if len(found) >= 2 or (found[0] + 2 == len(content) and not last_answer.endswith(".")):
        return content[found[0]]
    return None


_SENTENCE_BREAK = re.compile(r"[.!。！]\s+\S")  # two sentences: prose, not a short answer


_ARTICLE_HINTS = ("article", "wiki", "context", "passage")
_ARTICLE_HINTS_ZH = _ARTICLE_HINTS + tuple(V.ARTICLE_HEADERS_ZH)


def _names_article(lower: str) -> bool:
    """``lower`` (lower-case text) holds a word that names an article (the Chinese ones only where
    the text is not plain ASCII)."""
    return any(map(lower.__contains__, _ARTICLE_HINTS if lower.isascii() else _ARTICLE_HINTS_ZH))


def _article_after(lines: list[str], start: int) -> int | None:
    """The article written after the QA section: the index of its header line, if there is one."""
    if not _names_article("\n".join(lines[start + 1 :]).lower()):
        return None  # no line after the QA section names an article (most outputs): nothing to look at
    in_references = False
    for i in range(start + 1, len(lines)):
        raw = lines[i]
        if not raw.strip():
            continue
        lead = _lead(raw)
        if in_references and (_bulleted(raw, lead) or _numbered(raw, lead)):
            continue
        in_references = False
        stripped = raw.strip()
        if len(stripped) < 40 and _references_header(stripped):
            in_references = True  # "Sources:\n- Wikipedia": a source, not the article's header
            continue
        if not _names_article(raw.lower()):
            continue
        clean = _demark(_unbullet(_QUOTE.sub("", raw))[0])
        label = _ARTICLE_LABEL.match(clean)
        if label and "title" not in label["label"].lower() and label["label"].lower() not in ("heading", "标题"):
            return i
    return None


_REFERENCES_LEADS = frozenset(h[0] for h in V.REFERENCE_HEADERS) | frozenset(h[0].upper() for h in V.REFERENCE_HEADERS)


def _references_header(stripped: str) -> bool:
    """``stripped`` (a line) is a reference list's header, markup aside: "Sources:", "**References**"."""
    if stripped[:1].isalnum() and stripped[:1] not in _REFERENCES_LEADS:
        return False  # demarking keeps a leading letter or digit, and no header starts with this one
    return _REFERENCES.match(_demark(stripped)) is not None


def _drop_references(lines: list[str]) -> list[str]:
    """Lines without reference lists ("See also:", "References" and the items under them)."""
    out, skipping = [], False
    for raw in lines:
        if not raw.strip():
            out.append(raw)
            continue
        line = _line(raw)
        if line.kind == "references":
            skipping = True
            continue
        if skipping and (line.numbered or line.bulleted or raw.startswith((" ", "\t"))):
            continue
        skipping = False
        out.append(raw)
    return out


def parse_wiki_qa(text: Any) -> dict:
    """Parse one raw model output into ``{"context": str, "qas": [{"question", "answer"}, ...]}``.

    Non-strings, empty strings, refusals and ``Error: ...`` strings give an empty result.
    """
    if not isinstance(text, str):
        return empty_result()
    text = _cut_repetition(_strip_wrappers(_normalize(text)))
    if not text or _ERROR.match(text):
        return empty_result()

    result = _try_structured(text)
    if result is None:
        lines = text.split("\n")
        table = _find_table(lines) if "|" in text else None
        start = _qa_start(lines)
        if start is None and table is None:
            start = _bare_pairs_start(lines)
        if table is not None:
            t_start, t_end, table_pairs = table
            header_start = min(start, t_start) if start is not None else t_start
            result = {
                "context": _article_text(lines[:header_start]),
                "qas": _finish_pairs(table_pairs + _parse_qa_lines(lines[t_end:])),
            }
        elif start is None:
            result = {"context": _article_text(_drop_references(lines)), "qas": []}
        else:
            after = _article_after(lines, start)  # the QA section written before the article
            end = after if after is not None else len(lines)
            pairs, between = _read_qa_sections(lines[start:end])
            article = lines[:start] + between + [""] + (lines[after:] if after is not None else [])
            result = {"context": _article_text(_drop_references(article)), "qas": _finish_pairs(pairs)}

    if _REFUSAL.match(text):
        if not result["qas"]:
            return empty_result()
        # A pre-amble apology followed by real content: drop the apology sentence.
        first, _, rest = result["context"].partition("\n\n")
        result["context"] = rest if _REFUSAL.match(first) else result["context"]
    return result
