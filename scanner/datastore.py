"""The audit datastore: one SQLite file per audit, kept across scans.

It holds the scans, the blobs each rule pack matched clean (so a re-scan matches only
new blobs), every finding by fingerprint with the places the latest scan saw it, where
it stands, and its triage. Secrets are kept as a SHA-256 and the redacted preview; in
clear only with `store_secrets`. The schema is versioned (`PRAGMA user_version`) and
migrated forward on open; WAL and a busy timeout let concurrent scans share a file.

The tables are keyed so that later work fits beside them: a fleet audit writes many
repositories' scans into one file (`scans.target`, `locations.scan_id`), and live
verification will add a table of its results by fingerprint.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.errors import ConfigError
from scanner.findings import expand, redact
from scanner.model import TRIAGE_STATUSES, Audit, Finding, Location, Rule, ScanStats, Standing

__all__ = [
    "SCHEMA_VERSION",
    "Datastore",
    "ScanRecord",
    "StoredScan",
    "default_path",
    "pack_hash",
    "triage_document",
    "who",
]

# Each entry moves the schema from its index to the next version; never edit a published one.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        command TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        version TEXT NOT NULL,
        blobs INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        reused INTEGER NOT NULL,
        seconds REAL NOT NULL,
        skips TEXT NOT NULL
    );
    CREATE TABLE matched (
        blob_id TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (blob_id, pack_hash)
    ) WITHOUT ROWID;
    CREATE TABLE findings (
        fingerprint TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        description TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        preview TEXT NOT NULL,
        secret TEXT,
        entropy REAL NOT NULL,
        first_scan INTEGER NOT NULL REFERENCES scans(id),
        last_scan INTEGER NOT NULL REFERENCES scans(id)
    );
    CREATE TABLE locations (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        fingerprint TEXT NOT NULL REFERENCES findings(fingerprint),
        seq INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        file TEXT NOT NULL,
        line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        col INTEGER NOT NULL,
        commit_id TEXT,
        author TEXT,
        email TEXT,
        date TEXT,
        PRIMARY KEY (scan_id, fingerprint, seq)
    );
    CREATE TABLE standing (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        fingerprint TEXT NOT NULL,
        ref TEXT NOT NULL,
        present INTEGER NOT NULL,
        first_commit TEXT,
        first_date TEXT,
        removed_commit TEXT,
        removed_date TEXT,
        branches INTEGER NOT NULL,
        PRIMARY KEY (scan_id, fingerprint)
    );
    CREATE TABLE triage (
        fingerprint TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        status TEXT NOT NULL,
        note TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    );
    CREATE TABLE triage_log (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL,
        note TEXT NOT NULL,
        at TEXT NOT NULL,
        by TEXT NOT NULL
    );
    CREATE INDEX locations_by_finding ON locations (fingerprint);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)
_TRIAGE_FORMAT = "keysweep-triage"


@dataclass(frozen=True)
class ScanRecord:
    """What the datastore keeps of one scan besides its findings."""

    target: str
    command: str
    started: str
    finished: str
    pack_hash: str
    stats: ScanStats
    version: str = __version__


@dataclass(frozen=True)
class StoredScan:
    """A scan read back: its record, its findings grouped by secret (the secret is the
    stored preview unless the datastore keeps secrets), and their audit."""

    id: int
    record: ScanRecord
    findings: tuple[Finding, ...]
    audit: Mapping[str, Audit]
    secrets_stored: bool


def default_path(target: str, environ: Mapping[str, str]) -> Path:
    """`--datastore auto`: one file per scanned target under the XDG state directory."""
    state = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME", "~")).expanduser() / ".local" / "state")
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(target.rstrip("/")).name)[:40] or "scan"
    digest = hashlib.sha256(target.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return Path(state) / "keysweep" / "datastores" / f"{name}-{digest}.sqlite"


def pack_hash(rules: Sequence[Rule]) -> str:
    """What a blob's match result depends on: every rule, and the matching code itself
    (a fixed filter must re-match what it used to drop)."""
    digest = hashlib.sha256(__version__.encode())
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(repr(rule).encode("utf-8", "surrogateescape"))
    here = Path(__file__).resolve().parent
    for code in sorted([*(here / "engine").glob("*.py"), here / "patterns.py"]):
        digest.update(code.read_bytes())
    return digest.hexdigest()[:32]


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Datastore:
    """One audit's SQLite file. Open it with `Datastore.open`; close it when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path, store_secrets: bool) -> None:
        self._db = connection
        self.path = path
        self._store_secrets = store_secrets

    @classmethod
    def open(cls, path: Path, *, store_secrets: bool = False, create: bool = True) -> Datastore:
        if not create and not path.is_file():
            raise ConfigError(f"no datastore at {path} (scan with --datastore first)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(connection, path, store_secrets)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot use datastore {path}: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot use datastore {path}: {exc.strerror or exc}") from None
        return store

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once (concurrent scans queue here)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"datastore {self.path} has schema {version}; this keysweep reads up to {SCHEMA_VERSION}"
                )
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def known(self, pack: str) -> dict[str, int]:
        """The blobs (id -> size) matched clean with this rule pack by earlier scans."""
        return dict(self._db.execute("SELECT blob_id, size FROM matched WHERE pack_hash = ?", (pack,)))

    def record(
        self,
        scan: ScanRecord,
        findings: Sequence[Finding],
        clean: Mapping[str, int],
        standing: Mapping[str, Standing],
    ) -> int:
        """Keep a finished scan: its grouped findings and their places, where each stands,
        and the blobs it matched clean. Returns the scan's id."""
        with self._write() as db:
            scan_id = int(db.execute(_INSERT_SCAN, _scan_row(scan)).lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO matched VALUES (?, ?, ?)",
                ((blob, scan.pack_hash, size) for blob, size in clean.items()),
            )
            for finding in findings:
                self._record_finding(db, scan_id, finding)
            db.executemany(
                "INSERT INTO standing VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((scan_id, fp, *_standing_row(s)) for fp, s in standing.items()),
            )
        return scan_id

    def _record_finding(self, db: sqlite3.Connection, scan_id: int, finding: Finding) -> None:
        secret = finding.secret if self._store_secrets else None
        db.execute(
            """INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (fingerprint) DO UPDATE SET last_scan = excluded.last_scan,
                 description = excluded.description, preview = excluded.preview,
                 secret = COALESCE(excluded.secret, findings.secret)""",
            (
                finding.fingerprint,
                finding.rule_id,
                finding.description,
                finding.secret_sha256,
                redact(finding.secret),
                secret,
                finding.entropy,
                scan_id,
                scan_id,
            ),
        )
        db.executemany(
            "INSERT INTO locations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (scan_id, finding.fingerprint, seq, place.blob_id, place.file, place.line, place.end_line, place.column)
                + (place.commit, place.author, place.email, place.date)
                for seq, place in enumerate(expand(finding))
            ),
        )

    def audit(self, scan_id: int, fingerprints: Iterable[str]) -> dict[str, Audit]:
        """Each finding's triage, first sighting and standing as of scan `scan_id`."""
        audits: dict[str, Audit] = {}
        for fp in fingerprints:
            row = self._db.execute(_AUDIT_QUERY, (scan_id, fp)).fetchone()
            if row is None:
                continue
            status, note, triaged_at, first_seen, first_scan, ref, present, first, since, gone, when, branches = row
            standing = Standing(ref, bool(present), first, since, gone, when, branches) if ref is not None else None
            audits[fp] = Audit(status or "open", note or "", triaged_at, first_seen, first_scan == scan_id, standing)
        return audits

    def last_scan(self, target: str | None = None) -> StoredScan:
        """The latest scan (of `target`, when given), read back whole."""
        query = "SELECT * FROM scans" + (" WHERE target = ?" if target else "") + " ORDER BY id DESC LIMIT 1"
        row = self._db.execute(query, (target,) if target else ()).fetchone()
        if row is None:
            raise ConfigError(f"datastore {self.path} holds no scan" + (f" of {target}" if target else ""))
        scan_id, record = row[0], _record_from(row)
        findings = tuple(self._findings(scan_id))
        audit = self.audit(scan_id, (f.fingerprint for f in findings))
        stored = self._db.execute("SELECT 1 FROM findings WHERE secret IS NOT NULL LIMIT 1").fetchone() is not None
        return StoredScan(scan_id, record, findings, audit, stored)

    def _findings(self, scan_id: int) -> Iterator[Finding]:
        rows = self._db.execute(_FINDINGS_QUERY, (scan_id,)).fetchall()
        by_fp: dict[str, list[Any]] = {}
        for row in rows:
            by_fp.setdefault(row[0], []).append(row)
        for fp, places in by_fp.items():
            yield _finding_from(fp, places)

    def set_triage(self, fingerprint: str, status: str, note: str, who: str) -> str:
        """Triage a finding by fingerprint (or a unique prefix of one); returns the full one."""
        if status not in TRIAGE_STATUSES:
            raise ConfigError(f"unknown status {status!r}; choose one of: {', '.join(TRIAGE_STATUSES)}")
        full, rule_id = self._resolve(fingerprint)
        with self._write() as db:
            _put_triage(db, full, rule_id, status, note, _now(), who)
        return full

    def _resolve(self, prefix: str) -> tuple[str, str]:
        cleaned = prefix.strip().lower()
        if len(cleaned) < 6 or any(c not in "0123456789abcdef" for c in cleaned):
            raise ConfigError(f"{prefix!r} is not a fingerprint (at least 6 hex digits of one)")
        rows = self._db.execute(
            "SELECT fingerprint, rule_id FROM findings WHERE fingerprint >= ? AND fingerprint < ? LIMIT 2",
            (cleaned, cleaned + "g"),
        ).fetchall()
        if not rows:
            raise ConfigError(f"no finding with fingerprint {cleaned} in {self.path}")
        if len(rows) > 1:
            raise ConfigError(f"fingerprint prefix {cleaned} is ambiguous: give more digits")
        return rows[0][0], rows[0][1]

    def export_triage(self) -> list[dict[str, str]]:
        rows = self._db.execute(
            "SELECT fingerprint, rule_id, status, note, updated_at, updated_by FROM triage ORDER BY fingerprint"
        )
        return [dict(zip(_ENTRY_KEYS, row, strict=True)) for row in rows]

    def import_triage(self, document: Mapping[str, Any], source: str) -> int:
        """Merge a shared triage file: for each fingerprint the newer decision wins (so two
        auditors exchanging files converge). Returns how many entries changed here."""
        entries = _triage_entries(document, source)
        changed = 0
        with self._write() as db:
            for entry in entries:
                row = db.execute("SELECT updated_at FROM triage WHERE fingerprint = ?", (entry["fingerprint"],))
                mine = row.fetchone()
                if mine is not None and mine[0] >= entry["updated_at"]:
                    continue
                _put_triage(db, *(entry[k] for k in _ENTRY_KEYS))
                changed += 1
        return changed


