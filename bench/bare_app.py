"""The baseline: a bare FastAPI endpoint returning the same body as bench/projects/*/steps/hello."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, object]:
    return {"message": "hello", "ok": True}
