"""Held-out provider token formats: written from providers' documented formats and the
format facts peer scanners publish, never from keysweep's own rule examples.

Each `Format` is a compact template; `tokens(rng)` draws fresh values from it. Template
fields (N or N-M characters):

    {hex:N}  lowercase hex         {HEX:N}    uppercase hex
    {alnum:N} A-Za-z0-9            {lower:N}  a-z0-9         {upper:N}  A-Z0-9
    {alpha:N} A-Za-z               {digits:N} 0-9            {letters:N} a-z
    {b64:N}  A-Za-z0-9+/           {b64url:N} A-Za-z0-9_-    {bech32:N} bech32 alphabet, upper
    {b32:N}  A-Z2-7 (base32)        {b32l:N}   a-z2-7         {ulid:N}   Crockford base32, lower
    {uuid}   a random UUID (lowercase)  {bytes:N} N random bytes (inside an encoding only)

`<b64:...>`, `<b64url:...>` (unpadded) encode what they enclose, after drawing its fields:
for formats that are base64 of a JSON object or a binary structure (backslash-x-NN is a byte).
Anything else is literal. Literal prefixes are written as they are documented; a template is
not a token (its fields are not drawn), so this file scans clean.

`checksum` names a check the real format carries that the template does not compute: keysweep
should still report such a token, at low confidence (`suffix="crc32"` computes one: the
uppercase hex CRC32 of the whole token before it, Atlassian's) (the benchmark scans at `--min-confidence
low`). `source` says where the format's facts come from: a provider's documentation, or a peer
scanner's rule file (`gitleaks:` is github.com/gitleaks/gitleaks cmd/generate/config/rules/,
`kingfisher:` is github.com/mongodb/kingfisher data/rules/, `trufflehog:` is
github.com/trufflesecurity/trufflehog pkg/detectors/), read for the facts only.
"""

from __future__ import annotations

import base64
import random
import re
import string
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

ALPHABETS = {
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "alnum": string.ascii_letters + string.digits,
    "lower": string.ascii_lowercase + string.digits,
    "upper": string.ascii_uppercase + string.digits,
    "alpha": string.ascii_letters,
    "letters": string.ascii_lowercase,
    "digits": string.digits,
    "b64": string.ascii_letters + string.digits + "+/",
    "b64url": string.ascii_letters + string.digits + "_-",
    "bech32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
    "b32": string.ascii_uppercase + "234567",
    "b32l": string.ascii_lowercase + "234567",
    "ulid": "0123456789abcdefghjkmnpqrstvwxyz",
}
FIELD = re.compile(r"\{(\w+)(?::(\d+)(?:-(\d+))?)?\}")
ENCODED = re.compile(r"<(b64|b64url):([^<>]*)>")
BYTE = re.compile(r"\\x([0-9a-fA-F]{2})")


