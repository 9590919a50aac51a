"""One immutable configuration, from defaults < config file < command line.

Every option is a key of the top-level table of the TOML file and a flag of
the same name (underscores become dashes). Defaults are defined once, here;
`config.toml` at the top of the repository documents them. Unknown keys and
bad values are rejected with the file and key named, so a typo never turns
into a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from linkcheck import __version__
from linkcheck.dates import parse_date
from linkcheck.models import DEFAULT_FAIL_ON, Verdict

REPORT_FORMATS = ("json", "html", "markdown", "junit", "sarif", "csv")
SOFT_404_GETS = ("html", "redirected", "never")
# Sent, instead of the user agent's own, when a blocked answer is asked again.
BROWSER_HEADERS = MappingProxyType({
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.9",
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Site": "none",
    "Sec-Fetch-User": "?1",
    "Upgrade-Insecure-Requests": "1",
})
ARCHIVE_LOOKUPS = ("failing", "all", "never")
# Flags of `check` that set keys of the [archive] table, not top-level keys.
ARCHIVE_FLAGS = ("archive_lookup", "save_missing")
# Flags of `check` that set keys of the [cache] and [confirm] tables, or turn
# the history off (`--cache/--no-cache` and `--confirm/--no-confirm` are
# named after their tables, like `--archive`).
HISTORY_FLAGS = ("no_history", "cache_max_age", "confirm_runs", "confirm_days")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class HostConfig:
    """Per-host overrides from a `[hosts."example.org"]` table."""

    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    host_concurrency: int | None = None
    min_interval: float | None = None
    accept: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class TimeGate:
    """A Memento (RFC 7089) TimeGate: `url` + the original URL is asked."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class ArchiveConfig:
    """The `[archive]` table: where archived copies are looked up, and how gently."""

    lookup: str = "failing"
    cdx_url: str | None = "https://web.archive.org/cdx/search/cdx"
    availability_url: str | None = "https://archive.org/wayback/available"
    snapshot_url: str = "https://web.archive.org/web/"
    timegates: tuple[TimeGate, ...] = ()
    concurrency: int = 2
    min_interval: float = 1.0
    cache: bool = True
    save_missing: bool = False
    save_url: str = "https://web.archive.org/save"
    save_status_url: str = "https://web.archive.org/save/status/"
    save_poll_interval: float = 5.0
    save_timeout: float = 120.0


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """The `[cache]` table: which recorded checks a run reuses instead of asking again.

    Durations are seconds; the file and flags also take "36h", "1d", "2w".
    """

    max_age: float = 86400.0
    serve_failing: bool = False
    archive_max_age: float = 30 * 86400.0


@dataclass(frozen=True, slots=True)
class ConfirmConfig:
    """The `[confirm]` table: a failure counts toward the exit code only once
    it failed in `runs` checks in a row spanning at least `days` calendar days."""

    runs: int = 1
    days: int = 0


# What `linkcheck fix` may rewrite: a moved URL to its new location, a dead
# one to its archived copy. Never blocked, timeout or redirected: the page may
# be fine, or the move temporary.
FIX_VERDICTS = (Verdict.MOVED, Verdict.BROKEN, Verdict.SOFT_404, Verdict.ERROR)
FIX_STYLES = ("replace", "append")


@dataclass(frozen=True, slots=True)
class FixConfig:
    """The `[fix]` table: which citations `linkcheck fix` rewrites, and how (docs/fix.md)."""

    verdicts: frozenset[Verdict] = frozenset({Verdict.MOVED, Verdict.BROKEN})
    never_hosts: tuple[str, ...] = ()
    style: str = "replace"
    min_confirmations: int = 0


