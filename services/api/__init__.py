"""The HTTP API: FastAPI over the domain services, mounted at /api/v1.

`create_app(runtime)` builds the application for a wired `Runtime` (tests, the CLI's `serve`);
`app_from_env()` is the uvicorn factory that wires one from the environment. Modules: `deps`
(runtime, bearer actor, role guards), `errors` (every error as JSON `{code, message}`), `limits`
(request body size), `idempotency` (Idempotency-Key replay), `fields` and `models` (request and
response schemas), `shipping` (the keyed ship retry), `routes/*` (one module per area).
"""

from services.api.main import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
