//! The pathway map (the role lattice drawn as SVG, with the same roles as a list for screen
//! readers and phones), the role pages it links to, and the progress and plan sections of the
//! educator dashboard. Every number comes from one `Standing`, so the map, the role pages and
//! the dashboard agree.

use std::collections::HashMap;

use maud::{html, Markup};
use pathledger_app::progress::{RoleStanding, Standing};
use pathledger_core::{ConditionStatus, Definitions, Direction, Evaluation, NodeStatus, Plan};

use super::format::{
    achievement_name, and_list, category_words, describe_condition, role_name, standing_words,
};

fn direction_style(d: Direction) -> (&'static str, &'static str, &'static str) {
    // (stroke colour, dash pattern, label): colour *and* line style tell directions apart.
    match d {
        Direction::Entry => ("#57606a", "", "entry"),
        Direction::Depth => ("#0b5cad", "", "expert depth"),
        Direction::Breadth => ("#1a7f37", "8 5", "functional breadth"),
        Direction::Leadership => ("#6941c6", "2 4", "leadership"),
    }
}

/// A role's box, the gap between boxes, and the gap between levels (rows), in pixels: the map
/// is drawn at its natural size (the text reads at 16 px) and scrolls sideways in its frame
/// when the screen is narrower.
const W: i64 = 220;
const COL: i64 = 248;
/// Characters per line of a role's name in its box (at the stylesheet's 15 px, bold).
const LINE: usize = 18;

/// The role page's address.
pub fn role_href(org: &str, role: &str) -> String {
    format!(
        "/pathways/{}?org={}",
        crate::web::urlencode_component(role),
        crate::web::urlencode_component(org)
    )
}

