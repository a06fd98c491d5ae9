//! Writing a loaded dataset back out in the finmon format, as CSV, JSON Lines or Parquet: how an
//! AMLSim or AMLworld export becomes a finmon dataset, and how a provider's CSV becomes Parquet.
//! Every amount is written with its tenge value (`amount_kzt`), so that reading the output back
//! gives the same values without the rates.

use crate::error::IngestError;
use crate::rows::FileKind;
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Dataset, Label};
use std::path::Path;

/// A table to write: its columns and its rows as text cells.
struct Table<'a> {
    name: &'static str,
    header: Vec<String>,
    rows: Box<dyn Iterator<Item = Vec<Option<String>>> + 'a>,
}

type Row = Vec<Option<String>>;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn o<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

fn header(known: &[&str], attrs: &[String]) -> Vec<String> {
    known
        .iter()
        .map(|k| k.to_string())
        .chain(attrs.iter().cloned())
        .collect()
}

/// The attribute columns a row-wise table uses, in first-seen order.
fn attr_names<'a>(attrs: impl Iterator<Item = &'a finmon_model::dataset::Attrs>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for a in attrs {
        for (k, _) in a {
            if !names.iter().any(|n| **n == **k) {
                names.push(k.to_string());
            }
        }
    }
    names
}

fn attr_cells(attrs: &finmon_model::dataset::Attrs, names: &[String]) -> Row {
    names
        .iter()
        .map(|n| {
            attrs
                .iter()
                .find(|(k, _)| **k == **n)
                .map(|(_, v)| v.to_string())
        })
        .collect()
}

fn tables<'a>(ds: &'a Dataset, labels: &'a [Label]) -> Vec<Table<'a>> {
    let mut out = Vec::new();
    let inst_attrs = attr_names(ds.institutions.rows.iter().map(|r| &r.attrs));
    out.push(Table {
        name: "institutions",
        header: header(tables::INSTITUTIONS.known, &inst_attrs),
        rows: Box::new(ds.institutions.iter().map(move |(id, r)| {
            let mut row: Row = vec![
                s(id),
                s(r.kind.as_str()),
                r.name.clone(),
                r.country.clone(),
                r.bin.clone(),
                r.license.map(|l| l.as_str().to_string()),
                o(&r.bank_linked),
            ];
            row.extend(attr_cells(&r.attrs, &inst_attrs));
            row
        })),
    });
    let party_attrs = attr_names(ds.parties.rows.iter().map(|r| &r.attrs));
    out.push(Table {
        name: "parties",
        header: header(tables::PARTIES.known, &party_attrs),
        rows: Box::new(ds.parties.iter().map(move |(id, p)| {
            let mut row: Row = vec![
                s(id),
                s(p.kind.as_str()),
                p.iin_bin.clone(),
                p.name.clone(),
                o(&p.birth_date),
                o(&p.registered_on),
                o(&p.deregistered_on),
                p.country.clone(),
                p.address.clone(),
            ];
            row.extend(attr_cells(&p.attrs, &party_attrs));
            row
        })),
    });
    let acc_attrs = attr_names(ds.accounts.rows.iter().map(|r| &r.attrs));
    out.push(Table {
        name: "accounts",
        header: header(tables::ACCOUNTS.known, &acc_attrs),
        rows: Box::new(ds.accounts.rows.iter().enumerate().map(move |(i, a)| {
            let mut row: Row = vec![
                s(ds.accounts.key(i)),
                s(a.kind.as_str()),
                a.holder.clone(),
                a.institution.clone(),
                a.iban.clone(),
                a.pan_hash.clone(),
                a.address.clone(),
                a.chain.clone(),
                a.currency.clone(),
                o(&a.opened_on),
                o(&a.closed_on),
            ];
            row.extend(attr_cells(&a.attrs, &acc_attrs));
            row
        })),
    });
    let id_attrs = attr_names(ds.identifiers.iter().map(|r| &r.attrs));
    out.push(Table {
        name: "identifiers",
        header: header(tables::IDENTIFIERS.known, &id_attrs),
        rows: Box::new(ds.identifiers.iter().map(move |i| {
            let mut row: Row = vec![s(&i.owner), s(i.kind.as_str()), s(&i.value)];
            row.extend(attr_cells(&i.attrs, &id_attrs));
            row
        })),
    });
    out.push(Table {
        name: "rates",
        header: header(tables::RATES.known, &[]),
        rows: Box::new(ds.rates.iter().map(move |(c, d, r)| {
            vec![
                s(&d.to_string()),
                s(ds.currencies.code(c)),
                s(&r.to_string()),
            ]
        })),
    });
    out.push(Table {
        name: "atm_video",
        header: header(tables::ATM_VIDEO.known, &[]),
        rows: Box::new(ds.atm_video.recordings.iter().map(|r| {
            vec![
                s(&r.atm_id),
                r.institution_id.clone(),
                s(&r.from.to_string()),
                s(&r.to.to_string()),
                o(&r.retained_until),
            ]
        })),
    });
    let t = &ds.transactions;
    let tx_attrs: Vec<String> = t.attrs.iter().map(|c| c.name.clone()).collect();
    let account = move |a: u32| (a != NO_ACCOUNT).then(|| ds.account_key(a).to_string());
    out.push(Table {
        name: "transactions",
        header: header(crate::transactions::KNOWN, &tx_attrs),
        rows: Box::new((0..t.len()).map(move |i| {
            let mut row: Row = vec![
                s(&t.ids.get(i)),
                s(&t.ts[i].to_string()),
                s(t.kind[i].as_str()),
                account(t.from[i]),
                account(t.to[i]),
                s(&t.amount.get(i).to_string()),
                s(ds.currencies.code(t.currency[i])),
                s(&t.amount_kzt[i].to_string()),
                t.sender_iin.get(i).map(str::to_string),
                t.atm_id.get(i).map(str::to_string),
                t.biometric(i).map(|b| b.as_str().to_string()),
                t.device_id.get(i).map(str::to_string),
                t.ip.get(i).map(str::to_string),
                t.reference.get(i).map(str::to_string),
            ];
            row.extend(t.attrs.iter().map(|c| c.get(i).map(str::to_string)));
            row
        })),
    });
    out.push(Table {
        name: "labels",
        header: header(tables::LABELS.known, &[]),
        rows: Box::new(labels.iter().map(|l| {
            vec![
                s(l.subject.kind.as_str()),
                s(&l.subject.id),
                s(l.typology.as_str()),
                l.group_id.clone(),
            ]
        })),
    });
    out
}

