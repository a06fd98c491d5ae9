//! Writes the reference tables (institutions, parties, accounts, identifiers, rates,
//! atm_video) and the labels of parties, accounts and institutions.

use crate::error::GenError;
use crate::ids::{self, NO_ID};
use crate::out::account_prefix;
use crate::vocab::Cur;
use crate::world::{IdValue, World, NONE, NO_DATE};
use finmon_model::{AccountKind, Date, SubjectKind};
use std::io::Write;
use std::path::Path;

fn writer(dir: &Path, name: &str) -> Result<csv::Writer<std::fs::File>, GenError> {
    let path = dir.join(name);
    let f = std::fs::File::create(&path).map_err(|source| GenError::File { path, source })?;
    Ok(csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(f))
}

fn date(d: i32) -> String {
    if d == NO_DATE {
        String::new()
    } else {
        Date(d).to_string()
    }
}

pub fn party_key(p: u32) -> String {
    format!("P{p}")
}

pub fn account_key(w: &World, a: u32) -> String {
    let mut v = Vec::new();
    crate::out::account_key(&mut v, w, a);
    String::from_utf8(v).unwrap_or_default()
}

/// Local timestamp text of a UTC instant.
fn local_ts(ts: i64) -> String {
    let local = ts + crate::world::OFFSET_SECS;
    let d = Date(local.div_euclid(86_400) as i32);
    let s = local.rem_euclid(86_400);
    format!("{d}T{:02}:{:02}:{:02}+05:00", s / 3600, s / 60 % 60, s % 60)
}

