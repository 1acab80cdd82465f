"""Every blob of a repository's pack files, read in pack order without git.

A history is mostly deltas: git stores each version of a file as the instructions that
build it from another one (its delta base), and `git cat-file` rebuilds every blob by
replaying those chains. Read in pack order instead, as `git index-pack` resolves them,
each object is inflated once and each delta applied once, in this process, with no pipe:
a tree of deltas is walked depth first, a blob's content kept only while the blobs built
from it are made. Each blob comes with its `Derivation` (scanner.model): what of it the
delta copied from its base and what it inserted, which is what matching needs to know.

Only what this module can read with certainty is walked: version 2 pack indexes of a
SHA-1 repository, and blobs whose delta chain resolves inside their pack. Everything else
(loose objects, alternates, odd or corrupt packs) is left to `git cat-file`, and so is any
tree of deltas this reader fails on: `PackedBlob`s name only blobs read in full and checked
(each object's CRC-32 from the index, its size, and every delta against its base).
"""

from __future__ import annotations

import mmap
import os
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from scanner.model import Derivation

__all__ = ["Deltas", "PackedBlob", "PackWalk", "WalkTask", "open_packs"]

_IDX_MAGIC = b"\xfftOc"
_OID = 20
_BLOB = 3
_OFS_DELTA = 6
_REF_DELTA = 7
# Tasks per worker: smaller tasks balance the workers and report progress more often.
_TASKS_PER_JOB = 8
# Content held at once along one chain of deltas (its blobs are kept until their own
# deltas are made); a deeper chain is left to git.
_MAX_HELD = 256 * 1024 * 1024
# No object larger than this is inflated (a larger blob is skipped unread, as too large).
_MAX_READ = 64 * 1024 * 1024
# Pages of the pack read since they were last handed back: a pack is read once, and its
# pages would otherwise count in every process's resident memory until the scan ends.
_RELEASE_BYTES = 8 * 1024 * 1024

State = TypeVar("State")


@dataclass(frozen=True)
class PackedBlob:
    """A blob read from a pack: `derivation` says how its delta built it from its base
    (None for a blob stored whole)."""

    oid: bytes
    data: bytes
    derivation: Derivation | None


@dataclass(frozen=True)
class WalkTask:
    """Roots of delta trees of one pack (positions in pack order), walked by one worker."""

    pack: int
    roots: tuple[int, ...]
    weight: int


