//! `gen-amlworld`: writes a synthetic transaction file in the IBM AMLworld
//! layout (`bench_Trans.csv`) plus the matching account list
//! (`bench_accounts.csv`), for benchmarking finmon at scale.
//!
//! Usage:
//! `gen-amlworld OUT_DIR --rows N [--accounts M] [--seed S] [--laundering-rate R]`
//!
//! Output is streamed through `BufWriter`s; memory does not grow with N or M
//! (only a fixed table of bank codes is kept). The same arguments always give
//! byte-identical files.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str =
    "usage: gen-amlworld OUT_DIR --rows N [--accounts M] [--seed S] [--days D] [--laundering-rate R]

Writes OUT_DIR/bench_Trans.csv (IBM AMLworld transaction layout) and
OUT_DIR/bench_accounts.csv (one row per account).

  --rows N              number of transactions (required)
  --days D              days the transactions span from 2022/09/01 (default 18)
  --accounts M          number of accounts (default: max(1, N/10))
  --seed S              PRNG seed, u64 (default: 1)
  --laundering-rate R   fraction of rows with Is Laundering = 1 (default: 0.001)";

const TRANS_HEADER: &str = "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering\n";
const ACCOUNTS_HEADER: &str = "Bank Name,Bank ID,Account Number,Entity ID,Entity Name\n";

/// Number of distinct banks an account can belong to.
const NUM_BANKS: usize = 30_000;
/// The first `BIG_BANKS` bank indices are the big ones.
const BIG_BANKS: usize = 10;
/// Share of accounts held by the big banks.
const BIG_BANK_SHARE: f64 = 0.55;
/// Account and entity ids are `8` + 7 hex digits + `0`: 28 bits of id space.
const ID_BITS: u32 = 28;
const ID_MASK: u64 = (1 << ID_BITS) - 1;
const MAX_ACCOUNTS: u64 = 1 << ID_BITS;
/// Transactions span this many days starting 2022/09/01 00:00, unless `--days` says otherwise.
const SPAN_DAYS: u64 = 18;
/// Local time disorder: a fraction `JITTER_P` of rows is shifted by up to
/// `JITTER_MINUTES` minutes either way.
const JITTER_P: f64 = 0.1;
const JITTER_MINUTES: u64 = 10;
/// Amount bounds (in currency units).
const MIN_CENTS: u64 = 1;
const MAX_CENTS: u64 = 10_000_000 * 100;
/// Log-normal amount parameters (natural log of the amount in currency units).
const AMOUNT_LN_MU: f64 = 7.0;
const AMOUNT_LN_SIGMA: f64 = 1.9;
/// Probability that a non-Reinvestment, non-Bitcoin row is cross-currency
/// (gives ~2% of all rows).
const CROSS_CURRENCY_P: f64 = 0.0222;
/// Exponent for account activity skew (index = M * u^ACTIVITY_SKEW).
const ACTIVITY_SKEW: f64 = 2.5;
/// Probability that the next account starts a new entity (else it belongs to
/// the same entity as the previous account).
const NEW_ENTITY_P: f64 = 0.85;

/// Fiat currencies: name, weight (per mille), US dollars per unit.
const FIAT: [(&str, u32, f64); 14] = [
    ("US Dollar", 373, 1.0),
    ("Euro", 230, 1.0),
    ("Yuan", 70, 0.145),
    ("Swiss Franc", 40, 1.03),
    ("Shekel", 40, 0.29),
    ("Rupee", 40, 0.0125),
    ("Yen", 36, 0.0070),
    ("UK Pound", 35, 1.16),
    ("Ruble", 34, 0.0165),
    ("Australian Dollar", 27, 0.68),
    ("Canadian Dollar", 25, 0.76),
    ("Mexican Peso", 20, 0.050),
    ("Brazil Real", 15, 0.19),
    ("Saudi Riyal", 15, 0.266),
];
const BITCOIN_USD: f64 = 20_000.0;

/// Payment formats and weights (percent).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Cheque,
    CreditCard,
    Ach,
    Cash,
    Reinvestment,
    Wire,
    Bitcoin,
}

const FORMATS: [(Format, u32); 7] = [
    (Format::Cheque, 25),
    (Format::CreditCard, 25),
    (Format::Ach, 20),
    (Format::Cash, 15),
    (Format::Reinvestment, 8),
    (Format::Wire, 5),
    (Format::Bitcoin, 2),
];

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Cheque => "Cheque",
            Format::CreditCard => "Credit Card",
            Format::Ach => "ACH",
            Format::Cash => "Cash",
            Format::Reinvestment => "Reinvestment",
            Format::Wire => "Wire",
            Format::Bitcoin => "Bitcoin",
        }
    }
}

