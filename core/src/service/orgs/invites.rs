//! Invitations: invite by email, accept, decline, revoke, list.
//!
//! The raw `txi_` token travels only in the email; the record is keyed by its SHA-256.
//! Seats (`max_members`) and the one-open-invitation-per-address rule are checked before
//! writing and again after: the invitation is written first, then the seats and open
//! invitations are counted anew, and an invitation that pushed past a limit is withdrawn.
//! Of two racing invites at least one sees the other, so a limit is never exceeded (at
//! worst both are refused).

use serde_json::json;

use super::load::{load_membership, load_org, not_found, org_invitations};
use super::members::load_for;
use super::{actor, InvitationView, InviteMemberRequest};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::org::permission::MEMBERS_INVITE;
use crate::org::{
    accept as accept_rule, decline as decline_rule, emails_match, Invitation, InvitationStatus,
    InviteRequest, Membership, MembershipStatus, OrgMembers, Organization,
};
use crate::secret::{self, SecretKind};
use crate::service::audit::{append, AuditEntry};
use crate::service::auth::Principal;
use crate::service::users::{find_by_email, load, new_id, store, Versioned, CAS_ATTEMPTS};
use crate::service::{Engine, RequestContext};
use crate::store::{keys, Channel, Expect, Message};

/// How long an invitation record outlives its `expires_at`, so that a late click is told
/// `invitation_expired` (and a reused one `invitation_used`) rather than `invitation_invalid`.
pub const INVITATION_GRACE_SECS: u64 = 7 * 24 * 3600;

fn record_ttl(inv: &Invitation, now: i64) -> Option<u64> {
    let left = u64::try_from(inv.expires_at.saturating_sub(now)).unwrap_or(0);
    Some(left.saturating_add(INVITATION_GRACE_SECS).max(1))
}

fn invalid() -> crate::Error {
    err(
        ErrorCode::InvitationInvalid,
        "the invitation is unknown or no longer open",
    )
}

fn link(accept_url: Option<&str>, token: &str) -> Option<String> {
    let base = accept_url.map(str::trim).filter(|u| !u.is_empty())?;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}token={token}"))
}

async fn withdraw(port: &StorePort, inv: &Invitation) -> Result<()> {
    port.delete(
        keys::ORG_INVITATIONS_BY_ORG,
        &keys::org_invitation(&inv.org_id, &inv.token_hash),
    )
    .await?;
    port.delete(keys::ORG_INVITATIONS, &keys::invitation(&inv.token_hash))
        .await?;
    Ok(())
}

/// The post-write recount (module doc). `Err` when `ours` must be withdrawn.
async fn recount(port: &StorePort, org: &Organization, ours: &Invitation, now: i64) -> Result<()> {
    let open: Vec<Invitation> = org_invitations(port, &org.id)
        .await?
        .into_iter()
        .map(|i| i.value)
        .filter(|i| i.status == InvitationStatus::Pending && now < i.expires_at)
        .collect();
    if open
        .iter()
        .any(|i| i.id != ours.id && emails_match(&i.email, &ours.email))
    {
        return Err(err(
            ErrorCode::AlreadyInvited,
            "an open invitation for this address exists",
        ));
    }
    if org.max_members != 0 {
        let members = super::load::org_members(port, &org.id)
            .await?
            .into_iter()
            .filter(|m| m.value.status != MembershipStatus::Suspended)
            .count();
        let seats = u64::try_from(members.saturating_add(open.len())).unwrap_or(u64::MAX);
        if seats > u64::from(org.max_members) {
            return Err(err(
                ErrorCode::OrgMemberLimit,
                format!(
                    "organization is at its limit of {} members",
                    org.max_members
                ),
            )
            .with_details(json!({ "max_members": org.max_members })));
        }
    }
    Ok(())
}

