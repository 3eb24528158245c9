"""The answer normaliser the quality operators share: whole words, numbers, width, articles."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow.text.match import (
    TokenIndex,
    answer_in,
    answer_tokens,
    normal_text,
    normal_texts,
    text_tokens,
)

CONTEXT = "The Louvre, in Paris, holds twelve departments and 38,000 objects; Ｔｏｋｙｏ is far. 巴黎的卢浮宫。"


@pytest.mark.parametrize(
    "answer, found",
    [
        ("Paris", True), ("paris!", True), ("The Louvre", True), ("louvre", True), ("a Louvre", True),
        ("12", True), ("twelve", True), ("38000", True), ("38,000", True), ("Tokyo", True),
        ("巴黎", True), ("卢浮宫", True), ("Par", False), ("ouvre", False), ("38", False),
        ("Paris, Tokyo", True), ("Paris and Louvre", True), ("Paris, London", False), ("", False), ("the", True),
    ],
)
def test_answer_in_context(answer, found):
    assert answer_in(TokenIndex.from_text(CONTEXT), answer) is found


def test_tokens():
    assert text_tokens("Jean-Paul's 1,200 (Twelve) items") == ["jean", "paul", "s", "1200", "12", "items"]
    assert answer_tokens("The Eiffel Tower") == ["eiffel", "tower"] and answer_tokens("The") == ["the"]
    assert text_tokens("in 1937 200 workers") == ["in", "1937", "200", "workers"]  # a space is no separator
    assert text_tokens(None) == [] and text_tokens("") == []


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.sampled_from(["one", "Twelve", "1,200", "3.5", "x,100", "The"]),
                          st.none()), max_size=6))
def test_the_fast_path_gives_the_same_words_as_the_tokeniser(texts):
    expected = [f" {' '.join(text_tokens(t))} " for t in texts]
    assert normal_texts(texts) == expected
    assert [normal_text(t) for t in texts] == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=20))
def test_the_substring_test_is_the_whole_word_test(context, answer):
    from dataflow.text.match import contains, strip_article_text

    words = answer_tokens(answer)
    assert TokenIndex.from_text(context).contains(words) == contains(text_tokens(context), words)
    assert strip_article_text(normal_text(answer)) == f" {' '.join(words)} "


@given(st.lists(st.sampled_from(["a", "an", "the", "The", "A", "then", "ant", "apple", "tower", "x", "1"]), max_size=4))
def test_one_leading_article_is_dropped_from_answers_of_two_words_or_more(words):
    from dataflow.text.match import strip_article_text

    answer = " ".join(words)
    assert strip_article_text(normal_text(answer)) == f" {' '.join(answer_tokens(answer))} "
    lowered = [w.lower() for w in words]
    expected = lowered[1:] if len(lowered) > 1 and lowered[0] in ("a", "an", "the") else lowered
    assert strip_article_text(normal_text(answer)).split() == expected
