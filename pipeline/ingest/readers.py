"""Readers of web dumps: each yields one event per record, so that a bad record is counted and
named and the rest of the file is still read. Compressed inputs are streamed.

Events: ("doc", fields) a document to extract, ("bad", fields) a record that could not be read
(fields carry `reason` and the byte offset or line), ("skip", record_type) a WARC record that
is not a document (request, metadata, warcinfo).
"""
from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b\x08"


def detect_format(path: str) -> str:
    name = Path(path).name.lower()
    for suffix in (".gz", ".zst", ".zstd"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith(".wet"):
        return "wet"
    if name.endswith((".warc", ".arc")):
        return "warc"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith(".txt"):
        return "text"
    raise ValueError(f"{path}: cannot tell the format from the name; set `format` (warc, wet, jsonl, text)")


def open_stream(path: str):
    """A binary stream of the decompressed file, read as it goes."""
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith((".zst", ".zstd")):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True,
                                                          closefd=True)
    return open(path, "rb")


# --- WARC and WET ------------------------------------------------------------------------

def gzip_members(path: str, max_bytes: int):
    """(offset, decompressed bytes, None) per gzip member, or (offset, None, reason) for a
    member that is corrupt (then reading resumes at the next gzip header), truncated, or larger
    than max_bytes decompressed (its content is dropped as it streams)."""
    with open(path, "rb") as f:
        offset = 0
        pending = f.read(CHUNK)
        while pending:
            if not pending.startswith(GZIP_MAGIC):
                yield offset, None, "corrupt_gzip"
                offset, pending = _resync(f, offset + 1, pending[1:])
                continue
            d = zlib.decompressobj(31)
            out, size, consumed, reason = [], 0, 0, None
            data = pending
            while True:
                try:
                    chunk = d.decompress(data)
                except zlib.error:
                    reason = "corrupt_gzip"
                    break
                consumed += len(data) - len(d.unused_data)
                size += len(chunk)
                if size > max_bytes:
                    reason, out = "record_too_large", []
                elif reason is None:
                    out.append(chunk)
                if d.eof:
                    pending = d.unused_data
                    break
                data = f.read(CHUNK)
                if not data:
                    reason, pending = "truncated_gzip", b""
                    break
            if reason == "corrupt_gzip":
                yield offset, None, reason
                f.seek(offset + 1)
                offset, pending = _resync(f, offset + 1, f.read(CHUNK))
                continue
            yield offset, (None if reason else b"".join(out)), reason
            offset += consumed
            if len(pending) < CHUNK // 2:
                pending += f.read(CHUNK)


def _resync(f, offset: int, data: bytes):
    """The next gzip header at or after `offset` (data = the bytes from there on)."""
    while data:
        at = data.find(GZIP_MAGIC)
        if at >= 0:
            return offset + at, data[at:] + f.read(CHUNK)
        keep = data[-2:]
        offset += len(data) - 2
        more = f.read(CHUNK)
        data = keep + more if more else b""
    return offset, b""


def _warc_fields(record, payload: bytes | None) -> dict:
    headers = record.rec_headers
    content_type = None
    if record.http_headers is not None:
        content_type = record.http_headers.get_header("Content-Type")
    return {
        "url": headers.get_header("WARC-Target-URI"),
        "date": headers.get_header("WARC-Date"),
        "record_id": headers.get_header("WARC-Record-ID"),
        "content_type": content_type or headers.get_header("Content-Type"),
        "status": record.http_headers.get_statuscode() if record.http_headers is not None else None,
        "payload": payload,
    }


def _records(stream, offset: int, wet: bool):
    from warcio.archiveiterator import ArchiveIterator

    wanted = "conversion" if wet else "response"
    for record in ArchiveIterator(stream, check_digests=False):
        if record.rec_type != wanted:
            yield "skip", record.rec_type
            continue
        payload = record.content_stream().read()
        record.raw_stream.read()
        fields = _warc_fields(record, payload)
        fields["offset"] = offset
        # The record's block ended before its declared Content-Length: a cut or lying record.
        if getattr(record.raw_stream, "limit", 0) > 0:
            fields.update(reason="bad_length")
            yield "bad", fields
            continue
        yield "doc", fields


