"""MinHash near-duplicate detection: datasketch-equal signatures, banding as MinHashLSH bands,
removal only by verified similarity to a kept document, and the stage across shards (workers,
partitions, resume, work files)."""
import json
import random
import shutil

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from conftest import decision_dir, output_bytes, read_dir, run_config, write_shard
from kopile.filters.dedup import ExactKey
from kopile.pipeline.dedup import minhash as mh
from kopile.pipeline.dedup.lsh import representatives
from kopile.pipeline.jobs.run import Runner

TEXTS = [
    "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다.",
    "  여러   칸의 공백과\t탭,\n줄바꿈이 섞인   문서  ",
    "Kiwi와 English가 섞인 mixed 문서 2024년 3월",
    "짧다",  # shorter than one 5-gram: one shingle of the whole text
    "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ 😀😀 emoji",
]


def shingles(text: str, shingle: str, n: int) -> list[tuple[str, ...]]:
    text = ExactKey().normalize(text)
    units = list(text) if shingle == "char" else text.split()
    return [tuple(units[i:i + n]) for i in range(len(units) - n + 1)] or ([tuple(units)] if units else [])


def reference(text: str, shingle: str, n: int, num_perm=128, seed=1) -> MinHash:
    """datasketch itself, fed the shingles one by one with the project's shingle hash."""
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=mh.shingle_hash, scheme=mh.SCHEME)
    m.update_batch(shingles(text, shingle, n))
    return m


@pytest.mark.parametrize("shingle, n", [("char", 5), ("char", 3), ("word", 5), ("word", 2), ("char", 1)])
def test_signatures_equal_datasketch(shingle, n):
    hasher = mh.MinHasher(num_perm=128, seed=1, shingle=shingle, ngram=n, normalizer=ExactKey().normalize)
    sig, counts = hasher(TEXTS + [""])
    for i, text in enumerate(TEXTS):
        expected = reference(text, shingle, n)
        assert np.array_equal(sig[i], expected.hashvalues), (shingle, n, text)
        assert counts[i] == len(shingles(text, shingle, n)), (shingle, n, text)
    assert counts[-1] == 0 and (sig[-1] == mh.MAX_HASH).all()


def test_signatures_do_not_depend_on_the_batch():
    hasher = mh.MinHasher(num_perm=64, seed=7)
    together, _ = hasher(TEXTS)
    for i, text in enumerate(TEXTS):
        alone, _ = hasher([text])
        assert np.array_equal(alone[0], together[i])


def test_a_long_document_spans_permutation_blocks():
    text = "".join(chr(0xAC00 + (i * 7919) % 11172) for i in range(3 * mh._BLOCK + 17))
    sig, counts = mh.MinHasher(num_perm=32, seed=3)(["짧은 문서 하나", text, "또 다른 짧은 문서"])
    assert counts[1] == len(text) - 4
    assert np.array_equal(sig[1], reference(text, "char", 5, num_perm=32, seed=3).hashvalues)


def _variant(text: str, rng: random.Random, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars))
        chars[i] = chr(rng.randint(0xAC00, 0xD7A3))
    return "".join(chars)


def _documents(sample_dir, count: int) -> list[str]:
    table = read_dir(sample_dir)
    clean = [t for t, k in zip(table.column("text").to_pylist(), table.column("sample_kind").to_pylist())
             if k == "clean" and len(t) > 400]
    return clean[:count]


def test_bands_match_datasketch_minhashlsh(sample_dir):
    rng = random.Random(0)
    docs = _documents(sample_dir, 30)
    docs += [_variant(d, rng, rng.choice([2, 10, 40])) for d in docs[:20]]
    hasher = mh.MinHasher(num_perm=128, seed=1, normalizer=ExactKey().normalize)
    sig, _ = hasher(docs)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    assert (lsh.b, lsh.r) == mh.lsh_params(0.8, 128)
    for i in range(len(docs)):
        lsh.insert(i, LeanMinHash(seed=1, hashvalues=sig[i], scheme=mh.SCHEME))
    theirs = {(min(i, j), max(i, j)) for i in range(len(docs))
              for j in lsh.query(LeanMinHash(seed=1, hashvalues=sig[i], scheme=mh.SCHEME)) if i != j}
    bands = mh.band_hashes(sig, lsh.b, lsh.r)
    ours = {(i, j) for i in range(len(docs)) for j in range(i + 1, len(docs)) if (bands[i] == bands[j]).any()}
    assert ours == theirs and len(ours) >= 6


