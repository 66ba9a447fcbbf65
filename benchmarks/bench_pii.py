"""PII removal: kopile's scrubber against presidio's predefined recognizers, ko-pii and
ko-pii-guard, in one process, on the same labeled set; and kopile's throughput with and without
its prescreen on real text where PII is rare.

    bash benchmarks/setup_bench_env.sh                      # presidio, Faker, ko-pii, ko-pii-guard too
    benchmarks/.venv-bench/bin/python benchmarks/bench_pii.py                     # the published run
    benchmarks/.venv-bench/bin/python benchmarks/bench_pii.py --docs 300 --real-docs 100 --repeat 1
    .venv/bin/python benchmarks/bench_pii.py --set build/bench/pii/blind.jsonl --systems kopile --real-docs 0

Two labeled sets: the development set (pii_labeled.py, built alongside the recognizers, which are
tuned on it) and the blind set (benchmarks/blind/build_pii_blind.py, built from a written
description by someone who had not read the recognizers; `--set` reads it). Report both.

The labeled set comes from benchmarks/pii_labeled.py (real petitions and Wikipedia text with
synthetic PII inserted at recorded offsets). Accuracy is span-level, per entity type, exact and
overlapping; the leak rate is the share of gold PII characters that no predicted span covers,
i.e. that would survive into the scrubbed text. Only entity types are compared: a peer's other
labels (names, postcodes ...) are not asked for. Nothing written here holds a value found in
real text: error examples come from the inserted (synthetic) sentences only, and detections in
real text are shown with digits and Latin letters masked.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import socket
import statistics
import sys
import time
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pii_labeled as lab  # noqa: E402

ROOT = lab.ROOT
RESULTS = ROOT / "benchmarks" / "results"
QUICK = ROOT / "build" / "bench" / "pii"
MB = 1e6
DEFAULTS = {"docs": 3000, "real_docs": 2000, "repeat": 3}
STRUCTURED = lab.STRUCTURED
TYPES = lab.ENTITY_TYPES
COMMENTS = lab.SHARED / "data" / "hate_speech" / "unlabeled_comments.jsonl.gz"


def load_set(path: Path) -> tuple[list, dict]:
    """A labeled set from JSON Lines: {"text", "spans": [{"start", "end", "type", "form"}], "negatives": [...]}.
    Every person in such a set is labeled, carrier text included, so a detection outside the
    gold spans is a false positive wherever it is."""
    import hashlib

    docs = []
    raw = path.read_bytes()
    for i, line in enumerate(raw.decode("utf-8").splitlines()):
        if not line.strip():
            continue
        rec = json.loads(line)
        doc = lab.LabeledDoc(id=rec.get("id", f"doc-{i}"), source=rec.get("register", ""), text=rec["text"])
        doc.gold = [(sp["type"], sp["start"], sp["end"], sp.get("form", "")) for sp in rec.get("spans", [])
                    if sp["type"] in TYPES]
        doc.negatives = [(kind, 0, 0, kind) for kind in rec.get("negatives") or []]
        docs.append(doc)
    return docs, {"path": str(path), "md5": hashlib.md5(raw).hexdigest(), **lab.describe(docs)}


# --- no network -----------------------------------------------------------------------------------

NETWORK_ATTEMPTS: list[str] = []


def forbid_network() -> None:
    """Every system runs offline here; an attempt to connect is recorded and refused, so that a
    library that fetches something at first use shows up in the results instead of hanging."""
    def refuse(*args, **kwargs):
        NETWORK_ATTEMPTS.append(repr(args[1:2] or args[:1])[:80])
        raise OSError("network disabled by bench_pii.py")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.getaddrinfo = refuse
    socket.create_connection = refuse

    # presidio's e-mail recognizer calls tldextract.extract(), whose default extractor fetches
    # the public-suffix list and caches it under the home folder: use the bundled snapshot.
    import tldextract

    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


# --- the systems ----------------------------------------------------------------------------------

def non_overlapping(spans):
    """Higher score first, then the longer span, then the earlier: kopile's own rule."""
    chosen = []
    for span in sorted(spans, key=lambda s: (-s[3], -(s[2] - s[1]), s[1], s[0])):
        if all(span[2] <= c[1] or span[1] >= c[2] for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s[1])


def replace(text: str, spans) -> str:
    parts, last = [], 0
    for entity, start, end, _ in spans:
        parts += [text[last:start], f"<|{entity}|>"]
        last = end
    parts.append(text[last:])
    return "".join(parts)


class System:
    name = ""
    supports: tuple[str, ...] = TYPES
    note = ""

    def setup(self) -> None:
        pass

    def analyze(self, text: str) -> list[tuple[str, int, int, float]]:
        raise NotImplementedError

    def scrub(self, text: str):
        spans = self.analyze(text)
        return (replace(text, spans) if spans else text), spans

    def version(self) -> str:
        return ""


class Kopile(System):
    def __init__(self, prescreen: bool = True):
        self.prescreen = prescreen
        self.name = "kopile" if prescreen else "kopile, prescreen off"
        self.note = ("PiiScrubber() defaults" if prescreen else
                     "PiiScrubber(prescreen=False): every recognizer on every document (the speed baseline)")

    def setup(self):
        from kopile.filters.pii import ENTITIES, PiiScrubber

        self.scrubber = PiiScrubber(prescreen=self.prescreen)
        self.supports = tuple(ENTITIES)
        # Build the engine now, so that its start-up is not part of the first timed document.
        self.scrubber.analyze("연락처 010-1234-5678")

    def scrub(self, text):
        new_text, spans = self.scrubber.scrub(text)
        return new_text, [(s.entity, s.start, s.end, s.score) for s in spans]

    def analyze(self, text):
        return [(s.entity, s.start, s.end, s.score) for s in self.scrubber.analyze(text)]

    def version(self):
        return "this checkout"


