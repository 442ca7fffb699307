"""The cadre's own record: registration, basics and self-evaluation, posts and transfers (调任), and the
sensitive declarations."""

from __future__ import annotations

import datetime as dt

from services.dossier.domain.state import (
    Context,
    Dossier,
    not_after_today,
    require_cadre,
    require_self,
    require_unit,
)
from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared import commands as c
from shared.events import (
    BasicsRecorded,
    CadreRegistered,
    DeclarationKind,
    DeclarationRecorded,
    DomainEvent,
    PostAssigned,
    PostEnded,
    SelfEvaluationWritten,
)


def register_cadre(state: Dossier, cmd: c.RegisterCadre, ctx: Context) -> list[DomainEvent]:
    require_unit(ctx, cmd.unit_id)
    if state.exists:
        raise AlreadyDone(f"cadre {state.cadre_id} is already registered", rule="cadre_already_registered")
    if cmd.birth_date is not None:
        not_after_today(cmd.birth_date, ctx, "birth_date")
    return [CadreRegistered(cadre_id=state.cadre_id, name=cmd.name, unit_id=cmd.unit_id, birth_date=cmd.birth_date)]


def record_basics(state: Dossier, cmd: c.RecordBasics, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    require_self(state, ctx, "fill in their basic record")
    return [BasicsRecorded(**cmd.model_dump())]


def write_self_evaluation(state: Dossier, cmd: c.WriteSelfEvaluation, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    require_self(state, ctx, "write their self-evaluation")
    return [SelfEvaluationWritten(text=cmd.text)]


def assign_post(state: Dossier, cmd: c.AssignPost, post_id: str, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    require_unit(ctx, cmd.unit_id)
    not_after_today(cmd.start_date, ctx, "start_date")
    return [PostAssigned(post_id=post_id, **cmd.model_dump())]


def end_post(state: Dossier, post_id: str, cmd: c.EndPost, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    post = state.posts.get(post_id)
    if post is None:
        raise NotFound(f"cadre {state.cadre_id} has no post {post_id}", field="post_id", rule="post_exists")
    if post.end_date is not None:
        raise AlreadyDone(f"post {post_id} already ended on {post.end_date}", field="post_id", rule="post_open")
    if cmd.end_date < post.start_date:
        raise DomainError("a post cannot end before it started", field="end_date", rule="end_after_start")
    not_after_today(cmd.end_date, ctx, "end_date")
    return [PostEnded(post_id=post_id, end_date=cmd.end_date, reason=cmd.reason)]


def transfer(state: Dossier, cmd: c.Transfer, post_id: str, ctx: Context) -> list[DomainEvent]:
    """调任: every open post ends the day before the new one starts."""
    require_cadre(state)
    require_unit(ctx, cmd.unit_id)
    not_after_today(cmd.start_date, ctx, "start_date")
    last_day = cmd.start_date - dt.timedelta(days=1)
    ended = []
    for post in state.posts.values():
        if post.end_date is None:
            if post.start_date > last_day:
                raise DomainError(f"post {post.post_id} started {post.start_date}: a transfer must start after it",
                                  field="start_date", rule="transfer_after_current_post")
            ended.append(PostEnded(post_id=post.post_id, end_date=last_day, reason=cmd.reason))
    new = PostAssigned(post_id=post_id, **cmd.model_dump(exclude={"reason"}))
    return [*ended, new]


def record_declaration(state: Dossier, kind: DeclarationKind, flagged: bool, sealed: str, key_id: str) -> list[DomainEvent]:
    require_cadre(state)
    return [DeclarationRecorded(declaration=kind, flagged=flagged, sealed_details=sealed, key_id=key_id)]
