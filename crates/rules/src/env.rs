//! What a compiled expression reads while deciding one transaction: the parsed transaction, its
//! two accounts resolved against the reference tables, and the windows.

use crate::fp;
use crate::input::ParsedTx;
use crate::table::{self, ProbeTable};
use crate::window::{WindowDef, WindowState};
use finmon_model::{Account, AccountKind, Dataset, Institution, Party};
use std::cell::{Cell, RefCell};

/// A condition's value: CEL's three outcomes of a boolean expression. `Err` is what reading an
/// absent field (or an overflow, a window without events for `max`) gives; `&&` and `||`
/// absorb it as CEL does (`false && err` is `false`, `true || err` is `true`), and a rule whose
/// condition ends in `Err` does not fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    True,
    Err,
}

impl Tri {
    #[inline]
    pub(crate) fn of(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

/// Per account of the reference tables, what rules read most, computed once when the engine
/// is created: 16 bytes an account, so that resolving a side touches one cache line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountInfo {
    pub kind: AccountKind,
    /// Cards (`accounts.kind = card`) of this account's holder at this account's institution,
    /// this account included if it is a card; `NONE` when the holder or institution is unknown.
    pub holder_cards: u32,
    /// Row of the holder in `parties`, of the institution in `institutions`; `NONE` if absent.
    pub holder: u32,
    pub institution: u32,
}

const NONE: u32 = u32::MAX;

fn some(v: u32) -> Option<u32> {
    (v != NONE).then_some(v)
}

impl Default for AccountInfo {
    fn default() -> Self {
        AccountInfo {
            kind: AccountKind::Unknown,
            holder_cards: NONE,
            holder: NONE,
            institution: NONE,
        }
    }
}

/// An account of the reference tables: its row and figures, under the fingerprint of its id.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(32))]
struct Entry {
    fp: u64,
    row: u32,
    info: AccountInfo,
}

impl table::Entry for Entry {
    #[inline]
    fn key(&self) -> u64 {
        self.fp
    }
}

/// The listed accounts by id. One probe of a table of 32-byte entries finds an account's row
/// and figures. Ids are matched by 64-bit fingerprint (see `fp`): an unlisted id taken for a
/// listed one has a probability of about `accounts / 2⁶⁴` (5·10⁻¹⁵ for 100,000 accounts).
pub(crate) struct Reference {
    table: ProbeTable<Entry>,
}

/// The fingerprint accounts are looked up by.
#[inline]
pub(crate) fn account_fp(id: &str) -> u64 {
    fp::bytes(fp::TAG_STR, id.as_bytes())
}

impl Reference {
    pub(crate) fn new(ds: &Dataset) -> Reference {
        use std::collections::HashMap;
        let mut cards: HashMap<(&str, &str), u32> = HashMap::new();
        for a in &ds.accounts.rows {
            if a.kind == AccountKind::Card {
                if let (Some(h), Some(i)) = (a.holder.as_deref(), a.institution.as_deref()) {
                    *cards.entry((h, i)).or_default() += 1;
                }
            }
        }
        let row = |i: Option<usize>| i.and_then(|i| u32::try_from(i).ok()).unwrap_or(NONE);
        let mut table = ProbeTable::with_capacity(ds.accounts.rows.len());
        for (i, a) in ds.accounts.rows.iter().enumerate() {
            let Ok(r) = u32::try_from(i) else { break };
            let fp = table::stored(account_fp(ds.accounts.key(i)));
            let info = AccountInfo {
                kind: a.kind,
                holder_cards: match (a.holder.as_deref(), a.institution.as_deref()) {
                    (Some(h), Some(i)) => cards.get(&(h, i)).copied().unwrap_or(0),
                    _ => NONE,
                },
                holder: row(a.holder.as_deref().and_then(|h| ds.parties.index(h))),
                institution: row(a
                    .institution
                    .as_deref()
                    .and_then(|i| ds.institutions.index(i))),
            };
            if table.find(fp).is_none() {
                table.insert(Entry { fp, row: r, info });
            }
        }
        Reference { table }
    }