class PresidioPredefined(System):
    """presidio-analyzer with only its own recognizers for our types, as shipped, asked in Korean."""

    name = "presidio predefined"
    supports = STRUCTURED
    MAP = {"EMAIL_ADDRESS": "email", "CREDIT_CARD": "card", "IP_ADDRESS": "ip", "PHONE_NUMBER": "phone",
           "KR_RRN": "rrn", "KR_FRN": "frn", "KR_PASSPORT": "passport", "KR_DRIVER_LICENSE": "driver_license",
           "KR_BRN": "business_number"}

    def __init__(self, min_score: float = 0.0):
        self.min_score = min_score
        self.name = "presidio predefined" + (f" (score >= {min_score})" if min_score else "")
        self.note = ("EmailRecognizer, CreditCardRecognizer, IpRecognizer, PhoneRecognizer (its default regions "
                     "plus KR), KrRrn/KrFrn/KrPassport/KrDriverLicense/KrBrnRecognizer; supported_language='ko', "
                     "default context words, kopile's offline NLP engine; score threshold "
                     f"{min_score} ({'presidio default' if not min_score else 'a common choice'}); "
                     "no account or address recognizer exists in presidio")

    def setup(self):
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IpRecognizer,
                                                              KrBrnRecognizer, KrDriverLicenseRecognizer,
                                                              KrFrnRecognizer, KrPassportRecognizer, KrRrnRecognizer,
                                                              PhoneRecognizer)

        try:
            from kopile.filters.pii.engine import offline_nlp_engine
            nlp = offline_nlp_engine()
        except ImportError:
            from presidio_analyzer.nlp_engine import NoOpNlpEngine
            nlp = NoOpNlpEngine(models=[{"lang_code": "ko", "model_name": "no_op"}])
            nlp.load()
        registry = RecognizerRegistry(supported_languages=["ko"])
        for recognizer in (EmailRecognizer(supported_language="ko"), CreditCardRecognizer(supported_language="ko"),
                           IpRecognizer(supported_language="ko"),
                           PhoneRecognizer(supported_language="ko",
                                           supported_regions=PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS + ("KR",)),
                           KrRrnRecognizer(), KrFrnRecognizer(), KrPassportRecognizer(), KrDriverLicenseRecognizer(),
                           KrBrnRecognizer()):
            registry.add_recognizer(recognizer)
        self.engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["ko"])
        self.engine.analyze("연락처 010-1234-5678", language="ko")

    def analyze(self, text):
        found = self.engine.analyze(text, language="ko", entities=list(self.MAP), score_threshold=self.min_score)
        return non_overlapping([(self.MAP[r.entity_type], r.start, r.end, r.score) for r in found])

    def version(self):
        return metadata.version("presidio-analyzer")


class KoPii(System):
    name = "ko-pii"
    MAP = {"RRN": "rrn", "FRN": "frn", "BUSINESS_REG": "business_number", "DRIVER_LICENSE": "driver_license",
           "PASSPORT": "passport", "CARD": "card", "ACCOUNT": "account", "PHONE": "phone", "EMAIL": "email",
           "IP": "ip", "ADDRESS": "address"}
    note = ("ko_pii.detect_all(text, include=[RRN, FRN, BUSINESS_REG, DRIVER_LICENSE, PASSPORT, CARD, ACCOUNT, "
            "PHONE, EMAIL, IP, ADDRESS]): rule-based, no presidio; it runs all its 28 detectors and filters the "
            "labels afterwards, so its time includes detectors (names, dates of birth ...) whose labels are not asked for")

    def setup(self):
        from ko_pii import detect_all

        self.detect_all = detect_all
        self.include = list(self.MAP)
        detect_all("연락처 010-1234-5678", include=self.include)

    def analyze(self, text):
        return [(self.MAP[d.label], d.start, d.end, d.confidence) for d in self.detect_all(text, include=self.include)]

    def version(self):
        return metadata.version("ko-pii")


class KoPiiGuard(System):
    name = "ko-pii-guard"
    supports = tuple(t for t in STRUCTURED if t != "ip")
    MAP = {"KR_RRN": "rrn", "KR_FRN": "frn", "KR_BRN": "business_number", "KR_DRIVER_LICENSE": "driver_license",
           "KR_PASSPORT": "passport", "PHONE_NUMBER": "phone", "EMAIL_ADDRESS": "email", "CREDIT_CARD": "card",
           "KR_ACCOUNT": "account"}
    note = ("KoreanPIIGuard() defaults (presidio with its Korean recognizers, KR phone region, a KR mobile and "
            "an account pattern, Korean context words, threshold 0.4); no IP or address types")

    def setup(self):
        from ko_pii_guard import KoreanPIIGuard

        self.guard = KoreanPIIGuard()
        self.guard.analyze("연락처 010-1234-5678")

    def analyze(self, text):
        return [(self.MAP[f.entity], f.start, f.end, f.score) for f in self.guard.analyze(text)]

    def version(self):
        return metadata.version("ko-pii-guard")


class Stub(System):
    """A few regular expressions, for testing this harness without filters.pii."""

    name = "stub"
    PATTERNS = {
        "phone": r"(?<!\d)01[016789]-?\d{3,4}-?\d{4}(?!\d)",
        "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
        "rrn": r"(?<!\d)\d{6}-[1-4]\d{6}(?!\d)",
        "address": r"(?:[가-힣]+(?:시|도) )?[가-힣]+구 [가-힣0-9]+(?:로|길) \d+(?:-\d+)?",
    }
    supports = tuple(PATTERNS)

    def setup(self):
        self.compiled = [(e, re.compile(p)) for e, p in self.PATTERNS.items()]

    def analyze(self, text):
        return non_overlapping([(e, m.start(), m.end(), 1.0) for e, p in self.compiled for m in p.finditer(text)])


def make_systems(names: list[str]) -> list[System]:
    makers = {"kopile": lambda: [Kopile(True), Kopile(False)], "presidio": lambda: [PresidioPredefined()],
              "ko-pii": lambda: [KoPii()], "ko-pii-guard": lambda: [KoPiiGuard()], "stub": lambda: [Stub()]}
    return [s for name in names for s in makers[name]()]


# --- running and timing -------------------------------------------------------------------------------

