//! Applications (API clients): create, verify `X-Access-Key` + `X-Access-Secret`,
//! regenerate the secret, disable/enable, list, get.
//!
//! The access key is a `txk_` identifier, stored as is and indexed in
//! `applications_by_key`; the secret is a `txs_` secret shown once and stored as its
//! SHA-256 (256 random bits need no slow hash, [`crate::secret`]). Verification compares
//! hashes in constant time and does the same work for an unknown key (a hash compared with
//! a fixed dummy), so timing does not tell whether a key exists. A wrong or missing key or
//! secret is `application_invalid`; a right secret of an inactive application is
//! `application_disabled` (status is only revealed to the secret's holder).
//!
//! Managing applications takes the RBAC permissions of the `applications` family
//! (`applications.view`, `.create`, `.update`, `.regenerate`), or a superuser.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{append, AuditEntry};
use super::auth::{authenticate, Principal};
use super::users::{contention, load, store, subject, CAS_ATTEMPTS};
use super::{Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, ErrorCode, Result};
use crate::secret::{self, SecretKind};
use crate::store::{keys, Expect};

/// Permission to list and read applications.
pub const PERM_VIEW: &str = "applications.view";
/// Permission to create applications.
pub const PERM_CREATE: &str = "applications.create";
/// Permission to disable and enable applications.
pub const PERM_UPDATE: &str = "applications.update";
/// Permission to regenerate an application's secret.
pub const PERM_REGENERATE: &str = "applications.regenerate";

/// Longest application name, in characters.
pub const MAX_NAME_LEN: usize = 100;
/// Most allowed origins per application.
pub const MAX_ORIGINS: usize = 50;

/// The SHA-256 an unknown key's secret is compared with (equal work). No input hashes to
/// it in practice: it is not the digest of anything chosen.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An application record (namespace `applications`). Never holds the raw secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Application {
    /// Application id (a UUID).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The public access key (`txk_…`), sent as `X-Access-Key`.
    pub access_key: String,
    /// Lowercase hex SHA-256 of the secret.
    pub secret_hash: String,
    /// An inactive application is refused (`application_disabled`).
    pub is_active: bool,
    /// Exact origins (`https://app.example`) a browser client may call from.
    pub allowed_origins: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Who created it.
    pub created_by: Option<String>,
    /// When the secret was last regenerated. A host caching verifications
    /// (`application_auth.verification_cache_secs`) keys its cache by key *and* secret
    /// hash, so a regenerated secret is never served from cache.
    pub secret_rotated_at: Option<i64>,
}

/// What the API shows of an application: never the secret hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The access key.
    pub access_key: String,
    /// Active flag.
    pub is_active: bool,
    /// Allowed origins.
    pub allowed_origins: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last secret regeneration.
    pub secret_rotated_at: Option<i64>,
}

impl From<&Application> for ApplicationView {
    fn from(a: &Application) -> Self {
        ApplicationView {
            id: a.id.clone(),
            name: a.name.clone(),
            description: a.description.clone(),
            access_key: a.access_key.clone(),
            is_active: a.is_active,
            allowed_origins: a.allowed_origins.clone(),
            created_at: a.created_at,
            secret_rotated_at: a.secret_rotated_at,
        }
    }
}

/// `POST applications/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreateApplicationRequest {
    /// 1 to 100 characters, no control characters.
    pub name: String,
    /// Free text (at most 1000 characters).
    pub description: String,
    /// Exact origins: `http(s)://host[:port]`, no path.
    pub allowed_origins: Vec<String>,
}

/// A new or regenerated credential: the raw secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationCredentials {
    /// The application.
    pub application: ApplicationView,
    /// The raw `txs_` secret (`X-Access-Secret`); never stored, never shown again.
    pub access_secret: String,
}

#[derive(Serialize, Deserialize)]
struct KeyEntry {
    app_id: String,
}

fn invalid() -> crate::Error {
    err(
        ErrorCode::ApplicationInvalid,
        "the application key or secret is missing or wrong",
    )
}

fn not_found() -> crate::Error {
    err(ErrorCode::ApplicationNotFound, "no such application")
}

fn check_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control)
    {
        return Err(err(
            ErrorCode::InvalidInput,
            "name must be 1 to 100 characters without control characters",
        )
        .with_details(json!({ "field": "name" })));
    }
    Ok(name.to_owned())
}

/// `http(s)://host[:port]` with no path, query, userinfo or whitespace, as browsers send
/// in `Origin`. Stored lower-cased (scheme and host are case-insensitive).
fn check_origin(raw: &str) -> Result<String> {
    let origin = raw.trim().to_ascii_lowercase();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let ok = rest.is_some_and(|host| {
        !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    });
    if ok {
        Ok(origin)
    } else {
        Err(err(
            ErrorCode::InvalidInput,
            format!("{raw:?} is not an origin (scheme://host[:port])"),
        )
        .with_details(json!({ "field": "allowed_origins" })))
    }
}

