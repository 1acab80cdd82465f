"""What every source does to content before it is matched: tell binary from text, and
transcode UTF-16/32 text so that byte patterns see its ASCII tokens; and name a path git
gave as bytes."""

from __future__ import annotations

import codecs

__all__ = ["decode_path", "is_binary", "normalize_text"]

_SNIFF = 8192


def decode_path(raw: bytes) -> str:
    """Paths are bytes in git; undecodable bytes stay visible (and JSON-safe) as \\xNN."""
    return raw.decode("utf-8", "backslashreplace")


def is_binary(data: bytes) -> bool:
    """NUL in the first 8 KiB means binary, unless the text is UTF-16/32 with a BOM."""
    if _utf16_or_32(data):
        return False
    return data.find(b"\0", 0, _SNIFF) >= 0  # find with bounds: no copy of the head


def _utf16_or_32(data: bytes) -> bool:
    """A UTF-16/32 BOM, and NUL bytes after it: ASCII text in UTF-16 has them.

    Without any NUL the "BOM" is only two bytes (e.g. Latin-1 "\\xff\\xfe") and decoding
    the rest as UTF-16 would turn every ASCII token into CJK characters.
    """
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return False
    return data.find(b"\0", 2) >= 0


def normalize_text(data: bytes) -> bytes:
    """Transcode UTF-16/32 (with BOM) to UTF-8 so byte patterns see ASCII tokens; else as is.

    Other encodings (Latin-1, Shift-JIS, invalid UTF-8) stay bytes: tokens are ASCII and
    the engine decodes only what it reports, with replacement.
    """
    if not _utf16_or_32(data):
        return data
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace").encode("utf-8")
    return data
