//! Replays synthetic transactions through the Kazakhstan pack on one thread and prints
//! decisions per second and per-decision latency.
//!
//! ```text
//! cargo run --release -p finmon-rules --example decide_bench -- [N] [--alloc] [--rules FILE]
//! ```
//!
//! `N` transactions (default 2,000,000) are generated with a fixed-seed PRNG in batches of
//! 1,000 (generation is not timed; a batch stays in cache like a request a server has just
//! parsed), against reference tables of 100,000 accounts (cards, bank
//! accounts, exchange accounts at banks and VASPs of every licence), 60,000 persons with IINs,
//! and 25,000 devices, a few hundred of them shared by many cards. The mix: transfers, p2p,
//! card top-ups (some above 500,000 KZT without IIN, some just under), cash withdrawals
//! (biometrics mostly verified), deposits, invoices, salaries, taxes, crypto; 3% in USD,
//! valued at the day's rate. Timestamps advance about 2.6 s a transaction (60 days for 2M).
//!
//! Each decision is `Engine::decide_into` (parse, value, update windows, all rules, sweep)
//! with a reused `Decision`; `--alloc` uses `Engine::decide` (a new `Decision` each time).
//! Throughput is transactions over the wall time of the decision loops, and over the thread's
//! CPU time in them (Linux; on a shared machine wall time includes other processes' turns on
//! the core); p50/p99 come from each decision's own `micros` (wall time).

use finmon_model::{
    Account, AccountKind, Dataset, Date, Decimal, Institution, InstitutionKind, License, Party,
    PartyKind, Timestamp,
};
use finmon_rules::{Decision, Engine, RuleSet, TxInput};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// xorshift64*: deterministic, fast, good enough for a workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(10_000) < percent * 100
    }
}

const ACCOUNTS: u64 = 100_000;
const CARDS: u64 = 70_000;
const BANK_ACCOUNTS: u64 = 25_000;
const PERSONS: u64 = 60_000;
const DEVICES: u64 = 25_000;
const SHARED_DEVICES: u64 = 300;
const START: i64 = 1_740_787_200; // 2025-03-01T00:00:00Z
/// Transactions generated ahead of deciding them: small, so that a request is in cache when it
/// is decided, as it is in a server that has just parsed it.
const BATCH: u64 = 1_000;

fn iin(rng: &mut Rng) -> String {
    loop {
        let mut d = [0u8; 11];
        let (y, m, day) = (rng.below(60) + 40, rng.below(12) + 1, rng.below(28) + 1);
        let prefix = [
            y / 10,
            y % 10,
            m / 10,
            m % 10,
            day / 10,
            day % 10,
            3 + rng.below(2),
        ];
        for (i, v) in prefix.iter().enumerate() {
            d[i] = *v as u8;
        }
        for x in d.iter_mut().skip(7) {
            *x = rng.below(10) as u8;
        }
        if let Some(c) = finmon_ident::check_digit(&d) {
            return d
                .iter()
                .chain(std::iter::once(&c))
                .map(|v| char::from(b'0' + v))
                .collect();
        }
    }
}

