"""What can go wrong in a job, by whose fault, so that each is handled once.

- `InputError`: the data is bad (an unreadable shard, a missing column, repeated ids). It is
  recorded against the shard or file and the run goes on with the others.
- `OutputError`: the machine cannot hold the outputs (disk full, read-only, a path that is
  a file). Nothing is wrong with the data or the code: the run stops and names the path, and
  a re-run after the cause is fixed resumes.
- anything else raised by a stage is a bug: it is recorded with its traceback and fails the
  stage.
"""
from __future__ import annotations


class KopileError(Exception):
    """An error whose message is meant for the user as it is (no traceback)."""


class ConfigError(KopileError, ValueError):
    """A config file or value that cannot be used; the message names the file and the key."""


class InputError(KopileError, ValueError):
    """Input that does not fit the document schema; the message names the file, row or column."""


class OutputError(KopileError, OSError):
    """An output that cannot be written; the message names the path and the cause."""

    def __init__(self, path, cause: BaseException | str):
        reason = cause if isinstance(cause, str) else (getattr(cause, "strerror", None) or str(cause))
        super().__init__(f"cannot write {path}: {reason}")
        self.path = str(path)


class ConservationError(KopileError, RuntimeError):
    """A stage lost or invented rows: rows in != kept + removed."""


class OutputConflict(KopileError, RuntimeError):
    """An output directory holds results of other settings; they are never mixed."""


class RunFailed(KopileError, RuntimeError):
    """Some shards or files failed; `summary` holds the figures of what did finish."""

    def __init__(self, message: str, errors: list[str], summary: dict | None = None):
        super().__init__(message)
        self.errors = errors
        self.summary = summary


def error_entry(entry: dict, error: BaseException) -> dict:
    """A task's manifest entry marked failed by `error`, with the kind that decides what the
    job does next: `input` (recorded, the job goes on), `output` or `bug` (the job stops)."""
    import traceback

    if isinstance(error, InputError):
        kind, message = "input", str(error)
    elif isinstance(error, OutputError):
        kind, message = "output", str(error)
    else:
        kind, message = "bug", f"{type(error).__name__}: {error}"
        entry["traceback"] = traceback.format_exc()
    entry.update(status="error", kind=kind, error=message)
    return entry
