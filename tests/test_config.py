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


def service(tmp_path, body: str):
    f = tmp_path / "k.toml"
    f.write_text(f'[kiosk]\nid = "K1"\n[services.x]\n{body}\n')
    return f


@pytest.mark.parametrize("url, host", [("http://backend.example.gov.cn/api", "backend.example.gov.cn"),
                                       ("http://10.0.0.5:8700", "10.0.0.5"),
                                       ("http://127.0.0.1.nip.io/", "127.0.0.1.nip.io")])
def test_plain_http_beyond_this_machine_is_refused(tmp_path, url, host):
    with pytest.raises(config.ConfigError) as exc:
        config.load(service(tmp_path, f'base_url = "{url}"'))
    assert str(exc.value) == (f"{tmp_path / 'k.toml'}: services.x.base_url: https is required for {host!r}; "
                              "plain http is only allowed to this machine (127.0.0.0/8, ::1, localhost)")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8700", "http://127.8.9.10/", "http://[::1]:8700/x",
                                 "http://localhost:8700", "https://backend.example.gov.cn/api"])
def test_loopback_may_be_plain_http_and_anything_may_be_https(tmp_path, url):
    assert config.load(service(tmp_path, f'base_url = "{url}"')).services["x"].base_url == url


def test_a_ca_file_is_relative_to_the_configuration_and_only_for_https(tmp_path):
    cfg = config.load(service(tmp_path, 'base_url = "https://b.example.gov.cn"\nca_file = "ca/backend.pem"\n'
                                        'token_file = "secrets/x.token"'))
    assert cfg.services["x"].ca_file == tmp_path / "ca" / "backend.pem"
    assert cfg.services["x"].token_file == tmp_path / "secrets" / "x.token"
    with pytest.raises(config.ConfigError) as exc:
        config.load(service(tmp_path, 'base_url = "http://127.0.0.1:1"\nca_file = "ca.pem"'))
    assert str(exc.value).endswith("services.x.ca_file: a CA file is only used with an https base_url")


def test_one_token_source_per_service(tmp_path):
    with pytest.raises(config.ConfigError) as exc:
        config.load(service(tmp_path, 'base_url = "http://127.0.0.1:1"\ntoken_env = "T"\ntoken_file = "t"'))
    assert str(exc.value).endswith("services.x: set token_env or token_file, not both")


def test_the_command_key_is_found_beside_the_configuration_whatever_the_working_directory(tmp_path, monkeypatch):
    from wire.signing import generate_keypair

    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "backoffice.pub").write_bytes(generate_keypair()[1])
    (tmp_path / "kiosk.toml").write_text('[kiosk]\nid = "K1"\n[telemetry]\nhost = "broker"\n'
                                        'command_key_file = "keys/backoffice.pub"\nca_file = "ca.pem"\n')
    monkeypatch.chdir("/")
    cfg = config.load(tmp_path / "kiosk.toml")
    assert cfg.telemetry.command_key_file == tmp_path / "keys" / "backoffice.pub"
    assert cfg.telemetry.ca_file == tmp_path / "ca.pem"
