//! Kazakhstan identifiers as a registry would issue them — IINs, BINs, IBANs with valid check
//! digits (computed by `finmon_ident`) — and the broken ones of fictitious identities, plus the
//! opaque channel data (card hashes, devices, IPs, phones, wallet addresses).

use crate::rng::{mix, Rng};
use finmon_ident::check_digit;

/// An IIN or BIN as its 12 digits, held as a number (leading zeros are kept by [`write12`]).
pub type IdNum = u64;

/// "No identifier".
pub const NO_ID: IdNum = u64::MAX;

fn digits11(n: u64) -> [u8; 11] {
    let mut d = [0u8; 11];
    let mut x = n;
    for slot in d.iter_mut().rev() {
        *slot = (x % 10) as u8;
        x /= 10;
    }
    d
}

/// Appends the check digit to 11 leading digits, or `None` for a prefix that has none (both
/// weightings give 10: never issued).
fn with_check(first11: u64) -> Option<IdNum> {
    check_digit(&digits11(first11)).map(|c| first11 * 10 + u64::from(c))
}

/// Whether a 12-digit number passes the IIN/BIN check digit.
pub fn check_ok(id: IdNum) -> bool {
    id != NO_ID && with_check(id / 10) == Some(id)
}

/// A valid IIN for a person born on `(y, m, d)`. `serial` picks among the numbers of that
/// birthday; a serial whose prefix has no check digit moves on to the next one.
pub fn iin(y: i32, m: u32, d: u32, female: bool, serial: u32) -> IdNum {
    let century = match (y / 100, female) {
        (18, false) => 1,
        (18, true) => 2,
        (19, false) => 3,
        (19, true) => 4,
        (_, false) => 5,
        (_, true) => 6,
    };
    let date = u64::from((y % 100) as u32) * 10_000 + u64::from(m) * 100 + u64::from(d);
    let mut s = u64::from(serial % 10_000);
    loop {
        let first11 = date * 100_000 + century * 10_000 + s;
        if let Some(id) = with_check(first11) {
            return id;
        }
        s = (s + 1) % 10_000;
    }
}

/// A valid BIN of a resident legal entity's head office registered in `(y, m)`.
pub fn bin(y: i32, m: u32, serial: u32) -> IdNum {
    let yymm = u64::from((y % 100) as u32) * 100 + u64::from(m);
    let mut s = u64::from(serial % 100_000);
    loop {
        // YYMM, 4 = resident legal entity, 0 = head office, 5-digit serial.
        let first11 = yymm * 10_000_000 + 40 * 100_000 + s;
        if let Some(id) = with_check(first11) {
            return id;
        }
        s = (s + 1) % 100_000;
    }
}

/// How a fictitious identity's number is broken: the ways a made-up number fails.
pub fn fictitious(valid: IdNum, rng: &mut Rng, is_bin: bool) -> IdNum {
    let first11 = valid / 10;
    let check = valid % 10;
    match rng.below(if is_bin { 3 } else { 2 }) {
        // A wrong check digit: the commonest made-up number.
        0 => first11 * 10 + (check + 1 + rng.below(9)) % 10,
        // A prefix no check digit exists for (never issued); fall back to a wrong digit.
        1 => {
            for k in 0..10_000u64 {
                let p = (first11 / 10_000) * 10_000 + (first11 % 10_000 + k) % 10_000;
                if check_digit(&digits11(p)).is_none() {
                    return p * 10 + rng.below(10);
                }
            }
            first11 * 10 + (check + 1) % 10
        }
        // A BIN with registration month 13–99.
        _ => {
            let month = 13 + rng.below(87);
            let rest = first11 % 10_000_000;
            let yy = first11 / 1_000_000_000;
            let p = (yy * 100 + month) * 10_000_000 + rest;
            // Any check digit: the structure is already wrong.
            p * 10 + rng.below(10)
        }
    }
}

/// Writes a 12-digit identifier with its leading zeros.
pub fn write12(out: &mut Vec<u8>, id: IdNum) {
    let mut buf = [b'0'; 12];
    let mut x = id;
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (x % 10) as u8;
        x /= 10;
    }
    out.extend_from_slice(&buf);
}

pub fn id12(id: IdNum) -> String {
    let mut v = Vec::with_capacity(12);
    write12(&mut v, id);
    String::from_utf8(v).unwrap_or_default()
}

/// The value of an IBAN character in the ISO 13616 mod-97 check.
fn iban_value(c: u8) -> u32 {
    if c.is_ascii_digit() {
        u32::from(c - b'0')
    } else {
        u32::from(c.to_ascii_uppercase() - b'A') + 10
    }
}

