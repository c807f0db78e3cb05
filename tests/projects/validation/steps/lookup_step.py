# For the generated OpenAPI: a path parameter, query parameters, a description.
config = {
    "name": "val-py-lookup",
    "type": "api",
    "path": "/py/orders/:id",
    "method": "GET",
    "description": "One order by id",
    "queryParams": [{"name": "fields", "description": "which fields to return"}],
    "emits": [],
    "flows": ["validation", "lookups"],
}


async def handler(req, ctx):
    return {"status": 200, "body": {"id": req["pathParams"]["id"]}}