class _Pack:
    """One pack and its index, by position in pack (offset) order."""

    def __init__(self, pack_path: Path, idx_path: Path) -> None:
        index = idx_path.read_bytes()
        if len(index) < 8 + 1024 or index[:4] != _IDX_MAGIC or int.from_bytes(index[4:8], "big") != 2:
            raise ValueError("not a version 2 pack index")
        count = int.from_bytes(index[8 + 255 * 4 : 8 + 256 * 4], "big")
        names_at = 8 + 1024
        offsets_at = names_at + count * (_OID + 4)
        large_at = offsets_at + count * 4
        if len(index) < large_at + 2 * _OID:
            raise ValueError("truncated pack index")
        raw = array("I")
        raw.frombytes(index[offsets_at:large_at])
        # Each object's CRC-32 over its bytes in the pack, as `git index-pack` checks them.
        self.crcs = array("I")
        self.crcs.frombytes(index[names_at + count * _OID : offsets_at])
        if raw.itemsize != 4:
            raise ValueError("no 32-bit array type")
        if sys.byteorder == "little":
            raw.byteswap()
            self.crcs.byteswap()
        offsets = array("Q", raw)
        for entry, offset in enumerate(raw):
            if offset & 0x80000000:
                at = large_at + 8 * (offset & 0x7FFFFFFF)
                if at + 8 > len(index) - 2 * _OID:
                    raise ValueError("bad large offset")
                offsets[entry] = int.from_bytes(index[at : at + 8], "big")
        with open(pack_path, "rb") as handle:
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        data = self.data
        if len(data) < 12 + _OID or data[:4] != b"PACK" or int.from_bytes(data[4:8], "big") not in (2, 3):
            raise ValueError("not a pack file")
        if int.from_bytes(data[8:12], "big") != count:
            raise ValueError("pack and index disagree on the object count")
        self.names = index[names_at : names_at + count * _OID]
        # Positions in offset order; entry = the object's place in the index (its name).
        self.entry = array("l", sorted(range(count), key=offsets.__getitem__))
        self.offset = array("Q", (offsets[e] for e in self.entry))
        self.offset.append(len(data) - _OID)
        self.count = count
        self._parse()

    def oid(self, position: int) -> bytes:
        entry = self.entry[position]
        return self.names[entry * _OID : (entry + 1) * _OID]

    def _find(self, oid: bytes) -> int:
        """Index entry of `oid`, or -1 (binary search of the sorted names)."""
        names = self.names
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            name = names[middle * _OID : (middle + 1) * _OID]
            if name < oid:
                low = middle + 1
            elif name > oid:
                high = middle
            else:
                return middle
        return -1

    def _parse(self) -> None:
        """Each object's header: where its data starts, its size, its kind once the delta
        chains are resolved, and which base it is built from (-1: stored whole). Only
        blobs are read later: of commits, trees and tags the kind alone is kept."""
        data, offset, count = self.data, self.offset, self.count
        starts = array("Q", bytes(8 * count))
        sizes = array("Q", bytes(8 * count))
        kinds = bytearray(count)
        bases = array("l", [-1]) * count
        pending: list[tuple[int, bytes]] = []
        released = 0
        for position in range(count):
            at = offset[position]
            if at - released >= _RELEASE_BYTES:
                released = self.release(released, at)
            byte = data[at]
            kind = (byte >> 4) & 7
            if kind != _BLOB and 1 <= kind <= 4:
                kinds[position] = kind  # whole commit, tree or tag: never read
                continue
            size = byte & 15
            shift = 4
            at += 1
            while byte & 0x80:
                byte = data[at]
                at += 1
                size |= (byte & 0x7F) << shift
                shift += 7
            if kind == _OFS_DELTA:
                byte = data[at]
                at += 1
                back = byte & 0x7F
                while byte & 0x80:
                    byte = data[at]
                    at += 1
                    back = ((back + 1) << 7) | (byte & 0x7F)
                # Objects start at distinct offsets, in order: a delta's base is found by
                # its offset (a search, not a dict of every object's).
                target = offset[position] - back
                base = bisect_left(offset, target, 0, position)
                if base >= position or offset[base] != target:
                    continue  # not an earlier object's start: left unread (kind 0)
                bases[position] = base
                kinds[position] = kinds[base]
            elif kind == _REF_DELTA:
                pending.append((position, data[at : at + _OID]))
                at += _OID
            elif kind == _BLOB:
                kinds[position] = kind
            else:
                continue
            starts[position] = at
            sizes[position] = size
        if pending:
            self._resolve_ref_deltas(pending, kinds, bases)
        self.starts, self.sizes, self.kinds, self.bases = starts, sizes, kinds, bases
        self.release(0, len(data))

    def _resolve_ref_deltas(self, pending: list[tuple[int, bytes]], kinds: bytearray, bases: array) -> None:
        """Bases named by id, which may come later in the pack (a fetched pack made whole)."""
        by_entry = {entry: position for position, entry in enumerate(self.entry)}
        for position, name in pending:
            entry = self._find(name)
            bases[position] = by_entry.get(entry, -1) if entry >= 0 else -1
        for position in range(self.count):
            if not kinds[position] and bases[position] >= 0:
                kinds[position] = _chain_kind(kinds, bases, position)

    def release(self, start: int, end: int) -> int:
        """Hand back this process's pages of the pack in [start, end) (the file stays in the
        page cache); returns where the released range ends (a page boundary)."""
        start -= start % mmap.PAGESIZE
        end -= end % mmap.PAGESIZE
        advise = getattr(self.data, "madvise", None)
        if advise is not None and hasattr(mmap, "MADV_DONTNEED") and end > start:
            try:
                advise(mmap.MADV_DONTNEED, start, end - start)
            except (OSError, ValueError):
                pass
        return end

    def blob_trees(self) -> tuple[list[int], Deltas, dict[int, int]]:
        """Roots of the blob delta trees, each object's deltas, and each root's weight
        (its size times the blobs its tree holds: the work of walking it)."""
        kinds, bases, sizes = self.kinds, self.bases, self.sizes
        roots: list[int] = []
        deltas = Deltas(self.count)
        for position in range(self.count - 1, -1, -1):
            if kinds[position] != _BLOB:
                continue
            base = bases[position]
            if base < 0:
                roots.append(position)
            else:
                deltas.add(base, position)
        roots.reverse()
        weights = {}
        for root in roots:
            # A tree's blobs, counted down from its root (a base may come after its deltas).
            members, stack = 0, [root]
            while stack:
                members += 1
                stack.extend(deltas.of(stack.pop()))
            weights[root] = (sizes[root] + 1) * members
        return roots, deltas, weights

    def inflate(self, position: int, limit: int) -> bytes:
        """The object's stored data (whole object, or delta), checked against its size and
        its CRC: a damaged header could pass for another kind or another base."""
        size = self.sizes[position]
        if size > limit:
            raise ValueError("too large to read here")
        stored = memoryview(self.data)[self.offset[position] : self.offset[position + 1]]
        if zlib.crc32(stored) != self.crcs[self.entry[position]]:
            raise ValueError("object does not match its CRC")
        body = zlib.decompressobj()
        out = body.decompress(stored[self.starts[position] - self.offset[position] :], size + 1)
        if len(out) != size or not body.eof:
            raise ValueError("object does not inflate to its size")
        return out