use crate::tables;

/// Writes every non-empty table of `ds` (and the labels) into `dir` as `<table>.<ext>`.
/// Returns (table, rows written) for each table written.
pub fn write_dataset(
    ds: &Dataset,
    labels: &[Label],
    dir: &Path,
    kind: FileKind,
) -> Result<Vec<(&'static str, u64)>, IngestError> {
    std::fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
    let mut written = Vec::new();
    for t in tables(ds, labels) {
        let mut rows = t.rows.peekable();
        if rows.peek().is_none() {
            continue;
        }
        let ext = match kind {
            FileKind::Csv => "csv",
            FileKind::Jsonl => "jsonl",
            FileKind::Parquet => "parquet",
        };
        let path = dir.join(format!("{}.{ext}", t.name));
        let n = match kind {
            FileKind::Csv => write_csv(&path, &t.header, rows)?,
            FileKind::Jsonl => write_jsonl(&path, &t.header, rows)?,
            FileKind::Parquet => write_parquet(&path, &t.header, rows)?,
        };
        written.push((t.name, n));
    }
    Ok(written)
}

fn write_csv(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Row>,
) -> Result<u64, IngestError> {
    let err = |e: csv::Error| IngestError::format(path, format!("cannot write CSV: {e}"));
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(header).map_err(err)?;
    let mut n = 0;
    for row in rows {
        w.write_record(row.iter().map(|c| c.as_deref().unwrap_or("")))
            .map_err(err)?;
        n += 1;
    }
    w.flush().map_err(|e| IngestError::io(path, e))?;
    Ok(n)
}

fn write_jsonl(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Row>,
) -> Result<u64, IngestError> {
    use std::io::Write;
    let f = std::fs::File::create(path).map_err(|e| IngestError::io(path, e))?;
    let mut w = std::io::BufWriter::new(f);
    let mut n = 0;
    for row in rows {
        let obj: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(row)
            .filter_map(|(h, c)| c.map(|v| (h.clone(), serde_json::Value::String(v))))
            .collect();
        serde_json::to_writer(&mut w, &obj)
            .map_err(|e| IngestError::format(path, e.to_string()))?;
        w.write_all(b"\n").map_err(|e| IngestError::io(path, e))?;
        n += 1;
    }
    w.flush().map_err(|e| IngestError::io(path, e))?;
    Ok(n)
}

#[cfg(feature = "parquet")]
fn write_parquet(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Row>,
) -> Result<u64, IngestError> {
    crate::parquet::write_strings(path, header, rows)
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(
    path: &Path,
    _: &[String],
    _: impl Iterator<Item = Row>,
) -> Result<u64, IngestError> {
    Err(IngestError::format(
        path,
        "this finmon was built without Parquet support (cargo feature `parquet`)",
    ))
}