@dataclass(frozen=True, slots=True)
class Config:
    base_url: str | None = None
    root_dir: str | None = None
    resources: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    recursive: bool = False
    scope: tuple[str, ...] = ()
    max_depth: int = -1
    max_pages: int = 100_000
    ignore_robots: bool = False
    fragments: bool = True
    check_fragments: bool = False
    max_concurrency: int = 64
    host_concurrency: int = 4
    processes: int = 0
    min_interval: float = 0.0
    timeout: float = 20.0
    connect_timeout: float = 10.0
    read_timeout: float = 10.0
    url_timeout: float = 120.0
    retries: int = 2
    retry_wait_max: float = 30.0
    max_redirects: int = 10
    max_body: int = 2 * 1024 * 1024
    user_agent: str = f"linkcheck/{__version__}"
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    resolve: tuple[str, ...] = ()
    connect_to: tuple[str, ...] = ()
    insecure: bool = False
    allow_private: bool = False
    accept: frozenset[int] = frozenset()
    soft_404: bool = True
    soft_404_get: str = "html"
    soft_404_probe: bool = True
    browser_headers: Mapping[str, str] = field(default_factory=lambda: BROWSER_HEADERS)
    drift: bool = False
    drift_threshold: float = 0.5
    doi_api: str | None = "https://doi.org/api/handles/"
    fail_on: frozenset[Verdict] = DEFAULT_FAIL_ON
    json: str | None = None
    html: str | None = "reports/report.html"
    markdown: str | None = None
    junit: str | None = None
    sarif: str | None = None
    csv: str | None = None
    progress: bool = True
    dump: bool = False
    cited_on: dt.date | None = None
    archive: ArchiveConfig = ArchiveConfig()
    history: str | None = ".linkcheck/history.db"
    changed_since: str | None = None
    cache: CacheConfig = CacheConfig()
    confirm: ConfirmConfig = ConfirmConfig()
    fix: FixConfig = FixConfig()
    hosts: Mapping[str, HostConfig] = field(default_factory=lambda: MappingProxyType({}))

    def report_paths(self) -> dict[str, str]:
        """Each report format asked for, by name, with its path."""
        return {name: path for name in REPORT_FORMATS if (path := getattr(self, name))}

    def host(self, hostname: str) -> HostConfig:
        """The overrides for one host (matched case-insensitively)."""
        return self.hosts.get(hostname.lower(), _NO_OVERRIDES)

    def headers_for(self, hostname: str) -> dict[str, str]:
        return {**self.headers, **self.host(hostname).headers}

    def concurrency_for(self, hostname: str) -> int:
        override = self.host(hostname).host_concurrency
        return self.host_concurrency if override is None else override

    def interval_for(self, hostname: str) -> float:
        override = self.host(hostname).min_interval
        return self.min_interval if override is None else override

    def accepts(self, hostname: str, status: int) -> bool:
        """A status the user declared fine for this host, besides 2xx."""
        override = self.host(hostname).accept
        return status in (self.accept if override is None else override)


_NO_OVERRIDES = HostConfig()


# --- coercion: one function per kind of value, shared by TOML and flags ---


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("expected true or false")


def _int(minimum: int) -> Callable[[Any], int]:
    def coerce(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if value < minimum:
            raise ValueError(f"expected a number >= {minimum}")
        return value

    return coerce


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number of seconds")
    if value < 0:
        raise ValueError("expected a number of seconds >= 0")
    return float(value)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _duration(value: Any) -> float:
    """Seconds, as a number or a text with a unit: 3600, "90m", "36h", "1d", "2w"."""
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip().lower())
        if not match:
            raise ValueError(f'expected a duration such as 3600, "12h" or "1d", got {value!r}')
        return float(match[1]) * _UNIT_SECONDS[match[2]]
    return _seconds(value)


def _positive_seconds(value: Any) -> float:
    seconds = _seconds(value)
    if seconds == 0:
        raise ValueError("expected a number of seconds > 0")
    return seconds


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("expected a number from 0 to 1")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _optional_text(value: Any) -> str | None:
    text = _text(value)
    return text or None


def _url(value: Any) -> str | None:
    text = _optional_text(value)
    if text is not None and not re.match(r"^https?://[^/\s]+", text):
        raise ValueError(f"expected an http(s) URL, got {text!r}")
    return text


def _required_url(value: Any) -> str:
    text = _url(value)
    if text is None:
        raise ValueError("expected an http(s) URL")
    return text


