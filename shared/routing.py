"""Turning ``shared.commands.OPERATIONS`` into FastAPI routes, in the dossier and in the gateway.

An operation's endpoint is written once as ``async def endpoint(*, command, ..., **path_params)``;
``typed_endpoint`` gives it the signature FastAPI reads: the operation's body model and its path
parameters with their types, so the OpenAPI of both services documents every operation exactly.
"""

import inspect
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path

from shared.commands import UNIT_ID
from shared.events import QUARTER_PATTERN, DeclarationKind

ID = Annotated[uuid.UUID, Path(description="an id the system gave out")]
PATH_PARAMETERS: dict[str, Any] = {
    "cadre_id": ID,
    "entry_id": ID,
    "appeal_id": ID,
    "achievement_id": ID,
    "post_id": ID,
    "year": Annotated[int, Path(ge=1949, le=2199, description="the assessment year")],
    "period": Annotated[str, Path(pattern=QUARTER_PATTERN, description="a quarter, e.g. 2026-Q3")],
    "unit_id": Annotated[str, Path(pattern=UNIT_ID, max_length=100)],
    "declaration": Annotated[DeclarationKind, Path()],
    "input_id": ID,  # an assessment input (issue 16)
    "result_id": ID,  # a result from another source (issue 20)
    "notice_id": ID,  # an assessment notice (issue 16 step 6)
    "scheme_id": Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)],
    "subject_id": Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]+$", max_length=100)],
}


def path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def typed_endpoint(func: Callable[..., Any], *, body: type, path: str, omit: tuple[str, ...] = ()) -> Callable[..., Any]:
    """``omit`` names optional parameters this route does not offer (they keep their defaults)."""
    sig = inspect.signature(func)
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=body if p.name == "command" else p.annotation)
        for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD and p.name not in omit
    ]
    given = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=PATH_PARAMETERS[name])
             for name in path_parameters(path)]
    params = given + params
    func.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return func
