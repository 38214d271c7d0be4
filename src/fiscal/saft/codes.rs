//! Skatteetaten's SAF-T Cash Register code lists, and the map from kasse's own codes to them.
//!
//! The tables are Skatteetaten's CSVs (`Norwegian SAF-T Cash Register data - Code list - *.csv`,
//! `;`-separated; all ISO-8859-1 except PredefinedBasicID-13, which is UTF-8) copied verbatim,
//! surrounding spaces trimmed; `tests/fiscal_saft.rs` re-reads the CSVs and checks every row.
//!
//! In the export, every code kasse uses is a `basic` with kasse's own `basicID` (what an
//! event's `eventType`, a line's `lineType`, a transaction's `transType` and a payment's
//! `paymentType` name) mapped to Skatteetaten's `predefinedBasicID`. The XSD makes `basicID`
//! a key across *all* basics, so kasse's IDs are unique upper-case words; shops' article
//! groups use their own IDs (numbers in Skatteetaten's example).

use super::model::Basic;

/// One row of a code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub en: &'static str,
    pub nb: &'static str,
}

/// Look a code up in a list.
pub fn find(list: &'static [Code], code: &str) -> Option<&'static Code> {
    list.iter().find(|c| c.code == code)
}

#[rustfmt::skip]
mod tables {
use super::Code;

/// BasicType: what kind of code a `basic` is.
pub const BASIC_TYPES: &[Code] = &[
    Code { code: "01", en: "Cost codes", nb: "Kostnadssted" },
    Code { code: "02", en: "Product codes", nb: "Produkt koder (PLU)" },
    Code { code: "03", en: "Project codes", nb: "Prosjekt koder" },
    Code { code: "04", en: "Article Group codes", nb: "Varegruppekoder" },
    Code { code: "05", en: "Ticketline codes", nb: "Varelinjekoder" },
    Code { code: "06", en: "Logging codes", nb: "Logging i systemet, backup etc  (ikke bruker/hendelses-basert)" },
    Code { code: "07", en: "Savings codes", nb: "Rabatter per enhet (3 for 2 etc)" },
    Code { code: "08", en: "Discount codes", nb: "Rabatt i pris (prosent avslag etc)" },
    Code { code: "09", en: "Quantity codes / Quantity ID", nb: "Definisjon av antall" },
    Code { code: "10", en: "Raise codes", nb: "Tips beløp, eller påslag i pris for definerte kundegrupper" },
    Code { code: "11", en: "Transaction codes", nb: "Transaksjonstyper" },
    Code { code: "12", en: "Payment codes", nb: "Betalingsmåter" },
    Code { code: "13", en: "Event codes", nb: "Hendelser som ikke er salg" },
    Code { code: "14", en: "Service code", nb: "Systemleverandør service hendelser" },
    Code { code: "15", en: "User codes / User ID", nb: "Brukeridenten på systemet (kan også tilsvare empID)" },
    Code { code: "16", en: "Other", nb: "Øvrige" },
];

/// PredefinedBasicID-04: article groups (basicType 04).
pub const ARTICLE_GROUP_CODES: &[Code] = &[
    Code { code: "04001", en: "Withdrawal of treatment services", nb: "Uttak av behandlingstjenester" },
    Code { code: "04002", en: "Withdrawal of goods used for treatment services", nb: "Uttak av behandlingsvarer" },
    Code { code: "04003", en: "Sale of goods", nb: "Varesalg" },
    Code { code: "04004", en: "Sale of treatment services", nb: "Salg av behandlingstjenester" },
    Code { code: "04005", en: "Sale of haircut", nb: "Salg av hårklipp" },
    Code { code: "04006", en: "Food", nb: "Mat" },
    Code { code: "04007", en: "Beer", nb: "Øl" },
    Code { code: "04008", en: "Wine", nb: "Vin" },
    Code { code: "04009", en: "Liquor", nb: "Brennevin" },
    Code { code: "04010", en: "Alcopops/Cider", nb: "Rusbrus/Cider" },
    Code { code: "04011", en: "Soft drinks/Mineral water", nb: "Mineralvann (brus)" },
    Code { code: "04012", en: "Other drinks (tea, coffe etc)", nb: "Annen drikke (te, kaffe etc)" },
    Code { code: "04013", en: "Tobacco", nb: "Tobakk" },
    Code { code: "04014", en: "Other goods", nb: "Andre varer" },
    Code { code: "04015", en: "Entrance fee (cover charge)", nb: "Inngangspenger" },
    Code { code: "04016", en: "Free entrance (members etc)", nb: "Inngangspenger fri adgang (uten vederlag)" },
    Code { code: "04017", en: "Cloakroom fee", nb: "Garderobeavgift" },
    Code { code: "04018", en: "Free cloakroom", nb: "Garderobeavgift fri garderobe (uten vederlag)" },
    Code { code: "04019", en: "Accomodation - full board", nb: "Helpensjon: Overnatting med frokost, lunsj og middag." },
    Code { code: "04020", en: "Accomodation - half board", nb: "Halvpensjon: Overnatting med frokost og middag" },
    Code { code: "04021", en: "Accomodation - with breakfast", nb: "Overnatting med frokost" },
    Code { code: "04999", en: "Other", nb: "Øvrige" },
];

/// PredefinedBasicID-10: tips and raises (basicType 10).
pub const RAISE_CODES: &[Code] = &[
    Code { code: "10001", en: "Amount from gratuity/tip", nb: "Beløp knyttet til drikkepenger eller tips" },
    Code { code: "10999", en: "Other", nb: "Øvrige" },
];

/// PredefinedBasicID-11: transaction codes (basicType 11).
pub const TRANSACTION_CODES: &[Code] = &[
    Code { code: "11001", en: "Cash sale", nb: "Kontantsalg" },
    Code { code: "11002", en: "Credit sale", nb: "Kredittsalg" },
    Code { code: "11003", en: "Purchase", nb: "Kjøp av varer fra leverandører etc." },
    Code { code: "11004", en: "Payment", nb: "Betaling" },
    Code { code: "11005", en: "Receiving payment", nb: "Innbetaling fra kunde" },
    Code { code: "11006", en: "Return payment", nb: "Utbetaling til kunde ved vareretur" },
    Code { code: "11007", en: "Cash declaration", nb: "Inngående vekselbeholdning" },
    Code { code: "11008", en: "Cash difference", nb: "Kassedifferanse ved opptelling" },
    Code { code: "11009", en: "Correction", nb: "Korrigere kvittering/bong" },
    Code { code: "11010", en: "Out Payment", nb: "Ansatte/virksomheten selv tar ut penger" },
    Code { code: "11011", en: "In Payment", nb: "Ansatte/virksomheten selv setter inn penger" },
    Code { code: "11012", en: "Trade-in, exchange", nb: "Kjøp av vare fra kunde, og salg av ny vare" },
    Code { code: "11013", en: "Return products", nb: "Tidligere solgt vare i retur og ny vare med seg" },
    Code { code: "11014", en: "Inventory, stock", nb: "Inventar, lager" },
    Code { code: "11015", en: "Cash and credit sale", nb: "Kontant- og kredittsalg" },
    Code { code: "11016", en: "Cash sale and return", nb: "Kontantsalg og retur" },
    Code { code: "11017", en: "Credit sale and return", nb: "Kredittsalg og retur" },
    Code { code: "11999", en: "Other", nb: "Øvrige" },
];

/// PredefinedBasicID-12: payment codes (basicType 12).
pub const PAYMENT_CODES: &[Code] = &[
    Code { code: "12001", en: "Cash", nb: "Kontant (alle typer valuta)" },
    Code { code: "12002", en: "Debit card", nb: "Bankkort (debet kort)" },
    Code { code: "12003", en: "Credit card", nb: "Kredittkort" },
    Code { code: "12004", en: "Bank account", nb: "Bankkonto" },
    Code { code: "12005", en: "Gift token", nb: "Gavekort" },
    Code { code: "12006", en: "Customer card", nb: "Kundekonto" },
    Code { code: "12007", en: "Loyalty, stamps", nb: "Lojalitetspoeng" },
    Code { code: "12008", en: "Bottle deposit", nb: "Pant" },
    Code { code: "12009", en: "Check", nb: "Sjekk" },
    Code { code: "12010", en: "Credit note", nb: "Tilgodelapp" },
    Code { code: "12011", en: "Mobile phone apps", nb: "Mobiltelefon løsninger, ulike betalingsapplikasjoner" },
    Code { code: "12999", en: "Other", nb: "Øvrige" },
];

/// PredefinedBasicID-13: event codes (basicType 13).
pub const EVENT_CODES: &[Code] = &[
    Code { code: "13001", en: "POS application start", nb: "Oppstart av POS applikasjon" },
    Code { code: "13002", en: "POS application shut down", nb: "Avslutning av POS applikasjon" },
    Code { code: "13003", en: "Employee log in", nb: "Pålogging bruker/ansatt" },
    Code { code: "13004", en: "Employee log out", nb: "Avlogging bruker/ansatt" },
    Code { code: "13005", en: "Open cash drawer", nb: "Kasseskuff åpning" },
    Code { code: "13006", en: "Close cash drawer", nb: "Kasseskuff lukking" },
    Code { code: "13007", en: "Update of POS application", nb: "Oppdatering av programvare" },
    Code { code: "13008", en: "X report", nb: "Kjøring av X-rapport" },
    Code { code: "13009", en: "Z report", nb: "Kjøring av Z-rapport" },
    Code { code: "13010", en: "Suspend transaction", nb: "Parkering av kvittering/bong" },
    Code { code: "13011", en: "Resume transaction", nb: "Tilbakehenting av parkert kvittering/bong" },
    Code { code: "13012", en: "Sales receipt printed", nb: "Salgskvittering skrevet ut" },
    Code { code: "13013", en: "Return receipt", nb: "Returkvittering" },
    Code { code: "13014", en: "Copy receipt", nb: "Kopi av kvittering" },
    Code { code: "13015", en: "Provisional receipt", nb: "Foreløpig kvittering" },
    Code { code: "13016", en: "Delivery receipt", nb: "Utleveringskvittering ved kredittsalg" },
    Code { code: "13017", en: "Training receipt", nb: "Treningsmodus - alle typer kvitteringer" },
    Code { code: "13018", en: "Other reports or receipts", nb: "Andre rapporter eller kvitteringer" },
    Code { code: "13019", en: "Cash withdrawal", nb: "Uttak av kontanter fra kassa" },
    Code { code: "13020", en: "Export of journal to external storage (cash register)", nb: "Overføring av journal til annet lagringsmedie (ROM kasser)" },
    Code { code: "13021", en: "Price change", nb: "Prisendringer" },
    Code { code: "13022", en: "Price look-up", nb: "Prisundersøkelse" },
    Code { code: "13023", en: "Training mode on", nb: "Trenings- modus/funksjon på" },
    Code { code: "13024", en: "Training mode off", nb: "Trenings- modus/funksjon av" },
    Code { code: "13025", en: "Memory full (cash register)", nb: "Fullt minne (ROM kasser)" },
    Code { code: "13026", en: "Emergency mode on", nb: "Nødmodus på" },
    Code { code: "13027", en: "Emergency mode off", nb: "Nødmodus av" },
    Code { code: "13028", en: "Void receipt", nb: "Annulleringskvittering" },
    Code { code: "13029", en: "STEB receipt", nb: "STEB kvittering" },
    Code { code: "13030", en: "Concluded sale without receipt printed", nb: "Fullført salg uten utskrift av kvittering" },
    Code { code: "13999", en: "Other", nb: "Øvrige hendelser" },
];
}
pub use tables::*;

/// basicType of article groups.
pub const BASIC_TYPE_ARTICLE_GROUP: &str = "04";
/// basicType of ticket-line codes (kasse's `lineType`s).
pub const BASIC_TYPE_LINE: &str = "05";
/// basicType of transaction codes.
pub const BASIC_TYPE_TRANSACTION: &str = "11";
/// basicType of payment codes.
pub const BASIC_TYPE_PAYMENT: &str = "12";
/// basicType of event codes.
pub const BASIC_TYPE_EVENT: &str = "13";

/// One of kasse's own codes as a `basic`: its ID, its basicType, Skatteetaten's predefined code
/// (none for line types, which have no predefined list) and a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KasseCode {
    pub basic_type: &'static str,
    pub basic_id: &'static str,
    pub predefined: Option<&'static str>,
    pub desc: &'static str,
}