@dataclass(frozen=True)
class Format:
    """One provider credential format. `name` is the provider and kind, `template` its shape."""

    name: str
    template: str
    source: str
    checksum: str = ""
    suffix: str = ""  # "crc32": append the hex CRC32 of the token so far

    @property
    def provider(self) -> str:
        """A variable-name stem: `GitLab deploy token` -> `gitlab`."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.split(" (")[0].split()[0].lower()).strip("_")

    def token(self, rng: random.Random) -> str:
        def draw(match: re.Match[str]) -> str:
            kind, low, high = match.group(1), match.group(2), match.group(3)
            if kind == "uuid":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if kind == "bytes" and low is not None:
                return rng.randbytes(int(low)).decode("latin-1")
            if kind not in ALPHABETS or low is None:
                raise ValueError(f"{self.name}: bad field {match.group(0)}")
            n = rng.randint(int(low), int(high)) if high else int(low)
            alphabet = ALPHABETS[kind]
            while True:
                value = "".join(rng.choice(alphabet) for _ in range(n))
                # A drawn run of letters only (or digits only) is rare in a real token: redraw
                # long mixed-alphabet fields until they mix.
                if n < 12 or kind not in ("alnum", "lower", "upper", "b64", "b64url"):
                    return value
                if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                    return value

        def encode(match: re.Match[str]) -> str:
            inner = FIELD.sub(draw, BYTE.sub(lambda m: chr(int(m.group(1), 16)), match.group(2)))
            raw = inner.encode("latin-1")
            if match.group(1) == "b64":
                return base64.b64encode(raw).decode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        token = FIELD.sub(draw, ENCODED.sub(encode, self.template))
        if self.suffix == "crc32":
            token += f"{zlib.crc32(token.encode()):08X}"
        return token


def tokens(rng: random.Random, per_format: int = 2) -> Iterator[tuple[Format, str]]:
    """`per_format` fresh tokens of every format, in table order."""
    for fmt in FORMATS:
        for _ in range(per_format):
            yield fmt, fmt.token(rng)


F = Format
GL = "gitleaks:"
KF = "kingfisher:"
TH = "trufflehog:"

FORMATS: tuple[Format, ...] = (
    # ------------------------------------------------------------------ AI and ML
    F("Anthropic API key", "sk-ant-api03-{b64url:93}AA", "https://docs.anthropic.com/en/api/overview"),
    F("Anthropic admin key", "sk-ant-admin01-{b64url:93}AA", "https://docs.anthropic.com/en/api/administration-api"),
    F("Anthropic OAuth token", "sk-ant-oat01-{b64url:93}AA", GL + "claude_code.go"),
    F("OpenAI project key", "sk-proj-{b64url:74}T3BlbkFJ{b64url:74}", GL + "openai.go"),
    F("OpenAI service account key", "sk-svcacct-{b64url:74}T3BlbkFJ{b64url:74}", GL + "openai.go"),
    F("OpenAI admin key", "sk-admin-{b64url:74}T3BlbkFJ{b64url:74}", GL + "openai.go"),
    F("OpenAI legacy key", "sk-{alnum:20}T3BlbkFJ{alnum:20}", GL + "openai.go"),
    F("Groq API key", "gsk_{alnum:52}", GL + "groq.go"),
    F("Hugging Face user token", "hf_{alpha:34}", "https://huggingface.co/docs/hub/security-tokens"),
    F("Hugging Face org token", "api_org_{alpha:34}", GL + "huggingface.go"),
    F("Replicate API token", "r8_{alnum:37}", KF + "replicate.yml"),
    F("Perplexity API key", "pplx-{alnum:48}", GL + "perplexity.go"),
    F("xAI API key", "xai-{alnum:80}", KF + "xai.yml"),
    F("OpenRouter API key", "sk-or-v1-{hex:64}", KF + "openrouter.yml"),
    F("Together AI key", "tgp_v1_{b64url:43}", KF + "together.yml"),
    F("LangSmith personal token", "lsv2_pt_{hex:32}_{hex:10}", GL + "langsmith.go"),
    F("LangSmith service key", "lsv2_sk_{hex:32}_{hex:10}", GL + "langsmith.go"),
    F("Tavily API key", "tvly-{alnum:32}", KF + "tavily.yml"),
    F("Tavily dev key", "tvly-dev-{alnum:32}", KF + "tavily.yml"),
    F("Firecrawl API key", "fc-{hex:32}", KF + "firecrawl.yml"),
    F("ElevenLabs API key", "sk_{hex:48}", KF + "elevenlabs.yml"),
    F("Cerebras API key", "csk-{lower:48}", KF + "cerebras.yml"),
    F("NVIDIA API key", "nvapi-{b64url:64}", KF + "nvidia.yml"),
    F("Google Gemini API key", "AIza{b64url:35}", "https://ai.google.dev/gemini-api/docs/api-key"),
    F("Voyage AI key", "pa-{b64url:43}", KF + "voyage.yml"),
    F("Langfuse secret key", "sk-lf-{uuid}", "https://langfuse.com/docs/api"),
    F("Anyscale API key", "esecret_{lower:26}", KF + "anyscale.yml"),
    F("Jina AI key", "jina_{hex:32}{b64url:28}", KF + "jina.yml"),
    F("Mem0 API key", "m0-{alnum:40}", KF + "mem0.yml"),
    F("E2B API key", "e2b_{hex:40}", KF + "e2b.yml"),
    F("Browserbase API key", "bb_live_{b64url:27}", KF + "browserbase.yml"),
    F("Scale AI key", "live_{hex:32}", KF + "scale.yml"),
    F("LlamaCloud API key", "llx-{alnum:48}", KF + "llamacloud.yml"),
    F("Runway API key", "key_{hex:128}", KF + "runway.yml"),
    F("Luma AI key", "luma-{uuid}-{uuid}", KF + "luma.yml"),
    F("Nomic API key", "nk-{b64url:43}", KF + "nomic.yml"),
    F("ScrapeGraph API key", "sgai-{uuid}", KF + "scrapegraph.yml"),
    F("PromptLayer API key", "pl_{hex:32}", KF + "promptlayer.yml"),
    F("Fal API key", "{uuid}:{hex:32}", KF + "fal.yml"),
    F("Murf API key", "ap2_{uuid}", KF + "murf.yml"),
    F("Modal token secret", "as-{alnum:22}", KF + "modal.yml"),
    F("Apify API token", "apify_api_{alnum:36}", KF + "apify.yml"),
    F("Featherless API key", "rc_{hex:64}", KF + "featherless.yml"),
    F("Xata API key", "xau_{alnum:32}", KF + "xata.yml"),
    # ------------------------------------------------------------------ source hosting, CI
    F("GitHub personal access token", "ghp_{alnum:36}", GL + "github.go", checksum="crc32 base62"),
    F("GitHub OAuth token", "gho_{alnum:36}", GL + "github.go", checksum="crc32 base62"),
    F("GitHub user-to-server token", "ghu_{alnum:36}", GL + "github.go", checksum="crc32 base62"),
    F("GitHub server-to-server token", "ghs_{alnum:36}", GL + "github.go", checksum="crc32 base62"),
    F("GitHub refresh token", "ghr_{alnum:76}", GL + "github.go"),
    F("GitHub fine-grained token", "github_pat_{alnum:22}_{alnum:59}", GL + "github.go"),
    F("GitLab personal access token", "glpat-{b64url:20}", "https://docs.gitlab.com/ee/security/tokens/"),
    F("GitLab deploy token", "gldt-{b64url:20}", "https://docs.gitlab.com/ee/security/tokens/"),
    F("GitLab runner token", "glrt-{b64url:20}", "https://docs.gitlab.com/ee/security/tokens/"),
    F("GitLab runner registration token", "GR1348941{b64url:20}", GL + "gitlab.go"),
    F("GitLab pipeline trigger token", "glptt-{hex:40}", "https://docs.gitlab.com/ee/security/tokens/"),
    F("GitLab CI job token", "glcbt-{hex:1}_{b64url:20}", GL + "gitlab.go"),
    F("GitLab incoming mail token", "glimt-{lower:25}", GL + "gitlab.go"),
    F("GitLab agent token", "glagent-{b64url:50}", GL + "gitlab.go"),
    F("GitLab OAuth app secret", "gloas-{hex:64}", GL + "gitlab.go"),
    F("GitLab SCIM token", "glsoat-{b64url:20}", GL + "gitlab.go"),
    F("GitLab feature flag token", "glffct-{b64url:20}", GL + "gitlab.go"),
    F("GitLab feed token", "glft-{b64url:20}", GL + "gitlab.go"),
    F("Bitbucket app password", "ATBB{alnum:24}", KF + "bitbucket.yml", suffix="crc32"),
    F("Atlassian API token", "ATATT3xFfGF0{b64url:171}=", GL + "atlassian.go", suffix="crc32"),
    F("Atlassian repo access token", "ATCTT3xFfGN0{b64url:171}=", KF + "atlassian.yml", suffix="crc32"),
    F("Trello token", "ATTA{hex:64}{HEX:8}", KF + "trello.yml"),
    F("Azure DevOps PAT", "{alnum:52}JQQJ99{alnum:18}AZDO{alnum:4}", KF + "azuredevops.yml"),
    F("CircleCI personal token", "CCIPAT_{alnum:22}_{hex:40}", KF + "circleci.yml"),
    F("CircleCI project token", "CCIPRJ_{alnum:22}_{hex:40}", KF + "circleci.yml"),
    F("Buildkite API token", "bkua_{hex:40}", KF + "buildkite.yml"),
    F("Sourcegraph access token", "sgp_{hex:40}", KF + "sourcegraph.yml"),
    F("Sourcegraph instance token", "sgp_{hex:16}_{hex:40}", KF + "sourcegraph.yml"),
    F("SonarQube user token", "squ_{hex:40}", KF + "sonarqube.yml"),
    F("SonarQube project token", "sqp_{hex:40}", KF + "sonarqube.yml"),
    F("SonarQube global token", "sqa_{hex:40}", KF + "sonarqube.yml"),
    F("Harness PAT", "pat.{b64url:22}.{hex:24}.{alnum:20}", GL + "harness.go"),
    F("Octopus Deploy API key", "API-{upper:26}", "https://octopus.com/docs/octopus-rest-api/how-to-create-an-api-key"),
    F("TeamCity access token", "eyJ0eXAiOiAiVENWMiJ9.{b64url:36}.{b64url:48}", KF + "teamcity.yml"),
    F("Postman API key", "PMAK-{hex:24}-{hex:34}", GL + "postman.go"),
    F("Prefect API key", "pnu_{alnum:36}", GL + "prefect.go"),
    F("Infracost API key", "ico-{alnum:32}", GL + "infracost.go"),
    F("ReadMe API key", "rdme_{lower:70}", GL + "readme.go"),
    F("Rootly API key", "rootly_{hex:64}", KF + "rootly.yml"),
    F("Chromatic project token", "chpt_{hex:14}", KF + "chromatic.yml"),
    F("Deno Deploy token", "ddp_{alnum:36}", KF + "deno.yml"),
    F("Deno subhosting token", "ddw_{alnum:36}", KF + "deno.yml"),
    F("Settlemint personal token", "sm_pat_{alnum:16}", GL + "settlemint.go"),
    F("Settlemint application token", "sm_aat_{alnum:16}", GL + "settlemint.go"),
    F("Settlemint service token", "sm_sat_{alnum:16}", GL + "settlemint.go"),
    # ------------------------------------------------------------------ package registries
    F("npm access token", "npm_{alnum:36}", "https://docs.npmjs.com/about-access-tokens", checksum="crc32 base62"),
    F(
        "PyPI upload token",
        r"pypi-<b64url:\x02\x01\x08pypi.org\x02\x24{uuid}\x00\x00\x06\x20{bytes:32}>",
        "https://pypi.org/help/#apitoken",
    ),
    F(
        "TestPyPI upload token",
        r"pypi-<b64url:\x02\x01\x0dtest.pypi.org\x02\x24{uuid}\x00\x00\x06\x20{bytes:32}>",
        "https://test.pypi.org/help/#apitoken",
    ),
    F("RubyGems API key", "rubygems_{hex:48}", "https://guides.rubygems.org/api-key-scopes/"),
    F("crates.io API token", "cio{alnum:32}", KF + "cratesio.yml"),
    F("NuGet API key", "oy2{lower:43}", KF + "nuget.yml"),
    F(
        "Docker Hub personal token",
        "dckr_pat_{b64url:27}",
        "https://docs.docker.com/security/for-developers/access-tokens/",
    ),
    F("Docker Hub org token", "dckr_oat_{b64url:32}", KF + "docker.yml"),
    F("Clojars deploy token", "CLOJARS_{lower:60}", GL + "clojars.go"),
    F("JFrog API key", "AKCp{alnum:69}", GL + "jfrog.go"),
    F("JFrog reference token", "<b64:reftkn:01:{digits:10}:{alnum:32}>", GL + "jfrog.go"),
    F("Portainer access token", "ptr_{b64:43}=", KF + "portainer.yml"),
    # ------------------------------------------------------------------ cloud and infrastructure
    F(
        "AWS access key id",
        "AKIA{b32:16}",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html",
    ),
    F(
        "AWS temporary access key id",
        "ASIA{b32:16}",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html",
    ),
    F("AWS session token", "IQoJb3JpZ2luX2Vj{b64:300-360}", KF + "aws.yml"),
    F("AWS Bedrock API key", "ABSKQmVkcm9ja0FQSUtleS{b64:100-120}", GL + "aws.go"),
    F("Amazon MWS auth token", "amzn.mws.{uuid}", GL + "aws.go"),
    F("Login with Amazon client secret", "amzn1.oa2-cs.v1.{hex:64}", KF + "amazon.yml"),
    F("Google OAuth client secret", "GOCSPX-{b64url:28}", "https://developers.google.com/identity/protocols/oauth2"),
    F("Google OAuth refresh token", "1//0{b64url:99}", GL + "gcp.go"),
    F("Google OAuth access token", "ya29.{b64url:150}", GL + "gcp.go"),
    F("Google API key", "AIza{b64url:35}", "https://cloud.google.com/docs/authentication/api-keys"),
    F("Firebase Cloud Messaging server key", "AAAA{b64url:7}:APA91b{b64url:134}", KF + "firebase.yml"),
    F(
        "Azure storage connection string",
        "DefaultEndpointsProtocol=https;AccountName={letters:12};AccountKey={b64:86}==;EndpointSuffix=core.windows.net",
        "https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string",
    ),
    F(
        "Azure Service Bus connection string",
        "Endpoint=sb://{letters:10}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey={b64:43}=",
        "https://learn.microsoft.com/en-us/azure/service-bus-messaging/service-bus-sas",
    ),
    F(
        "Azure Event Hubs connection string",
        "Endpoint=sb://{letters:10}.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={b64:43}=;"
        "EntityPath={letters:8}",
        "https://learn.microsoft.com/en-us/azure/event-hubs/event-hubs-get-connection-string",
    ),
    F(
        "Azure Cosmos DB connection string",
        "AccountEndpoint=https://{letters:10}.documents.azure.com:443/;AccountKey={b64:86}==;",
        "https://learn.microsoft.com/en-us/azure/cosmos-db/secure-access-to-data",
    ),
    F(
        "Azure IoT Hub connection string",
        "HostName={letters:10}.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey={b64:43}=",
        "https://learn.microsoft.com/en-us/azure/iot-hub/iot-hub-dev-guide-sas",
    ),
    F(
        "Azure SignalR connection string",
        "Endpoint=https://{letters:10}.service.signalr.net;AccessKey={b64:43}=;Version=1.0;",
        "https://learn.microsoft.com/en-us/azure/azure-signalr/concept-connection-string",
    ),
    F(
        "Azure Communication Services connection string",
        "endpoint=https://{letters:10}.communication.azure.com/;accesskey={b64:86}==",
        "https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/create-communication-resource",
    ),
    F(
        "Azure App Configuration connection string",
        "Endpoint=https://{letters:10}.azconfig.io;Id={alnum:4}-l0-s0:{alnum:20};Secret={b64:43}=",
        "https://learn.microsoft.com/en-us/azure/azure-app-configuration/howto-disable-access-key-authentication",
    ),
    F(
        "Azure Cache for Redis connection string",
        "{letters:10}.redis.cache.windows.net:6380,password={b64:43}=,ssl=True,abortConnect=False",
        "https://learn.microsoft.com/en-us/azure/azure-cache-for-redis/cache-configure",
    ),
    F(
        "Azure SAS URL",
        "https://{letters:10}.blob.core.windows.net/{letters:8}?sv=2022-11-02&ss=b&srt=sco&sp=rl"
        "&se=2031-01-01T00:00:00Z&spr=https&sig={alnum:43}%3D",
        "https://learn.microsoft.com/en-us/rest/api/storageservices/create-service-sas",
    ),
    F("Azure AD client secret", "{alnum:3}{digits:1}Q~{b64url:34}", GL + "azure.go"),
    F("Alibaba Cloud access key id", "LTAI{alnum:20}", GL + "alibaba.go"),
    F("Tencent Cloud secret id", "AKID{alnum:32}", KF + "tencent.yml"),
    F("Volcengine access key id", "AKLT{b64:43}", KF + "volcengine.yml"),
    F("DigitalOcean personal token", "dop_v1_{hex:64}", GL + "digitalocean.go"),
    F("DigitalOcean OAuth token", "doo_v1_{hex:64}", GL + "digitalocean.go"),
    F("DigitalOcean refresh token", "dor_v1_{hex:64}", GL + "digitalocean.go"),
    F("Scaleway access key", "SCW{upper:17}", KF + "scaleway.yml"),
    F("Exoscale API key", "EXO{hex:24}", KF + "exoscale.yml"),
    F("Heroku API key", "HRKU-AA{b64url:58}", GL + "heroku.go"),
    F("Fly.io macaroon", "FlyV1 fm2_{b64:300-360}", GL + "flyio.go"),
    F("Fly.io OAuth token", "fo1_{b64url:43}", GL + "flyio.go"),
    F("Render API key", "rnd_{alnum:32}", KF + "render.yml"),
    F("Cloudflare origin CA key", "v1.0-{hex:24}-{hex:146}", GL + "cloudflare.go"),
    F("Akamai client secret", "akab-{lower:16}-{lower:16}", KF + "akamai.yml"),
    F("Tailscale auth key", "tskey-auth-{alnum:12}CNTRL-{alnum:33}", "https://tailscale.com/kb/1085/auth-keys"),
    F("Tailscale API key", "tskey-api-{alnum:12}CNTRL-{alnum:33}", "https://tailscale.com/kb/1101/api"),
    F(
        "Tailscale OAuth client secret",
        "tskey-client-{alnum:12}CNTRL-{alnum:33}",
        "https://tailscale.com/kb/1215/oauth-clients",
    ),
    F("Tailscale webhook secret", "tskey-webhook-{alnum:12}CNTRL-{alnum:33}", "https://tailscale.com/kb/1213/webhooks"),
    F("HashiCorp Vault service token", "hvs.{b64url:90}", "https://developer.hashicorp.com/vault/docs/concepts/tokens"),
    F("HashiCorp Vault batch token", "hvb.{b64url:138}", "https://developer.hashicorp.com/vault/docs/concepts/tokens"),
    F(
        "HashiCorp Vault recovery token",
        "hvr.{b64url:24}",
        "https://developer.hashicorp.com/vault/docs/concepts/tokens",
    ),
    F("Terraform Cloud token", "{alnum:14}.atlasv1.{b64url:67}", GL + "hashicorp.go"),
    F("Pulumi access token", "pul-{hex:40}", GL + "pulumi.go"),
    F("Doppler personal token", "dp.pt.{alnum:43}", GL + "doppler.go"),
    F("Doppler service token", "dp.st.{lower:4}.{alnum:40}", GL + "doppler.go"),
    F("Doppler service account token", "dp.sa.{alnum:43}", KF + "doppler.yml"),
    F("Doppler CLI token", "dp.ct.{alnum:43}", KF + "doppler.yml"),
    F("Doppler SCIM token", "dp.scim.{alnum:43}", KF + "doppler.yml"),
    F("Doppler audit token", "dp.audit.{alnum:43}", KF + "doppler.yml"),
    F("OpenShift user token", "sha256~{b64url:43}", GL + "openshift.go"),
    F("Rancher API token", "token-{lower:5}:{lower:54}", KF + "rancher.yml"),
    F("Databricks token", "dapi{hex:32}", GL + "databricks.go"),
    F("Databricks token (suffixed)", "dapi{hex:32}-2", GL + "databricks.go"),
    F("ClickHouse Cloud key secret", "4b1d{alnum:38}", GL + "clickhouse.go"),
    F("Supabase access token", "sbp_{hex:40}", "https://supabase.com/docs/guides/platform/access-control"),
    F("Supabase secret key", "sb_secret_{b64url:31}", "https://supabase.com/docs/guides/api/api-keys"),
    F("PlanetScale service token", "pscale_tkn_{b64url:43}", GL + "planetscale.go"),
    F("PlanetScale password", "pscale_pw_{b64url:43}", GL + "planetscale.go"),
    F("PlanetScale OAuth token", "pscale_oauth_{b64url:43}", GL + "planetscale.go"),
    F("Neon API key", "napi_{lower:64}", KF + "neon.yml"),
    F("Convex deploy key", 'prod:{letters:6}-{letters:6}-{digits:3}|<b64:{"v2":"{hex:32}"}>', KF + "convex.yml"),
    F("Tinybird token", "p.eyJ1IjogI{b64url:60}.{b64url:43}", KF + "tinybird.yml"),
    F("CockroachDB Cloud key", "CCDB1_{alnum:22}_{alnum:40}", KF + "cockroachdb.yml"),
    # ------------------------------------------------------------------ observability
    F("New Relic user key", "NRAK-{upper:27}", "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"),
    F("New Relic admin key", "NRAA-{hex:27}", GL + "newrelic.go"),
    F("New Relic insights insert key", "NRII-{b64url:32}", GL + "newrelic.go"),
    F("New Relic license key", "{hex:36}NRAL", "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"),
    F(
        "Sentry org token",
        'sntrys_<b64url:{"iat":{digits:10}.0,"url":"https://sentry.io","region_url":"https://us.sentry.io","org":"{letters:8}"}>_{b64:43}',
        GL + "sentry.go",
    ),
    F("Sentry user token", "sntryu_{hex:64}", GL + "sentry.go"),
    F("Dynatrace API token", "dt0c01.{upper:24}.{upper:64}", GL + "dynatrace.go"),
    F(
        "Grafana Cloud token",
        'glc_<b64:{"o":"{digits:6}","n":"stack-{digits:6}-hm-read","k":"{alnum:24}","m":{"r":"us"}}>',
        GL + "grafana.go",
    ),
    F("Grafana service account token", "glsa_{alnum:32}_{hex:8}", GL + "grafana.go"),
    F("Honeybadger personal token", "hbp_{alnum:36}", KF + "honeybadger.yml"),
    F("Axiom API token", "xaat-{uuid}", KF + "axiom.yml"),
    F("Axiom personal token", "xapt-{uuid}", KF + "axiom.yml"),
    F("UptimeRobot main key", "u{digits:7}-{hex:24}", KF + "uptimerobot.yml"),
    F("Nightfall API key", "NF-{alnum:32}", KF + "nightfall.yml"),
    # ------------------------------------------------------------------ identity and secrets
    F("Okta API token", "00{b64url:40}", GL + "okta.go"),
    F("1Password service account token", "ops_eyJzaWduSW5BZGRyZXNzIjoi{b64:200-260}", GL + "1password.go"),
    F(
        "1Password secret key",
        "A3-{upper:6}-{upper:6}-{upper:5}-{upper:5}-{upper:5}-{upper:5}",
        GL + "1password.go",
    ),
    F("Bitwarden access token", "0.{uuid}.{alnum:30}:{b64:22}==", KF + "bitwarden.yml"),
    F("age secret key", "AGE-SECRET-KEY-1{bech32:58}", "https://github.com/C2SP/C2SP/blob/main/age.md"),
    F("Stytch secret", "secret-live-{b64url:36}", KF + "stytch.yml"),
    F("Clerk secret key", "sk_live_{alnum:40}", KF + "clerk.yml"),
    F("Ory personal token", "ory_pat_{alnum:32}", KF + "ory.yml"),
    F("Defined Networking API token", "dnkey-{upper:26}-{upper:52}", GL + "definednetworking.go"),
    F("Intra42 client secret", "s-s4t2ud-{hex:64}", GL + "intra42.go"),
    F("Intra42 app secret", "s-s4t2af-{hex:64}", GL + "intra42.go"),
    # ------------------------------------------------------------------ payments, commerce
    F("Stripe secret key", "sk_live_{alnum:99}", "https://docs.stripe.com/keys"),
    F("Stripe restricted key", "rk_live_{alnum:99}", "https://docs.stripe.com/keys"),
    F("Stripe test secret key", "sk_test_{alnum:99}", "https://docs.stripe.com/keys"),
    F("Stripe webhook secret", "whsec_{alnum:32}", "https://docs.stripe.com/webhooks"),
    F("Square access token", "EAAA{b64url:60}", "https://developer.squareup.com/docs/build-basics/access-tokens"),
    F("Square legacy token", "sq0atp-{b64url:22}", GL + "square.go"),
    F("Square OAuth secret", "sq0csp-{b64url:43}", GL + "square.go"),
    F("PayPal access token", "A21AA{b64url:92}", KF + "paypal.yml"),
    F("Braintree access token", "access_token$production${lower:16}${hex:32}", KF + "braintree.yml"),
    F("Paystack secret key", "sk_live_{hex:40}", KF + "paystack.yml"),
    F("Flutterwave secret key", "FLWSECK-{hex:32}-X", GL + "flutterwave.go"),
    F("Flutterwave test secret key", "FLWSECK_TEST-{hex:32}-X", GL + "flutterwave.go"),
    F("Mollie live key", "live_{alnum:30}", KF + "mollie.yml"),
    F("Mollie test key", "test_{alnum:30}", KF + "mollie.yml"),
    F("Plaid access token", "access-production-{uuid}", KF + "plaid.yml"),
    F("GoCardless live token", "live_{b64url:40}", GL + "gocardless.go"),
    F("Checkout.com secret key", "sk_sbox_{b32l:26}", KF + "checkout.yml"),
    F("Xendit secret key", "xnd_production_{alnum:64}", KF + "xendit.yml"),
    F("Midtrans server key", "Mid-server-{b64url:24}", KF + "midtrans.yml"),
    F("Chapa secret key", "CHASECK-{alnum:32}", KF + "chapa.yml"),
    F("Wompi private key", "prv_prod_{alnum:32}", KF + "wompi.yml"),
    F("Mercado Pago access token", "APP_USR-{digits:16}-{digits:6}-{hex:32}-{digits:9}", KF + "mercadopago.yml"),
    F("Shopify access token", "shpat_{hex:32}", GL + "shopify.go"),
    F("Shopify custom app token", "shpca_{hex:32}", GL + "shopify.go"),
    F("Shopify private app password", "shppa_{hex:32}", GL + "shopify.go"),
    F("Shopify shared secret", "shpss_{hex:32}", GL + "shopify.go"),
    F("WooCommerce consumer secret", "cs_{hex:40}", KF + "woocommerce.yml"),
    F("EasyPost API key", "EZAK{hex:54}", GL + "easypost.go"),
    F("EasyPost test key", "EZTK{hex:54}", GL + "easypost.go"),
    F("Shippo live token", "shippo_live_{hex:40}", GL + "shippo.go"),
    F("Shippo test token", "shippo_test_{hex:40}", GL + "shippo.go"),
    F("Lob live key", "live_{hex:35}", GL + "lob.go"),
    F("Duffel live token", "duffel_live_{b64url:43}", GL + "duffel.go"),
    F("Duffel test token", "duffel_test_{b64url:43}", GL + "duffel.go"),
    F("Blockfrost project id", "mainnet{alnum:32}", KF + "blockfrost.yml"),
    F("Pimlico API key", "pim_{alnum:22}", KF + "pimlico.yml"),
    # ------------------------------------------------------------------ messaging and email
    F("Slack bot token", "xoxb-{digits:11}-{digits:13}-{alnum:24}", "https://api.slack.com/concepts/token-types"),
    F(
        "Slack user token",
        "xoxp-{digits:11}-{digits:11}-{digits:13}-{hex:32}",
        "https://api.slack.com/concepts/token-types",
    ),
    F("Slack app-level token", "xapp-1-A{upper:10}-{digits:13}-{hex:64}", "https://api.slack.com/concepts/token-types"),
    F("Slack configuration token", "xoxe.xoxp-1-{alnum:160}", GL + "slack.go"),
    F("Slack configuration refresh token", "xoxe-1-{alnum:140}", GL + "slack.go"),
    F("Slack legacy workspace token", "xoxa-2-{digits:11}-{digits:12}-{digits:12}-{hex:32}", GL + "slack.go"),
    F(
        "Slack incoming webhook",
        "https://hooks.slack.com/services/T{upper:10}/B{upper:10}/{alnum:24}",
        "https://api.slack.com/messaging/webhooks",
    ),
    F(
        "Slack workflow webhook",
        "https://hooks.slack.com/triggers/T{upper:10}/{digits:13}/{hex:32}",
        GL + "slack.go",
    ),
    F("Discord bot token", "<b64url:1{digits:17}>.{b64url:6}.{b64url:38}", GL + "discord.go"),
    F("Discord webhook", "https://discord.com/api/webhooks/{digits:18}/{b64url:68}", KF + "discord.yml"),
    F("Telegram bot token", "{digits:10}:AA{b64url:33}", "https://core.telegram.org/bots/api#authorizing-your-bot"),
    F(
        "Microsoft Teams webhook",
        "https://{letters:8}.webhook.office.com/webhookb2/{uuid}@{uuid}/IncomingWebhook/{hex:32}/{uuid}",
        KF + "microsoftteams.yml",
    ),
    F(
        "Google Chat webhook",
        "https://chat.googleapis.com/v1/spaces/{alnum:11}/messages?key=AIza{b64url:35}&token={b64url:43}%3D",
        KF + "googlechat.yml",
    ),
    F("Zapier webhook", "https://hooks.zapier.com/hooks/catch/{digits:7}/{lower:6}/", KF + "zapier.yml"),
    F("DingTalk robot webhook", "https://oapi.dingtalk.com/robot/send?access_token={hex:64}", KF + "dingtalk.yml"),
    F("Feishu bot webhook", "https://open.feishu.cn/open-apis/bot/v2/hook/{uuid}", KF + "feishu.yml"),
    F("WeCom bot webhook", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={uuid}", KF + "wecom.yml"),
    F("Twilio API key SID", "SK{hex:32}", GL + "twilio.go"),
    F("Telnyx API key", "KEY0{HEX:31}_{alnum:22}", KF + "telnyx.yml"),
    F("Africa's Talking API key", "atsk_{hex:72}", KF + "africastalking.yml"),
    F(
        "SendGrid API key",
        "SG.{b64url:22}.{b64url:43}",
        "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
    ),
    F("Mailgun API key", "key-{hex:32}", GL + "mailgun.go"),
    F("Mailgun API key (new)", "{hex:32}-{hex:8}-{hex:8}", KF + "mailgun.yml"),
    F("Mailchimp API key", "{hex:32}-us{digits:2}", GL + "mailchimp.go"),
    F("Brevo API key", "xkeysib-{hex:64}-{alnum:16}", GL + "sendinblue.go"),
    F("Brevo SMTP key", "xsmtpsib-{hex:64}-{alnum:16}", KF + "brevo.yml"),
    F("Resend API key", "re_{alnum:8}_{alnum:24}", KF + "resend.yml"),
    F("MailerSend API token", "mlsn.{hex:64}", KF + "mailersend.yml"),
    F("SMTP2GO API key", "api-{HEX:32}", KF + "smtp2go.yml"),
    F("Klaviyo private key", "pk_{hex:34}", KF + "klaviyo.yml"),
    F("Pushbullet access token", "o.{alnum:32}", KF + "pushbullet.yml"),
    F("PubNub secret key", "sec-c-{b64:48}", KF + "pubnub.yml"),
    F("Ably API key", "{b64url:6}.{b64url:6}:{b64url:43}", KF + "ably.yml"),
    F("OneSignal REST key", "os_v2_app_{b32l:103}", KF + "onesignal.yml"),
    # ------------------------------------------------------------------ productivity, CRM, content
    F("Notion integration token", "secret_{alnum:43}", GL + "notion.go"),
    F("Notion token (ntn)", "ntn_{digits:11}{alnum:35}", GL + "notion.go"),
    F("Linear API key", "lin_api_{alnum:40}", GL + "linear.go"),
    F("Linear OAuth token", "lin_oauth_{hex:64}", KF + "linear.yml"),
    F("Asana personal token", "2/{digits:16}/{digits:16}:{hex:32}", KF + "asana.yml"),
    F("Airtable personal token", "pat{alnum:14}.{hex:64}", GL + "airtable.go"),
    F("Figma personal token", "figd_{b64url:40}", KF + "figma.yml"),
    F("ClickUp personal token", "pk_{digits:8}_{upper:32}", KF + "clickup.yml"),
    F("HubSpot private app token", "pat-na1-{uuid}", KF + "hubspot.yml"),
    F("HubSpot private app token (EU)", "pat-eu1-{uuid}", KF + "hubspot.yml"),
    F("Typeform personal token", "tfp_{alnum:44}_{alnum:14}", GL + "typeform.go"),
    F("Contentful delivery token", "CFPAT-{b64url:43}", GL + "contentful.go"),
    F("Mapbox secret token", 'sk.<b64url:{"u":"{letters:8}","a":"{lower:25}"}>.{b64url:22}', GL + "mapbox.go"),
    F("Zoho OAuth token", "1000.{hex:32}.{hex:32}", KF + "zoho.yml"),
    F("Salesforce access token", "00D{alnum:12}!{alnum:96}", KF + "salesforce.yml"),
    F("Plane API key", "plane_api_{hex:32}", KF + "plane.yml"),
    F("Cal.com API key", "cal_live_{hex:32}", KF + "calcom.yml"),
    F("Frame.io token", "fio-u-{b64url:64}", GL + "frameio.go"),
    F("Adafruit IO key", "aio_{alnum:28}", GL + "adafruit.go"),
    F("Adobe client secret", "p8e-{alnum:32}", GL + "adobe.go"),
    F("Beamer API key", "b_{b64url:44}", GL + "beamer.go"),
    F("Dropbox short-lived token", "sl.{b64url:136}", GL + "dropbox.go"),
    F("Dropbox long-lived token", "{alnum:11}AAAAAAAAAA{b64url:43}", GL + "dropbox.go"),
    F("Facebook access token", "EAAB{alnum:180}", GL + "facebook.go"),
    F("Facebook page token", "EAAG{alnum:180}", GL + "facebook.go"),
    F("Instagram access token", "IGQVJ{b64url:150}", KF + "instagram.yml"),
    F("Twitter bearer token", "AAAAAAAAAAAAAAAAAAAAA{alnum:30}%3D{alnum:50}", GL + "twitter.go"),
    F("Riot Games API key", "RGAPI-{uuid}", KF + "riotgames.yml"),
    F("WakaTime API key", "waka_{uuid}", KF + "wakatime.yml"),
    F("Cloudinary URL", "cloudinary://{digits:15}:{b64url:27}@{letters:8}", KF + "cloudinary.yml"),
    F("LaunchDarkly API token", "api-{uuid}", GL + "launchdarkly.go"),
    F("LaunchDarkly SDK key", "sdk-{uuid}", KF + "launchdarkly.yml"),
    F("Statsig server secret", "secret-{alnum:43}", KF + "statsig.yml"),
    F("PostHog personal key", "phx_{alnum:43}", KF + "posthog.yml"),
    F("LocationIQ token", "pk.{hex:32}", KF + "locationiq.yml"),
    F("Radar secret key", "prj_live_sk_{hex:40}", KF + "radar.yml"),
    F("MaxMind license key", "{alnum:6}_{alnum:29}_mmk", GL + "maxmind.go"),
    F("Ubidots token", "BBFF-{alnum:30}", KF + "ubidots.yml"),
    F("Scalingo API token", "tk-us-{b64url:48}", GL + "scalingo.go"),
    F("Sidekiq gem source", "https://{hex:8}:{hex:8}@gems.contribsys.com/", GL + "sidekiq.go"),
    F("Yandex OAuth token", "y0_{b64url:55}", GL + "yandex.go"),
    F("Yandex API key", "AQVN{b64url:36}", GL + "yandex.go"),
    # ------------------------------------------------------------------ second pass: more breadth
    F("Cloudflare user API token", "cfut_{alnum:40}{hex:8}", KF + "cloudflare.yml", checksum="crc32 hex"),
    F("Cloudflare account API token", "cfat_{alnum:40}{hex:8}", KF + "cloudflare.yml", checksum="crc32 hex"),
    F("Cloudflare global API key", "cfk_{alnum:40}{hex:8}", KF + "cloudflare.yml", checksum="crc32 hex"),
    F(
        "Cloudflare tunnel token",
        '<b64:{"a":"{hex:32}","t":"{uuid}","s":"{b64:43}="}>',
        "https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/configure-tunnels/remote-tunnel-permissions/",
    ),
    F(
        "AWS STS bearer key id",
        "ABIA{b32:16}",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html",
    ),
    F("Plaid development access token", "access-development-{uuid}", "https://plaid.com/docs/api/tokens/"),
    F("Stripe test restricted key", "rk_test_{alnum:99}", "https://docs.stripe.com/keys"),
    F("Databricks OAuth secret", "dose{hex:32}", KF + "databricks.yml"),
    F(
        "MongoDB Atlas service account secret",
        "mdb_sa_sk_{b64url:40}",
        "https://www.mongodb.com/docs/atlas/api/service-accounts-overview/",
    ),
    F("Grafana legacy API key", '<b64:{"k":"{alnum:32}","n":"{letters:8}","id":{digits:1}}>', GL + "grafana.go"),
    F("Webex bot token", "{alnum:64}_{upper:4}_{uuid}", KF + "webex.yml"),
    F(
        "Azure Logic Apps trigger URL",
        "https://prod-{digits:2}.westeurope.logic.azure.com:443/workflows/{hex:32}/triggers/manual/paths/invoke"
        "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={b64url:43}",
        "https://learn.microsoft.com/en-us/azure/logic-apps/logic-apps-securing-a-logic-app",
    ),
    F(
        "Azure Functions key in URL",
        "https://{letters:10}.azurewebsites.net/api/{letters:8}?code={b64url:54}==",
        "https://learn.microsoft.com/en-us/azure/azure-functions/function-keys-how-to",
    ),
    F("Mandrill API key", "md-{b64url:22}", KF + "mandrill.yml"),
    F("Intercom access token", "<b64:tok:{hex:8}_{hex:4}_{hex:4}_{hex:4}_{hex:12}:1:0>", KF + "intercom.yml"),
    F("Porkbun secret API key", "sk1_{hex:64}", "https://porkbun.com/api/json/v3/documentation"),
    F("Ghost Admin API key", "{hex:24}:{hex:64}", "https://ghost.org/docs/admin-api/#token-authentication"),
    F("Mapillary client token", "MLY|{digits:16}|{hex:32}", "https://www.mapillary.com/developer/api-documentation"),
    F(
        "Matrix (Synapse) access token",
        "syt_<b64url:{letters:6}>_{alpha:20}_{alnum:6}",
        "https://github.com/matrix-org/synapse/pull/11140",
        checksum="crc32 base62",
    ),
    F("ntfy access token", "tk_{alnum:29}", "https://docs.ntfy.sh/config/#access-tokens"),
    F(
        "YouTrack permanent token",
        "perm:<b64:{letters:6}>.<b64:{digits:2}-{digits:1}>.{alnum:30}",
        "https://www.jetbrains.com/help/youtrack/server/manage-permanent-token.html",
    ),
    F("Jenkins API token", "11{hex:32}", "https://www.jenkins.io/doc/book/security/api-token/"),
    F(
        "Dynatrace platform token",
        "dt0s16.{upper:24}.{upper:64}",
        "https://docs.dynatrace.com/docs/manage/identity-access-management/access-tokens-and-oauth-clients/platform-tokens",
    ),
    F(
        "Supabase service role key",
        '<b64url:{"alg":"HS256","typ":"JWT"}>.<b64url:{"iss":"supabase","ref":"{letters:20}",'
        '"role":"service_role","iat":17{digits:8},"exp":20{digits:8}}>.{b64url:43}',
        "https://supabase.com/docs/guides/api/api-keys",
    ),
    F("Appwrite API key", "standard_{hex:256}", KF + "appwrite.yml"),
    F(
        "Kong Konnect personal token",
        "kpat_{alnum:49}",
        "https://docs.konghq.com/konnect/org-management/access-tokens/",
    ),
    F(
        "Kong Konnect system token",
        "spat_{alnum:49}",
        "https://docs.konghq.com/konnect/org-management/system-accounts/",
    ),
    F(
        "Paddle API key",
        "pdl_live_apikey_{ulid:26}_{alnum:22}_{alnum:3}",
        "https://developer.paddle.com/api-reference/about/api-keys",
    ),
    F(
        "Paddle sandbox API key",
        "pdl_sdbx_apikey_{ulid:26}_{alnum:22}_{alnum:3}",
        "https://developer.paddle.com/api-reference/about/api-keys",
    ),
    F("VK ID access token", "vk1.a.{b64url:180}", KF + "vk.yml"),
    F("Zhipu AI API key", "{hex:32}.{alnum:16}", KF + "zhipu.yml"),
    F(
        "Kubernetes bootstrap token",
        "{lower:6}.{lower:16}",
        "https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/",
    ),
    F("DeepL free API key", "{uuid}:fx", "https://developers.deepl.com/docs/getting-started/auth"),
    F("Brave Search API key", "BSA{alnum:28}", KF + "brave.yml"),
    F("HubSpot private app token (NA2)", "pat-na2-{uuid}", KF + "hubspot.yml"),
    F("GitHub Enterprise server token", "ghs_{alnum:36}", GL + "github.go", checksum="crc32 base62"),
)
