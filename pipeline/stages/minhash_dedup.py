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
    false negative costs recall: hence 0.1/0.9, and 256 permutations, whose estimate
    (standard deviation 0.025 at 0.8) decides pairs near the threshold better than 128's.
    shingle: `char` n-grams (the default: one edited syllable changes a whole eojeol, so word
    shingles miss most Korean near duplicates), `word` (eojeol) or `morpheme` (Kiwi) n-grams.
    verify: `signature` drops candidate pairs whose signatures agree on less than `threshold`
    of their values; `none` keeps every pair that shares a bucket (datatrove's behaviour).
    keep: which document of a cluster stays, the `first` (shard order, then row) or the
    `longest`. partition_mb: the size of one partition of band buckets, which bounds a
    grouping task's memory; `partitions` sets their number instead.
    """
    model_config = STRICT

    threshold: Annotated[float, Field(gt=0, lt=1, strict=True)] = 0.8
    num_perm: Annotated[int, Field(ge=2, le=1024, strict=True)] = 256
    shingle: Literal["char", "word", "morpheme"] = "char"
    ngram: Annotated[int, Field(ge=1, le=64, strict=True)] = 5
    lowercase: Annotated[bool, Field(strict=True)] = True
    punctuation: Annotated[bool, Field(strict=True)] = False
    digits: Annotated[bool, Field(strict=True)] = False
    false_positive_weight: Annotated[float, Field(ge=0, strict=True)] = 0.1
    false_negative_weight: Annotated[float, Field(ge=0, strict=True)] = 0.9
    verify: Literal["signature", "none"] = "signature"
    keep: Literal["first", "longest"] = "first"
    partition_mb: Annotated[int, Field(ge=1, strict=True)] = 256
    partitions: Annotated[int, Field(ge=1, strict=True)] | None = None
    seed: Annotated[int, Field(strict=True)] = 1


class MinhashDedupStage(GlobalStage):
    name = "minhash_dedup"
    Params = MinhashParams
    reason = "near_duplicate"

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
        import pyarrow.parquet as pq

        p = self.settings
        total = sum(pq.ParquetFile(path).metadata.num_rows for _, path in key_files)
        partitions = p.partitions or lsh.partition_count(total, self.bands, p.partition_mb)
        parallel(lsh.band_shard, [(str(work), name, str(path), i, p.num_perm, self.bands, self.rows, partitions)
                                  for i, (name, path) in enumerate(key_files)])
        signatures = {i: str(work / "signatures" / f"{name}.npy") for i, (name, _) in enumerate(key_files)}
        parallel(lsh.group_partition, [(str(work), part, signatures, p.threshold, p.verify)
                                       for part in range(partitions)])
        return lsh.cluster(str(work), key_files, p.num_perm, p.keep)
