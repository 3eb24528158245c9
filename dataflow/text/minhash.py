"""Near-duplicate texts among millions: MinHash signatures computed in bulk with NumPy, and an LSH
index whose candidates are confirmed in bulk, without comparing every pair inside a big cluster.

* **Shingles.** A text's words (lower case, split at anything but letters and digits: plain ASCII
  texts of a chunk in one pass; others by ``text_tokens``) in runs of ``shingle_words``. Every word
  of a chunk is hashed at once in NumPy from its UTF-8 bytes (read as 64-bit lanes), each shingle
  a mix of its words' hashes, computed for the whole chunk at once.
* **Signatures.** For each of ``num_perm`` permutations ``x -> a*x + b (mod 2**32)`` (``a`` odd: a
  bijection of 32-bit values), the smallest permuted shingle of each text: NumPy over blocks of
  shingles, ``minimum.reduceat`` per text.
* **LSH.** Signatures cut into ``bands`` of ``rows`` values (the longest bands that still make a pair
  at the threshold a candidate 98% of the time); rows whose band values agree are candidates. Within a
  band's group of equal keys, each row is compared with the group's first row and with its
  predecessor only, so a cluster of k copies costs about 2k comparisons, not k²/2.
* **Confirmation.** The estimated Jaccard similarity (the share of equal signature values) of a
  band's candidate pairs at once, from signatures kept as their low 8 bits (b-bit MinHash: the
  chance agreement of 1/256 is corrected), 128 bytes a text; pairs that cannot change a text's
  answer are skipped.

``NearDuplicateIndex`` keeps what it needs in ``SpillArray``s: in memory, or in files in a folder,
so that a million texts hold only a few arrays of one value per text in memory at a time.
"""

from __future__ import annotations

import os
import string
import zlib
from pathlib import Path
from typing import Any, Sequence

from dataflow.text.match import text_tokens

_MAX32 = 0xFFFFFFFF
_BREAKS = str.maketrans({c: " " for c in map(chr, range(1, 128)) if c not in string.ascii_lowercase + string.digits})
_BLOCK_SHINGLES = 1 << 13  # shingles permuted at once: num_perm x this many uint32 (4 MiB) stay in cache


def _np() -> Any:
    import numpy as np

    return np


