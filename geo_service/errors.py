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
