"""SentencePiece as a second engine for kopile's `sp_bpe` tokenizer: it trains, and it encodes.

`tokenizer.json` stays the tokenizer (transformers loads it, the driver uses it). SentencePiece's
BPE trainer is 2 to 3 times faster than `tokenizers`' on the same text, and its encoder about 3
times faster per core, so:
- `train_bpe` trains with SentencePiece and writes the result as `tokenizer.json` (`to_tokenizer`);
- `to_sentencepiece` goes the other way: from any saved `sp_bpe` tokenizer.json to a SentencePiece
  model that gives the same ids, which `kopile tokenize` encodes with (`encoder.py`).

Why the ids agree. SentencePiece's BPE merges, at each step, the adjacent pair whose
concatenation is the best-scored piece (leftmost on ties); `tokenizers` merges the pair with the
lowest rank in its merge list. A merge list holding every split of every piece, ranked by the
piece's score, gives the same order: two splits of one piece can never both be candidates at
overlapping places, and where they are apart both are merged before any worse piece. The rest
agrees by construction: NFC (applied in Python before SentencePiece), spaces as "▁" inside
tokens, byte fallback for characters outside the vocabulary, special tokens matched in the text
(user-defined pieces), and no piece that holds a line break next to anything else. Tested on
every held-out document (tests/test_tokenizer_encoder.py, benchmarks/bench_tokenizer.py).
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

# Line breaks are pieces of their own (pre-tokens in tokenizer.json); "\n\n" may be one token.
NEWLINES = ("\n", "\n\n")
_LINES = re.compile(r"[\r\n]+")
MIN_COVERAGE = 0.98  # SentencePiece refuses a character_coverage below this
FOLD_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


def normalize(text: str, fold_width: bool = False) -> str:
    """What tokenizer.json's normalizer does: NFC, then (optionally) full-width ASCII folded."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(FOLD_WIDTH) if fold_width else text


def training_chunks(texts: Iterable[str], fold_width: bool = False, chunk_chars: int = 1 << 22) -> Iterator[str]:
    """The texts, normalized, as blocks of non-empty lines ("\n"-separated, no line breaks
    inside a line): SentencePiece counts words inside a line, the line breaks are pieces of
    their own. Whole blocks, not lines, go through Python's checks."""
    buffer: list[str] = []
    size = 0
    for text in texts:
        buffer.append(text)
        size += len(text)
        if size >= chunk_chars:
            yield _block(buffer, fold_width)
            buffer, size = [], 0
    if buffer:
        yield _block(buffer, fold_width)


def _block(texts: list[str], fold_width: bool) -> str:
    block = "\n".join(texts)
    # A line break composes with nothing (NFC): the block is NFC where every text is, and only a
    # text that is not gets normalized.
    if not unicodedata.is_normalized("NFC", block):
        block = "\n".join(t if unicodedata.is_normalized("NFC", t) else unicodedata.normalize("NFC", t)
                          for t in texts)
    if fold_width:
        block = block.translate(FOLD_WIDTH)
    if "\r" in block or "\n\n" in block:
        block = _LINES.sub("\n", block)
    return block.strip("\n")


def train_bpe(texts: Iterable[str], vocab_size: int, specials: list[str], alphabet_size: int,
              split_digits: bool = False, fold_width: bool = False, threads: int = 2) -> bytes:
    """A SentencePiece BPE model (serialized) trained on `texts`; ids 0.. are `specials`, then
    the unknown piece (never emitted: byte fallback), the line breaks and the 256 byte pieces.
    The alphabet is the characters that cover 99.95% of the text, at most `alphabet_size` of
    them (the others fall back to bytes)."""
    import tempfile

    import numpy as np
    import sentencepiece as spm

    counts = np.zeros(0x110000, dtype=np.int64)
    with tempfile.TemporaryDirectory(prefix="kopile-spm-") as tmp:
        # One pass writes the lines and counts characters (by code point, in NumPy), SentencePiece
        # then reads the file (in C++, faster than from a Python iterator).
        lines = Path(tmp) / "lines.txt"
        with open(lines, "w", encoding="utf-8") as f:
            for block in training_chunks(texts, fold_width):
                if block:
                    f.write(block + "\n")
                    counts += np.bincount(np.frombuffer(block.encode("utf-32-le", "surrogatepass"), dtype="<u4"),
                                          minlength=len(counts))[:len(counts)]
        counts[ord("\n")] = 0
        coverage = coverage_for(counts, alphabet_size)
        try:
            return _train(spm, lines, vocab_size, coverage, specials, split_digits, threads)
        except RuntimeError as e:
            # A text too small for the vocabulary: like `tokenizers`, stop where the merges run out.
            fewer = re.search(r"Vocabulary size too high \(\d+\)\. Please set it to a value <= (\d+)", str(e))
            if not fewer:
                raise
            return _train(spm, lines, int(fewer.group(1)), coverage, specials, split_digits, threads)


