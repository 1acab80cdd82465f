"""Blobs that refs reach without a commit: a tag may name a blob or a tree directly
(`git tag NAME BLOB`), and `git log --all` walks commits only."""

from __future__ import annotations

from pathlib import Path

from scanner.sources.git.process import run

__all__ = ["tagged_blobs"]

_FORMAT = "%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"


def tagged_blobs(repo: Path) -> list[tuple[bytes, bytes]]:
    """(path, blob id in hex) of every blob a ref reaches with no commit between: a ref to a
    blob is at path `REF`, a blob in a ref's tree at `REF:PATH` (git's own spelling)."""
    found: list[tuple[bytes, bytes]] = []
    out = run(repo, "for-each-ref", f"--format={_FORMAT}")
    for line in out.splitlines():
        fields = line.split(b"\0")
        if len(fields) != 5:
            continue
        ref, kind, oid, peeled_kind, peeled = fields
        if kind == b"tag":
            kind, oid = peeled_kind, peeled  # an annotated tag: what it names
        if kind == b"blob":
            found.append((ref, oid))
        elif kind == b"tree":
            found.extend((ref + b":" + path, blob) for path, blob in _tree_blobs(repo, oid))
    return found


def _tree_blobs(repo: Path, tree: bytes) -> list[tuple[bytes, bytes]]:
    out = run(repo, "ls-tree", "-r", "-z", "--full-tree", tree.decode("ascii"))
    blobs = []
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == b"blob":
            blobs.append((path, fields[2]))
    return blobs
