"""Zip containers (XLSX workbooks, zipped Shapefiles) opened defensively.

Everything is decided from the central directory before a byte is inflated: too many members, a total
unpacked size over the cap, or one member that inflates more than `max_zip_ratio` times (the mark of a
zip bomb) is a 413; a member with an absolute path, a `..` component, a drive letter, a symlink mode or
encryption is a 422. Reads then stop at the declared size, so a lying header cannot inflate further
(Python's zipfile also truncates there and fails the CRC check).
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import Final

from geo_service.errors import InvalidFile, PayloadTooLarge
from geo_service.interchange.limits import UploadLimits

#: A workbook has a few dozen members, a zipped Shapefile a handful; thousands means something else.
MAX_MEMBERS: Final = 10_000
#: Members smaller than this are not ratio-checked: tiny files compress absurdly well and cost nothing.
RATIO_MIN_BYTES: Final = 1 << 20
_CHUNK: Final = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")
#: What zipfile raises on a corrupt archive or member (unsupported methods and versions included).
ZIP_ERRORS: Final = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError)


def open_zip(data: bytes, limits: UploadLimits) -> zipfile.ZipFile:
    """The archive, once every member has passed the name and size checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise InvalidFile("不是有效的 zip 文件", f"not a valid zip file ({exc})") from None
    check_members(archive, limits)
    return archive


def check_members(archive: zipfile.ZipFile, limits: UploadLimits) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise PayloadTooLarge(
            f"压缩包内文件过多（{len(infos):,} 个）", f"too many files in the archive ({len(infos):,})"
        )
    for info in infos:
        check_name(info)
        inflated = info.file_size > limits.max_zip_ratio * max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and inflated:
            raise PayloadTooLarge(
                f"压缩包内 {info.filename} 的压缩比异常（疑似 zip 炸弹）",
                f"{info.filename} inflates more than {limits.max_zip_ratio:g} times (zip bomb)",
            )
    total = sum(info.file_size for info in infos)
    if total > limits.max_unzipped_bytes:
        raise PayloadTooLarge(
            f"解压后 {total:,} 字节，超过上限 {limits.max_unzipped_bytes:,} 字节",
            f"unpacks to {total:,} bytes, over the limit of {limits.max_unzipped_bytes:,}",
        )


def check_name(info: zipfile.ZipInfo) -> None:
    """Refuse a member that could escape a directory or is not a plain readable file."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name) or ".." in PurePosixPath(name).parts:
        raise InvalidFile(f"压缩包内的路径不安全：{info.filename}", f"unsafe path in the archive: {info.filename}")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidFile(f"压缩包内含符号链接：{info.filename}", f"symbolic link in the archive: {info.filename}")
    if info.flag_bits & 0x1:
        raise InvalidFile(f"压缩包内文件已加密：{info.filename}", f"encrypted file in the archive: {info.filename}")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than its declared size (checked against the caps already)."""
    parts, size = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > info.file_size:
                    raise PayloadTooLarge(
                        f"{info.filename} 解压后大于声明的大小", f"{info.filename} inflates past its declared size"
                    )
                parts.append(chunk)
    except ZIP_ERRORS as exc:
        raise InvalidFile(f"无法解压 {info.filename}", f"cannot unpack {info.filename} ({exc})") from None
    return b"".join(parts)
