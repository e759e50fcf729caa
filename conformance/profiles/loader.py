"""Read a profile file (YAML or TOML) into a ``Profile``: validated against the shipped JSON Schema, and
every error one line naming the file and the line (``profile.yaml:12: paging.max_limit: ...``)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from conformance.model.errors import ConfigError
from conformance.profiles.base import (AuthScheme, CreatedFilters, CursorPaging, EqualityFilter, OffsetPaging,
                                       Profile, SearchFilter, Writes, ErrorDocs)

SCHEMA_FILE = "profile.schema.json"
_PACKAGE = __name__.rsplit(".", 1)[0]


def schema() -> dict[str, Any]:
    """The JSON Schema every profile file is validated against (shipped in the package)."""
    return json.loads(resources.files(_PACKAGE).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def shipped(name: str) -> Path:
    """The packaged profile file of a built-in vendor (``opine.yaml``, ``copper.yaml``)."""
    return Path(str(resources.files(_PACKAGE).joinpath(f"{name}.yaml")))


def shipped_names() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in Path(str(resources.files(_PACKAGE))).glob("*.yaml"))


class _Lines:
    """Where each value of a parsed file starts: a JSON path (tuple of keys/indexes) -> 1-based line."""

    def __init__(self, lines: dict[tuple, int]) -> None:
        self.lines = lines

    def of(self, path: Iterable[Any]) -> int:
        path = tuple(path)
        while path not in self.lines and path:  # a missing key: the line of the mapping that lacks it
            path = path[:-1]
        return self.lines.get(path, 1)


def _yaml_lines(node: yaml.Node | None, path: tuple = (), into: dict[tuple, int] | None = None) -> dict[tuple, int]:
    into = {} if into is None else into
    if node is None:
        return into
    into.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = path + (key.value,)
            into[child] = key.start_mark.line + 1  # the key's line reads best ("max_limit: 0")
            _yaml_lines(value, child, into)
            into[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _yaml_lines(value, path + (index,), into)
    return into


def _toml_lines(text: str, data: Any) -> dict[tuple, int]:
    """tomllib keeps no positions: find each key's line by its name under the table header (good enough
    to point at the line; an error still names the key path)."""
    import re

    lines: dict[tuple, int] = {(): 1}
    table: tuple = ()
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[+([^\]]+)\]+", line)
        if header:
            table = tuple(part.strip().strip('"') for part in header.group(1).split("."))
            lines.setdefault(table, number)
            continue
        key = re.match(r'\s*("?)([^"=\s]+)\1\s*=', line)
        if key:
            lines.setdefault(table + (key.group(2),), number)
    return lines


def _parse(path: Path) -> tuple[Any, _Lines]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"profile {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read profile {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix.lower() == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_in(str(exc))
            raise ConfigError(f"{path}:{line}: not valid TOML: {str(exc).split(' (at line')[0]}") from None
        return data, _Lines(_toml_lines(text, data))
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return data, _Lines(_yaml_lines(node))


def _line_in(message: str) -> int:
    import re

    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 1


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _error_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, shortened: a oneOf/anyOf says which alternative came closest."""
    best = jsonschema.exceptions.best_match([error])
    if best.validator in ("oneOf", "anyOf") and best.context:
        deepest = max(best.context, key=lambda e: len(e.absolute_path))
        return deepest.message
    message = best.message
    message = message if len(message) <= 200 else message[:197] + "..."
    described = best.schema.get("description") if isinstance(best.schema, dict) else None
    return f"{message}: {described}" if described else message  # the schema says what the key holds


def load_profile(path: Path | str) -> Profile:
    """Read, validate and build the profile in ``path`` (``.yaml``/``.yml`` or ``.toml``); ConfigError
    (exit 2) naming the file and line on anything wrong."""
    path = Path(path)
    data, lines = _parse(path)
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (lines.of(e.absolute_path), list(e.absolute_path)))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = tuple(error.absolute_path)
        if error.validator in ("oneOf", "anyOf") and error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
            where = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            unexpected = [key for key in error.instance if key not in allowed]
            if unexpected:  # point at the misspelt key itself
                where += (unexpected[0],)
                raise ConfigError(f"{path}:{lines.of(where)}: {_where(where)}: unknown key (a typo? "
                                  f"known here: {', '.join(sorted(allowed))})")
        raise ConfigError(f"{path}:{lines.of(where)}: {_where(where)}: {_error_message(error)}")
    return _build(path, data, lines)


