from pydantic import BaseModel


class Shipment(BaseModel):
    id: str
    qty: int


config = {
    "name": "tc-ship",
    "type": "event",
    "subscribes": ["tc.ship"],
    "input": Shipment,
    "emits": ["tc.shipped"],
    "flows": ["typecheck"],
}


async def handler(data, ctx):
    await ctx.emit({"topic": "tc.shipped", "data": {"id": data["id"], "carrier": "ups"}})
