"""Reporting stage: one module per output format, each with one verb, `render(ctx) -> str`.

The CLI builds a `ReportContext` and calls `render(fmt, ctx)`; writing the string
(stdout or `--output`) stays the CLI's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from scanner.errors import ConfigError
from scanner.report import csv, gitlab, json, jsonl, junit, sarif, text
from scanner.report._common import ReportContext
from scanner.report.text import summary_line

__all__ = ["EXTENSIONS", "FORMATS", "ReportContext", "render", "summary_line"]

_RENDERERS: Mapping[str, Callable[[ReportContext], str]] = MappingProxyType(
    {
        "text": text.render,
        "json": json.render,
        "jsonl": jsonl.render,
        "sarif": sarif.render,
        "csv": csv.render,
        "junit": junit.render,
        "gitlab": gitlab.render,
    }
)

FORMATS: tuple[str, ...] = tuple(_RENDERERS)

# The usual file extension of each format (golden files, `--output` defaults).
EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "text": "txt",
        "json": "json",
        "jsonl": "jsonl",
        "sarif": "sarif",
        "csv": "csv",
        "junit": "xml",
        "gitlab": "json",
    }
)


def render(fmt: str, ctx: ReportContext) -> str:
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ConfigError(
            f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    return renderer(ctx)
