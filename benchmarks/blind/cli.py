"""The command line every blind builder shares: --data, --out, --seed, write JSON Lines, print counts."""
from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(build, summarize, description: str, out: tuple[str, ...], seed: int, argv=None) -> int:
    """`build(data, seed)` gives the records, `summarize(records)` the counts printed after
    writing them to `--out` (default build/bench/<out...>)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"),
                    help="shared data folder (default: ../shared/data beside the repository)")
    default_out = os.path.join(ROOT, "build", "bench", *out)
    ap.add_argument("--out", default=default_out, help=f"output JSONL path (default: {os.path.relpath(default_out, ROOT)})")
    ap.add_argument("--seed", type=int, default=seed)
    args = ap.parse_args(argv)
    if not os.path.isdir(args.data):
        print(f"data folder not found: {args.data}", file=sys.stderr)
        return 2
    records = build(args.data, args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(summarize(records))
    return 0
