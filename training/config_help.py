"""`agora config`: every training config key with its type, default and one-line doc.

The docs are the ``Field(description=...)`` of the config classes (:mod:`training.config`,
:mod:`agents.tiny.config`, :mod:`agents.llm.lora`): written once, printed from there.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from training.config import TrainConfig, _model_of, load_config


def type_name(annotation: Any) -> str:
    """``int``, ``float | null``, ``grpo | gigpo``: the annotation as a user writes values."""
    if typing.get_origin(annotation) is typing.Literal:
        return " | ".join(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return "section" if issubclass(annotation, BaseModel) else annotation.__name__
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " | ".join("null" if a is type(None) else type_name(a) for a in args)
    origin = typing.get_origin(annotation)
    inner = ", ".join(type_name(a) for a in args)
    return f"{getattr(origin, '__name__', origin)}[{inner}]"


def _value(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...").removesuffix(" ...")


def config_keys(model: type[BaseModel] = TrainConfig, prefix: str = "") -> Iterator[tuple[str, str, Any, str]]:
    """``(dotted key, type, default, doc)`` of every setting, sections before their keys."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = _model_of(field.annotation)
        default = field.get_default(call_default_factory=True)
        if default is PydanticUndefined:
            default = "required"  # no default: a section that has it must give it (team.roles.<name>.model)
        if sub is not None:
            yield key, type_name(field.annotation), None if default is None else "section", field.description or ""
            keyed = typing.get_origin(field.annotation) is dict  # team.models: one section per name
            yield from config_keys(sub, prefix=f"{key}.<name>." if keyed else f"{key}.")
        else:
            yield key, type_name(field.annotation), default, field.description or ""


def _lookup(config: TrainConfig, key: str) -> Any:
    node = config
    for part in key.split("."):
        node = getattr(node, part) if node is not None else None  # None under an unset optional section
    return node


def describe(config: TrainConfig | None = None) -> str:
    """The key table; with ``config``, each value that differs from the default is shown too."""
    lines = [
        "Training config keys (set in a YAML file or as key=value on `agora train`). The defaults",
        "are the code's; a config file states only what differs (the main job: configs/household_tiny.yaml).",
        "",
    ]
    for key, kind, default, doc in config_keys():
        depth = key.count(".")
        head = f"{'  ' * depth}{key}: {kind}"
        if default != "section":
            head += f" = {_value(default)}"
            if config is not None and "<name>" not in key and _value(_lookup(config, key)) != _value(default):
                head += f"  [this config: {_value(_lookup(config, key))}]"
        lines.append(f"{head}\n{'  ' * depth}    {doc}" if doc else head)
    return "\n".join(lines)


def config_command(config_path: str | None, overrides: list[str]) -> int:
    config = load_config(config_path, overrides) if config_path or overrides else None
    print(describe(config))
    return 0
