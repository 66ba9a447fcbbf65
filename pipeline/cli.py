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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kopile", description="Korean pretraining corpora from web dumps.")
    parser.add_argument("--version", action="version", version=f"kopile {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the stages of a YAML config over Parquet shards")
    run.add_argument("config", help="YAML run configuration")
    run.add_argument("--out", help="output directory (overrides `output` in the config)")
    run.add_argument("--input", help="input directory, file or glob (overrides `input` in the config)")
    run.add_argument("--num-cpus", type=int, default=None, help="CPUs of the embedded local Ray (default: all)")
    run.add_argument("--ray-address", default=None,
                     help="join an existing Ray cluster (auto, host:port or ray://host:port) instead")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.set_defaults(func=_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