pub(super) async fn invite(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &InviteMemberRequest,
    ctx: &RequestContext,
) -> Result<InvitationView> {
    let p = actor(port, e, token, ctx).await?;
    let loaded = load_for(port, e, &p.user.id, &req.org_id).await?;
    let invitations: Vec<Invitation> = org_invitations(port, &req.org_id)
        .await?
        .into_iter()
        .map(|i| i.value)
        .collect();
    let authz = loaded.ctx.authz(e)?;
    let ops = OrgMembers::new(&authz, &req.org_id, &loaded.ctx.memberships, &invitations)?;
    let issued = ops.invite(
        &p.user.id,
        &InviteRequest {
            id: new_id()?,
            email: req.email.clone(),
            role: req.role.clone(),
            lifetime_secs: e.settings().organizations.invitation_lifetime_secs,
        },
        ctx.now,
    )?;
    // An address that already belongs to a member needs no invitation.
    if let Some(user) = find_by_email(port, &req.email).await? {
        if ops
            .membership(&user.value.id)
            .is_some_and(|m| m.status != MembershipStatus::Pending)
        {
            return Err(err(
                ErrorCode::AlreadyMember,
                "this user is already a member",
            ));
        }
    }
    let org = ops.organization().clone();
    let inv = issued.invitation;
    let ttl = record_ttl(&inv, ctx.now);
    if !store(
        port,
        keys::ORG_INVITATIONS,
        &keys::invitation(&inv.token_hash),
        &inv,
        ttl,
        Expect::Absent,
    )
    .await?
    {
        return Err(err(
            ErrorCode::Internal,
            "a fresh invitation token collided",
        ));
    }
    port.put(
        keys::ORG_INVITATIONS_BY_ORG,
        &keys::org_invitation(&org.id, &inv.token_hash),
        json!({}),
        ttl,
        Expect::Any,
    )
    .await?;
    if let Err(refused) = recount(port, &org, &inv, ctx.now).await {
        withdraw(port, &inv).await?;
        return Err(refused);
    }
    let link = link(req.accept_url.as_deref(), &issued.token);
    let lifetime = inv.expires_at.saturating_sub(ctx.now);
    let text = format!(
        "You are invited to join {} as {}.\n{}\nThis invitation expires in {} hours.",
        org.name,
        inv.role,
        link.as_deref().map_or_else(
            || format!("Your invitation code: {}", issued.token),
            |l| { format!("Accept: {l}") }
        ),
        lifetime / 3600,
    );
    let message = Message {
        channel: Channel::Email,
        to: inv.email.clone(),
        template: "organization_invitation".to_owned(),
        subject: format!("Invitation to join {}", org.name),
        text,
        data: json!({
            "token": issued.token,
            "link": link,
            "org_id": org.id,
            "org_name": org.name,
            "org_slug": org.slug,
            "role": inv.role,
            "invited_by": p.user.email,
            "expires_at": inv.expires_at,
            "expires_in": lifetime,
        }),
    };
    if let Err(failed) = port.send_message(message).await {
        // Not delivered: the seat is given back rather than held by a token nobody has.
        withdraw(port, &inv).await?;
        return Err(failed);
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("org_invitation_sent", Some(&p.user.id))
            .org(Some(&org.id))
            .details(json!({ "invitation_id": inv.id, "email": inv.email, "role": inv.role })),
    )
    .await?;
    Ok(InvitationView::from(&inv))
}

/// Loads the invitation a raw token names; `invitation_invalid` for a token of another
/// kind or an unknown one (no store read for malformed input).
async fn by_token(port: &StorePort, raw: &str) -> Result<Versioned<Invitation>> {
    if secret::check_kind(raw, SecretKind::Invitation).is_err() {
        return Err(invalid());
    }
    let key = keys::invitation(&secret::hash(raw));
    load::<Invitation>(port, keys::ORG_INVITATIONS, &key)
        .await?
        .ok_or_else(invalid)
}

fn email_of(p: &Principal) -> &str {
    p.user.email.as_deref().unwrap_or_default()
}

