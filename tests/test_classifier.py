"""fastText classifiers: training (floret, saved as plain fastText), the model card, the
`classifier` stage (thresholds per document, `keep_top` over the whole corpus)."""
import gzip
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, SHARED_DATA, read_dir, run_config, write_shard

GOOD = ["오늘은 날씨가 맑고 공원에서 산책을 했습니다", "도서관에서 역사책을 빌려 읽었다", "친구와 함께 박물관 전시를 보았다",
        "아침에 일찍 일어나 운동을 하였다", "새로운 요리법으로 된장찌개를 끓였다", "가족과 저녁 식사를 하며 이야기를 나눴다"]
BAD = ["바카라 카지노 먹튀 보증 가입 즉시 지급", "무료 충전 토토 사이트 꽁머니 이벤트", "대출 당일 승인 무직자 가능 상담",
       "성인 만남 채팅 무료 가입 즉시", "카지노 토토 배팅 환전 보장", "무직자 대출 신용 불량 당일 입금"]


def _examples(n=20):
    good = [f"{t} {i}번째 이야기" for i in range(n) for t in GOOD]
    bad = [f"{t} {i}번 문의" for i in range(n) for t in BAD]
    return good, bad


def _write_jsonl(path, rows, compress=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def _config(tmp_path, **extra):
    from kopile.pipeline.classifier_train import ClassifierConfig

    good, bad = _examples()
    pq.write_table(pa.table({"text": good}), tmp_path / "good.parquet")
    _write_jsonl(tmp_path / "bad.jsonl.gz", [{"body": t} for t in bad], compress=True)
    data = {"output": str(tmp_path / "model"), "positive": "good",
            "sources": [{"path": str(tmp_path / "good.parquet"), "label": "good"},
                        {"path": str(tmp_path / "bad.jsonl.gz"), "label": "bad", "text_column": "body"}],
            "model": {"epoch": 10, "lr": 0.5, "dim": 16, "minn": 1, "maxn": 2, "bucket": 10000}, **extra}
    return ClassifierConfig.model_validate(data)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from kopile.pipeline.classifier_train import train_classifier

    tmp = tmp_path_factory.mktemp("clf")
    config = _config(tmp)
    return config, train_classifier(config)


def test_training_round_trip_and_card(trained):
    from kopile.filters.classifier import FastTextScorer, Preprocess

    config, card = trained
    assert card["labels"] == ["bad", "good"] and card["positive"] == ["good"]
    assert sum(card["data"]["train"].values()) + sum(card["data"]["validation"].values()) == 240
    assert card["data"]["sources"][1] == {"path": config.sources[1].path, "read": 120, "used": 120, "empty_text": 0,
                                          "label_dropped": 0, "labels": {"bad": 120}}
    assert card["validation"]["binary"]["f1"] > 0.9 and card["validation"]["binary"]["roc_auc"] > 0.95
    assert card["deterministic"] is True and card["trainer"].startswith("floret")
    scorer = FastTextScorer(f"{config.output}/model.bin", Preprocess(**card["preprocess"]))
    good = scorer.probabilities("공원에서 친구와 산책을 하며 이야기를 나눴다")
    bad = scorer.probabilities("카지노 토토 꽁머니 무료 충전")
    assert set(good) == {"good", "bad"} and abs(sum(good.values()) - 1) < 1e-3
    assert good["good"] > 0.5 > bad["good"]


def test_saved_model_is_plain_fasttext_with_floret_predictions(trained, tmp_path):
    """The file is read by the `fasttext` module language identification uses, and gives the
    probabilities floret itself gives, subwords of unseen words included."""
    import fasttext
    import floret

    from kopile.pipeline.classifier_train import floret_to_fasttext

    config, _ = trained
    plain = fasttext.load_model(f"{config.output}/model.bin")
    original = floret.train_supervised(str(_lines(tmp_path)), epoch=3, dim=8, minn=1, maxn=3, wordNgrams=2,
                                       bucket=1000, thread=1, seed=0, verbose=0, mode="fasttext")
    original.save_model(str(tmp_path / "f.bin"))
    (tmp_path / "plain.bin").write_bytes(floret_to_fasttext((tmp_path / "f.bin").read_bytes()))
    converted = fasttext.load_model(str(tmp_path / "plain.bin"))
    for text in ["산책 이야기", "꽁머니 토토", "처음 보는 단어들뿐", ""]:
        labels, probs = converted.predict(text, k=-1)
        expected = original.f.predict(text + "\n", -1, 0.0, "strict")
        assert [(round(p, 6), label) for p, label in expected] == [(round(p, 6), l) for l, p in zip(labels, probs)]
    assert plain.predict("산책", k=1)[0]
    with pytest.raises(RuntimeError, match="unexpected floret model header"):
        floret_to_fasttext((tmp_path / "plain.bin").read_bytes())


def _lines(tmp_path):
    good, bad = _examples(5)
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"__label__g {t}\n" for t in good) + "".join(f"__label__b {t}\n" for t in bad))
    return path


