"""Command line: the only module that prints or exits.

`main(argv) -> int` runs a command and returns its exit code, so tests call it directly:
0 no findings, 1 (or --exit-code) findings, 2 any error (one line on stderr, no traceback).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import click

from scanner import __version__
from scanner.errors import ConfigError, KeysweepError, SourceError
from scanner.model import CONFIDENCES, TRIAGE_STATUSES
from scanner.rules import Config, load_config
from scanner.run import ScanOptions, Target, deliver, exit_code, ruleset, scan_target
from scanner.scan import Progress

__all__ = ["main", "entry", "cli"]

FORMATS = ("text", "json", "jsonl", "sarif", "csv", "junit", "gitlab", "html")
_MAX_SIZE = 1024**4
# Binary multiples whichever way they are written: 10M, 10MB, 10MiB, 10Mi all mean 10 * 2**20.
_SIZE_UNITS = {
    prefix + suffix: 1024**power
    for power, prefix in enumerate(["", "k", "m", "g"])
    for suffix in (("", "b") if not prefix else ("", "b", "i", "ib"))
}


def parse_size(text: str) -> int:
    """`10M`, `10MiB`, `512k`, `1g`, `2048`: a byte count."""
    cleaned = text.strip().lower().replace(" ", "")
    number = cleaned.rstrip("kmgib")
    unit = cleaned[len(number) :]
    problem = f"{text!r} is not a size (e.g. 512k, 10M, 10MiB, 1G)"
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


def _percent(text: str | None) -> int | None:
    """`--redact=N`: 0 to 100; `--redact` alone or absent: the default view (None)."""
    if not text:
        return None
    if not text.isdigit() or int(text) > 100:
        raise click.BadParameter(f"{text!r} is not a percentage from 0 to 100", param_hint="'--redact'")
    return int(text)


def _budget_option(flag: str, default: float, what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A webhook time budget in seconds. The defaults given are actions.webhook's SCAN_BUDGET
    and RETRY_BUDGET, written out: importing that module would load requests at start-up."""
    return click.option(
        flag,
        type=click.FloatRange(0, min_open=True),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=f"{what}; what is left stays pending.",
    )


# The options every scanning command takes, in --help order; scan_options turns them
# into one ScanOptions value.
_SCAN_OPTIONS = (
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
    click.option(
        "--min-confidence",
        type=click.Choice(CONFIDENCES),
        default=None,
        help="Report (and fail on, and send to webhooks) only findings at least this sure. Default: "
        "medium where keysweep gates a commit or a push (staged; git --pre-push, --pre-receive, "
        "--since, --range), low for audits (git, dir, stdin).",
    ),
    click.option(
        "--redact",
        "redact_percent",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[=PERCENT]",
        help="Hide secrets in every output (the default: a short prefix and, for long ones, the last "
        "four characters); --redact=N hides N percent of each.",
    ),
    click.option("--no-redact", is_flag=True, help="Show secrets in full."),
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
    _budget_option("--webhook-budget", 20.0, "Longest the webhooks may hold up the end of the scan"),
    click.option(
        "--max-file-size",
        default="10M",
        show_default=True,
        metavar="SIZE",
        help="Skip files and blobs larger than SIZE (512k, 10M, 1G).",
    ),
    click.option(
        "--group/--no-group",
        default=True,
        help="One finding per secret with every place it was seen (default), or one per place.",
    ),
    click.option(
        "--strict",
        is_flag=True,
        help="Exit 2 when any check was skipped: a blob that could not be read, or a rule's time budget spent.",
    ),
    click.option(
        "--datastore",
        metavar="PATH|auto",
        help="Keep the scan in an audit datastore (SQLite): re-scans match only new blobs, triage "
        "shows in reports. auto: one per repository under $XDG_STATE_HOME/keysweep.",
    ),
    click.option(
        "--store-secrets", is_flag=True, help="Keep secrets in clear in the datastore (default: a hash and a preview)."
    ),
    click.option(
        "--new-only", "new_findings", is_flag=True, help="Report only findings no earlier scan in the datastore saw."
    ),
    click.option(
        "--status",
        "statuses",
        multiple=True,
        type=click.Choice(TRIAGE_STATUSES),
        help="Report only findings with this triage status (repeatable; needs --datastore).",
    ),
    click.option(
        "--prefilter",
        type=click.Choice(["auto", "hyperscan", "aho-corasick"]),
        default="auto",
        hidden=True,
        help="First-stage engine (for testing).",
    ),
)


