config = {"name": "ticker", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}}
