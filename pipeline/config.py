"""The configs of `kopile run` and `kopile ingest`: YAML, validated, with errors that name the
file and the key.

A stage's settings are its `Params` model; a run records them resolved (defaults included),
so that run.json says exactly which thresholds made its outputs.
"""
from __future__ import annotations

import difflib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from kopile.core.config import STRICT, ConfigError, load_yaml, parse_model
from kopile.pipeline.stages import REQUIRES, STAGES, stage_class

__all__ = ["ConfigError", "RunConfig", "StageSpec", "Config", "parse_config", "load_config", "IngestConfig",
           "BlockConfig", "parse_ingest_config", "load_ingest_config"]


class RunConfig(BaseModel):
    model_config = STRICT

    input: str | list[str]
    output: str
    text_column: str = "text"
    id_column: str = "id"
    # Ids repeated across the input: refuse the run (`error`), or keep the first and give the
    # others `<id>~<shard>:<row>` (`rename`), counted in the first stage's manifest.
    id_conflict: Literal["error", "rename"] = "error"
    seed: int = Field(0, strict=True)
    batch_rows: int = Field(1000, ge=1, strict=True)
    # A global stage's `_work/` (keys, buckets, signatures) is removed once every shard has
    # passed the stage; true keeps it for inspection.
    keep_work: bool = Field(False, strict=True)
    # Consecutive per-document stages run as one pass over a shard and write their kept rows
    # once (`passes`); `all` writes every stage's kept copy, for inspection. Same outputs.
    materialize: Literal["passes", "all"] = "passes"
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
    # Values that are accepted but probably not meant (a threshold typed as 0.08).
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = self.run.model_dump()
        data["stages"] = [{s.name: s.params} for s in self.stages]
        return data


def parse_config(data: Any, source: str = "<config>") -> Config:
    run = parse_model(RunConfig, data, source)
    specs, problems, warnings = [], [], []
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
        missing = [(module, extra) for module, extra in REQUIRES.get(name, {}).items() if not _installed(module)]
        if missing:
            module, extra = missing[0]
            problems.append(f"stages[{i}].{name}: needs {module}, which is not installed "
                            f"(pip install 'kopile[{extra}]')")
            continue
        try:
            validated = parse_model(stage_class(name).Params, {} if params is None else params, source,
                                    f"stages[{i}].{name}")
        except ConfigError as e:
            problems.append(str(e).removeprefix(f"{source}: "))
            continue
        if hasattr(validated, "resolve"):  # settings that read files (a model): their errors are config errors
            try:
                validated = validated.resolve()
            except ValueError as e:
                problems.append(f"stages[{i}].{name}: {e}")
                continue
        specs.append(StageSpec(name, validated.model_dump()))
        warnings += [f"stages[{i}].{name}: {w}" for w in getattr(validated, "warnings", lambda: [])()]
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return Config(run, specs, source, warnings)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def load_config(path: str | Path, overrides: dict | None = None) -> Config:
    return parse_config(load_yaml(Path(path), overrides), str(path))


class BlockConfig(BaseModel):
    model_config = STRICT

    domains: list[str] = []
    domain_files: list[str] = []
    url_patterns: list[str] = []
    pattern_files: list[str] = []
    host_patterns: list[str] = []
    defaults: bool = True


class PrefilterConfig(BaseModel):
    """Which WARC pages are extracted at all: those whose raw bytes hold at least `min_hangul`
    Hangul syllables, at least `min_share` of their non-ASCII characters (ingest/prefilter.py)."""
    model_config = STRICT

    min_hangul: int = Field(10, ge=1, strict=True)
    min_share: float = Field(0.05, ge=0, le=1)


class IngestConfig(BaseModel):
    """`kopile ingest`: which dumps, how to read them, where the shards go."""
    model_config = STRICT

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
    # Consecutive input files of up to `shard_mb` on disk together are one task writing one set
    # of shards: thousands of small dumps give full shards, not thousands of tiny ones.
    merge_small: bool = True
    min_chars: int = Field(1, ge=1)
    max_record_mb: int = Field(64, ge=1)
    block: BlockConfig = BlockConfig()
    # Pages of a WARC with (almost) no Hangul are removed as `little_hangul` before decoding
    # and extraction; `prefilter: null` extracts every page.
    prefilter: PrefilterConfig | None = PrefilterConfig()


def parse_ingest_config(data: Any, source: str = "<config>") -> IngestConfig:
    return parse_model(IngestConfig, data, source)


def load_ingest_config(path: str | Path, overrides: dict | None = None) -> IngestConfig:
    return parse_ingest_config(load_yaml(Path(path), overrides), str(path))
