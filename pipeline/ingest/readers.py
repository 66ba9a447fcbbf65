"""Readers of web dumps: each yields one event per record, so that a bad record is counted and
named and the rest of the file is still read. Compressed inputs are streamed.

Events: ("doc", fields) a document to extract, ("bad", fields) a record that could not be read
(fields carry `reason` and the byte offset or line), ("skip", record_type) a WARC record that
is not a document (request, metadata, warcinfo).
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import math
import os
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
#
# FastWARC (compiled) reads the records, several times faster than warcio, and they are given
# as warcio gave them. Where a file is damaged, or shaped in a way FastWARC may not read as warcio
# did, warcio reads that gzip member (uncompressed: that record) as before, and FastWARC takes
# over again after it.

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


def read_warc(path: str, wet: bool = False, max_record_mb: int = 64):
    max_bytes = max_record_mb << 20
    name = path.lower()
    if name.endswith((".zst", ".zstd")):
        # A zstd stream has no member boundaries to resume at: a broken one ends the file.
        stream = open_stream(path)
        try:
            yield from _records(_warcio(stream), lambda it: it.offset, wet, max_bytes)
        except Exception as e:
            yield "bad", {"offset": -1, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
        finally:
            stream.close()
        return
    gz = name.endswith(".gz")
    warcio_step = _gzip_member if gz else _plain_records
    with open(path, "rb") as f:
        at, skip, fast = 0, 0, True
        while at is not None:
            upto = math.inf
            if fast:
                # FastWARC tries again after what warcio reads, unless it read nothing (an ARC file).
                at, skip, upto, fast = yield from _fastwarc(f, at, gz, wet, max_bytes)
            while at is not None and at <= upto:
                at = yield from warcio_step(f, at, skip, wet, max_bytes)
                skip = 0


def _fastwarc(f, start: int, gz: bool, wet: bool, max_bytes: int):
    """Events of the records FastWARC reads from `start` on, each given once the next one has
    been read where warcio would read it (a wrong Content-Length shows only there). Returns where
    warcio takes over: the record (gzip: member) of the last record given, how many of its records
    were given, the offset up to which warcio reads (infinite: to the end, to check how the file
    ends), and whether any record was given."""
    from fastwarc.stream_io import GzipReader
    from fastwarc.warc import ArchiveIterator

    f.seek(start)
    fd = f.fileno()
    held = None  # (event, start, extent) of the record read but not given yet
    member, given = start, 0  # where the last record given starts (gzip: its member), how many were given there
    at = start
    try:
        for record in ArchiveIterator(GzipReader(f) if gz else f, parse_http=False, stream_detect=False):
            at = record.stream_pos
            if not _follows(fd, gz, start, held, at):
                break
            if held is not None:
                yield held[0]
                member, given = (member, given + 1) if held[1] == member else (held[1], 1)
                held = None
            extent = _extent(fd, gz, at, record)
            event = _fast_event(record, wet, max_bytes) if extent is not None else None
            if event is None:
                break
            if event[0] != "skip":
                event[1]["offset"] = at
            held = event, at, extent
        else:  # the last record, as the file ends, is warcio's to read (FastWARC takes a header cut short)
            return (member, given, math.inf, given > 0) if held is None else (held[1], 0, math.inf, given > 0)
    except Exception:  # a damaged gzip member, a record FastWARC cannot parse (or warcio's decoders fail on)
        pass
    return member, given, max(at, member), given > 0


def _extent(fd: int, gz: bool, at: int, record) -> int | None:
    """gzip: the size of the record and its closing CRLFs, which the member it starts in must
    hold alone; uncompressed: where its block ends. None where FastWARC may not read the WARC
    header as warcio does or, uncompressed, it is not the record's own."""
    from fastwarc.warc import WarcHeader

    if gz:
        head = io.BytesIO()
        record.headers.write(head)
        head = head.getvalue()
    else:
        head = os.pread(fd, 4096, at)
        head = head[:head.find(b"\r\n\r\n") + 4]
        record_id = record.headers.get_bytes(b"WARC-Record-ID")
        if not (head.startswith(b"WARC/") and record_id and record_id in head):
            return None
    # Lines that end in LF alone or continue a header, a Content-Length missing or not plain
    # digits (warcio reads the first with int()): warcio's to read.
    length = record.headers.get_bytes(WarcHeader.CONTENT_LENGTH)
    if (head.count(b"\n") != head.count(b"\r\n") or b"\n " in head or b"\n\t" in head
            or length is None or not length.isdigit() or int(length) != record.content_length):
        return None
    return len(head) + record.content_length + (4 if gz else at)


