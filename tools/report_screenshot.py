"""A PNG of the first page of a run's report.html, as the README shows it, rendered by MuPDF's
HTML engine (pymupdf: `pip install pymupdf`; not a kopile dependency, no browser needed).

    python tools/report_screenshot.py build/sample-run/report.html docs/report/report_page1.png
"""
from __future__ import annotations

import base64
import re
import sys
import tempfile
from pathlib import Path

CSS = ("body{font-family:sans-serif;font-size:9px} table{border-collapse:collapse} "
       "td,th{border:1px solid #ccc;padding:1px 4px} img{width:100%} pre{font-size:8px}")


def main(argv=None) -> int:
    import pymupdf

    source, target = (argv or sys.argv[1:])[:2]
    page = Path(source).read_text(encoding="utf-8")
    images = Path(tempfile.mkdtemp())
    count = iter(range(10**6))

    def to_file(match):
        name = f"img{next(count)}.png"
        (images / name).write_bytes(base64.b64decode(match.group(1)))
        return f'src="{name}"'

    # MuPDF's Story reads images from an archive, not from data URIs, and has its own CSS.
    page = re.sub(r'src="data:image/png;base64,([^"]+)"', to_file, page)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    story = pymupdf.Story(html=page, user_css=CSS, archive=pymupdf.Archive(str(images)))
    pdf = images / "report.pdf"
    writer = pymupdf.DocumentWriter(str(pdf))
    rect = pymupdf.paper_rect("a4")
    more = True
    while more:
        device = writer.begin_page(rect)
        more, _ = story.place(rect + (36, 36, -36, -36))
        story.draw(device)
        writer.end_page()
    writer.close()
    pymupdf.open(str(pdf))[0].get_pixmap(dpi=110).save(target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
