"""The environment readers behind the settings fail loudly on bad values."""

from __future__ import annotations

import pytest

from cityhall.core.env import EnvError, env_bool, env_int, env_list, env_str


def test_env_str_requires_a_value_without_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CH_TEST", raising=False)
    with pytest.raises(EnvError, match="CH_TEST must be set"):
        env_str("CH_TEST")
    assert env_str("CH_TEST", "x") == "x"
    monkeypatch.setenv("CH_TEST", "value")
    assert env_str("CH_TEST", "x") == "value"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True),
                                               ("0", False), ("false", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("CH_TEST", raw)
    assert env_bool("CH_TEST", default=not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_env_bool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("CH_TEST", raw)
    with pytest.raises(EnvError, match="CH_TEST must be a boolean"):
        env_bool("CH_TEST")


def test_env_int_rejects_non_integers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CH_TEST", "12x")
    with pytest.raises(EnvError, match="CH_TEST must be an integer"):
        env_int("CH_TEST", 1)
    monkeypatch.setenv("CH_TEST", " 42 ")
    assert env_int("CH_TEST", 1) == 42


def test_env_list_splits_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CH_TEST", "a, b,,c ")
    assert env_list("CH_TEST", []) == ["a", "b", "c"]


def test_production_settings_refuse_a_short_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(EnvError, match="SECRET_KEY"):
        runpy.run_module("cityhall.settings")
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(EnvError, match="DEBUG"):
        runpy.run_module("cityhall.settings")


def test_development_mail_goes_to_files_under_var_and_production_mail_to_smtp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import runpy

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.setenv("DEBUG", "1")
    dev = runpy.run_module("cityhall.settings")
    assert dev["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert dev["EMAIL_FILE_PATH"] == dev["VAR_DIR"] / "mail"
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    assert runpy.run_module("cityhall.settings")["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