def _reps(nodes, a, b, sim, order=None):
    nodes, a, b = (np.array(x, dtype=np.int64) for x in (nodes, a, b))
    reps, sims = representatives(nodes, np.arange(len(nodes)) if order is None else np.array(order), a, b,
                                 np.array(sim, dtype=np.float32))
    return dict(zip(nodes.tolist(), reps.tolist())), dict(zip(nodes.tolist(), sims.astype(float).round(3).tolist()))


def test_a_chain_is_split_where_its_ends_are_not_similar():
    # 1~2 and 2~3 verified, 1 and 3 not similar: connected components would remove 3 as a
    # duplicate of 1. Here 2 goes (it duplicates the kept 1) and 3 stays.
    reps, _ = _reps([1, 2, 3], [2, 3], [1, 2], [0.9, 0.9])
    assert reps == {1: 1, 2: 1, 3: 3}
    # A longer chain alternates: every removed document names a kept neighbour.
    reps, _ = _reps([1, 2, 3, 4, 5], [2, 3, 4, 5], [1, 2, 3, 4], [0.85] * 4)
    assert reps == {1: 1, 2: 1, 3: 3, 4: 3, 5: 5}


def test_a_removed_document_names_the_most_similar_kept_one():
    # 3 is near both kept documents 1 and 2 (1 and 2 are not near each other).
    reps, sims = _reps([1, 2, 3], [3, 3], [1, 2], [0.82, 0.93])
    assert reps == {1: 1, 2: 2, 3: 2} and sims[3] == 0.93


def test_keep_order_decides_which_document_stays():
    # Visiting 3 first (the longest, say): 3 stays and both others go as its duplicates.
    reps, _ = _reps([1, 2, 3], [2, 3, 3], [1, 2, 1], [0.9, 0.9, 0.9], order=[2, 0, 1])
    assert reps == {1: 3, 2: 3, 3: 3}
    reps, _ = _reps([], [], [], [])
    assert reps == {}


def exact_jaccard(a: str, b: str, n: int = 5) -> float:
    a, b = ExactKey().normalize(a), ExactKey().normalize(b)
    x = {a[i:i + n] for i in range(len(a) - n + 1)}
    y = {b[i:i + n] for i in range(len(b) - n + 1)}
    return len(x & y) / len(x | y)


