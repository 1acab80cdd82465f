"""gitleaks configs built at test time, in the shape of gitleaks' published default config
(title, `[extend]`, many `[[rules]]` with regex / secretGroup / entropy / keywords / path /
tags, rule allowlists of each kind, global allowlists). The rules and token formats are
made up for keysweep's tests; secret values are built at run time (tests/helpers.py).
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from tests.helpers import git, random_chars

LOWER = string.ascii_lowercase + string.digits


def token(prefix: str, seed: str, length: int = 24, alphabet: str = LOWER) -> str:
    return prefix + random_chars(f"gitleaks-{seed}", length, alphabet)


def rule(
    rule_id: str,
    *,
    regex: str | None = None,
    path: str | None = None,
    keywords: tuple[str, ...] = (),
    group: int | None = None,
    entropy: float | None = None,
    tags: tuple[str, ...] = ("key",),
    extra: str = "",
) -> str:
    lines = ["[[rules]]", f"id = {rule_id!r}", f'description = "Made-up {rule_id} rule"']
    if regex is not None:
        lines.append(f"regex = '''{regex}'''")
    if group is not None:
        lines.append(f"secretGroup = {group}")
    if entropy is not None:
        lines.append(f"entropy = {entropy}")
    if path is not None:
        lines.append(f"path = '''{path}'''")
    if keywords:
        lines.append("keywords = [" + ", ".join(f'"{k}"' for k in keywords) + "]")
    lines.append("tags = [" + ", ".join(f'"{t}"' for t in tags) + "]")
    return "\n".join(lines) + "\n" + extra + "\n"


# Made-up providers, each given a rule in the shape gitleaks generates for tokens with no
# prefix of their own: a name, an assignment, the value in group 1.
PROVIDERS = [f"zprov{n:02d}" for n in range(40)]


def semi_generic(name: str) -> str:
    regex = (
        rf"(?i)[\w.-]{{0,50}}?(?:{name})(?:[ \t\w.-]{{0,20}})[\s'\"]{{0,3}}"
        rf"(?:=|>|:{{1,3}}=|\|\||:|=>|\?=|,)[\x60'\"\s=]{{0,5}}([a-z0-9]{{32}})(?:[\x60'\"\s;]|\\[nr]|$)"
    )
    return rule(f"{name}-api-key", regex=regex, group=1, entropy=3.5, keywords=(name,), tags=("api", name))


def default_shaped(extend: str = "", more: str = "") -> str:
    """A config shaped like gitleaks' default one: title, [extend], rules of every kind
    with their allowlists, and global allowlists."""
    rules = [
        rule("zqx-token", regex=r"\b(zqx_[a-z0-9]{24})\b", group=1, entropy=3.0, keywords=("zqx_",)),
        rule("terraform-zqt", regex=r"zqt_([a-z0-9]{24})", group=1, path=r"\.(tf|hcl)$", keywords=("zqt_",)),
        rule("pkcs12-file", path=r"(?i)(?:^|/)[^/]+\.p(?:12|fx)$", tags=("file",)),
        rule(
            "zqa-token",
            regex=r"zqa_[a-z0-9]{24}",
            keywords=("zqa_",),
            extra="[[rules.allowlists]]\ncondition = \"AND\"\npaths = ['''^fixtures/''']\n"
            "regexes = ['''^zqa_test''']\n",
        ),
        rule(
            "zql-token",
            regex=r"zql_([a-z0-9]{24})",
            keywords=("zql_",),
            extra="[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = ['''(?i)sandbox''']\n",
        ),
        rule(
            "zqs-token",
            regex=r"zqs_([a-z0-9]{24})",
            keywords=("zqs_",),
            extra="[[rules.allowlists]]\nregexes = ['''(?i)sandbox''']\n",
        ),
        rule(
            "zqm-token",
            regex=r"(?i)[a-z_]*key\s*=\s*(zqm_[a-z0-9]{24})",
            keywords=("zqm_",),
            extra="[[rules.allowlists]]\nregexTarget = \"match\"\nregexes = ['''^demo_key''']\n",
        ),
        rule(
            "zqw-token",
            regex=r"zqw_([a-z0-9]{24})",
            keywords=("zqw_",),
            extra="[rules.allowlist]\ndescription = \"old style\"\nstopwords = ['''fixture''']\n",
        ),
        rule("zqi-token", regex=r"zqi_(?i)([a-f0-9]{20})", keywords=("zqi_",)),
        *(semi_generic(name) for name in PROVIDERS),
    ]
    globals_ = (
        "[[allowlists]]\ndescription = \"global\"\npaths = ['''(^|/)vendor/''', '''^/Users/(?i)[a-z0-9]+/''']\n"
        "[[allowlists]]\ntargetRules = [\"zqx-token\"]\nregexTarget = \"line\"\nregexes = ['''NOT-A-LEAK''']\n"
    )
    return f'title = "gitleaks config"\n{extend}\n' + "".join(rules) + more + globals_


def write(directory: Path, text: str, name: str = ".gitleaks.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit_files(repo: Path, files: dict[str, str | bytes], message: str = "change") -> str:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def reported(result) -> list[tuple[str, str]]:
    """(rule, file) of every place reported."""
    return sorted((f["rule_id"], place["file"]) for f in json.loads(result.out) for place in f.get("locations") or [f])
