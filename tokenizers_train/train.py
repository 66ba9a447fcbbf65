"""Train a tokenizer from text and save it where `transformers.AutoTokenizer` loads it offline.

Three models, all without an unknown token (every input encodes):
- `sp_bpe`: BPE over Metaspace words with byte fallback, as Llama and Mistral tokenizers are
  built in `tokenizers`: spaces become "▁" and stay inside the tokens, characters the
  vocabulary lacks become <0xNN> byte tokens;
- `unigram`: the same pre-tokenization and byte fallback with a Unigram model;
- `bytelevel_bpe`: GPT-2's byte-level BPE (bytes mapped to printable characters).

`sp_bpe` trains with SentencePiece by default (`backend`, see spm.py: 2 to 3 times faster, the
same fertility) and is saved as tokenizer.json either way; `save` adds a SentencePiece model with
the same ids, which `kopile tokenize` encodes with (encoder.py).

Korean specifics: NFC only (NFKC would turn compatibility jamo ㅋ into conjoining ᄏ), and
optionally `kiwi` pre-tokenization, which marks morpheme boundaries inside eojeol before
training so that merges never cross them (국민|의, 있|다); the saved tokenizer does not need
Kiwi to encode.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from kopile.filters.pii.entities import ENTITIES, default_placeholders

BOS, EOS, PAD, UNK = "<|bos|>", "<|eos|>", "<|pad|>", "<|unk|>"
ROLES = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
PII_TOKENS = tuple(default_placeholders(ENTITIES).values())
SPECIAL_TOKENS = (PAD, BOS, EOS, *ROLES, *PII_TOKENS)
BYTE_TOKENS = tuple(f"<0x{i:02X}>" for i in range(256))
MORPHEME_MARK = "\ue000"  # a private-use character: a morpheme boundary while training only
MODELS = ("sp_bpe", "unigram", "bytelevel_bpe")
PRETOKENIZERS = ("default", "punct", "digits", "kiwi")
BACKENDS = ("auto", "sentencepiece", "tokenizers")
SP_PRETOKENIZERS = ("default", "digits")  # SentencePiece has no punctuation split or morpheme marks
# `auto` trains with SentencePiece from this size: a smaller vocabulary leaves too little room for the
# characters of 98% of Korean text, the least SentencePiece keeps.
SP_MIN_VOCAB = 8000

# The chat format of finetuning: role token, text, <|end|>; generation starts after
# "<|assistant|>". Jinja, as transformers' apply_chat_template expects. The {% generation %}
# block marks what the assistant says (its <|end|> included, so that a model learns to stop):
# `return_assistant_tokens_mask=True` gives the tokens finetuning puts the loss on.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}{{ '<|assistant|>' }}"
    "{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}"
    "{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)


def _normalizer(fold_width: bool):
    from kopile.tokenizers_train.spm import FOLD_WIDTH

    steps = [normalizers.NFC()]
    if fold_width:
        # Full-width ASCII (Ａ１！) to ASCII, and the ideographic space; Hangul untouched. The
        # SentencePiece encoder folds with the same table (spm.normalize).
        steps += [normalizers.Replace(chr(a), chr(b)) for a, b in FOLD_WIDTH.items()]
    return normalizers.Sequence(steps)


def _pre_tokenizer(model: str, pretokenize: str, training: bool, split: bool = True):
    steps = []
    if training and pretokenize == "kiwi":
        steps.append(pre_tokenizers.Split(MORPHEME_MARK, behavior="removed"))
    extra = {"digits": pre_tokenizers.Digits(individual_digits=True),
             "punct": pre_tokenizers.Punctuation(behavior="isolated")}.get(pretokenize)
    if model == "bytelevel_bpe":
        # Before the byte mapping: after it, bytes of Hangul read as ², ³, ¹ and would be split
        # as digits.
        steps += [extra] if extra else []
        steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True))
    else:
        # Line breaks are pre-tokens of their own: inside a word they made tokens such as
        # '.\n2007년' and '▁음반)\n\n《' (349 of them in a 32k vocabulary), and most newlines of
        # one-sentence-per-line text a bare '\n' after all. Runs stay together ('\n\n' can be a
        # token); spaces are Metaspace's, which already gives every extra space a word of its own.
        steps.append(pre_tokenizers.Split(Regex(r"[\r\n]+"), behavior="isolated"))
        # No "▁" prepended to a text, unlike Llama: Metaspace skips it where a text starts
        # with a space and adds one after every special token, and the decoder cannot tell
        # which leading space to strip. Without it, decoding is exact. Digits and punctuation
        # are split inside its words: before it, the space ahead of a number would be a token.
        # `split=False` is for encoding only (see `finish`); training must count words.
        steps.append(pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=split))
        steps += [extra] if extra else []
    return pre_tokenizers.Sequence(steps) if len(steps) > 1 else steps[0]


def alphabet_size(vocab_size: int) -> int:
    """Characters kept as tokens by `sp_bpe`; the others fall back to bytes. 4,000 holds the
    common syllables (KS X 1001 has 2,350) with room for Hanja and Latin; a small vocabulary
    keeps half its room for merges."""
    return max(1, min(4000, (vocab_size - len(SPECIAL_TOKENS) - len(BYTE_TOKENS)) // 2))


def alphabet_of(texts: Iterable[str], vocab_size: int) -> list[str]:
    """The most frequent characters, ties broken by code point. `tokenizers` cuts its alphabet
    at the limit by count alone, in hash-map order among equal counts: without a fixed
    alphabet, two trainings on the same text can differ."""
    import unicodedata
    from collections import Counter

    counts: Counter = Counter()
    for text in texts:
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        counts.update(text)
    counts.pop(MORPHEME_MARK, None)
    if " " in counts:
        counts["▁"] += counts.pop(" ")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [ch for ch, _ in ranked[:alphabet_size(vocab_size)]]


def build(model: str = "sp_bpe", vocab_size: int = 32000, pretokenize: str = "default",
          fold_width: bool = False, min_frequency: int = 2, alphabet: list[str] | None = None
          ) -> tuple[Tokenizer, object]:
    """An untrained tokenizer and its trainer; `alphabet` (see alphabet_of) fixes the
    characters `sp_bpe` keeps."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    if pretokenize not in PRETOKENIZERS:
        raise ValueError(f"pretokenize must be one of {PRETOKENIZERS}, not {pretokenize!r}")
    specials = list(SPECIAL_TOKENS)
    if model == "bytelevel_bpe":
        tok = Tokenizer(models.BPE())
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=specials,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    else:
        tok = Tokenizer(models.BPE(byte_fallback=True) if model == "sp_bpe" else models.Unigram([], byte_fallback=True))
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
        # The byte tokens go in as specials so that the trainer reserves them; `finish` then
        # turns them into ordinary vocabulary (text "<0x41>" must encode as text, not a byte).
        kwargs = dict(vocab_size=vocab_size, special_tokens=specials + list(BYTE_TOKENS), show_progress=False)
        if model == "sp_bpe":
            # Characters given in the initial alphabet are never cut, and with the limit at
            # its size every other one is: the alphabet is exactly the one given.
            limit = len(alphabet) if alphabet else alphabet_size(vocab_size)
            trainer = trainers.BpeTrainer(min_frequency=min_frequency, limit_alphabet=limit,
                                          initial_alphabet=alphabet or [], **kwargs)
        else:
            # The Unigram lattice needs an unknown id to exist even where byte fallback means it
            # is never emitted (tested: no input encodes to it).
            kwargs["special_tokens"].insert(len(SPECIAL_TOKENS), UNK)
            trainer = trainers.UnigramTrainer(max_piece_length=16, unk_token=UNK, **kwargs)
    tok.normalizer = _normalizer(fold_width)
    tok.pre_tokenizer = _pre_tokenizer(model, pretokenize, training=True)
    return tok, trainer


