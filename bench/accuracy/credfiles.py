"""Credential files for the accuracy benchmark: the files people leak, where a value is a
credential by its position in the file's syntax (rules/credential-files.toml).

Each generator returns a path (the file's real name, under the caller's directory) and its
lines, some labelled: planted credentials (`kind` "credfile": random passwords and tokens,
and word-like weak passwords such as `hunter2`, which these files hold as often as strong
ones) and decoys (placeholders, `${VAR}` references, empty values, commented-out lines,
encrypted values). Everything is drawn from the seeded `rng` at run time.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["GENERATORS", "Line", "credential_file"]

WORDS = """amber anchor badger bamboo banjo barley beacon birch bison bramble breeze cactus canyon
cedar cherry cinder clover cobalt comet copper coral crane creek cypress dahlia delta dune eagle
ember falcon fjord flint fossil galaxy garnet ginger glacier granite harbor hazel heron hickory
indigo iris jasmine juniper kestrel lagoon lantern lichen lilac lotus lynx magnet mango maple
marble meadow nectar nimbus oasis olive onyx opal orbit orchid osprey otter panda pebble pepper
plum polar poppy prairie prism puma quail quartz quill raven ridge robin rowan saffron salmon
sequoia sierra slate sparrow spruce summit swift thistle thunder tiger timber topaz tundra tulip
velvet violet walnut willow zephyr""".split()
NAMES = ["alice", "bob", "deploy", "ci", "ops", "jenkins", "backup", "svc-orders", "etl", "admin", "robot", "mlopez"]
HOSTS = ["db", "pg", "files", "git", "registry", "ci", "build", "mail", "smtp", "vault", "api", "sftp"]
DOMAINS = ["acme.io", "internal", "corp.example.net", "prod.acme.io", "eu-west-1.rds.amazonaws.com", "lan"]
PLACEHOLDERS = ["changeme", "<password>", "your_password", "xxxxxxxx", "PASSWORD_HERE", "********", "<your-token>"]
REFERENCES = ["${DB_PASSWORD}", "${SECRET}", "$NETRC_PASSWORD", "{{ db_password }}", "${env:SFTP_PASSWORD}"]


@dataclass(frozen=True)
class Line:
    """One line of a generated file; `kind` "credfile" or "decoy" labels it (`span` lines)."""

    text: str
    kind: str = ""
    category: str = ""
    secret: str = ""
    span: int = 1


def host(rng: random.Random) -> str:
    return f"{rng.choice(HOSTS)}{rng.choice(['', '1', '-01', '-prod'])}.{rng.choice(DOMAINS)}"


def user(rng: random.Random) -> str:
    return rng.choice(NAMES)


def weak(rng: random.Random) -> str:
    """A word-like password: a word and a digit or year, a name and a digit."""
    word = rng.choice(WORDS + ["hunter", "dragon", "sunshine", "monkey", "shadow", "letmein"])
    return rng.choice([f"{word}{rng.randrange(1, 10)}", f"{word}{rng.randrange(1970, 2026)}", f"{word.capitalize()}!"])


def strong(rng: random.Random, *, symbols: str = "!@#%^&*-_+=.") -> str:
    style = rng.randrange(3)
    if style == 0:
        return f"{rng.choice(WORDS).capitalize()}{rng.choice(symbols)}{rng.choice(WORDS)}{rng.randrange(10, 9999)}"
    alphabet = string.ascii_letters + string.digits + (symbols if style == 1 else "")
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12, 28)))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def secret(rng: random.Random, *, symbols: str = "!@#%^&*-_+=.") -> str:
    """A password people use: word-like and weak about a third of the time."""
    return weak(rng) if rng.random() < 0.35 else strong(rng, symbols=symbols)


def token(rng: random.Random, length: int = 40) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def decoy_value(rng: random.Random) -> tuple[str, str]:
    """(category, value) of a value that is not a credential."""
    if rng.random() < 0.5:
        return "placeholder", rng.choice(PLACEHOLDERS)
    return "reference", rng.choice(REFERENCES)


def sample(rng: random.Random) -> str:
    """What a commented-out template entry holds: a commented-out real password would be a
    leak all the same, so commented decoys are the samples config files ship with."""
    return rng.choice(["yourpassword", "mypassword", "secret", "password", "pass", "me@example.com", "PASSWORD"])


def planted(text: str, value: str, category: str, span: int = 1) -> Line:
    return Line(text, "credfile", category, value, span)


def decoy(text: str, category: str) -> Line:
    return Line(text, "decoy", category)


# ---------------------------------------------------------------- the files


def pgpass(rng: random.Random) -> tuple[str, list[Line]]:
    lines = [Line("# hostname:port:database:username:password")]
    for _ in range(rng.randrange(1, 4)):
        pw = secret(rng).replace("\\", "").replace(":", "\\:")
        port = rng.choice(["5432", "5433", "6432", "*"])
        lines.append(planted(f"{host(rng)}:{port}:{rng.choice(['orders', 'app', '*'])}:{user(rng)}:{pw}", pw, "pgpass"))
    category, value = decoy_value(rng)
    lines.append(decoy(f"localhost:5432:*:{user(rng)}:{value}", category))
    lines.append(decoy(f"#{host(rng)}:5432:*:{user(rng)}:{sample(rng)}", "commented"))
    return rng.choice([".pgpass", "home/deploy/.pgpass", "AppData/Roaming/postgresql/pgpass.conf"]), lines


def _netrc_value(rng: random.Random) -> str:
    return secret(rng, symbols="!@#%^&*-_+=.")


def netrc(rng: random.Random) -> tuple[str, list[Line]]:
    lines: list[Line] = []
    for _ in range(rng.randrange(1, 4)):
        pw = _netrc_value(rng)
        layout = rng.randrange(3)
        if layout == 0:
            lines.append(planted(f"machine {host(rng)} login {user(rng)} password {pw}", pw, "netrc-one-line"))
        elif layout == 1:
            lines += [Line(f"machine {host(rng)}"), Line(f"  login {user(rng)}")]
            lines.append(planted(f"  password {pw}", pw, "netrc-lines"))
        else:
            lines += [Line(f"machine {host(rng)}"), Line(f"login {user(rng)}"), Line("password")]
            lines.append(planted(f"  {pw}", pw, "netrc-next-line"))
    if rng.random() < 0.5:
        pw = _netrc_value(rng)
        lines.append(planted(f"default login anonymous password {pw}", pw, "netrc-default"))
    category, value = decoy_value(rng)
    lines.append(decoy(f"machine {host(rng)} login {user(rng)} password {value}", category))
    if rng.random() < 0.5:
        lines.append(decoy(f"# machine example.com login {user(rng)} password {sample(rng)}", "commented"))
    return rng.choice([".netrc", "home/ci/.netrc", "Users/ops/_netrc"]), lines


def git_credentials(rng: random.Random) -> tuple[str, list[Line]]:
    lines = []
    for _ in range(rng.randrange(1, 4)):
        pw = secret(rng, symbols="-_.~") if rng.random() < 0.7 else token(rng, 32)
        lines.append(planted(f"https://{user(rng)}:{pw}@{host(rng)}", pw, "git-credentials"))
    lines.append(decoy(f"https://{user(rng)}@{host(rng)}", "no-password"))
    lines.append(decoy(f"https://{user(rng)}:${{GIT_TOKEN}}@{host(rng)}", "reference"))
    return rng.choice([".git-credentials", "home/ci/.git-credentials"]), lines


def npmrc(rng: random.Random) -> tuple[str, list[Line]]:
    registry = f"//npm.{rng.choice(DOMAINS)}/"
    lines = [Line("registry=https://registry.npmjs.org/"), Line("always-auth=true")]
    tok = token(rng, 36)
    lines.append(planted(f"{registry}:_authToken={tok}", tok, "npmrc-token"))
    pw = secret(rng)
    if rng.random() < 0.5:
        lines.append(planted(f"{registry}:_auth={b64(user(rng) + ':' + pw)}", pw, "npmrc-auth"))
    else:
        lines.append(planted(f"{registry}:_password={b64(pw)}", pw, "npmrc-password"))
    lines.append(decoy("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "reference"))
    lines.append(decoy(f"# {registry}:_authToken={sample(rng)}", "commented"))
    return rng.choice([".npmrc", "frontend/.npmrc"]), lines


def yarnrc(rng: random.Random) -> tuple[str, list[Line]]:
    tok, pw = token(rng, 36), secret(rng, symbols="!#%^&*-_+=.")
    return ".yarnrc.yml", [
        Line("nodeLinker: node-modules"),
        Line("npmScopes:"),
        Line("  acme:"),
        Line(f'    npmRegistryServer: "https://npm.{rng.choice(DOMAINS)}"'),
        planted(f'    npmAuthToken: "{tok}"', tok, "yarnrc-token"),
        planted(f'    npmAuthIdent: "{user(rng)}:{pw}"', pw, "yarnrc-ident"),
        decoy('npmAuthToken: "${NPM_TOKEN}"', "reference"),
    ]


def docker_config(rng: random.Random) -> tuple[str, list[Line]]:
    lines = [Line("{"), Line('  "auths": {')]
    for _ in range(rng.randrange(1, 4)):
        pw = secret(rng)
        auth = b64(f"{user(rng)}:{pw}")
        if rng.random() < 0.4:
            auth = auth.rstrip("=")
        lines.append(planted(f'    "{host(rng)}": {{"auth": "{auth}"}},', pw, "docker-auth"))
    if rng.random() < 0.5:
        tok = token(rng, 48)
        lines.append(planted(f'    "{host(rng)}": {{"identitytoken": "{tok}"}},', tok, "docker-identitytoken"))
    lines += [Line('    "https://index.docker.io/v1/": {}'), Line("  },"), Line('  "credsStore": "desktop"'), Line("}")]
    return rng.choice([".docker/config.json", "home/ci/.docker/config.json"]), lines


def dockercfg(rng: random.Random) -> tuple[str, list[Line]]:
    pw = secret(rng)
    auth = b64(f"{user(rng)}:{pw}")
    line = json.dumps({host(rng): {"auth": auth, "email": f"{user(rng)}@acme.io"}})
    return ".dockercfg", [planted(line, pw, "dockercfg")]


def s3cfg(rng: random.Random) -> tuple[str, list[Line]]:
    key = token(rng, 40)
    key_id = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    # The key id is a provider token of its own (aws.access-key-id), labelled as one.
    lines = [Line("[default]"), Line(f"access_key = {key_id}", "provider", "aws.access-key-id", key_id)]
    lines.append(Line(f"host_base = s3.{rng.choice(DOMAINS)}"))
    lines.append(planted(f"secret_key = {key}", key, "s3cfg-secret"))
    if rng.random() < 0.6:
        pw = secret(rng)
        lines.append(planted(f"gpg_passphrase = {pw}", pw, "s3cfg-gpg"))
    else:
        lines.append(decoy("gpg_passphrase = ", "empty"))
    lines.append(Line("use_https = True"))
    return rng.choice([".s3cfg", "home/backup/.s3cfg"]), lines


def filezilla(rng: random.Random) -> tuple[str, list[Line]]:
    lines = [Line('<?xml version="1.0" encoding="UTF-8"?>'), Line('<FileZilla3 version="3.66.1">'), Line("<Servers>")]
    for _ in range(rng.randrange(1, 3)):
        encoded = b64(secret(rng))
        lines += [Line("<Server>"), Line(f"<Host>{host(rng)}</Host>"), Line(f"<User>{user(rng)}</User>")]
        lines += [planted(f'<Pass encoding="base64">{encoded}</Pass>', encoded, "filezilla"), Line("</Server>")]
    lines.append(decoy(f'<Pass encoding="crypt" pubkey="{token(rng, 40)}">{token(rng, 44)}</Pass>', "encrypted"))
    lines += [Line("</Servers>"), Line("</FileZilla3>")]
    return rng.choice(["sitemanager.xml", "AppData/Roaming/FileZilla/recentservers.xml"]), lines


def winscp(rng: random.Random) -> tuple[str, list[Line]]:
    obfuscated = "".join(rng.choice("0123456789ABCDEF") for _ in range(rng.choice((36, 52, 68))))
    lines = [Line(f"[Sessions\\{user(rng)}@{host(rng)}]"), Line(f"HostName={host(rng)}"), Line(f"UserName={user(rng)}")]
    # confidence = "low" would apply (branch `confidence`): obfuscated, not plain.
    lines.append(planted(f"Password={obfuscated}", obfuscated, "winscp"))
    lines.append(decoy("PasswordPlain=", "empty"))
    return rng.choice(["WinSCP.ini", "AppData/Roaming/winscp.ini"]), lines


def client_json(rng: random.Random) -> tuple[str, list[Line]]:
    pw = secret(rng)
    path = rng.choice([".vscode/sftp.json", "sftp-config.json", ".remote-sync.json", ".ftpconfig"])
    lines = [Line("{"), Line(f'    "host": "{host(rng)}",'), Line(f'    "username": "{user(rng)}",')]
    lines.append(planted(f'    "password": "{pw}",', pw, "sftp-json"))
    if rng.random() < 0.5:
        lines.append(decoy(f'    //"passphrase": "{sample(rng)}",', "commented"))
    else:
        category, value = decoy_value(rng)
        lines.append(decoy(f'    "passphrase": "{value}",', category))
    lines += [Line('    "remotePath": "/var/www"'), Line("}")]
    return path, lines


def dbeaver(rng: random.Random) -> tuple[str, list[Line]]:
    pw = secret(rng)
    conf = f'"host": "{host(rng)}", "port": "5432", "user": "{user(rng)}", "password": "{pw}"'
    lines = [
        Line("{"),
        Line('  "connections": {'),
        Line('    "postgres-jdbc-1": {'),
        Line('      "driver": "postgres-jdbc",'),
    ]
    lines.append(planted(f'      "configuration": {{{conf}}}', pw, "dbeaver"))
    lines += [Line("    }"), Line("  }"), Line("}")]
    return ".dbeaver/data-sources.json", lines


def robo3t(rng: random.Random) -> tuple[str, list[Line]]:
    pw = secret(rng)
    return rng.choice([".3T/robo-3t/1.4.4/robo3t.json", "robomongo.json"]), [
        Line("{"),
        Line('    "connections": [{'),
        Line(f'        "serverHost": "{host(rng)}",'),
        Line(f'        "credentials": [{{"userName": "{user(rng)}", "databaseName": "admin",'),
        planted(f'            "userPassword": "{pw}"}}]', pw, "robo3t"),
        Line("    }]"),
        Line("}"),
    ]


def terraform_state(rng: random.Random) -> tuple[str, list[Line]]:
    pw, key = secret(rng), base64.b64encode(rng.randbytes(48)).decode()
    return rng.choice(["terraform.tfstate", "envs/prod/terraform.tfstate.backup"]), [
        Line("{"),
        Line('  "version": 4,'),
        Line('  "resources": [{"type": "aws_db_instance", "instances": [{"attributes": {'),
        Line(f'            "username": "{user(rng)}",'),
        planted(f'            "password": "{pw}",', pw, "tfstate-password"),
        planted(f'            "primary_access_key": "{key}",', key, "tfstate-key"),
        decoy('            "password_length": 16,', "not-a-value"),
        Line('            "port": 5432'),
        Line("  }}]}]"),
        Line("}"),
    ]


def htpasswd(rng: random.Random) -> tuple[str, list[Line]]:
    alphabet = "./" + string.ascii_letters + string.digits
    lines = []
    for _ in range(rng.randrange(1, 4)):
        style = rng.randrange(3)
        if style == 0:
            hashed = "$apr1$" + "".join(rng.choice(alphabet) for _ in range(8)) + "$"
            hashed += "".join(rng.choice(alphabet) for _ in range(22))
        elif style == 1:
            hashed = "$2y$05$" + "".join(rng.choice(alphabet) for _ in range(53))
        else:
            hashed = "{SHA}" + base64.b64encode(rng.randbytes(20)).decode()
        # confidence = "low" would apply (branch `confidence`): a hash, cracked offline.
        lines.append(planted(f"{user(rng)}:{hashed}", hashed, "htpasswd"))
    lines.append(decoy(f"# {user(rng)}:$apr1$disabled$", "commented"))
    return rng.choice([".htpasswd", "nginx/.htpasswd-admin"]), lines


def esmtprc(rng: random.Random) -> tuple[str, list[Line]]:
    pw = secret(rng)
    return rng.choice([".esmtprc", "etc/esmtprc"]), [
        Line(f"hostname = {host(rng)}:587"),
        Line(f"username = {user(rng)}@acme.io"),
        planted(f"password = {pw}", pw, "esmtprc"),
        decoy(f"# password = {sample(rng)}", "commented"),
        Line("starttls = required"),
    ]


def jenkins(rng: random.Random) -> tuple[str, list[Line]]:
    encrypted = "{AQAAABAAAAAQ" + base64.b64encode(rng.randbytes(36)).decode() + "}"
    return rng.choice(["credentials.xml", "var/jenkins_home/credentials.xml"]), [
        Line("<?xml version='1.1' encoding='UTF-8'?>"),
        Line("<com.cloudbees.plugins.credentials.SystemCredentialsProvider>"),
        Line("  <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>"),
        Line(f"    <id>{rng.choice(WORDS)}-deploy</id>"),
        Line(f"    <username>{user(rng)}</username>"),
        # confidence = "low" would apply (branch `confidence`): needs the controller's key.
        planted(f"    <password>{encrypted}</password>", encrypted.strip("{}"), "jenkins"),
        decoy("    <description></description>", "empty"),
        Line("  </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>"),
        Line("</com.cloudbees.plugins.credentials.SystemCredentialsProvider>"),
    ]


def wp_config(rng: random.Random) -> tuple[str, list[Line]]:
    pw = secret(rng).replace("'", "")
    salt_chars = string.ascii_letters + string.digits + "!@#$%^&*()-_=+[]{}<>~`|;:,./?"
    lines = [Line("<?php"), Line("define( 'DB_NAME', 'wordpress' );"), Line(f"define( 'DB_USER', '{user(rng)}' );")]
    lines.append(planted(f"define( 'DB_PASSWORD', '{pw}' );", pw, "wp-config"))
    for name in rng.sample(["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "NONCE_SALT"], 3):
        salt = "".join(rng.choice(salt_chars) for _ in range(64)).replace("'", "")
        lines.append(planted(f"define( '{name}', '{salt}' );", salt, "wp-salt"))
    lines.append(decoy("define( 'LOGGED_IN_SALT', 'put your unique phrase here' );", "placeholder"))
    lines.append(Line("$table_prefix = 'wp_';"))
    return rng.choice(["wp-config.php", "public_html/wp-config.php"]), lines


def django_settings(rng: random.Random) -> tuple[str, list[Line]]:
    alphabet = string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)"
    key = "".join(rng.choice(alphabet) for _ in range(50))
    if rng.random() < 0.4:
        key = "django-insecure-" + key
    lines = [Line("from pathlib import Path"), Line("BASE_DIR = Path(__file__).resolve().parent.parent")]
    lines.append(planted(f"SECRET_KEY = '{key}'", key, "django-secret-key"))
    lines.append(decoy("# SECRET_KEY = os.environ['DJANGO_SECRET_KEY']", "commented"))
    lines += [Line("DEBUG = False"), Line("ALLOWED_HOSTS = ['.acme.io']")]
    return rng.choice(["mysite/settings.py", "config/settings/production.py"]), lines


def rails_master_key(rng: random.Random) -> tuple[str, list[Line]]:
    key = rng.randbytes(16).hex()
    return rng.choice(["config/master.key", "config/credentials/production.key"]), [
        planted(key, key, "rails-master-key")
    ]


def rails_secrets(rng: random.Random) -> tuple[str, list[Line]]:
    key = rng.randbytes(64).hex()
    return "config/secrets.yml", [
        Line("development:"),
        planted(f"  secret_key_base: {key}", key, "rails-secrets"),
        Line("production:"),
        decoy('  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>', "reference"),
    ]


def k8s_secret(rng: random.Random) -> tuple[str, list[Line]]:
    name = rng.choice(WORDS)
    entries: list[Line] = [Line(f"  username: {b64(user(rng))}")]
    encoded = rng.random() < 0.6
    for key in rng.sample(["password", "api-token", "smtp-pass", "credentials", "webhook", "admin-pw"], 2):
        value = secret(rng) if rng.random() < 0.7 else token(rng, 32)
        entries.append(
            planted(
                f"  {key}: {b64(value) if encoded else value}", value, "k8s-" + ("data" if encoded else "stringdata")
            )
        )
    category, value = decoy_value(rng)
    entries.append(decoy(f"  legacy-pw: {b64(value) if encoded else repr(value)}", category))
    block = [Line("data:" if encoded else "stringData:"), *entries]
    head = [Line("apiVersion: v1"), Line("metadata:"), Line(f"  name: {name}"), Line("type: Opaque")]
    kind = Line("kind: Secret")
    lines = [head[0], *block, kind, *head[1:]] if rng.random() < 0.5 else [head[0], kind, *head[1:], *block]
    lines += [Line("---"), Line("apiVersion: v1"), Line("kind: ConfigMap"), Line("data:")]
    lines.append(decoy(f"  LOG_LEVEL: {rng.choice(['info', 'debug'])}", "configmap"))
    return rng.choice([f"k8s/{name}-secret.yaml", f"deploy/{name}.yml"]), lines


def ansible_vars(rng: random.Random) -> tuple[str, list[Line]]:
    if rng.random() < 0.5:
        pw, vault = secret(rng), secret(rng)
        return rng.choice(["group_vars/all.yml", "inventories/prod/group_vars/web.yml", "host_vars/db1.yml"]), [
            Line("---"),
            Line(f"ansible_user: {user(rng)}"),
            planted(f"ansible_password: {pw}", pw, "ansible-yaml"),
            planted(f'vault_{rng.choice(["db", "smtp", "api"])}_password: "{vault}"', vault, "ansible-vault-plain"),
            decoy('ansible_become_password: "{{ vault_become_password }}"', "reference"),
            decoy("vault_api_token: !vault |", "encrypted"),
            Line(f"vault_addr: https://{host(rng)}:8200"),
        ]
    pw, become = secret(rng, symbols="!@#%^&*-_+=."), secret(rng)
    return rng.choice(["inventory", "hosts.ini", "inventories/staging/hosts"]), [
        Line("[web]"),
        planted(f"web1 ansible_host=10.0.0.{rng.randrange(2, 250)} ansible_ssh_pass={pw}", pw, "ansible-ini"),
        Line("[all:vars]"),
        Line(f"ansible_user={user(rng)}"),
        planted(f'ansible_become_pass="{become}"', become, "ansible-ini"),
        decoy("# ansible_password=" + sample(rng), "commented"),
    ]


def shell_profile(rng: random.Random) -> tuple[str, list[Line]]:
    pw, tok = secret(rng).replace("'", ""), token(rng, 36)
    name = rng.choice(["DB_PASSWORD", "PGPASSWORD", "SMTP_PASS", "VAULT_TOKEN", "JIRA_API_TOKEN", "NEXUS_PASSWORD"])
    return rng.choice([".bashrc", ".zshrc", ".profile", "home/ops/.bash_profile"]), [
        Line("export PATH=$HOME/bin:$PATH"),
        Line("alias ll='ls -alF'"),
        planted(f"export {name}='{pw}'", pw, "shell-export"),
        planted(f"export {rng.choice(['GITLAB', 'ARTIFACTORY', 'SENTRY'])}_TOKEN={tok}", tok, "shell-export"),
        decoy("export GITHUB_TOKEN=$(pass show github/token)", "reference"),
        decoy(f"# export OLD_PASSWORD={sample(rng)}", "commented"),
        Line("export HISTSIZE=10000"),
    ]


GENERATORS: list[Callable[[random.Random], tuple[str, list[Line]]]] = [
    pgpass, netrc, git_credentials, npmrc, yarnrc, docker_config, dockercfg, s3cfg, filezilla, winscp,
    client_json, dbeaver, robo3t, terraform_state, htpasswd, esmtprc, jenkins, wp_config, django_settings,
    rails_master_key, rails_secrets, k8s_secret, ansible_vars, shell_profile,
]  # fmt: skip


def credential_file(index: int, rng: random.Random) -> tuple[str, list[Line]]:
    """The `index`-th credential file: every syntax in turn, then at random."""
    generator = GENERATORS[index] if index < len(GENERATORS) else rng.choice(GENERATORS)
    return generator(rng)
