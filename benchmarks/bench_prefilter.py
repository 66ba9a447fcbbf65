"""The ingest pre-filter on a crawl-shaped WARC: pages/s with and without it, and Korean pages lost.

    .venv/bin/python benchmarks/bench_prefilter.py                 # 5,000 pages, 1 in 50 Korean, 3 repeats
    .venv/bin/python benchmarks/bench_prefilter.py --blind build/bench/prefilter/blind

Development set (the pre-filter's thresholds were chosen on it): the Korean pages of
bench_ingest.py (real Korean text in news, blog and forum templates, a fifth of them CP949 with
every way of declaring it) and, 49 for each Korean page, pages in other languages in the same
kinds of template: English from the standard library's `pydoc_data.topics` (real text) and
Japanese, Chinese, Russian, Vietnamese and Spanish made of random common characters or words
(generated), in UTF-8 and in their legacy encodings; one in ten carries a language picker
that names 한국어 among others. Each setting is one `kopile ingest` process, 1 worker, into a
fresh output; repeats interleaved; the ingest stage's wall time (run.json); medians.
"Korean pages lost": Korean pages the run without the pre-filter keeps and the run with it
does not.

With --blind DIR (benchmarks/blind/build_prefilter_blind.py, built without reading this code):
the pre-filter's decision on every page of DIR/pages.warc.gz against DIR/labels.jsonl.
Writes benchmarks/results/prefilter.json and prefilter.md.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_ingest as bi  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
VERSION = 1
LANGUAGES = {  # language: (encodings, characters or words to draw from)
    "ja": (("utf-8", "shift_jis"), "日本語の文章を書くときは句読点と漢字とひらがなとカタカナを使います東京大阪京都政府会社学校"),
    "zh": (("utf-8", "gbk", "big5"), "中华人民共和国是工人阶级领导的以工农联盟为基础的社会主义国家政府经济发展"),
    "ru": (("utf-8", "cp1251"), "правительство страна город человек работа время жизнь новости экономика".split()),
    "vi": (("utf-8",), "chính phủ người dân kinh tế thành phố trường học công ty tin tức thời sự".split()),
    "es": (("utf-8", "iso-8859-1"), "el gobierno país ciudad año economía noticias política educación señor".split()),
}
PICKER = "<ul class='lang'><li>English</li><li>日本語</li><li>中文</li><li>한국어</li><li>Español</li></ul>"


def english_texts(rng: random.Random) -> list[str]:
    from pydoc_data.topics import topics

    paragraphs = [p.strip() for text in topics.values() for p in text.split("\n\n") if len(p.strip()) > 200]
    rng.shuffle(paragraphs)
    return paragraphs


def foreign_text(rng: random.Random, language: str, english: list[str]) -> str:
    if language == "en":
        return "\n".join(rng.sample(english, 6))
    pool = LANGUAGES[language][1]
    if isinstance(pool, str):  # characters
        return "\n".join("".join(rng.choice(pool) for _ in range(rng.randint(60, 200))) + "。" for _ in range(8))
    return "\n".join(" ".join(rng.choice(pool) for _ in range(rng.randint(15, 40))) + "." for _ in range(8))


def foreign_page(rng: random.Random, index: int, english: list[str]) -> dict:
    language = rng.choice(["en"] * 5 + list(LANGUAGES))
    encoding = "utf-8" if language == "en" else rng.choice(LANGUAGES[language][0])
    text = foreign_text(rng, language, english)
    menu = " | ".join(foreign_text(rng, language, english).split()[:12])
    picker = PICKER if index % 10 == 0 else ""
    declared = rng.choice(["header", "meta", "none"])
    meta = f"<meta charset='{encoding}'>" if declared == "meta" else ""
    body = (f"<!DOCTYPE html><html lang='{language}'><head>{meta}<title>{bi.e(text[:40])}</title>"
            f"<style>body{{font-family:sans-serif}}</style>{bi.script(rng)}</head><body><header>{bi.e(menu)}</header>"
            f"{picker}<nav>{bi.e(menu)}</nav><main><article>"
            + "".join(f"<p>{bi.e(line)}</p>" for line in text.split("\n"))
            + f"</article></main><footer>{bi.e(menu)} © 2024</footer>{bi.script(rng)}</body></html>")
    content_type = f"text/html; charset={encoding}" if declared == "header" else "text/html"
    return {"url": f"https://site{index % 97}.example.{language}/page/{index}", "label": "other", "language": language,
            "charset": encoding, "content_type": content_type,
            "payload": body.encode(encoding, "xmlcharrefreplace"), "generated": language != "en"}


def build(work: Path, pages: int, files: int, seed: int) -> dict:
    key = {"version": VERSION, "ingest_corpus": bi.CORPUS_VERSION, "pages": pages, "files": files, "seed": seed}
    info_path = work / "corpus.json"
    if info_path.is_file() and json.loads(info_path.read_text())["key"] == key:
        return json.loads(info_path.read_text())
    shutil.rmtree(work / "warc", ignore_errors=True)
    (work / "warc").mkdir(parents=True)
    rng = random.Random(seed)
    korean = pages // 50
    # More documents than pages: their titles fill the link lists of the templates.
    docs, comments, sites = bi.load_documents(max(korean, 200), rng), bi.load_comments(rng), bi.make_sites(rng)
    titles = [t for t, _ in docs if len(t) >= 10]
    built = []
    for i, (title, lines) in enumerate(docs[:korean]):
        p = bi.page(rng, rng.choice(sites), i, title, lines, rng.sample(titles, 40), comments)
        built.append({**p, "label": "ko", "language": "ko", "generated": False})
    english = english_texts(rng)
    built += [foreign_page(rng, i, english) for i in range(pages - korean)]
    rng.shuffle(built)
    for k in range(files):
        bi.write_warc(work / "warc" / f"segment-{k:02d}.warc.gz", built[k::files])
    labels = [{k: p[k] for k in ("url", "label", "language", "charset", "content_type", "generated")} for p in built]
    info = {"key": key, "pages": len(built), "korean": korean, "html_bytes": sum(len(p["payload"]) for p in built),
            "warc_bytes": sum(f.stat().st_size for f in (work / "warc").iterdir()),
            "languages": dict(Counter(p["language"] for p in built)), "labels": labels}
    info_path.write_text(json.dumps(info, ensure_ascii=False))
    return info


def run(work: Path, prefilter: bool) -> dict:
    out = work / "runs" / ("prefilter" if prefilter else "all")
    shutil.rmtree(out, ignore_errors=True)
    config = work / "runs" / f"{out.name}.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"input": str(work / "warc"), "output": str(out),
                                  **({} if prefilter else {"prefilter": None})}))
    proc = subprocess.run([*bi.kopile_command(), "ingest", str(config), "--num-cpus", "1", "--no-progress"],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    stage = json.loads((out / "run.json").read_text())["stages"][0]
    kept = set()
    for path in sorted((out / "00_ingest" / "kept").glob("*.parquet")):
        kept |= set(pq.read_table(path, columns=["url"]).column("url").to_pylist())
    return {"wall_seconds": stage["wall_seconds"], "task_seconds": stage["task_seconds"], "rows_in": stage["rows_in"],
            "removed_by_reason": stage["removed_by_reason"], "kept": sorted(kept)}


def blind(directory: Path) -> dict:
    """The pre-filter's decision per labelled page of a blind set, by label and kind."""
    from warcio.archiveiterator import ArchiveIterator

    from kopile.pipeline.config import PrefilterConfig
    from kopile.pipeline.ingest.prefilter import could_be_korean

    defaults = PrefilterConfig()
    labels = {json.loads(line)["url"]: json.loads(line) for line in
              (directory / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = []
    with open(directory / "pages.warc.gz", "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            ctype = record.http_headers.get_header("Content-Type") if record.http_headers else None
            keep, counts = could_be_korean(record.content_stream().read(), ctype, defaults.min_hangul,
                                           defaults.min_share)
            rows.append({**labels[url], "kept": keep, "counts": counts})
    by_kind = {}
    for row in rows:
        k = by_kind.setdefault(f"{row['label']}: {row.get('kind')}", {"pages": 0, "kept": 0})
        k["pages"] += 1
        k["kept"] += row["kept"]
    ko = [r for r in rows if r["label"] == "ko"]
    other = [r for r in rows if r["label"] != "ko"]
    return {"pages": len(rows), "korean": len(ko), "korean_lost": [r["url"] for r in ko if not r["kept"]],
            "korean_recall": sum(r["kept"] for r in ko) / len(ko) if ko else None,
            "other_rejected": sum(not r["kept"] for r in other) / len(other) if other else None,
            "by_kind": by_kind, "lost": [{k: r.get(k) for k in ("url", "kind", "encoding", "declared", "counts")}
                                         for r in ko if not r["kept"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "bench" / "prefilter")
    ap.add_argument("--blind", type=Path, help="a blind set's folder (pages.warc.gz, labels.jsonl)")
    args = ap.parse_args()
    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    previous = RESULTS / "prefilter.json"
    if not args.repeat and previous.is_file():  # the blind set alone: the last timing stays
        result.update({k: v for k, v in json.loads(previous.read_text()).items() if k == "dev"})
    if args.repeat:
        info = build(args.work, args.pages, args.files, args.seed)
        runs = {"prefilter": [], "all": []}
        for _ in range(args.repeat):
            for setting in runs:
                runs[setting].append(run(args.work, setting == "prefilter"))
        korean = {label["url"] for label in info["labels"] if label["label"] == "ko"}
        med = {s: statistics.median(r["wall_seconds"] for r in v) for s, v in runs.items()}
        # The ingest task's own seconds: the stage's wall time less Ray's start of its worker.
        task = {s: statistics.median(r["task_seconds"] for r in v) for s, v in runs.items()}
        kept_all, kept_pre = set(runs["all"][0]["kept"]), set(runs["prefilter"][0]["kept"])
        result["dev"] = {
            "repeat": args.repeat, "pages": info["pages"], "korean_pages": len(korean), "html_mb": round(info["html_bytes"] / 1e6, 1),
            "warc_mb": round(info["warc_bytes"] / 1e6, 1), "languages": info["languages"],
            "median_wall_seconds": med, "pages_per_second": {s: round(info["pages"] / m, 1) for s, m in med.items()},
            "speedup": round(med["all"] / med["prefilter"], 2),
            "median_task_seconds": task, "task_ms_per_page": {s: round(t / info["pages"] * 1e3, 3) for s, t in task.items()},
            "task_speedup": round(task["all"] / task["prefilter"], 2),
            "korean_kept_without": len(kept_all & korean), "korean_lost": sorted((kept_all & korean) - kept_pre),
            "other_extracted_with": len(kept_pre - korean),
            "removed_by_reason": runs["prefilter"][0]["removed_by_reason"],
            "runs": {s: [(r["wall_seconds"], r["task_seconds"]) for r in v] for s, v in runs.items()}}
    if args.blind:
        result["blind"] = blind(args.blind)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "prefilter.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    lines = ["# Ingest pre-filter", "", result["date"], ""]
    if "dev" in result:
        d = result["dev"]
        lines += ["## Development set (thresholds chosen on it)", "",
                  f"{d['pages']:,} pages ({d['korean_pages']} Korean), {d['html_mb']} MB of HTML, {d['warc_mb']} MB of "
                  f"WARC; `kopile ingest`, 1 worker, medians of {d['repeat']}.", "",
                  "| | stage wall, s | pages/s | task, ms a page |", "|---|---:|---:|---:|",
                  f"| every page extracted (`prefilter: null`) | {d['median_wall_seconds']['all']:.2f} | "
                  f"{d['pages_per_second']['all']:,} | {d['task_ms_per_page']['all']} |",
                  f"| pre-filter (default) | {d['median_wall_seconds']['prefilter']:.2f} | "
                  f"{d['pages_per_second']['prefilter']:,} | {d['task_ms_per_page']['prefilter']} |", "",
                  f"Speed-up {d['speedup']}x in pages/s, {d['task_speedup']}x in the task's own time; Korean pages kept without the pre-filter: {d['korean_kept_without']}, "
                  f"lost with it: {len(d['korean_lost'])}; other pages extracted with it: {d['other_extracted_with']}."]
    if "blind" in result:
        b = result["blind"]
        lines += ["", "## Blind set (built without reading this code)", "",
                  f"{b['pages']} pages, {b['korean']} Korean: Korean kept {b['korean_recall']:.2%}, "
                  f"other pages rejected {b['other_rejected']:.2%}.", "", "| label: kind | pages | kept |", "|---|---:|---:|"]
        lines += [f"| {k} | {v['pages']} | {v['kept']} |" for k, v in sorted(b["by_kind"].items())]
        if b["lost"]:
            lines += ["", "Korean pages lost:", *[f"- {x}" for x in b["lost"]]]
    (RESULTS / "prefilter.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