    /// Brings the entry of an account into cache (see [`ProbeTable::touch`]).
    #[inline]
    pub(crate) fn touch(&self, fp: u64) {
        self.table.touch(fp);
    }

    /// One side of a transaction: the account id as given (and its fingerprint) and its
    /// reference figures.
    pub(crate) fn side<'a>(&'a self, ds: &'a Dataset, id: Option<(&'a str, u64)>) -> Side<'a> {
        let Some((id, fp)) = id else {
            return Side::default();
        };
        let e = self.table.find(fp).and_then(|i| self.table.get(i));
        Side {
            id: Some(id),
            ds: Some(ds),
            row: e.map(|e| e.row),
            info: e.map(|e| e.info),
        }
    }
}

/// `from` or `to` of a transaction. Reference rows are reached on demand, so that a rule that
/// reads only the account kind touches nothing but the 16-byte [`AccountInfo`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Side<'a> {
    /// The account id the transaction names; `None` for the cash side.
    pub id: Option<&'a str>,
    pub ds: Option<&'a Dataset>,
    /// Its row in `accounts`, if listed.
    pub row: Option<u32>,
    pub info: Option<AccountInfo>,
}

impl<'a> Side<'a> {
    pub(crate) fn account(&self) -> Option<&'a Account> {
        self.ds?.accounts.rows.get(self.row? as usize)
    }

    /// The account kind; `unknown` for an account the reference does not list.
    pub(crate) fn kind(&self) -> AccountKind {
        self.info.map_or(AccountKind::Unknown, |i| i.kind)
    }

    pub(crate) fn holder_cards(&self) -> Option<u32> {
        some(self.info?.holder_cards)
    }

    /// The holder's party id as the account row gives it.
    pub(crate) fn holder_id(&self) -> Option<&'a str> {
        self.account()?.holder.as_deref()
    }

    pub(crate) fn holder(&self) -> Option<&'a Party> {
        self.ds?.parties.rows.get(some(self.info?.holder)? as usize)
    }

    pub(crate) fn inst_id(&self) -> Option<&'a str> {
        self.account()?.institution.as_deref()
    }

    pub(crate) fn inst(&self) -> Option<&'a Institution> {
        self.ds?
            .institutions
            .rows
            .get(some(self.info?.institution)? as usize)
    }
}

/// A window's value for the transaction being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WinVal {
    /// Not computed yet: the transaction did not feed the window; read on first use.
    Pending,
    Val(i64),
    /// No value (key absent, or `max` over no events).
    None,
}

pub(crate) struct Windows<'a> {
    pub defs: &'a [WindowDef],
    /// The engine's clock: the latest transaction time seen, this one included.
    pub clock: i64,
    pub state: RefCell<&'a mut [WindowState]>,
    pub cache: &'a [Cell<WinVal>],
}

/// Everything an expression can read.
pub(crate) struct Env<'a> {
    pub tx: &'a ParsedTx<'a>,
    pub from: Side<'a>,
    pub to: Side<'a>,
    pub win: Windows<'a>,
}

impl Env<'_> {
    /// The value of window `i` for this transaction. A window the transaction fed was computed
    /// when it was updated; otherwise it is read now (without adding an event) if the
    /// transaction has a key for it.
    #[inline]
    pub(crate) fn window(&self, i: usize) -> Option<i64> {
        match self.win.cache[i].get() {
            WinVal::Val(v) => Some(v),
            WinVal::None => None,
            WinVal::Pending => {
                let def = &self.win.defs[i];
                let v = match (def.key)(self) {
                    None => None,
                    Some(key) => self.win.state.borrow_mut()[i].read(key, self.win.clock),
                };
                self.win.cache[i].set(v.map_or(WinVal::None, WinVal::Val));
                v
            }
        }
    }
}
