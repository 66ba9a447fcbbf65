"""The encoder `kopile tokenize` packs with: SentencePiece where the saved tokenizer has a
`tokenizer.model` made from its tokenizer.json (`spm.to_sentencepiece`), `tokenizers` otherwise.
Both give the ids of tokenizer.json (tested); SentencePiece is about 3 times faster per core."""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

SP_MODEL = "tokenizer.model"
SP_META = "kopile_encoder.json"


def sentencepiece_files(tokenizer_json: str) -> dict[str, bytes] | None:
    """The files that let `Encoder` use SentencePiece for this tokenizer.json (None where it
    cannot): the model, and what ties it to this exact tokenizer.json."""
    from kopile.tokenizers_train.spm import to_sentencepiece

    made = to_sentencepiece(tokenizer_json)
    if made is None:
        return None
    model, normalize = made
    meta = {"model": SP_MODEL, "normalize": normalize,
            "tokenizer_json_sha256": hashlib.sha256(tokenizer_json.encode("utf-8")).hexdigest()}
    return {SP_MODEL: model, SP_META: (json.dumps(meta, indent=2) + "\n").encode()}


def _processors(model: bytes):
    """The model as saved (special tokens are user-defined pieces, found in the text) and the same
    with them as control pieces, which SentencePiece never looks for: a text without the first
    two characters of any special token encodes the same with either, and the second skips a
    prefix search at every character (5 to 8% of the time on Korean reviews, a noisy measurement)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    proto.ParseFromString(model)
    user = pb.ModelProto.SentencePiece.USER_DEFINED
    marks = {p.piece[:2] for p in proto.pieces if p.type == user}
    for piece in proto.pieces:
        if piece.type == user:
            piece.type = pb.ModelProto.SentencePiece.CONTROL
    return (spm.SentencePieceProcessor(model_proto=model),
            spm.SentencePieceProcessor(model_proto=proto.SerializeToString()), tuple(sorted(marks)))


class Encoder:
    """Texts to token ids, no special tokens added. `engine` says which library encodes."""

    def __init__(self, directory: str | Path):
        from kopile.core.storage import local_folder

        directory = local_folder(directory)
        raw = (directory / "tokenizer.json").read_text(encoding="utf-8")
        meta_path = directory / SP_META
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else None
        # A tokenizer.json edited or replaced after saving falls back to `tokenizers`, which reads it.
        if meta and meta.get("tokenizer_json_sha256") == hashlib.sha256(raw.encode("utf-8")).hexdigest():
            self.engine = "sentencepiece"
            self._sp, self._sp_plain, self._marks = _processors((directory / meta["model"]).read_bytes())
            self._fold = meta["normalize"] == "nfc+fold_width"
        else:
            # One thread per Ray task: the task is the unit of parallelism.
            os.environ.setdefault("RAYON_NUM_THREADS", "1")
            from tokenizers import Tokenizer

            self.engine = "tokenizers"
            self._tok = Tokenizer.from_str(raw)
        data = json.loads(raw)
        self.vocab = {**data["model"]["vocab"], **{t["content"]: t["id"] for t in data["added_tokens"]}}
        self.vocab_size = max(self.vocab.values()) + 1

    def token_to_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        if self.engine == "sentencepiece":
            from kopile.tokenizers_train.spm import normalize

            # Checks on the whole batch first: per text, Python's overhead is a tenth of the time
            # on short texts. A line break between texts composes with nothing (NFC).
            joined = "\n".join(texts)
            if self._fold or not unicodedata.is_normalized("NFC", joined):
                texts = [normalize(t, self._fold) for t in texts]
            if not any(m in joined for m in self._marks):
                return self._sp_plain.encode(texts, num_threads=1)
            special = [any(m in t for m in self._marks) for t in texts]
            plain = iter(self._sp_plain.encode([t for t, s in zip(texts, special) if not s], num_threads=1))
            with_specials = iter(self._sp.encode([t for t, s in zip(texts, special) if s], num_threads=1))
            return [next(with_specials) if s else next(plain) for s in special]
        # `encode_batch_fast` skips the byte-to-character offset map that `encode_batch` builds
        # for every non-ASCII text (1.4 times the time on Korean reviews).
        return [e.ids for e in self._tok.encode_batch_fast(texts, add_special_tokens=False)]
