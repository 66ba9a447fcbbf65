"""Input files to Parquet: read, block by URL, decode, extract, write shards of a target size.
Plain Python, run by the runner as one Ray task per group of input files."""
from __future__ import annotations

import re
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa

from kopile.core import storage
from kopile.core.errors import InputError, error_entry
from kopile.core.io import AtomicParquetWriter, reading
from kopile.core.storage import at
from kopile.pipeline.ingest import readers
from kopile.pipeline.ingest.charset import Undecodable, decode, header_charset
from kopile.pipeline.ingest.prefilter import could_be_korean
from kopile.pipeline.ingest.html import Extractor
from kopile.pipeline.ingest.urls import UrlFilter, domain_of

SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("url", pa.string()), ("domain", pa.string()),
    ("date", pa.string()), ("record_id", pa.string()), ("content_type", pa.string()),
    ("charset", pa.string()), ("source", pa.string()), ("offset", pa.int64()), ("meta", pa.string()),
])
REMOVED_SCHEMA = SCHEMA.append(pa.field("reason", pa.string())).append(pa.field("error", pa.string()))
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Types that say nothing about the payload: servers send them for anything.
_GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "application/unknown", "unknown/unknown",
                            "application/x-unknown-content-type", "text/unknown", "*/*", "application/download"})
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|div|p)[\s>/]", re.I)


def media_type(declared: str | None, identified: str | None, payload: bytes | None) -> str:
    """The payload's type: the HTTP Content-Type, unless missing or generic; then the WARC's
    WARC-Identified-Payload-Type; then "text/html" if the first kilobytes look like HTML, else
    "" (unknown: the extractor is tried, as for a page without headers)."""
    for value in (declared, identified):
        kind = (value or "").split(";")[0].strip().lower()
        if kind and kind not in _GENERIC_TYPES:
            return kind
    return "text/html" if payload and _HTML_START.search(payload[:4096]) else ""


class ShardedWriter:
    """Rows to `STEM-00000.parquet`, `STEM-00001.parquet`, ... of about `shard_bytes` of text
    each, in row groups of about `group_bytes`; all renamed into place by `commit`."""

    def __init__(self, directory: Path, stem: str, shard_bytes: int, group_bytes: int):
        self.directory, self.stem = at(directory), stem
        self.shard_bytes, self.group_bytes = shard_bytes, group_bytes
        self.rows: list[dict] = []
        self.buffered = self.shard_text = 0
        self.writers: list[AtomicParquetWriter] = []
        self.open = False
        self.count = 0

    def add(self, row: dict) -> None:
        size = len(row["text"].encode("utf-8", "surrogatepass"))
        self.rows.append(row)
        self.buffered += size
        self.count += 1
        if self.buffered >= self.group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        if not self.open:
            self.writers.append(AtomicParquetWriter(self.directory / f"{self.stem}-{len(self.writers):05d}.parquet"))
            self.open = True
        self.writers[-1].write(pa.Table.from_pylist(self.rows, schema=SCHEMA), row_group_size=len(self.rows))
        self.shard_text += self.buffered
        self.rows, self.buffered = [], 0
        if self.shard_text >= self.shard_bytes:
            self.open, self.shard_text = False, 0

    def commit(self) -> list[str]:
        self._flush()
        for writer in self.writers:
            writer.commit()
        return [w.path.name for w in self.writers]

    def abort(self) -> None:
        for writer in self.writers:
            writer.abort()


class Ingest:
    def __init__(self, settings):
        self.s = settings
        self.urls = UrlFilter(**settings.block.model_dump())
        self.extract = Extractor(settings.extractor)

    def events(self, source: str):
        fmt = self.s.format if self.s.format != "auto" else readers.detect_format(source)
        if fmt in ("warc", "wet"):
            return fmt, readers.read_warc(source, wet=fmt == "wet", max_record_mb=self.s.max_record_mb)
        if fmt == "jsonl":
            return fmt, readers.read_jsonl(source, self.s.text_field, self.s.id_field, self.s.url_field,
                                           self.s.date_field)
        return fmt, readers.read_text(source, self.s.text_unit)

    def document(self, fmt: str, fields: dict, stem: str, source: str) -> tuple[dict, str | None, str | None]:
        """The output row of one document, and the reason (with details) to remove it, if any."""
        url = fields.get("url")
        record_id = fields.get("record_id")
        row = {"id": fields.get("id") or (record_id or "").strip("<>") or f"{stem}:{fields['offset']}", "text": fields.get("text"),
               "url": url, "domain": domain_of(url), "date": fields.get("date"), "record_id": record_id,
               "content_type": fields.get("content_type"), "charset": None, "source": source,
               "offset": fields["offset"], "meta": fields.get("meta")}
        reason = self.urls.reason(url, row["domain"])
        if reason:
            return row, reason, None
        if fmt == "warc":
            status = fields.get("status")
            if status and status != "200":
                return row, "http_status", f"HTTP {status}"
            ctype = media_type(fields.get("content_type"), fields.get("identified_type"), fields.get("payload"))
            if ctype and ctype not in _HTML_TYPES:
                return row, "not_html", ctype
            if self.s.prefilter is not None:
                keep, counts = could_be_korean(fields.get("payload") or b"", fields.get("content_type"),
                                               self.s.prefilter.min_hangul, self.s.prefilter.min_share)
                if not keep:
                    return row, "little_hangul", counts
        if row["text"] is None:
            try:
                text, row["charset"] = decode(fields.get("payload") or b"", header_charset(fields.get("content_type")))
            except Undecodable as e:
                return row, "undecodable", str(e)
            if fmt == "warc":
                try:
                    text = self.extract(text)
                except Exception as e:
                    return row, "extraction_failed", f"{type(e).__name__}: {e}"[:200]
            row["text"] = text.strip() if fmt != "jsonl" else text
        if len(row["text"].strip()) < self.s.min_chars:
            return row, "no_text", None
        return row, None, None