fn check_request(req: &CreateApplicationRequest) -> Result<(String, String, Vec<String>)> {
    let name = check_name(&req.name)?;
    if req.description.chars().count() > 1000 {
        return Err(err(ErrorCode::InvalidInput, "description is too long")
            .with_details(json!({ "field": "description" })));
    }
    if req.allowed_origins.len() > MAX_ORIGINS {
        return Err(err(ErrorCode::InvalidInput, "too many allowed origins")
            .with_details(json!({ "field": "allowed_origins" })));
    }
    let mut origins = Vec::new();
    for o in &req.allowed_origins {
        let o = check_origin(o)?;
        if !origins.contains(&o) {
            origins.push(o);
        }
    }
    Ok((name, req.description.trim().to_owned(), origins))
}

/// The caller, who must hold `permission` (or be a superuser).
async fn manager(
    port: &StorePort,
    e: &Engine,
    token: &str,
    permission: &str,
    ctx: &RequestContext,
) -> Result<Principal> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    if !p.user.is_superuser {
        e.policy().require(&subject(&p.user), permission)?;
    }
    Ok(p)
}

async fn load_app(port: &StorePort, id: &str) -> Result<super::users::Versioned<Application>> {
    load::<Application>(port, keys::APPLICATIONS, &keys::application(id))
        .await?
        .ok_or_else(not_found)
}

/// Read-modify-write of one application under compare-and-swap.
async fn update_app<F>(port: &StorePort, id: &str, mut change: F) -> Result<Application>
where
    F: FnMut(&mut Application),
{
    for _ in 0..CAS_ATTEMPTS {
        let mut current = load_app(port, id).await?;
        change(&mut current.value);
        if store(
            port,
            keys::APPLICATIONS,
            &keys::application(id),
            &current.value,
            None,
            Expect::Version(current.version),
        )
        .await?
        {
            return Ok(current.value);
        }
    }
    Err(contention("application"))
}

async fn create(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &CreateApplicationRequest,
    ctx: &RequestContext,
) -> Result<ApplicationCredentials> {
    let p = manager(port, e, token, PERM_CREATE, ctx).await?;
    insert(port, e, req, Some(&p.user.id), ctx).await
}

/// Writes a new application (after the caller's permission was checked, or for the host's
/// own bootstrap when `created_by` is `None`).
pub(crate) async fn insert(
    port: &StorePort,
    e: &Engine,
    req: &CreateApplicationRequest,
    created_by: Option<&str>,
    ctx: &RequestContext,
) -> Result<ApplicationCredentials> {
    let (name, description, allowed_origins) = check_request(req)?;
    let key = secret::generate(SecretKind::AppKey)?;
    let app_secret = secret::generate(SecretKind::AppSecret)?;
    let app = Application {
        id: super::users::new_id()?,
        name,
        description,
        access_key: key.raw().to_owned(),
        secret_hash: app_secret.hash().to_owned(),
        is_active: true,
        allowed_origins,
        created_at: ctx.now,
        created_by: created_by.map(str::to_owned),
        secret_rotated_at: None,
    };
    // The record, then its key index: an index entry always names a record that exists.
    if !store(
        port,
        keys::APPLICATIONS,
        &keys::application(&app.id),
        &app,
        None,
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh application id collided"));
    }
    let entry = KeyEntry {
        app_id: app.id.clone(),
    };
    if !store(
        port,
        keys::APPLICATIONS_BY_KEY,
        &keys::application_by_key(&app.access_key),
        &entry,
        None,
        Expect::Absent,
    )
    .await?
    {
        port.delete(keys::APPLICATIONS, &keys::application(&app.id))
            .await?;
        return Err(err(ErrorCode::Internal, "a fresh access key collided"));
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("application_created", created_by)
            .details(json!({ "app_id": app.id, "name": app.name })),
    )
    .await?;
    Ok(ApplicationCredentials {
        application: ApplicationView::from(&app),
        access_secret: app_secret.raw().to_owned(),
    })
}

async fn verify(
    port: &StorePort,
    access_key: &str,
    access_secret: &str,
) -> Result<ApplicationView> {
    // A secret of another kind (a refresh token, an agent token) is never an app secret.
    let wrong_kind = secret::kind_of(access_secret).is_some_and(|k| k != SecretKind::AppSecret);
    let app = if access_key.is_empty() || access_key.len() > secret::MAX_RAW_LEN {
        None
    } else {
        match load::<KeyEntry>(
            port,
            keys::APPLICATIONS_BY_KEY,
            &keys::application_by_key(access_key),
        )
        .await?
        {
            Some(entry) => load::<Application>(
                port,
                keys::APPLICATIONS,
                &keys::application(&entry.value.app_id),
            )
            .await?
            .map(|a| a.value)
            .filter(|a| a.access_key == access_key),
            None => {
                // Equal store work too: a second read, of a record that cannot exist
                // (application ids are UUIDs, keys are `txk_` strings).
                port.get(keys::APPLICATIONS, &keys::application(access_key))
                    .await?;
                None
            }
        }
    };
    // The same hash-and-compare whether or not the key exists.
    let stored = app.as_ref().map_or(DUMMY_HASH, |a| a.secret_hash.as_str());
    let matches = secret::verify(access_secret, stored);
    let Some(app) = app.filter(|_| matches && !wrong_kind && !access_secret.is_empty()) else {
        return Err(invalid());
    };
    if !app.is_active {
        return Err(err(
            ErrorCode::ApplicationDisabled,
            "this application is deactivated",
        ));
    }
    Ok(ApplicationView::from(&app))
}

