"""Fertility of tokenizers on Korean text: a kopile tokenizer against reference tokenizers.

Reference tokenizers are loaded from files only (never from a hub), one loader per format:
SentencePiece `.model`, Hugging Face `tokenizer.json` (or `.json.gz`), Mistral Tekken JSON,
tiktoken rank files and WordPiece `vocab.txt`. Every loader gives an `Encoder`: `.encode(text)`
returns token ids, `.spans(text)` the character span of each token in the original text.

Metrics (`fertility`), summed over all texts before dividing (long texts weigh more):
- tokens per character: tokens / `len(text)` (whitespace counts as characters);
- tokens per eojeol: tokens / whitespace-separated words (`str.split()`);
- bytes per token: UTF-8 bytes of the text / tokens;
- unknown share: tokens that are the tokenizer's unknown token / tokens (where it has one: a
  WordPiece `[UNK]` stands for a whole word, which makes fertility look better than it is);
- lossless tokens per character: as tokens per character, with each unknown token counted as
  the UTF-8 bytes of the text it stands for (at least 1): what the tokenizer would need with byte
  fallback, as kopile's has, instead of dropping that text;
- single-token eojeol: eojeol covered by exactly one token / all eojeol;
- morpheme-boundary share: among eojeol covered by two or more tokens, the share whose every
  cut falls on a Kiwi morpheme boundary.

How tokens meet eojeol. A token belongs to every eojeol its character span overlaps; tokens made
of whitespace only ("▁", "Ġ", "\\n") get an empty span and belong to none. A cut is the place
between two consecutive tokens of one eojeol: after token i ends, where token i+1 starts. A byte
token holds a part of a character and gets that whole character as its span, so the tokens of a
character split into bytes overlap: such a cut lies inside a character and is never a morpheme
boundary. Otherwise the cut is on a boundary where the end of token i or the start of token i+1
is one. The morpheme boundaries of a text are the start and end offsets of every morpheme Kiwi
finds in it; a contracted syllable (했 = 하 + 었) is one character, so its two morphemes share
both offsets and no cut can fall between them. Kiwi keeps many compound nouns whole
(조직폭력배/NNG), so a cut between their parts counts as off a boundary.
"""
from __future__ import annotations

import functools
import gzip
import json
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Callable, Iterable, Sequence

Span = tuple[int, int]

# Piece characters that stand for whitespace: Metaspace "▁" and byte-level space, newline, tab, CR.
_BLANK = set("▁ĠĊĉč \n\t\r")
_BLANK_BYTES = {"<0x20>", "<0x0A>", "<0x09>", "<0x0D>"}
# GPT-2's split pattern; Whisper's tokenizer uses it too. Rank files do not carry their pattern.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
TIKTOKEN_PATTERNS = {"gpt2.tiktoken": GPT2_PATTERN, "multilingual.tiktoken": GPT2_PATTERN}


@dataclass
class Encoder:
    name: str
    vocab_size: int | None
    tokenize: Callable[[str], tuple[list[int], list[Span]]]
    unk_id: int | None = None
    format: str = ""
    path: str = ""

    def encode(self, text: str) -> list[int]:
        return self.tokenize(text)[0]

    def spans(self, text: str) -> list[Span]:
        return self.tokenize(text)[1]


def _byte_starts(text: str) -> list[int]:
    """The UTF-8 offset of every character, and the total length last."""
    sizes = (1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4 for o in map(ord, text))
    return [0, *accumulate(sizes)]


def _is_blank(piece: str) -> bool:
    return piece in _BLANK_BYTES or all(c in _BLANK for c in piece)


def _read_text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return f.read()
    return path.read_text("utf-8")


# --- loaders ------------------------------------------------------------------------------------

def _hf_encoder(tok, name: str, fmt: str, path: Path, unk: str | None) -> Encoder:
    def tokenize(text):
        enc = tok.encode(text, add_special_tokens=False)
        # Offsets are characters of the original text. Llama's prepended "▁" claims the first
        # character: the piece, not the offset, says it is whitespace.
        spans = [(s, s) if _is_blank(p) or (e > s and text[s:e].isspace()) else (s, e)
                 for p, (s, e) in zip(enc.tokens, enc.offsets)]
        return enc.ids, spans

    unk_id = tok.token_to_id(unk) if unk else None
    return Encoder(name, tok.get_vocab_size(with_added_tokens=True), tokenize, unk_id, fmt, str(path))


