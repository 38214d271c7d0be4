//! Cash management (kassasystemforskrifta § 2-8-2 k; SAF-T transType 11007, 11008, 11010,
//! 11011): the opening float of a Z period, withdrawals and deposits, and counting the drawer
//! at Z. Pure: parsing what the cashier types, the expected-cash arithmetic and the count.
//!
//! Expected cash in the drawer = opening float + cash taken for sales (the report's cash
//! tender: cash sales after øreavrunding and the cash part of split sales, return lines
//! already netted) − withdrawals + deposits. The difference is counted − expected; a
//! non-zero difference is journaled as an 11008 cash transaction when the Z closes.

use serde::{Deserialize, Serialize};

use crate::domain::money::{Currency, Money};
use crate::lang::Text;

/// What a cash movement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CashKind {
    /// The opening float (*vekselbeholdning*) of a period: 11007.
    Float,
    /// Money taken out of the drawer (to the bank, the safe …): 11010.
    Withdrawal,
    /// Money put into the drawer: 11011.
    Deposit,
    /// Counted − expected at Z, when not zero: 11008.
    Difference,
}

impl CashKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            CashKind::Float => "float",
            CashKind::Withdrawal => "withdrawal",
            CashKind::Deposit => "deposit",
            CashKind::Difference => "difference",
        }
    }

    pub fn parse(s: &str) -> Option<CashKind> {
        match s {
            "float" => Some(CashKind::Float),
            "withdrawal" => Some(CashKind::Withdrawal),
            "deposit" => Some(CashKind::Deposit),
            "difference" => Some(CashKind::Difference),
            _ => None,
        }
    }

    /// The field the cashier types the amount into, for messages.
    pub fn field(self) -> Text {
        match self {
            CashKind::Float => Text::new("Vekselbeholdning", "Opening float"),
            CashKind::Withdrawal => Text::new("Uttak", "Withdrawal"),
            CashKind::Deposit => Text::new("Innskudd", "Deposit"),
            CashKind::Difference => Text::new("Opptalt kontant", "Counted cash"),
        }
    }

    /// What the movement does to the drawer: `amount` (> 0, as typed) signed.
    pub const fn signed(self, amount: i64) -> i64 {
        match self {
            CashKind::Withdrawal => -amount,
            _ => amount,
        }
    }
}

/// Notes and coins of the Norwegian krone, in øre, largest first.
pub const DENOMINATIONS: [i64; 9] = [
    100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 100,
];

/// Parse an amount in kroner typed for `field` (`1000`, `1 000,50`, `kr 500`) into øre;
/// zero and negative amounts are refused. The message names the field.
pub fn parse_amount(field: &Text, s: &str, currency: Currency) -> Result<i64, Text> {
    let named = |t: Text| {
        let strip = |m: &str, p: &str| m.strip_prefix(p).map(str::to_owned);
        let nb = strip(&t.nb, "Beløp: ").unwrap_or(t.nb.clone());
        let en = strip(&t.en, "Amount: ").unwrap_or(t.en.clone());
        Text::new(format!("{}: {nb}", field.nb), format!("{}: {en}", field.en))
    };
    let m = Money::parse_input(s, currency).map_err(|e| named(e.text()))?;
    if m.minor() <= 0 {
        return Err(Text::new(
            format!("{}: beløpet må være større enn 0.", field.nb),
            format!("{}: the amount must be more than 0.", field.en),
        ));
    }
    Ok(m.minor())
}

/// Parse counted cash (0 allowed: an empty drawer).
pub fn parse_counted(s: &str, currency: Currency) -> Result<i64, Text> {
    if s.trim() == "0" {
        return Ok(0);
    }
    parse_amount(&CashKind::Difference.field(), s, currency)
}

/// A reason for a withdrawal or deposit: required, trimmed, at most 200 characters.
pub fn check_reason(kind: CashKind, s: &str) -> Result<String, Text> {
    let r = s.trim();
    let field = kind.field();
    if r.is_empty() {
        return Err(Text::new(
            format!("{} – årsak: skriv hvorfor (f.eks. «til banken»).", field.nb),
            format!("{} – reason: say why (e.g. \"to the bank\").", field.en),
        ));
    }
    if r.chars().count() > 200 {
        return Err(Text::new(
            format!("{} – årsak: høyst 200 tegn.", field.nb),
            format!("{} – reason: at most 200 characters.", field.en),
        ));
    }
    Ok(r.to_owned())
}

/// A count of the drawer: notes and coins per denomination, or just a total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerCount {
    /// (denomination in øre, pieces), in the order counted; empty when only a total was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pieces: Vec<(i64, i64)>,
    /// The total counted, in minor units.
    pub total: i64,
}

impl DrawerCount {
    /// A count of just the total.
    pub fn total(total: i64) -> DrawerCount {
        DrawerCount {
            pieces: Vec::new(),
            total,
        }
    }