impl KasseCode {
    /// As a `basic` element.
    pub fn basic(&self) -> Basic {
        Basic {
            basic_type: self.basic_type.to_string(),
            basic_id: self.basic_id.to_string(),
            predefined: self.predefined.map(str::to_string),
            desc: self.desc.to_string(),
        }
    }
}

macro_rules! kasse_codes {
    ($(#[$m:meta])* $name:ident, $basic_type:expr, { $($(#[$vm:meta])* $variant:ident => $id:literal, $pre:expr, $desc:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant,)+ }

        impl $name {
            /// Every variant, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// kasse's code, Skatteetaten's predefined code and a description.
            pub const fn code(self) -> KasseCode {
                match self {
                    $($name::$variant => KasseCode {
                        basic_type: $basic_type,
                        basic_id: $id,
                        predefined: $pre,
                        desc: $desc,
                    },)+
                }
            }

            /// kasse's `basicID` (what the export writes as the type of an event, line,
            /// transaction or payment).
            pub const fn id(self) -> &'static str {
                self.code().basic_id
            }
        }
    };
}

kasse_codes!(
    /// Transaction kinds (basicType 11, `transType`).
    TransactionKind, BASIC_TYPE_TRANSACTION, {
    /// A sale, whatever the tender (Vipps, cash or split are all *kontantsalg*).
    CashSale => "SALE", Some("11001"), "Cash sale / Kontantsalg";
    /// Money back to a customer for returned goods.
    Return => "RETURN", Some("11006"), "Return payment / Utbetaling ved vareretur";
    /// Opening float counted into the drawer.
    CashDeclaration => "FLOAT", Some("11007"), "Cash declaration / Inngående vekselbeholdning";
    /// Difference found when the drawer is counted.
    CashDifference => "CASHDIFF", Some("11008"), "Cash difference / Kassedifferanse ved opptelling";
    /// Correction of a receipt.
    Correction => "CORRECTION", Some("11009"), "Correction / Korrigere kvittering";
    /// Staff or owner takes money out of the drawer.
    Withdrawal => "WITHDRAWAL", Some("11010"), "Out payment / Uttak av penger";
    /// Staff or owner puts money into the drawer.
    Deposit => "DEPOSIT", Some("11011"), "In payment / Innskudd av penger";
    /// One receipt with both sold and returned goods.
    SaleAndReturn => "SALE_RETURN", Some("11016"), "Cash sale and return / Kontantsalg og retur";
});