def lsh_params(threshold: float, num_perm: int, recall: float = 0.98) -> tuple[int, int]:
    """(bands, rows per band): the longest bands that still make a pair of similarity ``threshold`` a
    candidate with probability ``recall`` (``1 - (1 - threshold**rows)**bands``). Candidates are
    confirmed on their signatures afterwards, so false candidates cost a comparison, while a missed
    one is a near duplicate lost."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            best = (bands, rows)
    return best


class MinHasher:
    """MinHash signatures of many texts at once (``signatures``): ``num_perm`` uint32 values each."""

    def __init__(self, num_perm: int = 128, shingle_words: int = 3, seed: int = 1):
        np = _np()
        if num_perm < 1 or shingle_words < 1:
            raise ValueError("num_perm and shingle_words must be at least 1")
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        rng = np.random.default_rng(seed)
        self.a = (rng.integers(0, 1 << 32, num_perm, dtype=np.uint64) | 1).astype(np.uint32)[:, None]
        self.b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)[:, None]
        self.mix = (rng.integers(0, 1 << 32, shingle_words, dtype=np.uint64) | 1).astype(np.uint32)
        self._permuted: Any = None  # the permutation's output, reused block after block

    def words(self, texts: Sequence[Any]) -> list[list[str]]:
        """Each text's words for shingling: lower case, split at anything not a letter or digit (plain
        ASCII texts together, in one pass); other texts by ``text_tokens`` (scripts without spaces
        give one word per character)."""
        return [piece.split() for piece in _word_blob(texts).split("\x00")] if len(texts) else []

    def word_hashes(self, texts: Sequence[Any]) -> tuple[Any, Any]:
        """The 32-bit hash of every word of ``texts`` (``words``; uint32, text after text) and each
        text's number of words. A word's hash depends on its UTF-8 bytes alone; the words of a
        whole chunk are hashed together in NumPy (``_hash_words``), none of them one by one."""
        np = _np()
        data = _word_blob(texts).encode("utf-8")
        starts, ends = _word_bounds(data)
        ends_of_texts = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
        text_of_word = np.searchsorted(ends_of_texts, starts)
        lengths = np.bincount(text_of_word, minlength=len(texts)).astype(np.int64)
        return _hash_words(data, starts, ends), lengths

    def shingles(self, texts: Sequence[Any]) -> tuple[Any, Any]:
        """All shingle hashes of ``texts`` (uint32, text after text) and each text's count of them."""
        np = _np()
        hashes, lengths = self.word_hashes(texts)
        if not len(hashes):
            return np.zeros(0, np.uint32), np.zeros(len(texts), np.int64)
        n = self.shingle_words
        counts = np.where(lengths >= n, lengths - n + 1, (lengths > 0).astype(np.int64))
        # every position's shingle (contiguous slices), then only those that end inside their text
        padded = np.concatenate([hashes, np.zeros(n - 1, dtype=np.uint32)])
        shingle = padded[: len(hashes)] * self.mix[0]
        for j in range(1, n):
            shingle += padded[j : j + len(hashes)] * self.mix[j]
        last = np.repeat(np.cumsum(lengths) - 1, lengths)  # each word's text's last word
        keep = np.arange(len(hashes)) + (n - 1) <= last
        short = np.nonzero((lengths > 0) & (lengths < n))[0]
        if len(short):  # a text shorter than a shingle is one shorter shingle, at its first word
            starts = np.cumsum(lengths) - lengths
            for text in short.tolist():
                start, size = int(starts[text]), int(lengths[text])
                shingle[start] = (hashes[start : start + size] * self.mix[:size]).sum(dtype=np.uint32)
                keep[start] = True
        return _fmix32(shingle[keep]), counts

    def signatures(self, texts: Sequence[Any]) -> tuple[Any, Any]:
        """(signatures, has_text): a ``(len(texts), num_perm)`` uint32 array (``0xFFFFFFFF`` for a text
        without words) and a bool array saying which texts have words."""
        np = _np()
        shingles, counts = self.shingles(texts)
        out = np.full((len(texts), self.num_perm), _MAX32, dtype=np.uint32)
        has = counts > 0
        rows = np.nonzero(has)[0]
        bounds = np.concatenate([[0], np.cumsum(counts[rows])])
        start = 0
        while start < len(rows):  # blocks of whole texts, about _BLOCK_SHINGLES shingles each
            stop = int(np.searchsorted(bounds, bounds[start] + _BLOCK_SHINGLES, side="right")) - 1
            stop = max(stop, start + 1)
            permuted = self._permute(shingles[bounds[start] : bounds[stop]])
            offsets = bounds[start:stop] - bounds[start]
            out[rows[start:stop]] = np.minimum.reduceat(permuted, offsets, axis=1).T
            start = stop
        return out, has

    def _permute(self, block: Any) -> Any:
        """Every permutation of ``block``'s shingles, ``(num_perm, len(block))`` (wrapping modulo 2**32),
        written into one buffer kept for the next blocks: no new 4 MiB arrays block after block."""
        np = _np()
        if len(block) > _BLOCK_SHINGLES:  # one text longer than a block
            return block[None, :] * self.a + self.b
        if self._permuted is None:
            self._permuted = np.empty((self.num_perm, _BLOCK_SHINGLES), dtype=np.uint32)
        permuted = self._permuted[:, : len(block)]
        np.multiply(block[None, :], self.a, out=permuted)
        permuted += self.b
        return permuted


def _word_blob(texts: Sequence[Any]) -> str:
    """Each text's words (``MinHasher.words``) separated by spaces, the texts by NUL characters (a text
    that is not a string has none). Plain ASCII texts are lowered and split together in one pass."""
    pieces = [""] * len(texts)
    plain = [i for i, t in enumerate(texts) if isinstance(t, str) and t.isascii() and "\x00" not in t]
    if plain:
        blob = "\x00".join([texts[i] for i in plain]).lower().translate(_BREAKS)
        for i, piece in zip(plain, blob.split("\x00")):
            pieces[i] = piece
    for i, t in enumerate(texts):
        if isinstance(t, str) and not (t.isascii() and "\x00" not in t):
            pieces[i] = " ".join(text_tokens(t))
    return "\x00".join(pieces)


def _word_bounds(data: bytes) -> tuple[Any, Any]:
    """(start, end) byte offsets of every word in ``data``: runs of bytes other than space and NUL
    (UTF-8 never uses those two bytes inside a character)."""
    np = _np()
    codes = np.frombuffer(data, dtype=np.uint8)
    inside = np.zeros(len(codes) + 2, dtype=np.int8)
    inside[1:-1] = (codes != 0x20) & (codes != 0)
    edges = np.diff(inside)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


