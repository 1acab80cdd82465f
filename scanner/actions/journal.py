"""The delivery journal: a SQLite file that makes webhook delivery at-least-once and deduplicated.

Every delivery is written here (pending) before its first request, so an outage or a
killed process loses nothing; `(target, secret_sha256)` is unique, so a secret is sent
once to each webhook across runs. A row being sent is leased to one process (token,
pid, host, lease expiry): concurrent scans and `webhook retry` never send the same
row at once, and a row leased by a dead process is taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from scanner.errors import WebhookError

__all__ = ["JOURNAL_NAME", "Journal", "JournalEntry", "JournalRow", "NewDelivery", "Owner"]

JOURNAL_NAME = "webhooks.sqlite3"

DEFAULT_LEASE = 900.0

# How long a scan waits for another one holding the journal (SQLite busy timeout).
_BUSY_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id            INTEGER PRIMARY KEY,
    delivery_id   TEXT NOT NULL UNIQUE,
    target_key    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    url           TEXT NOT NULL,
    secret_env    TEXT,
    options       TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    payload       BLOB,
    has_secret    INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_status   INTEGER,
    last_error    TEXT,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    sent_at       REAL,
    owner         TEXT,
    owner_pid     INTEGER,
    owner_host    TEXT,
    lease_until   REAL,
    UNIQUE (target_key, secret_sha256)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (status) WHERE status = 'pending';
"""

_ROW_COLUMNS = "id, delivery_id, target_key, kind, url, secret_env, options, secret_sha256, payload, attempts"


@dataclass(frozen=True)
class JournalEntry:
    """One delivery as `keysweep webhook list` shows it: never the payload, never a secret.
    rule_id/file/line come from a generic webhook's finding JSON (None for GitHub rows,
    whose payload is the raw token)."""

    delivery_id: str
    kind: str
    url: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: float
    sent_at: float | None
    rule_id: str | None = None
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Owner:
    """The process (and call) that holds a row's lease."""

    token: str
    pid: int
    host: str

    @classmethod
    def current(cls) -> Owner:
        return cls(uuid.uuid4().hex, os.getpid(), socket.gethostname())


@dataclass(frozen=True)
class _Delivery:
    """The columns a delivery keeps from enqueue to send; `payload` is what retry needs to
    rebuild the request."""

    delivery_id: str
    target_key: str
    kind: str
    url: str
    secret_env: str | None
    options: str
    secret_sha256: str
    payload: bytes


@dataclass(frozen=True)
class NewDelivery(_Delivery):
    """A delivery to journal."""

    has_secret: bool


@dataclass(frozen=True)
class JournalRow(_Delivery):
    """A pending delivery, leased to the caller."""

    id: int
    attempts: int