def _local(source: str, stack: ExitStack) -> tuple[Path, int]:
    """The input file, local (an object is copied to a temporary file while `stack` is open),
    and its size; or an InputError naming it."""
    try:
        local = stack.enter_context(storage.local_file(source))
        return local, local.stat().st_size
    except OSError as e:
        raise InputError(f"{source}: cannot be read: {e.strerror or e}") from None


def ingest_files(settings, files: list[tuple[str, str]], group: str, kept_dir: str, removed_path: str) -> dict:
    """Input files (source, stem), in order, to one set of kept shards `GROUP-NNNNN.parquet` and
    one removed file; `files` in the entry holds each file's figures. A file that cannot be read
    fails the whole task, as it failed its own task when each file was one: nothing of the group
    is written, the run fails naming the file, and a re-run (the file fixed or removed) redoes it."""
    started = time.perf_counter()
    entry = {"status": "error", "records_in": 0, "kept": 0, "removed": 0, "removed_by_reason": {},
             "skipped_records": {}, "file_bytes_in": 0, "text_bytes_kept": 0, "shards": [], "files": [],
             "seconds": 0.0, "error": None}
    kept = ShardedWriter(kept_dir, group, int(settings.shard_mb * 2**20), int(settings.row_group_mb * 2**20))
    removed = AtomicParquetWriter(removed_path)
    removed_rows: list[dict] = []
    reasons: Counter = Counter()
    skipped: Counter = Counter()
    try:
        job = Ingest(settings)
        for source, stem in files:
            one = {"source": source, "records_in": 0, "kept": 0, "removed": 0, "removed_by_reason": {},
                   "file_bytes_in": 0, "error": None}
            entry["files"].append(one)
            mine: Counter = Counter()
            with ExitStack() as stack:
                local, one["file_bytes_in"] = _local(source, stack)
                fmt, events = job.events(str(local))
                for kind, fields in reading(events, source):
                    if kind == "skip":
                        skipped[fields] += 1
                        continue
                    one["records_in"] += 1
                    if kind == "bad":
                        row = {name: None for name in SCHEMA.names}
                        row.update(id=f"{stem}@{fields['offset']}", source=source, offset=fields["offset"],
                                   url=fields.get("url"), record_id=fields.get("record_id"))
                        reason, error = fields["reason"], fields.get("error")
                    else:
                        row, reason, error = job.document(fmt, fields, stem, source)
                    if reason is None:
                        kept.add(row)
                        one["kept"] += 1
                        entry["text_bytes_kept"] += len(row["text"].encode("utf-8", "surrogatepass"))
                    else:
                        removed_rows.append({**row, "reason": reason, "error": error})
                        mine[reason] += 1
                        if len(removed_rows) >= 1000:
                            removed.write(pa.Table.from_pylist(removed_rows, schema=REMOVED_SCHEMA))
                            removed_rows = []
            one.update(removed=sum(mine.values()), removed_by_reason=dict(sorted(mine.items())))
            reasons.update(mine)
        removed.write(pa.Table.from_pylist(removed_rows, schema=REMOVED_SCHEMA))
        entry["shards"] = kept.commit()
        # The written counts, not the per-file tallies: the check compares what is on disk.
        entry.update(kept=kept.count, removed=removed.rows, removed_by_reason=dict(sorted(reasons.items())),
                     skipped_records=dict(sorted(skipped.items())))
        removed.commit()
        entry["status"] = "ok"
    except BaseException as e:
        kept.abort()
        removed.abort()
        if not isinstance(e, Exception):
            raise
        error_entry(entry, e)
        if entry["files"]:
            entry["files"][-1]["error"] = entry["error"]
    entry["records_in"] = sum(f["records_in"] for f in entry["files"])
    entry["file_bytes_in"] = sum(f["file_bytes_in"] for f in entry["files"])
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry
