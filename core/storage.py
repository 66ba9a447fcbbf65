"""Where a job's files live: a local path, or an object store by URI (`s3://`, `gs://`,
`hdfs://`, `abfs://` through pyarrow.fs, any other fsspec protocol through fsspec).

`at(x)` gives a `pathlib.Path` for a local path and an `ObjectPath` for a URI. `ObjectPath` has
the part of pathlib's interface the jobs use, so they are written once for both. What differs
is how a file is committed: locally under a temporary name, then renamed; in an object store an
object appears whole when its upload completes, or not at all, so it is written under its own
name. Either way a job records a file in its manifest only after it is complete, and a resume
trusts only what a manifest lists.

Credentials come from each store's usual environment and configuration files (for S3:
AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws/credentials, instance roles; AWS_ENDPOINT_URL for an
S3-compatible server). A URI that carries them is refused, so that they never reach run.json,
a manifest or a log.
"""
from __future__ import annotations

import fnmatch
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from kopile.core.errors import InputError

SECRET_PARAMS = {"access_key", "secret_key", "session_token", "password", "token", "sas_token", "account_key"}
_FILESYSTEMS: dict[str, object] = {}


def is_uri(x) -> bool:
    return isinstance(x, ObjectPath) or (isinstance(x, str) and "://" in x and not x.startswith("file://"))


def at(x) -> Path | ObjectPath:
    """A local path as `Path`, a URI as `ObjectPath`."""
    if isinstance(x, ObjectPath):
        return x
    if is_uri(x):
        return ObjectPath.from_uri(x)
    return Path(str(x).removeprefix("file://"))


def _filesystem(scheme: str, netloc: str, query: str):
    """One filesystem object per store and process: making one (an S3 client) costs milliseconds."""
    key = f"{scheme}://{netloc}?{query}"
    fs = _FILESYSTEMS.get(key)
    if fs is None:
        import pyarrow.fs as pafs

        try:
            fs, _ = pafs.FileSystem.from_uri(f"{scheme}://{netloc}/" + (f"?{query}" if query else ""))
        except (ValueError, NotImplementedError, OSError) as e:  # not a pyarrow scheme: fsspec's
            try:
                import fsspec

                fs = pafs.PyFileSystem(pafs.FSSpecHandler(fsspec.filesystem(scheme, **dict(parse_qsl(query)))))
            except (ImportError, ValueError) as again:
                raise InputError(f"{scheme}:// is not a file system pyarrow or fsspec can open here: {e}; {again}") \
                    from None
        _FILESYSTEMS[key] = fs
    return fs