fn reference(rng: &mut Rng) -> Dataset {
    let mut ds = Dataset::default();
    let inst = |kind, country: &str, license, bank_linked| Institution {
        kind,
        name: None,
        country: Some(country.into()),
        bin: None,
        license,
        bank_linked,
        attrs: Vec::new(),
    };
    for b in 0..5 {
        ds.institutions.insert(
            &format!("BANK{b}"),
            inst(InstitutionKind::Bank, "KZ", Some(License::Nbrk), None),
        );
    }
    ds.institutions
        .insert("BANK-VG", inst(InstitutionKind::Bank, "VG", None, None));
    let vasps = [
        (License::Afsa, Some(true), "KZ"),
        (License::Afsa, Some(true), "KZ"),
        (License::Afsa, Some(false), "KZ"),
        (License::Foreign, None, "SC"),
        (License::None, None, "KY"),
        (License::Revoked, None, "KZ"),
    ];
    for (i, (l, linked, c)) in vasps.iter().enumerate() {
        ds.institutions.insert(
            &format!("VASP{i}"),
            inst(InstitutionKind::Vasp, c, Some(*l), *linked),
        );
    }
    for p in 0..PERSONS {
        let country = if p % 500 == 0 { "KY" } else { "KZ" };
        ds.parties.insert(
            &format!("P{p}"),
            Party {
                kind: PartyKind::Person,
                iin_bin: Some(iin(rng)),
                name: None,
                birth_date: None,
                registered_on: None,
                deregistered_on: None,
                country: Some(country.into()),
                address: None,
                attrs: Vec::new(),
            },
        );
    }
    for a in 0..ACCOUNTS {
        let (kind, institution) = if a < CARDS {
            (AccountKind::Card, format!("BANK{}", a % 5))
        } else if a < CARDS + BANK_ACCOUNTS {
            let bank = if a % 400 == 0 {
                "BANK-VG".to_string()
            } else {
                format!("BANK{}", a % 5)
            };
            (AccountKind::BankAccount, bank)
        } else {
            (AccountKind::ExchangeAccount, format!("VASP{}", a % 6))
        };
        // The first 550 cards belong to 50 persons with 11 cards each at one bank.
        let holder = if a < 550 {
            format!("P{}", a / 11)
        } else {
            format!("P{}", rng.below(PERSONS))
        };
        let institution = if a < 550 {
            "BANK0".to_string()
        } else {
            institution
        };
        ds.accounts.insert(
            &format!("A{a}"),
            Account {
                kind,
                holder: Some(holder),
                institution: Some(institution),
                iban: None,
                pan_hash: None,
                address: None,
                chain: None,
                currency: Some("KZT".into()),
                opened_on: None,
                closed_on: None,
                attrs: Vec::new(),
            },
        );
    }
    let usd = ds.currencies.intern("USD").expect("USD");
    for day in 0..120 {
        let rate = Decimal::new(48_000 + (rng.below(4_000) as i64), 2);
        ds.rates
            .insert(usd, Date((START / 86_400) as i32 + day - 5), rate);
    }
    ds
}

struct Gen {
    rng: Rng,
    t: i64,
    i: u64,
    iins: Vec<String>,
}

impl Gen {
    fn card(&mut self) -> u64 {
        self.rng.below(CARDS)
    }

