"""`python -m sandbox`: the WeChat Pay sandbox on 127.0.0.1:8090."""

import sys

sys.exit("sandbox: the WeChat Pay sandbox is not built yet (issue #3); refusing to start")
