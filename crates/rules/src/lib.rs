//! Real-time decisions: rules as data, compiled, with sliding windows.
//!
//! A bank or a licensed exchange asks, for each transaction as it happens, whether to
//! **allow**, **review** or **block** it. [`Engine::decide`] answers with the strictest outcome
//! of the rules that fired and, for each, a reason with the figures. Rules live in TOML files
//! whose conditions are [CEL](https://cel.dev) expressions; the Kazakhstan pack is
//! `rules/kz.toml` ([`RuleSet::kazakhstan`]).
//!
//! ```
//! use finmon_rules::{Engine, Outcome, RuleSet, TxInput};
//! use std::sync::Arc;
//!
//! let rules = RuleSet::kazakhstan()?;
//! let mut engine = Engine::new(rules, Arc::new(finmon_model::Dataset::default()));
//! let tx: TxInput = serde_json::from_str(r#"{"tx_id": "T1",
//!     "timestamp": "2025-03-14T09:26:53+05:00", "kind": "card_topup",
//!     "to_account": "CARD-1", "amount": "600000.00", "currency": "KZT"}"#)?;
//! let d = engine.decide(&tx)?;
//! assert_eq!(d.decision, Outcome::Block);
//! assert_eq!(d.hits[0].rule.as_ref(), "KZ-IIN-TOPUP");
//! assert_eq!(d.hits[0].reason,
//!     "card top-up of 600,000.00 KZT to CARD-1 is above 500,000.00 KZT and the sender IIN (none) is missing or invalid");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The rule file
//!
//! ```toml
//! name = "kz"                      # optional: name, description, version of the pack
//! attributes = ["channel"]         # extra transaction attributes the rules read (tx.channel)
//!
//! [lists]                          # named string lists: `x in lists.offshore`
//! offshore = ["KY", "VG", "PA"]
//!
//! [[window]]                       # a sliding-window aggregate, read as window.senders_90d
//! name = "senders_90d"
//! key = "tx.to_account"            # or keys = ["from.holder.id", "from.institution.id"]
//! aggregate = "distinct"           # count | sum | distinct | max
//! of = "tx.from_account"           # the value aggregated (not for count)
//! over = "90d"                     # span: a whole number of s, m, h or d
//! when = "has(tx.from_account)"    # optional: which transactions add an event
//!
//! [[rule]]
//! id = "KZ-MANY-SENDERS"
//! description = "more than 100 distinct senders to one account in 90 days"
//! outcome = "review"               # allow | review | block
//! severity = "high"                # low | medium | high | critical
//! typology = "fan_in"              # optional: a dataset.md typology
//! enabled = true                   # optional, default true
//! when = "window.senders_90d > 100"
//! reason = "{window.senders_90d} distinct senders to {tx.to_account} in 90 days"
//! ```
//!
//! Unknown keys are refused. `reason` is a template: each `{…}` is a CEL expression (`{{` and
//! `}}` write braces); money renders as `1,250,000.00`, an absent value as `none`.
//!
//! A file with a mistake is refused whole at load ([`LoadError`]), every mistake with its file,
//! line and column: TOML syntax, an unknown or missing key, a CEL syntax error, an unknown field,
//! window, list or function, a type error (`tx.kind > 5`, `tx.amount_kzt == tx.device_id`), a
//! token that does not exist (`tx.kind == 'cardtopup'`), a money literal finer than a tiyn. The
//! position of a CEL error is mapped from inside the expression string back to the file
//! (through escapes and multi-line strings). A loaded [`RuleSet`] is never affected by a later
//! failed load.
//!
//! # What expressions read
//!
//! * `tx.<column>`: the `transactions` columns of `dataset.md` — `tx_id`, `timestamp`, `kind`,
//!   `from_account`, `to_account`, `amount`, `currency`, `amount_kzt`, `sender_iin`, `atm_id`,
//!   `biometric`, `device_id`, `ip`, `reference` — and the declared `attributes`.
//! * `from.*`, `to.*`: the accounts, from the reference [`Dataset`](finmon_model::Dataset) given
//!   to [`Engine::new`]: `id`, `listed`, `kind` (`unknown` for an account the reference does not
//!   list), `iban`, `pan_hash`, `address`, `chain`, `currency`, `holder_cards` (cards the holder
//!   holds at this account's institution); `holder.{id, kind, iin_bin, name, country, address}`;
//!   `institution.{id, kind, name, country, bin, license, bank_linked}`.
//! * `window.<name>`: a window's value for this transaction; `lists.<name>`: a list.
//! * Operators `&& || ! ?: == != < <= > >= + - * / % in`, `has(field)`, and the functions
//!   `valid_iin(s)`, `valid_bin(s)` (Kazakhstan check digits, via `finmon_ident`),
//!   `s.contains(t)`, `s.startsWith(t)`, `s.endsWith(t)`, `mentions(s, list)` (any keyword,
//!   ignoring case in any script), `size(s)`, `timestamp('2026-01-01T00:00:00+05:00')`.
//!
//! # Typing rules
//!
//! Every expression is typed at load. Types: bool, int, **money** (tenge), decimal (`tx.amount`,
//! in the transaction's own currency), string, timestamp, and token types (`tx.kind`,
//! `tx.biometric`, `*.kind`, `*.license`).
//!
//! * **Money compares with money, or with a number literal in tenge.** `tx.amount_kzt` is kept
//!   as integer tiyn; a literal is converted exactly when the rule file is loaded
//!   (`500000.01` is 50,000,001 tiyn — number literals are re-read from their text, never
//!   through a float). A literal with fractions of a tiyn still compares exactly:
//!   `x > 450000.005` is `x > 45,000,000` tiyn and `x >= 450000.005` is `x >= 45,000,001`.
//!   Money adds to money and to tenge literals, multiplies by whole numbers; money against an
//!   int (`tx.amount_kzt > window.n`) or against `tx.amount` is a type error.
//! * Constant arithmetic is folded exactly (`0.9 * 500000` is 450000).
//! * Token fields compare (`==`, `!=`, `in`) with string literals that are checked against the
//!   vocabulary of `dataset.md`, and compile to byte compares and bit masks.
//! * Strings compare with `==` and `!=` only; ints with ints and number literals.
//!
//! **Absent values.** An empty or missing field is absent. As in CEL, reading it is an error
//! that propagates, `&&` and `||` absorb it (`false && err` is `false`, `true || err` is
//! `true`), and a rule whose condition ends in an error does not fire. `has(tx.sender_iin)`
//! tests presence. `valid_iin` and `valid_bin` are total: an absent number is not a valid one.
//!
//! # Windows
//!
//! A window aggregates, per key, the events of the transactions that feed it (its `when` holds
//! and its key and value are present). Keys are one expression or a composite of several.
//!
//! * **Interval: `(t − N, t]`**, open at the old end: an event exactly N old has expired; one
//!   N − 1 s old is in. Times are whole seconds.
//! * The transaction's own event is added **before** rules run, so `window.x` includes the
//!   transaction being decided ("the 3rd top-up in 24 h" reads 3). A transaction that does not
//!   feed a window but has a key for it reads the window without adding to it.
//! * Each window is updated once per transaction, whatever the number of rules reading it.
//! * `count`, `distinct` and `sum` of a key without events are 0; `max` has no value (error).
//! * Transactions are expected in time order, as a live feed sends them. A late one is counted
//!   at its own time, but sees its key's window as it stands; an event older than the key's
//!   window already is not counted.
//!
//! # State bounds
//!
//! A key holds only its events in the window: every update or read of a key expires its old
//! events, and a key with no events left is removed. Keys that no transaction touches again
//! are found by an incremental sweep: each decision expires two slots of every window against
//! the latest transaction time seen, so an expired key is freed within `slots / 2` decisions.
//! Memory is thus bounded by the keys and events inside the windows' spans. Freed slots keep
//! their buffers for the next key (those above 256 entries are given back), so steady state
//! does not allocate. Keys and distinct values are 64-bit fingerprints (see `fp`), not text.
//! [`Engine::stats`] reports keys and events per window.
//!
//! Window state survives a rule reload ([`Engine::replace_rules`]) for every window whose
//! definition is unchanged, and can be saved and restored ([`Engine::snapshot`],
//! [`Engine::restore`]; [`Snapshot`] is serde, with a compact binary form): restored, an engine
//! makes exactly the decisions the original would.
//!
//! # Speed
//!
//! Conditions are not interpreted. `cel`'s parser (crate `cel` 0.15, parser only: the
//! interpreter is not used) gives the syntax tree with source offsets; this crate compiles it
//! into boxed closures over pre-resolved fields, with constants folded, literals converted to
//! tiyn and tokens to indices. Deciding allocates nothing but the reasons of the hits
//! ([`Engine::decide_into`] reuses the decision's buffers). `examples/decide_bench.rs` replays
//! synthetic traffic through the Kazakhstan pack; see its output for decisions per second.
//!
//! Why `cel` 0.15's parser: it is the maintained parser of the cel-rust project, its
//! `parse_with_source_info` gives every node's byte offset (needed to report type errors at
//! their place and to re-read number literals exactly), and with default features off it
//! builds in about 40 s from clean. `cel-parser` 0.10 (the older antlr-based release) builds
//! in 20 s but exposes no node offsets on success; `cel-core` 0.5 has a hand-written parser
//! with spans but pulls `chrono-tz`, `logos` and `regex` (80 s). Parse speed does not matter
//! at load time (35 µs an expression for `cel`).

mod compile;
mod engine;
mod env;
mod error;
mod fp;
mod input;
mod ruleset;
mod snapshot;
mod source;
mod table;
mod window;

pub use engine::{Decision, Engine, Hit, StateReport, WindowStats};
pub use error::{Diagnostic, InputError, LoadError, SnapshotError};
pub use input::{ParsedTx, TxInput};
pub use ruleset::{Outcome, RuleInfo, RuleSet, Severity, WindowInfo, KZ_PACK};
pub use snapshot::Snapshot;
pub use window::{Aggregate, KeySnapshot, WindowSnapshot};
