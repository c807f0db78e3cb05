# Hangs at import: the sidecar never says hello.
import time

config = {"name": "hang-py", "type": "api", "path": "/hang", "method": "GET"}
time.sleep(3600)
