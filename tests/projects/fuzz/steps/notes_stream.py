config = {"name": "notes", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}}
