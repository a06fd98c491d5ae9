//! CEL to typed closures.
//!
//! An expression is parsed once by `cel`'s parser, then compiled bottom-up into a [`Node`]: a
//! compile-time constant, or a boxed closure of a known result type (`Tri` for conditions,
//! `Option<i64>` for ints, tiyn and times, `Option<&str>` for text, `Option<u8>` for the token
//! fields). Identifiers are resolved here (a field becomes a closure reading it straight from
//! the parsed transaction or the reference row), constants are folded, literals compared with
//! money become exact tiyn thresholds, and string literals compared with token fields become
//! token indices (or bit masks for `in`). Nothing is looked up by name when deciding.

use crate::env::{Env, Side, Tri};
use crate::fp;
use cel::common::ast::{operators, CallExpr, Expr, IdedExpr, LiteralValue, SourceInfo};
use finmon_model::money::parse_decimal;
use finmon_model::{
    AccountKind, Biometric, Decimal, InstitutionKind, License, PartyKind, Timestamp, TxKind,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

pub(crate) type BoolFn = Box<dyn for<'a> Fn(&Env<'a>) -> Tri + Send + Sync>;
pub(crate) type NumFn = Box<dyn for<'a> Fn(&Env<'a>) -> Option<i64> + Send + Sync>;
pub(crate) type DecFn = Box<dyn for<'a> Fn(&Env<'a>) -> Option<Decimal> + Send + Sync>;
pub(crate) type StrFn = Box<dyn for<'a> Fn(&Env<'a>) -> Option<&'a str> + Send + Sync>;
pub(crate) type EnumFn = Box<dyn for<'a> Fn(&Env<'a>) -> Option<u8> + Send + Sync>;
pub(crate) type FpFn = Box<dyn for<'a> Fn(&Env<'a>) -> Option<u64> + Send + Sync>;
pub(crate) type RenderFn = Box<dyn for<'a> Fn(&Env<'a>, &mut String) + Send + Sync>;

// Constructors that pin the higher-ranked signature, so that closures infer it.
fn bool_fn(f: impl for<'a> Fn(&Env<'a>) -> Tri + Send + Sync + 'static) -> BoolFn {
    Box::new(f)
}
fn num_fn(f: impl for<'a> Fn(&Env<'a>) -> Option<i64> + Send + Sync + 'static) -> NumFn {
    Box::new(f)
}
fn dec_fn(f: impl for<'a> Fn(&Env<'a>) -> Option<Decimal> + Send + Sync + 'static) -> DecFn {
    Box::new(f)
}
fn str_fn(f: impl for<'a> Fn(&Env<'a>) -> Option<&'a str> + Send + Sync + 'static) -> StrFn {
    Box::new(f)
}
fn enum_fn(f: impl for<'a> Fn(&Env<'a>) -> Option<u8> + Send + Sync + 'static) -> EnumFn {
    Box::new(f)
}
fn fp_fn(f: impl for<'a> Fn(&Env<'a>) -> Option<u64> + Send + Sync + 'static) -> FpFn {
    Box::new(f)
}
fn render_fn(f: impl for<'a> Fn(&Env<'a>, &mut String) + Send + Sync + 'static) -> RenderFn {
    Box::new(f)
}

/// The closed vocabularies a field can hold: compared with string literals that are checked
/// against the vocabulary at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnumKind {
    TxKind,
    Biometric,
    AccountKind,
    PartyKind,
    InstitutionKind,
    License,
}

impl EnumKind {
    fn name(self) -> &'static str {
        match self {
            EnumKind::TxKind => "transaction kind",
            EnumKind::Biometric => "biometric result",
            EnumKind::AccountKind => "account kind",
            EnumKind::PartyKind => "party kind",
            EnumKind::InstitutionKind => "institution kind",
            EnumKind::License => "licence",
        }
    }

    fn parse(self, s: &str) -> Option<u8> {
        match self {
            EnumKind::TxKind => TxKind::parse(s).map(|v| v as u8),
            EnumKind::Biometric => Biometric::parse(s).map(|v| v as u8),
            EnumKind::AccountKind => AccountKind::parse(s).map(|v| v as u8),
            EnumKind::PartyKind => PartyKind::parse(s).map(|v| v as u8),
            EnumKind::InstitutionKind => InstitutionKind::parse(s).map(|v| v as u8),
            EnumKind::License => License::parse(s).map(|v| v as u8),
        }
    }

    fn token(self, i: u8) -> &'static str {
        let i = usize::from(i);
        let t = match self {
            EnumKind::TxKind => TxKind::ALL.get(i).map(|v| v.as_str()),
            EnumKind::Biometric => Biometric::ALL.get(i).map(|v| v.as_str()),
            EnumKind::AccountKind => AccountKind::ALL.get(i).map(|v| v.as_str()),
            EnumKind::PartyKind => PartyKind::ALL.get(i).map(|v| v.as_str()),
            EnumKind::InstitutionKind => InstitutionKind::ALL.get(i).map(|v| v.as_str()),
            EnumKind::License => License::ALL.get(i).map(|v| v.as_str()),
        };
        t.unwrap_or("?")
    }

    fn expected(self) -> String {
        match self {
            EnumKind::TxKind => TxKind::expected(),
            EnumKind::Biometric => Biometric::expected(),
            EnumKind::AccountKind => AccountKind::expected(),
            EnumKind::PartyKind => PartyKind::expected(),
            EnumKind::InstitutionKind => InstitutionKind::expected(),
            EnumKind::License => License::expected(),
        }
    }
}

/// A value known at load time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    Bool(bool),
    /// Every number literal, exactly (a double literal is re-read from its source text).
    Num(Decimal),
    Str(String),
    List(Vec<String>),
    /// Seconds since the epoch, from `timestamp("…")`.
    Time(i64),
}

/// A token field read straight from the transaction or an account: comparisons with it
/// compile to one closure that reads the field itself (see [`token_test`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenField {
    TxKind,
    Biometric,
    /// `from.kind` (false) or `to.kind` (true).
    AccountKind(bool),
    HolderKind(bool),
    InstitutionKind(bool),
    License(bool),
}

/// A condition on a token field: `test` sees the field's token index (or `None` if absent)
/// and is inlined into the closure that reads the field.
fn token_test<T>(field: TokenField, test: T) -> BoolFn
where
    T: Fn(Option<u8>) -> Tri + Send + Sync + 'static,
{
    macro_rules! side {
        ($to:expr, |$s:ident| $read:expr) => {
            if $to {
                bool_fn(move |e| {
                    let $s = &e.to;
                    test($read)
                })
            } else {
                bool_fn(move |e| {
                    let $s = &e.from;
                    test($read)
                })
            }
        };
    }
    match field {
        TokenField::TxKind => bool_fn(move |e| test(Some(e.tx.kind as u8))),
        TokenField::Biometric => bool_fn(move |e| test(e.tx.biometric.map(|b| b as u8))),
        TokenField::AccountKind(to) => side!(to, |s| s.id.map(|_| s.kind() as u8)),
        TokenField::HolderKind(to) => side!(to, |s| s.holder().map(|p| p.kind as u8)),
        TokenField::InstitutionKind(to) => side!(to, |s| s.inst().map(|i| i.kind as u8)),
        TokenField::License(to) => {
            side!(to, |s| s.inst().and_then(|i| i.license).map(|l| l as u8))
        }
    }
}

/// A compiled expression.
pub(crate) enum Node {
    Const(Const),
    Bool(BoolFn),
    Int(NumFn),
    /// Tenge, in tiyn.
    Money(NumFn),
    Dec(DecFn),
    Str(StrFn),
    /// A token; the field it is read from, when it is one.
    Enum(EnumKind, EnumFn, Option<TokenField>),
    Time(NumFn),
}

impl Node {
    fn type_name(&self) -> String {
        match self {
            Node::Const(Const::Bool(_)) => "bool".into(),
            Node::Const(Const::Num(_)) => "number".into(),
            Node::Const(Const::Str(_)) => "string literal".into(),
            Node::Const(Const::List(_)) => "list".into(),
            Node::Const(Const::Time(_)) => "timestamp".into(),
            Node::Bool(_) => "bool".into(),
            Node::Int(_) => "int".into(),
            Node::Money(_) => "money (KZT)".into(),
            Node::Dec(_) => "decimal amount (original currency)".into(),
            Node::Str(_) => "string".into(),
            Node::Enum(k, _, _) => k.name().into(),
            Node::Time(_) => "timestamp".into(),
        }
    }
}

/// What an expression may name besides the transaction and its accounts.
pub(crate) struct Scope<'s> {
    /// Extra transaction attributes the file declares (`tx.<name>`).
    pub attributes: &'s BTreeSet<String>,
    /// Named string lists (`lists.<name>`).
    pub lists: &'s BTreeMap<String, Vec<String>>,
    /// Windows by name, in order, with whether each is money; `None` where windows cannot be
    /// read (inside window definitions).
    pub windows: Option<&'s [(String, bool)]>,
}

/// What a compiled expression reads, for the engine (is the reference needed?) and for window
/// signatures (which lists does a definition depend on?).
#[derive(Debug, Default, Clone)]
pub(crate) struct Uses {
    pub reference: bool,
    pub lists: BTreeSet<String>,
}

/// A mistake in an expression: a message and the byte offset in the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompileError {
    pub offset: usize,
    pub message: String,
}

/// A parsed expression, ready to compile.
pub(crate) struct Parsed<'s> {
    src: &'s str,
    expr: IdedExpr,
    info: SourceInfo,
}

impl Parsed<'_> {
    /// A canonical form of the expression (its syntax tree), for definition signatures:
    /// spacing and comments do not change it.
    pub(crate) fn canonical(&self) -> String {
        format!("{:?}", self.expr)
    }
}

