"""Main-content text of an HTML page: resiliparse (the default) or trafilatura."""
from __future__ import annotations

import re

_BLANKS = re.compile(r"\n{3,}")


class Extractor:
    """`resiliparse` keeps the main content through its DOM heuristics in C++, several times
    faster than `trafilatura`, which scores blocks in Python over lxml (see the ingest
    benchmark for both speed and the boilerplate each leaves on Korean pages)."""

    def __init__(self, name: str = "resiliparse"):
        if name not in ("resiliparse", "trafilatura"):
            raise ValueError(f"extractor must be resiliparse or trafilatura, not {name!r}")
        self.name = name

    def __call__(self, html: str) -> str:
        if self.name == "resiliparse":
            from resiliparse.extract.html2text import extract_plain_text
            from resiliparse.parse.html import HTMLTree

            text = extract_plain_text(HTMLTree.parse(html), main_content=True, alt_texts=False,
                                      links=False, list_bullets=True, preserve_formatting=True)
        else:
            import trafilatura

            text = trafilatura.extract(html, include_comments=False, include_tables=True,
                                       include_images=False, include_links=False, deduplicate=False) or ""
        return _BLANKS.sub("\n\n", text).strip()
