"""Typed step configs with the fields Motia documents.

Known keys are validated; an unknown key is an error with a "did you mean" (config_check.py),
except the few Motia keys stephost ignores. An error names the file, the field and the bad value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from croniter import CroniterBadDateError, croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stephost_host.http import cors
from stephost_host.steps.config_check import describe, unknown_keys
from stephost_host.steps.schemas import SchemaInvalid, compile_schema

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class EmitSpec(_Model):
    topic: str = Field(min_length=1)
    label: str | None = None
    conditional: bool = False


class HandlerInfra(_Model):
    timeout: float = Field(30.0, gt=0, description="seconds")
    ram: int | None = None
    cpu: float | None = None


class QueueInfra(_Model):
    type: Literal["standard", "fifo"] = "standard"
    maxRetries: int = Field(3, ge=0, le=100, description="retries after the first attempt")
    visibilityTimeout: float | None = Field(None, gt=0)
    delaySeconds: int = Field(0, ge=0, le=900)


class Infrastructure(_Model):
    handler: HandlerInfra = Field(default_factory=lambda: HandlerInfra())
    queue: QueueInfra = Field(default_factory=lambda: QueueInfra())


class QueryParam(_Model):
    name: str
    description: str | None = None


def _emit_list(value: Any) -> Any:
    return [{"topic": v} if isinstance(v, str) else v for v in value] if isinstance(value, list) else value


class BaseStep(_Model):
    name: str = Field(min_length=1)
    description: str | None = None
    flows: list[str] = Field(default_factory=list)
    emits: list[EmitSpec] = Field(default_factory=list)
    virtualEmits: list[EmitSpec] = Field(default_factory=list)
    virtualSubscribes: list[str] = Field(default_factory=list)
    includeFiles: list[str] = Field(default_factory=list)
    infrastructure: Infrastructure = Field(default_factory=Infrastructure)

    @field_validator("emits", "virtualEmits", mode="before")
    @classmethod
    def _emits(cls, v: Any) -> Any:
        return _emit_list(v)

    @property
    def emit_topics(self) -> set[str]:
        return {e.topic for e in self.emits}

    @property
    def timeout(self) -> float:
        return self.infrastructure.handler.timeout


class CorsConfig(BaseModel):
    """An api step's own CORS: each key given replaces the project's (http/cors.py).

    ``cors: false`` in a step config is ``enabled=False`` here; ``cors: true`` changes nothing.
    """

    # Unknown keys are refused: a misspelt "orgins" must not silently leave CORS as it was.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    enabled: bool = True
    origins: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    headers: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = Field(None, alias="exposeHeaders")
    credentials: StrictBool | None = None
    max_age: int | None = Field(None, alias="maxAge", ge=0)

    @model_validator(mode="before")
    @classmethod
    def _flag(cls, v: Any) -> Any:
        if isinstance(v, bool):
            return {"enabled": v}
        if not isinstance(v, dict | CorsConfig):
            raise ValueError(
                "expected false (no CORS for this step), true, or an object with some of "
                "origins, methods, headers, exposeHeaders, credentials, maxAge"
            )
        return v

    @field_validator("origins", mode="before")
    @classmethod
    def _origins(cls, v: Any) -> Any:
        v = _listed(v)
        return cors.check_origins(v) if _strings(v) else v

    @field_validator("methods", mode="before")
    @classmethod
    def _methods(cls, v: Any) -> Any:
        v = _listed(v)
        return cors.check_methods(v) if _strings(v) else v

    @field_validator("headers", "expose_headers", mode="before")
    @classmethod
    def _headers(cls, v: Any, info: ValidationInfo) -> Any:
        v = _listed(v)
        return cors.check_headers(v, wildcard=info.field_name == "headers") if _strings(v) else v

    @model_validator(mode="after")
    def _credentials(self) -> CorsConfig:
        if self.credentials and self.origins:
            cors.check_credentials(self.credentials, self.origins)
        return self


def _listed(v: Any) -> Any:
    """A string is a comma-separated list, as in the settings."""
    return [x for x in v.split(",") if x.strip()] if isinstance(v, str) else v


def _strings(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)


class ApiStep(BaseStep):
    type: Literal["api"]
    path: str
    method: str = "GET"
    bodySchema: dict[str, Any] | None = None
    responseSchema: dict[str, Any] | None = None
    queryParams: list[QueryParam] = Field(default_factory=list)
    # None or true: the project's CORS settings; false: no CORS for this step.
    cors: CorsConfig | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must start with '/'")
        return v

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> Any:
        if isinstance(v, str) and v.upper() in HTTP_METHODS:
            return v.upper()
        raise ValueError(f"must be one of {', '.join(HTTP_METHODS)}")


class EventStep(BaseStep):
    type: Literal["event"]
    subscribes: list[str]  # may be empty, as in Motia: registered, no consumer
    input: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _visibility(self) -> EventStep:
        # A message must stay invisible for longer than its handler may run, or a second
        # host would start it again while the first is still working on it.
        q, timeout = self.infrastructure.queue, self.infrastructure.handler.timeout
        if q.visibilityTimeout is not None and q.visibilityTimeout <= timeout:
            raise ValueError(
                f"infrastructure.queue.visibilityTimeout ({q.visibilityTimeout:g}s) must be greater than "
                f"infrastructure.handler.timeout ({timeout:g}s)"
            )
        return self

    @property
    def visibility_timeout(self) -> float:
        """How long a delivered message stays unseen by others; default: the timeout plus 30 s."""
        q = self.infrastructure.queue
        return q.visibilityTimeout if q.visibilityTimeout is not None else self.timeout + 30.0


class CronStep(BaseStep):
    type: Literal["cron"]
    cron: str

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        schedule = cron_iter(v)  # raises ValueError with the reason
        try:
            schedule.get_next(float)
        except CroniterBadDateError:  # e.g. February 30: valid field by field, yet no date matches
            raise ValueError("never fires: no date matches all of its fields") from None
        return v


class NoopStep(BaseStep):
    type: Literal["noop"]


AnyStep = ApiStep | EventStep | CronStep | NoopStep
_BY_TYPE: dict[str, type[BaseStep]] = {"api": ApiStep, "event": EventStep, "cron": CronStep, "noop": NoopStep}
StepConfig = Annotated[AnyStep, Field(discriminator="type")]
_ADAPTER: TypeAdapter[AnyStep] = TypeAdapter(StepConfig)


@dataclass(frozen=True, slots=True)
class StepDef:
    """One step as a version of the project defines it. Who serves it is the router's business."""

    name: str
    file: str
    language: str
    version: str
    config: AnyStep