/// Parses with `cel`'s parser. A syntax error is reported at its position in `src`.
pub(crate) fn parse(src: &str) -> Result<Parsed<'_>, CompileError> {
    match cel::parser::Parser::new().parse_with_source_info(src) {
        Ok((expr, info)) => Ok(Parsed { src, expr, info }),
        Err(errs) => {
            let (offset, message) = errs
                .errors
                .first()
                .map(|e| {
                    let (line, col) = (e.pos.0.max(1) as usize, e.pos.1.max(1) as usize);
                    let msg = e.msg.strip_prefix("Syntax error: ").unwrap_or(&e.msg);
                    (
                        crate::source::offset_of_line_col(src, line, col),
                        format!("CEL syntax error: {msg}"),
                    )
                })
                .unwrap_or((0, "CEL syntax error".to_string()));
            Err(CompileError { offset, message })
        }
    }
}

/// Simple tests a condition needs, taken at load time from its top-level conjunction
/// (`tx.kind == '…'`, `tx.kind in […]`, `tx.amount_kzt > n` and the other comparisons with a
/// literal, `has(tx.…)`, and `==` / `in` on the token fields of the accounts: `to.kind`,
/// `from.institution.kind`, `to.institution.license`, …) and checked inline before its closure
/// is called. A guard that fails means the condition is not true (`false && anything` is false
/// in CEL; a token field that is absent makes its conjunct an error), so the rule does not fire
/// and the window is not fed; the conjuncts a guard decides exactly are left out of the closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guard {
    /// Bit `k` for transaction kind `k`.
    pub kinds: u32,
    /// Least and greatest `tx.amount_kzt`, in tiyn.
    pub min_kzt: i64,
    pub max_kzt: i64,
    /// Presence bits (`PRESENT_*`) of optional fields.
    pub needs: u16,
    /// Token masks of the account fields of [`SIDE_FIELDS`]; `u8::MAX` admits anything, an
    /// absent value is admitted only by that.
    pub sides: [u8; 6],
}

/// The account token fields a guard can test, with their vocabulary.
const SIDE_FIELDS: [(&str, &str, &str, EnumKind); 6] = [
    ("from", "kind", "", EnumKind::AccountKind),
    ("to", "kind", "", EnumKind::AccountKind),
    ("from", "institution", "kind", EnumKind::InstitutionKind),
    ("to", "institution", "kind", EnumKind::InstitutionKind),
    ("from", "institution", "license", EnumKind::License),
    ("to", "institution", "license", EnumKind::License),
];

fn side_field_index(path: &[&str]) -> Option<(usize, EnumKind)> {
    SIDE_FIELDS
        .iter()
        .position(|&(a, b, c, _)| match path {
            [x, y] => *x == a && *y == b && c.is_empty(),
            [x, y, z] => *x == a && *y == b && *z == c,
            _ => false,
        })
        .map(|i| (i, SIDE_FIELDS[i].3))
}

/// The values of [`SIDE_FIELDS`] for a transaction's accounts.
#[inline]
fn side_value(i: usize, from: &Side<'_>, to: &Side<'_>) -> Option<u8> {
    let s = if i.is_multiple_of(2) { from } else { to };
    match i / 2 {
        0 => s.id.map(|_| s.kind() as u8),
        1 => s.inst().map(|x| x.kind as u8),
        _ => s.inst().and_then(|x| x.license).map(|l| l as u8),
    }
}

/// Alternatives: a condition whose top level is `a || b` passes if any disjunct's guard does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Guards(Vec<Guard>);

impl Guards {
    pub(crate) fn any() -> Guards {
        Guards(vec![Guard::ANY])
    }

    #[inline]
    pub(crate) fn admits(
        &self,
        tx: &crate::input::ParsedTx<'_>,
        present: u16,
        from: &Side<'_>,
        to: &Side<'_>,
    ) -> bool {
        self.0.iter().any(|g| g.admits(tx, present, from, to))
    }
}

pub(crate) const PRESENT_FIELDS: [&str; 8] = [
    "from_account",
    "to_account",
    "sender_iin",
    "atm_id",
    "biometric",
    "device_id",
    "ip",
    "reference",
];

/// The presence bits of a transaction's optional fields, in [`PRESENT_FIELDS`] order.
#[inline]
pub(crate) fn presence_bits(tx: &crate::input::ParsedTx<'_>) -> u16 {
    u16::from(tx.from_account.is_some())
        | u16::from(tx.to_account.is_some()) << 1
        | u16::from(tx.sender_iin.is_some()) << 2
        | u16::from(tx.atm_id.is_some()) << 3
        | u16::from(tx.biometric.is_some()) << 4
        | u16::from(tx.device_id.is_some()) << 5
        | u16::from(tx.ip.is_some()) << 6
        | u16::from(tx.reference.is_some()) << 7
}

impl Guard {
    pub(crate) const ANY: Guard = Guard {
        kinds: u32::MAX,
        min_kzt: i64::MIN,
        max_kzt: i64::MAX,
        needs: 0,
        sides: [u8::MAX; 6],
    };

    #[inline]
    pub(crate) fn admits(
        &self,
        tx: &crate::input::ParsedTx<'_>,
        present: u16,
        from: &Side<'_>,
        to: &Side<'_>,
    ) -> bool {
        self.kinds & (1 << (tx.kind as u32)) != 0
            && tx.amount_kzt.0 >= self.min_kzt
            && tx.amount_kzt.0 <= self.max_kzt
            && present & self.needs == self.needs
            && self.sides.iter().enumerate().all(|(i, &mask)| {
                mask == u8::MAX || side_value(i, from, to).is_some_and(|v| mask & (1 << v) != 0)
            })
    }
}

/// Compiles a condition (a rule's or a window's `when`), with its guard.
pub(crate) fn condition(
    p: &Parsed<'_>,
    scope: &Scope<'_>,
) -> Result<(BoolFn, Guards, Uses), CompileError> {
    let mut c = Compiler::new(p, scope);
    // The whole condition is compiled (and type-checked) first.
    let node = c.node(&p.expr)?;
    let whole =
        as_bool(node).map_err(|m| c.err(&p.expr, format!("a condition must be a bool: {m}")))?;
    let mut disjuncts = Vec::new();
    operands_of(&p.expr, operators::LOGICAL_OR, &mut disjuncts);
    if disjuncts.len() > 1 {
        // One guard per disjunct; the closure stays whole.
        let mut alternatives = Vec::with_capacity(disjuncts.len());
        for d in disjuncts {
            let mut g = Guard::ANY;
            let mut conjuncts = Vec::new();
            conjuncts_of(d, &mut conjuncts);
            for e in conjuncts {
                c.narrow(&mut g, e);
            }
            if g == Guard::ANY {
                return Ok((whole, Guards::any(), c.uses));
            }
            alternatives.push(g);
        }
        return Ok((whole, Guards(alternatives), c.uses));
    }
    let mut guard = Guard::ANY;
    let mut conjuncts = Vec::new();
    conjuncts_of(&p.expr, &mut conjuncts);
    if conjuncts.len() < 2 {
        if let Some(e) = conjuncts.first() {
            if c.narrow(&mut guard, e) {
                return Ok((const_bool(true), Guards(vec![guard]), c.uses));
            }
        }
        return Ok((whole, Guards(vec![guard]), c.uses));
    }
    // The closure keeps only the conjuncts the guard does not decide exactly: the engine checks
    // the guard before calling it.
    let mut rest = Vec::new();
    for e in conjuncts {
        if !c.narrow(&mut guard, e) {
            rest.push(c.node(e)?);
        }
    }
    let f = match logic(true, rest) {
        Node::Const(Const::Bool(b)) => const_bool(b),
        Node::Bool(f) => f,
        _ => whole,
    };
    Ok((f, Guards(vec![guard]), c.uses))
}

fn conjuncts_of<'e>(e: &'e IdedExpr, out: &mut Vec<&'e IdedExpr>) {
    match &e.expr {
        Expr::Call(c) if c.func_name == operators::LOGICAL_AND && c.args.len() == 2 => {
            conjuncts_of(&c.args[0], out);
            conjuncts_of(&c.args[1], out);
        }
        _ => out.push(e),
    }
}

/// Compiles one part of a window key, or the value of a `distinct` window, to a fingerprint.
pub(crate) fn fingerprint(p: &Parsed<'_>, scope: &Scope<'_>) -> Result<(FpFn, Uses), CompileError> {
    let mut c = Compiler::new(p, scope);
    let node = c.node(&p.expr)?;
    let f = fingerprint_of(node).map_err(|m| c.err(&p.expr, m))?;
    Ok((f, c.uses))
}

/// Compiles the value of a `sum` or `max` window: money or int. Returns whether it is money.
pub(crate) fn number(
    p: &Parsed<'_>,
    scope: &Scope<'_>,
) -> Result<(NumFn, bool, Uses), CompileError> {
    let mut c = Compiler::new(p, scope);
    let node = c.node(&p.expr)?;
    match node {
        Node::Money(f) => Ok((f, true, c.uses)),
        Node::Int(f) => Ok((f, false, c.uses)),
        other => Err(c.err(
            &p.expr,
            format!(
                "sum and max need a money or int value, found {}",
                other.type_name()
            ),
        )),
    }
}

/// A compiled reason placeholder: a fixed text or a closure writing the value.
pub(crate) enum Render {
    Text(String),
    Value(RenderFn),
}

/// Compiles a reason placeholder.
pub(crate) fn render(p: &Parsed<'_>, scope: &Scope<'_>) -> Result<(Render, Uses), CompileError> {
    let mut c = Compiler::new(p, scope);
    let node = c.node(&p.expr)?;
    Ok((render_of(node), c.uses))
}