/// A name in lines of at most `n` characters, cut at spaces (a word longer than `n` stays whole).
fn lines(name: &str, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in name.split_whitespace() {
        match out.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= n => {
                l.push(' ');
                l.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
    }
    out
}

/// An edge between two boxes (top-left corners, boxes `h` high): down the map from the
/// bottom of one to the top of the next, sideways between boxes of one row, up from the top
/// of one to the bottom of the other.
fn edge_path((x1, y1): (i64, i64), (x2, y2): (i64, i64), h: i64) -> String {
    use std::cmp::Ordering;
    match y2.cmp(&y1) {
        Ordering::Greater => {
            let (sx, sy, tx, ty) = (x1 + W / 2, y1 + h, x2 + W / 2, y2);
            format!(
                "M {sx} {sy} C {sx} {}, {tx} {}, {tx} {ty}",
                sy + 24,
                ty - 24
            )
        }
        Ordering::Less => {
            let (sx, sy, tx, ty) = (x1 + W / 2 + 20, y1, x2 + W / 2 + 20, y2 + h);
            format!(
                "M {sx} {sy} C {sx} {}, {tx} {}, {tx} {ty}",
                sy - 24,
                ty + 24
            )
        }
        Ordering::Equal => {
            let y = y1 + h / 2;
            let (sx, tx) = if x2 > x1 { (x1 + W, x2) } else { (x1, x2 + W) };
            format!("M {sx} {y} L {tx} {y}")
        }
    }
}

/// The pathway map page; `standing` is the signed-in educator's, if any.
pub fn pathway_page(defs: &Definitions, org: &str, standing: Option<&Standing>) -> Markup {
    html! {
        h1 { "Pathway map" }
        p { "Educators advance in three directions: expert depth (solid blue lines), functional breadth (dashed green) and team and organization leadership (dotted purple). Open a role to see what it asks for." }
        @if let Some(s) = standing {
            p {
                "Filled boxes are roles you have reached; a role you have moved beyond says \"passed\"; the others show how far along you are."
                @if let Some(next) = &s.next {
                    " Your next step: " a href=(role_href(org, next)) { (role_name(defs, next)) } "."
                }
            }
        } @else {
            p { a href="/login" { "Sign in" } " to see where you stand." }
        }
        div.map-page {
            figure.map {
                div.map-scroll { (pathway_svg(defs, org, standing)) }
                figcaption.muted { "The same roles and transitions are listed as text with the map. On a narrow screen, scroll the map sideways." }
            }
            section.roles { (role_list(defs, org, standing)) }
        }
    }
}

/// The roles and the transitions between them as an ordered list: the map's text alternative,
/// and the phone's way through it.
pub fn role_list(defs: &Definitions, org: &str, standing: Option<&Standing>) -> Markup {
    let g = defs.role_graph();
    html! {
        h2 #roles { "Roles and how they connect" }
        ol.role-list {
            @for n in &g.nodes {
                @let out: Vec<_> = g.edges.iter().filter(|e| e.from == n.id).collect();
                li data-role=(n.id.as_str()) data-standing=[standing.map(|s| standing_code(s.role(n.id.as_str())))] {
                    a.role-name href=(role_href(org, n.id.as_str())) { (n.name) }
                    @if let Some(s) = standing {
                        " — " span.standing { (standing_words(s.role(n.id.as_str()))) }
                    }
                    @if n.entry { br; span.muted { "You can start here." } }
                    @if !out.is_empty() {
                        br;
                        "Leads to: "
                        @for (i, e) in out.iter().enumerate() {
                            @if i > 0 { "; " }
                            a href=(role_href(org, e.to.as_str())) { (role_name(defs, e.to.as_str())) }
                            @if e.direction != Direction::Entry { " — " (direction_style(e.direction).2) }
                        }
                    }
                }
            }
        }
    }
}

/// The role lattice as an SVG graph, one row per level (entry roles at the top); each role is a
/// link to its page. With a standing, reached roles are filled, passed ones say so, and the
/// others show their progress. SVG children get explicit end tags (`{}`): the HTML parser does
/// not treat them as void elements.
pub fn pathway_svg(defs: &Definitions, org: &str, standing: Option<&Standing>) -> Markup {
    let g = defs.role_graph();
    let max_level = g.nodes.iter().filter_map(|n| n.level).max().unwrap_or(0);
    let unleveled = g.nodes.iter().any(|n| n.level.is_none());
    let rows = max_level + 1 + u32::from(unleveled);
    let mut per_level: HashMap<u32, Vec<&str>> = HashMap::new();
    for n in &g.nodes {
        per_level
            .entry(n.level.unwrap_or(max_level + 1))
            .or_default()
            .push(n.id.as_str());
    }
    let widest = per_level.values().map(Vec::len).max().unwrap_or(1) as i64;
    // Boxes tall enough for the longest name's lines plus the standing line.
    let most_lines = g
        .nodes
        .iter()
        .map(|n| lines(&n.name, LINE).len())
        .max()
        .unwrap_or(1) as i64;
    let h = 16 + most_lines * 19 + 24;
    let row = h + 48;
    let width = 20 + widest * COL;
    let mut pos: HashMap<&str, (i64, i64)> = HashMap::new();
    for (level, ids) in &per_level {
        // Each row centred.
        let offset = 20 + (widest - ids.len() as i64) * COL / 2;
        for (i, id) in ids.iter().enumerate() {
            pos.insert(id, (offset + i as i64 * COL, 20 + i64::from(*level) * row));
        }
    }
    let height = 20 + i64::from(rows) * row + 30;
    let ly = height - 24;
    let legend = [
        Direction::Entry,
        Direction::Depth,
        Direction::Breadth,
        Direction::Leadership,
    ];
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height) role="group" aria-labelledby="map-title" {
            title #map-title { "Pathway map: roles and the transitions between them" }
            defs {
                marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a" {}
                }
            }
            @for e in &g.edges {
                @if let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(e.from.as_str()), pos.get(e.to.as_str())) {
                    @let (color, dash, label) = direction_style(e.direction);
                    path class={ "edge edge-" (label.replace(' ', "-")) } aria-hidden="true"
                        d=(edge_path((x1, y1), (x2, y2), h))
                        fill="none" stroke=(color) stroke-width="2" stroke-dasharray=(dash) marker-end="url(#arrow)" {}
                }
            }
            @for n in &g.nodes {
                @if let Some(&(x, y)) = pos.get(n.id.as_str()) {
                    @let st = standing.map(|s| s.role(n.id.as_str()));
                    @let reached = st == Some(RoleStanding::Reached);
                    @let (color, _, _) = direction_style(n.direction);
                    @let fill = if reached { color } else { "#ffffff" };
                    @let text = if reached { "#ffffff" } else { "#1b1f24" };
                    @let name_lines = lines(&n.name, LINE);
                    @let sub = st.map(standing_words).unwrap_or_default();
                    @let label = if sub.is_empty() { n.name.clone() } else { format!("{}: {sub}", n.name) };
                    a.role href=(role_href(org, n.id.as_str())) aria-label=(label) data-role=(n.id.as_str()) {
                        rect x=(x) y=(y) width=(W) height=(h) rx="10" fill=(fill) stroke=(color) stroke-width="2" {}
                        @for (i, l) in name_lines.iter().enumerate() {
                            text.role-name x=(x + 10) y=(y + 22 + i as i64 * 19) fill=(text) { (l) }
                        }
                        @if !sub.is_empty() {
                            text.role-sub x=(x + 10) y=(y + h - 12) fill=(text) { (sub) }
                        }
                        @if let Some(RoleStanding::Open { progress }) = st {
                            rect x=(x + 10) y=(y + h - 6) width=(((W - 20) as f64 * progress.clamp(0.0, 1.0)) as i64) height="3" fill=(color) {}
                        }
                    }
                }
            }
            // Legend.
            @for (i, d) in legend.into_iter().enumerate() {
                @let (color, dash, label) = direction_style(d);
                @let lx = 20 + i as i64 * ((width - 40) / 4).max(150);
                g aria-hidden="true" {
                    line x1=(lx) y1=(ly) x2=(lx + 36) y2=(ly) stroke=(color) stroke-width="3" stroke-dasharray=(dash) {}
                    text x=(lx + 42) y=(ly + 5) { (label) }
                }
            }
        }
    }
}

