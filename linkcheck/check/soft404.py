"""Soft 404s: pages that answer 2xx but are gone.

Three signals, cheapest first; each is enough on its own, and each errs on
the side of "ok" (a wrong soft_404 fails someone's build):

1. Where a redirect ends. A deep URL (not the root, not an index or language
   page) redirected to the site root or a language root, or to an error page
   (`/404.html`, `?error=notfound`), lost its content; so did a deep URL that
   redirects to the same place a random path does (see 3). A redirect to
   another site's root counts only from two path segments down: a short link
   (`sho.rt/abc`) may well point at a home page.
2. What the page says. Its title (or a part of it between " | ", " - " ...)
   or its main heading *is* a not-found message ("Page not found", "Oops!
   That page can't be found.", "Seite nicht gefunden", "ページが見つかりません",
   ...). Containing the words is not enough: "404 Not Found: what it means"
   is an article. A long page (over LONG_PAGE_WORDS words of main text) or a
   page that declares itself a dated article is never judged by its title.
3. The probe. A random sibling path (same host and directory, same shape) is
   requested once per (origin, directory, shape) in a run. When it also
   answers 2xx and its main text is near-identical to the cited page's
   (Jaccard similarity of word 3-shingles >= SAME_PAGE, after volatile parts
   and the URLs' own words are dropped), both have at least MIN_WORDS words
   and neither has more than DISTINCT_WORDS words of its own, the cited page
   is the site's catch-all page. A site that answers 200 for everything but serves distinct content
   for the cited page is therefore not flagged, and neither is a JavaScript
   app shell (an empty mount point: what it shows is decided in a browser).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin

from yarl import URL

from linkcheck.check.pagetext import (
    PageText,
    fold,
    jaccard,
    more_words_than,
    shingles,
    url_words,
    words,
)

SAME_PAGE = 0.9
DISTINCT_WORDS = 5
MIN_WORDS = 10  # fewer words than this on either page: too little to call them the same
LONG_PAGE_WORDS = 300
QUOTE_AT_MOST = 60

# --- 1. Where a redirect ends ----------------------------------------------

_INDEX = re.compile(r"(?:index|default|home|start|welcome|main)(?:\.[a-z0-9]{1,5})?", re.I)
_LANGUAGES = frozenset(re.findall(r"\w+", """
    ar bg ca cs da de el en es et fa fi fr he hi hr hu id it ja ko lt lv ms nl no pl pt ro ru
    sk sl sr sv th tr uk vi zh
