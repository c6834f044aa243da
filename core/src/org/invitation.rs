//! Invitations: issue, accept, decline, revoke, expire.
//!
//! The raw token is a `txi_` secret ([`crate::secret`]) handed out once (in the email
//! link); the record keeps only its SHA-256. Accepting checks, in this order:
//!
//! 1. the token: not a secret of another kind, and its hash equals `token_hash` in
//!    constant time — otherwise `invitation_invalid`, before anything about the record's
//!    state is revealed (a Tenxyte row migrated with the SHA-256 of its unprefixed
//!    `token_urlsafe(48)` token verifies the same way);
//! 2. the status: `accepted` → `invitation_used` (single use), `declined`/`revoked` →
//!    `invitation_invalid`, `expired` → `invitation_expired`;
//! 3. the time: expired from `expires_at` on (`now >= expires_at`);
//! 4. the email: the accepting user's address must be the invited one, compared after
//!    trimming, **case-insensitively over ASCII only** (`invitation_email_mismatch`).
//!    Tenxyte compared exactly, so `Alice@Example.com` could not accept an invitation sent
//!    to `alice@example.com`, which is the same mailbox at every real provider. Folding the
//!    local part as well is a deliberate trade: RFC 5321 lets a server treat it
//!    case-sensitively, but no mainstream one does, and the authority here is the 256-bit
//!    token, delivered to that mailbox; the email check only stops a token forwarded to
//!    someone else's account. Non-ASCII characters are compared exactly — Unicode case
//!    folding maps distinct characters together (the Kelvin sign to `k`, `ß` to `ss`) and
//!    would open confusable-address tricks. Hosts must pass the user's *verified* email.
//! 5. the existing membership: a pending one is activated with the invitation's role
//!    (never duplicated); an active or suspended one is `already_member` (accepting must
//!    not lift a suspension).

use crate::error::{err, ErrorCode, Result};
use crate::org::authz::MembershipLookup;
use crate::org::members::OrgMembers;
use crate::org::permission::{MEMBERS_INVITE, OWNER};
use crate::org::records::{Invitation, InvitationStatus, Membership, MembershipStatus};
use crate::secret::{self, SecretKind};

/// Longest accepted email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// What to invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRequest {
    /// The new invitation's id (the host's id scheme).
    pub id: String,
    /// The invitee's address; stored trimmed.
    pub email: String,
    /// The role to grant; `None` for the role set's default.
    pub role: Option<String>,
    /// Lifetime in seconds (`organizations.invitation_lifetime_secs`).
    pub lifetime_secs: u64,
}

/// A new invitation: the raw token to send once, and the record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvitation {
    /// The raw `txi_` token; never stored.
    pub token: String,
    /// The record (with the token's hash).
    pub invitation: Invitation,
}

/// What an accepted invitation changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The new, or newly activated, membership.
    pub membership: Membership,
    /// The invitation, now `accepted`.
    pub invitation: Invitation,
}

/// The same address for invitation purposes (module rule 4): trimmed, ASCII
/// case-insensitive, non-ASCII exact.
pub fn emails_match(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A plausible single address: one `@`, non-empty local part and domain, no whitespace or
/// control characters, at most [`MAX_EMAIL_LEN`] bytes. Deliverability is the host's
/// business; this only keeps garbage out of the record.
fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(err(ErrorCode::InvalidInput, "not an email address"))
    }
}

impl<L: MembershipLookup + ?Sized> OrgMembers<'_, L> {
    /// Invites `req.email` with a fresh `txi_` token. Needs `org.members.invite` (plus
    /// owner to invite an owner); refuses an unknown role, a second open invitation for
    /// the same address (`already_invited`) and a full organization (`org_member_limit`).
    pub fn invite(&self, actor: &str, req: &InviteRequest, now: i64) -> Result<IssuedInvitation> {
        let token = secret::generate(SecretKind::Invitation)?;
        let invitation = self.invite_with_token(actor, req, token.raw(), now)?;
        Ok(IssuedInvitation {
            token: token.raw().to_owned(),
            invitation,
        })
    }

    /// [`invite`](Self::invite) with the raw token supplied (a well-formed `txi_` secret,
    /// e.g. from [`secret::generate_with_random`]), for test vectors.
    pub fn invite_with_token(
        &self,
        actor: &str,
        req: &InviteRequest,
        raw_token: &str,
        now: i64,
    ) -> Result<Invitation> {
        secret::check_kind(raw_token, SecretKind::Invitation)?;
        let email = req.email.trim();
        check_email(email)?;
        if req.id.is_empty() {
            return Err(err(ErrorCode::InvalidInput, "empty invitation id"));
        }
        let lifetime = i64::try_from(req.lifetime_secs)
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| err(ErrorCode::InvalidInput, "invalid invitation lifetime"))?;
        let expires_at = now
            .checked_add(lifetime)
            .ok_or_else(|| err(ErrorCode::InvalidInput, "invitation expiry overflows"))?;
        let role = self.resolve_role(req.role.as_deref())?;
        self.authorize(actor, MEMBERS_INVITE, role == OWNER)?;
        let open = self.invitations.iter().any(|i| {
            i.status == InvitationStatus::Pending
                && now < i.expires_at
                && emails_match(&i.email, email)
        });
        if open {
            return Err(err(
                ErrorCode::AlreadyInvited,
                "an open invitation for this address exists",
            ));
        }
        self.check_seat(now)?;
        Ok(Invitation {
            id: req.id.clone(),
            org_id: self.org.id.clone(),
            email: email.to_owned(),
            role,
            token_hash: secret::hash(raw_token),
            invited_by: actor.to_owned(),
            status: InvitationStatus::Pending,
            created_at: now,
            expires_at,
            accepted_at: None,
        })
    }

    /// Withdraws a pending invitation of this organization. Needs `org.members.invite`
    /// (plus owner for an owner invitation).
    pub fn revoke_invitation(&self, actor: &str, invitation: &Invitation) -> Result<Invitation> {
        if invitation.org_id != self.org.id {
            return Err(err(
                ErrorCode::InvitationInvalid,
                "invitation of another organization",
            ));
        }
        self.authorize(actor, MEMBERS_INVITE, invitation.role == OWNER)?;
        check_status(invitation)?;
        let mut out = invitation.clone();
        out.status = InvitationStatus::Revoked;
        Ok(out)
    }
}