struct Compiler<'p, 's> {
    src: &'p str,
    info: &'p SourceInfo,
    scope: &'p Scope<'s>,
    uses: Uses,
}

/// What a dotted name stands for.
enum Resolved {
    Node(Node),
    /// `tx`, `from`, `from.holder`, …: not a value, but `has()` can test it.
    Object(BoolFn),
}

fn call_args(c: &CallExpr) -> usize {
    c.args.len() + usize::from(c.target.is_some())
}

impl<'p, 's> Compiler<'p, 's> {
    fn new(p: &'p Parsed<'_>, scope: &'p Scope<'s>) -> Self {
        Compiler {
            src: p.src,
            info: &p.info,
            scope,
            uses: Uses::default(),
        }
    }

    /// Narrows `g` by one conjunct of a condition, if it is a test on the transaction's own
    /// fields that the guard can express; returns whether the guard now decides the conjunct
    /// exactly.
    fn narrow(&self, g: &mut Guard, e: &IdedExpr) -> bool {
        let is = |e: &IdedExpr, field: &str| path_of(e).is_some_and(|p| p == ["tx", field]);
        match &e.expr {
            Expr::Select(sel) if sel.test && path_of(&sel.operand).is_some_and(|p| p == ["tx"]) => {
                match PRESENT_FIELDS.iter().position(|f| *f == sel.field) {
                    Some(i) => {
                        g.needs |= 1 << i;
                        true
                    }
                    None => false,
                }
            }
            Expr::Call(c) if c.args.len() == 2 && c.target.is_none() => {
                let (a, b) = (&c.args[0], &c.args[1]);
                let f = c.func_name.as_str();
                let side = |e: &IdedExpr| path_of(e).and_then(|p| side_field_index(&p));
                if f == operators::EQUALS {
                    for (x, y) in [(a, b), (b, a)] {
                        let Expr::Literal(LiteralValue::String(s)) = &y.expr else {
                            continue;
                        };
                        if is(x, "kind") {
                            if let Some(k) = TxKind::parse(s.inner()) {
                                g.kinds &= 1 << (k as u32);
                                return true;
                            }
                        }
                        if let Some((i, kind)) = side(x) {
                            if let Some(v) = kind.parse(s.inner()) {
                                g.sides[i] &= 1 << v;
                                return true;
                            }
                        }
                    }
                    false
                } else if let (true, Some((i, kind)), Expr::List(l)) =
                    (f == operators::IN, side(a), &b.expr)
                {
                    let mut mask = 0u8;
                    for el in &l.elements {
                        let Expr::Literal(LiteralValue::String(s)) = &el.expr else {
                            return false;
                        };
                        let Some(v) = kind.parse(s.inner()) else {
                            return false;
                        };
                        mask |= 1 << v;
                    }
                    g.sides[i] &= mask;
                    true
                } else if f == operators::IN && is(a, "kind") {
                    let Expr::List(l) = &b.expr else {
                        return false;
                    };
                    let mut mask = 0u32;
                    for el in &l.elements {
                        match &el.expr {
                            Expr::Literal(LiteralValue::String(s)) => {
                                match TxKind::parse(s.inner()) {
                                    Some(k) => mask |= 1 << (k as u32),
                                    None => return false,
                                }
                            }
                            _ => return false,
                        }
                    }
                    g.kinds &= mask;
                    true
                } else if let Some(op) = CmpOp::of(f) {
                    // tx.amount_kzt > n, n >= tx.amount_kzt, and the like.
                    let (op, lit) = if is(a, "amount_kzt") {
                        (op, b)
                    } else if is(b, "amount_kzt") {
                        (op.flip(), a)
                    } else {
                        return false;
                    };
                    let value = match &lit.expr {
                        Expr::Literal(LiteralValue::Int(i)) => Decimal::from(*i.inner()),
                        Expr::Literal(LiteralValue::UInt(u)) => Decimal::from(*u.inner()),
                        Expr::Literal(LiteralValue::Double(d)) => {
                            match self.exact_double(lit, *d.inner()) {
                                Ok(v) => v,
                                Err(_) => return false,
                            }
                        }
                        _ => return false,
                    };
                    let Some(tiyn) = value.checked_mul(Decimal::ONE_HUNDRED) else {
                        return false;
                    };
                    let (Some(floor), Some(ceil)) =
                        (integral_i128(tiyn.floor()), integral_i128(tiyn.ceil()))
                    else {
                        return false;
                    };
                    let clamp = |v: i128| {
                        i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
                    };
                    match op {
                        CmpOp::Gt => g.min_kzt = g.min_kzt.max(clamp(floor + 1)),
                        CmpOp::Ge => g.min_kzt = g.min_kzt.max(clamp(ceil)),
                        CmpOp::Lt => g.max_kzt = g.max_kzt.min(clamp(ceil - 1)),
                        CmpOp::Le => g.max_kzt = g.max_kzt.min(clamp(floor)),
                        CmpOp::Eq | CmpOp::Ne => return false,
                    }
                    // Exact unless the bound was clamped to the range of tiyn.
                    (-(1i128 << 62)..(1i128 << 62)).contains(&floor)
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    fn offset(&self, e: &IdedExpr) -> usize {
        // A dotted name is reported at its first segment.
        let mut e = e;
        while let Expr::Select(s) = &e.expr {
            e = &s.operand;
        }
        self.info
            .offset_for(e.id)
            .map_or(0, |(start, _)| start as usize)
    }

    fn err(&self, e: &IdedExpr, message: impl Into<String>) -> CompileError {
        CompileError {
            offset: self.offset(e),
            message: message.into(),
        }
    }

    fn node(&mut self, e: &IdedExpr) -> Result<Node, CompileError> {
        match &e.expr {
            Expr::Literal(l) => self.literal(e, l),
            Expr::Ident(_) => self.name(e),
            Expr::Select(s) if !s.test => self.name(e),
            Expr::Select(s) => {
                // has(a.b): is the field present?
                let mut path = path_of(&s.operand).ok_or_else(|| {
                    self.err(e, "has() takes a field name such as has(tx.sender_iin)")
                })?;
                path.push(&s.field);
                match self.resolve(&path).map_err(|m| self.err(e, m))? {
                    Resolved::Object(f) => Ok(Node::Bool(f)),
                    Resolved::Node(n) => Ok(Node::Bool(presence(n))),
                }
            }
            Expr::Call(c) => self.call(e, c),
            Expr::List(l) => {
                if !l.optional_indices.is_empty() {
                    return Err(self.err(e, "optional list elements are not supported"));
                }
                let mut items = Vec::with_capacity(l.elements.len());
                for el in &l.elements {
                    match self.node(el)? {
                        Node::Const(Const::Str(s)) => items.push(s),
                        other => {
                            return Err(self.err(
                                el,
                                format!(
                                    "list literals hold string literals only, found {}",
                                    other.type_name()
                                ),
                            ))
                        }
                    }
                }
                Ok(Node::Const(Const::List(items)))
            }
            Expr::Map(_) | Expr::Struct(_) => {
                Err(self.err(e, "map and message literals are not supported in rules"))
            }
            Expr::Comprehension(_) => Err(self.err(
                e,
                "macros over lists (all, exists, map, filter) are not supported in rules",
            )),
            Expr::Unspecified => Err(self.err(e, "empty expression")),
        }
    }

    fn literal(&self, e: &IdedExpr, l: &LiteralValue) -> Result<Node, CompileError> {
        Ok(Node::Const(match l {
            LiteralValue::Boolean(b) => Const::Bool(*b.inner()),
            LiteralValue::Int(i) => Const::Num(Decimal::from(*i.inner())),
            LiteralValue::UInt(u) => Const::Num(Decimal::from(*u.inner())),
            LiteralValue::Double(d) => Const::Num(self.exact_double(e, *d.inner())?),
            LiteralValue::String(s) => Const::Str(s.inner().to_string()),
            LiteralValue::Bytes(_) => return Err(self.err(e, "bytes literals are not supported")),
            LiteralValue::Null => return Err(self.err(e, "null is not supported; use has()")),
        }))
    }

    /// The exact value of a double literal, re-read from its text: `500000.01` is 500000.01,
    /// not the nearest binary fraction.
    fn exact_double(&self, e: &IdedExpr, v: f64) -> Result<Decimal, CompileError> {
        let text = self
            .info
            .offset_for(e.id)
            .and_then(|(a, b)| self.src.get(a as usize..=b as usize))
            .unwrap_or("");
        let digits = text.trim().trim_start_matches(['-', '+']);
        let magnitude = match parse_decimal(digits) {
            Ok(d) => d,
            // `1e6`: accepted when the double is a whole number that converts exactly.
            Err(_) if v.fract() == 0.0 && v.abs() < 9.0e15 => Decimal::from(v.abs() as i64),
            Err(_) => {
                return Err(self.err(
                    e,
                    format!(
                        "write the number {text} in plain decimal notation (e.g. 500000.01) so that it is exact"
                    ),
                ))
            }
        };
        Ok(if v < 0.0 { -magnitude } else { magnitude })
    }

    fn name(&mut self, e: &IdedExpr) -> Result<Node, CompileError> {
        let path = path_of(e).ok_or_else(|| {
            self.err(
                e,
                "fields can only be selected from tx, from, to, window and lists",
            )
        })?;
        match self.resolve(&path).map_err(|m| self.err(e, m))? {
            Resolved::Node(n) => Ok(n),
            Resolved::Object(_) => Err(self.err(
                e,
                format!(
                    "`{}` is an object, not a value: name one of its fields",
                    path.join(".")
                ),
            )),
        }
    }

    fn resolve(&mut self, path: &[&str]) -> Result<Resolved, String> {
        let whole = path.join(".");
        match path {
            ["tx"] => Ok(Resolved::Object(bool_fn(|_| Tri::True))),
            ["tx", field] => self.tx_field(field).map(Resolved::Node).ok_or_else(|| {
                format!(
                    "unknown field `{whole}` (fields: {}; extra attributes must be declared in `attributes`)",
                    TX_FIELDS.join(", ")
                )
            }),
            [side @ ("from" | "to"), rest @ ..] => {
                self.uses.reference = true;
                let to = *side == "to";
                side_field(to, rest)
                    .ok_or_else(|| format!("unknown field `{whole}` ({})", side_fields_help(rest)))
            }
            ["window"] => Err("`window` is not a value: name a window, e.g. window.senders_90d".into()),
            ["window", name] => {
                let Some(windows) = self.scope.windows else {
                    return Err("a window definition cannot read windows".into());
                };
                let Some(i) = windows.iter().position(|(n, _)| n == name) else {
                    let known: Vec<&str> = windows.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(format!(
                        "unknown window `{name}` (declared: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ));
                };
                let f = num_fn(move |e| e.window(i));
                Ok(Resolved::Node(if windows[i].1 { Node::Money(f) } else { Node::Int(f) }))
            }
            ["lists", name] => match self.scope.lists.get(*name) {
                Some(items) => {
                    self.uses.lists.insert(name.to_string());
                    Ok(Resolved::Node(Node::Const(Const::List(items.clone()))))
                }
                None => Err(format!(
                    "unknown list `{name}` (declared: {})",
                    join_or_none(self.scope.lists.keys())
                )),
            },
            [root, ..] => Err(format!(
                "unknown identifier `{root}` (names start with tx, from, to, window or lists)"
            )),
            [] => Err("empty name".into()),
        }
    }

    fn tx_field(&self, field: &str) -> Option<Node> {
        Some(match field {
            "tx_id" => Node::Str(str_fn(|e| Some(e.tx.tx_id))),
            "timestamp" => Node::Time(num_fn(|e| Some(e.tx.timestamp.0))),
            "kind" => Node::Enum(
                EnumKind::TxKind,
                enum_fn(|e| Some(e.tx.kind as u8)),
                Some(TokenField::TxKind),
            ),
            "from_account" => Node::Str(str_fn(|e| e.tx.from_account)),
            "to_account" => Node::Str(str_fn(|e| e.tx.to_account)),
            "amount" => Node::Dec(dec_fn(|e| Some(e.tx.amount))),
            "currency" => Node::Str(str_fn(|e| Some(e.tx.currency))),
            "amount_kzt" => Node::Money(num_fn(|e| Some(e.tx.amount_kzt.0))),
            "sender_iin" => Node::Str(str_fn(|e| e.tx.sender_iin)),
            "atm_id" => Node::Str(str_fn(|e| e.tx.atm_id)),
            "biometric" => Node::Enum(
                EnumKind::Biometric,
                enum_fn(|e| e.tx.biometric.map(|b| b as u8)),
                Some(TokenField::Biometric),
            ),
            "device_id" => Node::Str(str_fn(|e| e.tx.device_id)),
            "ip" => Node::Str(str_fn(|e| e.tx.ip)),
            "reference" => Node::Str(str_fn(|e| e.tx.reference)),
            other if self.scope.attributes.contains(other) => {
                let name = other.to_string();
                Node::Str(str_fn(move |e| e.tx.attr(&name)))
            }
            _ => return None,
        })
    }

    fn call(&mut self, e: &IdedExpr, c: &CallExpr) -> Result<Node, CompileError> {
        let f = c.func_name.as_str();
        let binary = |op: &str| f == op && c.args.len() == 2 && c.target.is_none();
        if binary(operators::LOGICAL_AND) || binary(operators::LOGICAL_OR) {
            // `a && b && c` is one closure over its operands, not a tree of closures.
            let mut operands = Vec::new();
            operands_of(e, f, &mut operands);
            let mut nodes = Vec::with_capacity(operands.len());
            for o in operands {
                nodes.push(self.bool_arg(o)?);
            }
            return Ok(logic(f == operators::LOGICAL_AND, nodes));
        }
        if f == operators::LOGICAL_NOT && c.args.len() == 1 {
            let a = self.bool_arg(&c.args[0])?;
            return Ok(match a {
                Node::Const(Const::Bool(b)) => Node::Const(Const::Bool(!b)),
                other => {
                    let a = as_bool(other).map_err(|m| self.err(e, m))?;
                    Node::Bool(bool_fn(move |e| match a(e) {
                        Tri::True => Tri::False,
                        Tri::False => Tri::True,
                        Tri::Err => Tri::Err,
                    }))
                }
            });
        }
        if f == operators::CONDITIONAL && c.args.len() == 3 {
            let cond = self.bool_arg(&c.args[0])?;
            let a = self.node(&c.args[1])?;
            let b = self.node(&c.args[2])?;
            return conditional(cond, a, b).map_err(|m| self.err(e, m));
        }
        if let Some(op) = CmpOp::of(f) {
            if c.args.len() == 2 {
                let a = self.node(&c.args[0])?;
                let b = self.node(&c.args[1])?;
                return compare(op, a, b).map_err(|m| self.err(e, m));
            }
        }
        if let Some(op) = ArithOp::of(f) {
            if c.args.len() == 2 {
                let a = self.node(&c.args[0])?;
                let b = self.node(&c.args[1])?;
                return arith(op, a, b).map_err(|m| self.err(e, m));
            }
        }
        if f == operators::NEGATE && c.args.len() == 1 {
            let a = self.node(&c.args[0])?;
            return negate(a).map_err(|m| self.err(e, m));
        }
        if binary(operators::IN) {
            let a = self.node(&c.args[0])?;
            let b = self.node(&c.args[1])?;
            return member(a, b).map_err(|m| self.err(e, m));
        }
        if f.starts_with('_') || f.starts_with('@') || f.starts_with('!') || f.starts_with('-') {
            return Err(self.err(e, format!("operator {f} is not supported in rules")));
        }
        self.function(e, c)
    }

    fn bool_arg(&mut self, e: &IdedExpr) -> Result<Node, CompileError> {
        let n = self.node(e)?;
        match n {
            Node::Const(Const::Bool(_)) | Node::Bool(_) => Ok(n),
            other => Err(self.err(
                e,
                format!("expected a condition (bool), found {}", other.type_name()),
            )),
        }
    }

    fn function(&mut self, e: &IdedExpr, c: &CallExpr) -> Result<Node, CompileError> {
        let name = c.func_name.as_str();
        // Receiver and global forms alike: x.f(y) is f(x, y).
        let mut args = Vec::with_capacity(call_args(c));
        if let Some(t) = &c.target {
            args.push(self.node(t)?);
        }
        for a in &c.args {
            args.push(self.node(a)?);
        }
        let arity = |n: usize| -> Result<(), CompileError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(self.err(
                    e,
                    format!("{name}() takes {n} argument(s), {} given", args.len()),
                ))
            }
        };
        match name {
            "valid_iin" | "valid_bin" => {
                arity(1)?;
                let iin = name == "valid_iin";
                let Some(Node::Str(s)) = args.pop() else {
                    return Err(self.err(e, format!("{name}() takes a string field")));
                };
                // Total: an absent number is not a valid one.
                Ok(Node::Bool(if iin {
                    bool_fn(move |e| Tri::of(s(e).is_some_and(|v| finmon_ident::Iin::parse(v).is_ok())))
                } else {
                    bool_fn(move |e| Tri::of(s(e).is_some_and(|v| finmon_ident::Bin::parse(v).is_ok())))
                }))
            }
            "contains" | "startsWith" | "endsWith" => {
                arity(2)?;
                let (Some(needle), Some(hay)) = (args.pop(), args.pop()) else {
                    return Err(self.err(e, "missing argument"));
                };
                string_test(name, hay, needle).map_err(|m| self.err(e, m))
            }
            "mentions" => {
                arity(2)?;
                let (Some(words), Some(hay)) = (args.pop(), args.pop()) else {
                    return Err(self.err(e, "missing argument"));
                };
                mentions(hay, words).map_err(|m| self.err(e, m))
            }
            "size" => {
                arity(1)?;
                match args.pop() {
                    Some(Node::Str(s)) => Ok(Node::Int(num_fn(move |e| {
                        s(e).and_then(|v| i64::try_from(v.chars().count()).ok())
                    }))),
                    Some(Node::Const(Const::Str(s))) => {
                        Ok(Node::Const(Const::Num(Decimal::from(s.chars().count() as u64))))
                    }
                    Some(Node::Const(Const::List(l))) => {
                        Ok(Node::Const(Const::Num(Decimal::from(l.len() as u64))))
                    }
                    _ => Err(self.err(e, "size() takes a string or a list")),
                }
            }
            "timestamp" => {
                arity(1)?;
                match args.pop() {
                    Some(Node::Const(Const::Str(s))) => Timestamp::parse_rfc3339(&s)
                        .map(|(t, _)| Node::Const(Const::Time(t.0)))
                        .map_err(|err| self.err(e, format!("timestamp(): {err}"))),
                    _ => Err(self.err(
                        e,
                        "timestamp() takes an RFC 3339 string literal, e.g. timestamp('2026-01-01T00:00:00+05:00')",
                    )),
                }
            }
            other => Err(self.err(
                e,
                format!(
                    "unknown function `{other}` (functions: valid_iin, valid_bin, contains, startsWith, endsWith, mentions, size, timestamp)"
                ),
            )),
        }
    }
}

/// The transaction fields a rule may read: the `transactions` columns of the dataset format.
const TX_FIELDS: &[&str] = finmon_model::tx::COLUMNS;

const ACCOUNT_FIELDS: &str = "id, listed, kind, iban, pan_hash, address, chain, currency, holder_cards, holder.*, institution.*";
const HOLDER_FIELDS: &str = "id, kind, iin_bin, name, country, address";
const INSTITUTION_FIELDS: &str = "id, kind, name, country, bin, license, bank_linked";

fn side_fields_help(rest: &[&str]) -> String {
    match rest.first() {
        Some(&"holder") => format!("holder fields: {HOLDER_FIELDS}"),
        Some(&"institution") => format!("institution fields: {INSTITUTION_FIELDS}"),
        _ => format!("account fields: {ACCOUNT_FIELDS}"),
    }
}

fn join_or_none<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = names.map(String::as_str).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// `from.*` / `to.*`: the account a transaction names and its reference rows.
fn side_field(to: bool, rest: &[&str]) -> Option<Resolved> {
    macro_rules! s {
        (|$e:ident| $body:expr) => {
            Resolved::Node(Node::Str(if to {
                str_fn(|$e| {
                    let $e = &$e.to;
                    $body
                })
            } else {
                str_fn(|$e| {
                    let $e = &$e.from;
                    $body
                })
            }))
        };
    }
    macro_rules! node {
        ($variant:ident, |$e:ident| $body:expr) => {
            if to {
                $variant(|$e| {
                    let $e = &$e.to;
                    $body
                })
            } else {
                $variant(|$e| {
                    let $e = &$e.from;
                    $body
                })
            }
        };
    }
    Some(match rest {
        [] => Resolved::Object(node!(bool_fn, |s| Tri::of(s.id.is_some()))),
        ["id"] => s!(|s| s.id),
        ["listed"] => Resolved::Node(Node::Bool(node!(bool_fn, |s| match s.id {
            None => Tri::Err,
            Some(_) => Tri::of(s.row.is_some()),
        }))),
        ["kind"] => Resolved::Node(Node::Enum(
            EnumKind::AccountKind,
            node!(enum_fn, |s| s.id.map(|_| s.kind() as u8)),
            Some(TokenField::AccountKind(to)),
        )),
        ["iban"] => s!(|s| s.account().and_then(|a| a.iban.as_deref())),
        ["pan_hash"] => s!(|s| s.account().and_then(|a| a.pan_hash.as_deref())),
        ["address"] => s!(|s| s.account().and_then(|a| a.address.as_deref())),
        ["chain"] => s!(|s| s.account().and_then(|a| a.chain.as_deref())),
        ["currency"] => s!(|s| s.account().and_then(|a| a.currency.as_deref())),
        ["holder_cards"] => Resolved::Node(Node::Int(node!(num_fn, |s| s
            .holder_cards()
            .map(i64::from)))),
        ["holder"] => Resolved::Object(node!(bool_fn, |s| Tri::of(s.holder_id().is_some()))),
        ["holder", "id"] => s!(|s| s.holder_id()),
        ["holder", "kind"] => Resolved::Node(Node::Enum(
            EnumKind::PartyKind,
            node!(enum_fn, |s| s.holder().map(|p| p.kind as u8)),
            Some(TokenField::HolderKind(to)),
        )),
        ["holder", "iin_bin"] => s!(|s| s.holder().and_then(|p| p.iin_bin.as_deref())),
        ["holder", "name"] => s!(|s| s.holder().and_then(|p| p.name.as_deref())),
        ["holder", "country"] => s!(|s| s.holder().and_then(|p| p.country.as_deref())),
        ["holder", "address"] => s!(|s| s.holder().and_then(|p| p.address.as_deref())),
        ["institution"] => Resolved::Object(node!(bool_fn, |s| Tri::of(s.inst_id().is_some()))),
        ["institution", "id"] => s!(|s| s.inst_id()),
        ["institution", "kind"] => Resolved::Node(Node::Enum(
            EnumKind::InstitutionKind,
            node!(enum_fn, |s| s.inst().map(|i| i.kind as u8)),
            Some(TokenField::InstitutionKind(to)),
        )),
        ["institution", "name"] => s!(|s| s.inst().and_then(|i| i.name.as_deref())),
        ["institution", "country"] => s!(|s| s.inst().and_then(|i| i.country.as_deref())),
        ["institution", "bin"] => s!(|s| s.inst().and_then(|i| i.bin.as_deref())),
        ["institution", "license"] => Resolved::Node(Node::Enum(
            EnumKind::License,
            node!(enum_fn, |s| s
                .inst()
                .and_then(|i| i.license)
                .map(|l| l as u8)),
            Some(TokenField::License(to)),
        )),
        ["institution", "bank_linked"] => Resolved::Node(Node::Bool(node!(bool_fn, |s| s
            .inst()
            .and_then(|i| i.bank_linked)
            .map_or(Tri::Err, Tri::of)))),
        _ => return None,
    })
}

/// `a.b.c` as its segments, if the expression is a dotted name.
fn path_of(e: &IdedExpr) -> Option<Vec<&str>> {
    match &e.expr {
        Expr::Ident(n) => Some(vec![n.as_str()]),
        Expr::Select(s) if !s.test => {
            let mut p = path_of(&s.operand)?;
            p.push(s.field.as_str());
            Some(p)
        }
        _ => None,
    }
}

fn const_bool(b: bool) -> BoolFn {
    let t = Tri::of(b);
    bool_fn(move |_| t)
}

pub(crate) fn as_bool(n: Node) -> Result<BoolFn, String> {
    match n {
        Node::Bool(f) => Ok(f),
        Node::Const(Const::Bool(b)) => Ok(const_bool(b)),
        other => Err(format!("expected a bool, found {}", other.type_name())),
    }
}

/// Is the value present (not absent, not an error)?
fn presence(n: Node) -> BoolFn {
    match n {
        Node::Const(_) => const_bool(true),
        Node::Bool(f) => bool_fn(move |e| Tri::of(f(e) != Tri::Err)),
        Node::Int(f) | Node::Money(f) | Node::Time(f) => bool_fn(move |e| Tri::of(f(e).is_some())),
        Node::Dec(f) => bool_fn(move |e| Tri::of(f(e).is_some())),
        Node::Str(f) => bool_fn(move |e| Tri::of(f(e).is_some())),
        Node::Enum(_, f, _) => bool_fn(move |e| Tri::of(f(e).is_some())),
    }
}

/// The operands of a chain of one logical operator: `a && (b && c)` is `[a, b, c]`.
fn operands_of<'e>(e: &'e IdedExpr, op: &str, out: &mut Vec<&'e IdedExpr>) {
    match &e.expr {
        Expr::Call(c) if c.func_name == op && c.args.len() == 2 && c.target.is_none() => {
            operands_of(&c.args[0], op, out);
            operands_of(&c.args[1], op, out);
        }
        _ => out.push(e),
    }
}

/// `&&` (`and`) or `||` over operands, with CEL's error absorption (commutative: `false &&
/// err` and `err && false` are both false), folding constants.
fn logic(and: bool, nodes: Vec<Node>) -> Node {
    let absorbing = !and;
    let mut fs: Vec<BoolFn> = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n {
            Node::Const(Const::Bool(x)) if x == absorbing => {
                return Node::Const(Const::Bool(absorbing))
            }
            Node::Const(Const::Bool(_)) => {}
            Node::Bool(f) => fs.push(f),
            // bool_arg only lets bools through.
            _ => {}
        }
    }
    if fs.len() <= 1 {
        return fs
            .pop()
            .map_or(Node::Const(Const::Bool(!absorbing)), Node::Bool);
    }
    let (stop, rest) = if and {
        (Tri::False, Tri::True)
    } else {
        (Tri::True, Tri::False)
    };
    Node::Bool(bool_fn(move |e| {
        let mut err = false;
        for f in &fs {
            match f(e) {
                Tri::Err => err = true,
                v if v == stop => return stop,
                _ => {}
            }
        }
        if err {
            Tri::Err
        } else {
            rest
        }
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn of(f: &str) -> Option<CmpOp> {
        Some(match f {
            operators::EQUALS => CmpOp::Eq,
            operators::NOT_EQUALS => CmpOp::Ne,
            operators::LESS => CmpOp::Lt,
            operators::LESS_EQUALS => CmpOp::Le,
            operators::GREATER => CmpOp::Gt,
            operators::GREATER_EQUALS => CmpOp::Ge,
            _ => return None,
        })
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    fn test<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// `f(e) OP c` for an integer field and an integer constant, one closure per operator so that
/// the operator is not matched per call.
fn cmp_i128(op: CmpOp, f: NumFn, c: i128) -> BoolFn {
    macro_rules! mk {
        ($op:tt) => {
            bool_fn(move |e| match f(e) {
                Some(x) => Tri::of(i128::from(x) $op c),
                None => Tri::Err,
            })
        };
    }
    match op {
        CmpOp::Eq => mk!(==),
        CmpOp::Ne => mk!(!=),
        CmpOp::Lt => mk!(<),
        CmpOp::Le => mk!(<=),
        CmpOp::Gt => mk!(>),
        CmpOp::Ge => mk!(>=),
    }
}

fn cmp_nums(op: CmpOp, f: NumFn, g: NumFn) -> BoolFn {
    macro_rules! mk {
        ($op:tt) => {
            bool_fn(move |e| match (f(e), g(e)) {
                (Some(x), Some(y)) => Tri::of(x $op y),
                _ => Tri::Err,
            })
        };
    }
    match op {
        CmpOp::Eq => mk!(==),
        CmpOp::Ne => mk!(!=),
        CmpOp::Lt => mk!(<),
        CmpOp::Le => mk!(<=),
        CmpOp::Gt => mk!(>),
        CmpOp::Ge => mk!(>=),
    }
}

fn integral_i128(d: Decimal) -> Option<i128> {
    let mut d = d;
    if d.fract() != Decimal::ZERO {
        return None;
    }
    d.rescale(0);
    Some(d.mantissa())
}

/// `x OP c` for an integer `x` (tiyn when `scale` is 100, a count when 1) and an exact decimal
/// `c` in the field's unit (tenge, count): exact, whatever `c`'s decimals. `x > 450000.005`
/// (tenge) is `x > 45000000` tiyn, `x >= 450000.005` is `x >= 45000001`.
fn threshold(op: CmpOp, f: NumFn, c: Decimal, scale: u32) -> Result<BoolFn, String> {
    let ct = c
        .checked_mul(Decimal::from(scale))
        .ok_or_else(|| format!("the number {c} is too large"))?;
    let floor = integral_i128(ct.floor()).ok_or("number out of range")?;
    let ceil = integral_i128(ct.ceil()).ok_or("number out of range")?;
    let whole = floor == ceil;
    Ok(match op {
        CmpOp::Gt => cmp_i128(op, f, floor),
        CmpOp::Le => cmp_i128(op, f, floor),
        CmpOp::Ge | CmpOp::Lt => cmp_i128(op, f, ceil),
        CmpOp::Eq | CmpOp::Ne if whole => cmp_i128(op, f, floor),
        // An amount in tiyn never equals a fraction of a tiyn.
        CmpOp::Eq => bool_fn(move |e| f(e).map_or(Tri::Err, |_| Tri::False)),
        CmpOp::Ne => bool_fn(move |e| f(e).map_or(Tri::Err, |_| Tri::True)),
    })
}

fn equality_only(op: CmpOp, what: &str) -> Result<(), String> {
    if op.is_equality() {
        Ok(())
    } else {
        Err(format!("{what} compare only with == and !="))
    }
}

fn compare(op: CmpOp, a: Node, b: Node) -> Result<Node, String> {
    use Node as N;
    let mismatch = |a: &Node, b: &Node| {
        let hint = match (a, b) {
            (N::Money(_), N::Int(_)) | (N::Int(_), N::Money(_)) => {
                ": money compares with money, or with a number literal in tenge"
            }
            (N::Dec(_), N::Money(_)) | (N::Money(_), N::Dec(_)) => {
                ": tx.amount is in the transaction's currency, tx.amount_kzt in tenge"
            }
            _ => "",
        };
        format!(
            "cannot compare {} with {}{hint}",
            a.type_name(),
            b.type_name()
        )
    };
    Ok(match (a, b) {
        (N::Const(x), N::Const(y)) => N::Const(Const::Bool(fold_compare(op, &x, &y)?)),
        (x @ N::Const(_), y) => return compare(op.flip(), y, x),
        (N::Money(f), N::Const(Const::Num(c))) => N::Bool(threshold(op, f, c, 100)?),
        (N::Int(f), N::Const(Const::Num(c))) => N::Bool(threshold(op, f, c, 1)?),
        (N::Time(f), N::Const(Const::Time(c))) => N::Bool(cmp_i128(op, f, i128::from(c))),
        (N::Money(f), N::Money(g)) | (N::Int(f), N::Int(g)) | (N::Time(f), N::Time(g)) => {
            N::Bool(cmp_nums(op, f, g))
        }
        (N::Dec(f), N::Const(Const::Num(c))) => N::Bool(bool_fn(move |e| {
            f(e).map_or(Tri::Err, |x| Tri::of(op.test(&x, &c)))
        })),
        (N::Dec(f), N::Dec(g)) => N::Bool(bool_fn(move |e| match (f(e), g(e)) {
            (Some(x), Some(y)) => Tri::of(op.test(&x, &y)),
            _ => Tri::Err,
        })),
        (N::Str(f), N::Const(Const::Str(c))) => {
            equality_only(op, "strings")?;
            let eq = op == CmpOp::Eq;
            N::Bool(bool_fn(move |e| {
                f(e).map_or(Tri::Err, |x| Tri::of((x == c.as_str()) == eq))
            }))
        }
        (N::Str(f), N::Str(g)) => {
            equality_only(op, "strings")?;
            let eq = op == CmpOp::Eq;
            N::Bool(bool_fn(move |e| match (f(e), g(e)) {
                (Some(x), Some(y)) => Tri::of((x == y) == eq),
                _ => Tri::Err,
            }))
        }
        (N::Enum(k, f, field), N::Const(Const::Str(c))) => {
            equality_only(op, "tokens")?;
            let Some(v) = k.parse(&c) else {
                return Err(format!(
                    "'{c}' is not a {} (expected one of {})",
                    k.name(),
                    k.expected()
                ));
            };
            let eq = op == CmpOp::Eq;
            let test = move |x: Option<u8>| x.map_or(Tri::Err, |x| Tri::of((x == v) == eq));
            N::Bool(match field {
                Some(field) => token_test(field, test),
                None => bool_fn(move |e| test(f(e))),
            })
        }
        (N::Enum(k, f, _), N::Enum(k2, g, _)) if k == k2 => {
            equality_only(op, "tokens")?;
            let eq = op == CmpOp::Eq;
            N::Bool(bool_fn(move |e| match (f(e), g(e)) {
                (Some(x), Some(y)) => Tri::of((x == y) == eq),
                _ => Tri::Err,
            }))
        }
        (N::Bool(f), N::Const(Const::Bool(c))) => {
            equality_only(op, "bools")?;
            let want = c == (op == CmpOp::Eq);
            N::Bool(bool_fn(move |e| match f(e) {
                Tri::Err => Tri::Err,
                x => Tri::of((x == Tri::True) == want),
            }))
        }
        (N::Bool(f), N::Bool(g)) => {
            equality_only(op, "bools")?;
            let eq = op == CmpOp::Eq;
            N::Bool(bool_fn(move |e| match (f(e), g(e)) {
                (Tri::Err, _) | (_, Tri::Err) => Tri::Err,
                (x, y) => Tri::of((x == y) == eq),
            }))
        }
        (a, b) => return Err(mismatch(&a, &b)),
    })
}

fn fold_compare(op: CmpOp, a: &Const, b: &Const) -> Result<bool, String> {
    match (a, b) {
        (Const::Num(x), Const::Num(y)) => Ok(op.test(x, y)),
        (Const::Time(x), Const::Time(y)) => Ok(op.test(x, y)),
        (Const::Str(x), Const::Str(y)) => Ok(op.test(x.as_str(), y.as_str())),
        (Const::Bool(x), Const::Bool(y)) if op.is_equality() => Ok(op.test(x, y)),
        _ => Err("cannot compare these constants".into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    fn of(f: &str) -> Option<ArithOp> {
        Some(match f {
            operators::ADD => ArithOp::Add,
            operators::SUBSTRACT => ArithOp::Sub,
            operators::MULTIPLY => ArithOp::Mul,
            operators::DIVIDE => ArithOp::Div,
            operators::MODULO => ArithOp::Rem,
            _ => return None,
        })
    }

    fn int(self, a: i64, b: i64) -> Option<i64> {
        match self {
            ArithOp::Add => a.checked_add(b),
            ArithOp::Sub => a.checked_sub(b),
            ArithOp::Mul => a.checked_mul(b),
            ArithOp::Div => a.checked_div(b),
            ArithOp::Rem => a.checked_rem(b),
        }
    }

    fn dec(self, a: Decimal, b: Decimal) -> Option<Decimal> {
        match self {
            ArithOp::Add => a.checked_add(b),
            ArithOp::Sub => a.checked_sub(b),
            ArithOp::Mul => a.checked_mul(b),
            ArithOp::Div => a.checked_div(b),
            ArithOp::Rem => a.checked_rem(b),
        }
    }
}

fn whole(c: Decimal, what: &str) -> Result<i64, String> {
    integral_i128(c)
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| format!("{what} needs a whole number, found {c}"))
}

/// A number literal in tenge as exact tiyn: at most two decimals.
fn tiyn(c: Decimal) -> Result<i64, String> {
    c.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(integral_i128)
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| format!("{c} is not an exact tenge amount (at most 2 decimals)"))
}

fn int_op(op: ArithOp, f: NumFn, g: NumFn) -> NumFn {
    num_fn(move |e| op.int(f(e)?, g(e)?))
}

fn int_op_const(op: ArithOp, f: NumFn, c: i64, const_left: bool) -> NumFn {
    if const_left {
        num_fn(move |e| op.int(c, f(e)?))
    } else {
        num_fn(move |e| op.int(f(e)?, c))
    }
}

fn arith(op: ArithOp, a: Node, b: Node) -> Result<Node, String> {
    use ArithOp as A;
    use Node as N;
    let what = match op {
        A::Add => "+",
        A::Sub => "-",
        A::Mul => "*",
        A::Div => "/",
        A::Rem => "%",
    };
    Ok(match (a, b) {
        (N::Const(Const::Num(x)), N::Const(Const::Num(y))) => N::Const(Const::Num(
            op.dec(x, y)
                .ok_or_else(|| format!("{x} {what} {y} overflows or divides by zero"))?,
        )),
        (N::Int(f), N::Int(g)) => N::Int(int_op(op, f, g)),
        (N::Int(f), N::Const(Const::Num(c))) => N::Int(int_op_const(op, f, whole(c, "int arithmetic")?, false)),
        (N::Const(Const::Num(c)), N::Int(f)) => N::Int(int_op_const(op, f, whole(c, "int arithmetic")?, true)),
        (N::Money(f), N::Money(g)) if matches!(op, A::Add | A::Sub) => N::Money(int_op(op, f, g)),
        (N::Money(f), N::Const(Const::Num(c))) if matches!(op, A::Add | A::Sub) => {
            N::Money(int_op_const(op, f, tiyn(c)?, false))
        }
        (N::Const(Const::Num(c)), N::Money(f)) if matches!(op, A::Add | A::Sub) => {
            N::Money(int_op_const(op, f, tiyn(c)?, true))
        }
        (N::Money(f), N::Int(g)) | (N::Int(g), N::Money(f)) if op == A::Mul => {
            N::Money(int_op(op, f, g))
        }
        (N::Money(f), N::Const(Const::Num(c))) | (N::Const(Const::Num(c)), N::Money(f))
            if op == A::Mul =>
        {
            N::Money(int_op_const(op, f, whole(c, "money * number")?, false))
        }
        (a, b) => {
            return Err(format!(
                "cannot apply {what} to {} and {} (money adds to money, multiplies by whole numbers; compare money with a scaled literal instead of dividing it)",
                a.type_name(),
                b.type_name()
            ))
        }
    })
}

fn negate(a: Node) -> Result<Node, String> {
    Ok(match a {
        Node::Const(Const::Num(c)) => Node::Const(Const::Num(-c)),
        Node::Int(f) => Node::Int(num_fn(move |e| f(e)?.checked_neg())),
        Node::Money(f) => Node::Money(num_fn(move |e| f(e)?.checked_neg())),
        other => return Err(format!("cannot negate {}", other.type_name())),
    })
}

/// `x in list`: a set lookup for strings, a bit test for tokens.
fn member(a: Node, b: Node) -> Result<Node, String> {
    let Node::Const(Const::List(items)) = b else {
        return Err(format!(
            "the right side of `in` must be a list literal or lists.NAME, found {}",
            b.type_name()
        ));
    };
    Ok(match a {
        Node::Const(Const::Str(s)) => Node::Const(Const::Bool(items.contains(&s))),
        Node::Str(f) if items.len() <= 8 => {
            let items: Vec<Box<str>> = items.into_iter().map(String::into_boxed_str).collect();
            Node::Bool(bool_fn(move |e| {
                f(e).map_or(Tri::Err, |x| Tri::of(items.iter().any(|i| &**i == x)))
            }))
        }
        Node::Str(f) => {
            let set: hashbrown::HashSet<Box<str>> =
                items.into_iter().map(String::into_boxed_str).collect();
            Node::Bool(bool_fn(move |e| {
                f(e).map_or(Tri::Err, |x| Tri::of(set.contains(x)))
            }))
        }
        Node::Enum(k, f, field) => {
            let mut mask: u64 = 0;
            for i in &items {
                let v = k.parse(i).ok_or_else(|| {
                    format!(
                        "'{i}' is not a {} (expected one of {})",
                        k.name(),
                        k.expected()
                    )
                })?;
                mask |= 1 << v;
            }
            let test = move |x: Option<u8>| x.map_or(Tri::Err, |x| Tri::of(mask & (1 << x) != 0));
            Node::Bool(match field {
                Some(field) => token_test(field, test),
                None => bool_fn(move |e| test(f(e))),
            })
        }
        other => {
            return Err(format!(
                "`in` tests strings and tokens against a list, found {}",
                other.type_name()
            ))
        }
    })
}

fn string_test(name: &str, hay: Node, needle: Node) -> Result<Node, String> {
    let test: fn(&str, &str) -> bool = match name {
        "contains" => |h, n| h.contains(n),
        "startsWith" => |h, n| h.starts_with(n),
        _ => |h, n| h.ends_with(n),
    };
    Ok(match (hay, needle) {
        (Node::Const(Const::Str(h)), Node::Const(Const::Str(n))) => {
            Node::Const(Const::Bool(test(&h, &n)))
        }
        (Node::Str(f), Node::Const(Const::Str(n))) => Node::Bool(bool_fn(move |e| {
            f(e).map_or(Tri::Err, |h| Tri::of(test(h, &n)))
        })),
        (Node::Str(f), Node::Str(g)) => Node::Bool(bool_fn(move |e| match (f(e), g(e)) {
            (Some(h), Some(n)) => Tri::of(test(h, n)),
            _ => Tri::Err,
        })),
        (h, n) => {
            return Err(format!(
                "{name}() works on strings, found {} and {}",
                h.type_name(),
                n.type_name()
            ))
        }
    })
}

/// `mentions(text, words)`: does a word of `text` start with any of `words`, ignoring case
/// (Unicode lower case, so `Казино` mentions `казино`)? A keyword is a word or the start of
/// one: `ставк` is in "Ставка", not in "поставка". Without allocating.
fn mentions(hay: Node, words: Node) -> Result<Node, String> {
    let words: Vec<Vec<char>> = match words {
        Node::Const(Const::List(l)) => l
            .iter()
            .map(|w| w.to_lowercase().chars().collect())
            .collect(),
        Node::Const(Const::Str(w)) => vec![w.to_lowercase().chars().collect()],
        other => {
            return Err(format!(
                "mentions() takes a list (or string) literal of keywords, found {}",
                other.type_name()
            ))
        }
    };
    if words.iter().any(Vec::is_empty) {
        return Err("mentions(): an empty keyword mentions everything".into());
    }
    let Node::Str(f) = hay else {
        return Err(format!(
            "mentions() searches a string, found {}",
            hay.type_name()
        ));
    };
    Ok(Node::Bool(bool_fn(move |e| {
        f(e).map_or(Tri::Err, |h| Tri::of(mentions_any(h, &words)))
    })))
}

pub(crate) fn mentions_any(hay: &str, words: &[Vec<char>]) -> bool {
    if hay.is_ascii() {
        // ASCII text can only contain the ASCII keywords: compare bytes, ignoring ASCII case.
        let h = hay.as_bytes();
        return words.iter().any(|w| {
            w.iter().all(char::is_ascii)
                && w.len() <= h.len()
                && h.windows(w.len()).enumerate().any(|(i, win)| {
                    // A keyword starts a word: `shop` is not in "pawnshop".
                    (i == 0 || !h[i - 1].is_ascii_alphanumeric())
                        && win
                            .iter()
                            .zip(w)
                            .all(|(&b, &c)| b.to_ascii_lowercase() == c as u8)
                })
        });
    }
    let mut prev: Option<char> = None;
    hay.char_indices().any(|(i, ch)| {
        let starts_word = prev.is_none_or(|p| !p.is_alphanumeric());
        prev = Some(ch);
        starts_word
            && words.iter().any(|w| {
                let mut it = hay[i..].chars().flat_map(char::to_lowercase);
                w.iter().all(|&c| it.next() == Some(c))
            })
    })
}

fn conditional(cond: Node, a: Node, b: Node) -> Result<Node, String> {
    use Node as N;
    let cond = match cond {
        N::Const(Const::Bool(c)) => return Ok(if c { a } else { b }),
        other => as_bool(other)?,
    };
    macro_rules! pick {
        ($mk:ident, $f:ident, $g:ident, $err:expr) => {
            $mk(move |e| match cond(e) {
                Tri::True => $f(e),
                Tri::False => $g(e),
                Tri::Err => $err,
            })
        };
    }
    let const_num = |n: N, money: bool| -> Result<NumFn, String> {
        match n {
            N::Const(Const::Num(c)) => {
                let v = if money {
                    tiyn(c)?
                } else {
                    whole(c, "an int branch")?
                };
                Ok(num_fn(move |_| Some(v)))
            }
            N::Int(f) if !money => Ok(f),
            N::Money(f) if money => Ok(f),
            other => Err(format!(
                "the branches of ?: differ in type ({})",
                other.type_name()
            )),
        }
    };
    let is_money = |n: &N| matches!(n, N::Money(_));
    let is_num = |n: &N| matches!(n, N::Int(_) | N::Const(Const::Num(_)));
    if matches!(a, N::Bool(_) | N::Const(Const::Bool(_))) {
        let (f, g) = (as_bool(a)?, as_bool(b)?);
        return Ok(N::Bool(pick!(bool_fn, f, g, Tri::Err)));
    }
    if is_money(&a) || is_money(&b) {
        let (f, g) = (const_num(a, true)?, const_num(b, true)?);
        return Ok(N::Money(pick!(num_fn, f, g, None)));
    }
    if is_num(&a) && is_num(&b) {
        let (f, g) = (const_num(a, false)?, const_num(b, false)?);
        return Ok(N::Int(pick!(num_fn, f, g, None)));
    }
    Ok(match (a, b) {
        (N::Str(f), N::Str(g)) => N::Str(pick!(str_fn, f, g, None)),
        (N::Time(f), N::Time(g)) => N::Time(pick!(num_fn, f, g, None)),
        (N::Dec(f), N::Dec(g)) => N::Dec(pick!(dec_fn, f, g, None)),
        (N::Enum(k, f, _), N::Enum(k2, g, _)) if k == k2 => {
            N::Enum(k, pick!(enum_fn, f, g, None), None)
        }
        (a, b) => {
            return Err(format!(
                "the branches of ?: must have one type (a string literal branch is not supported), found {} and {}",
                a.type_name(),
                b.type_name()
            ))
        }
    })
}

/// A window key part or distinct value as a fingerprint.
fn fingerprint_of(n: Node) -> Result<FpFn, String> {
    Ok(match n {
        Node::Str(f) => fp_fn(move |e| f(e).map(|s| fp::bytes(fp::TAG_STR, s.as_bytes()))),
        Node::Int(f) => fp_fn(move |e| f(e).map(|v| fp::int(fp::TAG_INT, v))),
        Node::Money(f) => fp_fn(move |e| f(e).map(|v| fp::int(fp::TAG_MONEY, v))),
        Node::Time(f) => fp_fn(move |e| f(e).map(|v| fp::int(fp::TAG_TIME, v))),
        Node::Enum(k, f, _) => {
            let tag = fp::TAG_ENUM | ((k as u64) << 8);
            fp_fn(move |e| f(e).map(|v| fp::int(tag, i64::from(v))))
        }
        Node::Bool(f) => fp_fn(move |e| match f(e) {
            Tri::Err => None,
            t => Some(fp::int(fp::TAG_BOOL, i64::from(t == Tri::True))),
        }),
        Node::Dec(f) => fp_fn(move |e| {
            f(e).map(|d| {
                let d = d.normalize();
                let m = d.mantissa();
                fp::combine(
                    fp::int(fp::TAG_INT, m as i64),
                    fp::int(u64::from(d.scale()), (m >> 64) as i64),
                )
            })
        }),
        Node::Const(_) => {
            return Err(
                "a window key or value must come from the transaction, not a constant".into(),
            )
        }
    })
}

/// `1,250,000.00`: tenge as an analyst reads them (the template writes the unit).
pub(crate) fn write_tenge(out: &mut String, tiyn: i64) {
    let abs = tiyn.unsigned_abs();
    if tiyn < 0 {
        out.push('-');
    }
    let whole = abs / 100;
    let digits = whole.to_string();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    let _ = write!(out, ".{:02}", abs % 100);
}

const ABSENT: &str = "none";

fn render_of(n: Node) -> Render {
    match n {
        Node::Const(c) => Render::Text(match c {
            Const::Bool(b) => b.to_string(),
            Const::Num(d) => d.to_string(),
            Const::Str(s) => s,
            Const::List(l) => l.join(", "),
            Const::Time(t) => Timestamp(t).to_string(),
        }),
        Node::Bool(f) => Render::Value(render_fn(move |e, out| {
            out.push_str(match f(e) {
                Tri::True => "true",
                Tri::False => "false",
                Tri::Err => ABSENT,
            })
        })),
        Node::Int(f) => Render::Value(render_fn(move |e, out| match f(e) {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push_str(ABSENT),
        })),
        Node::Money(f) => Render::Value(render_fn(move |e, out| match f(e) {
            Some(v) => write_tenge(out, v),
            None => out.push_str(ABSENT),
        })),
        Node::Dec(f) => Render::Value(render_fn(move |e, out| match f(e) {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push_str(ABSENT),
        })),
        Node::Str(f) => Render::Value(render_fn(move |e, out| {
            out.push_str(f(e).unwrap_or(ABSENT))
        })),
        Node::Enum(k, f, _) => Render::Value(render_fn(move |e, out| {
            out.push_str(f(e).map_or(ABSENT, |v| k.token(v)))
        })),
        Node::Time(f) => Render::Value(render_fn(move |e, out| match f(e) {
            Some(v) => {
                let _ = write!(out, "{}", Timestamp(v));
            }
            None => out.push_str(ABSENT),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Windows;
    use crate::input::TxInput;
    use std::cell::RefCell;

    fn compiled(src: &str) -> (BoolFn, Guard) {
        let (f, g) = compiled_alternatives(src);
        (f, g.0[0])
    }

    fn compiled_alternatives(src: &str) -> (BoolFn, Guards) {
        let lists = BTreeMap::new();
        let attributes = BTreeSet::new();
        let scope = Scope {
            attributes: &attributes,
            lists: &lists,
            windows: Some(&[]),
        };
        let p = parse(src).unwrap();
        let (f, g, _) = condition(&p, &scope).unwrap();
        (f, g)
    }

    /// The whole condition as one closure, guard ignored.
    fn compiled_whole(src: &str) -> (BoolFn, ()) {
        let lists = BTreeMap::new();
        let attributes = BTreeSet::new();
        let scope = Scope {
            attributes: &attributes,
            lists: &lists,
            windows: Some(&[]),
        };
        let p = parse(src).unwrap();
        let mut c = Compiler::new(&p, &scope);
        (as_bool(c.node(&p.expr).unwrap()).unwrap(), ())
    }

    #[test]
    fn guards_come_from_the_top_level_conjunction() {
        let (_, g) = compiled(
            "tx.kind == 'card_topup' && tx.amount_kzt > 500000 && !valid_iin(tx.sender_iin)",
        );
        assert_eq!(g.kinds, 1 << (TxKind::CardTopup as u32));
        assert_eq!(g.min_kzt, 50_000_001);
        let (_, g) = compiled(
            "450000.005 <= tx.amount_kzt && has(tx.device_id) && tx.kind in ['p2p', 'transfer']",
        );
        assert_eq!(g.min_kzt, 45_000_001);
        assert_eq!(g.needs, 1 << 5);
        assert_eq!(
            g.kinds,
            1 << (TxKind::P2p as u32) | 1 << (TxKind::Transfer as u32)
        );
        let (_, g) = compiled_alternatives("tx.kind == 'transfer' || tx.amount_kzt > 5");
        assert_eq!(g.0.len(), 2, "one guard per disjunct");
        assert_eq!(g.0[0].kinds, 1 << (TxKind::Transfer as u32));
        assert_eq!(g.0[1].min_kzt, 501);
        let (_, g) = compiled_alternatives("tx.kind == 'transfer' || valid_iin(tx.sender_iin)");
        assert_eq!(
            g,
            Guards::any(),
            "a disjunct without a guard admits everything"
        );
        let (_, g) = compiled_alternatives(
            "(to.institution.kind == 'vasp' && to.institution.license in ['none', 'revoked']) \
             || (from.institution.kind == 'vasp' && from.kind == 'card')",
        );
        let vasp = 1 << (finmon_model::InstitutionKind::Vasp as u8);
        let bad = 1 << (License::None as u8) | 1 << (License::Revoked as u8);
        assert_eq!((g.0[0].sides[3], g.0[0].sides[5]), (vasp, bad));
        assert_eq!(
            (g.0[1].sides[2], g.0[1].sides[0]),
            (vasp, 1 << (AccountKind::Card as u8))
        );
        let (_, g) = compiled("!(tx.kind == 'transfer') && tx.amount_kzt < 5");
        assert_eq!((g.kinds, g.max_kzt), (u32::MAX, 499));
        let (_, g) = compiled("tx.amount_kzt <= 500000 && tx.amount_kzt >= 450000");
        assert_eq!((g.min_kzt, g.max_kzt), (45_000_000, 50_000_000));
    }

    /// Guard, then the closure, decide exactly as the whole condition does.
    #[test]
    fn guard_and_closure_equal_the_condition() {
        let conditions = [
            "tx.kind == 'card_topup' && tx.amount_kzt > 500000 && !valid_iin(tx.sender_iin)",
            "tx.kind in ['p2p', 'transfer'] && tx.amount_kzt >= 450000 && tx.amount_kzt <= 500000",
            "has(tx.device_id) && has(tx.from_account) && tx.device_id == 'D'",
            "tx.amount_kzt >= 1000000.005 && tx.reference.contains('x')",
            "tx.kind == 'p2p' && tx.amount_kzt < 500000.01 && tx.amount_kzt > 449999.99",
            "has(tx.device_id) && has(tx.reference)",
        ];
        let ds = finmon_model::Dataset::default();
        for src in conditions {
            let (f, g) = compiled(src);
            for kind in ["card_topup", "p2p", "transfer", "cash_withdrawal"] {
                for amount in [
                    "1",
                    "449999.99",
                    "450000",
                    "500000",
                    "500000.01",
                    "1000000.00",
                    "1000000.01",
                ] {
                    for (device, reference) in [(None, None), (Some("D"), Some("x"))] {
                        let input = TxInput {
                            tx_id: "T".into(),
                            timestamp: "2025-03-14T00:00:00Z".into(),
                            kind: kind.into(),
                            from_account: Some("A".into()),
                            amount: amount.into(),
                            currency: "KZT".into(),
                            device_id: device.map(Into::into),
                            reference: reference.map(Into::into),
                            ..TxInput::default()
                        };
                        let tx = input.parse(&ds).unwrap();
                        let mut no_state: [crate::window::WindowState; 0] = [];
                        let env = Env {
                            tx: &tx,
                            from: Side::default(),
                            to: Side::default(),
                            win: Windows {
                                defs: &[],
                                clock: 0,
                                state: RefCell::new(&mut no_state[..]),
                                cache: &[],
                            },
                        };
                        // The guard and the rest of the condition together are the condition.
                        let (whole, _) = compiled_whole(src);
                        let admitted =
                            g.admits(&tx, presence_bits(&tx), &Side::default(), &Side::default());
                        let split = if admitted { f(&env) } else { Tri::False };
                        assert_eq!(split, whole(&env), "{src} on {kind} {amount}");
                    }
                }
            }
        }
    }

    #[test]
    fn mentions_ignores_case_in_any_script() {
        let w = |v: &[&str]| -> Vec<Vec<char>> {
            v.iter()
                .map(|s| s.to_lowercase().chars().collect())
                .collect()
        };
        assert!(mentions_any("Выигрыш в КАЗИНО", &w(&["казино"])));
        assert!(mentions_any("Lottery WINNINGS", &w(&["winning"])));
        assert!(!mentions_any("rent for March", &w(&["casino", "pawn"])));
        assert!(!mentions_any("", &w(&["x"])));
        assert!(mentions_any("Ставка на матч", &w(&["ставк"])));
        assert!(!mentions_any("Оплата за поставку товара", &w(&["ставк"])));
        assert!(!mentions_any("pawnshop", &w(&["shop"])));
        assert!(mentions_any("win: lottery", &w(&["lottery"])));
    }

    #[test]
    fn tenge_render() {
        let mut s = String::new();
        write_tenge(&mut s, 50_000_001);
        assert_eq!(s, "500,000.01");
        s.clear();
        write_tenge(&mut s, 5);
        assert_eq!(s, "0.05");
        s.clear();
        write_tenge(&mut s, -123_456_789);
        assert_eq!(s, "-1,234,567.89");
    }
}
