"""Bytes of a page to text, with legacy Korean encodings decoded as such.

Older Korean sites serve EUC-KR or CP949, often undeclared or declared wrongly; generic
detectors (resiliparse's among them) tend to call such pages Latin-1 and produce mojibake.
Candidates are tried strictly in order: the byte-order mark, the HTTP header, the page's
<meta> declaration, UTF-8, CP949, then charset-normalizer's guess. EUC-KR is decoded as CP949,
its superset (as browsers do), so that the extended syllables of real pages decode.
"""
from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_ALIASES = {"euc-kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949",
            "x-windows-949": "cp949", "windows-949": "cp949", "uhc": "cp949", "iso-8859-1": "cp1252",
            "latin-1": "cp1252", "us-ascii": "utf-8", "ascii": "utf-8"}


class Undecodable(ValueError):
    pass


def canonical(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.I)
    return canonical(match.group(1)) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page's <meta> declares (in its first 4 kB)."""
    meta = _META.search(body[:4096])
    return canonical(meta.group(1).decode("ascii", "ignore")) if meta else None


def candidates(body: bytes, declared: str | None = None) -> list[str]:
    out = [name for bom, name in _BOMS if body.startswith(bom)]
    out += [canonical(declared), meta_charset(body), "utf-8", "cp949"]
    seen, ordered = set(), []
    for name in out:
        if name and name not in seen:
            seen.add(name)
            ordered.append(name)
    return ordered


def decode(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, the charset that decoded it); raises Undecodable where nothing fits."""
    for name in candidates(body, declared):
        try:
            text = body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if name == "cp1252":
            # Latin-1 is the classic wrong label (a server default): every byte decodes, as
            # mojibake. Valid multi-byte UTF-8 does not occur by chance in Latin-1 text, and
            # CP949 that reads as Hangul is Korean.
            try:
                return body.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
            korean = _as_korean(body)
            if korean is not None:
                return korean, "cp949"
        return (text[1:] if text.startswith("\ufeff") else text), name
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None:
        try:
            return body.decode(best.encoding), canonical(best.encoding) or best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise Undecodable("no charset decodes the page")


def _as_korean(body: bytes) -> str | None:
    """The body as CP949 where that gives mostly Hangul beyond ASCII, else None."""
    try:
        text = body.decode("cp949")
    except UnicodeDecodeError:
        return None
    beyond = [ch for ch in text if ord(ch) > 0x7F]
    hangul = sum(1 for ch in beyond if "\uac00" <= ch <= "\ud7a3")
    return text if beyond and hangul >= 0.5 * len(beyond) else None
