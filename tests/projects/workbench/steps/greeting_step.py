# Reads back what the Workbench's state editor wrote.
config = {"name": "greeting", "type": "api", "path": "/shop/greeting", "method": "GET", "flows": ["shop"]}


async def handler(req, ctx):
    return {"status": 200, "body": {"greeting": await ctx.state.get("settings", "greeting")}}
