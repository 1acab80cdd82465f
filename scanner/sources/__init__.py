"""Input enumeration: each source yields Blob (to scan) or Skipped (counted, reported).

All git calls live below this package, with a scrubbed GIT_* environment.
"""

from __future__ import annotations

import codecs
import os

__all__ = ["is_binary", "normalize_text", "scrubbed_env", "DEFAULT_MAX_FILE_SIZE"]

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024

_SNIFF = 8192


def is_binary(data: bytes) -> bool:
    """NUL in the first 8 KiB means binary, unless the text is UTF-16/32 with a BOM."""
    if _utf16_or_32(data):
        return False
    return data.find(b"\0", 0, _SNIFF) >= 0  # find with bounds: no copy of the head


def _utf16_or_32(data: bytes) -> bool:
    """A UTF-16/32 BOM, and NUL bytes after it: ASCII text in UTF-16 has them.

    Without any NUL the "BOM" is only two bytes (e.g. Latin-1 "\xff\xfe") and decoding
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


def scrubbed_env() -> dict[str, str]:
    """The environment for git subprocesses: no GIT_* from a hook caller leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    return env
