//! The Kazakhstan rules a transaction can breach on its own, as the law states them
//! (`kazakhstan.md`; the defaults of `config/finmon.toml`). The generator labels every
//! transaction by these, whoever made it — a planted scheme or the lawful background — so that
//! the labels say what the rules define, independently of how a detector implements them.

use crate::out::Tx;
use crate::vocab::{Bio, Purpose};
use crate::world::{World, NONE};
use finmon_model::{TxKind, Typology};

/// Tiyn in `n` tenge.
pub const fn tenge(n: i64) -> i64 {
    n * 100
}

/// A card top-up strictly above this (tiyn) needs a valid sender IIN.
pub const TOPUP_IIN_ABOVE: i64 = tenge(500_000);
/// Banks keep ATM video at least this many days.
pub const VIDEO_RETENTION_DAYS: u32 = 180;
/// Threshold reports (Law 191-IV Art. 4), amounts at or above, tiyn.
pub const GAMBLING_MIN: i64 = tenge(1_000_000);
pub const CULTURAL_CASH_MIN: i64 = tenge(1_000_000);
pub const PAWNSHOP_MIN: i64 = tenge(3_000_000);
pub const OFFSHORE_MIN: i64 = tenge(5_000_000);

/// The breaches of one transaction, in a fixed order.
pub fn breaches(w: &World, t: &Tx, out: &mut Vec<Typology>) {
    if t.kind == TxKind::CardTopup && t.kzt > TOPUP_IIN_ABOVE && !crate::ids::check_ok(t.iin) {
        out.push(Typology::MissingIin);
    }
    if t.kind == TxKind::CashWithdrawal && t.bio != Bio::Verified {
        out.push(Typology::NoBiometrics);
    }
    if t.kind.is_cash() && t.atm != NONE && !w.video_kept(t.atm, t.ts) {
        out.push(Typology::VideoGap);
    }
    if reportable(w, t) {
        out.push(Typology::ThresholdReport);
    }
}

fn reportable(w: &World, t: &Tx) -> bool {
    let offshore = |a: u32| a != NONE && w.accounts[a as usize].offshore;
    match t.reference.purpose() {
        Purpose::Gambling if t.kzt >= GAMBLING_MIN => return true,
        Purpose::CulturalProperty if t.kind.is_cash() && t.kzt >= CULTURAL_CASH_MIN => return true,
        Purpose::Pawnshop if t.kzt >= PAWNSHOP_MIN => return true,
        _ => {}
    }
    t.kzt >= OFFSHORE_MIN && (offshore(t.from) || offshore(t.to))
}