async fn regenerate(
    port: &StorePort,
    e: &Engine,
    token: &str,
    id: &str,
    ctx: &RequestContext,
) -> Result<ApplicationCredentials> {
    let p = manager(port, e, token, PERM_REGENERATE, ctx).await?;
    let fresh = secret::generate(SecretKind::AppSecret)?;
    // One write replaces the only copy of the hash: the old secret fails from here on.
    let app = update_app(port, id, |a| {
        a.secret_hash = fresh.hash().to_owned();
        a.secret_rotated_at = Some(ctx.now);
    })
    .await?;
    append(
        port,
        e,
        ctx,
        AuditEntry::success("application_secret_regenerated", Some(&p.user.id))
            .details(json!({ "app_id": app.id })),
    )
    .await?;
    Ok(ApplicationCredentials {
        application: ApplicationView::from(&app),
        access_secret: fresh.raw().to_owned(),
    })
}

async fn set_active(
    port: &StorePort,
    e: &Engine,
    token: &str,
    id: &str,
    active: bool,
    ctx: &RequestContext,
) -> Result<ApplicationView> {
    let p = manager(port, e, token, PERM_UPDATE, ctx).await?;
    let app = update_app(port, id, |a| a.is_active = active).await?;
    let action = if active {
        "application_enabled"
    } else {
        "application_disabled"
    };
    append(
        port,
        e,
        ctx,
        AuditEntry::success(action, Some(&p.user.id)).details(json!({ "app_id": app.id })),
    )
    .await?;
    Ok(ApplicationView::from(&app))
}

async fn list(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<Vec<ApplicationView>> {
    manager(port, e, token, PERM_VIEW, ctx).await?;
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = port
            .list(keys::APPLICATIONS, "", 200, cursor.as_deref())
            .await?;
        for (_, record) in page.items {
            let app: Application = super::users::decode(keys::APPLICATIONS, record)?.value;
            out.push(ApplicationView::from(&app));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

impl Engine {
    /// Creates an application (`applications.create` or superuser); the raw secret is in
    /// the answer and nowhere else.
    pub fn create_application(
        &self,
        access_token: String,
        req: CreateApplicationRequest,
        ctx: RequestContext,
    ) -> Flow<ApplicationCredentials> {
        self.flow(move |e, port| async move { create(&port, &e, &access_token, &req, &ctx).await })
    }

    /// Checks `X-Access-Key` + `X-Access-Secret`: the application, `application_invalid`
    /// (missing or wrong, equal work for an unknown key) or `application_disabled`.
    pub fn verify_application(
        &self,
        access_key: String,
        access_secret: String,
        _ctx: RequestContext,
    ) -> Flow<ApplicationView> {
        self.flow(move |_e, port| async move { verify(&port, &access_key, &access_secret).await })
    }

    /// Replaces the secret (`applications.regenerate` or superuser); the old one stops
    /// working at once.
    pub fn regenerate_application_secret(
        &self,
        access_token: String,
        app_id: String,
        ctx: RequestContext,
    ) -> Flow<ApplicationCredentials> {
        self.flow(move |e, port| async move {
            regenerate(&port, &e, &access_token, &app_id, &ctx).await
        })
    }

    /// Deactivates an application (`applications.update` or superuser).
    pub fn disable_application(
        &self,
        access_token: String,
        app_id: String,
        ctx: RequestContext,
    ) -> Flow<ApplicationView> {
        self.flow(move |e, port| async move {
            set_active(&port, &e, &access_token, &app_id, false, &ctx).await
        })
    }

    /// Reactivates an application (`applications.update` or superuser).
    pub fn enable_application(
        &self,
        access_token: String,
        app_id: String,
        ctx: RequestContext,
    ) -> Flow<ApplicationView> {
        self.flow(move |e, port| async move {
            set_active(&port, &e, &access_token, &app_id, true, &ctx).await
        })
    }

    /// Every application, oldest first (`applications.view` or superuser).
    pub fn list_applications(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<Vec<ApplicationView>> {
        self.flow(move |e, port| async move { list(&port, &e, &access_token, &ctx).await })
    }

    /// One application (`applications.view` or superuser).
    pub fn get_application(
        &self,
        access_token: String,
        app_id: String,
        ctx: RequestContext,
    ) -> Flow<ApplicationView> {
        self.flow(move |e, port| async move {
            manager(&port, &e, &access_token, PERM_VIEW, &ctx).await?;
            Ok(ApplicationView::from(
                &load_app(&port, &app_id).await?.value,
            ))
        })
    }
}
