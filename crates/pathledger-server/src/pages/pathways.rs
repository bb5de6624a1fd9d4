//! The pathway map (the role lattice as SVG) and the educator dashboard.

use std::collections::HashMap;

use pathledger_core::{Definitions, Direction, Evaluation, Plan};

use super::esc;

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

/// The role lattice as an SVG graph; with an evaluation, the educator's met roles are filled
/// and each other role shows its progress.
pub fn pathway_svg(defs: &Definitions, eval: Option<&Evaluation>) -> String {
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
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"map-title\">\
<title id=\"map-title\">Pathway map: roles and the transitions between them</title>\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#57606a\"/></marker></defs>"
    );
    for e in &g.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(e.from.as_str()), pos.get(e.to.as_str()))
        else {
            continue;
        };
        let (color, dash, label) = direction_style(e.direction);
        out.push_str(&format!(
            "<path class=\"edge edge-{label_class}\" d=\"M {sx} {sy} C {c1} {sy}, {c2} {ty}, {tx} {ty}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\" marker-end=\"url(#arrow)\"><title>{from} → {to}: {label}</title></path>",
            label_class = label.replace(' ', "-"),
            sx = x1 + W,
            sy = y1 + H / 2,
            tx = x2,
            ty = y2 + H / 2,
            c1 = x1 + W + 30,
            c2 = x2 - 30,
            from = esc(e.from.as_str()),
            to = esc(e.to.as_str()),
        ));
    }
    for n in &g.nodes {
        let Some(&(x, y)) = pos.get(n.id.as_str()) else {
            continue;
        };
        let status = eval.and_then(|ev| ev.role(n.id.as_str()));
        let met = status.is_some_and(|s| s.met);
        let progress = status.map(|s| s.progress).unwrap_or(0.0);
        let (color, _, _) = direction_style(n.direction);
        let fill = if met { color } else { "#ffffff" };
        let text = if met { "#ffffff" } else { "#1b1f24" };
        let sub = match status {
            Some(s) if s.met => "✔ reached".to_string(),
            Some(s) => format!("{:.0}% there", s.progress * 100.0),
            None => String::new(),
        };
        out.push_str(&format!(
            "<g class=\"role{met_class}\" data-role=\"{id}\" data-progress=\"{progress:.3}\"><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"10\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"2\"/>\
<text x=\"{tx}\" y=\"{ty}\" fill=\"{text}\" font-weight=\"600\">{name}</text><text x=\"{tx}\" y=\"{ty2}\" fill=\"{text}\">{sub}</text>",
            met_class = if met { " met" } else { "" },
            id = esc(n.id.as_str()),
            tx = x + 10,
            ty = y + 22,
            ty2 = y + 42,
            name = esc(&truncate(&n.name, 26)),
            sub = esc(&sub),
        ));
        if status.is_some() && !met {
            let bw = ((W - 20) as f64 * progress.clamp(0.0, 1.0)) as i64;
            out.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"4\" fill=\"{color}\"/>",
                x + 10,
                y + H - 8,
                bw
            ));
        }
        out.push_str("</g>");
    }
    // Legend.
    let ly = height - 30;
    for (i, d) in [
        Direction::Entry,
        Direction::Depth,
        Direction::Breadth,
        Direction::Leadership,
    ]
    .into_iter()
    .enumerate()
    {
        let (color, dash, label) = direction_style(d);
        let lx = 20 + i as i64 * 200;
        out.push_str(&format!(
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"{}\">{label}</text>",
            lx + 40,
            lx + 48,
            ly + 4
        ));
    }
    out.push_str("</svg>");
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn role_name(defs: &Definitions, id: &str) -> String {
    defs.role(id)
        .map(|r| r.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

fn achievement_name(defs: &Definitions, id: &str) -> String {
    defs.achievement(id)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// Progress bars per role and the gap by competency category.
pub fn progress_section(defs: &Definitions, eval: &Evaluation) -> String {
    let mut rows = String::new();
    for r in &eval.roles {
        let pct = (r.progress.clamp(0.0, 1.0) * 100.0).round();
        let gaps: Vec<String> = r
            .gaps
            .iter()
            .filter(|g| g.evidenced < g.required || !g.missing_credentials.is_empty())
            .map(|g| {
                format!(
                    "{}: {}/{} competencies{}",
                    esc(&format!("{:?}", g.category)),
                    g.evidenced,
                    g.required,
                    if g.missing_credentials.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; needs {}",
                            esc(&g
                                .missing_credentials
                                .iter()
                                .map(|a| achievement_name(defs, a.as_str()))
                                .collect::<Vec<_>>()
                                .join(", "))
                        )
                    }
                )
            })
            .collect();
        rows.push_str(&format!(
            "<tr data-role=\"{id}\"><th scope=\"row\">{name}</th><td>{state}</td><td><span class=\"progress\" role=\"progressbar\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"{pct}\" aria-label=\"Progress toward {name}\"><span style=\"width:{pct}%\"></span></span> {pct}%</td><td>{gaps}</td></tr>",
            id = esc(r.role.as_str()),
            name = esc(&role_name(defs, r.role.as_str())),
            state = if r.met { "✔ reached" } else { "in progress" },
            gaps = if gaps.is_empty() { "—".to_string() } else { gaps.join("<br>") },
        ));
    }
    format!(
        "<h2>Progress on every role</h2><table><thead><tr><th>Role</th><th>State</th><th>Progress</th><th>Gap by competency category</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// The plan to a target role, with incentives.
pub fn plan_section(defs: &Definitions, plan: &Plan) -> String {
    if plan.already_met {
        return format!(
            "<p>You already meet <strong>{}</strong>.</p>",
            esc(&role_name(defs, plan.target.as_str()))
        );
    }
    let creds: String = plan
        .credentials
        .iter()
        .map(|a| {
            format!(
                "<li data-achievement=\"{}\">{}</li>",
                esc(a.as_str()),
                esc(&achievement_name(defs, a.as_str()))
            )
        })
        .collect();
    let roles: Vec<String> = plan
        .roles
        .iter()
        .map(|r| esc(&role_name(defs, r.as_str())))
        .collect();
    let remaining: String = plan
        .remaining
        .iter()
        .map(|r| {
            format!(
                "<li>For {}: {}</li>",
                esc(&role_name(defs, r.role.as_str())),
                esc(&describe_condition(&r.condition))
            )
        })
        .collect();
    let incentives: String = plan
        .incentives
        .iter()
        .map(|i| {
            format!(
                "<li>{}: {} {}{}</li>",
                esc(defs
                    .stack(i.stack.as_str())
                    .map(|s| s.name.as_str())
                    .unwrap_or(i.stack.as_str())),
                esc(&format!("{:?}", i.incentive.kind)),
                i.incentive.amount,
                esc(&i
                    .incentive
                    .currency
                    .clone()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default())
            )
        })
        .collect();
    format!(
        "<p>Route: {route}</p><h3>Credentials to earn ({n})</h3><ol class=\"plan\">{creds}</ol>{rem}{inc}",
        route = roles.join(" → "),
        n = plan.credentials.len(),
        creds = if creds.is_empty() { "<li>None: no further credentials needed.</li>".to_string() } else { creds },
        rem = if remaining.is_empty() { String::new() } else { format!("<h3>Other requirements</h3><ul>{remaining}</ul>") },
        inc = if incentives.is_empty() { String::new() } else { format!("<h3>Incentives along the way</h3><ul>{incentives}</ul>") },
    )
}

/// A short plain-language description of a requirement.
pub fn describe_condition(c: &pathledger_core::Condition) -> String {
    serde_json::to_string(c).unwrap_or_default()
}
