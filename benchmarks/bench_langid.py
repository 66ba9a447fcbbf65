"""Language identifiers side by side on a labelled set, and kopile's langid decision among them.

    .venv/bin/python benchmarks/langid_sets.py                  # the development set, once
    .venv/bin/python benchmarks/bench_langid.py --nsmc --kowiki # + all NSMC reviews and Wikipedia, ~20 min
    .venv/bin/python benchmarks/bench_langid.py --set OTHER.jsonl --only kopile,lid176-today

A set is JSON Lines with `text`, `label` (`ko`, a language code, read as ISO 639-1: `zh-Hans` and
`zho` are `zh`; `und`: not Korean, language unknown) and `register`. Each identifier runs in a
fresh subprocess (one core: the timings are per core), which loads the set, normalises it as the
`normalize` stage does, loads the identifier (RSS before and after is recorded, and the process's
peak), then decides every document `--repeat` times; the median CPU time gives MB/s (UTF-8 bytes
of the normalised texts). A document counts as kept when the identifier's
top language is Korean (`lid176-today` adds kopile's former threshold, score >= 0.65; `kopile`
is `LangIdFilter().keep`), as removed otherwise.

Reported per register and per length bucket (characters of the normalised text): the share of
Korean documents removed and of non-Korean documents removed; the exact language accuracy on
non-Korean documents whose language is known (not `und`). `--nsmc` adds the unlabelled measure
on all 712,404 NSMC reviews: the share of mostly-Hangul reviews (over half of the letters) that
each of kopile and lid176-today removes; `--kowiki` the same on the Korean Wikipedia sample.

Writes benchmarks/results/langid.{json,md} (for another `--set`, langid_<name>.{json,md}).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEV_SET = ROOT / "build" / "bench" / "langid" / "dev.jsonl"
CORPORA = {"nsmc": ROOT.parent / "shared" / "data" / "nsmc" / "nsmc_raw_reviews.jsonl.gz",
           "kowiki": ROOT.parent / "shared" / "data" / "kowiki" / "kowiki_sample.jsonl.gz"}
RESULTS = ROOT / "benchmarks" / "results"
BUCKETS = ((0, 10, "<10"), (10, 30, "10-29"), (30, 100, "30-99"), (100, 1000, "100-999"), (1000, 10**12, ">=1000"))
IDENTIFIERS = ("kopile", "kopile-cld2", "kopile-lid176", "lid176-today", "lid176", "cld2", "cld3", "lingua-low",
               "lingua-high", "py3langid")
ISO_639_3 = {"kor": "ko", "eng": "en", "jpn": "ja", "zho": "zh", "cmn": "zh", "chi": "zh", "deu": "de", "fra": "fr",
             "spa": "es", "rus": "ru"}
BUCKET_ORDER = {name: i for i, (_, _, name) in enumerate(BUCKETS)}
MAX_CHARS = 100_000  # what every identifier reads, as kopile's filter does


def bucket(n: int) -> str:
    return next(name for lo, hi, name in BUCKETS if lo <= n < hi)


def rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- identifiers: each a function text -> (language, score, kept) ---------------------------------

def make(name: str):
    if name.startswith("kopile"):
        from kopile.filters.langid import LangIdFilter

        model = {"kopile": "cld2+lid176", "kopile-cld2": "cld2", "kopile-lid176": "lid176"}[name]
        f = LangIdFilter(model=model)

        def kopile(text):
            s = f.score(text)
            return s["lang"], s["lang_score"], f.keep(s)[0]
        return kopile
    if name.startswith("lid176"):
        from kopile.filters.langid import bundled_model_path, load_fasttext

        model, threshold = load_fasttext(bundled_model_path()), 0.65 if name == "lid176-today" else 0.0

        def lid(text):
            labels, probs = model.predict(text[:MAX_CHARS].replace("\n", " "), k=1)
            lang, p = labels[0].removeprefix("__label__"), float(probs[0])
            return lang, p, lang == "ko" and p >= threshold
        return lid
    if name == "cld2":
        from kopile.filters.langid import cld2_detect

        def cld2(text):
            lang, share, _ = cld2_detect(text[:MAX_CHARS])
            return lang, share, lang == "ko"
        return cld2
    if name == "cld3":
        import gcld3

        det = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=4 * MAX_CHARS)

        def cld3(text):
            r = det.FindLanguage(text[:MAX_CHARS])
            lang = r.language.split("-")[0] if r.language != "und" else ""
            return lang, r.probability, lang == "ko"
        return cld3
    if name.startswith("lingua"):
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages()
        det = (builder.with_low_accuracy_mode() if name == "lingua-low" else builder).build()

        def lingua(text):
            values = det.compute_language_confidence_values(text[:MAX_CHARS])
            if not values or values[0].value == 0:
                return "", 0.0, False
            lang = values[0].language.iso_code_639_1.name.lower()
            return lang, values[0].value, lang == "ko"
        return lingua
    if name == "py3langid":
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        det = LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE, norm_probs=True)

        def py3langid(text):
            lang, p = det.classify(text[:MAX_CHARS])
            return lang, float(p), lang == "ko"
        return py3langid
    raise SystemExit(f"unknown identifier {name}; known: {', '.join(IDENTIFIERS)}")


def load_set(path: Path) -> list[dict]:
    from kopile.filters.normalize import Normalizer

    norm = Normalizer()
    rows = []
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        r["text"] = norm.normalize(r["text"] or "")
        # `zh-Hans`, `ZH`, `zho` all name Chinese: identifiers answer in ISO 639-1.
        label = str(r["label"]).replace("_", "-").split("-")[0].lower()
        r["label"] = ISO_639_3.get(label, label)
        if r["text"]:  # the normalize stage removes empty text before langid sees it
            rows.append(r)
    return rows


def load_corpus(name: str) -> list[str]:
    from kopile.filters.normalize import Normalizer

    norm = Normalizer()
    with gzip.open(CORPORA[name], "rt", encoding="utf-8") as f:
        texts = [norm.normalize(json.loads(line)["text"] or "") for line in f]
    return [t for t in texts if t]


def worker(name: str, set_path: Path | None, corpus: str | None, repeat: int) -> dict:
    """Runs in its own process: loads, times, predicts; prints JSON. Korean and non-Korean
    documents are timed apart (an unlabelled corpus counts as Korean)."""
    if corpus:
        texts, korean = load_corpus(corpus), None
    else:
        rows = load_set(set_path)
        texts, korean = [r["text"] for r in rows], [r["label"] == "ko" for r in rows]
    groups = {"korean": [i for i in range(len(texts)) if korean is None or korean[i]],
              "non_korean": [i for i in range(len(texts)) if korean is not None and not korean[i]]}
    rss_data = rss_now_mb()
    identify = make(name)
    for text in ("모델을 불러온다.", "good", "Loading the model."):  # loads whatever the identifier loads lazily
        identify(text)
    rss_loaded = rss_now_mb()
    seconds = {g: [] for g in groups}
    out = [None] * len(texts)
    for _ in range(repeat):
        for g, idx in groups.items():
            t0 = time.process_time()
            for i in idx:
                out[i] = identify(texts[i])
            seconds[g].append(time.process_time() - t0)
    return {"name": name, "seconds": [a + b for a, b in zip(seconds["korean"], seconds["non_korean"])],
            "seconds_by_group": seconds,
            "mb_by_group": {g: sum(len(texts[i].encode()) for i in idx) / 1e6 for g, idx in groups.items()},
            "rss_data_mb": rss_data, "rss_loaded_mb": rss_loaded, "rss_peak_mb": rss_peak_mb(),
            "mb": sum(len(t.encode()) for t in texts) / 1e6,
            "predictions": [[lang, round(float(score), 4), bool(kept)] for lang, score, kept in out]}


def run_worker(name: str, set_path: Path | None, corpus: str | None, repeat: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--repeat", str(repeat)]
    cmd += ["--corpus-worker", corpus] if corpus else ["--set", str(set_path)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        print(f"{name} failed, left out:\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout)


# --- figures ------------------------------------------------------------------------------------

def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def groups(rows: list[dict]) -> list[str]:
    """Each row's register; a register holding Korean and non-Korean rows is split in two."""
    kinds = collections.defaultdict(set)
    for r in rows:
        kinds[r["register"]].add(r["label"] == "ko")
    return [r["register"] + (" (non-Korean)" if len(kinds[r["register"]]) == 2 and r["label"] != "ko" else "")
            for r in rows]