def encoder_of(tok, name: str) -> Encoder:
    """An Encoder over a `tokenizers.Tokenizer` in memory (a kopile tokenizer just trained)."""
    return _hf_encoder(tok, name, "kopile", Path("."), None)


def load_tokenizer_json(path: str | Path, name: str | None = None, fmt: str = "tokenizer.json") -> Encoder:
    from tokenizers import Tokenizer

    path = Path(path)
    data = _read_text(path)
    tok = Tokenizer.from_str(data)
    unk = json.loads(data)["model"].get("unk_token")
    return _hf_encoder(tok, name or path.parent.name, fmt, path, unk)


def load_kopile(directory: str | Path, name: str = "kopile") -> Encoder:
    """A tokenizer that `tokenizers_train.train.save` wrote (its tokenizer.json)."""
    return load_tokenizer_json(Path(directory) / "tokenizer.json", name, fmt="kopile tokenizer.json")


def load_wordpiece(path: str | Path, name: str | None = None) -> Encoder:
    """BERT's tokenization over a vocab.txt, cased unless tokenizer_config.json says otherwise."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    path = Path(path)
    config = path.parent / "tokenizer_config.json"
    lower = json.loads(config.read_text("utf-8")).get("do_lower_case", False) if config.is_file() else False
    vocab: dict[str, int] = {}
    for i, line in enumerate(path.read_text("utf-8").splitlines()):
        vocab.setdefault(line, i)
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    # strip_accents must stay off: its NFD would take Hangul syllables apart into jamo.
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False,
                                                lowercase=lower)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return _hf_encoder(tok, name or path.parent.name, "WordPiece vocab.txt", path, "[UNK]")


def load_sentencepiece(path: str | Path, name: str | None = None) -> Encoder:
    import sentencepiece as spm

    path = Path(path)
    sp = spm.SentencePieceProcessor(model_file=str(path))

    def tokenize(text):
        starts = _byte_starts(text)
        ids, spans = [], []
        for p in sp.encode(text, out_type="proto").pieces:  # begin/end: UTF-8 offsets in the input
            c = bisect_right(starts, p.begin) - 1
            if sp.is_byte(p.id):
                # Byte pieces before a character's last byte have an empty surface: all get the character.
                span = (c, c) if text[c].isspace() else (c, c + 1)
            elif not p.surface.strip():
                span = (c, c)
            else:
                span = (c, bisect_left(starts, p.end))
            ids.append(p.id)
            spans.append(span)
        return ids, spans

    return Encoder(name or path.parent.name, sp.get_piece_size(), tokenize, sp.unk_id(), "SentencePiece .model",
                   str(path))


def _tiktoken_encoder(ranks: dict[bytes, int], pattern: str, name: str, vocab_size: int, fmt: str,
                      path: Path) -> Encoder:
    import tiktoken

    enc = tiktoken.Encoding(name=name, pat_str=pattern, mergeable_ranks=ranks, special_tokens={})

    def tokenize(text):
        ids = enc.encode_ordinary(text)
        starts = _byte_starts(text)
        spans, b = [], 0
        # No normalisation: the tokens' bytes are the text's bytes, in order.
        for piece in enc.decode_tokens_bytes(ids):
            s = bisect_right(starts, b) - 1
            spans.append((s, s) if piece.isspace() else (s, bisect_left(starts, b + len(piece))))
            b += len(piece)
        return ids, spans

    return Encoder(name, vocab_size, tokenize, None, fmt, str(path))


def load_tiktoken_file(path: str | Path, name: str | None = None, pattern: str | None = None) -> Encoder:
    import base64

    path = Path(path)
    pattern = pattern or TIKTOKEN_PATTERNS.get(path.name)
    if pattern is None:
        raise ValueError(f"no known split pattern for {path.name}; pass pattern=")
    ranks = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return _tiktoken_encoder(ranks, pattern, name or path.parent.name, len(ranks), "tiktoken ranks", path)


def load_tekken(path: str | Path, name: str | None = None) -> Encoder:
    """Mistral's Tekken JSON: the first (vocabulary - specials) ranks with the file's pattern, as
    mistral-common loads it; the specials take the first ids, which changes no count."""
    import base64

    path = Path(path)
    data = json.loads(_read_text(path))
    config = data["config"]
    n = config["default_vocab_size"] - config["default_num_special_tokens"]
    ranks = {base64.b64decode(v["token_bytes"]): v["rank"] for v in data["vocab"][:n]}
    return _tiktoken_encoder(ranks, config["pattern"], name or path.parent.name, config["default_vocab_size"],
                             "Tekken JSON", path)


def _find(folder: Path, *patterns: str) -> Path | None:
    for pattern in patterns:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def load_reference(folder: str | Path, name: str | None = None) -> Encoder:
    """The tokenizer in `folder`, by the files present. A SentencePiece model comes first: where
    a folder holds both it and a converted tokenizer.json (kogpt2_v1), the model is the original,
    and that conversion drops characters missing from its vocabulary instead of encoding them."""
    folder = Path(folder)
    name = name or folder.name
    if path := _find(folder, "*.model"):
        return load_sentencepiece(path, name)
    if path := _find(folder, "tokenizer.json", "tokenizer.json.gz"):
        return load_tokenizer_json(path, name)
    if path := _find(folder, "tekken*.json", "tekken*.json.gz"):
        return load_tekken(path, name)
    if path := _find(folder, "*.tiktoken"):
        return load_tiktoken_file(path, name)
    if path := _find(folder, "vocab.txt"):
        return load_wordpiece(path, name)
    files = sorted(p.name for p in folder.iterdir())
    raise FileNotFoundError(f"no tokenizer file that loads offline in {folder} (found: {', '.join(files) or 'nothing'})")


def reference_folders(root: str | Path) -> list[tuple[str, Path]]:
    """(name, folder) of every tokenizer under root. A folder whose tokenizers sit in subfolders
    (kortok_sp/sp-32k/tok.model) gives one entry per subfolder: kortok_sp_32k."""
    out = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        subs = sorted(p for p in folder.iterdir() if p.is_dir())
        if subs and not any(p.is_file() and p.suffix in (".model", ".json", ".gz", ".tiktoken", ".txt")
                            for p in folder.iterdir()):
            out += [(f"{folder.name}_{sub.name.rsplit('-', 1)[-1]}", sub) for sub in subs]
        else:
            out.append((folder.name, folder))
    return out


def load_references(root: str | Path) -> dict[str, Encoder | str]:
    """Every reference under root; a tokenizer that cannot load maps to the reason (a report row)."""
    out: dict[str, Encoder | str] = {}
    for name, folder in reference_folders(root):
        try:
            out[name] = load_reference(folder, name)
        except ImportError as e:
            out[name] = f"needs the Python package {e.name or e}, not installed"
        except Exception as e:  # noqa: BLE001 - one broken folder must not stop the report
            out[name] = f"cannot load: {type(e).__name__}: {e}"
    return out


# --- metrics ------------------------------------------------------------------------------------

@functools.cache
def _kiwi():
    from kopile.filters.text import LazyKiwi  # seconds to load: once per process

    return LazyKiwi().get()


def morpheme_boundaries(texts: Iterable[str], kiwi=None) -> list[set[int]]:
    """Per text, the character offsets where a Kiwi morpheme starts or ends."""
    kiwi = kiwi or _kiwi()
    out = []
    for text in texts:
        cuts = set()
        for m in kiwi.tokenize(text):
            cuts.add(m.start)
            cuts.add(m.start + m.len)
        out.append(cuts)
    return out


def _align(text: str, pieces: Sequence[str]) -> list[Span]:
    """Spans of decoded pieces: each found in the text after the previous one ("▁" and a "##"
    prefix removed); a piece that is whitespace, or not found (an unknown or byte token), gets
    an empty span."""
    spans, pos = [], 0
    for piece in pieces:
        surface = piece.removeprefix("##").replace("▁", " ").strip()
        at = text.find(surface, pos) if surface else -1
        if at < 0:
            spans.append((pos, pos))
        else:
            pos = at + len(surface)
            spans.append((at, pos))
    return spans


def _tokenizer_of(encode) -> tuple[Callable[[str], tuple[list, list[Span] | None]], int | None]:
    if isinstance(encode, Encoder):
        return encode.tokenize, encode.unk_id

    def tokenize(text):
        out = list(encode(text))
        if out and all(isinstance(t, str) for t in out):
            return out, _align(text, out)
        return out, None

    return tokenize, None


def fertility(encode, texts: Sequence[str], boundaries: Sequence[set[int]] | None = None,
              per_text: bool = False) -> dict:
    """The metrics of the module docstring for one tokenizer over `texts`.

    `encode` is an `Encoder`, or a callable returning token ids (then only the per-character,
    per-eojeol and per-byte figures are computed) or piece strings (spans found by `_align`).
    `boundaries` are the texts' morpheme boundaries; Kiwi finds them where not given. With
    `per_text`, "tokens_per_text" lists each text's token count."""
    tokenize, unk_id = _tokenizer_of(encode)
    texts = list(texts)
    n = dict(texts=0, chars=0, bytes=0, eojeol=0, tokens=0, unk=0, lossless=0, single=0, split=0,
             split_on_morphemes=0)
    has_spans = True
    counts, lossless = [], []
    for i, text in enumerate(texts):
        ids, spans = tokenize(text)
        counts.append(len(ids))
        extra = 0
        if unk_id is not None:
            extra = sum(max(1, len(text[s:e].encode("utf-8"))) - 1 if spans else 0
                        for t, (s, e) in zip(ids, spans or [(0, 0)] * len(ids)) if t == unk_id)
        lossless.append(len(ids) + extra)
        n["lossless"] += len(ids) + extra
        words = [m.span() for m in re.finditer(r"\S+", text)]
        n["texts"] += 1
        n["chars"] += len(text)
        n["bytes"] += len(text.encode("utf-8"))
        n["eojeol"] += len(words)
        n["tokens"] += len(ids)
        if unk_id is not None:
            n["unk"] += sum(1 for t in ids if t == unk_id)
        if spans is None:
            has_spans = False
            continue
        if boundaries is None:
            boundaries = morpheme_boundaries(texts)
        starts, ends = [w[0] for w in words], [w[1] for w in words]
        per_word: list[list[Span]] = [[] for _ in words]
        for s, e in spans:
            if e > s:
                for w in range(bisect_right(ends, s), bisect_left(starts, e)):
                    per_word[w].append((s, e))
        cuts_ok = boundaries[i]
        for toks in per_word:
            if len(toks) == 1:
                n["single"] += 1
            elif len(toks) > 1:
                n["split"] += 1
                n["split_on_morphemes"] += all(e <= s2 and (e in cuts_ok or s2 in cuts_ok)
                                               for (_, e), (s2, _) in zip(toks, toks[1:]))
    ratio = lambda a, b: a / b if b else None  # noqa: E731
    out = {
        "tokens_per_char": ratio(n["tokens"], n["chars"]),
        "lossless_tokens_per_char": ratio(n["lossless"], n["chars"]),
        "tokens_per_eojeol": ratio(n["tokens"], n["eojeol"]),
        "bytes_per_token": ratio(n["bytes"], n["tokens"]),
        "single_token_eojeol": ratio(n["single"], n["eojeol"]) if has_spans else None,
        "morpheme_boundary_share": ratio(n["split_on_morphemes"], n["split"]) if has_spans else None,
        "unk_share": ratio(n["unk"], n["tokens"]) if unk_id is not None else None,
        "counts": n,
    }
    if per_text:
        out["tokens_per_text"] = counts
        out["lossless_per_text"] = lossless
    return out


