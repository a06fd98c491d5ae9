//! Loading a rule file: TOML to a compiled [`RuleSet`], or a [`LoadError`] naming every
//! mistake with its file, line and column.

use crate::compile::{self, BoolFn, CompileError, FpFn, Guards, Render, Scope, Uses};
use crate::error::{Diagnostic, LoadError};
use crate::fp;
use crate::source::{line_col, StrSpan};
use crate::window::{Aggregate, OfFn, WindowDef};
use finmon_model::Typology;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// What a rule asks for when it fires. Ordered: the decision is the strictest hit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Let it through (a hit is still recorded: e.g. an operation to report to the AFM).
    #[default]
    Allow,
    /// Hold for an analyst.
    Review,
    /// Refuse.
    Block,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Review => "review",
            Outcome::Block => "block",
        }
    }
}

/// How serious a hit is, for ordering an analyst's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<String>,
    description: Option<String>,
    version: Option<String>,
    #[serde(default)]
    attributes: Vec<Spanned<String>>,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default, rename = "window")]
    windows: Vec<RawWindow>,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    name: Spanned<String>,
    #[allow(dead_code)]
    description: Option<String>,
    key: Option<Spanned<String>>,
    keys: Option<Spanned<Vec<Spanned<String>>>>,
    aggregate: Aggregate,
    of: Option<Spanned<String>>,
    over: Spanned<String>,
    when: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    description: String,
    outcome: Outcome,
    severity: Severity,
    typology: Option<Spanned<String>>,
    when: Spanned<String>,
    reason: Spanned<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

/// A compiled rule.
pub(crate) struct Rule {
    pub id: Arc<str>,
    pub description: String,
    pub outcome: Outcome,
    pub severity: Severity,
    pub typology: Option<Typology>,
    pub guard: Guards,
    pub when: BoolFn,
    pub reason: Vec<Render>,
}

/// A rule as listed by [`RuleSet::rules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo<'a> {
    pub id: &'a str,
    pub description: &'a str,
    pub outcome: Outcome,
    pub severity: Severity,
    pub typology: Option<Typology>,
}

/// A window as listed by [`RuleSet::windows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowInfo<'a> {
    pub name: &'a str,
    pub aggregate: Aggregate,
    /// Span in seconds.
    pub span_secs: i64,
    /// Fingerprint of the definition (see [`crate::Engine::replace_rules`]).
    pub signature: u64,
}

/// A compiled rule file: the rules (enabled ones only, in file order) and the windows they
/// read. Immutable; an engine takes it whole.
pub struct RuleSet {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) windows: Vec<WindowDef>,
    /// Some expression reads `from.*` or `to.*`: resolve accounts per transaction.
    pub(crate) uses_reference: bool,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("name", &self.name)
            .field(
                "rules",
                &self.rules.iter().map(|r| &*r.id).collect::<Vec<_>>(),
            )
            .field(
                "windows",
                &self.windows.iter().map(|w| &w.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The Kazakhstan rule pack as shipped (`rules/kz.toml`).
pub const KZ_PACK: &str = include_str!("../../../rules/kz.toml");

impl RuleSet {
    /// Reads and compiles a rule file.
    pub fn load(path: impl AsRef<Path>) -> Result<RuleSet, LoadError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            file: file.clone(),
            source,
        })?;
        RuleSet::from_toml(&src, &file)
    }

    /// Compiles a rule file's text; `file` names it in diagnostics.
    pub fn from_toml(src: &str, file: &str) -> Result<RuleSet, LoadError> {
        let mut l = Loader {
            file,
            src,
            diags: Vec::new(),
        };
        let raw: RawFile = match toml::from_str(src) {
            Ok(r) => r,
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                l.at(at, e.message().trim_end().to_string());
                return Err(LoadError::Invalid(l.diags));
            }
        };
        let set = l.compile(raw);
        if l.diags.is_empty() {
            set.ok_or_else(|| LoadError::Invalid(Vec::new()))
        } else {
            l.diags.sort_by_key(|d| (d.line, d.column));
            Err(LoadError::Invalid(l.diags))
        }
    }

    /// The Kazakhstan pack shipped with finmon.
    pub fn kazakhstan() -> Result<RuleSet, LoadError> {
        RuleSet::from_toml(KZ_PACK, "rules/kz.toml")
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The enabled rules, in file order.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo<'_>> {
        self.rules.iter().map(|r| RuleInfo {
            id: &r.id,
            description: &r.description,
            outcome: r.outcome,
            severity: r.severity,
            typology: r.typology,
        })
    }

    pub fn windows(&self) -> impl Iterator<Item = WindowInfo<'_>> {
        self.windows.iter().map(|w| WindowInfo {
            name: &w.name,
            aggregate: w.agg,
            span_secs: w.span,
            signature: w.signature,
        })
    }
}