def labelled_figures(rows: list[dict], res: dict) -> dict:
    preds = res["predictions"]
    per_register = collections.defaultdict(lambda: [0, 0])          # register -> [removed, n]
    per_bucket = collections.defaultdict(lambda: [0, 0])            # (korean?, bucket) -> [removed, n]
    per_cell = collections.defaultdict(lambda: [0, 0])              # (Korean register, bucket) -> [removed, n]
    exact = collections.defaultdict(lambda: [0, 0])                 # language -> [right, n]
    for r, g, (lang, _, kept) in zip(rows, groups(rows), preds):
        ko = r["label"] == "ko"
        b = bucket(len(r["text"]))
        keys = [(per_register, g), (per_bucket, ("Korean" if ko else "non-Korean", b))]
        if ko:
            keys.append((per_cell, (g, b)))
        for table, key in keys:
            table[key][0] += not kept
            table[key][1] += 1
        if not ko and r["label"] != "und":
            key = r["label"] if r["label"] in ("en", "ja", "zh") else "other"
            exact[key][0] += lang == r["label"]
            exact[key][1] += 1
    ko_rows = [p for r, p in zip(rows, preds) if r["label"] == "ko"]
    ko10 = [p for r, p in zip(rows, preds) if r["label"] == "ko" and len(r["text"]) >= 10]
    other = [p for r, p in zip(rows, preds) if r["label"] != "ko"]
    # The target: in every Korean register x bucket of >= 10 characters, under 0.2% removed.
    worst = max(((removed / n, reg, b) for (reg, b), (removed, n) in per_cell.items() if b != "<10"),
                default=(0.0, "", ""))
    med = statistics.median(res["seconds"])
    return {
        "korean_removed": rate(sum(not p[2] for p in ko_rows), len(ko_rows)),
        "korean_removed_10plus": rate(sum(not p[2] for p in ko10), len(ko10)),
        "worst_korean_cell_10plus": {"share": worst[0], "register": worst[1], "bucket": worst[2]},
        "non_korean_removed": rate(sum(not p[2] for p in other), len(other)),
        "per_register": {k: {"removed": v[0], "n": v[1], "share": rate(*v)} for k, v in sorted(per_register.items())},
        "per_bucket": {f"{k[0]} {k[1]}": {"removed": v[0], "n": v[1], "share": rate(*v)}
                       for k, v in sorted(per_bucket.items(), key=lambda kv: (kv[0][0], BUCKET_ORDER[kv[0][1]]))},
        "per_register_bucket": {f"{k[0]} {k[1]}": {"removed": v[0], "n": v[1], "share": rate(*v)} for k, v in
                                sorted(per_cell.items(), key=lambda kv: (kv[0][0], BUCKET_ORDER[kv[0][1]]))},
        "exact_language_accuracy": {k: {"right": v[0], "n": v[1], "share": rate(*v)} for k, v in sorted(exact.items())},
        "mb_per_s_per_core": res["mb"] / med, "cpu_seconds": res["seconds"], "mb": res["mb"],
        "mb_per_s_per_core_by_group": {g: res["mb_by_group"][g] / statistics.median(sec)
                                       for g, sec in res["seconds_by_group"].items() if res["mb_by_group"][g]},
        "rss_data_mb": res["rss_data_mb"], "rss_loaded_mb": res["rss_loaded_mb"], "rss_peak_mb": res["rss_peak_mb"],
    }


