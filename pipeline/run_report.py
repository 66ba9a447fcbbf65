"""`kopile report RUN_DIR`: what a run did, on one self-contained HTML page (OUT/report.html; its
figures also as PNGs in OUT/report/): the funnel of documents and text across stages, reasons,
a histogram of every score with its threshold, sampled removed documents per reason (cut short,
personal information replaced), documents and text per source and per domain, duplicate
cluster sizes, and the effective config. Every number comes from the manifests or the shards
(`kopile inspect` shows documents in the terminal)."""
from __future__ import annotations

import base64
import html
import io as _io
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kopile.core import io
from kopile.core.errors import InputError
from kopile.pipeline.report import size, text_removed_share

REASON = "reason"


def read_run(run_dir: Path) -> dict:
    run = io.read_json(run_dir / "run.json", None)
    if run is None:
        raise InputError(f"{run_dir} is not a kopile run directory (no run.json)")
    return run


def stage_dirs(run_dir: Path, run: dict | None = None) -> list[Path]:
    return [run_dir / s["dir"] for s in (run or read_run(run_dir)).get("stages", [])]


def manifest_totals(stage_dir: Path) -> dict:
    """A stage's figures summed over its manifest's shard entries."""
    manifest = io.read_json(stage_dir / "_manifest.json", {})
    entries = list((manifest.get("shards") or manifest.get("files") or {}).values())
    out: Counter = Counter()
    reasons: Counter = Counter()
    reason_bytes: Counter = Counter()
    for e in entries:
        for key in ("rows_in", "records_in", "kept", "removed", "rewritten", "text_bytes_in", "text_bytes_kept",
                    "text_bytes_removed", "text_bytes_rewritten"):
            out[key] += e.get(key, 0) or 0
        reasons.update(e.get("removed_by_reason", {}))
        reason_bytes.update(e.get("text_bytes_removed_by_reason", {}))
    totals = dict(out)
    totals["rows_in"] = totals.get("rows_in", 0) or totals.get("records_in", 0)
    totals["removed_by_reason"] = dict(reasons)
    totals["text_bytes_removed_by_reason"] = dict(reason_bytes)
    totals["stage"] = manifest.get("stage", stage_dir.name.split("_", 1)[-1])
    totals["params"] = manifest.get("params", {})
    return totals


def read_rows(folder: Path, columns: list[str] | None = None, text: bool = True) -> pa.Table | None:
    """A folder's shards as one table. With `text=False` the text column is read a file at a
    time and kept only as its UTF-8 length (`text_bytes`), with each row's file and row number
    (`_file`, `_row`) to fetch the few texts shown (`texts_at`): the report's memory then
    follows the largest shard and the score columns, not the corpus."""
    files = shard_files(folder)
    tables = []
    for number, f in enumerate(files):
        names = pq.read_schema(f).names
        wanted = [c for c in columns if c in names] if columns is not None else names
        if text:
            tables.append(pq.read_table(f, columns=wanted))
            continue
        table = pq.read_table(f, columns=[c for c in wanted if c != "text"])
        if "text" in names:
            lengths = pc.binary_length(pq.read_table(f, columns=["text"]).column("text"))
            table = table.append_column("text_bytes", pc.fill_null(lengths, 0).cast(pa.int64()))
        tables.append(table.append_column("_file", pa.array([number] * table.num_rows, pa.int32()))
                      .append_column("_row", pa.array(range(table.num_rows), pa.int64())))
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables, promote_options="default") if tables else None


def shard_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def texts_at(folder: Path, table: pa.Table, rows: list[int]) -> dict[int, str | None]:
    """The texts of `rows` of a table read with `text=False`, each shard read once."""
    files = shard_files(folder)
    where = [(table.column("_file")[i].as_py(), table.column("_row")[i].as_py(), i) for i in rows]
    out = {}
    for number in sorted({f for f, _, _ in where}):
        column = pq.read_table(files[number], columns=["text"]).column("text")
        out.update({i: column[r].as_py() for f, r, i in where if f == number})
    return out


