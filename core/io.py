"""Parquet shards: finding inputs, naming outputs, writing atomically, on a local disk or in an
object store (`storage`).

Every local output is written under a hidden temporary name and renamed into place when
complete, so that a crash never leaves a file that looks finished; an object appears only when
its upload completes. A write that fails for a reason of
the machine (disk full, read-only, a path that is a file) raises `OutputError`, which names
the path; the temporary file is removed.
"""
from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kopile.core import storage
from kopile.core.errors import InputError, OutputError
from kopile.core.storage import ObjectPath, at

COMPRESSION = "zstd"


def list_shards(spec: str | list[str], suffixes: tuple[str, ...] = (".parquet",),
                add_suffix: str = ".parquet") -> list[tuple[str, Path]]:
    """(shard name, path) for every input file, sorted by name.

    `spec` is a directory (every file below it ending in one of `suffixes`), a glob, a file,
    or a list of these.
    Names are paths relative to the directory or glob root with "/" turned into "__",
    so that two inputs never share an output name and names do not depend on the machine.
    """
    found: dict[str, Path] = {}
    for item, root, paths in _expand(spec, suffixes):
        for path in paths:
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            name = rel.replace("/", "__")
            if not name.endswith(add_suffix):
                name += add_suffix
            if name in found and found[name] != path:
                raise InputError(f"two inputs map to the shard name {name!r}: {found[name]} and {path}")
            found[name] = path
    if not found:
        kinds = " or ".join(suffixes)
        raise InputError(f"no {kinds} files found in {spec!r}" + _fused_hint(spec))
    return sorted(found.items())


def _fused_hint(spec) -> str:
    """Why a stage folder has no kept shards: it ran in one pass with later stages."""
    if not isinstance(spec, str):
        return ""
    entries = (read_json(Path(spec) / "_manifest.json", {}) or {}).get("shards") or {}
    later = {e.get("kept_in") for e in entries.values()} - {None}
    if not later:
        return ""
    return (f": this stage ran in one pass with the stages up to {sorted(later)[0]}, which wrote the kept "
            "documents; read that stage, or run with `materialize: all` to keep every stage's kept copy")


def input_roots(spec: str | list[str]) -> list[tuple[Path, bool]]:
    """What an input spec reads: (a path, whether everything below it is read). A directory is
    read to any depth, as is a glob with `**`; a file or a plain glob is not."""
    out = []
    for item, root, _ in _expand(spec, (), list_files=False):
        if os.path.isfile(item):
            out.append((Path(item), False))
        else:
            out.append((root, not glob.has_magic(item) or "**" in item))
    return out


def _expand(spec, suffixes, list_files: bool = True):
    for item in [spec] if isinstance(spec, str) else list(spec):
        if storage.is_uri(item):
            yield _expand_uri(str(item), suffixes, list_files)
            continue
        item = os.path.expanduser(str(item))
        if os.path.isdir(item):
            root = run_output(Path(item))
            paths = sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes)
                           and not p.name.startswith(".") and not _NEVER_INPUT & set(p.relative_to(root).parts[:-1])
                           ) if list_files else []
        elif glob.has_magic(item):
            root = Path(item.split("*")[0].split("?")[0].split("[")[0]).parent if "/" in item else Path(".")
            paths = sorted(Path(p) for p in glob.glob(item, recursive=True) if os.path.isfile(p)) if list_files else []
        elif os.path.isfile(item):
            root, paths = Path(item).parent, [Path(item)]
        else:
            raise InputError(f"input {item!r} is not a file, directory or matching glob")
        yield item, root, paths


# A stage's removed documents and its work files are outputs, never input, wherever they are.
_NEVER_INPUT = {"removed", "_work", "_ids"}


