"""The Connectivity page: server-rendered HTML over the services the API and CLI use.

Mounted by `create_app` at `/admin/ui/` as its own small app (HTML errors, no OpenAPI
entry). Each handler reads the form, calls the same `connectors/` service (or the shared
`sync_launch`) as the JSON endpoint, and renders the answer; it decides nothing itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, SecretStr, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from goldsphere_pipelines.admin_api import sync_launch
from goldsphere_pipelines.admin_api.context import ApiContext
from goldsphere_pipelines.admin_api.dagster_launcher import FINISHED_STATUSES, UNKNOWN_STATUS
from goldsphere_pipelines.admin_api.errors import ForbiddenError, status_for
from goldsphere_pipelines.admin_api.models import DoctorApplyRequest, RuleCreateRequest
from goldsphere_pipelines.admin_api.sign_in import (
    NotAnAdminError,
    SignInRefusedError,
    SignInThrottledError,
    issue_token,
    sign_in,
)
from goldsphere_pipelines.admin_api.ui_session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SignInRequiredError,
    UiSession,
    check_form_post,
    clear_session_cookie,
    context_of,
    current_session,
    new_sign_in_token,
    set_session_cookie,
    set_sign_in_cookie,
)
from goldsphere_pipelines.admin_api.ui_views import (
    ERRORS_ON_PANEL,
    OTHER_PLATFORMS,
    FormErrors,
    counts_line,
    error_count,
    run_errors,
    step_counts,
)
from goldsphere_pipelines.connectors import configuration
from goldsphere_pipelines.connectors import doctor as doctor_service
from goldsphere_pipelines.connectors import rules as rule_service
from goldsphere_pipelines.connectors import runs as run_service
from goldsphere_pipelines.connectors.models import (
    ConnectorCreate,
    ConnectorSummary,
    ConnectorUpdate,
)
from goldsphere_pipelines.connectors.runs import SyncRun
from goldsphere_pipelines.connectors.store_client import ConnectionCheck, check_connection
from goldsphere_pipelines.connectors.validation import ConnectorValidationError
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.mapping.rules import InvalidRuleError
from goldsphere_pipelines.woocommerce.credentials import AuthMode

HERE = Path(__file__).resolve().parent
MAX_CA_BUNDLE_UPLOAD = 1024 * 1024
RUNS_SHOWN = 5
DAGSTER_RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SIGN_IN_NOTICES = {
    "required": "Sign in with your goldsphere admin account.",
    "ended": "Your session has ended or is not valid. Sign in again.",
    "signed-out": "You are signed out.",
}
"""What the sign-in page may say on arrival, by code: a link cannot make it say more."""

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(
    auth_modes=[mode.value for mode in AuthMode],
    other_platforms=OTHER_PLATFORMS,
    step_counts=step_counts,
    run_errors=run_errors,
    error_count=error_count,
    counts_line=counts_line,
    errors_on_panel=ERRORS_ON_PANEL,
    csrf_field=CSRF_FIELD,
)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_ui(context: ApiContext) -> FastAPI:
    """The page as an app of its own, to mount at `/admin/ui`."""
    ui = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    ui.state.context = context
    ui.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    ui.add_exception_handler(SignInRequiredError, _to_sign_in)
    ui.add_exception_handler(GoldsphereError, _error_page)
    ui.add_exception_handler(StarletteHTTPException, _http_error_page)
    ui.add_exception_handler(sa.exc.OperationalError, _database_page)
    ui.add_exception_handler(RequestValidationError, _invalid_request_page)

    @ui.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    _routes(ui)
    return ui


class ConnectorForm(BaseModel):
    """The fields of the add and edit forms, as posted (checkboxes are absent when off)."""

    csrf_token: str = Field("", max_length=200)
    base_url: str = Field("", max_length=2000)
    name: str = Field("", max_length=200)
    consumer_key: str = Field("", max_length=500, repr=False)
    consumer_secret: str = Field("", max_length=500, repr=False)
    auth_mode: str = Field("", max_length=20)
    remove_ca_bundle: str | None = None
    sync_products: str | None = None
    sync_orders: str | None = None

    @property
    def products(self) -> bool:
        return _checked(self.sync_products)

    @property
    def orders(self) -> bool:
        return _checked(self.sync_orders)


def _page(
    request: Request,
    template: str,
    session: UiSession | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {"ui": _prefix(request), "session": session, **values},
        status_code=status_code,
    )


def _prefix(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{_prefix(request)}{path}", status_code=303)


def _posted(request: Request, given: str) -> UiSession:
    """The session of a form post that passed the CSRF check."""
    session = current_session(request)
    check_form_post(request, session.csrf_token, given)
    return session


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _checked(value: str | None) -> bool:
    return value is not None and value != ""


def _ca_bundle(upload: UploadFile | None) -> str | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_CA_BUNDLE_UPLOAD + 1)
    if not data:
        return None
    # The service refuses what is too large or no PEM; this only decodes.
    return data.decode("utf-8", errors="replace")


def _runs(context: ApiContext, connector_id: str, limit: int) -> list[SyncRun]:
    return run_service.list_runs(context.engine, connector_id, limit=limit)


def _detail_values(
    context: ApiContext,
    summary: ConnectorSummary,
    run_id: str | None = None,
    applied_rule_id: str | None = None,
) -> dict[str, Any]:
    runs = _runs(context, str(summary.id), RUNS_SHOWN)
    rules = rule_service.list_connector_rules(context.engine, summary.name)
    panel = _panel_values(context, summary, run_id) if run_id else {}
    return {
        **panel,
        "connector": summary,
        "runs": runs,
        "rules": rules,
        # Only a rule the connector has is named: a link cannot make the page say more.
        "applied_rule": next((r for r in rules if str(r.id) == applied_rule_id), None),
        "doctor": doctor_service.diagnose(context.engine, summary.name),
        "run_url": context.launcher.run_url,
        "watch_run": run_id,
    }


def _panel_values(context: ApiContext, summary: ConnectorSummary, run_id: str) -> dict[str, Any]:
    """The watched Dagster run and, once the run has written it, its sync record."""
    try:
        dagster_status = context.launcher.run_status(run_id)
        dagster_problem = None
    except GoldsphereError as exc:
        dagster_status, dagster_problem = UNKNOWN_STATUS, exc.message
    sync_run = next(
        (r for r in _runs(context, str(summary.id), 20) if r.dagster_run_id == run_id), None
    )
    finished = dagster_problem is not None or (
        dagster_status in FINISHED_STATUSES and (sync_run is None or sync_run.status != "running")
    )
    return {
        "connector": summary,
        "watch_run": run_id,
        "dagster_status": dagster_status,
        "dagster_problem": dagster_problem,
        "sync_run": sync_run,
        "finished": finished,
        "run_url": context.launcher.run_url,
    }


def _routes(ui: FastAPI) -> None:
    @ui.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        return _redirect(request, "/connectors")

    @ui.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, notice: str | None = None) -> Response:
        token = new_sign_in_token()
        response = _page(
            request,
            "sign_in.html",
            None,
            sign_in_token=token,
            notice=SIGN_IN_NOTICES.get(notice or ""),
        )
        set_sign_in_cookie(request, response, token)
        return response

    @ui.post("/sign-in", response_class=HTMLResponse)
    def sign_in_post(
        request: Request,
        email: Annotated[str, Form(max_length=320)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        context = context_of(request)
        check_form_post(request, request.cookies.get(SIGN_IN_COOKIE, ""), csrf_token)
        try:
            user = sign_in(
                context.engine, context.sign_in_throttle, email, password, _client(request)
            )
        except (SignInRefusedError, SignInThrottledError, NotAnAdminError) as exc:
            status_code = 429 if isinstance(exc, SignInThrottledError) else 401
            if isinstance(exc, NotAnAdminError):
                status_code = 403
            return _page(
                request,
                "sign_in.html",
                None,
                status_code=status_code,
                sign_in_token=csrf_token,
                error=exc.message,
                email=email,
            )
        response = _redirect(request, "/connectors")
        set_session_cookie(request, response, issue_token(user, context.settings.jwt_secret))
        return response

    @ui.post("/sign-out")
    def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        _posted(request, csrf_token)
        response = _redirect(request, "/sign-in?notice=signed-out")
        clear_session_cookie(request, response)
        return response

    @ui.get("/connectors", response_class=HTMLResponse)
    def connector_list(request: Request) -> Response:
        session = current_session(request)
        context = context_of(request)
        connectors = configuration.list_connectors(context.engine)
        last_runs = {
            summary.id: next(iter(_runs(context, str(summary.id), 1)), None)
            for summary in connectors
        }
        return _page(
            request,
            "connectors.html",
            session,
            connectors=connectors,
            last_runs=last_runs,
            run_url=context.launcher.run_url,
        )

    @ui.get("/connectors/new", response_class=HTMLResponse)
    def new_connector(request: Request) -> Response:
        session = current_session(request)
        return _page(request, "connector_new.html", session, errors=FormErrors(), values={})

    @ui.post("/connectors", response_class=HTMLResponse)
    def create_connector(
        request: Request,
        form: Annotated[ConnectorForm, Form()],
        ca_bundle: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        session = _posted(request, form.csrf_token)
        context = context_of(request)
        values = {
            "base_url": form.base_url,
            "name": form.name,
            "auth_mode": form.auth_mode,
            "sync_products": form.products,
            "sync_orders": form.orders,
        }
        try:
            body = ConnectorCreate(
                base_url=form.base_url,
                name=form.name.strip() or None,
                consumer_key=SecretStr(form.consumer_key),
                consumer_secret=SecretStr(form.consumer_secret),
                auth_mode=AuthMode(form.auth_mode) if form.auth_mode else None,
                ca_bundle_pem=_ca_bundle(ca_bundle),
                sync_products=form.products,
                sync_orders=form.orders,
            )
            summary = configuration.add_connector(context.engine, context.cipher, body)
        except ValidationError as exc:
            return _page(
                request,
                "connector_new.html",
                session,
                status_code=422,
                errors=FormErrors.of_validation(exc),
                values=values,
            )
        except ValueError:
            return _page(
                request,
                "connector_new.html",
                session,
                status_code=422,
                errors=FormErrors.of_field("auth_mode", "Choose one of the auth modes listed."),
                values=values,
            )
        except ConnectorValidationError as exc:
            return _page(
                request,
                "connector_new.html",
                session,
                status_code=422,
                errors=FormErrors.of_field(exc.field, exc.message),
                values=values,
            )
        except GoldsphereError as exc:
            field = "name" if exc.code == "connector_name_taken" else None
            return _page(
                request,
                "connector_new.html",
                session,
                status_code=status_for(exc),
                errors=FormErrors.of_field(field, exc.message),
                values=values,
            )
        return _redirect(request, f"/connectors/{summary.id}?saved=1")

    @ui.get("/connectors/{connector_id}", response_class=HTMLResponse)
    def connector_detail(
        request: Request,
        connector_id: str,
        run: str | None = None,
        saved: str | None = None,
        applied: str | None = None,
    ) -> Response:
        session = current_session(request)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        watched = run if run is not None and DAGSTER_RUN_ID.match(run) else None
        return _page(
            request,
            "connector_detail.html",
            session,
            errors=FormErrors(),
            saved=saved is not None,
            **_detail_values(context, summary, watched, applied),
        )

    @ui.post("/connectors/{connector_id}", response_class=HTMLResponse)
    def update_connector(
        request: Request,
        connector_id: str,
        form: Annotated[ConnectorForm, Form()],
        ca_bundle: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        session = _posted(request, form.csrf_token)
        context = context_of(request)
        changes: dict[str, Any] = {
            "base_url": form.base_url or None,
            "auth_mode": AuthMode(form.auth_mode) if form.auth_mode in set(AuthMode) else None,
            "sync_products": form.products,
            "sync_orders": form.orders,
        }
        # Empty key and secret fields keep the stored pair ("leave empty to keep").
        if form.consumer_key or form.consumer_secret:
            changes["consumer_key"] = SecretStr(form.consumer_key) if form.consumer_key else None
            changes["consumer_secret"] = (
                SecretStr(form.consumer_secret) if form.consumer_secret else None
            )
        uploaded = _ca_bundle(ca_bundle)
        if uploaded is not None:
            changes["ca_bundle_pem"] = uploaded
        elif _checked(form.remove_ca_bundle):
            changes["ca_bundle_pem"] = None
        try:
            summary = configuration.update_connector(
                context.engine, context.cipher, connector_id, ConnectorUpdate(**changes)
            )
        except (ValidationError, ConnectorValidationError) as exc:
            errors = (
                FormErrors.of_validation(exc)
                if isinstance(exc, ValidationError)
                else FormErrors.of_field(exc.field or "consumer_key", exc.message)
            )
            current = configuration.show_connector(context.engine, connector_id)
            return _page(
                request,
                "connector_detail.html",
                session,
                status_code=422,
                errors=errors,
                saved=False,
                **_detail_values(context, current),
            )
        return _redirect(request, f"/connectors/{summary.id}?saved=1")

    @ui.post("/connectors/{connector_id}/test", response_class=HTMLResponse)
    def test_connection(
        request: Request, connector_id: str, csrf_token: Annotated[str, Form()] = ""
    ) -> Response:
        session = _posted(request, csrf_token)
        context = context_of(request)
        found = configuration.get_connector(context.engine, connector_id)
        try:
            check = check_connection(context.engine, context.cipher, found)
        except GoldsphereError as exc:
            check = ConnectionCheck(success=False, message=exc.message)
        summary = configuration.show_connector(context.engine, connector_id)
        return _page(
            request,
            "connector_detail.html",
            session,
            errors=FormErrors(),
            saved=False,
            check=check,
            **_detail_values(context, summary),
        )

    @ui.post("/connectors/{connector_id}/sync", response_class=HTMLResponse)
    def run_sync_now(
        request: Request, connector_id: str, csrf_token: Annotated[str, Form()] = ""
    ) -> Response:
        session = _posted(request, csrf_token)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        try:
            launched = sync_launch.launch_sync(
                context,
                str(summary.id),
                sync_products=summary.sync_products,
                sync_orders=summary.sync_orders,
            )
        except GoldsphereError as exc:
            return _page(
                request,
                "connector_detail.html",
                session,
                status_code=status_for(exc),
                errors=FormErrors(),
                saved=False,
                sync_error=exc.message,
                **_detail_values(context, summary),
            )
        return _redirect(request, f"/connectors/{summary.id}?run={quote(launched.run_id)}")

    @ui.get("/connectors/{connector_id}/dagster-runs/{run_id}", response_class=HTMLResponse)
    def run_panel(
        request: Request,
        connector_id: str,
        run_id: Annotated[str, PathParam(pattern=DAGSTER_RUN_ID.pattern)],
    ) -> Response:
        """The watched run, polled by the page's script until it has ended."""
        session = current_session(request)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        return _page(request, "run_panel.html", session, **_panel_values(context, summary, run_id))

    @ui.get("/connectors/{connector_id}/runs/{sync_run_id}", response_class=HTMLResponse)
    def run_errors_page(request: Request, connector_id: str, sync_run_id: str) -> Response:
        session = current_session(request)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        found = next(
            (r for r in _runs(context, str(summary.id), 100) if str(r.id) == sync_run_id), None
        )
        if found is None:
            raise StarletteHTTPException(404)
        return _page(
            request,
            "run.html",
            session,
            connector=summary,
            run=found,
            run_url=context.launcher.run_url,
        )

    @ui.post("/connectors/{connector_id}/rules", response_class=HTMLResponse)
    def add_rule(
        request: Request,
        connector_id: str,
        csrf_token: Annotated[str, Form()] = "",
        entity_type: Annotated[str, Form(max_length=20)] = "",
        source_field: Annotated[str, Form(max_length=2000)] = "",
        target_field: Annotated[str, Form(max_length=2000)] = "",
        transform: Annotated[str, Form(max_length=20000)] = "",
    ) -> Response:
        session = _posted(request, csrf_token)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        rule_values = {
            "entity_type": entity_type,
            "source_field": source_field,
            "target_field": target_field,
            "transform": transform,
        }
        try:
            parsed = json.loads(transform) if transform.strip() else {}
            request_body = RuleCreateRequest.model_validate(
                {
                    "entityType": entity_type,
                    "sourceField": source_field,
                    "targetField": target_field,
                    "transform": parsed,
                }
            )
            rule_service.add_connector_rule(context.engine, summary.name, request_body.spec())
        except json.JSONDecodeError as exc:
            errors = FormErrors.of_field(
                "transform",
                f"The transform is not valid JSON (line {exc.lineno}, column {exc.colno}); "
                'write an object such as {"map": {"Gold": "Gold"}}, or leave it empty.',
            )
        except ValidationError as exc:
            errors = FormErrors.of_validation(exc)
        except InvalidRuleError as exc:
            errors = FormErrors.of_field(None, exc.message)
        except GoldsphereError as exc:
            errors = FormErrors.of_field(None, exc.message)
        else:
            return _redirect(request, f"/connectors/{summary.id}#rules")
        return _page(
            request,
            "connector_detail.html",
            session,
            status_code=422,
            errors=FormErrors(),
            rule_errors=errors,
            rule_values=rule_values,
            saved=False,
            **_detail_values(context, summary),
        )

    @ui.post("/connectors/{connector_id}/doctor/apply", response_class=HTMLResponse)
    def apply_doctor_fix(
        request: Request,
        connector_id: str,
        csrf_token: Annotated[str, Form()] = "",
        group: Annotated[str, Form(max_length=2000)] = "",
        value: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        """Save a doctor group's proposal as the API's `POST .../doctor/apply` does, then
        launch `remap_connector` through the same `sync_launch`."""
        session = _posted(request, csrf_token)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        status_code = 422
        try:
            # An empty field is no value, as an absent --value.
            body = DoctorApplyRequest(group=group, value=value if value.strip() else None)
            applied = doctor_service.apply_fix(
                context.engine, summary.name, body.group, value=body.value
            )
        except ValidationError as exc:
            errors = FormErrors.of_validation(exc)
        except (doctor_service.NothingToApplyError, InvalidRuleError) as exc:
            # Both are answered by the value: the one asked for, or a better one.
            errors, status_code = FormErrors(fields={"value": exc.message}), status_for(exc)
        except GoldsphereError as exc:
            errors, status_code = FormErrors.of_field(None, exc.message), status_for(exc)
        else:
            remap = sync_launch.launch_remap(context, summary.name)
            if remap.launched is not None:
                return _redirect(
                    request,
                    f"/connectors/{summary.id}?applied={applied.rule.id}"
                    f"&run={quote(remap.launched.run_id)}#doctor",
                )
            return _page(
                request,
                "connector_detail.html",
                session,
                errors=FormErrors(),
                saved=False,
                remap_error=remap.error,
                **_detail_values(context, summary, applied_rule_id=str(applied.rule.id)),
            )
        return _page(
            request,
            "connector_detail.html",
            session,
            status_code=status_code,
            errors=FormErrors(),
            saved=False,
            doctor_errors=errors,
            doctor_group=group,
            doctor_value=value,
            **_detail_values(context, summary),
        )

    @ui.post("/connectors/{connector_id}/rules/{rule_id}/remove")
    def remove_rule(
        request: Request,
        connector_id: str,
        rule_id: str,
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        _posted(request, csrf_token)
        context = context_of(request)
        summary = configuration.show_connector(context.engine, connector_id)
        rule_service.remove_connector_rule(context.engine, summary.name, rule_id)
        return _redirect(request, f"/connectors/{summary.id}#rules")


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequiredError)
    notice = "ended" if request.cookies.get(SESSION_COOKIE) else "required"
    response = RedirectResponse(f"{_prefix(request)}/sign-in?notice={notice}", status_code=303)
    clear_session_cookie(request, response)
    return response


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GoldsphereError)
    status_code = 403 if isinstance(exc, ForbiddenError) else status_for(exc)
    return _page(request, "error.html", None, status_code=status_code, message=exc.message)


async def _http_error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = (
        "There is no such page of the Connectivity section."
        if exc.status_code == 404
        else str(exc.detail)[:300]
    )
    return _page(request, "error.html", None, status_code=exc.status_code, message=message)


async def _invalid_request_page(request: Request, exc: Exception) -> Response:
    # Only the browser's own forms post here; anything else is refused without echoing it.
    return _page(
        request,
        "error.html",
        None,
        status_code=422,
        message="The form could not be read (a field is too long or malformed). "
        "Go back, correct it and send it again.",
    )


async def _database_page(request: Request, exc: Exception) -> Response:
    return _page(
        request,
        "error.html",
        None,
        status_code=503,
        message="The goldsphere database is not reachable; try again in a moment.",
    )
