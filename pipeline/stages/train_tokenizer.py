"""Train the tokenizer on the documents that reach this point of a run; they all go on."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from kopile.pipeline.stages.base import GlobalStage
from kopile.tokenizers_train.config import TokenizerConfig, TokenizerSettings


class TrainTokenizerStage(GlobalStage):
    """The settings of `kopile train-tokenizer` without input and output: the input is this
    stage's documents, the output `NN_train_tokenizer/tokenizer/`."""

    name = "train_tokenizer"
    Params = TokenizerSettings

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        return pa.table({"id": table.column(id_column).cast(pa.string())})  # the text is read from the shards

    def decide(self, key_files, work: Path, parallel, sources=None) -> dict[str, pa.Table]:
        from kopile.core.errors import InputError
        from kopile.core.io import replace_dir
        from kopile.core.storage import is_uri
        from kopile.tokenizers_train.run import train_tokenizer

        if is_uri(work):
            raise InputError("train_tokenizer writes its tokenizer to a local folder: give the run a local output "
                             "(object storage is not supported for this stage yet)")
        # Trained in the decision's work folder (a resumed decision reuses it, another set of
        # shards trains anew), then published beside it as the stage's output.
        trained = Path(work) / "tokenizer"
        if not (trained / "train_report.json").is_file():
            names = [name for name, _ in key_files]
            config = TokenizerConfig(input=[str(sources[n]) for n in names], output=str(trained),
                                     text_column=self.text_column, **self.params)
            train_tokenizer(config, parallel)
        replace_dir(trained, Path(work).parent.parent / "tokenizer", ignore=("_work",))
        empty = pa.table({"row": pa.array([], pa.int64())})
        return {name: empty for name, _ in key_files}
