"""`kopile generate` (transformers' `generate`: greedy, beam search, sampling) and `kopile eval`
(perplexity of a checkpoint on a text set)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from kopile.driver.model import load_model, load_tokenizer, stop_ids
from kopile.core.errors import ConfigError
from kopile.tokenizers_train.train import ROLES

STRATEGIES = ("greedy", "beam", "sample")


def load(checkpoint: str | Path, device: str = "cpu"):
    tok = load_tokenizer(checkpoint)
    model = load_model(checkpoint).to(device).eval()
    return model, tok


def prompt_ids(tok, prompt: str, chat: bool, system: str | None = None) -> list[int]:
    if chat:
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
    return [tok.bos_token_id] + tok.encode(prompt, add_special_tokens=False)


def generate(model, tok, prompt: str, strategy: str = "greedy", max_new_tokens: int = 100, chat: bool = False,
             num_beams: int = 4, temperature: float = 0.8, top_k: int = 50, top_p: float = 0.95,
             repetition_penalty: float = 1.0, seed: int = 0, system: str | None = None, stream=None) -> str:
    """The continuation of `prompt` (in chat format with `chat`); `stream` (a file) gets the
    text as it is generated, where the strategy allows (not beam search)."""
    import torch

    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    ids = prompt_ids(tok, prompt, chat, system)
    context = model.config.max_position_embeddings
    if len(ids) >= context:
        raise ValueError(f"the prompt is {len(ids)} tokens; the model's context is {context}")
    max_new_tokens = min(max_new_tokens, context - len(ids))
    options = {"greedy": dict(do_sample=False, num_beams=1),
               "beam": dict(do_sample=False, num_beams=num_beams, early_stopping=True),
               "sample": dict(do_sample=True, temperature=temperature, top_k=top_k, top_p=top_p)}[strategy]
    streamer = None
    if stream is not None and strategy != "beam":
        streamer = _FileStreamer(tok, stream)
    torch.manual_seed(seed)
    device = next(model.parameters()).device
    with torch.no_grad():
        output = model.generate(torch.tensor([ids], device=device), attention_mask=torch.ones(1, len(ids), dtype=torch.long, device=device),
                                max_new_tokens=max_new_tokens, eos_token_id=stop_ids(tok),
                                pad_token_id=tok.pad_token_id, repetition_penalty=repetition_penalty,
                                streamer=streamer, **options)
    text = visible(tok, tok.decode(output[0, len(ids):], skip_special_tokens=False))
    if stream is not None and streamer is None:
        print(text, file=stream, flush=True)
    return text


def visible(tok, text: str) -> str:
    """Generated text without the control tokens (bos, eos, pad, chat roles). PII placeholders
    (<|phone|>, ...) stay: a model trained on scrubbed text writes them where a number would be."""
    for token in (tok.bos_token, tok.eos_token, tok.pad_token, *ROLES):
        text = text.replace(token, "")
    return text


class _FileStreamer:
    """transformers' TextStreamer, printing to a given file."""

    def __new__(cls, tok, file):
        from transformers import TextStreamer

        class Streamer(TextStreamer):
            def on_finalized_text(self, text: str, stream_end: bool = False):
                print(visible(tok, text), file=file, flush=True, end="" if not stream_end else "\n")

        return Streamer(tok, skip_prompt=True, skip_special_tokens=False)


# --- perplexity -------------------------------------------------------------------------------------

def read_texts(path: str, text_column: str = "text", max_docs: int | None = None) -> list[str]:
    """Texts of a JSONL file (.jsonl, .jsonl.gz; `text_column` of each object) or of Parquet
    shards (a file, directory or glob)."""
    from kopile.core import io
    from kopile.tokenizers_train import corpus

    p = Path(path)
    if p.name.endswith((".jsonl", ".jsonl.gz")):
        from kopile.driver.data import _open

        texts = []
        with _open(p) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    text = json.loads(line)[text_column]
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise ConfigError(f"{p}:{number}: not a JSON object with a {text_column!r} string") from None
                texts.append(text)
                if max_docs and len(texts) >= max_docs:
                    break
        return texts
    texts = []
    for text in corpus.texts(io.list_shards(path), text_column):
        texts.append(text)
        if max_docs and len(texts) >= max_docs:
            break
    return texts


