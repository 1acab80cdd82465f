"""Objects read one by one through `git cat-file --batch`, and the reader of such units.

Used for what the pack walk does not read (a range of history, loose objects, alternates,
SHA-256 repositories, a corrupt pack) and for the staged change. If git dies on an
object (a corrupt repository), that object is reported as corrupt and a fresh process
reads on from the next one.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scanner.errors import SourceError
from scanner.model import Blob, Provenance, Skipped
from scanner.sources.derive import derive
from scanner.sources.git.process import first_line, popen
from scanner.sources.interface import Visit
from scanner.sources.text import is_binary, normalize_text

__all__ = ["CatBatch", "CatFileReader", "GitObject", "cat_file", "unreadable", "widen_pipe"]

# A corrupt repository should end the scan with a clear error, not respawn git forever.
_MAX_UNREADABLE = 100
_PIPE_BYTES = 1 << 20


@dataclass(frozen=True)
class GitObject:
    id: str
    kind: str  # "blob", ..., or "missing" / "corrupt" / "not-fetched" (partial clone)
    size: int
    data: bytes | None  # None for --batch-check, or when unreadable
    error: str = ""


def _feed(stream: IO[bytes], ids: Sequence[str]) -> None:
    """Write ids on a thread so a full stdout pipe never deadlocks against a full stdin."""
    try:
        for start in range(0, len(ids), 4096):
            stream.write(("\n".join(ids[start : start + 4096]) + "\n").encode("ascii"))
        stream.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def widen_pipe(stream: IO[bytes]) -> None:
    """Let git write up to 1 MiB ahead of us (Linux; 64 KiB otherwise): fewer wake-ups when
    it streams a history's contents, and `git log` keeps walking while we are busy."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError, ValueError):
        pass  # not Linux, or over the system's pipe-size limit: the default pipe works


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    sink.append(stream.read())


def cat_file(repo: Path, ids: Sequence[str], *, contents: bool, env: Any = None) -> Iterator[GitObject]:
    """Stream objects through `git cat-file --batch[-check]`, in the order of ids."""
    position = 0
    unreadable_count = 0
    while position < len(ids):
        pending = ids[position:]
        proc = popen(repo, ["cat-file", "--batch" if contents else "--batch-check"], stdin=subprocess.PIPE, env=env)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        if contents:
            widen_pipe(proc.stdout)
        errors: list[bytes] = []
        err_thread = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
        feeder = threading.Thread(target=_feed, args=(proc.stdin, pending), daemon=True)
        err_thread.start()
        feeder.start()
        died = False
        try:
            for obj in _answers(proc.stdout, pending, contents):
                if obj is None:
                    died = True
                    break
                yield obj
                position += 1
        finally:
            if died or position < len(ids):
                proc.kill()
            feeder.join()
            proc.stdout.close()
            proc.wait()
            err_thread.join()
            proc.stderr.close()
        if died:
            unreadable_count += 1
            message = first_line(b"".join(errors)) if errors and errors[0] else "git cat-file died"
            if unreadable_count > _MAX_UNREADABLE:
                raise SourceError(f"too many unreadable objects in {repo}; last: {message}")
            yield GitObject(ids[position], "corrupt", 0, None, message)
            position += 1
        elif proc.returncode not in (0, -9):
            raise SourceError(f"git cat-file failed in {repo}: {first_line(b''.join(errors))}")


def _answers(out: IO[bytes], ids: Sequence[str], contents: bool) -> Iterator[GitObject | None]:
    """git's answer for each id, in order; None where it stopped answering (it died)."""
    for oid in ids:
        header = out.readline()
        if not header.endswith(b"\n"):
            yield None
            return
        fields = header.split()
        if len(fields) == 2 and fields[1] in (b"missing", b"ambiguous"):
            yield GitObject(oid, "missing", 0, None, fields[1].decode())
            continue
        if len(fields) != 3:
            yield None
            return
        kind, size = fields[1].decode("ascii", "replace"), int(fields[2])
        data: bytes | None = None
        if contents:
            data = out.read(size)
            if len(data) != size or out.read(1) != b"\n":
                yield None
                return
        yield GitObject(oid, kind, size, data)


def unreadable(path: str, obj: GitObject) -> Skipped:
    reason = obj.kind if obj.kind in ("missing", "corrupt", "not-fetched") else "not-a-blob"
    detail = f"blob {obj.id}" + (f": {obj.error}" if obj.error else "")
    return Skipped(path, reason, detail, blob_id=obj.id)


@dataclass(frozen=True)
class CatBatch:
    """Blobs to read in one `git cat-file` run: (id, path, base id or ""), versions of a file
    together, each after its base, so each is matched by what changed from the one before."""

    entries: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class CatFileReader:
    """Reads CatBatch units of one repository (picklable: spawned workers get it too)."""

    repo: Path

    def read(self, unit: CatBatch, visit: Visit) -> None:
        entries = unit.entries
        # Each base's content and matches, kept until the last blob built on it is read.
        uses: dict[str, int] = {}
        for _id, _path, base in entries:
            if base:
                uses[base] = uses.get(base, 0) + 1
        kept: dict[str, tuple[bytes, Any]] = {}
        objects = cat_file(self.repo, [oid for oid, _path, _base in entries], contents=True)
        for (oid, path, base), obj in zip(entries, objects, strict=True):
            held = kept.get(base) if base else None
            if base and uses[base] > 0:
                uses[base] -= 1
                if not uses[base]:
                    kept.pop(base, None)
            state = self._visit(obj, path, (base, *held) if held is not None else None, visit)
            if uses.get(oid) and state is not _UNREAD:
                kept[oid] = state

    @staticmethod
    def _visit(obj: GitObject, path: str, base: tuple[str, bytes, Any] | None, visit: Visit) -> Any:
        """Visit one object; returns what to keep of it for the blobs built on it (its
        content and its state), or _UNREAD."""
        if obj.data is None or obj.kind != "blob":
            visit(unreadable(path, obj), None)
            return _UNREAD
        if is_binary(obj.data):
            visit(Skipped(path, "binary", f"blob {obj.id}, {obj.size} bytes", blob_id=obj.id), None)
            return _UNREAD
        data = normalize_text(obj.data)
        if base is None:
            return data, visit(Blob(obj.id, data, (Provenance(path),)), None)
        base_id, base_data, base_state = base
        return data, visit(Blob(obj.id, data, (Provenance(path),), derive(data, base_data, base_id)), base_state)


_UNREAD: Any = object()