kasse_codes!(
    /// Tenders (basicType 12, `paymentType`).
    PaymentKind, BASIC_TYPE_PAYMENT, {
    /// Cash (any currency).
    Cash => "CASH", Some("12001"), "Cash / Kontant";
    /// Vipps MobilePay (mobile phone apps).
    Vipps => "VIPPS", Some("12011"), "Vipps MobilePay (mobile phone app / mobiltelefonløsning)";
});

kasse_codes!(
    /// Line types (basicType 05, `lineType`; no predefined list).
    LineKind, BASIC_TYPE_LINE, {
    /// A sold article.
    Sale => "LINE_SALE", None, "Sale line / Salgslinje";
    /// A returned article.
    Return => "LINE_RETURN", None, "Return line / Returlinje";
    /// A discount line.
    Discount => "LINE_DISCOUNT", None, "Discount line / Rabattlinje";
});

kasse_codes!(
    /// Journal events (basicType 13, `eventType`).
    EventKind, BASIC_TYPE_EVENT, {
    AppStart => "APP_START", Some("13001"), "POS application start / Oppstart av kasse";
    AppStop => "APP_STOP", Some("13002"), "POS application shut down / Avslutning av kasse";
    LogIn => "LOGIN", Some("13003"), "Employee log in / Pålogging";
    LogOut => "LOGOUT", Some("13004"), "Employee log out / Avlogging";
    DrawerOpen => "DRAWER_OPEN", Some("13005"), "Open cash drawer / Kasseskuff åpnet";
    DrawerClose => "DRAWER_CLOSE", Some("13006"), "Close cash drawer / Kasseskuff lukket";
    Update => "APP_UPDATE", Some("13007"), "Update of POS application / Oppdatering av programvare";
    XReport => "X_REPORT", Some("13008"), "X report / X-rapport";
    ZReport => "Z_REPORT", Some("13009"), "Z report / Z-rapport";
    Park => "PARK", Some("13010"), "Suspend transaction / Parkering av kvittering";
    Resume => "RESUME", Some("13011"), "Resume transaction / Tilbakehenting av parkert kvittering";
    SalesReceipt => "RECEIPT_SALE", Some("13012"), "Sales receipt printed / Salgskvittering";
    ReturnReceipt => "RECEIPT_RETURN", Some("13013"), "Return receipt / Returkvittering";
    CopyReceipt => "RECEIPT_COPY", Some("13014"), "Copy receipt / Kopi av kvittering";
    ProvisionalReceipt => "RECEIPT_PROVISIONAL", Some("13015"), "Provisional receipt / Foreløpig kvittering";
    DeliveryReceipt => "RECEIPT_DELIVERY", Some("13016"), "Delivery receipt / Utleveringskvittering";
    TrainingReceipt => "RECEIPT_TRAINING", Some("13017"), "Training receipt / Treningskvittering";
    OtherReport => "REPORT_OTHER", Some("13018"), "Other reports or receipts / Andre rapporter";
    CashWithdrawal => "CASH_WITHDRAWAL", Some("13019"), "Cash withdrawal / Uttak av kontanter";
    /// The SAF-T export itself (journal to external storage).
    Export => "EXPORT", Some("13020"), "Export of journal / Eksport av journal (SAF-T)";
    PriceChange => "PRICE_CHANGE", Some("13021"), "Price change / Prisendring";
    PriceLookup => "PRICE_LOOKUP", Some("13022"), "Price look-up / Prisundersøkelse";
    TrainingOn => "TRAINING_ON", Some("13023"), "Training mode on / Treningsmodus på";
    TrainingOff => "TRAINING_OFF", Some("13024"), "Training mode off / Treningsmodus av";
    EmergencyOn => "EMERGENCY_ON", Some("13026"), "Emergency mode on / Nødmodus på";
    EmergencyOff => "EMERGENCY_OFF", Some("13027"), "Emergency mode off / Nødmodus av";
    VoidReceipt => "VOID", Some("13028"), "Void receipt / Annullering";
    SaleWithoutReceipt => "NO_RECEIPT", Some("13030"), "Concluded sale without receipt printed / Salg uten utskrift av kvittering";
    /// Anything else worth journaling (line deleted, Vipps refund request …); say what in
    /// the event text.
    Other => "OTHER", Some("13999"), "Other / Øvrige hendelser";
});