def _date(value: Any) -> dt.date | None:
    """A TOML date, or a written one ("2021-12-16", "Dec 16, 2021"); "" for none."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).strip()
    parsed = parse_date(text) if text else None
    if text and parsed is None:
        raise ValueError(f"expected a date such as 2021-12-16, got {text!r}")
    return parsed


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def coerce(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return coerce


def _timegates(value: Any) -> tuple[TimeGate, ...]:
    """A table `{name = "url"}` or a list of `{name = "...", url = "..."}` tables."""
    if isinstance(value, Mapping):
        entries = [{"name": name, "url": url} for name, url in value.items()]
    elif isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value):
        entries = list(value)
    else:
        raise ValueError('expected [{name = "...", url = "..."}, ...] or {name = "url"}')
    gates = []
    for entry in entries:
        if set(entry) != {"name", "url"} or not isinstance(entry["name"], str):
            raise ValueError(f"expected a name and a url, got {dict(entry)!r}")
        gates.append(TimeGate(entry["name"], _required_url(entry["url"])))
    if len({gate.name for gate in gates}) != len(gates):
        raise ValueError("two TimeGates have the same name")
    return tuple(gates)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _patterns(value: Any) -> tuple[str, ...]:
    patterns = _strings(value)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"bad regular expression {pattern!r}: {error}") from None
    return patterns


# A crawl scope entry that is a URL prefix; any other entry is a regular expression.
SCOPE_PREFIX = re.compile(r"^(?:https?://[^/\s]+|file:)", re.IGNORECASE)


def _scope(value: Any) -> tuple[str, ...]:
    """URL prefixes (`https://example.org/docs/`) and regular expressions, mixed."""
    entries = _strings(value)
    _patterns([entry for entry in entries if not SCOPE_PREFIX.match(entry)])
    return entries


_RESOLVE = re.compile(r"^(?P<host>[^:\s]+):(?P<port>\d{1,5}):(?P<address>\S+)$")


def _resolve(value: Any) -> tuple[str, ...]:
    entries = _strings(value)
    for entry in entries:
        if not _RESOLVE.match(entry):
            raise ValueError(f"expected HOST:PORT:ADDRESS, got {entry!r}")
    return entries


_CONNECT_TO = re.compile(
    r"^(?P<host>[^:\s]+):(?P<port>\d{1,5}):(?P<to_host>[^:\s]+):(?P<to_port>\d{1,5})$"
)


def _connect_to(value: Any) -> tuple[str, ...]:
    entries = _strings(value)
    for entry in entries:
        if not _CONNECT_TO.match(entry):
            raise ValueError(f"expected HOST:PORT:CONNECT_HOST:CONNECT_PORT, got {entry!r}")
    return entries


def _headers(value: Any) -> Mapping[str, str]:
    """A table `{Name = "value"}` or a list of `"Name: value"` strings."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = []
        for entry in _strings(value):
            name, sep, content = entry.partition(":")
            if not sep or not name.strip():
                raise ValueError(f"expected 'Name: value', got {entry!r}")
            pairs.append((name.strip(), content.strip()))
    for name, content in pairs:
        if not isinstance(content, str) or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            raise ValueError(f"bad header {name!r}")
        if "\n" in content or "\r" in content:
            raise ValueError(f"header {name!r} has a line break")
    return MappingProxyType(dict(pairs))


