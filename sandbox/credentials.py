"""The sandbox merchant's made-up test credentials (override with SANDBOX_APPID, SANDBOX_MCH_ID,
SANDBOX_API_KEY, SANDBOX_V3_API_KEY). They belong to no real merchant and open nothing outside
the sandbox. The v3 keys and certificates are generated into the state folder
(:mod:`sandbox.v3_keys`)."""

from __future__ import annotations

from typing import Final

APPID: Final = "wxe29abccbb807a8cf"
MCH_ID: Final = "1900000931"
API_KEY: Final = "d5yjNIsoczj1PKwK9EGxUJYvceGj7q2f"
V3_API_KEY: Final = "Zq8TzXv3sAndb0xAPIv3Key012345678"
