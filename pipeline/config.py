"""The run configuration: YAML, validated, with errors that name the file and the key.

Stage parameters are not declared twice: each stage's schema is built from the constructor
signatures of its filters, so a threshold exists in one place (the filter) and a typo in a
config key is still an error.
"""
from __future__ import annotations

import difflib
import inspect
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

_STRICT = ConfigDict(extra="forbid")


class ConfigError(ValueError):
    pass


def params_model(name: str, cls: type, exclude=("self", "tokenizer")) -> type[BaseModel]:
    """A pydantic model whose fields are the keyword arguments of `cls.__init__`."""
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    fields = {}
    for pname, p in inspect.signature(cls.__init__).parameters.items():
        if pname in exclude or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        default = ... if p.default is p.empty else p.default
        fields[pname] = (hints.get(pname, Any), default)
    return create_model(name, __config__=_STRICT, **fields)


def stage_params_model(stage_cls) -> type[BaseModel]:
    sections = stage_cls.filter_classes
    if list(sections) == [""]:
        return params_model(f"{stage_cls.name}_params", sections[""])
    fields: dict[str, Any] = {
        name: (params_model(f"{stage_cls.name}_{name}", cls) | None, None) for name, cls in sections.items()
    }
    fields["enabled"] = (list[Literal[tuple(sections)]] | None, None)  # type: ignore[misc]
    fields["mode"] = (Literal["eojeol", "kiwi"], "eojeol")
    return create_model(f"{stage_cls.name}_params", __config__=_STRICT, **fields)


class RunConfig(BaseModel):
    model_config = _STRICT

    input: str | list[str]
    output: str
    text_column: str = "text"
    id_column: str = "id"
    seed: int = 0
    batch_rows: int = Field(1000, ge=1)
    stages: list[dict[str, Any]] = Field(min_length=1)


@dataclass
class StageSpec:
    name: str
    params: dict = field(default_factory=dict)


@dataclass
class Config:
    run: RunConfig
    stages: list[StageSpec]
    source: str

    def to_json(self) -> dict:
        data = self.run.model_dump()
        data["stages"] = [{s.name: s.params} for s in self.stages]
        return data


def _describe(error: dict, model: type[BaseModel] | None, prefix: str) -> str:
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


def parse_config(data: Any, source: str = "<config>") -> Config:
    from pipeline.stages import STAGES

    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys, got {type(data).__name__}")
    try:
        run = RunConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{source}: " + "; ".join(_describe(err, RunConfig, "") for err in e.errors())) from None
    specs, problems = [], []
    for i, item in enumerate(run.stages):
        if len(item) != 1:
            problems.append(f"stages[{i}]: each stage is a mapping with one key, its name (got {sorted(item)})")
            continue
        (name, params), = item.items()
        if name not in STAGES:
            hint = difflib.get_close_matches(str(name), list(STAGES), n=1)
            problems.append(f"stages[{i}].{name}: unknown stage" + (f" (did you mean {hint[0]!r}?)" if hint
                                                                     else f"; stages are {sorted(STAGES)}"))
            continue
        model = stage_params_model(STAGES[name])
        try:
            validated = model.model_validate(params or {})
        except ValidationError as e:
            problems.extend(_describe(err, model, f"stages[{i}].{name}") for err in e.errors())
            continue
        specs.append(StageSpec(name, validated.model_dump(exclude_none=True)))
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return Config(run, specs, source)


def _load_yaml(path: Path, overrides: dict | None):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if isinstance(data, dict) and overrides:
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return data


def load_config(path: str | Path, overrides: dict | None = None) -> Config:
    return parse_config(_load_yaml(Path(path), overrides), str(path))

class BlockConfig(BaseModel):
    model_config = _STRICT

    domains: list[str] = []
    domain_files: list[str] = []
    url_patterns: list[str] = []
    pattern_files: list[str] = []
    host_patterns: list[str] = []
    defaults: bool = True


class IngestConfig(BaseModel):
    """`kopile ingest`: which dumps, how to read them, where the shards go."""
    model_config = _STRICT

    input: str | list[str]
    output: str
    format: Literal["auto", "warc", "wet", "jsonl", "text"] = "auto"
    extractor: Literal["resiliparse", "trafilatura"] = "resiliparse"
    text_field: str = "text"
    id_field: str | None = None
    url_field: str | None = "url"
    date_field: str | None = None
    text_unit: Literal["file", "block"] = "file"
    shard_mb: float = Field(128, gt=0)
    row_group_mb: float = Field(16, gt=0)
    min_chars: int = Field(1, ge=1)
    max_record_mb: int = Field(64, ge=1)
    block: BlockConfig = BlockConfig()


class TokenizerConfig(BaseModel):
    """`kopile train-tokenizer`: which shards, which model, where the tokenizer goes."""
    model_config = _STRICT

    input: str | list[str]
    output: str
    text_column: str = "text"
    model: Literal["sp_bpe", "unigram", "bytelevel_bpe"] = "sp_bpe"
    vocab_size: int = Field(32000, ge=512, le=1_000_000)
    pretokenize: Literal["default", "punct", "digits", "kiwi"] = "default"
    fold_width: bool = False
    min_frequency: int = Field(2, ge=1)
    max_chars: int | None = Field(None, ge=1)  # train on the first this many characters only
    model_max_length: int = Field(4096, ge=1)


class PackConfig(BaseModel):
    """`kopile tokenize`: encode shards with a trained tokenizer into packed token streams."""
    model_config = _STRICT

    input: str | list[str]
    tokenizer: str
    output: str
    text_column: str = "text"
    id_column: str = "id"
    val_fraction: float = Field(0.01, ge=0, lt=1)
    seed: int = 0
    shuffle: bool = False
    batch_rows: int = Field(1000, ge=1)


def parse_pack_config(data: Any, source: str = "<config>") -> PackConfig:
    return _parse(PackConfig, data, source)


def load_pack_config(path: str | Path, overrides: dict | None = None) -> PackConfig:
    return parse_pack_config(_load_yaml(Path(path), overrides), str(path))


def _parse(model: type[BaseModel], data: Any, source: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{source}: " + "; ".join(_describe(err, model, "") for err in e.errors())) from None


def parse_ingest_config(data: Any, source: str = "<config>") -> IngestConfig:
    return _parse(IngestConfig, data, source)


def load_ingest_config(path: str | Path, overrides: dict | None = None) -> IngestConfig:
    return parse_ingest_config(_load_yaml(Path(path), overrides), str(path))


def parse_tokenizer_config(data: Any, source: str = "<config>") -> TokenizerConfig:
    return _parse(TokenizerConfig, data, source)


def load_tokenizer_config(path: str | Path, overrides: dict | None = None) -> TokenizerConfig:
    return parse_tokenizer_config(_load_yaml(Path(path), overrides), str(path))