def _expand_uri(item: str, suffixes, list_files: bool):
    """`_expand` for an object store: a prefix (a folder), a glob, or one object."""
    path = at(item)
    if glob.has_magic(path.path):
        fixed = path.path.split("*")[0].split("?")[0].split("[")[0]
        root = ObjectPath(path.scheme, fixed.rsplit("/", 1)[0], path.query)
        pattern = path.path
        return item, root, [p for p in root.files() if fnmatch.fnmatchcase(p.path, pattern)] if list_files else []
    if path.is_file():
        return item, path.parent, [path]
    root = run_output(path)
    paths = [p for p in root.files() if p.name.lower().endswith(suffixes) and not p.name.startswith(".")
             and not _NEVER_INPUT & set(p.relative_to(root).parts[:-1])] if list_files else []
    if not paths and list_files and not path.exists():
        raise InputError(f"input {item!r} is not an object, a prefix with objects below it, or a matching glob")
    return item, root, paths


def run_output(folder: Path) -> Path:
    """The folder to read for `folder`: a kopile run directory (it has run.json) is read through
    its final/ output, written when the run finished; any other folder is itself."""
    if not (folder / "run.json").is_file() or not any(folder.glob("[0-9][0-9]_*")):
        return folder
    final = folder / "final" / "kept"
    if not (folder / "final" / "_manifest.json").is_file():
        raise InputError(f"{folder} is a kopile run directory without final/: the run did not finish; "
                         f"finish it, or point the input at one stage's kept/ folder")
    return final


def check_not_nested(inputs: list[tuple[Path, bool]], output: Path) -> None:
    """An output inside a folder that is read to any depth would be read back as input by the
    next run, and an input inside an output would be overwritten or cleaned: both are refused
    before any work."""
    out = at(output).expanduser().resolve()
    for root, recursive in inputs:
        root = at(root).expanduser().resolve()
        if type(root) is not type(out):  # one local, one in an object store
            continue
        if recursive and (out == root or out.is_relative_to(root)):
            raise InputError(f"the output {out} is inside the input {root}: a later run would read its own "
                             "outputs as input; choose an output directory outside the input")
        if root.is_relative_to(out):
            raise InputError(f"the input {root} is inside the output {out}: choose an output directory "
                             "that does not contain the input")