CRASHES: dict[tuple[str, str], Counter] = defaultdict(Counter)   # (text set, system) -> exceptions
RAISED_ON: dict[str, set[int]] = defaultdict(set)                 # system -> labeled documents


def run_once(system: System, texts: list[str], label: str):
    """A document the system raises on counts as left unchanged (all its PII leaks); the
    exception is counted by type and message, never with the text."""
    outputs = []
    start = time.perf_counter()
    for i, text in enumerate(texts):
        try:
            outputs.append(system.scrub(text))
        except Exception as e:
            CRASHES[(label, system.name)][f"{type(e).__name__}: {str(e)[:80]}"] += 1
            if label == "labeled":
                RAISED_ON[system.name].add(i)
            outputs.append((text, []))
    return time.perf_counter() - start, outputs


def timed_runs(systems: list[System], texts: list[str], repeat: int, label: str):
    """Each system `repeat` times over `texts`, interleaved so that a noisy neighbour slows all alike.
    Returns {name: [seconds...]} and each system's outputs from its first run."""
    seconds, outputs = defaultdict(list), {}
    for r in range(repeat):
        for system in systems:
            dt, out = run_once(system, texts, label)
            seconds[system.name].append(dt)
            outputs.setdefault(system.name, out)
            print(f"  [{label}] run {r + 1}/{repeat} {system.name}: {dt:.1f} s", flush=True)
    return seconds, outputs


def code_version() -> dict:
    """Which kopile was measured: the commit and a hash of filters/pii as it was read."""
    import hashlib
    import subprocess

    digest = hashlib.sha256()
    for path in sorted((ROOT / "filters" / "pii").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "filters/pii"], cwd=ROOT, capture_output=True,
                                    text=True).stdout.strip())
    except OSError:
        commit, dirty = "", None
    return {"commit": commit, "filters_pii_uncommitted_changes": dirty, "filters_pii_sha256": digest.hexdigest()[:16]}


def throughput(seconds: list[float], n_docs: int, n_bytes: int) -> dict:
    med = statistics.median(seconds)
    return {"seconds": [round(s, 3) for s in seconds], "median_seconds": round(med, 3),
            "docs_per_s": round(n_docs / med, 1), "mb_per_s": round(n_bytes / MB / med, 3)}


# --- scoring ------------------------------------------------------------------------------------------

def _ratio(a, b):
    return round(a / b, 4) if b else None


def _f1(p, r):
    return round(2 * p * r / (p + r), 4) if p is not None and r is not None and p + r > 0 else (
        0.0 if p is not None and r is not None else None)


def _overlaps(a, b) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def score(docs: list[lab.LabeledDoc], outputs, supports, raised_on=frozenset(), carrier_labeled: bool = False) -> dict:
    """`carrier_labeled`: every person in the set is labeled, carrier text included (the blind
    set); otherwise (the development set) names found in the real carrier text are set apart."""
    counts = {t: Counter() for t in TYPES}
    fn_kinds, fp_kinds = Counter(), Counter()
    touched = Counter()
    carrier_person = 0
    scrub_mismatch = 0
    fully_scrubbed = 0
    for i, (doc, (new_text, preds)) in enumerate(zip(docs, outputs)):
        if new_text != (replace(doc.text, preds) if preds else doc.text):
            scrub_mismatch += 1
        covered = bytearray(len(doc.text))
        for _, s, e, _ in preds:
            covered[s:e] = b"\x01" * (e - s)
        gold_spans = {(g[0], g[1], g[2]) for g in doc.gold}
        leaked_any = False
        for entity, s, e, form in doc.gold:
            c = counts[entity]
            c["gold"] += 1
            c["gold_chars"] += e - s
            leaked = (e - s) - sum(covered[s:e])
            c["leaked_chars"] += leaked
            leaked_any |= leaked > 0
            same = [p for p in preds if p[0] == entity and _overlaps(p, (entity, s, e))]
            if any(p[1] == s and p[2] == e for p in same):
                c["tp"] += 1
                continue
            if same:
                c["gold_overlapped"] += 1
            kind = ("system_raised" if i in raised_on else "missed" if not any(_overlaps(p, (entity, s, e)) for p in preds) else
                    "wrong_type" if not same else "too_short" if leaked else "too_long")
            fn_kinds[(entity, form, kind)] += 1
        for p in preds:
            entity, s, e, _ = p
            c = counts[entity]
            c["pred"] += 1
            if (entity, s, e) in gold_spans:
                continue
            if any(g[0] == entity and _overlaps(p, g) for g in doc.gold):
                c["pred_overlapped"] += 1
            kind = fp_kind(doc, p)
            fp_kinds[(entity, kind)] += 1
            if entity == "person" and kind == "real_text" and not carrier_labeled:
                carrier_person += 1
        if doc.pii_free:
            touched["docs"] += 1
            touched["with_negatives" if doc.negatives else "without_negatives"] += 1
            if [p for p in preds if carrier_labeled or not (p[0] == "person" and not inside_inserted(doc, p[1], p[2]))]:
                touched["touched_not_by_person_in_carrier"] += 1
            if preds:
                touched["touched"] += 1
                touched["touched_" + ("with_negatives" if doc.negatives else "without_negatives")] += 1
        elif not leaked_any:
            fully_scrubbed += 1

    per_type = {t: _type_metrics(counts[t], t in supports) for t in TYPES}
    structured = sum((counts[t] for t in STRUCTURED), Counter())
    everything = sum((counts[t] for t in TYPES), Counter())
    pii_docs = sum(1 for d in docs if not d.pii_free)
    person = counts["person"]
    return {
        # In the development set the carrier text is real and its people are not labeled: a
        # name found there counts against precision above, and is set apart here.
        "person_detections_in_unlabeled_carrier_text": carrier_person,
        "person_precision_in_labeled_text": _ratio(person["tp"], person["pred"] - carrier_person),
        "pii_free_touched_not_by_person_in_carrier": _ratio(touched["touched_not_by_person_in_carrier"], touched["docs"]),
        "per_type": per_type,
        "structured": _type_metrics(structured, True),
        "all_types": _type_metrics(everything, True),
        "pii_free_docs": touched["docs"],
        "pii_free_touched": _ratio(touched["touched"], touched["docs"]),
        "pii_free_touched_with_inserted_negatives": _ratio(touched["touched_with_negatives"], touched["with_negatives"]),
        "pii_free_touched_real_text_only": _ratio(touched["touched_without_negatives"], touched["without_negatives"]),
        "pii_docs_fully_scrubbed": _ratio(fully_scrubbed, pii_docs),
        "scrub_output_differs_from_spans": scrub_mismatch,
        "false_negatives": [{"entity": e, "form": f, "kind": k, "count": n} for (e, f, k), n in fn_kinds.most_common()],
        "false_positives": [{"entity": e, "kind": k, "count": n} for (e, k), n in fp_kinds.most_common()],
    }


