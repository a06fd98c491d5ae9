//! The closed vocabularies of `dataset.md`. Each enum parses from and prints to the exact
//! lower-case token the format uses, so a value read is a value written.

/// Declares a string-token enum: `parse` accepts exactly the listed tokens, `as_str` gives them
/// back, and `ALL` lists them (for error messages that say what was expected).
macro_rules! token_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $token:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($token => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $token),+ }
            }

            /// The accepted tokens, comma-separated, for "expected one of …" messages.
            pub fn expected() -> String {
                [$($token),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

token_enum!(InstitutionKind {
    Bank = "bank",
    Vasp = "vasp",
    AtmNetwork = "atm_network",
    PaymentInstitution = "payment_institution",
});

token_enum!(
    /// Who licensed an institution. Only `afsa` (AIFC) may serve clients as a VASP.
    License {
        Afsa = "afsa",
        Nbrk = "nbrk",
        Foreign = "foreign",
        None = "none",
        Revoked = "revoked",
    }
);

token_enum!(PartyKind {
    Person = "person",
    Company = "company",
    SoleProprietor = "sole_proprietor",
});

token_enum!(
    /// `Unknown` is finmon's own: an account a transaction names that no `accounts` row lists.
    AccountKind {
        BankAccount = "bank_account",
        Card = "card",
        ExchangeAccount = "exchange_account",
        Wallet = "wallet",
        Unknown = "unknown",
    }
);

token_enum!(IdentifierKind {
    Phone = "phone",
    Device = "device",
    Ip = "ip",
    Email = "email",
    Address = "address",
    Director = "director",
    Founder = "founder",
});

token_enum!(TxKind {
    Transfer = "transfer",
    CardTopup = "card_topup",
    CashWithdrawal = "cash_withdrawal",
    CashDeposit = "cash_deposit",
    CryptoTransfer = "crypto_transfer",
    CryptoBuy = "crypto_buy",
    CryptoSell = "crypto_sell",
    P2p = "p2p",
    InvoicePayment = "invoice_payment",
    Salary = "salary",
    Tax = "tax",
});

impl TxKind {
    /// Cash crosses the counter or the ATM: one side of the transaction is outside the system.
    pub fn is_cash(self) -> bool {
        matches!(self, TxKind::CashWithdrawal | TxKind::CashDeposit)
    }
}

token_enum!(Biometric {
    Verified = "verified",
    Failed = "failed",
    NotChecked = "not_checked",
});

token_enum!(SubjectKind {
    Transaction = "transaction",
    Account = "account",
    Party = "party",
    Institution = "institution",
});

token_enum!(
    /// Typologies of `dataset.md`, plus `laundering`: finmon's extension for a label that says
    /// "laundering" without naming a pattern (AMLSim's per-node flags, AMLworld's RANDOM attempts).
    Typology {
        CashOutNetwork = "cash_out_network",
        DropCard = "drop_card",
        FictitiousIdentity = "fictitious_identity",
        ShellFirm = "shell_firm",
        FalseInvoice = "false_invoice",
        UnlicensedExchange = "unlicensed_exchange",
        Exchanger = "exchanger",
        Structuring = "structuring",
        Mule = "mule",
        FanIn = "fan_in",
        FanOut = "fan_out",
        Cycle = "cycle",
        ScatterGather = "scatter_gather",
        GatherScatter = "gather_scatter",
        Bipartite = "bipartite",
        Stack = "stack",
        MissingIin = "missing_iin",
        NoBiometrics = "no_biometrics",
        VideoGap = "video_gap",
        ThresholdReport = "threshold_report",
        Laundering = "laundering",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for k in TxKind::ALL {
            assert_eq!(TxKind::parse(k.as_str()), Some(*k));
        }
        for t in Typology::ALL {
            assert_eq!(Typology::parse(t.as_str()), Some(*t));
        }
        assert_eq!(TxKind::parse("Transfer"), None, "tokens are case-sensitive");
        assert!(TxKind::expected().contains("card_topup"));
    }
}
