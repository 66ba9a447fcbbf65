"""Banding, grouping and clustering of MinHash signatures across all shards, on disk.

Documents are numbered across the run (`partitions.doc_numbers`). The steps communicate through files under the stage's `_work/` folder, each written
atomically and skipped when present, so that a killed run resumes where it stopped:

1. `band_shard` (a task per shard): the shard's signatures to `signatures/NAME.npy` (read back
   through memory maps) and its band hashes to `buckets/PPPP/NAME`, one file per partition.
2. `group_partition` (a task per partition): documents sharing a (band, bucket) become
   candidate pairs, verified on their signatures, written to `edges/PPPP.parquet`.
3. `cluster` (the driver): connected components of all edges, one representative each.

No step holds more than one shard's signatures or one partition's buckets in memory.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kopile.core import io
from kopile.pipeline.dedup import partitions as parts
from kopile.pipeline.dedup.components import components
from kopile.pipeline.dedup.minhash import band_hashes

BUCKET_ROW_BYTES = 18  # band (uint16) + bucket (uint64) + document (int64)


def signature_matrix(column: pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """The fixed-size binary signature column of a keys file as a (rows x num_perm) array."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(array) == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    data = np.frombuffer(array.buffers()[1], dtype=np.uint32)
    start = array.offset * num_perm
    return data[start:start + len(array) * num_perm].reshape(len(array), num_perm)


def partition_count(total_docs: int, bands: int, partition_mb: int) -> int:
    return parts.partition_count(total_docs * bands, BUCKET_ROW_BYTES, partition_mb)


def band_shard(work: str, name: str, keys_path: str, shard_index: int, num_perm: int, bands: int,
               rows: int, partitions: int) -> None:
    work = Path(work)
    done = work / "banded" / f"{name}.json"
    if done.is_file():
        return
    table = pq.read_table(keys_path, columns=["shingles", "signature"])
    sig = signature_matrix(table.column("signature"), num_perm)
    io.write_npy_atomic(work / "signatures" / f"{name}.npy", sig)
    # A document without shingles has no content to compare: it joins no bucket.
    rows_with = np.flatnonzero(table.column("shingles").to_numpy() > 0)
    hashes = band_hashes(sig[rows_with], bands, rows)
    docs = parts.doc_numbers(shard_index, rows_with)
    band = np.broadcast_to(np.arange(bands, dtype=np.uint16), hashes.shape).ravel()
    doc = np.repeat(docs, bands)
    bucket = hashes.ravel()
    part = (bucket >> np.uint64(40)) % np.uint64(partitions)
    parts.write_partitions(work / "buckets", name, part, {"band": (band, pa.uint16()), "bucket": (bucket, pa.uint64()),
                                                          "doc": (doc, pa.int64())}, partitions)
    io.write_json_atomic(done, {"rows": len(sig), "banded": len(rows_with)})