_ENTRY_KEYS = ("fingerprint", "rule_id", "status", "note", "updated_at", "updated_by")

_INSERT_SCAN = "INSERT INTO scans VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

_AUDIT_QUERY = """
    SELECT t.status, t.note, t.updated_at, s.started, f.first_scan,
           st.ref, st.present, st.first_commit, st.first_date, st.removed_commit, st.removed_date, st.branches
    FROM findings f JOIN scans s ON s.id = f.first_scan
    LEFT JOIN triage t ON t.fingerprint = f.fingerprint
    LEFT JOIN standing st ON st.fingerprint = f.fingerprint AND st.scan_id = ?
    WHERE f.fingerprint = ?
"""

_FINDINGS_QUERY = """
    SELECT f.fingerprint, f.rule_id, f.description, COALESCE(f.secret, f.preview), f.entropy,
           l.blob_id, l.file, l.line, l.end_line, l.col, l.commit_id, l.author, l.email, l.date
    FROM locations l JOIN findings f ON f.fingerprint = l.fingerprint
    WHERE l.scan_id = ? ORDER BY l.fingerprint, l.seq
"""


def _scan_row(scan: ScanRecord) -> tuple[Any, ...]:
    stats = scan.stats
    skips = ",".join(f"{reason}={n}" for reason, n in stats.skips)
    return (scan.target, scan.command, scan.started, scan.finished, scan.pack_hash, scan.version) + (
        stats.blobs,
        stats.bytes,
        stats.reused,
        stats.seconds,
        skips,
    )


