"""The parser's shortcuts agree with the plain definitions they stand for.

Each fast path (a first-character or substring test before a pattern, a prefix tree for a word
alternation, a split in place of several scans) must give what the pattern or the scans give, on
any text: these properties compare the two on generated strings rich in the characters that matter.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow.text.wikiqa import parser as P
from dataflow.text.wikiqa import structured as S

# Characters the shortcuts look at: markup, separators, whitespace of every kind, question marks.
ALPHABET = st.sampled_from(list("aAbeEnNqQrRsStTuUwWxIVX19 \t\n\r\x0b\x0c\x1c\u00a0\u2003*_#=-`>[](),;:|?\"'")
                           + ["\uff1a", "\uff1f", "\u037e", "\u03b1", "\u4e2d", "\u2013", "\u2014", "uestion", "UESTION",
                              "Question", "Answer", "References", "Sources", "Note", "Explanation", "rompt", "uery"])
TEXTS = st.lists(ALPHABET, max_size=40).map("".join)
WORDS = st.lists(st.text(alphabet="abcAB \u00e9", min_size=1, max_size=5), min_size=1, max_size=12)


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_squeeze_is_split_and_join(text):
    assert P._squeeze(text) == " ".join(text.split())


@settings(max_examples=1500, deadline=None)
@given(TEXTS, TEXTS)
def test_squeeze_is_split_and_join_on_long_lines_too(head, tail):
    text = head + "w" * 64 + tail  # past the length from which the other whitespace is found by deleting it
    assert P._squeeze(text) == " ".join(text.split())


@settings(max_examples=800, deadline=None)
@given(WORDS, st.text(alphabet="abcAB \u00e9x", max_size=8))
def test_prefix_tree_alternation_prefers_the_longest_word_as_a_sorted_list_does(words, text):
    flat = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    tree = P._alt(words)
    for prefix in ("", "(?i:"):
        close = ")" if prefix else ""
        want = re.match(f"{prefix}(?:{flat}){close}", text)
        got = re.match(f"{prefix}(?:{tree}){close}", text)
        assert (want and want.group(0)) == (got and got.group(0))


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_delimited_hint_is_any_hint_a_tab_or_a_semicolon_header(text):
    semicolon_header = ";" in text and S._DELIMITED_HEADER.search(text) is not None
    assert S._delimited_hint(text) == ("\t" in text or semicolon_header or any(h in text for h in S._DELIMITED_HINTS))


_DANGLING = re.compile(
    r"(?:[,:;(\-\u2013\u2014/&]|\b(?:the|a|an|of|and|or|to|in|on|with|for|by|at|from|is|was|were|are|"
    r"which|that|as|its|their|his|her|this|these|during|between|into|than|but))$",
    re.I,
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["the", "The", "a", "an", "of", "bathe", "x", "1", "_", " ", ",", "-", "/", "&",
                                 "\u2014", ".", "Paris", "THESE", "é", "is"]), max_size=8).map("".join))
def test_dangling_is_the_trailing_pattern(answer):
    assert P._dangling(answer) == bool(_DANGLING.search(answer.rstrip("\n")))


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_guarded_line_patterns_match_as_the_patterns_do(text):
    assert P._bold_line(text) == bool(P._BOLD_LINE.match(text))
    lead = P._lead(text)
    assert P._is_rule(text, lead) == bool(P._RULE.match(text) or P._FENCE.match(text))
    assert bool(P._numbered(text, lead)) == bool(P._NUMBER.match(text))
    assert P._bulleted(text, lead) == bool(P._BULLET.match(text))
    stripped = text.strip()
    if stripped:
        assert P._references_header(stripped) == bool(P._REFERENCES.match(P._demark(stripped)))
    assert P._restated(text) == bool(P._RESTATED.match(text))
    assert P._has_qmark(text) == (any(m in text for m in P._QMARKS) or (";" in text and bool(P._GREEK.search(text))))


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_the_line_classifier_keeps_what_the_demarked_line_says(text):
    line = P._Line(text)
    body = P._unbullet(P._QUOTE.sub("", text) if ">" in text else text)[0]
    assert line.clean == P._demark(body)
    assert line.numbered == bool(P._NUMBER.match(line.clean))