def scan_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared scan options to a command, which then gets them as `opts`."""
    func = _log_options(func)
    for option in reversed(_SCAN_OPTIONS):
        func = option(func)

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        kwargs["opts"] = _scan_options_value(kwargs)
        return func(**kwargs)

    return wrapper


def _scan_options_value(kwargs: dict[str, Any]) -> ScanOptions:
    """Pop the shared options out of a command's keyword arguments."""
    return ScanOptions(
        format=kwargs.pop("format_"),
        output=kwargs.pop("output"),
        config=kwargs.pop("config"),
        baseline=kwargs.pop("baseline"),
        redact=not kwargs.pop("no_redact"),
        redact_percent=_percent(kwargs.pop("redact_percent")),
        exit_code=kwargs.pop("exit_code"),
        jobs=kwargs.pop("jobs"),
        progress=kwargs.pop("progress"),
        webhooks=kwargs.pop("webhooks"),
        max_file_size=parse_size(kwargs.pop("max_file_size")),
        webhook_budget=kwargs.pop("webhook_budget"),
        prefilter=kwargs.pop("prefilter"),
        strict=kwargs.pop("strict"),
        group=kwargs.pop("group"),
        min_confidence=kwargs.pop("min_confidence"),
        **_audit_options(kwargs),
    )


def _audit_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    datastore, statuses, new_only = kwargs.pop("datastore"), kwargs.pop("statuses"), kwargs.pop("new_findings")
    store_secrets = kwargs.pop("store_secrets")
    if datastore is None:
        for flag, given in (("--status", statuses), ("--new-only", new_only), ("--store-secrets", store_secrets)):
            if given:
                raise click.UsageError(f"{flag} needs --datastore (PATH, or auto)")
    return {"datastore": datastore, "statuses": statuses, "new_only": new_only, "store_secrets": store_secrets}


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


def _run_scan(opts: ScanOptions, target: Target) -> int:
    """Scan, show the report and what stderr must say, call the webhooks: the exit code."""
    to_terminal = opts.output is None and sys.stdout.isatty()
    progress = ProgressLine(sys.stderr, sys.stderr.isatty() if opts.progress is None else opts.progress)
    try:
        scanned = scan_target(
            opts,
            target,
            on_progress=progress,
            color=to_terminal and opts.format == "text" and "NO_COLOR" not in os.environ,
        )
    finally:
        progress.close()
    _write_report(opts.output, scanned.report)
    for message in scanned.messages:
        click.echo(f"keysweep: {message}", err=True)
    click.echo(scanned.summary, err=True)
    if opts.strict and scanned.incomplete:
        click.echo(f"keysweep: error: --strict: {scanned.incomplete}", err=True)
    delivery = deliver(scanned, budget=opts.webhook_budget)
    for message in delivery.messages:
        click.echo(f"keysweep: {message}", err=True)
    return exit_code(opts, scanned, delivery)


def _write_report(output: Path | None, text: str) -> None:
    if output is None:
        _write_stdout(text)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise ConfigError(f"cannot write report {output}: {exc.strerror or exc}") from None


def _check_dir_target(path: Path) -> None:
    """A path named on the command line that cannot be scanned is an error, not a silent skip."""
    shown = _safe(str(path))
    if path.is_symlink() and not path.exists():
        raise click.UsageError(f"broken symbolic link: {shown}")
    if not path.is_dir() and not path.is_file():
        # FIFOs, sockets and devices: /dev/stdin, <(command), /dev/zero.
        raise click.UsageError(f"not a regular file or directory: {shown} (pipe it to `keysweep stdin` instead)")


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


