"""The web interface's routes. Every read and write goes through policywatch.search (the code the CLI
uses); this module only turns requests into those calls and their results into pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from policywatch.core.errors import PolicywatchError
from policywatch.core.redact import url_origin
from policywatch.search import DOC_TYPES, METRICS, SearchRequest, make_filters, search
from policywatch.search.alerts import recent_alerts
from policywatch.search.channels import describe as describe_channel
from policywatch.search.documents import cluster_copies, get_document, highlight_spans, latest_documents
from policywatch.search.indicators import metric_zones, series
from policywatch.search.watches import WatchStore, delivery_failures, new_watch
from policywatch.source_health import display_state, read_health
from policywatch.web import export
from policywatch.web.security import CSRF_COOKIE, CSRF_FIELD, BasicAuth, csrf_ok, new_token
from schemas.indices import ALERTS_INDEX, DOCS_INDEX, INDICATORS_INDEX, SOURCE_HEALTH_INDEX, WATCHES_INDEX

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 10
_EM = re.compile(r"&lt;(/?)em&gt;")
SEARCH_PARAMS = ("q", "zone", "region", "metric", "doc_type", "since", "until")


@dataclass(frozen=True, slots=True)
class WebConfig:
    docs_index: str = DOCS_INDEX
    indicators_index: str = INDICATORS_INDEX
    watches_index: str = WATCHES_INDEX
    alerts_index: str = ALERTS_INDEX
    health_index: str = SOURCE_HEALTH_INDEX
    user: str | None = None
    password: str | None = None
    webhook_allow_private: bool = False  # POLICYWATCH_WEBHOOK_ALLOW_PRIVATE, for watches added here


def em_safe(fragment: str) -> Markup:
    """A highlighter fragment as HTML: everything escaped except its <em> tags."""
    return Markup(_EM.sub(r"<\1em>", str(escape(fragment))))


def fmt_indicator_value(ind: dict[str, Any]) -> str:
    if ind.get("redacted"):
        return "(masked)"
    value = ind.get("value")
    return "" if value is None else f"{value:g}"


def create_app(es: Any, config: WebConfig | None = None) -> Starlette:
    """The ASGI app over one Elasticsearch client (built by the caller)."""
    cfg = config or WebConfig()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["em_safe"] = em_safe
    templates.env.filters["value"] = fmt_indicator_value
    templates.env.filters["url_origin"] = url_origin
    templates.env.filters["channel"] = describe_channel
    templates.env.globals["metrics"] = METRICS
    templates.env.globals["doc_types"] = DOC_TYPES
    watches = WatchStore(es, cfg.watches_index)

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        token = request.cookies.get(CSRF_COOKIE) or new_token()
        resp = templates.TemplateResponse(request, name, {"csrf": token, CSRF_FIELD: token, **context},
                                          status_code=status_code)
        if request.cookies.get(CSRF_COOKIE) != token:
            resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        return resp

    def home(request: Request) -> Response:
        return page(request, "index.html", latest=latest_documents(es, limit=10, index=cfg.docs_index))

    def search_page(request: Request) -> Response:
        p = request.query_params
        form = {k: (p.get(k) or "").strip() for k in SEARCH_PARAMS}
        try:
            pageno = max(1, int(p.get("page") or 1))
            filters = make_filters(zone=form["zone"] or None, region=form["region"] or None,
                                   metric=form["metric"] or None, doc_type=form["doc_type"] or None,
                                   since=form["since"] or None, until=form["until"] or None)
            result = search(es, SearchRequest(query=form["q"], filters=filters, limit=PAGE_SIZE,
                                              offset=(pageno - 1) * PAGE_SIZE, facets=True),
                            index=cfg.docs_index)
        except (PolicywatchError, ValueError) as exc:
            return page(request, "search.html", status_code=400, form=form, error=str(exc), result=None)
        shown = result.clusters if result.clusters is not None else result.total

        def link(**changes: Any) -> str:
            params = {**{k: v for k, v in form.items() if v}, **changes}
            return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

        return page(request, "search.html", form=form, result=result, error=None, page=pageno,
                    pages=max(1, -(-shown // PAGE_SIZE)), shown=shown, link=link)

    def doc_page(request: Request) -> Response:
        doc = get_document(es, request.path_params["doc_id"], index=cfg.docs_index)
        if doc is None:
            raise HTTPException(404, f"no document {request.path_params['doc_id']!r} in the index")
        indicators = doc.get("indicators") or []
        return page(request, "doc.html", doc=doc, indicators=indicators,
                    pieces=highlight_spans(doc.get("text") or "", indicators),
                    copies=cluster_copies(es, doc, index=cfg.docs_index))

    def _series(request: Request) -> tuple[str, list[str], Any]:
        metric = request.query_params.get("metric") or "gdp"
        if metric not in METRICS:
            raise HTTPException(400, f"unknown metric {metric!r}")
        zones = [z for z in request.query_params.getlist("zone") if z]
        return metric, zones, series(es, metric, zones, index=cfg.indicators_index)

    def indicators_page(request: Request) -> Response:
        metric, zones, s = _series(request)
        periods = s.periods()
        table: dict[tuple[int, str], dict[str, list[dict[str, Any]]]] = {p: {} for p in periods}
        for r in s.rows:
            key = (r.get("year"), r.get("period") or "全年")
            if key in table:
                table[key].setdefault(r["zone"], []).append(r)
        query = urlencode([("metric", metric), *(("zone", z) for z in zones)])
        return page(request, "indicators.html", metric=metric, zones=zones,
                    available=metric_zones(es, metric, index=cfg.indicators_index), periods=periods,
                    table=table, chart=s.chart(), query=query, rows=len(s.rows))

    def indicators_export(request: Request) -> Response:
        metric, zones, s = _series(request)
        fmt = request.path_params["fmt"]
        name = f"policywatch-{metric}"
        if fmt == "csv":
            return Response(export.to_csv(s.rows), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        return Response(export.to_xlsx(s.rows, sheet=metric),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})

    def watches_page(request: Request, error: str | None = None, status_code: int = 200,
                     form: dict[str, str] | None = None) -> Response:
        return page(request, "watches.html", status_code=status_code, watches=watches.list(), error=error,
                    form=form or {}, failures=delivery_failures(es, cfg.alerts_index))

    async def checked_form(request: Request) -> dict[str, str]:
        form = await request.form()
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD) or ""),
                       request.headers.get("origin"), request.headers.get("host")):
            raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page and retry")
        return {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}

    async def watch_add(request: Request) -> Response:
        form = await checked_form(request)
        try:
            growth = float(form["min_growth"]) if form.get("min_growth") else None
            watch = new_watch(form.get("name", ""), query=form.get("query", ""),
                              zone=form.get("zone") or None,
                              region=form.get("region") or None, metric=form.get("metric") or None,
                              min_growth=growth, doc_type=form.get("doc_type") or None,
                              webhook=form.get("webhook") or None, owner=form.get("owner") or None,
                              notify=[u for u in form.get("notify", "").split() if u],
                              digest=form.get("digest") or "off",
                              allow_private=cfg.webhook_allow_private)
            await run_in_threadpool(watches.add, watch)
        except (PolicywatchError, ValueError) as exc:
            return await run_in_threadpool(watches_page, request, str(exc), 400, form)
        return RedirectResponse("/watches", status_code=303)

    async def watch_enable(request: Request) -> Response:
        form = await checked_form(request)
        try:
            await run_in_threadpool(watches.set_enabled, request.path_params["name"],
                                    form.get("enabled") == "1")
        except PolicywatchError as exc:
            return await run_in_threadpool(watches_page, request, str(exc), 404)
        return RedirectResponse("/watches", status_code=303)

    async def watch_remove(request: Request) -> Response:
        await checked_form(request)
        try:
            await run_in_threadpool(watches.remove, request.path_params["name"])
        except PolicywatchError as exc:
            return await run_in_threadpool(watches_page, request, str(exc), 404)
        return RedirectResponse("/watches", status_code=303)

    def alerts_page(request: Request) -> Response:
        watch = request.query_params.get("watch") or None
        return page(request, "alerts.html", watch=watch,
                    alerts=recent_alerts(es, limit=100, watch=watch, index=cfg.alerts_index))

    def sources_page(request: Request) -> Response:
        rows = read_health(es, index=cfg.health_index)
        for r in rows:
            r["display_state"] = display_state(r)
        return page(request, "sources.html", sources=rows)

    async def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "error")
        return await run_in_threadpool(page, request, "error.html", code, code=code, detail=detail)

    async def service_error(request: Request, exc: Exception) -> Response:
        """Elasticsearch down or refusing: a 503 page saying so (the same words as the CLI's)."""
        from elasticsearch import ConnectionError as ESConnectionError

        if isinstance(exc, ESConnectionError):
            from policywatch.core.elasticsearch import client_unreachable_message

            detail = client_unreachable_message(es, exc)
        elif isinstance(exc, PolicywatchError):
            detail = str(exc)
        else:
            raise exc
        return await run_in_threadpool(page, request, "error.html", 503, code=503, detail=detail)

    def watches_get(request: Request) -> Response:
        return watches_page(request)

    routes = [
        Route("/", home),
        Route("/search", search_page),
        Route("/doc/{doc_id}", doc_page),
        Route("/indicators", indicators_page),
        Route("/indicators.{fmt:str}", indicators_export),
        Route("/watches", watches_get, methods=["GET"]),
        Route("/watches", watch_add, methods=["POST"]),
        Route("/watches/{name}/enabled", watch_enable, methods=["POST"]),
        Route("/watches/{name}/remove", watch_remove, methods=["POST"]),
        Route("/alerts", alerts_page),
        Route("/sources", sources_page),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = []
    if cfg.user and cfg.password:
        middleware.append(Middleware(BasicAuth, user=cfg.user, password=cfg.password))
    from elasticsearch import ConnectionError as ESConnectionError

    handlers = {HTTPException: http_error, ESConnectionError: service_error, PolicywatchError: service_error}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.config = cfg
    return app


__all__ = ["WebConfig", "create_app", "em_safe"]
