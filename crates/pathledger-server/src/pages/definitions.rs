//! The public pages of a competency and of an achievement.

use maud::{html, Markup};
use pathledger_core::{Achievement, Competency};

use super::format::kind;

pub fn competency_page(c: &Competency, framework: &str) -> Markup {
    html! {
        h1 { (c.name) }
        p { "Category: " (kind(&c.category)) }
        p { (c.description) }
        p.muted { "Framework: " (framework) }
    }
}

pub fn achievement_page(a: &Achievement) -> Markup {
    html! {
        h1 { (a.name) }
        p { (a.description) }
        h2 { "Criteria" }
        p { (a.criteria) }
    }
}
