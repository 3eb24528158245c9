"""Loading images the way every serving needs them: decoded, upright, RGB and bounded in pixels.

``load_image`` accepts an image as people have it (a path, an http(s) URL, a ``data:`` URI, encoded
bytes, a ``datasets`` ``{"bytes", "path"}`` dict or a PIL image) and in the modes found on disk: RGBA/LA (composited on white), palette, CMYK,
16-bit and 32-bit grayscale, grayscale, animated GIF/WebP (first frame), EXIF-rotated JPEGs. Any
problem (missing, empty, truncated, not an image) raises ``ImageLoadError`` with the path, which
the servings record as that row's error.

Pixels are bounded with the Qwen-VL rule (qwen-vl-utils' ``smart_resize``): both sides become
multiples of ``factor`` (patch size x merge size, 28 for Qwen2/2.5-VL) and the area is brought into
``[min_pixels, max_pixels]`` keeping the aspect ratio, so any photo costs a bounded number of
tokens. Large JPEGs are decoded at a reduced scale first (``Image.draft``), which is much faster
than decoding at full size and resizing.
"""

from __future__ import annotations

import base64
import io
import math
import os
from typing import Any

# Qwen-VL defaults (qwen-vl-utils): at least 4 and at most 1280 visual tokens of 28x28 pixels.
DEFAULT_FACTOR = 28
DEFAULT_MIN_PIXELS = 4 * 28 * 28
DEFAULT_MAX_PIXELS = 1280 * 28 * 28
MAX_ASPECT_RATIO = 200


class ImageLoadError(ValueError):
    """An image cannot be used (a row-level problem)."""


def smart_resize(
    height: int,
    width: int,
    factor: int = DEFAULT_FACTOR,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """(height, width) with both sides multiples of ``factor`` and area in [min_pixels, max_pixels]."""
    if height <= 0 or width <= 0:
        raise ImageLoadError(f"image has no pixels ({width}x{height})")
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ImageLoadError(
            f"image aspect ratio {max(height, width) / min(height, width):.0f}:1 is above {MAX_ASPECT_RATIO}:1"
        )
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        scale = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / scale / factor) * factor)
        w = max(factor, math.floor(width / scale / factor) * factor)
    elif h * w < min_pixels:
        scale = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * scale / factor) * factor
        w = math.ceil(width * scale / factor) * factor
    return h, w


def _to_rgb(image: Any) -> Any:
    from PIL import Image

    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        import numpy as np

        array = np.asarray(image, dtype=np.float64)
        if mode.startswith("I;16"):
            array = array / 257.0
        else:
            low, high = float(array.min()), float(array.max())
            array = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), mode="L").convert("RGB")
    if mode == "P":
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


MAX_FETCH_BYTES = 64 * 1024 * 1024
FETCH_TIMEOUT = 30.0


def _describe(data: bytes) -> str:
    return f"<embedded image, {len(data)} bytes>"


def _source_bytes(source: str) -> tuple[bytes, str]:
    """The bytes behind a ``data:`` URI or an http(s) URL (fetched, bounded in time and size)."""
    if source.startswith("data:"):
        header, _, payload = source.partition(",")
        try:
            data = base64.b64decode(payload, validate=False) if header.endswith(";base64") else payload.encode()
        except ValueError as err:
            raise ImageLoadError(f"invalid data: URI ({err})") from None
        return data, f"<data: URI, {len(data)} bytes>"
    import urllib.request

    try:
        with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 - the user's URL
            data = response.read(MAX_FETCH_BYTES + 1)
    except Exception as err:  # network, HTTP status, bad URL: that row's problem
        raise ImageLoadError(f"cannot fetch image {source}: {type(err).__name__}: {err}") from None
    if len(data) > MAX_FETCH_BYTES:
        raise ImageLoadError(f"image at {source} is larger than {MAX_FETCH_BYTES} bytes")
    return data, source


def _open_image(source: Any) -> tuple[Any, str]:
    """``source`` opened lazily, and how messages name it.

    ``source``: a path, an http(s) URL, a ``data:`` URI, encoded bytes, a ``{"bytes", "path"}`` dict
    or a PIL image. Messages about embedded images give their size, never their bytes.
    """
    from PIL import Image, UnidentifiedImageError

    from dataflow.storage.media import media_item

    if isinstance(source, (dict, bytearray, memoryview)):
        try:
            source = media_item(source)
        except ValueError as err:
            raise ImageLoadError(str(err)) from None
    if isinstance(source, Image.Image):
        return source, "<PIL image>"
    data, where = None, str(source)[:200] if isinstance(source, (str, os.PathLike)) else type(source).__name__
    if isinstance(source, bytes):
        data, where = source, _describe(source)
    elif isinstance(source, str) and source.startswith(("data:", "http://", "https://")):
        data, where = _source_bytes(source)
    elif not isinstance(source, (str, os.PathLike)):
        raise ImageLoadError(f"an image must be a path, URL, bytes or a PIL image, got {type(source).__name__}")
    try:
        if data is not None:
            if not data:
                raise ImageLoadError(f"image is empty (0 bytes): {where}")
            return Image.open(io.BytesIO(data)), where
        if os.path.getsize(source) == 0:
            raise ImageLoadError(f"image file is empty (0 bytes): {where}")
        return Image.open(source), where
    except FileNotFoundError:
        raise ImageLoadError(f"image file not found: {where} (working directory: {os.getcwd()})") from None
    except IsADirectoryError:
        raise ImageLoadError(f"image path is a folder, not a file: {where}") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"not an image file (or an unsupported format): {where}") from None
    except Image.DecompressionBombError as err:
        raise ImageLoadError(f"image is too large to decode safely: {where}: {err}") from None
    except OSError as err:
        raise ImageLoadError(f"cannot open image {where}: {err}") from None