def read_token_split(tokens_dir: str, split: str = "val", max_docs: int | None = None) -> tuple[np.ndarray, int]:
    """(token stream, documents) of one split of `kopile tokenize`'s output, as packed: the
    documents that training never saw when the split is `val`."""
    from kopile.tokenizers_train.pack import TokenStream

    root = Path(tokens_dir)
    if not (root / "tokens.json").is_file():
        raise ConfigError(f"{root}: no tokens.json; give the output folder of `kopile tokenize`")
    stream = TokenStream(root, split) if (root / split).is_dir() else None
    documents = min(len(stream), max_docs if max_docs is not None else len(stream)) if stream else 0
    if not documents:
        raise ConfigError(f"{root / split}: no documents in the {split!r} split")
    parts, left = [], documents
    for tokens, offsets in stream.shards:
        n = min(left, len(offsets) - 1)
        parts.append(np.asarray(tokens[:offsets[n]], dtype=np.int64))
        left -= n
        if not left:
            break
    return np.concatenate(parts), documents


def perplexity(model, tok, texts: list[str], seq_len: int | None = None, batch_size: int = 8) -> dict:
    """Documents joined with <|eos|> (as the packed streams are), cut into windows of the
    model's context that do not overlap; mean loss per predicted token and its exp."""
    stream = []
    for ids in tok(texts, add_special_tokens=False)["input_ids"]:
        stream.extend(ids + [tok.eos_token_id])
    return stream_perplexity(model, np.asarray(stream, dtype=np.int64), len(texts), tok.pad_token_id, seq_len,
                             batch_size)


def stream_perplexity(model, stream: np.ndarray, documents: int, pad_id: int, seq_len: int | None = None,
                      batch_size: int = 8) -> dict:
    import torch

    from kopile.driver.data import pad_right
    from kopile.driver.loop import token_loss_sum

    seq_len = seq_len or model.config.max_position_embeddings
    windows = [stream[i:i + seq_len] for i in range(0, len(stream) - 1, seq_len)]
    windows = [w for w in windows if len(w) > 1]
    if not windows:
        raise ValueError("no text to measure")
    device = next(model.parameters()).device
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            chunk = windows[i:i + batch_size]
            ids, labels = pad_right(chunk, pad_id), pad_right(chunk, -100)
            attention = torch.from_numpy((labels != -100).astype(np.int64)).to(device)
            labels_t = torch.from_numpy(labels).to(device)
            total += float(token_loss_sum(model, torch.from_numpy(ids).to(device), attention, labels_t))
            count += int((labels_t[:, 1:] != -100).sum())
    loss = total / count
    return {"documents": documents, "tokens": count, "loss": round(loss, 6), "perplexity": round(math.exp(loss), 4)}


def bits_per_byte(model, tok, texts: list[str], seq_len: int | None = None, batch_size: int = 8) -> dict:
    """Held-out text's negative log-likelihood in bits per UTF-8 byte, so that models with
    different tokenizers compare. The documents run together as in the training streams
    (`<|eos|>` before each); every token of every document is predicted exactly once, from
    what precedes it within windows of `seq_len` tokens that overlap by one (the last token of
    a window is the first, unpredicted one of the next). The `<|eos|>` tokens are context, not
    text: their predictions are not counted."""
    import torch

    from kopile.driver.data import pad_right
    from kopile.driver.loop import token_loss_sum

    seq_len = seq_len or model.config.max_position_embeddings
    if seq_len < 2:
        raise ValueError("seq_len must be at least 2")
    stream, text = [tok.eos_token_id], [False]
    for ids in tok(texts, add_special_tokens=False)["input_ids"]:
        stream += [*ids, tok.eos_token_id]
        text += [True] * len(ids) + [False]
    stream_a, text_a = np.asarray(stream, dtype=np.int64), np.asarray(text)
    starts = range(0, max(len(stream_a) - 1, 1), seq_len - 1)
    windows = [stream_a[s:s + seq_len] for s in starts]
    targets = [np.where(text_a[s:s + seq_len], stream_a[s:s + seq_len], -100) for s in starts]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            ids = torch.from_numpy(pad_right(windows[i:i + batch_size], tok.pad_token_id)).to(device)
            labels = torch.from_numpy(pad_right(targets[i:i + batch_size], -100)).to(device)
            attention = torch.from_numpy(pad_right([np.ones(len(w)) for w in windows[i:i + batch_size]], 0)).to(device)
            total += float(token_loss_sum(model, ids, attention, labels))
            count += int((labels[:, 1:] != -100).sum())
    model.train(was_training)
    size = sum(len(t.encode("utf-8")) for t in texts)
    return {"bpb": total / math.log(2) / size if size else float("nan"),
            "loss": total / count if count else float("nan"), "tokens": count, "bytes": size,
            "documents": len(texts)}
