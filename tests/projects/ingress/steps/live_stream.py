config = {"name": "ingress-live", "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}