def _status_codes(value: Any) -> frozenset[int]:
    """Codes and ranges: `[403, "200-299"]` or `"403,500-503"`."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError('expected status codes such as [403, "500-503"]')
    codes: set[int] = set()
    for item in items:
        text = str(item).strip()
        match = re.fullmatch(r"(\d{3})(?:\s*(?:-|\.\.=?)\s*(\d{3}))?", text)
        if isinstance(item, bool) or not match:
            raise ValueError(f"bad status code or range {item!r}")
        low, high = int(match[1]), int(match[2] or match[1])
        if not 100 <= low <= high <= 999:
            raise ValueError(f"bad status code range {item!r}")
        codes.update(range(low, high + 1))
    return frozenset(codes)


def _verdicts(value: Any) -> frozenset[Verdict]:
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else _strings(value)
    try:
        return frozenset(Verdict(name) for name in names if name)
    except ValueError:
        known = ", ".join(v.value for v in Verdict)
        raise ValueError(f"expected verdicts among {known}") from None


def _fix_verdicts(value: Any) -> frozenset[Verdict]:
    verdicts = _verdicts(value)
    if not verdicts <= set(FIX_VERDICTS):
        raise ValueError(f"expected verdicts among {', '.join(FIX_VERDICTS)}")
    return verdicts


def _host_names(value: Any) -> tuple[str, ...]:
    """Host names, lower-cased: `example.org` also stands for its subdomains."""
    names = tuple(name.strip().lower().strip(".") for name in _strings(value))
    for name in names:
        if not name or any(c.isspace() or c in "/:@" for c in name):
            raise ValueError(f"expected a host name such as example.org, got {name!r}")
    return names


_FIX_COERCE: dict[str, Callable[[Any], Any]] = {
    "verdicts": _fix_verdicts,
    "never_hosts": _host_names,
    "style": _choice(FIX_STYLES),
    "min_confirmations": _int(0),
}


_COERCE: dict[str, Callable[[Any], Any]] = {
    "base_url": _url,
    "root_dir": _optional_text,
    "resources": _bool,
    "include": _patterns,
    "exclude": _patterns,
    "recursive": _bool,
    "scope": _scope,
    "max_depth": _int(-1),
    "max_pages": _int(1),
    "ignore_robots": _bool,
    "fragments": _bool,
    "check_fragments": _bool,
    "max_concurrency": _int(1),
    "host_concurrency": _int(1),
    "processes": _int(0),
    "min_interval": _seconds,
    "timeout": _positive_seconds,
    "connect_timeout": _positive_seconds,
    "read_timeout": _positive_seconds,
    "url_timeout": _positive_seconds,
    "retries": _int(0),
    "retry_wait_max": _seconds,
    "max_redirects": _int(0),
    "max_body": _int(1024),
    "user_agent": _text,
    "headers": _headers,
    "resolve": _resolve,
    "connect_to": _connect_to,
    "insecure": _bool,
    "allow_private": _bool,
    "accept": _status_codes,
    "fail_on": _verdicts,
    "soft_404": _bool,
    "soft_404_get": _choice(SOFT_404_GETS),
    "soft_404_probe": _bool,
    "browser_headers": _headers,
    "drift": _bool,
    "drift_threshold": _fraction,
    "doi_api": _url,
    "json": _optional_text,
    "html": _optional_text,
    "markdown": _optional_text,
    "junit": _optional_text,
    "sarif": _optional_text,
    "csv": _optional_text,
    "progress": _bool,
    "dump": _bool,
    "cited_on": _date,
    "history": _optional_text,
    "changed_since": _optional_text,
}

_ARCHIVE_COERCE: dict[str, Callable[[Any], Any]] = {
    "lookup": _choice(ARCHIVE_LOOKUPS),
    "cdx_url": _url,
    "availability_url": _url,
    "snapshot_url": _required_url,
    "timegates": _timegates,
    "concurrency": _int(1),
    "min_interval": _seconds,
    "cache": _bool,
    "save_missing": _bool,
    "save_url": _required_url,
    "save_status_url": _required_url,
    "save_poll_interval": _positive_seconds,
    "save_timeout": _positive_seconds,
}

# The archive flags of `check`: `--no-archive` is `--archive-lookup never`;
# `--archive` restores `failing` when the file says `never`.
_ARCHIVE_FLAG_COERCE: dict[str, Callable[[Any], Any]] = {
    "archive": _bool,
    "archive_lookup": _choice(ARCHIVE_LOOKUPS),
    "save_missing": _bool,
}

_CACHE_COERCE: dict[str, Callable[[Any], Any]] = {
    "max_age": _duration,
    "serve_failing": _bool,
    "archive_max_age": _duration,
}

_CONFIRM_COERCE: dict[str, Callable[[Any], Any]] = {
    "runs": _int(1),
    "days": _int(0),
}

# `--no-cache` reuses nothing (the run is still recorded); `--no-confirm`
# makes every failure count at once; `--no-history` neither reads nor records.
_HISTORY_FLAG_COERCE: dict[str, Callable[[Any], Any]] = {
    "no_history": _bool,
    "cache": _bool,
    "cache_max_age": _duration,
    "confirm": _bool,
    "confirm_runs": _int(1),
    "confirm_days": _int(0),
}

_HOST_COERCE: dict[str, Callable[[Any], Any]] = {
    "headers": _headers,
    "host_concurrency": _int(1),
    "min_interval": _seconds,
    "accept": _status_codes,
}


def _coerce_table(
    table: Mapping[str, Any], coercers: Mapping[str, Callable[[Any], Any]], where: str
) -> dict[str, Any]:
    values = {}
    for key, raw in table.items():
        if key not in coercers:
            raise ConfigError(f"{where}: unknown key {key!r}")
        try:
            values[key] = coercers[key](raw)
        except ValueError as error:
            raise ConfigError(f"{where}: {key}: {error}") from None
    return values


def _hosts(table: Any, where: str) -> Mapping[str, HostConfig]:
    if not isinstance(table, Mapping):
        raise ConfigError(f'{where}: hosts: expected a table of [hosts."name"] tables')
    hosts = {}
    for name, overrides in table.items():
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"{where}: hosts.{name}: expected a table")
        values = _coerce_table(overrides, _HOST_COERCE, f"{where}: hosts.{name}")
        hosts[name.lower()] = HostConfig(**values)
    return MappingProxyType(hosts)


def _history_tables(table: dict[str, Any], where: str) -> dict[str, Any]:
    """The [cache] and [confirm] tables, taken out of `table`."""
    values: dict[str, Any] = {}
    for name, kind, coercers in (
        ("cache", CacheConfig, _CACHE_COERCE),
        ("confirm", ConfirmConfig, _CONFIRM_COERCE),
    ):
        if name not in table:
            continue
        given = table.pop(name)
        if not isinstance(given, Mapping):
            raise ConfigError(f"{where}: {name}: expected a [{name}] table")
        values[name] = kind(**_coerce_table(given, coercers, f"{where}: {name}"))
    return values


def _history_flags(values: Mapping[str, Any], flags: Mapping[str, Any]) -> dict[str, Any]:
    """The history flags over the file's [cache] and [confirm] tables."""
    given = _coerce_table(flags, _HISTORY_FLAG_COERCE, "command line")
    cache = values.get("cache", CacheConfig())
    confirm = values.get("confirm", ConfirmConfig())
    if "cache_max_age" in given:
        cache = replace(cache, max_age=given["cache_max_age"])
    if given.get("cache") is False:
        cache = replace(cache, max_age=0.0, archive_max_age=0.0)
    if "confirm_runs" in given:
        confirm = replace(confirm, runs=given["confirm_runs"])
    if "confirm_days" in given:
        confirm = replace(confirm, days=given["confirm_days"])
    if given.get("confirm") is False:
        confirm = ConfirmConfig()
    changed: dict[str, Any] = {"cache": cache, "confirm": confirm}
    if given.get("no_history"):
        changed["history"] = None
    return changed


