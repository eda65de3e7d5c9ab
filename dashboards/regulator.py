"""The regulator's pages at /regulator: sign-in, and the alert dashboard.

    GET  /regulator                          the dashboard (?filters), or the sign-in form (?next=…)
    POST /regulator/sign-in · /sign-out      start or end the /regulator cookie session
    GET  /regulator/live                     counts, charts and table (htmx polls it every 5 s)
    GET  /regulator/alerts.csv               the filtered alerts as CSV
    GET  /regulator/alerts/{key}             one alert: evidence, notes, workflow buttons
    POST /regulator/alerts/{key}/transitions move it along the workflow (CSRF), or add a note

The session is `dashboards.session.REGULATOR_AREA`: a cookie with Path=/regulator, so it is sent
to every page under /regulator (the alert pages here, the provenance reports under
/regulator/reports/) and to nothing else. Other modules add their pages under /regulator and get
the actor with `regulator_actor(rt, request)`.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from dashboards import regulator_view
from dashboards.render import Renderer
from dashboards.session import (
    CSRF_FIELD,
    NEXT_FIELD,
    REGULATOR_AREA,
    SignedOutError,
    check_csrf,
    check_same_origin,
    csrf_token,
    regulator_actor,
    session_token,
)
from services.api.deps import RuntimeDep
from services.detection import alert_queries, workflow
from services.detection.alert_filter import AlertFilter
from services.errors import PharmaTraceError
from services.runtime import Actor, Runtime

PAGE = REGULATOR_AREA.path
LABELS = {
    "status_labels": regulator_view.STATUS_LABELS,
    "action_labels": regulator_view.ACTION_LABELS,
    "rule_label": regulator_view.rule_label,
}

FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NextQuery = Annotated[str, Query(alias=NEXT_FIELD)]
NextField = Annotated[str, Form(alias=NEXT_FIELD)]


def _return_to(next_page: str) -> str:
    """Where to go after sign-in: the page asked for if it is one of ours, else the dashboard."""
    return next_page if next_page and REGULATOR_AREA.owns(next_page) else PAGE


class RegulatorPages:
    """The regulator's routes over one template environment."""

    def __init__(self) -> None:
        self.render = Renderer()
        self.render.env.globals.update(LABELS)

    def signin_page(
        self,
        request: Request,
        *,
        error: PharmaTraceError | None = None,
        status: int = 200,
        next_page: str = "",
    ) -> Response:
        response = self.render.html(
            "regulator_signin.html",
            status=status,
            error=error,
            csrf="",
            next_page=_return_to(next_page),
        )
        if session_token(request) is not None:
            REGULATOR_AREA.end_session(response, request)  # a dead session: forget its cookie
        return response

    def dashboard(self, rt: Runtime, request: Request, actor: Actor) -> Response:
        csrf = csrf_token(session_token(request) or "")
        query = _filters(request)
        try:
            view = regulator_view.dashboard(rt, query)
        except PharmaTraceError as error:  # a malformed filter: say which, show the form
            return self.render.html(
                "regulator.html",
                status=error.status,
                actor=actor,
                csrf=csrf,
                view=None,
                error=error,
                choices=regulator_view.choices(rt),
                given=query,
            )
        return self.render.html(
            "regulator.html",
            actor=actor,
            csrf=csrf,
            view=view,
            error=None,
            choices=view.choices,
            given=query,
        )

    # -- the page and the session ----------------------------------------------------------------
    def page(self, request: Request, rt: RuntimeDep, next_page: NextQuery = "") -> Response:
        try:
            actor = REGULATOR_AREA.page_actor(rt, request)
        except SignedOutError as error:
            shown = error if session_token(request) is not None else None
            return self.signin_page(request, error=shown, next_page=next_page)
        if _return_to(next_page) != PAGE:  # signed in already: straight to the page asked for
            return RedirectResponse(_return_to(next_page), status_code=303)
        return self.dashboard(rt, request, actor)

    def sign_in(
        self, request: Request, rt: RuntimeDep, token: FormText = "", next_page: NextField = ""
    ) -> Response:
        try:
            check_same_origin(request)
            if not token.strip():
                raise SignedOutError("Paste your API token (it starts with pt_).")
            REGULATOR_AREA.actor_for(rt, token)
        except PharmaTraceError as error:
            return self.signin_page(request, error=error, status=error.status, next_page=next_page)
        response = RedirectResponse(_return_to(next_page), status_code=303)
        REGULATOR_AREA.start_session(response, request, token.strip())
        return response

    def sign_out(self, request: Request, csrf: CsrfField = "") -> Response:
        try:
            check_csrf(request, csrf)
        except PharmaTraceError as error:
            return self.render.error(error)
        response = RedirectResponse(PAGE, status_code=303)
        REGULATOR_AREA.end_session(response, request)
        return response

    # -- the dashboard's parts -------------------------------------------------------------------
    def live(self, request: Request, rt: RuntimeDep) -> Response:
        try:
            regulator_actor(rt, request)
            view = regulator_view.dashboard(rt, _filters(request))
        except SignedOutError:
            return REGULATOR_AREA.signed_out(request)
        except PharmaTraceError as error:
            return self.render.error(error)
        return self.render.html("_regulator_live.html", view=view)

    def export_csv(self, request: Request, rt: RuntimeDep) -> Response:
        try:
            regulator_actor(rt, request)
            alert_filter = AlertFilter.parse(_filters(request), paged=False)
        except SignedOutError:
            return REGULATOR_AREA.signed_out(request)
        except PharmaTraceError as error:
            return self.render.html("error_page.html", status=error.status, error=error, csrf="")
        return StreamingResponse(
            iterate_in_threadpool(alert_queries.alerts_csv(rt, alert_filter)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="pharmatrace-alerts.csv"'},
        )

    def alert_page(
        self,
        request: Request,
        rt: Runtime,
        actor: Actor,
        key: str,
        *,
        error: PharmaTraceError | None = None,
        notice: str = "",
        note: str = "",
    ) -> Response:
        view = regulator_view.alert_view(rt, key)
        return self.render.html(
            "regulator_alert.html",
            status=error.status if error else 200,
            actor=actor,
            csrf=csrf_token(session_token(request) or ""),
            view=view,
            alert=view.alert,
            error=error,
            notice=notice,
            note=note,
            back=_back(request),
        )

    def alert(self, request: Request, rt: RuntimeDep, key: str) -> Response:
        try:
            actor = regulator_actor(rt, request)
            return self.alert_page(request, rt, actor, key)
        except SignedOutError:
            return REGULATOR_AREA.signed_out(request)
        except PharmaTraceError as error:
            return self.render.html(
                "regulator_error.html",
                status=error.status,
                error=error,
                actor=actor,
                csrf=csrf_token(session_token(request) or ""),
            )

    def move(
        self,
        request: Request,
        rt: RuntimeDep,
        key: str,
        status: FormText = "",
        note: FormText = "",
        csrf: CsrfField = "",
    ) -> Response:
        try:
            actor = regulator_actor(rt, request)
        except SignedOutError:
            return REGULATOR_AREA.signed_out(request)
        try:
            check_csrf(request, csrf)
            workflow.get_alert(rt, key)  # 404 before anything else
        except PharmaTraceError as error:
            return self.render.html(
                "regulator_error.html",
                status=error.status,
                error=error,
                actor=actor,
                csrf=csrf_token(session_token(request) or ""),
            )
        try:
            if status:
                workflow.transition(rt, actor=actor, key=key, status=status, note=note)
            else:
                workflow.add_note(rt, actor=actor, key=key, note=note)
        except PharmaTraceError as error:  # kept on the page with the note typed so far
            return self.alert_page(request, rt, actor, key, error=error, note=note)
        target = f"{PAGE}/alerts/{quote(key, safe='')}"
        back = _back(request)
        if back != PAGE:
            target += "?" + urlencode({"back": back})
        return RedirectResponse(target, status_code=303)

    # -- routing ---------------------------------------------------------------------------------
    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        add = router.add_api_route
        add(PAGE, self.page, methods=["GET"])
        add(f"{PAGE}/sign-in", self.sign_in, methods=["POST"])
        add(f"{PAGE}/sign-out", self.sign_out, methods=["POST"])
        add(f"{PAGE}/live", self.live, methods=["GET"])
        add(f"{PAGE}/alerts.csv", self.export_csv, methods=["GET"])
        add(f"{PAGE}/alerts/{{key:path}}/transitions", self.move, methods=["POST"])
        add(f"{PAGE}/alerts/{{key:path}}", self.alert, methods=["GET"])
        return router


def _filters(request: Request) -> dict[str, str]:
    """The query string's filters (the session's own parameters left out)."""
    return {k: v for k, v in request.query_params.items() if k not in (NEXT_FIELD, "back")}


def _back(request: Request) -> str:
    """The dashboard with the filters the regulator came from (carried as ?back=)."""
    back = request.query_params.get("back", "")
    return back if back and REGULATOR_AREA.owns(back) else PAGE