fn check_token(invitation: &Invitation, raw_token: &str) -> Result<()> {
    let other_kind = secret::kind_of(raw_token).is_some_and(|k| k != SecretKind::Invitation);
    if other_kind || !secret::verify(raw_token, &invitation.token_hash) {
        return Err(err(
            ErrorCode::InvitationInvalid,
            "invitation token does not match",
        ));
    }
    Ok(())
}

fn check_status(invitation: &Invitation) -> Result<()> {
    match invitation.status {
        InvitationStatus::Pending => Ok(()),
        InvitationStatus::Accepted => Err(err(
            ErrorCode::InvitationUsed,
            "invitation already accepted",
        )),
        InvitationStatus::Expired => Err(err(ErrorCode::InvitationExpired, "invitation expired")),
        InvitationStatus::Declined | InvitationStatus::Revoked => Err(err(
            ErrorCode::InvitationInvalid,
            "invitation is no longer open",
        )),
    }
}

fn check_open(invitation: &Invitation, raw_token: &str, now: i64) -> Result<()> {
    check_token(invitation, raw_token)?;
    check_status(invitation)?;
    if now >= invitation.expires_at {
        return Err(err(ErrorCode::InvitationExpired, "invitation expired")
            .with_details(serde_json::json!({ "expires_at": invitation.expires_at })));
    }
    Ok(())
}

/// Accepts `invitation` for the signed-in `user_id` whose verified address is
/// `user_email` (module rules). `existing` is the user's current membership in the
/// invitation's organization, if any. Returns the membership and the updated invitation.
pub fn accept(
    invitation: &Invitation,
    raw_token: &str,
    user_id: &str,
    user_email: &str,
    existing: Option<&Membership>,
    now: i64,
) -> Result<Accepted> {
    if user_id.is_empty() {
        return Err(err(ErrorCode::InvalidInput, "empty user id"));
    }
    check_open(invitation, raw_token, now)?;
    if !emails_match(&invitation.email, user_email) {
        return Err(err(
            ErrorCode::InvitationEmailMismatch,
            "this invitation was sent to another address",
        ));
    }
    let membership = match existing {
        Some(m) if m.org_id != invitation.org_id || m.user_id != user_id => {
            return Err(err(
                ErrorCode::InvalidInput,
                "existing membership of another user or organization",
            ))
        }
        Some(m) if m.status != MembershipStatus::Pending => {
            return Err(err(ErrorCode::AlreadyMember, "already a member"))
        }
        Some(m) => Membership {
            role: invitation.role.clone(),
            status: MembershipStatus::Active,
            invited_by: Some(invitation.invited_by.clone()),
            joined_at: now,
            ..m.clone()
        },
        None => Membership {
            org_id: invitation.org_id.clone(),
            user_id: user_id.to_owned(),
            role: invitation.role.clone(),
            status: MembershipStatus::Active,
            invited_by: Some(invitation.invited_by.clone()),
            joined_at: now,
        },
    };
    let mut invitation = invitation.clone();
    invitation.status = InvitationStatus::Accepted;
    invitation.accepted_at = Some(now);
    Ok(Accepted {
        membership,
        invitation,
    })
}

/// The invitee refuses: needs the token, an open invitation and `now < expires_at`.
pub fn decline(invitation: &Invitation, raw_token: &str, now: i64) -> Result<Invitation> {
    check_open(invitation, raw_token, now)?;
    let mut out = invitation.clone();
    out.status = InvitationStatus::Declined;
    Ok(out)
}

/// Housekeeping: the invitation marked `expired` when it is pending and `now >=
/// expires_at`, `None` when nothing changes.
pub fn expire_invitation(invitation: &Invitation, now: i64) -> Option<Invitation> {
    (invitation.status == InvitationStatus::Pending && now >= invitation.expires_at).then(|| {
        let mut out = invitation.clone();
        out.status = InvitationStatus::Expired;
        out
    })
}
