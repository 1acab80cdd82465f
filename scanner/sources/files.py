"""Working-tree and stdin sources.

Inside a git work tree the file list comes from git (tracked + untracked-not-ignored),
so `.gitignore` is honoured exactly as git does; elsewhere, or with --no-gitignore, a
plain walk. A directory that git ignores as a whole (build output, a vendored tree) is
walked whole when it is named: ignored by git, it is still where keys leak to, and
naming it says to look there. Symlinks are never followed out of the scanned root.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from scanner.errors import SourceError
from scanner.model import Blob, Provenance, Skipped, blob_id
from scanner.sources import is_binary, normalize_text, scrubbed_env

__all__ = ["iter_paths", "iter_stdin", "display_root"]

_SKIP_DIRS = {".git", ".hg", ".svn"}
_STDIN_CHUNK = 1 << 20


def display_root(paths: Sequence[Path]) -> Path:
    """Paths in findings are relative to this: the single directory given, else the cwd."""
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0].resolve()
    return Path.cwd().resolve()


def _git_top(directory: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            env=scrubbed_env(),
            check=False,
        )
    except OSError:
        return None
    if out.returncode != 0:
        return None
    top = out.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(top).resolve() if top else None


def _git_files(directory: Path) -> list[Path] | None:
    """Tracked and untracked-not-ignored files below `directory`, per git; None outside a
    work tree, and for a directory git ignores as a whole."""
    top = _git_top(directory)
    if top is None or (top != directory.resolve() and _ignored(directory)):
        return None
    proc = subprocess.run(
        ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
        capture_output=True,
        env=scrubbed_env(),
        check=False,
    )
    if proc.returncode != 0:
        return None
    names = [n for n in proc.stdout.split(b"\0") if n]
    return [directory / os.fsdecode(name) for name in dict.fromkeys(names)]


def _ignored(directory: Path) -> bool:
    """git ignores the directory itself (or one it is in)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "check-ignore", "-q", "."],
            capture_output=True,
            env=scrubbed_env(),
            check=False,
        )
    except OSError:
        return False
    return out.returncode == 0


def _walk(directory: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            yield Path(current) / name


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _relative(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = path
    # Undecodable bytes are shown as \xNN, as the git sources show them: a lone surrogate
    # from the file system would make reports invalid UTF-8 / invalid JSON for strict readers.
    return os.fsencode(rel.as_posix()).decode("utf-8", "backslashreplace")


def iter_paths(paths: Sequence[Path], *, max_file_size: int, use_gitignore: bool = True) -> Iterator[Blob | Skipped]:
    """Files named or below the directories named, each read once, as Blobs."""
    root = display_root(paths)
    seen: set[Path] = set()
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise SourceError(f"no such file or directory: {given}")
        base = given.resolve()
        if given.is_dir():
            listed = _git_files(given) if use_gitignore else None
            candidates = sorted(listed) if listed is not None else list(_walk(given))
            boundary = base
        else:
            candidates = [given]
            boundary = base.parent
        for path in candidates:
            yield from _read(path, root, boundary, seen, max_file_size)


def _read(path: Path, root: Path, boundary: Path, seen: set[Path], max_file_size: int) -> Iterator[Blob | Skipped]:
    absolute = Path(os.path.abspath(path))
    rel = _relative(absolute, root)
    if path.is_symlink():
        target = path.resolve()
        if not _inside(target, boundary):
            yield Skipped(rel, "symlink-outside-root")
            return
        if target.is_dir():
            return
    if absolute in seen:
        return
    seen.add(absolute)
    try:
        if not path.is_file():
            if path.exists():
                yield Skipped(rel, "not-a-file")
            return
        size = path.stat().st_size
        if size > max_file_size:
            yield Skipped(rel, "too-large", f"{size} bytes")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Skipped(rel, "unreadable", exc.strerror or str(exc))
        return
    if is_binary(data):
        yield Skipped(rel, "binary")
        return
    data = normalize_text(data)
    yield Blob(id=blob_id(data), data=data, provenance=(Provenance(path=rel),))


def iter_stdin(stream: BinaryIO, *, max_file_size: int, label: str = "stdin") -> Iterator[Blob | Skipped]:
    """All of standard input as one blob (it cannot be re-read, so it is read whole)."""
    # Read in chunks: one read(max_file_size + 1) allocates that much up front (MemoryError at 1G+).
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= max_file_size:
            chunk = stream.read(min(_STDIN_CHUNK, max_file_size + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read standard input: {exc.strerror or exc}") from None
    data = b"".join(chunks)
    del chunks
    if len(data) > max_file_size:
        yield Skipped(label, "too-large", f"over {max_file_size} bytes")
        return
    if is_binary(data):
        yield Skipped(label, "binary")
        return
    data = normalize_text(data)
    yield Blob(id=blob_id(data), data=data, provenance=(Provenance(path=label),))
