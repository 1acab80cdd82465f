"""The blobs that commits added, with where and when: one `git log --raw` pass.

The listing is what a history scan promises to cover: every blob that a commit of the
selected history added at some path, each with the earliest commit (in history order:
parents before children) that added it at each path. It is kept compact, each blob known
by its position and what is known of it in arrays; sizes come from a `git cat-file
--batch-check` asked about each new blob while the log is still being read.
"""

from __future__ import annotations

import mmap
import os
import subprocess
import tempfile
import time
from array import array
from binascii import unhexlify
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from scanner.errors import SourceError
from scanner.model import Provenance, Skipped
from scanner.sources.git.catfile import GitObject, cat_file, unreadable, widen_pipe
from scanner.sources.git.process import WALK_MEMORY, first_line, popen
from scanner.sources.git.repo import not_fetched
from scanner.sources.text import decode_path

__all__ = ["Listing", "check_rev", "decode_path", "log_args", "read_listing", "start_log"]

_CHUNK = 1 << 20
# How long the log parser waits for git to write more (seconds).
_LOG_POLL = 0.001
_LOG_FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%at"
_NO_SIZE = -1
_NULL_IDS = (b"0" * 40, b"0" * 64)


def check_rev(rev: str, what: str) -> str:
    # A revision that looks like an option could make git do something else entirely.
    if not rev or rev.startswith("-") or "\0" in rev or "\n" in rev:
        raise SourceError(f"invalid {what}: {rev!r}")
    return rev


@dataclass
class _History:
    """Provenance index from one `git log --raw` pass, kept compact: paths and commits
    interned, each blob known by its position (the order it was first seen), and what is
    known of every blob in arrays by position (a few bytes a blob, not Python objects)."""

    commits: list[tuple[str, str, str, str]] = field(default_factory=list)
    # author time of each commit (seconds), as collapse() orders findings
    times: list[int] = field(default_factory=list)
    paths: list[bytes] = field(default_factory=list)
    # blob id -> position; position -> id
    blobs: dict[bytes, int] = field(default_factory=dict)
    keys: list[bytes] = field(default_factory=list)
    # by position: the path first seen at, the commit that first added it there, and the
    # position of the blob that path held before (its previous version), or -1
    first_path: array[int] = field(default_factory=lambda: array("l"))
    first_commit: array[int] = field(default_factory=lambda: array("l"))
    base: array[int] = field(default_factory=lambda: array("l"))
    # position -> [path, commit, path, commit, ...] for the few blobs seen at more paths
    more: dict[int, list[int]] = field(default_factory=dict)
    # gitlink paths (submodules) in first-seen order
    submodules: dict[bytes, None] = field(default_factory=dict)

    def places(self, position: int) -> list[tuple[int, int]]:
        """(path, commit) of every path the blob was added at, the first first."""
        found = [(self.first_path[position], self.first_commit[position])]
        extra = self.more.get(position, ())
        found.extend((extra[i], extra[i + 1]) for i in range(0, len(extra), 2))
        return found


def log_args(
    refs: Sequence[str] | None,
    since: str | None,
    rev_range: str | None,
    stashes: Sequence[str] = (),
    *,
    new_only: bool = False,
) -> list[str]:
    """git log's revisions; `new_only` leaves out every commit a ref already reaches (in a
    pre-receive hook: what the push brings)."""
    revs: list[str] = []
    if rev_range is not None:
        revs.append(check_rev(rev_range, "range"))
    if since is not None:
        revs.append("^" + check_rev(since, "revision"))
        if rev_range is None and not refs:
            revs.append("HEAD")
    if refs:
        revs.extend(check_rev(r, "ref") for r in refs)
    if new_only:
        # `--not` toggles: every ref negated, then the pushed tips positive again.
        return ["--not", "--all", "--not", "--end-of-options", *revs]
    if not revs:
        return ["--all", *stashes]
    return ["--end-of-options", *revs]


def start_log(repo: Path, revs: list[str]) -> _Log:
    args = [
        *WALK_MEMORY,
        "log",
        "--raw",
        "--no-abbrev",
        "-z",
        "--no-renames",
        "--no-color",
        "--no-show-signature",
        "--no-relative",
        "--reverse",
        "--date-order",
        "--diff-merges=first-parent",
        "--encoding=UTF-8",
        f"--format={_LOG_FORMAT}",
        "--root",
        *revs,
        "--",
    ]
    # Into files where it can (see _Log), else a pipe (and its errors are not kept).
    out = _temporary_file() if hasattr(os, "pread") else None
    err = _temporary_file()
    try:
        proc = popen(
            repo,
            args,
            stdout=out if out is not None else subprocess.PIPE,
            stderr=err if err is not None else subprocess.DEVNULL,
        )
    except SourceError:
        for file in (out, err):
            if file is not None:
                file.close()
        raise
    if proc.stdout is not None:
        widen_pipe(proc.stdout)
    return _Log(proc, out, err)


