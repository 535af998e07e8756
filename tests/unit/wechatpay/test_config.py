"""The configuration fails loudly, hides the key, and cannot turn TLS verification off."""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from payment.wechatpay import ConfigurationError, SignType, build_ssl_context
from tests.unit.wechatpay.fake_wechat import KEY, config


def test_the_api_key_never_shows_in_repr_or_str() -> None:
    settings = config()
    assert KEY not in repr(settings)
    assert KEY not in str(settings)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"api_key": SecretStr("short")}, id="short-key"),
        pytest.param({"appid": ""}, id="no-appid"),
        pytest.param({"base_url": "ftp://api.mch.weixin.qq.com"}, id="not-http"),
        pytest.param({"base_url": "api.mch.weixin.qq.com"}, id="no-scheme"),
        pytest.param({"notify_url": "/relative/notify"}, id="relative-notify-url"),
        pytest.param({"client_cert_path": Path("cert.pem")}, id="certificate-without-key"),
        pytest.param({"read_timeout": 0}, id="zero-timeout"),
        pytest.param({"sign_type": "SHA1"}, id="unknown-sign-type"),
    ],
)
def test_a_wrong_configuration_fails_at_construction(overrides: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        config(**overrides)


def test_sign_type_strings_become_the_enum_and_base_urls_lose_their_slash() -> None:
    settings = config(sign_type="MD5", base_url="https://api2.mch.weixin.qq.com/")
    assert settings.sign_type is SignType.MD5
    assert settings.base_url == "https://api2.mch.weixin.qq.com"


def test_there_is_no_setting_that_disables_tls_verification() -> None:
    names = {f.name for f in dataclasses.fields(config())}
    assert not names & {"verify", "insecure", "verify_tls", "ssl_verify", "skip_verify"}


def test_the_tls_context_always_verifies_the_server_and_its_name() -> None:
    context = build_ssl_context(config())
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