/// One role's page: what it is, where it leads, what each way in asks for, and (signed in)
/// where the educator stands on each requirement.
pub struct RolePage<'a> {
    pub defs: &'a Definitions,
    pub org: &'a str,
    pub role: &'a str,
    /// The signed-in educator's standing and evaluation, if any.
    pub mine: Option<(&'a Standing, &'a Evaluation)>,
}

pub fn role_page(p: &RolePage<'_>) -> Markup {
    let defs = p.defs;
    let Some(role) = defs.role(p.role) else {
        return html! { h1 { "Role not found" } };
    };
    let g = defs.role_graph();
    let into: Vec<_> = g.edges.iter().filter(|e| e.to == role.id).collect();
    let out: Vec<_> = g.edges.iter().filter(|e| e.from == role.id).collect();
    let st = p.mine.map(|(s, _)| s.role(p.role));
    let status = p.mine.and_then(|(_, e)| e.role(p.role));
    html! {
        p { a href={ "/pathways?org=" (crate::web::urlencode_component(p.org)) } { "← Pathway map" } }
        h1 { (role.name) }
        @if !role.description.is_empty() { p { (role.description) } }
        @if let Some(st) = st {
            p.card #my-standing {
                strong { "Where you stand: " } (standing_words(st))
                @if let RoleStanding::Open { .. } = st {
                    " "
                    svg.progress role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(st.percent()) aria-label={ "Progress toward " (role.name) }
                        viewBox="0 0 100 1" preserveAspectRatio="none" {
                        rect width=(st.percent()) height="1" {}
                    }
                    " " a href={ "/dashboard?target=" (crate::web::urlencode_component(p.role)) } { "See your plan to " (role.name) }
                }
            }
        }
        @if let Some(a) = &role.awards {
            p { "Reaching it awards the credential " a href={ "/orgs/" (p.org) "/achievements/" (a.as_str()) } { (achievement_name(defs, a.as_str())) } "." }
        }
        h2 { "How to get here" }
        @if let Some(entry) = &role.entry {
            section.card {
                h3 { "Start here directly" }
                p { "It asks for " (describe_condition(defs, entry)) "." }
                @if let Some(c) = status.and_then(|s| s.entry.as_ref()) { (requirement_list(defs, c)) }
            }
        }
        @for e in &into {
            section.card.transition data-from=(e.from.as_str()) {
                h3 { "From " a href=(role_href(p.org, e.from.as_str())) { (role_name(defs, e.from.as_str())) } " (" (direction_style(e.direction).2) ")" }
                p { "It asks for " (describe_condition(defs, &e.requires)) "." }
                @if let Some(t) = status.and_then(|s| s.transitions.iter().find(|t| t.from == e.from)) {
                    (requirement_list(defs, &t.requires))
                }
            }
        }
        @if role.entry.is_none() && into.is_empty() { p { "No transition leads here yet." } }
        @if !out.is_empty() {
            h2 { "Where it leads" }
            ul {
                @for e in &out {
                    li { a href=(role_href(p.org, e.to.as_str())) { (role_name(defs, e.to.as_str())) } " (" (direction_style(e.direction).2) ")" }
                }
            }
        }
    }
}

