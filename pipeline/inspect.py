"""`kopile inspect RUN_DIR --stage S`: a stage's removed (or kept) documents with their scores,
in the terminal."""
from __future__ import annotations

import random
import textwrap
from pathlib import Path

from kopile.core.errors import InputError
from kopile.pipeline.run_report import REASON, kept_rows, read_rows, read_run, stage_dirs


def find_stage(run_dir: Path, stage: str) -> Path:
    """A stage folder by name (quality), number (3) or folder name (03_quality)."""
    dirs = stage_dirs(run_dir)
    for d in dirs:
        number, _, name = d.name.partition("_")
        if stage in (d.name, name) or stage.isdigit() and int(stage) == int(number):
            return d
    raise InputError(f"{run_dir} has no stage {stage!r}; its stages are {', '.join(d.name for d in dirs)}")


def show(run_dir: Path, stage: str, reason: str | None = None, n: int = 5, kept: bool = False,
         chars: int = 500, seed: int = 0, out=print) -> int:
    folder = find_stage(run_dir, stage)
    table = kept_rows(run_dir, read_run(run_dir), folder) if kept else read_rows(folder / "removed")
    which = "kept" if kept else "removed"
    if table is None:
        out(f"{folder.name}: no {which} documents")
        return 0
    rows = list(range(table.num_rows))
    if reason is not None:
        if kept:
            raise InputError("--reason applies to removed documents; drop --kept")
        reasons = table.column(REASON).to_pylist()
        known = sorted(set(reasons))
        rows = [i for i in rows if reasons[i] == reason]
        if not rows:
            raise InputError(f"{folder.name} removed no document for {reason!r}; its reasons are {', '.join(known)}")
    chosen = sorted(random.Random(seed).sample(rows, min(n, len(rows))))
    prefix = folder.name.partition("_")[2] + "_"
    out(f"{folder.name}: {len(chosen)} of {len(rows):,} {which} documents" + (f" ({reason})" if reason else ""))
    for i in chosen:
        row = {c: table.column(c)[i].as_py() for c in table.schema.names}
        text = row.get("text") or ""
        head = [f"id {row.get('id')}"] + ([f"reason {row[REASON]}"] if REASON in row else [])
        scores = ", ".join(f"{c[len(prefix):]}={_short(v)}" for c, v in row.items() if c.startswith(prefix)
                           and v is not None)
        out("-" * 80)
        out("  ".join(head) + (f"  url {row['url']}" if row.get("url") else ""))
        if scores:
            out(textwrap.fill(scores, 100, subsequent_indent="  "))
        out(text[:chars] + (f" … (+{len(text) - chars:,} characters)" if len(text) > chars else ""))
    return len(chosen)


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
