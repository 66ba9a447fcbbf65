"""Whether a crawled page could be Korean, from its raw bytes, before decoding and extraction.

About 1% of a Common Crawl segment is Korean; extracting every page to find it spends most of
ingest on pages language identification removes anyway. This counts Hangul syllables in the
payload bytes, in the encoding the page is in, and keeps the page where there are at least
`min_hangul` of them and they are at least `min_share` of its non-ASCII characters. UTF-8,
all but every page today, is only validated; its counts are C-level scans of the bytes
(`bytes.translate`), and no text is built.

- UTF-8 (any page whose bytes are valid UTF-8, whatever it declares): a syllable U+AC00-U+D7A3
  is three bytes led by 0xEA-0xED; every other non-ASCII character has its own lead byte (0xC0
  and up), so leads are characters. 0xEA also leads U+A000-U+ABFF (Yi, Vai and a few rare blocks) and 0xED the
  surrogates, which UTF-8 does not hold: a share over leads counts them as Hangul, erring
  towards keeping a page.
- Otherwise CP949/EUC-KR, unless the page declares the legacy encoding of another language
  (Shift_JIS, GBK, Big5, windows-1251, ...): the page is decoded as CP949 and its syllables
  counted, unless over 1% of its non-ASCII characters do not decode (GBK or Big5 read as
  CP949 gives Hangul too, among invalid pairs).
- UTF-16 (a byte-order mark): decoded, as too rare to matter for speed.
- Numeric character references (`&#44032;`, `&#xAC00;`) are syllables wherever they appear.

A page in another language's legacy encoding has only its character references to count; one
wrongly declared ISO-8859-1 (a common server default) is read as CP949.
"""
from __future__ import annotations

import codecs
import re

from kopile.pipeline.ingest.charset import header_charset, meta_charset

_NOT_LEADS = bytes(range(0xC0))  # deleted by translate: what is left are the UTF-8 lead bytes
_NOT_HANGUL_LEADS = bytes([*range(0xEA), *range(0xEE, 0x100)])  # what is left: 0xEA-0xED
_HANGUL = re.compile("[\uac00-\ud7a3]")
# References to syllables only, U+AC00-U+D7A3 (`&#xAC00;` to `&#xD7A3;`, `&#44032;` to `&#55203;`),
# so that a page full of other references costs one scan in C.
_HANGUL_REFERENCE = re.compile(rb"&#(?:x(?:[aA][c-fC-F][0-9a-fA-F]{2}|[bcBC][0-9a-fA-F]{3}|[dD][0-6][0-9a-fA-F]{2}"
                               rb"|[dD]7[0-9][0-9a-fA-F]|[dD]7[aA][0-3])"
                               rb"|(?:4403[2-9]|440[4-9][0-9]|44[1-9][0-9]{2}|4[5-9][0-9]{3}|5[0-4][0-9]{3}"
                               rb"|55[01][0-9]{2}|5520[0-3]));")
_OTHER_LEGACY = {"shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "big5hkscs",
                 "cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp1256", "iso8859_6", "cp874", "tis_620", "cp1258"}


def hangul_count(body: bytes, content_type: str | None = None) -> tuple[int, int]:
    """(Hangul syllables, non-ASCII characters) of a page's bytes, by the rules above."""
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = body.decode("utf-16", "replace")
        beyond = [ch for ch in text if ord(ch) > 0x7F]
        return sum(1 for ch in beyond if "\uac00" <= ch <= "\ud7a3"), len(beyond)
    refs = len(_HANGUL_REFERENCE.findall(body)) if b"&#" in body else 0
    if body.isascii():  # most pages of the languages written in Latin letters
        return refs, refs
    try:
        # Text in another multi-byte encoding is almost never valid UTF-8, whatever it declares.
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        leads = len(body.translate(None, _NOT_LEADS))
        return len(body.translate(None, _NOT_HANGUL_LEADS)) + refs, leads + refs
    if (header_charset(content_type) or meta_charset(body)) in _OTHER_LEGACY:
        return refs, refs
    # Few pages are neither UTF-8 nor declared: decoding them costs little. GBK or Big5 bytes
    # read as CP949 give Hangul too, and invalid pairs: more than 1% of them, and it is not CP949.
    text = body.decode("cp949", "replace")
    beyond = len(text) - len(text.encode("ascii", "ignore"))
    if text.count("\ufffd") > 0.01 * beyond:
        return refs, beyond + refs
    return len(_HANGUL.findall(text)) + refs, beyond + refs


def could_be_korean(body: bytes, content_type: str | None, min_hangul: int, min_share: float) -> tuple[bool, str]:
    """Whether to extract the page, and the counts that decided it."""
    hangul, beyond = hangul_count(body, content_type)
    share = hangul / beyond if beyond else 0.0
    return hangul >= min_hangul and share >= min_share, f"{hangul} Hangul syllables, {share:.0%} of non-ASCII"
