//! Members of an organization (its org admins list them, change their access roles, deactivate
//! and reactivate them, read who did what) as JSON API and as the admin page's forms. The rules
//! are `pathledger_app::members`, shared by both.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use pathledger_app::members::{self, RolesInput};
use pathledger_store::{AccessRole, Member, MembershipEvent, OrgId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, JsonBody, NotFound};
use crate::work::form_outcome;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_list))
        .routes(routes!(api_events))
        .routes(routes!(api_roles))
        .routes(routes!(api_deactivate))
        .routes(routes!(api_reactivate))
}

/// The form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/admin/members/{user}/roles", post(admin_roles))
        .route("/admin/members/{user}/deactivate", post(admin_deactivate))
        .route("/admin/members/{user}/reactivate", post(admin_reactivate))
}

fn roles_json(roles: &[AccessRole]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

/// A member as the API shows them.
pub fn member_json(m: &Member) -> Value {
    json!({
        "user": m.user_id, "email": m.email, "display_name": m.display_name,
        "roles": roles_json(&m.roles), "active": m.active,
    })
}

fn event_json(e: &MembershipEvent) -> Value {
    json!({
        "id": e.id, "org": e.org_id, "user": e.user_id, "action": e.action,
        "roles": roles_json(&e.roles), "by": e.by, "at_ms": e.at_ms,
    })
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", operation_id = "list_members", tag = "members",
    summary = "The organization's members",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The members", body = schemas::MemberList),
        Auth, Forbidden,
    ))]
async fn api_list(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let list = members::list(&app, &caller, &OrgId::from(org)).await?;
    Ok(Json(
        json!({"members": list.iter().map(member_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/members/events", operation_id = "list_member_events", tag = "members",
    summary = "Every grant, revoke, deactivation and reactivation in the organization",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The events", body = schemas::MemberEvents),
        Auth, Forbidden,
    ))]
async fn api_events(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let list = members::events(&app, &caller, &OrgId::from(org)).await?;
    Ok(Json(
        json!({"events": list.iter().map(event_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/members/{user}/roles", operation_id = "set_member_roles", tag = "members",
    summary = "Set a member's access roles exactly",
    description = "At once, recorded; 409 removing one's own org_admin. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("user" = String, Path, description = "User id")),
    request_body = schemas::RolesInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The member", body = schemas::Member),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_roles(
    State(app): State<App>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
    ApiJson(input): ApiJson<RolesInput>,
) -> Result<Json<Value>, ApiError> {
    let m = members::set_roles(&app, &caller, &OrgId::from(org), &user, &input).await?;
    Ok(Json(member_json(&m)))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{user}/deactivate", operation_id = "deactivate_member", tag = "members",
    summary = "Deactivate a member in this organization",
    description = "Their roles here are removed; when nothing else ties them to the deployment their sessions and API tokens stop working at once (`account_deactivated: true`). 409 for oneself. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("user" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The member", body = schemas::DeactivatedMember),
        Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_deactivate(
    State(app): State<App>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let d = members::deactivate(&app, &caller, &OrgId::from(org), &user).await?;
    let mut v = member_json(&d.member);
    v["account_deactivated"] = json!(d.account_deactivated);
    Ok(Json(v))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{user}/reactivate", operation_id = "reactivate_member", tag = "members",
    summary = "Reactivate a member deactivated here",
    description = "Their roles are restored; 409 when the operator deactivated the account. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("user" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The member", body = schemas::Member),
        Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_reactivate(
    State(app): State<App>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let m = members::reactivate(&app, &caller, &OrgId::from(org), &user).await?;
    Ok(Json(member_json(&m)))
}

/// The admin page's role checkboxes (the members' role forms, the invitation form): one
/// checkbox per role, each its own field.
#[derive(Deserialize)]
pub(crate) struct RolesForm {
    org_admin: Option<String>,
    issuer: Option<String>,
    assessor: Option<String>,
    verifier: Option<String>,
    educator: Option<String>,
}

impl RolesForm {
    /// The roles whose boxes are ticked.
    pub(crate) fn roles(&self) -> Vec<String> {
        [
            (&self.org_admin, AccessRole::OrgAdmin),
            (&self.issuer, AccessRole::Issuer),
            (&self.assessor, AccessRole::Assessor),
            (&self.verifier, AccessRole::Verifier),
            (&self.educator, AccessRole::Educator),
        ]
        .into_iter()
        .filter(|(v, _)| v.is_some())
        .map(|(_, r)| r.as_str().to_owned())
        .collect()
    }
}

async fn admin_roles(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(user): Path<String>,
    Form(f): Form<RolesForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let input = RolesInput { roles: f.roles() };
        let m = members::set_roles(&app, &caller, &org, &user, &input).await?;
        Ok(format!(
            "Roles of {} are now: {}.",
            m.email,
            roles_json(&m.roles).join(", ")
        ))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Roles not changed", result)
}

/// The deactivate/reactivate forms carry only the form token.
#[derive(Deserialize)]
struct Empty {}

async fn admin_deactivate(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(user): Path<String>,
    Form(_): Form<Empty>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let d = members::deactivate(&app, &caller, &org, &user).await?;
        Ok(if d.account_deactivated {
            format!(
                "Deactivated {}: their sessions and API tokens no longer work.",
                d.member.email
            )
        } else {
            format!(
                "Deactivated {} in this organization (they keep their access elsewhere).",
                d.member.email
            )
        })
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Member not deactivated", result)
}

async fn admin_reactivate(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(user): Path<String>,
    Form(_): Form<Empty>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let m = members::reactivate(&app, &caller, &org, &user).await?;
        Ok(format!("Reactivated {}.", m.email))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Member not reactivated", result)
}