/// Rows written per table.
pub fn write(w: &World, dir: &Path) -> Result<Vec<(&'static str, u64)>, GenError> {
    let seed = w.cfg.seed;
    let mut counts = Vec::new();

    let mut t = writer(dir, "institutions.csv")?;
    t.write_record(finmon_model::dataset::columns::INSTITUTIONS)?;
    for i in &w.institutions {
        t.write_record([
            i.key.as_str(),
            i.kind.as_str(),
            &i.name,
            i.country,
            &if i.bin == NO_ID {
                String::new()
            } else {
                ids::id12(i.bin)
            },
            i.license.as_str(),
            match i.bank_linked {
                Some(true) => "true",
                Some(false) => "false",
                None => "",
            },
        ])?;
    }
    t.flush()?;
    counts.push(("institutions", w.institutions.len() as u64));

    let mut t = writer(dir, "parties.csv")?;
    t.write_record(finmon_model::dataset::columns::PARTIES)?;
    for (k, p) in w.parties.iter().enumerate() {
        t.write_record([
            party_key(k as u32).as_str(),
            p.kind.as_str(),
            &if p.id == NO_ID {
                String::new()
            } else {
                ids::id12(p.id)
            },
            &w.party_name(p),
            &date(p.birth),
            &date(p.registered),
            &date(p.deregistered),
            p.country,
            &w.address_text(p.address).unwrap_or_default(),
        ])?;
    }
    t.flush()?;
    counts.push(("parties", w.parties.len() as u64));

    let mut t = writer(dir, "accounts.csv")?;
    t.write_record(finmon_model::dataset::columns::ACCOUNTS)?;
    for (k, a) in w.accounts.iter().enumerate() {
        let k = k as u32;
        let inst = (a.inst != NONE).then(|| &w.institutions[a.inst as usize]);
        let iban = match (a.kind, inst) {
            (AccountKind::BankAccount, Some(i)) if i.bank_code > 0 => ids::iban(
                i.bank_code,
                &format!("KZT{:010}", u64::from(k) * 7 + 1_000_003),
            ),
            _ => String::new(),
        };
        let (address, chain) = if a.kind == AccountKind::Wallet {
            let chain = match a.cur {
                Cur::Btc => "BTC",
                Cur::Eth => "ETH",
                _ => "TRX",
            };
            (ids::wallet_address(seed, k, chain), chain)
        } else {
            (String::new(), "")
        };
        t.write_record([
            account_key(w, k).as_str(),
            a.kind.as_str(),
            &if a.holder == NONE {
                String::new()
            } else {
                party_key(a.holder)
            },
            inst.map_or("", |i| i.key.as_str()),
            &iban,
            &if a.kind == AccountKind::Card {
                ids::pan_hash(seed, k)
            } else {
                String::new()
            },
            &address,
            chain,
            a.cur.code(),
            &date(a.opened),
            &date(a.closed),
        ])?;
    }
    t.flush()?;
    counts.push(("accounts", w.accounts.len() as u64));

    let mut t = writer(dir, "identifiers.csv")?;
    t.write_record(finmon_model::dataset::columns::IDENTIFIERS)?;
    for i in &w.identifiers {
        let owner = match i.owner {
            Ok(p) => party_key(p),
            Err(a) => account_key(w, a),
        };
        let value = match &i.value {
            IdValue::Text(s) => s.to_string(),
            IdValue::Device(d) => ids::device(seed, *d),
            IdValue::Ip(n) => {
                let mut v = Vec::new();
                ids::write_ip(&mut v, seed, *n);
                String::from_utf8(v).unwrap_or_default()
            }
            IdValue::Party(p) => party_key(*p),
        };
        t.write_record([owner.as_str(), i.kind.as_str(), &value])?;
    }
    t.flush()?;
    counts.push(("identifiers", w.identifiers.len() as u64));

    let mut t = writer(dir, "rates.csv")?;
    t.write_record(finmon_model::dataset::columns::RATES)?;
    let mut n = 0;
    for day in -1..w.days() {
        for c in Cur::ALL.into_iter().filter(|&c| c != Cur::Kzt) {
            let mut v = Vec::new();
            crate::out::decimal(&mut v, w.rate(c, day), 2);
            t.write_record([
                Date(w.start + day).to_string().as_bytes(),
                c.code().as_bytes(),
                &v,
            ])?;
            n += 1;
        }
    }
    t.flush()?;
    counts.push(("rates", n));

    let mut t = writer(dir, "atm_video.csv")?;
    t.write_record(finmon_model::dataset::columns::ATM_VIDEO)?;
    let mut n = 0;
    for (k, a) in w.atms.iter().enumerate() {
        let mut id = Vec::new();
        crate::out::atm_key(&mut id, w, k as u32);
        let inst = &w.institutions[a.inst as usize].key;
        for s in &a.segments {
            t.write_record([
                id.as_slice(),
                inst.as_bytes(),
                local_ts(s.from).as_bytes(),
                local_ts(s.to).as_bytes(),
                Date(s.kept_until_day).to_string().as_bytes(),
            ])?;
            n += 1;
        }
    }
    t.flush()?;
    counts.push(("atm_video", n));
    Ok(counts)
}

/// The labels file with its header and the labels of parties, accounts and institutions;
/// the transactions' labels follow as they are written.
pub fn open_labels(w: &World, dir: &Path) -> Result<(Box<dyn Write>, u64), GenError> {
    let path = dir.join("labels.csv");
    let f = std::fs::File::create(&path).map_err(|source| GenError::File { path, source })?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, f);
    out.write_all(b"subject_kind,subject_id,typology,group_id\n")?;
    let mut line = Vec::new();
    for l in &w.labels {
        line.clear();
        line.extend_from_slice(l.kind.as_str().as_bytes());
        line.push(b',');
        match l.kind {
            SubjectKind::Party => line.extend_from_slice(party_key(l.index).as_bytes()),
            SubjectKind::Account => {
                line.push(account_prefix(w.accounts[l.index as usize].kind));
                line.extend_from_slice(l.index.to_string().as_bytes());
            }
            SubjectKind::Institution => {
                line.extend_from_slice(w.institutions[l.index as usize].key.as_bytes())
            }
            SubjectKind::Transaction => continue,
        }
        line.push(b',');
        line.extend_from_slice(l.typology.as_str().as_bytes());
        line.push(b',');
        l.group.write(&mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok((Box::new(out), w.labels.len() as u64))
}
