"""YAML configs validated by pydantic models, with errors that name the file and the key.

Every command's config goes through here, so that a typo or a value out of range reads the
same way everywhere: `run.yaml: stages[2].quality.words.min_wrods: unknown key (did you mean
'min_words'?)`.
"""
from __future__ import annotations

import difflib
import inspect
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Strict, ValidationError, create_model

from kopile.core.errors import ConfigError

STRICT = ConfigDict(extra="forbid")

__all__ = ["ConfigError", "STRICT", "load_yaml", "parse_model", "describe", "signature_model"]


def load_yaml(path: Path, overrides: dict | None = None):
    """The YAML document of `path`, with the keys of `overrides` that are not None set on it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if isinstance(data, dict) and overrides:
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return data


def parse_model(model: type[BaseModel], data: Any, source: str = "<config>", prefix: str = ""):
    if not isinstance(data, dict):
        what = f"{prefix}: expected" if prefix else "the config must be"
        raise ConfigError(f"{source}: {what} a mapping of keys, got {_kind(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{source}: " + "; ".join(describe(err, model, prefix) for err in e.errors())) from None


def _kind(value) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def describe(error: dict, model: type[BaseModel] | None, prefix: str) -> str:
    loc = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
    loc = loc.lstrip(".")
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        known = _known_keys(model, error["loc"][:-1])
        hint = difflib.get_close_matches(key, known, n=1)
        return f"{loc}: unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else f"; known keys: {sorted(known)}")
    if error["type"] == "missing":
        return f"{loc}: required key is missing"
    return f"{loc}: {error['msg']} (got {error.get('input')!r})"


def _known_keys(model: type[BaseModel] | None, path) -> list[str]:
    for part in path:
        if model is None or isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        model = next((a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)),
                     annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None)
    return list(model.model_fields) if model else []


def _strict(hint):
    """Numbers and booleans as written: YAML's `true` is not the number 1, nor 1 a boolean."""
    origin = typing.get_origin(hint)
    if hint in (int, float, bool):
        return Annotated[hint, Strict()]
    if origin is Annotated:
        base, *meta = typing.get_args(hint)
        if base in (int, float, bool):
            return Annotated[(base, Strict(), *meta)]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_strict(a) for a in typing.get_args(hint))]
    return hint


def signature_model(name: str, cls: type, injected: tuple[str, ...] = ()) -> type[BaseModel]:
    """A pydantic model whose fields are the keyword arguments of `cls.__init__`: a filter's
    thresholds are declared once, in its constructor, and validated from config through it.
    `injected` names arguments that the stage passes itself (objects, not settings)."""
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    fields = {}
    for pname, p in inspect.signature(cls.__init__).parameters.items():
        if pname == "self" or pname in injected or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        default = ... if p.default is p.empty else p.default
        fields[pname] = (_strict(hints.get(pname, Any)), default)
    return create_model(name, __config__=STRICT, **fields)
