"""Progress where stderr is not a terminal: log lines, not silence."""
import io

from kopile.pipeline.jobs import engine


def test_log_progress_lines_with_rate_and_time_left(monkeypatch):
    clock = iter([0.0, 10.0, 20.0, 40.0, 60.0])
    monkeypatch.setattr(engine.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    bar = engine.LogProgress("02_langid", "shard", total=8, initial=2, every=15, stream=out)
    bar.update(1, 1000)   # t=10: too soon for a line
    bar.update(1, 1000)   # t=20: a line
    bar.update(2, 2000)   # t=40: a line
    bar.close()           # t=60: the last line
    lines = out.getvalue().splitlines()
    assert lines[0] == "02_langid: 4/8 shards, 100 docs/s, elapsed 0m20s, left 0m40s"
    assert lines[1] == "02_langid: 6/8 shards, 100 docs/s, elapsed 0m40s, left 0m20s"
    assert lines[2].startswith("02_langid: 6/8 shards") and len(lines) == 3


def test_progress_is_logged_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(engine.sys.stderr, "isatty", lambda: False, raising=False)
    monkeypatch.setenv("KOPILE_PROGRESS_SECONDS", "5")
    bar = engine.progress_bar("01_normalize", "shard", 4, 0, None)
    assert isinstance(bar, engine.LogProgress) and bar.every == 5
    assert not isinstance(engine.progress_bar("01_normalize", "shard", 4, 0, False), engine.LogProgress)
