"""The caps an upload must respect, taken from settings, and the checks that apply them early.

Each check runs before the expensive step it protects: the body size before anything is parsed, the
row count while rows are being read (never after a million row objects exist), the unzipped size of a
zip before a byte of it is inflated.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.errors import PayloadTooLarge
from geo_service.settings import Settings


@dataclass(frozen=True)
class UploadLimits:
    """Caps of one import; build it with `from_settings` (GEO_IMPORT_* variables)."""

    max_bytes: int
    max_rows: int
    max_unzipped_bytes: int
    max_zip_ratio: float

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows,
            max_unzipped_bytes=settings.import_max_unzipped_bytes,
            max_zip_ratio=settings.import_max_zip_ratio,
        )


def check_body_size(size: int, limits: UploadLimits) -> None:
    """413 when a body of `size` bytes is over the cap (routes may call it while streaming the upload)."""
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            f"文件过大：{size:,} 字节，上限 {limits.max_bytes:,} 字节",
            f"file too large: {size:,} bytes, the limit is {limits.max_bytes:,}",
        )


def check_row_count(count: int, limits: UploadLimits) -> None:
    """413 as soon as a reader has seen more data rows than the cap."""
    if count > limits.max_rows:
        raise PayloadTooLarge(
            f"行数超过上限 {limits.max_rows:,} 行，请拆分文件",
            f"more than {limits.max_rows:,} rows; split the file",
        )
