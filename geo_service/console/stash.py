"""Uploaded files kept between the steps of the import wizard (upload → mapping and report → commit).

A file is written once under the system's temporary directory, named by a random token, beside a note
of who uploaded it; only that user's session can read it back, and files older than an hour are
removed. One host's temporary directory holds them: behind several hosts, route a user to one of them
(sticky sessions), or use the API (`POST /api/v1/imports`), which takes the file with every request.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from geo_service.errors import NotFound

MAX_AGE_S: Final = 3600
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{32}$")
_GONE: Final = "上传的文件已过期，请重新上传 (the uploaded file has expired; upload it again)"


@dataclass(frozen=True)
class Stashed:
    token: str
    file_name: str
    data: bytes


def stash_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "geo_service-console-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _purge(folder: Path, now: float) -> None:
    for path in folder.iterdir():
        try:
            if now - path.stat().st_mtime > MAX_AGE_S:
                path.unlink()
        except FileNotFoundError:
            continue


def put(owner: str, file_name: str, data: bytes) -> str:
    """Keep an upload for `owner`; its token."""
    folder = stash_dir()
    _purge(folder, time.time())
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"owner": owner, "file_name": file_name}), encoding="utf-8")
    return token


def get(token: str, owner: str) -> Stashed:
    """The upload of `token` if `owner` made it and it has not expired; NotFound otherwise."""
    if not _TOKEN.match(token):
        raise NotFound(_GONE)
    folder = stash_dir()
    note, body = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        meta = json.loads(note.read_text(encoding="utf-8"))
        if meta.get("owner") != owner or time.time() - note.stat().st_mtime > MAX_AGE_S:
            raise NotFound(_GONE)
        return Stashed(token, str(meta["file_name"]), body.read_bytes())
    except (FileNotFoundError, ValueError, KeyError):
        raise NotFound(_GONE) from None


def drop(token: str) -> None:
    if _TOKEN.match(token):
        for suffix in (".json", ".bin"):
            (stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)
