"""What every blind builder shares: the dev/blind split of ../shared/data, length buckets, and the
command line (--data, --out, --seed; write JSON Lines, print counts)."""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUCKETS = ["<10", "10-29", "30-99", "100-999", ">=1000"]


def pool(source_file_name: str, line_index: int) -> str:
    """A record's half of a shared file: "dev" for development sets, "blind" for blind ones."""
    b = hashlib.blake2b(f"{source_file_name}:{line_index}".encode(), digest_size=8).digest()[0]
    return "dev" if b % 2 == 0 else "blind"


def read_jsonl_gz(path: str):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            yield i, json.loads(line)


def blind_records(data: str, rel: str):
    """(line, record) of the blind half of a shared file."""
    base = os.path.basename(rel)
    for i, d in read_jsonl_gz(os.path.join(data, rel)):
        if pool(base, i) == "blind":
            yield i, d


def bucket(text: str) -> str:
    n = len(text)
    if n < 10:
        return "<10"
    if n < 30:
        return "10-29"
    if n < 100:
        return "30-99"
    if n < 1000:
        return "100-999"
    return ">=1000"


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
