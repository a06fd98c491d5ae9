//! finmon's domain model: the tables of the dataset format (`dataset.md`), exact money, time, and
//! the columnar transaction store every engine reads.
//!
//! This crate does no I/O. It is the bottom of the dependency graph: ingest fills it, detectors
//! read it, the binary prints it.

pub mod dataset;
pub mod enums;
pub mod finding;
pub mod intern;
pub mod money;
pub mod time;
pub mod tx;

pub use dataset::{
    Account, AccountId, Accounts, AtmVideo, Dataset, Identifier, Institution, InstitutionId, Party,
    PartyId, Rates, Recording,
};
pub use enums::{
    AccountKind, Biometric, IdentifierKind, InstitutionKind, License, PartyKind, SubjectKind,
    TxKind, Typology,
};
pub use finding::{Finding, Label, Subject};
pub use intern::{Interner, Sym};
pub use money::{Currencies, Currency, Grouped, Kzt, ParseAmountError};
pub use rust_decimal::Decimal;
pub use time::{Date, Timestamp};
pub use tx::{StrColumn, Transactions, TxIds};
