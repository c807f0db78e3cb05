"""Data against the steps' schemas (the ``validate_schemas`` setting): an api request body
against its step's ``bodySchema``, emitted data against every subscriber's ``input``.

Both are refused before anything runs or is stored: the HTTP door answers 400, every emit
door (a handler's ctx.emit, the gRPC ingress, ``stephost emit``) gets ``InvalidArgument``
from ``Emits.event``. Validators are compiled on first use and dropped whenever the registry
changes (a reload or a deployment brings new configs), so each step version's schemas are
compiled once. The configs' schemas were checked when they registered (steps/models.py).
"""

from __future__ import annotations

from typing import Any

from jsonschema.protocols import Validator

from stephost_host.operations.errors import InvalidArgument
from stephost_host.operations.rules import Fields
from stephost_host.router.registry import Registry
from stephost_host.steps.models import ApiStep, EventStep
from stephost_host.steps.schemas import Mismatch, compile_schema, mismatch
from stephost_wire import codec


class BodyInvalid(ValueError):
    """A request body outside its step's bodySchema; the message is the client's."""

    def __init__(self, step: str, found: Mismatch) -> None:
        super().__init__(f"request body does not match the bodySchema of step {step!r} {found}")
        self.path = found.json_path
        self.reason = found.reason


class StepSchemas:
    """The active version's body and input validators."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._bodies: dict[str, Validator | None] = {}
        self._inputs: dict[str, list[tuple[str, Validator]]] = {}
        registry.on_change(self._forget)

    def _forget(self) -> None:
        self._bodies.clear()
        self._inputs.clear()

    def check_body(self, step: str, body: Any) -> None:
        """Raises BodyInvalid when the api step has a bodySchema and ``body`` leaves it."""
        if step not in self._bodies:
            entry = self.registry.steps.get(step)
            schema = entry.config.bodySchema if entry and isinstance(entry.config, ApiStep) else None
            self._bodies[step] = compile_schema(schema) if schema is not None else None
        validator = self._bodies[step]
        found = mismatch(validator, body) if validator is not None else None
        if found is not None:
            raise BodyInvalid(step, found)

    def check_input(self, topic: str, data_json: str, fields: Fields) -> None:
        """InvalidArgument naming the first subscriber whose ``input`` the data leaves."""
        subscribers = self._subscribers(topic)
        if not subscribers:
            return
        data = codec.loads(data_json)  # already checked as JSON by the caller
        for step, validator in subscribers:
            found = mismatch(validator, data)
            if found is not None:
                raise InvalidArgument(
                    f"{fields('data')} does not match the input schema of step {step!r} "
                    f"(it subscribes to {topic!r}) {found}; nothing was emitted"
                )

    def _subscribers(self, topic: str) -> list[tuple[str, Validator]]:
        found = self._inputs.get(topic)
        if found is None:
            found = self._inputs[topic] = [
                (e.name, compile_schema(e.config.input))
                for e in sorted(self.registry.of_type(EventStep), key=lambda e: e.name)
                if isinstance(e.config, EventStep)
                and e.config.input is not None
                and topic in e.config.subscribes
            ]
        return found
