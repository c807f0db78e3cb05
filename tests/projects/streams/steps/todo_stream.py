config = {
    "name": "todo",
    "schema": {
        "type": "object",
        "properties": {"title": {"type": "string"}, "done": {"type": "boolean"}},
        "required": ["title"],
    },
    "baseConfig": {"storageType": "default"},
}
