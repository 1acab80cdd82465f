"""Command line: the only module that prints or exits.

`main(argv) -> int` runs a command and returns its exit code, so tests call it directly:
0 no findings, 1 (or --exit-code) findings, 2 any error (one line on stderr, no traceback).
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from scanner import __version__
from scanner.errors import ConfigError, KeysweepError, SourceError
from scanner.findings import Suppressor, load_baseline
from scanner.rules import Config, RuleSet, build_ruleset, load_config, load_rule_pack
from scanner.scan import Item, Progress, Reader, ScanResult, scan
from scanner.sources.pack import PackWalk

__all__ = ["main", "entry", "cli"]

FORMATS = ("text", "json", "jsonl", "sarif", "csv", "junit", "gitlab")
_MAX_SIZE = 1024**4
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def parse_size(text: str) -> int:
    """`10M`, `512k`, `1g`, `2048`: a byte count."""
    cleaned = text.strip().lower()
    number = cleaned.rstrip("kmgb")
    unit = cleaned[len(number) :]
    problem = f"{text!r} is not a size (e.g. 512k, 10M, 1G)"
    try:
        value = float(number)
    except ValueError:
        raise click.BadParameter(problem, param_hint="'--max-file-size'") from None
    # inf, nan and 1e400 parse as floats; 0.1 would round to a limit of 0 bytes.
    if unit not in _SIZE_UNITS or not math.isfinite(value) or value * _SIZE_UNITS[unit] < 1:
        raise click.BadParameter(problem, param_hint="'--max-file-size'")
    size = int(value * _SIZE_UNITS[unit])
    if size > _MAX_SIZE:
        raise click.BadParameter(f"{text!r} is too large (at most 1024G)", param_hint="'--max-file-size'")
    return size


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


def scan_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--format", "format_", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format."
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to FILE instead of standard output.",
        ),
        click.option(
            "--config",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Config file (.keysweep.toml shape, or a gitleaks .gitleaks.toml).",
        ),
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A previous JSON report: its findings are not reported again.",
        ),
        click.option("--redact/--no-redact", default=True, show_default=True, help="Hide secrets in every output."),
        click.option(
            "--exit-code",
            type=click.IntRange(0, 255),
            default=1,
            show_default=True,
            help="Exit code when there are findings.",
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(1, 256),
            default=None,
            help="Worker processes (default: all cores for git and dir).",
        ),
        click.option(
            "--progress/--no-progress", default=None, help="Progress on stderr (default: when stderr is a terminal)."
        ),
        click.option(
            "--webhook",
            "webhooks",
            multiple=True,
            metavar="URL",
            help="Revocation webhook to call for each new finding (repeatable).",
        ),
        click.option(
            "--max-file-size",
            default="10M",
            show_default=True,
            metavar="SIZE",
            help="Skip files and blobs larger than SIZE (512k, 10M, 1G).",
        ),
        click.option(
            "--prefilter",
            type=click.Choice(["auto", "hyperscan", "aho-corasick"]),
            default="auto",
            hidden=True,
            help="First-stage engine (for testing).",
        ),
    ]
    for option in reversed(options):
        func = option(func)

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        kwargs["opts"] = ScanOptions(
            format=kwargs.pop("format_"),
            output=kwargs.pop("output"),
            config=kwargs.pop("config"),
            baseline=kwargs.pop("baseline"),
            redact=kwargs.pop("redact"),
            exit_code=kwargs.pop("exit_code"),
            jobs=kwargs.pop("jobs"),
            progress=kwargs.pop("progress"),
            webhooks=kwargs.pop("webhooks"),
            max_file_size=parse_size(kwargs.pop("max_file_size")),
            prefilter=kwargs.pop("prefilter"),
        )
        return func(**kwargs)

    return wrapper


class ProgressLine:
    """A single self-rewriting stderr line, at most ten updates a second."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._last = 0.0
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        rate = progress.bytes / max(now - self._started, 1e-6) / 1024 / 1024
        self.stream.write(
            f"\r\x1b[2Kscanning: {progress.blobs:,} blobs, {progress.bytes / 1024 / 1024:,.1f} MiB ({rate:,.1f} MiB/s)"
        )
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _ruleset(config: Config) -> RuleSet:
    return build_ruleset(load_rule_pack(), config)


