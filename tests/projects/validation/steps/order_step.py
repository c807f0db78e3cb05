# Body and input schemas as pydantic models (the sidecar converts them to JSON Schema).
from pydantic import BaseModel, Field


class Order(BaseModel):
    id: str
    qty: int = Field(ge=1)


class Accepted(BaseModel):
    accepted: Order


config = {
    "name": "val-py-order",
    "type": "api",
    "path": "/py/orders",
    "method": "POST",
    "bodySchema": Order,
    "responseSchema": {200: Accepted},
    "emits": [],
    "flows": ["validation"],
}


async def handler(req, ctx):
    return {"status": 200, "body": {"accepted": req["body"]}}
