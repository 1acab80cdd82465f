"""Generate a labelled corpus for the accuracy benchmark (seeded, reproducible).

    python bench/accuracy/generate.py OUT_DIR [--seed N] [--files N]

Writes files in many syntaxes under OUT_DIR and `OUT_DIR/../<name>.labels.json` (outside the
scanned tree): every planted secret (`kind` "provider" with its rule id, "generic", or
"credfile": a value in a credential file of bench/accuracy/credfiles.py) and
every decoy (`kind` "decoy": hashes, UUIDs, integrity values, public keys, placeholders,
templates, references, fixtures, commit SHAs, base64 images, minified code), with file and
line range. Provider tokens are derived from each rule's own examples: the structure and
prefix are kept, the variable characters are redrawn from the same alphabet, checksums are
recomputed where the rule names a checksum validator.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import sys
import uuid
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scanner.engine import validators as V  # noqa: E402
from scanner.engine.matcher import Matcher  # noqa: E402
from scanner.model import Rule  # noqa: E402
from scanner.rules import load_rule_pack  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import credfiles  # noqa: E402

# Rules found by context, not by a token's own shape: not planted as provider tokens.
# credential-files rules report only in files of their name: bench/accuracy/credfiles.py.
CONTEXT_PROVIDERS = {"generic", "connection-string", "credential-files"}


@dataclass
class Label:
    file: str
    line: int
    end_line: int
    kind: str  # provider | generic | credfile | decoy
    category: str  # rule id for provider, shape for generic and credfile, decoy kind
    secret: str = ""


@dataclass
class Plant:
    """Lines to insert; `offset`/`span` say which of them hold the labelled value."""

    lines: list[str]
    kind: str
    category: str
    secret: str = ""
    offset: int = 0
    span: int = 1


@dataclass
class FileSpec:
    path: str
    header: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    filler: Callable[[random.Random], str] | None = None


WORDS = """amber anchor apple arrow aspen autumn badger bamboo banjo barley basil beacon birch bison
bluff bramble breeze brook cactus canyon carbon cedar cherry cinder citrus clover cobalt comet copper
coral cosmos cotton crane creek crystal cypress dahlia delta desert dune eagle ember falcon fern
fjord flint forest fossil fox galaxy garnet ginger glacier granite grove gull harbor hazel heron
hickory honey horizon indigo iris island ivory jade jasmine juniper kelp kestrel kite lagoon lantern
lark lava lemon lichen lilac lotus lunar lynx magnet mango maple marble meadow mesa mint moss
nectar nimbus nova oak oasis ocean olive onyx opal orbit orchid osprey otter panda pebble pepper
pine plum polar poppy prairie prism puma quail quartz quill raven reef ridge river robin rowan
saffron sage salmon sequoia shadow sierra silver slate sparrow spruce summit sunset swift thistle
thunder tiger timber topaz tundra tulip valley velvet violet walnut willow winter wolf zephyr zinc""".split()
SYMBOLS = "!@#$%^&*-_+=?."
URL_SAFE_SYMBOLS = "-_.~!*"


# ---------------------------------------------------------------- generic values


def password(rng: random.Random, *, url_safe: bool = False) -> str:
    symbols = URL_SAFE_SYMBOLS if url_safe else SYMBOLS
    style = rng.randrange(5)
    w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
    digits = str(rng.randrange(10, 10000))
    sym = rng.choice(symbols)
    if style == 0:
        return f"{w1.capitalize()}{sym}{w2.capitalize()}{digits}"
    if style == 1:
        return f"{w1}{sym}{w2.capitalize()}{sym}{digits}"
    if style == 2:
        return f"{w1.capitalize()}{digits}{sym}{w2}"
    if style == 3:
        alphabet = string.ascii_letters + string.digits + symbols
        while True:
            value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(10, 22)))
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                return value
    return f"{w1.capitalize()}{sym}{digits}{sym}{w2.upper()}"


def random_token(rng: random.Random) -> tuple[str, str]:
    style = rng.randrange(5)
    if style == 0:
        return "hex", rng.randbytes(rng.choice((16, 20, 24, 32))).hex()
    if style == 1:
        return "base64", base64.b64encode(rng.randbytes(rng.choice((18, 24, 30, 32, 48)))).decode()
    if style == 2:
        return "base64url", base64.urlsafe_b64encode(rng.randbytes(rng.choice((24, 32, 33)))).decode().rstrip("=")
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(20, 48)))
        if any(c.isdigit() for c in value):
            return "alnum", value


PASSWORD_NAMES = [
    "password",
    "db_password",
    "admin_password",
    "mysql_root_password",
    "postgres_password",
    "smtp_password",
    "redis_password",
    "db_pass",
    "ldap_password",
    "root_password",
    "passwd",
    "app_password",
    "rabbitmq_password",
    "mail_pass",
    "ftp_password",
    "keystore_password",
    "database_password",
    "service_password",
    "pwd",
    "db_passwd",
    "user_password",
]
TOKEN_NAMES = [
    "api_key",
    "secret_key",
    "client_secret",
    "auth_token",
    "access_token",
    "jwt_secret",
    "session_secret",
    "webhook_secret",
    "encryption_key",
    "signing_key",
    "api_token",
    "app_secret",
    "private_token",
    "service_token",
    "secret",
    "master_key",
    "refresh_token",
    "cookie_secret",
    "consumer_secret",
    "access_key",
    "api_secret",
    "bot_token",
    "deploy_token",
    "hmac_key",
    "storage_account_key",
    "license_key",
    "admin_token",
    "integration_key",
    "oauth_client_secret",
]


def cased(name: str, style: str) -> str:
    parts = name.split("_")
    if style == "upper":
        return name.upper()
    if style == "camel":
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    if style == "pascal":
        return "".join(p.capitalize() for p in parts)
    if style == "kebab":
        return "-".join(parts)
    if style == "dotted":
        return ".".join(parts)
    return name


# ---------------------------------------------------------------- syntaxes


def render(kind: str, name: str, value: str, rng: random.Random) -> list[str]:
    """One assignment of `value` to `name` in the syntax of file kind `kind`."""
    q = rng.choice(['"', "'"])
    if kind == "env":
        return [
            rng.choice(
                [
                    f"{cased(name, 'upper')}={value}",
                    f'{cased(name, "upper")}="{value}"',
                    f"export {cased(name, 'upper')}={q}{value}{q}",
                ]
            )
        ]
    if kind == "sh":
        return [
            rng.choice(
                [
                    f"export {cased(name, 'upper')}={q}{value}{q}",
                    f"{cased(name, 'upper')}={value} ./run.sh",
                    f"./deploy --{cased(name, 'kebab')} {q}{value}{q}",
                ]
            )
        ]
    if kind == "yaml":
        return [
            rng.choice(
                [
                    f"  {name}: {value}",
                    f'  {name}: "{value}"',
                    f"    {cased(name, 'camel')}: '{value}'",
                    f"  {cased(name, 'upper')}: {value}",
                ]
            )
        ]
    if kind == "json":
        return [f'  "{rng.choice([name, cased(name, "camel")])}": "{value}",']
    if kind == "py":
        return [
            rng.choice(
                [
                    f"{cased(name, 'upper')} = {q}{value}{q}",
                    f"    {name}={q}{value}{q},",
                    f"    {q}{name}{q}: {q}{value}{q},",
                    f"{name}: str = {q}{value}{q}",
                ]
            )
        ]
    if kind == "js":
        return [
            rng.choice(
                [
                    f"const {cased(name, 'camel')} = {q}{value}{q};",
                    f"  {cased(name, 'camel')}: {q}{value}{q},",
                    f"export const {cased(name, 'upper')} = `{value}`;",
                    f"  {name}: {q}{value}{q},",
                ]
            )
        ]
    if kind == "go":
        return [
            rng.choice(
                [
                    f'\t{cased(name, "pascal")}: "{value}",',
                    f'\t{cased(name, "camel")} := "{value}"',
                    f'const {cased(name, "camel")} = "{value}"',
                ]
            )
        ]
    if kind == "java":
        return [
            rng.choice(
                [
                    f'    private static final String {cased(name, "upper")} = "{value}";',
                    f'        config.set{cased(name, "pascal")}("{value}");',
                    f'        props.put("{cased(name, "dotted")}", "{value}");',
                    f'    String {cased(name, "camel")} = "{value}";',
                ]
            )
        ]
    if kind == "properties":
        return [
            rng.choice(
                [
                    f"app.{cased(name, 'dotted')}={value}",
                    f"spring.datasource.{cased(name, 'dotted')} = {value}",
                    f"{name}={value}",
                ]
            )
        ]
    if kind == "ini":
        return [rng.choice([f"{name} = {value}", f"{name}={value}"])]
    if kind == "toml":
        return [f'{name} = "{value}"']
    if kind == "tf":
        return [rng.choice([f'  {name} = "{value}"', f'  master_{name} = "{value}"'])]
    if kind == "dockerfile":
        return [
            rng.choice(
                [
                    f"ENV {cased(name, 'upper')}={value}",
                    f"ENV {cased(name, 'upper')} {value}",
                    f"ARG {cased(name, 'upper')}={value}",
                ]
            )
        ]
    if kind == "xml":
        return [
            rng.choice(
                [
                    f"    <{cased(name, 'camel')}>{value}</{cased(name, 'camel')}>",
                    f'    <add key="{cased(name, "pascal")}" value="{value}" />',
                    f'    <property name="{cased(name, "dotted")}" value="{value}"/>',
                ]
            )
        ]
    if kind == "php":
        return [
            rng.choice(
                [
                    f"${cased(name, 'camel')} = '{value}';",
                    f"    '{name}' => '{value}',",
                    f"define('{cased(name, 'upper')}', '{value}');",
                ]
            )
        ]
    if kind == "rb":
        return [
            rng.choice([f"  config.{name} = '{value}'", f"  {name}: '{value}',", f'{cased(name, "upper")} = "{value}"'])
        ]
    if kind == "ps1":
        return [
            rng.choice(
                [
                    f'$env:{cased(name, "upper")} = "{value}"',
                    f"${cased(name, 'camel')} = '{value}'",
                    f'[Environment]::SetEnvironmentVariable("{cased(name, "upper")}", "{value}")',
                ]
            )
        ]
    if kind == "kt":
        return [
            rng.choice(
                [
                    f'    val {cased(name, "camel")} = "{value}"',
                    f'    const val {cased(name, "upper")}: String = "{value}"',
                ]
            )
        ]
    if kind == "cs":
        return [
            rng.choice(
                [
                    f'        public const string {cased(name, "pascal")} = "{value}";',
                    f'            {cased(name, "pascal")} = "{value}",',
                    f'    "{cased(name, "pascal")}": "{value}",',
                ]
            )
        ]
    if kind == "rs":
        return [
            rng.choice(
                [
                    f'const {cased(name, "upper")}: &str = "{value}";',
                    f'    let {name} = "{value}";',
                    f'    let {name} = String::from("{value}");',
                ]
            )
        ]
    if kind == "compose":
        return [
            rng.choice(
                [
                    f"      - {cased(name, 'upper')}={value}",
                    f'      - "{cased(name, "upper")}={value}"',
                    f"      {cased(name, 'upper')}: {value}",
                ]
            )
        ]
    if kind == "groovy":
        return [
            rng.choice(
                [
                    f"    {cased(name, 'camel')} = '{value}'",
                    f'        {name}: "{value}",',
                    f'def {cased(name, "camel")} = "{value}"',
                ]
            )
        ]
    if kind == "service":
        return [
            rng.choice([f'Environment="{cased(name, "upper")}={value}"', f"Environment={cased(name, 'upper')}={value}"])
        ]
    if kind == "md":
        return [
            rng.choice(
                [
                    f"    {cased(name, 'upper')}={value}",
                    f"`{name}: {value}`",
                    f"export {cased(name, 'upper')}='{value}'",
                ]
            )
        ]
    return [f"{name} = {value}"]


FILE_KINDS = {
    "env": [".env", ".env.production", "config/.env.local", "deploy/app.env"],
    "sh": ["scripts/deploy.sh", "bin/setup.sh", "ci/release.sh"],
    "yaml": [
        "config/settings.yaml",
        "deploy/values.yaml",
        "docker-compose.yml",
        "ansible/group_vars/all.yml",
        ".github/workflows/deploy.yml",
        ".gitlab-ci.yml",
    ],
    "json": ["config/appsettings.json", "secrets.json", "config/default.json"],
    "py": ["app/settings.py", "src/client.py", "tests/conftest.py", "tools/sync.py"],
    "js": ["src/config.js", "server/index.ts", "lib/api.mjs"],
    "go": ["internal/config/config.go", "cmd/server/main.go"],
    "java": ["src/main/java/com/acme/Config.java", "src/main/java/com/acme/DataSourceFactory.java"],
    "properties": ["src/main/resources/application.properties", "gradle.properties"],
    "ini": ["config.ini", "setup.cfg", "conf/app.conf"],
    "toml": ["config.toml", "pyproject.toml"],
    "tf": ["infra/main.tf", "infra/rds.tf"],
    "dockerfile": ["Dockerfile", "docker/api.Dockerfile"],
    "xml": ["web.config", "src/main/resources/beans.xml", "pom.xml"],
    "php": ["config/database.php", "wp-config.php"],
    "rb": ["config/initializers/app.rb", "lib/client.rb"],
    "md": ["README.md", "docs/setup.md"],
    "ps1": ["scripts/setup.ps1"],
    "kt": ["app/src/main/kotlin/Config.kt"],
    "cs": ["src/Api/Settings.cs", "appsettings.Production.json"],
    "rs": ["src/config.rs"],
    "compose": ["compose.yaml", "deploy/docker-compose.prod.yml"],
    "groovy": ["Jenkinsfile", "build.gradle"],
    "service": ["deploy/api.service"],
}

FILLERS: dict[str, list[str]] = {
    "env": [
        "NODE_ENV=production",
        "PORT=8080",
        "LOG_LEVEL=info",
        "AWS_REGION=eu-west-1",
        "DB_HOST=db.internal",
        "DB_PORT=5432",
        "DB_USER=app",
        "FEATURE_FLAGS=search,export",
        "TZ=UTC",
        "WORKERS=4",
        "CACHE_TTL=300",
        "# database",
        "APP_NAME=orders-api",
        "S3_BUCKET=acme-prod-assets",
    ],
    "sh": [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        'echo "deploying $APP"',
        'cd "$(dirname "$0")"',
        "docker build -t acme/api:latest .",
        "kubectl rollout status deploy/api",
        'for f in *.sql; do psql -f "$f"; done',
        'if [ -z "${CI:-}" ]; then exit 0; fi',
        "git rev-parse HEAD > VERSION",
    ],
    "yaml": [
        "version: '3.8'",
        "services:",
        "  image: acme/api:1.4.2",
        "  replicas: 3",
        "  timeout: 30s",
        "  log_level: info",
        "  region: us-east-1",
        "  host: db.internal",
        "  port: 5432",
        "  enabled: true",
        "  username: app",
        "# settings",
        "  retries: 5",
        "  name: orders",
    ],
    "json": [
        '  "name": "orders",',
        '  "version": "2.3.1",',
        '  "port": 8080,',
        '  "debug": false,',
        '  "host": "api.acme.io",',
        '  "timeoutMs": 3000,',
        '  "region": "eu-central-1",',
        '  "username": "svc-orders",',
    ],
    "py": [
        "import os",
        "import logging",
        "from pathlib import Path",
        "logger = logging.getLogger(__name__)",
        "TIMEOUT = 30",
        "def handler(event, context):",
        "    return {'status': 200}",
        "BASE_DIR = Path(__file__).parent",
        "DEBUG = False",
        "ALLOWED_HOSTS = ['api.acme.io']",
        "    user = get_user(request)",
        "# TODO: retry",
    ],
    "js": [
        "import express from 'express';",
        "const app = express();",
        "app.use(express.json());",
        "module.exports = config;",
        "  port: 3000,",
        "  retries: 3,",
        "const log = require('pino')();",
        "function handler(req, res) {",
        "  return res.json({ ok: true });",
        "}",
    ],
    "go": [
        "package config",
        "import (",
        '\t"os"',
        ")",
        "type Config struct {",
        "\tPort int",
        "}",
        "func Load() (*Config, error) {",
        "\treturn &Config{Port: 8080}, nil",
        '\tHost: "db.internal",',
    ],
    "java": [
        "package com.acme;",
        "import java.util.Properties;",
        "public class Config {",
        "    private int port = 8080;",
        "    }",
        "    public Config() {",
        "        Properties props = new Properties();",
        "}",
    ],
    "properties": [
        "server.port=8080",
        "spring.datasource.url=jdbc:postgresql://db:5432/app",
        "logging.level.root=INFO",
        "spring.datasource.username=app",
        "management.endpoints.web.exposure.include=health",
    ],
    "ini": ["[database]", "host = db.internal", "port = 5432", "[server]", "workers = 4", "user = app", "timeout = 30"],
    "toml": ["[server]", "port = 8080", 'host = "0.0.0.0"', "[database]", 'user = "app"', "pool = 10"],
    "tf": [
        'resource "aws_db_instance" "main" {',
        '  engine         = "postgres"',
        '  instance_class = "db.t3.micro"',
        '  username       = "app"',
        "}",
        'provider "aws" {',
        '  region = "us-east-1"',
    ],
    "dockerfile": [
        "FROM python:3.12-slim",
        "WORKDIR /app",
        "COPY . .",
        "RUN pip install -r requirements.txt",
        "EXPOSE 8080",
        'CMD ["gunicorn", "app:app"]',
        "ENV PYTHONUNBUFFERED=1",
    ],
    "xml": [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<configuration>",
        "  <appSettings>",
        "  </appSettings>",
        '    <add key="Environment" value="Production" />',
        "</configuration>",
        "    <port>8080</port>",
    ],
    "php": [
        "<?php",
        "return [",
        "    'driver' => 'mysql',",
        "    'host' => env('DB_HOST', '127.0.0.1'),",
        "];",
        "    'charset' => 'utf8mb4',",
    ],
    "rb": [
        "Rails.application.configure do",
        "  config.cache_classes = true",
        "end",
        "require 'json'",
        "  config.log_level = :info",
    ],
    "ps1": [
        "Set-StrictMode -Version Latest",
        "$ErrorActionPreference = 'Stop'",
        'Write-Host "Deploying $App"',
        "Import-Module Az",
    ],
    "kt": ["package com.acme", "object Config {", "    val port = 8080", "}", "fun main() = runApp()"],
    "cs": ["namespace Acme.Api;", "public static class Settings", "{", "    public const int Port = 8080;", "}"],
    "rs": ["use std::env;", "pub struct Config {", "    pub port: u16,", "}", "fn main() {"],
    "compose": [
        "services:",
        "  api:",
        "    image: acme/api:2.1",
        "    environment:",
        "    ports:",
        '      - "8080:8080"',
    ],
    "groovy": ["pipeline {", "  agent any", "  stages {", "    stage('Build') {", "      steps { sh 'make' }", "}"],
    "service": ["[Unit]", "Description=API", "[Service]", "ExecStart=/usr/bin/api", "Restart=always", "[Install]"],
    "md": [
        "# Setup",
        "Install the dependencies and run the server.",
        "```bash",
        "```",
        "## Configuration",
        "Set the following variables before starting:",
        "- `PORT`: port to listen on",
    ],
}


# ---------------------------------------------------------------- provider tokens


def _first_secret(rule: Rule, matcher: Matcher, example: str) -> tuple[int, int] | None:
    data = example.encode("utf-8")
    for match in matcher.scan(data):
        if match.rule_id == rule.id:
            return len(data[: match.start].decode("utf-8", "replace")), len(
                data[: match.end].decode("utf-8", "replace")
            )
    return None


def _fix_checksum(validator: str | None, secret: str) -> str:
    if validator == "github-crc32":
        head, _, body = secret.partition("_")
        body = body[:30]
        return f"{head}_{body}{V._encode(zlib.crc32(body.encode()), V._BASE62, 6)}"
    if validator == "cloudflare-crc32":
        head, _, body = secret.partition("_")
        return f"{head}_{body[:40]}{zlib.crc32(body[:40].encode()):08x}"
    if validator == "atlassian-crc32":
        return secret[:-8] + f"{zlib.crc32(secret[:-8].encode()):08X}"
    if validator == "grafana-sa-crc32":
        head = secret.rpartition("_")[0]
        return f"{head}_{zlib.crc32(head.encode()).to_bytes(4, 'little').hex()}"
    if validator == "gitlab-routable-crc32" and "." in secret:
        return secret[:-7] + V._encode(zlib.crc32(secret[:-7].encode()), V._BASE36, 7)
    if validator == "bech32":
        hrp, _, data = secret.lower().rpartition("1")
        data = "".join(c if c in V._BECH32 else V._BECH32[ord(c) % 32] for c in data)
        values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
        values += [V._BECH32.index(c) for c in data[:-6]]
        polymod = V._bech32_polymod(values + [0] * 6) ^ 1
        check = "".join(V._BECH32[(polymod >> 5 * (5 - i)) & 31] for i in range(6))
        out = f"{hrp}1{data[:-6]}{check}"
        return out.upper() if secret.isupper() else out
    return secret


def _alphabets(secrets: list[str], prefix: int) -> dict[str, str]:
    seen = "".join(s[prefix:] for s in secrets)
    lower = {c for c in seen if c.islower() and c.isascii()}
    upper = {c for c in seen if c.isupper() and c.isascii()}
    digits = {c for c in seen if c.isdigit()}
    return {
        "lower": "abcdef" if lower <= set("abcdef") else string.ascii_lowercase,
        "upper": "ABCDEF" if upper and upper <= set("ABCDEF") else string.ascii_uppercase,
        "digit": "234567" if digits and digits <= set("234567") and upper and not lower else string.digits,
    }


def _mutate(secret: str, keep: int, alphabets: dict[str, str], rng: random.Random) -> str:
    out = []
    for i, c in enumerate(secret):
        if i < keep or not c.isascii():
            out.append(c)
        elif c.islower():
            out.append(rng.choice(alphabets["lower"]))
        elif c.isupper():
            out.append(rng.choice(alphabets["upper"]))
        elif c.isdigit():
            out.append(rng.choice(alphabets["digit"]))
        else:
            out.append(c)
    return "".join(out)


def _common_prefix(values: list[str]) -> int:
    if len(values) < 2:
        first = values[0]
        for i, c in enumerate(first[:14]):
            if not c.isalnum():
                return i + 1
        return min(4, len(first) // 4)
    n = 0
    for chars in zip(*values, strict=False):
        if len(set(chars)) != 1:
            break
        n += 1
    return n


@dataclass(frozen=True)
class TokenSource:
    rule: Rule
    example: str
    start: int
    end: int


def token_sources(rules: list[Rule]) -> list[tuple[Rule, list[TokenSource]]]:
    sources = []
    for rule in rules:
        if rule.provider in CONTEXT_PROVIDERS:
            continue
        matcher = Matcher([rule])
        found = []
        for example in rule.examples:
            span = _first_secret(rule, matcher, example)
            if span:
                found.append(TokenSource(rule, example, *span))
        if found:
            sources.append((rule, found))
    return sources


def provider_plant(rule: Rule, sources: list[TokenSource], matcher: Matcher, rng: random.Random) -> tuple[str, str]:
    """(example line with a fresh token of the rule's shape, the token)."""
    source = rng.choice(sources)
    original = source.example[source.start : source.end]
    secrets = [s.example[s.start : s.end] for s in sources]
    base_keep = _common_prefix(secrets)
    alphabets = _alphabets(secrets, base_keep)
    if "\n" not in original:
        for keep in (base_keep, base_keep, 4, 6, 8, 12):
            for _ in range(4):
                token = _fix_checksum(rule.validator, _mutate(original, keep, alphabets, rng))
                if token == original:
                    continue
                line = source.example[: source.start] + token + source.example[source.end :]
                data = line.encode()
                if any(m.rule_id == rule.id and m.secret == token for m in matcher.scan(data)):
                    single = _secret_line(line, token)
                    if any(m.rule_id == rule.id for m in matcher.scan(single.encode())):
                        return single, token
                    return line, token
    return _secret_line(source.example, original), original


def _secret_line(example: str, token: str) -> str:
    """The line of a multi-line example holding a one-line token: other lines may hold tokens too."""
    if "\n" in token or "\n" not in example:
        return example
    return next(line for line in example.split("\n") if token in line)


# ---------------------------------------------------------------- decoys


def _hexs(rng: random.Random, n: int) -> str:
    return rng.randbytes(n).hex()


def decoy(kind: str, rng: random.Random) -> Plant:
    """One decoy of a random category, rendered for file kind `kind`."""
    choices: list[tuple[str, Callable[[], list[str]]]] = []
    name = rng.choice(PASSWORD_NAMES + TOKEN_NAMES)

    def assign(n: str, v: str) -> list[str]:
        return render(kind, n, v, rng)

    choices += [
        (
            "hash",
            lambda: assign(
                rng.choice(["checksum", "sha256", "content_hash", "digest"]), _hexs(rng, rng.choice((16, 20, 32)))
            ),
        ),
        (
            "hash",
            lambda: assign(
                "password_hash", "$2b$12$" + base64.b64encode(rng.randbytes(40)).decode()[:53].replace("+", ".")
            ),
        ),
        ("hash", lambda: assign("image_digest", "sha256:" + _hexs(rng, 32))),
        (
            "uuid",
            lambda: assign(
                rng.choice(["tenant_id", "client_id", "request_id", "subscription_id"]),
                str(uuid.UUID(bytes=rng.randbytes(16))),
            ),
        ),
        (
            "uuid",
            lambda: assign(
                rng.choice(["api_key_id", "token_id", "correlation_id"]), str(uuid.UUID(bytes=rng.randbytes(16)))
            ),
        ),
        ("integrity", lambda: [f'      "integrity": "sha512-{base64.b64encode(rng.randbytes(64)).decode()}",']),
        (
            "public-key",
            lambda: assign(
                "public_key",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"
                + base64.b64encode(rng.randbytes(32)).decode().rstrip("=")
                + " deploy@ci",
            ),
        ),
        ("public-key", lambda: assign("publishable_key", base64.b64encode(rng.randbytes(24)).decode())),
        (
            "placeholder",
            lambda: assign(
                name,
                rng.choice(
                    [
                        "your-api-key-here",
                        "<YOUR_TOKEN>",
                        "changeme",
                        "xxxxxxxxxxxxxxxxxxxx",
                        "REPLACE_ME",
                        "********",
                        "TODO",
                        "<password>",
                        "your_password",
                        "insert-secret-here",
                        "CHANGE_ME_IN_PROD",
                    ]
                ),
            ),
        ),
        (
            "template",
            lambda: assign(
                name,
                rng.choice(
                    [
                        "${DB_PASSWORD}",
                        "{{ .Values.secret }}",
                        "${{ secrets.API_TOKEN }}",
                        "%(password)s",
                        "{{ vault_db_password }}",
                        "$API_KEY",
                        "#{ENV['TOKEN']}",
                        "<%= ENV['SECRET'] %>",
                        "${env:API_KEY}",
                    ]
                ),
            ),
        ),
        (
            "reference",
            lambda: [
                rng.choice(
                    [
                        f"{name} = os.environ['{name.upper()}']",
                        f"const {cased(name, 'camel')} = process.env.{name.upper()};",
                        f'{name} = os.getenv("{name.upper()}")',
                        f'String {cased(name, "camel")} = System.getenv("{name.upper()}");',
                        f'\t{cased(name, "pascal")}: os.Getenv("{name.upper()}"),',
                        f"{name}: ${{{name.upper()}}}",
                    ]
                )
            ],
        ),
        (
            "code",
            lambda: [
                rng.choice(
                    [
                        f"    {name} = get_secret('{name}')",
                        f"    {name} = self.{name}",
                        f"  {cased(name, 'camel')}: config.{cased(name, 'camel')},",
                        f"    {name} = args.{name}",
                        f"{name} = vault.read(path)['data']['{name}']",
                        f"\t{cased(name, 'pascal')}: cfg.{cased(name, 'pascal')},",
                    ]
                )
            ],
        ),
        (
            "fixture",
            lambda: assign(
                name,
                rng.choice(
                    [
                        "password123",
                        "test",
                        "testtest",
                        "fake-token",
                        "dummy_secret_value",
                        "secret",
                        "admin",
                        "hunter2",
                        "not-a-real-secret",
                        "test-api-key",
                        "P@ssw0rd",
                        "letmein",
                        "abc123",
                    ]
                ),
            ),
        ),
        (
            "commit",
            lambda: [
                rng.choice(
                    [
                        f"commit {_hexs(rng, 20)}",
                        f"  rev: {_hexs(rng, 20)}",
                        f'  "gitHead": "{_hexs(rng, 20)}",',
                        f"# fixed in {_hexs(rng, 20)}",
                        f"ref: {_hexs(rng, 20)}",
                    ]
                )
            ],
        ),
        ("data-uri", lambda: [f'  "icon": "data:image/png;base64,{_image(rng, PNG_MAGIC, 90)}",']),
        ("data-uri", lambda: [f'<img src="data:image/gif;base64,{_image(rng, GIF_MAGIC, 60)}" />']),
        ("minified", lambda: [_minified(rng)]),
        ("url", lambda: assign(rng.choice(["token_url", "auth_endpoint"]), "https://auth.acme.io/oauth/token")),
        ("url", lambda: [f"  homepage: https://{rng.choice(WORDS)}.acme.io/docs?page=2&sort=asc"]),
        (
            "connection",
            lambda: [
                rng.choice(
                    [
                        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/test",
                        "REDIS_URL=redis://localhost:6379/0",
                        "mongodb://localhost:27017/app",
                        "AMQP_URL=amqp://guest:guest@localhost:5672/",
                        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app",
                    ]
                )
            ],
        ),
        (
            "nonsecret-name",
            lambda: assign(
                rng.choice(["csrf_token", "next_page_token", "cache_key", "password_min_length", "max_tokens"]),
                rng.choice([base64.urlsafe_b64encode(rng.randbytes(18)).decode(), str(rng.randrange(8, 4096))]),
            ),
        ),
        (
            "encrypted",
            lambda: assign(
                name,
                f"ENC[AES256_GCM,data:{base64.b64encode(rng.randbytes(12)).decode()},iv:{base64.b64encode(rng.randbytes(16)).decode()},type:str]",
            ),
        ),
        (
            "i18n",
            lambda: [
                f'  "{rng.choice(["forgot_password", "password_label", "token_expired"])}": "{rng.choice(["Forgot your password?", "Password", "Your session has expired"])}",'
            ],
        ),
        (
            "jwt-sample",
            lambda: assign(
                "token",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            ),
        ),
        (
            "public-key",
            lambda: assign(
                "stripe_publishable_key",
                "pk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24)),
            ),
        ),
        (
            "uuid",
            lambda: assign(
                rng.choice(["api_key", "license_key", "access_token"]), str(uuid.UUID(bytes=rng.randbytes(16)))
            ),
        ),
        (
            "encrypted",
            lambda: assign(
                name,
                rng.choice(
                    [
                        "!vault |",
                        "'{cipher}AQB" + _hexs(rng, 24) + "'",
                        "vault:v1:" + base64.b64encode(rng.randbytes(30)).decode(),
                    ]
                ),
            ),
        ),
        (
            "type-hint",
            lambda: [
                rng.choice(
                    [
                        f"def login(user: str, {name}: str) -> bool:",
                        f"    {name}: Optional[str] = None",
                        f"  {cased(name, 'camel')}?: string;",
                        f'	{cased(name, "pascal")} string `json:"{name}"`',
                        f"    private String {cased(name, 'camel')};",
                        f"{name} VARCHAR(255) NOT NULL,",
                    ]
                )
            ],
        ),
        (
            "ui-text",
            lambda: [
                rng.choice(
                    [
                        '<input type="password" name="password" placeholder="Password">',
                        f'    "{name}": "Enter your {name.replace("_", " ")}",',
                        f'logger.warning("invalid {name} for user %s", user)',
                        ".password-field { width: 100%; }",
                        f"raise ValueError('{name} must be at least 12 characters')",
                    ]
                )
            ],
        ),
        (
            "reference",
            lambda: assign(
                name,
                rng.choice(
                    [
                        "!Ref DbPassword",
                        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
                        "/run/secrets/db_password",
                        "file:///etc/keys/api.key",
                    ]
                ),
            ),
        ),
        (
            "high-entropy-id",
            lambda: assign(rng.choice(["build_id", "trace_id", "etag", "nonce", "state"]), _hexs(rng, 16)),
        ),
    ]
    category, make = rng.choice(choices)
    return Plant(make(), "decoy", category)


PNG_MAGIC = bytes.fromhex("89504e470d0a1a0a")
GIF_MAGIC = b"GIF89a"


def _image(rng: random.Random, magic: bytes, size: int) -> str:
    return base64.b64encode(magic + rng.randbytes(size)).decode()


def _minified(rng: random.Random) -> str:
    parts = []
    for _ in range(40):
        ident = "".join(rng.choice(string.ascii_letters) for _ in range(rng.randrange(1, 3)))
        parts.append(
            rng.choice(
                [
                    f"function {ident}(e,t){{return e.{rng.choice(['key', 'token', 'value'])}===t}}",
                    f'{{key:"{rng.choice(["componentDidMount", "render", "setState", "apiKey", "secret"])}",value:function(){{return this.{ident}}}}}',
                    f"var {ident}={rng.randrange(1000)},{ident}{ident}=!0;",
                    f'{ident}.token=n.token||"";',
                    f'{ident}=["{base64.b64encode(rng.randbytes(9)).decode()}","{rng.choice(WORDS)}"];',
                ]
            )
        )
    return "".join(parts)


# ---------------------------------------------------------------- special files


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def k8s_secret(rng: random.Random, provider_token: tuple[str, str] | None) -> tuple[list[str], list[Plant]]:
    header = [
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        f"  name: {rng.choice(WORDS)}-credentials",
        "type: Opaque",
        "data:",
    ]
    plants = [
        Plant([f"  username: {b64(rng.choice(['app', 'deploy', 'svc-orders']))}"], "decoy", "encoded-username"),
        Plant([f"  password: {b64(password(rng))}"], "generic", "k8s-data-password"),
    ]
    plants[1].secret = base64.b64decode(plants[1].lines[0].split(": ")[1]).decode()
    if rng.random() < 0.5:
        plants.append(
            Plant(
                [f"  db-password: {b64(rng.choice(['changeme', 'password', 'secret']))}"],
                "decoy",
                "encoded-placeholder",
            )
        )
    if provider_token:
        plants.append(
            Plant([f"  api-token: {b64(provider_token[1])}"], "provider", provider_token[0], provider_token[1])
        )
    if rng.random() < 0.5:
        url = f"postgres://app:{password(rng, url_safe=True)}@db.internal:5432/app"
        plants.append(Plant([f"  DATABASE_URL: {b64(url)}"], "generic", "k8s-data-connection", url))
    return header, plants


def docker_config(rng: random.Random) -> tuple[list[str], list[str], list[Plant]]:
    secret = password(rng)
    plant = Plant(
        [f'    "registry.{rng.choice(WORDS)}.io": {{ "auth": "{b64("ci-bot:" + secret)}" }},'],
        "generic",
        "docker-auth",
        secret,
    )
    return ["{", '  "auths": {'], ['    "docker.io": {}', "  }", "}"], [plant]


def npmrc(rng: random.Random) -> list[Plant]:
    secret = password(rng)
    return [
        Plant([f"_auth={b64('deployer:' + secret)}"], "generic", "npm-auth", secret),
        Plant(["//registry.npmjs.org/:_authToken=${NPM_TOKEN}"], "decoy", "template"),
    ]


def connection_plant(rng: random.Random, kind: str) -> Plant:
    pw = password(rng, url_safe=True)
    host = f"{rng.choice(WORDS)}.{rng.choice(['internal', 'prod.acme.io', 'rds.amazonaws.com'])}"
    scheme = rng.choice(
        [
            "postgres",
            "postgresql",
            "mysql",
            "mongodb+srv",
            "mongodb",
            "redis",
            "rediss",
            "amqp",
            "amqps",
            "mssql",
            "https",
            "ftp",
            "ado",
            "jdbc",
        ]
    )
    user = rng.choice(["app", "svc_orders", "admin", "etl", "reporter"])
    if scheme == "ado":
        url = f"Server={host};Database=Orders;User Id={user};Password={pw};"
    elif scheme == "jdbc":
        url = f"jdbc:postgresql://{host}:5432/orders?user={user}&password={pw}"
    elif scheme.startswith("redis"):
        url = f"{scheme}://:{pw}@{host}:6379/0"
    else:
        url = f"{scheme}://{user}:{pw}@{host}/{rng.choice(['orders', 'app', 'prod'])}"
    name = rng.choice(["database_url", "db_uri", "broker_url", "connection_string", "mongo_uri", "redis_url", "dsn"])
    return Plant(render(kind, name, url, rng), "generic", f"connection-{scheme}", pw)


def header_plant(rng: random.Random) -> Plant:
    if rng.random() < 0.5:
        token = random_token(rng)[1]
        line = rng.choice(
            [
                f'curl -H "Authorization: Bearer {token}" https://api.acme.io/v1/orders',
                f"    headers = {{'Authorization': 'Bearer {token}'}}",
            ]
        )
        return Plant([line], "generic", "bearer", token)
    secret = password(rng)
    return Plant(
        [f'curl -H "Authorization: Basic {b64("ops:" + secret)}" https://ci.acme.io/api/json'],
        "generic",
        "basic-auth",
        secret,
    )


def cli_plant(rng: random.Random) -> Plant:
    secret = password(rng)
    line = rng.choice(
        [
            f"CREATE USER app WITH PASSWORD '{secret}';",
            f"ALTER USER 'etl'@'%' IDENTIFIED BY '{secret}';",
            f"machine git.acme.io login ci password {secret}",
            f"r = requests.get(url, auth=('deploy', '{secret}'))",
            f"redis-cli -h cache.internal -a '{secret}' ping",
            f"keytool -list -keystore app.jks -storepass '{secret}'",
            f"docker login -u ci -p '{secret}' registry.acme.io",
            f"kubectl create secret generic db --from-literal=password='{secret}'",
            f"helm upgrade api ./chart --set db.password='{secret}'",
            f"mysql -h db.internal -u root -p{secret} orders < dump.sql",
            f"sshpass -p '{secret}' ssh deploy@10.0.0.5",
            f"psql --password '{secret}' -h db",
            f"curl -u admin:{secret} https://jenkins.acme.io/api",
        ]
    )
    return Plant([line], "generic", "cli", secret)


# ---------------------------------------------------------------- corpus


def generic_plant(kind: str, rng: random.Random) -> Plant:
    if rng.random() < 0.5:
        name, value, shape = rng.choice(PASSWORD_NAMES), password(rng), "password"
    else:
        name = rng.choice(TOKEN_NAMES)
        shape, value = random_token(rng) if rng.random() < 0.75 else ("password", password(rng))
    return Plant(render(kind, name, value, rng), "generic", f"{shape}-{kind}", value)


def build(out: Path, seed: int, files: int) -> list[Label]:
    rng = random.Random(seed)
    rules = [r for r in load_rule_pack() if r.provider not in CONTEXT_PROVIDERS]
    sources = token_sources(rules)
    full = Matcher(list(load_rule_pack()))
    by_id = {rule.id: rule for rule in rules}
    queue = [pair for pair in sources for _ in range(2)]
    rng.shuffle(queue)
    labels: list[Label] = []
    used_paths: set[str] = set()

    def next_provider() -> tuple[str, str, str] | None:
        if not queue:
            return None
        rule, srcs = queue.pop()
        line, token = provider_plant(rule, srcs, full, rng)
        return rule.id, line, token

    index = 0
    credential_files = 0
    while index < files or queue:
        index += 1
        special = rng.random()
        if special < 0.15:
            stem = _credential_file(out, index, credential_files, rng, labels)
            used_paths.add(stem)
            credential_files += 1
            continue
        header: list[str] = []
        footer: list[str] = []
        plants: list[Plant] = []
        if special < 0.06:
            kind, path = "yaml", f"k8s/{rng.choice(WORDS)}-secret.yaml"
            provider = next_provider()
            header, plants = k8s_secret(rng, (provider[0], provider[2]) if provider else None)
            filler_kind = None
        elif special < 0.09:
            kind, path = "json", f"docker/{rng.choice(WORDS)}/config.json"
            header, footer, plants = docker_config(rng)
            filler_kind = None
        elif special < 0.12:
            kind, path = "ini", f"{rng.choice(WORDS)}/.npmrc"
            plants = npmrc(rng)
            filler_kind = None
        else:
            kind = rng.choice(list(FILE_KINDS))
            path = rng.choice(FILE_KINDS[kind])
            filler_kind = kind
            for _ in range(rng.randrange(0, 4)):
                provider = next_provider()
                if provider is None:
                    break
                rule_id, line, token = provider
                rule = by_id[rule_id]
                prefixed = any(k.lower() in token.lower() for k in rule.keywords)
                if prefixed and "\n" not in token and rng.random() < 0.4:
                    line = render(
                        kind,
                        f"{rule.provider.replace('-', '_')}_{rng.choice(['token', 'api_key', 'key', 'secret'])}",
                        token,
                        rng,
                    )[0]
                lines = line.split("\n")
                hit = next(i for i, text in enumerate(lines) if token.split("\n")[0] in text)
                plants.append(Plant(lines, "provider", rule_id, token, hit, token.count("\n") + 1))
            for _ in range(rng.randrange(0, 4)):
                plants.append(generic_plant(kind, rng))
            if rng.random() < 0.25:
                plants.append(connection_plant(rng, kind))
            if kind in ("sh", "md", "py", "ps1", "groovy") and rng.random() < 0.5:
                plants.append(cli_plant(rng))
            if kind in ("sh", "md", "py", "js") and rng.random() < 0.3:
                plants.append(header_plant(rng))
            for _ in range(rng.randrange(1, 6)):
                plants.append(decoy(kind, rng))
        stem = f"r{index:04d}/{path}"
        while stem in used_paths:
            stem = f"r{index:04d}x/{path}"
        used_paths.add(stem)
        body: list[str] = list(header)
        rng.shuffle(plants)
        for plant in plants:
            if filler_kind:
                body += [rng.choice(FILLERS[filler_kind]) for _ in range(rng.randrange(0, 4))]
            first = len(body) + 1 + plant.offset
            body += plant.lines
            if plant.kind == "decoy":
                labels.append(Label(stem, len(body) - len(plant.lines) + 1, len(body), "decoy", plant.category))
            else:
                labels.append(Label(stem, first, first + plant.span - 1, plant.kind, plant.category, plant.secret))
        if filler_kind:
            body += [rng.choice(FILLERS[filler_kind]) for _ in range(rng.randrange(1, 5))]
        body += footer
        target = out / stem
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(body) + "\n", encoding="utf-8")
    return labels


def _credential_file(out: Path, index: int, count: int, rng: random.Random, labels: list[Label]) -> str:
    """One file of bench/accuracy/credfiles.py under its real name, its lines labelled."""
    path, lines = credfiles.credential_file(count, rng)
    stem = f"r{index:04d}/{path}"
    for number, line in enumerate(lines, 1):
        if line.kind:
            labels.append(Label(stem, number, number + line.span - 1, line.kind, line.category, line.secret))
    target = out / stem
    target.parent.mkdir(parents=True, exist_ok=True)
    # A Rails key file holds the key and nothing else (no newline), as `rails` writes it.
    ending = "" if path.endswith(".key") else "\n"
    target.write_text("\n".join(line.text for line in lines) + ending, encoding="utf-8")
    return stem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    labels = build(args.out, args.seed, args.files)
    manifest = args.out.parent / f"{args.out.name}.labels.json"
    manifest.write_text(json.dumps([asdict(label) for label in labels], indent=1), encoding="utf-8")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label.kind] = counts.get(label.kind, 0) + 1
    print(f"wrote {len({label.file for label in labels})} files to {args.out}, labels in {manifest}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