pub(super) async fn accept(
    port: &StorePort,
    e: &Engine,
    token: &str,
    raw: &str,
    ctx: &RequestContext,
) -> Result<Membership> {
    let p = actor(port, e, token, ctx).await?;
    for _ in 0..CAS_ATTEMPTS {
        let inv = by_token(port, raw).await?;
        let org_id = inv.value.org_id.clone();
        if load_org(port, &org_id).await?.is_none() {
            return Err(not_found(&org_id));
        }
        let existing = load_membership(port, &org_id, &p.user.id).await?;
        let accepted = accept_rule(
            &inv.value,
            raw,
            &p.user.id,
            email_of(&p),
            existing.as_ref().map(|m| &m.value),
            ctx.now,
        )?;
        // Spend the invitation first (single use), then grant.
        if !store(
            port,
            keys::ORG_INVITATIONS,
            &keys::invitation(&inv.value.token_hash),
            &accepted.invitation,
            record_ttl(&inv.value, ctx.now),
            Expect::Version(inv.version),
        )
        .await?
        {
            // Changed concurrently (accepted, revoked, declined): the next round says how.
            continue;
        }
        let expect = match &existing {
            Some(m) => Expect::Version(m.version),
            None => Expect::Absent,
        };
        let m = &accepted.membership;
        if !store(
            port,
            keys::ORG_MEMBERSHIPS,
            &keys::membership(&m.org_id, &m.user_id),
            m,
            None,
            expect,
        )
        .await?
        {
            return Err(err(ErrorCode::AlreadyMember, "already a member"));
        }
        port.put(
            keys::USER_MEMBERSHIPS,
            &keys::user_membership(&m.user_id, &m.org_id),
            json!({}),
            None,
            Expect::Any,
        )
        .await?;
        append(
            port,
            e,
            ctx,
            AuditEntry::success("org_invitation_accepted", Some(&p.user.id))
                .org(Some(&org_id))
                .details(json!({ "invitation_id": inv.value.id, "role": m.role })),
        )
        .await?;
        return Ok(accepted.membership);
    }
    Err(crate::service::users::contention("invitation"))
}

pub(super) async fn decline(
    port: &StorePort,
    e: &Engine,
    token: &str,
    raw: &str,
    ctx: &RequestContext,
) -> Result<InvitationView> {
    let p = actor(port, e, token, ctx).await?;
    let inv = by_token(port, raw).await?;
    let declined = decline_rule(&inv.value, raw, ctx.now)?;
    if !emails_match(&inv.value.email, email_of(&p)) {
        return Err(err(
            ErrorCode::InvitationEmailMismatch,
            "this invitation was sent to another address",
        ));
    }
    if !store(
        port,
        keys::ORG_INVITATIONS,
        &keys::invitation(&inv.value.token_hash),
        &declined,
        record_ttl(&inv.value, ctx.now),
        Expect::Version(inv.version),
    )
    .await?
    {
        return Err(invalid());
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("org_invitation_declined", Some(&p.user.id))
            .org(Some(&declined.org_id))
            .details(json!({ "invitation_id": declined.id })),
    )
    .await?;
    Ok(InvitationView::from(&declined))
}

pub(super) async fn revoke(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    invitation_id: &str,
    ctx: &RequestContext,
) -> Result<InvitationView> {
    let p = actor(port, e, token, ctx).await?;
    let loaded = load_for(port, e, &p.user.id, org_id).await?;
    let all = org_invitations(port, org_id).await?;
    let Some(target) = all.iter().find(|i| i.value.id == invitation_id) else {
        return Err(invalid());
    };
    let authz = loaded.ctx.authz(e)?;
    let ops = OrgMembers::new(&authz, org_id, &loaded.ctx.memberships, &[])?;
    let revoked = ops.revoke_invitation(&p.user.id, &target.value)?;
    if !store(
        port,
        keys::ORG_INVITATIONS,
        &keys::invitation(&revoked.token_hash),
        &revoked,
        record_ttl(&revoked, ctx.now),
        Expect::Version(target.version),
    )
    .await?
    {
        return Err(invalid());
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("org_invitation_revoked", Some(&p.user.id))
            .org(Some(org_id))
            .details(json!({ "invitation_id": revoked.id })),
    )
    .await?;
    Ok(InvitationView::from(&revoked))
}

pub(super) async fn list(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    ctx: &RequestContext,
) -> Result<Vec<InvitationView>> {
    let p = actor(port, e, token, ctx).await?;
    let decision_ctx = super::load::user_context(port, e, &p.user.id, org_id).await?;
    decision_ctx
        .authz(e)?
        .require_permission(&p.user.id, org_id, MEMBERS_INVITE)?;
    let mut out: Vec<InvitationView> = org_invitations(port, org_id)
        .await?
        .iter()
        .map(|i| InvitationView::from(&i.value))
        .collect();
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::link;

    #[test]
    fn the_link_appends_the_token_as_a_query_parameter() {
        assert_eq!(
            link(Some("https://a.example/join"), "txi_x").as_deref(),
            Some("https://a.example/join?token=txi_x")
        );
        assert_eq!(
            link(Some(" https://a.example/join?lang=fr "), "txi_x").as_deref(),
            Some("https://a.example/join?lang=fr&token=txi_x")
        );
        assert_eq!(link(Some("  "), "txi_x"), None);
        assert_eq!(link(None, "txi_x"), None);
    }
}
