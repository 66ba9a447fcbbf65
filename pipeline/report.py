"""The per-stage table printed at the end of a run."""
from __future__ import annotations


def stage_table(summary: dict, top_reasons: int = 6) -> str:
    rows = [("stage", "in", "kept", "removed", "rewritten", "removed by reason")]
    for s in summary["stages"]:
        reasons = ", ".join(f"{r} {n}" for r, n in list(s["removed_by_reason"].items())[:top_reasons])
        more = len(s["removed_by_reason"]) - top_reasons
        if more > 0:
            reasons += f", +{more} more"
        failed = f" ({s['shards_failed']} shard(s) failed)" if s["shards_failed"] else ""
        rows.append((s["dir"] + failed, f"{s['rows_in']:,}", f"{s['kept']:,}", f"{s['removed']:,}",
                     f"{s.get('rewritten', 0):,}", reasons))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        lines.append("  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:5], widths[1:])), r[5]]).rstrip())
    return "\n".join(lines)
