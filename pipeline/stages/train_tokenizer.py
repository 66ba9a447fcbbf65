"""Train the tokenizer on the documents that reach this point of a run; they all go on."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import Field

from pipeline.stages.base import GlobalStage


class TokenizerParams:
    """The settings of `kopile train-tokenizer` (see its config), without input and output: the
    input is this stage's documents, the output `NN_train_tokenizer/tokenizer/`."""

    def __init__(self, model: Literal["sp_bpe", "unigram", "bytelevel_bpe"] = "sp_bpe",
                 vocab_size: Annotated[int, Field(ge=512, le=1_000_000)] = 32000,
                 pretokenize: Literal["default", "punct", "digits", "kiwi"] = "default",
                 fold_width: bool = False, min_frequency: Annotated[int, Field(ge=1)] = 2,
                 max_chars: Annotated[int, Field(ge=1)] | None = None,
                 model_max_length: Annotated[int, Field(ge=1)] = 4096):
        self.__dict__.update({k: v for k, v in locals().items() if k != "self"})


class TrainTokenizerStage(GlobalStage):
    name = "train_tokenizer"
    filter_classes = {"": TokenizerParams}

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        return pa.table({"id": table.column(id_column).cast(pa.string())})  # the text is read from the shards

    def decide(self, key_files, work: Path, parallel, sources=None) -> dict[str, pa.Table]:
        from pipeline.config import TokenizerConfig
        from tokenizers_train.run import train_tokenizer

        out = Path(work).parent / "tokenizer"
        if not (out / "train_report.json").is_file():
            names = [name for name, _ in key_files]
            config = TokenizerConfig(input=[str(sources[n]) for n in names], output=str(out),
                                     text_column=self.text_column, **self.params)
            train_tokenizer(config, parallel)
        empty = pa.table({"row": pa.array([], pa.int64())})
        return {name: empty for name, _ in key_files}
