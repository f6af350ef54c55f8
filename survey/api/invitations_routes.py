"""A wave's invitations (with each case's disposition) and the resend of a web link."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from survey.api.paging import page
from survey.api.registry import QUALITY, SUPERVISE, operation
from survey.api.schemas import InvitationOut, ResendIn, ResendOut, WaveInvitationsQuery, page_of
from survey.models import Client, Invitation
from survey.security import branch_scope
from survey.services import invitations, waves
from survey.services.fieldwork.mail import Mailer, resend


def invitation_rows(call, wave_id: int):
    """The wave's sample cases with their client, limited to the caller's branch."""
    wave = waves.get_wave(call.db, wave_id)
    stmt = (select(Invitation, Client.client_no, Client.branch_code).join(Client, Client.id == Invitation.client_id)
            .where(Invitation.wave_id == wave.id, Invitation.kind == "sample"))
    if (scope := branch_scope(call.actor)) is not None:
        stmt = stmt.where(Client.branch_code == scope)
    if getattr(call.query, "status", None):
        stmt = stmt.where(Invitation.status == call.query.status)
    rows, cursor = page(call.db, stmt, Invitation.id, call.query, scalars=False)
    items = [InvitationOut(id=inv.id, wave_id=inv.wave_id, client_no=no, branch=branch, tier=inv.tier_code,
                           mode=inv.mode, status=inv.status, disposition=inv.disposition, attempts=inv.attempts or 0,
                           last_message_at=inv.last_message_at) for inv, no, branch in rows]
    return page_of(InvitationOut)(items=items, next_cursor=cursor)


@operation("GET", "/waves/<int:wave_id>/invitations", summary="List a wave's invitations", tag="invitations",
           roles=SUPERVISE, query=WaveInvitationsQuery, response=page_of(InvitationOut))
def invitations_list(call, wave_id: int):
    return invitation_rows(call, wave_id)


@operation("GET", "/waves/<int:wave_id>/dispositions/cases", summary="Each case's AAPOR disposition",
           tag="dispositions", roles=QUALITY, query=WaveInvitationsQuery, response=page_of(InvitationOut))
def dispositions_cases(call, wave_id: int):
    return invitation_rows(call, wave_id)


@operation("POST", "/invitations/<int:inv_id>/resend", summary="E-mail a web link again", tag="invitations",
           roles=SUPERVISE, body=ResendIn, response=ResendOut)
def invitation_resend(call, inv_id: int):
    inv = invitations.get_invitation(call.db, inv_id)
    how = resend(call.db, inv, Mailer.from_config(current_app.config), actor=call.actor, reissue=call.body.reissue)
    return ResendOut(invitation_id=inv.id, sent=how != "held", how=how)
