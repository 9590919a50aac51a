"""The collect stage's own types: a document being read, a citation's fields, and a bad input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from linkcheck import urls
from linkcheck.models import Citation

KINDS = ("html", "markdown", "text")

# A citation's fields, in `Citation`'s order: what `Document.row` makes instead of one.
Row = tuple[str, int, int, str, str, str, dt.date | None]


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
        return Citation(*self.row(line, column, url, href, text, accessed))

    def row(
        self,
        line: int,
        column: int,
        url: str,
        href: str,
        text: str,
        accessed: dt.date | None = None,
    ) -> Row:
        """The fields of `cite`'s citation, in order, without making it: the
        collect workers send fields (collect/pool.py), and a Citation made only
        to be taken apart again would cost them a microsecond a link."""
        resolved = self.resolve(href)
        return (self.source, line, column, text, url, resolved, accessed or self.published)