_LANE_MASKS = [(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1]


def _hash_words(data: bytes, starts: Any, ends: Any) -> Any:
    """A 32-bit hash of each word ``data[start:end]``, for all words at once.

    A word of up to 24 bytes is read whole as up to three little-endian 64-bit lanes (its first eight
    bytes, masked to the word and mixed with its length; then, for a longer word, its second eight
    and its last eight bytes, each mixed in by one more round): the hash is a function of the bytes
    alone. Most words fit in the first lane, so the later rounds run on the few longer ones only. The
    rare words over 24 bytes are hashed one by one (CRC-32 of their bytes)."""
    np = _np()
    if not len(starts):
        return np.zeros(0, np.uint32)
    padded = data + bytes(16)
    lanes = np.ndarray((len(data) + 9,), dtype="<u8", buffer=padded, strides=(1,))  # 8 bytes from every offset
    size = (ends - starts).astype(np.int64)
    masks = np.array(_LANE_MASKS, dtype=np.uint64)
    h = lanes[starts] & masks[np.minimum(size, 8)]
    h ^= size.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h = fmix64(h)
    longer = np.flatnonzero(size > 8)
    if len(longer):
        second = lanes[starts[longer] + 8] & masks[np.minimum(size[longer] - 8, 8)]
        h[longer] = fmix64(h[longer] ^ second)
        longest = longer[size[longer] > 16]
        if len(longest):
            h[longest] = fmix64(h[longest] ^ lanes[ends[longest] - 8])
    for i in np.flatnonzero(size > 24).tolist():
        h[i] = fmix64(np.array([zlib.crc32(data[starts[i] : ends[i]]) | (int(size[i]) << 32)], dtype=np.uint64))[0]
    return (h >> np.uint64(32)).astype(np.uint32)


def _fmix(h: Any, bits: int) -> Any:
    """MurmurHash3's finaliser on a uint32 or uint64 array: every input bit moves every output bit."""
    np = _np()
    kind, shifts, multipliers = {
        32: (np.uint32, (16, 13, 16), (0x85EBCA6B, 0xC2B2AE35)),
        64: (np.uint64, (33, 33, 33), (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)),
    }[bits]
    h = h.astype(kind, copy=True)
    h ^= h >> kind(shifts[0])
    h *= kind(multipliers[0])
    h ^= h >> kind(shifts[1])
    h *= kind(multipliers[1])
    h ^= h >> kind(shifts[2])
    return h


def _fmix32(h: Any) -> Any:
    return _fmix(h, 32)


def fmix64(h: Any) -> Any:
    """MurmurHash3's 64-bit finaliser on a uint64 array."""
    return _fmix(h, 64)


class SpillArray:
    """A growing array of fixed-width rows, appended in chunks: in memory, or in a file (``path``).

    ``read(start, stop)`` gives rows back; ``read_all()`` all of them; ``take(indices)`` the rows at
    sorted ``indices`` (a file is read in blocks, never mapped whole).
    """

    def __init__(self, path: str | os.PathLike | None, dtype: Any, width: int = 1):
        np = _np()
        self.dtype = np.dtype(dtype)
        self.width = width
        self.path = Path(path) if path is not None else None
        self._parts: list[Any] = []
        self._rows = 0
        if self.path is not None:
            self.path.write_bytes(b"")

    def __len__(self) -> int:
        return self._rows

    def _shape(self, array: Any) -> Any:
        return array.reshape(-1, self.width) if self.width > 1 else array.reshape(-1)

    def append(self, array: Any) -> None:
        np = _np()
        array = np.ascontiguousarray(array, dtype=self.dtype)
        if self.path is None:
            self._parts.append(array.copy())
        else:
            with open(self.path, "ab") as fh:
                fh.write(array.tobytes())
        self._rows += len(array)

    def read(self, start: int, stop: int) -> Any:
        np = _np()
        stop = min(stop, self._rows)
        if start >= stop:
            return self._shape(np.zeros(0, self.dtype))
        if self.path is None:
            return self.read_all()[start:stop]
        row_bytes = self.dtype.itemsize * self.width
        with open(self.path, "rb") as fh:
            fh.seek(start * row_bytes)
            data = fh.read((stop - start) * row_bytes)
        return self._shape(np.frombuffer(data, dtype=self.dtype).copy())

    def read_all(self) -> Any:
        np = _np()
        if self.path is not None:
            return self.read(0, self._rows)
        if len(self._parts) != 1:
            self._parts = [self._shape(np.concatenate(self._parts)) if self._parts else self._shape(np.zeros(0, self.dtype))]
        return self._parts[0]

    def take(self, indices: Any, block: int = 1 << 16) -> Any:
        """The rows at ``indices`` (sorted, ascending)."""
        np = _np()
        if self.path is None:
            return self.read_all()[indices]
        out = np.empty((len(indices), self.width) if self.width > 1 else len(indices), dtype=self.dtype)
        lo = 0
        while lo < len(indices):
            first = int(indices[lo])
            hi = int(np.searchsorted(indices, first + block, side="left"))
            rows = self.read(first, int(indices[hi - 1]) + 1)
            out[lo:hi] = rows[indices[lo:hi] - first]
            lo = hi
        return out


class NearDuplicateIndex:
    """Finds, for each text, an earlier near-duplicate one: texts added in order (``add``), then
    ``earlier()``. ``folder``: where the per-text arrays go (None: memory)."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, folder: str | os.PathLike | None = None):
        np = _np()
        self.threshold = threshold
        self.num_perm = num_perm
        self.bands, self.rows = lsh_params(threshold, num_perm)
        rng = np.random.default_rng(7)
        self._band_mix = rng.integers(1, 1 << 63, self.rows, dtype=np.uint64) | np.uint64(1)

        def spill(name: str, dtype: Any, width: int = 1) -> SpillArray:
            return SpillArray(Path(folder) / name if folder is not None else None, dtype, width)

        self._keys = [spill(f"band{k}.u64", np.uint64) for k in range(self.bands)]
        self._low_bits = spill("signatures.u8", np.uint8, num_perm)
        self._has = spill("has_text.bool", np.bool_)

    def __len__(self) -> int:
        return len(self._has)

    def add(self, signatures: Any, has_text: Any) -> None:
        """Append texts' signatures (``MinHasher.signatures``, in order)."""
        np = _np()
        signatures = np.asarray(signatures, dtype=np.uint32).reshape(-1, self.num_perm)
        wide = signatures.astype(np.uint64)
        for k in range(self.bands):
            band = wide[:, k * self.rows : (k + 1) * self.rows]
            self._keys[k].append(fmix64((band * self._band_mix).sum(axis=1, dtype=np.uint64) + np.uint64(k)))
        self._low_bits.append((signatures & np.uint32(0xFF)).astype(np.uint8))
        self._has.append(np.asarray(has_text, dtype=bool))

    def earlier(self) -> Any:
        """For each text, the earliest confirmed near duplicate among its candidates (-1: none), int64.

        Band by band: a band's candidate pairs are confirmed before the next band is read, and only
        pairs that could still lower a text's answer are compared, so memory holds one band's pairs
        (a few values per text), never all bands' at once."""
        np = _np()
        n = len(self)
        best = np.full(n, n, dtype=np.int64)
        rows = np.nonzero(self._has.read_all())[0]
        for k in range(self.bands):
            later, earlier = self._band_pairs(k, rows, n)
            open_ = earlier < best[later]
            if open_.any():
                self._confirm(np.unique(later[open_] * n + earlier[open_]), n, best)
        return np.where(best < n, best, -1)

    def _band_pairs(self, k: int, rows: Any, n: int) -> tuple[Any, Any]:
        """Band ``k``'s candidate pairs (later text, earlier text): within each group of texts with equal
        band values, every text with the group's first text and with its predecessor."""
        np = _np()
        keys = self._keys[k].read_all()
        keys = keys if len(rows) == n else keys[rows]
        order = np.argsort(keys, kind="stable")  # equal keys stay in row order
        sorted_keys = keys[order]
        members = rows[order]
        del keys, order
        same = np.zeros(len(members), dtype=bool)
        same[1:] = sorted_keys[1:] == sorted_keys[:-1]
        del sorted_keys
        at = np.nonzero(same)[0]
        if not len(at):
            return at, at
        group_start = np.maximum.accumulate(np.where(~same, np.arange(len(members)), 0))
        later = members[at]
        return np.concatenate([later, later]), np.concatenate([members[group_start[at]], members[at - 1]])

    def _confirm(self, codes: Any, n: int, best: Any) -> None:
        """Compare the candidate pairs ``codes`` (``later * n + earlier``) on their signatures; lower
        ``best[later]`` to ``earlier`` where they agree enough."""
        np = _np()
        chance = 1.0 / 256  # two different values agree in their low 8 bits this often
        need = self.threshold * (1 - chance) + chance
        step = 1 << 15  # pairs compared at once: 2 x 4 MiB of signature bytes
        for lo in range(0, len(codes), step):
            part = codes[lo : lo + step]
            later, earlier = part // n, part % n
            rows, where = np.unique(np.concatenate([later, earlier]), return_inverse=True)
            signatures = self._low_bits.take(rows)
            same = (signatures[where[: len(part)]] == signatures[where[len(part) :]]).mean(axis=1)
            confirmed = same >= need
            np.minimum.at(best, later[confirmed], earlier[confirmed])
