config = {"name": "no-handler", "type": "event", "subscribes": ["x"], "emits": []}