def test_training_is_deterministic(trained, tmp_path):
    from kopile.pipeline.classifier_train import train_classifier

    config, card = trained
    again = train_classifier(config.model_copy(update={"output": str(tmp_path / "again")}))
    assert (tmp_path / "again" / "model.bin").read_bytes() == (ROOT / config.output / "model.bin").read_bytes()
    assert again == card
    reseeded = train_classifier(config.model_copy(update={"output": str(tmp_path / "seed1"), "seed": 1}))
    assert reseeded["model_sha256"] != card["model_sha256"]


def test_language_identification_unchanged_with_floret_installed():
    """floret installs its own module: `fasttext` is still the one that loads lid.176."""
    import fasttext
    import floret  # noqa: F401

    from kopile.filters.langid import LangIdFilter

    assert "floret" not in fasttext.__file__
    f = LangIdFilter(model="lid176")
    assert f.identify("The quick brown fox jumps over the lazy dog near the river bank.")[0] == "en"
    assert f.identify("今日はとても良い天気ですね。散歩に行きましょう。")[0] == "ja"
    assert f.identify("Der schnelle braune Fuchs springt über den faulen Hund.")[0] == "de"
    assert f.keep(f.score("오늘은 날씨가 좋아서 공원에 갔습니다."))[0]


def test_labelled_source_with_label_map(tmp_path):
    from kopile.pipeline.classifier_train import ClassifierConfig, train_classifier

    good, bad = _examples(10)
    rows = [{"text": t, "y": "ok"} for t in good] + [{"text": t, "y": "spam" if i % 2 else "ad"} for i, t in enumerate(bad)]
    rows += [{"text": "", "y": "ok"}, {"text": "버려질 문서", "y": "unsure"}]
    _write_jsonl(tmp_path / "l.jsonl", rows)
    config = ClassifierConfig.model_validate({
        "output": str(tmp_path / "m"), "positive": ["junk"],
        "sources": [{"path": str(tmp_path / "l.jsonl"), "label_column": "y",
                     "label_map": {"spam": "junk", "ad": "junk", "unsure": None}}],
        "model": {"epoch": 5, "dim": 8, "bucket": 1000}})
    card = train_classifier(config)
    assert card["labels"] == ["junk", "ok"]
    assert card["data"]["sources"][0] | {"path": None} == {"path": None, "read": 122, "used": 120, "empty_text": 1,
                                                        "label_dropped": 1, "labels": {"junk": 60, "ok": 60}}


@pytest.mark.parametrize("rows, error", [
    ([{"text": "a", "y": "x y"}], "label 'x y' is empty or has a space"),
    ([{"txt": "a", "y": "x"}], "line 1: no key 'text'"),
])
def test_bad_input_names_the_file_and_line(tmp_path, rows, error):
    from kopile.core.errors import InputError
    from kopile.pipeline.classifier_train import ClassifierConfig, train_classifier

    path = _write_jsonl(tmp_path / "l.jsonl", rows)
    config = ClassifierConfig.model_validate({"output": str(tmp_path / "m"), "positive": "x",
                                              "sources": [{"path": str(path), "label_column": "y"}]})
    with pytest.raises(InputError, match=error) as e:
        train_classifier(config)
    assert str(path) in str(e.value)


