//! A picture of a group: members as nodes by kind, money as edges whose width grows with the
//! amount. Layered left to right along the flow (where the money enters, the accounts it
//! passes, where it leaves as cash); a ring with no entry point is drawn as a circle.

use crate::Group;
use finmon_model::Kzt;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write;

const W_COL: f64 = 230.0;
const H_ROW: f64 = 56.0;
const MARGIN: f64 = 60.0;
/// Room on the right for the legend.
const LEGEND: f64 = 150.0;
const RADIUS: f64 = 9.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill colour and label prefix of a node, from its id and the member's role.
fn style(node: &str, role: Option<&str>) -> (&'static str, &'static str) {
    if node.starts_with("atm:") || node == "cash" {
        return ("#9e9e9e", "cash");
    }
    match role.unwrap_or("") {
        r if r.contains("organiser") => ("#c62828", "organiser"),
        r if r.contains("drop") => ("#ef6c00", "drop card"),
        r if r.contains("firm") => ("#6a1b9a", "firm"),
        r if r.contains("exchange") || r.contains("trader") => ("#1565c0", "exchange"),
        _ => ("#546e7a", "account"),
    }
}

impl Group {
    /// The group as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let mut nodes: BTreeSet<&str> = BTreeSet::new();
        for (a, b) in self.edges.keys() {
            nodes.insert(a);
            nodes.insert(b);
        }
        let nodes: Vec<&str> = nodes.into_iter().collect();
        let index: BTreeMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut out_e: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        let mut indeg = vec![0usize; nodes.len()];
        for (a, b) in self.edges.keys() {
            let (i, j) = (index[a.as_str()], index[b.as_str()]);
            if i != j {
                out_e[i].push(j);
                indeg[j] += 1;
            }
        }
        // Depth by breadth-first search from the entry points.
        let mut depth: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut queue: VecDeque<usize> = (0..nodes.len()).filter(|&i| indeg[i] == 0).collect();
        for &i in &queue {
            depth[i] = Some(0);
        }
        while let Some(i) = queue.pop_front() {
            let d = depth[i].unwrap_or(0);
            for &j in &out_e[i] {
                if depth[j].is_none() {
                    depth[j] = Some(d + 1);
                    queue.push_back(j);
                }
            }
        }
        let ring = depth.iter().all(Option::is_none);
        let mut pos = vec![(0.0f64, 0.0f64); nodes.len()];
        let (width, height);
        if ring {
            let n = nodes.len().max(1) as f64;
            let r = (n * 40.0).max(140.0);
            for (i, p) in pos.iter_mut().enumerate() {
                let a = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
                *p = (
                    MARGIN + r + 80.0 + r * a.cos(),
                    MARGIN + 40.0 + r + r * a.sin(),
                );
            }
            width = 2.0 * (MARGIN + r + 80.0) + LEGEND;
            height = 2.0 * (MARGIN + r) + 80.0;
        } else {
            let last = depth.iter().flatten().max().copied().unwrap_or(0);
            let mut cols: Vec<Vec<usize>> = vec![Vec::new(); last + 2];
            for (i, d) in depth.iter().enumerate() {
                // Nodes only reachable through a cycle go in an extra last column.
                cols[d.unwrap_or(last + 1)].push(i);
            }
            cols.retain(|c| !c.is_empty());
            let rows = cols.iter().map(Vec::len).max().unwrap_or(1) as f64;
            height = (MARGIN * 2.0 + 40.0 + rows * H_ROW).max(200.0);
            width = (MARGIN * 2.0 + 140.0 + (cols.len().saturating_sub(1)) as f64 * W_COL)
                .max(520.0)
                + LEGEND;
            for (c, col) in cols.iter().enumerate() {
                let off = (rows - col.len() as f64) * H_ROW / 2.0;
                for (r, &i) in col.iter().enumerate() {
                    pos[i] = (
                        MARGIN + 70.0 + c as f64 * W_COL,
                        MARGIN + 40.0 + off + (r as f64 + 0.5) * H_ROW,
                    );
                }
            }
        }
        let max = self.edges.values().map(|k| k.0).max().unwrap_or(1).max(1) as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
        );
        let _ = writeln!(
            s,
            r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#607d8b"/></marker></defs>"##
        );
        let _ = writeln!(
            s,
            r#"<rect width="100%" height="100%" fill="white"/><text x="20" y="24" font-size="15" font-weight="bold">{} {}</text><text x="20" y="44" font-size="12">{} in, {} out as cash, {} transactions</text>"#,
            esc(self.kind.as_str()),
            esc(&self.id),
            self.volume_in.grouped(),
            self.cashed_out.grouped(),
            self.transactions
        );
        for ((a, b), kzt) in &self.edges {
            let (i, j) = (index[a.as_str()], index[b.as_str()]);
            if i == j {
                continue;
            }
            let ((x1, y1), (x2, y2)) = (pos[i], pos[j]);
            // Stop at the rim of the target, so the arrowhead shows.
            let len = ((x2 - x1).powi(2) + (y2 - y1).powi(2)).sqrt().max(1.0);
            let (x2, y2) = (
                x2 - (x2 - x1) * (RADIUS + 2.0) / len,
                y2 - (y2 - y1) * (RADIUS + 2.0) / len,
            );
            let w = 1.0 + 7.0 * ((kzt.0 as f64).ln_1p() / max.ln_1p()).powi(3);
            let _ = writeln!(
                s,
                r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#90a4ae" stroke-width="{w:.1}" marker-end="url(#arrow)"><title>{} → {}: {} KZT</title></line>"##,
                esc(a),
                esc(b),
                kzt
            );
        }
        for (i, n) in nodes.iter().enumerate() {
            let id = n.split_once(':').map_or(*n, |(_, v)| v);
            let role = self.accounts.get(id).map(String::as_str);
            let (fill, label) = style(n, role);
            let (x, y) = pos[i];
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="{RADIUS}" fill="{fill}"><title>{label} {}</title></circle><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                esc(id),
                x,
                y + 22.0,
                esc(id)
            );
        }
        // Legend.
        let mut ly = height - 16.0;
        for (fill, label) in [
            ("#c62828", "organiser"),
            ("#ef6c00", "drop card"),
            ("#6a1b9a", "firm"),
            ("#1565c0", "exchange / P2P trader"),
            ("#546e7a", "account"),
            ("#9e9e9e", "cash / ATM"),
        ]
        .iter()
        .rev()
        {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.0}" cy="{ly:.0}" r="5" fill="{fill}"/><text x="{:.0}" y="{:.0}">{label}</text>"#,
                width - 120.0,
                width - 110.0,
                ly + 4.0
            );
            ly -= 16.0;
        }
        s.push_str("</svg>\n");
        s
    }

    /// Total money on the group's edges.
    pub fn edge_total(&self) -> Kzt {
        Kzt(self.edges.values().map(|k| k.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Group, GroupKind};
    use finmon_model::Kzt;

    #[test]
    fn a_flow_is_layered_and_a_ring_is_a_circle() {
        let mut g = Group::new("NET-1".into(), GroupKind::CashOutNetwork);
        g.accounts.insert("ORG".into(), "organiser account".into());
        g.accounts.insert("C1".into(), "drop card".into());
        g.edges
            .insert(("account:ORG".into(), "account:C1".into()), Kzt(100));
        g.edges
            .insert(("account:C1".into(), "atm:A<1>".into()), Kzt(90));
        let svg = g.to_svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<line").count(), 2);
        assert!(
            svg.contains("#c62828") && svg.contains("#ef6c00"),
            "nodes by kind"
        );
        assert!(svg.contains("A&lt;1&gt;"), "text is escaped");
        let mut ring = Group::new("RING-1".into(), GroupKind::ShellRing);
        for (a, b) in [("A", "B"), ("B", "C"), ("C", "A")] {
            ring.edges
                .insert((format!("account:{a}"), format!("account:{b}")), Kzt(5));
        }
        assert_eq!(ring.to_svg().matches("<circle cx").count(), 3 + 6);
        assert_eq!(ring.edge_total(), Kzt(15));
    }
}
