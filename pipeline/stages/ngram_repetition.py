"""Lines or sentence spans repeated across documents (footers, cookie notices, templates) are
cut from every document but the first that has them; the rest of each document stays."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from kopile.core.config import STRICT
from kopile.core import io
from kopile.core.schema import text_values
from kopile.filters.dedup import ExactKey
from kopile.pipeline.dedup import spans
from kopile.pipeline.stages.base import GlobalStage, StageResult, removed_table


class SpanParams(BaseModel):
    """unit: `line`, or `sentence` (cut at sentence-final punctuation and at line ends).
    span: how many consecutive units make one span (C4 used three sentences).
    min_chars: shorter spans never count. min_docs: a span is repeated when at least this
    many documents hold it. keep_first: leave it in the first of them (C4) or cut it
    everywhere (site boilerplate). A document left without text is removed."""
    model_config = STRICT

    unit: Literal["line", "sentence"] = "line"
    span: Annotated[int, Field(ge=1, le=16, strict=True)] = 1
    min_chars: Annotated[int, Field(ge=1, strict=True)] = 20
    min_docs: Annotated[int, Field(ge=2, strict=True)] = 2
    keep_first: Annotated[bool, Field(strict=True)] = True
    partition_mb: Annotated[int, Field(ge=1, strict=True)] = 256
    partitions: Annotated[int, Field(ge=1, strict=True)] | None = None


class NgramRepetitionStage(GlobalStage):
    name = "ngram_repetition"
    Params = SpanParams
    reason = "all_spans_repeated"

    def setup(self) -> None:
        p = self.settings
        self.segmenter = spans.Segmenter(p.unit, p.span, p.min_chars, ExactKey().normalize)

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        texts, _ = text_values(table, self.text_column)
        keys = [[k for _, k in self.segmenter.spans(self.segmenter.segments(t))] if t else [] for t in texts]
        return pa.table({"id": table.column(id_column).cast(pa.string()), "keys": pa.array(keys, pa.list_(pa.int64()))})

    def decide(self, key_files: list[tuple[str, Path]], work: Path, parallel, sources=None) -> dict[str, pa.Table]:
        p = self.settings
        # The number of span keys, from the files' metadata: partitions are sized before any
        # key is read (a shard without keys still counts one value per row).
        total = sum(meta.row_group(g).column(1).num_values
                    for meta in (io.read_metadata(path) for _, path in key_files)
                    for g in range(meta.num_row_groups))
        partitions = p.partitions or spans.partition_count(total, p.partition_mb)
        parallel(spans.partition_shard, [(str(work), name, str(path), i, partitions)
                                         for i, (name, path) in enumerate(key_files)])
        parallel(spans.count_partition, [(str(work), part, p.min_docs, p.keep_first) for part in range(partitions)])
        return spans.removals(str(work), [name for name, _ in key_files])

    def load_decisions(self, path: Path) -> dict[int, set[int]]:
        """Shard row -> the keys of the spans to cut from it."""
        table = io.read_table(path)
        return dict(zip(table.column("row").to_pylist(), (set(k) for k in table.column("keys").to_pylist())))

    def apply(self, table: pa.Table, decisions: dict[int, set[int]], first_row: int) -> StageResult:
        texts, repaired = text_values(table, self.text_column)
        out, counts, empty = [], [], []
        for row, text in enumerate(texts, start=first_row):
            cut = decisions.get(row)
            if not cut or text is None:
                out.append(text)
                counts.append(0)
                empty.append(False)
                continue
            segments = self.segmenter.segments(text)
            drop = set()
            removed_spans = 0
            for start, key in self.segmenter.spans(segments):
                if key in cut:
                    drop.update(range(start, start + self.settings.span))
                    removed_spans += 1
            new = "".join(s for i, s in enumerate(segments) if i not in drop).strip()
            out.append(new)
            counts.append(removed_spans)
            empty.append(not new)
        rewritten = sum(1 for c, e in zip(counts, empty) if c and not e)
        index = table.schema.get_field_index(self.text_column)
        table = table.set_column(index, pa.field(self.text_column, pa.string()), pa.array(out, pa.string()))
        table = table.append_column(f"{self.name}_removed_spans", pa.array(counts, pa.int64()))
        mask = pa.array(empty, pa.bool_())
        removed = table.filter(mask)
        return StageResult(table.filter(pc.invert(mask)), removed_table(removed, [self.reason] * removed.num_rows),
                           {"rewritten": rewritten, "repaired_utf8": repaired})