# --- report -------------------------------------------------------------------------------------

def measure(tokenizers: dict, texts: Sequence[str], boundaries: Sequence[set[int]] | None = None,
            per_text: bool = False) -> list[dict]:
    """A row per tokenizer: an `Encoder`, a callable, or a string saying why it did not load."""
    texts = list(texts)
    if boundaries is None:
        boundaries = morpheme_boundaries(texts)
    rows = []
    for name, enc in tokenizers.items():
        if isinstance(enc, str):
            rows.append({"name": name, "error": enc})
            continue
        rows.append({"name": name, "vocab_size": getattr(enc, "vocab_size", None),
                     "format": getattr(enc, "format", ""), **fertility(enc, texts, boundaries, per_text)})
    return rows


def _fmt(x, digits=3, pct=False):
    if x is None:
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.{digits}f}"


def _measured(rows: list[dict]) -> list[dict]:
    """Rows with a tokens-per-character figure, fewest first."""
    return sorted((r for r in rows if r.get("tokens_per_char") is not None), key=lambda r: r["tokens_per_char"])


def markdown_table(rows: list[dict], highlight: Callable[[str], bool] = lambda name: False) -> str:
    ok = _measured(rows)
    lines = ["| tokenizer | vocab | tokens/char | tokens/char, unknown as bytes | tokens/eojeol | bytes/token | "
             "eojeol as 1 token | splits on morpheme boundaries | unknown tokens | format |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in ok:
        name = f"**{r['name']}**" if highlight(r["name"]) else r["name"]
        vocab = f"{r['vocab_size']:,}" if r.get("vocab_size") else "–"
        lines.append(f"| {name} | {vocab} | {_fmt(r['tokens_per_char'])} | {_fmt(r.get('lossless_tokens_per_char'))} | "
                     f"{_fmt(r['tokens_per_eojeol'], 2)} | "
                     f"{_fmt(r['bytes_per_token'], 2)} | {_fmt(r['single_token_eojeol'], pct=True)} | "
                     f"{_fmt(r['morpheme_boundary_share'], pct=True)} | {_fmt(r['unk_share'], pct=True)} | "
                     f"{r.get('format', '')} |")
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | – | not measured: {r['error']} | | | | | | | |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path, highlight: Callable[[str], bool], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = _measured(rows)[::-1]  # barh draws the first bar at the bottom
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(ok) + 1.4))
    labels = [f"{r['name']} ({r['vocab_size'] / 1000:.0f}k)" if r.get("vocab_size") else r["name"] for r in ok]
    values = [r["tokens_per_char"] for r in ok]
    bars = ax.barh(labels, values, color=["tab:orange" if highlight(r["name"]) else "tab:gray" for r in ok])
    ax.bar_label(bars, fmt="%.3f", padding=2, fontsize=8)
    ax.set_xlabel("tokens per character (lower is better)")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, max(values, default=1) * 1.12)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _is_kopile(name: str) -> bool:
    return name.startswith("kopile")