const ENTITY_KINDS: [(&str, u32); 4] = [
    ("Corporation", 40),
    ("Sole Proprietorship", 25),
    ("Partnership", 15),
    ("Person", 20),
];

const CITIES: [&str; 24] = [
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Clinton",
    "Fairview",
    "Salem",
    "Madison",
    "Georgetown",
    "Arlington",
    "Ashland",
    "Dover",
    "Oxford",
    "Jackson",
    "Burlington",
    "Manchester",
    "Milton",
    "Newport",
    "Auburn",
    "Dayton",
    "Lexington",
    "Milford",
    "Winchester",
    "Hudson",
];

// ---------------------------------------------------------------------------
// Deterministic PRNG and hashing.

/// SplitMix64 step on a raw value: a good 64-bit mixer.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        Rng(mix64(seed ^ mix64(stream)))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal (Box-Muller, one value per call).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64(); // (0, 1]
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn unit_from_hash(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Picks an index from a weight table given a uniform draw in [0, total).
fn pick_weighted<T>(table: &[(T, u32)], mut r: u32) -> usize {
    for (i, (_, w)) in table.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= *w;
    }
    table.len() - 1
}

fn pick_fiat(r: u32) -> usize {
    let mut r = r;
    for (i, (_, w, _)) in FIAT.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= *w;
    }
    0
}

fn fiat_total() -> u32 {
    FIAT.iter().map(|c| c.1).sum()
}

// ---------------------------------------------------------------------------
// The world: accounts, banks, entities.

struct World {
    seed: u64,
    accounts: u64,
    /// Multiplier coprime to `accounts`, used to scatter activity ranks.
    scatter_mul: u64,
    scatter_add: u64,
    /// Bank id strings, indexed by bank index.
    bank_codes: Vec<String>,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A bijection on 28-bit values (every step is invertible mod 2^28).
fn permute28(x: u64, key: u64) -> u64 {
    let mut x = (x ^ key) & ID_MASK;
    x = x.wrapping_mul(0x5BD1_E995 | 1) & ID_MASK;
    x ^= x >> 15;
    x = x.wrapping_mul(0x2C1B_3C6D | 1) & ID_MASK;
    x ^= x >> 13;
    x = x.wrapping_mul(0x297A_2D39 | 1) & ID_MASK;
    x ^= x >> 16;
    x
}

/// Writes an id in the AMLworld style: `8` + 7 upper-case hex digits + `0`.
fn push_id(buf: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    buf.push(b'8');
    for shift in (0..7).rev() {
        buf.push(HEX[((v >> (shift * 4)) & 0xF) as usize]);
    }
    buf.push(b'0');
}

impl World {
    fn new(seed: u64, accounts: u64) -> Self {
        let mut mul = mix64(seed ^ 0xA5A5) % accounts;
        if mul == 0 {
            mul = 1;
        }
        while gcd(mul, accounts) != 1 {
            mul += 1;
        }
        let scatter_add = mix64(seed ^ 0x5A5A) % accounts;
        let bank_codes = (0..NUM_BANKS as u64)
            .map(|b| {
                let h = mix64(seed ^ 0xB4AC ^ (b << 20));
                // Strictly increasing in b, so codes are unique.
                let n = b * 7 + 1 + h % 7;
                if n < 100 {
                    format!("{n:03}")
                } else if h & 0x100 != 0 && n < 10_000 {
                    format!("{n:05}")
                } else {
                    n.to_string()
                }
            })
            .collect();
        World {
            seed,
            accounts,
            scatter_mul: mul,
            scatter_add,
            bank_codes,
        }
    }

    /// Bank index of an account: a few big banks hold most accounts, the rest
    /// are spread with a power law over all banks.
    fn bank_of(&self, account: u64) -> usize {
        let h = mix64(self.seed ^ 0x00BA_4C00 ^ account.wrapping_mul(0x9E37_79B9));
        let u = unit_from_hash(h);
        if u < BIG_BANK_SHARE {
            // Zipf-ish among the big banks: index = BIG * v^2.
            let v = u / BIG_BANK_SHARE;
            ((BIG_BANKS as f64 * v * v) as usize).min(BIG_BANKS - 1)
        } else {
            let v = unit_from_hash(mix64(h));
            ((NUM_BANKS as f64 * v * v * v) as usize).min(NUM_BANKS - 1)
        }
    }

    fn bank_code(&self, bank: usize) -> &str {
        &self.bank_codes[bank]
    }

    fn account_id(&self, account: u64) -> u64 {
        permute28(account, mix64(self.seed ^ 0xACC0))
    }

