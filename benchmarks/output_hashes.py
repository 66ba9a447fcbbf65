"""SHA-256 of every kept and removed Parquet file of one or more run directories, as a table:
the check that a refactoring leaves a run's outputs byte-identical.

    python benchmarks/output_hashes.py OUT_BEFORE OUT_AFTER      # a Markdown table, and exit 1 on a difference
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path


def hashes(run: Path) -> dict[str, str]:
    return {p.relative_to(run).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            for p in sorted(run.glob("[0-9][0-9]_*/*/*.parquet")) if p.parent.name in ("kept", "removed")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    args = ap.parse_args(argv)
    tables = [hashes(r) for r in args.runs]
    names = sorted(set().union(*tables))
    print("| file | " + " | ".join(str(r) for r in args.runs) + " |")
    print("|---|" + "---|" * len(args.runs))
    for name in names:
        print(f"| {name} | " + " | ".join(t.get(name, "(missing)") for t in tables) + " |")
    same = all(t == tables[0] for t in tables[1:])
    print(f"\n{len(names)} files; " + ("identical" if same else "DIFFERENT"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