def _temporary_file() -> IO[bytes] | None:
    try:
        return tempfile.TemporaryFile()
    except OSError:
        return None  # an unwritable temporary directory


class _Log:
    """A running `git log` and its output. git writes into an unlinked temporary file, not
    a pipe, so it never stops on a full pipe while this process is busy elsewhere (loading
    rules, reading the packs), and no thread has to drain it (worker processes are forked
    meanwhile). The file is read with pread, at an offset of our own: git's descriptor
    shares the file position. Where pread is missing, a pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], out: IO[bytes] | None, err: IO[bytes] | None) -> None:
        self.proc = proc
        self._out = out
        self._err = err

    def chunks(self) -> Iterator[bytes]:
        """The output as git writes it, to its end."""
        if self._out is None:
            assert self.proc.stdout is not None
            read = getattr(self.proc.stdout, "read1", self.proc.stdout.read)
            while chunk := read(_CHUNK):
                yield chunk
            return
        fd = self._out.fileno()
        offset = 0
        while True:
            done = self.proc.poll() is not None  # before reading: then all it wrote is read
            chunk = os.pread(fd, _CHUNK, offset)
            if chunk:
                offset += len(chunk)
                yield chunk
            elif done:
                return
            else:
                time.sleep(_LOG_POLL)

    def entries_at(self, paths: Iterable[bytes]) -> list[tuple[str, bytes, str, str]] | None:
        """(commit, path, old blob, new blob) of each raw entry at one of `paths` in the whole
        output, in its order ("" for a side that does not exist); None where the output went
        through a pipe (not kept). Read once the log has ended."""
        if self._out is None or self.proc.poll() is None:
            return None
        size = os.fstat(self._out.fileno()).st_size
        if not size:
            return []
        with mmap.mmap(self._out.fileno(), size, access=mmap.ACCESS_READ) as data:
            found = [entry for path in set(paths) for entry in _entries(data, path)]
        found.sort(key=lambda entry: entry[0])
        return [entry[1:] for entry in found]

    def errors(self) -> bytes:
        if self._err is None:
            return b""
        self._err.seek(0)
        return self._err.read(64 * 1024)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdout, self._out, self._err):
            if stream is not None:
                stream.close()


def _entries(data: mmap.mmap, path: bytes) -> Iterator[tuple[int, str, bytes, str, str]]:
    """(offset, commit, path, old, new) of the raw entries at `path`: a path field follows
    its entry's ":modes ids status" field; a header field with the same text does not."""
    needle = b"\0" + path + b"\0"
    at = data.find(needle)
    while at >= 0:
        meta = data[data.rfind(b"\0", 0, at) + 1 : at].lstrip(b"\n")
        header = data.rfind(b"\x01", 0, at)
        fields = meta[1:].split()
        if meta.startswith(b":") and len(fields) >= 5 and header >= 0:
            commit = data[header + 1 : data.find(b"\0", header)].decode("ascii", "replace")
            old, new = (side.decode("ascii") if side not in _NULL_IDS else "" for side in fields[2:4])
            yield at, commit, path, old, new
        at = data.find(needle, at + 1)


def _parse_log(repo: Path, log: _Log, sizes: _SizeProbe) -> _History:
    history = _History()
    path_index: dict[bytes, int] = {}
    people: dict[str, str] = {}
    try:
        commit = -1
        header: list[bytes] = []
        in_header = False
        meta: bytes | None = None
        for token in _tokens(log.chunks()):
            if in_header:
                header.append(token)
                if len(header) == 5:
                    sha, name, email, date = (h.decode("utf-8", "replace") for h in header[:4])
                    # Authors repeat across commits: one string each keeps the index small.
                    name, email = people.setdefault(name, name), people.setdefault(email, email)
                    history.commits.append((sha, name, email, date))
                    history.times.append(int(header[4] or 0))
                    commit = len(history.commits) - 1
                    in_header = False
                continue
            if meta is not None:
                new = _record(history, path_index, meta, token, commit)
                if new is not None:
                    sizes.ask(new)
                meta = None
                continue
            token = token.lstrip(b"\n")
            if token.startswith(b"\x01"):
                header = [token[1:]]
                in_header = True
            elif token.startswith(b":"):
                meta = token
            # anything else (an empty token) separates records
    except BaseException:
        log.close()
        raise
    returncode = log.proc.wait()
    if returncode != 0:
        message = first_line(log.errors())
        if "does not have any commits" in message:
            return history
        raise SourceError(f"cannot read the history of {repo}: {message}")
    return history