def _safe(text: str) -> str:
    from scanner.report._common import escape_controls

    return escape_controls(text)


def _webhook_line(described: str) -> str:
    # describe() may already start with "webhook:"; say it once.
    return f"keysweep: {described}" if described.startswith("webhook") else f"keysweep: webhook: {described}"


_LOG_LEVELS = ("error", "warning", "info", "debug")


def _set_log_level(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """`-v` (info: what is read and how), `-vv` (debug: every git command), or
    `--log-level`; log lines go to stderr, apart from the report."""
    if not value:
        return
    level = value.upper() if isinstance(value, str) else ("INFO" if value == 1 else "DEBUG")
    _reset_logging()
    root = logging.getLogger("scanner")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("keysweep: %(levelname)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


def _reset_logging() -> None:
    """Each run starts quiet (main() may run many times in one process: the tests)."""
    root = logging.getLogger("scanner")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.NOTSET)  # as if never set: the root logger decides


def _log_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """On the group and on every scan command, so `keysweep -v git` and `keysweep git -v` both work."""
    func = click.option(
        "--log-level",
        type=click.Choice(_LOG_LEVELS, case_sensitive=False),
        expose_value=False,
        callback=_set_log_level,
        help="Log at this level on stderr (default: warnings only, as one-line notes).",
    )(func)
    return click.option(
        "--verbose", "-v", count=True, expose_value=False, callback=_set_log_level, help="-v: info, -vv: debug."
    )(func)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="keysweep")
@_log_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """keysweep: find leaked credentials in git history, working trees, staged changes and stdin."""
    if ctx.invoked_subcommand is None:
        # Asking for nothing is asking what there is: help, and success.
        click.echo(ctx.get_help())


@cli.command("dir")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--no-gitignore", is_flag=True, help="Scan files that .gitignore excludes too.")
@scan_options
def dir_command(paths: tuple[Path, ...], no_gitignore: bool, opts: ScanOptions) -> int:
    """Scan files on disk (default: the current directory)."""
    from scanner.sources.files import FilesSource, display_root

    targets = list(paths) or [Path(".")]
    for path in targets:
        if not path.exists() and not path.is_symlink():
            raise click.UsageError(f"no such file or directory: {_safe(str(path))}")
        _check_dir_target(path)
    root = display_root(targets)
    return _run_scan(
        opts,
        Target(
            "dir",
            lambda: FilesSource(targets, max_file_size=opts.max_file_size, use_gitignore=not no_gitignore),
            root=root,
            scanned=str(root),
            default_jobs=os.cpu_count() or 1,
        ),
    )


@cli.command("stdin")
@click.option("--label", default="stdin", show_default=True, help="File name to report findings under.")
@scan_options
def stdin_command(label: str, opts: ScanOptions) -> int:
    """Scan standard input."""
    from scanner.sources.files import StdinSource

    if sys.stdin is None:
        raise SourceError("standard input is closed")
    # An argument with invalid UTF-8 arrives with lone surrogates: show \xNN, as for file names.
    label = os.fsencode(label).decode("utf-8", "backslashreplace")
    stream = sys.stdin.buffer
    return _run_scan(
        opts,
        Target(
            "stdin",
            lambda: StdinSource(stream, max_file_size=opts.max_file_size, label=label),
            root=Path.cwd(),
            scanned=label,
            default_jobs=1,
        ),
    )