"""))
_LANGUAGE = re.compile(r"([a-z]{2})(?:[-_][a-z]{2,4})?", re.I)
_HARMLESS_QUERY = frozenset({"ref", "source", "from", "lang", "hl", "redirect", "redirected"})
_ERROR_PAGE = re.compile(r"(?:^|-)(?:404|notfound|pagenotfound|error404|404error|not-found)(?:-|$)")


def segments(url: URL) -> list[str]:
    return [part for part in url.path.split("/") if part]


def _landing_segment(part: str) -> bool:
    language = _LANGUAGE.fullmatch(part)
    return bool(_INDEX.fullmatch(part)) or bool(language and language[1].lower() in _LANGUAGES)


def is_deep(url: URL) -> bool:
    """Below the root, and not just an index or a language page (`/en/`, `/index.html`)."""
    parts = segments(url)
    return bool(parts) and not (len(parts) <= 2 and all(map(_landing_segment, parts)))


def is_landing(url: URL) -> bool:
    """The site root, a language root, or an index page, with no query that selects content."""
    parts = segments(url)
    query_ok = all(
        key.lower().startswith("utm_") or key.lower() in _HARMLESS_QUERY
        for key, _ in parse_qsl(url.query_string, keep_blank_values=True)
    )
    return query_ok and len(parts) <= 2 and all(_landing_segment(part) for part in parts)


def is_error_page(url: URL) -> bool:
    tokens = "-".join(t for t in re.split(r"[^a-z0-9]+", f"{url.path}?{url.query_string}".lower()))
    return bool(_ERROR_PAGE.search(tokens))


def same_site(a: URL, b: URL) -> bool:
    """The same host give or take `www.`, or one a subdomain of the other."""
    x, y = (_bare(u.raw_host or "") for u in (a, b))
    return x == y or x.endswith("." + y) or y.endswith("." + x)


def _bare(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def redirect_signal(start: URL, final: URL) -> str | None:
    """Why a redirect from `start` to `final` (a 2xx page) means the cited page is gone."""
    if not is_deep(start) or _same_resource(start, final):
        return None
    if is_error_page(final) and not is_error_page(start):
        return f"redirects to an error page ({_quote(final.path, quotes=False)})"
    if not is_landing(final):
        return None
    if not same_site(start, final) and len(segments(start)) < 2:
        return None
    if not segments(final):
        return "redirects to the site root"
    return f"redirects to the site's landing page ({_quote(final.path, quotes=False)})"


def _same_resource(a: URL, b: URL) -> bool:
    return a.path.rstrip("/") == b.path.rstrip("/") and same_site(a, b)


# --- 2. What the page says --------------------------------------------------

_NOUN = (
    r"(?:web ?)?(?:page|file|document|article|post|content|resource|story|url|link|item"
    r"|product|entry|site)"
)
_LOOKING = r"(?:(?:you|youre|you are|you were|you re) (?:looking|searching) for|you requested)"
_NOT = r"(?:cant|cannot|can not|couldnt|could not|was not|wasnt|is not|isnt|does not|doesnt)"
_THE = r"(?:(?:the|this|that|your) )?(?:requested )?"
_NOT_FOUND_PHRASES = (
    # English
    rf"(?:http (?:status )?404 )?{_THE}(?:{_NOUN} )?not found(?: on this server)?",
    rf"{_THE}{_NOUN}(?: {_LOOKING})? (?:{_NOT} (?:be )?(?:found|exists?)|no longer exists?"
    rf"|(?:is |has been |was )?no longer available|(?:is |was )?missing"
    rf"|has been (?:removed|deleted))(?: on this server)?",
    rf"(?:we )?(?:cant|cannot|can not|couldnt|could not) find (?:(?:the|that|this|your|what) )?"
    rf"(?:{_NOUN})?(?: ?{_LOOKING})?",
    # German
    r"(?:die )?(?:angeforderte |gesuchte )?(?:(?:seite|datei|dokument|artikel) )?"
    r"(?:wurde |konnte )?(?:leider )?nicht gefunden(?: werden)?",
    r"(?:die |diese )?(?:seite|datei|dokument|artikel) existiert (?:leider )?nicht(?: mehr)?",
    # French
    r"(?:la |cette )?(?:page|fichier|document|article) (?:est )?(?:introuvable|non trouvée?"
    r"|inexistante)",
    r"(?:la |cette )?(?:page|fichier|document|article)"
    r"(?: que vous (?:cherchez|recherchez|demandez))? n ?existe (?:pas|plus)",
    r"(?:nous ne trouvons pas|impossible de trouver) (?:la |cette )?(?:page|document)",
    # Spanish
    r"(?:la |esta )?(?:página|archivo|documento|artículo) no (?:encontrad[ao]|existe)",
    r"(?:la |esta )?(?:página|archivo|documento|artículo)(?: que (?:buscas|busca|solicitaste))? no "
    r"(?:existe|se (?:encuentra|encontró|ha encontrado|pudo encontrar)|fue encontrad[ao])",
    r"no (?:se )?(?:encontró|encontramos|hemos encontrado|pudimos encontrar) (?:la |esta )?página",
    # Portuguese
    r"(?:a |esta )?(?:página|arquivo|ficheiro|documento|artigo) (?:não encontrad[ao]|inexistente)",
    r"(?:a |esta )?(?:página|arquivo|documento|artigo)(?: que (?:você )?(?:procura|solicitou))? não"
    r" (?:existe|foi encontrad[ao]|pode ser encontrad[ao])",
    # Italian
    r"(?:la )?(?:pagina|documento|articolo) (?:non trovat[ao]|inesistente)",
    r"(?:la )?(?:pagina|documento|articolo)(?: che stai cercando| richiesta)? non "
    r"(?:esiste(?: più)?|è stat[ao] trovat[ao])",
    # Dutch
    r"(?:de |deze )?(?:pagina|bestand|document|artikel)(?: die (?:je|u) zoekt)? (?:niet gevonden"
    r"|bestaat niet(?: meer)?|kon niet (?:worden )?gevonden(?: worden)?|is niet gevonden)",
    # Polish, Czech, Slovak
    r"(?:nie znaleziono|nie odnaleziono) (?:strony|pliku|artykułu)",
    r"(?:strona|plik|artykuł) nie (?:została znaleziona|został znaleziony|istnieje)",
    r"stránka (?:nenalezena|nebyla nalezena|neexistuje|sa nenašla|nebola nájdená)",
    # Russian, Ukrainian
    r"(?:запрашиваемая |запрошенная )?страница не (?:найдена|существует)",
    r"такой страницы (?:нет|не существует)",
    r"(?:сторінку не знайдено|сторінка не знайдена|сторінки не існує|сторінка не існує)",
    # Turkish, Nordic, Finnish, Hungarian, Romanian, Greek
    "(?:arad\u0131\u011f\u0131n\u0131z )?sayfa bulunamad\u0131",  # Turkish dotless i
    r"sidan (?:du söker )?(?:kunde inte hittas|hittades inte|finns inte)",
    r"siden (?:blev ikke fundet|findes ikke|kunne ikke findes|finnes ikke|ble ikke funnet)",
    r"sivua ei (?:löytynyt|löydy)",
    r"(?:az )?oldal nem található",
    r"pagina nu (?:a fost găsită|există)",
    r"(?:η )?σελίδα δεν (?:βρέθηκε|υπάρχει)",
    # Japanese, Chinese, Korean
    r"(?:お探しの|指定された|ご指定の)?ページ(?:が|は)(?:見つかりません(?:でした)?|存在しません)",
    r"(?:您访问的|您要访问的|你访问的|您所访问的)?(?:页面|頁面|网页|網頁)(?:不存在|未找到|找不到了?|没有找到)",
    r"找不到(?:该|該)?(?:页面|頁面|网页|網頁)",
    r"(?:요청하신 )?페이지를 찾을 수 없습니다",
    # Arabic, Hebrew, Persian, Hindi
    r"الصفحة غير موجودة|لم يتم العثور على الصفحة",
    r"(?:הדף|העמוד) (?:לא נמצא|אינו קיים)",
    r"صفحه (?:مورد نظر )?(?:یافت نشد|پیدا نشد)",
    r"पृष्ठ नहीं मिला",
    # Indonesian, Vietnamese, Thai
    r"halaman (?:yang (?:anda )?cari )?tidak ditemukan",
    r"không tìm thấy trang|trang không tồn tại",
    r"ไม่พบหน้า(?:ที่คุณต้องการ)?",
)
# Words that decorate a not-found message: "Oops! 404 - Page not found".
_FILLER = frozenset(
    fold(word)
    for word in re.findall(r"\w+", """
        oops ooops whoops woops uh oh ohh sorry error hmm ouch ups oups huch yikes alas snap
        we are re very so erreur fehler errore erro fout błąd ошибка помилка hata virhe chyba
        hiba eroare σφάλμα lo sentimos désolé leider entschuldigung spiacenti perdón desculpe
        упс ой
    """)
)
_NOT_FOUND = re.compile("|".join(f"(?:{fold(phrase)})" for phrase in _NOT_FOUND_PHRASES))
_SLUG = re.compile(r"\w+(?:[-_.]\w+)+")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_TITLE_PARTS = re.compile("\\s+(?:[|\\-\u2013\u2014\u00b7\u2022\u00bb:~/]|::)\\s+")


def _phrase_tokens(text: str) -> list[str]:
    """The words of `text` folded, apostrophes removed ("can't" → "cant"), split at
    punctuation. ASCII text (most titles) takes a shortcut to the same tokens."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower().replace("'", "").replace("`", ""))
    folded = re.sub("['`\u2018\u2019]", "", fold(text))
    return "".join(c if c.isalnum() or _is_mark(c) else " " for c in folded).split()


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def says_not_found(text: str, *, whole: bool = True) -> bool:
    """True when `text` *is* a not-found message (fillers aside), not when it mentions one.

    A bare "404" or "Error 404" counts only as the `whole` title or heading, and a
    name written as a slug ("page-not-found", a package or repository) never counts.
    """
    if _SLUG.fullmatch(text.strip()):
        return False
    tokens = _phrase_tokens(text)
    bare_404 = "404" in tokens
    while tokens and (tokens[0] in _FILLER or tokens[0].isdigit()):
        tokens.pop(0)
    while tokens and (tokens[-1] in _FILLER or tokens[-1].isdigit()):
        tokens.pop()
    if not tokens:
        return whole and bare_404
    return _NOT_FOUND.fullmatch(" ".join(tokens)) is not None