def _follows(fd: int, gz: bool, start: int, held, at: int) -> bool:
    """Whether warcio would read the next record at `at`, after `held` (None: from `start`)."""
    if held is None:
        return at == start
    if gz:
        # FastWARC's position is that of the gzip member being decompressed, which runs ahead of
        # the records of a member that holds several, or of a record without its closing CRLFs:
        # the member that ends at `at` must hold the record before and nothing else (the gzip
        # trailer has its size).
        tail = os.pread(fd, 7, at - 4)
        return at > held[1] and tail[4:] == GZIP_MAGIC and int.from_bytes(tail[:4], "little") == held[2] % (1 << 32)
    # After a record's block warcio drops a line, blank or not, before it looks for the next.
    return held[2] < at and b"\n" in os.pread(fd, at - held[2], held[2])


def _fast_event(record, wet: bool, max_bytes: int):
    """A record read by FastWARC, as `_records` gives it from warcio (HTTP headers parsed and the
    payload decoded as warcio does); None if its block is shorter than its Content-Length, or
    warcio would fail on it."""
    from fastwarc.warc import WarcHeader

    header = record.headers.get_bytes
    kind = _value(header(WarcHeader.WARC_TYPE))
    uri = _value(header(WarcHeader.WARC_TARGET_URI))
    if uri is None and record.content_length and kind in ("response", "request", "revisit"):
        return None  # warcio fails on a record that has HTTP headers and no URI: it reports that
    if kind != ("conversion" if wet else "response"):
        return "skip", kind
    if uri is not None:  # as warcio repairs it
        if uri.startswith("<") and uri.endswith(">"):
            uri = uri[1:-1]
        uri = uri.replace(" ", "%20")
    reader = stream = record.reader
    status = content_type = None
    # warcio parses the HTTP part of a non-empty response with an http(s) URI.
    if not wet and record.content_length and uri.startswith(("http:", "https:")):
        http = _http_head(reader)
        if http is None:
            return None
        status, any_http, http_headers = http
        content_type = http_headers.get("content-type")
        if any_http and ("content-encoding" in http_headers or "transfer-encoding" in http_headers):
            stream = _decoded(reader, http_headers)
    # FastWARC allocates what it is asked for: ask for no more than the block holds.
    payload = stream.read(max_bytes + 1 if stream is not reader else
                          min(max_bytes + 1, record.content_length - reader.tell()))
    fields = _warc_fields(uri, _value(header(WarcHeader.WARC_DATE)), _value(header(WarcHeader.WARC_RECORD_ID)),
                          content_type, _value(header(WarcHeader.WARC_IDENTIFIED_PAYLOAD_TYPE)), status, payload)
    if len(payload) > max_bytes:
        fields.update(reason="record_too_large", payload=None)
        return "bad", fields
    record.consume()
    if reader.tell() < record.content_length:
        return None
    return "doc", fields


def _value(raw: bytes | None) -> str | None:
    return None if raw is None else _text(raw).strip()