class ObjectPath:
    """A file or folder in an object store. Folders are prefixes: one exists while an object
    is below it."""

    __slots__ = ("scheme", "path", "query")

    def __init__(self, scheme: str, path: str, query: str = ""):
        self.scheme, self.path, self.query = scheme, path.strip("/"), query

    @classmethod
    def from_uri(cls, uri: str) -> ObjectPath:
        parts = urlsplit(uri)
        if parts.username or parts.password or SECRET_PARAMS & {k.lower() for k, _ in parse_qsl(parts.query)}:
            raise InputError(f"{parts.scheme}://{parts.hostname}{parts.path}: the URI carries credentials; give them "
                             "in the store's environment or configuration files (for S3: AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials), which kopile never records")
        return cls(parts.scheme, parts.netloc + parts.path, parts.query)

    @property
    def fs(self):
        return _filesystem(self.scheme, self.path.split("/", 1)[0], self.query)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.path}" + (f"?{self.query}" if self.query else "")

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ObjectPath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other: ObjectPath) -> bool:
        return self.path < other.path

    def __truediv__(self, name) -> ObjectPath:
        return ObjectPath(self.scheme, f"{self.path}/{str(name).strip('/')}", self.query)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.scheme, self.path.rsplit("/", 1)[0] if "/" in self.path else self.path, self.query)

    def expanduser(self) -> ObjectPath:
        return self

    def resolve(self) -> ObjectPath:
        return self

    def as_posix(self) -> str:
        return str(self)

    def is_relative_to(self, other) -> bool:
        return (isinstance(other, ObjectPath) and (self.scheme, self.query) == (other.scheme, other.query)
                and (self.path == other.path or self.path.startswith(other.path + "/")))

    def relative_to(self, other) -> Path:
        if not self.is_relative_to(other):
            raise ValueError(f"{self} is not below {other}")
        return Path(self.path[len(other.path):].lstrip("/") or ".")

    # What is there
    def _info(self):
        return self.fs.get_file_info(self.path)

    def exists(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.Directory

    def stat(self) -> _Stat:
        info = self._info()
        if info.size is None:
            raise FileNotFoundError(str(self))
        return _Stat(info.size, info.mtime_ns or 0)

    def _below(self, recursive: bool) -> list[ObjectPath]:
        import pyarrow.fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.path, allow_not_found=True, recursive=recursive))
        return sorted(ObjectPath(self.scheme, i.path, self.query) for i in infos)

    def files(self) -> list[ObjectPath]:
        """Every object below, in one listing (no request per object)."""
        import pyarrow.fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.path, allow_not_found=True, recursive=True))
        return sorted(ObjectPath(self.scheme, i.path, self.query) for i in infos if i.type == pafs.FileType.File)

    def iterdir(self) -> list[ObjectPath]:
        return self._below(False)

    def glob(self, pattern: str) -> list[ObjectPath]:
        return [p for p in self._below(False) if fnmatch.fnmatchcase(p.name, pattern)]

    def rglob(self, pattern: str) -> list[ObjectPath]:
        return [p for p in self._below(True) if fnmatch.fnmatchcase(p.name, pattern)]

    # Reading and writing
    def open_input(self):
        """A random-access file (Parquet reads its footer first)."""
        return self.fs.open_input_file(self.path)

    # compression=None: pyarrow would otherwise (de)compress by the name's extension (.gz).
    def open_output(self):
        return self.fs.open_output_stream(self.path, compression=None)

    def open_stream(self):
        return self.fs.open_input_stream(self.path, compression=None)

    def read_bytes(self) -> bytes:
        with self.open_stream() as f:
            return f.read()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> None:
        with self.open_output() as f:
            f.write(data)

    def write_text(self, text: str, encoding: str = "utf-8") -> None:
        self.write_bytes(text.encode(encoding))

    def mkdir(self, parents: bool = True, exist_ok: bool = True) -> None:
        """Nothing to make: a prefix exists once an object is written below it."""

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.fs.delete_file(self.path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rmtree(self) -> None:
        if self.exists():
            self.fs.delete_dir(self.path)


class _Stat:
    __slots__ = ("st_size", "st_mtime_ns")

    def __init__(self, size: int, mtime_ns: int):
        self.st_size, self.st_mtime_ns = size, mtime_ns


def rmtree(path) -> None:
    """A folder and everything below it, if it is there."""
    path = at(path)
    if isinstance(path, ObjectPath):
        path.rmtree()
    else:
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def download(obj: ObjectPath, local: Path) -> None:
    """An object's bytes to a local file (its folder made)."""
    import shutil

    local.parent.mkdir(parents=True, exist_ok=True)
    with obj.open_stream() as source, open(local, "wb") as target:
        shutil.copyfileobj(source, target, 8 << 20)


_FOLDERS: dict[str, Path] = {}


def local_folder(path) -> Path:
    """A local folder holding `path`'s files: `path` itself, or for a prefix a copy made once
    per process and removed at its exit (a tokenizer that tasks on any node read from a bucket)."""
    path = at(path)
    if not isinstance(path, ObjectPath):
        return path
    folder = _FOLDERS.get(str(path))
    if folder is None:
        import atexit
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="kopile-"))
        atexit.register(shutil.rmtree, folder, True)
        for obj in path.files():
            download(obj, folder / obj.relative_to(path))
        _FOLDERS[str(path)] = folder
    return folder


def upload_folder(local: Path, target: ObjectPath) -> None:
    """Every file below the local folder streamed to the same place below `target`."""
    import shutil

    for file in sorted(p for p in Path(local).rglob("*") if p.is_file()):
        with open(file, "rb") as source, (target / file.relative_to(local).as_posix()).open_output() as sink:
            shutil.copyfileobj(source, sink, 8 << 20)


@contextmanager
def local_file(path):
    """A local file holding `path`'s bytes: `path` itself, or for an object a temporary copy
    under the same name, removed afterwards (readers that seek or read through a file
    descriptor, as the WARC reader does, need a local file)."""
    path = at(path)
    if not isinstance(path, ObjectPath):
        yield path
        return
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="kopile-"))
    try:
        local = folder / path.name
        download(path, local)
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy(source, target) -> None:
    """A file copied; in one store, without passing through this machine."""
    source, target = at(source), at(target)
    if isinstance(source, ObjectPath) and isinstance(target, ObjectPath) and source.fs is target.fs:
        source.fs.copy_file(source.path, target.path)
    else:
        target.write_bytes(source.read_bytes())
