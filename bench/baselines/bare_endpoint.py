"""Baseline (a): a bare Starlette endpoint that reads the body and answers WeChat's SUCCESS XML.

`python -m bench.baselines.bare_endpoint PORT`
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SUCCESS = (
    b"<xml><return_code><![CDATA[SUCCESS]]></return_code>"
    b"<return_msg><![CDATA[OK]]></return_msg></xml>"
)


async def notify(request: Request) -> Response:
    await request.body()
    return Response(SUCCESS, media_type="text/xml; charset=utf-8")


app = Starlette(routes=[Route("/wechatpay/v2/notify", notify, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
