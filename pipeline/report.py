"""The per-stage table printed at the end of a run."""
from __future__ import annotations

NOTE = ("text: UTF-8 bytes of the text column; text removed: the share of a stage's input text that "
        "left it, in removed documents or cut by its rewrites; rewritten: kept documents whose text "
        "the stage changed (normalize's clean-up, repeated spans cut, PII replaced)")


def size(n: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def text_removed_share(stage: dict) -> float | None:
    total = stage.get("text_bytes_in")
    if not total:
        return None
    return (total - stage.get("text_bytes_kept", 0)) / total


def stage_table(summary: dict, top_reasons: int = 6) -> str:
    header = ("stage", "docs in", "kept", "removed", "rewritten", "text in", "text kept", "text removed",
              "removed by reason")
    rows = [header]
    for s in summary["stages"]:
        reasons = ", ".join(f"{r} {n}" for r, n in list(s["removed_by_reason"].items())[:top_reasons])
        more = len(s["removed_by_reason"]) - top_reasons
        if more > 0:
            reasons += f", +{more} more"
        failed = f" ({s['shards_failed']} shard(s) failed)" if s["shards_failed"] else ""
        share = text_removed_share(s)
        rows.append((s["dir"] + failed, f"{s['rows_in']:,}", f"{s['kept']:,}", f"{s['removed']:,}",
                     f"{s.get('rewritten', 0):,}", size(s["text_bytes_in"]) if "text_bytes_in" in s else "–",
                     size(s.get("text_bytes_kept", 0)),
                     "–" if share is None else f"{100 * share:.1f}%", reasons))
    n = len(header) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    lines = []
    for r in rows:
        lines.append("  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:n], widths[1:])), r[n]]).rstrip())
    return "\n".join(lines + [NOTE])