/// A requirement's status tree as a list: each part met or still to do, in words.
pub fn requirement_list(defs: &Definitions, c: &ConditionStatus) -> Markup {
    html! {
        ul.requirements { (requirement_item(defs, c)) }
    }
}

fn requirement_item(defs: &Definitions, c: &ConditionStatus) -> Markup {
    let mark = if c.met { "✔ done: " } else { "✘ to do: " };
    let class = if c.met { "req met" } else { "req open" };
    match &c.node {
        NodeStatus::AllOf { children } if !children.is_empty() => html! {
            @for ch in children { (requirement_item(defs, ch)) }
        },
        NodeStatus::AnyOf { children } | NodeStatus::AtLeast { children, .. } => {
            let head = match &c.node {
                NodeStatus::AtLeast { n, .. } => format!("{n} of these"),
                _ => "one of these".to_owned(),
            };
            html! {
                li class=(class) { (mark) (head)
                    ul { @for ch in children { (requirement_item(defs, ch)) } }
                }
            }
        }
        _ => html! { li class=(class) { (mark) (leaf_words(defs, c)) } },
    }
}

/// One requirement with where the educator is on it ("2 of 3 competencies in technical skills").
fn leaf_words(defs: &Definitions, c: &ConditionStatus) -> String {
    match &c.node {
        NodeStatus::Credential { achievement } => achievement_name(defs, achievement.as_str()),
        NodeStatus::Stack { stack } => defs
            .stack(stack.as_str())
            .map(|s| format!("the {} certificate", s.name))
            .unwrap_or_else(|| stack.as_str().to_owned()),
        NodeStatus::CompetenciesInCategory {
            category,
            count,
            have,
        } => format!(
            "{count} competencies in {} (you have {})",
            category_words(*category),
            have.min(count)
        ),
        NodeStatus::YearsExperience { min, have } => {
            let years = |y: f64| {
                if (y - 1.0).abs() < f64::EPSILON {
                    "1 year".to_owned()
                } else {
                    format!("{y} years")
                }
            };
            format!("{} of experience (you have {})", years(*min), years(*have))
        }
        NodeStatus::Endorsements { role, count, have } => format!(
            "{count} endorsement{} from a {} (you have {})",
            if *count == 1 { "" } else { "s" },
            role_name(defs, role.as_str()),
            have.min(count)
        ),
        NodeStatus::Rotations {
            roles,
            count,
            completed,
        } => format!(
            "{count} rotations among {} (you have {})",
            and_list(
                &roles
                    .iter()
                    .map(|r| role_name(defs, r.as_str()))
                    .collect::<Vec<_>>()
            ),
            completed.len().min(*count as usize)
        ),
        _ => "nothing more".to_owned(),
    }
}