/// Every code kasse itself uses, as `basic`s (the shop's article groups come on top).
pub fn kasse_basics() -> impl Iterator<Item = Basic> {
    LineKind::ALL
        .iter()
        .map(|k| k.code())
        .chain(TransactionKind::ALL.iter().map(|k| k.code()))
        .chain(PaymentKind::ALL.iter().map(|k| k.code()))
        .chain(EventKind::ALL.iter().map(|k| k.code()))
        .map(|c| c.basic())
}

/// Skatteetaten's standard VAT code for an output-VAT rate in hundredths of a percent
/// (`2500` → `3`, `1500` → `31`, `1200` → `33`). `None` for 0 %: a zero-rated sale is either
/// exempt within the VAT act ([`STANDARD_VAT_ZERO_EXEMPT`], `5`) or outside it
/// ([`STANDARD_VAT_ZERO_OUTSIDE`], `6`), and only the shop knows which.
pub const fn standard_vat_code(hundredths: u32) -> Option<&'static str> {
    match hundredths {
        2500 => Some("3"),
        1500 => Some("31"),
        1200 => Some("33"),
        _ => None,
    }
}

/// Standard VAT code 5: no output VAT, sale exempt within the VAT act (*fritatt*).
pub const STANDARD_VAT_ZERO_EXEMPT: &str = "5";
/// Standard VAT code 6: sale outside the VAT act (*unntatt*).
pub const STANDARD_VAT_ZERO_OUTSIDE: &str = "6";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kasse_ids_are_unique_and_map_to_listed_codes() {
        let mut ids = HashSet::new();
        for b in kasse_basics() {
            assert!(ids.insert(b.basic_id.clone()), "duplicate {}", b.basic_id);
            assert!(b.basic_id.len() <= 35);
            assert!(find(BASIC_TYPES, &b.basic_type).is_some());
            let list = match b.basic_type.as_str() {
                "11" => TRANSACTION_CODES,
                "12" => PAYMENT_CODES,
                "13" => EVENT_CODES,
                "05" => {
                    assert_eq!(b.predefined, None);
                    continue;
                }
                other => panic!("unexpected basic type {other}"),
            };
            let pre = b.predefined.as_deref().unwrap();
            assert!(
                find(list, pre).is_some(),
                "{pre} not in list {}",
                b.basic_type
            );
        }
    }

    #[test]
    fn the_codes_the_brief_names() {
        assert_eq!(TransactionKind::CashSale.code().predefined, Some("11001"));
        assert_eq!(TransactionKind::Return.code().predefined, Some("11006"));
        assert_eq!(
            TransactionKind::CashDifference.code().predefined,
            Some("11008")
        );
        assert_eq!(TransactionKind::Withdrawal.code().predefined, Some("11010"));
        assert_eq!(TransactionKind::Deposit.code().predefined, Some("11011"));
        assert_eq!(PaymentKind::Cash.code().predefined, Some("12001"));
        assert_eq!(PaymentKind::Vipps.code().predefined, Some("12011"));
        assert_eq!(EventKind::AppStart.code().predefined, Some("13001"));
        assert_eq!(EventKind::Export.code().predefined, Some("13020"));
        assert_eq!(
            find(PAYMENT_CODES, "12011").map(|c| c.en),
            Some("Mobile phone apps")
        );
        assert_eq!(standard_vat_code(2500), Some("3"));
        assert_eq!(standard_vat_code(0), None);
    }
}