def _archive(table: Any, where: str) -> ArchiveConfig:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: archive: expected an [archive] table")
    return ArchiveConfig(**_coerce_table(table, _ARCHIVE_COERCE, f"{where}: archive"))


def _fix(table: Any, where: str) -> FixConfig:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: fix: expected a [fix] table")
    return FixConfig(**_coerce_table(table, _FIX_COERCE, f"{where}: fix"))


def _archive_flags(archive: ArchiveConfig, flags: Mapping[str, Any]) -> ArchiveConfig:
    given = _coerce_table(flags, _ARCHIVE_FLAG_COERCE, "command line")
    lookup = given.get("archive_lookup", archive.lookup)
    if given.get("archive") is False:
        lookup = "never"
    elif given.get("archive") and lookup == "never":
        lookup = "failing"
    return replace(
        archive, lookup=lookup, save_missing=given.get("save_missing", archive.save_missing)
    )


def read_file(path: Path) -> dict[str, Any]:
    """Parse and validate one TOML file into `Config` field values."""
    where = str(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such config file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None
    hosts = table.pop("hosts", None)
    archive = table.pop("archive", None)
    fix = table.pop("fix", None)
    tables = _history_tables(table, where)
    values = _coerce_table(table, _COERCE, where)
    values.update(tables)
    if hosts is not None:
        values["hosts"] = _hosts(hosts, where)
    if archive is not None:
        values["archive"] = _archive(archive, where)
    if fix is not None:
        values["fix"] = _fix(fix, where)
    return values


def load(path: Path | None = None, flags: Mapping[str, Any] | None = None) -> Config:
    """Build the run's config: defaults, then the file, then the flags.

    `flags` holds only what the user gave on the command line (None values
    are ignored), under the same names as the file's keys.
    """
    values = read_file(path) if path is not None else {}
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    archive_flags = {key: given.pop(key) for key in list(given) if key in _ARCHIVE_FLAG_COERCE}
    history_flags = {key: given.pop(key) for key in list(given) if key in _HISTORY_FLAG_COERCE}
    values.update(_coerce_table(given, _COERCE, "command line"))
    if archive_flags:
        values["archive"] = _archive_flags(values.get("archive", ArchiveConfig()), archive_flags)
    if history_flags:
        values.update(_history_flags(values, history_flags))
    return replace(Config(), **values)


def option_names() -> Iterable[str]:
    """Every top-level key, for tests that compare docs and code."""
    return [f.name for f in fields(Config)]
