"""`kopile` command line."""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from kopile import __version__


def _execute(args, load, make, report, needs_ray=True) -> int:
    """Load the config (2 on a config error), check inputs and outputs before Ray starts, start
    Ray, run the job and print its report; 1 where it failed, after the report of what did
    finish. No foreseeable error ends in a traceback."""
    from kopile.core.errors import ConfigError, KopileError, RunFailed

    try:
        config = load(args.config, {"output": args.out, "input": args.input})
    except ConfigError as e:
        print(f"kopile: config error: {e}", file=sys.stderr)
        return 2
    for warning in getattr(config, "warnings", []):
        print(f"kopile: warning: {warning}", file=sys.stderr)
    try:
        job = make(config)
        if hasattr(job, "prepare"):
            job.prepare()
        executor = None
        if getattr(args, "local", False):
            from kopile.pipeline.jobs.executor import LocalExecutor

            executor = LocalExecutor()
        elif needs_ray(config) if callable(needs_ray) else needs_ray:
            from kopile.pipeline.jobs.executor import RayExecutor

            executor = RayExecutor(args.ray_address, args.num_cpus)
        result, status = job.run(executor), 0
    except RunFailed as e:
        print(f"kopile: {e}:", file=sys.stderr)
        for line in e.errors:
            print(f"  {line}", file=sys.stderr)
        result, status = e.summary, 1
    except (KopileError, OSError, RuntimeError) as e:  # RuntimeError: Ray could not start or join
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    if result:
        report(config, result, status == 0)
    return status


