"""One typed config, built once from defaults < project file < .env < environment < CLI flags.

The project file is ``stephost.toml`` at the project root (flat keys, same names as
below); the environment uses ``STEPHOST_<KEY>`` (upper case), and the project's ``.env``
may set the same variables (the real environment wins over it; envfile.py). Errors name
the key, where it came from and the bad value.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from stephost_host import envfile
from stephost_host.errors import ConfigError
from stephost_host.http import cors
from stephost_host.state_dir import default_state_dir, writable

PROJECT_FILE = "stephost.toml"
# The sidecar languages (supervisor/languages.py has how to start each).
LANGUAGES = ("python", "node", "ruby")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: Path = Path(".")
    host: str = "127.0.0.1"  # HTTP bind address
    port: int = Field(3000, ge=0, le=65535)  # HTTP port (0: pick a free one)
    sidecar_host: str = "127.0.0.1"  # the gRPC port sidecars dial
    sidecar_port: int = Field(7070, ge=0, le=65535)
    secret: str = ""  # shared secret sidecars present; required beyond loopback
    nats_url: str = ""  # empty: start an embedded nats-server
    nats_sync_always: bool = True  # fsync every JetStream write before acknowledging it
    # Credentials for an external server beyond those nats_url carries (user:pass@, token@);
    # the embedded server always uses a token the host keeps in <state_dir>/nats/credentials.
    nats_creds: FilePath | None = None  # a JWT .creds file
    nats_nkey: FilePath | None = None  # an NKey seed file
    nats_tls_ca: FilePath | None = None  # PEM CA bundle to trust for the server's certificate
    nats_tls_cert: FilePath | None = None  # PEM client certificate (with nats_tls_key)
    nats_tls_key: FilePath | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # A stream item outside its stream's schema: "warn" logs the path and reason and stores it
    # (Motia does not validate at runtime), "reject" refuses the write.
    stream_schema: Literal["warn", "reject"] = "warn"
    reload: bool = False  # restart sidecars when step files change (dev)
    supervise: bool = True  # start one sidecar per language found in the project
    languages: tuple[str, ...] = ()  # limit the supervised languages; empty: every language found
    # A (topic, event step) seen for the first time after the host started reads every event
    # the stream still holds, instead of only those emitted from the moment it appeared.
    replay_new_subscribers: bool = False
    # /__stephost/health answers 503 (not 200, "degraded") while step files fail to load.
    unready_on_load_errors: bool = False
    # A step emitting a topic not in its config's `emits` is refused (default: a warning once
    # per step and topic).
    strict_emits: bool = False
    # Check an api request's body against its step's bodySchema (400 naming the JSON path and
    # the reason, before the handler runs) and emitted data against each subscriber's `input`
    # schema (the emit is refused to the emitter). Off by default; the templates turn it on.
    validate_schemas: bool = False
    retry_backoff_base: float = Field(1.0, gt=0)  # seconds; attempt n waits base * 2**(n-1)
    retry_backoff_max: float = Field(300.0, gt=0)
    event_max_age_days: float = Field(7.0, gt=0)  # how long events stay in the stream
    drain_seconds: float = Field(10.0, ge=0)  # graceful shutdown budget for in-flight work
    heartbeat_ms: int = Field(5000, ge=100)  # a sidecar silent for 3 intervals is dropped (and restarted)
    # Seconds a supervised sidecar has to load its step files and say hello; past it, it is
    # killed (the log names the file it was importing) and restarted with backoff.
    hello_timeout_seconds: float = Field(30.0, gt=0)
    uvloop: bool = True
    # `stephost start`: host processes on this machine sharing the HTTP port (SO_REUSEPORT),
    # each with its own event loop, NATS connection, consumers and sidecars (workers/). One
    # process runs one event loop, which is what bounds a busy host on one core.
    workers: int = Field(1, ge=1, le=64)
    replicas: int = Field(1, ge=1, le=5)  # JetStream replicas for streams and buckets (3 on a cluster)
    # Embedded NATS store and runtime.json. Default: <project>/.stephost when the project is
    # writable, else a per-user folder outside it (see default_state_dir).
    state_dir: Path | None = None
    # Subscriptions one stream WebSocket connection may hold at once (joins past it are refused).
    stream_max_subscriptions: int = Field(100, ge=1, le=100_000)
    # The public gRPC ingress (Emit, state, streams, ListSteps). Without ingress_port it is
    # served on the sidecar port's server; with one, on its own server at ingress_host.
    ingress: bool = True
    ingress_host: str = "127.0.0.1"
    ingress_port: int | None = Field(None, ge=0, le=65535)  # None: share the sidecar port
    ingress_token: str = ""  # clients send 'authorization: Bearer <token>'; required beyond loopback
    ingress_allow_anonymous: bool = False  # allow ingress beyond loopback without a token
    ingress_tls_cert: Path | None = None  # PEM certificate chain (needs ingress_port)
    ingress_tls_key: Path | None = None  # PEM private key
    # The largest data_json/value_json accepted; capped below the NATS server's max_payload.
    ingress_max_payload_bytes: int = Field(1_000_000, ge=1, le=64 * 1024 * 1024)
    # HTTP clients: a bigger request body (or WebSocket message) is refused with 413 before
    # it is read or forwarded; one invocation must fit in a 64 MiB message to the sidecar.
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1, le=64 * 1024 * 1024)
    http_header_timeout: float = Field(10.0, gt=0)  # seconds to send the request line + headers
    http_body_timeout: float = Field(30.0, gt=0)  # longest silence while sending a body
    http_max_connections: int = Field(1000, ge=1)  # open connections (WebSockets too); then 503
    # The most events one EmitBatch request may carry (a larger batch is refused, not split).
    ingress_max_batch_events: int = Field(1000, ge=1, le=100_000)
    # Create a stream or bucket the host made before and NATS no longer has, empty. Off: the
    # host refuses to start, so a corrupted or deleted store is never silently replaced.
    recreate_missing_store: bool = False
    # CORS for api steps (http/cors.py); off while cors_origins is empty. In stephost.toml a
    # [cors] table with the same keys without the prefix; lists are comma-separated in env.
    cors_origins: tuple[str, ...] = ()  # scheme://host[:port] each, or "*" alone
    cors_methods: tuple[str, ...] = cors.DEFAULT_METHODS
    cors_headers: tuple[str, ...] = cors.DEFAULT_HEADERS  # request headers a page may send; "*": any
    cors_expose_headers: tuple[str, ...] = ()  # response headers a page may read beyond the basic ones
    cors_credentials: bool = False  # cookies and HTTP auth on cross-origin requests
    cors_max_age: int = Field(cors.DEFAULT_MAX_AGE, ge=0)  # seconds a browser may cache a preflight
    # /__stephost/testing/{idle,events,emit} for the testing helpers (behind the admin secret);
    # the testers turn it on for the host they start. Off: those paths answer 404.
    testing_endpoints: bool = False
    # observe/: a span per step invocation and the log records, kept in a bounded NATS stream
    # for the Workbench and counted in /__stephost/metrics. Recorded off the hot path.
    observe: bool = True
    # Messages of the observe stream kept (oldest go first); each holds 1 to 64 records, and
    # the stream never holds more than 256 MiB.
    observe_max_messages: int = Field(20_000, ge=100)
    observe_max_age_hours: float = Field(24.0, gt=0)
    # The Workbench page at /__stephost/workbench/ under `stephost start` (its APIs take the
    # admin secret); `stephost dev` always serves it.
    workbench: bool = False
    # Deployments (docs/deployments.md). Tokens for the deploy API beyond the host's secret
    # (which has every scope): "TOKEN" or "TOKEN:read+write+activate", comma-separated in env.
    deploy_tokens: tuple[str, ...] = ()
    deploy_max_bundle_bytes: int = Field(100 * 1024 * 1024, ge=1024)  # per source archive / bundle
    deploy_build_timeout: float = Field(600.0, gt=0)  # seconds one language's build may take
    deploy_ready_timeout: float = Field(120.0, gt=0)  # for a new version's workers to say hello
    deploy_phase_timeout: float = Field(120.0, gt=0)  # every other phase
    deploy_keep_warm_seconds: float = Field(300.0, ge=0)  # a replaced version stays up (fast rollback)
    deploy_keep_versions: int = Field(10, ge=1)  # bundles of the last N completed deploys stay stored
    # A deploy whose host died is ended (or, queued, taken over) this long after its lease was
    # last renewed; a dead host's heartbeat expires after a third of it. Renewed every second.
    deploy_lease_seconds: float = Field(30.0, ge=3)
    # The deployment APIs users already call (docs/deployment-apis.md): motia, phased, mist
    # (comma-separated in env; empty: none), and the name of the host's deployment-status stream.
    deploy_apis: tuple[str, ...] = ("motia", "phased", "mist")
    deploy_status_stream: str = Field("deployment-status", min_length=1, max_length=200)

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, v: Any) -> Any:
        # The sidecars spell it "warn" (Motia's logger does); accept both, in any case.
        if isinstance(v, str):
            v = v.strip().lower()
            return "warning" if v == "warn" else v
        return v

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, v: Any) -> Any:
        """A comma-separated string (environment) or a list (stephost.toml) of known languages."""
        names = [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else v
        if not isinstance(names, list | tuple):
            return names  # pydantic reports the type
        unknown = [x for x in names if x not in LANGUAGES]
        if unknown:
            raise ValueError(
                f"unknown language {unknown[0]!r}; expected comma-separated: {','.join(LANGUAGES)}"
            )
        return tuple(names)

    @field_validator("deploy_tokens", mode="before")
    @classmethod
    def _deploy_tokens(cls, v: Any) -> Any:
        from stephost_host.deployments.auth import parse_token

        items = [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else v
        if isinstance(items, list | tuple):
            for item in items:
                if isinstance(item, str):
                    parse_token(item)  # a ValueError names the bad scope
        return tuple(items) if isinstance(items, list | tuple) else items

    @field_validator("deploy_apis", mode="before")
    @classmethod
    def _deploy_apis(cls, v: Any) -> Any:
        from stephost_host.deployments_compat import check_surfaces

        items = v.split(",") if isinstance(v, str) else v
        return check_surfaces(items) if isinstance(items, list | tuple) else items

    @field_validator("cors_origins", "cors_methods", "cors_headers", "cors_expose_headers", mode="before")
    @classmethod
    def _cors_lists(cls, v: Any, info: ValidationInfo) -> Any:
        items = [x for x in v.split(",") if x.strip()] if isinstance(v, str) else v
        if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
            return items  # pydantic reports the type
        if info.field_name == "cors_origins":
            return cors.check_origins(items)
        if info.field_name == "cors_methods":
            return cors.check_methods(items)
        return cors.check_headers(items, wildcard=info.field_name == "cors_headers")

    @field_validator("cors_credentials")
    @classmethod
    def _cors_credentials(cls, v: bool, info: ValidationInfo) -> bool:
        cors.check_credentials(v, info.data.get("cors_origins", ()))
        return v

    def cors_policy(self) -> cors.CorsPolicy:
        return cors.CorsPolicy(
            origins=self.cors_origins,
            methods=self.cors_methods,
            headers=self.cors_headers,
            expose_headers=self.cors_expose_headers,
            credentials=self.cors_credentials,
            max_age=self.cors_max_age,
        )

    @field_validator("host", "sidecar_host", "ingress_host")
    @classmethod
    def _address(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        return v

    def is_loopback(self, address: str) -> bool:
        if address == "localhost":
            return True
        try:
            return ipaddress.ip_address(address).is_loopback
        except ValueError:
            return False

    @property
    def runtime_dir(self) -> Path:
        return self.state_dir or default_state_dir(self.project)


def _check_state_dir(settings: Settings, origin: str | None) -> Settings:
    """Settle state_dir on a folder the host can write, or say which setting to change."""
    if settings.state_dir is not None:
        if not writable(settings.state_dir):
            raise ConfigError(
                f"setting 'state_dir' (from {origin}) = {str(settings.state_dir)!r}: not a writable "
                "directory; point STEPHOST_STATE_DIR (or --state-dir) at one this user can write"
            )
        return settings
    chosen = default_state_dir(settings.project)
    if not writable(chosen):
        raise ConfigError(
            f"setting 'state_dir' is not set and no default is writable: the project "
            f"{settings.project} is read-only and {chosen} cannot be written either; set "
            "STEPHOST_STATE_DIR (or --state-dir, or state_dir in stephost.toml) to a writable "
            "directory for the host's state (embedded NATS data, runtime.json)"
        )
    return settings.model_copy(update={"state_dir": chosen})


_BOOL = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _from_env(environ: dict[str, str], where: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = environ.get(f"STEPHOST_{name.upper()}")
        if raw is None:
            continue
        if field.annotation is bool:
            if raw.lower() not in _BOOL:
                raise ConfigError(f"STEPHOST_{name.upper()}={raw!r}{where}: expected true or false")
            out[name] = _BOOL[raw.lower()]
        else:
            out[name] = raw
    return out


def _from_file(project: Path) -> dict[str, Any]:
    path = project / PROJECT_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    data.pop(DEPLOY_TABLE, None)  # a deployed version's own hooks: deployments/migrate.py reads them
    table = data.pop(TABLE, None)
    if table is not None:
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {TABLE} must be a table ([{TABLE}] with keys like origins)")
        data.update({f"{TABLE}_{k}": v for k, v in table.items()})
    unknown = set(data) - set(Settings.model_fields)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(_file_key(k) for k in unknown))}")
    return data


# The settings stephost.toml groups in a table: [cors] origins = ... is cors_origins.
TABLE = "cors"
DEPLOY_TABLE = "deploy"


def _file_key(key: str) -> str:
    """How stephost.toml spells a setting (for errors)."""
    prefix = TABLE + "_"
    return f"[{TABLE}] {key.removeprefix(prefix)}" if key.startswith(prefix) else key


def load_settings(project: Path | str = ".", environ: dict[str, str] | None = None, **flags: Any) -> Settings:
    """Build the one Settings object; ``flags`` are CLI values (None means not given)."""
    project = Path(project)
    if not project.is_dir():
        raise ConfigError(f"project directory {project} does not exist")
    real = dict(os.environ if environ is None else environ)
    dotenv = {k: v for k, v in envfile.read(project).items() if k not in real}
    layers = [
        ("stephost.toml", _from_file(project)),
        (str(envfile.path(project)), _from_env(dotenv, f" (in {envfile.path(project)})")),
        ("environment", _from_env(real)),
        ("command line", {k: v for k, v in flags.items() if v is not None}),
    ]
    merged: dict[str, Any] = {"project": project.resolve()}
    origin: dict[str, str] = {}
    for where, layer in layers:
        for key, value in layer.items():
            merged[key] = value
            in_table = where == "stephost.toml" and key.startswith(TABLE + "_")
            origin[key] = f"stephost.toml {_file_key(key)}" if in_table else where
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(
            f"setting {key!r} (from {origin.get(key, 'defaults')}) = {merged.get(key)!r}: {err['msg']}"
        ) from exc
    return _check_state_dir(settings, origin.get("state_dir"))
