"""Parquet shards: finding inputs, naming outputs, writing atomically."""
from __future__ import annotations

import glob
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

COMPRESSION = "zstd"


def list_shards(spec: str | list[str], suffixes: tuple[str, ...] = (".parquet",),
                add_suffix: str = ".parquet") -> list[tuple[str, Path]]:
    """(shard name, path) for every input Parquet file, sorted by name.

    `spec` is a directory (every file below it ending in one of `suffixes`), a glob, a file,
    or a list of these.
    Names are paths relative to the directory or glob root with "/" turned into "__",
    so that two inputs never share an output name and names do not depend on the machine.
    """
    specs = [spec] if isinstance(spec, str) else list(spec)
    found: dict[str, Path] = {}
    for item in specs:
        item = os.path.expanduser(item)
        if os.path.isdir(item):
            root = Path(item)
            paths = sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes)
                           and not p.name.startswith("."))
        elif glob.has_magic(item):
            root = Path(item.split("*")[0].split("?")[0].split("[")[0]).parent if "/" in item else Path(".")
            paths = sorted(Path(p) for p in glob.glob(item, recursive=True) if os.path.isfile(p))
        elif os.path.isfile(item):
            root, paths = Path(item).parent, [Path(item)]
        else:
            raise FileNotFoundError(f"input {item!r} is not a file, directory or matching glob")
        for path in paths:
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            name = rel.replace("/", "__")
            if not name.endswith(add_suffix):
                name += add_suffix
            if name in found and found[name] != path:
                raise ValueError(f"two inputs map to the shard name {name!r}: {found[name]} and {path}")
            found[name] = path
    if not found:
        raise FileNotFoundError(f"no Parquet files found in {spec!r}")
    return sorted(found.items())


def tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


class AtomicParquetWriter:
    """Writes to a hidden temporary name; `commit` renames it into place, `abort` removes it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = tmp_path(self.path)
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.tmp, table.schema, compression=COMPRESSION)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def commit(self) -> int:
        self._writer.close()
        os.replace(self.tmp, self.path)
        return self.path.stat().st_size

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:
                pass
        self.tmp.unlink(missing_ok=True)


def remove_stale_tmp(directory: Path) -> None:
    """Temporary files left by a killed run are never valid output."""
    if directory.is_dir():
        for leftover in directory.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)


def write_json_atomic(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path, default=None):
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


def write_table_atomic(path: Path, table: pa.Table) -> None:
    writer = AtomicParquetWriter(path)
    writer.write(table)
    writer.commit()


def write_npy_atomic(path: Path, array) -> None:
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)