def _run_scan(
    opts: ScanOptions,
    items: Callable[[], Iterable[Item]],
    *,
    command: str,
    root: Path | None,
    scanned: str,
    default_jobs: int,
    repository: Callable[[], str] | None = None,
    reader: Reader | None = None,
    packs: Callable[[], PackWalk | None] | None = None,
) -> int:
    """Config -> rules -> scan -> report -> webhooks -> exit code: shared by every scan command."""
    _check_output(opts.output)
    # Started first: a history listing runs `git log` while the config, rules and workers load.
    source = items()
    try:
        return _scan_and_report(
            opts,
            source,
            command=command,
            root=root,
            scanned=scanned,
            default_jobs=default_jobs,
            repository=repository,
            reader=reader,
            packs=packs,
        )
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _scan_and_report(
    opts: ScanOptions,
    source: Iterable[Item],
    *,
    command: str,
    root: Path | None,
    scanned: str,
    default_jobs: int,
    repository: Callable[[], str] | None,
    reader: Reader | None,
    packs: Callable[[], PackWalk | None] | None,
) -> int:
    config = load_config(opts.config, root=root)
    ruleset = _ruleset(config)
    baseline = load_baseline(opts.baseline) if opts.baseline else frozenset()
    targets = _webhook_targets(opts, config)
    suppressor = Suppressor(config.allowlist, baseline)
    progress = ProgressLine(sys.stderr, sys.stderr.isatty() if opts.progress is None else opts.progress)
    jobs = opts.jobs if opts.jobs is not None else default_jobs
    try:
        result = scan(
            source,
            ruleset.rules,
            suppressor,
            jobs=jobs,
            backend=opts.prefilter,
            on_progress=progress,
            reader=reader,
            packs=packs,
        )
    finally:
        progress.close()
    _write_report(opts, result, ruleset, command=command, scanned=scanned)
    for warning in (*result.warnings, *suppressor.warnings):
        click.echo(f"keysweep: warning: {warning}", err=True)
    for skip in result.skipped:
        # Binary and too-large inputs are only counted; these the user must hear about.
        if skip.reason == "submodule":
            click.echo(
                f"keysweep: note: submodule {_safe(skip.path)} not followed (scan its repository separately)", err=True
            )
        elif skip.reason in ("missing", "corrupt", "not-a-blob"):
            click.echo(f"keysweep: warning: {_safe(skip.path)}: {skip.reason} object skipped ({skip.detail})", err=True)
        elif skip.reason == "unreadable":
            click.echo(f"keysweep: warning: {_safe(skip.path)}: cannot read ({skip.detail}), not scanned", err=True)
        elif command == "stdin":
            # Standard input is the whole scan: "no leaks found" must not hide that it was not read.
            click.echo(
                f"keysweep: warning: {_safe(skip.path)}: {_STDIN_SKIPS.get(skip.reason, skip.reason)}, not scanned",
                err=True,
            )
    click.echo(_summary(result), err=True)
    delivery_failed = False
    if targets and result.findings:
        delivery_failed = _deliver(result, targets, repository() if repository else scanned)
    if result.findings:
        return opts.exit_code
    return 2 if delivery_failed else 0


def _summary(result: ScanResult) -> str:
    from scanner.report import summary_line

    return summary_line(result.stats, result.findings)


