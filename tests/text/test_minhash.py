"""MinHash and the near-duplicate index: estimates match exact Jaccard, near copies are found,
unrelated texts are not, and keeping the arrays in files changes nothing."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow.text.minhash import MinHasher, NearDuplicateIndex, _hash_words, _word_blob, _word_bounds, lsh_params


def shingles(text: str, n: int = 3) -> set[str]:
    words = text.lower().split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def corpus(seed: int = 0, bases: int = 300, copies: int = 150):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20_000)]
    texts = [" ".join(rng.choice(vocab) for _ in range(120)) for _ in range(bases)]
    originals = {}
    for _ in range(copies):
        k = rng.randrange(len(texts))
        words = texts[k].split()
        words[rng.randrange(len(words))] = rng.choice(vocab)  # one word changed: about 0.95
        originals[len(texts)] = k
        texts.append(" ".join(words))
    return texts, originals


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9, 0.95])
def test_the_bands_make_a_pair_at_the_threshold_a_candidate_almost_always(threshold):
    bands, rows = lsh_params(threshold, 128)
    assert bands * rows <= 128 and 1 - (1 - threshold**rows) ** bands >= 0.98


def test_estimates_match_exact_jaccard():
    rng = random.Random(1)
    hasher = MinHasher()
    vocab = [f"w{i}" for i in range(50_000)]
    errors = []
    for _ in range(150):
        words = [rng.choice(vocab) for _ in range(150)]
        other = list(words)
        for _ in range(rng.randrange(0, 20)):
            other[rng.randrange(150)] = rng.choice(vocab)
        a, b = " ".join(words), " ".join(other)
        signatures, _ = hasher.signatures([a, b])
        errors.append((signatures[0] == signatures[1]).mean() - jaccard(a, b))
    assert abs(np.mean(errors)) < 0.01 and np.std(errors) < 0.05
    assert (MinHasher().signatures(["same text here please"])[0] == hasher.signatures(["same text here please"])[0]).all()


def test_near_copies_are_found_and_unrelated_texts_are_not(tmp_path):
    texts, originals = corpus()
    hasher = MinHasher()
    in_memory, in_files = NearDuplicateIndex(0.8), NearDuplicateIndex(0.8, folder=tmp_path)
    for start in range(0, len(texts), 64):  # added a chunk at a time, as a streaming step does
        signatures, has = hasher.signatures(texts[start : start + 64])
        in_memory.add(signatures, has)
        in_files.add(signatures, has)
    found = in_memory.earlier()
    assert (found == in_files.earlier()).all()
    for copy, original in originals.items():
        assert found[copy] >= 0 and jaccard(texts[copy], texts[found[copy]]) > 0.8
    # the earliest near duplicate is named: the copied text itself, or an earlier text it was copied from
    assert sum(1 for copy, original in originals.items() if found[copy] <= original) >= 0.95 * len(originals)
    flagged = {i for i in range(len(texts)) if found[i] >= 0}
    assert flagged <= set(originals)  # nothing among the unrelated texts


def test_texts_without_words_and_short_texts():
    signatures, has = MinHasher().signatures(["", None, "one", "two words", "one"])
    assert has.tolist() == [False, False, True, True, True]
    index = NearDuplicateIndex(0.8)
    index.add(signatures, has)
    assert index.earlier().tolist() == [-1, -1, -1, -1, 2]


# -- word hashes: a function of each word's bytes, computed for a whole chunk at once ----------------
_WORD = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \x00"), min_size=1, max_size=40)


def one_word_hash(word: bytes) -> int:
    """The hash of a single word, computed alone: the reference the chunk-wide hashing must equal."""
    return int(_hash_words(word, np.array([0]), np.array([len(word)]))[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_WORD, max_size=6), max_size=8))
def test_a_words_hash_is_the_same_alone_and_among_other_words(texts):
    data = "\x00".join(" ".join(words) for words in texts).encode("utf-8")
    starts, ends = _word_bounds(data)
    words = [w.encode("utf-8") for words in texts for w in words]
    assert [data[s:e] for s, e in zip(starts.tolist(), ends.tolist())] == words
    assert _hash_words(data, starts, ends).tolist() == [one_word_hash(w) for w in words]


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=40).filter(lambda b: b" " not in b and b"\x00" not in b), st.data())
def test_words_that_differ_in_one_byte_or_in_length_hash_apart(word, data):
    i = data.draw(st.integers(0, len(word) - 1))
    changed = word[:i] + bytes([(word[i] % 255) + 1 if word[i] % 255 + 1 not in (0x20, 0) else 0x41]) + word[i + 1 :]
    if changed != word:
        assert one_word_hash(changed) != one_word_hash(word)
    assert one_word_hash(word + b"a") != one_word_hash(word)


def test_a_word_hashes_alike_in_plain_ascii_and_in_other_texts():
    hasher = MinHasher()
    plain, _ = hasher.word_hashes(["The Louvre opened in 1793"])
    other, _ = hasher.word_hashes(["the louvre OPENED in 1793 — à Paris"])
    assert other[: len(plain)].tolist() == plain.tolist()
    assert len({*hasher.word_hashes([" ".join(f"w{i}" for i in range(20_000))])[0].tolist()}) >= 19_990


def test_word_counts_per_text():
    _, counts = MinHasher().word_hashes(["a b c", None, "", "東京 タワー", "x"])
    assert counts.tolist() == [3, 0, 0, len(MinHasher().words(["東京 タワー"])[0]), 1]
    assert _word_blob([]) == "" and MinHasher().words([]) == []
