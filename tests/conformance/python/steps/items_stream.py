config = {
    "name": "conf-items",
    "schema": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    "baseConfig": {"storageType": "default"},
}