def test_cli_trains_and_reports_config_errors(tmp_path):
    good, bad = _examples(5)
    pq.write_table(pa.table({"text": good + bad, "label": ["good"] * len(good) + ["bad"] * len(bad)}),
                   tmp_path / "l.parquet")
    config = tmp_path / "c.yaml"
    config.write_text(f"output: {tmp_path / 'out'}\npositive: good\nsources:\n  - path: {tmp_path / 'l.parquet'}\n"
                      "    label_column: label\nmodel: {epoch: 3, dim: 8, bucket: 1000}\n")
    done = subprocess.run([sys.executable, "-m", "kopile.cli", "train-classifier", str(config)], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "validation (" in done.stdout and (tmp_path / "out" / "model_card.json").is_file()
    config.write_text(f"output: {tmp_path / 'out'}\npositive: good\nsources:\n  - path: {tmp_path / 'l.parquet'}\n"
                      "    label: good\n    label_column: label\n")
    bad_run = subprocess.run([sys.executable, "-m", "kopile.cli", "train-classifier", str(config)], capture_output=True,
                             text=True, cwd=ROOT)
    assert bad_run.returncode == 2 and "give exactly one of `label`" in bad_run.stderr
    assert "Traceback" not in bad_run.stderr


# The stage.

def _corpus(tmp_path, shards=3):
    good, bad = _examples(3)
    texts = good + bad + ["", None]
    folder = tmp_path / "in"
    for s in range(shards):
        part = texts[s::shards]
        write_shard(folder / f"s{s}.parquet", part, id=[f"{s}-{i}" for i in range(len(part))])
    return folder, texts


def _model(trained):
    config, _ = trained
    return f"{config.output}/model.bin"


def test_stage_thresholds_conserve_and_give_reasons(trained, tmp_path):
    from kopile.pipeline.jobs.run import Runner
    from kopile.pipeline.stages.classifier import ClassifierStage

    folder, texts = _corpus(tmp_path)
    stages = [{"classifier": {"models": [{"name": "quality", "path": _model(trained), "min_score": 0.5},
                                         {"name": "spam", "path": _model(trained), "labels": ["bad"],
                                          "max_score": 0.99, "reason": "spammy"}]}}]
    assert not ClassifierStage.decided_globally(run_config(folder, tmp_path / "o", stages).stages[0].params)
    summary = Runner(run_config(folder, tmp_path / "o", stages), progress=False).run(_local())
    kept, removed = read_dir(tmp_path / "o" / "01_classifier" / "kept"), read_dir(tmp_path / "o" / "01_classifier" / "removed")
    assert kept.num_rows + removed.num_rows == len(texts)
    reasons = removed.column("reason").to_pylist()
    assert reasons.count("null_text") == 1
    # Every spam text and the empty one score low; every good one is kept.
    low = {t for t, r in zip(removed.column("text").to_pylist(), reasons) if r == "low_quality_score"}
    assert low == {t for t in texts if t is not None and not any(t.startswith(g) for g in GOOD)}
    assert set(reasons) <= {"null_text", "low_quality_score", "spammy"}
    assert all(v >= 0.5 for v in kept.column("classifier_quality").to_pylist())
    assert {"classifier_quality_good", "classifier_quality_bad", "classifier_spam", "classifier_spam_bad"} \
        <= set(kept.column_names)
    stage = summary["stages"][0]
    assert stage["rows_in"] == len(texts) and stage["kept"] == kept.num_rows


def _local():
    from kopile.pipeline.jobs.executor import LocalExecutor

    return LocalExecutor()


def test_keep_top_is_global_and_the_same_with_one_and_two_workers(trained, tmp_path, ray_session):
    from kopile.pipeline.jobs.executor import RayExecutor
    from kopile.pipeline.jobs.run import Runner

    folder, texts = _corpus(tmp_path, shards=4)
    stages = [{"classifier": {"models": [{"name": "quality", "path": _model(trained), "keep_top": 0.3}]}}]
    outs = {}
    for name, executor in (("one", _local()), ("two", RayExecutor(num_cpus=2))):
        Runner(run_config(folder, tmp_path / name, stages), progress=False).run(executor)
        outs[name] = {p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                      for p in sorted((tmp_path / name).rglob("*.parquet")) if "_work" not in p.parts}
    assert outs["one"] == outs["two"]
    kept = read_dir(tmp_path / "one" / "01_classifier" / "kept")
    removed = read_dir(tmp_path / "one" / "01_classifier" / "removed")
    scored = len(texts) - 1
    assert kept.num_rows == -(-3 * scored // 10)                       # ceil(0.3 x scored)
    cut = min(kept.column("classifier_quality").to_pylist())
    others = [v for v, r in zip(removed.column("classifier_quality").to_pylist(), removed.column("reason").to_pylist())
              if r == "low_quality_score"]
    assert len(others) == scored - kept.num_rows and max(others) <= cut
    # The shards kept differ: the decision is over the corpus, not a share of each shard.
    per_shard = [pq.read_metadata(p).num_rows for p in sorted((tmp_path / "one" / "01_classifier" / "kept").glob("*"))]
    assert len(set(per_shard)) > 1 or sum(per_shard) == kept.num_rows


@pytest.mark.parametrize("model, error", [
    ({"name": "q", "path": "nowhere.bin", "min_score": 0.5}, "no model file at nowhere.bin"),
    ({"name": "q", "path": "MODEL", "min_score": 0.5, "keep_top": 0.2}, "give one of min_score, max_score and keep_top"),
    ({"name": "q", "path": "MODEL", "labels": ["nope"]}, r"labels \['nope'\] are not the model's"),
    ({"name": "Q!", "path": "MODEL"}, "name"),
    ({"name": "q", "path": "MODEL", "sha256": "0" * 64}, "has SHA-256"),
])
def test_stage_config_errors(trained, tmp_path, model, error):
    from kopile.core.errors import ConfigError

    model = {k: _model(trained) if v == "MODEL" else v for k, v in model.items()}
    with pytest.raises(ConfigError, match=error):
        run_config(tmp_path, tmp_path / "o", [{"classifier": {"models": [model]}}])


@pytest.mark.skipif(not (SHARED_DATA / "hate_speech").is_dir(), reason="../shared/data is absent")
def test_toxicity_recipe_on_real_comments(tmp_path):
    """The recipe's settings on a small share of the labelled comments: the model separates
    toxic from clean well above chance on its own validation split."""
    from kopile.pipeline.classifier_train import ClassifierConfig, train_classifier

    import yaml

    recipe = yaml.safe_load((ROOT / "benchmarks" / "classifier" / "toxicity.yaml").read_text())
    recipe["sources"] = recipe["sources"][:1]
    recipe["sources"][0]["path"] = str(SHARED_DATA / "hate_speech" / "labeled_train.jsonl.gz")
    recipe["sources"][0]["max_docs"] = 3000
    recipe["output"] = str(tmp_path / "tox")
    card = train_classifier(ClassifierConfig.model_validate(recipe))
    assert card["labels"] == ["hate", "none", "offensive"]
    assert card["validation"]["binary"]["roc_auc"] > 0.75
