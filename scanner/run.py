"""One scan, from options to outcome: config -> rules -> source -> scan -> report -> actions.

Every scan command does the same; the CLI only parses options, builds the `Target` (what
to scan, as a source), and shows what comes back: the report, the lines for stderr, the
webhook summary, the exit code. Nothing here prints or exits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import __version__
from scanner.baseline import load_baseline
from scanner.errors import ConfigError
from scanner.findings import Suppressor, group_by_secret, triaged_as
from scanner.model import UNCHECKED_REASONS, Audit, Finding, Rule, Skipped, Standing, confidence_at_least
from scanner.report._common import escape_controls
from scanner.rules import GITLEAKS_IGNORE, Config, RuleSet, build_ruleset, load_config, load_rule_pack
from scanner.scan import Progress, ScanResult, scan
from scanner.sources.interface import Source

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from scanner.datastore import Datastore

__all__ = ["Delivery", "ScanOptions", "Scanned", "Target", "deliver", "exit_code", "ruleset", "scan_target"]


@dataclass(frozen=True)
class ScanOptions:
    """The common options of every scan command."""

    format: str
    output: Path | None
    config: Path | None
    baseline: Path | None
    redact: bool
    exit_code: int
    jobs: int | None
    progress: bool | None
    webhooks: tuple[str, ...]
    max_file_size: int
    prefilter: str
    webhook_budget: float
    strict: bool = False
    group: bool = True
    redact_percent: int | None = None
    # The audit datastore: a path, "auto" (one per target under the XDG state directory) or None.
    datastore: str | None = None
    store_secrets: bool = False
    new_only: bool = False  # report only findings no earlier scan in the datastore saw
    statuses: tuple[str, ...] = ()  # report only findings triaged so (empty: all)
    # Report only findings at least this sure (CONFIDENCES); None: the target's default.
    min_confidence: str | None = None


@dataclass(frozen=True)
class Target:
    """What a command scans: the source (opened when the scan starts: a history's `git log`
    then runs while the config, rules and workers load), where its config is looked for,
    what to call it, and how many workers it gets by default."""

    command: str
    open: Callable[[], Source]
    root: Path | None
    scanned: str
    default_jobs: int
    repository: Callable[[], str] | None = None
    # History targets: where each finding stands now (scanner.sources.git.standing), given
    # the findings and the source they came from (before it is closed).
    standing: Callable[[Sequence[Finding], Source], Mapping[str, Standing]] | None = None
    # `--min-confidence` when not given: "medium" where the scan gates a person's commit or
    # push (a hook, CI on a range), "low" for an audit of what is there.
    min_confidence: str = "low"


@dataclass(frozen=True)
class Scanned:
    """A finished scan: the report to write, the lines for stderr, and what actions need."""

    result: ScanResult
    report: str
    messages: tuple[str, ...]
    summary: str
    webhooks: tuple[Any, ...]
    repository: str

    @property
    def incomplete(self) -> str:
        """What the scan left unchecked, counted by reason ("" when nothing was)."""
        counts = [(reason, n) for reason, n in self.result.stats.skips if reason in UNCHECKED_REASONS]
        return ", ".join(f"{n} {reason}" for reason, n in counts) + " left unchecked" if counts else ""


@dataclass(frozen=True)
class Delivery:
    messages: tuple[str, ...]
    failed: bool


def ruleset(config: Config) -> RuleSet:
    return build_ruleset(load_rule_pack(), config)


def scan_target(
    opts: ScanOptions,
    target: Target,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    color: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Scanned:
    """Scan the target and render its report; errors are KeysweepErrors (exit 2)."""
    env = os.environ if environ is None else environ
    _check_output(opts.output)
    store = _open_datastore(opts, target, env)
    started = _now()
    try:
        result, rules, suppressor, webhooks, audit, unhonoured = _scan(opts, target, store, env, on_progress, started)
    finally:
        if store is not None:
            store.close()
    result = _confident(opts.min_confidence or target.min_confidence, _filtered(opts, result, audit))
    report = _render(opts, result, rules, target, color=color, audit=audit, times=(started, _now()))
    messages = [f"warning: {warning}" for warning in (*unhonoured, *result.warnings, *suppressor.warnings)]
    messages.extend(_skip_lines(result.skipped, target.command))
    repository = target.repository() if target.repository and webhooks and result.findings else target.scanned
    return Scanned(result, report, tuple(messages), _summary(opts, result), webhooks, repository)


def _scan(
    opts: ScanOptions,
    target: Target,
    store: Datastore | None,
    env: Mapping[str, str],
    on_progress: Callable[[Progress], None] | None,
    started: datetime,
) -> tuple[ScanResult, RuleSet, Suppressor, tuple[Any, ...], Mapping[str, Audit], tuple[str, ...]]:
    """Config, rules and scan; with a datastore, only the blobs it has not matched clean
    with these rules are matched, and the scan is kept. Last: what the config asks for
    that cannot be honoured."""
    source = target.open()
    try:
        config = load_config(opts.config, root=target.root)
        rules = ruleset(config)
        if target.command == "stdin":
            # Standard input has no path (--label only names it): path rules never fire there.
            rules = RuleSet(tuple(rule for rule in rules.rules if not rule.path))
        baseline = load_baseline(opts.baseline) if opts.baseline else frozenset()
        webhooks = _webhook_targets(opts, config, env)
        suppressor = Suppressor(
            config.allowlist, baseline, allowlists=config.allowlists, ignored=_gitleaks_ignored(target)
        )
        jobs = opts.jobs if opts.jobs is not None else target.default_jobs
        pack = _pack_hash(rules.rules) if store is not None else ""
        known = store.known(pack) if store is not None else None
        _log.info("config: %s; %d rules; %d jobs", config.source or "none", len(rules.rules), jobs)
        if store is not None:
            _log.info("datastore %s: %d blobs matched clean with rule pack %s", store.path, len(known or ()), pack)
        result = scan(
            source, rules.rules, suppressor, jobs=jobs, backend=opts.prefilter, on_progress=on_progress, known=known
        )
        grouped = group_by_secret(result.findings)
        standing = target.standing(grouped, source) if target.standing is not None and grouped else {}
    finally:
        source.close()
    audit = _keep(store, target, _stamp(started), pack, result, rules, grouped, standing)
    return result, rules, suppressor, webhooks, audit, config.warnings


def _keep(
    store: Datastore | None,
    target: Target,
    started: str,
    pack: str,
    result: ScanResult,
    rules: RuleSet,
    grouped: Sequence[Finding],
    standing: Mapping[str, Standing],
) -> Mapping[str, Audit]:
    """With a datastore, the scan kept there and what the datastore knows of each finding;
    without one, where each finding stands (history)."""
    if store is None:
        return {fp: Audit(standing=place) for fp, place in standing.items()}
    from scanner.datastore import ScanRecord

    record = ScanRecord(target.scanned, target.command, started, _stamp(_now()), pack, result.stats)
    scan_id = store.record(record, grouped, result.clean, standing, rules.by_id())
    return store.audit(scan_id, (f.fingerprint for f in grouped))


def _pack_hash(rules: Sequence[Rule]) -> str:
    from scanner.datastore import pack_hash  # sqlite3 loads only for a scan that keeps one

    return pack_hash(rules)


def _open_datastore(opts: ScanOptions, target: Target, env: Mapping[str, str]) -> Datastore | None:
    if opts.datastore is None:
        return None
    from scanner.datastore import Datastore, default_path

    path = default_path(target.scanned, env) if opts.datastore == "auto" else Path(opts.datastore)
    return Datastore.open(path, store_secrets=opts.store_secrets)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def _gitleaks_ignored(target: Target) -> frozenset[str]:
    """The fingerprints of `.gitleaksignore` at the scanned root (not for stdin: no root)."""
    if target.root is None or target.command == "stdin":
        return frozenset()
    path = target.root / GITLEAKS_IGNORE
    if not path.is_file():
        return frozenset()
    from scanner.gitleaks import ignore_entries  # only when there is one: a 400-line module

    try:
        return ignore_entries(path.read_text(encoding="utf-8-sig", errors="replace"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def deliver(scanned: Scanned, *, budget: float, environ: Mapping[str, str] | None = None) -> Delivery:
    """Send each new finding to the webhooks within `budget` seconds; `failed` when some
    delivery was not made (it stays pending)."""
    if not scanned.webhooks or not scanned.result.findings:
        return Delivery((), False)
    from scanner.actions import default_state_dir
    from scanner.actions import deliver as send

    env = os.environ if environ is None else environ
    summary = send(
        scanned.result.findings,
        scanned.webhooks,
        state_dir=default_state_dir(env),
        repository=scanned.repository,
        env=env,
        budget=budget,
    )
    messages = [f"warning: {message}" for message in summary.messages]
    described = summary.describe()
    # describe() may already start with "webhook:"; say it once.
    messages.append(described if described.startswith("webhook") else f"webhook: {described}")
    return Delivery(tuple(messages), bool(getattr(summary, "failed", 0)))


def exit_code(opts: ScanOptions, scanned: Scanned, delivery: Delivery) -> int:
    if opts.strict and scanned.incomplete:
        return 2  # the findings, if any, were reported; the scan itself is not complete
    if scanned.result.findings:
        return opts.exit_code
    return 2 if delivery.failed else 0


def _render(
    opts: ScanOptions,
    result: ScanResult,
    rules: RuleSet,
    target: Target,
    *,
    color: bool,
    audit: Mapping[str, Audit],
    times: tuple[datetime, datetime],
) -> str:
    from scanner.report import ReportContext, render

    return render(
        opts.format,
        ReportContext(
            findings=_reported(opts, result),
            rules=rules.by_id(),
            stats=result.stats,
            redact=opts.redact,
            redact_percent=opts.redact_percent,
            color=color,
            version=__version__,
            command=target.command,
            scanned=target.scanned,
            started_at=times[0],
            finished_at=times[1],
            audit=audit,
            stored=opts.datastore is not None,
        ),
    )


def _filtered(opts: ScanOptions, result: ScanResult, audit: Mapping[str, Audit]) -> ScanResult:
    """Only the findings `--status` and `--new-only` ask for: the report, the exit code and
    the webhooks then see just those (a finding triaged false-positive fails no build)."""
    if not opts.statuses and not opts.new_only:
        return result
    return replace(result, findings=triaged_as(result.findings, audit, opts.statuses, opts.new_only))


def _confident(threshold: str, result: ScanResult) -> ScanResult:
    """Only findings at or above `threshold`: the report, the exit code and the webhooks see
    just those. The datastore keeps them all (a later audit at `low` must not find a blob
    matched clean that held one); the summary counts the secrets left out."""
    kept = tuple(f for f in result.findings if confidence_at_least(f.confidence, threshold))
    below = len({f.fingerprint for f in result.findings if not confidence_at_least(f.confidence, threshold)})
    stats = replace(result.stats, below_confidence=below, min_confidence=threshold)
    return replace(result, findings=kept, stats=stats)


def _reported(opts: ScanOptions, result: ScanResult) -> tuple[Finding, ...]:
    """The findings as reports show them: one per secret with its places, unless --no-group."""
    return group_by_secret(result.findings) if opts.group else result.findings


def _summary(opts: ScanOptions, result: ScanResult) -> str:
    from scanner.report import summary_line

    return summary_line(result.stats, _reported(opts, result))


_STDIN_SKIPS = {
    "binary": "binary input (a NUL byte in the first 8 KiB)",
    "too-large": "larger than --max-file-size",
}


def _skip_lines(skipped: Sequence[Skipped], command: str) -> list[str]:
    """The stderr lines for skips: one each, but one for all a partial clone lacks."""
    lines = [line for skip in skipped if (line := _skip_line(skip, command))]
    absent = sum(1 for skip in skipped if skip.reason == "not-fetched")
    if absent:
        lines.append(
            f"warning: {absent} blob{'s' if absent != 1 else ''} not in this partial clone, not scanned"
            " (keysweep never fetches: scan a full clone to read them)"
        )
    return lines


def _skip_line(skip: Skipped, command: str) -> str:
    """The stderr line for a skip the user must hear of ("" for those only counted)."""
    path = escape_controls(skip.path)
    if skip.reason == "submodule":
        return f"note: submodule {path} not followed (scan its repository separately)"
    if skip.reason in ("missing", "corrupt", "not-a-blob"):
        return f"warning: {path}: {skip.reason} object skipped ({skip.detail})"
    if skip.reason == "symlink-loop":
        return f"note: {path}: symbolic link loop, not followed"
    if skip.reason == "unreadable":
        return f"warning: {path}: cannot read ({skip.detail}), not scanned"
    if command == "stdin":
        # Standard input is the whole scan: "no leaks found" must not hide that it was not read.
        return f"warning: {path}: {_STDIN_SKIPS.get(skip.reason, skip.reason)}, not scanned"
    return ""


def _check_output(output: Path | None) -> None:
    """A report that cannot be written must fail before the scan, not after it."""
    if output is None:
        return
    parent = output.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot write report {output}: directory {parent} does not exist")


def _webhook_targets(opts: ScanOptions, config: Config, env: Mapping[str, str]) -> tuple[Any, ...]:
    if not opts.webhooks and not config.webhooks:
        return ()
    from scanner.actions import check_signing, parse_targets, target_from_url

    targets = list(parse_targets(config.webhooks, source=config.source)) if config.webhooks else []
    # `--webhook URL` signs with $KEYSWEEP_WEBHOOK_SECRET when it is set (docs/webhook.md).
    signing = "KEYSWEEP_WEBHOOK_SECRET" if env.get("KEYSWEEP_WEBHOOK_SECRET") else None
    targets.extend(target_from_url(url, secret_env=signing) for url in opts.webhooks)
    check_signing(targets, env)  # a missing signing key is an error before the scan
    return tuple(targets)
