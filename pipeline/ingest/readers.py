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

from kopile.core.errors import InputError

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
    raise InputError(f"{path}: cannot tell the format from the name; set `format` (warc, wet, jsonl, text)")


def open_stream(path: str):
    """A binary stream of the decompressed file, read as it goes."""
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith((".zst", ".zstd")):
        return io.BufferedReader(ZstdStream(path), CHUNK)
    return open(path, "rb")


class ZstdStream(io.RawIOBase):
    """Zstandard frames decompressed as they are read. A file that ends inside a frame raises
    EOFError, as gzip does: zstandard's own stream reader returns what it has and stops, so a
    line cut by the truncation looked complete and was reported as bad JSON."""

    def __init__(self, path: str):
        import zstandard

        self.f = open(path, "rb")
        self.new = zstandard.ZstdDecompressor().decompressobj
        self.d = None
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self.buffer:
            data = self.f.read(CHUNK)
            if not data:
                if self.d is not None and not self.d.eof:
                    raise EOFError("zstd stream ended inside a frame (truncated file)")
                return 0
            while data:
                if self.d is None or self.d.eof:
                    self.d = self.new()
                self.buffer += self.d.decompress(data)
                data = self.d.unused_data if self.d.eof else b""
        n = min(len(out), len(self.buffer))
        out[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n

    def close(self) -> None:
        self.f.close()
        super().close()


# --- WARC and WET ------------------------------------------------------------------------

class GzipMember(io.RawIOBase):
    """One gzip member of a file, decompressed as it is read. Afterwards `state` says how it
    ended: "eof" (complete), "truncated" (the file ended first) or "corrupt"; `consumed` is
    its compressed size and `rest` the bytes read past it (the next member's start)."""

    def __init__(self, f, head: bytes):
        self.f, self.pending = f, head
        self.d = zlib.decompressobj(31)
        self.buffer = b""
        self.state, self.consumed, self.rest = None, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self.buffer and self.state is None:
            data = self.pending or self.f.read(CHUNK)
            self.pending = b""
            if not data:
                self.state = "truncated"
                break
            try:
                self.buffer = self.d.decompress(data)
            except zlib.error:
                self.state = "corrupt"
                break
            self.consumed += len(data) - len(self.d.unused_data)
            if self.d.eof:
                self.state, self.rest = "eof", self.d.unused_data
        n = min(len(out), len(self.buffer))
        out[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def _records(stream, offset_of, wet: bool, max_bytes: int, damaged=lambda: False):
    """Events for the records of an uncompressed WARC stream (warcio parses them). A record
    cut short because the stream itself broke (`damaged()`) is left to the caller's event."""
    from warcio.archiveiterator import ArchiveIterator

    wanted = "conversion" if wet else "response"
    iterator = ArchiveIterator(stream, check_digests=False)
    for record in iterator:
        if record.rec_type != wanted:
            yield "skip", record.rec_type
            continue
        payload = record.content_stream().read(max_bytes + 1)
        fields = _warc_fields(record, payload)
        fields["offset"] = offset_of(iterator)
        if len(payload) > max_bytes:
            fields.update(reason="record_too_large", payload=None)
            yield "bad", fields
            continue
        record.raw_stream.read()
        # The record's block ended before its declared Content-Length: a cut or lying record.
        if getattr(record.raw_stream, "limit", 0) > 0:
            if damaged():
                return
            fields.update(reason="bad_length", payload=None)
            yield "bad", fields
            continue
        yield "doc", fields


def read_warc(path: str, wet: bool = False, max_record_mb: int = 64):
    max_bytes = max_record_mb << 20
    name = path.lower()
    if name.endswith(".gz"):
        yield from _read_gzip_warc(path, wet, max_bytes)
    elif name.endswith((".zst", ".zstd")):
        # A zstd stream has no member boundaries to resume at: a broken one ends the file.
        stream = open_stream(path)
        try:
            yield from _records(stream, lambda it: it.offset, wet, max_bytes)
        except Exception as e:
            yield "bad", {"offset": -1, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
        finally:
            stream.close()
    else:
        yield from _read_plain_warc(path, wet, max_bytes)


def _read_gzip_warc(path: str, wet: bool, max_bytes: int):
    """Member by member, each streamed through warcio: per-record members (the WARC standard)
    and whole-file gzip alike. A corrupt member is skipped to the next gzip header; the
    records of a truncated or corrupt member read before the damage are kept."""
    with open(path, "rb") as f:
        offset, head = 0, f.read(CHUNK)
        while head:
            if not head.startswith(GZIP_MAGIC):
                yield "bad", {"offset": offset, "reason": "corrupt_gzip"}
                offset, head = _resync(f, offset + 1, head[1:])
                continue
            member = GzipMember(f, head)
            try:
                yield from _records(io.BufferedReader(member, CHUNK), lambda it, o=offset: o, wet, max_bytes,
                                    lambda: member.state in ("truncated", "corrupt"))
                member.drain()
            except Exception as e:  # warcio: ArchiveLoadFailed, StatusAndHeadersParserException, ...
                if member.state is None:
                    yield "bad", {"offset": offset, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
                    member.drain()
            if member.state == "truncated":
                yield "bad", {"offset": offset, "reason": "truncated_gzip"}
                return
            if member.state == "corrupt":
                yield "bad", {"offset": offset, "reason": "corrupt_gzip"}
                f.seek(offset + 1)
                offset, head = _resync(f, offset + 1, f.read(CHUNK))
                continue
            offset += member.consumed
            head = member.rest if len(member.rest) >= 3 else member.rest + f.read(CHUNK)


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
    # The record's own Content-Type is `application/http; msgtype=response`, the envelope, not
    # the page: a response without an HTTP Content-Type is described by Common Crawl's
    # WARC-Identified-Payload-Type (content detection), or by its bytes.
    return {
        "url": headers.get_header("WARC-Target-URI"),
        "date": headers.get_header("WARC-Date"),
        "record_id": headers.get_header("WARC-Record-ID"),
        "content_type": content_type,
        "identified_type": headers.get_header("WARC-Identified-Payload-Type"),
        "status": record.http_headers.get_statuscode() if record.http_headers is not None else None,
        "payload": payload,
    }


def _read_plain_warc(path: str, wet: bool, max_bytes: int):
    """Uncompressed WARC: after a record that cannot be parsed, or one whose Content-Length
    runs past what follows it, go on at the next line that starts a WARC header."""
    with open(path, "rb") as f:
        start = 0
        while start is not None:
            f.seek(start)
            failed_at = [start]

            def offset_of(it, base=start):
                failed_at[0] = base + it.offset
                return base + it.get_record_offset()

            try:
                for kind, fields in _records(f, offset_of, wet, max_bytes):
                    yield kind, fields
                    if kind == "bad" and fields["reason"] == "bad_length":
                        failed_at[0] = fields["offset"]
                        break
                else:
                    return
            except Exception as e:
                yield "bad", {"offset": failed_at[0], "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
            start = _next_warc_header(f, failed_at[0] + 1)


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
