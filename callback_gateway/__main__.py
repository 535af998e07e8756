"""`python -m callback_gateway`: receives WeChat Pay's notifies over HTTP."""

import sys

sys.exit("callback_gateway: the gateway is not built yet (issue #5); refusing to start")
