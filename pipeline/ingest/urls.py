"""URL-level filtering at ingest, before any page is extracted."""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit


def domain_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def _read_list(text: str) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


class UrlFilter:
    """Blocks a URL whose host is a listed domain or a subdomain of one (`blocked_domain`), or
    that matches a listed pattern (`blocked_url`: URL patterns over the whole URL, host patterns
    over the host). `defaults` adds the shipped Korean list (gambling and adult hosts and URL
    words); lists in files have one entry per line."""

    def __init__(self, domains: list[str] = (), domain_files: list[str] = (), url_patterns: list[str] = (),
                 pattern_files: list[str] = (), host_patterns: list[str] = (), defaults: bool = True):
        domains, patterns, hosts = list(domains), list(url_patterns), list(host_patterns)
        for f in domain_files:
            domains += _read_list(Path(f).read_text(encoding="utf-8"))
        for f in pattern_files:
            patterns += _read_list(Path(f).read_text(encoding="utf-8"))
        if defaults:
            shipped = resources.files("kopile.pipeline.ingest").joinpath("blocklist_ko.txt").read_text(encoding="utf-8")
            for entry in _read_list(shipped):
                kind, _, value = entry.partition(" ")
                {"domain": domains, "host": hosts, "pattern": patterns}[kind].append(value.strip())
        self.domains = {d.lower().lstrip(".") for d in domains}
        self.pattern = _compile(patterns, "url pattern")
        self.host_pattern = _compile(hosts, "host pattern")

    def reason(self, url: str | None, host: str | None = None) -> str | None:
        """`host`: the URL's, where the caller has it already (`domain_of`)."""
        host = host or domain_of(url)
        if host:
            parts = host.split(".")
            if any(".".join(parts[i:]) in self.domains for i in range(len(parts))):
                return "blocked_domain"
        if host and self.host_pattern is not None and self.host_pattern.search(host):
            return "blocked_url"
        if url and self.pattern is not None and self.pattern.search(url):
            return "blocked_url"
        return None


def _compile(patterns: list[str], what: str):
    for i, p in enumerate(patterns):
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"{what} {i} {p!r} is not a valid regular expression: {e}") from None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None
