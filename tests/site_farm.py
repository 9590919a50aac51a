"""A labelled corpus for soft-404, wall and drift detection: real-world-shaped sites on 127.0.0.1.

`SiteFarm` is one aiohttp server that plays many sites, told apart by the
Host header (`SiteFarm.resolver()` maps every name to 127.0.0.1, so no DNS is
ever asked). Each site imitates a shape seen in the wild: an honest news site
that answers 404, a shop whose missing products answer 200 "Page not found",
a docs site that answers 200 for everything with a volatile page, a
JavaScript app shell, a site that serves its home page for unknown paths,
sites in ten languages, bot walls of every common vendor, paywalls, login
walls, and the false-positive traps next to each of them (an article about
404 errors, "No results found", a short real page on a catch-all site, a
cookie banner, an origin 403 behind Cloudflare, a page about Cloudflare's
challenge, a site that refuses only non-browsers).

`CASES` labels every checked page with the verdict it must get and what its
reason must say; `DRIFT_CASES` pairs a raw archived copy with a live page.
`evaluate()` runs the checker over all of it and returns precision and
recall per flag; `tests/test_check_corpus.py` asserts the targets and
`bench/soft404_eval.py` prints the table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from servers import MappingResolver, fast_config

from linkcheck.check import Checker, drift
from linkcheck.config import Config
from linkcheck.models import Fetch, Verdict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# --- text -------------------------------------------------------------------

_VOCABULARY = re.findall(r"\w+", """
time year people way day thing world school state family student group country problem hand
part place case week company system program question work government number night point home
water room mother area money story fact month lot right study book eye job word business issue
side kind head house service friend father power hour game line end member law car city
community name president team minute idea body information back parent face level office door
health person art war history party result change morning reason research moment air teacher
force education council budget river bridge harbour energy market price policy report museum
garden winter summer village library railway engine coast island forest valley mountain farm
festival election court judge science theory planet ocean climate weather storm harvest bread
measure announce discover explain consider develop publish describe reduce increase support
protect remember prepare propose suggest reveal recover achieve compare examine improve
careful sudden public private recent ancient local national modern rural urban quiet narrow
""")


def prose(seed: str, paragraphs: int = 4, sentences: int = 4) -> list[str]:
    """Deterministic filler text: distinct per seed, stable per seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        parts = []
        for _ in range(sentences):
            sentence = " ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(9, 16)))
            parts.append(sentence.capitalize() + ".")
        out.append(" ".join(parts))
    return out


def page(
    title: str,
    heading: str,
    paragraphs: list[str],
    *,
    site: str = "Example",
    semantic: bool = True,
    head: str = "",
    before: str = "",
    after: str = "",
    footer_words: int = 40,
) -> str:
    """An HTML page with the usual furniture: navigation, header, footer."""
    nav_links = " ".join(f"<a href='/{w}'>{w.title()}</a>" for w in ("news", "about", "contact"))
    footer = " ".join(prose(site + "footer", 1, 3)[0].split()[:footer_words])
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if semantic:
        layout = (
            f"<header><a href='/'>{site}</a><nav>{nav_links}</nav></header>"
            f"<main>{before}<h1>{heading}</h1>{body}{after}</main>"
            f"<footer><p>{footer}</p><p>© {site}</p></footer>"
        )
    else:
        layout = (
            f"<div class='top'><a href='/'>{site}</a> {nav_links}</div>"
            f"<div class='content'>{before}<h1>{heading}</h1>{body}{after}</div>"
            f"<div class='bottom'>{footer} © {site}</div>"
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}"
        f"<script>window.dataLayer=[{{'t':{secrets.randbelow(10**9)}}}];</script></head>"
        f"<body>{layout}</body></html>"
    )


def html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=text, status=status, headers=headers, content_type="text/html")


