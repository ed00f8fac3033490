"""kiosk.toml and backoffice.toml report a mistake in the same words, so one operator reads both alike.

The two parsers keep their own short copies of the reading and the wording (backoffice/config.py parse()
says why); this holds the copies together: an unknown option with its likely meaning, a check of our own in
its own words (no pydantic prefix), one located line each.
"""
from pathlib import Path

import pytest

import backoffice.config
import kiosk.config


def lines(module, data: dict, name: str) -> list[str]:
    with pytest.raises(module.ConfigError) as err:
        module.parse(data, name, base=Path("/srv"))
    return str(err.value).splitlines()


def test_both_configurations_word_their_errors_alike():
    kiosk_lines = lines(kiosk.config, {"kiosk": {"id": "K-1", "idd": "x"},
                                       "services": {"hr": {"base_url": "http://example.com/api"}}}, "kiosk.toml")
    office_lines = lines(backoffice.config, {"server": {"prot": 8080}, "stats": {"timezone": "Mars/Olympus"}},
                         "backoffice.toml")
    assert kiosk_lines[0] == "kiosk.toml: kiosk.idd: unknown option (did you mean 'id'?)"
    assert office_lines[0] == "backoffice.toml: server.prot: unknown option (did you mean 'port'?)"
    assert kiosk_lines[1].startswith("kiosk.toml: services.hr.base_url: https is required for 'example.com'")
    assert office_lines[1] == "backoffice.toml: stats.timezone: unknown time zone 'Mars/Olympus'"
    assert len(kiosk_lines) == len(office_lines) == 2