def page_signal(page: PageText, start: URL, final: URL) -> str | None:
    """Why this 2xx page says the cited page is gone: its title or heading, or a meta refresh."""
    if page.refresh is not None:
        target = URL(urljoin(str(final), page.refresh))
        signal = redirect_signal(start, target) if target.is_absolute() else None
        if signal is not None:
            return signal + " (meta refresh)"
    signal = _says_not_found(page)
    if signal is None or page.article or more_words_than(page.text, LONG_PAGE_WORDS):
        return None  # the text is read last: most pages are cleared by their title
    return signal


def _says_not_found(page: PageText) -> str | None:
    """What the page's title or a heading says, when it says not found."""
    if page.title:
        if says_not_found(page.title):
            return f"title says {_quote(page.title)}"
        parts = _TITLE_PARTS.split(page.title)
        for part in parts if len(parts) > 1 else ():  # one part: the title, just judged
            if says_not_found(part, whole=False):
                return f"title says {_quote(part)}"
    for heading in page.headings:
        if says_not_found(heading):
            return f"heading says {_quote(heading)}"
    return None


def _quote(text: str, *, quotes: bool = True) -> str:
    text = " ".join(text.split())
    if len(text) > QUOTE_AT_MOST:
        text = text[: QUOTE_AT_MOST - 1] + "…"
    return f"'{text}'" if quotes else text


