# Only one partner origin may read this step, whatever the project allows.
config = {
    "name": "cors-partner",
    "type": "api",
    "path": "/partner",
    "method": "GET",
    "emits": [],
    "cors": {"origins": ["https://partner.example"]},
}


async def handler(req, ctx):
    return {"status": 200, "body": {"partner": True}}
