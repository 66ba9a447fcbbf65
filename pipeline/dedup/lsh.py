"""Banding, grouping and clustering of MinHash signatures across all shards, on disk.

Documents are numbered across the run (`partitions.doc_numbers`). The steps communicate through
files under the stage's `_work/` folder, each written atomically and skipped when present, so
that a killed run resumes where it stopped:

1. keys (a task per shard, before this module): `keys/NAME`, an Arrow file holding each
   document's signature, read here through memory maps: signatures are stored once.
2. `band_shard` (a task per shard): its band hashes to `buckets/PPPP/NAME`, one file per partition.
3. `group_partition` (a task per partition): documents sharing a (band, bucket) become
   candidate pairs, verified on their signatures, written with their estimated similarity to
   `edges/PPPP.parquet`.
4. `shingle_shard` (a task per shard): the exact shingle sets of the documents with an edge
   whose estimate lies within three standard deviations of the threshold, so that `cluster`
   decides those on their exact Jaccard similarity, not on an estimate that may be off.
5. `cluster` (the driver): documents in keep order, each removed as a duplicate of the most
   similar kept document it has a verified edge to, or kept.

No step holds more than one shard's signatures or one partition's buckets in memory.
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import numpy as np
import pyarrow as pa

from kopile.core import io
from kopile.core.storage import at
from kopile.pipeline.dedup import partitions as parts
from kopile.pipeline.dedup.minhash import band_hashes

BUCKET_ROW_BYTES = 18  # band (uint16) + bucket (uint64) + document (int64)
# What a grouping task holds per bucket row at its peak: the rows read, their concatenation,
# the sort order and the sorted copies, and the candidate pairs drawn from them.
GROUP_ROW_PEAK_BYTES = 96
BLOCK = 8192  # comparisons made at once: two signature copies of this many rows
# Leaders a member of one bucket meets at most (`star_edges`): more distinct groups in one
# bucket than this is a template shared by many documents, not near duplication.
MAX_LEADERS = 64


def signature_matrix(column: pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """The fixed-size binary signature column of a keys file as a (rows x num_perm) array."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(array) == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    data = np.frombuffer(array.buffers()[1], dtype=np.uint32)
    start = array.offset * num_perm
    return data[start:start + len(array) * num_perm].reshape(len(array), num_perm)