def by_domain(rows: list[dict], texts: Sequence[str], domains: Sequence[str]) -> list[str]:
    """Adds `by_domain` to every measured row (measured with `per_text`): per domain, tokens per
    character and lossless tokens per character. Returns the domains in first-seen order."""
    import numpy as np

    names = list(dict.fromkeys(domains))
    chars = np.array([len(t) for t in texts])
    of = np.array(domains)
    for row in rows:
        if "error" in row:
            continue
        tokens, lossless = np.array(row["tokens_per_text"]), np.array(row["lossless_per_text"])
        row["by_domain"] = {d: {"tokens_per_char": float(tokens[of == d].sum() / chars[of == d].sum()),
                                "lossless_tokens_per_char": float(lossless[of == d].sum() / chars[of == d].sum())}
                            for d in names}
    return names


def _by_domain_rows(rows: list[dict], highlight: Callable[[str], bool], max_vocab: int | None) -> list[dict]:
    """Rows with per-domain figures, fewest tokens first: the highlighted ones and those with a
    vocabulary <= max_vocab."""
    return [r for r in _measured(rows) if "by_domain" in r
            and (max_vocab is None or highlight(r["name"]) or (r.get("vocab_size") or 0) <= max_vocab)]


def domain_table(rows: list[dict], domains: list[str], highlight: Callable[[str], bool] = lambda name: False,
                 max_vocab: int | None = None) -> str:
    """Tokens per character per domain, one row per tokenizer (vocabulary <= max_vocab), fewest
    first overall; where unknown tokens make a difference, the lossless figure in brackets. In
    each column the fewest is bold."""
    ok = _by_domain_rows(rows, highlight, max_vocab)
    best = {d: min(r["by_domain"][d]["tokens_per_char"] for r in ok) for d in domains}
    lines = ["| tokenizer | vocab | " + " | ".join(domains) + " |", "|---|---:|" + "---:|" * len(domains)]
    for r in ok:
        cells = []
        for d in domains:
            v = r["by_domain"][d]
            cell = f"{v['tokens_per_char']:.3f}"
            cell = f"**{cell}**" if v["tokens_per_char"] == best[d] else cell
            if v["lossless_tokens_per_char"] - v["tokens_per_char"] >= 0.0005:
                cell += f" ({v['lossless_tokens_per_char']:.3f})"
            cells.append(cell)
        name = f"**{r['name']}**" if highlight(r["name"]) else r["name"]
        vocab = f"{r['vocab_size']:,}" if r.get("vocab_size") else "–"
        lines.append(f"| {name} | {vocab} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_domains(rows: list[dict], domains: list[str], path: Path, highlight: Callable[[str], bool], title: str,
                 max_vocab: int | None = None) -> None:
    """Grouped bars: per domain, every tokenizer with a vocabulary <= max_vocab."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ok = _by_domain_rows(rows, highlight, max_vocab)
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(domains) * max(1, len(ok)) / 4), 4.2))
    width = 0.8 / max(1, len(ok))
    x = np.arange(len(domains))
    cmap = plt.get_cmap("tab20")
    for k, r in enumerate(ok):
        values = [r["by_domain"][d]["tokens_per_char"] for d in domains]
        color = "tab:orange" if highlight(r["name"]) else cmap((2 * k + 1) % 20)
        vocab = f" ({r['vocab_size'] / 1000:.0f}k)" if r.get("vocab_size") else ""
        ax.bar(x + (k - (len(ok) - 1) / 2) * width, values, width, label=r["name"] + vocab, color=color,
               edgecolor="black" if highlight(r["name"]) else "none", linewidth=0.8)
    ax.set_xticks(x, domains)
    ax.set_ylabel("tokens per character (lower is better)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(rows: list[dict], out_dir: str | Path, stem: str = "fertility",
                 highlight: Callable[[str], bool] = _is_kopile, title: str = "Tokenizer fertility on Korean text",
                 intro: str = "", notes: str = "", meta: dict | None = None, domains: list[str] | None = None,
                 max_vocab: int | None = None) -> dict[str, Path]:
    """{stem}.json, .md and .png; with `domains` (rows from `by_domain`) also the per-domain table
    in the .md and {stem}_domains.png (tokenizers with a vocabulary <= max_vocab)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {ext: out_dir / f"{stem}.{ext}" for ext in ("json", "md", "png")}
    slim = [{k: v for k, v in r.items() if k not in ("tokens_per_text", "lossless_per_text")} for r in rows]
    paths["json"].write_text(json.dumps({**(meta or {}), "rows": slim}, ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")
    md = [f"# {title}", ""]
    if intro:
        md += [intro, ""]
    md += [markdown_table(rows, highlight), "", "Sorted by tokens per character. Definitions: "
           "`tokenizers_train/report.py` (module docstring).", ""]
    if domains:
        limit = f" (vocabulary <= {max_vocab:,})" if max_vocab else ""
        md += [f"## Tokens per character by domain{limit}", "", domain_table(rows, domains, highlight, max_vocab), "",
               "Bold: the fewest in the column. In brackets: with unknown tokens counted as the bytes they stand "
               "for (where that differs).", ""]
        paths["domains_png"] = out_dir / f"{stem}_domains.png"
        plot_domains(rows, domains, paths["domains_png"], highlight, f"{title}, by domain{limit}", max_vocab)
    if notes:
        md += [notes, ""]
    paths["md"].write_text("\n".join(md), encoding="utf-8")
    plot(rows, paths["png"], highlight, title)
    return paths


def fertility_report(tokenizers: dict, texts: Sequence[str], out_dir: str | Path, domains: Sequence[str] | None = None,
                     max_vocab: int | None = None, **report) -> list[dict]:
    """Measures every tokenizer on `texts` and writes fertility.json, fertility.md (sorted by
    tokens per character) and fertility.png (kopile's bars highlighted) into out_dir; with
    `domains` (one per text), the per-domain table and fertility_domains.png as well."""
    rows = measure(tokenizers, texts, per_text=domains is not None)
    names = by_domain(rows, texts, domains) if domains is not None else None
    write_report(rows, out_dir, domains=names, max_vocab=max_vocab, **report)
    return rows