def _train(spm, lines: Path, vocab_size: int, coverage: float, specials: list[str], split_digits: bool,
           threads: int) -> bytes:
    import io

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        input=str(lines), model_writer=out, model_type="bpe", vocab_size=vocab_size, byte_fallback=True,
        character_coverage=coverage,
        # No normalization, no dummy "▁" in front, spaces kept as they are: the text comes back exactly.
        normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False,
        # Pieces may cross from Hangul to punctuation or digits ("2005년", "있다."), as in
        # `tokenizers`' BPE; SentencePiece's default cuts there (7% more tokens overall on the
        # held-out text: 0.440 against 0.412 per character).
        split_by_unicode_script=False, split_by_number=False, split_digits=split_digits,
        # Every line, however long, and all of them (no sampling: deterministic).
        max_sentence_length=1 << 30, input_sentence_size=0, num_threads=threads,
        unk_id=len(specials), bos_id=-1, eos_id=-1, pad_id=-1, unk_piece="<|unk|>",
        user_defined_symbols=[*specials, *NEWLINES], minloglevel=2)
    return out.getvalue()


def coverage_for(counts, limit: int, target: float = 0.9995) -> float:
    """SentencePiece's `character_coverage` that keeps at most `limit` characters (`counts`: per
    code point): it adds characters, most frequent first, while the share covered is below the
    coverage. A value halfway between the shares of `limit - 1` and `limit` characters keeps
    exactly `limit`. A space counts as the "▁" SentencePiece sees."""
    import numpy as np

    counts = np.asarray(counts, dtype=np.int64).copy()
    if len(counts) > 0x2581:
        counts[0x2581] += counts[0x20]
        counts[0x20] = 0
    ranked = np.sort(counts[counts > 0])[::-1]
    total = int(ranked.sum())
    if len(ranked) <= limit or not total:
        return target
    below, at = int(ranked[:limit - 1].sum()) / total, int(ranked[:limit].sum()) / total
    if at < MIN_COVERAGE:
        raise ValueError(f"a vocabulary of this size keeps {limit:,} characters, which cover {100 * at:.1f}% of the "
                         f"text; SentencePiece needs {100 * MIN_COVERAGE:.0f}%: raise vocab_size or use backend "
                         "'tokenizers'")
    return min(target, max(MIN_COVERAGE, (below + at) / 2))


def to_tokenizer(model: bytes, template, specials: list[str]) -> "Tokenizer":  # noqa: F821
    """tokenizer.json for a SentencePiece BPE model: its pieces as the vocabulary (same ids),
    `specials` (its user-defined pieces) as special added tokens, every split of every other
    piece as merges (see the module docstring), and `template`'s normalizer, pre-tokenizer and
    decoder. No piece holds a "▁" after its start (words are split at spaces in training), so
    the pre-tokenizer may encode a line as one word."""
    import sentencepiece as spm
    from tokenizers import Tokenizer

    sp = spm.SentencePieceProcessor(model_proto=model)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = {p: i for i, p in enumerate(pieces)}
    user = [vocab[p] for p in specials]
    normal = {p for i, p in enumerate(pieces) if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i)
                                                        or sp.is_unused(i)) and p not in NEWLINES}
    normal.difference_update(specials)
    merges = [list(NEWLINES[0] * 2)] if NEWLINES[1] in vocab else []
    for piece in sorted((p for p in normal if len(p) > 1), key=lambda p: (-sp.get_score(vocab[p]), vocab[p])):
        if "▁" in piece[1:]:
            raise ValueError(f"SentencePiece made the piece {piece!r}, which crosses a space")
        merges += [[piece[:k], piece[k:]] for k in range(1, len(piece)) if piece[:k] in normal and piece[k:] in normal]
    data = json.loads(template.to_str())
    data["model"] = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": True, "ignore_merges": False,
                     "vocab": vocab, "merges": merges}
    data["added_tokens"] = [{"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
                             "normalized": False, "special": True} for i in user]
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def _normalizer_kind(normalizer) -> str | None:
    """"nfc" or "nfc+fold_width" where tokenizer.json's normalizer is one `normalize` does."""
    if normalizer is None:
        return None
    steps = normalizer["normalizers"] if normalizer["type"] == "Sequence" else [normalizer]
    if not steps or steps[0]["type"] != "NFC":
        return None
    if len(steps) == 1:
        return "nfc"
    folds = {(s.get("pattern", {}).get("String"), s.get("content")) for s in steps[1:] if s["type"] == "Replace"}
    wanted = {(chr(a), chr(b)) for a, b in FOLD_WIDTH.items()}
    return "nfc+fold_width" if len(steps) == 1 + len(wanted) and folds == wanted else None


