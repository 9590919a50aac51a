"""The collect stage's own types: a document being read, and a bad input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from linkcheck import urls
from linkcheck.models import Citation

KINDS = ("html", "markdown", "text")


class InputError(Exception):
    """An input the user named cannot be used; the message names it (CLI exits 2)."""


@dataclass(frozen=True, slots=True)
class Document:
    """One document (`kind` one of KINDS) and how its links resolve.

    `base` resolves relative links; `root` resolves root-relative ones
    (`/x`): a site URL, a `file:` URI of the folder standing for the site
    root (ending in '/'), or None when they cannot be resolved and are left
    as written for the check stage to report. `published` is the document's
    date (`dates.document_date`), each citation's date unless it has its own.
    """

    source: str
    kind: str
    base: str | None = None
    root: str | None = None
    published: dt.date | None = None

    def resolve(self, href: str) -> str:
        """The absolute URL a link stands for, fragment kept, or `href` as is."""
        href = href.strip()
        if not (href.startswith("/") and not href.startswith("//")):
            return urls.resolve(href, self.base)
        if self.root is None:
            return href
        if self.root.startswith("file:"):
            # urljoin would climb to the file system's root, not the site's.
            return urls.resolve("./" + href[1:], self.root)
        return urls.resolve(href, self.root)

    def with_base(self, href: str) -> Document:
        """This document under an HTML `<base href>`."""
        base = self.resolve(href)
        on_the_web = base[:8].lower().startswith(("http://", "https://"))
        return replace(self, base=base, root=base if on_the_web else self.root)

    def cite(
        self,
        line: int,
        column: int,
        url: str,
        href: str,
        text: str,
        accessed: dt.date | None = None,
    ) -> Citation:
        """A citation of `url` as written at (line, column); `href` is what it
        means; `accessed` an access date written next to it."""
        # by position: the quicker call, made for every link
        return Citation(
            self.source, line, column, text, url, self.resolve(href), accessed or self.published
        )