/// A KZ IBAN for bank `code` (3 digits) and a 13-character account part, with the check
/// digits that make it pass ISO 7064 mod 97.
pub fn iban(code: u16, account: &str) -> String {
    let bban = format!("{code:03}{account}");
    let mut r: u32 = 0;
    for c in bban.bytes().chain(*b"KZ00") {
        let v = iban_value(c);
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    format!("KZ{:02}{bban}", 98 - r)
}

/// Sixteen hex digits: a card's number is never written, only a hash of it.
pub fn pan_hash(seed: u64, account: u32) -> String {
    format!("{:016x}", mix(seed ^ 0xCA4D ^ (u64::from(account) << 20)))
}

/// A device fingerprint for device number `n`.
pub fn write_device(out: &mut Vec<u8>, seed: u64, n: u32) {
    out.extend_from_slice(b"dev-");
    let h = mix(seed ^ 0xDE71CE ^ (u64::from(n) << 24)) & 0xFFFF_FFFF_FFFF;
    write_hex(out, h, 12);
}

fn write_hex(out: &mut Vec<u8>, v: u64, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..width).rev() {
        out.push(HEX[((v >> (4 * i)) & 0xF) as usize]);
    }
}

pub fn device(seed: u64, n: u32) -> String {
    let mut v = Vec::new();
    write_device(&mut v, seed, n);
    String::from_utf8(v).unwrap_or_default()
}

/// Mobile operators' address blocks in Kazakhstan (first two octets), so that IPs look local.
const IP_BLOCKS: [(u8, u8); 8] = [
    (2, 132),
    (2, 134),
    (37, 99),
    (37, 150),
    (95, 56),
    (95, 57),
    (178, 89),
    (92, 46),
];

/// IP address number `n` (stable per `n`).
pub fn write_ip(out: &mut Vec<u8>, seed: u64, n: u32) {
    let h = mix(seed ^ 0x1B ^ (u64::from(n) << 16));
    let (a, b) = IP_BLOCKS[(h % IP_BLOCKS.len() as u64) as usize];
    let mut buf = itoa::Buffer::new();
    for (i, octet) in [a, b, (h >> 8) as u8, ((h >> 16) as u8).max(1)]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push(b'.');
        }
        out.extend_from_slice(buf.format(octet).as_bytes());
    }
}

/// A Kazakhstan mobile number: `+77` and an operator code, seven digits.
pub fn phone(rng: &mut Rng) -> String {
    const OPERATORS: [&str; 10] = ["00", "01", "02", "05", "07", "08", "47", "71", "75", "77"];
    format!("+77{}{:07}", rng.pick(&OPERATORS), rng.below(10_000_000))
}

/// An on-chain address in the shape of its chain.
pub fn wallet_address(seed: u64, n: u32, chain: &str) -> String {
    const B32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut h = mix(seed ^ 0x3A11E7 ^ (u64::from(n) << 8));
    let mut next = |alphabet: &[u8]| {
        h = mix(h);
        alphabet[(h % alphabet.len() as u64) as usize] as char
    };
    match chain {
        "BTC" => std::iter::once("bc1q".to_string())
            .chain((0..38).map(|_| next(B32).to_string()))
            .collect(),
        "TRX" => std::iter::once("T".to_string())
            .chain((0..33).map(|_| next(B58).to_string()))
            .collect(),
        _ => std::iter::once("0x".to_string())
            .chain((0..40).map(|_| next(b"0123456789abcdef").to_string()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use finmon_ident::{Bin, Iban, Iin};

    #[test]
    fn issued_numbers_pass_the_validators() {
        let mut r = Rng::new(3, 3);
        for i in 0..2_000u32 {
            let y = 1940 + (i % 80) as i32;
            let id = iin(
                y,
                1 + i % 12,
                1 + i % 28,
                i % 2 == 0,
                r.below(10_000) as u32,
            );
            let s = id12(id);
            assert!(Iin::parse(&s).is_ok(), "{s}");
            assert!(check_ok(id));
            let b = bin(2000 + (i % 25) as i32, 1 + i % 12, r.below(100_000) as u32);
            assert!(Bin::parse(&id12(b)).is_ok(), "{}", id12(b));
        }
        assert_eq!(id12(iin(2006, 12, 11, false, 1)).len(), 12);
    }

    #[test]
    fn fictitious_numbers_fail_them() {
        let mut r = Rng::new(4, 4);
        for i in 0..2_000u32 {
            let p = fictitious(iin(1990, 5, 1 + i % 28, true, i), &mut r, false);
            assert!(Iin::parse(&id12(p)).is_err(), "{}", id12(p));
            assert!(!check_ok(p));
            let b = fictitious(bin(2024, 1 + i % 12, i), &mut r, true);
            assert!(Bin::parse(&id12(b)).is_err(), "{}", id12(b));
        }
    }

    #[test]
    fn ibans_pass_mod_97() {
        for (code, acc) in [
            (601, "KZT0000000001"),
            (722, "KZT1234567890"),
            (998, "KZT9999999999"),
        ] {
            let s = iban(code, acc);
            assert_eq!(s.len(), 20);
            let parsed = Iban::parse(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(parsed.bank_code(), format!("{code:03}"));
        }
        // The spec's example: the check digits come out as published.
        assert_eq!(iban(125, "KZT5004100100"), "KZ86125KZT5004100100");
    }
}