def cron_iter(expr: str, start: float | None = None) -> croniter:
    """5 fields (minute first) or 6 with seconds first, as node-cron and Motia use."""
    fields = expr.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"expected 5 or 6 fields, got {len(fields)}")
    seconds = len(fields) == 6
    if not croniter.is_valid(expr, second_at_beginning=seconds):
        raise ValueError("not a valid cron expression")
    return croniter(expr, start, second_at_beginning=seconds)


class ConfigInvalid(ValueError):
    pass


def parse_config(config_json: str, file: str) -> AnyStep:
    """Validate one manifest entry; ConfigInvalid names the file, field and bad value."""
    try:
        raw = json.loads(config_json)
    except json.JSONDecodeError as exc:
        raise ConfigInvalid(f"{file}: config is not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigInvalid(f"{file}: config must be an object")
    problems = []
    model = _BY_TYPE.get(str(raw.get("type")))
    if model is not None:
        problems += unknown_keys(raw, model)
    try:
        config = _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            if loc and loc[0] == raw.get("type"):
                loc = loc[1:]  # the discriminator tag pydantic puts first
            loc = loc or ["type"]
            problem = describe(err, ".".join(loc), _dig(raw, loc))
            if problem:
                problems.append(problem)
    else:
        problems += _schema_problems(config)
    if problems:
        raise ConfigInvalid(f"{file}: invalid config for step {raw.get('name')!r}: " + "; ".join(problems))
    return config


def _schema_problems(config: AnyStep) -> list[str]:
    """The schemas data is checked against (validate_schemas) must be JSON Schema."""
    problems = []
    for name in ("bodySchema", "input"):
        schema = getattr(config, name, None)
        if schema is not None:
            try:
                compile_schema(schema)
            except SchemaInvalid as exc:
                problems.append(f"{name} {exc}")
    return problems


def _dig(raw: Any, loc: list[str]) -> Any:
    for part in loc:
        if isinstance(raw, dict):
            raw = raw.get(part)
        elif isinstance(raw, list) and part.isdigit() and int(part) < len(raw):
            raw = raw[int(part)]
        else:
            return None
    return raw