def kept_rows(run_dir: Path, run: dict, stage_dir: Path, text: bool = True) -> pa.Table | None:
    """What a stage kept: its kept/ folder, or for a stage inside a fused pass (which writes no
    kept copy) the documents the pass's later stages kept or removed, with their scores; their
    text as the pass left it, which differs only where a later stage of the pass rewrites."""
    if (stage_dir / "kept").is_dir():
        return read_rows(stage_dir / "kept", text=text)
    stages = run.get("stages", [])
    index = [s["dir"] for s in stages].index(stage_dir.name)
    later = [run_dir / s["dir"] for s in stages[index + 1:] if s.get("pass") and s.get("pass") == stages[index].get("pass")]
    if not later:
        return None
    tables = [t.drop_columns([c for c in (REASON, "_file", "_row") if c in t.schema.names])
              for t in (read_rows(later[-1] / "kept", text=text), *(read_rows(d / "removed", text=text) for d in later))
              if t is not None]
    return pa.concat_tables(tables, promote_options="default") if tables else None


def _flat(params: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in (params or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def thresholds(score: str, params: dict) -> list[tuple[str, float]]:
    """The parameters that bound a score: `min_<score>` or `max_<score>` anywhere in the stage's
    parameters (quality_hangul_ratio: characters.min_hangul_ratio)."""
    out = []
    for name, value in _flat(params).items():
        last = name.rsplit(".", 1)[-1]
        if last in (f"min_{score}", f"max_{score}") and isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((name, float(value)))
    return out


class _Figures:
    def __init__(self, folder: Path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt, self.folder = plt, folder
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, fig, name: str) -> str:
        buffer = _io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
        self.plt.close(fig)
        data = buffer.getvalue()
        (self.folder / f"{name}.png").write_bytes(data)
        return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'

    def funnel(self, names: list[str], docs: list[int], text: list[int]) -> str:
        fig, axes = self.plt.subplots(1, 2, figsize=(11, 3.2))
        for ax, values, title in ((axes[0], docs, "documents kept after the stage"),
                                  (axes[1], [t / 2**20 for t in text], "text kept after the stage (MB)")):
            ax.barh(names[::-1], values[::-1], color="#4c72b0")
            ax.set_title(title)
        fig.tight_layout()
        return self.save(fig, "funnel")

    def histograms(self, name: str, scores: list[tuple[str, np.ndarray, np.ndarray, list]]) -> str:
        """One figure per stage, a histogram per score (kept and removed stacked), thresholds
        dashed: one image to save instead of one per score."""
        cols = 4
        rows = (len(scores) + cols - 1) // cols
        fig, axes = self.plt.subplots(rows, cols, figsize=(14, 2.4 * rows), squeeze=False)
        for ax, (column, kept, removed, lines) in zip(axes.flat, scores):
            values = np.concatenate([kept, removed])
            edges = np.histogram_bin_edges(values, bins=30 if np.ptp(values) > 0 else 1)
            # Steps, not one bar per bin: matplotlib draws them many times faster.
            below = np.histogram(kept, edges)[0]
            ax.stairs(below + np.histogram(removed, edges)[0], edges, fill=True, color="#dd8452", label="removed")
            ax.stairs(below, edges, fill=True, color="#4c72b0", label="kept")
            for label, value in lines:
                ax.axvline(value, color="black", linestyle="--", linewidth=1, label=label.rsplit(".", 1)[-1])
            ax.set_title(column, fontsize=8)
            ax.tick_params(labelsize=6)
            ax.locator_params(nbins=4)
            ax.legend(fontsize=6)
        for ax in list(axes.flat)[len(scores):]:
            ax.axis("off")
        # A fixed layout: tight_layout measures every tick label, the slowest part of the page.
        fig.subplots_adjust(left=0.04, right=0.99, top=1 - 0.35 / rows, bottom=0.25 / rows, hspace=0.7, wspace=0.25)
        return self.save(fig, f"scores_{name}")

    def bars(self, name: str, labels: list[str], values: list[int], title: str) -> str:
        fig, ax = self.plt.subplots(figsize=(5.5, 2.6))
        ax.bar(labels, values, color="#4c72b0")
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
        return self.save(fig, name)


def _table(table_id: str, header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


_DIGITS = re.compile(r"\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _Redactor:
    """Personal information replaced in the sampled documents: kopile's PII scrubber where the
    `pii` extra is installed, else e-mail addresses and digits masked."""

    def __init__(self):
        try:
            from kopile.filters.pii import PiiScrubber

            self.scrubber = PiiScrubber()
        except ImportError:
            self.scrubber = None

    def __call__(self, text: str) -> str:
        if self.scrubber is not None:
            return self.scrubber.scrub(text)[0]
        return _DIGITS.sub("0", _EMAIL.sub("<|email|>", text))


def _domain_extractor():
    try:
        import tldextract

        extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the bundled list: no network
        def registered(host: str) -> str:
            parts = extract(host)
            # tldextract 5.3 renamed registered_domain; older versions have only that name.
            return getattr(parts, "top_domain_under_public_suffix", None) or parts.registered_domain or host

        return registered
    except ImportError:
        return lambda host: host


def _breakdown_columns(table: pa.Table) -> pa.Table:
    return table.select([c for c in ("text_bytes", "source", "url") if c in table.schema.names])


def _breakdown(first: pa.Table | None, final: pa.Table | None, column: str, key, top: int) -> list[list]:
    """Documents and text bytes per value of `key(row[column])`, in the input and in the output."""
    def counts(table):
        docs: Counter = Counter()
        text: Counter = Counter()
        if table is None or column not in table.schema.names:
            return docs, text
        sizes = table.column("text_bytes").to_pylist() if "text_bytes" in table.schema.names else \
            [0] * table.num_rows
        for value, n in zip(table.column(column).to_pylist(), sizes):
            k = key(value)
            docs[k] += 1
            text[k] += n or 0
        return docs, text

    docs_in, text_in = counts(first)
    docs_out, text_out = counts(final)
    rows = [[k, docs_in[k], docs_out[k], text_in[k], text_out[k]] for k in docs_in]
    rows.sort(key=lambda r: (-r[1], str(r[0])))
    return rows[:top]


def build(run_dir: str | Path, samples: int = 3, max_chars: int = 300, seed: int = 0, top: int = 20) -> Path:
    """Writes RUN_DIR/report.html (and RUN_DIR/report/*.png); returns the HTML's path. A
    `kopile tokenize` output gets its own page (build_tokens)."""
    run_dir = Path(run_dir)
    if (run_dir / "tokens.json").is_file() and not (run_dir / "run.json").is_file():
        return build_tokens(run_dir)
    run = read_run(run_dir)
    figures = _Figures(run_dir / "report")
    redact = _Redactor()
    parts = [f"<h1>kopile run report</h1><p>{html.escape(str(run_dir.resolve()))} — status "
             f"<b>{html.escape(str(run.get('status')))}</b>, started {html.escape(str(run.get('started')))}, "
             f"finished {html.escape(str(run.get('finished')))}</p>"]

    dirs = stage_dirs(run_dir, run)
    totals = [manifest_totals(d) for d in dirs]
    funnel_rows = []
    for d, t in zip(dirs, totals):
        share = text_removed_share(t)
        funnel_rows.append([d.name, t["rows_in"], t.get("kept", 0), t.get("removed", 0), t.get("rewritten", 0),
                            t.get("text_bytes_in", 0), t.get("text_bytes_kept", 0), t.get("text_bytes_removed", 0),
                            t.get("text_bytes_rewritten", 0), "–" if share is None else f"{100 * share:.1f}%"])
    parts.append("<h2>Funnel</h2>")
    parts.append(_table("funnel", ["stage", "docs in", "kept", "removed", "rewritten", "text bytes in",
                                   "text bytes kept", "text bytes removed", "text bytes cut by rewrites",
                                   "text removed"], funnel_rows))
    if dirs:
        parts.append(figures.funnel([d.name for d in dirs], [t.get("kept", 0) for t in totals],
                                    [t.get("text_bytes_kept", 0) for t in totals]))

    parts.append("<h2>Reasons</h2>")
    for d, t in zip(dirs, totals):
        rows = [[r, n, t["text_bytes_removed_by_reason"].get(r, 0), size(t["text_bytes_removed_by_reason"].get(r, 0))]
                for r, n in sorted(t["removed_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))]
        if rows:
            parts.append(f"<h3>{html.escape(d.name)}</h3>")
            parts.append(_table(f"reasons-{d.name}", ["reason", "documents", "text bytes", "text"], rows))

    rng = random.Random(seed)
    parts.append("<h2>Scores</h2>")
    sample_parts = ["<h2>Removed documents, sampled per reason</h2>"]
    cluster_parts = []
    first = final = None  # what entered the first stage and what left the last, for the breakdowns
    for d, t in zip(dirs, totals):
        prefix = f"{t['stage']}_"
        kept = kept_rows(run_dir, run, d, text=False)
        removed = read_rows(d / "removed", text=False)
        if d == dirs[0]:
            entered = [_breakdown_columns(tab) for tab in (kept, removed) if tab is not None]
            first = pa.concat_tables(entered, promote_options="default") if entered else None
        if d == dirs[-1]:
            final = _breakdown_columns(kept) if kept is not None else None
        names = sorted({c for tab in (kept, removed) if tab is not None for c in tab.schema.names
                        if c.startswith(prefix)})
        scores = []
        for column in names:
            def values(tab):
                if tab is None or column not in tab.schema.names:
                    return np.array([])
                col = tab.column(column)
                if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
                    return None
                return np.asarray(pc.drop_null(col).to_numpy(zero_copy_only=False), dtype=float)
            k, r = values(kept), values(removed)
            if k is None or r is None or k.size + r.size == 0:
                continue
            scores.append((column, k, r, thresholds(column[len(prefix):], t["params"])))
        if scores:
            parts.append(f"<h3>{html.escape(d.name)}</h3>")
            parts.append(_table(f"thresholds-{d.name}", ["score", "threshold", "value", "documents scored"],
                                [[c, " ".join(n for n, _ in lines), " ".join(f"{v:g}" for _, v in lines),
                                  k.size + r.size] for c, k, r, lines in scores]))
            parts.append(figures.histograms(d.name, scores))
        if removed is not None and "duplicate_of" in removed.schema.names:
            # A cluster: a kept document and the documents removed as its duplicates.
            members = Counter(v for v in removed.column("duplicate_of").to_pylist() if v is not None)
            sizes = Counter(n + 1 for n in members.values())
            rows = [[s, n, s * n] for s, n in sorted(sizes.items())]
            cluster_parts.append(f"<h3>{html.escape(d.name)}</h3>")
            cluster_parts.append(_table(f"clusters-{d.name}", ["cluster size", "clusters", "documents"], rows))
            cluster_parts.append(figures.bars(f"clusters_{d.name}", [str(r[0]) for r in rows], [r[1] for r in rows],
                                              f"{d.name}: clusters by size"))
        if removed is not None and REASON in removed.schema.names:
            reasons = removed.column(REASON).to_pylist()
            for reason in sorted(set(reasons)):
                rows_at = [i for i, x in enumerate(reasons) if x == reason]
                chosen = sorted(rng.sample(rows_at, min(samples, len(rows_at))))
                texts = texts_at(d / "removed", removed, chosen)
                sample_parts.append(f"<h3>{html.escape(d.name)}: {html.escape(reason)} "
                                    f"({len(rows_at):,} documents)</h3><ul>")
                for i in chosen:
                    row = {c: removed.column(c)[i].as_py() for c in removed.schema.names}
                    text = texts[i] or ""
                    shown = redact(text[:max_chars]) + ("…" if len(text) > max_chars else "")
                    scores = {c[len(prefix):]: row[c] for c in removed.schema.names
                              if c.startswith(prefix) and row[c] is not None}
                    sample_parts.append(f"<li><pre>{html.escape(shown)}</pre><small>"
                                        f"{html.escape(json.dumps(scores, ensure_ascii=False, default=str))}"
                                        "</small></li>")
                sample_parts.append("</ul>")
    parts += sample_parts

    header = ["", "docs in", "docs kept", "text bytes in", "text bytes kept"]
    if first is not None and "source" in first.schema.names:
        parts.append("<h2>Per source</h2>")
        parts.append(_table("sources", ["source", *header[1:]], _breakdown(first, final, "source", lambda v: v, top)))
    if first is not None and "url" in first.schema.names:
        registered = _domain_extractor()
        from kopile.pipeline.ingest.urls import domain_of

        parts.append(f"<h2>Per domain (top {top})</h2>")
        parts.append(_table("domains", ["domain", *header[1:]],
                            _breakdown(first, final, "url", lambda u: registered(domain_of(u) or "") or "(none)", top)))
    if cluster_parts:
        parts.append("<h2>Duplicate clusters</h2>")
        parts += cluster_parts
    parts.append("<h2>Effective config</h2><pre id=\"config\">"
                 + html.escape(json.dumps(run.get("config", {}), indent=2, ensure_ascii=False)) + "</pre>")
    return _page(run_dir / "report.html", "kopile run report", parts)


def _page(path: Path, title: str, parts: list[str]) -> Path:
    page = (f"<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>{title}</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
            "text-align:right}td:first-child,th:first-child{text-align:left}"
            "pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}img{max-width:100%}</style></head><body>"
            + "\n".join(parts) + "</body></html>")
    io.write_bytes_atomic(path, page.encode("utf-8"))
    return path


def build_tokens(tokens_dir: str | Path) -> Path:
    """Writes TOKENS_DIR/report.html for a `kopile tokenize` output: documents, tokens, bytes and
    tokens per byte per split and source, the training mix as exported, the samples' waste."""
    tokens_dir = Path(tokens_dir)
    meta = io.read_json(tokens_dir / "tokens.json", None)
    if meta is None or "totals" not in meta:
        raise InputError(f"{tokens_dir} is not a `kopile tokenize` output (no tokens.json with totals)")
    parts = [f"<h1>kopile tokenize report</h1><p>{html.escape(str(tokens_dir.resolve()))}: tokenizer "
             f"{html.escape(str(meta.get('tokenizer')))} ({meta.get('vocab_size'):,} tokens, {meta.get('dtype')})</p>",
             "<h2>Per split and source</h2>"]
    rows = [[split, label, c["documents"], c["tokens"], c["bytes"], c["tokens_per_byte"]]
            for split, t in meta["totals"].items() for label, c in [*t["sources"].items(), ("(all)", t)]]
    parts.append(_table("sources", ["split", "source", "documents", "tokens", "text bytes", "tokens per byte"], rows))
    mix = meta.get("mix")
    if mix:
        parts.append(f"<h2>Training split as exported</h2><p>{mix['documents']:,} documents, {mix['tokens']:,} tokens"
                     f" ({', '.join(meta.get('formats', {}))})</p>")
        parts.append(_table("mix", ["source", "documents in", "tokens in", "documents", "tokens", "epochs", "sampling",
                                    "share", "share asked"],
                            [[label, r["documents_in"], r["tokens_in"], r["documents"], r["tokens"], r["epochs"],
                              r["sampling"], r["share"], r.get("share_asked")] for label, r in mix["sources"].items()]))
        figures = _Figures(tokens_dir / "report")
        labels = list(mix["sources"])
        parts.append(figures.bars("shares", labels, [mix["sources"][s]["share"] for s in labels],
                                  "share of the exported training tokens"))
    if meta.get("samples"):
        parts.append("<h2>Fixed-length samples</h2>")
        parts.append(_table("samples", ["split", "samples", "length", "tokens", "padding", "padding share", "truncated",
                                        "truncated share"],
                            [[split, w["samples"], w["length"], w["tokens"], w["padding"], w["padding_share"],
                              w["truncated"], w["truncated_share"]] for split, w in meta["samples"].items()]))
    parts.append("<h2>Settings</h2><pre id=\"config\">"
                 + html.escape(json.dumps(meta.get("settings", {}), indent=2, ensure_ascii=False)) + "</pre>")
    return _page(tokens_dir / "report.html", "kopile tokenize report", parts)
