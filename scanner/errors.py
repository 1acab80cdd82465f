"""One error hierarchy; the CLI maps every KeysweepError to exit code 2 with one line."""

from __future__ import annotations

__all__ = [
    "KeysweepError",
    "ConfigError",
    "RuleError",
    "SourceError",
    "NotARepositoryError",
    "WebhookError",
    "BaselineError",
]


class KeysweepError(Exception):
    """Base of every error keysweep reports to the user as one line."""


class ConfigError(KeysweepError):
    """A config file or option is unreadable or invalid."""


class RuleError(ConfigError):
    """A rule is invalid; the message names the file, the rule id and the field."""

    def __init__(self, source: str, rule_id: str | None, field: str | None, problem: str) -> None:
        where = source
        if rule_id:
            where += f": rule {rule_id!r}"
        if field:
            where += f": field {field!r}"
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.rule_id = rule_id
        self.field = field
        self.problem = problem


class SourceError(KeysweepError):
    """An input (path, repository, stream) cannot be read."""


class NotARepositoryError(SourceError):
    """The path given to a git command is not a git repository."""


class BaselineError(KeysweepError):
    """The baseline file is missing or is not a keysweep JSON report."""


class WebhookError(KeysweepError):
    """A webhook is misconfigured (bad URL, refused scheme, missing signing secret)."""
