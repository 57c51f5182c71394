"""carepay studio: the web application around a Workspace.

Safe by default: it listens on 127.0.0.1 only, every request must carry the random
token of the URL it was opened with (as a query parameter once, then as a same-site
cookie, or as the X-Carepay-Token header), the Host must be this machine, every
answer carries a Content-Security-Policy that allows nothing from elsewhere, and it
reads and writes only the model's own files (engine.workspace). The browser part is
vendored under engine/studio_static (built from studio/ with its lockfile), so it
runs offline.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from engine import workspace as w
from engine.api import parse_month
from engine.builtins import BUILTINS
from engine.diagnostics import Diagnostic, EngineError

STATIC = Path(__file__).resolve().parent / "studio_static"
COOKIE = "carepay_studio"
# Scripts only from this server and never evaluated from text; styles may be inline,
# because the editor (CodeMirror) places its lines and gutters with style attributes.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
ASSETS = {"studio.js": "text/javascript", "studio.css": "text/css"}


class Guard(BaseHTTPMiddleware):
    """Refuse a request without the token, or for another host; add the headers that
    keep the page to itself."""

    def __init__(self, app: Any, token: str, port: int) -> None:
        super().__init__(app)
        self.token = token
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.headers.get("host") not in self.hosts:
            return PlainTextResponse("refused: this studio answers on 127.0.0.1 only", 403)
        given = (
            request.query_params.get("token")
            or request.headers.get("x-carepay-token")
            or request.cookies.get(COOKIE)
            or ""
        )
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return PlainTextResponse("refused: open the studio with the address it printed", 403)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        return response


def _error(error: EngineError, ws: w.Workspace) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "diagnostics": [w.diagnostic_json(ws, d) for d in error.diagnostics]},
        status_code=422,
    )


def _texts(data: dict[str, Any]) -> dict[str, str]:
    """The edited rule files' texts by name, as the page sends them; anything else is
    said (a list or a number there stopped the request with a 500)."""
    texts = data.get("texts") or {}
    if not isinstance(texts, dict) or not all(
        isinstance(name, str) and isinstance(text, str) for name, text in texts.items()
    ):
        raise EngineError(
            [Diagnostic("bad-value", "`texts` is a mapping of a rule file's name to its text")]
        )
    return texts


def create_app(ws: w.Workspace, token: str, port: int) -> Starlette:
    """The studio's routes over one workspace."""

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return PlainTextResponse("not found", 404)
        return FileResponse(STATIC / name, media_type=ASSETS[name])

    async def state(request: Request) -> Response:
        files = [
            {"name": str(p.relative_to(ws.folder)), "text": p.read_text(encoding="utf-8-sig")}
            for p in ws.files()
        ]
        model = ws.current.checked.model
        return JSONResponse(
            {
                "title": model.title,
                "model": str(ws.model.relative_to(ws.folder)),
                "months": [f"{m:%Y-%m}" for m in ws.months],
                "files": files,
                "names": names(ws),
                "parameters": w.parameter_panel(ws, {}),
                "results": w.results(ws),
            }
        )

    async def body(request: Request) -> dict[str, Any]:
        """The request's JSON object; a body that is none (not JSON, or a list) is a
        user's mistake of the page's own making, said as one (it was a 500)."""
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise EngineError([Diagnostic("bad-value", "the request is not a JSON object")])
        return data

    async def edit(request: Request) -> Response:
        texts = _texts(await body(request))
        answer = await run_in_threadpool(w.edit, ws, texts)
        answer["names"] = names(ws)
        answer["parameters"] = w.parameter_panel(ws, texts)
        return JSONResponse(answer)

    async def set_value(request: Request) -> Response:
        data = await body(request)
        path = data.get("path") or []
        if not isinstance(path, list):
            raise EngineError([Diagnostic("bad-value", "`path` is a list of keys")])
        text = w.set_value(
            ws,
            _texts(data),
            str(data.get("file")),
            str(data.get("name")),
            path,
            str(data.get("value", "")),
        )
        return JSONResponse({"ok": True, "text": text})

    async def customers(request: Request) -> Response:
        provider = request.query_params.get("provider", "")
        return JSONResponse({"rows": w.customers_of(ws, provider)})

    async def answered(work: Callable[..., Any], *args: Any) -> Response:
        """The work's answer as JSON, done off the event loop (a user's mistake is a
        422 with its located diagnostics: `said`)."""
        return JSONResponse(await run_in_threadpool(work, ws, *args))

    async def explain(request: Request) -> Response:
        query = request.query_params
        month = parse_month(query.get("month", ""))
        return await answered(w.explanation, query.get("customer", ""), month)

    async def diff(request: Request) -> Response:
        data = await body(request)
        return await answered(w.diff_words, str(data.get("file")), str(data.get("text", "")))

    async def save(request: Request) -> Response:
        data = await body(request)
        return await answered(w.save, str(data.get("file")), str(data.get("text", "")))

    async def sweep(request: Request) -> Response:
        data = await body(request)
        return await answered(w.sweep_of, str(data.get("spec", "")))

    routes = [
        Route("/", index),
        Route("/static/{name}", asset),
        Route("/api/state", state),
        Route("/api/edit", edit, methods=["POST"]),
        Route("/api/set", set_value, methods=["POST"]),
        Route("/api/customers", customers),
        Route("/api/explain", explain),
        Route("/api/diff", diff, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
        Route("/api/sweep", sweep, methods=["POST"]),
    ]

    async def said(_request: Request, error: Exception) -> Response:
        """A user's mistake raised anywhere in a route (a request that is no JSON
        object, a rule file that does not check): 422 with its located diagnostics."""
        assert isinstance(error, EngineError)
        return _error(error, ws)

    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token, port=port)],
        exception_handlers={EngineError: said},
    )


def names(ws: w.Workspace) -> dict[str, list[str]]:
    """What the editor completes, from the checker's own knowledge of the model."""
    model = ws.current.checked.model
    columns = sorted({c for table in model.vocabulary.tables.values() for c in table.columns})
    return {
        "parameters": sorted(model.parameters),
        "rules": sorted(model.rules),
        "columns": columns,
        "functions": sorted(BUILTINS),
        "entities": sorted(model.vocabulary.entities),
    }


def new_token() -> str:
    return secrets.token_urlsafe(24)


def port_is_free(port: int) -> bool:
    """Nothing listens on the port of 127.0.0.1 now."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(ws: w.Workspace, port: int, token: str, open_browser: bool) -> None:
    """Run the studio on 127.0.0.1 until interrupted."""
    import threading
    import webbrowser

    import uvicorn

    address = f"http://127.0.0.1:{port}/?token={token}"
    print(f"carepay studio: {address}", flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [address]).start()
    uvicorn.run(create_app(ws, token, port), host="127.0.0.1", port=port, log_level="warning")


def open_studio(model: Path, data: Path, first: date, last: date | None) -> w.Workspace:
    from engine.api import months_between

    return w.open_workspace(model, data, months_between(first, last))
