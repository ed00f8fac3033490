"""Configuration is validated once, with errors that name the exact option."""
import pytest

from kiosk import config

EXAMPLE = "etc/kiosk.example.toml"


def test_the_shipped_example_is_valid():
    cfg = config.load(EXAMPLE)
    assert cfg.kiosk.id == "K-0001"
    assert cfg.devices["receipt_printer"].driver == "sim"
    assert cfg.idle.max_extensions >= 10


def test_an_unknown_option_is_named_with_a_suggestion(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[kiosk]\nid = "K1"\n[idle]\ntimeout_s = 60\nwarn_sec = 30\n')
    with pytest.raises(config.ConfigError) as exc:
        config.load(f)
    assert "idle.warn_sec: unknown option (did you mean 'warn_s'?)" in str(exc.value)


def test_an_idle_policy_below_wcag_is_refused(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[kiosk]\nid = "K1"\n[idle]\nwarn_s = 5\n')
    with pytest.raises(config.ConfigError) as exc:
        config.load(f)
    assert "idle.warn_s" in str(exc.value)


def test_credentials_in_a_service_url_are_refused(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[kiosk]\nid = "K1"\n[services.x]\nbase_url = "http://user:pw@host/"\n')
    with pytest.raises(config.ConfigError) as exc:
        config.load(f)
    assert "services.x.base_url" in str(exc.value)


def test_a_token_comes_from_the_environment(monkeypatch, tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[kiosk]\nid = "K1"\n[services.x]\nbase_url = "http://127.0.0.1:1"\ntoken_env = "T_X"\n')
    monkeypatch.setenv("T_X", "s3cret")
    assert config.load(f).services["x"].credential() == "s3cret"


def test_broken_toml_reports_its_position(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[kiosk\nid = "K1"\n')
    with pytest.raises(config.ConfigError) as exc:
        config.load(f)
    assert "line 1" in str(exc.value)
