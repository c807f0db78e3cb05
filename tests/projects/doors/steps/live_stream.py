config = {"name": "doors-live", "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}
