"""Strict JSON request bodies: one check in front of every route, before FastAPI parses and validates.

Python's JSON reader (the one FastAPI uses) accepts `NaN`, `Infinity` and `1e400` (read as inf), lone
surrogates (`"\\ud800"`, which no UTF-8 writer can echo back) and integers of any size (which no
database column holds), and fails with a RecursionError on deep nesting. Each of these was a 500
somewhere. This pure-ASGI layer reads a JSON body (already bounded by the body-size limit), parses it
with orjson — which refuses all of those but big integers and nesting beyond 1024 — and checks the
depth and the integers itself; a refused body is a 422 whose `loc` names the field (`["body", "area",
"coordinates"]`) and whose message is short. An accepted body is handed on unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import numpy as np
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_service.api.typed_params import INT64_MAX

_LONG_RUN: Final = 19  # a JSON integer of 19 digits or more may pass 2^63
Loc = tuple[str | int, ...]


class BodyProblem(Exception):
    """Why a body is refused, and where in it."""

    def __init__(self, loc: Loc, message: str, kind: str) -> None:
        super().__init__(message)
        self.loc, self.message, self.kind = loc, message, kind


def _is_json(scope: Scope) -> bool:
    """A JSON body by its media type; FastAPI reads a body without a Content-Type as JSON too."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


def check_body(body: bytes, max_depth: int) -> None:
    """Raise BodyProblem unless `body` is strict JSON no deeper than `max_depth` with 64-bit integers."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise _too_deep((), max_depth) from None
        raise _diagnosis(body, exc.pos, exc.msg, max_depth) from None
    if _has_long_digit_run(body):  # maybe an integer beyond 64 bits, which orjson reads as a float
        try:
            value = _python_value(body)
        except RecursionError:
            raise _too_deep((), max_depth) from None
        raise_first(value, max_depth)
    # the bracket count bounds the depth (most bodies stop here); else a cheap walk, and the full one
    # only to name where a too deep body goes too deep
    elif body.count(b"[") + body.count(b"{") > max_depth and not _within(value, max_depth):
        raise_first(value, max_depth)


def _has_long_digit_run(body: bytes) -> bool:
    """Whether `body` holds _LONG_RUN digits in a row (vectorised: a regular expression takes 8× longer)."""
    if len(body) < _LONG_RUN:
        return False
    codes = np.frombuffer(body, dtype=np.uint8)
    breaks = np.flatnonzero((codes < 0x30) | (codes > 0x39))
    edges = np.concatenate(([-1], breaks, [len(codes)]))
    return bool((np.diff(edges) - 1 >= _LONG_RUN).any())


def _within(value: Any, max_depth: int) -> bool:
    """Whether `value` nests at most `max_depth` containers deep (level by level, containers only)."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > max_depth:
            return False
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
    return True


class _Refused:
    """A number orjson refuses (or reads as a float) that Python's reader accepts: NaN, ±Infinity, an
    overflowing float, an integer beyond 64 bits."""

    def __init__(self, text: str, integer: bool = False) -> None:
        self.text, self.integer = text, integer


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(text)


def _int(text: str) -> int | _Refused:
    if len(text) > 20:  # beyond 64 bits whatever the digits (and int() of thousands of digits is slow)
        return _Refused(text, integer=True)
    value = int(text)
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else _Refused(text, integer=True)


def _python_value(body: bytes) -> Any:
    return json.loads(body, parse_constant=_Refused, parse_float=_float, parse_int=_int)


def _diagnosis(body: bytes, pos: int, msg: str, max_depth: int) -> BodyProblem:
    """Where the body went wrong: Python's reader (with hooks) finds the field holding a refused number or
    a lone surrogate; a syntax error is named by its position, as FastAPI does."""
    try:
        raise_first(_python_value(body), max_depth)
    except (ValueError, RecursionError):
        pass
    except BodyProblem as problem:
        return problem
    return BodyProblem((pos,), f"不是有效的 JSON (not valid JSON: {msg})", "json_invalid")


def _too_deep(loc: Loc, max_depth: int) -> BodyProblem:
    return BodyProblem(loc, f"嵌套过深：最多 {max_depth} 层 (nested deeper than {max_depth} levels)", "too_deep")


def raise_first(value: Any, max_depth: int) -> None:
    """Raise BodyProblem for the first refused number, lone surrogate or too deep a container in `value`."""
    stack: list[tuple[Loc, Any]] = [((), value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, dict | list):
            if len(loc) >= max_depth:
                raise _too_deep(loc, max_depth)
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and not _encodable(key):
                    raise _surrogate((*loc, key.encode("utf-8", "replace").decode()))
                stack.append(((*loc, key), child))
        elif isinstance(item, _Refused):
            if item.integer:
                raise BodyProblem(loc, "整数超出 64 位范围 (integer outside the 64-bit range)", "int_too_large")
            raise BodyProblem(loc, f"须为有限的数 (must be a finite number, got {item.text[:20]})", "finite_number")
        elif isinstance(item, str) and not _encodable(item):
            raise _surrogate(loc)


def _surrogate(loc: Loc) -> BodyProblem:
    return BodyProblem(loc, "含有无效的 Unicode 代理字符 (contains a lone Unicode surrogate)", "string_unicode")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def _refuse(send: Send, problem: BodyProblem) -> None:
    loc = ["body", *problem.loc]
    body = orjson.dumps({"detail": [{"loc": loc, "msg": problem.message, "type": problem.kind}]})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class JsonBodyGuard:
    """Refuses a JSON body that is not strict JSON (422); hands the others on as they came."""

    def __init__(self, app: ASGIApp, max_depth: int) -> None:
        self.app, self.max_depth = app, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left: nothing to answer
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            try:
                check_body(body, self.max_depth)
            except BodyProblem as problem:
                await _refuse(send, problem)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
