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
//! # API
//!
//! * [`RuleSet::load`] / [`RuleSet::from_toml`] / [`RuleSet::kazakhstan`]: a compiled rule file,
//!   or a [`LoadError`] listing every mistake with file, line and column.
//! * [`Engine::new`]`(rules, Arc<Dataset>)`: the reference tables (institutions, parties,
//!   accounts, rates) may be empty.
//! * [`Engine::decide`]`(&TxInput) -> Result<Decision, InputError>`: a [`Decision`] is
//!   `{ tx_id, decision, hits: [Hit { rule, outcome, severity, reason }], micros }`;
//!   [`Engine::decide_into`] fills a reused one. A transaction that fails validation is an
//!   [`InputError`] and changes no state.
//! * [`Engine::replace_rules`] (hot reload, keeping unchanged windows), [`Engine::snapshot`] /
//!   [`Engine::restore`] (window state, [`Snapshot::to_bytes`] or serde), [`Engine::stats`].
//! * [`TxInput`]: the transaction as text fields, as a JSON request carries them (serde);
//!   [`TxInput::parse`] validates it as ingest validates a row (RFC 3339 timestamp, token kind,
//!   strict decimal amount, currency code, an account on at least one side) and values it in
//!   tenge: the given `amount_kzt`, else `amount × rate` of the transaction's local day from the
//!   reference rates. A missing rate is an error, never a zero.
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
//!   `institution.{id, kind, name, country, bin, license, bank_linked}`. Accounts are found by
//!   the 64-bit fingerprint of their id (a false match: probability about `accounts / 2⁶⁴`).
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
//! * **Interval: `(T − N, T]`**, open at the old end, where `T` is the engine's clock: the
//!   latest transaction time it has seen, this transaction included. For transactions in time
//!   order (a live feed) `T` is the transaction's own time `t`: an event exactly N old has
//!   expired, one N − 1 s old is in. Times are whole seconds.
//! * The transaction's own event is added **before** rules run, so `window.x` includes the
//!   transaction being decided ("the 3rd top-up in 24 h" reads 3). A transaction that does not
//!   feed a window but has a key for it reads the window without adding to it.
//! * Each window is updated once per transaction, whatever the number of rules reading it.
//! * `count`, `distinct` and `sum` of a key without events are 0; `max` has no value (error).
//! * A late transaction (older than one already decided) is counted at its own time and sees
//!   the window at the clock; if it is already older than `T − N` it is not counted.
//! * Values depend only on the events and the clock, never on when expired events are
//!   physically dropped, so the sweep below cannot change a decision.
//!
//! # State bounds
//!
//! A key holds only its events inside the window: every update or read of a key drops its
//! expired events, and a key with no events left is removed. Keys that no transaction touches
//! again are found by an incremental sweep paced by stream time: every 16 decisions, each
//! window visits the share of its table owed since the last sweep, so that the whole table is
//! visited once per quarter of the window's span (at most 256 entries a window a sweep; a jump
//! in time is spread over the following sweeps). An idle key is therefore freed at most about
//! 1.25 spans after its last event: memory is bounded by the keys and events inside the
//! windows' spans (plus a quarter). Freed keys' event buffers are kept (up to 4,096 buffers of
//! at most 256 events) for new keys, so steady state does not allocate. Keys and distinct values
//! are 64-bit fingerprints (`fp`), not text: a slot is one 64-byte cache line, an event 16
//! bytes. A window's table does not shrink: it is sized for the most keys it has held at once
//! (at most 3/4 full). [`Engine::stats`] reports keys and events per window.
//!
//! Window state survives a rule reload ([`Engine::replace_rules`]) for every window whose
//! definition (key, aggregate, value, span, condition, and the lists they read; not spacing)
//! is unchanged, and can be saved and restored ([`Engine::snapshot`], [`Engine::restore`];
//! [`Snapshot`] is serde, with a compact binary form): restored, an engine makes exactly the
//! decisions the original would.
//!
//! # Speed
//!
//! Conditions are not interpreted. `cel`'s parser (crate `cel` 0.15, parser only: the
//! interpreter is not used) gives the syntax tree with source offsets; this crate compiles it
//! into boxed closures over pre-resolved fields, with constants folded, money literals
//! converted to exact tiyn thresholds, tokens to indices and bit masks, `a && b && c` to one
//! closure. Each condition also yields a *guard* — the tests of its top-level conjunction on
//! `tx.kind`, `tx.amount_kzt`, `has(tx.…)` and the accounts' token fields (one guard per
//! disjunct of a top-level `||`) — checked inline before the closure is called; conjuncts a
//! guard decides exactly are left out of the closure. Most rules thus cost a few compares.
//!
//! A decision then waits mostly on memory: reading two accounts and a slot and the events of
//! each window, out of tables of megabytes. Accounts and window keys live in linear-probing
//! tables of fingerprints (`table`) whose first probe's address is known from the key, so a
//! decision computes every key first and starts all those reads together, then the reads of
//! the windows' events, before it uses any: the cache misses overlap instead of queueing.
//! Deciding allocates nothing but the reasons of the hits ([`Engine::decide_into`] reuses the
//! decision's buffers) and, for a key never seen, its event buffer.
//!
//! `examples/decide_bench.rs` replays synthetic traffic through the Kazakhstan pack on one
//! thread (100,000 accounts, 60,000 persons, 25,000 devices of which 300 shared). Measured on a
//! 2-vCPU shared virtual machine (AMD EPYC, other builds running), in decisions per second of
//! the thread's CPU time, parsing and valuing the text fields included:
//!
//! | transactions | live in windows | decisions/s | p50 | p99 |
//! |---|---|---|---|---|
//! | 1,000,000 (30 days) | 130,000 keys, 870,000 events | 0.82–0.96 M | 0.91–0.98 µs | 2.8–3.0 µs |
//! | 2,000,000 (60 days) | 135,000 keys, 1,650,000 events | 0.63–0.83 M | 0.99–1.37 µs | 2.9–4.3 µs |
//!
//! The spread is the machine's other load. About 0.35 µs of a decision is computation (0.12 µs
//! of it validating the text fields: timestamp, decimal amount, valuation); the rest is waiting
//! on memory, and grows with the windows' state.
//!
//! Why `cel` 0.15's parser (measured here, clean build with the workspace's dev profile, and
//! 20,000 parses of three rule conditions): it is the maintained parser of the cel-rust project,
//! and its `parse_with_source_info` gives every node's byte offset, which this crate needs to
//! report type errors at their place and to re-read number literals exactly (`500000.01` must
//! not go through a float). With default features off (no chrono, regex) it builds in 40 s from
//! clean (antlr4rust runtime, nom; 32 crates). `cel-parser` 0.10, the older antlr-based
//! release, builds in 20 s but offers no node offsets on success; `cel-core` 0.5 has a
//! hand-written parser with spans, 4× faster (8 µs an expression against 35 µs), but depends
//! on `chrono-tz`, `logos` and `regex` and builds in 80 s. Parse speed does not matter: rules
//! are parsed once, at load.

mod arena;
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