@cli.command("git")
@click.argument("repo", required=False, default=".", metavar="REPO|URL")
@click.option("--branch", "branches", multiple=True, metavar="REF", help="Scan only what REF reaches (repeatable).")
@click.option("--since", metavar="REV", help="Scan only what the commits in REV..HEAD added.")
@click.option("--range", "rev_range", metavar="A..B", help="Scan only what the commits in A..B added.")
@click.option(
    "--pre-push",
    is_flag=True,
    help="Scan the commits being pushed (pre-commit's pre-push stage sets PRE_COMMIT_FROM_REF/TO_REF).",
)
@click.option(
    "--pre-receive",
    is_flag=True,
    help="Scan the commits a push brings, read as `OLD NEW REF` lines from standard input (a server's pre-receive hook).",
)
@scan_options
def git_command(
    repo: str,
    branches: tuple[str, ...],
    since: str | None,
    rev_range: str | None,
    pre_push: bool,
    pre_receive: bool,
    opts: ScanOptions,
) -> int:
    """Scan every blob reachable from every ref of REPO, each unique blob once.

    A URL (https://, ssh://, git@host:path, file://) is cloned bare into a temporary
    directory first, and the clone is removed after the scan."""
    from scanner.sources.git import HistorySource, clone, is_remote, repository_label, resolve_repo

    if since and rev_range:
        raise click.UsageError("--since and --range cannot be combined")
    scope = _push_scope(pre_push, pre_receive, bool(since or rev_range or branches))
    if scope is not None:
        branches, rev_range = scope.refs or (), scope.rev_range
    new_only = scope is not None and scope.new_only
    refs = list(branches) if branches or new_only else None
    with contextlib.ExitStack() as stack:
        if is_remote(repo):
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="keysweep-clone-"))
            top = clone(repo, Path(scratch) / "repo.git")
            scanned = repository_label(top)
        else:
            top = resolve_repo(Path(repo))
            scanned = str(top)
        return _run_scan(
            opts,
            Target(
                "git",
                lambda: HistorySource(
                    top,
                    refs=refs,
                    since=since,
                    rev_range=rev_range,
                    new_only=new_only,
                    max_file_size=opts.max_file_size,
                ),
                root=top,
                scanned=scanned,
                default_jobs=os.cpu_count() or 1,
                repository=lambda: repository_label(top),
                standing=functools.partial(_history_standing, top, _standing_ref(refs, rev_range)),
                # A push or a pull request gates a person: weak evidence must not block it.
                min_confidence="medium" if scope is not None or since or rev_range else "low",
            ),
        )


def _history_standing(top: Path, ref: str, findings: Sequence[Any], source: Any) -> Mapping[str, Any]:
    """Where each finding stands at `ref`, from the scan's own log where it holds the ref's
    history (scanner.sources.git.standing)."""
    from scanner.sources.git import HistorySource
    from scanner.sources.git.standing import standings

    return standings(top, ref, findings, source.changes_at if isinstance(source, HistorySource) else None)


def _standing_ref(refs: list[str] | None, rev_range: str | None) -> str:
    """The ref whose tree says whether a finding is still there: what the scan ends at."""
    if rev_range:
        return rev_range.rpartition("..")[2].lstrip(".") or "HEAD"
    return refs[0] if refs else "HEAD"


def _push_scope(pre_push: bool, pre_receive: bool, narrowed: bool) -> Any:
    """The scope a hook's push gives (None outside one); a hook flag takes no other scope."""
    from scanner.sources.git import pre_push_scope, pre_receive_scope

    if not (pre_push or pre_receive):
        return None
    if pre_push and pre_receive:
        raise click.UsageError("--pre-push and --pre-receive cannot be combined")
    flag = "--pre-push" if pre_push else "--pre-receive"
    if narrowed:
        raise click.UsageError(f"{flag} cannot be combined with --since, --range or --branch")
    if pre_push:
        return pre_push_scope(os.environ)
    return pre_receive_scope(click.get_text_stream("stdin"))


@cli.command("staged")
@click.argument("repo", required=False, type=click.Path(path_type=Path), default=".")
@scan_options
def staged_command(repo: Path, opts: ScanOptions) -> int:
    """Scan the lines the staged change adds (pre-commit)."""
    from scanner.sources.git import StagedSource, repository_label, resolve_repo

    top = resolve_repo(repo)
    return _run_scan(
        opts,
        Target(
            "staged",
            lambda: StagedSource(top, max_file_size=opts.max_file_size),
            root=top,
            scanned=str(top),
            default_jobs=1,
            repository=lambda: repository_label(top),
            min_confidence="medium",  # a pre-commit hook: weak evidence must not block a commit
        ),
    )


@cli.group("rules")
def rules_group() -> None:
    """Inspect and check the rule pack."""