class SignatureStore:
    """Signatures of any documents, read through memory maps of the per-shard files."""

    def __init__(self, paths: dict[int, str]):
        self.paths = paths
        self._maps: dict[int, np.ndarray] = {}

    def get(self, docs: np.ndarray) -> np.ndarray:
        shards, rows = parts.shard_and_row(docs)
        out = None
        for shard in np.unique(shards):
            if shard not in self._maps:
                self._maps[int(shard)] = np.load(self.paths[int(shard)], mmap_mode="r")
            m = self._maps[int(shard)]
            if out is None:
                out = np.empty((len(docs), m.shape[1]), dtype=np.uint32)
            sel = shards == shard
            out[sel] = m[rows[sel]]
        return out if out is not None else np.zeros((0, 0), dtype=np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity: the fraction of equal signature values, row by row."""
    return (a == b).mean(axis=1) if len(a) else np.zeros(0)


def group_partition(work: str, p: int, signature_paths: dict[int, str], threshold: float,
                    verify: str) -> None:
    work = Path(work)
    out = work / "edges" / f"{p:04d}.parquet"
    if out.is_file():
        return
    rows = parts.read_partition(work / "buckets", p, {"band": np.uint16, "bucket": np.uint64, "doc": np.int64})
    band, bucket, doc = rows["band"], rows["bucket"], rows["doc"]
    order = np.lexsort((doc, bucket, band))
    band, bucket, doc = band[order], bucket[order], doc[order]
    starts = np.flatnonzero(parts.run_starts(band, bucket))
    sizes = np.diff(np.append(starts, len(doc)))
    starts, sizes = starts[sizes > 1], sizes[sizes > 1]
    a, b = _bucket_edges(doc, starts, sizes, SignatureStore(signature_paths), threshold, verify)
    if len(a):
        pairs = np.unique(np.stack([a, b], axis=1), axis=0)
        a, b = pairs[:, 0], pairs[:, 1]
    io.write_table_atomic(out, pa.table({"a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64())}))


def _bucket_edges(doc, starts, sizes, store: SignatureStore, threshold: float, verify: str):
    """Edges from each bucket's members (sorted by document) to the member they join.

    Unverified, every member joins the first. Verified, a member joins the first earlier
    "leader" whose signature agrees on at least `threshold` of its values, or becomes a leader
    itself: a bucket holding two unrelated groups is not merged into one cluster.
    """
    if verify == "none":
        followers = sizes - 1
        first_slot = np.concatenate(([0], np.cumsum(followers)[:-1]))
        positions = np.repeat(starts + 1 - first_slot, followers) + np.arange(int(followers.sum()))
        return doc[positions], np.repeat(doc[starts], followers)
    a, b = [], []
    pairs = sizes == 2
    if pairs.any():  # most buckets hold two documents: verify those in one vectorised pass
        x, y = doc[starts[pairs]], doc[starts[pairs] + 1]
        ok = similarity(store.get(x), store.get(y)) >= threshold
        a.append(y[ok])
        b.append(x[ok])
    for s, n in zip(starts[~pairs], sizes[~pairs]):
        members = doc[s:s + n]
        sig = store.get(members)
        leaders = [0]
        for j in range(1, n):
            sims = similarity(sig[leaders], np.broadcast_to(sig[j], (len(leaders), sig.shape[1])))
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                a.append(members[j:j + 1])
                b.append(members[leaders[best]:leaders[best] + 1])
            else:
                leaders.append(j)
    if not a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(a), np.concatenate(b)


def cluster(work: str, keys: list[tuple[str, Path]], num_perm: int, keep: str) -> dict[str, pa.Table]:
    """Per shard, the rows to remove: the id of their cluster's representative, their estimated
    similarity to it, and the cluster's size. Memory follows the documents in clusters."""
    work = Path(work)
    edge_files = sorted((work / "edges").glob("*.parquet"))
    edges = pa.concat_tables([pq.read_table(f) for f in edge_files]) if edge_files else None
    a = edges.column("a").to_numpy() if edges else np.zeros(0, np.int64)
    b = edges.column("b").to_numpy() if edges else np.zeros(0, np.int64)
    nodes, roots = components(a, b)
    shard_of, row_of = parts.shard_and_row(nodes)

    def column_of(name: str, dtype=None):
        """One column's values for the clustered documents, read shard by shard."""
        values = np.empty(len(nodes), dtype=object if dtype is None else dtype)
        for index in np.unique(shard_of):
            sel = shard_of == index
            col = pq.read_table(keys[int(index)][1], columns=[name]).column(name)
            values[sel] = col.take(pa.array(row_of[sel])).to_numpy(zero_copy_only=False)
        return values

    if keep == "longest":
        length = column_of("length", np.int64)
        order = np.lexsort((nodes, -length, roots))  # per cluster: longest, then first
        ranked_roots = roots[order]
        head = parts.run_starts(ranked_roots)
        rep_of_root = dict(zip(ranked_roots[head].tolist(), nodes[order][head].tolist()))
        reps = np.array([rep_of_root[r] for r in roots.tolist()], dtype=np.int64)
    else:
        reps = roots
    _, inverse, counts = np.unique(roots, return_inverse=True, return_counts=True)
    size = counts[inverse]
    removed = nodes != reps
    ids = column_of("id")
    id_of = dict(zip(nodes.tolist(), ids.tolist()))
    store = SignatureStore({i: str(work / "signatures" / f"{name}.npy") for i, (name, _) in enumerate(keys)})
    r_nodes, r_reps = nodes[removed], reps[removed]
    sims = similarity(store.get(r_nodes), store.get(r_reps)) if len(r_nodes) else np.zeros(0)
    decisions = {}
    for index, (name, _) in enumerate(keys):
        shard_of_removed, row_of_removed = parts.shard_and_row(r_nodes)
        sel = shard_of_removed == index
        decisions[name] = pa.table({
            "row": pa.array(row_of_removed[sel], pa.int64()),
            "duplicate_of": pa.array([id_of[x] for x in r_reps[sel].tolist()], pa.string()),
            "minhash_similarity": pa.array(np.round(sims[sel], 4), pa.float64()),
            "minhash_cluster_size": pa.array(size[removed][sel], pa.int64()),
        })
    return decisions