# --- 3. The probe -----------------------------------------------------------

ProbeKey = tuple[str, str, str]  # origin, directory, shape ("/", ".html" or "")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}")  # not a version: v1.2.3


@dataclass(frozen=True, slots=True)
class Probe:
    """What a random path next to a cited page answered."""

    url: str
    status: int | None = None  # of the final answer; None when there was none
    final_url: str | None = None
    redirected: bool = False
    page: PageText | None = None  # when the final answer was a 2xx HTML page

    @property
    def success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _split(url: URL) -> tuple[str, str]:
    """The directory of a URL's path (ending in "/") and the shape of its last part."""
    path = url.raw_path
    trailing = path.endswith("/")
    directory, _, name = path.rstrip("/").rpartition("/")
    if trailing:
        return directory + "/", "/"
    extension = name[name.rfind(".") :] if "." in name else ""
    return directory + "/", extension if _EXTENSION.fullmatch(extension) else ""


def probe_key(url: URL) -> ProbeKey:
    directory, shape = _split(url)
    return str(url.origin()), directory, shape


def random_sibling(url: URL) -> URL:
    """A path next to `url` that no site has: same directory, same shape, no query."""
    directory, shape = _split(url)
    return url.with_path(f"{directory}{secrets.token_hex(8)}{shape}", encoded=True)


def same_page(a: PageText, b: PageText, drop: Iterable[str]) -> float | None:
    """The similarity of two pages when they are the same page, else None."""
    if a.app_shell or b.app_shell:
        return None
    dropped = frozenset(drop)
    a_lines, b_lines = _lines(a, dropped), _lines(b, dropped)
    a_words = [w for line in a_lines for w in line]
    b_words = [w for line in b_lines for w in line]
    if len(a_words) < MIN_WORDS or len(b_words) < MIN_WORDS:
        return None
    score = jaccard(shingles(a_words), shingles(b_words))
    if score < SAME_PAGE:
        return None
    if max(_own_words(a_lines, b_lines), _own_words(b_lines, a_lines)) > DISTINCT_WORDS:
        return None
    return score


def _lines(page: PageText, drop: frozenset[str]) -> list[tuple[str, ...]]:
    found = (tuple(words(line, drop)) for line in (page.title, *page.lines))
    return [line for line in found if line]


def _own_words(lines: list[tuple[str, ...]], others: list[tuple[str, ...]]) -> int:
    """Words in lines of one page that the other page does not have."""
    seen = set(others)
    return sum(len(line) for line in lines if line not in seen)


def probe_signal(
    start: URL, final: URL, *, redirected: bool, page: PageText | None, probe: Probe
) -> str | None:
    """Why the probe shows that the cited page is the site's answer to any path."""
    if not probe.success or probe.final_url is None:
        return None
    if redirected and probe.redirected and probe.final_url == str(final):
        where = _quote(final.path, quotes=False)
        return f"redirects to {where}, as a random path on this host does"
    if page is None or probe.page is None:
        return None
    drop = url_words(start) | url_words(final) | url_words(URL(probe.url)) | url_words(
        URL(probe.final_url)
    )
    score = same_page(page, probe.page, drop)
    if score is None:
        return None
    return f"same page as a random path on this host (similarity {score:.2f})"


class Prober:
    """One probe per (origin, directory, shape) for a whole run, shared while in flight.

    The first page of a directory starts the probe as a task; every other page
    of that directory awaits the same task (shielded, so that one waiter's
    timeout does not cancel it for the rest).
    """

    def __init__(self, run: Callable[[URL], Awaitable[Probe]]) -> None:
        self._run = run
        self._tasks: dict[ProbeKey, asyncio.Future[Probe]] = {}

    @property
    def sent(self) -> int:
        return len(self._tasks)

    def known(self, url: URL) -> Probe | None:
        """The answer of the probe for `url`, when it is already in: no need to wait."""
        task = self._tasks.get(probe_key(url))
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    async def probe(self, url: URL) -> Probe:
        key = probe_key(url)
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._run(random_sibling(url)))
            self._tasks[key] = task
        return await asyncio.shield(task)

    async def close(self) -> None:
        pending = [task for task in self._tasks.values() if not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
