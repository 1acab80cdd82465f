"""The audit workflow on a datastore, apart from scanning: triage, sharing triage, and
reports of the last scan re-rendered without scanning again. Nothing here prints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from scanner.datastore import Datastore, default_path, triage_document, who
from scanner.errors import ConfigError, SourceError
from scanner.findings import expand, group_by_secret, triaged_as
from scanner.report import ReportContext, render, summary_line

__all__ = ["Rendered", "export_triage", "import_triage", "open_datastore", "render_last", "triage"]


@dataclass(frozen=True)
class Rendered:
    report: str
    summary: str
    findings: int
    note: str = ""


def open_datastore(datastore: str | None, repo: Path, environ: Mapping[str, str]) -> Datastore:
    """`--datastore PATH`, or `auto` / nothing: the one kept for the repository at `repo`."""
    if datastore is not None and datastore != "auto":
        return Datastore.open(Path(datastore), create=False)
    from scanner.sources.git import resolve_repo

    try:
        top = resolve_repo(repo)
    except SourceError:
        raise ConfigError(f"{repo} is not a git repository: name the datastore with --datastore PATH") from None
    return Datastore.open(default_path(str(top), environ), create=False)


def triage(store: Datastore, fingerprint: str, status: str, note: str, environ: Mapping[str, str]) -> str:
    return store.set_triage(fingerprint, status, note, who(environ))


def export_triage(store: Datastore) -> str:
    return json.dumps(triage_document(store.export_triage()), indent=2) + "\n"


def import_triage(store: Datastore, path: Path) -> int:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not JSON: {exc}") from None
    return store.import_triage(document, str(path))


def render_last(
    store: Datastore,
    fmt: str,
    *,
    group: bool = True,
    statuses: tuple[str, ...] = (),
    new_only: bool = False,
    redact: bool = True,
) -> Rendered:
    """The last scan's report in `fmt`, from the datastore alone. Without stored secrets
    the report shows the previews the scan kept, so `redact=False` cannot reveal more."""
    stored = store.last_scan()
    findings = triaged_as(stored.findings, stored.audit, statuses, new_only)
    note = ""
    if not redact and not stored.secrets_stored:
        note = "the datastore keeps no secrets (scan with --store-secrets): showing previews"
    flat = tuple(place for finding in findings for place in expand(finding))
    shown = group_by_secret(flat) if group else tuple(replace(place, locations=()) for place in flat)
    ctx = ReportContext(
        findings=shown,
        stats=stored.record.stats,
        redact=redact and stored.secrets_stored,  # previews are redacted already
        command=stored.record.command,
        scanned=stored.record.target,
        audit=stored.audit,
        stored=True,
    )
    return Rendered(render(fmt, ctx), summary_line(stored.record.stats, shown), len(shown), note)
