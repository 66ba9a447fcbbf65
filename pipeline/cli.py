"""`kopile` command line."""
from __future__ import annotations

import argparse
import sys

from pipeline import __version__


def _run(args) -> int:
    from pipeline.config import ConfigError, load_config
    from pipeline.report import stage_table
    from pipeline.runner import ConservationError, Runner, RunFailed, init_ray

    try:
        config = load_config(args.config, {"output": args.out, "input": args.input})
    except ConfigError as e:
        print(f"kopile: config error: {e}", file=sys.stderr)
        return 2
    runner = Runner(config, progress=False if args.no_progress else None)
    try:
        init_ray(args.ray_address, args.num_cpus)
    except Exception as e:  # Ray raises ConnectionError, RuntimeError or its own errors here
        where = f"the Ray cluster at {args.ray_address}" if args.ray_address else "a local Ray"
        print(f"kopile: cannot start or join {where}: {type(e).__name__}: {str(e).splitlines()[0]}",
              file=sys.stderr)
        return 1
    try:
        summary = runner.run(ray_address=args.ray_address, num_cpus=args.num_cpus)
        status = 0
    except RunFailed as e:
        from pipeline.io import read_json

        summary = read_json(runner.out / "run.json")
        print(f"kopile: {e}:", file=sys.stderr)
        for line in e.errors:
            print(f"  {line}", file=sys.stderr)
        status = 1
    except (ConservationError, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    print(stage_table(summary))
    print(f"outputs: {runner.out.resolve()}  (run.json, NN_stage/kept, NN_stage/removed, _manifest.json)")
    if summary["stages"]:
        print(f"final documents: {summary['stages'][-1]['dir']}/kept/")
    return status


def _ingest(args) -> int:
    from pipeline.config import ConfigError, load_ingest_config
    from pipeline.report import stage_table
    from pipeline.runner import ConservationError, Ingester, RunFailed

    try:
        config = load_ingest_config(args.config, {"output": args.out, "input": args.input})
    except ConfigError as e:
        print(f"kopile: config error: {e}", file=sys.stderr)
        return 2
    ingester = Ingester(config, progress=False if args.no_progress else None)
    status = 0
    try:
        summary = ingester.run(ray_address=args.ray_address, num_cpus=args.num_cpus)
    except RunFailed as e:
        from pipeline.io import read_json

        summary = read_json(ingester.out / "run.json")
        print(f"kopile: {e}:", file=sys.stderr)
        for line in e.errors:
            print(f"  {line}", file=sys.stderr)
        status = 1
    except (ConservationError, FileNotFoundError, ValueError, RuntimeError, ConnectionError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    print(stage_table(summary))
    stage = summary["stages"][0]
    print(f"shards: {ingester.out.resolve()}/00_ingest/kept/  ({stage['output_shards']} files, "
          f"{stage['text_bytes_kept'] / 2**20:.1f} MB of text; skipped non-document records: "
          f"{sum(stage['skipped_records'].values())})")
    return status


def _train_tokenizer(args) -> int:
    from pipeline.config import ConfigError, load_tokenizer_config
    from pipeline.runner import init_ray, parallel
    from tokenizers_train.run import train_tokenizer

    try:
        config = load_tokenizer_config(args.config, {"output": args.out, "input": args.input})
    except ConfigError as e:
        print(f"kopile: config error: {e}", file=sys.stderr)
        return 2
    try:
        if config.pretokenize == "kiwi":
            init_ray(args.ray_address, args.num_cpus)
        report = train_tokenizer(config, parallel)
    except (FileNotFoundError, ValueError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    print(f"tokenizer: {config.output}  ({config.model}, {report['vocab_size']:,} tokens, trained on "
          f"{report['documents']:,} documents / {report['characters']:,} characters in "
          f"{report['seconds']['total']:.1f} s)")
    return 0


def _tokenize(args) -> int:
    from pipeline.config import ConfigError, load_pack_config
    from pipeline.runner import Packer, RunFailed

    try:
        config = load_pack_config(args.config, {"output": args.out, "input": args.input})
    except ConfigError as e:
        print(f"kopile: config error: {e}", file=sys.stderr)
        return 2
    try:
        meta = Packer(config, progress=False if args.no_progress else None).run(args.ray_address, args.num_cpus)
    except RunFailed as e:
        print(f"kopile: {e}:", file=sys.stderr)
        for line in e.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError, RuntimeError, ConnectionError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    t = meta["totals"]
    print(f"token streams: {config.output}  (train {t['train']['documents']:,} documents / {t['train']['tokens']:,} "
          f"tokens, val {t['val']['documents']:,} / {t['val']['tokens']:,}; {meta['dtype']})")
    return 0


def _common(parser) -> None:
    parser.add_argument("--out", help="output directory (overrides `output` in the config)")
    parser.add_argument("--input", help="input directory, file or glob (overrides `input` in the config)")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of the embedded local Ray (default: all)")
    parser.add_argument("--ray-address", default=None,
                        help="join an existing Ray cluster (auto, host:port or ray://host:port) instead")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kopile", description="Korean pretraining corpora from web dumps.")
    parser.add_argument("--version", action="version", version=f"kopile {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the stages of a YAML config over Parquet shards")
    run.add_argument("config", help="YAML run configuration")
    _common(run)
    run.set_defaults(func=_run)
    ingest = sub.add_parser("ingest", help="turn WARC/WET/JSONL/text dumps into Parquet shards")
    ingest.add_argument("config", help="YAML ingest configuration")
    _common(ingest)
    ingest.set_defaults(func=_ingest)
    tok = sub.add_parser("train-tokenizer", help="train a Korean-aware tokenizer on Parquet shards")
    tok.add_argument("config", help="YAML tokenizer configuration")
    _common(tok)
    tok.set_defaults(func=_train_tokenizer)
    pack = sub.add_parser("tokenize", help="encode shards into packed token streams (numpy.memmap)")
    pack.add_argument("config", help="YAML tokenize configuration")
    _common(pack)
    pack.set_defaults(func=_tokenize)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