    fn entity_id(&self, entity: u64) -> u64 {
        permute28(entity, mix64(self.seed ^ 0xE471))
    }

    /// A skewed random account: low ranks are much more active; ranks are
    /// scattered over the account index space.
    fn active_account(&self, rng: &mut Rng) -> u64 {
        let u = rng.f64();
        let rank = ((self.accounts as f64 * u.powf(ACTIVITY_SKEW)) as u64).min(self.accounts - 1);
        ((rank as u128 * self.scatter_mul as u128 + self.scatter_add as u128)
            % self.accounts as u128) as u64
    }
}

// ---------------------------------------------------------------------------
// Formatting helpers (no allocation per row).

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_2(buf: &mut Vec<u8>, v: u64) {
    buf.push(b'0' + (v / 10 % 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// Writes `units` scaled by 10^decimals as a fixed-point decimal string.
fn push_fixed(buf: &mut Vec<u8>, units: u64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    push_u64(buf, units / scale);
    buf.push(b'.');
    let mut frac = units % scale;
    let mut digits = [b'0'; 20];
    for d in (0..decimals as usize).rev() {
        digits[d] = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    buf.extend_from_slice(&digits[..decimals as usize]);
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1970-01-01 to 2022-09-01.
const START_DAY: i64 = 19_236;

fn date_string(day_offset: u64) -> String {
    let (y, m, d) = civil_from_days(START_DAY + day_offset as i64);
    format!("{y:04}/{m:02}/{d:02}")
}

// ---------------------------------------------------------------------------
// Generation.

struct Config {
    out_dir: PathBuf,
    rows: u64,
    accounts: u64,
    seed: u64,
    laundering_rate: f64,
    /// Days the transactions span.
    days: u64,
}

struct Stats {
    bytes: u64,
}

/// Draws an amount in currency units (log-normal, median ~1,100).
fn amount_units(rng: &mut Rng) -> f64 {
    (AMOUNT_LN_MU + AMOUNT_LN_SIGMA * rng.normal()).exp()
}

/// Currency units to cents, clamped to [0.01, 10,000,000].
fn to_cents(units: f64) -> u64 {
    ((units * 100.0).round() as u64).clamp(MIN_CENTS, MAX_CENTS)
}

fn write_transactions(cfg: &Config, world: &World) -> io::Result<Stats> {
    let path = cfg.out_dir.join("bench_Trans.csv");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let mut rng = Rng::new(cfg.seed, 0x7A45);
    let mut bytes = TRANS_HEADER.len() as u64;
    out.write_all(TRANS_HEADER.as_bytes())?;

    let format_total: u32 = FORMATS.iter().map(|f| f.1).sum();
    let fiat_total = fiat_total();
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut cached_day = u64::MAX;
    let mut cached_date = String::new();

    let span_minutes = cfg.days * 1440;
    for i in 0..cfg.rows {
        line.clear();

        // Timestamp: evenly spread over the span, with small local disorder.
        let base = (i as u128 * span_minutes as u128 / cfg.rows as u128) as u64;
        let minute = if rng.chance(JITTER_P) {
            (base + rng.below(2 * JITTER_MINUTES + 1))
                .saturating_sub(JITTER_MINUTES)
                .min(span_minutes - 1)
        } else {
            base
        };
        let day = minute / 1440;
        if day != cached_day {
            cached_day = day;
            cached_date = date_string(day);
        }
        line.extend_from_slice(cached_date.as_bytes());
        line.push(b' ');
        push_2(&mut line, minute % 1440 / 60);
        line.push(b':');
        push_2(&mut line, minute % 60);
        line.push(b',');

        let format = FORMATS[pick_weighted(&FORMATS, rng.below(format_total as u64) as u32)].0;
        let from = world.active_account(&mut rng);
        let to = if format == Format::Reinvestment {
            from
        } else {
            world.active_account(&mut rng)
        };

        for acct in [from, to] {
            line.extend_from_slice(world.bank_code(world.bank_of(acct)).as_bytes());
            line.push(b',');
            push_id(&mut line, world.account_id(acct));
            line.push(b',');
        }

        if format == Format::Bitcoin {
            let usd = amount_units(&mut rng);
            let micro = ((usd / BITCOIN_USD * 1e6).round() as u64).max(1);
            for _ in 0..2 {
                push_fixed(&mut line, micro, 6);
                line.extend_from_slice(b",Bitcoin,");
            }
        } else {
            let pay = pick_fiat(rng.below(fiat_total as u64) as u32);
            let paid = amount_units(&mut rng);
            let cross = format != Format::Reinvestment && rng.chance(CROSS_CURRENCY_P);
            let (recv, received) = if cross {
                let mut recv = pick_fiat(rng.below(fiat_total as u64) as u32);
                if recv == pay {
                    recv = (recv + 1 + rng.below(FIAT.len() as u64 - 1) as usize) % FIAT.len();
                }
                (recv, paid * FIAT[pay].2 / FIAT[recv].2)
            } else {
                (pay, paid)
            };
            let paid_cents = to_cents(paid);
            let received_cents = if cross {
                to_cents(received)
            } else {
                paid_cents
            };
            push_fixed(&mut line, received_cents, 2);
            line.push(b',');
            line.extend_from_slice(FIAT[recv].0.as_bytes());
            line.push(b',');
            push_fixed(&mut line, paid_cents, 2);
            line.push(b',');
            line.extend_from_slice(FIAT[pay].0.as_bytes());
            line.push(b',');
        }

        line.extend_from_slice(format.name().as_bytes());
        line.push(b',');
        line.push(if rng.chance(cfg.laundering_rate) {
            b'1'
        } else {
            b'0'
        });
        line.push(b'\n');

        out.write_all(&line)?;
        bytes += line.len() as u64;
    }
    out.flush()?;
    Ok(Stats { bytes })
}

fn write_accounts(cfg: &Config, world: &World) -> io::Result<Stats> {
    let path = cfg.out_dir.join("bench_accounts.csv");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let mut rng = Rng::new(cfg.seed, 0xACC7);
    let mut bytes = ACCOUNTS_HEADER.len() as u64;
    out.write_all(ACCOUNTS_HEADER.as_bytes())?;

    let kind_total: u32 = ENTITY_KINDS.iter().map(|k| k.1).sum();
    let mut kind_counters = [0u64; ENTITY_KINDS.len()];
    let mut entity = 0u64;
    let mut kind = 0usize;
    let mut kind_number = 0u64;
    let mut line: Vec<u8> = Vec::with_capacity(128);

    for acct in 0..cfg.accounts {
        if acct == 0 || rng.chance(NEW_ENTITY_P) {
            if acct != 0 {
                entity += 1;
            }
            kind = pick_weighted(&ENTITY_KINDS, rng.below(kind_total as u64) as u32);
            kind_counters[kind] += 1;
            kind_number = kind_counters[kind];
        }
        line.clear();
        let bank = world.bank_of(acct);
        let city = CITIES[(mix64(cfg.seed ^ bank as u64) % CITIES.len() as u64) as usize];
        if bank.is_multiple_of(3) {
            line.extend_from_slice(b"Bank of ");
            line.extend_from_slice(city.as_bytes());
        } else {
            line.extend_from_slice(city.as_bytes());
            line.extend_from_slice(b" Bank");
        }
        line.extend_from_slice(b" #");
        push_u64(&mut line, bank as u64 + 1);
        line.push(b',');
        line.extend_from_slice(world.bank_code(bank).as_bytes());
        line.push(b',');
        push_id(&mut line, world.account_id(acct));
        line.push(b',');
        push_id(&mut line, world.entity_id(entity));
        line.push(b',');
        line.extend_from_slice(ENTITY_KINDS[kind].0.as_bytes());
        line.extend_from_slice(b" #");
        push_u64(&mut line, kind_number);
        line.push(b'\n');
        out.write_all(&line)?;
        bytes += line.len() as u64;
    }
    out.flush()?;
    Ok(Stats { bytes })
}

fn run(cfg: &Config) -> io::Result<()> {
    let start = Instant::now();
    fs::create_dir_all(&cfg.out_dir)?;
    let world = World::new(cfg.seed, cfg.accounts);
    let t = write_transactions(cfg, &world)?;
    let a = write_accounts(cfg, &world)?;
    eprintln!(
        "gen-amlworld: rows={} accounts={} bytes={} (trans={} accounts={}) seconds={:.2} out={}",
        cfg.rows,
        cfg.accounts,
        t.bytes + a.bytes,
        t.bytes,
        a.bytes,
        start.elapsed().as_secs_f64(),
        cfg.out_dir.display()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Command line.

fn parse_args(args: &[String]) -> Result<Config, String> {
    let mut out_dir: Option<PathBuf> = None;
    let mut rows: Option<u64> = None;
    let mut accounts: Option<u64> = None;
    let mut seed: u64 = 1;
    let mut laundering_rate: f64 = 0.001;
    let mut days: u64 = SPAN_DAYS;

    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            let v = args
                .get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))?;
            i += 1;
            Ok(v)
        };
        match flag {
            "-h" | "--help" => return Err(String::new()),
            "--rows" => {
                let v = value(flag)?;
                rows = Some(v.parse().map_err(|_| format!("bad --rows: {v}"))?);
            }
            "--accounts" => {
                let v = value(flag)?;
                accounts = Some(v.parse().map_err(|_| format!("bad --accounts: {v}"))?);
            }
            "--seed" => {
                let v = value(flag)?;
                seed = v.parse().map_err(|_| format!("bad --seed: {v}"))?;
            }
            "--days" => {
                let v = value(flag)?;
                days = v.parse().map_err(|_| format!("bad --days: {v}"))?;
            }
            "--laundering-rate" => {
                let v = value(flag)?;
                laundering_rate = v
                    .parse()
                    .map_err(|_| format!("bad --laundering-rate: {v}"))?;
            }
            f if f.starts_with('-') && f.len() > 1 => return Err(format!("unknown option {f}")),
            _ => {
                if out_dir.is_some() {
                    return Err(format!("unexpected argument {arg}"));
                }
                out_dir = Some(PathBuf::from(arg));
            }
        }
    }

    let out_dir = out_dir.ok_or("missing OUT_DIR")?;
    let rows = rows.ok_or("missing --rows")?;
    let accounts = accounts.unwrap_or((rows / 10).max(1));
    if accounts == 0 {
        return Err("--accounts must be at least 1".into());
    }
    if accounts > MAX_ACCOUNTS {
        return Err(format!("--accounts must be at most {MAX_ACCOUNTS}"));
    }
    if !(1..=3650).contains(&days) {
        return Err("--days must be between 1 and 3650".into());
    }
    if !(0.0..=1.0).contains(&laundering_rate) {
        return Err("--laundering-rate must be between 0 and 1".into());
    }
    Ok(Config {
        out_dir,
        rows,
        accounts,
        seed,
        laundering_rate,
        days,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse_args(&args) {
        Ok(cfg) => cfg,
        Err(msg) if msg.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("gen-amlworld: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-amlworld: writing to {}: {e}", cfg.out_dir.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let world = World::new(7, 200_000);
        let mut seen = HashSet::new();
        let mut buf = Vec::new();
        for a in 0..200_000 {
            buf.clear();
            push_id(&mut buf, world.account_id(a));
            assert_eq!(buf.len(), 9);
            assert_eq!(buf[0], b'8');
            assert_eq!(buf[8], b'0');
            assert!(buf
                .iter()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c)));
            assert!(seen.insert(buf.clone()));
        }
    }

    #[test]
    fn bank_codes_unique_and_skewed() {
        let world = World::new(3, 100_000);
        let codes: HashSet<&String> = world.bank_codes.iter().collect();
        assert_eq!(codes.len(), NUM_BANKS);
        assert!(world
            .bank_codes
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_digit())));
        let big = (0..100_000)
            .filter(|&a| world.bank_of(a) < BIG_BANKS)
            .count();
        assert!(big > 45_000 && big < 65_000, "big-bank share {big}");
        let distinct: HashSet<usize> = (0..100_000).map(|a| world.bank_of(a)).collect();
        assert!(distinct.len() > 5_000, "distinct banks {}", distinct.len());
    }

    #[test]
    fn dates() {
        assert_eq!(date_string(0), "2022/09/01");
        assert_eq!(date_string(17), "2022/09/18");
        assert_eq!(date_string(30), "2022/10/01");
        assert_eq!(date_string(122), "2023/01/01");
    }

    #[test]
    fn fixed_point() {
        let mut b = Vec::new();
        push_fixed(&mut b, 1, 2);
        b.push(b' ');
        push_fixed(&mut b, 369_734, 2);
        b.push(b' ');
        push_fixed(&mut b, 2941, 6);
        assert_eq!(String::from_utf8(b).unwrap(), "0.01 3697.34 0.002941");
    }

    #[test]
    fn args() {
        let a = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let c = parse_args(&a("/tmp/x --rows 100")).unwrap();
        assert_eq!((c.rows, c.accounts, c.seed), (100, 10, 1));
        let c = parse_args(&a("--rows=5 --accounts 3 --seed 9 --laundering-rate 0.5 d")).unwrap();
        assert_eq!((c.rows, c.accounts, c.seed), (5, 3, 9));
        assert_eq!(c.laundering_rate, 0.5);
        assert!(parse_args(&a("/tmp/x")).is_err());
        assert!(parse_args(&a("/tmp/x --rows 10 --accounts 0")).is_err());
        assert!(parse_args(&a("/tmp/x --rows 10 --bogus 1")).is_err());
    }
}
