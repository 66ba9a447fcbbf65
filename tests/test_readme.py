"""The README's YAML blocks are configs the code accepts, and every setting they show is the
code's default, or its line says which default it replaces (`# ... (default: X)`): a user who
copies a block gets what the README describes."""
import re

import pytest
import yaml

from conftest import ROOT
from kopile.pipeline.classifier_train import ClassifierConfig
from kopile.pipeline.config import IngestConfig, RunConfig
from kopile.pipeline.stages import STAGES, stage_class
from kopile.tokenizers_train.config import PackConfig, TokenizerConfig

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", README, re.S)
_LINE = re.compile(r"^\s*(?:-\s*)?([A-Za-z_]\w*):(.*)$")


def comments(block: str) -> list[tuple[str, str, str]]:
    """(key, value text, comment) of each `key: value  # comment` line, in order; keys of an
    inline mapping (`{a: 1, b: 2}`) share their line's comment."""
    out = []
    for line in block.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        key, rest = match.groups()
        value, _, comment = rest.partition("#")
        out.append((key, value.strip(), comment.strip()))
        for inner in re.findall(r"([A-Za-z_]\w*):", value):
            out.append((inner, value.strip(), comment.strip()))
    return out


def shown(block: str):
    """(model, settings, where) for each part of a block that is a config or a stage."""
    data = yaml.safe_load(block)
    items = data.get("stages", []) if isinstance(data, dict) else data if isinstance(data, list) else []
    if isinstance(data, dict):
        if "stages" in data:
            yield RunConfig, {k: v for k, v in data.items() if k != "stages"}, "run"
        elif "extractor" in data or "text_unit" in data:
            yield IngestConfig, data, "ingest"
        elif "formats" in data or "mix" in data:
            yield PackConfig, data, "tokenize"
        elif "vocab_size" in data or "pretokenize" in data:
            yield TokenizerConfig, data, "tokenizer"
        elif "sources" in data and "positive" in data:
            yield ClassifierConfig, data, "train-classifier"
    for item in items:
        if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in STAGES:
            name, params = next(iter(item.items()))
            yield stage_class(name).Params, params or {}, name


def differences(model, settings: dict, prefix=""):
    """(key, value shown, default) for every shown value that is not the default."""
    for key, value in settings.items():
        field = model.model_fields.get(key)
        assert field is not None, f"{prefix}{key}: not a setting of {model.__name__}"
        default = field.get_default(call_default_factory=True)
        if hasattr(default, "model_dump") and isinstance(value, dict):
            yield from differences(type(default), value, f"{prefix}{key}.")
        elif default is None or field.is_required():
            continue  # required, or decided elsewhere (a mode's default)
        else:
            default = default.model_dump() if hasattr(default, "model_dump") else default
            if (list(default) if isinstance(default, tuple) else default) != value:
                yield key, value, default


def test_there_are_yaml_blocks():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("block", BLOCKS, ids=[b.strip().splitlines()[0][:40] for b in BLOCKS])
def test_each_block_parses_and_shows_defaults(block):
    notes = comments(block)
    for model, settings, where in shown(block):
        if model in (IngestConfig, TokenizerConfig):
            model.model_validate({"input": "x", "output": "y", **settings})
        elif model is not RunConfig:
            model.model_validate(settings)
        for key, value, default in differences(model, settings):
            said = [c for k, _, c in notes if k == key]
            text = yaml.safe_dump(default, default_flow_style=True).strip().removesuffix("...").strip()
            assert any(f"default: {text}" in c or f"default {text}" in c for c in said), (
                f"README, {where}: {key}: {value!r} is shown, the code's default is {default!r}; "
                f"show the default or say `(default: {text})` on its line")
