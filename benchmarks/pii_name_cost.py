"""What the person-name rule costs: the PII scrubber at its defaults against the same scrubber
with every entity but `person`, on the real text bench_pii.py times (petitions, Wikipedia, news
comments), one core, medians of `--repeat` runs.

    .venv/bin/python benchmarks/pii_name_cost.py
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_pii  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--real-docs", type=int, default=bench_pii.DEFAULTS["real_docs"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20240415)
    args = ap.parse_args(argv)
    bench_pii.lab.require_shared()
    from kopile.filters.pii import ENTITIES, PiiScrubber

    scrubbers = {"with names": PiiScrubber(), "without names": PiiScrubber(entities=[e for e in ENTITIES if e != "person"])}
    for s in scrubbers.values():
        s.analyze("연락처 010-1234-5678")  # engine start-up outside the timing
    for corpus, texts in bench_pii.real_corpora(args.real_docs, args.seed).items():
        mb = sum(len(t.encode()) for t in texts) / 1e6
        seconds = {}
        for label, scrubber in scrubbers.items():
            runs = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                for t in texts:
                    scrubber.scrub(t)
                runs.append(time.perf_counter() - start)
            seconds[label] = statistics.median(runs)
        print(f"{corpus}: {len(texts)} documents, {mb:.2f} MB; "
              + "; ".join(f"{k} {mb / v:.2f} MB/s" for k, v in seconds.items())
              + f"; names make the stage {seconds['with names'] / seconds['without names']:.1f}x slower")
    return 0


if __name__ == "__main__":
    sys.exit(main())