def _alive(pid: int) -> bool:
    """Whether a process still runs; off POSIX the lease expiry alone decides."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class Journal:
    """One open connection to the journal; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # The journal holds raw secrets for include_secret/GitHub rows until sent: owner only.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
        except OSError as exc:
            raise WebhookError(f"cannot create webhook journal {path}: {exc.strerror or exc}") from None
        try:
            self._db = sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(_BUSY_SECONDS * 1000)}")
            self._use_wal()
            self._db.execute("PRAGMA synchronous = FULL")
            with self._tx():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
        except sqlite3.Error as exc:
            raise WebhookError(f"webhook journal {path}: {exc}") from None

    def _use_wal(self) -> None:
        """WAL mode, set once per file (it persists). Switching modes needs the database to
        itself and SQLite answers "database is locked" at once, without waiting out the busy
        timeout, when a concurrent scan has it open: retry for as long as that timeout."""
        deadline = time.monotonic() + _BUSY_SECONDS
        while True:
            try:
                (mode,) = self._db.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() == "wal":
                    return
                self._db.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    @classmethod
    def open(cls, state_dir: Path) -> Journal:
        return cls(Path(state_dir) / JOURNAL_NAME)

    def __enter__(self) -> Journal:  # noqa: PYI034 (typing.Self is 3.11+)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front (no upgrade deadlocks)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise WebhookError(f"webhook journal {self.path}: {exc}") from None
        try:
            yield self._db
        except sqlite3.Error as exc:
            self._rollback()
            raise WebhookError(f"webhook journal {self.path}: {exc}") from None
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise WebhookError(f"webhook journal {self.path}: {exc}") from None

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def enqueue(
        self, items: Sequence[NewDelivery], owner: Owner, *, lease: float = DEFAULT_LEASE
    ) -> tuple[list[JournalRow], int]:
        """Insert new deliveries, leased to `owner`; returns them and how many were already known."""
        now = time.time()
        inserted: list[JournalRow] = []
        duplicates = 0
        with self._tx() as db:
            for item in items:
                cur = db.execute(
                    "INSERT OR IGNORE INTO deliveries (delivery_id, target_key, kind, url,"
                    " secret_env, options, secret_sha256, payload, has_secret, created_at,"
                    " updated_at, owner, owner_pid, owner_host, lease_until)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.delivery_id,
                        item.target_key,
                        item.kind,
                        item.url,
                        item.secret_env,
                        item.options,
                        item.secret_sha256,
                        item.payload,
                        int(item.has_secret),
                        now,
                        now,
                        owner.token,
                        owner.pid,
                        owner.host,
                        now + lease,
                    ),
                )
                if cur.rowcount != 1:
                    duplicates += 1
                    continue
                shared = {f.name: getattr(item, f.name) for f in fields(_Delivery)}
                inserted.append(JournalRow(id=int(cur.lastrowid or 0), attempts=0, **shared))
        return inserted, duplicates

    def take_pending(self, owner: Owner, *, lease: float = DEFAULT_LEASE) -> list[JournalRow]:
        """Lease every pending row that no live process holds."""
        now = time.time()
        taken: list[JournalRow] = []
        with self._tx() as db:
            rows = db.execute(
                f"SELECT {_ROW_COLUMNS}, owner, owner_pid, owner_host, lease_until"
                " FROM deliveries WHERE status = 'pending' ORDER BY id"
            ).fetchall()
            for row in rows:
                held_by, pid, host, until = row[10:]
                free = (
                    held_by is None
                    or held_by == owner.token
                    or until is None
                    or until < now
                    or (host == owner.host and pid is not None and not _alive(int(pid)))
                )
                if not free:
                    continue
                db.execute(
                    "UPDATE deliveries SET owner = ?, owner_pid = ?, owner_host = ?, lease_until = ? WHERE id = ?",
                    (owner.token, owner.pid, owner.host, now + lease, row[0]),
                )
                taken.append(
                    JournalRow(
                        id=int(row[0]),
                        delivery_id=row[1],
                        target_key=row[2],
                        kind=row[3],
                        url=row[4],
                        secret_env=row[5],
                        options=row[6],
                        secret_sha256=row[7],
                        payload=bytes(row[8] or b""),
                        attempts=int(row[9]),
                    )
                )
        return taken

    def renew(self, ids: Sequence[int], owner: Owner, *, lease: float = DEFAULT_LEASE) -> set[int]:
        """Extend the lease just before sending; returns the ids still held (others were taken over)."""
        now = time.time()
        held: set[int] = set()
        with self._tx() as db:
            for row_id in ids:
                cur = db.execute(
                    "UPDATE deliveries SET lease_until = ? WHERE id = ? AND owner = ? AND status = 'pending'",
                    (now + lease, row_id, owner.token),
                )
                if cur.rowcount == 1:
                    held.add(row_id)
        return held

    def mark_sent(self, ids: Sequence[int], status: int | None, *, attempts: int = 1) -> None:
        """Delivered after `attempts` HTTP requests: never sent again; a payload holding a raw
        secret is wiped."""
        now = time.time()
        with self._tx() as db:
            for row_id in ids:
                db.execute(
                    "UPDATE deliveries SET status = 'sent', sent_at = ?, updated_at = ?,"
                    " attempts = attempts + ?, last_status = ?, last_error = NULL,"
                    " payload = CASE WHEN has_secret THEN NULL ELSE payload END,"
                    " owner = NULL, owner_pid = NULL, owner_host = NULL, lease_until = NULL"
                    " WHERE id = ?",
                    (now, now, attempts, status, row_id),
                )

    def mark_unsent(self, ids: Sequence[int], owner: Owner, *, status: int | None, error: str, attempts: int) -> None:
        """Leave pending for `webhook retry` after `attempts` HTTP requests (0: none made),
        releasing the lease; `error` must hold no secret."""
        now = time.time()
        with self._tx() as db:
            for row_id in ids:
                db.execute(
                    "UPDATE deliveries SET updated_at = ?, attempts = attempts + ?,"
                    " last_status = ?, last_error = ?, owner = NULL, owner_pid = NULL,"
                    " owner_host = NULL, lease_until = NULL"
                    " WHERE id = ? AND owner = ? AND status = 'pending'",
                    (now, attempts, status, error, row_id, owner.token),
                )

    def entries(self, *, pending_only: bool = False) -> list[JournalEntry]:
        """Every delivery (or only the pending ones), oldest first."""
        query = (
            "SELECT delivery_id, kind, url, status, attempts, last_status, last_error, created_at, sent_at,"
            " CASE WHEN kind = 'github' THEN NULL ELSE payload END FROM deliveries"
            + (" WHERE status = 'pending'" if pending_only else "")
            + " ORDER BY id"
        )
        try:
            rows = self._db.execute(query).fetchall()
        except sqlite3.Error as exc:
            raise WebhookError(f"webhook journal {self.path}: {exc}") from None
        return [
            JournalEntry(
                str(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                int(r[4]),
                r[5],
                r[6],
                float(r[7]),
                r[8],
                *_finding_place(r[9]),
            )
            for r in rows
        ]

    def pending_count(self, *, unleased_only: bool = False) -> int:
        """Pending deliveries; `unleased_only`: only those no process is sending now."""
        query = "SELECT count(*) FROM deliveries WHERE status = 'pending'"
        params: tuple[float, ...] = ()
        if unleased_only:
            query += " AND (lease_until IS NULL OR lease_until < ?)"
            params = (time.time(),)
        try:
            (count,) = self._db.execute(query, params).fetchone()
        except sqlite3.Error as exc:
            raise WebhookError(f"webhook journal {self.path}: {exc}") from None
        return int(count)

    def drop(self, delivery_ids: Sequence[str]) -> int:
        """Give up pending deliveries: they are never sent, and their payloads are wiped.
        Returns how many were dropped (ids not pending are left as they are)."""
        now = time.time()
        wipe = (
            "UPDATE deliveries SET status = 'dropped', updated_at = ?, payload = NULL,"
            " owner = NULL, owner_pid = NULL, owner_host = NULL, lease_until = NULL"
            " WHERE status = 'pending' AND "
        )
        dropped = 0
        with self._tx() as db:
            for delivery_id in delivery_ids:
                dropped += db.execute(wipe + "delivery_id = ?", (now, delivery_id)).rowcount
        return dropped

    def status_of(self, delivery_id: str) -> tuple[str, int, str | None] | None:
        """(status, attempts, last_error) of one delivery, for `webhook retry` reports and tests."""
        row = self._db.execute(
            "SELECT status, attempts, last_error FROM deliveries WHERE delivery_id = ?",
            (delivery_id,),
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), row[2])


def _finding_place(payload: bytes | None) -> tuple[str | None, str | None, int | None]:
    """rule_id, file and line of a generic delivery's finding JSON (no other field is read)."""
    if not payload:
        return None, None, None
    try:
        record = json.loads(bytes(payload))
    except ValueError:
        return None, None, None
    if not isinstance(record, dict):
        return None, None, None
    rule_id, file, line = record.get("rule_id"), record.get("file"), record.get("line")
    return (
        rule_id if isinstance(rule_id, str) else None,
        file if isinstance(file, str) else None,
        line if isinstance(line, int) and not isinstance(line, bool) else None,
    )
