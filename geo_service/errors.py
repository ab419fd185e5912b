"""Domain errors. Services raise these; geo_service.api.errors maps each to one HTTP status."""

from __future__ import annotations

from pydantic import BaseModel


class GeoServiceError(Exception):
    """Base class: a failure the caller can understand and act on.

    Picklable with its attributes whatever its constructor takes: an error raised in an analysis process
    (geo_service.services.heavy) reaches the request's worker intact, and maps to the same status there."""

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuilt, (type(self), self.args, dict(self.__dict__))


def _rebuilt(cls: type[GeoServiceError], args: tuple[object, ...], state: dict[str, object]) -> GeoServiceError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidParameter(GeoServiceError):
    """A request parameter has an unacceptable value; `parameter` names it for the 422 body."""

    def __init__(self, parameter: str, message: str, location: str = "query", code: str | None = None) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
        self.location = location  # where the parameter was sent: query or body
        self.code = code  # what is wrong, for pages that word it in their language (e.g. route_too_few_points)


class NotFound(GeoServiceError):
    """The named resource does not exist."""


class DatabaseUnavailable(GeoServiceError):
    """The database cannot answer now (down, locked, timed out); the client should retry."""

    retry_after_s = 5


class DataFileError(GeoServiceError):
    """A bundled or supplied data file is missing or malformed (raised while loading data)."""


class Unauthenticated(GeoServiceError):
    """No valid credentials: missing where required, unknown, revoked, disabled or malformed (→ 401).

    `invalid_token` says that credentials were sent but refused (RFC 6750 `error="invalid_token"`), as
    opposed to none being sent. The message never says which part was wrong.
    """

    def __init__(
        self, message: str = "需要有效的登录或 API 密钥 (valid credentials required)", *, invalid_token: bool = False
    ) -> None:
        super().__init__(message)
        self.invalid_token = invalid_token


class Forbidden(GeoServiceError):
    """The caller is known but its role or districts do not allow this (→ 403)."""


class JobsBusy(GeoServiceError):
    """As many jobs as GEO_JOB_MAX_ACTIVE are queued or running; a new one must wait (→ 503, Retry-After)."""

    retry_after_s = 10

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"后台任务已满（{limit} 个进行中），请稍后重试 / {limit} jobs are already queued or running; retry later"
        )


class ServerBusy(GeoServiceError):
    """This worker cannot start the request within GEO_QUEUE_WAIT_S: every heavy-analysis slot
    (GEO_HEAVY_CONCURRENCY) or every request thread is taken (→ 503, Retry-After). The message names which."""

    retry_after_s = 1


class TooManyRequests(GeoServiceError):
    """Too many attempts in the current window; retry after `retry_after_s` seconds (→ 429)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class CredentialsInQuery(GeoServiceError):
    """A secret was sent in the URL (where logs, proxies and browser history keep it); refused (→ 400)."""

    def __init__(self, parameter: str) -> None:
        super().__init__(
            f"{parameter}: 不接受放在网址中的密钥，请使用 Authorization: Bearer 请求头 "
            "(credentials in the query string are refused; send the Authorization: Bearer header)"
        )
        self.parameter = parameter


class Conflict(GeoServiceError):
    """The write collides with existing data, e.g. a username that is taken (→ 409)."""


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


class InvalidInput(GeoServiceError):
    """Several fields of one request body (or one record) are unacceptable (→ 422, one entry per field).

    `problems` are (field, message) pairs; `location` is where the fields were sent (`body`)."""

    def __init__(self, problems: list[tuple[str, str]], location: str = "body") -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems
        self.location = location


class PreconditionFailed(GeoServiceError):
    """The client's If-Match names a version that is no longer current: someone else wrote first (→ 412)."""


class PreconditionRequired(GeoServiceError):
    """A write that must be conditional came without If-Match (→ 428), so it could overwrite unseen changes."""


class ImportRejected(GeoServiceError):
    """A commit refused because rows were rejected: nothing was written (→ 422 carrying the full report).

    `report` is the import report (services.import_report.ImportReport), every row with its status."""

    def __init__(self, message: str, report: BaseModel) -> None:
        super().__init__(message)
        self.report = report


class ExportTooLarge(GeoServiceError):
    """An export would hold more facilities than the cap from settings (→ 422; narrow the filters)."""


class BadRequest(GeoServiceError):
    """A request the OGC API standards answer with 400 (→ 400): an unknown or invalid query parameter, a
    malformed filter. `position` is the 0-based character offset of the error in the parameter's value,
    when known (a CQL2 syntax error), so the client can point at it."""

    def __init__(self, parameter: str, message: str, position: int | None = None, code: str = "InvalidParameterValue"):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
        self.position = position
        self.code = code