def corpus_figures(texts: list[str], res: dict) -> dict:
    from kopile.filters import text as kt

    cells = collections.defaultdict(lambda: [0, 0])
    for t, (_, _, kept) in zip(texts, res["predictions"]):
        mostly = kt.hangul_share_of_letters(t) > 0.5
        for key in (("all", "all"), ("mostly_hangul", "all"), ("mostly_hangul", bucket(len(t))), ("other", "all")):
            if key[0] == "all" or (key[0] == "mostly_hangul") == mostly:
                cells[key][0] += not kept
                cells[key][1] += 1
    med = statistics.median(res["seconds"])
    order = sorted(cells.items(), key=lambda kv: (kv[0][0], BUCKET_ORDER.get(kv[0][1], len(BUCKETS))))
    return {f"{a} {b}": {"removed": v[0], "n": v[1], "share": rate(*v)} for (a, b), v in order} | {
        "mb_per_s_per_core": res["mb"] / med, "cpu_seconds": res["seconds"], "rss_peak_mb": res["rss_peak_mb"]}


def pct(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{100 * x:.{digits}f}%"


SWEEP = (0.1, 0.15, 0.2, 0.25, 0.3, 0.5)


def korean_share_sweep(rows: list[dict]) -> dict:
    """How `min_korean_share` decides the set's mixed documents (some Hangul, under half of the
    letters): Korean removed and non-Korean kept at each value."""
    from kopile.filters.langid import LangIdFilter

    mixed = [r for r in rows if 0 < LangIdFilter().score(r["text"])["hangul_share"] < 0.5]
    out = {"korean": sum(r["label"] == "ko" for r in mixed), "non_korean": sum(r["label"] != "ko" for r in mixed)}
    for t in SWEEP:
        f = LangIdFilter(min_korean_share=t)
        kept = [f.keep(f.score(r["text"]))[0] for r in mixed]
        out[str(t)] = {"korean_removed": sum(not k for k, r in zip(kept, mixed) if r["label"] == "ko"),
                       "non_korean_kept": sum(k for k, r in zip(kept, mixed) if r["label"] != "ko")}
    return out


def markdown(report: dict) -> str:
    lines = [f"# Language identification ({report['set']})", "",
             f"{report['machine']}; medians of {report['repeat']} runs, CPU time of one process.", ""]
    figs = report["identifiers"]
    lines += ["| identifier | Korean removed | Korean >= 10 chars removed | worst register x bucket >= 10 chars | "
              "non-Korean removed | en / ja / zh / other exact | MB/s per core: all (Korean / non-Korean) | "
              "RSS of the identifier (process peak) MB |",
              "|---|---:|---:|---|---:|---|---:|---:|"]
    for name, f in figs.items():
        ex = f["exact_language_accuracy"]
        w = f["worst_korean_cell_10plus"]
        lines.append(f"| {name} | {pct(f['korean_removed'])} | {pct(f['korean_removed_10plus'])} | "
                     f"{pct(w['share'])} ({w['register']} {w['bucket']}) | {pct(f['non_korean_removed'])} | "
                     + " / ".join(pct(ex.get(k, {}).get("share"), 1) for k in ("en", "ja", "zh", "other"))
                     + f" | {f['mb_per_s_per_core']:.1f} ({f['mb_per_s_per_core_by_group'].get('korean', 0):.1f} / "
                       f"{f['mb_per_s_per_core_by_group'].get('non_korean', 0):.1f}) | "
                       f"{f['rss_loaded_mb'] - f['rss_data_mb']:.0f} ({f['rss_peak_mb']:.0f}) |")
    registers = list(next(iter(figs.values()))["per_register"])
    lines += ["", "Share removed per register (Korean registers: the share of Korean documents removed; the others: "
              "the share of non-Korean documents removed):", "",
              "| register | n | " + " | ".join(figs) + " |", "|---|---:|" + "---:|" * len(figs)]
    for reg in registers:
        n = next(iter(figs.values()))["per_register"][reg]["n"]
        lines.append(f"| {reg} | {n} | " + " | ".join(pct(f["per_register"][reg]["share"]) for f in figs.values())
                     + " |")
    keys = list(next(iter(figs.values()))["per_bucket"])
    lines += ["", "Share removed per length bucket (characters):", "",
              "| documents, bucket | n | " + " | ".join(figs) + " |", "|---|---:|" + "---:|" * len(figs)]
    for key in keys:
        n = next(iter(figs.values()))["per_bucket"][key]["n"]
        lines.append(f"| {key} | {n} | " + " | ".join(pct(f["per_bucket"][key]["share"]) for f in figs.values()) + " |")
    cells = [k for k in next(iter(figs.values()))["per_register_bucket"]]
    lines += ["", "Korean registers x length buckets, share of Korean documents removed:", "",
              "| register, bucket | n | " + " | ".join(figs) + " |", "|---|---:|" + "---:|" * len(figs)]
    for key in cells:
        n = next(iter(figs.values()))["per_register_bucket"][key]["n"]
        lines.append(f"| {key} | {n} | " + " | ".join(pct(f["per_register_bucket"][key]["share"])
                                                      for f in figs.values()) + " |")
    sweep = report.get("korean_share_sweep")
    if sweep:
        lines += ["", f"`min_korean_share` on the set's mixed documents (some Hangul, under half of the letters: "
                      f"{sweep['korean']} Korean, {sweep['non_korean']} not):", "",
                  "| `min_korean_share` | " + " | ".join(str(t) for t in SWEEP) + " |", "|---|" + "---:|" * len(SWEEP),
                  "| Korean removed | " + " | ".join(str(sweep[str(t)]["korean_removed"]) for t in SWEEP) + " |",
                  "| non-Korean kept | " + " | ".join(str(sweep[str(t)]["non_korean_kept"]) for t in SWEEP) + " |"]
    for corpus, figs in report["corpora"].items():
        if not figs:
            continue
        lines += ["", f"## All of {CORPORA[corpus].name} (unlabelled)", "",
                  "Share of the normalised documents removed; `mostly_hangul`: over half of the letters Hangul.", "",
                  "| documents | n | " + " | ".join(figs) + " |", "|---|---:|" + "---:|" * len(figs)]
        first = next(iter(figs.values()))
        for key in [k for k in first if isinstance(first[k], dict)]:
            lines.append(f"| {key} | {first[key]['n']} | " + " | ".join(
                f"{pct(v[key]['share'], 3)} ({v[key]['removed']})" for v in figs.values()) + " |")
        lines.append("| MB/s per core | | " + " | ".join(f"{v['mb_per_s_per_core']:.1f}" for v in figs.values()) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", type=Path, default=DEV_SET, help="labelled JSONL: text, label, register")
    ap.add_argument("--only", default=",".join(IDENTIFIERS), help="identifiers, comma-separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--nsmc", action="store_true", help="also all NSMC reviews: kopile and lid176-today")
    ap.add_argument("--kowiki", action="store_true", help="also the Korean Wikipedia sample: kopile and lid176-today")
    ap.add_argument("--out", type=Path, help="results path without suffix")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--corpus-worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.set, args.corpus_worker, args.repeat)))
        return
    if not args.set.is_file():
        raise SystemExit(f"{args.set} is missing: `python benchmarks/langid_sets.py` builds the development set")
    out = args.out or RESULTS / ("langid" if args.set == DEV_SET else f"langid_{args.set.stem}")
    rows = load_set(args.set)
    report = {"set": str(args.set.relative_to(ROOT) if args.set.is_relative_to(ROOT) else args.set),
              "documents": len(rows), "repeat": args.repeat,
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                         f"load average {os.getloadavg()[0]:.2f} at start",
              "identifiers": {}, "corpora": {}}
    for name in args.only.split(","):
        print(f"{name} ...", file=sys.stderr, flush=True)
        res = run_worker(name, args.set, False, args.repeat)
        if res:
            report["identifiers"][name] = labelled_figures(rows, res)
    if "kopile" in report["identifiers"]:
        report["korean_share_sweep"] = korean_share_sweep(rows)
    for corpus in [c for c in CORPORA if getattr(args, c)]:
        texts, report["corpora"][corpus] = load_corpus(corpus), {}
        for name in ("kopile", "lid176-today"):
            print(f"{name} on all of {corpus} ...", file=sys.stderr, flush=True)
            res = run_worker(name, None, corpus, args.repeat)
            if res:
                report["corpora"][corpus][name] = corpus_figures(texts, res)
    report["load_average_end"] = os.getloadavg()[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
