from pydantic import BaseModel


class Item(BaseModel):
    id: str
    qty: int


config = {
    "name": "val-py-sink",
    "type": "event",
    "subscribes": ["val.py"],
    "input": Item,
    "emits": [],
    "flows": ["validation"],
}


async def handler(data, ctx):
    await ctx.state.set("val", f"py:{data['id']}", data)