def _record_tagged(history: _History, tagged: Sequence[tuple[bytes, bytes]], sizes: _SizeProbe) -> None:
    """Blobs reached from a ref with no commit: after every commit, so a commit that also
    holds one is named first; their commit is blank."""
    if not tagged:
        return
    history.commits.append(("", "", "", ""))
    history.times.append(0)
    path_index = {path: i for i, path in enumerate(history.paths)}
    for path, oid in tagged:
        meta = b":000000 100644 " + b"0" * len(oid) + b" " + oid + b" A"
        new = _record(history, path_index, meta, path, len(history.commits) - 1)
        if new is not None:
            sizes.ask(new)


class _SizeProbe:
    """`git cat-file --batch-check`, asked about each new blob while the log is still being
    read, so that sizes are known when the listing ends. git answers each id with one line,
    in the order asked, into an unlinked temporary file (as `git log` does, see _Log: it
    never waits on a full pipe, so no thread has to drain it); the answers are read when
    the listing ends and kept by position: a size, or _NO_SIZE. Anything odd (a corrupt
    object ends git) leaves the rest unanswered; the caller asks again the careful way
    (cat_file)."""

    def __init__(self, repo: Path) -> None:
        self._asked: list[bytes] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._out = _temporary_file()
        if self._out is None:
            return  # every size is asked the careful way
        try:
            self._proc = popen(
                repo,
                [*WALK_MEMORY, "cat-file", "--batch-check"],
                stdin=subprocess.PIPE,
                stdout=self._out,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, SourceError):
            self._out.close()
            self._out = None

    def ask(self, oid: bytes) -> None:
        self._asked.append(oid)
        if len(self._asked) >= 256:
            self._send()

    def _send(self) -> None:
        if self._proc is not None and self._proc.stdin is not None and self._asked:
            try:
                self._proc.stdin.write(b"\n".join(self._asked) + b"\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
        self._asked = []

    def close(self) -> tuple[array[int], dict[int, str]]:
        """Sizes by the position each id was asked at (fewer than asked if git stopped
        early), and the kinds of those that are no blob."""
        sizes = array("q")
        kinds: dict[int, str] = {}  # position -> kind, for what is no blob
        if self._proc is None or self._out is None:
            return sizes, kinds
        self._send()
        if self._proc.stdin is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        self._proc.wait()
        out = self._out
        self._out = None
        with out:
            out.seek(0)
            rest = b""
            while chunk := out.read(_CHUNK):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    fields = line.split()
                    if len(fields) == 3 and fields[2].isdigit():
                        if fields[1] != b"blob":
                            kinds[len(sizes)] = fields[1].decode("ascii", "replace")
                        sizes.append(int(fields[2]))
                    elif len(fields) == 2:
                        sizes.append(_NO_SIZE)  # missing or ambiguous: the careful path says which
                    else:
                        return sizes, kinds  # not the protocol: positions can no longer be trusted
        return sizes, kinds

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()


def _tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _record(history: _History, path_index: dict[bytes, int], meta: bytes, path: bytes, commit: int) -> bytes | None:
    """Record one raw entry; returns the blob id (hex) when the entry names a new blob."""
    # ":old_mode new_mode old_sha new_sha status"
    fields = meta[1:].split()
    if len(fields) < 5:
        return None
    old_mode, new_mode, old_sha, new_sha, status = fields[:5]
    if status.startswith(b"D") or new_sha in _NULL_IDS:
        return None
    if new_mode == b"160000":
        history.submodules.setdefault(path, None)
        return None
    if not new_mode.startswith(b"10") and new_mode != b"120000":
        return None
    pidx = path_index.get(path)
    if pidx is None:
        pidx = path_index[path] = len(history.paths)
        history.paths.append(path)
    key = unhexlify(new_sha)
    position = history.blobs.get(key)
    if position is None:
        history.blobs[key] = len(history.keys)
        history.keys.append(key)
        history.first_path.append(pidx)
        history.first_commit.append(commit)
        # The previous version was listed before (parents come first), unless the range
        # scanned starts after it: then there is none to match against.
        base = -1
        if old_mode.startswith(b"10") and old_sha not in _NULL_IDS:
            base = history.blobs.get(unhexlify(old_sha), -1)
        history.base.append(base)
        return new_sha
    # First seen is earliest (parents before children, then by date): keep it per path.
    if history.first_path[position] == pidx:
        return None
    extra = history.more.setdefault(position, [])
    for i in range(0, len(extra), 2):
        if extra[i] == pidx:
            return None
    extra.extend((pidx, commit))
    return None


def _provenance(history: _History, position: int, paths: dict[int, str]) -> tuple[Provenance, ...]:
    extra = history.more.get(position)
    if extra is None:  # most blobs: one path
        return (_place(history, history.first_path[position], history.first_commit[position], paths),)
    return tuple(_place(history, pidx, commit, paths) for pidx, commit in history.places(position))


def _place(history: _History, pidx: int, commit: int, paths: dict[int, str]) -> Provenance:
    sha, name, email, date = history.commits[commit]
    path = paths.get(pidx)
    if path is None:
        path = paths[pidx] = decode_path(history.paths[pidx])
    return Provenance(path, sha, name, email, date, order=commit)


def _checked(
    repo: Path, history: _History, sizes: array[int], kinds: dict[int, str]
) -> Iterator[tuple[int, str, int, GitObject | None]]:
    """(position, kind, size, and what git said of it where the careful path asked) of every
    listed blob: the size probe's answers, then the careful per-object path for the ids it
    did not answer (missing, corrupt, or git gone). The probe was asked about each blob as
    it entered the index: positions match."""
    unanswered: list[str] = []
    for position, key in enumerate(history.keys):
        size = sizes[position] if position < len(sizes) else _NO_SIZE
        if size == _NO_SIZE:
            unanswered.append(key.hex())
        else:
            yield position, kinds.get(position, "blob"), size, None
    absent = not_fetched(repo, unanswered)
    for oid in sorted(absent):
        yield history.blobs[bytes.fromhex(oid)], "not-fetched", 0, GitObject(oid, "not-fetched", 0, None)
    for obj in cat_file(repo, [oid for oid in unanswered if oid not in absent], contents=False):
        yield history.blobs[bytes.fromhex(obj.id)], obj.kind, obj.size, obj


@dataclass(frozen=True)
class Listing:
    """What one log pass found: the blobs to read (in the order to read them), what is
    left out unread, and where each blob was seen."""

    history: _History
    to_read: tuple[tuple[int, int], ...]  # (position, size), versions of a path together
    skipped: tuple[Skipped, ...]

    def reaches(self, raw: bytes) -> bool:
        return raw in self.history.blobs

    def places(self, raw: bytes) -> tuple[Provenance, ...] | None:
        position = self.history.blobs.get(raw)
        return None if position is None else _provenance(self.history, position, {})

    def places_at(self, wanted: Callable[[str], bool]) -> dict[str, tuple[Provenance, ...]]:
        """Blob id -> its places at the paths `wanted` accepts (each path asked once)."""
        history = self.history
        paths: dict[int, str] = {}
        accepted = set()
        for index, raw in enumerate(history.paths):
            paths[index] = path = decode_path(raw)
            if wanted(path):
                accepted.add(index)
        if not accepted:
            return {}
        first = history.first_path
        positions = {p for p, index in enumerate(first) if index in accepted}
        positions.update(p for p, extra in history.more.items() if accepted.intersection(extra[0::2]))
        found = {}
        for position in sorted(positions):
            at = [(i, c) for i, c in history.places(position) if i in accepted]
            found[history.keys[position].hex()] = tuple(_place(history, i, c, paths) for i, c in at)
        return found

    def first_path(self, position: int) -> str:
        return decode_path(self.history.paths[self.history.first_path[position]])

    def base(self, position: int) -> int:
        """Position of the blob's previous version at the path it was first seen at, or -1."""
        return self.history.base[position]


def read_listing(repo: Path, log: _Log, max_file_size: int, tagged: Sequence[tuple[bytes, bytes]] = ()) -> Listing:
    """Parse the log and classify every blob it lists, and the `tagged` (path, id) blobs no
    commit holds: to read, too large, or unreadable."""
    probe = _SizeProbe(repo)
    try:
        history = _parse_log(repo, log, probe)
        _record_tagged(history, tagged, probe)
    except BaseException:
        probe.kill()
        probe.close()
        raise
    sizes, kinds = probe.close()
    skipped = [Skipped(decode_path(path), "submodule", "submodules are not followed") for path in history.submodules]
    small: list[tuple[int, int]] = []
    keys = history.keys
    for position, kind, size, obj in _checked(repo, history, sizes, kinds):
        path = decode_path(history.paths[history.first_path[position]])
        if kind != "blob":
            skipped.append(unreadable(path, obj or GitObject(keys[position].hex(), kind, size, None)))
        elif size > max_file_size:
            skipped.append(Skipped(path, "too-large", f"blob {keys[position].hex()}, {size} bytes"))
        else:
            small.append((position, size))
    # All versions of a path together (log order within it): git inflates delta chains
    # from its base cache instead of from scratch, about twice as fast on real histories.
    first_path = history.first_path
    small.sort(key=lambda item: (first_path[item[0]], item[0]))
    return Listing(history, tuple(small), tuple(skipped))