def _type_metrics(c: Counter, supported: bool) -> dict:
    p = _ratio(c["tp"], c["pred"])
    r = _ratio(c["tp"], c["gold"])
    p_ov = _ratio(c["tp"] + c["pred_overlapped"], c["pred"])
    r_ov = _ratio(c["tp"] + c["gold_overlapped"], c["gold"])
    return {"supported": supported, "gold": c["gold"], "predicted": c["pred"], "exact_matches": c["tp"],
            "precision": p, "recall": r, "f1": _f1(p, r),
            "precision_overlap": p_ov, "recall_overlap": r_ov, "f1_overlap": _f1(p_ov, r_ov),
            "leak_rate": _ratio(c["leaked_chars"], c["gold_chars"]), "gold_chars": c["gold_chars"]}


def fp_kind(doc: lab.LabeledDoc, p) -> str:
    for g in doc.gold:
        if _overlaps(p, g):
            return "boundary" if g[0] == p[0] else f"overlaps_gold_{g[0]}"
    for kind, s, e, sub in doc.negatives:
        if _overlaps(p, (kind, s, e)):
            return f"negative:{kind}/{sub}"
    if inside_inserted(doc, p[1], p[2]):
        return "inserted_sentence_other_text"
    return "real_text"


def inside_inserted(doc: lab.LabeledDoc, start: int, end: int):
    for s, e in doc.inserted:
        if s <= start and end <= e:
            return s, e
    return None


# --- error examples (synthetic values only) ------------------------------------------------------------

def mask(text: str) -> str:
    return re.sub(r"[A-Za-z]", "x", re.sub(r"\d", "9", text))


def error_examples(docs, outputs, per_kind: int, seed: int, raised_on=frozenset()) -> dict[str, list[str]]:
    """Up to `per_kind` examples of each (type, error kind): the inserted sentence, gold in ⟦ ⟧ and
    the prediction in « ». Predictions in real text are shown masked, with masked context."""
    found = defaultdict(list)
    for i, (doc, (_, preds)) in enumerate(zip(docs, outputs)):
        gold_spans = {(g[0], g[1], g[2]) for g in doc.gold}
        for entity, s, e, form in doc.gold:
            same = [p for p in preds if p[0] == entity and _overlaps(p, (entity, s, e))]
            if any(p[1] == s and p[2] == e for p in same):
                continue
            near = [p for p in preds if _overlaps(p, (entity, s, e))]
            kind = ("system_raised" if i in raised_on else "missed" if not near else
                    "wrong_type" if not same else "boundary")
            found[f"FN {entity} {kind}"].append(_show(doc, (entity, s, e), near, form))
        for p in preds:
            if (p[0], p[1], p[2]) in gold_spans:
                continue
            kind = fp_kind(doc, p)
            if kind == "boundary":
                continue  # shown with its false negative
            if kind == "real_text":
                ctx = doc.text[max(0, p[1] - 20):p[1]] + "«" + doc.text[p[1]:p[2]] + "»" + doc.text[p[2]:p[2] + 20]
                found[f"FP {p[0]} {kind}"].append(f"({doc.source}, masked) " + mask(ctx).replace("\n", " "))
            else:
                found[f"FP {p[0]} {kind}"].append(_show(doc, None, [p], None))
    rng = random.Random(seed)
    return {k: rng.sample(v, min(per_kind, len(v))) + ([f"... {len(v)} in all"] if len(v) > per_kind else [])
            for k, v in sorted(found.items(), key=lambda kv: -len(kv[1]))}


def _show(doc, gold, preds, form) -> str:
    anchor = gold or preds[0]
    # Gold spans and negatives lie inside inserted sentences; only that sentence is shown.
    s0, e0 = next((s, e) for s, e in doc.inserted if s < anchor[2] and anchor[1] < e)
    marks = []
    if gold:
        marks += [(gold[1], "⟦"), (gold[2], "⟧")]
    for p in preds:
        marks += [(max(p[1], s0), "«"), (min(p[2], e0), f"»{p[0]}")]
    text, last = [], s0
    for pos, m in sorted(marks, key=lambda x: (x[0], x[1] in "⟧»")):
        text += [doc.text[last:pos], m]
        last = pos
    text.append(doc.text[last:e0])
    prefix = f"[{gold[0]}/{form}] " if gold else ""
    return prefix + "".join(text).replace("\n", " ")


# --- the real-text throughput corpus ----------------------------------------------------------------

