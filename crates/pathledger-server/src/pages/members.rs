//! The admin page's "Members" section: the organization's members with their access roles, a
//! form per member to set their roles, and deactivate/reactivate buttons (org admins only).

use maud::{html, Markup};
use pathledger_store::{AccessRole, Member};

/// Every access role, in the order the forms offer them.
pub(crate) const ROLES: [(AccessRole, &str); 5] = [
    (AccessRole::OrgAdmin, "Org admin"),
    (AccessRole::Issuer, "Issuer"),
    (AccessRole::Assessor, "Assessor / mentor"),
    (AccessRole::Verifier, "District verifier"),
    (AccessRole::Educator, "Educator"),
];

/// The section; `form_token` goes into every form.
pub fn members_section(members: &[Member], form_token: Option<&str>) -> Markup {
    html! {
        h2 #members { "Members" }
        p {
            "Role changes count at once. Deactivating a member removes their roles here; if this "
            "is their only organization, their sessions and API tokens stop working at once. "
            "Every change is recorded with who made it."
        }
        table #member-list {
            thead { tr { th { "Member" } th { "Roles" } th { "State" } th { "Actions" } } }
            tbody {
                @for m in members {
                    tr data-user=(m.user_id) {
                        td { (m.display_name) " " code { (m.email) } }
                        td {
                            form method="post" action={ "/admin/members/" (m.user_id) "/roles" } {
                                (super::csrf_field(form_token))
                                @for (role, label) in ROLES {
                                    @let id = format!("role-{}-{}", m.user_id, role.as_str());
                                    input type="checkbox" id=(id) name=(role.as_str()) value="on" checked[m.roles.contains(&role)];
                                    label for=(id) { (label) }
                                    " "
                                }
                                button type="submit" disabled[!m.active] { "Set roles" }
                            }
                        }
                        td { @if m.active { "active" } @else { "deactivated" } }
                        td {
                            @if m.active {
                                form.status-action method="post" action={ "/admin/members/" (m.user_id) "/deactivate" } {
                                    (super::csrf_field(form_token))
                                    button type="submit" { "Deactivate" }
                                }
                            } @else {
                                form.status-action method="post" action={ "/admin/members/" (m.user_id) "/reactivate" } {
                                    (super::csrf_field(form_token))
                                    button type="submit" { "Reactivate" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