/// Where the educator stands on every role (the numbers the map shows), with what each open
/// role still needs by competency category.
pub fn progress_section(
    defs: &Definitions,
    org: &str,
    eval: &Evaluation,
    standing: &Standing,
) -> Markup {
    html! {
        h2 #progress { "Progress on every role" }
        table.progress-table {
            thead { tr { th { "Role" } th { "Where you stand" } th { "Still needed" } } }
            tbody {
                @for (id, st) in &standing.roles {
                    @let name = role_name(defs, id);
                    tr data-role=(id) data-standing=(standing_code(*st)) {
                        th scope="row" { a href=(role_href(org, id)) { (name) } }
                        td {
                            @if let RoleStanding::Open { .. } = st {
                                // An SVG bar: its width is an attribute, not an inline style (the
                                // CSP allows no inline styles).
                                svg.progress role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(st.percent()) aria-label={ "Progress toward " (name) }
                                    viewBox="0 0 100 1" preserveAspectRatio="none" {
                                    rect width=(st.percent()) height="1" {}
                                }
                                " "
                            }
                            (standing_words(*st))
                        }
                        td {
                            @match (st, eval.role(id)) {
                                (RoleStanding::Open { .. }, Some(r)) => (gap_words(defs, r)),
                                _ => "—",
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What an open role still needs, by competency category: "technical skills: 2 of 3
/// competencies; needs Data Practices II". A category with nothing asked and nothing missing
/// is left out, so no count reads "2/0".
fn gap_words(defs: &Definitions, r: &pathledger_core::RoleStatus) -> Markup {
    let lines: Vec<String> = r
        .gaps
        .iter()
        .filter_map(|g| {
            let mut parts = Vec::new();
            if g.evidenced < g.required {
                parts.push(format!("{} of {} competencies", g.evidenced, g.required));
            }
            if !g.missing_credentials.is_empty() {
                parts.push(format!(
                    "needs {}",
                    and_list(
                        &g.missing_credentials
                            .iter()
                            .map(|a| achievement_name(defs, a.as_str()))
                            .collect::<Vec<_>>()
                    )
                ));
            }
            (!parts.is_empty())
                .then(|| format!("{}: {}", category_words(g.category), parts.join("; ")))
        })
        .collect();
    html! {
        @for (i, l) in lines.iter().enumerate() {
            @if i > 0 { br; }
            (l)
        }
        @if lines.is_empty() { "Requirements other than credentials: see the role's page." }
    }
}

/// A standing as a code for tests and styles.
pub fn standing_code(s: RoleStanding) -> &'static str {
    match s {
        RoleStanding::Reached => "reached",
        RoleStanding::Passed => "passed",
        RoleStanding::Open { .. } => "open",
    }
}

/// The plan to a target role, with incentives.
pub fn plan_section(defs: &Definitions, plan: &Plan) -> Markup {
    if plan.already_met {
        return html! {
            p { "You already meet " strong { (role_name(defs, plan.target.as_str())) } "." }
        };
    }
    let route = plan
        .roles
        .iter()
        .map(|r| role_name(defs, r.as_str()))
        .collect::<Vec<_>>()
        .join(" → ");
    html! {
        p { "Route: " (route) }
        h3 { "Credentials to earn (" (plan.credentials.len()) ")" }
        ol.plan {
            @for a in &plan.credentials {
                li data-achievement=(a.as_str()) { (achievement_name(defs, a.as_str())) }
            }
            @if plan.credentials.is_empty() {
                li { "None: no further credentials needed." }
            }
        }
        @if !plan.remaining.is_empty() {
            h3 { "Other requirements" }
            ul {
                @for r in &plan.remaining {
                    li { "For " (role_name(defs, r.role.as_str())) ": " (describe_condition(defs, &r.condition)) }
                }
            }
        }
        @if !plan.incentives.is_empty() {
            h3 { "Incentives along the way" }
            ul {
                @for i in &plan.incentives {
                    li {
                        (defs.stack(i.stack.as_str()).map(|s| s.name.as_str()).unwrap_or(i.stack.as_str()))
                        ": " (super::format::describe_incentive(&i.incentive))
                    }
                }
            }
        }
    }
}
