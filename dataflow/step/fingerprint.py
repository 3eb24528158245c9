"""Stable fingerprints of data and settings, to decide whether a cached step can be reused.

``fingerprint`` digests JSON-able settings; ``row_digests`` gives one digest per input row (its
cells, and the identity of the media files it names: size and mtime, or contents with
``hash_media``), which the journal ties each finished row to and ``data_fingerprint`` combines.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Iterable, Iterator, Sequence

from dataflow.storage.formats import json_default, raw_records
from dataflow.storage.media import SEEN_PATHS, MediaResolver, media_cell_to_list


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def fingerprint(*parts: Any) -> str:
    """A hex digest of ``parts`` (JSON-able values; anything else by its ``repr``)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=_default, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def frame_fingerprint(frame: Any) -> str:
    """Fingerprint of a DataFrame's columns and cell values (row order matters)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    for record in frame.to_dict(orient="records"):
        digest.update(json.dumps(record, sort_keys=True, default=_default, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]


class MediaStamps:
    """Each media item's identity for fingerprints: a file's size and mtime, or its content hash (cached
    per path); an embedded image's content hash."""

    def __init__(self, root: str | None, hash_contents: bool):
        self.resolver = MediaResolver(root)
        self.hash_contents = hash_contents
        self._seen: dict[str, Any] = {}

    def __call__(self, cell: Any) -> Any:
        try:
            paths = media_cell_to_list(cell)
        except ValueError as err:
            return ["invalid", str(err)]
        return [self._stamp(p) if isinstance(p, str) else self._embedded(p) for p in paths]

    @staticmethod
    def _embedded(item: Any) -> Any:
        """An embedded image has no file to stamp: the row digest already hashes its bytes (``json_default``)."""
        return "embedded"

    def _stamp(self, path: str) -> Any:
        stamp = self._seen.get(path)
        if stamp is None:
            if len(self._seen) >= SEEN_PATHS:  # bounded: rows sharing a photo are usually near each other
                self._seen.clear()
            resolved = self.resolver.path(path)
            try:
                if self.hash_contents:
                    stamp = file_sha256(resolved)[:32]
                else:
                    st = os.stat(resolved)
                    stamp = [st.st_size, st.st_mtime_ns]
            except OSError:
                stamp = "missing"
            self._seen[path] = stamp = [resolved, stamp]
        return stamp


class RowDigests:
    """One 12-byte digest per input row, kept in one ``bytearray`` (12 bytes a row, not a string
    object each: a million rows take 12 MB). Indexing gives the hex digest the journal stores."""

    SIZE = 12

    def __init__(self) -> None:
        self._data = bytearray()

    def add(self, digest: bytes) -> None:
        self._data += digest

    def clear(self) -> None:
        del self._data[:]

    def raw(self, i: int) -> bytes:
        """Row ``i``'s digest as bytes."""
        return bytes(self._data[i * self.SIZE : (i + 1) * self.SIZE])

    def __len__(self) -> int:
        return len(self._data) // self.SIZE

    def __getitem__(self, i: int) -> str:
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._data[i * self.SIZE : (i + 1) * self.SIZE].hex()

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, RowDigests)) else NotImplemented


class RowDigester:
    """Digests rows one chunk at a time (``add``): each row's cells, and the identity of the media files
    its media cells name (size and mtime, or contents with ``hash_media``; looked up once per path)."""

    def __init__(self, media_columns: Iterable[str] = (), media_root: str | None = None, hash_media: bool = False,
                 into: RowDigests | None = None):
        import orjson

        self._orjson = orjson
        self.media = [c for c in dict.fromkeys(media_columns) if c is not None]
        self.stamps = MediaStamps(media_root, hash_media)
        self.option = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
        self.digests = into if into is not None else RowDigests()

    def add(self, records: Iterable[dict]) -> None:
        for record in records:
            if self.media:
                record = {**record, "\x00media": [self.stamps(record.get(c)) for c in self.media]}
            try:
                encoded = self._orjson.dumps(record, option=self.option, default=json_default)
            except TypeError:  # ints wider than 64 bits
                encoded = json.dumps(record, sort_keys=True, default=json_default, ensure_ascii=False).encode("utf-8")
            self.digests.add(hashlib.blake2b(encoded, digest_size=RowDigests.SIZE).digest())


def row_digests(
    frame: Any, media_columns: Iterable[str] = (), media_root: str | None = None, hash_media: bool = False,
    records: list[dict] | None = None,
) -> RowDigests:
    """One digest per row of ``frame``: its cells, and the identity of the files its media cells name.

    ``records``: the frame's rows as dicts, when the caller has them already.
    """
    digester = RowDigester([c for c in media_columns if c in frame.columns], media_root, hash_media)
    digester.add(records if records is not None else raw_records(frame))
    return digester.digests


def data_fingerprint(columns: Sequence[Any], digests: Iterable[str]) -> str:
    """A frame's fingerprint from its column names and row digests (row order matters)."""
    digest = hashlib.sha256(json.dumps([str(c) for c in columns]).encode())
    first = True
    for row in digests:
        digest.update(row.encode() if first else b"\n" + row.encode())
        first = False
    return digest.hexdigest()[:32]


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def code_fingerprint(cls: type) -> str:
    """The code that computes a model-free step: the library's version and the source of the module
    that defines the operator (so an upgrade, or an edit of one's own operator, recomputes it)."""
    import inspect
    import sys

    import dataflow.version

    try:
        source = inspect.getsource(sys.modules[cls.__module__])
    except (OSError, TypeError, KeyError):  # defined where no source file is (exec'd code, a notebook cell)
        process = getattr(cls, "process", None)
        code = getattr(process, "__code__", None)
        source = repr((cls.__qualname__, code.co_code, code.co_consts) if code is not None else cls.__qualname__)
    return fingerprint(dataflow.version.__version__, hashlib.sha256(source.encode()).hexdigest())


def step_key(settings_key: str, data_key: str, code_key: str | None) -> str:
    """A step's cache key from its parts: settings, input data and (model-free steps) code.

    The one formula every runner uses, so that a step made by one is reused by another.
    """
    return fingerprint(settings_key, data_key, code_key) if code_key else fingerprint(settings_key, data_key)


def settings_fingerprint(operator: str, settings: Any) -> str:
    return fingerprint({"operator": operator, "settings": settings})
