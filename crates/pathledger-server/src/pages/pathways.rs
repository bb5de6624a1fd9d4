//! The pathway map (the role lattice as SVG) and the progress and plan sections of the
//! educator dashboard.

use std::collections::HashMap;

use maud::{html, Markup};
use pathledger_core::{Definitions, Direction, Evaluation, Plan};

use super::format::{
    achievement_name, describe_condition, kind, progress_there, role_name, role_state, truncate,
};

fn direction_style(d: Direction) -> (&'static str, &'static str, &'static str) {
    // (stroke colour, dash pattern, label): colour *and* line style tell directions apart.
    match d {
        Direction::Entry => ("#667085", "", "entry"),
        Direction::Depth => ("#0b5cad", "", "expert depth"),
        Direction::Breadth => ("#1a7f37", "8 5", "functional breadth"),
        Direction::Leadership => ("#6941c6", "2 4", "leadership"),
    }
}

const W: i64 = 190;
const H: i64 = 54;
const COL: i64 = 240;
const ROW: i64 = 80;

/// The pathway map page; `eval` is the signed-in educator's evaluation, if any.
pub fn pathway_page(defs: &Definitions, eval: Option<&Evaluation>) -> Markup {
    html! {
        h1 { "Pathway map" }
        p { "Educators advance in three directions: expert depth (solid), functional breadth (dashed) and team and organization leadership (dotted)." }
        @if eval.is_some() {
            p { "Filled boxes are roles you have reached; the others show how far along you are." }
        } @else {
            p { a href="/login" { "Sign in" } " to see where you stand." }
        }
        figure { (pathway_svg(defs, eval)) }
    }
}

/// The role lattice as an SVG graph; with an evaluation, the educator's met roles are filled
/// and each other role shows its progress. SVG children get explicit end tags (`{}`): the HTML
/// parser does not treat them as void elements.
pub fn pathway_svg(defs: &Definitions, eval: Option<&Evaluation>) -> Markup {
    let g = defs.role_graph();
    let mut per_level: HashMap<u32, i64> = HashMap::new();
    let mut pos: HashMap<String, (i64, i64)> = HashMap::new();
    let max_level = g.nodes.iter().filter_map(|n| n.level).max().unwrap_or(0);
    for n in &g.nodes {
        let level = n.level.unwrap_or(max_level + 1);
        let row = per_level.entry(level).or_insert(0);
        pos.insert(
            n.id.as_str().to_owned(),
            (20 + i64::from(level) * COL, 40 + *row * ROW),
        );
        *row += 1;
    }
    let width = 20 + i64::from(max_level + 2) * COL;
    let height = 60 + per_level.values().copied().max().unwrap_or(1) * ROW + 40;
    let ly = height - 30;
    let legend = [
        Direction::Entry,
        Direction::Depth,
        Direction::Breadth,
        Direction::Leadership,
    ];
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width="100%" role="img" aria-labelledby="map-title" {
            title #map-title { "Pathway map: roles and the transitions between them" }
            defs {
                marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a" {}
                }
            }
            @for e in &g.edges {
                @if let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(e.from.as_str()), pos.get(e.to.as_str())) {
                    @let (color, dash, label) = direction_style(e.direction);
                    @let (sx, sy, tx, ty) = (x1 + W, y1 + H / 2, x2, y2 + H / 2);
                    path class={ "edge edge-" (label.replace(' ', "-")) }
                        d=(format!("M {sx} {sy} C {} {sy}, {} {ty}, {tx} {ty}", x1 + W + 30, x2 - 30))
                        fill="none" stroke=(color) stroke-width="2" stroke-dasharray=(dash) marker-end="url(#arrow)" {
                        title { (e.from.as_str()) " → " (e.to.as_str()) ": " (label) }
                    }
                }
            }
            @for n in &g.nodes {
                @if let Some(&(x, y)) = pos.get(n.id.as_str()) {
                    @let status = eval.and_then(|ev| ev.role(n.id.as_str()));
                    @let met = status.is_some_and(|s| s.met);
                    @let progress = status.map(|s| s.progress).unwrap_or(0.0);
                    @let (color, _, _) = direction_style(n.direction);
                    @let fill = if met { color } else { "#ffffff" };
                    @let text = if met { "#ffffff" } else { "#1b1f24" };
                    @let sub = match status {
                        Some(s) if s.met => "✔ reached".to_string(),
                        Some(s) => progress_there(s.progress),
                        None => String::new(),
                    };
                    g.role.met[met] data-role=(n.id.as_str()) data-progress=(format!("{progress:.3}")) {
                        rect x=(x) y=(y) width=(W) height=(H) rx="10" fill=(fill) stroke=(color) stroke-width="2" {}
                        text x=(x + 10) y=(y + 22) fill=(text) font-weight="600" { (truncate(&n.name, 26)) }
                        text x=(x + 10) y=(y + 42) fill=(text) { (sub) }
                        @if status.is_some() && !met {
                            rect x=(x + 10) y=(y + H - 8) width=(((W - 20) as f64 * progress.clamp(0.0, 1.0)) as i64) height="4" fill=(color) {}
                        }
                    }
                }
            }
            // Legend.
            @for (i, d) in legend.into_iter().enumerate() {
                @let (color, dash, label) = direction_style(d);
                @let lx = 20 + i as i64 * 200;
                line x1=(lx) y1=(ly) x2=(lx + 40) y2=(ly) stroke=(color) stroke-width="3" stroke-dasharray=(dash) {}
                text x=(lx + 48) y=(ly + 4) { (label) }
            }
        }
    }
}

/// Progress bars per role and the gap by competency category.
pub fn progress_section(defs: &Definitions, eval: &Evaluation) -> Markup {
    html! {
        h2 { "Progress on every role" }
        table {
            thead { tr { th { "Role" } th { "State" } th { "Progress" } th { "Gap by competency category" } } }
            tbody {
                @for r in &eval.roles {
                    @let pct = (r.progress.clamp(0.0, 1.0) * 100.0).round();
                    @let name = role_name(defs, r.role.as_str());
                    @let gaps: Vec<_> = r
                        .gaps
                        .iter()
                        .filter(|g| g.evidenced < g.required || !g.missing_credentials.is_empty())
                        .collect();
                    tr data-role=(r.role.as_str()) {
                        th scope="row" { (name) }
                        td { (role_state(r.met)) }
                        td {
                            // An SVG bar: its width is an attribute, not an inline style (the CSP
                            // allows no inline styles).
                            svg.progress role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(pct) aria-label={ "Progress toward " (name) }
                                viewBox="0 0 100 1" preserveAspectRatio="none" {
                                rect width=(pct) height="1" {}
                            }
                            " " (pct) "%"
                        }
                        td {
                            @for (i, g) in gaps.iter().enumerate() {
                                @if i > 0 { br; }
                                (kind(&g.category)) ": " (g.evidenced) "/" (g.required) " competencies"
                                @if !g.missing_credentials.is_empty() {
                                    "; needs "
                                    (g.missing_credentials.iter().map(|a| achievement_name(defs, a.as_str())).collect::<Vec<_>>().join(", "))
                                }
                            }
                            @if gaps.is_empty() { "—" }
                        }
                    }
                }
            }
        }
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
