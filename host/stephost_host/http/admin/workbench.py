"""Serves the Workbench's built page. The files hold no data and no secret: the page reads
everything from the admin APIs with the host's secret, which `stephost dev` hands over in
the address it prints (after ``#``, so it never reaches a server or a log)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

NOT_BUILT = (
    "the Workbench page is not built: run `make install` (or `npm ci && npm run build` in "
    "host/stephost_host/workbench/ui)"
)


def mount(app: FastAPI, path: str, static: Path) -> None:
    @app.get(path, include_in_schema=False)
    async def to_folder() -> RedirectResponse:
        return RedirectResponse(path + "/")

    if (static / "index.html").is_file():
        app.mount(path, StaticFiles(directory=static, html=True), name="workbench")
        return

    @app.get(path + "/{rest:path}", include_in_schema=False)
    async def not_built(rest: str) -> JSONResponse:
        return JSONResponse({"error": NOT_BUILT}, status_code=503)
