"""`kopile train-tokenizer`: stream the shards' text into a trainer, save for transformers."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from kopile.core import io, storage
from kopile.core.storage import at
from kopile.core.errors import KopileError
from kopile.tokenizers_train import corpus, train


def train_tokenizer(config, parallel=None) -> dict:
    """Trains, saves into config.output and returns the report (also written as
    train_report.json). `parallel(fn, arglists)` runs the Kiwi marking per shard (Ray)."""
    out = at(config.output)
    shards = io.list_shards(config.input)
    started = time.perf_counter()
    column = config.text_column
    if config.pretokenize == "kiwi":
        work = out / "_work" / "kiwi"
        work.mkdir(parents=True, exist_ok=True)
        io.remove_stale_tmp(work)
        jobs = [(str(path), str(work / name), column) for name, path in shards]
        (parallel or (lambda fn, args: [fn(*a) for a in args]))(corpus.mark_morphemes, jobs)
        shards, column = [(name, work / name) for name, _ in shards], "text"
    marked = time.perf_counter()
    counted = {"documents": 0, "characters": 0}

    def stream():
        for text in corpus.texts(shards, column, config.max_chars):
            counted["documents"] += 1
            counted["characters"] += len(text)
            yield text

    # The config's validator has already refused a backend that cannot train this tokenizer.
    backend = train.resolve_backend(config.model, config.pretokenize, config.backend, config.vocab_size)
    alphabet = None
    if config.model == "sp_bpe" and backend == "tokenizers":
        # a first streaming pass fixes the alphabet: deterministic training
        alphabet = train.alphabet_of(corpus.texts(shards, column, config.max_chars), config.vocab_size)
    try:
        tok = train.train(stream(), config.model, config.vocab_size, config.pretokenize, config.fold_width,
                          config.min_frequency, alphabet, backend)
    except (ValueError, RuntimeError) as e:  # a vocabulary too small or too large for the text
        raise KopileError(f"training the tokenizer on {config.input}: {e}") from None
    trained = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kopile-") as staged:
        # The tokenizer's writers write local files; an object-store output gets copies of them.
        local = out if isinstance(out, Path) else Path(staged)
        train.save(tok, local, config.model_max_length)
        files = sorted(p.name for p in local.iterdir() if p.is_file())
        if local != out:
            storage.upload_folder(local, out)
    report = {
        "settings": config.model_dump(),
        "backend": backend,
        "vocab_size": tok.get_vocab_size(),
        **counted,
        "seconds": {"kiwi_marking": round(marked - started, 3), "training": round(trained - marked, 3),
                    "total": round(time.perf_counter() - started, 3)},
        "files": files,
    }
    io.write_json_atomic(out / "train_report.json", report)
    return report
