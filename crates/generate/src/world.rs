//! The world: institutions, parties, accounts, identifiers, ATMs with their recordings, and
//! daily rates. Built once in memory (it grows with `--people`, not with `--days`); the
//! transactions stream from it day by day.

use crate::ids::{self, IdNum, NO_ID};
use crate::names;
use crate::rng::Rng;
use crate::vocab::{Cur, EntityLabel, Group};
use crate::Config;
use finmon_model::{
    AccountKind, Date, IdentifierKind, InstitutionKind, License, PartyKind, SubjectKind, Typology,
};

pub const NONE: u32 = u32::MAX;
pub const NO_DATE: i32 = i32::MIN;
/// Kazakhstan's single time zone since 2024: UTC+5.
pub const OFFSET_SECS: i64 = 5 * 3600;
pub const DAY: i64 = 86_400;

/// Countries the world has counterparties in, and whether the AFM's list calls them offshore.
pub const COUNTRIES: &[(&str, bool)] = &[
    ("KZ", false),
    ("RU", false),
    ("CN", false),
    ("TR", false),
    ("AE", false),
    ("LT", false),
    ("KY", true),
    ("VG", true),
    ("SC", true),
];

pub fn is_offshore(country: &str) -> bool {
    COUNTRIES.iter().any(|&(c, o)| c == country && o)
}

/// How a bank handles the new rules: biometric results of its withdrawals (weights of
/// verified, failed, not checked, not recorded) and how long it keeps ATM video.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub bio: [u32; 4],
    /// Days recordings are kept; 0: the bank submits no recordings for some of its ATMs.
    pub video_days: u32,
    /// Share (per mille) of its ATMs with no recordings at all.
    pub no_video: u32,
}

#[derive(Debug, Clone)]
pub struct Institution {
    pub key: String,
    pub kind: InstitutionKind,
    pub name: String,
    pub country: &'static str,
    pub bin: IdNum,
    pub license: License,
    pub bank_linked: Option<bool>,
    /// IBAN bank code (banks in Kazakhstan).
    pub bank_code: u16,
    /// Share of retail clients (per mille) among banks.
    pub weight: u32,
    pub policy: Policy,
    /// The `uex-N` group of an unlicensed exchange.
    pub unlicensed: Group,
}