class Deltas:
    """Which objects are deltas of which, in two arrays by position (a few bytes an object,
    no Python list or dict entry for each): an object's first delta, and each delta's next
    sibling; -1 ends a list. Deltas of a base come in ascending position (pack) order."""

    def __init__(self, count: int) -> None:
        self._first = array("l", [-1]) * count
        self._next = array("l", [-1]) * count

    def add(self, base: int, delta: int) -> None:
        """Make `delta` the first delta of `base`: add them in descending position order."""
        self._next[delta] = self._first[base]
        self._first[base] = delta

    def has(self, base: int) -> bool:
        return self._first[base] >= 0

    def of(self, base: int) -> Iterator[int]:
        at = self._first[base]
        following = self._next
        while at >= 0:
            yield at
            at = following[at]


def _chain_kind(kinds: bytearray, bases: array[int], position: int) -> int:
    """The kind at the end of an object's chain of bases (0: broken, or a cycle)."""
    chain: list[int] = []
    while not kinds[position]:
        base = bases[position]
        if base < 0 or len(chain) > len(kinds):
            return 0
        chain.append(position)
        position = base
    for member in chain:
        kinds[member] = kinds[position]
    return kinds[position]


def _varint(delta: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = delta[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def apply_delta(base: bytes, delta: bytes, limit: int) -> tuple[bytes, tuple[tuple[int, int, int], ...]]:
    """Git's delta format: the new object, and which of its bytes came from where."""
    source_size, at = _varint(delta, 0)
    target_size, at = _varint(delta, at)
    size_of_base = len(base)
    if source_size != size_of_base:
        raise ValueError("delta does not fit its base")
    if target_size > limit:
        raise ValueError("too large to read here")
    view = memoryview(base)
    parts: list[memoryview | bytes] = []
    pieces: list[tuple[int, int, int]] = []
    written = 0
    # The last piece copied, while it can grow (git splits long copies): start, origin.
    copy_start = copy_origin = -1
    end = len(delta)
    while at < end:
        op = delta[at]
        at += 1
        if op & 0x80:
            # Which bytes of the copy's offset and size follow, little end first; written
            # out, not looped over: this runs for every copy of every delta in a history.
            origin = size = 0
            if op & 0x01:
                origin = delta[at]
                at += 1
            if op & 0x02:
                origin |= delta[at] << 8
                at += 1
            if op & 0x04:
                origin |= delta[at] << 16
                at += 1
            if op & 0x08:
                origin |= delta[at] << 24
                at += 1
            if op & 0x10:
                size = delta[at]
                at += 1
            if op & 0x20:
                size |= delta[at] << 8
                at += 1
            if op & 0x40:
                size |= delta[at] << 16
                at += 1
            if size == 0:
                size = 0x10000
            if origin + size > size_of_base:
                raise ValueError("delta copies past its base")
            parts.append(view[origin : origin + size])
            if copy_start >= 0 and copy_origin + written - copy_start == origin:
                pieces[-1] = (copy_start, written + size, copy_origin)
            else:
                pieces.append((written, written + size, origin))
                copy_start, copy_origin = written, origin
            written += size
        elif op:
            if at + op > end:
                raise ValueError("delta ends inside an insert")
            parts.append(delta[at : at + op])
            pieces.append((written, written + op, -1))
            copy_start = -1
            written += op
            at += op
        else:
            raise ValueError("reserved delta opcode")
    if written != target_size:
        raise ValueError("delta does not make its size")
    return b"".join(parts), tuple(pieces)


class PackWalk:
    """The blob delta trees of a repository's packs, split into tasks for the workers.

    Built in the main process before workers fork (they share it); `walk` runs in each.
    """

    def __init__(self, packs: Sequence[_Pack], max_blob: int) -> None:
        self._packs = list(packs)
        # Blobs larger than this are not matched (the listing skips them), but may be read
        # as the base of smaller ones, up to _MAX_READ.
        self.max_blob = max_blob
        self._limit = max(max_blob, _MAX_READ)
        self._trees = [pack.blob_trees() for pack in self._packs]

    @property
    def size(self) -> int:
        """About how many bytes the walk will match."""
        return sum(sum(weights.values()) for _, _, weights in self._trees)

    def tasks(self, jobs: int) -> list[WalkTask]:
        """Roots in pack order, cut into runs of about equal weight."""
        target = max(1, self.size // max(1, jobs * _TASKS_PER_JOB))
        tasks: list[WalkTask] = []
        for number, (roots, _children, weights) in enumerate(self._trees):
            run: list[int] = []
            weight = 0
            for root in roots:
                run.append(root)
                weight += weights[root]
                if weight >= target:
                    tasks.append(WalkTask(number, tuple(run), weight))
                    run, weight = [], 0
            if run:
                tasks.append(WalkTask(number, tuple(run), weight))
        # Heaviest first: a big task started last would leave the other workers idle.
        tasks.sort(key=lambda task: -task.weight)
        return tasks

    def walk(self, task: WalkTask, visit: Callable[[PackedBlob, State | None], State | None]) -> None:
        """Call `visit(blob, state of its base)` for every blob of the task's trees, bases
        first; what visit returns is handed to the blobs built from that one. A tree this
        reader cannot read (corrupt, too large) is left off from the failing blob down."""
        pack = self._packs[task.pack]
        _roots, deltas, _weights = self._trees[task.pack]
        limit = self._limit
        read = 0
        for root in task.roots:
            read += pack.offset[root + 1] - pack.offset[root]
            if read >= _RELEASE_BYTES:
                pack.release(0, len(pack.data))
                read = 0
            try:
                data = pack.inflate(root, limit)
            except (ValueError, zlib.error, IndexError):
                continue
            oid = pack.oid(root)
            state = visit(PackedBlob(oid, data, None), None)
            stack: list[tuple[bytes, bytes, State | None, Iterator[int]]] = [(oid, data, state, deltas.of(root))]
            held = len(data)
            while stack:
                base_oid, base, base_state, pending = stack[-1]
                child = next(pending, None)
                if child is None:
                    stack.pop()
                    held -= len(base)
                    continue
                read += pack.offset[child + 1] - pack.offset[child]
                try:
                    made, pieces = apply_delta(base, pack.inflate(child, limit), limit)
                except (ValueError, zlib.error, IndexError):
                    continue
                oid = pack.oid(child)
                state = visit(PackedBlob(oid, made, Derivation(base_oid.hex(), pieces, len(base))), base_state)
                if deltas.has(child) and held + len(made) <= _MAX_HELD:
                    stack.append((oid, made, state, deltas.of(child)))
                    held += len(made)
        pack.release(0, len(pack.data))


def open_packs(objects: Path, max_blob: int) -> PackWalk | None:
    """The walk over every readable pack under `objects`, or None when there is none."""
    packs = []
    try:
        names = sorted(os.listdir(objects / "pack"))
    except OSError:
        return None
    for name in names:
        if not name.endswith(".pack"):
            continue
        pack_path = objects / "pack" / name
        try:
            packs.append(_Pack(pack_path, pack_path.with_suffix(".idx")))
        except (OSError, ValueError, IndexError):
            continue  # git reads it instead
    return PackWalk(packs, max_blob) if packs else None