def _write_report(opts: ScanOptions, result: ScanResult, ruleset: RuleSet, *, command: str, scanned: str) -> None:
    from scanner.report import ReportContext, render

    to_terminal = opts.output is None and sys.stdout.isatty()
    text = render(
        opts.format,
        ReportContext(
            findings=result.findings,
            rules=ruleset.by_id(),
            stats=result.stats,
            redact=opts.redact,
            color=to_terminal and opts.format == "text" and "NO_COLOR" not in os.environ,
            version=__version__,
            command=command,
            scanned=scanned,
        ),
    )
    if opts.output is None:
        _write_stdout(text)
        return
    try:
        with opts.output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise ConfigError(f"cannot write report {opts.output}: {exc.strerror or exc}") from None


def _check_dir_target(path: Path) -> None:
    """A path named on the command line that cannot be scanned is an error, not a silent skip."""
    shown = _safe(str(path))
    if path.is_symlink() and not path.exists():
        raise click.UsageError(f"broken symbolic link: {shown}")
    if not path.is_dir() and not path.is_file():
        # FIFOs, sockets and devices: /dev/stdin, <(command), /dev/zero.
        raise click.UsageError(f"not a regular file or directory: {shown} (pipe it to `keysweep stdin` instead)")


def _check_output(output: Path | None) -> None:
    """A report that cannot be written must fail before the scan, not after it."""
    if output is None:
        return
    parent = output.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot write report {output}: directory {parent} does not exist")


def _write_stdout(text: str) -> None:
    """Write to stdout; a reader that went away (`| head -1`) is not an error."""
    try:
        click.echo(text, nl=False)
        sys.stdout.flush()
    except BrokenPipeError:
        # Later writes and the interpreter's final flush would fail again: point stdout at nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        finally:
            os.close(devnull)
    except OSError as exc:
        raise ConfigError(f"cannot write to standard output: {exc.strerror or exc}") from None


_STDIN_SKIPS = {
    "binary": "binary input (a NUL byte in the first 8 KiB)",
    "too-large": "larger than --max-file-size",
}


def _safe(text: str) -> str:
    from scanner.report._common import escape_controls

    return escape_controls(text)


def _webhook_line(described: str) -> str:
    # describe() may already start with "webhook:"; say it once.
    return f"keysweep: {described}" if described.startswith("webhook") else f"keysweep: webhook: {described}"


def _webhook_targets(opts: ScanOptions, config: Config) -> tuple[Any, ...]:
    if not opts.webhooks and not config.webhooks:
        return ()
    from scanner.actions import check_signing, parse_targets, target_from_url

    targets = list(parse_targets(config.webhooks, source=config.source)) if config.webhooks else []
    # `--webhook URL` signs with $KEYSWEEP_WEBHOOK_SECRET when it is set (docs/webhook.md).
    signing = "KEYSWEEP_WEBHOOK_SECRET" if os.environ.get("KEYSWEEP_WEBHOOK_SECRET") else None
    targets.extend(target_from_url(url, secret_env=signing) for url in opts.webhooks)
    check_signing(targets, os.environ)  # a missing signing key is an error before the scan
    return tuple(targets)


def _deliver(result: ScanResult, targets: Sequence[Any], repository: str) -> bool:
    """Send new findings; returns True when some delivery failed for good."""
    from scanner.actions import default_state_dir, deliver

    summary = deliver(
        result.findings, targets, state_dir=default_state_dir(os.environ), repository=repository, env=os.environ
    )
    for message in summary.messages:
        click.echo(f"keysweep: warning: {message}", err=True)
    click.echo(_webhook_line(summary.describe()), err=True)
    return bool(getattr(summary, "failed", 0))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keysweep")
def cli() -> None:
    """keysweep: find leaked credentials in git history, working trees, staged changes and stdin."""


@cli.command("dir")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--no-gitignore", is_flag=True, help="Scan files that .gitignore excludes too.")
@scan_options
def dir_command(paths: tuple[Path, ...], no_gitignore: bool, opts: ScanOptions) -> int:
    """Scan files on disk (default: the current directory)."""
    from scanner.sources.files import display_root, iter_paths

    targets = list(paths) or [Path(".")]
    for path in targets:
        if not path.exists() and not path.is_symlink():
            raise click.UsageError(f"no such file or directory: {_safe(str(path))}")
        _check_dir_target(path)
    root = display_root(targets)
    return _run_scan(
        opts,
        lambda: iter_paths(targets, max_file_size=opts.max_file_size, use_gitignore=not no_gitignore),
        command="dir",
        root=root,
        scanned=str(root),
        default_jobs=os.cpu_count() or 1,
    )