    fn tx(&mut self) -> TxInput {
        let r = &mut self.rng;
        self.t += (r.below(5_200)) as i64 / 1_000; // ~2.6 s on average
        self.i += 1;
        let pick = r.below(100);
        let kind = match pick {
            0..=29 => "transfer",
            30..=49 => "p2p",
            50..=61 => "card_topup",
            62..=71 => "cash_withdrawal",
            72..=76 => "cash_deposit",
            77..=84 => "invoice_payment",
            85..=89 => "salary",
            90..=94 => "tax",
            95..=96 => "crypto_buy",
            97..=98 => "crypto_sell",
            _ => "crypto_transfer",
        };
        let account = |n: u64| format!("A{n}");
        let exchange = CARDS + BANK_ACCOUNTS;
        let mut from = Some(account(self.rng.below(CARDS + BANK_ACCOUNTS)));
        let mut to = Some(account(self.rng.below(CARDS + BANK_ACCOUNTS)));
        match kind {
            "card_topup" => {
                to = Some(account(self.card()));
                if self.rng.chance(60) {
                    from = None; // cash-in at a terminal
                }
            }
            "cash_withdrawal" => {
                from = Some(account(self.card()));
                to = None;
            }
            "cash_deposit" => from = None,
            "crypto_buy" => to = Some(account(exchange + self.rng.below(ACCOUNTS - exchange))),
            "crypto_sell" => from = Some(account(exchange + self.rng.below(ACCOUNTS - exchange))),
            // Some go to wallets nobody listed.
            "crypto_transfer" if self.rng.chance(50) => {
                to = Some(format!("W{}", self.rng.below(50_000)));
            }
            _ => {}
        }
        // A few mule accounts receive from very many senders.
        if matches!(kind, "transfer" | "p2p") && self.rng.chance(4) {
            to = Some(account(CARDS + self.rng.below(20)));
        }
        let r = &mut self.rng;
        let amount = if r.chance(2) {
            format!("{}", 450_000 + r.below(50_001))
        } else if r.chance(1) {
            format!("{}.{:02}", 5_000_000 + r.below(5_000_000), r.below(100))
        } else {
            // Roughly log-uniform from 500 to 2,000,000 KZT.
            let exp = 2.7 + (r.below(10_000) as f64 / 10_000.0) * 3.6;
            format!("{:.2}", 10f64.powf(exp))
        };
        let usd = r.chance(3);
        let amount = if usd {
            let whole: f64 = amount.parse().unwrap_or(1.0);
            format!("{:.2}", (whole / 500.0).max(1.0))
        } else {
            amount
        };
        let sender_iin = (kind == "card_topup" && !r.chance(3))
            .then(|| self.iins[r.below(self.iins.len() as u64) as usize].clone());
        let biometric = (kind == "cash_withdrawal").then(|| {
            match r.below(100) {
                0..=1 => "failed",
                2..=4 => "not_checked",
                5..=6 => "",
                _ => "verified",
            }
            .to_string()
        });
        let device_id = from
            .as_ref()
            .filter(|_| !kind.starts_with("cash"))
            .map(|f| {
                if r.chance(3) {
                    format!("SD{}", r.below(SHARED_DEVICES))
                } else {
                    // A home device per account.
                    let n: u64 = f[1..].parse().unwrap_or(0);
                    format!("D{}", n % DEVICES)
                }
            });
        let reference = match r.below(200) {
            0 => Some("lottery winnings".to_string()),
            1 => Some("ломбард, залог".to_string()),
            2 => Some("antique painting".to_string()),
            3..=60 => Some(format!("invoice {}", r.below(1_000_000))),
            _ => None,
        };
        let secs = self.t;
        TxInput {
            tx_id: format!("TX{}", self.i),
            timestamp: local_rfc3339(secs),
            kind: kind.to_string(),
            from_account: from,
            to_account: to,
            amount,
            currency: if usd { "USD" } else { "KZT" }.to_string(),
            amount_kzt: None,
            sender_iin,
            atm_id: (kind.starts_with("cash")).then(|| format!("ATM{}", r.below(3_000))),
            biometric,
            device_id,
            ip: None,
            reference,
            attrs: BTreeMap::new(),
        }
    }
}

/// `2025-03-14T09:26:53+05:00`: Almaty local time, as a bank's feed writes it.
fn local_rfc3339(secs: i64) -> String {
    let utc = Timestamp(secs + 5 * 3_600).to_rfc3339();
    format!("{}+05:00", &utc[..utc.len() - 1])
}

