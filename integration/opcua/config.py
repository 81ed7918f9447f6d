"""The collector's TOML configuration, validated (stdlib tomllib, pydantic; no Django).

`load(path)` returns a `Config` or raises `ConfigError` whose message names each bad key
(``opcua.security: ...``, ``nodes[2].node_id: ...``), so a wrong file is fixed from the log.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from asyncua import ua
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SECURITY_MODES = ("Sign", "SignAndEncrypt")
# Names go into line protocol: a control character (a newline) would end the line early.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ConfigError(Exception):
    """The configuration file is missing, not TOML, or fails validation."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _secret(value: str | None, path: Path | None, name: str) -> str | None:
    """The secret given inline or in a file (the file's text without surrounding whitespace)."""
    if value is not None and path is not None:
        raise ValueError(f"give {name} or {name}_file, not both")
    if path is None:
        return value
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise ValueError(f"{name}_file {path}: {error.strerror or error}") from None
    if not text:
        raise ValueError(f"{name}_file {path} is empty")
    return text


class LadderConfig(_Section):
    url: str
    token: str | None = None
    token_file: Path | None = None
    timeout_s: Annotated[float, Field(gt=0)] = 10.0
    batch_points: Annotated[int, Field(ge=1, le=50_000)] = 5_000
    flush_interval_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    retry_max_s: Annotated[float, Field(gt=0)] = 30.0
    hold_max_s: Annotated[float, Field(gt=0)] = 300.0

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL, e.g. https://ladder.example.com")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _token(self) -> LadderConfig:
        token = _secret(self.token, self.token_file, "token")
        if not token:
            raise ValueError("token or token_file is required (the integration's ingest token)")
        object.__setattr__(self, "token", token)
        return self


class OpcuaConfig(_Section):
    endpoint: str
    security: str = "None"
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None  # pins the server's certificate when given
    application_uri: str = "urn:ladder:opcua-collector"  # must match the client certificate's
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    sampling_interval_ms: Annotated[float, Field(ge=0)] = 1000
    publishing_interval_ms: Annotated[float, Field(gt=0)] = 1000
    queue_size: Annotated[int, Field(ge=0)] = 0  # 0: enough for one publishing interval
    timeout_s: Annotated[float, Field(gt=0)] = 10.0
    reconnect_max_s: Annotated[float, Field(gt=0)] = 30.0

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, endpoint: str) -> str:
        if not endpoint.startswith("opc.tcp://") or not urlsplit(endpoint).hostname:
            raise ValueError("must be an opc.tcp:// URL, e.g. opc.tcp://plc.example.com:4840")
        return endpoint

    @field_validator("security")
    @classmethod
    def _security(cls, security: str) -> str:
        if security == "None":
            return security
        policy, _, mode = security.partition(",")
        if policy != "Basic256Sha256" or mode not in SECURITY_MODES:
            raise ValueError(
                'must be "None", "Basic256Sha256,Sign" or "Basic256Sha256,SignAndEncrypt", '
                f"got {security[:60]!r}"
            )
        return security

    @model_validator(mode="after")
    def _credentials(self) -> OpcuaConfig:
        if self.security != "None":
            missing = [n for n in ("certificate", "private_key") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"security {self.security} needs {' and '.join(missing)}")
            for name in ("certificate", "private_key", "server_certificate"):
                path = getattr(self, name)
                if path is not None and not path.is_file():
                    raise ValueError(f"{name}: no file {path}")
        password = _secret(self.password, self.password_file, "password")
        if (self.username is None) != (password is None):
            raise ValueError("give both username and password (or password_file), or neither")
        object.__setattr__(self, "password", password)
        return self

    @property
    def effective_queue_size(self) -> int:
        """Values the server keeps per node between two publishes: a change sampled every
        `sampling_interval_ms` must not be dropped before the next publish."""
        if self.queue_size:
            return self.queue_size
        sampling = max(self.sampling_interval_ms, 10)
        return max(1, min(10_000, int(2 * self.publishing_interval_ms / sampling) + 1))


class BufferConfig(_Section):
    path: Path
    max_points: Annotated[int, Field(ge=1)] = 1_000_000
    max_rejected: Annotated[int, Field(ge=1)] = 100_000


class NodeConfig(_Section):
    node_id: str
    metric: str
    field: str = "value"
    tags: dict[str, str] = {}

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, node_id: str) -> str:
        try:
            ua.NodeId.from_string(node_id)
        except Exception:
            raise ValueError(
                f"not an OPC UA node id: {node_id[:80]!r} (e.g. ns=2;s=Line3.Press.Vibration)"
            ) from None
        return node_id

    @field_validator("metric")
    @classmethod
    def _metric(cls, metric: str) -> str:
        _name(metric)
        if metric.startswith("#"):
            raise ValueError("must not start with '#' (the line would be a comment)")
        if metric.startswith("_"):
            raise ValueError("metric names starting with '_' are Ladder's")
        return metric

    @field_validator("field")
    @classmethod
    def _field(cls, field: str) -> str:
        _name(field)
        if field.startswith("_"):
            raise ValueError("field names starting with '_' are Ladder's (e.g. _quality)")
        return field

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            try:
                _name(key)
            except ValueError as error:
                raise ValueError(f"tag {key[:40]!r}: {error}") from None
            try:
                _name(value)
            except ValueError as error:
                raise ValueError(f"tag {key[:40]!r} value: {error}") from None
        return tags


def _name(name: str) -> None:
    """Refuse what is no line-protocol name: empty, or with a control character anywhere."""
    if not name:
        raise ValueError("must not be empty")
    if control := _CONTROL.search(name):
        raise ValueError(
            f"must not contain control characters (newline, tab...): {control.group()!r} in "
            f"{name[:40]!r}"
        )


class Config(_Section):
    ladder: LadderConfig
    opcua: OpcuaConfig
    buffer: BufferConfig
    nodes: Annotated[list[NodeConfig], Field(min_length=1)]
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _distinct(self) -> Config:
        seen: dict[object, int] = {}
        for number, node in enumerate(self.nodes):
            node_id = ua.NodeId.from_string(node.node_id)
            if node_id in seen:
                raise ValueError(
                    f"nodes[{number}].node_id {node.node_id} is also nodes[{seen[node_id]}]'s: "
                    "one node, one metric"
                )
            seen[node_id] = number
            key = (node.metric, node.field, tuple(sorted(node.tags.items())))
            if key in seen:
                raise ValueError(
                    f"nodes[{number}] ({node.node_id}) has the same metric, field and tags as "
                    f"nodes[{seen[key]}]: their values would overwrite each other"
                )
            seen[key] = number
        return self


def load(path: str | Path) -> Config:
    """The configuration in `path`; `ConfigError` names the file and every bad key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: {_explain(error)}") from None


def _explain(error: ValidationError) -> str:
    problems = []
    for problem in error.errors(include_url=False):
        key = ""
        for part in problem["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing":
            message = "is required"
        elif problem["type"] == "extra_forbidden":
            message = "is not a setting (misspelt?)"
        problems.append(f"{key}: {message}" if key else message)
    return "; ".join(problems)