def finish(tok: Tokenizer, model: str, pretokenize: str) -> Tokenizer:
    """The trained tokenizer for use: the encoding pre-tokenizer, byte tokens as vocabulary."""
    data = json.loads(tok.to_str())
    # `sp_bpe` encodes each text as one Metaspace word: 1.1 to 1.6 times faster on Korean than a
    # split at every space (short reviews to 40 KB texts), since `tokenizers` pays for every word
    # it handles apart (a NormalizedString with its alignments, offsets, a cache lookup). The
    # ids are the same: training counts words split at "▁", so no merge has a right part that
    # starts with "▁", and no merge can join two words. Checked, not assumed.
    split = model != "sp_bpe" or any(
        (m[1] if isinstance(m, list) else m.split(" ", 1)[1]).startswith("▁") for m in data["model"]["merges"])
    tok.pre_tokenizer = _pre_tokenizer(model, pretokenize, training=False, split=split)
    data["pre_tokenizer"] = json.loads(tok.to_str())["pre_tokenizer"]
    data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] not in BYTE_TOKENS]
    if model != "bytelevel_bpe":
        data["model"]["byte_fallback"] = True  # the Unigram trainer builds a model without it
    if model == "unigram":
        # The trainer scores reserved pieces 0, the best score there is: the lattice would then
        # read a literal "<0x41>" in a text as the byte A. Scored below every learned piece,
        # byte pieces are only used where nothing else covers a character.
        floor = min(score for piece, score in data["model"]["vocab"] if piece not in BYTE_TOKENS) - 100
        data["model"]["vocab"] = [[p, floor if p in BYTE_TOKENS else s] for p, s in data["model"]["vocab"]]
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def resolve_backend(model: str, pretokenize: str, backend: str = "auto", vocab_size: int = 32000) -> str:
    """Which library trains: `auto` is SentencePiece where it can train the tokenizer asked for
    (`sp_bpe`, no punctuation or Kiwi pre-tokenization, at least SP_MIN_VOCAB tokens)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    fits = model == "sp_bpe" and pretokenize in SP_PRETOKENIZERS
    if backend == "auto":
        return "sentencepiece" if fits and vocab_size >= SP_MIN_VOCAB else "tokenizers"
    if backend == "sentencepiece" and not fits:
        raise ValueError(f"backend 'sentencepiece' trains model 'sp_bpe' with pretokenize {SP_PRETOKENIZERS}, "
                         f"not model {model!r} with pretokenize {pretokenize!r}; use backend 'tokenizers'")
    return backend


def train(texts: Iterable[str], model: str = "sp_bpe", vocab_size: int = 32000, pretokenize: str = "default",
          fold_width: bool = False, min_frequency: int = 2, alphabet: list[str] | None = None,
          backend: str = "auto") -> Tokenizer:
    """Trains on `texts`. With `tokenizers`, a list of texts gets its `sp_bpe` alphabet computed
    here (one more pass); a one-pass iterator needs `alphabet` given for the result to be
    deterministic. SentencePiece keeps the characters that cover 99.95% of the text (at most
    `alphabet_size`) and has no `min_frequency`."""
    if resolve_backend(model, pretokenize, backend, vocab_size) == "sentencepiece":
        from kopile.tokenizers_train import spm

        trained = spm.train_bpe(texts, vocab_size, list(SPECIAL_TOKENS), alphabet_size(vocab_size),
                                split_digits=pretokenize == "digits", fold_width=fold_width)
        # With split_digits no piece holds a digit beside anything else: the vocabulary is the
        # digit policy, and the encoding pre-tokenizer (hence the SentencePiece encoder) is the default's.
        template, _ = build(model, vocab_size, "default", fold_width)
        template.pre_tokenizer = _pre_tokenizer(model, "default", training=False, split=False)
        return spm.to_tokenizer(trained, template, list(SPECIAL_TOKENS))
    if model == "sp_bpe" and alphabet is None and isinstance(texts, (list, tuple)):
        alphabet = alphabet_of(texts, vocab_size)
    tok, trainer = build(model, vocab_size, pretokenize, fold_width, min_frequency, alphabet)
    tok.train_from_iterator(texts, trainer=trainer)
    return finish(tok, model, pretokenize)


def save(tok: Tokenizer, directory: str | Path, model_max_length: int = 4096) -> Path:
    """tokenizer.json plus the files `AutoTokenizer.from_pretrained(directory)` reads, and for
    `sp_bpe` the SentencePiece model with the same ids that `kopile tokenize` encodes with."""
    from kopile.tokenizers_train.encoder import SP_META, SP_MODEL, sentencepiece_files

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tok.save(str(directory / "tokenizer.json"))
    for name in (SP_META, SP_MODEL):  # never left beside a tokenizer.json they were not made from
        (directory / name).unlink(missing_ok=True)
    for name, data in (sentencepiece_files((directory / "tokenizer.json").read_text(encoding="utf-8")) or {}).items():
        (directory / name).write_bytes(data)
    specials = {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD}
    extra = [t for t in SPECIAL_TOKENS if t not in specials.values()]
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model_max_length,
              "clean_up_tokenization_spaces": False, "add_bos_token": False, "add_eos_token": False,
              "chat_template": CHAT_TEMPLATE, "additional_special_tokens": extra, **specials}
    (directory / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n",
                                                    encoding="utf-8")
    (directory / "special_tokens_map.json").write_text(
        json.dumps({**specials, "additional_special_tokens": extra}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")
    return directory


def kiwi_marked(texts: Iterable[str]) -> Iterator[str]:
    """Texts with MORPHEME_MARK between the morphemes of each eojeol (the text is unchanged
    otherwise): what the `kiwi` pre-tokenization trains on."""
    from kopile.filters.text import LazyKiwi

    kiwi = LazyKiwi().get()
    for text in texts:
        cuts = set()
        for token in kiwi.tokenize(text):
            if 0 < token.start < len(text) and not text[token.start - 1].isspace() and not text[token.start].isspace():
                cuts.add(token.start)
        yield "".join(MORPHEME_MARK + ch if i in cuts else ch for i, ch in enumerate(text)) if cuts else text
