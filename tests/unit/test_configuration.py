"""One settings model per service, loaded once: file < environment < flags, checked in one
place, secrets masked and refused when weak, handed to workers unchanged, documented by
a table generated from the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reelbridge.bootstrap import aggregator_app_from_env
from reelbridge.cli import cli
from reelbridge.config import (
    AggregatorSettings,
    ProviderSettings,
    SettingsError,
    check_secrets,
    generate_token,
    load_settings,
    settings_for_workers,
    settings_from_workers,
)
from reelbridge.config._docs import configuration_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
STRONG = "k3y-" + "q" * 10 + "Zx9-" + "w" * 12


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def test_each_source_overrides_the_one_before_it_field_by_field(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        '[http]\nport = 9100\nworkers = 3\nhost = "10.0.0.1"\n[limits]\nburst = 77\n',
    )
    environ = {"REELBRIDGE_HTTP_PORT": "9200", "REELBRIDGE_HTTP_WORKERS": "2"}

    settings = load_settings(
        AggregatorSettings, config_file=file, environ=environ, flags={"http.workers": 4}
    )

    assert settings.http.host == "10.0.0.1"  # file only
    assert settings.limits.burst == 77  # file only
    assert settings.http.port == 9200  # environment over file
    assert settings.http.workers == 4  # flag over environment
    assert settings.http.keepalive_seconds == 5  # nobody said: the default


def test_an_empty_variable_counts_as_unset_and_lists_are_comma_separated() -> None:
    environ = {
        "REELBRIDGE_PROVIDER_CURRENCIES": "EUR, USD ,",
        "REELBRIDGE_PROVIDER_DATABASE_URL": "",
    }

    settings = load_settings(ProviderSettings, environ=environ)

    assert settings.currencies == ("EUR", "USD")
    assert settings.database_url == ProviderSettings().database_url


def test_the_provider_public_url_follows_its_port_unless_given() -> None:
    derived = load_settings(ProviderSettings, environ={"REELBRIDGE_PROVIDER_HTTP_PORT": "9301"})
    legacy = load_settings(ProviderSettings, environ={"REELBRIDGE_PUBLIC_URL": "https://g.example"})

    assert derived.public_url == "http://127.0.0.1:9301"
    assert legacy.public_url == "https://g.example"


@pytest.mark.parametrize(
    ("text", "environ", "named"),
    [
        pytest.param("colour = 'red'\n", {}, "colour", id="unknown key"),
        pytest.param("[http]\nport = 70000\n", {}, "$.http.port", id="out of bounds"),
        pytest.param("[log]\nformat = 'xml'\n", {}, "$.log.format", id="not a choice"),
        pytest.param("", {"REELBRIDGE_HTTP_WORKERS": "many"}, "REELBRIDGE_HTTP_WORKERS", id="env"),
        pytest.param("port = ", {}, "not valid TOML", id="broken file"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name(
    tmp_path: Path, text: str, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named.replace("$", r"\$")):
        load_settings(AggregatorSettings, config_file=write(tmp_path, text), environ=environ)


def test_a_secret_in_a_bad_variable_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(ProviderSettings, environ={"REELBRIDGE_PROVIDER_CALL_LOG_DAYS": "x"})
    assert "REELBRIDGE_PROVIDER_CALL_LOG_DAYS" in str(caught.value)


@pytest.mark.parametrize(
    "token",
    ["changeme", "CHANGE-ME-please-0123456789", "<admin token>", "short-token", "a" * 40, "secret"],
)
def test_a_placeholder_or_short_admin_token_is_refused(token: str) -> None:
    with pytest.raises(SettingsError, match="admin_token"):
        check_secrets(AggregatorSettings(admin_token=token))


def test_a_weak_lobby_token_is_refused_too_and_a_strong_one_passes() -> None:
    lobby = load_settings(
        AggregatorSettings,
        environ={"REELBRIDGE_ADMIN_TOKEN": STRONG, "REELBRIDGE_LOBBY_PROVIDER_ADMIN_TOKEN": "x1"},
    )
    with pytest.raises(SettingsError, match=r"lobby\.provider_admin_token"):
        check_secrets(lobby)
    check_secrets(AggregatorSettings(admin_token=STRONG, fingerprint_key=STRONG[::-1]))


def test_secrets_never_show_in_repr_or_str() -> None:
    settings = load_settings(
        AggregatorSettings,
        environ={
            "REELBRIDGE_ADMIN_TOKEN": STRONG,
            "REELBRIDGE_FINGERPRINT_KEY": "fp-" + STRONG,
            "REELBRIDGE_LOBBY_PROVIDER_ADMIN_TOKEN": "lobby-" + STRONG,
        },
    )

    for shown in (repr(settings), str(settings), f"{settings}"):
        assert STRONG not in shown
        assert "admin_token='***'" in shown


def test_workers_get_exactly_the_settings_the_parent_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write(tmp_path, f'admin_token = "{STRONG}"\n[limits]\nrate_per_second = 12.5\n')
    db = f"sqlite:///{tmp_path / 'a.db'}"
    parent = load_settings(
        AggregatorSettings, config_file=file, environ={}, flags={"database_url": db}
    )
    handed = settings_for_workers(parent)
    # a worker's own environment disagrees: it is not read
    monkeypatch.setenv("REELBRIDGE_LIMITS_RATE_PER_SECOND", "99")
    for name, value in handed.items():
        monkeypatch.setenv(name, value)

    assert settings_from_workers(AggregatorSettings, handed) == parent
    app = aggregator_app_from_env()
    assert app.state.settings == parent


def test_a_worker_without_handed_settings_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match="REELBRIDGE_RESOLVED_SETTINGS"):
        settings_from_workers(ProviderSettings, {})


def test_the_configuration_document_is_generated_from_the_models() -> None:
    assert DOC.read_text() == configuration_markdown(), (
        "docs/configuration.md is stale: run "
        "`.venv/bin/reelbridge config docs --write docs/configuration.md`"
    )


def test_every_setting_is_in_the_document() -> None:
    text = DOC.read_text()
    for name in ("http.request_timeout_seconds", "limits.burst", "call_log_days", "lobby.demo"):
        assert f"`{name}`" in text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REELBRIDGE_ADMIN_TOKEN": "changeme"}, "admin_token is a placeholder"),
        ({"REELBRIDGE_ADMIN_TOKEN": "tiny-token"}, "shorter than 24"),
        (
            {"REELBRIDGE_ADMIN_TOKEN": STRONG, "REELBRIDGE_LOG_LEVEL": "loud"},
            "REELBRIDGE_LOG_LEVEL",
        ),
    ],
)
def test_serve_refuses_to_start_on_a_bad_setting(env: dict[str, str], message: str) -> None:
    result = CliRunner().invoke(cli, ["aggregator", "serve", "--port", "1"], env=env)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "tiny-token" not in result.output


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    file = write(tmp_path, f'admin_token = "{STRONG}"\n')

    result = CliRunner().invoke(cli, ["config", "show", "provider", "--config", str(file)], env={})

    assert result.exit_code == 0, result.output
    assert "admin_token='***'" in result.output
    assert STRONG not in result.output


@pytest.mark.parametrize("side", ["aggregator", "provider"])
def test_generated_tokens_can_be_given_as_the_token_commands_positional_argument(
    side: str,
) -> None:
    # A token that began with "-" would be read as an option ("No such option: -O"): the
    # tokens we generate, and the command our messages print to make one, never do.
    group = cli.commands[side].commands["clients"].commands["token"]  # type: ignore[attr-defined]
    for _ in range(200):
        token = generate_token()
        for command, args in (("add", ["c", token, "--primary"]), ("retire", ["c", token])):
            context = group.commands[command].make_context(command, [*args, "--token", "t"])
            assert token in context.params.values(), (command, token)