def read_warc(path: str, wet: bool = False, max_record_mb: int = 64):
    max_bytes = max_record_mb << 20
    if path.lower().endswith(".gz"):
        for offset, data, reason in gzip_members(path, max_bytes):
            if reason:
                yield "bad", {"offset": offset, "reason": reason}
                continue
            try:
                yield from _records(io.BytesIO(data), offset, wet)
            except Exception as e:  # warcio: ArchiveLoadFailed, StatusAndHeadersParserException, ...
                yield "bad", {"offset": offset, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
        return
    yield from _read_plain_warc(path, wet)


def _read_plain_warc(path: str, wet: bool):
    """Uncompressed WARC: after a record that cannot be parsed, go on at the next line that
    starts a WARC header."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        start = 0
        while True:
            f.seek(start)
            iterator = ArchiveIterator(f, check_digests=False)
            wanted = "conversion" if wet else "response"
            try:
                for record in iterator:
                    if record.rec_type != wanted:
                        yield "skip", record.rec_type
                        continue
                    fields = _warc_fields(record, record.content_stream().read())
                    fields["offset"] = start + iterator.get_record_offset()
                    yield "doc", fields
                return
            except Exception as e:
                failed = start + (iterator.offset or 0)
                yield "bad", {"offset": failed, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
                start = _next_warc_header(f, failed + 1)
                if start is None:
                    return


def _next_warc_header(f, offset: int) -> int | None:
    f.seek(offset)
    carry = b""
    base = offset
    while True:
        data = f.read(CHUNK)
        if not data:
            return None
        block = carry + data
        at = block.find(b"\nWARC/1.")
        if at >= 0:
            return base - len(carry) + at + 1
        carry = block[-8:]
        base += len(data)


# --- JSON Lines and text --------------------------------------------------------------------

def read_jsonl(path: str, text_field: str = "text", id_field: str | None = None, url_field: str | None = "url",
               date_field: str | None = None):
    """One document per line; other fields are kept as a JSON object in `meta`."""
    stream = open_stream(path)
    line_no = 0
    try:
        for line_no, raw in enumerate(_lines(stream), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                yield "bad", {"offset": line_no, "reason": "bad_json", "error": f"line {line_no}: {e}"[:200]}
                continue
            if not isinstance(obj, dict):
                yield "bad", {"offset": line_no, "reason": "bad_json", "error": f"line {line_no}: not an object"}
                continue
            text = obj.pop(text_field, None)
            if not isinstance(text, str):
                yield "bad", {"offset": line_no, "reason": "missing_text",
                              "error": f"line {line_no}: no string field {text_field!r}"}
                continue
            fields = {"text": text, "offset": line_no}
            for key, name in (("id", id_field), ("url", url_field), ("date", date_field)):
                if name and obj.get(name) is not None:
                    fields[key] = str(obj.pop(name))
            fields["meta"] = json.dumps(obj, ensure_ascii=False, sort_keys=True) if obj else None
            yield "doc", fields
    except (EOFError, OSError, zlib.error) as e:  # a truncated or corrupt compressed stream
        yield "bad", {"offset": line_no + 1, "reason": "truncated_stream", "error": f"{type(e).__name__}: {e}"[:200]}
    finally:
        stream.close()


def _lines(stream):
    """Lines of a binary stream read in chunks (zstandard's reader has no readline). read1
    returns what has been decompressed so far, so a truncated stream loses only its last line."""
    read = getattr(stream, "read1", stream.read)
    rest = b""
    while True:
        chunk = read(CHUNK)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def read_text(path: str, unit: str = "file"):
    """A text file as one document, or one per block separated by blank lines."""
    stream = open_stream(path)
    try:
        body = stream.read()
    except (EOFError, OSError, zlib.error) as e:
        yield "bad", {"offset": 0, "reason": "truncated_stream", "error": f"{type(e).__name__}: {e}"[:200]}
        return
    finally:
        stream.close()
    if unit == "file":
        yield "doc", {"payload": body, "offset": 0}
        return
    for index, block in enumerate(b for b in body.replace(b"\r\n", b"\n").split(b"\n\n")):
        if block.strip():
            yield "doc", {"payload": block.strip(b"\n"), "offset": index}