def _rules_config(path: Path | None) -> Config:
    """`--config` of the rules commands, with what it cannot honour on stderr."""
    config = load_config(path) if path else Config()
    for warning in config.warnings:
        click.echo(f"keysweep: warning: {_safe(warning)}", err=True)
    return config


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
    rules = ruleset(_rules_config(config))
    if format_ == "markdown":
        from scanner.rules import rules_markdown

        _write_stdout(rules_markdown(rules.rules))
        return 0
    if format_ == "json":
        from scanner.rulecheck import example_confidence

        # Confidence is what the rule's examples get (the matcher's judgement of a typical
        # token), not a guess from its fields: a few seconds over the whole pack.
        records = [
            {
                "id": r.id,
                "provider": r.provider,
                "description": r.description,
                "keywords": list(r.keywords),
                "min_entropy": r.min_entropy,
                "validator": r.validator,
                "confidence": example_confidence(r),
                "path": r.path or None,
                "references": list(r.references),
            }
            for r in rules.rules
        ]
        _write_stdout(json.dumps(records, indent=2) + "\n")
        return 0
    width = max(len(r.id) for r in rules.rules)
    _write_stdout("".join(f"{rule.id:<{width}}  {rule.description}\n" for rule in rules.rules))
    providers = len({r.provider for r in rules.rules})
    click.echo(f"{len(rules.rules)} rules, {providers} providers", err=True)
    return 0


@rules_group.command("check")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Check this config's rules too.")
def rules_check(config: Path | None) -> int:
    """Check every rule against its own examples and negative examples."""
    from scanner.rulecheck import check_rules, missing_examples

    rules = ruleset(_rules_config(config))
    problems = check_rules(rules.rules)
    for rule in rules.rules:
        for lack in missing_examples(rule) if not rule.builtin else ():
            # Your own rules are yours to test; the pack's must carry their examples.
            click.echo(f"warning: {lack} (add some: `rules check` then tests the rule)", err=True)
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    providers = len({r.provider for r in rules.rules})
    examples = sum(len(r.examples) + len(r.negative_examples) for r in rules.rules)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(rules.rules)} rules", err=True)
        return 1
    click.echo(f"ok: {len(rules.rules)} rules, {providers} providers, {examples} examples checked")
    return 0


_DATASTORE_OPTION = click.option(
    "--datastore",
    metavar="PATH|auto",
    help="The audit datastore (default: the one `--datastore auto` keeps for the repository at --repo).",
)
_REPO_OPTION = click.option(
    "--repo",
    type=click.Path(path_type=Path),
    default=".",
    show_default=True,
    help="Repository whose datastore to use.",
)


@cli.command("triage")
@click.argument("fingerprint", metavar="FINGERPRINT|export|import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--status", type=click.Choice(TRIAGE_STATUSES), help="The finding's new status.")
@click.option("--note", default="", help="Why (kept with the status, shown in reports).")
@_DATASTORE_OPTION
@_REPO_OPTION
def triage_command(
    fingerprint: str, file: Path | None, status: str | None, note: str, datastore: str | None, repo: Path
) -> int:
    """Mark a finding (by fingerprint, or a unique prefix of one) false-positive,
    accepted-risk, revoked or open; it stays so across re-scans and rebases.

    `triage export [FILE]` writes every decision as JSON (no secrets; default stdout),
    `triage import FILE` merges one in: for each finding the newer decision wins."""
    from scanner import audit

    if fingerprint in ("export", "import"):
        if status or note:
            raise click.UsageError(f"triage {fingerprint} takes a FILE, not --status or --note")
        if fingerprint == "import" and file is None:
            raise click.UsageError("triage import needs a FILE")
    elif status is None or file is not None:
        raise click.UsageError("give FINGERPRINT --status STATUS [--note TEXT]")
    store = audit.open_datastore(datastore, repo, os.environ)
    try:
        if fingerprint == "export":
            _write_report(None if file is None or str(file) == "-" else file, audit.export_triage(store))
        elif fingerprint == "import":
            assert file is not None
            changed = audit.import_triage(store, file)
            click.echo(f"keysweep: triage: {changed} entr{'y' if changed == 1 else 'ies'} imported", err=True)
        else:
            assert status is not None
            full = audit.triage(store, fingerprint, status, note, os.environ)
            click.echo(f"keysweep: {full}: {status}", err=True)
    finally:
        store.close()
    return 0


