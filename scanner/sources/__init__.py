"""Input enumeration: each source plans work units whose readers yield Blobs (to scan) or
Skipped (counted, reported); see scanner.sources.interface.

All git calls live below this package (scanner.sources.git.process starts them).
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_FILE_SIZE"]

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
