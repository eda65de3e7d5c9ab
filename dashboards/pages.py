"""The manufacturer page at /manufacturer: server-rendered HTML, htmx for the parts that change.

    GET  /manufacturer                                   the page, or the sign-in form
    POST /manufacturer/sign-in · /manufacturer/sign-out  start or end the cookie session
    GET  /manufacturer/batches                           the batch list (refreshed after a job)
    POST /manufacturer/batches                           register a batch → a background job
    POST /manufacturer/imports                           import a CSV/Excel file → a job
    GET  /manufacturer/jobs/{id}                         a job's progress (polled every 500 ms)
    POST /manufacturer/batches/{gtin}/{lot}/recall       recall a batch, with its reason
    GET  /manufacturer/batches/{gtin}/{lot}/labels.pdf   the label sheet (?paper=A4|Letter)
    GET  /manufacturer/batches/{gtin}/{lot}/labels/{serial}.png

Routes stay thin as the API's do: the session gives the actor, a domain function acts, a template
renders. Errors are rendered as an alert fragment with the API's `{code, message}` and status,
which htmx swaps in where the result would have gone.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from dashboards import imports
from dashboards.forms import FormError, RegistrationForm
from dashboards.jobs import JobRegistry, JobSnapshot, Owner, ProgressReport
from dashboards.overview import manufacturer_overview, own_batch
from dashboards.render import Renderer
from dashboards.session import (
    CSRF_FIELD,
    SignedOutError,
    check_csrf,
    check_same_origin,
    csrf_token,
    end_session,
    manufacturer_for,
    page_actor,
    session_token,
    start_session,
)
from services.api.deps import RuntimeDep
from services.api.models import BatchCreate
from services.api.routes.labels import label_sheet_response, pack_label_response
from services.domain import batches
from services.domain.batches import RegisteredBatch
from services.errors import PharmaTraceError
from services.runtime import Actor, Runtime

PAGE = "/manufacturer"
BATCHES_CHANGED = "batches-changed"  # htmx event: the batch list reloads itself
REGISTRATION_STEPS = "Generating serial numbers, building the Merkle tree, committing the token…"

FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _owner(actor: Actor) -> Owner:
    return Owner(actor.msp_id, actor.user)


class ManufacturerPages:
    """The page's routes over one job registry and one template environment."""

    def __init__(self) -> None:
        self.jobs = JobRegistry()
        self.render = Renderer()

    # -- helpers ---------------------------------------------------------------------------------
    def signed_out(self, request: Request, error: SignedOutError) -> Response:
        """A fragment asking to sign in (htmx), or the sign-in page."""
        if _is_htmx(request):
            return self.render.html("_signed_out.html", status=401, error=error)
        return self.signin_page(request, error=error, status=401)

    def signin_page(
        self, request: Request, *, error: PharmaTraceError | None = None, status: int = 200
    ) -> Response:
        response = self.render.html("signin.html", status=status, error=error, csrf="")
        if session_token(request) is not None:
            end_session(response, request)  # a dead session: forget its cookie
        return response

    def job_fragment(self, job: JobSnapshot, *, status: int = 200) -> Response:
        """The job's progress; once finished, its outcome, and the batch list reloads."""
        headers = {"HX-Trigger": BATCHES_CHANGED} if job.finished else {}
        return self.render.html(
            "_job.html",
            status=status,
            headers=headers,
            job=job,
            problems=imports.file_problems(job.error),
            listed_errors=imports.LISTED_ERRORS,
        )

    # -- the page and the session ----------------------------------------------------------------
    def page(self, request: Request, rt: RuntimeDep) -> Response:
        try:
            actor = page_actor(rt, request)
        except SignedOutError as error:
            shown = error if session_token(request) is not None else None
            return self.signin_page(request, error=shown)
        return self.render.html(
            "manufacturer.html",
            actor=actor,
            overview=manufacturer_overview(rt, actor.msp_id),
            csrf=csrf_token(session_token(request) or ""),
        )

    def sign_in(self, request: Request, rt: RuntimeDep, token: FormText = "") -> Response:
        try:
            check_same_origin(request)
            if not token.strip():
                raise SignedOutError("Paste your API token (it starts with pt_).")
            manufacturer_for(rt, token)
        except PharmaTraceError as error:
            return self.signin_page(request, error=error, status=error.status)
        response = RedirectResponse(PAGE, status_code=303)
        start_session(response, request, token.strip())
        return response

    def sign_out(self, request: Request, csrf: CsrfField = "") -> Response:
        try:
            check_csrf(request, csrf)
        except PharmaTraceError as error:
            return self.render.error(error)
        response = RedirectResponse(PAGE, status_code=303)
        end_session(response, request)
        return response

    # -- batches ---------------------------------------------------------------------------------
    def batch_list(self, request: Request, rt: RuntimeDep) -> Response:
        try:
            actor = page_actor(rt, request)
        except SignedOutError as error:
            return self.signed_out(request, error)
        overview = manufacturer_overview(rt, actor.msp_id)
        return self.render.html("_batches.html", overview=overview)

    def register(
        self,
        request: Request,
        rt: RuntimeDep,
        gtin: FormText = "",
        lot: FormText = "",
        expiry: FormText = "",
        quantity: FormText = "",
    ) -> Response:
        try:
            actor = page_actor(rt, request)
        except SignedOutError as error:
            return self.signed_out(request, error)
        try:
            check_csrf(request, None)
            batch = RegistrationForm(gtin, lot, expiry, quantity).validated()
            job = self.jobs.start(
                _owner(actor),
                kind="registration",
                title=f"Registering batch {batch.lot}: {batch.quantity or 0:,} packs",
                work=lambda report: _register(rt, actor, batch, report),
                note=REGISTRATION_STEPS,
            )
        except FormError as error:
            return self.render.error(error, problems=error.problems)
        except PharmaTraceError as error:
            return self.render.error(error)
        return self.job_fragment(job, status=202)

    def import_file(
        self, request: Request, rt: RuntimeDep, file: Annotated[UploadFile | None, File()] = None
    ) -> Response:
        try:
            actor = page_actor(rt, request)
        except SignedOutError as error:
            return self.signed_out(request, error)
        try:
            check_csrf(request, None)
            upload = imports.read_upload(file, max_bytes=rt.settings.max_body_bytes)
            job = self.jobs.start(
                _owner(actor),
                kind="import",
                title=f"Importing {upload.filename}",
                work=lambda report: imports.run_import(rt, actor, upload, report),
                note=imports.FIRST_STEP,
            )
        except PharmaTraceError as error:
            return self.render.error(error)
        return self.job_fragment(job, status=202)

    def job(self, request: Request, rt: RuntimeDep, job_id: str) -> Response:
        try:
            actor = page_actor(rt, request)
        except SignedOutError as error:
            return self.signed_out(request, error)
        job = self.jobs.get(job_id, _owner(actor))
        if job is None:
            return self.render.error(
                PharmaTraceError(
                    "UNKNOWN_JOB",
                    "This job is unknown (the service may have restarted).",
                    status=404,
                )
            )
        return self.job_fragment(job)

    def recall(
        self, request: Request, rt: RuntimeDep, gtin: str, lot: str, reason: FormText = ""
    ) -> Response:
        try:
            actor = page_actor(rt, request)
        except SignedOutError as error:
            return self.signed_out(request, error)
        try:
            check_csrf(request, None)
            own_batch(rt, actor.msp_id, gtin, lot)  # 404 / 403 before anything else
        except PharmaTraceError as error:
            return self.render.error(error)
        try:
            if not reason.strip():
                raise FormError(
                    ["Reason for the recall is required."],
                    message=f"Batch {lot} was not recalled: give the reason for the recall.",
                )
            committed = batches.change_batch_status(
                rt, actor=actor, gtin=gtin, lot=lot, status="recalled", reason=reason.strip()
            )
        except FormError as error:
            return self._batch(rt, actor, gtin, lot, error=error, problems=error.problems)
        except PharmaTraceError as error:
            return self._batch(rt, actor, gtin, lot, error=error)
        notice = (
            f"Batch {lot} is recalled. Ledger transaction {committed.tx_id[:12]}…, "
            f"block {committed.block}."
        )
        return self._batch(rt, actor, gtin, lot, notice=notice)

    def _batch(
        self,
        rt: Runtime,
        actor: Actor,
        gtin: str,
        lot: str,
        *,
        notice: str = "",
        error: PharmaTraceError | None = None,
        problems: list[str] | None = None,
    ) -> Response:
        """The batch's card, re-read after the change, with the outcome at its top."""
        return self.render.html(
            "_batch.html",
            status=error.status if error else 200,
            batch=own_batch(rt, actor.msp_id, gtin, lot),
            notice=notice,
            error=error,
            problems=problems or [],
        )

    # -- labels ----------------------------------------------------------------------------------
    def label_sheet(
        self,
        request: Request,
        rt: RuntimeDep,
        gtin: str,
        lot: str,
        paper: Literal["A4", "Letter"] = "A4",
    ) -> Response:
        try:
            actor = page_actor(rt, request)
            return label_sheet_response(rt, actor, gtin, lot, paper)
        except SignedOutError as error:
            return self.signed_out(request, error)
        except PharmaTraceError as error:
            return self.render.html("error_page.html", status=error.status, error=error, csrf="")

    def pack_label(
        self, request: Request, rt: RuntimeDep, gtin: str, lot: str, serial: str
    ) -> Response:
        try:
            actor = page_actor(rt, request)
            return pack_label_response(rt, actor, gtin, lot, serial)
        except SignedOutError as error:
            return self.signed_out(request, error)
        except PharmaTraceError as error:
            return self.render.html("error_page.html", status=error.status, error=error, csrf="")

    # -- routing ---------------------------------------------------------------------------------
    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        add = router.add_api_route
        add(PAGE, self.page, methods=["GET"])
        add(f"{PAGE}/sign-in", self.sign_in, methods=["POST"])
        add(f"{PAGE}/sign-out", self.sign_out, methods=["POST"])
        add(f"{PAGE}/batches", self.batch_list, methods=["GET"])
        add(f"{PAGE}/batches", self.register, methods=["POST"])
        add(f"{PAGE}/imports", self.import_file, methods=["POST"])
        add(f"{PAGE}/jobs/{{job_id}}", self.job, methods=["GET"])
        add(f"{PAGE}/batches/{{gtin}}/{{lot:path}}/recall", self.recall, methods=["POST"])
        add(f"{PAGE}/batches/{{gtin}}/{{lot:path}}/labels.pdf", self.label_sheet, methods=["GET"])
        add(
            f"{PAGE}/batches/{{gtin}}/{{lot:path}}/labels/{{serial}}.png",
            self.pack_label,
            methods=["GET"],
        )
        return router


def _register(
    rt: Runtime, actor: Actor, batch: BatchCreate, report: ProgressReport
) -> RegisteredBatch:
    """The registration job: serials are generated, committed as one token, then stored.

    The domain function has no progress callback (it is one ledger transaction), so the bar is
    indeterminate until it returns.
    """
    report(0, None, REGISTRATION_STEPS)
    return batches.register_batch(
        rt,
        actor=actor,
        gtin=batch.gtin,
        lot=batch.lot,
        expiry=batch.expiry,
        quantity=batch.quantity,
        manufactured=batch.manufactured,
    )