def load_image(
    source: Any,
    *,
    factor: int = DEFAULT_FACTOR,
    min_pixels: int | None = DEFAULT_MIN_PIXELS,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    exact: bool = True,
) -> Any:
    """Open ``source`` (a path or a PIL image) as an upright RGB image bounded in pixels.

    With ``max_pixels=None`` the image keeps its size (only made RGB and upright). With
    ``exact=False`` the final resize to the bounded size is left to the model's own processor
    (which must be given the same bounds): a JPEG is still decoded at a reduced scale, at most
    twice the bounded size per side, which is most of the saving.
    """
    from PIL import Image, ImageOps

    image, where = _open_image(source)
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # animated GIF/WebP: the first frame
        orientation = image.getexif().get(0x0112, 1) if hasattr(image, "getexif") else 1
        target = None
        if max_pixels is not None:
            h, w = smart_resize(image.height, image.width, factor, min_pixels or 1, max_pixels)
            if orientation in (5, 6, 7, 8):
                h, w = w, h
            target = (w, h)
            if image.format == "JPEG":
                # Decode at the smallest power-of-two scale still >= the target size.
                image.draft("RGB", (target[0], target[1]) if orientation not in (5, 6, 7, 8) else (target[1], target[0]))
        image.load()
        if orientation not in (None, 1):
            image = ImageOps.exif_transpose(image) or image
        image = _to_rgb(image)
        if target is not None and image.size != target:
            oversize = image.width * image.height > 4 * target[0] * target[1]
            if exact or oversize:
                image = image.resize(target, Image.Resampling.BICUBIC)
        return image
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageLoadError(f"image is too large to decode safely: {where}: {err}") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageLoadError(f"cannot decode image {where}: {err}") from None


def image_to_data_url(image: Any, fmt: str = "JPEG", quality: int = 90) -> str:
    """``data:image/...;base64,...`` for an RGB PIL image (OpenAI ``image_url`` parts)."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=quality) if fmt == "JPEG" else image.save(buffer, format=fmt)
    mime = "jpeg" if fmt == "JPEG" else fmt.lower()
    return f"data:image/{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


IMAGE_ID_KEY = "dataflow_id"  # in a loaded image's ``info``: its file, size, mtime and bounds, hashed


class DecodedImageCache:
    """Decoded, bounded images by file (path, size, mtime) and bounds, least recently used out first.

    Several prompts per image is common (SK-VQA-style data asks several questions of one photo):
    each file is decoded once while it stays in the cache. Bounded by total pixels (default 48
    megapixels, about 150 MB of RGB); thread-safe, since rows are prepared on a thread pool.
    """

    def __init__(self, max_pixels_total: int = 48_000_000):
        import threading
        from collections import OrderedDict

        self.max_pixels_total = max_pixels_total
        self._items: "OrderedDict[tuple, Any]" = OrderedDict()
        self._loading: dict[tuple, Any] = {}  # key -> Future of a decode under way
        self._pixels = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(source: Any, *bounds: Any) -> tuple | None:
        """Identifies a decoded image: a file by path, size and mtime; embedded bytes and ``data:``
        URIs by their digest; URLs by themselves. PIL images are not cached (None)."""
        import hashlib

        if isinstance(source, bytes):
            return ("sha256", hashlib.sha256(source).hexdigest(), *bounds)
        if not isinstance(source, str):
            return None
        if source.startswith("data:"):
            return ("sha256", hashlib.sha256(source.encode()).hexdigest(), *bounds)
        if source.startswith(("http://", "https://")):
            return (source, *bounds)
        try:
            st = os.stat(source)
        except OSError:
            return None  # loading reports the problem
        return (os.path.realpath(source), st.st_size, st.st_mtime_ns, *bounds)

    def get_or_load(self, key: tuple | None, load: Any) -> Any:
        if key is None:
            return load()
        from concurrent.futures import Future

        with self._lock:
            image = self._items.get(key)
            if image is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return image
            pending = self._loading.get(key)
            if pending is None:
                pending = self._loading[key] = Future()
                mine = True
                self.misses += 1
            else:
                mine = False
                self.hits += 1
        if not mine:  # another thread is decoding this file: wait for it rather than decode it again
            return pending.result()
        try:
            image = load()  # outside the lock: other files decode in parallel
        except BaseException as err:
            with self._lock:
                del self._loading[key]
            pending.set_exception(err)
            raise
        pixels = image.width * image.height
        with self._lock:
            del self._loading[key]
            if pixels <= self.max_pixels_total:
                self._items[key] = image
                self._pixels += pixels
                while self._pixels > self.max_pixels_total:
                    _, old = self._items.popitem(last=False)
                    self._pixels -= old.width * old.height
        pending.set_result(image)
        return image