def real_corpora(n: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    petitions = lab.load_petitions()
    wiki = lab.load_wiki_articles()
    corpora = {"petitions": rng.sample(petitions, min(n, len(petitions))), "kowiki": rng.sample(wiki, min(n, len(wiki)))}
    if COMMENTS.is_file():
        comments = [d["text"] for d in lab.read_jsonl(COMMENTS)]
        corpora["comments"] = rng.sample(comments, min(5 * n, len(comments)))
    return corpora


def hand_check_sample(corpora, outputs, n: int, seed: int, path: Path) -> None:
    """`n` random detections in real text, with the text around them, for a person to judge.
    Written under build/ only: real text holds real PII, and this file must never be committed."""
    rng = random.Random(seed)
    hits = [(corpus, i, p) for corpus, outs in outputs.items() for i, (_, preds) in enumerate(outs) for p in preds]
    rng.shuffle(hits)
    with path.open("w", encoding="utf-8") as f:
        for corpus, i, (entity, s, e, score) in hits[:n]:
            text = corpora[corpus][i]
            f.write(json.dumps({"corpus": corpus, "doc": i, "type": entity, "score": score, "hit": text[s:e],
                                "before": text[max(0, s - 80):s], "after": text[e:e + 80]}, ensure_ascii=False) + "\n")


def prescreen_patterns() -> dict:
    """kopile's cheap candidate expressions, by name, to see which of them let real text through to
    presidio: `recognizers.CANDIDATES` (name -> (pattern, ...)) or a single `PRESCREEN`. A diagnostic only:
    an interface it does not know gives no figures rather than a failed run."""
    try:
        from kopile.filters.pii import recognizers as rec
    except ImportError:
        return {}
    if hasattr(rec, "CANDIDATES"):
        # Entries have been (pattern, entities) and (pattern, entities, window): the pattern comes first.
        return {name: value[0] if isinstance(value, tuple) else value for name, value in rec.CANDIDATES.items()
                if hasattr(value[0] if isinstance(value, tuple) else value, "search")}
    if hasattr(rec, "PRESCREEN"):
        return {"prescreen": rec.PRESCREEN}
    return {}


def detections_summary(outputs) -> dict:
    """Counts only: real text holds real PII."""
    per_type = Counter(p[0] for _, preds in outputs for p in preds)
    return {"docs_with_detections": sum(1 for _, preds in outputs if preds), "spans_per_type": dict(per_type)}


# --- report -------------------------------------------------------------------------------------------

def fmt(x, pct=False, nd=3):
    if x is None:
        return "–"
    return f"{100 * x:.{max(nd - 2, 1)}f}%" if pct else f"{x:.{nd}f}"


def markdown(report: dict) -> str:
    L = []
    ls = report["labeled_set"]
    L.append("# PII removal: kopile against presidio's predefined recognizers, ko-pii and ko-pii-guard\n")
    if ls.get("name") == "blind":
        L.append(f"**Blind set** `{ls['path']}` (md5 {ls['md5']}): built by benchmarks/blind/build_pii_blind.py from a "
                 "written description, by a helper who had not read the recognizers; nothing was tuned on it. Every "
                 "person in it is labeled, carrier text included.\n")
    else:
        L.append("**Development set** (benchmarks/pii_labeled.py): built alongside the recognizers, which are tuned on "
                 "it. Its carrier text is real and its people are not labeled; person figures are given with and "
                 "without the names found there.\n")
    L.append(f"Labeled set: {ls['documents']} documents ({ls['pii_free_documents']} without PII, "
             f"{ls['pii_free_with_negatives']} of them with inserted hard negatives), {ls['characters']:,} characters, "
             f"{sum(ls['gold_spans'].values())} gold spans; real text from petitions and Korean Wikipedia with "
             f"synthetic PII (seed {report['config']['seed']}). Exact = same type and same span; overlap = same type, "
             "spans overlap. Leak = share of gold PII characters no detection covers. One process, one core; "
             f"medians of {report['config']['repeat']} runs. kopile at commit {report['kopile_code']['commit']}"
             f"{' with uncommitted changes in filters/pii' if report['kopile_code']['filters_pii_uncommitted_changes'] else ''}"
             f" (filters/pii sha256 {report['kopile_code']['filters_pii_sha256']}"
             f"{', changed on disk during the run: the figures are for the version read at the start' if report['kopile_code']['filters_pii_sha256'] != report['kopile_code_at_end']['filters_pii_sha256'] else ''}).\n")
    L.append("## Summary\n")
    L.append("| system | structured P | structured R | structured F1 | F1 overlap | structured leak | address R (exact / overlap) | address leak | person P / R (overlap R) | PII-free docs touched | labeled docs/s | MB/s |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, res in report["systems"].items():
        if "error" in res:
            L.append(f"| {name} | {res['error']} |||||||||")
            continue
        st, ad, tp = res["accuracy"]["structured"], res["accuracy"]["per_type"]["address"], res["throughput_labeled"]
        addr_r = f"{fmt(ad['recall'])} / {fmt(ad['recall_overlap'])}" if ad["supported"] else "n/s"
        addr_leak = fmt(ad["leak_rate"], True) if ad["supported"] else "n/s"
        pe = res["accuracy"]["per_type"]["person"]
        person = (f"{fmt(pe['precision'])} / {fmt(pe['recall'])} ({fmt(pe['recall_overlap'])})" if pe["supported"]
                  else "n/s")
        L.append(f"| {name} | {fmt(st['precision'])} | {fmt(st['recall'])} | {fmt(st['f1'])} | {fmt(st['f1_overlap'])} | "
                 f"{fmt(st['leak_rate'], True)} | {addr_r} | {addr_leak} | {person} | "
                 f"{fmt(res['accuracy']['pii_free_touched'], True)} | {tp['docs_per_s']:.0f} | {tp['mb_per_s']:.2f} |")
    k = report["systems"].get("kopile", {}).get("accuracy")
    if k and ls.get("name") != "blind":
        L.append(f"\nkopile's person detections in the real, unlabeled carrier text: "
                 f"{k['person_detections_in_unlabeled_carrier_text']} (real names or mistakes; the hand check on real text "
                 f"says which). Without them: person precision {fmt(k['person_precision_in_labeled_text'])}, PII-free "
                 f"documents touched {fmt(k['pii_free_touched_not_by_person_in_carrier'], True)}.")
    L.append("\nn/s: the system has no such entity type. Structured figures cover all ten structured types, including "
             "those a system does not support (they count as missed).\n")

    L.append("PII-free documents touched, split by whether hard negatives (dates, prices, versions, year ranges, "
             "address-like prose ...) were inserted into them:\n")
    L.append("| system | all PII-free | with inserted negatives | real text only | PII documents with no character leaked |")
    L.append("|---|---:|---:|---:|---:|")
    for name, res in report["systems"].items():
        if "error" not in res:
            a = res["accuracy"]
            L.append(f"| {name} | {fmt(a['pii_free_touched'], True)} | {fmt(a['pii_free_touched_with_inserted_negatives'], True)} | "
                     f"{fmt(a['pii_free_touched_real_text_only'], True)} | {fmt(a['pii_docs_fully_scrubbed'], True)} |")
    L.append("\nkopile's false negatives and false positives by kind, with synthetic examples: `pii_errors.md`.\n")
    L.append("## Per entity type: precision / recall / F1 (exact), F1 overlap, leak\n")
    names = [n for n, r in report["systems"].items() if "error" not in r]
    L.append("| type | gold | " + " | ".join(names) + " |")
    L.append("|---|---:|" + "---|" * len(names))
    for t in TYPES:
        cells = []
        for n in names:
            m = report["systems"][n]["accuracy"]["per_type"][t]
            if not m["supported"]:
                cells.append("n/s")
                continue
            cells.append(f"{fmt(m['precision'], nd=2)} / {fmt(m['recall'], nd=2)} / {fmt(m['f1'], nd=2)}, "
                         f"ov {fmt(m['f1_overlap'], nd=2)}, leak {fmt(m['leak_rate'], True)}")
        gold = report["systems"][names[0]]["accuracy"]["per_type"][t]["gold"] if names else 0
        L.append(f"| {t} | {gold} | " + " | ".join(cells) + " |")

    if report.get("real_text"):
        L.append("\n## Throughput on real text where PII is rare (one core)\n")
        L.append("| corpus | docs | MB | system | runs | median s | docs/s | MB/s | docs with detections |")
        L.append("|---|---:|---:|---|---:|---:|---:|---:|---:|")
        notes = []
        for corpus, res in report["real_text"].items():
            for name, r in res["systems"].items():
                L.append(f"| {corpus} | {res['docs']} | {res['mb']:.2f} | {name} | {len(r['seconds'])} | "
                         f"{r['median_seconds']:.2f} | {r['docs_per_s']:.0f} | {r['mb_per_s']:.2f} | "
                         f"{r['detections']['docs_with_detections']} |")
            if res.get("prescreen_pass_share") is not None:
                branches = ", ".join(f"{b} {fmt(v, True)}" for b, v in res["prescreen_pass_share_per_branch"].items())
                notes.append(f"- {corpus}: kopile's candidate expressions match {fmt(res['prescreen_pass_share'], True)} of "
                             f"the documents ({branches}); documents whose detections differ with the prescreen off: "
                             f"{res.get('prescreen_changes_output')}.")
        if any(len(res["systems"]) > 2 for res in report["real_text"].values()):
            L.append(f"\nPeers run {report['config']['real_peer_repeat']} time(s) on real text (`--real-peer-repeat`).")
        L.append("\nDetections in real text are counted, never shown: real text holds real PII. Hits per 1,000 "
                 "documents by type (kopile):\n")
        L.append("| corpus | " + " | ".join(TYPES) + " |")
        L.append("|---|" + "---:|" * len(TYPES))
        for corpus, res in report["real_text"].items():
            if "kopile" in res["systems"]:
                per = res["systems"]["kopile"]["detections"]["spans_per_type"]
                L.append(f"| {corpus} | " + " | ".join(f"{1000 * per.get(t, 0) / res['docs']:.1f}" for t in TYPES) + " |")
        L.append("")
        L += notes
        L.append("")

    if report.get("targets"):
        L.append("\n## Targets (issues 4 and 14)\n")
        L.append("| target | measured | verdict |")
        L.append("|---|---|---|")
        for t in report["targets"]:
            L.append(f"| {t['target']} | {t['measured']} | {'met' if t['met'] else 'NOT met' if t['met'] is False else '–'} |")

    L.append("\n## Systems\n")
    for name, res in report["systems"].items():
        L.append(f"- **{name}** ({res.get('version', '')}): {res.get('note', '')}")
    for x in report.get("exceptions_raised_by_systems", []):
        n = sum(x["exceptions"].values())
        L.append(f"\n**{x['system']} raised an exception on {n // max(x['runs'], 1)} {x['texts']} documents** "
                 f"(per run; counted as unscrubbed): " + "; ".join(f"`{k}`" for k in x["exceptions"]))
    if report.get("network_attempts"):
        L.append(f"\nNetwork attempts refused during the run: {len(report['network_attempts'])}")

    fk = report.get("faker_realism")
    if fk:
        L.append("\n## How realistic Faker (ko_KR) is\n")
        L.append(f"Faker {fk['faker_version']}, {fk['samples']} samples each:\n")
        L.append(f"- `ssn()`: valid birth date {fmt(fk['ssn']['valid_birth_date'], True)}, valid check digit "
                 f"{fmt(fk['ssn']['valid_checksum'], True)} (chance is 10%), both {fmt(fk['ssn']['valid_date_and_checksum'], True)}; "
                 f"gender digits {', '.join(fk['ssn']['gender_digits_seen'])} only. {fk['ssn']['note']}.")
        ph = fk["phone_number"]
        L.append(f"- `phone_number()`: Korean formats {fmt(ph['korean_format_share'], True)}, but mobile numbers only "
                 f"{fmt(ph['mobile_share'], True)} and 010 numbers {fmt(ph['mobile_010_share'], True)}; {ph['note']}.")
        cc = fk["credit_card_number"]
        L.append(f"- `credit_card_number()`: Luhn-valid {fmt(cc['luhn_valid'], True)}, lengths {cc['length_counts']}, "
                 f"no Korean domestic (9…) numbers.")
        L.append(f"- `passport_number()`: Korean format (M/S/R/O/D + 8 digits, or the 2021 letter-3-letter-4 form) "
                 f"{fmt(fk['passport_number']['korean_format_share'], True)}.")
        ad = fk["address"]
        L.append(f"- `address()`: of {ad['metro_city_addresses']} addresses in a metropolitan city, the district belongs "
                 f"to that city in {fmt(ad['district_belongs_to_city'], True)}; {ad['note']}.")
        L.append(f"- `email()`: example.* domains {fmt(fk['email']['example_domain_share'], True)}; {fk['email']['note']}.")
        L.append("\nSo the labeled set generates resident/foreigner numbers (valid dates and check digits), phone numbers, "
                 "cards, passports and addresses itself, and takes names, company names, e-mail user names and public "
                 "IPv4 addresses from Faker.")
    return "\n".join(L) + "\n"


def errors_markdown(report: dict, examples: dict, name: str = "kopile") -> str:
    L = [f"# Errors of {name} on the labeled set\n",
         "Values are synthetic (generated or Faker); gold is in ⟦ ⟧, the detection in « » with its type. "
         "Detections in real text are masked (digits 9, Latin letters x).\n"]
    acc = report["systems"][name]["accuracy"]
    L.append("## False negatives by type, form and kind\n")
    L.append("kind: system_raised (the scrubber raised on the document), missed (nothing overlaps), too_short (a same-type detection leaves characters), too_long (a "
             "same-type detection covers it and more), wrong_type.\n")
    L.append("| type | form | kind | count |\n|---|---|---|---:|")
    L += [f"| {x['entity']} | {x['form']} | {x['kind']} | {x['count']} |" for x in acc["false_negatives"]]
    L.append("\n## False positives by type and what they hit\n")
    L.append("| type | kind | count |\n|---|---|---:|")
    L += [f"| {x['entity']} | {x['kind']} | {x['count']} |" for x in acc["false_positives"]]
    L.append("\n## Examples\n")
    for key, items in examples.items():
        L.append(f"### {key}\n")
        L += [f"- {x}" for x in items]
        L.append("")
    return "\n".join(L)


def targets(report: dict) -> list[dict]:
    out = []
    k = report["systems"].get("kopile")
    if not k or "error" in k:
        return out
    st, addr = k["accuracy"]["structured"], k["accuracy"]["per_type"]["address"]
    person = k["accuracy"]["per_type"]["person"]
    out.append({"target": "leak rate over structured types < 1%", "measured": fmt(st["leak_rate"], True),
                "met": st["leak_rate"] is not None and st["leak_rate"] < 0.01})
    out.append({"target": "address characters left < 5%", "measured": fmt(addr["leak_rate"], True),
                "met": addr["leak_rate"] is not None and addr["leak_rate"] < 0.05})
    out.append({"target": "person recall >= 0.85 (exact)",
                "measured": f"{fmt(person['recall'])} (overlap {fmt(person['recall_overlap'])})",
                "met": person["recall"] is not None and person["recall"] >= 0.85})
    precision = (k["accuracy"]["person_precision_in_labeled_text"] if report["labeled_set"].get("name") != "blind"
                 else person["precision"])
    out.append({"target": "person precision >= 0.90 (exact" + (", labeled text only)" if report["labeled_set"].get("name") != "blind" else ")"),
                "measured": fmt(precision), "met": precision is not None and precision >= 0.90})
    out.append({"target": "structured precision >= 0.97 (exact)", "measured": f"{fmt(st['precision'])} (overlap {fmt(st['precision_overlap'])})",
                "met": st["precision"] is not None and st["precision"] >= 0.97})
    out.append({"target": "PII-free documents touched < 3%", "measured": fmt(k["accuracy"]["pii_free_touched"], True),
                "met": k["accuracy"]["pii_free_touched"] is not None and k["accuracy"]["pii_free_touched"] < 0.03})
    out.append({"target": "address recall >= 0.9 (exact)", "measured": f"{fmt(addr['recall'])} (overlap {fmt(addr['recall_overlap'])})",
                "met": addr["recall"] is not None and addr["recall"] >= 0.9})
    off = report["systems"].get("kopile, prescreen off")
    if off and "error" not in off:
        ratio = k["throughput_labeled"]["docs_per_s"] / off["throughput_labeled"]["docs_per_s"]
        out.append({"target": "labeled set: >= 2x presidio with everything on every document",
                    "measured": f"{ratio:.2f}x", "met": ratio >= 2})
    for corpus, res in (report.get("real_text") or {}).items():
        s = res["systems"]
        if "kopile" in s and "kopile, prescreen off" in s:
            ratio = s["kopile"]["docs_per_s"] / s["kopile, prescreen off"]["docs_per_s"]
            out.append({"target": f"{corpus}: >= 10x presidio with everything on every document",
                        "measured": f"{ratio:.1f}x", "met": ratio >= 10})
    return out


# --- main ---------------------------------------------------------------------------------------------

def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=DEFAULTS["docs"], help="labeled documents")
    ap.add_argument("--real-docs", type=int, default=DEFAULTS["real_docs"], help="petitions and Wikipedia articles each")
    ap.add_argument("--repeat", type=int, default=DEFAULTS["repeat"], help="timed runs per setting (median reported)")
    ap.add_argument("--real-peer-repeat", type=int, default=1,
                    help="runs of the peers on real text (0: skip them there); kopile's two settings run --repeat times")
    ap.add_argument("--systems", default="kopile,presidio,ko-pii,ko-pii-guard",
                    help="comma-separated: kopile (both prescreen settings), presidio, ko-pii, ko-pii-guard, stub")
    ap.add_argument("--seed", type=int, default=20240415)
    ap.add_argument("--set", type=Path, help="a labeled JSON Lines set (the blind set) instead of the development set")
    ap.add_argument("--hand-check", type=int, default=100,
                    help="random kopile detections in real text written to build/bench/pii/hand_check.jsonl")
    ap.add_argument("--examples", type=int, default=6, help="error examples per kind")
    ap.add_argument("--output", type=Path, help="where to write (default: benchmarks/results for the published "
                                                "settings, build/bench/pii otherwise)")
    args = ap.parse_args(argv)

    lab.require_shared()
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    forbid_network()
    published = (args.docs, args.real_docs, args.repeat) == tuple(DEFAULTS.values()) and "stub" not in args.systems
    out_dir = args.output or (RESULTS if published and not args.set else QUICK)
    out_dir.mkdir(parents=True, exist_ok=True)

    load_start = os.getloadavg()[0]
    measured_code = code_version()
    if args.set:
        docs, set_stats = load_set(args.set)
        set_stats["name"] = "blind"
    else:
        print(f"building the labeled set ({args.docs} documents) ...", flush=True)
        docs, set_stats = lab.build_labeled_set(args.docs, args.seed)
        set_stats["name"] = "development"
    texts = [d.text for d in docs]
    n_bytes = set_stats["utf8_bytes"]

    systems, report_systems = [], {}
    for system in make_systems(args.systems.split(",")):
        t0 = time.perf_counter()
        try:
            system.setup()
        except Exception as e:  # a peer that cannot run is reported, not faked
            report_systems[system.name] = {"error": f"{type(e).__name__}: {e}"[:300], "note": system.note}
            print(f"  {system.name}: setup failed: {e}", flush=True)
            continue
        report_systems[system.name] = {"version": system.version(), "note": system.note,
                                       "setup_seconds": round(time.perf_counter() - t0, 2)}
        systems.append(system)

    print("labeled set:", flush=True)
    seconds, outputs = timed_runs(systems, texts, args.repeat, "labeled")
    kopile_examples, examples_of = None, None
    for system in systems:
        res = report_systems[system.name]
        res["accuracy"] = score(docs, outputs[system.name], system.supports, RAISED_ON[system.name], bool(args.set))
        res["throughput_labeled"] = throughput(seconds[system.name], len(docs), n_bytes)
        if isinstance(system, PresidioPredefined):
            # The same detections at a 0.5 threshold: no second run needed.
            cut = [(t, [p for p in preds if p[3] >= 0.5]) for t, preds in outputs[system.name]]
            cut = [((replace(d.text, preds) if preds else d.text), preds) for d, (_, preds) in zip(docs, cut)]
            report_systems[system.name + " (score >= 0.5)"] = {
                "version": res["version"], "note": "the same run's detections with score >= 0.5",
                "accuracy": score(docs, cut, system.supports, RAISED_ON[system.name], bool(args.set)),
                "throughput_labeled": res["throughput_labeled"]}
        if system.name in ("kopile", "stub") and not args.set:
            examples_of = system.name
            kopile_examples = error_examples(docs, outputs[system.name], args.examples, args.seed,
                                             RAISED_ON[system.name])
    names = [s.name for s in systems]
    if "kopile" in names and "kopile, prescreen off" in names:
        differ = sum(a[1] != b[1] for a, b in zip(outputs["kopile"], outputs["kopile, prescreen off"]))
        report_systems["kopile"]["labeled_docs_changed_by_prescreen"] = differ

    real = {}
    if args.real_docs:
        corpora = real_corpora(args.real_docs, args.seed)
        kopile_real = {}
        prescreen = prescreen_patterns()
        for corpus, ctexts in corpora.items():
            cbytes = sum(len(t.encode()) for t in ctexts)
            print(f"real text: {corpus} ({len(ctexts)} documents, {cbytes / MB:.2f} MB)", flush=True)
            main_systems = [s for s in systems if isinstance(s, Kopile)] or systems[:1]
            peers = [s for s in systems if s not in main_systems]
            secs, outs = timed_runs(main_systems, ctexts, args.repeat, corpus)
            if peers and args.real_peer_repeat:
                s2, o2 = timed_runs(peers, ctexts, args.real_peer_repeat, corpus)
                secs.update(s2)
                outs.update(o2)
            entry = {"docs": len(ctexts), "mb": round(cbytes / MB, 3), "systems": {}}
            for name in secs:
                entry["systems"][name] = {**throughput(secs[name], len(ctexts), cbytes),
                                          "detections": detections_summary(outs[name])}
            if "kopile" in outs:
                kopile_real[corpus] = outs["kopile"]
            if prescreen:
                entry["prescreen_pass_share"] = _ratio(sum(1 for t in ctexts if any(p.search(t) for p in prescreen.values())),
                                                       len(ctexts))
                entry["prescreen_pass_share_per_branch"] = {name: _ratio(sum(1 for t in ctexts if p.search(t)), len(ctexts))
                                                            for name, p in prescreen.items()}
            if "kopile" in outs and "kopile, prescreen off" in outs:
                entry["prescreen_changes_output"] = sum(a[1] != b[1] for a, b in zip(outs["kopile"], outs["kopile, prescreen off"]))
            real[corpus] = entry
        if kopile_real and args.hand_check:
            QUICK.mkdir(parents=True, exist_ok=True)
            hand_check_sample({c: corpora[c] for c in kopile_real if c != "kowiki"},
                              {c: o for c, o in kopile_real.items() if c != "kowiki"}, args.hand_check, args.seed,
                              QUICK / "hand_check.jsonl")

    report = {
        "config": {**vars(args), "output": str(out_dir)},
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_1min_start": round(load_start, 2), "load_1min_end": round(os.getloadavg()[0], 2)},
        "kopile_code": measured_code,
        "kopile_code_at_end": code_version(),
        "labeled_set": set_stats,
        "systems": report_systems,
        "real_text": real,
        "network_attempts": NETWORK_ATTEMPTS,
        "exceptions_raised_by_systems": [{"texts": label, "system": name, "runs": runs, "exceptions": dict(c)}
                                         for (label, name), c in CRASHES.items()
                                         for runs in [args.repeat if label == "labeled" or name.startswith("kopile")
                                                      else args.real_peer_repeat]],
        "faker_realism": lab.faker_realism(),
    }
    report["targets"] = targets(report)
    stem = "pii_blind" if args.set else "pii"
    (out_dir / f"{stem}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.md").write_text(markdown(report), encoding="utf-8")
    if kopile_examples is not None and not args.set:
        # The blind set's errors are not written out: reading them would be tuning on it.
        (out_dir / "pii_errors.md").write_text(errors_markdown(report, kopile_examples, examples_of), encoding="utf-8")
    print(markdown(report))
    print(f"written to {out_dir}")


if __name__ == "__main__":
    main()
