//! Each scheme on a small hand-built dataset, with near-misses that must not be reported.

use crate::{detect, SchemesConfig};
use finmon_model::tx::{TxCore, NO_ACCOUNT};
use finmon_model::{
    Account, AccountKind, Currency, Dataset, Date, Decimal, Finding, Identifier, IdentifierKind,
    Institution, InstitutionKind, Kzt, License, Party, PartyKind, SubjectKind, Timestamp, TxKind,
    Typology,
};
use std::collections::BTreeSet;

const H: i64 = 3_600;
const T0: i64 = 1_740_787_200; // 2025-03-01

/// Valid IINs from kazakhstan.md, and one that is never issued.
const IINS: [&str; 6] = [
    "871008401427",
    "760212350620",
    "800416300257",
    "680503450037",
    "791028302728",
    "061211600012",
];
const BAD_IIN: &str = "821214240092";

#[derive(Default)]
struct World {
    ds: Dataset,
    n: usize,
}

impl World {
    fn inst(&mut self, id: &str, kind: InstitutionKind, license: License, country: &str) {
        self.ds.institutions.insert(
            id,
            Institution {
                kind,
                name: None,
                country: Some(country.into()),
                bin: None,
                license: Some(license),
                bank_linked: Some(true),
                attrs: Vec::new(),
            },
        );
    }

    fn party(&mut self, id: &str, kind: PartyKind, iin: &str) {
        self.ds.parties.insert(
            id,
            Party {
                kind,
                iin_bin: Some(iin.into()),
                name: None,
                birth_date: None,
                registered_on: None,
                deregistered_on: None,
                country: Some("KZ".into()),
                address: None,
                attrs: Vec::new(),
            },
        );
    }

    fn firm(&mut self, id: &str, registered: Date, address: &str) {
        self.party(id, PartyKind::Company, "940140000385");
        let i = self.ds.parties.index(id).unwrap();
        self.ds.parties.rows[i].registered_on = Some(registered);
        self.ds.parties.rows[i].address = Some(address.into());
    }

    fn account(&mut self, id: &str, kind: AccountKind, holder: &str, inst: &str) -> u32 {
        self.ds.accounts.insert(
            id,
            Account {
                kind,
                holder: (!holder.is_empty()).then(|| holder.to_string()),
                institution: (!inst.is_empty()).then(|| inst.to_string()),
                iban: None,
                pan_hash: None,
                address: None,
                chain: None,
                currency: Some("KZT".into()),
                opened_on: None,
                closed_on: None,
                attrs: Vec::new(),
            },
        ) as u32
    }

    fn ident(&mut self, owner: &str, kind: IdentifierKind, value: &str) {
        self.ds.identifiers.push(Identifier {
            owner: owner.into(),
            kind,
            value: value.into(),
            attrs: Vec::new(),
        });
    }