struct Loader<'s> {
    file: &'s str,
    src: &'s str,
    diags: Vec<Diagnostic>,
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// `90d`, `24h`, `15m`, `30s` in seconds.
fn duration(s: &str) -> Result<i64, String> {
    let bad = || {
        format!("'{s}' is not a duration: a whole number and a unit, s, m, h or d (e.g. 24h, 90d)")
    };
    let unit = s.chars().last().ok_or_else(bad)?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let n: i64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(format!("window span {s} must be positive"));
    }
    // At most ten years: longer spans would hold state for ever.
    n.checked_mul(mult)
        .filter(|&v| v <= 3_660 * 86_400)
        .ok_or_else(|| format!("window span {s} is longer than ten years"))
}

/// A reason template split into text and `{expression}` placeholders: `(start, end)` byte
/// ranges of the expressions in the template, or the offset and message of a mistake.
enum Piece {
    Text(String),
    Expr(Range<usize>),
}

fn split_template(t: &str) -> Result<Vec<Piece>, (usize, String)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => {
                text.push('{');
                i += 2;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => {
                text.push('}');
                i += 2;
            }
            b'}' => {
                return Err((
                    i,
                    "unmatched '}' in the reason (write '}}' for a brace)".into(),
                ))
            }
            b'{' => {
                let start = i + 1;
                let mut j = start;
                let mut quote: Option<u8> = None;
                while j < b.len() {
                    match (quote, b[j]) {
                        (Some(_), b'\\') => j += 1,
                        (Some(q), c) if c == q => quote = None,
                        (None, c @ (b'\'' | b'"')) => quote = Some(c),
                        (None, b'}') => break,
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err((
                        i,
                        "unclosed '{' in the reason (write '{{' for a brace)".into(),
                    ));
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Expr(start..j));
                i = j + 1;
            }
            _ => {
                let ch = t[i..].chars().next().unwrap_or('\u{fffd}');
                text.push(ch);
                i += ch.len_utf8().max(1);
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

impl Loader<'_> {
    fn at(&mut self, offset: usize, message: String) {
        let (line, column) = line_col(self.src, offset);
        self.diags.push(Diagnostic {
            file: self.file.to_string(),
            line,
            column,
            message,
        });
    }

    fn span_of(&self, s: &Spanned<String>) -> StrSpan {
        StrSpan::new(self.src, s.span(), s.get_ref())
    }

    /// Compiles one expression of the file, reporting a mistake at its place in the file.
    fn expr<T>(
        &mut self,
        s: &Spanned<String>,
        what: &str,
        f: impl FnOnce(&compile::Parsed<'_>) -> Result<T, CompileError>,
    ) -> Option<(T, String)> {
        let span = self.span_of(s);
        self.expr_in(s.get_ref(), &span, what, f)
    }

    fn expr_in<T>(
        &mut self,
        text: &str,
        span: &StrSpan,
        what: &str,
        f: impl FnOnce(&compile::Parsed<'_>) -> Result<T, CompileError>,
    ) -> Option<(T, String)> {
        let result = compile::parse(text).and_then(|p| f(&p).map(|v| (v, p.canonical())));
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.at(span.file_offset(e.offset), format!("{what}: {}", e.message));
                None
            }
        }
    }

    fn compile(&mut self, raw: RawFile) -> Option<RuleSet> {
        let mut attributes = BTreeSet::new();
        for a in &raw.attributes {
            let name = a.get_ref();
            if !is_identifier(name) {
                self.at(
                    a.span().start,
                    format!("attribute name '{name}' is not an identifier"),
                );
            } else if !attributes.insert(name.clone()) {
                self.at(
                    a.span().start,
                    format!("attribute '{name}' is declared twice"),
                );
            }
        }
        let mut lists = BTreeMap::new();
        for (name, items) in raw.lists {
            if !is_identifier(&name) {
                self.at(
                    items.span().start,
                    format!("list name '{name}' is not an identifier"),
                );
            }
            lists.insert(name, items.into_inner());
        }
        let mut uses_reference = false;

        // Windows: compiled without access to other windows.
        let no_windows = Scope {
            attributes: &attributes,
            lists: &lists,
            windows: None,
        };
        let mut windows = Vec::new();
        let mut names: Vec<(String, bool)> = Vec::new();
        for w in raw.windows {
            let name = w.name.get_ref().clone();
            if !is_identifier(&name) {
                self.at(
                    w.name.span().start,
                    format!("window name '{name}' is not an identifier"),
                );
            } else if names.iter().any(|(n, _)| *n == name) {
                self.at(
                    w.name.span().start,
                    format!("window '{name}' is defined twice"),
                );
            }
            let compiled = self.window(w, &no_windows);
            let money = compiled.as_ref().is_some_and(|(d, _)| d.money);
            names.push((name, money));
            if let Some((def, uses)) = compiled {
                uses_reference |= uses.reference;
                windows.push(def);
            }
        }

        let scope = Scope {
            attributes: &attributes,
            lists: &lists,
            windows: Some(&names),
        };
        let mut rules = Vec::new();
        let mut ids = BTreeSet::new();
        for r in raw.rules {
            let id = r.id.get_ref().clone();
            if id.trim().is_empty() {
                self.at(r.id.span().start, "rule id is empty".into());
            } else if !ids.insert(id.clone()) {
                self.at(r.id.span().start, format!("rule '{id}' is defined twice"));
            }
            let typology = match &r.typology {
                None => None,
                Some(t) => match Typology::parse(t.get_ref()) {
                    Some(t) => Some(t),
                    None => {
                        self.at(
                            t.span().start,
                            format!(
                                "unknown typology '{}' (expected one of {})",
                                t.get_ref(),
                                Typology::expected()
                            ),
                        );
                        None
                    }
                },
            };
            let when = self.expr(&r.when, &format!("rule {id}: when"), |p| {
                compile::condition(p, &scope)
            });
            let reason = self.reason(&r.reason, &id, &scope);
            let (Some(((when, guard, u1), _)), Some((reason, u2))) = (when, reason) else {
                continue;
            };
            if !r.enabled {
                continue;
            }
            uses_reference |= u1.reference || u2.reference;
            rules.push(Rule {
                id: Arc::from(id.as_str()),
                description: r.description,
                outcome: r.outcome,
                severity: r.severity,
                typology,
                guard,
                when,
                reason,
            });
        }
        if windows.len() != names.len() {
            return None; // a window failed: its diagnostic is recorded
        }
        Some(RuleSet {
            name: raw.name,
            description: raw.description,
            version: raw.version,
            rules,
            windows,
            uses_reference,
        })
    }

    fn reason(
        &mut self,
        s: &Spanned<String>,
        id: &str,
        scope: &Scope<'_>,
    ) -> Option<(Vec<Render>, Uses)> {
        let span = self.span_of(s);
        let pieces = match split_template(s.get_ref()) {
            Ok(p) => p,
            Err((at, msg)) => {
                self.at(span.file_offset(at), format!("rule {id}: reason: {msg}"));
                return None;
            }
        };
        let mut out = Vec::new();
        let mut uses = Uses::default();
        let mut ok = true;
        for p in pieces {
            match p {
                Piece::Text(t) => out.push(Render::Text(t)),
                Piece::Expr(r) => {
                    let text = &s.get_ref()[r.clone()];
                    let sub = span.slice(r.start, r.end);
                    match self.expr_in(text, &sub, &format!("rule {id}: reason placeholder"), |p| {
                        compile::render(p, scope)
                    }) {
                        Some(((render, u), _)) => {
                            uses.reference |= u.reference;
                            out.push(render);
                        }
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some((out, uses))
    }

    fn window(&mut self, w: RawWindow, scope: &Scope<'_>) -> Option<(WindowDef, Uses)> {
        let name = w.name.get_ref().clone();
        let what = |part: &str| format!("window {name}: {part}");
        let span = match duration(w.over.get_ref()) {
            Ok(s) => Some(s),
            Err(m) => {
                self.at(w.over.span().start, what(&m));
                None
            }
        };
        let key_exprs: Vec<Spanned<String>> = match (w.key, w.keys) {
            (Some(k), None) => vec![k],
            (None, Some(ks)) if !ks.get_ref().is_empty() => ks.into_inner(),
            (None, Some(ks)) => {
                self.at(
                    ks.span().start,
                    what("keys must name at least one expression"),
                );
                return None;
            }
            (Some(k), Some(_)) => {
                self.at(k.span().start, what("give either key or keys, not both"));
                return None;
            }
            (None, None) => {
                self.at(
                    w.name.span().start,
                    what("needs a key (or keys for a composite key)"),
                );
                return None;
            }
        };
        let mut uses = Uses::default();
        let mut canon = format!("agg={};span={span:?};", w.aggregate.as_str());
        let mut parts: Vec<FpFn> = Vec::new();
        let mut ok = true;
        let mut key_reads_reference = false;
        for k in &key_exprs {
            match self.expr(k, &what("key"), |p| compile::fingerprint(p, scope)) {
                Some(((f, u), c)) => {
                    key_reads_reference |= u.reference;
                    merge(&mut uses, u);
                    canon.push_str(&format!("key={c};"));
                    parts.push(f);
                }
                None => ok = false,
            }
        }
        let mut guard = Guards::any();
        let when = match &w.when {
            None => None,
            Some(s) => match self.expr(s, &what("when"), |p| compile::condition(p, scope)) {
                Some(((f, g, u), c)) => {
                    merge(&mut uses, u);
                    canon.push_str(&format!("when={c};"));
                    guard = g;
                    Some(f)
                }
                None => {
                    ok = false;
                    None
                }
            },
        };
        let mut money = false;
        let of = match (w.aggregate, &w.of) {
            (Aggregate::Count, None) => OfFn::None,
            (Aggregate::Count, Some(o)) => {
                self.at(o.span().start, what("a count window takes no `of`"));
                return None;
            }
            (agg, None) => {
                self.at(
                    w.name.span().start,
                    what(&format!(
                        "a {} window needs `of`: the value to aggregate",
                        agg.as_str()
                    )),
                );
                return None;
            }
            (Aggregate::Distinct, Some(o)) => {
                match self.expr(o, &what("of"), |p| compile::fingerprint(p, scope)) {
                    Some(((f, u), c)) => {
                        merge(&mut uses, u);
                        canon.push_str(&format!("of={c};"));
                        OfFn::Fp(f)
                    }
                    None => return None,
                }
            }
            (_, Some(o)) => match self.expr(o, &what("of"), |p| compile::number(p, scope)) {
                Some(((f, m, u), c)) => {
                    merge(&mut uses, u);
                    canon.push_str(&format!("of={c};"));
                    money = m;
                    OfFn::Num(f)
                }
                None => return None,
            },
        };
        let span = span?;
        if !ok {
            return None;
        }
        // The definition's meaning also depends on the lists it reads.
        for l in &uses.lists {
            canon.push_str(&format!("list {l}={:?};", scope.lists.get(l)));
        }
        let key: FpFn = if parts.len() == 1 {
            parts.pop()?
        } else {
            Box::new(move |e| {
                let mut h = 0x6b65_7973; // "keys"
                for p in &parts {
                    h = fp::combine(h, p(e)?);
                }
                Some(h)
            })
        };
        Some((
            WindowDef {
                name,
                agg: w.aggregate,
                span,
                guard,
                when,
                key,
                key_reads_reference,
                of,
                money,
                signature: fp::bytes(0x0053_4947, canon.as_bytes()),
            },
            uses,
        ))
    }
}

fn merge(into: &mut Uses, u: Uses) {
    into.reference |= u.reference;
    into.lists.extend(u.lists);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("90d"), Ok(90 * 86_400));
        assert_eq!(duration("24h"), Ok(86_400));
        assert_eq!(duration("15m"), Ok(900));
        assert_eq!(duration("30s"), Ok(30));
        for bad in ["", "d", "90", "1.5h", "-1d", "0h", "90 d", "1w", "99999d"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates() {
        let p = split_template("a {x} {{b}} {'}'} c").unwrap();
        let desc: Vec<String> = p
            .iter()
            .map(|p| match p {
                Piece::Text(t) => format!("T{t}"),
                Piece::Expr(r) => format!("E{r:?}"),
            })
            .collect();
        assert_eq!(desc, ["Ta ", "E3..4", "T {b} ", "E13..16", "T c"]);
        assert!(split_template("a {x").is_err());
        assert!(split_template("a }").is_err());
    }
}