@cli.command("stdin")
@click.option("--label", default="stdin", show_default=True, help="File name to report findings under.")
@scan_options
def stdin_command(label: str, opts: ScanOptions) -> int:
    """Scan standard input."""
    from scanner.sources.files import iter_stdin

    if sys.stdin is None:
        raise SourceError("standard input is closed")
    # An argument with invalid UTF-8 arrives with lone surrogates: show \xNN, as for file names.
    label = os.fsencode(label).decode("utf-8", "backslashreplace")
    return _run_scan(
        opts,
        lambda: iter_stdin(sys.stdin.buffer, max_file_size=opts.max_file_size, label=label),
        command="stdin",
        root=Path.cwd(),
        scanned=label,
        default_jobs=1,
    )


@cli.command("git")
@click.argument("repo", required=False, type=click.Path(path_type=Path), default=".")
@click.option("--branch", "branches", multiple=True, metavar="REF", help="Scan only what REF reaches (repeatable).")
@click.option("--since", metavar="REV", help="Scan only what the commits in REV..HEAD added.")
@click.option("--range", "rev_range", metavar="A..B", help="Scan only what the commits in A..B added.")
@click.option(
    "--pre-push",
    is_flag=True,
    help="Scan the commits being pushed (pre-commit's pre-push stage sets PRE_COMMIT_FROM_REF/TO_REF).",
)
@scan_options
def git_command(
    repo: Path, branches: tuple[str, ...], since: str | None, rev_range: str | None, pre_push: bool, opts: ScanOptions
) -> int:
    """Scan every blob reachable from every ref of REPO, each unique blob once."""
    from scanner.sources.git import (
        GitBlobReader,
        history_packs,
        history_refs,
        pre_push_scope,
        repository_label,
        resolve_repo,
    )

    if since and rev_range:
        raise click.UsageError("--since and --range cannot be combined")
    if pre_push:
        if since or rev_range or branches:
            raise click.UsageError("--pre-push cannot be combined with --since, --range or --branch")
        scope = pre_push_scope(os.environ)
        branches, rev_range = scope.refs or (), scope.rev_range
    top = resolve_repo(repo)
    return _run_scan(
        opts,
        lambda: history_refs(
            top, refs=list(branches) or None, since=since, rev_range=rev_range, max_file_size=opts.max_file_size
        ),
        command="git",
        root=top,
        scanned=str(top),
        default_jobs=os.cpu_count() or 1,
        repository=lambda: repository_label(top),
        reader=GitBlobReader(top),
        # The whole history: read from the packs in pack order (a range reads only its blobs).
        packs=(lambda: history_packs(top, max_file_size=opts.max_file_size))
        if not (branches or since or rev_range)
        else None,
    )


@cli.command("staged")
@click.argument("repo", required=False, type=click.Path(path_type=Path), default=".")
@scan_options
def staged_command(repo: Path, opts: ScanOptions) -> int:
    """Scan the lines the staged change adds (pre-commit)."""
    from scanner.sources.git import iter_staged, repository_label, resolve_repo

    top = resolve_repo(repo)
    return _run_scan(
        opts,
        lambda: iter_staged(top, max_file_size=opts.max_file_size),
        command="staged",
        root=top,
        scanned=str(top),
        default_jobs=1,
        repository=lambda: repository_label(top),
    )


@cli.group("rules")
def rules_group() -> None:
    """Inspect and check the rule pack."""


