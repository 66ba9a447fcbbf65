"""Text of Parquet shards as a stream: one Arrow batch at a time, never the corpus in memory."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa

from kopile.core import io
from kopile.core.errors import InputError
from kopile.core.storage import at
from kopile.core.schema import require_text_column


def texts(shards: list[tuple[str, Path]], text_column: str = "text", max_chars: int | None = None,
          batch_rows: int = 1000) -> Iterator[str]:
    seen = 0
    for _, path in shards:
        parquet = io.open_parquet(path)
        require_text_column(parquet.schema_arrow, text_column, str(path))
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=[text_column]):
            for text in batch.column(0).to_pylist():
                if not text:
                    continue
                if max_chars is not None and seen >= max_chars:
                    return
                seen += len(text)
                yield text


def labelled_texts(shards: list[tuple[str, Path]], text_column: str, label_column: str,
                   batch_rows: int = 1000) -> Iterator[tuple[str, str]]:
    """(text, label) of every non-empty text; a missing label reads as "none"."""
    for _, path in shards:
        parquet = io.open_parquet(path)
        require_text_column(parquet.schema_arrow, text_column, str(path))
        if label_column not in parquet.schema_arrow.names:
            raise InputError(f"{path}: no column {label_column!r} (columns: {', '.join(parquet.schema_arrow.names)})")
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=[text_column, label_column]):
            for text, label in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                if text:
                    yield text, "none" if label is None else str(label)


def mark_morphemes(source: str, out: str, text_column: str) -> None:
    """One shard's texts with Kiwi's morpheme boundaries marked (a Ray task per shard)."""
    from kopile.tokenizers_train.train import kiwi_marked

    out = at(out)
    if out.is_file():
        return
    writer = io.AtomicParquetWriter(out)
    batch: list[str] = []
    for text in kiwi_marked(texts([("", source)], text_column)):
        batch.append(text)
        if len(batch) == 1000:
            writer.write(pa.table({"text": pa.array(batch, pa.large_string())}))
            batch = []
    writer.write(pa.table({"text": pa.array(batch, pa.large_string())}))
    writer.commit()
