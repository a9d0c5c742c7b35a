"""What every request handler needs, built once per app and handed out by dependencies."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from goldsphere_pipelines.admin_api.auth import authenticate_admin
from goldsphere_pipelines.admin_api.dagster_launcher import DagsterLauncher
from goldsphere_pipelines.admin_api.settings import AdminApiSettings
from goldsphere_pipelines.admin_api.sign_in import SignInThrottle
from goldsphere_pipelines.storage.credentials import CredentialCipher
from goldsphere_pipelines.storage.users import GoldsphereUser


@dataclass
class ApiContext:
    engine: Engine
    cipher: CredentialCipher
    launcher: DagsterLauncher
    settings: AdminApiSettings
    launch_lock: threading.Lock = field(default_factory=threading.Lock)
    """Serializes "is a sync running? then launch" within this process."""
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle)
    """Failed sign-ins of the Connectivity page, for its rate limit."""


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


# auto_error=False: a missing token is answered by `authenticate_admin` in the API's own
# error shape; the scheme is still declared in the OpenAPI document.
_bearer = HTTPBearer(auto_error=False, description="A goldsphere admin's token (HS256 JWT).")


def current_admin(
    context: Annotated[ApiContext, Depends(api_context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> GoldsphereUser:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return authenticate_admin(context.engine, context.settings.jwt_secret, header)


Context = Annotated[ApiContext, Depends(api_context)]
