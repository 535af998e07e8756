"""WECHATPAY_API_VERSION and the WECHATPAY_V3_* variables: a v3 process without its v3 settings
names every missing variable and exits 78; v2 needs only its own key; secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from callback_gateway.settings import GatewaySettings
from payment.settings import ApiVersion, PaymentSettings
from runtime.settings import load
from tests.unit.wechatpay_v3 import vectors as v

COMMON = {
    "WECHATPAY_APPID": "wxd678efh567hg6787",
    "WECHATPAY_MCH_ID": "1230000109",
    "WECHATPAY_NOTIFY_URL": "https://pay.example.com/wechatpay/v3/notify",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092",
}
V3_KEY = "0123456789abcdef0123456789ABCDEF"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*PaymentSettings.model_fields, *GatewaySettings.model_fields]:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in COMMON.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture
def key_files(tmp_path: Path) -> dict[str, str]:
    private, public = tmp_path / "apiclient_key.pem", tmp_path / "pub_key.pem"
    private.write_bytes(v.APPENDIX_B_PRIVATE_KEY)
    public.write_bytes(v.APPENDIX_A_CERTIFICATE)
    return {"WECHATPAY_V3_PRIVATE_KEY": str(private), "WECHATPAY_V3_PUBLIC_KEY": str(public)}


def test_v3_without_its_settings_names_every_missing_variable_and_exits_78(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("WECHATPAY_API_VERSION", "v3")
    with pytest.raises(SystemExit) as exited:
        load(PaymentSettings, "payment")
    assert exited.value.code == 78
    err = capsys.readouterr().err
    for name in (
        "WECHATPAY_V3_API_KEY",
        "WECHATPAY_V3_PUBLIC_KEY",
        "WECHATPAY_V3_PUBLIC_KEY_ID",
        "WECHATPAY_V3_PRIVATE_KEY",
        "WECHATPAY_V3_CERT_SERIAL",
    ):
        assert f"{name} is not set" in err
    assert "WECHATPAY_API_KEY" not in err  # v3 does not need the v2 key


def test_v2_is_the_default_and_needs_only_the_v2_key(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        load(PaymentSettings, "payment")
    err = capsys.readouterr().err
    assert "WECHATPAY_API_KEY is not set" in err
    assert "WECHATPAY_V3" not in err
    env.setenv("WECHATPAY_API_KEY", "k" * 32)
    assert PaymentSettings().wechatpay_api_version is ApiVersion.V2


def test_a_complete_v3_configuration_loads_and_keeps_its_key_secret(
    env: pytest.MonkeyPatch, key_files: dict[str, str]
) -> None:
    for name, value in {
        "WECHATPAY_API_VERSION": "v3",
        "WECHATPAY_V3_API_KEY": V3_KEY,
        "WECHATPAY_V3_CERT_SERIAL": "F5765756002FDD77",
        "WECHATPAY_V3_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232134912410000000000000",
        **key_files,
    }.items():
        env.setenv(name, value)
    settings = PaymentSettings()
    trust = settings.v3_trust()
    assert trust.public_key is not None
    assert settings.v3_merchant(settings.wechatpay_mch_id).serial == "F5765756002FDD77"
    assert V3_KEY not in repr(settings)
    assert V3_KEY not in repr(trust)
    assert settings.secrets() == [V3_KEY]


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"WECHATPAY_V3_API_KEY": "too-short"}, "WECHATPAY_V3_API_KEY is invalid"),
        (
            {"WECHATPAY_V3_PUBLIC_KEY_ID": "0114232134912410000"},
            "WECHATPAY_V3_PUBLIC_KEY_ID is invalid",
        ),
        ({"WECHATPAY_V3_PUBLIC_KEY": "/no/such/pub_key.pem"}, "WECHATPAY_V3_PUBLIC_KEY is invalid"),
        (
            {"WECHATPAY_V3_PLATFORM_CERTIFICATES": "true", "WECHATPAY_V3_API_KEY": V3_KEY},
            "WECHATPAY_V3_PRIVATE_KEY is not set",
        ),
    ],
)
def test_the_gateway_checks_v3_once_any_v3_variable_is_set(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    problem: str,
) -> None:
    env.setenv("WECHATPAY_API_KEY", "k" * 32)
    assert not GatewaySettings().v3_configured  # v2 only: v3 notifies answer 503
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        load(GatewaySettings, "callback_gateway")
    assert exited.value.code == 78
    assert problem in capsys.readouterr().err


def test_the_gateway_in_public_key_mode_needs_no_private_key(
    env: pytest.MonkeyPatch, key_files: dict[str, str]
) -> None:
    env.setenv("WECHATPAY_API_KEY", "k" * 32)
    env.setenv("WECHATPAY_V3_API_KEY", V3_KEY)
    env.setenv("WECHATPAY_V3_PUBLIC_KEY", key_files["WECHATPAY_V3_PUBLIC_KEY"])
    env.setenv("WECHATPAY_V3_PUBLIC_KEY_ID", "PUB_KEY_ID_0114232134912410000000000000")
    settings = GatewaySettings()
    assert settings.v3_configured
    assert settings.missing_v3(signing=False) == []


def test_a_gateway_needs_the_keys_of_at_least_one_version(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key_files: dict[str, str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        load(GatewaySettings, "callback_gateway")
    assert exited.value.code == 78
    assert "WECHATPAY_API_KEY is not set" in capsys.readouterr().err
    env.setenv("WECHATPAY_V3_API_KEY", V3_KEY)
    env.setenv("WECHATPAY_V3_PUBLIC_KEY", key_files["WECHATPAY_V3_PUBLIC_KEY"])
    env.setenv("WECHATPAY_V3_PUBLIC_KEY_ID", "PUB_KEY_ID_0114232134912410000000000000")
    settings = load(GatewaySettings, "callback_gateway")  # v3 only: no v2 key needed
    assert settings.wechatpay_api_key is None
    assert settings.secrets() == [V3_KEY]
