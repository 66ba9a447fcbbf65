"""Where kopile's tokenizer spends its time: py-spy with native frames on training and encoding.

    .venv/bin/python benchmarks/tokenizer_profile.py             # 50 MB, the text of bench_tokenizer.py
    .venv/bin/python benchmarks/tokenizer_profile.py --mb 5      # a check

Three subprocesses under `py-spy record --native --format speedscope` (raw profiles go to
build/bench/tokenizer/profile/, not into git): training the default 32k `sp_bpe` tokenizer on the
text (as `train.train` does on an iterator), encoding the text on one core as `kopile tokenize`
does (`encode_batch_fast` on the saved tokenizer, batches of 1,000 texts), and encoding with the
earlier configuration (Metaspace split at every space, `encode_batch`).

All three run with TOKENIZERS_PARALLELISM=false: py-spy samples only the threads the interpreter
knows, and Rayon's pool threads are not among them; serial, all the work is on the main thread, so
the shares are those of CPU time on one core. Only samples inside the profiled call are counted
(the Python frame of `_train` or `_encode`), not reading the file or saving.

py-spy unwinds the `tokenizers` library only a few frames deep, so samples are classed by their
innermost frame that says what it does; allocator frames (malloc, free, realloc, Vec growth,
unnamed addresses) go to the first named frame above them, or to "allocation, caller not
resolved". Training is cut into phases by time: word counting up to the first sample of
BpeTrainer's merge phase (`do_train`, pair counting, `Word::merge`), merges after it.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quality import git_revision, machine  # noqa: E402
from bench_tokenizer import VOCAB, WORK, _lines, build_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PYSPY = Path(sys.executable).with_name("py-spy")

# (class, pattern on the demangled frame name); the first match wins, in this order.
ALLOCATION = re.compile(r"^(malloc|free|realloc|calloc|cfree|_int_\w+|0x[0-9a-f]+|.*finish_grow|.*RawVec.*grow"
                        r"|.*drop_in_place|.*drop_glue(?!.*PyEncoding)|munmap|.*mremap|.*madvise|__rust_\w*alloc|__rustc::|__rdl_"
                        r"|.*do_reserve_and_handle)")
PYTHON = ("Python: interpreter, garbage collector, the line generator",
          r"^(<module>|_lines|_train|_encode|unicode_|PyUnicode|_PyEval|_Py|Py[A-Z]|BufferedIncrementalDecoder"
          r"|list_|gc_|.*\(.*\.py:)")
CONVERSION = r"pyo3|PyEncoding|extract|PyList|PyLong|into_pyobject|to_cow|unicode_fill_utf8|PyNativeTypeInitializer"
ENCODING_CLASSES = [
    ("normaliser (NFC with alignments)", r"unicode_normalization|Recompositions|Decompositions|NormalizedString>::"
                                         r"(nfc|transform)|canonical_combining_class"),
    ("pre-tokeniser (Metaspace split, string slices)", r"Metaspace|PreTokenizedString>::split|NormalizedString>::"
                                                       r"(split|slice|from)|CharIndices|\(\(usize, usize\), bool\)"),
    ("offsets: byte-to-char map (SipHash HashMap<usize, usize>)",
     r"BytesToCharOffsetConverter|HashMap<usize, usize|hash_one::<&usize>|RawTable<\(usize, usize\)>"),
    ("BPE: merges of a word (heap)", r"merge_all|models::bpe::word::|DaryHeap|BinaryHeap"),
    ("BPE: cache (thread-local AHashMap)", r"tokenize_with_cache|LocalKey|ahash"),
    ("BPE: chars to ids, byte fallback", r"merge_word"),
    ("BPE: ids to Token strings (vocab_r lookup, String clone)", r"Zip<.*slice::iter|String as core::clone::Clone|"
                                                                 r"HashMap<u32"),
    ("SipHash, shared by vocabulary lookups and the offset map", r"sip::Hasher|RandomState"),
    ("Encoding assembly (Token vectors to Encoding)", r"tokenizer::encoding::Encoding|into_encoding|Vec<tokenizers::"
                                                      r"tokenizer::Token>|tokenizer::Token|AddedVocabulary"),
    ("per-split bookkeeping (model call per pre-tokenised piece)", r"tokenize_in_pretokenized|PreTokenizedString"),
    ("Python conversion (str in, Encoding objects and id lists out)", CONVERSION),
    PYTHON,
]
COUNTING_CLASSES = [
    ("normaliser (NFC with alignments)", ENCODING_CLASSES[0][1]),
    ("pre-tokeniser (Metaspace split, string slices)", ENCODING_CLASSES[1][1]),
    ("word counts: HashMap<String, u64> insert, hashing", r"::feed|Trainer>::words|HashMap|hashbrown|RawTable|ahash"
                                                         r"|sip::Hasher|RandomState|hash_one|rustc_entry"),
    ("Python conversion (str into Rust)", CONVERSION + r"|PyBufferedIterator"),
    PYTHON,
]
MERGING_CLASSES = [
    ("Word::merge (rewrite each word holding the pair)", r"models::bpe::word::Word>::merge"),
    ("pair counts and positions: HashMap/HashSet insert, hashing", r"count_pairs|HashMap|HashSet|hashbrown|RawTable"
                                                                   r"|rustc_entry|sip::Hasher|RandomState|hash_one"),
    ("priority queue", r"BinaryHeap|DaryHeap|Merge as core::cmp"),
    ("the rest of do_train (alphabet, words to symbols, the loop)", r"do_train|bpe::trainer|from_iter"),
    PYTHON,
]
COUNTING = "word counting (read, normalise, pre-tokenise, count)"
MERGING = "merges (words to symbols, pair counts, merge loop)"
MERGE_PHASE = re.compile(r"do_train|count_pairs|models::bpe::word::Word>::merge")


# --- the profiled children -------------------------------------------------------------------------

def _train(text: str, vocab: int):
    from kopile.tokenizers_train import train as T

    tok, trainer = T.build("sp_bpe", vocab)
    tok.train_from_iterator(_lines(text), trainer=trainer)
    return T.finish(tok, "sp_bpe", "default")


def _encode(tok, method: str, lines: list[str]) -> int:
    encode = getattr(tok, method)
    return sum(len(e.ids) for i in range(0, len(lines), 1000)
               for e in encode(lines[i:i + 1000], add_special_tokens=False))


def child(kind: str, text: str, out: str) -> dict:
    from tokenizers import Tokenizer

    started = time.perf_counter()
    if kind == "train":
        from kopile.tokenizers_train import train as T

        T.save(_train(text, VOCAB), out)
        return {"seconds": time.perf_counter() - started}
    data = json.loads((Path(out) / "tokenizer.json").read_text(encoding="utf-8"))
    if kind == "encode-split":
        pre = data["pre_tokenizer"]
        for step in pre.get("pretokenizers", [pre]):
            if step["type"] == "Metaspace":
                step["split"] = True
    tok = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    lines = list(_lines(text))
    started = time.perf_counter()
    tokens = _encode(tok, "encode_batch" if kind == "encode-split" else "encode_batch_fast", lines)
    return {"seconds": time.perf_counter() - started, "tokens": tokens}


# --- reading the profiles ----------------------------------------------------------------------

def demangle(names: list[str]) -> list[str]:
    """Rust v0 symbols through c++filt where it is installed; hashes in brackets dropped."""
    if shutil.which("c++filt"):
        out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout
        lines = out.split("\n")
        if len(lines) >= len(names):
            names = lines[:len(names)]
    return [re.sub(r"\[[0-9a-f]{16}\]", "", n) for n in names]


def classify(stack: list[str], classes: list[tuple[str, str]]) -> str:
    compiled = [(c, re.compile(p)) for c, p in classes]
    for depth, frame in enumerate(reversed(stack)):
        if ALLOCATION.match(frame):
            continue
        if depth and frame.endswith(")") and ".py:" in frame:
            break  # an allocation whose native callers py-spy lost, under a Python call
        for name, pattern in compiled:
            if pattern.search(frame):
                return name
        return "other: " + short(frame)
    return "allocation, caller not resolved"


def short(name: str, width: int = 110) -> str:
    while True:  # innermost angle brackets first
        reduced = re.sub(r"(^|[^\w>])?<([^<>]*)>(?=(::)?)", lambda m: _qualifier_or_drop(m), name)
        if reduced == name:
            break
        name = reduced
    return name[:width]


def _qualifier_or_drop(match: re.Match) -> str:
    lead, inner = match.group(1) or "", match.group(2)
    qualified = match.end() < len(match.string) and match.string.startswith("::", match.end())
    if qualified and (match.start() == 0 or not (lead[-1:].isalnum() or lead[-1:] in "_:")):
        return lead + inner.split(" as ")[0].rsplit("::", 1)[-1]
    return lead


def summarise(path: Path, kind: str) -> dict:
    prof = json.loads(path.read_text())
    frames = prof["shared"]["frames"]
    names = demangle([f["name"] for f in frames])
    names = [f"{n} ({Path(f['file']).name}:{f.get('line', '')})" if str(f.get("file", "")).endswith(".py") else n
             for n, f in zip(names, frames)]
    main = max(prof["profiles"], key=lambda p: len(p["samples"]))
    mark = "_train" if kind == "train" else "_encode"
    stacks = []
    for sample, weight in zip(main["samples"], main["weights"]):
        stack = [names[i] for i in sample]
        if any(s.startswith(mark + " (") for s in stack):
            stacks.append((stack, weight))
    total = sum(w for _, w in stacks) or 1
    phases: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    leaves: collections.Counter = collections.Counter()
    phase = COUNTING if kind == "train" else "encoding"
    for stack, weight in stacks:
        if kind == "train" and any(MERGE_PHASE.search(s) for s in stack):
            phase = MERGING
        classes = {COUNTING: COUNTING_CLASSES, MERGING: MERGING_CLASSES}.get(phase, ENCODING_CLASSES)
        phases[phase][classify(stack, classes)] += weight
        leaves[short(stack[-1])] += weight
    return {"samples": len(stacks), "sampled_seconds": round(total, 2),
            "phases": {p: {"share": round(sum(c.values()) / total, 4),
                           "classes": {k: round(v / total, 4) for k, v in c.most_common()}}
                       for p, c in phases.items()},
            "top_functions": {k: round(v / total, 4) for k, v in leaves.most_common(15)}}


def profile(kind: str, text: Path, out: Path, rate: int, raw_dir: Path) -> dict:
    raw = raw_dir / f"{kind}.speedscope.json"
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "RAYON_NUM_THREADS": "1"}
    proc = subprocess.run([str(PYSPY), "record", "--native", "--format", "speedscope", "--rate", str(rate),
                           "--output", str(raw), "--", sys.executable, __file__, "--child", kind, str(text),
                           str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{kind}: {proc.stderr[-2000:]}")
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    return {**result, "profile": str(raw.resolve().relative_to(ROOT)), **summarise(raw, kind)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50, help="MB of Korean reviews (default 50)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    text = build_text(args.mb, args.work)
    size = text.stat().st_size / 1e6
    raw_dir = args.work / "profile"
    raw_dir.mkdir(parents=True, exist_ok=True)
    model = raw_dir / "tokenizer"
    runs = {}
    for kind in ("train", "encode", "encode-split"):
        runs[kind] = profile(kind, text, model, args.rate, raw_dir)
        print(f"{kind}: {runs[kind]['seconds']:.1f} s, {runs[kind]['samples']} samples", flush=True)
    report = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "kopile_git": git_revision(), "machine": machine(),
              "text": {"path": str(text), "mb": round(size, 1)}, "rate": args.rate, "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tokenizer_profile.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    titles = {"train": f"Training the default 32k `sp_bpe` on one core ({runs['train']['seconds']:.1f} s under py-spy)",
              "encode": f"Encoding as `kopile tokenize` does, one core ({size / runs['encode']['seconds']:.2f} MB/s "
                        "under py-spy)",
              "encode-split": "Encoding with the earlier configuration: Metaspace split at every space, "
                              f"`encode_batch` ({size / runs['encode-split']['seconds']:.2f} MB/s under py-spy)"}
    lines = [f"# Where the tokenizer's time goes ({size:.1f} MB of Korean reviews)", "",
             f"{report['date']}, kopile {report['kopile_git']}, py-spy --native at {args.rate} Hz, "
             "TOKENIZERS_PARALLELISM=false (all work on the sampled main thread). Shares of the samples "
             "inside the profiled call; `benchmarks/tokenizer_profile.py` explains the classes.", ""]
    for kind, run in runs.items():
        lines += [f"## {titles[kind]}", "", f"{run['samples']:,} samples.", "", "| phase | class | share |",
                  "|---|---|---:|"]
        for phase, p in run["phases"].items():
            lines.append(f"| **{phase}** | | **{p['share']:.1%}** |")
            lines += [f"| | {c} | {s:.1%} |" for c, s in p["classes"].items() if s >= 0.005]
        lines += ["", "Innermost frames:", "", "| function | share |", "|---|---:|"]
        lines += [f"| `{f}` | {s:.1%} |" for f, s in run["top_functions"].items()]
        lines.append("")
    (RESULTS / "tokenizer_profile.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
