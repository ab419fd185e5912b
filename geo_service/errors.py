"""Domain errors. Services raise these; geo_service.api.errors maps each to one HTTP status."""

from __future__ import annotations


class GeoServiceError(Exception):
    """Base class: a failure the caller can understand and act on."""


class InvalidParameter(GeoServiceError):
    """A request parameter has an unacceptable value; `parameter` names it for the 422 body."""

    def __init__(self, parameter: str, message: str, location: str = "query") -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
        self.location = location  # where the parameter was sent: query or body


class NotFound(GeoServiceError):
    """The named resource does not exist."""


class DatabaseUnavailable(GeoServiceError):
    """The database cannot answer now (down, locked, timed out); the client should retry."""

    retry_after_s = 5


class DataFileError(GeoServiceError):
    """A bundled or supplied data file is missing or malformed (raised while loading data)."""


class FileRefused(GeoServiceError):
    """An uploaded file cannot be read; the message is bilingual (Chinese first) and names the request field.

    Subclasses choose the HTTP status: too large (413), not a format we read (415), or readable in
    principle but broken, hostile or missing what an import needs (422).
    """

    def __init__(self, message_zh: str, message_en: str, field: str = "file") -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field


class PayloadTooLarge(FileRefused):
    """The body, the unzipped content or the number of rows exceeds a cap from settings."""


class UnsupportedFile(FileRefused):
    """Neither the name nor the content is one of the formats we read."""


class InvalidFile(FileRefused):
    """A file of a known format that is broken, hostile (entities, path traversal) or lacks required columns."""