@pytest.fixture(scope="module")
def corpus(sample_dir, tmp_path_factory):
    """Four shards of real documents; near copies sit in other shards than their originals, and
    a few pairs overlap a lot but stay below the threshold."""
    rng = random.Random(1)
    docs = _documents(sample_dir, 60)
    originals = [(f"o{i}", d) for i, d in enumerate(docs[:48])]
    near = [(f"n{i}", _variant(docs[i], rng, max(1, len(docs[i]) // 200))) for i in range(12)]
    # Half of one document then half of another: much shared text, Jaccard about 0.3 to 0.6.
    partial = []
    for i in range(12, 18):
        a, b = docs[i], docs[48 + i - 12]
        partial.append((f"p{i}", a[: len(a) * 2 // 3] + b[len(b) // 3:]))
    truth = {f"n{i}": f"o{i}" for i in range(12)}
    for pid, text in partial:
        assert exact_jaccard(text, dict(originals)[f"o{pid[1:]}"]) < 0.7
    for nid, oid in truth.items():
        assert exact_jaccard(dict(near)[nid], dict(originals)[oid]) >= 0.85
    everything = originals + near + partial
    rng.shuffle(everything)
    folder = tmp_path_factory.mktemp("near") / "in"
    for s in range(4):
        part = everything[s::4]
        write_shard(folder / f"s{s}.parquet", [t for _, t in part], id=[i for i, _ in part])
    shard_of = {doc_id: s for s in range(4) for doc_id, _ in everything[s::4]}
    assert sum(shard_of[n] != shard_of[o] for n, o in truth.items()) >= 6
    return folder, truth, dict(everything)


def _run(corpus_dir, out, **params):
    return Runner(run_config(corpus_dir, out, [{"minhash_dedup": params}]), progress=False).run()


def test_near_duplicates_across_shards_are_removed_and_the_rest_kept(ray_session, corpus, tmp_path):
    folder, truth, texts = corpus
    summary = _run(folder, tmp_path / "out")
    stage = summary["stages"][0]
    assert stage["rows_in"] == len(texts) == stage["kept"] + stage["removed"]
    removed = read_dir(tmp_path / "out" / "01_minhash_dedup" / "removed")
    kept_ids = set(read_dir(tmp_path / "out" / "01_minhash_dedup" / "kept").column("id").to_pylist())
    pairs = dict(zip(removed.column("id").to_pylist(), removed.column("duplicate_of").to_pylist()))
    # Each planted pair lost exactly one member, which names the other.
    for nid, oid in truth.items():
        assert pairs.get(nid) == oid or pairs.get(oid) == nid, (nid, oid)
    assert len(pairs) == len(truth)
    assert set(pairs.values()) <= kept_ids
    assert all(doc_id in kept_ids for doc_id in texts if doc_id.startswith("p"))
    assert set(removed.column("reason").to_pylist()) == {"near_duplicate"}
    sims = removed.column("minhash_similarity").to_pylist()
    assert min(sims) >= 0.7 and set(removed.column("minhash_cluster_size").to_pylist()) == {2}
    # Every removal names a kept document that is really within the threshold.
    for doc_id, kept_id in pairs.items():
        assert exact_jaccard(texts[doc_id], texts[kept_id]) >= 0.7, (doc_id, kept_id)


def test_keep_longest_keeps_the_longer_of_each_pair(ray_session, corpus, tmp_path):
    folder, truth, texts = corpus
    _run(folder, tmp_path / "out", keep="longest")
    removed = read_dir(tmp_path / "out" / "01_minhash_dedup" / "removed")
    for doc_id, rep in zip(removed.column("id").to_pylist(), removed.column("duplicate_of").to_pylist()):
        assert (len(texts[rep]), -int(rep[1:])) >= (len(texts[doc_id]), -int(doc_id[1:])) or len(texts[rep]) > len(texts[doc_id])


def test_workers_partitions_and_reruns_give_the_same_files(ray_session, corpus, tmp_path):
    folder, _, _ = corpus
    _run(folder, tmp_path / "one")
    _run(folder, tmp_path / "again")
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "again")
    # Buckets spilled to many small partitions, grouped one partition at a time: same result.
    Runner(run_config(folder, tmp_path / "parts", [{"minhash_dedup": {"partitions": 7}}], keep_work=True),
           progress=False).run()
    assert len(list((decision_dir(tmp_path / "parts" / "01_minhash_dedup") / "edges").glob("*"))) == 7
    small = {k: v for k, v in output_bytes(tmp_path / "parts").items() if "/_work/" not in k}
    assert small == output_bytes(tmp_path / "one")


def test_partitions_and_verification_follow_the_memory_budget():
    from kopile.pipeline.dedup.lsh import GROUP_ROW_PEAK_BYTES, partition_count, verify_chunk

    assert partition_count(1_000, 23, 1024) == 1
    rows = 100_000_000 * 23
    assert partition_count(100_000_000, 23, 1024) == -(-rows * GROUP_ROW_PEAK_BYTES // (512 * 2**20))
    # Both signatures of a chunk of pairs fit in a quarter of the budget.
    assert verify_chunk(256, 1024) * 2 * 4 * 256 <= 256 * 2**20


def test_a_run_killed_during_banding_resumes(ray_session, corpus, tmp_path):
    folder, _, _ = corpus
    clean = tmp_path / "clean"
    Runner(run_config(folder, clean, [{"minhash_dedup": {"partitions": 6}}], keep_work=True), progress=False).run()
    expected = output_bytes(clean)
    # What a kill during grouping leaves: every shard banded, some partitions grouped, one
    # edge file half written, no decision and no split output yet.
    out = tmp_path / "killed"
    shutil.copytree(clean, out)
    stage = out / "01_minhash_dedup"
    work = decision_dir(stage)
    edges = sorted((work / "edges").glob("*.parquet"))
    assert len(edges) >= 2
    for f in edges[len(edges) // 2:]:
        f.unlink()
    (work / "edges" / f".{edges[-1].name}.tmp-99999").write_bytes(b"PAR1 truncated")
    (work / "banded" / "s3.parquet.json").unlink()  # and one shard's banding not recorded as done
    shutil.rmtree(work / "decisions")
    (work / "complete.json").unlink()
    for sub in ("kept", "removed"):
        shutil.rmtree(stage / sub)
    (stage / "_manifest.json").unlink()
    json.loads((out / "run.json").read_text())
    Runner(run_config(folder, out, [{"minhash_dedup": {"partitions": 6}}], keep_work=True), progress=False).run()
    assert output_bytes(out) == expected
    assert not list(work.rglob(".*.tmp-*"))


def test_empty_and_null_documents_are_not_near_duplicates_of_each_other(ray_session, tmp_path):
    write_shard(tmp_path / "in" / "a.parquet", ["", None, "   ", "한 문장짜리 문서입니다."], id=["a", "b", "c", "d"])
    write_shard(tmp_path / "in" / "b.parquet", ["", "한 문장짜리 문서입니다!"], id=["e", "f"])
    _run(tmp_path / "in", tmp_path / "out")
    removed = read_dir(tmp_path / "out" / "01_minhash_dedup" / "removed")
    assert removed.column("id").to_pylist() in (["f"], [])


def test_bad_parameters_name_the_key(tmp_path):
    from kopile.core.errors import ConfigError

    with pytest.raises(ConfigError, match="threshold"):
        run_config(tmp_path, tmp_path / "out", [{"minhash_dedup": {"threshold": 1.5}}])
    with pytest.raises(ConfigError, match="shingle"):
        run_config(tmp_path, tmp_path / "out", [{"minhash_dedup": {"shingle": "syllable"}}])


def test_kill_9_during_grouping_then_resume(ray_session, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, kill_when, load_example

    load_example("make_sample").generate(tmp_path / "in", seed=3, n_shards=12)
    stages = "stages:\n  - normalize: {}\n  - minhash_dedup: {partitions: 150}\n"
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {tmp_path / 'in'}\noutput: {tmp_path / 'killed'}\n{stages}")
    kopile = [sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", "1", "--no-progress"]
    stage = tmp_path / "killed" / "02_minhash_dedup"
    kill_when(kopile, lambda: len(list(stage.glob("_work/*/edges/*.parquet"))) >= 10)
    work = decision_dir(stage)
    assert not (work / "complete.json").exists()
    assert len(list((work / "edges").glob("*.parquet"))) < 150

    resumed = subprocess.run(kopile, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    Runner(run_config(tmp_path / "in", tmp_path / "clean", [{"normalize": {}}, {"minhash_dedup": {"partitions": 150}}]),
           progress=False).run()
    assert output_bytes(tmp_path / "killed") == output_bytes(tmp_path / "clean")
    assert not list((tmp_path / "killed").rglob(".*.tmp-*"))


def test_morpheme_shingles_equal_datasketch_over_kiwi_spans():
    from kopile.filters.text import LazyKiwi

    kiwi = LazyKiwi().get()
    texts = ["국민의 권리와 의무를 법률로 정한다.", "대한민국은 민주공화국이다. 주권은 국민에게 있다."]
    sig, counts = mh.MinHasher(num_perm=64, seed=2, shingle="morpheme", ngram=3, normalizer=ExactKey().normalize)(texts)
    for i, text in enumerate(texts):
        norm = ExactKey().normalize(text)
        units = [norm[t.start:t.start + t.len] for t in kiwi.tokenize(norm)]
        grams = [tuple(units[j:j + 3]) for j in range(len(units) - 2)]
        m = MinHash(num_perm=64, seed=2, hashfunc=mh.shingle_hash, scheme=mh.SCHEME)
        m.update_batch(grams)
        assert counts[i] == len(grams) > 5 and np.array_equal(sig[i], m.hashvalues)


def test_morpheme_shingles_in_a_run(ray_session, corpus, tmp_path):
    folder, truth, texts = corpus
    summary = _run(folder, tmp_path / "out", shingle="morpheme", ngram=3, threshold=0.7)
    stage = summary["stages"][0]
    assert stage["rows_in"] == len(texts) == stage["kept"] + stage["removed"]
    removed = read_dir(tmp_path / "out" / "01_minhash_dedup" / "removed")
    pairs = dict(zip(removed.column("id").to_pylist(), removed.column("duplicate_of").to_pylist()))
    found = sum(1 for n, o in truth.items() if pairs.get(n) == o or pairs.get(o) == n)
    assert found >= len(truth) * 3 // 4 and set(pairs) <= set(truth) | set(truth.values())


def test_a_threshold_outside_the_useful_range_is_warned_about(tmp_path):
    config = run_config(tmp_path, tmp_path / "out", [{"minhash_dedup": {"threshold": 0.08}}])
    assert len(config.warnings) == 1 and "did you mean 0.8" in config.warnings[0]
    assert "stages[0].minhash_dedup" in config.warnings[0]
    assert run_config(tmp_path, tmp_path / "out", [{"minhash_dedup": {"threshold": 0.97}}]).warnings
    assert not run_config(tmp_path, tmp_path / "out", [{"minhash_dedup": {}}]).warnings


def test_a_borderline_estimate_is_decided_on_the_exact_shingle_sets(tmp_path):
    """Estimates within three standard deviations of the threshold (0.8 +- 0.075) are decided
    exactly: a pair estimated at 0.85 but really 0.49 stays, one estimated at 0.78 but really
    0.905 goes; an estimate above the band is taken as it is."""
    import pyarrow as pa

    from kopile.core import io
    from kopile.pipeline.dedup import lsh
    from kopile.pipeline.dedup.partitions import doc_numbers

    work = tmp_path / "work"
    ids = [f"x{i}" for i in range(8)]
    writer = io.AtomicArrowWriter(tmp_path / "keys" / "s.parquet")
    writer.write(pa.table({"id": ids, "length": [10] * 8}))
    writer.commit()
    d = doc_numbers(0, np.arange(8))
    io.write_table_atomic(work / "edges" / "0000.parquet", pa.table({
        "a": pa.array([d[1], d[3], d[5], d[7]], pa.int64()), "b": pa.array([d[0], d[2], d[4], d[6]], pa.int64()),
        "similarity": pa.array([0.85, 0.85, 0.97, 0.78], pa.float32())}))
    same = np.arange(100, dtype=np.uint32)
    near = np.arange(5, 105, dtype=np.uint32)  # 95 of 105: 0.905
    sets = [same, np.arange(34, 134, dtype=np.uint32), same, near, None, None, same, near]  # 66 of 134: 0.49
    rows = [i for i, x in enumerate(sets) if x is not None]
    sets = [x for x in sets if x is not None]
    io.write_npz_atomic(work / "shingles" / "s.parquet.npz", rows=np.array(rows),
                        offsets=np.cumsum([0] + [len(x) for x in sets]), values=np.concatenate(sets))
    lower, upper = lsh.borderline(0.8, 256)
    assert round(lower, 3) == 0.725 and round(upper, 3) == 0.875
    edges = lsh.read_edges(work)
    found = lsh.borderline_rows(edges, upper)
    assert {k: v.tolist() for k, v in found.items()} == {0: rows}
    decided = lsh.cluster(str(work), [("s.parquet", tmp_path / "keys" / "s.parquet")], "first", edges, 0.8,
                          upper)["s.parquet"]
    assert decided.column("row").to_pylist() == [3, 5, 7]
    assert decided.column("duplicate_of").to_pylist() == ["x2", "x4", "x6"]
    assert decided.column("minhash_similarity").to_pylist() == [0.9048, 0.97, 0.9048]


def test_a_chain_across_shards_keeps_its_far_end(ray_session, tmp_path):
    """A ~ B and B ~ C at about 0.78, A and C at about 0.6: B goes as a copy of A, C stays
    (connected components would remove C as a copy of A, which it is not)."""
    rng = random.Random(7)
    a = "".join(chr(0xAC00 + rng.randrange(2000)) for _ in range(1000))

    def edit(text: str, positions: range) -> str:
        chars = list(text)
        for i in positions:
            chars[i] = chr(0xD000 + i % 500)  # syllables that never occur in `a`
        return "".join(chars)

    b = edit(a, range(10, 1000, 41))   # 24 scattered syllables
    c = edit(b, range(30, 1000, 41))   # 24 others
    assert 0.75 < exact_jaccard(a, b) < 0.8 and 0.75 < exact_jaccard(b, c) < 0.8 and exact_jaccard(a, c) < 0.65
    for name, text in (("s0", a), ("s1", b), ("s2", c)):
        write_shard(tmp_path / "in" / f"{name}.parquet", [text, f"{name} 다른 문서 하나"], id=[name[1], f"x{name}"])
    _run(tmp_path / "in", tmp_path / "out")
    removed = read_dir(tmp_path / "out" / "01_minhash_dedup" / "removed")
    assert dict(zip(removed.column("id").to_pylist(), removed.column("duplicate_of").to_pylist())) == {"1": "0"}


class _Store:
    """Signatures and lengths given per document, as `star_edges` asks a SignatureStore."""

    def __init__(self, sigs: dict[int, np.ndarray], lengths: dict[int, int] | None = None):
        self.sigs, self.lengths = sigs, lengths or {}

    def get(self, docs):
        return np.stack([self.sigs[int(d)] for d in docs])

    def column(self, docs, name):
        assert name == "length"
        return np.array([self.lengths[int(d)] for d in docs])


def _family(rng, base: np.ndarray, share: float) -> np.ndarray:
    """A signature agreeing with `base` on about `share` of its values."""
    other = rng.integers(0, 2**32, size=base.shape, dtype=np.uint32)
    return np.where(rng.random(base.shape) < share, base, other)


def _edges(docs, buckets, store, lower=0.6, threshold=0.7, keep="first"):
    from kopile.pipeline.dedup.lsh import star_edges

    a, b, s = star_edges(np.array(docs, np.int64), np.array(buckets), store, lower, threshold, keep)
    return {(int(x), int(y)): round(float(z), 2) for x, y, z in zip(a, b, s)}


def test_a_bucket_of_copies_is_one_star_on_its_leader():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**32, size=256, dtype=np.uint32)
    sigs = {d: _family(rng, base, 0.95) for d in range(10, 26)}
    edges = _edges(list(range(10, 26)), [0] * 16, _Store(sigs))
    # 15 comparisons, not 120: every member against the first, the one `keep: first` keeps.
    assert set(edges) == {(d, 10) for d in range(11, 26)}


def test_unrelated_groups_sharing_a_bucket_stay_apart():
    rng = np.random.default_rng(1)
    x, y = (rng.integers(0, 2**32, size=256, dtype=np.uint32) for _ in range(2))
    sigs = {1: x, 2: y, 3: _family(rng, x, 0.9), 4: _family(rng, y, 0.9), 5: _family(rng, y, 0.9),
            6: rng.integers(0, 2**32, size=256, dtype=np.uint32)}
    edges = _edges([1, 2, 3, 4, 5, 6], [0] * 6, _Store(sigs))
    # 1 leads and takes 3; 2 leads the rest and takes 4 and 5; 6 matches no leader.
    assert set(edges) == {(3, 1), (4, 2), (5, 2)}
    # Several buckets at once are independent: the same documents split in two buckets.
    edges = _edges([1, 3, 4, 2, 5, 6], [0, 0, 0, 1, 1, 1], _Store(sigs))
    assert set(edges) == {(3, 1), (5, 2)}


def test_the_leader_is_the_document_kept_first():
    rng = np.random.default_rng(2)
    base = rng.integers(0, 2**32, size=256, dtype=np.uint32)
    sigs = {d: _family(rng, base, 0.9) for d in (1, 2, 3)}
    store = _Store(sigs, lengths={1: 100, 2: 300, 3: 200})
    assert set(_edges([1, 2, 3], [0, 0, 0], store, keep="longest")) == {(2, 1), (3, 2)}
    assert set(_edges([1, 2, 3], [0, 0, 0], store, keep="first")) == {(2, 1), (3, 1)}


def test_a_bucket_of_distinct_documents_meets_a_bounded_number_of_leaders(monkeypatch):
    from kopile.pipeline.dedup import lsh

    rng = np.random.default_rng(3)
    n = lsh.MAX_LEADERS + 20
    sigs = {d: rng.integers(0, 2**32, size=256, dtype=np.uint32) for d in range(n)}
    calls = []
    real = lsh.similarity

    def counting(a, b):
        calls.append(len(a))
        return real(a, b)

    monkeypatch.setattr(lsh, "similarity", counting)
    assert _edges(list(range(n)), [0] * n, _Store(sigs)) == {}
    assert len(calls) == lsh.MAX_LEADERS and sum(calls) == sum(n - 1 - k for k in range(lsh.MAX_LEADERS))


def test_a_borderline_member_stays_for_a_closer_copy():
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2**32, size=256, dtype=np.uint32)
    far = _family(rng, base, 0.55)
    # 2 and 3 are borderline to the leader 1 (about 0.62 and 0.6 of the values) and close to
    # each other: 2 gets one edge to 1, stays, and 3 meets it as the next leader.
    sigs = {1: base, 2: np.where(rng.random(256) < 0.9, far, base), 3: _family(rng, far, 0.9)}
    edges = _edges([1, 2, 3], [0, 0, 0], _Store(sigs), lower=0.45, threshold=0.7)
    assert {(2, 1), (3, 2)} <= set(edges) and edges[(3, 2)] >= 0.7 and edges[(2, 1)] < 0.7