/// CPU time of this thread in nanoseconds (Linux `schedstat`), to measure on a shared machine
/// where wall time includes other processes' turns on the core.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn percentile(sorted: &[f32], p: f64) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut n: u64 = 2_000_000;
    let mut alloc = false;
    let mut rules_file: Option<String> = None;
    while let Some(a) = args.next() {
        if a == "--alloc" {
            alloc = true;
        } else if a == "--rules" {
            rules_file = args.next();
        } else if let Ok(v) = a.replace('_', "").parse() {
            n = v;
        }
    }
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let t = Instant::now();
    let ds = Arc::new(reference(&mut rng));
    let iins = (0..5_000).map(|_| iin(&mut rng)).collect();
    eprintln!(
        "reference: {} institutions, {} parties, {} accounts, built in {:.1?}",
        ds.institutions.len(),
        ds.parties.len(),
        ds.accounts.len(),
        t.elapsed()
    );
    let loaded = match &rules_file {
        Some(f) => RuleSet::load(f),
        None => RuleSet::kazakhstan(),
    };
    let rules = match loaded {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut engine = Engine::new(rules, ds);
    // As a server would at start-up: room for the keys expected, so that no table grows (and
    // pauses) while deciding.
    engine.reserve("senders_90d", ACCOUNTS as usize + 20_000);
    engine.reserve(
        "cards_per_device_30d",
        (DEVICES + SHARED_DEVICES) as usize + 5_000,
    );
    let mut gen = Gen {
        rng,
        t: START,
        i: 0,
        iins,
    };
    let mut micros: Vec<f32> = Vec::with_capacity(n as usize);
    let mut hits: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes = [0u64; 3];
    let mut errors = 0u64;
    let mut busy = std::time::Duration::ZERO;
    let mut cpu_ns: Option<u64> = Some(0);
    let mut d = Decision::default();
    let mut done = 0;
    while done < n {
        let batch: Vec<TxInput> = (0..(n - done).min(BATCH)).map(|_| gen.tx()).collect();
        let cpu0 = thread_cpu_ns();
        let start = Instant::now();
        for tx in &batch {
            let r = if alloc {
                engine.decide(tx).map(|x| d = x)
            } else {
                engine.decide_into(tx, &mut d)
            };
            match r {
                Ok(()) => {
                    micros.push(d.micros as f32);
                    outcomes[d.decision as usize] += 1;
                    for h in &d.hits {
                        *hits.entry(h.rule.to_string()).or_default() += 1;
                    }
                }
                Err(_) => errors += 1,
            }
        }
        busy += start.elapsed();
        cpu_ns = match (cpu_ns, cpu0, thread_cpu_ns()) {
            (Some(acc), Some(a), Some(b)) => Some(acc + b.saturating_sub(a)),
            _ => None,
        };
        done += batch.len() as u64;
    }
    micros.sort_by(f32::total_cmp);
    let secs = busy.as_secs_f64();
    println!(
        "finmon-rules decide_bench: {}, one thread, {}",
        rules_file.as_deref().unwrap_or("Kazakhstan pack"),
        if alloc {
            "decide (a new Decision each)"
        } else {
            "decide_into (reused Decision)"
        }
    );
    println!("transactions       {n}");
    println!("refused (invalid)  {errors}");
    println!("decision loop      {secs:.3} s wall");
    println!("decisions/s        {:.0} (wall time)", n as f64 / secs);
    if let Some(ns) = cpu_ns.filter(|&ns| ns > 0) {
        let cpu = ns as f64 / 1e9;
        println!(
            "decisions/s        {:.0} (this thread's CPU time, {cpu:.3} s: excludes other processes' turns on the core)",
            n as f64 / cpu
        );
    }
    println!(
        "per decision µs    mean {:.3}  p50 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.1}",
        micros.iter().map(|&m| f64::from(m)).sum::<f64>() / micros.len().max(1) as f64,
        percentile(&micros, 0.50),
        percentile(&micros, 0.99),
        percentile(&micros, 0.999),
        micros.last().copied().unwrap_or(0.0)
    );
    println!(
        "outcomes           allow {}  review {}  block {}",
        outcomes[0], outcomes[1], outcomes[2]
    );
    println!("hits per rule:");
    for (rule, count) in &hits {
        println!("  {rule:<26} {count}");
    }
    println!("window state:");
    for s in engine.stats() {
        println!(
            "  {:<22} {:>8} keys {:>9} events {:>7.1} MiB",
            s.name,
            s.keys,
            s.events,
            s.event_bytes as f64 / f64::from(1 << 20)
        );
    }
}