@rules_group.command("list")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="markdown: the docs/rules.md table.",
)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Include this config's rules.")
def rules_list(format_: str, config: Path | None) -> int:
    """List every rule: id, provider, description."""
    ruleset = _ruleset(load_config(config) if config else Config())
    if format_ == "markdown":
        from scanner.rules import rules_markdown

        _write_stdout(rules_markdown(ruleset.rules))
        return 0
    if format_ == "json":
        records = [
            {
                "id": r.id,
                "provider": r.provider,
                "description": r.description,
                "keywords": list(r.keywords),
                "min_entropy": r.min_entropy,
                "validator": r.validator,
                "references": list(r.references),
            }
            for r in ruleset.rules
        ]
        _write_stdout(json.dumps(records, indent=2) + "\n")
        return 0
    width = max(len(r.id) for r in ruleset.rules)
    _write_stdout("".join(f"{rule.id:<{width}}  {rule.description}\n" for rule in ruleset.rules))
    providers = len({r.provider for r in ruleset.rules})
    click.echo(f"{len(ruleset.rules)} rules, {providers} providers", err=True)
    return 0


@rules_group.command("check")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Check this config's rules too.")
def rules_check(config: Path | None) -> int:
    """Check every rule against its own examples and negative examples."""
    from scanner.rulecheck import check_rules

    ruleset = _ruleset(load_config(config) if config else Config())
    problems = check_rules(ruleset.rules)
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    providers = len({r.provider for r in ruleset.rules})
    examples = sum(len(r.examples) + len(r.negative_examples) for r in ruleset.rules)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(ruleset.rules)} rules", err=True)
        return 1
    click.echo(f"ok: {len(ruleset.rules)} rules, {providers} providers, {examples} examples checked")
    return 0


@cli.group("webhook")
def webhook_group() -> None:
    """Revocation webhook deliveries."""


@webhook_group.command("retry")
def webhook_retry() -> int:
    """Redeliver what earlier runs could not deliver."""
    from scanner.actions import default_state_dir, retry_pending

    summary = retry_pending(state_dir=default_state_dir(os.environ), env=os.environ)
    for message in summary.messages:
        click.echo(f"keysweep: warning: {message}", err=True)
    click.echo(_webhook_line(summary.describe()), err=True)
    return 2 if getattr(summary, "failed", 0) or getattr(summary, "pending", 0) else 0


@webhook_group.command("list")
@click.option("--pending", is_flag=True, help="Only deliveries not sent yet.")
@click.option(
    "--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
def webhook_list(pending: bool, format_: str) -> int:
    """Show the journalled deliveries: status, attempts, last error (never a secret)."""
    from datetime import datetime, timezone

    from scanner.actions import default_state_dir, list_deliveries

    entries = list_deliveries(state_dir=default_state_dir(os.environ), pending_only=pending)
    if format_ == "json":
        click.echo(json.dumps([asdict(entry) for entry in entries], indent=2))
        return 0
    if not entries:
        click.echo("no pending deliveries" if pending else "no deliveries journalled")
        return 0
    for entry in entries:
        when = datetime.fromtimestamp(entry.sent_at or entry.created_at, timezone.utc).strftime("%Y-%m-%d %H:%M")
        place = f"{entry.rule_id} {_safe(entry.file or '')}:{entry.line}" if entry.rule_id else entry.kind
        error = f"  ({_safe(entry.last_error)})" if entry.status == "pending" and entry.last_error else ""
        tries = f"{entry.attempts} {'try' if entry.attempts == 1 else 'tries'}"
        click.echo(f"{entry.status:<8} {when}  {tries:<9} {_safe(entry.url)}  {place}{error}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run keysweep; every failure becomes exit 2 with one line on stderr."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="keysweep", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("keysweep: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"keysweep: error: {exc.format_message()}", err=True)
        return 2
    except KeysweepError as exc:
        click.echo(f"keysweep: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("keysweep: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if os.environ.get("KEYSWEEP_DEBUG"):
            raise
        click.echo(f"keysweep: error: internal error: {type(exc).__name__}: {exc}", err=True)
        return 2
    return int(result or 0)


def entry() -> None:
    sys.exit(main())
