"""Where rows live between operators: ``FileStorage`` (one file per step), the file formats, and
where a row's media files are."""

from dataflow.storage.file_storage import FileStorage
from dataflow.storage.formats import CACHE_TYPES, read_frame, read_head, read_records, write_records

__all__ = ["CACHE_TYPES", "FileStorage", "read_frame", "read_head", "read_records", "write_records"]
