"""Bytes to text, never guessing blindly.

The order: a byte order mark; else UTF-8; else the charset the document
declares (HTTP Content-Type, `<meta charset>`, XML declaration); else
charset-normalizer, trusted only when its best reading decodes strictly and
no equally ranked reading decodes differently (on a few bytes it ranks a
dozen encodings equal). Otherwise the document is skipped with "cannot
determine the text encoding". A NUL byte outside UTF-16/32 means binary.

Files too large to hold are `probe`d in blocks (the whole file is checked
to be UTF-8 before any of it is trusted to be) and then read line by line.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Iterator

BINARY = "binary content (NUL bytes)"
UNKNOWN = "cannot determine the text encoding"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
    rb"""|\A\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""",
    re.IGNORECASE,
)
_CHARSET_PARAMETER = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_SAMPLE = 1 << 20  # what charset-normalizer is shown of a large file
_BLOCK = 1 << 18  # characters or bytes read at a time


class Undecodable(ValueError):
    """Content that is not text, or text in an unknown encoding; the message
    completes '<source>: '."""


def decode(data: bytes, declared: Iterable[str | None] = ()) -> str:
    encoding = _bom(data)
    if encoding is not None:
        return _strict(data, encoding)
    if b"\0" in data:
        raise Undecodable(BINARY)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for name in declared:
        codec = _codec(name)
        if codec is not None:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    return data.decode(detect(data))


def declared_in(head: bytes) -> list[str]:
    """Charsets an HTML or XML document declares in its first 1024 bytes."""
    return [(match[1] or match[2]).decode("ascii") for match in _DECLARED.finditer(head[:1024])]


def charset_parameter(content_type: str | None) -> str | None:
    match = _CHARSET_PARAMETER.search(content_type or "")
    return match[1] if match else None


def detect(sample: bytes) -> str:
    """The encoding charset-normalizer finds for `sample`, when unambiguous."""
    import charset_normalizer  # only for the rare document that needs it: 3.6 MB

    results = charset_normalizer.from_bytes(sample)
    best = results.best()
    if best is None:
        raise Undecodable(UNKNOWN)
    text = str(best)
    rank = (best.chaos, best.coherence)
    if any((match.chaos, match.coherence) == rank and str(match) != text for match in results):
        raise Undecodable(UNKNOWN)
    try:
        if sample.decode(best.encoding) == text:
            return best.encoding
    except (UnicodeDecodeError, LookupError):
        pass
    raise Undecodable(UNKNOWN)


def probe(path: str) -> str:
    """The encoding of the file at `path`, read in blocks of bounded size."""
    with open(path, "rb") as file:
        block = file.read(_BLOCK)
        encoding = _bom(block)
        if encoding is not None:
            return encoding
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, failed_at = 0, None
        while block:
            if b"\0" in block:
                raise Undecodable(BINARY)
            if failed_at is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as error:
                    failed_at = offset + error.start
            offset += len(block)
            block = file.read(_BLOCK)
        if failed_at is None:
            try:
                decoder.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                failed_at = offset
        # Show charset-normalizer whole lines around the first non-UTF-8 byte.
        start = max(0, failed_at - _SAMPLE // 2)
        file.seek(start)
        sample = file.read(_SAMPLE)
        first = sample.find(b"\n") + 1 if start else 0
        last = sample.rfind(b"\n") + 1 if len(sample) == _SAMPLE else len(sample)
        return detect(sample[first:last] if first < last else sample)


def read_blocks(path: str, encoding: str) -> Iterator[str]:
    """A text file as blocks of whole lines of about `_BLOCK` characters,
    line ends normalised to '\\n': joined with '\\n', the blocks are the text."""
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding=encoding, newline=None) as text:
        rest, lines = "", 0
        try:
            while chunk := text.read(_BLOCK):
                end = chunk.rfind("\n")
                if end < 0:
                    rest += chunk
                    continue
                block, rest = rest + chunk[:end], chunk[end + 1 :]
                lines += block.count("\n") + 1
                yield block
        except UnicodeDecodeError:
            raise Undecodable(f"not valid {encoding} after line {lines}") from None
        yield rest


def _bom(data: bytes) -> str | None:
    return next((encoding for mark, encoding in _BOMS if data.startswith(mark)), None)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        name = encoding.removesuffix("-sig").upper()
        skipped = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0  # counted from after it
        raise Undecodable(
            f"not valid {name} although it starts with a {name} byte order mark "
            f"(byte {error.start + skipped})"
        ) from None


def _codec(name: str | None) -> str | None:
    """A declared charset's codec; UTF-16/32 are ignored without a byte
    order mark, as browsers do (the declaration is then wrong)."""
    try:
        codec = codecs.lookup(name or "").name
    except LookupError:
        return None
    return None if codec.startswith(("utf-16", "utf-32")) else codec