def prepare_dir(path: Path) -> Path:
    """`path` as a directory that exists and can be written, or an `OutputError` naming why not."""
    path = at(path)
    if isinstance(path, ObjectPath):
        try:  # an object written and removed: the credentials allow writing there
            probe = path / ".write-probe"
            probe.write_bytes(b"")
            probe.unlink(missing_ok=True)
        except OSError as e:
            raise OutputError(path, e) from None
        return path
    for parent in [path, *path.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(path, f"{parent} is a file, not a directory")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A file made and removed says what os.access cannot: a read-only mount, a full
        # quota, an ACL.
        probe = tmp_path(path / "write-probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise OutputError(path, e) from None
    return path


def tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


class AtomicParquetWriter:
    """Writes to a hidden temporary name; `commit` renames it into place, `abort` removes it.
    In an object store it writes to its name: the object appears when `commit` completes it."""

    def __init__(self, path: Path):
        self.path = at(path)
        self.remote = isinstance(self.path, ObjectPath)
        self.tmp = None if self.remote else tmp_path(self.path)
        self._sink = None
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def _target(self):
        if self.remote:
            self._sink = self.path.open_output()
            return self._sink
        return self.tmp

    def _open(self, schema: pa.Schema):
        return pq.ParquetWriter(self._target(), schema, compression=COMPRESSION)

    def write(self, table: pa.Table, row_group_size: int | None = None) -> None:
        """An empty table only fixes the schema: an empty row group would make a file's layout
        depend on where a pass's batches happened to be emptied."""
        try:
            if self._writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._writer = self._open(table.schema)
            if table.num_rows:
                self._writer.write_table(table, row_group_size)
        except OSError as e:
            self.abort()
            raise OutputError(self.path, e) from None
        self.rows += table.num_rows

    def commit(self) -> int:
        try:
            self._writer.close()
            if self.remote:
                self._sink.close()
            else:
                os.replace(self.tmp, self.path)
            return self.path.stat().st_size
        except OSError as e:
            self.abort()
            raise OutputError(self.path, e) from None

    def abort(self) -> None:
        for closing in (self._writer, self._sink):
            if closing is not None:
                try:
                    closing.close()
                except Exception:
                    pass
        self._writer = self._sink = None
        try:
            # An object store has no temporary name: closing completed the object, so it goes.
            (self.path if self.remote else self.tmp).unlink(missing_ok=True)
        except OSError:
            pass


class AtomicArrowWriter(AtomicParquetWriter):
    """The same, for an uncompressed Arrow IPC file: `read_arrow` maps it into memory, so a
    reader can take any rows of it without reading the rest (MinHash signatures)."""

    def _open(self, schema: pa.Schema):
        target = self._target()
        return pa.ipc.new_file(target if self.remote else str(target), schema)


def read_arrow(path: Path, columns: list[str] | None = None) -> pa.Table:
    """An Arrow IPC file as a table whose buffers are views of the memory-mapped file (read
    into memory from an object store)."""
    path = at(path)
    source = path.open_input() if isinstance(path, ObjectPath) else pa.memory_map(str(path))
    table = pa.ipc.open_file(source).read_all()
    return table.select(columns) if columns else table


def _readable(path):
    """What pyarrow reads `path` from: the local path, or an object's random-access file."""
    path = at(path)
    return path.open_input() if isinstance(path, ObjectPath) else path


def read_table(path, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(_readable(path), columns=columns)


def read_metadata(path):
    return pq.read_metadata(_readable(path))


def remove_stale_tmp(directory: Path) -> None:
    """Temporary files left by a killed run are never valid output (an object store has none)."""
    directory = at(directory)
    if not isinstance(directory, ObjectPath) and directory.is_dir():
        for leftover in directory.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = at(path)
    if isinstance(path, ObjectPath):
        try:
            path.write_bytes(data)
        except OSError as e:
            raise OutputError(path, e) from None
        return
    tmp = tmp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, e) from None


def write_json_atomic(path: Path, data) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def read_json(path: Path, default=None):
    path = at(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


def write_table_atomic(path: Path, table: pa.Table) -> None:
    writer = AtomicParquetWriter(path)
    writer.write(table)
    writer.commit()


def write_npz_atomic(path: Path, **arrays) -> None:
    from io import BytesIO

    import numpy as np

    buffer = BytesIO()
    np.savez(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def source_id(path: Path) -> str:
    """What an input file holds, as far as a manifest entry made from it stays valid: its size
    and modification time (a rewrite changes them; reading the file to hash it would cost a pass)."""
    stat = at(path).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def file_digest(path: Path) -> str:
    """A content digest of a file: what a later stage's output depends on."""
    h = hashlib.blake2b(digest_size=16)
    path = at(path)
    with (path.open_stream() if isinstance(path, ObjectPath) else open(path, "rb")) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest(data) -> str:
    """A short digest of JSON-able data (settings, sets of shards)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def replace_dir(source: Path, target: Path, ignore: tuple[str, ...] = ()) -> None:
    """A copy of the folder `source` at `target`, replacing what was there."""
    import shutil

    tmp = tmp_path(Path(target))
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(source, tmp, ignore=shutil.ignore_patterns(*ignore))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(target, e) from None


def open_parquet(source) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(_readable(source))
    except Exception as e:
        raise InputError(f"{source}: cannot be read as Parquet: {e}") from None


def reading(items, source, size=None):
    """The items of an iterator that reads `source`: an error raised while reading is bad input,
    named with the file (and the rows read before it, where `size` counts an item's rows), not
    a failure of whatever consumes the items."""
    it = iter(items)
    done = 0
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except Exception as e:
            where = f" after row {done}" if size else ""
            raise InputError(f"{source}: cannot be read{where}: {type(e).__name__}: {e}") from None
        done += size(item) if size else 1
        yield item


def batches(parquet: pq.ParquetFile, source, **kwargs):
    """The record batches of a Parquet file (see `reading`)."""
    return reading(parquet.iter_batches(**kwargs), source, lambda batch: batch.num_rows)
