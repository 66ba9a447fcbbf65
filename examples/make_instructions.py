"""A small Korean instruction set, generated from the Constitution the `konlpy` wheel ships.

Questions about articles (what article N says, which article a text is, which chapter an
article is in) with answers taken from the text itself, in several phrasings, in KoAlpaca's
instruction/input/output form and in `messages` form (both are read by `kopile finetune`).
About 5% go to val.jsonl by a hash of the question. Deterministic.

Usage: python examples/make_instructions.py OUT_DIR
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_sample import corpus_dir, load_constitution  # noqa: E402

ASK_TEXT = ("대한민국 헌법 제{n}조의 내용을 알려 주세요.", "헌법 제{n}조는 무엇을 규정하고 있나요?",
            "헌법 제{n}조를 그대로 적어 주세요.")
ASK_NUMBER = ("다음 조문은 대한민국 헌법 몇 조인가요?", "아래 내용은 헌법의 어느 조항인지 알려 주세요.")
ASK_CHAPTER = ("헌법 제{n}조는 어느 장에 속하나요?", "대한민국 헌법 제{n}조가 들어 있는 장은 무엇인가요?")


def articles() -> list[tuple[int, str, str]]:
    """(number, chapter, text) of each article, its paragraphs joined."""
    out: list[list] = []
    for chapter, text in load_constitution(corpus_dir() / "kolaw" / "constitution.txt"):
        m = re.match(r"제(\d+)조 ", text)
        if m:
            out.append([int(m.group(1)), chapter, text])
        elif out:
            out[-1][2] += "\n" + text
    return [(n, c, t) for n, c, t in out]


def examples() -> list[dict]:
    rows = []
    for n, chapter, text in articles():
        body = re.sub(r"^제\d+조\s*", "", text)
        rows.append({"instruction": ASK_TEXT[n % len(ASK_TEXT)].format(n=n), "input": "", "output": text})
        rows.append({"instruction": ASK_NUMBER[n % len(ASK_NUMBER)], "input": body.split("\n")[0],
                     "output": f"대한민국 헌법 제{n}조입니다."})
        rows.append({"messages": [{"role": "user", "content": ASK_CHAPTER[n % len(ASK_CHAPTER)].format(n=n)},
                                  {"role": "assistant", "content": f"{chapter}에 속합니다."}]})
    return rows


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"train": open(out / "train.jsonl", "w", encoding="utf-8"),
             "val": open(out / "val.jsonl", "w", encoding="utf-8")}
    counts = {"train": 0, "val": 0}
    for row in examples():
        key = json.dumps(row, ensure_ascii=False, sort_keys=True)
        split = "val" if hashlib.blake2b(key.encode(), digest_size=8).digest()[0] < 13 else "train"
        files[split].write(json.dumps(row, ensure_ascii=False) + "\n")
        counts[split] += 1
    for f in files.values():
        f.close()
    print(f"instructions: {out}/train.jsonl ({counts['train']}), {out}/val.jsonl ({counts['val']})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
