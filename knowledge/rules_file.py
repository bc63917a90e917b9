"""Reading a rules file (YAML; TOML still accepted for deployments that have one) and saying what is wrong
with it: the file, the line, the dotted setting (subsidy.bands[1].per_day) and the reason, so an official
editing their county's copy can fix it without reading a traceback."""

from __future__ import annotations

import difflib
import re
import tomllib
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = (*YAML_SUFFIXES, ".toml")
# YAML 1.1 reads an unquoted 21:00 as the base-60 number 1260; a rules file means a time of day
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_MERGE = "tag:yaml.org,2002:merge"


class RulesError(Exception):
    """A rules file that cannot be used; the message names the file and what to fix."""


class RulesLoader(yaml.SafeLoader):
    """yaml.safe_load, except that 21:00 stays the text "21:00" and a key given twice is an error (as in
    TOML) rather than the last one silently winning."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and _BASE_60.fullmatch(value):
            return "tag:yaml.org,2002:str"
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                if key.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key {key.value!r} is given twice (first on line {seen[key.value]})",
                        key.start_mark,
                    )
                seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_data(path: Path) -> tuple[dict[str, Any], str]:
    """The file's settings as plain data, and its text (to find lines in later)."""
    if path.suffix.lower() not in SUFFIXES:
        raise RulesError(f"{path}: a rules file must end in .yaml, .yml or .toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"rules file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"cannot read the rules file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text), text
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{path}: not valid TOML: {exc}") from None
    try:
        data = yaml.load(text, Loader=RulesLoader)  # RulesLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        raise RulesError(_yaml_problem(path, text, exc)) from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from None
    if data is None:  # an empty file, as an empty TOML file was: every default
        return {}, text
    if not isinstance(data, dict):
        raise RulesError(
            f"{path}: should be a set of sections (organisation:, subsidy:, reminders:, ladder:, interview:), "
            f"not a {type(data).__name__}"
        )
    return data, text


def _yaml_problem(path: Path, text: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "syntax error"
    if mark is None:
        return f"{path}: not valid YAML: {problem}"
    message = f"{path}: not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    if exc.context and exc.context_mark and exc.context_mark.line != mark.line:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    lines = text.splitlines()
    if mark.line < len(lines):
        message += f"\n    {mark.line + 1} | {lines[mark.line]}"
    return message


def explain(path: Path, exc: ValidationError, model: type[BaseModel], text: str) -> str:
    """Every problem pydantic found, one line each: dotted setting, line in the file, reason."""
    tree = _compose(text) if path.suffix.lower() in YAML_SUFFIXES else None
    problems = exc.errors(include_url=False)
    head = "1 setting is wrong" if len(problems) == 1 else f"{len(problems)} settings are wrong"
    found = [(_line_of(tree, e["loc"]) if tree is not None else None, e) for e in problems]
    found.sort(key=lambda pair: pair[0] or 0)  # in file order; stable for TOML, which has no lines
    lines = [f"{path}: {head}:"]
    for line, error in found:
        where = dotted(error["loc"]) or "(the whole file)"
        if line is not None:
            where += f" (line {line})"
        lines.append(f"  {where}: {_reason(error, model)}")
    return "\n".join(lines)


def dotted(loc: Sequence[int | str]) -> str:
    """("subsidy", "bands", 1, "per_day") → "subsidy.bands[1].per_day"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _reason(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        name = str(loc[-1])
        known = _fields_at(model, loc[:-1])
        reason = f"unknown setting {name!r}"
        if known:
            close = difflib.get_close_matches(name, known, n=1)
            reason += f" — did you mean {close[0]!r}?" if close else f" (known here: {', '.join(known)})"
        return reason
    if kind == "missing":
        return "required, but not given"
    reason = error["msg"].removeprefix("Value error, ")
    if isinstance(value, str | int | float | bool):
        reason += f" (got {value!r})"
    return reason


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The settings allowed at `loc`, following the models' annotations (lists, dicts, optionals)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    return sorted(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=RulesLoader)
    except yaml.YAMLError:
        return None


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the setting at `loc`: its key's line, or the list item's."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None
            )
            if found is None:
                return line
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def dump(data: dict[str, Any]) -> str:
    """Settings back to YAML text, Chinese left readable."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