def partition_count(total_docs: int, bands: int, memory_mb: int) -> int:
    """Enough partitions that one grouping task's bucket rows take half its memory budget; the
    other half is for the signatures it verifies (`verify_chunk`) and the interpreter."""
    return parts.partition_count(total_docs * bands, GROUP_ROW_PEAK_BYTES, max(1, memory_mb // 2))


def verify_chunk(num_perm: int, memory_mb: int) -> int:
    """Bucket members verified at once: their signatures, and a copy for the comparisons, in a
    quarter of the budget."""
    return max(1024, memory_mb * 2**20 // 4 // (2 * 4 * num_perm))


def band_shard(work: str, name: str, keys_path: str, shard_index: int, num_perm: int, bands: int,
               rows: int, partitions: int) -> None:
    work = at(work)
    done = work / "banded" / f"{name}.json"
    if done.is_file():
        return
    table = io.read_arrow(keys_path, ["shingles", "signature"])
    sig = signature_matrix(table.column("signature"), num_perm)
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
    """Signatures of any documents, taken from the memory-mapped keys files of their shards.
    Each call maps the files it needs and lets them go: pages it touched leave the process with
    the mapping, so a task's memory follows the signatures it asked for, not the whole corpus."""

    def __init__(self, keys_paths: dict[int, str], num_perm: int):
        self.paths, self.num_perm = keys_paths, num_perm

    def get(self, docs: np.ndarray) -> np.ndarray:
        out = np.empty((len(docs), self.num_perm), dtype=np.uint32)
        shards, rows = parts.shard_and_row(np.asarray(docs, dtype=np.int64))
        for shard in np.unique(shards):
            column = io.read_arrow(self.paths[int(shard)], ["signature"]).column("signature")
            starts = np.cumsum([0] + [len(c) for c in column.chunks])
            sel = np.flatnonzero(shards == shard)
            chunk = np.searchsorted(starts, rows[sel], side="right") - 1
            for c in np.unique(chunk):
                here = sel[chunk == c]
                view = signature_matrix(pa.chunked_array([column.chunk(int(c))]), self.num_perm)
                out[here] = view[rows[here] - starts[c]]
        return out

    def column(self, docs: np.ndarray, name: str) -> np.ndarray:
        """A numeric column of the keys files (`length`) for each of `docs`."""
        shards, rows = parts.shard_and_row(np.asarray(docs, dtype=np.int64))
        out = np.zeros(len(docs), dtype=np.int64)
        for shard in np.unique(shards):
            sel = np.flatnonzero(shards == shard)
            column = io.read_arrow(self.paths[int(shard)], [name]).column(name)
            out[sel] = column.take(pa.array(rows[sel])).to_numpy()
        return out


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity: the fraction of equal signature values, row by row."""
    return (a == b).mean(axis=1) if len(a) else np.zeros(0)


def group_partition(work: str, p: int, keys_paths: dict[int, str], num_perm: int, threshold: float,
                    verify: str, memory_mb: int, keep: str = "first") -> None:
    """Verified edges (a, b, similarity) between documents sharing a bucket, a > b: those whose
    estimate reaches the lower end of the borderline band (`cluster` checks the band exactly)."""
    work = at(work)
    out = work / "edges" / f"{p:04d}.parquet"
    if out.is_file():
        return
    rows = parts.read_partition(work / "buckets", p, {"band": np.uint16, "bucket": np.uint64, "doc": np.int64})
    band, bucket, doc = rows["band"], rows["bucket"], rows["doc"]
    del rows
    order = np.lexsort((doc, bucket, band))
    band, bucket, doc = band[order], bucket[order], doc[order]
    del order
    starts = np.flatnonzero(parts.run_starts(band, bucket))
    del band, bucket
    sizes = np.diff(np.append(starts, len(doc)))
    shared = sizes > 1
    starts, sizes = starts[shared], sizes[shared]
    store = SignatureStore(keys_paths, num_perm)
    # Without verification every member of a bucket is an edge to its leader.
    lower, taken = (borderline(threshold, num_perm)[0], threshold) if verify == "signature" else (-1.0, -1.0)
    # Buckets in chunks of about `step` members (a larger bucket alone), so that the signatures
    # and comparisons held at once stay within the budget whatever the buckets' sizes.
    step = verify_chunk(num_perm, memory_mb)
    chunk_of = (np.cumsum(sizes) - sizes) // step
    edges = []
    for lo, hi in zip(*_runs(chunk_of)):
        n = sizes[lo:hi]
        rows = np.repeat(starts[lo:hi] - (np.cumsum(n) - n), n) + np.arange(n.sum())
        edges.append(star_edges(doc[rows], np.repeat(np.arange(hi - lo), n), store, lower, taken, keep))
    a, b, sims = (np.concatenate([e[k] for e in edges]) if edges else np.zeros(0, t)
                  for k, t in ((0, np.int64), (1, np.int64), (2, np.float32)))
    # A pair shares buckets in several bands, and chunks: one edge each.
    _, first = np.unique(np.stack([a, b], axis=1), axis=0, return_index=True) if len(a) else (None, [])
    a, b, sims = a[first], b[first], sims[first]
    io.write_table_atomic(out, pa.table({"a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64()),
                                         "similarity": pa.array(sims, pa.float32())}))


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each run of equal values in a sorted array."""
    starts = np.flatnonzero(parts.run_starts(values))
    return starts, np.append(starts[1:], len(values))


def star_edges(docs: np.ndarray, bucket: np.ndarray, store: SignatureStore, lower: float, threshold: float,
               keep: str = "first") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (later, earlier, estimate) within buckets (`bucket`: each member's bucket, sorted),
    each member compared with its bucket's leaders rather than with every other member.

    In rounds: a bucket's leader is its remaining member that comes first in keep order (the
    one `cluster` would keep); each other remaining member is compared with it. One whose
    estimate reaches `threshold` gets an edge to it and leaves the bucket. One whose estimate
    only reaches `lower` (borderline: `cluster` decides it on the exact shingle sets) gets an
    edge too, its first in this bucket, and stays, so that a copy closer to it can still take
    it. The others, documents that share the bucket by chance or by a template, meet the next
    leader, up to MAX_LEADERS. So a bucket of k near copies costs about k - 1 comparisons
    instead of k(k - 1)/2, unrelated groups in one bucket stay apart, and no member costs more
    than MAX_LEADERS comparisons or two edges a bucket."""
    unique, index = np.unique(docs, return_inverse=True)
    sig = store.get(unique)
    # Keep order within each bucket: the leader is the member `cluster` would keep first.
    if keep == "longest":
        order = np.lexsort((docs, -store.column(unique, "length")[index], bucket))
    else:
        order = np.lexsort((docs, bucket))
    index, bucket = index[order], bucket[order]
    remaining = np.ones(len(index), dtype=bool)
    borderline_edge = np.zeros(len(index), dtype=bool)
    a, b, s = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    for _ in range(MAX_LEADERS):
        live = np.flatnonzero(remaining)
        first, end = _runs(bucket[live])
        lead = np.repeat(live[first], end - first)
        others = live != lead
        if not others.any():
            break
        member, leader = live[others], lead[others]
        sims = np.concatenate([similarity(sig[index[member[i:i + BLOCK]]], sig[index[leader[i:i + BLOCK]]])
                               for i in range(0, len(member), BLOCK)]).astype(np.float32)
        taken = sims >= threshold
        near = ~taken & (sims >= lower)
        edge = taken | (near & ~borderline_edge[member])
        borderline_edge[member[near]] = True
        x, y = unique[index[member[edge]]], unique[index[leader[edge]]]
        a.append(np.maximum(x, y))
        b.append(np.minimum(x, y))
        s.append(sims[edge])
        remaining[live[first]] = False
        remaining[member[taken]] = False
    return np.concatenate(a), np.concatenate(b), np.concatenate(s)


def borderline(threshold: float, num_perm: int) -> tuple[float, float]:
    """The estimates that are checked exactly: within three standard deviations of the estimate
    (binomial over the permutations) of the threshold, on either side. Below the band a pair is
    dropped, above it a pair is taken on its estimate."""
    sd = 3 * float(np.sqrt(threshold * (1 - threshold) / num_perm))
    return threshold - sd, threshold + sd


def read_edges(work: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    files = sorted((at(work) / "edges").glob("*.parquet"))
    if not files:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    edges = pa.concat_tables([io.read_table(f) for f in files])
    return (edges.column("a").to_numpy(), edges.column("b").to_numpy(),
            edges.column("similarity").to_numpy().astype(np.float32))


def borderline_rows(edges: tuple[np.ndarray, np.ndarray, np.ndarray], upper: float) -> dict[int, np.ndarray]:
    """Per shard index, the rows of the documents that have an edge estimated below `upper`."""
    a, b, sim = edges
    near = sim < upper
    docs = np.unique(np.concatenate([a[near], b[near]]))
    shards, rows = parts.shard_and_row(docs)
    return {int(s): rows[shards == s] for s in np.unique(shards)}


def shingle_shard(work: str, name: str, source: str, text_column: str, rows: np.ndarray, hasher) -> None:
    """The shingle hash sets of some rows of a shard, read from the row groups that hold them."""
    from kopile.core.schema import text_values

    out = at(work) / "shingles" / f"{name}.npz"
    if out.is_file():
        return
    parquet = io.open_parquet(source)
    sizes = [parquet.metadata.row_group(g).num_rows for g in range(parquet.metadata.num_row_groups)]
    starts = np.cumsum([0] + sizes)
    groups = np.unique(np.searchsorted(starts, rows, side="right") - 1)
    table = parquet.read_row_groups(groups.tolist(), columns=[text_column])
    first = np.concatenate([np.arange(starts[g], starts[g + 1]) for g in groups])
    texts, _ = text_values(table.take(np.searchsorted(first, rows)), text_column)
    hashes, offsets = hasher.shingles([t or "" for t in texts])
    sets = [np.unique(hashes[offsets[i]:offsets[i + 1]]) for i in range(len(rows))]
    io.write_npz_atomic(out, rows=rows, offsets=np.cumsum([0] + [len(x) for x in sets]),
                        values=np.concatenate(sets) if sets else np.zeros(0, np.uint32))


def exact_similarity(work: Path, names: dict[int, str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard similarity of the shingle sets of each pair (a[i], b[i]), from `shingle_shard`."""
    sets: dict[int, np.ndarray] = {}
    for index, name in names.items():
        path = at(work) / "shingles" / f"{name}.npz"
        if path.is_file():
            with np.load(BytesIO(path.read_bytes())) as f:
                rows, offsets, values = f["rows"], f["offsets"], f["values"]
            for k, row in enumerate(rows.tolist()):
                sets[int(parts.doc_numbers(index, row))] = values[offsets[k]:offsets[k + 1]]
    out = np.empty(len(a), np.float32)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        inter = len(np.intersect1d(sets[x], sets[y], assume_unique=True))
        union = len(sets[x]) + len(sets[y]) - inter
        out[i] = inter / union if union else 0.0
    return out


def representatives(nodes: np.ndarray, order: np.ndarray, a: np.ndarray, b: np.ndarray, sim: np.ndarray):
    """For each of the sorted `nodes`, the kept document it duplicates (itself if it is kept)
    and their similarity.

    Nodes are visited in keep `order` (indices into `nodes`). A node is removed when it has an
    edge to a node already kept, as a duplicate of the most similar of them; otherwise it is
    kept. So every removed document names a kept one it was verified against, and a chain
    A~B~C whose ends are not similar keeps both A and C, where connected components would
    remove C as a duplicate of A."""
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)  # nodes are sorted
    # Both directions, grouped by node: each node's neighbours are one slice.
    src, dst, w = np.concatenate([ia, ib]), np.concatenate([ib, ia]), np.concatenate([sim, sim])
    by_src = np.argsort(src, kind="stable")
    src, dst, w = src[by_src], dst[by_src], w[by_src]
    bounds = np.searchsorted(src, np.arange(len(nodes) + 1))
    rep = np.full(len(nodes), -1, np.int64)
    rep_sim = np.ones(len(nodes), np.float32)
    kept = np.zeros(len(nodes), dtype=bool)
    for i in order.tolist():
        lo, hi = bounds[i], bounds[i + 1]
        neighbours, weights = dst[lo:hi], w[lo:hi]
        ok = kept[neighbours]
        if ok.any():
            best = int(np.argmax(np.where(ok, weights, -1)))
            rep[i], rep_sim[i] = neighbours[best], weights[best]
        else:
            kept[i] = True
            rep[i] = i
    return nodes[rep], rep_sim


def cluster(work: str, keys: list[tuple[str, Path]], keep: str, edges: tuple[np.ndarray, np.ndarray, np.ndarray],
            threshold: float | None = None, upper: float = 0.0) -> dict[str, pa.Table]:
    """Per shard, the rows to remove: the id of the kept document each duplicates, their
    similarity (exact where the estimate was below `upper`, estimated above), and the size of
    the group of documents removed as duplicates of it plus itself. `edges` are `read_edges`'s;
    with a `threshold`, those whose exact similarity falls below it are dropped. Memory follows
    the documents with edges."""
    work = at(work)
    a, b, sim = edges[0], edges[1], edges[2].copy()  # the exact similarities replace estimates
    if threshold is not None:
        near = np.flatnonzero(sim < upper)
        sim[near] = exact_similarity(work, {i: name for i, (name, _) in enumerate(keys)}, a[near], b[near])
        ok = sim >= threshold
        a, b, sim = a[ok], b[ok], sim[ok]
    nodes = np.unique(np.concatenate([a, b]))
    shard_of, row_of = parts.shard_and_row(nodes)

    def column_of(name: str):
        """One column's values for the documents with edges, read shard by shard."""
        values = None
        for index in np.unique(shard_of):
            sel = shard_of == index
            col = io.read_arrow(keys[int(index)][1], [name]).column(name).take(pa.array(row_of[sel]))
            part = col.to_numpy(zero_copy_only=False)
            if values is None:
                values = np.empty(len(nodes), dtype=part.dtype)
            values[sel] = part
        return values if values is not None else np.zeros(0)

    # Keep order: first in shard order, or longest first, then first.
    order = np.lexsort((nodes, -column_of("length"))) if keep == "longest" else np.arange(len(nodes))
    reps, sims = representatives(nodes, order, a, b, sim)
    removed = nodes != reps
    _, inverse, counts = np.unique(reps, return_inverse=True, return_counts=True)
    size = counts[inverse]
    ids = column_of("id")
    id_of = dict(zip(nodes.tolist(), ids.tolist()))
    r_nodes, r_reps, r_sims, r_size = nodes[removed], reps[removed], sims[removed], size[removed]
    shard_of_removed, row_of_removed = parts.shard_and_row(r_nodes)
    decisions = {}
    for index, (name, _) in enumerate(keys):
        sel = shard_of_removed == index
        decisions[name] = pa.table({
            "row": pa.array(row_of_removed[sel], pa.int64()),
            "duplicate_of": pa.array([id_of[x] for x in r_reps[sel].tolist()], pa.string()),
            "minhash_similarity": pa.array(np.round(r_sims[sel].astype(np.float64), 4), pa.float64()),
            "minhash_cluster_size": pa.array(r_size[sel], pa.int64()),
        })
    return decisions
