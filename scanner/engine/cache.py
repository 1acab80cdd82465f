"""On-disk cache of compiled Hyperscan databases (and of the parsed rule pack), keyed by a
hash of what they are built from.

Compiling the regex gate for a full rule pack takes about a second; a pre-commit hook
cannot pay that on every commit. The cache lives in `$KEYSWEEP_CACHE_DIR`, else
`$XDG_CACHE_HOME/keysweep`, else `~/.cache/keysweep`. It is only an accelerator: an
unreadable, unwritable or corrupt cache means compiling again, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scanner.model import Rule

__all__ = [
    "MISSING",
    "cache_dir",
    "count_ungated",
    "file_digest",
    "file_stamp",
    "gate_key",
    "load_database",
    "load_gate",
    "load_json",
]

# A file changed less than this long ago is keyed by its bytes, not its stat (see file_stamp).
_SETTLED_NS = 2 * 10**9
# Bump when the gate construction changes, so old databases are not reused.
_FORMAT = "keysweep-hs-7"
_KEEP = 8


def cache_dir() -> Path:
    explicit = os.environ.get("KEYSWEEP_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keysweep"


def _key(kind: str, payload: Any) -> str:
    """A compiled database's key: also the Hyperscan version and the machine it runs on."""
    import hyperscan

    return _digest([kind, getattr(hyperscan, "__version__", "?"), platform.machine(), payload])


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, for cache keys (a rule file, or the source that builds an
    entry: a change to it must not reuse old entries). OSError when it cannot be read."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_stamp(path: str | Path, now_ns: int) -> tuple[int, int] | str:
    """A file's size and modification time, as a cheaper cache key than its digest (a
    pre-commit hook would read every rule file on every commit to hash it). As git does for
    its index, a file modified in the last two seconds is keyed by its digest instead: a
    second write within one tick of the file system's clock can keep size and mtime both.
    OSError when it cannot be read."""
    stat = os.stat(path)
    if now_ns - stat.st_mtime_ns < _SETTLED_NS:
        return file_digest(path)
    return stat.st_size, stat.st_mtime_ns


def _digest(payload: Any) -> str:
    text = json.dumps([_FORMAT, payload], default=lambda b: b.hex() if isinstance(b, bytes) else str(b), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read(name: str) -> bytes | None:
    try:
        return (cache_dir() / name).read_bytes()
    except OSError:
        return None


def _write(name: str, data: bytes) -> None:
    """Atomic (temp file + rename), so concurrent workers never read half a database."""
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, directory / name)
            _prune(directory, name.split("-", 1)[0], Path(name).suffix)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except OSError:
        pass


def _prune(directory: Path, kind: str, suffix: str) -> None:
    """Keep the newest few databases of a kind: rule packs change, old builds pile up."""
    try:
        entries = sorted(directory.glob(f"{kind}-*{suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[_KEEP:]:
            stale.unlink()
    except OSError:
        pass


def _deserialize(data: bytes) -> Any:
    import hyperscan

    try:
        return hyperscan.loadb(bytes(data), hyperscan.HS_MODE_BLOCK)
    except Exception:  # noqa: BLE001 - e.g. built for another CPU: compile again
        return None


def load_database(kind: str, inputs: Any, build: Callable[[], Any]) -> Any:
    """A compiled database for `inputs`, from the cache or built (and then cached)."""
    import hyperscan

    name = f"{kind}-{_key(kind, inputs)}.hsdb"
    cached = _read(name)
    if cached is not None:
        db = _deserialize(cached)
        if db is not None:
            return db
    db = build()
    _write(name, bytes(hyperscan.dumpb(db)))
    return db


def load_json(kind: str, inputs: Any, build: Callable[[], Any]) -> Any:
    """`build()` (JSON data: no pickle, a cache file can never run code), from the cache
    when it holds an entry for `inputs`."""
    name = f"{kind}-{_digest([kind, inputs])}.json"
    cached = _read(name)
    if cached is not None:
        try:
            return json.loads(cached)
        except ValueError:
            pass
    data = build()
    _write(name, json.dumps(data).encode("utf-8"))
    return data


MISSING = object()


def gate_key(rules: Sequence[Rule], candidates: Sequence[int], signature: str = "") -> str:
    """What a gate is built from: each candidate's pattern and examples (the examples decide
    which rules the gate may cover) and how gates are built (`signature`)."""
    inputs = [(i, rules[i].pattern, rules[i].examples, rules[i].negative_examples) for i in candidates]
    return _key("gate", [signature, inputs])


def count_ungated(key: str, add: int) -> int:
    """Bytes scanned without the gate `key` (gate_key), in this run and earlier ones, after
    adding `add`: a gate is worth building once they add up (hyperscan_gate). Workers may
    race on the count; it only decides when a gate is built, never what is found."""
    name = f"ungated-{key}.txt"
    try:
        total = int(_read(name) or b"0")
    except ValueError:
        total = 0
    total += add
    _write(name, str(total).encode("ascii"))
    return total


def load_gate(
    rules: Sequence[Rule],
    candidates: Sequence[int],
    build: Callable[[Sequence[Rule], Sequence[int]], tuple[Any, frozenset[int]] | None] | None,
    signature: str = "",
    key: str | None = None,
) -> Any:
    """The regex gate and the rules it covers (None: no rule qualifies); the key covers each
    candidate's pattern and examples, since the examples decide which rules the gate may
    cover. With `build` None, only the cache is consulted: MISSING when it has no entry.
    `signature` identifies how gates are built (a change there must not reuse old gates);
    `key`: gate_key of the three, when the caller has it."""
    import hyperscan

    name = f"gate-{key or gate_key(rules, candidates, signature)}.hsdb"
    cached = _read(name)
    if cached is not None:
        header, _, body = cached.partition(b"\n")
        try:
            gated = frozenset(int(i) for i in json.loads(header))
        except ValueError:
            gated = None
        if gated is not None and not gated:
            return None
        if gated is not None:
            db = _deserialize(body)
            if db is not None:
                return db, gated
    if build is None:
        return MISSING
    built = build(rules, candidates)
    if built is None:
        _write(name, b"[]\n")
        return None
    db, gated = built
    _write(name, json.dumps(sorted(gated)).encode("ascii") + b"\n" + bytes(hyperscan.dumpb(db)))
    return built