def const(text: str, status: int = 200, **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return html(text, status, {k.replace("_", "-"): v for k, v in headers.items()})

    return handler


def redirect(location: str, status: int = 301, *, other: str | None = None) -> Handler:
    """A redirect; `other` names a host of the farm (the port is the request's)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        target = f"http://{other}:{request.url.port}{location}" if other else location
        return web.Response(status=status, headers={"Location": target})

    return handler


async def not_found(request: web.Request) -> web.StreamResponse:
    return html(page("Not Found", "Not Found", ["The requested URL was not found."]), 404)


# --- sites ------------------------------------------------------------------


@dataclass
class Site:
    pages: dict[str, Handler] = field(default_factory=dict)
    fallback: Handler = not_found


def _news() -> Site:
    def article(slug: str, title: str, *, og: bool = True, words: int = 6) -> Handler:
        meta = "<meta property='og:type' content='article'>" if og else ""
        return const(page(f"{title} | News", title, prose(slug, words), site="News", head=meta))

    about_404 = page(
        "404 Not Found: What It Means and How to Fix It | News",
        "404 Not Found: what it means and how to fix it",
        [
            "A 404 Not Found error means the server could not find the page you asked for. "
            "Page not found messages are common after a site is reorganised.",
            *prose("fix-404", 6),
            "If you see 'page not found' on your own site, check your redirects.",
        ],
        site="News",
    )
    search = page(
        "Search results for 'zzqx' | News",
        "No results found",
        ["We found no articles matching zzqx. Try fewer or different words."],
        site="News",
    )
    error_page = page("Page not found | News", "Page not found", ["Try the search."], site="News")
    refresh = (
        "<html><head><title>News</title><meta http-equiv='refresh' content='0; url=/'></head>"
        "<body><p>Redirecting to the home page...</p></body></html>"
    )
    home = page("News", "Today's news", prose("news-home", 3), site="News")
    return Site(
        pages={
            "/": const(home),
            "/2019/05/city-council-budget": article("budget", "City council passes the budget"),
            "/2020/01/removed-story": redirect("/"),
            "/blog/how-to-fix-404-not-found-errors": const(about_404),
            "/blog/page-not-found": article("essay", "Page Not Found", words=8),
            "/search": const(search),
            "/about": const(page("About us | News", "About us", [
                "News is a small team of reporters covering the city since 1998. "
                "Write to us at the address below."], site="News")),
            "/index.html": redirect("/"),
            "/en/": redirect("/"),
            "/2018/07/old-interview": redirect("/404.html", 302),
            "/404.html": const(error_page),
            "/2015/02/moved-on": const(refresh),
            "/reports/annual-2019.pdf": _pdf,
            "/archive": redirect("/archive/"),
            "/archive/": const(page("Archive | News", "Archive", prose("archive", 2), site="News")),
            "/help/troubleshooting": const(page(
                "Troubleshooting | News", "Troubleshooting",
                ["If a link in an old article is broken, tell us which one."], site="News",
                after="<h2>Page not found</h2><p>Old links may point to pages we moved.</p>")),
        }
    )


async def _pdf(request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"%PDF-1.4\n" + b"0" * 2000, content_type="application/pdf")


def _shop() -> Site:
    template_404 = page(
        "Page not found \u2013 Shop", "Oops! That page can\u2019t be found.",
        ["It looks like nothing was found at this location. Maybe try a search?"], site="Shop",
    )
    product_404 = page("Shop", "Product not found", ["Browse our catalogue."], site="Shop")

    def product(slug: str) -> Handler:
        return const(page(f"{slug} | Shop", slug.replace("-", " ").title(), prose(slug, 3),
                          site="Shop"))

    async def category_fallback(request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/products/"):
            return web.Response(status=301, headers={"Location": "/products/"})
        return await not_found(request)

    login = page("Sign in | Shop", "Sign in", ["Use your account to continue."], site="Shop",
                 after="<form><input name='user'><input type='password' name='pw'></form>")
    return Site(
        pages={
            "/products/": const(page("All products | Shop", "All products",
                                     prose("catalogue", 2), site="Shop")),
            "/products/blue-widget": product("blue-widget"),
            "/products/new-name": product("new-name"),
            "/products/old-name": redirect("/products/new-name"),
            "/products/red-widget-discontinued": const(template_404),
            "/products/gadget-xl": const(product_404),
            "/account/orders": redirect("/login?next=/account/orders", 302),
            "/login": const(login),
        },
        fallback=category_fallback,
    )


def _catch_all() -> Site:
    """200 for every path: known pages are distinct, the rest one volatile template."""

    def docs(title: str, paragraphs: list[str]) -> Handler:
        return const(page(f"{title} | Catchall Docs", title, paragraphs, site="Catchall Docs",
                          semantic=False, footer_words=120))

    async def anything(request: web.Request) -> web.StreamResponse:
        stamp = dt.datetime.now(dt.UTC).isoformat()
        return html(page(
            "Catchall Docs", "Hmm.",
            [f"We looked everywhere for {request.path} but came back empty handed. "
             "Try the search box or start again from the home page.",
             f"Request {secrets.token_hex(6)} served at {stamp}."],
            site="Catchall Docs", semantic=False, footer_words=120,
        ))

    return Site(
        pages={
            "/docs/setup-guide": docs("Setup guide", prose("setup", 5)),
            "/docs/short-note": docs("A short note", [
                "Version two renamed the settings file; copy your old values across by hand."]),
        },
        fallback=anything,
    )


def _home_fallback() -> Site:
    """Unknown paths get the home page itself, with a 200."""
    home = page("Harbour Times", "Welcome to the Harbour Times", prose("harbour-home", 4),
                site="Harbour Times")
    return Site(
        pages={"/articles/present": const(page("Ferry timetable changes | Harbour Times",
                                              "Ferry timetable changes", prose("ferry", 5),
                                              site="Harbour Times"))},
        fallback=const(home),
    )


def _spa() -> Site:
    shell = (
        "<!doctype html><html><head><title>Acme App</title><script type='module' "
        "src='/assets/index.js'></script></head><body><noscript>You need to enable JavaScript "
        "to run this app.</noscript><div id='root'></div></body></html>"
    )
    return Site(fallback=const(shell))


_FOREIGN_404 = {
    "/de/artikel/alt": ("Seite nicht gefunden | Beispiel", "Fehler 404"),
    "/fr/article/ancien": ("Exemple", "Page introuvable"),
    "/es/articulo/viejo": ("Página no encontrada - Ejemplo", "Lo sentimos"),
    "/ja/kiji/old": ("ページが見つかりません | 例", "404"),
    "/ru/statya/old": ("Пример", "Страница не найдена"),
    "/zh/wenzhang/old": ("页面不存在 - 示例", "抱歉"),
    "/pt/artigo/velho": ("Exemplo", "Página não encontrada"),
    "/it/articolo/vecchio": ("Pagina non trovata | Esempio", "Ops!"),
    "/nl/artikel/oud": ("Voorbeeld", "Pagina niet gevonden"),
    "/pl/artykul/stary": ("Nie znaleziono strony - Przykład", "Ups"),
}


def _intl() -> Site:
    pages: dict[str, Handler] = {
        path: const(page(title, heading, ["…"], site="Intl"))
        for path, (title, heading) in _FOREIGN_404.items()
    }
    pages["/de/artikel/aktuell"] = const(page(
        "Stadtrat beschließt Haushalt | Beispiel", "Stadtrat beschließt Haushalt",
        ["Der Stadtrat hat am Dienstag den Haushalt für das kommende Jahr beschlossen. "
         "Die Opposition kritisierte die Kürzungen bei der Bibliothek und im Nahverkehr.",
         *prose("haushalt", 3)], site="Intl"))
    pages["/ja/kiji/new"] = const(page(
        "市議会が予算を可決 | 例", "市議会が予算を可決",
        ["市議会は火曜日、来年度の予算案を可決した。図書館と交通の予算が削減された。"],
        site="Intl"))
    return Site(pages=pages)


def _redirecting() -> dict[str, Site]:
    """Sites that answer unknown paths with a redirect: to the home page, or to a search."""
    guide = const(page("A real guide | Guides", "A real guide", prose("real-guide", 4)))

    async def to_search(request: web.Request) -> web.StreamResponse:
        words = request.path.rstrip("/").rpartition("/")[2].replace("-", "+")
        return web.Response(status=301, headers={"Location": f"/?s={words}"})

    async def search_or_home(request: web.Request) -> web.StreamResponse:
        terms = request.query.get("s")
        if terms is None:
            return html(page("Blog", "Blog", prose("wp-home", 3), site="Blog"))
        return html(page(f"Search results for \u201c{terms}\u201d | Blog",
                         f"Search results for: {terms}",
                         ["Nothing matched your search terms. Please try again with some "
                          "different keywords."], site="Blog"))

    return {
        "redirecthome.example": Site(
            pages={"/": const(page("Home", "Home", prose("rh-home", 3))),
                   "/guide/real-page": guide,
                   "/guide/renamed": redirect("/guide/new-name"),
                   "/guide/new-name": guide},
            fallback=redirect("/", 302),
        ),
        "wpsearch.example": Site(pages={"/": search_or_home}, fallback=to_search),
    }


def _volatile_catch_all() -> Site:
    """200 for everything, with a 'popular now' list that changes on every request."""

    async def anything(request: web.Request) -> web.StreamResponse:
        popular = [f"<li>{p}</li>" for p in prose(secrets.token_hex(4), 5, 1)]
        return html(page("Daily Widget", "Sorry about that",
                         ["There is nothing at this address."], site="Daily Widget",
                         after=f"<h2>Popular now</h2><ul>{''.join(popular)}</ul>"))

    return Site(fallback=anything)


def _cookies() -> Site:
    banner = (
        "<div id='cookie-consent' class='cookie-banner'><p>We use cookies to improve your "
        "experience, measure audiences and show relevant advertising. By continuing you accept "
        "our use of cookies. Manage your preferences or reject non essential cookies.</p>"
        "<button>Accept all</button><button>Reject</button></div>"
    )
    return Site(pages={
        "/guides/gardening": const(page("Winter gardening | Guides", "Winter gardening",
                                        prose("garden", 4), site="Guides", before=banner)),
        "/guides/old-guide": const(page("404 - Page Not Found | Guides", "We are sorry",
                                        ["Try the guides index."], site="Guides", before=banner)),
    })


def _walls() -> dict[str, Site]:
    """Bot walls, paywalls and login walls, and the refusals that are none of those."""
    forbidden = (
        "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>You don't "
        "have permission to access this resource.</p><hr><address>Apache/2.4.57 Server"
        "</address></body></html>"
    )
    cloudflare = (
        "<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title></head><body>"
        "<div class='main-wrapper' role='main'><noscript>Enable JavaScript and cookies to "
        "continue</noscript></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "
        "'cf.example',cType: 'managed'};var a=document.createElement('script');a.src="
        "'/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8f1';"
        "document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>"
    )
    cf_block = (
        "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
        "<div id='cf-wrapper'><div id='cf-error-details'><h1>Sorry, you have been blocked</h1>"
        "<h2>You are unable to access cfblock.example</h2><p>Cloudflare Ray ID: 8f1c2d3e4f"
        "</p></div></div></body></html>"
    )
    datadome = (
        "<html><head><title>dd.example</title></head><body><script>var dd={'rt':'c','cid':"
        "'AHrlqAAAAAMA','hsh':'2211F522B61E269B869FA6EAFFB5E1','t':'fe','s':17434,'host':"
        "'geo.captcha-delivery.com'}</script><script src='https://ct.captcha-delivery.com/c.js'>"
        "</script></body></html>"
    )
    perimeterx = (
        "<html lang='en'><head><title>Access to this page has been denied</title></head><body>"
        "<div class='px-captcha-container'><p>Press &amp; Hold to confirm you are a human (and "
        "not a bot).</p><div id='px-captcha'></div></div><script>window._pxAppId='PXu6b0qd2S';"
        "</script><script src='//captcha.px-cdn.net/PXu6b0qd2S/captcha.js'></script></body></html>"
    )
    akamai = (
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n"
        "You don't have permission to access \"http&#58;&#47;&#47;akamai&#46;example&#47;product\""
        " on this server.<P>\nReference&#32;&#35;18&#46;2f3c1302&#46;1700000000&#46;1a2b3c4d\n"
        "<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;2f3c1302</P>\n</BODY>\n"
        "</HTML>\n"
    )
    imperva = (
        "<html style='height:100%'><head><META NAME='ROBOTS' CONTENT='NOINDEX, NOFOLLOW'></head>"
        "<body style='margin:0px;height:100%'><iframe id='main-iframe' src='/_Incapsula_Resource"
        "?CWUDNSAI=24&xinfo=8-12345678-0%200NNN&incident_id=1234-5678&edet=22' frameborder=0>"
        "Request unsuccessful. Incapsula incident ID: 1234000560140478-12345678901234567"
        "</iframe></body></html>"
    )
    sucuri = (
        "<!DOCTYPE html><html><head><title>Sucuri WebSite Firewall - Access Denied</title>"
        "<link rel='stylesheet' href='https://cdn.sucuri.net/sucuri-firewall-block.css'></head>"
        "<body><h1>Access Denied - Sucuri Website Firewall</h1><p>Block reason: access from "
        "your area has been temporarily denied.</p></body></html>"
    )
    sucuri_js = (
        "<html><head><title>You are being redirected...</title><noscript>Javascript is "
        "required.</noscript><script>var s={},u,c,U,r,i,l=0,a,e=eval,w=String.fromCharCode,"
        "sucuri_cloudproxy_js='',S='cz0iMTJzdWN1cmkiOw==';</script></head><body></body></html>"
    )
    aws = (
        "<!DOCTYPE html><html lang='en'><head><title></title><script>window.awsWafCookieDomainList"
        " = [];window.gokuProps = {'key':'AQIDAHjcYu','iv':'CgAH','context':'x'};</script>"
        "<script src='https://1a2b3c.edge.sdk.awswaf.com/1a2b3c/challenge.js'></script><script>"
        "AwsWafIntegration.checkForceRefresh().then(function(){});</script></head><body>"
        "<div id='challenge-container'></div></body></html>"
    )
    paywall = page("Analysis | Paywall Times", "The budget, analysed",
                   ["The council's budget hides three choices.",
                    "Subscribe to continue reading. Already a subscriber? Sign in."],
                   site="Paywall Times")
    journal = page(
        "Article 123 | Journal", "A study of harbour silt", ["Abstract available to all."],
        site="Journal",
        head="<script type='application/ld+json'>" + json.dumps(
            {"@context": "https://schema.org", "@type": "ScholarlyArticle",
             "isAccessibleForFree": False, "hasPart": {"@type": "WebPageElement",
                                                       "isAccessibleForFree": False}}
        ) + "</script>",
    )
    login_form = page("Members | Forum", "Members only area", ["Log in with your account."],
                      site="Forum",
                      after="<form><input name='u'><input type='password' name='p'></form>")
    please_log_in = page("Forum", "Private", ["Please log in to continue."], site="Forum")
    about_walls = page(
        "Why you see 'Just a moment...' pages | Wall Blog", "Why you see challenge pages",
        ["Cloudflare shows a page titled Just a moment... while it checks your browser. "
         "The old version said Checking your browser before accessing the site. "
         "Its script sets <code>window._cf_chl_opt</code> before the challenge loads.",
         *prose("walls-essay", 6)],
        site="Wall Blog",
    )
    cf_normal = page(
        "Opening hours | Museum", "Opening hours",
        ["Open Tuesday to Sunday, ten to six. Closed on public holidays."], site="Museum",
        after="<script>(function(){var a=document.createElement('script');a.src="
        "'/cdn-cgi/challenge-platform/h/b/scripts/jsd/3f4e2a/main.js';"
        "document.getElementsByTagName('head')[0].appendChild(a);})();</script>",
    )
    short_article = page("Prices | Market", "Prices", prose("market", 2), site="Market")

    async def picky(request: web.Request) -> web.StreamResponse:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return html(forbidden, 403)
        return html(page("Tide tables | Harbour", "Tide tables", prose("tides", 3)))

    async def rate_limited(request: web.Request) -> web.StreamResponse:
        return web.Response(status=429, text="Too many requests", headers={"Retry-After": "0"})

    cf_old = (
        "<html><head><title>Just a moment...</title></head><body><h1>Checking your browser "
        "before accessing cf503.example.</h1><p>This process is automatic. Your browser will "
        "redirect to your requested content shortly.</p><p>DDoS protection by Cloudflare</p>"
        "</body></html>"
    )
    teaser = page(
        "Harbour dredging plan | Paper", "Harbour dredging plan", prose("teaser", 1),
        site="Paper", head="<script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
        "\"isAccessibleForFree\": false}</script>",
        after="<div class='paywall'>Subscribe to continue reading.</div>",
    )

    async def api(request: web.Request) -> web.StreamResponse:
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="api"'})

    async def linkedin(request: web.Request) -> web.StreamResponse:
        return web.Response(status=999, reason="Request denied", text="<html></html>",
                            content_type="text/html")

    def only(path: str, handler: Handler) -> Site:
        return Site(pages={path: handler})

    return {
        "cf.example": only("/research/paper", const(
            cloudflare, 403, cf_mitigated="challenge", Server="cloudflare", CF_RAY="8f1-AMS")),
        "cfblock.example": only("/page", const(cf_block, 403, Server="cloudflare")),
        "cforigin.example": only("/private/", const(forbidden, 403, Server="cloudflare",
                                                    CF_RAY="8f2-AMS")),
        "apache.example": only("/files/", const(forbidden, 403, Server="Apache/2.4.57")),
        "dd.example": only("/article", const(datadome, 403, X_DataDome="protected",
                                             Set_Cookie="datadome=abc; Path=/")),
        "px.example": only("/item", const(perimeterx, 403)),
        "akamai.example": only("/product", const(akamai, 403, Server="AkamaiGHost")),
        "imperva.example": only("/page", const(imperva, 403, X_Iinfo="8-12345678-0 0NNN")),
        "sucuri.example": only("/page", const(sucuri, 403, X_Sucuri_ID="11005",
                                              X_Sucuri_Block="BL001")),
        "sucurijs.example": only("/page", const(sucuri_js, 200, Server="Sucuri/Cloudproxy")),
        "awswaf.example": only("/page", const(aws, 202, x_amzn_waf_action="challenge")),
        "kasada.example": only("/page", const("<html><script src='/ips.js'></script>KPSDK</html>",
                                              429, x_kpsdk_ct="0a1b2c", x_kpsdk_st="1")),
        "vercel.example": only("/page", const("<html><title>Vercel Security Checkpoint</title>"
                                              "</html>", 429, x_vercel_mitigated="challenge")),
        "www.linkedin.com": only("/in/someone", linkedin),
        "paywall.example": only("/2021/analysis", const(paywall, 402)),
        "journal.example": only("/article/123", const(journal, 403)),
        "members.example": Site(pages={"/forum/thread": const(login_form, 401),
                                       "/private": const(please_log_in, 403)}),
        "picky.example": only("/page", picky),
        "wallblog.example": only("/posts/cloudflare-challenges", const(about_walls)),
        "cfnormal.example": only("/hours", const(cf_normal, Server="cloudflare", CF_RAY="8f3")),
        "ddnormal.example": only("/prices", const(short_article, X_DataDome="protected",
                                                  Set_Cookie="datadome=xyz; Path=/")),
        "ratelimit.example": only("/page", rate_limited),
        "cf503.example": only("/page", const(cf_old, 503, Server="cloudflare")),
        "paper.example": only("/2022/story", const(teaser)),
        "api.example": only("/v1/private", api),
    }


def _cross_site() -> dict[str, Site]:
    return {
        "olddomain.example": Site(pages={"/company/products/turbine": redirect(
            "/", other="newdomain.example")}),
        "sho.rt": Site(pages={"/abc123": redirect("/", other="newdomain.example")}),
        "newdomain.example": Site(pages={"/": const(page("New Domain", "Welcome",
                                                         prose("newdomain", 3)))}),
    }


# --- drift ------------------------------------------------------------------


@dataclass(frozen=True)
class DriftCase:
    name: str
    archived: str
    live: str
    drifted: bool


def _drift_cases() -> list[DriftCase]:
    text = prose("cited-report", 6, 5)
    rewritten = prose("rewritten-report", 6, 5)
    plain = {"site": "Live", "semantic": True}
    corrected = [*text[:5], prose("correction", 1, 5)[0]]
    first, *rest = text[0].split(" ", 3)[:3], text[0].split(" ", 3)[3]
    edited = [" ".join([*first[:2], "harbour", *rest]), *text[1:]]
    return [
        DriftCase("comments added", page("Report", "Report", text, **plain),
                  page("Report", "Report", text + prose("comments", 8), **plain), False),
        DriftCase("redesigned site", page("Report", "Report", text, semantic=False),
                  page("Report | New look", "Report", text, site="Live 2.0", footer_words=90),
                  False),
        DriftCase("dates and a word changed",
                  page("Report 2019", "Report", [*text, "Published 2019-05-01, 1,204 views."],
                       **plain),
                  page("Report 2023", "Report", [*edited, "Updated 2023-04-05, 98,311 views."],
                       **plain), False),
        DriftCase("one paragraph corrected", page("Report", "Report", text, **plain),
                  page("Report", "Report", corrected, **plain), False),
        DriftCase("replaced by another page", page("Report", "Report", text, **plain),
                  page("Events", "Events", prose("events", 6, 5), **plain), True),
        DriftCase("withdrawn", page("Report", "Report", text, **plain),
                  page("Report", "Report", ["This report has been withdrawn."], **plain), True),
        DriftCase("rewritten", page("Report", "Report", text, **plain),
                  page("Report", "Report", rewritten, **plain), True),
        DriftCase("mostly cut", page("Report", "Report", text, **plain),
                  page("Report", "Report", [text[0], *prose("new-angle", 5, 5)], **plain), True),
    ]


def _drift_sites(cases: list[DriftCase]) -> dict[str, Site]:
    archive, live = Site(), Site()
    for number, case in enumerate(cases):
        slug = f"/reports/{number}"
        archive.pages[f"/web/20200101000000id_/http://live.example{slug}"] = const(case.archived)
        live.pages[slug] = const(case.live)
    return {"archive.example": archive, "live.example": live}


# --- the corpus -------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One page and what the checker must say about it."""

    host: str
    path: str
    verdict: Verdict
    reason: str = ""  # a part of the reason the verdict must come with
    note: str = ""


S, B, OK = Verdict.SOFT_404, Verdict.BLOCKED, Verdict.OK
SAME = "same page as a random path on this host"

CASES: tuple[Case, ...] = (
    # An honest news site: 404 for what it lacks.
    Case("news.example", "/2019/05/city-council-budget", OK, note="a long article"),
    Case("news.example", "/2020/01/removed-story", S, "redirects to the site root"),
    Case("news.example", "/blog/how-to-fix-404-not-found-errors", OK,
         note="an article about 404 errors"),
    Case("news.example", "/blog/page-not-found", OK, note="an essay titled 'Page Not Found'"),
    Case("news.example", "/search?q=zzqx", OK, note="no search results"),
    Case("news.example", "/about", OK, note="a short real page"),
    Case("news.example", "/index.html", Verdict.MOVED, note="index page redirects to the root"),
    Case("news.example", "/en/", Verdict.MOVED, note="language root redirects to the root"),
    Case("news.example", "/2018/07/old-interview", S, "redirects to an error page"),
    Case("news.example", "/2015/02/moved-on", S, "(meta refresh)"),
    Case("news.example", "/reports/annual-2019.pdf", OK, note="a PDF"),
    Case("news.example", "/2017/03/missing", Verdict.BROKEN, note="an honest 404"),
    Case("news.example", "/archive", Verdict.MOVED, note="a trailing-slash redirect"),
    Case("news.example", "/help/troubleshooting", OK, note="an h2 'Page not found' section"),
    # A shop: 200 "not found" templates and redirects of unknown products.
    Case("shop.example", "/products/blue-widget", OK),
    Case("shop.example", "/products/red-widget-discontinued", S, "title says 'Page not found'"),
    Case("shop.example", "/products/gadget-xl", S, "heading says 'Product not found'"),
    Case("shop.example", "/products/legacy-item", S, "as a random path on this host does"),
    Case("shop.example", "/products/old-name", Verdict.MOVED, note="a real move"),
    Case("shop.example", "/account/orders", B, "login wall (redirects to sign-in)"),
    # 200 for everything: a volatile template, and distinct real pages.
    Case("catchall.example", "/docs/setup-guide", OK, note="distinct page, 200-for-all site"),
    Case("catchall.example", "/docs/short-note", OK, note="short real page, 200-for-all site"),
    Case("catchall.example", "/docs/old-feature", S, SAME),
    Case("catchall.example", "/team/jane-doe", S, SAME),
    Case("catchall.example", "/blog/2016/launch.html", S, SAME),
    Case("homefallback.example", "/articles/gone-article", S, SAME),
    Case("homefallback.example", "/articles/present", OK),
    Case("widgets.example", "/news/gone-story", S, SAME,
         note="200 for everything, a random 'popular now' list on each page"),
    Case("redirecthome.example", "/guide/real-page", OK, note="unknown paths redirect home"),
    Case("redirecthome.example", "/guide/gone", S, "redirects to the site root"),
    Case("redirecthome.example", "/guide/renamed", Verdict.MOVED),
    Case("wpsearch.example", "/2014/06/old-post", S, SAME, note="redirected to a search"),
    Case("spa.example", "/app/dashboard", OK, note="JavaScript app shell"),
    Case("spa.example", "/app/settings", OK, note="JavaScript app shell"),
    # Ten languages.
    *(Case("intl.example", path, S) for path in _FOREIGN_404),
    Case("intl.example", "/de/artikel/aktuell", OK),
    Case("intl.example", "/ja/kiji/new", OK),
    # Cookie banners.
    Case("cookies.example", "/guides/gardening", OK, note="a cookie banner"),
    Case("cookies.example", "/guides/old-guide", S, "title says 'Page Not Found'"),
    # Other sites' roots.
    Case("olddomain.example", "/company/products/turbine", S, "redirects to the site root"),
    Case("sho.rt", "/abc123", Verdict.MOVED, note="a short link to a home page"),
    # Walls.
    Case("cf.example", "/research/paper", B, "Cloudflare challenge (403)"),
    Case("cfblock.example", "/page", B, "Cloudflare block (403)"),
    Case("cforigin.example", "/private/", B, "403 Forbidden", note="origin 403 via Cloudflare"),
    Case("apache.example", "/files/", B, "403 Forbidden", note="a forbidden directory"),
    Case("dd.example", "/article", B, "DataDome (403)"),
    Case("px.example", "/item", B, "PerimeterX/HUMAN (403)"),
    Case("akamai.example", "/product", B, "Akamai (403)"),
    Case("imperva.example", "/page", B, "Imperva/Incapsula (403)"),
    Case("sucuri.example", "/page", B, "Sucuri (403)"),
    Case("sucurijs.example", "/page", B, "Sucuri (200)"),
    Case("awswaf.example", "/page", B, "AWS WAF (202)"),
    Case("kasada.example", "/page", B, "Kasada (429)"),
    Case("vercel.example", "/page", B, "Vercel challenge (429)"),
    Case("www.linkedin.com", "/in/someone", B, "LinkedIn 999"),
    Case("paywall.example", "/2021/analysis", B, "paywall (402)"),
    Case("journal.example", "/article/123", B, "paywall (403)"),
    Case("members.example", "/forum/thread", B, "login wall (401)"),
    Case("members.example", "/private", B, "login wall (403)"),
    Case("ratelimit.example", "/page", B, "429 Too Many Requests"),
    Case("cf503.example", "/page", B, "Cloudflare challenge (503)", note="the older 503 page"),
    Case("api.example", "/v1/private", B, "401 Unauthorized", note="HTTP authentication"),
    Case("paper.example", "/2022/story", OK, note="a paywalled article answering 200"),
    Case("picky.example", "/page", OK, "with browser headers", note="refuses non-browsers only"),
    Case("wallblog.example", "/posts/cloudflare-challenges", OK, note="an article about walls"),
    Case("cfnormal.example", "/hours", OK, note="a short page behind Cloudflare"),
    Case("ddnormal.example", "/prices", OK, note="a page behind DataDome"),
)
DRIFT_CASES: tuple[DriftCase, ...] = tuple(_drift_cases())


def sites() -> dict[str, Site]:
    return {
        "news.example": _news(),
        "shop.example": _shop(),
        "catchall.example": _catch_all(),
        "homefallback.example": _home_fallback(),
        "spa.example": _spa(),
        "intl.example": _intl(),
        "cookies.example": _cookies(),
        "widgets.example": _volatile_catch_all(),
        **_redirecting(),
        **_walls(),
        **_cross_site(),
        **_drift_sites(list(DRIFT_CASES)),
    }


class SiteFarm:
    """Every site of the corpus on one loopback server, told apart by the Host header."""

    def __init__(self) -> None:
        self.sites = sites()
        self.latency = 0.0  # seconds each answer waits, so that tests can see overlap
        self.requests: list[tuple[str, str, str, str]] = []  # host, method, path, user agent
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._server = TestServer(app, host="127.0.0.1")

    async def start(self) -> None:
        await self._server.start_server()

    async def close(self) -> None:
        await self._server.close()

    @property
    def port(self) -> int:
        assert self._server.port is not None
        return self._server.port

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def resolver(self) -> MappingResolver:
        return MappingResolver({host: ["127.0.0.1"] for host in self.sites})

    def config(self, **overrides: Any) -> Config:
        return fast_config(**{"retries": 0, **overrides})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host = (request.url.host or "").lower()
        agent = request.headers.get("User-Agent", "")
        self.requests.append((host, request.method, request.path, agent))
        site = self.sites.get(host)
        if site is None:
            return web.Response(status=421, text="no such site")
        handler = site.pages.get(request.path, site.fallback)
        self.in_flight[host] += 1
        self.peak[host] = max(self.peak[host], self.in_flight[host])
        try:
            await asyncio.sleep(self.latency)
            return await handler(request)
        finally:
            self.in_flight[host] -= 1

    def seen(self, host: str, method: str | None = None) -> list[str]:
        """The paths requested from `host` (with `method`), in order."""
        return [p for h, m, p, _ in self.requests if h == host and method in (None, m)]


@asynccontextmanager
async def running_farm() -> AsyncIterator[SiteFarm]:
    farm = SiteFarm()
    await farm.start()
    try:
        yield farm
    finally:
        await farm.close()


# --- evaluation -------------------------------------------------------------


@dataclass
class Score:
    """Precision and recall of one flag over the corpus."""

    flag: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    negatives: int = 0

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        positives = self.true_positives + self.false_negatives
        return self.true_positives / positives if positives else 1.0

    def add(self, expected: bool, predicted: bool, right_reason: bool = True) -> None:
        if expected and predicted and right_reason:
            self.true_positives += 1
            return
        if predicted:
            self.false_positives += 1
        if expected:
            self.false_negatives += 1
        if not expected:
            self.negatives += 1


@dataclass
class Evaluation:
    scores: dict[str, Score]
    mistakes: list[str]
    pages: int

    def table(self) -> str:
        lines = [
            f"labelled pages: {self.pages}",
            f"{'flag':<10} {'positives':>9} {'negatives':>9} {'TP':>4} {'FP':>4} {'FN':>4} "
            f"{'precision':>9} {'recall':>7}",
        ]
        for score in self.scores.values():
            positives = score.true_positives + score.false_negatives
            lines.append(
                f"{score.flag:<10} {positives:>9} {score.negatives:>9} "
                f"{score.true_positives:>4} {score.false_positives:>4} "
                f"{score.false_negatives:>4} {score.precision:>9.3f} {score.recall:>7.3f}"
            )
        return "\n".join(lines + [f"mistake: {m}" for m in self.mistakes])


async def evaluate(**config: Any) -> Evaluation:
    """Check the whole corpus with one Checker and score each flag."""
    async with running_farm() as farm:
        settings = farm.config(**config)
        async with Checker(settings, resolver=farm.resolver()) as checker:
            urls = {farm.url(case.host, case.path): case for case in CASES}
            fetches = {url: fetch async for url, fetch in checker.check_many(urls)}
            drifts = [await _drift(checker, farm, n, settings) for n in range(len(DRIFT_CASES))]
    scores = {flag: Score(flag) for flag in ("soft_404", "blocked", "drifted")}
    mistakes = []
    for url, case in urls.items():
        fetch = fetches[url]
        right = case.reason in fetch.reason
        for flag, verdict in (("soft_404", Verdict.SOFT_404), ("blocked", Verdict.BLOCKED)):
            expected, predicted = case.verdict is verdict, fetch.verdict is verdict
            scores[flag].add(expected, predicted, right)
        if fetch.verdict is not case.verdict or not right:
            mistakes.append(_mistake(case, fetch))
    for case, measured in zip(DRIFT_CASES, drifts, strict=True):
        predicted = measured is not None and measured.drifted
        scores["drifted"].add(case.drifted, predicted)
        if predicted != case.drifted:
            score = "n/a" if measured is None else f"{measured.score:.2f}"
            mistakes.append(f"drift {case.name!r}: expected {case.drifted}, score {score}")
    pages = len(CASES) + 2 * len(DRIFT_CASES)
    return Evaluation(scores, mistakes, pages)


async def _drift(
    checker: Checker, farm: SiteFarm, number: int, config: Config
) -> drift.Drift | None:
    """Fetch a drift case's raw snapshot and live page as the runner would, and compare."""
    cited = f"http://live.example/reports/{number}"
    snapshot = farm.url("archive.example", f"/web/20200101000000/{cited}")
    archived = await checker.fetch_page(drift.raw_snapshot_url(snapshot))
    live = await checker.fetch_page(farm.url("live.example", f"/reports/{number}"))
    return await asyncio.to_thread(
        drift.measure, archived.body, live.body, snapshot=snapshot,
        threshold=config.drift_threshold, archived_type=archived.content_type,
        live_type=live.content_type,
    )


def _mistake(case: Case, fetch: Fetch) -> str:
    wanted = f"{case.verdict.value} ({case.reason})" if case.reason else case.verdict.value
    return f"{case.host}{case.path}: expected {wanted}, got {fetch.verdict.value} ({fetch.reason})"