    fn tx(&mut self, hours: i64, kind: TxKind, from: u32, to: u32, tenge: i64) -> String {
        self.tx_with(hours * H, kind, from, to, tenge, None, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn tx_with(
        &mut self,
        secs: i64,
        kind: TxKind,
        from: u32,
        to: u32,
        tenge: i64,
        iin: Option<&str>,
        device: Option<&str>,
    ) -> String {
        self.n += 1;
        let id = format!("T{}", self.n);
        let t = &mut self.ds.transactions;
        let row = t.len();
        t.ids.push(&id);
        t.sender_iin.set(row, iin);
        t.device_id.set(row, device);
        t.atm_id.set(row, (to == NO_ACCOUNT).then_some("ATM-1"));
        t.push(TxCore {
            ts: Timestamp(T0 + secs),
            from,
            to,
            kind,
            amount: Decimal::new(tenge, 0),
            currency: Currency::KZT,
            amount_kzt: Kzt::from_tenge(tenge),
        });
        id
    }

    fn run(mut self) -> Vec<Finding> {
        self.ds.transactions.finish();
        detect(&self.ds, &SchemesConfig::default())
            .expect("detect")
            .findings
    }
}

fn subjects(found: &[Finding], typology: Typology) -> BTreeSet<(SubjectKind, String)> {
    found
        .iter()
        .filter(|f| f.typology == typology)
        .map(|f| (f.subject.kind, f.subject.id.clone()))
        .collect()
}

fn ids(found: &[Finding], typology: Typology) -> BTreeSet<String> {
    subjects(found, typology).into_iter().map(|s| s.1).collect()
}

/// An organiser sells crypto on an unlicensed exchange, fans the tenge out to four drop cards
/// (one holder with a never-issued IIN), which are emptied at an ATM within hours. A salary
/// card withdrawn on payday and a household sharing a tablet are not drops.
#[test]
fn cash_out_network_is_found_whole() {
    let mut w = World::default();
    w.inst("BANK", InstitutionKind::Bank, License::Nbrk, "KZ");
    w.inst("DARKX", InstitutionKind::Vasp, License::None, "SC");
    w.party("ORG", PartyKind::Person, IINS[0]);
    w.party("EMPLOYER", PartyKind::Company, "940140000385");
    for (i, iin) in [IINS[1], IINS[2], IINS[3], BAD_IIN].iter().enumerate() {
        w.party(&format!("M{i}"), PartyKind::Person, iin);
    }
    w.party("WORKER", PartyKind::Person, IINS[4]);
    w.party("MUM", PartyKind::Person, IINS[5]);
    let org_x = w.account("ORG-X", AccountKind::ExchangeAccount, "ORG", "DARKX");
    let org = w.account("ORG-CARD", AccountKind::Card, "ORG", "BANK");
    let cards: Vec<u32> = (0..4)
        .map(|i| {
            w.account(
                &format!("C{i}"),
                AccountKind::Card,
                &format!("M{i}"),
                "BANK",
            )
        })
        .collect();
    let emp = w.account("EMP-ACC", AccountKind::BankAccount, "EMPLOYER", "BANK");
    let worker = w.account("W-CARD", AccountKind::Card, "WORKER", "BANK");
    let mum1 = w.account("MUM-1", AccountKind::Card, "MUM", "BANK");
    let mum2 = w.account("MUM-2", AccountKind::Card, "MUM", "BANK");
    w.ident("C0", IdentifierKind::Device, "phone-A");
    w.ident("C1", IdentifierKind::Device, "phone-A");
    w.ident("MUM-1", IdentifierKind::Device, "tablet");
    w.ident("MUM-2", IdentifierKind::Device, "tablet");

    let mut expected_tx = BTreeSet::new();
    for day in 0..3i64 {
        let h = day * 24;
        expected_tx.insert(w.tx(h, TxKind::CryptoSell, org_x, org, 2_600_000));
        for (i, &c) in cards.iter().enumerate() {
            expected_tx.insert(w.tx(h + 1, TxKind::P2p, org, c, 620_000));
            expected_tx.insert(w.tx(
                h + 2 + i as i64,
                TxKind::CashWithdrawal,
                c,
                NO_ACCOUNT,
                600_000,
            ));
        }
        // Salary in, most of it withdrawn the same day.
        w.tx(h + 3, TxKind::Salary, emp, worker, 400_000);
        w.tx(h + 5, TxKind::CashWithdrawal, worker, NO_ACCOUNT, 380_000);
        // A mother moves money between her two cards and withdraws it.
        w.tx(h + 6, TxKind::Transfer, mum1, mum2, 200_000);
        w.tx(h + 7, TxKind::CashWithdrawal, mum2, NO_ACCOUNT, 190_000);
    }
    let found = w.run();
    assert_eq!(
        ids(&found, Typology::DropCard),
        ["C0", "C1", "C2", "C3"].map(String::from).into()
    );
    assert_eq!(
        ids(&found, Typology::Mule),
        ["M0", "M1", "M2"].map(String::from).into()
    );
    assert_eq!(
        ids(&found, Typology::FictitiousIdentity),
        ["M3"].map(String::from).into()
    );
    let net = subjects(&found, Typology::CashOutNetwork);
    assert!(net.contains(&(SubjectKind::Party, "ORG".into())), "{net:?}");
    let net_tx: BTreeSet<String> = net
        .iter()
        .filter(|s| s.0 == SubjectKind::Transaction)
        .map(|s| s.1.clone())
        .collect();
    assert_eq!(net_tx, expected_tx);
    let groups: BTreeSet<_> = found
        .iter()
        .filter(|f| f.typology != Typology::UnlicensedExchange)
        .map(|f| f.group_id.clone())
        .collect();
    assert_eq!(groups.len(), 1, "one network, one group: {groups:?}");
    assert_eq!(
        ids(&found, Typology::UnlicensedExchange),
        ["DARKX"].map(String::from).into()
    );
    let c3 = found
        .iter()
        .find(|f| f.typology == Typology::DropCard && f.subject.id == "C3")
        .unwrap();
    assert!(c3.reason.contains("invalid"), "{}", c3.reason);
}

/// Three top-ups of 480,000 KZT by one IIN within a day are structuring; two are not, nor are
/// three spread over a week, nor three of 380,000 (not near the threshold).
#[test]
fn structuring_just_under_the_threshold() {
    let mut w = World::default();
    w.inst("BANK", InstitutionKind::Bank, License::Nbrk, "KZ");
    w.party("P", PartyKind::Person, IINS[0]);
    let card = w.account("CARD", AccountKind::Card, "P", "BANK");
    let mut want = BTreeSet::new();
    for i in 0..3 {
        want.insert(w.tx_with(
            i * 4 * H,
            TxKind::CardTopup,
            NO_ACCOUNT,
            card,
            480_000,
            Some(IINS[1]),
            None,
        ));
    }
    for i in 0..2 {
        w.tx_with(
            i * H,
            TxKind::CardTopup,
            NO_ACCOUNT,
            card,
            490_000,
            Some(IINS[2]),
            None,
        );
    }
    for i in 0..3 {
        w.tx_with(
            i * 72 * H,
            TxKind::CardTopup,
            NO_ACCOUNT,
            card,
            495_000,
            Some(IINS[3]),
            None,
        );
    }
    for i in 0..3 {
        w.tx_with(
            i * H,
            TxKind::CardTopup,
            NO_ACCOUNT,
            card,
            380_000,
            Some(IINS[4]),
            None,
        );
    }
    // Exactly at the threshold still counts (the rule is strictly above); a tiyn above does not.
    let found = w.run();
    assert_eq!(ids(&found, Typology::Structuring), want);
    let f = found
        .iter()
        .find(|f| f.typology == Typology::Structuring)
        .unwrap();
    assert!(
        f.reason.contains("IIN 760212350620") && f.reason.contains("3 operations"),
        "{}",
        f.reason
    );
}

/// Three young firms sharing a director pay each other invoices in a circle and cash out; three
/// old suppliers sharing a business-centre address also pay in a circle but pay wages and tax.
#[test]
fn shell_ring_and_its_false_invoices() {
    let mut w = World::default();
    w.inst("BANK", InstitutionKind::Bank, License::Nbrk, "KZ");
    w.party("DIR", PartyKind::Person, IINS[0]);
    w.party("STAFF", PartyKind::Person, IINS[1]);
    let staff = w.account("STAFF-CARD", AccountKind::Card, "STAFF", "BANK");
    let young = Date::from_ymd(2025, 1, 10).unwrap();
    let old = Date::from_ymd(2010, 5, 1).unwrap();
    let mut shell = Vec::new();
    let mut legit = Vec::new();
    for i in 0..3 {
        let id = format!("SHELL{i}");
        w.firm(&id, young, &format!("street {i}"));
        w.ident(&id, IdentifierKind::Director, "DIR");
        shell.push(w.account(&format!("{id}-ACC"), AccountKind::BankAccount, &id, "BANK"));
        let id = format!("SUP{i}");
        w.firm(&id, old, "Business Centre 1, Almaty");
        legit.push(w.account(&format!("{id}-ACC"), AccountKind::BankAccount, &id, "BANK"));
    }
    let tax = w.account("TAX", AccountKind::BankAccount, "", "BANK");
    let mut want = BTreeSet::new();
    for round in 0..2i64 {
        for i in 0..3usize {
            let h = round * 100 + i as i64 * 10;
            want.insert(w.tx(
                h,
                TxKind::InvoicePayment,
                shell[i],
                shell[(i + 1) % 3],
                9_000_000,
            ));
            w.tx(
                h,
                TxKind::InvoicePayment,
                legit[i],
                legit[(i + 1) % 3],
                9_000_000,
            );
            w.tx(h + 1, TxKind::Salary, legit[i], staff, 300_000);
            w.tx(h + 2, TxKind::Tax, legit[i], tax, 100_000);
        }
    }
    w.tx(300, TxKind::CashWithdrawal, shell[0], NO_ACCOUNT, 5_000_000);
    let found = w.run();
    assert_eq!(
        ids(&found, Typology::ShellFirm),
        ["SHELL0", "SHELL1", "SHELL2"].map(String::from).into()
    );
    assert_eq!(ids(&found, Typology::FalseInvoice), want);
}

/// A person taking tenge from 20 people and sending crypto out is an exchanger; one who buys
/// crypto once for herself is not.
#[test]
fn exchanger_trades_with_the_public() {
    let mut w = World::default();
    w.inst("BANK", InstitutionKind::Bank, License::Nbrk, "KZ");
    w.inst("LICENSED", InstitutionKind::Vasp, License::Afsa, "KZ");
    w.party("X", PartyKind::Person, IINS[0]);
    w.party("BUYER", PartyKind::Person, IINS[1]);
    let x_card = w.account("X-CARD", AccountKind::Card, "X", "BANK");
    let x_wallet = w.account("X-WALLET", AccountKind::Wallet, "X", "");
    let b_card = w.account("B-CARD", AccountKind::Card, "BUYER", "BANK");
    let b_x = w.account("B-X", AccountKind::ExchangeAccount, "BUYER", "LICENSED");
    for i in 0..20 {
        let p = format!("C{i}");
        w.party(&p, PartyKind::Person, IINS[i % 6]);
        let c = w.account(&format!("{p}-CARD"), AccountKind::Card, &p, "BANK");
        let wallet = w.account(&format!("{p}-W"), AccountKind::Wallet, "", "");
        w.tx(i as i64 * 5, TxKind::P2p, c, x_card, 400_000);
        w.tx(
            i as i64 * 5 + 1,
            TxKind::CryptoTransfer,
            x_wallet,
            wallet,
            390_000,
        );
    }
    w.tx(10, TxKind::CryptoBuy, b_card, b_x, 6_000_000);
    let found = w.run();
    assert_eq!(
        ids(&found, Typology::Exchanger),
        ["X"].map(String::from).into()
    );
    assert!(ids(&found, Typology::UnlicensedExchange).is_empty());
}