def _text(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _http_head(reader):
    """(status code, whether there is any HTTP part, headers by lower-case name: the first of each)
    of an HTTP response, parsed as warcio parses it; None if the block is empty."""
    first = reader.readline(1 << 30)
    if not first:
        return None
    status, headers = _text(first).rstrip(), {}
    if status:
        line = _text(reader.readline(1 << 30)).rstrip()
        while line:
            name, colon, value = line.partition(":")
            value = value.lstrip()
            line = _text(reader.readline(1 << 30)).rstrip()
            while line.startswith((" ", "\t")):  # a continued header
                value += line
                line = _text(reader.readline(1 << 30)).rstrip()
            if colon:
                headers.setdefault(name.rstrip(" \t").lower(), value)
    rest = status.split(" ", 1)[1].strip() if " " in status else ""
    return rest.split(" ", 1)[0], bool(rest or headers), headers


def _decoded(reader, headers: dict):
    """The payload stream warcio's `content_stream` gives: Content-Encoding and chunked
    Transfer-Encoding undone by warcio's own readers."""
    from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

    encoding = (headers.get("content-encoding") or "").lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if headers.get("transfer-encoding") == "chunked":
        return ChunkedDataReader(reader, decomp_type=encoding)
    return BufferedReader(reader, decomp_type=encoding) if encoding else reader


def _warcio(stream):
    from warcio.archiveiterator import ArchiveIterator

    return ArchiveIterator(stream, check_digests=False)


def _records(iterator, offset_of, wet: bool, max_bytes: int, damaged=lambda: False):
    """Events for the records warcio's `iterator` reads from an uncompressed WARC stream. A
    record cut short because the stream itself broke (`damaged()`) is left to the caller's event."""
    wanted = "conversion" if wet else "response"
    for record in iterator:
        if record.rec_type != wanted:
            yield "skip", record.rec_type
            continue
        payload = record.content_stream().read(max_bytes + 1)
        header, http = record.rec_headers.get_header, record.http_headers
        fields = _warc_fields(header("WARC-Target-URI"), header("WARC-Date"), header("WARC-Record-ID"),
                              None if http is None else http.get_header("Content-Type"),
                              header("WARC-Identified-Payload-Type"),
                              None if http is None else http.get_statuscode(), payload)
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


def _gzip_member(f, offset: int, skip: int, wet: bool, max_bytes: int):
    """warcio's events for the gzip member at `offset` (its first `skip` records were given
    already), and where the next member starts (None: the end). A corrupt member is skipped to
    the next gzip header; the records of a truncated or corrupt member read before the damage
    are kept."""
    f.seek(offset)
    head = f.read(CHUNK)
    if not head:
        return None
    if not head.startswith(GZIP_MAGIC):
        yield "bad", {"offset": offset, "reason": "corrupt_gzip"}
        offset, head = _resync(f, offset + 1, head[1:])
        return offset if head else None
    member = GzipMember(f, head)
    records = _records(_warcio(io.BufferedReader(member, CHUNK)), lambda it, o=offset: o, wet, max_bytes,
                       lambda: member.state in ("truncated", "corrupt"))
    try:
        yield from itertools.islice(records, skip, None)
        member.drain()
    except Exception as e:  # warcio: ArchiveLoadFailed, StatusAndHeadersParserException, ...
        if member.state is None:
            yield "bad", {"offset": offset, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
            member.drain()
    if member.state == "truncated":
        yield "bad", {"offset": offset, "reason": "truncated_gzip"}
        return None
    if member.state == "corrupt":
        yield "bad", {"offset": offset, "reason": "corrupt_gzip"}
        f.seek(offset + 1)
        offset, head = _resync(f, offset + 1, f.read(CHUNK))
        return offset if head else None
    return offset + member.consumed


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


def _warc_fields(url, date, record_id, content_type, identified_type, status, payload: bytes | None) -> dict:
    # The record's own Content-Type is `application/http; msgtype=response`, the envelope, not
    # the page (`content_type` is the HTTP one): a response without an HTTP Content-Type is
    # described by Common Crawl's WARC-Identified-Payload-Type (content detection), or by its bytes.
    return {"url": url, "date": date, "record_id": record_id, "content_type": content_type,
            "identified_type": identified_type, "status": status, "payload": payload}


def _plain_records(f, start: int, skip: int, wet: bool, max_bytes: int):
    """warcio's events for an uncompressed WARC from the record at `start` (its first `skip`
    records were given already) up to a record it cannot parse, or one whose Content-Length
    runs past what follows it; then the offset of the next line that starts a WARC header
    (None: the end)."""
    f.seek(start)
    records = _warcio(f)
    try:
        for kind, fields in itertools.islice(_records(records, lambda it: it.get_record_offset(), wet, max_bytes),
                                             skip, None):
            yield kind, fields
            if kind == "bad" and fields["reason"] == "bad_length":
                failed_at = fields["offset"]
                break
        else:
            return None
    except Exception as e:
        failed_at = records.offset  # where the record it could not read starts
        yield "bad", {"offset": failed_at, "reason": "bad_record", "error": f"{type(e).__name__}: {e}"[:200]}
    return _next_warc_header(f, failed_at + 1)


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