def _record_from(row: Sequence[Any]) -> ScanRecord:
    skips = tuple((k, int(v)) for k, _, v in (p.partition("=") for p in row[11].split(",") if p))
    stats = ScanStats(blobs=row[7], bytes=row[8], reused=row[9], seconds=row[10], skips=skips)
    return ScanRecord(row[1], row[2], row[3], row[4], row[5], stats, row[6])


def _standing_row(standing: Standing) -> tuple[Any, ...]:
    return (
        standing.ref,
        int(standing.present),
        standing.first_commit,
        standing.first_date,
        standing.removed_commit,
        standing.removed_date,
        standing.branches,
    )


def _finding_from(fp: str, places: Sequence[Sequence[Any]]) -> Finding:
    _, rule_id, description, secret, entropy = places[0][:5]
    locations = tuple(Location(p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[5]) for p in places)
    first = places[0]
    return Finding(
        rule_id,
        description,
        first[6],
        first[7],
        first[8],
        first[9],
        secret,
        fp,
        entropy,
        commit=first[10],
        author=first[11],
        email=first[12],
        date=first[13],
        blob_id=first[5],
        locations=locations,
    )


def _put_triage(db: sqlite3.Connection, fp: str, rule_id: str, status: str, note: str, at: str, who: str) -> None:
    db.execute(
        """INSERT INTO triage VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET
           status = excluded.status, note = excluded.note, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by""",
        (fp, rule_id, status, note, at, who),
    )
    db.execute("INSERT INTO triage_log VALUES (NULL, ?, ?, ?, ?, ?)", (fp, status, note, at, who))


def triage_document(entries: list[dict[str, str]]) -> dict[str, Any]:
    """The shared triage file: fingerprints and decisions, never a secret."""
    return {"format": _TRIAGE_FORMAT, "version": 1, "entries": entries}


def _triage_entries(document: Mapping[str, Any], source: str) -> list[dict[str, str]]:
    if not isinstance(document, Mapping) or document.get("format") != _TRIAGE_FORMAT:
        raise ConfigError(f"{source}: not a keysweep triage file (export one with `keysweep triage export`)")
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: `entries` must be a list")
    checked = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, Mapping) or not all(isinstance(entry.get(k), str) for k in _ENTRY_KEYS):
            raise ConfigError(f"{source}: entry {n} needs string fields {', '.join(_ENTRY_KEYS)}")
        if entry["status"] not in TRIAGE_STATUSES:
            raise ConfigError(f"{source}: entry {n}: unknown status {entry['status']!r}")
        checked.append({k: entry[k] for k in _ENTRY_KEYS})
    return checked


def who(environ: Mapping[str, str]) -> str:
    """Who triages: $KEYSWEEP_USER, else the login name."""
    return environ.get("KEYSWEEP_USER") or environ.get("USER") or environ.get("USERNAME") or "unknown"
