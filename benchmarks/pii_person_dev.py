"""A development set for person names by context: the ways Korean text mentions people, each
a form, inserted into real text from the development half of ../shared/data.

The PII development set (pii_labeled.py) draws its people from Faker and puts most of them
before a title. The blind set showed that names with less context are where the rule misses:
a bare name and its particle, a given name alone in chat, a foreign name in Hangul with no
title, ages and organisations between name and title. This set has those forms, with names
from lists written here (surnames by frequency, given names of several generations, native
and one-syllable names, foreign names as Korean press writes them), so that the rule is tuned
on them here and measured on the blind set only at the end.

    .venv/bin/python benchmarks/pii_person_dev.py                 # per-form recall, misses
    .venv/bin/python benchmarks/pii_person_dev.py --write build/bench/pii/person_dev.jsonl

The written set has the blind set's JSON Lines layout, so `bench_pii.py --set` reads it; its
carrier text is real and its people are not labeled, so precision is counted on the inserted
sentences only (here) and the carrier's hits are reported apart.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pii_labeled as lab  # noqa: E402
from blind.common import pool  # noqa: E402

# Surnames with rough shares of the population (per mille).
SURNAMES = {"김": 215, "이": 147, "박": 84, "최": 47, "정": 44, "강": 23, "조": 21, "윤": 21, "장": 20, "임": 17,
            "한": 15, "오": 15, "서": 15, "신": 14, "권": 14, "황": 14, "안": 13, "송": 13, "전": 11, "홍": 11,
            "유": 10, "고": 9, "문": 9, "양": 9, "손": 9, "배": 8, "백": 8, "허": 6, "남": 5, "심": 5, "노": 4,
            "하": 4, "곽": 4, "성": 4, "차": 4, "주": 4, "우": 4, "구": 4, "민": 3, "류": 3, "나": 3, "진": 3,
            "지": 3, "엄": 3, "채": 3, "원": 3, "천": 2, "방": 2, "공": 2, "현": 2, "함": 2, "변": 2, "염": 2,
            "여": 1, "추": 1, "도": 1, "소": 1, "석": 1, "선": 1, "설": 1, "마": 1, "길": 1, "연": 1, "위": 1,
            "표": 1, "명": 1, "기": 1, "반": 1, "왕": 1, "금": 1, "옥": 1, "육": 1, "인": 1, "맹": 1, "탁": 1,
            "남궁": 1, "황보": 1, "제갈": 1, "선우": 1, "독고": 1}
GIVEN = ("영수 영호 영식 영철 정수 정호 성수 성호 상철 상훈 상민 동현 동훈 동욱 재현 재훈 재민 준호 준영 준혁 민수 "
         "민호 민준 민재 민성 지훈 지호 지성 성민 성진 현우 현수 현준 승현 승민 승우 태현 우진 건우 도윤 서준 하준 "
         "시우 주원 예준 은우 유준 지환 준서 도현 이준 수호 정우 은호 시윤 윤호 진우 종민 종현 병철 병훈 경수 경호 "
         "광수 광호 용수 석진 석훈 기현 기훈 대현 대호 형준 희철 철수 순철 영희 영숙 영자 정희 정숙 정미 순자 순희 "
         "미경 미영 미숙 은정 은영 은주 은희 지영 지은 지현 지혜 수진 수연 수정 혜진 혜원 혜린 민지 민정 서연 서윤 "
         "서현 지우 하윤 하은 수빈 예린 예은 채원 지원 유진 다은 소연 소윤 윤서 지안 아린 나연 가은 시은 예서 수아 "
         "지유 유나 하린 채윤 은서 연우 다인 서아 소희 현정 선영 선희 경희 경숙 명숙 옥순 말순 춘자 미란 혜숙 인숙 "
         "태희 보영 진영 연희 주희 가영 세영 은비 해진 규리 나은 승희 재희 태윤 민혁 준기 원석 창민 상욱 기태").split()
NATIVE = ("하늘 슬기 보람 나래 한결 아름 다운 빛나 누리 가람 초롱 이슬 새롬 하람 솔비 다솜 한별 은별 나리 단비 "
          "고은 바다 한울 한솔 아라 라온 다온 도담 마루 로운 시온 온유 하랑 해솔 새벽 가온 여름 보라 꽃님").split()
SINGLE = list("구황준훈철석윤혁민현진호웅결솔별율찬건완란숙")
FOREIGN_FULL = ("도널드 트럼프|조 바이든|버락 오바마|에마뉘엘 마크롱|앙겔라 메르켈|올라프 숄츠|블라디미르 푸틴|"
                "일론 머스크|빌 게이츠|마크 저커버그|팀 쿡|워런 버핏|톰 크루즈|브래드 피트|테일러 스위프트|"
                "리오넬 메시|제임스 하워드|에밀리 카터|토마스 뮐러|소피 마르탱|카를로스 로드리게스|나탈리아 페트로바|"
                "다나카 히로시|스즈키 이치로|사토 유키|응우옌 반 안|마리아 곤살레스|알렉산더 해밀턴|올리비아 존슨|"
                "데이비드 베컴|존 레논|피터 드러커|제니퍼 로페즈|안드레아스 슈미트|이반 페트로프|하산 알리").split("|")
FOREIGN_GIVEN = "제임스 마이클 데이비드 존 사라 에밀리 제시카 안나 마리아 토마스 알렉스 다니엘 올리비아 소피아 루카스".split()
BANKS = ["국민은행", "신한은행", "우리은행", "하나은행", "농협", "카카오뱅크", "기업은행"]

# {p} a Korean full name, {n} a native given name with a surname, {s} a one-syllable given name
# with a surname, {g} a given name alone, {f} a foreign name; [이] [은] [을] [과] [아] [이가]
# [이는] [랑] pick the particle for the value's last syllable.
FORMS = {
    "bare": ["{p}[이] 말했다.", "{p}[과] {p}[이] 함께 참석했다.", "참석자: {p}, {p}, {p}", "이 책은 {p}[이] 썼다.",
             "어제 {p}한테 전화가 왔다.", "{p}에게 상을 수여했다.", "{p}도 그 자리에 있었다.", "{p}[은] 1990년에 태어났다.",
             "그때 {p}[을] 처음 만났다.", "{p}의 집에서 모였다.", "우승은 {p}, 준우승은 {p}.", "{p}[랑] 같이 갔어요.",
             "{p} 외 3명이 입건됐다.", "감독 {p}, 주연 {p}", "{p}(이)라는 사람을 아세요?"],
    "bare_native": ["{n}[이] 발표를 맡았다.", "{n}[과] 점심을 먹었다.", "{n}의 그림이 전시됐다.", "{n}에게 물어보세요."],
    "bare_single": ["{s}[이] 쓴 글이다.", "{s}의 시를 읽었다.", "{s}[과] 함께 일했다.", "{s} 선생의 뜻을 기렸다."],
    "given_familiar": ["{g}[이는] 오늘 학교에 안 왔어.", "{g}[이가] 그러는데 내일 비 온대.", "{g}[랑] 놀이터에서 놀았어.",
                       "{g}한테 물어봐.", "어제 {g}[이를] 만났어.", "{g}[이도] 온대.", "우리 {g}[이는] 벌써 세 살이에요.",
                       "{g}네 집에 갔다 왔어."],
    "given_vocative": ["{g}[아], 밥 먹자.", "{g}[아] 어디야?", "야 {g}[아]!", "{g}[아]~ 생일 축하해!", "사랑하는 {g}에게",
                       "{g}[아] 고마워.", "{g}[아] 잘 자."],
    "honorific": ["{p} 씨에게 연락드렸습니다.", "{p}님께서 답변하셨습니다.", "{p} 님, 주문하신 상품이 발송되었습니다.",
                  "{p} 선생님은 은퇴하셨다.", "{p} 씨가 전화를 받았다.", "{p}님의 문의에 답변드립니다.", "{p} 여사가 기부했다.",
                  "{g} 씨, 잠깐 시간 돼요?", "{g}님 감사합니다.", "{p} 씨였다.", "{p} 님이셨어요.", "{p} 씨와의 약속",
                  "{p}님에게서 연락이 왔다."],
    "title_after": ["{p} 교수님이 강의하셨다.", "{p} 과장님께 보고했다.", "{p} 대리가 맡는다.", "{p} 원장은 밝혔다.",
                    "{p} 팀장님 안녕하세요.", "{p} 기자 (kimnews@)", "{p} 변호사는 주장했다.", "{p} 작가의 신작", "{p} 감독이 말했다.",
                    "{p} 주무관에게 문의 바랍니다.", "{p} 목사가 설교했다.", "{p} 선수가 골을 넣었다.",
                    "당시 담당자는 {p} 과장이었다.", "{p} 교수였던 그는", "{p} 대표로 일했다.", "{p} 기자와의 인터뷰",
                    "{p} 선생님이셨다.", "{p} 의원이라는 사람"],
    "title_org_after": ["{p} 삼성전자 부사장은 밝혔다.", "{p} 한국개발연구원 연구위원은 분석했다.", "{p} 서울시 대변인이 발표했다.",
                        "{p} 국민의힘 의원은 비판했다.", "{p} 연세대 경제학과 교수는 말했다.", "{p} 경기도교육청 장학사가 설명했다."],
    "org_title": ["서울대 {p} 교수 연구팀", "민주당 {p} 의원실", "KB국민은행 {p} 부행장", "한국은행 {p} 총재는", "경찰청 {p} 경위가 답했다."],
    "age_paren": ["{p}(35) 씨는 말했다.", "{p}(42·회사원)씨가 다쳤다.", "{p}(28) 대표는 밝혔다.", "{p}(만 31세)", "{p}(56, 자영업)",
                  "회사원 {p}(33)씨", "{p}(여·45) 씨가 신고했다.", "{p}(17)양이 입상했다."],
    "mo_ssi": ["{sur}모(35)씨가 붙잡혔다.", "{sur} 모씨는 진술했다.", "{sur}모 씨의 변호인", "피의자 {sur}모(42·무직) 씨"],
    "field_label": ["성명: {p}", "이름 {p}", "담당자: {p}", "작성자 {p}", "보호자 성함: {p}", "신청인 {p} (인)", "수령인: {p}"],
    "account_holder": ["{bank} 123-456-789012 예금주 {p}", "입금자명: {p}", "{bank} 110-234-567890 ({p})", "예금주: {p}"],
    "foreign_hangul": ["{f}[이] 내한했다.", "{f}의 신작이 개봉했다.", "{f}[과] 만났다.", "{f}[은] 이렇게 말했다.",
                       "{fg}[이] 영어를 가르친다.", "어제 {fg}[을] 만났어."],
    "foreign_hangul_title": ["{f} 감독의 영화", "{f} 전 대통령", "{f} 미국 국무장관은", "{f} 최고경영자(CEO)는", "{f} 교수는 설명했다.",
                             "{f} 씨가 입국했다.", "{f} 선수가 이적했다."],
}
_PARTICLES = {"이": ("이", "가"), "은": ("은", "는"), "을": ("을", "를"), "과": ("과", "와"), "아": ("아", "야"),
              "이가": ("이가", "가"), "이는": ("이는", "는"), "이를": ("이를", "를"), "이도": ("이도", "도"), "랑": ("이랑", "랑")}
_SLOT = re.compile(r"\{(\w+)\}(?:\[(\w+)\])?")


def _has_coda(word: str) -> bool:
    ch = word[-1]
    return "가" <= ch <= "힣" and (ord(ch) - 0xAC00) % 28 != 0


def _surname(rng: random.Random) -> str:
    return rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]


def _value(rng: random.Random, slot: str) -> str:
    if slot == "p":
        return _surname(rng) + rng.choice(GIVEN)
    if slot == "n":
        return _surname(rng) + rng.choice(NATIVE)
    if slot == "s":
        return _surname(rng) + rng.choice(SINGLE)
    if slot == "g":
        return rng.choice(GIVEN + NATIVE[:10])
    if slot == "f":
        return rng.choice(FOREIGN_FULL)
    if slot == "fg":
        return rng.choice(FOREIGN_GIVEN)
    raise KeyError(slot)


def render(rng: random.Random, template: str) -> tuple[str, list[tuple[int, int]]]:
    out, spans, last = "", [], 0
    for m in _SLOT.finditer(template):
        out += template[last:m.start()]
        slot, part = m.groups()
        if slot == "sur":
            value, labeled = _surname(rng), True
        elif slot == "bank":
            value, labeled = rng.choice(BANKS), False
        else:
            value, labeled = _value(rng, slot), True
        if labeled:
            # 김모(35)씨: the surname and 모 together are the span.
            after = template[m.end():m.end() + 2]
            extra = 0 if slot != "sur" else 1 if after[:1] == "모" else 2
            end = len(out) + len(value) + extra
            spans.append((len(out), end))
        out += value
        if part:
            with_coda, without = _PARTICLES[part]
            out += with_coda if _has_coda(value) else without
        last = m.end()
    return out + template[last:], spans


def build(n_docs: int, seed: int) -> list[dict]:
    """Documents of one to four real sentences from the development half of the petitions and
    the news comments, with one or two person sentences inserted at sentence boundaries."""
    rng = random.Random(seed)
    carriers = [d["text"] for i, d in enumerate(lab.read_jsonl(lab.PETITIONS)) if pool(lab.PETITIONS.name, i) == "dev"]
    carriers = [t for t in carriers if not lab.might_hold_pii(t)]
    forms = sorted(FORMS)
    docs = []
    for i in range(n_docs):
        units = lab.sentences(rng.choice(carriers))
        k = rng.randrange(max(1, len(units) - 3))
        units = units[k:k + rng.randint(1, 4)]
        inserts = []
        for _ in range(rng.choice([1, 1, 2])):
            form = forms[(i + len(inserts)) % len(forms)] if rng.random() < 0.7 else rng.choice(forms)
            inserts.append((rng.randrange(len(units) + 1), form, *render(rng, rng.choice(FORMS[form]))))
        text, spans, inserted = "", [], []
        for pos in range(len(units) + 1):
            for at, form, sentence, sent_spans in inserts:
                if at == pos:
                    base = len(text) + (1 if text and not text[-1].isspace() else 0)
                    text += (" " if base > len(text) else "") + sentence + " "
                    spans += [{"start": base + s, "end": base + e, "type": "person", "form": form} for s, e in sent_spans]
                    inserted.append([base, base + len(sentence)])
            if pos < len(units):
                text += units[pos][0] + (units[pos][1] or " ")
        docs.append({"id": f"person-dev-{i:05d}", "text": text, "spans": spans, "inserted": inserted})
    return docs


def evaluate(docs: list[dict], show: int, carrier: int = 0) -> dict:
    from kopile.filters.pii.scrubber import PiiScrubber

    scrubber = PiiScrubber(entities=["person"])
    gold_n, hit, misses = Counter(), Counter(), defaultdict(list)
    fp_inserted, fp_carrier, predicted_inserted, fp_examples, carrier_examples = 0, 0, 0, [], []
    for doc in docs:
        text = doc["text"]
        found = {(s.start, s.end) for s in scrubber.analyze(text)}
        gold = {(sp["start"], sp["end"]): sp["form"] for sp in doc["spans"]}
        for (s, e), form in gold.items():
            gold_n[form] += 1
            if (s, e) in found:
                hit[form] += 1
            else:
                near = [text[a:b] for a, b in found if a < e and b > s]
                misses[form].append(f"{text[max(0, s - 12):s]}⟦{text[s:e]}⟧{text[e:e + 12]}  found: {near}")
        for s, e in found - set(gold):
            if any(a <= s < b for a, b in doc["inserted"]):
                fp_inserted += 1
                fp_examples.append(f"{text[max(0, s - 12):s]}«{text[s:e]}»{text[e:e + 12]}")
            else:
                fp_carrier += 1
                carrier_examples.append(f"{text[max(0, s - 12):s]}«{text[s:e]}»{text[e:e + 12]}".replace("\n", " "))
        predicted_inserted += sum(1 for s, e in found if any(a <= s < b for a, b in doc["inserted"]))
    for form in sorted(gold_n, key=lambda f: hit[f] / gold_n[f]):
        print(f"{form:22s} {hit[form]:4d}/{gold_n[form]:4d}  {hit[form] / gold_n[form]:.3f}")
        for line in misses[form][:show]:
            print("    miss", line)
    total, found_total = sum(gold_n.values()), sum(hit.values())
    precision = (predicted_inserted - fp_inserted) / max(1, predicted_inserted)
    print(f"recall {found_total / total:.3f} ({found_total}/{total}); precision in inserted sentences {precision:.3f} "
          f"({fp_inserted} false); hits in carrier text {fp_carrier} ({1000 * fp_carrier / len(docs):.0f} per 1,000 docs)")
    for line in fp_examples[:show * 3]:
        print("    fp", line)
    for line in random.Random(0).sample(carrier_examples, min(len(carrier_examples), carrier)):
        print("    carrier", line)
    return {"recall": found_total / total, "precision_inserted": precision, "carrier_hits": fp_carrier}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--show", type=int, default=4, help="missed examples per form")
    ap.add_argument("--carrier", type=int, default=0, help="hits in the (unlabeled, real) carrier text to show")
    ap.add_argument("--write", type=Path, help="write the set as JSON Lines instead of evaluating")
    args = ap.parse_args(argv)
    lab.require_shared()
    docs = build(args.docs, args.seed)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
        print(f"{len(docs)} documents, {sum(len(d['spans']) for d in docs)} names -> {args.write}")
        return 0
    evaluate(docs, args.show, args.carrier)
    return 0


if __name__ == "__main__":
    sys.exit(main())
