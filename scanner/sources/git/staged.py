"""The staged change: only the lines it adds, at their positions in the new files.

`git commit -a` and `git commit PATH` run the pre-commit hook against a temporary index
named by GIT_INDEX_FILE; reading .git/index instead would miss what is being committed,
so that one variable of the caller's is kept (scanner.sources.git.process.environment).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import SourceError
from scanner.model import Blob, Provenance, Skipped, blob_id
from scanner.sources.git.catfile import cat_file
from scanner.sources.git.process import environment, run
from scanner.sources.interface import Plan, Visit
from scanner.sources.text import decode_path, is_binary, normalize_text

__all__ = ["StagedSource"]

_GITLINK = "160000"
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class _StagedFile:
    path: bytes
    mode: str
    sha: str


def _staged_files(repo: Path, env: Mapping[str, str]) -> list[_StagedFile]:
    out = run(
        repo,
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-abbrev",
        "-M",
        "--no-relative",
        "--diff-filter=AMRT",
        "--no-ext-diff",
        "--no-textconv",
        env=env,
    )
    tokens = out.split(b"\0")
    files: list[_StagedFile] = []
    i = 0
    while i < len(tokens):
        meta = tokens[i]
        if not meta.startswith(b":"):
            i += 1
            continue
        fields = meta[1:].split()
        status = fields[4][:1]
        if status in (b"R", b"C"):
            path = tokens[i + 2]
            i += 3
        else:
            path = tokens[i + 1]
            i += 2
        files.append(_StagedFile(path, fields[1].decode("ascii"), fields[3].decode("ascii")))
    return files


def _added_lines(
    repo: Path, count: int, env: Mapping[str, str]
) -> list[tuple[str | None, list[tuple[int, int]] | None]]:
    """Per file section of the staged patch (same order as the raw listing): new blob id and
    the added line ranges, or None where git saw a binary file (all of it is new to us)."""
    out = run(
        repo,
        "diff",
        "--cached",
        "-U0",
        "-M",
        "--no-relative",
        "--diff-filter=AMRT",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--full-index",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        env=env,
    )
    sections: list[tuple[str | None, list[tuple[int, int]] | None]] = []
    in_header = False
    for line in out.split(b"\n"):
        if line.startswith(b"diff --git "):
            sections.append((None, []))
            in_header = True
            continue
        if not sections:
            continue
        sha, ranges = sections[-1]
        if in_header:
            if line.startswith(b"index "):
                ids = line[6:].split(b" ")[0].split(b"..")
                if len(ids) == 2:
                    sections[-1] = (ids[1].decode("ascii", "replace"), ranges)
                continue
            if line.startswith((b"Binary files ", b"GIT binary patch")):
                sections[-1] = (sha, None)
                continue
        if line.startswith(b"@@ ") and ranges is not None:
            in_header = False
            m = _HUNK.match(line)
            if m:
                start = int(m.group(1))
                length = 1 if m.group(2) is None else int(m.group(2))
                if length:
                    ranges.append((start, start + length - 1))
    if len(sections) != count:
        raise SourceError(
            f"cannot read the staged change in {repo}: {count} files listed, {len(sections)} in the patch"
        )
    return sections


def _keep_lines(data: bytes, ranges: Iterable[tuple[int, int]]) -> bytes:
    """Blank every line outside ranges (1-based, inclusive), keeping line endings so positions hold.

    Lines are counted on LF alone, as git counts them for hunks.
    """
    keep: set[int] = set()
    for start, end in ranges:
        keep.update(range(start, end + 1))
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        if index + 1 not in keep:
            lines[index] = b"\r" if line.endswith(b"\r") else b""
    return b"\n".join(lines)


def _staged(repo: Path, env: Mapping[str, str], max_file_size: int) -> Iterator[Blob | Skipped]:
    """The staged version of each added/modified file, with only the lines it adds left in."""
    if not (repo / ".git").exists():
        inside = run(repo, "rev-parse", "--is-inside-work-tree").strip()
        if inside != b"true":
            raise SourceError(f"{repo} has no work tree, so nothing is staged there")
    files = _staged_files(repo, env)
    if not files:
        return
    sections = _added_lines(repo, len(files), env)
    wanted: dict[str, list[tuple[_StagedFile, list[tuple[int, int]] | None]]] = {}
    for staged, (patch_sha, ranges) in zip(files, sections, strict=True):
        if patch_sha is not None and patch_sha != staged.sha:
            raise SourceError(f"cannot read the staged change in {repo}: listing and patch disagree")
        if staged.mode == _GITLINK:
            yield Skipped(decode_path(staged.path), "submodule", "submodules are not followed")
            continue
        if ranges is not None and not ranges:
            continue  # a pure rename, a deletion of lines or a mode change adds no line
        wanted.setdefault(staged.sha, []).append((staged, ranges))
    if not wanted:
        return
    for obj in cat_file(repo, list(wanted), contents=True):
        for staged, ranges in wanted[obj.id]:
            path = decode_path(staged.path)
            if obj.data is None or obj.kind != "blob":
                yield Skipped(
                    path,
                    obj.kind if obj.kind in ("missing", "corrupt") else "not-a-blob",
                    obj.error,
                )
            elif obj.size > max_file_size:
                yield Skipped(path, "too-large", f"{obj.size} bytes")
            elif is_binary(obj.data):
                yield Skipped(path, "binary", f"{obj.size} bytes")
            else:
                data = normalize_text(obj.data)
                # UTF-16 text is binary to git's diff: no hunks, so the whole file is scanned.
                masked = data if ranges is None else _keep_lines(data, ranges)
                # The id is that of what is scanned: two paths may share a blob but not their added lines.
                yield Blob(id=blob_id(masked), data=masked, provenance=(Provenance(path),))


@dataclass(frozen=True)
class _StagedReader:
    repo: Path
    env: Mapping[str, str]
    max_file_size: int

    def read(self, unit: object, visit: Visit) -> None:
        for item in _staged(self.repo, self.env, self.max_file_size):
            visit(item, None)


class StagedSource:
    """The staged change of the work tree at `repo`: one unit (a commit is small)."""

    def __init__(self, repo: Path, *, max_file_size: int, environ: Mapping[str, str] | None = None) -> None:
        source = os.environ if environ is None else environ
        self._reader = _StagedReader(
            Path(repo), environment(source, index_file=source.get("GIT_INDEX_FILE")), max_file_size
        )

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        return Plan(self._reader, iter(["staged"]))

    def places(self, blob_id: str) -> tuple[Provenance, ...]:
        return ()

    def places_at(self, wanted: Callable[[str], bool]) -> dict[str, tuple[Provenance, ...]] | None:
        return None

    def reaches(self, blob_id: str) -> bool:
        return True

    def skipped(self) -> Iterable[Skipped]:
        return ()

    def close(self) -> None:
        return None