@cli.command("report")
@click.option(
    "--format", "format_", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format."
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(TRIAGE_STATUSES),
    help="Only findings with this status (repeatable).",
)
@click.option("--new-only", is_flag=True, help="Only findings the last scan was the first to see.")
@click.option(
    "--min-confidence",
    type=click.Choice(CONFIDENCES),
    default="low",
    show_default=True,
    help="Only findings at least this sure (the datastore keeps every finding of the scan).",
)
@click.option("--group/--no-group", default=True, help="One finding per secret (default), or one per place.")
@click.option("--no-redact", is_flag=True, help="Show secrets in full (only if the scan kept them: --store-secrets).")
@_DATASTORE_OPTION
@_REPO_OPTION
def report_command(
    format_: str,
    output: Path | None,
    statuses: tuple[str, ...],
    new_only: bool,
    min_confidence: str,
    group: bool,
    no_redact: bool,
    datastore: str | None,
    repo: Path,
) -> int:
    """Re-render the last scan in a datastore, with its triage, without scanning again.
    Exits 1 when it has findings (after --status and --new-only), like the scan did."""
    from scanner import audit

    store = audit.open_datastore(datastore, repo, os.environ)
    try:
        rendered = audit.render_last(
            store,
            format_,
            group=group,
            statuses=statuses,
            new_only=new_only,
            redact=not no_redact,
            min_confidence=min_confidence,
        )
    finally:
        store.close()
    _write_report(output, rendered.report)
    if rendered.note:
        click.echo(f"keysweep: note: {rendered.note}", err=True)
    click.echo(rendered.summary, err=True)
    return 1 if rendered.findings else 0


@cli.group("webhook")
def webhook_group() -> None:
    """Revocation webhook deliveries."""


@webhook_group.command("retry")
@_budget_option("--budget", 120.0, "Longest this retry may take")
def webhook_retry(budget: float) -> int:
    """Redeliver what earlier runs could not deliver."""
    from scanner.actions import default_state_dir, retry_pending

    summary = retry_pending(state_dir=default_state_dir(os.environ), env=os.environ, budget=budget)
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
        tries = f"{entry.attempts} {'attempt' if entry.attempts == 1 else 'attempts'}"
        click.echo(f"{entry.status:<8} {entry.delivery_id[:8]}  {when}  {tries:<11} {_safe(entry.url)}  {place}{error}")
    return 0


@webhook_group.command("drop")
@click.argument("delivery_ids", nargs=-1, metavar="[ID...]")
@click.option("--url", metavar="URL", help="Drop every pending delivery to URL (as `webhook list` shows it).")
def webhook_drop(delivery_ids: tuple[str, ...], url: str | None) -> int:
    """Give up pending deliveries (to a receiver no longer configured, say): never sent."""
    from scanner.actions import default_state_dir, drop_pending, list_deliveries

    if not delivery_ids and url is None:
        raise click.UsageError("name delivery IDs (see `keysweep webhook list`) or --url URL")
    state_dir = default_state_dir(os.environ)
    pending = [e.delivery_id for e in list_deliveries(state_dir=state_dir, pending_only=True)]
    chosen = []
    for given in delivery_ids:
        matches = [d for d in pending if d.startswith(given)]
        if len(matches) != 1:
            what = "no pending delivery" if not matches else "more than one pending delivery"
            raise click.UsageError(f"{what} starts with {_safe(given)!r}")
        chosen.extend(matches)
    dropped = drop_pending(state_dir=state_dir, delivery_ids=chosen, url=url)
    click.echo(f"keysweep: webhook: {dropped} pending deliver{'y' if dropped == 1 else 'ies'} dropped", err=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run keysweep; every failure becomes exit 2 with one line on stderr."""
    _reset_logging()
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
