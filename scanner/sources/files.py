"""Working-tree and stdin sources.

Inside a git work tree the file list comes from git (tracked + untracked-not-ignored),
so `.gitignore` is honoured exactly as git does; elsewhere, or with --no-gitignore, a
plain walk. A directory that git ignores as a whole (build output, a vendored tree) is
walked whole when it is named: ignored by git, it is still where keys leak to, and
naming it says to look there. Symlinks are never followed out of the scanned root.
The list is made in this process; the workers read the files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from scanner.errors import SourceError
from scanner.model import Blob, Provenance, Skipped, blob_id
from scanner.sources.git.process import run_status
from scanner.sources.git.repo import work_tree_top
from scanner.sources.interface import Plan, Visit
from scanner.sources.text import is_binary, normalize_text

__all__ = ["FilesSource", "StdinSource", "display_root"]

_SKIP_DIRS = {".git", ".hg", ".svn"}
_STDIN_CHUNK = 1 << 20
# Files per work unit: enough that a unit's overhead is small, few enough to balance.
_BATCH_FILES = 128


def display_root(paths: Sequence[Path]) -> Path:
    """Paths in findings are relative to this, whatever way the targets were named: the top
    of the git work tree holding them all, else the current directory if it holds them,
    else the deepest directory holding them all. Its `.keysweep.toml` is the one read."""
    places = [_real_dir(p) for p in paths]
    top = work_tree_top(places[0])
    if top is not None and all(_inside(p, top) for p in places):
        return top
    cwd = Path.cwd().resolve()
    if all(_inside(p, cwd) for p in places):
        return cwd
    return Path(os.path.commonpath(places))


def _real_dir(path: Path) -> Path:
    """The directory a target is (or is in), with its links resolved."""
    return path.resolve() if path.is_dir() and not path.is_symlink() else Path(os.path.abspath(path)).parent.resolve()


@dataclass
class _Listed:
    files: list[Path]
    unreadable: list[tuple[Path, str]]  # directories that could not be listed, and why


def _git_files(directory: Path) -> _Listed | None:
    """Tracked and untracked-not-ignored files below `directory`, per git; None outside a
    work tree, and for a directory git ignores as a whole."""
    top = work_tree_top(directory)
    if top is None or (top != directory.resolve() and _ignored(directory)):
        return None
    proc = run_status(directory, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    if proc.returncode != 0:
        return None
    names = [n for n in proc.stdout.split(b"\0") if n]
    files = [directory / os.fsdecode(name) for name in dict.fromkeys(names)]
    return _Listed(files, _unopened(directory, proc.stderr))


def _unopened(directory: Path, stderr: bytes) -> list[tuple[Path, str]]:
    """The directories git warned it could not open (it goes on without them)."""
    found = []
    for line in stderr.decode("utf-8", "surrogateescape").splitlines():
        match = _UNOPENED.match(line)
        if match:
            found.append((directory / match["path"].rstrip("/"), match["why"]))
    return found


# git's warning, in the C locale keysweep runs it in (builtin dir.c).
_UNOPENED = re.compile(r"^warning: could not open directory '(?P<path>.*)': (?P<why>.*)$")


def _ignored(directory: Path) -> bool:
    """git ignores the directory itself (or one it is in)."""
    try:
        return run_status(directory, "check-ignore", "-q", ".").returncode == 0
    except SourceError:
        return False


def _walk(directory: Path) -> _Listed:
    listed = _Listed([], [])

    def unreadable(error: OSError) -> None:
        listed.unreadable.append((Path(error.filename), error.strerror or str(error)))

    for current, dirs, files in os.walk(directory, onerror=unreadable, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        listed.files.extend(Path(current) / name for name in sorted(files))
    return listed


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
        # Named through a symbolic link (the root is resolved): resolve the directory too.
        real = Path(os.path.realpath(path.parent)) / path.name
        rel = real.relative_to(root) if _inside(real, root) else path
    # Undecodable bytes are shown as \xNN, as the git sources show them: a lone surrogate
    # from the file system would make reports invalid UTF-8 / invalid JSON for strict readers.
    return os.fsencode(rel.as_posix()).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class FileBatch:
    """Files for one worker to read: (path to open, path to report)."""

    entries: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _FileReader:
    max_file_size: int

    def read(self, unit: FileBatch, visit: Visit) -> None:
        for path, rel in unit.entries:
            visit(_read(Path(path), rel, self.max_file_size), None)


def _read(path: Path, rel: str, max_file_size: int) -> Blob | Skipped:
    try:
        if not path.is_file():
            return Skipped(rel, "not-a-file")
        size = path.stat().st_size
        if size > max_file_size:
            return Skipped(rel, "too-large", f"{size} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(rel, "unreadable", exc.strerror or str(exc))
    if is_binary(data):
        return Skipped(rel, "binary")
    data = normalize_text(data)
    return Blob(id=blob_id(data), data=data, provenance=(Provenance(path=rel),))


class FilesSource:
    """Files named, and files below the directories named, each read once."""

    def __init__(self, paths: Sequence[Path], *, max_file_size: int, use_gitignore: bool = True) -> None:
        self._paths = list(paths)
        self._max_file_size = max_file_size
        self._use_gitignore = use_gitignore
        self._skipped: list[Skipped] = []

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        return Plan(_FileReader(self._max_file_size), self._units())

    def _units(self) -> Iterator[FileBatch]:
        batch: list[tuple[str, str]] = []
        for entry in self._entries():
            if isinstance(entry, Skipped):
                self._skipped.append(entry)
                continue
            batch.append(entry)
            if len(batch) >= _BATCH_FILES:
                yield FileBatch(tuple(batch))
                batch = []
        if batch:
            yield FileBatch(tuple(batch))

    def _entries(self) -> Iterator[tuple[str, str] | Skipped]:
        root = display_root(self._paths)
        seen: set[Path] = set()
        for given in self._paths:
            if not given.exists() and not given.is_symlink():
                raise SourceError(f"no such file or directory: {given}")
            base = given.resolve()
            if given.is_dir():
                listed = (_git_files(given) if self._use_gitignore else None) or _walk(given)
                candidates = sorted(listed.files)
                boundary = base
                for directory, why in listed.unreadable:
                    yield Skipped(_relative(Path(os.path.abspath(directory)), root), "unreadable", why)
            else:
                candidates = [given]
                boundary = base.parent
            for path in candidates:
                entry = _entry(path, root, boundary, seen)
                if entry is not None:
                    yield entry

    def reaches(self, blob_id: str) -> bool:
        return True

    def places(self, blob_id: str) -> tuple[Provenance, ...]:
        return ()

    def places_at(self, wanted: Callable[[str], bool]) -> dict[str, tuple[Provenance, ...]] | None:
        return None

    def skipped(self) -> Iterable[Skipped]:
        return self._skipped

    def close(self) -> None:
        return None


def _entry(path: Path, root: Path, boundary: Path, seen: set[Path]) -> tuple[str, str] | Skipped | None:
    """What to read for `path` (once), a skip, or None (a directory link, a file seen)."""
    absolute = Path(os.path.abspath(path))
    rel = _relative(absolute, root)
    if path.is_symlink():
        try:
            target = path.resolve()
        except (RuntimeError, OSError):  # a loop (`s -> s`, `a -> b -> a`): RuntimeError before 3.13
            return Skipped(rel, "symlink-loop")
        if not _inside(target, boundary):
            return Skipped(rel, "symlink-outside-root")
        if target.is_dir():
            return None
    if absolute in seen:
        return None
    seen.add(absolute)
    if not path.is_file():
        return Skipped(rel, "not-a-file") if path.exists() else None
    return str(path), rel


@dataclass(frozen=True)
class _BlobReader:
    def read(self, unit: Blob | Skipped, visit: Visit) -> None:
        visit(unit, None)


class StdinSource:
    """All of standard input as one blob (it cannot be re-read, so it is read whole, here)."""

    def __init__(self, stream: BinaryIO, *, max_file_size: int, label: str = "stdin") -> None:
        self._item = _read_stream(stream, max_file_size, label)

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        return Plan(_BlobReader(), iter([self._item]))

    def reaches(self, blob_id: str) -> bool:
        return True

    def places(self, blob_id: str) -> tuple[Provenance, ...]:
        return ()

    def places_at(self, wanted: Callable[[str], bool]) -> dict[str, tuple[Provenance, ...]] | None:
        return None

    def skipped(self) -> Iterable[Skipped]:
        return ()

    def close(self) -> None:
        return None


def _read_stream(stream: BinaryIO, max_file_size: int, label: str) -> Blob | Skipped:
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
        return Skipped(label, "too-large", f"over {max_file_size} bytes")
    if is_binary(data):
        return Skipped(label, "binary")
    data = normalize_text(data)
    return Blob(id=blob_id(data), data=data, provenance=(Provenance(path=label),))
