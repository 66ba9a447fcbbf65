"""Config validation: a typo is an error that names the file and the key."""
import pytest

from kopile.cli import main
from kopile.pipeline.config import ConfigError, load_config

GOOD = """input: data/
output: out/
stages:
  - normalize: {max_chars: 5000}
  - langid: {languages: [ko], min_score: 0.7}
  - quality:
      mode: kiwi
      words: {min_words: 40}
      repetition: {dup_ngrams: {5: 0.2}}
"""


def write(tmp_path, body):
    path = tmp_path / "run.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_valid_config(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert [s.name for s in config.stages] == ["normalize", "langid", "quality"]
    assert config.stages[0].params["max_chars"] == 5000
    assert config.stages[1].params["languages"] == ("ko",)
    assert config.stages[2].params["words"]["min_words"] == 40
    assert config.stages[2].params["repetition"]["dup_ngrams"] == {5: 0.2}
    assert config.run.text_column == "text" and config.run.seed == 0


@pytest.mark.parametrize("body, message", [
    (GOOD.replace("min_words", "min_wrods"),
     "stages[2].quality.words.min_wrods: unknown key (did you mean 'min_words'?)"),
    (GOOD.replace("output:", "outptu:"), "outptu: unknown key (did you mean 'output'?)"),
    (GOOD.replace("- langid:", "- langdi:"), "stages[1].langdi: unknown stage (did you mean 'langid'?)"),
    (GOOD.replace("mode: kiwi", "mode: mecab"), "stages[2].quality.mode: Input should be 'eojeol' or 'kiwi'"),
    (GOOD.replace("min_score: 0.7", "min_score: high"), "stages[1].langid.min_score: Input should be a valid number"),
    (GOOD.replace("input: data/\n", ""), "input: required key is missing"),
    (GOOD.replace("max_chars: 5000", "max_chars: 5000, min_chars: 1, max_chras: 3"),
     "stages[0].normalize.max_chras: unknown key (did you mean 'max_chars'?)"),
    ("- just\n- a list\n", "the config must be a mapping"),
    ("input: [unclosed\n", "not valid YAML"),
])
def test_config_errors_name_file_and_key(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_cli_reports_config_typo_with_exit_2(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("min_words", "min_wrods"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "min_wrods" in err


def test_example_config_is_valid():
    from conftest import ROOT

    config = load_config(ROOT / "examples" / "sample.yaml")
    assert [s.name for s in config.stages] == ["normalize", "langid", "quality", "exact_dedup", "minhash_dedup",
                                              "ngram_repetition", "pii"]