def _build(path: Path, data: dict[str, Any], lines: _Lines) -> Profile:
    def fail(where: tuple, message: str) -> ConfigError:
        return ConfigError(f"{path}:{lines.of(where)}: {_where(where)}: {message}")

    spec = (path.parent / data["spec"]).resolve()
    if not spec.is_file():
        raise fail(("spec",), f"no spec file at {spec} (the path is relative to the profile file)")
    auth = data["auth"]
    paging_data = dict(data["paging"])
    style = paging_data.pop("style")
    low, high = paging_data.get("default_limit"), paging_data.get("max_limit")
    if low is not None and high is not None and low > high:
        raise fail(("paging", "default_limit"), f"default_limit {low} is above max_limit {high}")
    paging: OffsetPaging | CursorPaging
    if style == "offset":
        paging = OffsetPaging(**paging_data)
    else:
        paging_data.setdefault("object_field", None)
        paging_data.setdefault("object_value", None)
        paging = CursorPaging(**paging_data)
        if (paging.object_field is None) != (paging.object_value is None):
            raise fail(("paging",), "object_field and object_value go together (both or neither)")
    operations = frozenset(data.get("operations", ["list"]))
    if {"retrieve", "update"} & operations and not data.get("item"):
        raise fail(("operations",), "retrieve/update listed but no item path (e.g. item: /tickets/{id})")
    writes = None
    if "writes" in data:
        w = dict(data["writes"])
        # Ticket-shaped fields the API lacks are left out or null: their checks do not apply.
        w = {k: v for k, v in w.items() if v is not None}
        if "title_length" in w:
            w["title_length"] = tuple(w["title_length"])
        for name in ("required_on_create", "not_nullable", "nullable", "date_fields"):
            if name in w:
                w[name] = tuple(w[name])
        writes = Writes(**w)
        if writes.title_length and writes.title_length[0] > writes.title_length[1]:
            raise fail(("writes", "title_length"), "the minimum is above the maximum")
        if not {"create", "update"} & operations:
            raise fail(("writes",), "writes without create or update in operations")
    elif {"create", "update"} & operations:
        raise fail(("operations",), "create/update listed but no writes section says what they accept")
    created = data.get("created_filters")
    reference = data.get("reference") or {}
    return Profile(
        name=data["name"],
        title=data.get("title", data["name"]),
        spec=spec,
        key_env=auth.get("key_env", ""),
        version_prefix=data["version_prefix"],
        auth=AuthScheme(kind=auth["kind"], header=auth.get("header", "")),
        paging=paging,
        collection=data["collection"],
        item=data.get("item", ""),
        id_field=data["id_field"],
        created_field=data["created_field"],
        operations=operations,
        enums={k: tuple(v) for k, v in (data.get("enums") or {}).items()},
        created_filters=CreatedFilters(field=created["field"], params=dict(created["params"])) if created else None,
        location=EqualityFilter(**data["location"]) if "location" in data else None,
        search=SearchFilter(**data["search"]) if "search" in data else None,
        writes=writes,
        errors=_errors(data.get("errors")),
        reference_module=reference.get("module", ""),
        reference_key=reference.get("key", ""),
        documented=dict(data.get("documented") or {}),
        unverified=dict(data.get("unverified") or {}),
        timestamp_formats=tuple(data.get("timestamp_formats", ["iso"])),
        levels=dict(data.get("levels") or {}),
        source=str(path),
    )


def _errors(data: dict[str, Any] | None) -> ErrorDocs | None:
    """What the vendor documents about error answers (absent: error bodies are not judged)."""
    if not data:
        return None
    return ErrorDocs(media_type=data["media_type"], validation_fields=tuple(data.get("validation_fields", ())),
                     issue_fields=tuple(data.get("issue_fields", ())), attributes=tuple(data.get("attributes", ())),
                     envelope=data.get("envelope", ""), bare_statuses=tuple(data.get("bare_statuses", ())))