#[derive(Debug, Clone, Copy)]
pub enum Name {
    Person { first: u16, last: u16, female: bool },
    Company { word: u16, form: u8 },
    Foreign { word: u16, form: u8 },
    Fixed(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub enum Address {
    None,
    Home {
        city: u8,
        street: u16,
        house: u16,
        flat: u16,
    },
    Office {
        city: u8,
        street: u16,
        house: u16,
    },
    Centre {
        city: u8,
        centre: u16,
        office: u16,
    },
    Foreign(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Party {
    pub kind: PartyKind,
    pub id: IdNum,
    pub name: Name,
    pub birth: i32,
    pub registered: i32,
    pub deregistered: i32,
    pub country: &'static str,
    pub city: u8,
    pub address: Address,
}

#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub kind: AccountKind,
    pub holder: u32,
    pub inst: u32,
    pub cur: Cur,
    pub opened: i32,
    pub closed: i32,
    /// Holder or institution registered in an offshore zone (threshold reports).
    pub offshore: bool,
    /// Held at an unlicensed exchange: its group.
    pub unlicensed: Group,
}

#[derive(Debug, Clone)]
pub enum IdValue {
    Text(Box<str>),
    Device(u32),
    Ip(u32),
    Party(u32),
}

#[derive(Debug, Clone)]
pub struct Identifier {
    /// `Ok(party)` or `Err(account)`.
    pub owner: Result<u32, u32>,
    pub kind: IdentifierKind,
    pub value: IdValue,
}

/// A span an ATM's camera recorded, and until when the recording is kept (UTC seconds).
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub from: i64,
    pub to: i64,
    /// The retention date as written (a local day number) — kept through its end, UTC.
    pub kept_until_day: i32,
}

impl Segment {
    pub fn kept_until(&self) -> i64 {
        i64::from(self.kept_until_day + 1) * DAY - 1
    }
}

#[derive(Debug, Clone)]
pub struct Atm {
    pub inst: u32,
    pub city: u8,
    pub number: u32,
    pub segments: Vec<Segment>,
}

/// What a person does in the background.
#[derive(Debug, Clone, Copy, Default)]
pub struct Person {
    pub party: u32,
    pub city: u8,
    pub bank: u32,
    pub main_card: u32,
    /// Further cards: `cards[first_card..first_card+n_cards]` of `World::person_cards`.
    pub first_card: u32,
    pub n_cards: u8,
    pub bank_account: u32,
    pub exchange: u32,
    pub wallet: u32,
    pub device: u32,
    pub home_ip: u32,
    pub employer: u32,
    /// Monthly salary or pension, tiyn.
    pub income: i64,
    pub contacts_start: u32,
    pub n_contacts: u16,
    /// Relative activity (purchases and transfers scale with it).
    pub activity: f32,
    pub bill_day: u8,
    pub flags: u8,
}

pub const F_CRYPTO: u8 = 1;
pub const F_SELLER: u8 = 2;
pub const F_PENSIONER: u8 = 4;
pub const F_HEAVY_TRADER: u8 = 8;
pub const F_ABROAD_FAMILY: u8 = 16;
pub const F_SOLE: u8 = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sector {
    Retail,
    Food,
    Services,
    Wholesale,
    Manufacturing,
    Construction,
    It,
    Transport,
    Utility,
    Telecom,
    Lottery,
    Pawnshop,
    Antiques,
    PensionFund,
    Treasury,
    ForeignSupplier,
    OffshorePartner,
    /// A planted shell firm: no background activity of its own.
    Shell,
    /// A sole proprietor's stall or workshop.
    Stall,
}

impl Sector {
    pub fn is_merchant(self) -> bool {
        matches!(self, Sector::Retail | Sector::Food | Sector::Stall)
    }
    pub fn is_supplier(self) -> bool {
        matches!(
            self,
            Sector::Wholesale
                | Sector::Manufacturing
                | Sector::Construction
                | Sector::Transport
                | Sector::Services
                | Sector::It
        )
    }
    fn word(self) -> &'static str {
        match self {
            Sector::Retail => "Market",
            Sector::Food => "Food",
            Sector::Services => "Service",
            Sector::Wholesale => "Trade",
            Sector::Manufacturing => "Industries",
            Sector::Construction => "Stroy",
            Sector::It => "Soft",
            Sector::Transport => "Logistics",
            Sector::Utility => "Energo",
            Sector::Telecom => "Telecom",
            Sector::Lottery => "Lotto",
            Sector::Pawnshop => "Lombard",
            Sector::Antiques => "Art Gallery",
            Sector::PensionFund => "Pension",
            Sector::Treasury => "Treasury",
            Sector::ForeignSupplier => "Trading",
            Sector::OffshorePartner => "Holdings",
            Sector::Shell => "Group",
            Sector::Stall => "",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Company {
    pub party: u32,
    pub sector: Sector,
    pub city: u8,
    pub account: u32,
    /// A second account (0 or one more), or `NONE`.
    pub account2: u32,
    pub payday: u8,
    pub emp_start: u32,
    pub n_emp: u32,
    pub sup_start: u32,
    pub n_sup: u16,
    /// Relative size: invoices and cash scale with it.
    pub size: f32,
    /// Pays an offshore partner every month (legitimately; reportable above 5M KZT).
    pub offshore_partner: u32,
    pub foreign_supplier: u32,
}

pub struct World {
    pub cfg: Config,
    /// Local day number (days since 1970-01-01, UTC+5) of day 0.
    pub start: i32,
    pub institutions: Vec<Institution>,
    pub parties: Vec<Party>,
    pub accounts: Vec<Account>,
    /// Each account's id prefix (`C`, `A`, `X`, `W`): one byte an account, so that writing an
    /// id does not pull the whole account record into the cache.
    pub prefixes: Vec<u8>,
    pub identifiers: Vec<Identifier>,
    pub atms: Vec<Atm>,
    /// ATMs by city.
    pub city_atms: Vec<Vec<u32>>,
    pub persons: Vec<Person>,
    pub person_cards: Vec<u32>,
    pub contacts: Vec<u32>,
    pub companies: Vec<Company>,
    pub employees: Vec<u32>,
    pub suppliers: Vec<u32>,
    /// Merchants by city (company indices), most popular first.
    pub city_merchants: Vec<Vec<u32>>,
    pub utilities: Vec<u32>,
    pub treasury: u32,
    pub pension_fund: u32,
    pub lottery: u32,
    pub pawnshops: Vec<u32>,
    pub antiques: u32,
    /// Licensed exchanges (institution index) and foreign-licensed ones.
    pub vasps_licensed: Vec<u32>,
    pub vasps_foreign: Vec<u32>,
    pub vasps_unlicensed: Vec<u32>,
    pub foreign_banks: Vec<u32>,
    pub offshore_banks: Vec<u32>,
    pub kz_banks: Vec<u32>,
    pub atm_network: u32,
    /// Rates in tiyn per unit, by day index from day -1 (`rates[0]` is the day before start).
    pub rates: Vec<[i64; 8]>,
    pub labels: Vec<EntityLabel>,
    labelled: std::collections::HashSet<(u8, u32, u8)>,
    pub next_device: u32,
    pub next_ip: u32,
    pub next_number: u32,
}

/// Kazakhstan's banks: key, name, IBAN code, share of retail clients, biometric weights
/// (verified, failed, not checked, not recorded), video retention days, ATMs without video ‰.
type BankSpec = (&'static str, &'static str, u16, u32, [u32; 4], u32, u32);

const BANKS: &[BankSpec] = &[
    ("KASPI", "Kaspi Bank", 722, 400, [970, 10, 20, 0], 365, 0),
    ("HALYK", "Halyk Bank", 601, 250, [960, 10, 30, 0], 365, 0),
    (
        "FREEDOM",
        "Freedom Bank Kazakhstan",
        551,
        80,
        [900, 20, 80, 0],
        270,
        0,
    ),
    ("FORTE", "ForteBank", 996, 70, [920, 10, 70, 0], 240, 0),
    (
        "BCC",
        "Bank CenterCredit",
        856,
        60,
        [900, 10, 40, 50],
        365,
        0,
    ),
    ("JUSAN", "Jusan Bank", 998, 50, [930, 10, 60, 0], 200, 0),
    ("BEREKE", "Bereke Bank", 907, 30, [850, 20, 130, 0], 210, 0),
    (
        "HCSB",
        "Home Credit Bank",
        886,
        30,
        [800, 20, 80, 100],
        200,
        400,
    ),
    (
        "EURASIAN",
        "Eurasian Bank",
        948,
        20,
        [880, 20, 100, 0],
        220,
        0,
    ),
    // Keeps recordings 90 days: every cash operation at its ATMs is a video gap.
    ("RBK", "Bank RBK", 821, 10, [850, 20, 130, 0], 90, 0),
];

fn date_of(y: i32, m: u32, d: u32) -> i32 {
    Date::from_ymd(y, m, d).map_or(0, |d| d.0)
}

impl World {
    pub fn new(cfg: &Config) -> World {
        let mut w = World {
            cfg: cfg.clone(),
            start: cfg.start.0,
            institutions: Vec::new(),
            parties: Vec::new(),
            accounts: Vec::new(),
            prefixes: Vec::new(),
            identifiers: Vec::new(),
            atms: Vec::new(),
            city_atms: vec![Vec::new(); names::CITIES.len()],
            persons: Vec::new(),
            person_cards: Vec::new(),
            contacts: Vec::new(),
            companies: Vec::new(),
            employees: Vec::new(),
            suppliers: Vec::new(),
            city_merchants: vec![Vec::new(); names::CITIES.len()],
            utilities: Vec::new(),
            treasury: NONE,
            pension_fund: NONE,
            lottery: NONE,
            pawnshops: Vec::new(),
            antiques: NONE,
            vasps_licensed: Vec::new(),
            vasps_foreign: Vec::new(),
            vasps_unlicensed: Vec::new(),
            foreign_banks: Vec::new(),
            offshore_banks: Vec::new(),
            kz_banks: Vec::new(),
            atm_network: NONE,
            rates: Vec::new(),
            labels: Vec::new(),
            labelled: Default::default(),
            next_device: 0,
            next_ip: 0,
            next_number: 1000,
        };
        let mut rng = Rng::new(cfg.seed, 1);
        w.institutions(&mut rng);
        w.rates(&mut Rng::new(cfg.seed, 2));
        w.atms(&mut Rng::new(cfg.seed, 3));
        w.persons(&mut Rng::new(cfg.seed, 4));
        w.companies(&mut Rng::new(cfg.seed, 5));
        w.employment(&mut Rng::new(cfg.seed, 6));
        w
    }

    pub fn days(&self) -> i32 {
        self.cfg.days as i32
    }

    /// UTC seconds of local midnight starting day `d` (day 0 = start).
    pub fn day_start(&self, d: i32) -> i64 {
        i64::from(self.start + d) * DAY - OFFSET_SECS
    }

    /// Day index (from start) of a UTC instant, by the local calendar.
    pub fn day_of(&self, ts: i64) -> i32 {
        ((ts + OFFSET_SECS).div_euclid(DAY)) as i32 - self.start
    }

    /// The rate of `cur` on day `d` (tiyn per unit); days past the table use its last row.
    pub fn rate(&self, cur: Cur, d: i32) -> i64 {
        let i = (d + 1).clamp(0, self.rates.len() as i32 - 1) as usize;
        self.rates[i][cur as usize]
    }

    /// The amount in `cur`'s minor units worth about `kzt` tiyn on day `d` (rounded down).
    pub fn units_for(&self, kzt: i64, cur: Cur, d: i32) -> i64 {
        if cur == Cur::Kzt {
            return kzt;
        }
        let scale = 10i128.pow(cur.decimals());
        ((i128::from(kzt) * scale / i128::from(self.rate(cur, d))) as i64).max(1)
    }

    pub fn number(&mut self) -> u32 {
        self.next_number += 1 + (self.next_number % 7);
        self.next_number
    }

    pub fn new_device(&mut self) -> u32 {
        self.next_device += 1;
        self.next_device
    }

    pub fn new_ip(&mut self) -> u32 {
        self.next_ip += 1;
        self.next_ip
    }

    /// Labels a party, account or institution once per typology: a second label of the same
    /// subject and typology would conflict in the labels table.
    pub fn label(&mut self, kind: SubjectKind, index: u32, typology: Typology, group: Group) {
        if self.labelled.insert((kind as u8, index, typology as u8)) {
            self.labels.push(EntityLabel {
                kind,
                index,
                typology,
                group,
            });
        }
    }

    pub fn add_institution(&mut self, i: Institution) -> u32 {
        self.institutions.push(i);
        self.institutions.len() as u32 - 1
    }

    pub fn add_party(&mut self, p: Party) -> u32 {
        self.parties.push(p);
        self.parties.len() as u32 - 1
    }

    /// Adds an account; its offshore flag and exchange group follow from holder and institution.
    pub fn add_account(
        &mut self,
        kind: AccountKind,
        holder: u32,
        inst: u32,
        cur: Cur,
        opened: i32,
    ) -> u32 {
        let mut offshore = false;
        let mut unlicensed = Group::NONE;
        if holder != NONE {
            offshore |= is_offshore(self.parties[holder as usize].country);
        }
        if inst != NONE {
            let i = &self.institutions[inst as usize];
            offshore |= is_offshore(i.country);
            unlicensed = i.unlicensed;
        }
        self.prefixes.push(crate::out::account_prefix(kind));
        self.accounts.push(Account {
            kind,
            holder,
            inst,
            cur,
            opened,
            closed: NO_DATE,
            offshore,
            unlicensed,
        });
        self.accounts.len() as u32 - 1
    }

    pub fn add_identifier(
        &mut self,
        owner: Result<u32, u32>,
        kind: IdentifierKind,
        value: IdValue,
    ) {
        self.identifiers.push(Identifier { owner, kind, value });
    }

    fn institutions(&mut self, rng: &mut Rng) {
        let mut serial = 100;
        let mut bin = |rng: &mut Rng, y: i32| {
            serial += 1 + rng.below(50) as u32;
            ids::bin(y, 1 + rng.below(12) as u32, serial)
        };
        for &(key, name, code, weight, bio, video_days, no_video) in BANKS {
            let y = 1991 + rng.below(15) as i32;
            let b = bin(rng, y);
            let i = self.add_institution(Institution {
                key: key.into(),
                kind: InstitutionKind::Bank,
                name: name.into(),
                country: "KZ",
                bin: b,
                license: License::Nbrk,
                bank_linked: None,
                bank_code: code,
                weight,
                policy: Policy {
                    bio,
                    video_days,
                    no_video,
                },
                unlicensed: Group::NONE,
            });
            self.kz_banks.push(i);
        }
        let plain = Policy {
            bio: [1, 0, 0, 0],
            video_days: 365,
            no_video: 0,
        };
        let foreign: &[(&str, &str, &str)] = &[
            ("SBERRU", "Sberbank", "RU"),
            ("BOCCN", "Bank of China", "CN"),
            ("ZIRAATTR", "Ziraat Bankasi", "TR"),
            ("ENBDAE", "Emirates NBD", "AE"),
            ("CAYFIRST", "Cayman First Bank", "KY"),
            ("VGTRUST", "Virgin Islands Trust Bank", "VG"),
            ("SEYINTL", "Seychelles International Bank", "SC"),
        ];
        for &(key, name, country) in foreign {
            let i = self.add_institution(Institution {
                key: key.into(),
                kind: InstitutionKind::Bank,
                name: name.into(),
                country,
                bin: NO_ID,
                license: License::Foreign,
                bank_linked: None,
                bank_code: 0,
                weight: 0,
                policy: plain,
                unlicensed: Group::NONE,
            });
            if is_offshore(country) {
                self.offshore_banks.push(i);
            } else {
                self.foreign_banks.push(i);
            }
        }
        self.atm_network = self.add_institution(Institution {
            key: "ATMNET".into(),
            kind: InstitutionKind::AtmNetwork,
            name: "Steppe ATM Network".into(),
            country: "KZ",
            bin: bin(rng, 2012),
            license: License::Nbrk,
            bank_linked: None,
            bank_code: 0,
            weight: 0,
            policy: Policy {
                bio: [950, 10, 40, 0],
                video_days: 200,
                no_video: 0,
            },
            unlicensed: Group::NONE,
        });
        self.add_institution(Institution {
            key: "QAZPAY".into(),
            kind: InstitutionKind::PaymentInstitution,
            name: "QazPay Payments".into(),
            country: "KZ",
            bin: bin(rng, 2019),
            license: License::Nbrk,
            bank_linked: None,
            bank_code: 0,
            weight: 0,
            policy: plain,
            unlicensed: Group::NONE,
        });
        // Exchanges: AIFC-licensed and bank-linked (lawful), one AIFC-licensed without a bank
        // link (may not serve clients, so it has none), foreign-licensed (lawful, a risk
        // factor). Unlicensed ones are planted by the schemes.
        let vasps: &[(&str, &str, &str, License, bool)] = &[
            ("ADX", "Astana Digital Exchange", "KZ", License::Afsa, true),
            ("QCH", "Qazaq Crypto Hub", "KZ", License::Afsa, true),
            ("NOMADX", "Nomad Exchange", "KZ", License::Afsa, true),
            ("TULPARX", "Tulpar Digital", "KZ", License::Afsa, false),
            (
                "GLOBALCX",
                "Global Coin Exchange",
                "SC",
                License::Foreign,
                false,
            ),
            (
                "BALTCX",
                "Baltic Crypto Exchange",
                "LT",
                License::Foreign,
                false,
            ),
        ];
        for &(key, name, country, license, linked) in vasps {
            let i = self.add_institution(Institution {
                key: key.into(),
                kind: InstitutionKind::Vasp,
                name: name.into(),
                country,
                bin: if country == "KZ" {
                    let y = 2020 + rng.below(4) as i32;
                    bin(rng, y)
                } else {
                    NO_ID
                },
                license,
                bank_linked: Some(linked),
                bank_code: 0,
                weight: 0,
                policy: plain,
                unlicensed: Group::NONE,
            });
            match (license, linked) {
                (License::Afsa, true) => self.vasps_licensed.push(i),
                (License::Foreign, _) => self.vasps_foreign.push(i),
                _ => {}
            }
        }
    }

    fn rates(&mut self, rng: &mut Rng) {
        let days = self.cfg.days as usize + 62;
        let mut level = Cur::ALL.map(|c| c.base_rate() as f64);
        for _ in 0..days {
            let mut row = [0i64; 8];
            for c in Cur::ALL {
                let i = c as usize;
                if c != Cur::Kzt {
                    level[i] *= (c.volatility() * rng.normal()).exp();
                }
                row[i] = level[i].round().max(1.0) as i64;
            }
            self.rates.push(row);
        }
    }

    fn bank_pick(&self, rng: &mut Rng) -> u32 {
        let w: Vec<u32> = self
            .kz_banks
            .iter()
            .map(|&b| self.institutions[b as usize].weight)
            .collect();
        self.kz_banks[rng.weighted(&w)]
    }

    fn atms(&mut self, rng: &mut Rng) {
        let people = self.cfg.people.max(1) as f64;
        for (city, &(_, _, weight)) in names::CITIES.iter().enumerate() {
            let n = ((people * f64::from(weight) / 1000.0 / 120.0).ceil() as u32).max(2);
            for k in 0..n {
                let inst = if rng.chance(0.1) {
                    self.atm_network
                } else {
                    self.bank_pick(rng)
                };
                let segments = self.recordings(rng, inst);
                self.atms.push(Atm {
                    inst,
                    city: city as u8,
                    number: k + 1,
                    segments,
                });
                self.city_atms[city].push(self.atms.len() as u32 - 1);
            }
        }
    }

    /// An ATM's recordings: one per 30 days, from a month before the data to two after, kept
    /// as long as its bank keeps them; a camera outage now and then leaves a gap of days.
    fn recordings(&self, rng: &mut Rng, inst: u32) -> Vec<Segment> {
        let policy = self.institutions[inst as usize].policy;
        if rng.below(1000) < u64::from(policy.no_video) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let end = self.days() + 60;
        let mut d = -30;
        while d < end {
            let block_end = (d + 29).min(end);
            let mut pieces = vec![(d, block_end)];
            if block_end - d >= 10 && rng.chance(0.08) {
                let gap_start = rng.range(i64::from(d) + 1, i64::from(block_end) - 5) as i32;
                let gap_len = rng.range(1, 4) as i32;
                pieces = vec![(d, gap_start - 1), (gap_start + gap_len, block_end)];
            }
            for (a, b) in pieces {
                let kept = self.start + b + policy.video_days as i32 + rng.range(0, 30) as i32;
                out.push(Segment {
                    from: self.day_start(a),
                    to: self.day_start(b + 1) - 1,
                    kept_until_day: kept,
                });
            }
            d = block_end + 1;
        }
        out
    }

    fn person_party(&mut self, rng: &mut Rng, city: u8, address: Address, age: (i64, i64)) -> u32 {
        let female = rng.chance(0.52);
        let (y, m, d) = Date(self.start).ymd();
        let age = rng.range(age.0, age.1) as i32;
        let birth = Date(self.start - age * 365 - rng.range(0, 364) as i32);
        let (by, bm, bd) = birth.ymd();
        // Since 2013 numbers need not match the holder: a few carry another date.
        let id = if rng.chance(0.04) {
            ids::iin(
                by - 1 + rng.range(0, 2) as i32,
                1 + rng.below(12) as u32,
                1 + rng.below(28) as u32,
                female,
                rng.below(10_000) as u32,
            )
        } else {
            ids::iin(by, bm, bd, female, rng.below(10_000) as u32)
        };
        let _ = (y, m, d);
        let first = if female {
            rng.index(names::FEMALE.len())
        } else {
            rng.index(names::MALE.len())
        };
        self.add_party(Party {
            kind: PartyKind::Person,
            id,
            name: Name::Person {
                first: first as u16,
                last: rng.index(names::SURNAMES.len()) as u16,
                female,
            },
            birth: birth.0,
            registered: NO_DATE,
            deregistered: NO_DATE,
            country: "KZ",
            city,
            address,
        })
    }

    pub fn city_pick(rng: &mut Rng) -> u8 {
        let w: Vec<u32> = names::CITIES.iter().map(|c| c.2).collect();
        rng.weighted(&w) as u8
    }

    fn home(rng: &mut Rng, city: u8) -> Address {
        Address::Home {
            city,
            street: rng.index(names::STREETS.len()) as u16,
            house: rng.range(1, 250) as u16,
            flat: if rng.chance(0.8) {
                rng.range(1, 300) as u16
            } else {
                0
            },
        }
    }

    /// A card (or bank account) opened `ago` days before the start, at `bank`.
    pub fn open(&mut self, kind: AccountKind, holder: u32, inst: u32, cur: Cur, ago: i64) -> u32 {
        let opened = self.start - ago as i32;
        self.add_account(kind, holder, inst, cur, opened)
    }

    fn persons(&mut self, rng: &mut Rng) {
        let n = self.cfg.people;
        let mut i = 0;
        while i < n {
            // A household: people at one address, often one shared tablet and home network.
            let size = (1 + rng.weighted(&[30, 30, 20, 15, 5])).min((n - i) as usize);
            let city = Self::city_pick(rng);
            let address = Self::home(rng, city);
            let shared_device = (size > 1 && rng.chance(0.35)).then(|| self.new_device());
            let home_ip = self.new_ip();
            let first = self.persons.len();
            for k in 0..size {
                let age = if k < 2 { (20, 80) } else { (18, 30) };
                let party = self.person_party(rng, city, address, age);
                let p = self.person(rng, party, city, home_ip, shared_device);
                self.persons.push(p);
            }
            // Household members know each other; contacts are added below.
            let _ = first;
            i += size as u32;
        }
        // Contacts: the household plus friends, mostly in the same city.
        let mut by_city: Vec<Vec<u32>> = vec![Vec::new(); names::CITIES.len()];
        for (k, p) in self.persons.iter().enumerate() {
            by_city[p.city as usize].push(k as u32);
        }
        for k in 0..self.persons.len() {
            let start = self.contacts.len() as u32;
            let p = self.persons[k];
            // Neighbours in the list are the household (built consecutively).
            for j in k.saturating_sub(3)..(k + 4).min(self.persons.len()) {
                if j != k && self.persons[j].home_ip == p.home_ip {
                    self.contacts.push(j as u32);
                }
            }
            for _ in 0..rng.range(3, 10) {
                let c = if rng.chance(0.75) {
                    *rng.pick(&by_city[p.city as usize])
                } else {
                    rng.index(self.persons.len()) as u32
                };
                if c as usize != k {
                    self.contacts.push(c);
                }
            }
            let pk = &mut self.persons[k];
            pk.contacts_start = start;
            pk.n_contacts = (self.contacts.len() as u32 - start) as u16;
        }
    }

    fn person(
        &mut self,
        rng: &mut Rng,
        party: u32,
        city: u8,
        home_ip: u32,
        shared_device: Option<u32>,
    ) -> Person {
        let bank = self.bank_pick(rng);
        let age_days = self.start - self.parties[party as usize].birth;
        let pensioner = age_days > 63 * 365;
        let main_card = self.open(
            AccountKind::Card,
            party,
            bank,
            Cur::Kzt,
            rng.range(60, 3000),
        );
        let device = self.new_device();
        let first_card = self.person_cards.len() as u32;
        // Most people hold one to three cards; a few collect many at one bank (never more
        // than ten: that is the rule's line, and a lawful client stays under it).
        let extra = if rng.chance(0.005) {
            rng.range(5, 9)
        } else {
            i64::from(rng.poisson(0.6).min(4))
        };
        for _ in 0..extra {
            let b = if rng.chance(0.6) {
                bank
            } else {
                self.bank_pick(rng)
            };
            let c = self.open(AccountKind::Card, party, b, Cur::Kzt, rng.range(30, 2500));
            self.person_cards.push(c);
        }
        let n_cards = (self.person_cards.len() as u32 - first_card) as u8;
        for c in std::iter::once(main_card)
            .chain(self.person_cards[first_card as usize..].iter().copied())
            .collect::<Vec<_>>()
        {
            self.add_identifier(Err(c), IdentifierKind::Device, IdValue::Device(device));
            if let Some(d) = shared_device {
                self.add_identifier(Err(c), IdentifierKind::Device, IdValue::Device(d));
            }
        }
        if rng.chance(0.3) {
            self.add_identifier(Err(main_card), IdentifierKind::Ip, IdValue::Ip(home_ip));
        }
        self.add_identifier(
            Ok(party),
            IdentifierKind::Phone,
            IdValue::Text(ids::phone(rng).into()),
        );
        if rng.chance(0.5) {
            let email = match self.parties[party as usize].name {
                Name::Person {
                    first,
                    last,
                    female,
                } => format!(
                    "{}.{}{}@mail.kz",
                    names::person_first(first, female).to_lowercase(),
                    names::SURNAMES[last as usize % names::SURNAMES.len()].to_lowercase(),
                    rng.below(100)
                ),
                _ => format!("user{party}@mail.kz"),
            };
            self.add_identifier(
                Ok(party),
                IdentifierKind::Email,
                IdValue::Text(email.into()),
            );
        }
        let bank_account = if rng.chance(0.3) {
            let ago = rng.range(100, 4000);
            self.open(AccountKind::BankAccount, party, bank, Cur::Kzt, ago)
        } else {
            NONE
        };
        let mut flags = 0;
        if pensioner {
            flags |= F_PENSIONER;
        }
        let mut exchange = NONE;
        let mut wallet = NONE;
        if rng.chance(0.09) {
            flags |= F_CRYPTO;
            let vasp = if rng.chance(0.8) {
                *rng.pick(&self.vasps_licensed)
            } else {
                *rng.pick(&self.vasps_foreign)
            };
            exchange = self.open(
                AccountKind::ExchangeAccount,
                party,
                vasp,
                Cur::Usdt,
                rng.range(30, 1500),
            );
            if rng.chance(0.3) {
                wallet = self.open(
                    AccountKind::Wallet,
                    party,
                    NONE,
                    Cur::Usdt,
                    rng.range(30, 1500),
                );
            }
            if rng.chance(0.04) {
                flags |= F_HEAVY_TRADER;
            }
        }
        if rng.chance(0.012) {
            flags |= F_SELLER;
        }
        if rng.chance(0.02) {
            flags |= F_ABROAD_FAMILY;
        }
        Person {
            party,
            city,
            bank,
            main_card,
            first_card,
            n_cards,
            bank_account,
            exchange,
            wallet,
            device: shared_device.filter(|_| rng.chance(0.3)).unwrap_or(device),
            home_ip,
            employer: NONE,
            income: 0,
            contacts_start: 0,
            n_contacts: 0,
            activity: rng.lognormal(1.0, 0.4).min(4.0) as f32,
            bill_day: rng.range(1, 28) as u8,
            flags,
        }
    }

    /// A company party registered `age_days` before the start, with a director and founders
    /// drawn from the population.
    pub fn company_party(
        &mut self,
        rng: &mut Rng,
        sector: Sector,
        city: u8,
        age_days: i64,
        address: Address,
    ) -> u32 {
        let registered = Date(self.start - age_days as i32);
        let (y, m, _) = registered.ymd();
        let id = ids::bin(y, m, rng.below(100_000) as u32);
        // The legal form (LLP, JSC) and the sector share one byte of the name.
        let form = rng.below(3) as u8;
        self.add_party(Party {
            kind: PartyKind::Company,
            id,
            name: Name::Company {
                word: rng.index(names::COMPANY_WORDS.len()) as u16,
                form: form * 32 + sector as u8,
            },
            birth: NO_DATE,
            registered: registered.0,
            deregistered: NO_DATE,
            country: "KZ",
            city,
            address,
        })
    }

    pub fn office(rng: &mut Rng, city: u8) -> Address {
        if rng.chance(0.15) {
            Address::Centre {
                city,
                centre: rng.index(names::BUSINESS_CENTRES.len()) as u16,
                office: rng.range(100, 2500) as u16,
            }
        } else {
            Address::Office {
                city,
                street: rng.index(names::STREETS.len()) as u16,
                house: rng.range(1, 300) as u16,
            }
        }
    }

    pub fn add_company(
        &mut self,
        rng: &mut Rng,
        sector: Sector,
        city: u8,
        age_days: i64,
        size: f32,
    ) -> u32 {
        let address = Self::office(rng, city);
        let party = self.company_party(rng, sector, city, age_days, address);
        let bank = self.bank_pick(rng);
        let account = self.open(
            AccountKind::BankAccount,
            party,
            bank,
            Cur::Kzt,
            age_days.min(4000) - rng.range(0, 20).min(age_days - 1).max(0),
        );
        let account2 = if rng.chance(0.25) {
            let b = self.bank_pick(rng);
            self.open(
                AccountKind::BankAccount,
                party,
                b,
                Cur::Kzt,
                rng.range(10, age_days.max(11)),
            )
        } else {
            NONE
        };
        self.companies.push(Company {
            party,
            sector,
            city,
            account,
            account2,
            payday: *rng.pick(&[5u8, 10, 10, 15, 25, 25, 28]),
            emp_start: 0,
            n_emp: 0,
            sup_start: 0,
            n_sup: 0,
            size,
            offshore_partner: NONE,
            foreign_supplier: NONE,
        });
        self.companies.len() as u32 - 1
    }

    fn foreign_company(&mut self, rng: &mut Rng, sector: Sector, inst: u32) -> u32 {
        let country = self.institutions[inst as usize].country;
        let party = self.add_party(Party {
            kind: PartyKind::Company,
            id: NO_ID,
            name: Name::Foreign {
                word: rng.index(names::FOREIGN_WORDS.len()) as u16,
                form: sector as u8,
            },
            birth: NO_DATE,
            registered: self.start - rng.range(800, 8000) as i32,
            deregistered: NO_DATE,
            country,
            city: 0,
            address: Address::Foreign(country),
        });
        let cur = match country {
            "RU" => Cur::Rub,
            "CN" => Cur::Cny,
            "TR" | "LT" => Cur::Eur,
            _ => Cur::Usd,
        };
        let account = self.open(
            AccountKind::BankAccount,
            party,
            inst,
            cur,
            rng.range(400, 5000),
        );
        self.companies.push(Company {
            party,
            sector,
            city: 0,
            account,
            account2: NONE,
            payday: 0,
            emp_start: 0,
            n_emp: 0,
            sup_start: 0,
            n_sup: 0,
            size: 1.0,
            offshore_partner: NONE,
            foreign_supplier: NONE,
        });
        self.companies.len() as u32 - 1
    }

    fn companies(&mut self, rng: &mut Rng) {
        let people = self.cfg.people as usize;
        // The state and the institutions everyone pays.
        let astana = 1;
        let t = self.add_company(rng, Sector::Treasury, astana, 9000, 50.0);
        self.treasury = t;
        self.parties[self.companies[t as usize].party as usize].name =
            Name::Fixed("State Revenue Committee");
        let p = self.add_company(rng, Sector::PensionFund, astana, 9000, 50.0);
        self.pension_fund = p;
        self.parties[self.companies[p as usize].party as usize].name =
            Name::Fixed("Unified Accumulative Pension Fund");
        self.lottery = self.add_company(rng, Sector::Lottery, 0, 6000, 5.0);
        self.antiques = self.add_company(rng, Sector::Antiques, 0, 3000, 1.0);
        for _ in 0..(1 + people / 20_000).min(6) {
            let city = Self::city_pick(rng);
            let age = rng.range(500, 5000);
            let c = self.add_company(rng, Sector::Pawnshop, city, age, 1.0);
            self.pawnshops.push(c);
        }
        for _ in 0..3 {
            let city = Self::city_pick(rng);
            let c = self.add_company(rng, Sector::Utility, city, 7000, 20.0);
            self.utilities.push(c);
        }
        for _ in 0..2 {
            let c = self.add_company(rng, Sector::Telecom, astana, 7000, 20.0);
            self.utilities.push(c);
        }
        // Foreign suppliers and offshore partners (lawful: they are paid for real goods).
        let n_foreign = 6 + people / 2_000;
        let foreign: Vec<u32> = (0..n_foreign)
            .map(|_| {
                let bank = *rng.pick(&self.foreign_banks.clone());
                self.foreign_company(rng, Sector::ForeignSupplier, bank)
            })
            .collect();
        let offshore: Vec<u32> = (0..(2 + people / 5_000))
            .map(|_| {
                let bank = *rng.pick(&self.offshore_banks.clone());
                self.foreign_company(rng, Sector::OffshorePartner, bank)
            })
            .collect();
        // The economy: employers of every size (a few big, most small).
        let n = (people / 30).max(20);
        let sectors = [
            (Sector::Retail, 22),
            (Sector::Food, 14),
            (Sector::Services, 14),
            (Sector::Wholesale, 12),
            (Sector::Manufacturing, 8),
            (Sector::Construction, 10),
            (Sector::It, 6),
            (Sector::Transport, 8),
        ];
        let weights: Vec<u32> = sectors.iter().map(|s| s.1).collect();
        let first = self.companies.len();
        for _ in 0..n {
            let sector = sectors[rng.weighted(&weights)].0;
            let city = Self::city_pick(rng);
            // Young firms are lawful too: one in twelve registered in the last half year.
            let age = if rng.chance(0.08) {
                rng.range(20, 180)
            } else {
                rng.range(400, 9000)
            };
            let size = rng.lognormal(1.0, 1.1).clamp(0.2, 60.0) as f32;
            let c = self.add_company(rng, sector, city, age, size);
            if rng.chance(0.03) {
                self.companies[c as usize].offshore_partner = *rng.pick(&offshore);
            }
            if rng.chance(0.15) {
                self.companies[c as usize].foreign_supplier = *rng.pick(&foreign);
            }
        }
        let regular: Vec<u32> = (first as u32..self.companies.len() as u32).collect();
        // Sole proprietors: market stalls and workshops of people in the population.
        for k in 0..(people / 40) {
            let person = (k * 37 + rng.index(37)) % people;
            let pp = self.persons[person];
            let owner = self.parties[pp.party as usize];
            let party = self.add_party(Party {
                kind: PartyKind::SoleProprietor,
                id: owner.id,
                name: owner.name,
                birth: owner.birth,
                registered: self.start - rng.range(60, 4000) as i32,
                deregistered: NO_DATE,
                country: "KZ",
                city: pp.city,
                address: owner.address,
            });
            let account = self.open(
                AccountKind::BankAccount,
                party,
                pp.bank,
                Cur::Kzt,
                rng.range(30, 3000),
            );
            self.persons[person].flags |= F_SOLE;
            self.companies.push(Company {
                party,
                sector: Sector::Stall,
                city: pp.city,
                account,
                account2: NONE,
                payday: 0,
                emp_start: 0,
                n_emp: 0,
                sup_start: 0,
                n_sup: 0,
                size: 0.3,
                offshore_partner: NONE,
                foreign_supplier: NONE,
            });
        }
        // Directors and founders: a person per firm; holding groups share one across firms.
        let mut last_director = NONE;
        for &c in &regular {
            let party = self.companies[c as usize].party;
            let director = if last_director != NONE && rng.chance(0.06) {
                last_director
            } else {
                self.persons[rng.index(self.persons.len())].party
            };
            last_director = director;
            self.add_identifier(
                Ok(party),
                IdentifierKind::Director,
                IdValue::Party(director),
            );
            self.add_identifier(Ok(party), IdentifierKind::Founder, IdValue::Party(director));
            if rng.chance(0.4) {
                let f = self.persons[rng.index(self.persons.len())].party;
                self.add_identifier(Ok(party), IdentifierKind::Founder, IdValue::Party(f));
            }
            self.add_identifier(
                Ok(party),
                IdentifierKind::Phone,
                IdValue::Text(ids::phone(rng).into()),
            );
        }
        // Merchants by city, most popular first; suppliers, with some lawful supply cycles.
        let suppliers: Vec<u32> = regular
            .iter()
            .copied()
            .filter(|&c| self.companies[c as usize].sector.is_supplier())
            .collect();
        for &c in &regular {
            let co = self.companies[c as usize];
            if co.sector.is_merchant() {
                self.city_merchants[co.city as usize].push(c);
            }
        }
        for k in first..self.companies.len() {
            let co = self.companies[k];
            if co.sector == Sector::Stall {
                self.city_merchants[co.city as usize].push(k as u32);
            }
        }
        for list in &mut self.city_merchants {
            rng.shuffle(list);
        }
        if suppliers.is_empty() {
            return;
        }
        for &c in &regular {
            let start = self.suppliers.len() as u32;
            for _ in 0..rng.range(1, 5) {
                let s = suppliers[rng.skewed(suppliers.len(), 1.5)];
                if s != c {
                    self.suppliers.push(s);
                }
            }
            let co = &mut self.companies[c as usize];
            co.sup_start = start;
            co.n_sup = (self.suppliers.len() as u32 - start) as u16;
        }
        // Supply cycles among lawful firms: A buys from B, B from C, C from A.
        for _ in 0..(suppliers.len() / 25).max(1) {
            let len = rng.range(3, 4) as usize;
            let ring: Vec<u32> = (0..len).map(|_| *rng.pick(&suppliers)).collect();
            for i in 0..len {
                let (a, b) = (ring[i], ring[(i + 1) % len]);
                if a == b {
                    continue;
                }
                let start = self.suppliers.len() as u32;
                let co = self.companies[a as usize];
                let old: Vec<u32> = self.suppliers
                    [co.sup_start as usize..(co.sup_start + u32::from(co.n_sup)) as usize]
                    .to_vec();
                self.suppliers.extend(old);
                self.suppliers.push(b);
                let co = &mut self.companies[a as usize];
                co.sup_start = start;
                co.n_sup = (self.suppliers.len() as u32 - start) as u16;
            }
        }
    }

    fn employment(&mut self, rng: &mut Rng) {
        let employers: Vec<u32> = (0..self.companies.len() as u32)
            .filter(|&c| {
                let s = self.companies[c as usize].sector;
                s.is_merchant() && s != Sector::Stall
                    || s.is_supplier()
                    || matches!(
                        s,
                        Sector::Utility
                            | Sector::Telecom
                            | Sector::Lottery
                            | Sector::Pawnshop
                            | Sector::Antiques
                            | Sector::Treasury
                            | Sector::PensionFund
                    )
            })
            .collect();
        let weights: Vec<u32> = employers
            .iter()
            .map(|&c| (self.companies[c as usize].size * 100.0) as u32 + 1)
            .collect();
        let mut staff: Vec<Vec<u32>> = vec![Vec::new(); self.companies.len()];
        for k in 0..self.persons.len() {
            let p = &mut self.persons[k];
            if p.flags & F_PENSIONER != 0 {
                p.income = (rng.lognormal(110_000.0, 0.25) * 100.0) as i64;
                continue;
            }
            if !rng.chance(0.68) {
                continue;
            }
            let e = employers[rng.weighted(&weights)];
            p.employer = e;
            p.income = ((rng.lognormal(290_000.0, 0.45).clamp(85_000.0, 4_000_000.0)) as i64 / 100)
                * 10_000;
            staff[e as usize].push(k as u32);
        }
        for (c, list) in staff.into_iter().enumerate() {
            let co = &mut self.companies[c];
            co.emp_start = self.employees.len() as u32;
            co.n_emp = list.len() as u32;
            self.employees.extend(list);
        }
    }

    pub fn card_of(&self, p: &Person, k: usize) -> u32 {
        if k == 0 || p.n_cards == 0 {
            p.main_card
        } else {
            self.person_cards[p.first_card as usize + (k - 1) % usize::from(p.n_cards)]
        }
    }

    pub fn contacts_of(&self, p: &Person) -> &[u32] {
        let s = p.contacts_start as usize;
        &self.contacts[s..s + usize::from(p.n_contacts)]
    }

    pub fn employees_of(&self, c: &Company) -> &[u32] {
        let s = c.emp_start as usize;
        &self.employees[s..s + c.n_emp as usize]
    }

    pub fn suppliers_of(&self, c: &Company) -> &[u32] {
        let s = c.sup_start as usize;
        &self.suppliers[s..s + usize::from(c.n_sup)]
    }

    /// Whether a cash operation at `atm` at `ts` has a recording covering it kept 180 days.
    pub fn video_kept(&self, atm: u32, ts: i64) -> bool {
        let need = ts + i64::from(crate::rules::VIDEO_RETENTION_DAYS) * DAY;
        self.atms[atm as usize]
            .segments
            .iter()
            .any(|s| s.from <= ts && ts <= s.to && s.kept_until() >= need)
    }

    /// Text of a party's name.
    pub fn party_name(&self, p: &Party) -> String {
        match p.name {
            Name::Person {
                first,
                last,
                female,
            } => {
                let full = format!(
                    "{} {}",
                    names::person_first(first, female),
                    names::surname(
                        names::SURNAMES[last as usize % names::SURNAMES.len()],
                        female
                    )
                );
                if p.kind == PartyKind::SoleProprietor {
                    format!("IP {full}")
                } else {
                    full
                }
            }
            Name::Company { word, form } => {
                let sector = SECTORS_BY_ID[usize::from(form % 32) % SECTORS_BY_ID.len()];
                let legal = ["LLP", "JSC", "LLP"][usize::from(form / 32) % 3];
                format!(
                    "{} {} {legal}",
                    names::COMPANY_WORDS[word as usize % names::COMPANY_WORDS.len()],
                    sector.word()
                )
            }
            Name::Foreign { word, form } => {
                let sector = SECTORS_BY_ID[usize::from(form) % SECTORS_BY_ID.len()];
                format!(
                    "{} {} Ltd",
                    names::FOREIGN_WORDS[word as usize % names::FOREIGN_WORDS.len()],
                    sector.word()
                )
            }
            Name::Fixed(s) => s.to_string(),
        }
    }

    pub fn address_text(&self, a: Address) -> Option<String> {
        let city = |c: u8| names::CITIES[c as usize % names::CITIES.len()].0;
        match a {
            Address::None => None,
            Address::Home {
                city: c,
                street,
                house,
                flat,
            } => Some(if flat > 0 {
                format!(
                    "{}, {} {house} apt {flat}",
                    city(c),
                    names::STREETS[street as usize % names::STREETS.len()]
                )
            } else {
                format!(
                    "{}, {} {house}",
                    city(c),
                    names::STREETS[street as usize % names::STREETS.len()]
                )
            }),
            Address::Office {
                city: c,
                street,
                house,
            } => Some(format!(
                "{}, {} {house}",
                city(c),
                names::STREETS[street as usize % names::STREETS.len()]
            )),
            Address::Centre {
                city: c,
                centre,
                office,
            } => Some(format!(
                "{}, {} office {office}",
                city(c),
                names::BUSINESS_CENTRES[centre as usize % names::BUSINESS_CENTRES.len()]
            )),
            Address::Foreign(country) => Some(match country {
                "KY" => "George Town, Grand Cayman".to_string(),
                "VG" => "Road Town, Tortola".to_string(),
                "SC" => "Victoria, Mahe".to_string(),
                "RU" => "Moscow".to_string(),
                "CN" => "Urumqi".to_string(),
                "TR" => "Istanbul".to_string(),
                "AE" => "Dubai".to_string(),
                _ => "Vilnius".to_string(),
            }),
        }
    }
}

/// Sectors in declaration order, so that a name can carry its sector as a number.
const SECTORS_BY_ID: [Sector; 19] = [
    Sector::Retail,
    Sector::Food,
    Sector::Services,
    Sector::Wholesale,
    Sector::Manufacturing,
    Sector::Construction,
    Sector::It,
    Sector::Transport,
    Sector::Utility,
    Sector::Telecom,
    Sector::Lottery,
    Sector::Pawnshop,
    Sector::Antiques,
    Sector::PensionFund,
    Sector::Treasury,
    Sector::ForeignSupplier,
    Sector::OffshorePartner,
    Sector::Shell,
    Sector::Stall,
];

pub fn date_ymd(y: i32, m: u32, d: u32) -> i32 {
    date_of(y, m, d)
}
