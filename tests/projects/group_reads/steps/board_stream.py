# A plain stream (no auth, no access check) for group-read and WebSocket input tests.
config = {"name": "board", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}}