def _pre_tokenizer_ok(pre) -> bool:
    """Newline runs split off, then Metaspace without a prepended "▁", nothing else."""
    steps = pre["pretokenizers"] if pre and pre["type"] == "Sequence" else [pre]
    if [s and s["type"] for s in steps] != ["Split", "Metaspace"]:
        return False
    split, meta = steps
    return (split["pattern"] == {"Regex": r"[\r\n]+"} and split["behavior"] == "Isolated"
            and meta["replacement"] == "▁" and meta["prepend_scheme"] == "never")


def to_sentencepiece(tokenizer_json: str) -> tuple[bytes, str] | None:
    """A SentencePiece model with the ids of this tokenizer.json, and the Python normalization
    to apply before it (`normalize`); None where the tokenizer is not one it can stand for
    (not `sp_bpe` with kopile's pre-tokenizer, or a piece no merge makes)."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    data = json.loads(tokenizer_json)
    model, norm = data["model"], _normalizer_kind(data.get("normalizer"))
    if (model.get("type") != "BPE" or not model.get("byte_fallback") or model.get("continuing_subword_prefix")
            or model.get("end_of_word_suffix") or model.get("dropout") or norm is None
            or not _pre_tokenizer_ok(data.get("pre_tokenizer")) or data.get("post_processor")):
        return None
    vocab = model["vocab"]
    merges = [m if isinstance(m, list) else m.split(" ", 1) for m in model["merges"]]
    specials = {t["content"] for t in data["added_tokens"]}
    rank: dict[str, int] = {}
    for r, (left, right) in enumerate(merges):
        rank.setdefault(left + right, r)
    byte = re.compile(r"<0x[0-9A-F]{2}>")
    proto = pb.ModelProto()
    Piece = pb.ModelProto.SentencePiece
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        return None
    unk = "<|unk|>"
    for piece, i in by_id:
        if piece in specials:
            kind, score = Piece.USER_DEFINED, 0.0
        elif piece == unk:
            kind, score = Piece.UNKNOWN, 0.0
        elif byte.fullmatch(piece):
            kind, score = Piece.BYTE, 0.0
        elif " " in piece or len(piece) > 1 and piece not in rank:
            return None  # SentencePiece would make it where `tokenizers` cannot (or never sees it)
        else:
            kind, score = Piece.NORMAL, -float(rank.get(piece, len(merges)))
        proto.pieces.add(piece=piece, score=score, type=kind)
    if unk not in vocab:  # SentencePiece needs an unknown piece; after the others, ids unchanged
        proto.pieces.add(piece=unk, score=0.0, type=Piece.UNKNOWN)
    spec = proto.trainer_spec
    spec.model_type = pb.TrainerSpec.BPE
    spec.vocab_size = len(proto.pieces)
    spec.byte_fallback = True
    spec.unk_id = vocab.get(unk, len(by_id))
    spec.bos_id = spec.eos_id = spec.pad_id = -1
    spec.unk_piece = unk
    ns = proto.normalizer_spec
    ns.name = "identity"
    ns.add_dummy_prefix = False
    ns.remove_extra_whitespaces = False
    ns.escape_whitespaces = True
    return proto.SerializeToString(), norm
