"""Config: defaults once, file < flags, every bad value named precisely."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from linkcheck.config import Config, ConfigError, load, option_names
from linkcheck.models import DEFAULT_FAIL_ON, Verdict

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "linkcheck.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_config_file_states_every_default() -> None:
    documented = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    defaults = Config()
    assert set(documented) == set(option_names()) - {"base_url", "root_dir", "hosts"}
    loaded = load(REPO / "config.toml")
    for name in documented:
        assert getattr(loaded, name) == getattr(defaults, name), name


def test_every_option_is_a_flag_of_the_same_name() -> None:
    from typer.main import get_command

    from linkcheck.cli import app

    check = get_command(app).commands["check"]  # type: ignore[attr-defined]
    flags = {opt for param in check.params for opt in param.opts + param.secondary_opts}
    for name in option_names():
        if name in ("hosts", "fix"):  # per-host tables; the fix command's own table
            continue
        flag = "--" + name.replace("_", "-")
        assert flag in flags or (name == "headers" and "--header" in flags), flag


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "max_concurrency = 10\nretries = 5\n")
    config = load(path, {"retries": 1, "timeout": None})
    assert (config.max_concurrency, config.retries, config.timeout) == (10, 1, Config().timeout)


def test_host_tables_override_per_host(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'headers = {X-All = "1"}\naccept = [403]\n'
        '[hosts."Example.ORG"]\nheaders = {Authorization = "Bearer t"}\n'
        'host_concurrency = 1\nmin_interval = 2\naccept = ["500-502"]\n',
    )
    config = load(path)
    assert config.headers_for("example.org") == {"X-All": "1", "Authorization": "Bearer t"}
    assert config.headers_for("other.org") == {"X-All": "1"}
    assert config.concurrency_for("EXAMPLE.org") == 1
    assert config.concurrency_for("other.org") == 4
    assert config.interval_for("example.org") == 2.0
    assert config.accepts("example.org", 501)
    assert not config.accepts("example.org", 403)
    assert config.accepts("other.org", 403)


def test_flag_values_are_parsed_like_file_values() -> None:
    config = load(
        None,
        {
            "accept": "403, 500-501",
            "fail_on": "broken,timeout",
            "headers": ["X-Token: a:b"],
            "resolve": ["a.test:80:127.0.0.1"],
        },
    )
    assert config.accept == {403, 500, 501}
    assert config.fail_on == {Verdict.BROKEN, Verdict.TIMEOUT}
    assert dict(config.headers) == {"X-Token": "a:b"}
    assert config.resolve == ("a.test:80:127.0.0.1",)
    assert Config().fail_on == DEFAULT_FAIL_ON


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_concurency = 3\n", "unknown key 'max_concurency'"),
        ("max_concurrency = 0\n", "max_concurrency: expected a number >= 1"),
        ('timeout = "soon"\n', "timeout: expected a number of seconds"),
        ("retries = true\n", "retries: expected a whole number"),
        ('exclude = ["("]\n', "exclude: bad regular expression '('"),
        ('resolve = ["a.test:80"]\n', "resolve: expected HOST:PORT:ADDRESS"),
        ('accept = ["abc"]\n', "accept: bad status code or range 'abc'"),
        ('fail_on = ["brokn"]\n', "fail_on: expected verdicts among"),
        ('base_url = "ftp://x"\n', "base_url: expected an http(s) URL"),
        ('headers = ["NoColon"]\n', "headers: expected 'Name: value'"),
        ('[hosts."a.org"]\nretries = 1\n', "hosts.a.org: unknown key 'retries'"),
        ("max_concurrency = \n", "not valid TOML"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file"):
        load(tmp_path / "nope.toml")


def test_a_bad_flag_names_the_command_line() -> None:
    with pytest.raises(ConfigError, match="command line: host_concurrency: expected a number >= 1"):
        load(None, {"host_concurrency": 0})


def test_config_fields_have_no_mutable_defaults() -> None:
    config = Config()
    for field in fields(Config):
        value = getattr(config, field.name)
        assert not isinstance(value, list | dict | set), field.name
