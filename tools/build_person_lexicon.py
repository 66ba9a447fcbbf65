"""Build the stop list the person-name rule reads, from real Korean text and Kiwi.

- `person_common_ko.txt`: two-syllable words made only of given-name syllables that Kiwi
  analyses as ordinary words (가지, 하늘, 사랑, 진도) at least `--min-common` times, or as
  proper nouns used as places more than as people (일본, 광주: followed by 에서, 시, 은행 ... at
  least `--min-common` times and twice as often as by 씨, 님, 아, 에게 ...): a bare "given name"
  equal to one of them is a word.
- `person_stop_ko.txt`: strings that start with a surname syllable and that Korean text uses as
  ordinary words (이상, 정말, 한국, 장기, 임시, 조사, 민주당 ...). A name candidate equal to one of
  them is not a name. A string is listed when Kiwi analyses it, at the start of a word, as
  something other than a proper noun in at least `--min-common` places and in at least half of
  its uses, or as a proper noun that is mostly followed by a place particle or a place/organisation
  word (한국에서, 서울시, 민주당은) rather than by a title (김민수 기자).

Only the "dev" half of each shared file (the blake2b rule of benchmarks/blind) is read, so the
lists never see the carrier text of the blind evaluation set. The list is data, not code: they
hold counts-derived words and syllables, no sentence of the sources.

    .venv/bin/python tools/build_person_lexicon.py          # about 10 minutes on 2 cores
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "blind"))
from common import pool  # noqa: E402  (the dev/blind split every set shares)

OUT = ROOT / "filters" / "lexicons"
SOURCES = {  # file: (field, most records read)
    "nsmc/nsmc_raw_reviews.jsonl.gz": ("text", 250_000),
    "petitions/petitions.jsonl.gz": ("text", 10_000),
    "hate_speech/unlabeled_comments.jsonl.gz": ("text", 40_000),
    "hate_speech/labeled_train.jsonl.gz": ("text", 10_000),
    "kowiki/kowiki_sample.jsonl.gz": ("text", 60_000),
}


def texts(data: Path):
    for rel, (field, limit) in SOURCES.items():
        path = data / rel
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= limit:
                    break
                if pool(path.name, i) == "dev":
                    text = json.loads(line).get(field) or ""
                    for para in text.split("\n"):
                        if para.strip():
                            yield para[:2000]


def main(argv=None) -> None:
    from kiwipiepy import Kiwi

    from kopile.filters.pii.person import GIVEN_NAME_SYLLABLES, SURNAMES, TITLES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--min-common", type=int, default=3)
    args = parser.parse_args(argv)

    kiwi = Kiwi(num_workers=2)
    surname_start = tuple(sorted(SURNAMES, key=len, reverse=True))
    title = re.compile(r"\s?(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + ")")
    place_next = re.compile(r"(?:에서|에는|에도|에(?!게)|으로|로|시|도|군|구|대학|대|지역|정부|팀|산|강|당|측|은행|사|전자)")
    person_next = re.compile(r"(?:\s?씨|님|아|야|이가|이는|이랑|이도|에게|한테)(?![가-힣])")
    place2, person2 = Counter(), Counter()
    common, proper, placeish, titled = Counter(), Counter(), Counter(), Counter()
    words2 = Counter()
    paragraphs = list(texts(args.data))
    for para, tokens in zip(paragraphs, kiwi.tokenize(iter(paragraphs))):
        for i, tok in enumerate(tokens):
            if tok.len == 2 and all(c in GIVEN_NAME_SYLLABLES for c in tok.form):
                if tok.tag != "NNP":
                    words2[tok.form] += 1
                else:
                    after = para[tok.start + 2:tok.start + 8]
                    place2[tok.form] += bool(place_next.match(after))
                    person2[tok.form] += bool(person_next.match(after))
            start = tok.start
            if start > 0 and "\uac00" <= para[start - 1] <= "\ud7a3":
                continue  # not at the start of a word
            word = re.match(r"[가-힣]+", para[start:])
            if not word or not word.group().startswith(surname_start):
                continue
            word = word.group()
            for n in (2, 3, 4):
                if len(word) < n:
                    break
                candidate = word[:n]
                after = para[start + n:start + n + 6]
                is_titled = bool(title.match(after))
                titled[candidate] += is_titled
                if tok.tag == "NNP" and tok.len == n:
                    proper[candidate] += 1
                    if not is_titled and place_next.match(after):
                        placeish[candidate] += 1
                elif tok.tag != "NNP" and tok.len >= n:
                    common[candidate] += 1
    stop = set()
    for candidate in common.keys() | proper.keys():
        c, p = common[candidate], proper[candidate]
        # A three-syllable string seen before a title as often as a fifth of its ordinary uses is a
        # name, whatever else Kiwi read it as (이영호 감독); 공무원 and 피해자 stand before titles too,
        # but far more often elsewhere. Two syllables are too often both (이상 교수, 이상 없음).
        if c >= args.min_common and c >= p and (len(candidate) == 2 or c >= 5 * titled[candidate]):
            stop.add(candidate)
        elif p >= args.min_common and placeish[candidate] >= 3 * max(1, titled[candidate]):
            stop.add(candidate)
    header = ("# Generated by tools/build_person_lexicon.py from the dev half of ../shared/data "
              "(nsmc, petitions, hate_speech, kowiki) with kiwipiepy; do not edit by hand.\n")
    (OUT / "person_stop_ko.txt").write_text(header + "\n".join(sorted(stop)) + "\n", encoding="utf-8")
    common2 = sorted({w for w, n in words2.items() if n >= args.min_common}
                     | {w for w, n in place2.items() if n >= args.min_common and n >= 2 * person2[w]})
    (OUT / "person_common_ko.txt").write_text(header + "\n".join(common2) + "\n", encoding="utf-8")
    print(f"{len(paragraphs):,} paragraphs; {len(stop):,} stop words; {len(common2):,} common two-syllable words")


if __name__ == "__main__":
    main()
