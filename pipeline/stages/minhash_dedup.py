"""Near duplicates across all shards: MinHash LSH, verified, clustered, one kept per cluster."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import BaseModel, Field

from kopile.core.config import STRICT
from kopile.core.schema import text_values
from kopile.filters.dedup import ExactKey
from kopile.pipeline.dedup import lsh
from kopile.pipeline.dedup.minhash import MinHasher, lsh_params
from kopile.pipeline.stages.base import GlobalStage


class MinhashParams(BaseModel):
    """threshold: the Jaccard similarity of shingle sets above which two documents are near
    duplicates; it sets the bands x rows split, with the false positive/negative weights.
    Candidates are verified, so a false positive of the banding costs a comparison and a
    false negative costs recall: hence 0.05/0.95, and 256 permutations, whose estimate
    (standard deviation 0.029 at 0.7) leaves fewer pairs to check exactly than 128's.
    shingle: `char` n-grams (the default: one edited syllable changes a whole eojeol, so word
    shingles miss most Korean near duplicates), `word` (eojeol) or `morpheme` (Kiwi) n-grams.
    verify: `signature` keeps candidate pairs whose signatures agree on at least `threshold`
    of their values, deciding those whose estimate is within three standard deviations of it
    on their exact shingle sets; `none` keeps every pair that shares a bucket (datatrove's
    behaviour).
    keep: which document of a group of near duplicates stays, the `first` (shard order, then
    row) or the `longest`; every other one is removed only if its similarity to a kept one
    reaches the threshold. memory_mb: what one grouping task may hold; the band buckets are
    split into enough partitions to fit, and Ray runs no more grouping tasks on a node than
    its memory allows. `partitions` sets their number instead.
    """
    model_config = STRICT

    threshold: Annotated[float, Field(gt=0, lt=1, strict=True)] = 0.7
    num_perm: Annotated[int, Field(ge=2, le=1024, strict=True)] = 256
    shingle: Literal["char", "word", "morpheme"] = "char"
    ngram: Annotated[int, Field(ge=1, le=64, strict=True)] = 5
    lowercase: Annotated[bool, Field(strict=True)] = True
    punctuation: Annotated[bool, Field(strict=True)] = False
    digits: Annotated[bool, Field(strict=True)] = False
    false_positive_weight: Annotated[float, Field(ge=0, strict=True)] = 0.05
    false_negative_weight: Annotated[float, Field(ge=0, strict=True)] = 0.95
    verify: Literal["signature", "none"] = "signature"
    keep: Literal["first", "longest"] = "first"
    memory_mb: Annotated[int, Field(ge=64, strict=True)] = 1024
    partitions: Annotated[int, Field(ge=1, strict=True)] | None = None
    seed: Annotated[int, Field(strict=True)] = 1

    def warnings(self) -> list[str]:
        if 0.5 <= self.threshold <= 0.95:
            return []
        hint = f" (did you mean {self.threshold * 10:g}?)" if self.threshold < 0.1 else ""
        return [f"threshold {self.threshold} is outside [0.5, 0.95]{hint}: lower removes documents that "
                "only share a template, higher misses most near duplicates"]


class MinhashDedupStage(GlobalStage):
    name = "minhash_dedup"
    Params = MinhashParams
    reason = "near_duplicate"
    keys_format = "arrow"  # signatures are read by row, memory-mapped, in the grouping tasks

    def setup(self) -> None:
        p = self.settings
        normalizer = ExactKey(lowercase=p.lowercase, whitespace=True, punctuation=p.punctuation, digits=p.digits)
        self.hasher = MinHasher(p.num_perm, p.seed, p.shingle, p.ngram, normalizer.normalize)
        self.bands, self.rows = lsh_params(p.threshold, p.num_perm, p.false_positive_weight,
                                           p.false_negative_weight)

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        texts, _ = text_values(table, self.text_column)
        texts = [t or "" for t in texts]
        sig, shingles = self.hasher(texts)
        width = 4 * self.settings.num_perm
        return pa.table({
            "id": table.column(id_column).cast(pa.string()),
            "length": pa.array([len(t) for t in texts], pa.int64()),
            "shingles": pa.array(shingles, pa.int64()),
            "signature": pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(texts),
                                                              [None, pa.py_buffer(sig.tobytes())]),
        })

    def decide(self, key_files: list[tuple[str, Path]], work: Path, parallel, sources=None) -> dict[str, pa.Table]:
        from kopile.core import io

        p = self.settings
        total = sum(io.read_arrow(path, ["id"]).num_rows for _, path in key_files)
        partitions = p.partitions or lsh.partition_count(total, self.bands, p.memory_mb)
        parallel(lsh.band_shard, [(str(work), name, str(path), i, p.num_perm, self.bands, self.rows, partitions)
                                  for i, (name, path) in enumerate(key_files)])
        keys = {i: str(path) for i, (_, path) in enumerate(key_files)}
        parallel(lsh.group_partition, [(str(work), part, keys, p.num_perm, p.threshold, p.verify, p.memory_mb, p.keep)
                                       for part in range(partitions)], memory_mb=p.memory_mb)
        edges = lsh.read_edges(work)
        if p.verify == "none":
            return lsh.cluster(str(work), key_files, p.keep, edges)
        _, upper = lsh.borderline(p.threshold, p.num_perm)
        rows = lsh.borderline_rows(edges, upper)
        parallel(lsh.shingle_shard, [(str(work), name, str(sources[name]), self.text_column, rows[i], self.hasher)
                                     for i, (name, _) in enumerate(key_files) if i in rows])
        return lsh.cluster(str(work), key_files, p.keep, edges, p.threshold, upper)