def _missing(extra: str, *modules: str) -> int:
    """0 where the modules of an extra are installed; otherwise says how to install them (1)."""
    import importlib.util

    def installed(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except ImportError:
            return False

    absent = [m for m in modules if not installed(m)]
    if absent:
        print(f"kopile: this command needs {', '.join(absent)}: pip install 'kopile[{extra}]'", file=sys.stderr)
        return 1
    return 0


def _local_only(command: str, **paths) -> None:
    """Training and evaluation read token streams through memory maps and write checkpoints:
    a URI among their paths is refused by name (pathlib would make it a local "s3:" folder)."""
    from kopile.core.errors import ConfigError
    from kopile.core.storage import is_uri

    for key, value in paths.items():
        values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        for one in values:
            if isinstance(one, str) and is_uri(one):
                raise ConfigError(f"{key}: {one}: `kopile {command}` reads and writes local files only; copy the "
                                  "data to a local disk (`kopile run`, `ingest`, `tokenize` and `train-tokenizer` "
                                  "read and write object stores)")


def _config_paths(config) -> dict:
    return {k: getattr(config, k) for k in ("input", "output", "data", "val_data", "tokens", "tokenizer", "init", "raw")
            if isinstance(getattr(config, k, None), (str, list, dict))}


def _progress(args):
    return False if args.no_progress else None


def _run(args) -> int:
    from kopile.pipeline.config import load_config
    from kopile.pipeline.jobs.run import Runner
    from kopile.pipeline.report import stage_table

    def report(config, summary, ok):
        print(stage_table(summary))
        out = _where(config.run.output)
        print(f"outputs: {out}  (run.json, NN_stage/kept, NN_stage/removed, _manifest.json)")
        if ok and summary.get("final"):
            print(f"final documents: {out}/final/kept/  ({summary['final']['rows']:,} "
                  f"documents, the kept shards of {summary['final']['stage']}); give the run directory as input "
                  "to read them")
        _write_report(config.run.output)

    return _execute(args, load_config, lambda c: Runner(c, _progress(args)), report)


def _where(path) -> str:
    """An output as the user can find it: a local path made absolute, a URI as given."""
    from kopile.core import storage

    return str(storage.at(path)) if storage.is_uri(path) else str(Path(path).resolve())


def _write_report(run_dir) -> None:
    """report.html at the end of a run (or of `kopile tokenize`), where the `report` extra
    (matplotlib) is installed."""
    import importlib.util

    from kopile.core import storage

    if storage.is_uri(run_dir):
        print("report: not written beside an object-store output; copy the run directory and run "
              "`kopile report` on the copy")
        return
    run_dir = Path(run_dir)

    try:
        available = importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a broken or blocked install
        available = False
    if not available:
        print("report: not written (pip install 'kopile[report]' for report.html)")
        return
    from kopile.core.errors import KopileError
    from kopile.pipeline.run_report import build

    try:
        print(f"report: {build(run_dir).resolve()}")
    except (KopileError, OSError, ValueError) as e:
        print(f"report: not written: {e}", file=sys.stderr)


def _report(args) -> int:
    if _missing("report", "matplotlib"):
        return 1
    from kopile.core.errors import KopileError
    from kopile.pipeline.run_report import build

    try:
        path = build(Path(args.run_dir), samples=args.samples, max_chars=args.chars)
    except (KopileError, OSError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    print(f"report: {path.resolve()}  (figures: {path.parent.resolve()}/report/*.png)")
    return 0


def _inspect(args) -> int:
    from kopile.core.errors import KopileError
    from kopile.pipeline.inspect import show

    try:
        show(Path(args.run_dir), args.stage, args.reason, args.n, args.kept, args.chars, args.seed)
    except (KopileError, OSError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    return 0


def _ingest(args) -> int:
    from kopile.pipeline.config import load_ingest_config
    from kopile.pipeline.jobs.ingest import INGEST_DIR, Ingester
    from kopile.pipeline.report import stage_table

    def report(config, summary, ok):
        print(stage_table(summary))
        stage = summary["stages"][0]
        out = _where(config.output)
        print(f"shards: {out}/{INGEST_DIR}/kept/  ({stage['output_shards']} files, "
              f"{stage['text_bytes_kept'] / 2**20:.1f} MB of text; skipped non-document records: "
              f"{sum(stage['skipped_records'].values())}); give {out} as input to read them (final/)")
        _write_report(config.output)

    return _execute(args, load_ingest_config, lambda c: Ingester(c, _progress(args)), report)


class _TokenizerTraining:
    def __init__(self, config):
        self.config = config

    def run(self, executor):
        from kopile.tokenizers_train.run import train_tokenizer

        return train_tokenizer(self.config, executor.map if executor else None)


def _train_tokenizer(args) -> int:
    from kopile.tokenizers_train.config import load_tokenizer_config

    def report(config, r, ok):
        print(f"tokenizer: {config.output}  ({config.model}, {r['vocab_size']:,} tokens, trained on "
              f"{r['documents']:,} documents / {r['characters']:,} characters in {r['seconds']['total']:.1f} s)")

    # Ray only for Kiwi's morpheme marking, a task per shard; the trainer itself is one process.
    return _execute(args, load_tokenizer_config, _TokenizerTraining, report,
                    needs_ray=lambda c: c.pretokenize == "kiwi")


class _ClassifierTraining:
    def __init__(self, config):
        self.config = config

    def run(self, executor):
        from kopile.pipeline.classifier_train import train_classifier

        return train_classifier(self.config)


def _train_classifier(args) -> int:
    from kopile.pipeline.classifier_train import load_classifier_config

    def report(config, card, ok):
        v = card["validation"]
        b = v["binary"]
        print(f"classifier: {Path(config.output).resolve()}/model.bin  (labels {', '.join(card['labels'])}; "
              f"trained on {sum(card['data']['train'].values()):,} documents)")
        print(f"validation ({v['documents']:,} documents): {'+'.join(v['positive'])} precision {b['precision']:.3f} "
              f"recall {b['recall']:.3f} F1 {b['f1']:.3f} ROC-AUC {b['roc_auc'] if b['roc_auc'] is not None else '-'}; "
              f"accuracy {v['accuracy']:.3f}, macro F1 {v['macro_f1']:.3f}")
        for label, m in v["per_label"].items():
            print(f"  {label:>12}: precision {m['precision']:.3f} recall {m['recall']:.3f} F1 {m['f1']:.3f} "
                  f"({m['support']:,})")
        print(f"model card: {Path(config.output).resolve()}/model_card.json")

    def load(path, overrides):
        config = load_classifier_config(path, overrides)
        _local_only("train-classifier", sources=[p for src in config.sources
                                                 for p in ([src.path] if isinstance(src.path, str) else src.path)],
                    **_config_paths(config))
        return config

    args.input = None
    return _execute(args, load, _ClassifierTraining, report, needs_ray=False)


def _tokenize(args) -> int:
    from kopile.pipeline.jobs.pack import Packer
    from kopile.tokenizers_train.config import load_pack_config

    def report(config, meta, ok):
        from kopile.tokenizers_train.formats import summary

        t = meta["totals"]
        print(f"token streams: {config.output}  (train {t['train']['documents']:,} documents / "
              f"{t['train']['tokens']:,} tokens, val {t['val']['documents']:,} / {t['val']['tokens']:,}; "
              f"{meta['dtype']})")
        print(summary(meta))
        if ok:
            _write_report(config.output)

    return _execute(args, load_pack_config, lambda c: Packer(c, _progress(args)), report)


def _tokenizer_report(args) -> int:
    if _missing("report", "tiktoken", "matplotlib"):
        return 1
    from kopile.core import io
    from kopile.core.errors import KopileError
    from kopile.tokenizers_train import corpus, report

    domains = None
    try:
        shards = io.list_shards(args.texts)
        if args.domain_column:
            pairs = list(itertools.islice(corpus.labelled_texts(shards, args.text_column, args.domain_column),
                                          args.max_docs))
            texts, domains = [t for t, _ in pairs], [d for _, d in pairs]
        else:
            texts = list(itertools.islice(corpus.texts(shards, args.text_column), args.max_docs))
        tokenizers = {"kopile": report.load_kopile(args.tokenizer)}
        if args.references:
            tokenizers.update(report.load_references(args.references))
    except (KopileError, ValueError, OSError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    if not texts:
        print(f"kopile: no text in {args.texts}", file=sys.stderr)
        return 1
    max_vocab = args.max_vocab or 2 * tokenizers["kopile"].vocab_size
    rows = report.fertility_report(tokenizers, texts, args.out, domains=domains, max_vocab=max_vocab)
    print(report.markdown_table(rows, lambda name: name == "kopile"))
    if domains is not None:
        print(f"\nby {args.domain_column} (vocabulary <= {max_vocab:,}):")
        print(report.domain_table(rows, list(dict.fromkeys(domains)), lambda name: name == "kopile", max_vocab))
    written = "fertility.md, fertility.json, fertility.png" + (", fertility_domains.png" if domains else "")
    print(f"report: {args.out}/{{{written}}} ({len(texts):,} documents)")
    return 0


def _train(args, load, train) -> int:
    """pretrain/finetune: config and data errors (2) before any training starts."""
    import json

    from kopile.core.errors import ConfigError

    overrides = {"output": args.out}
    if getattr(args, "skip_bad_lines", False):
        overrides["skip_bad_lines"] = True
    try:
        config = load(args.config, overrides)
        _local_only(args.command, **_config_paths(config))
        result = train(config, resume=args.resume, stop_after=args.stop_after, progress=_progress(args))
    except ConfigError as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    final = Path(config.output) / "final"
    if final.is_dir() and result["step"] == result.get("steps", config.steps):
        print(f"model: {final.resolve()}  (AutoModelForCausalLM / AutoTokenizer directory; checkpoints and "
              "log.jsonl beside it)")
    return 0


def _pretrain(args) -> int:
    if _missing("train", "torch", "transformers"):
        return 1
    from kopile.driver.config import load_pretrain_config
    from kopile.driver.pretrain import pretrain

    return _train(args, load_pretrain_config, pretrain)


def _finetune(args) -> int:
    if _missing("train", "torch", "transformers", "peft"):
        return 1
    from kopile.driver.config import load_finetune_config
    from kopile.driver.finetune import finetune

    return _train(args, load_finetune_config, finetune)


def _generate(args) -> int:
    if _missing("train", "torch", "transformers"):
        return 1
    from kopile.driver.generate import generate, load
    from kopile.core.errors import ConfigError

    try:
        _local_only("generate", checkpoint=args.checkpoint)
        model, tok = load(args.checkpoint, args.device)
        prompts = args.prompt or [line.rstrip("\n") for line in sys.stdin if line.strip()]
        for prompt in prompts:
            if len(prompts) > 1 or not args.quiet:
                print(f"> {prompt}", file=sys.stderr)
            generate(model, tok, prompt, args.strategy, args.max_new_tokens, args.chat, args.num_beams,
                     args.temperature, args.top_k, args.top_p, args.repetition_penalty, args.seed, args.system,
                     stream=sys.stdout)
    except (ConfigError, ValueError, OSError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    return 0


def _eval(args) -> int:
    if _missing("train", "torch", "transformers"):
        return 1
    import json

    from kopile.driver.generate import load, perplexity, read_texts, read_token_split, stream_perplexity
    from kopile.core.errors import ConfigError

    if (args.data is None) == (args.tokens is None):
        print("kopile: give --data (documents) or --tokens (a `kopile tokenize` output and --split)", file=sys.stderr)
        return 1
    try:
        _local_only("eval", checkpoint=args.checkpoint, data=args.data, tokens=args.tokens)
        model, tok = load(args.checkpoint, args.device)
        if args.tokens is not None:
            stream, documents = read_token_split(args.tokens, args.split, args.max_docs)
            result = stream_perplexity(model, stream, documents, tok.pad_token_id, args.seq_len, args.batch_size)
            source = {"tokens": args.tokens, "split": args.split}
        else:
            texts = read_texts(args.data, args.text_column, args.max_docs)
            result = perplexity(model, tok, texts, args.seq_len, args.batch_size)
            source = {"data": args.data}
    except (ConfigError, ValueError, OSError) as e:
        print(f"kopile: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"checkpoint": args.checkpoint, **source, **result}, ensure_ascii=False))
    return 0


def _ablate(args) -> int:
    if _missing("train", "torch", "transformers"):
        return 1
    from kopile.driver.ablate import Ablation, load_ablate_config, quick

    def load(path, overrides):
        config = load_ablate_config(path, {"output": overrides.get("output")})
        _local_only("ablate", **_config_paths(config))
        return quick(config) if args.quick else config

    def report(config, results, ok):
        from kopile.driver.ablate import markdown

        print(markdown(results))
        print(f"results: {Path(config.output).resolve()}/results.md, results.json, bpb_curve.png, bpb_final.png")

    return _execute(args, load, lambda c: Ablation(c, _progress(args)), report)


def _trainer_args(parser) -> None:
    parser.add_argument("config", help="YAML training configuration")
    parser.add_argument("--out", help="output directory (overrides `output` in the config)")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in the output")
    parser.add_argument("--stop-after", type=int, default=None,
                        help="train at most N steps in this call, then checkpoint (time-sliced jobs)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _common(parser) -> None:
    parser.add_argument("--out", help="output directory (overrides `output` in the config)")
    parser.add_argument("--input", help="input directory, file or glob (overrides `input` in the config)")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of the embedded local Ray (default: all)")
    parser.add_argument("--ray-address", default=None,
                        help="join an existing Ray cluster (auto, host:port or ray://host:port) instead")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--local", action="store_true",
                        help="run every task in this process, one at a time, without Ray (debugging, small inputs)")


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
    report = sub.add_parser("report", help="write RUN_DIR/report.html: funnel, reasons, scores, samples, config")
    report.add_argument("run_dir", help="the output directory of `kopile run` (or of `kopile tokenize`)")
    report.add_argument("--samples", type=int, default=3, help="removed documents shown per reason")
    report.add_argument("--chars", type=int, default=300, help="characters shown per document")
    report.set_defaults(func=_report)
    inspect = sub.add_parser("inspect", help="removed (or kept) documents of a stage, with their scores")
    inspect.add_argument("run_dir", help="the output directory of `kopile run`")
    inspect.add_argument("--stage", required=True, help="a stage: its name (quality), number (3) or folder (03_quality)")
    inspect.add_argument("--reason", help="only documents removed for this reason")
    inspect.add_argument("-n", type=int, default=5, help="documents to show")
    inspect.add_argument("--kept", action="store_true", help="kept documents instead of removed ones")
    inspect.add_argument("--chars", type=int, default=500, help="characters shown per document")
    inspect.add_argument("--seed", type=int, default=0, help="which documents are drawn")
    inspect.set_defaults(func=_inspect)
    tok = sub.add_parser("train-tokenizer", help="train a Korean-aware tokenizer on Parquet shards")
    tok.add_argument("config", help="YAML tokenizer configuration")
    _common(tok)
    tok.set_defaults(func=_train_tokenizer)
    rep = sub.add_parser("tokenizer-report", help="tokens per character and per eojeol against reference tokenizers")
    rep.add_argument("--tokenizer", required=True, help="a directory written by `kopile train-tokenizer`")
    rep.add_argument("--texts", required=True, help="held-out Parquet shards (directory, file or glob)")
    rep.add_argument("--references", help="a folder of reference tokenizer folders (tokenizer.json, "
                                          "SentencePiece .model, tiktoken, Tekken or WordPiece vocab.txt)")
    rep.add_argument("--text-column", default="text")
    rep.add_argument("--max-docs", type=int, default=2000)
    rep.add_argument("--domain-column", help="a column naming each text's domain (source): adds the table and "
                                             "plot per domain")
    rep.add_argument("--max-vocab", type=int, help="the per-domain table and plot show references with at most "
                                                   "this vocabulary (default: twice kopile's)")
    rep.add_argument("--out", default="tokenizer-report", help="output directory")
    rep.set_defaults(func=_tokenizer_report)
    clf = sub.add_parser("train-classifier", help="train a fastText classifier (quality, toxicity) from labelled "
                                                   "documents or positive and negative sources")
    clf.add_argument("config", help="YAML classifier configuration")
    clf.add_argument("--out", help="output directory (overrides `output` in the config)")
    clf.set_defaults(func=_train_classifier)
    pack = sub.add_parser("tokenize", help="encode shards into packed token streams (numpy.memmap)")
    pack.add_argument("config", help="YAML tokenize configuration")
    _common(pack)
    pack.set_defaults(func=_tokenize)
    abl = sub.add_parser("ablate", help="train the same model on the raw corpus and on each cleaning step, "
                                         "compare bits per byte on held-out text")
    abl.add_argument("config", help="YAML ablation configuration")
    _common(abl)
    abl.add_argument("--quick", action="store_true", help="a run of seconds at toy size (tests, a first look)")
    abl.set_defaults(func=_ablate)
    pre = sub.add_parser("pretrain", help="train a Llama-style model on packed token streams")
    _trainer_args(pre)
    pre.set_defaults(func=_pretrain)
    fine = sub.add_parser("finetune", help="instruction-tune a checkpoint on chat JSONL (full or LoRA)")
    _trainer_args(fine)
    fine.add_argument("--skip-bad-lines", action="store_true", help="skip malformed JSONL lines, with a warning")
    fine.set_defaults(func=_finetune)
    gen = sub.add_parser("generate", help="generate text from a checkpoint (greedy, beam, sampling)")
    gen.add_argument("checkpoint", help="a checkpoint directory (e.g. OUT/final)")
    gen.add_argument("--prompt", action="append", help="a prompt (repeatable; default: one per stdin line)")
    gen.add_argument("--chat", action="store_true", help="wrap the prompt in the chat template as a user turn")
    gen.add_argument("--system", default=None, help="a system message, with --chat")
    gen.add_argument("--strategy", choices=("greedy", "beam", "sample"), default="greedy")
    gen.add_argument("--max-new-tokens", type=int, default=100)
    gen.add_argument("--num-beams", type=int, default=4)
    gen.add_argument("--temperature", type=float, default=0.8)
    gen.add_argument("--top-k", type=int, default=50)
    gen.add_argument("--top-p", type=float, default=0.95)
    gen.add_argument("--repetition-penalty", type=float, default=1.0)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--device", default="cpu", help="cpu or cuda")
    gen.add_argument("--quiet", action="store_true", help="do not echo a single prompt")
    gen.set_defaults(func=_generate)
    ev = sub.add_parser("eval", help="perplexity of a checkpoint on Parquet shards or a JSONL file")
    ev.add_argument("checkpoint", help="a checkpoint directory")
    ev.add_argument("--data", help="Parquet shards (file, directory, glob) or .jsonl(.gz)")
    ev.add_argument("--tokens", help="a `kopile tokenize` output: measure one split of its packed streams")
    ev.add_argument("--split", default="val", help="with --tokens: the split (val: documents training never saw)")
    ev.add_argument("--text-column", default="text")
    ev.add_argument("--max-docs", type=int, default=None)
    ev.add_argument("--seq-len", type=int, default=None, help="window length (default: the model's context)")
    ev.add_argument("--batch-size", type=int, default=8)
    ev.add_argument("--device", default="cpu")
    ev.set_defaults(func=_eval)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
