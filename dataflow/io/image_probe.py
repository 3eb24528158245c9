"""Cheap facts about an image, for the filters that run before any model: its size from the header,
its pixel variation from a reduced decode, its content hash and a perceptual hash.

``probe_image`` decodes as little as it can: the header gives the size; the content checks use a
draft decode (a JPEG is decoded at 1/2, 1/4 or 1/8 scale directly) reduced to at most 64 pixels a
side. The perceptual hash is the DCT hash (pHash): the 8x8 lowest frequencies of the 32x32
grayscale image, each bit saying whether a coefficient is above their median. A resized or
re-encoded copy keeps nearly all bits; different pictures differ in about half.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Callable

from dataflow.io.images import ImageLoadError, _open_image

_HASH_SIDE = 32
_DCT_KEEP = 8


@dataclass
class ImageFacts:
    """What ``probe_image`` found; ``error`` is set (and the rest left empty) for an unreadable image."""

    width: int = 0
    height: int = 0
    sha256: str | None = None
    std: float | None = None  # pixel variation (0-255 scale) of the reduced grayscale image
    phash: int | None = None
    error: str | None = None


def _dct_matrix(n: int) -> Any:
    import numpy as np

    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return matrix


_DCT = None


def phash_of(gray: Any) -> int:
    """The 64-bit DCT hash of a grayscale PIL image."""
    import numpy as np
    from PIL import Image

    global _DCT
    if _DCT is None:
        _DCT = _dct_matrix(_HASH_SIDE)
    pixels = np.asarray(gray.resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BILINEAR), dtype=np.float64)
    low = (_DCT @ pixels @ _DCT.T)[:_DCT_KEEP, :_DCT_KEEP].ravel()
    bits = low > np.median(low[1:])  # the DC term is left out of the median: it only says "bright"
    return int(np.packbits(bits).view(">u8")[0])


def _read_source(source: Any) -> tuple[Any, bytes | None]:
    """``source`` ready to open, and its encoded bytes when ``hashes`` need them (a file is read once)."""
    from dataflow.storage.media import media_item

    if isinstance(source, dict):
        source = media_item(source)
    if isinstance(source, bytes):
        return source, source
    if isinstance(source, (str, os.PathLike)) and not str(source).startswith(("data:", "http://", "https://")):
        with open(source, "rb") as fh:
            data = fh.read()
        return data, data
    return source, None


def probe_image(source: Any, *, content: bool = True, hashes: bool = False,
                measure_if: Callable[[ImageFacts], bool] | None = None) -> ImageFacts:
    """Facts about one image (a path, bytes, a ``{"bytes", "path"}`` dict or a PIL image).

    ``content``: also measure the pixel variation (a reduced decode), only when ``measure_if(facts)``
    (given the header's facts) says so; ``hashes``: also the SHA-256 of the encoded bytes and the
    perceptual hash. A problem (missing, not an image, truncated) is the ``error``, never an exception.
    """
    from PIL import Image, ImageOps, ImageStat

    try:
        data = None
        if hashes:
            try:
                source, data = _read_source(source)
            except FileNotFoundError:
                raise ImageLoadError(f"image file not found: {source}") from None
            except (OSError, ValueError) as err:
                raise ImageLoadError(f"cannot read image {str(source)[:200]}: {err}") from None
        image, _ = _open_image(source)
        facts = ImageFacts(width=image.width, height=image.height)
        if getattr(image, "getexif", None) and image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            facts.width, facts.height = image.height, image.width
        content = content and (measure_if is None or measure_if(facts))
        if not (content or hashes):
            return facts
        if image.format == "JPEG":
            image.draft("L", (64, 64))
        gray = ImageOps.exif_transpose(image.convert("L")) if image.mode != "L" else image
        gray.load()
        if content:
            small = gray.copy()
            small.thumbnail((64, 64))
            facts.std = float(ImageStat.Stat(small).stddev[0])
        if hashes:
            if data is None and isinstance(source, Image.Image):
                data = source.tobytes()
            facts.sha256 = hashlib.sha256(data).hexdigest() if data is not None else None
            facts.phash = phash_of(gray)
        return facts
    except ImageLoadError as err:
        return ImageFacts(error=str(err))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        return ImageFacts(error=f"cannot decode image: {type(err).__name__}: {err}")


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_pairs(hashes: Any, max_distance: int, block: int = 2048) -> tuple[Any, Any]:
    """Every pair ``(i, j)``, ``i < j``, of 64-bit hashes within ``max_distance`` bits, without comparing
    all pairs: the hash is cut into ``max_distance + 1`` chunks, and two hashes that close agree
    exactly on at least one chunk (pigeonhole), so only hashes sharing a chunk value are compared.

    ``hashes``: a uint64 array. Returns two int arrays (i, j), sorted by j then i, each pair once.
    """
    import numpy as np

    hashes = np.asarray(hashes, dtype=np.uint64)
    n, chunks = len(hashes), max_distance + 1
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    bounds = np.linspace(0, 64, chunks + 1).astype(int)
    found_i, found_j = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        keys = (hashes >> np.uint64(lo)) & np.uint64((1 << int(hi - lo)) - 1)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            group = order[start : start + size]
            for i, j in _group_pairs(hashes, group, max_distance, block):
                found_i.append(i)
                found_j.append(j)
    if not found_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    pairs = np.unique(np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1), axis=0)
    order = np.lexsort((pairs[:, 0], pairs[:, 1]))
    return pairs[order, 0], pairs[order, 1]


def _group_pairs(hashes: Any, group: Any, max_distance: int, block: int) -> Any:
    """The close pairs inside one group of indices, compared block by block (memory stays bounded)."""
    import numpy as np

    values = hashes[group]
    for start in range(0, len(group), block):
        rows = values[start : start + block]
        xor = rows[:, None] ^ values[None, start:]
        distance = np.bitwise_count(xor) if hasattr(np, "bitwise_count") else _popcount(xor)
        a, b = np.nonzero(distance <= max_distance)
        keep = b > a  # each pair once, never an index with itself
        yield group[start + a[keep]], group[start + b[keep]]


def _popcount(values: Any) -> Any:
    import numpy as np

    as_bytes = values.view(np.uint8).reshape(*values.shape, 8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1)