    /// A count per denomination (`(øre, pieces)`); unknown denominations and negative pieces
    /// are refused with a message naming the field.
    pub fn by_denomination(pieces: &[(i64, i64)]) -> Result<DrawerCount, Text> {
        let mut total: i64 = 0;
        for &(value, n) in pieces {
            if !DENOMINATIONS.contains(&value) {
                return Err(Text::new(
                    format!(
                        "Opptelling: {} kr er ikke en norsk seddel eller mynt.",
                        value / 100
                    ),
                    format!("Count: {} kr is not a Norwegian note or coin.", value / 100),
                ));
            }
            if n < 0 {
                return Err(Text::new(
                    format!(
                        "Opptelling: antall {} kr kan ikke være negativt.",
                        value / 100
                    ),
                    format!(
                        "Count: the number of {} kr cannot be negative.",
                        value / 100
                    ),
                ));
            }
            total = value
                .checked_mul(n)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| {
                    Text::new(
                        "Opptelling: summen er for stor.",
                        "Count: the total is too large.",
                    )
                })?;
        }
        Ok(DrawerCount {
            pieces: pieces.iter().copied().filter(|p| p.1 > 0).collect(),
            total,
        })
    }

    /// Parse `1000:2,500:1,1:37` (kroner:pieces, comma separated) — the CLI's `--pieces`.
    pub fn parse_pieces(s: &str) -> Result<DrawerCount, Text> {
        let mut pieces = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                Text::new(
                    format!(
                        "--pieces: «{part}» er ikke kroner:antall, f.eks. 500:2 (to 500-lapper)."
                    ),
                    format!(
                        "--pieces: \"{part}\" is not kroner:pieces, e.g. 500:2 (two 500 notes)."
                    ),
                )
            };
            let (kr, n) = part.split_once(':').ok_or_else(bad)?;
            let kr: i64 = kr.trim().parse().map_err(|_| bad())?;
            let n: i64 = n.trim().parse().map_err(|_| bad())?;
            pieces.push((kr.checked_mul(100).ok_or_else(bad)?, n));
        }
        DrawerCount::by_denomination(&pieces)
    }
}

/// The drawer's figures of an X or Z (§ 2-8-2 k and the count at Z), in the report's main
/// currency: the till's one drawer (a drawer per operator is not kept yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashDrawer {
    pub opening_float: i64,
    /// Cash taken for sales (cash tender, after øreavrunding; return lines netted).
    pub cash_sales: i64,
    /// Withdrawals (≥ 0) and their count.
    pub withdrawals: i64,
    pub withdrawal_count: i64,
    /// Deposits (≥ 0) and their count.
    pub deposits: i64,
    pub deposit_count: i64,
    /// float + cash sales − withdrawals + deposits.
    pub expected: i64,
    /// What the cashier counted at Z (None in an X, or a Z closed without a count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted: Option<DrawerCount>,
    /// counted − expected (None without a count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<i64>,
}

impl CashDrawer {
    /// The drawer from its parts; `expected` computed.
    pub fn new(
        opening_float: i64,
        cash_sales: i64,
        withdrawals: (i64, i64),
        deposits: (i64, i64),
    ) -> CashDrawer {
        let mut d = CashDrawer {
            opening_float,
            cash_sales,
            withdrawals: withdrawals.1,
            withdrawal_count: withdrawals.0,
            deposits: deposits.1,
            deposit_count: deposits.0,
            ..CashDrawer::default()
        };
        d.expected = expected_cash(opening_float, cash_sales, d.withdrawals, d.deposits);
        d
    }

    /// Record the count: sets `counted` and `difference`.
    pub fn count(&mut self, count: DrawerCount) {
        self.difference = Some(count.total.saturating_sub(self.expected));
        self.counted = Some(count);
    }
}

/// One operator's drawer (`[till] drawer_per_operator`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorDrawer {
    /// Staff id (empty: movements and sales without a logged-in operator).
    pub staff_id: String,
    pub name: String,
    pub drawer: CashDrawer,
}

/// float + cash sales − withdrawals + deposits (withdrawals and deposits ≥ 0).
pub fn expected_cash(float: i64, cash_sales: i64, withdrawals: i64, deposits: i64) -> i64 {
    float
        .saturating_add(cash_sales)
        .saturating_sub(withdrawals)
        .saturating_add(deposits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_cash_adds_and_subtracts() {
        assert_eq!(expected_cash(100_000, 24_900, 50_000, 10_000), 84_900);
        let mut d = CashDrawer::new(100_000, 24_900, (1, 50_000), (1, 10_000));
        assert_eq!(d.expected, 84_900);
        d.count(DrawerCount::total(83_900));
        assert_eq!(d.difference, Some(-1_000));
    }

    #[test]
    fn amounts_name_their_field() {
        let f = CashKind::Float.field();
        assert_eq!(parse_amount(&f, "1 000", Currency::Nok), Ok(100_000));
        assert_eq!(parse_amount(&f, "kr 500,50", Currency::Nok), Ok(50_050));
        let e = parse_amount(&f, "tusen", Currency::Nok).unwrap_err();
        assert!(e.nb.starts_with("Vekselbeholdning: "), "{}", e.nb);
        assert!(e.en.starts_with("Opening float: "), "{}", e.en);
        let e = parse_amount(&CashKind::Withdrawal.field(), "0", Currency::Nok).unwrap_err();
        assert!(e.en.starts_with("Withdrawal: "), "{}", e.en);
        assert_eq!(parse_counted("0", Currency::Nok), Ok(0));
        assert!(
            parse_counted("-5", Currency::Nok)
                .unwrap_err()
                .en
                .starts_with("Counted cash")
        );
    }

    #[test]
    fn reasons_are_required() {
        assert!(
            check_reason(CashKind::Withdrawal, "  ")
                .unwrap_err()
                .en
                .contains("reason")
        );
        assert_eq!(
            check_reason(CashKind::Deposit, " veksel ").unwrap(),
            "veksel"
        );
    }

    #[test]
    fn counting_per_denomination() {
        let c = DrawerCount::parse_pieces("1000:2, 500:1, 1:37").unwrap();
        assert_eq!(c.total, 250_000 + 3_700);
        assert!(
            DrawerCount::parse_pieces("3:1")
                .unwrap_err()
                .en
                .contains("3 kr")
        );
        assert!(
            DrawerCount::parse_pieces("500")
                .unwrap_err()
                .en
                .starts_with("--pieces")
        );
        assert!(DrawerCount::by_denomination(&[(500, -1)]).is_err());
    }
}
