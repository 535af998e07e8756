"""How the sandbox says no, in WeChat's two shapes (reference §1.1, §8.2).

The sandbox answers protocol problems (bad XML, a bad signature, missing parameters, an unknown
merchant) with ``return_code=FAIL`` and a Chinese ``return_msg`` and no signature, which is what
real clients overwhelmingly see; and business outcomes with a signed ``result_code=FAIL`` plus
``err_code``/``err_code_des``, as the documentation lists them.
"""

from __future__ import annotations

__all__ = ["BusinessFailError", "PayRefusedError", "ReturnFailError"]


class ReturnFailError(Exception):
    """Answered ``return_code=FAIL`` with ``return_msg`` (unsigned)."""

    def __init__(self, return_msg: str) -> None:
        super().__init__(return_msg)
        self.return_msg = return_msg


class BusinessFailError(Exception):
    """Answered ``result_code=FAIL`` with ``err_code`` and ``err_code_des`` (signed)."""

    def __init__(self, err_code: str, err_code_des: str) -> None:
        super().__init__(f"{err_code}: {err_code_des}")
        self.err_code = err_code
        self.err_code_des = err_code_des


class PayRefusedError(Exception):
    """The simulated customer cannot pay this order (control API, HTTP 409)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
