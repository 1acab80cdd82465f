"""rules/credential-files.toml: credentials by position in the files people leak.

Each file is written at run time under its real name and scanned with `dir`; every planted
value (random ones from tests.helpers, and short word-like passwords, which these rules keep
on purpose) must be reported at its line by the file's rule; placeholders and references
must not; the same lines in a file of another name must not fire these rules.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.rulecheck import check_paths
from scanner.rules import parse_rule
from tests.helpers import ALNUM, Result, random_chars

# Word-like passwords: a `generic.*` rule drops them (fixture words), a file's syntax does not.
WORD = "hunter" + "2"
WORD2 = "dragon" + "fly"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(seed: str, length: int = 16, alphabet: str = ALNUM) -> str:
    return random_chars(f"credfiles-{seed}", length, alphabet)


# (file name, text, {line: secret}, rule id)
Case = tuple[str, str, dict[int, str], str]


def _cases() -> list[Case]:
    names = ("pg", "netrc", "git", "npm", "yarn", "docker", "s3", "fz", "sftp", "tf", "k8s", "k8s2", "cm")
    s = {name: _secret(name) for name in (*names, "rails", "ansible", "ini", "sh", "django")}
    salt = _secret("salt", 40) + "<{|}>..."
    htpasswd_apr1 = "$apr1$" + _secret("apr-salt", 8) + "$" + _secret("apr-hash", 22)
    bcrypt = "$2y$05$" + _secret("bcrypt", 53)
    return [
        (
            ".pgpass",
            f"# hostname:port:database:username:password\ndb.internal:5432:orders:app:{s['pg']}\n"
            f"*:*:*:postgres:{WORD}\nlocalhost:5432:*:app:${{PGPASSWORD}}\n",
            {2: s["pg"], 3: WORD},
            "credential-files.pgpass",
        ),
        (
            ".netrc",
            f"machine git.acme.io\n  login ci\n  password {WORD}\nmachine api.acme.io login ops password {s['netrc']}\n"
            "machine ci.acme.io login x password <password>\n",
            {3: WORD, 4: s["netrc"]},
            "credential-files.netrc",
        ),
        (
            "_netrc",
            f"machine a.acme.io login ops password {WORD2}\\\nmachine b.acme.io\n",
            {1: WORD2},
            "credential-files.netrc",
        ),
        (
            ".netrc",
            # `default`; value on the line after its token; a `\` before the newline ends
            # the value; `\ ` escapes a space; a comment line is not an entry.
            f"machine a.acme.io login ops password {s['netrc']}\\\nmachine b.acme.io login ci password\n"
            f"  {WORD}\n# machine c.acme.io login x password {WORD2}\ndefault login anonymous password pa\\ {WORD2}\n",
            {1: s["netrc"], 3: WORD, 5: f"pa\\ {WORD2}"},
            "credential-files.netrc",
        ),
        (
            ".git-credentials",
            f"https://ops:{WORD}@gitlab.acme.io\nhttps://deploy:{s['git']}@git.acme.io\nhttps://anon@git.acme.io\n",
            {1: WORD, 2: s["git"]},
            "credential-files.git-credentials",
        ),
        (
            ".npmrc",
            f"//npm.acme.io/:_authToken={s['npm']}\n//npm.acme.io/:_password={_b64(WORD)}\n"
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\nalways-auth=true\n",
            {1: s["npm"], 2: WORD},
            "credential-files.npmrc",
        ),
        (
            ".yarnrc.yml",
            f'npmScopes:\n  acme:\n    npmAuthToken: "{s["yarn"]}"\n    npmAuthIdent: "ci:{WORD2}"\n'
            'npmAuthToken: "${NPM_TOKEN}"\n',
            {3: s["yarn"], 4: WORD2},
            "credential-files.yarnrc",
        ),
        (
            ".docker/config.json",
            json.dumps(
                {
                    "auths": {
                        "registry.acme.io": {"auth": _b64("robot:" + s["docker"])},
                        "ghcr.io": {"auth": _b64("ci:" + WORD)},
                        "quay.io": {"auth": _b64("ops:" + WORD2).rstrip("=")},
                    },
                    "credsStore": "desktop",
                },
                indent=2,
            )
            + "\n",
            {4: s["docker"], 7: WORD, 10: WORD2},
            "credential-files.docker-auth",
        ),
        (
            "wp-config.php",
            f"<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_PASSWORD', '{WORD}' );\n"
            f"define( 'AUTH_KEY', '{salt}' );\ndefine( 'SECURE_AUTH_KEY', 'put your unique phrase here' );\n"
            "define( 'DB_USER', getenv('WORDPRESS_DB_USER') );\n",
            {3: WORD, 4: salt},
            "",
        ),
        (
            ".s3cfg",
            f"[default]\naccess_key = AKIA{_secret('s3id', 16).upper()}\nsecret_key = {s['s3']}\n"
            f"gpg_passphrase = {WORD}\n",
            {3: s["s3"], 4: WORD},
            "credential-files.s3cfg",
        ),
        (
            "sitemanager.xml",
            '<?xml version="1.0"?>\n<FileZilla3>\n<Servers><Server>\n<User>ops</User>\n'
            f'<Pass encoding="base64">{_b64(s["fz"])}</Pass>\n</Server><Server>\n'
            f'<Pass encoding="crypt" pubkey="{_secret("pub", 40)}">{_secret("ct", 40)}</Pass>\n'
            "</Server></Servers>\n</FileZilla3>\n",
            {5: _b64(s["fz"])},
            "credential-files.filezilla",
        ),
        (
            "WinSCP.ini",
            f"[Sessions\\ops@host]\nHostName=host\nUserName=ops\nPassword={_secret('winscp', 36, '0123456789ABCDEF')}\n",
            {4: _secret("winscp", 36, "0123456789ABCDEF")},
            "credential-files.winscp",
        ),
        (
            ".vscode/sftp.json",
            f'{{\n    "host": "files.acme.io",\n    "username": "ops",\n    "password": "{WORD}",\n'
            f'    //"passphrase": "{WORD2}",\n    "passphrase": "{s["sftp"]}"\n}}\n',
            {4: WORD, 6: s["sftp"]},
            "credential-files.client-json",
        ),
        (
            "terraform.tfstate",
            json.dumps(
                {
                    "version": 4,
                    "resources": [
                        {"instances": [{"attributes": {"password": WORD, "master_password": s["tf"], "port": 5432}}]}
                    ],
                },
                indent=2,
            )
            + "\n",
            {8: WORD, 9: s["tf"]},
            "credential-files.terraform-state",
        ),
        (
            ".htpasswd",
            f"admin:{htpasswd_apr1}\nci:{bcrypt}\n# old:{htpasswd_apr1}\n",
            {1: htpasswd_apr1, 2: bcrypt},
            "credential-files.htpasswd",
        ),
        (
            "k8s/db-secret.yaml",
            # hand-written order (kind first), kubectl order (data first, kind after), a
            # ConfigMap (not a Secret), stringData; usernames and ports are not reported.
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n"
            f"  username: {_b64('app')}\n  password: {_b64(s['k8s'])}\n  weak: {_b64(WORD)}\n---\n"
            f"apiVersion: v1\ndata:\n  api-token: {_b64(WORD2)}\nkind: Secret\n---\n"
            f"kind: ConfigMap\ndata:\n  x: {_b64(s['cm'])}\n---\n"
            f"kind: Secret\nstringData:\n  port: '5432'\n  smtp-pass: {s['k8s2']}\n  tmpl: ${{SMTP}}\n",
            {8: s["k8s"], 9: WORD, 13: WORD2, 23: s["k8s2"]},
            "credential-files.kubernetes-secret",
        ),
        (
            "config/secrets.yml",
            f"development:\n  secret_key_base: {s['rails']}\nproduction:\n"
            "  secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>\n",
            {2: s["rails"]},
            "credential-files.rails-secrets",
        ),
        (
            "inventories/prod/group_vars/all.yml",
            f"ansible_user: deploy\nansible_password: {WORD}\nansible_become_password: '{{{{ vault_become }}}}'\n"
            f"vault_db_password: {s['ansible']}\nvault_addr: https://vault.acme.io\n",
            {2: WORD, 4: s["ansible"]},
            "credential-files.ansible-vars",
        ),
        (
            "inventory/hosts.ini",
            f'[web]\nweb1 ansible_host=10.0.0.5 ansible_ssh_pass={WORD2}\n[all:vars]\nansible_become_pass="{s["ini"]}"\n',
            {2: WORD2, 4: s["ini"]},
            "credential-files.ansible-vars",
        ),
        (
            ".bashrc",
            f"alias ll='ls -l'\nexport DB_PASSWORD={WORD}\nexport GITHUB_TOKEN=\"{s['sh']}\"\n"
            "export X_TOKEN=$(pass show x)\nexport HISTSIZE=1000\n",
            {2: WORD, 3: s["sh"]},
            "credential-files.shell-profile",
        ),
        (
            "mysite/settings.py",
            f"import os\nSECRET_KEY = '{s['django']}'\nDEBUG = False\n",
            {2: s["django"]},
            "credential-files.django-settings",
        ),
        (
            ".esmtprc",
            f"hostname = smtp.acme.io:587\nusername = ops\npassword = {WORD}\n",
            {3: WORD},
            "credential-files.esmtprc",
        ),
    ]


CASES = _cases()
PLAIN = [case.values if hasattr(case, "values") else case for case in CASES]  # without marks


def _scan(cli: Callable[..., Result], root: Path) -> list[dict]:
    result = cli(["dir", str(root), "--format", "json", "--no-redact", "--no-progress"])
    assert result.code in (0, 1), result.err
    found = []
    for finding in json.loads(result.out):
        for place in finding["locations"]:
            found.append({"rule": finding["rule_id"], "secret": finding["secret"], **place})
    return found


@pytest.mark.parametrize("name,text,planted,rule", CASES, ids=[case[0] for case in PLAIN])
def test_credential_file_reports_each_planted_value(
    cli: Callable[..., Result], tmp_path: Path, name: str, text: str, planted: dict[int, str], rule: str
) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    ours = [f for f in _scan(cli, tmp_path) if f["rule"].startswith("credential-files.")]
    assert {(f["line"], f["secret"]) for f in ours} == set(planted.items())
    if rule:
        assert {f["rule"] for f in ours} == {rule}
    # One finding per secret: no other rule reports a planted line again (issue 15).
    others = [f for f in _scan(cli, tmp_path) if not f["rule"].startswith("credential-files.")]
    assert not [f for f in others if f["line"] in planted], others


@pytest.mark.parametrize("name,text,planted,rule", PLAIN, ids=[case[0] for case in PLAIN])
def test_same_lines_under_another_name_do_not_fire(
    cli: Callable[..., Result], tmp_path: Path, name: str, text: str, planted: dict[int, str], rule: str
) -> None:
    (tmp_path / "notes.txt").write_text(text)
    assert not [f for f in _scan(cli, tmp_path) if f["rule"].startswith("credential-files.")]


def test_changeme_and_references_are_placeholders(cli: Callable[..., Result], tmp_path: Path) -> None:
    """`changeme` is the conventional fill of a template: dropped, like `${VAR}` and `<…>`."""
    (tmp_path / ".pgpass").write_text(
        "db:5432:app:app:changeme\ndb:5432:app:app:${DB_PASSWORD}\ndb:5432:app:app:<password>\n"
    )
    (tmp_path / ".netrc").write_text("machine db login app password changeme\nmachine x login y password $NETRC_PW\n")
    assert not [f for f in _scan(cli, tmp_path) if f["rule"].startswith("credential-files.")]


def test_example_paths_are_checked_against_path() -> None:
    table = {
        "id": "acme.file",
        "description": "Acme file",
        "pattern": "secret=(?P<secret>\\w+)",
        "keywords": ["secret="],
        "path": "(?:^|/)\\.acmerc$",
        "example_paths": [".acmerc", "acmerc"],
        "negative_example_paths": ["notes.txt", "x/.acmerc"],
        "examples": ["secret=abc"],
        "negative_examples": ["secret="],
    }
    rule = parse_rule(table, source="acme.toml", provider="acme")
    problems = check_paths(rule)
    assert problems == [
        "acme.toml: acme.file: example path is not matched by `path`: 'acmerc'",
        "acme.toml: acme.file: negative example path is matched by `path`: 'x/.acmerc'",
    ]


def test_example_paths_need_a_path() -> None:
    from scanner.errors import RuleError

    table = {
        "id": "acme.token",
        "description": "Acme token",
        "pattern": "acme_(?P<secret>\\w+)",
        "keywords": ["acme_"],
        "example_paths": [".acmerc"],
    }
    with pytest.raises(RuleError, match="example_paths"):
        parse_rule(table, source="acme.toml", provider="acme")


def test_rails_master_key_is_reported_by_its_path(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "config" / "credentials").mkdir(parents=True)
    (tmp_path / "config" / "master.key").write_text(_secret("master", 32, "0123456789abcdef"))
    (tmp_path / "config" / "credentials" / "production.key").write_text(_secret("prod", 32, "0123456789abcdef"))
    (tmp_path / "config" / "master.key.example").write_text("0" * 32)
    found = {(f["rule"], f["file"]) for f in _scan(cli, tmp_path)}
    assert found == {
        ("credential-files.rails-master-key", "config/master.key"),
        ("credential-files.rails-master-key", "config/credentials/production.key"),
    }


def test_unpadded_docker_auth_is_reported_decoded(cli: Callable[..., Result], tmp_path: Path) -> None:
    secret = _secret("unpadded", 17)
    auth = _b64("robot:" + secret)
    assert auth.endswith("="), "the test needs a value that pads"
    (tmp_path / ".dockercfg").write_text(json.dumps({"r.acme.io": {"auth": auth.rstrip("="), "email": "x@acme.io"}}))
    assert [(f["rule"], f["secret"]) for f in _scan(cli, tmp_path)] == [("credential-files.docker-auth", secret)]


def test_a_decoded_weak_value_keeps_its_own_confidence(cli: Callable[..., Result], tmp_path: Path) -> None:
    """A `data:` value is judged decoded: a random one is medium, `hunter2` low (the
    base64 text itself looks random, so judging it encoded would say medium)."""
    strong = _secret("k8sconf", 20)
    (tmp_path / "secret.yaml").write_text(f"kind: Secret\ndata:\n  password: {_b64(strong)}\n  weak: {_b64(WORD)}\n")
    result = cli(["dir", str(tmp_path), "--format", "json", "--no-redact", "--no-progress"])
    found = {(f["secret"], f["confidence"]) for f in json.loads(result.out)}
    assert found == {(strong, "medium"), (WORD, "low")}


def test_kubernetes_secret_rule_stays_fast_on_code_with_a_data_heading() -> None:
    """The stdlib's mimetypes.py has a column-0 `Data:` heading (a keyword of the rule) over
    indented code and blank lines: an earlier pattern, whose lookbehind could split a line's
    leading whitespace in several ways, backtracked for minutes on it."""
    import mimetypes
    import subprocess
    import sys

    code = (
        "import sys; from scanner.rules import load_rule_pack; from scanner.engine.matcher import Matcher; "
        "rule = [r for r in load_rule_pack() if r.id == 'credential-files.kubernetes-secret']; "
        "print(len(Matcher(rule).scan(open(sys.argv[1], 'rb').read())))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, mimetypes.__file__],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip() == "0", done.stderr
