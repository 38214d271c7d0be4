//! The plain data the SAF-T writer takes. Field names follow the XSD's element names; money is
//! integer minor units (øre), VAT rates hundredths of a percent, quantities thousandths.
//!
//! Signs: a return is written with negative amounts and `amntTp` `D` (debit), a sale with
//! positive amounts and `C` (credit), as in Skatteetaten's example; the writer derives
//! `amntTp` / `vatAmntTp` from the sign, so the two cannot disagree.

use time::{Date, PrimitiveDateTime, Time};

use super::OrgNumber;

/// `<header>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `fiscalYear` (e.g. `2026`).
    pub fiscal_year: String,
    /// First and last day of the selection.
    pub start_date: Date,
    pub end_date: Date,
    /// ISO 4217 (`NOK`).
    pub currency: String,
    /// When the file was made (local time of the till).
    pub created: PrimitiveDateTime,
    pub software_desc: String,
    pub software_version: String,
    pub software_company: String,
    /// Free text, e.g. the selection criteria.
    pub comment: Option<String>,
    /// The employee who asked for the export.
    pub user_id: Option<String>,
}

/// A street address (every part optional, as in the XSD).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub street_name: Option<String>,
    pub number: Option<String>,
    pub additional: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    /// ISO 3166 alpha-2 (`NO`).
    pub country: Option<String>,
}

/// The `<company>` fields before the master data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub org_number: OrgNumber,
    pub name: String,
    /// Registered for VAT: writes `taxRegistrationCountry` `NO` and `taxRegIdent`
    /// `<orgnr>MVA`.
    pub vat_registered: bool,
    pub street_address: Option<Address>,
}

/// `<vatCodeDetail>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatCode {
    /// kasse's own VAT code (what lines refer to as `vatCode`).
    pub code: String,
    pub date_of_entry: Date,
    pub desc: Option<String>,
    /// Skatteetaten's standard VAT code ([`super::codes::standard_vat_code`]).
    pub standard_code: String,
}

/// `<employee>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    pub emp_id: String,
    pub date_of_entry: Date,
    pub time_of_entry: Time,
    pub first_name: Option<String>,
    pub sur_name: String,
    /// `(roleType, roleTypeDesc)`.
    pub roles: Vec<(String, Option<String>)>,
}

/// `<article>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub art_id: String,
    pub date_of_entry: Date,
    pub art_group_id: Option<String>,
    pub desc: String,
}

/// `<basic>`: one of the till's own codes mapped to Skatteetaten's code lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basic {
    pub basic_type: String,
    pub basic_id: String,
    pub predefined: Option<String>,
    pub desc: String,
}

/// `<location>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub name: Option<String>,
    pub street_address: Option<Address>,
}

/// `<cashregister>` (its events and transactions are streamed after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashRegister {
    pub register_id: String,
    pub desc: Option<String>,
}

/// `<event>`: one journaled event that is not a cash transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event_id: String,
    /// A `basicID` of type 13 (e.g. [`super::codes::EventKind::DrawerOpen`]`.id()`).
    pub event_type: String,
    /// The transaction the event belongs to, if any.
    pub trans_id: Option<String>,
    pub emp_id: Option<String>,
    pub date: Date,
    pub time: Time,
    pub text: Option<String>,
    /// The full content of an X or Z report.
    pub report: Option<Box<EventReport>>,
}

/// X or Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportType {
    X,
    Z,
}

impl ReportType {
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportType::X => "X report",
            ReportType::Z => "Z report",
        }
    }
}

/// A count with an amount (`…Num` / `…Amnt`), keyed by a type or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// Group, type or ID (`artGroupID`, `paymentType`, `corrLineType` …).
    pub key: String,
    pub num: u64,
    pub amount: i64,
}

impl Counted {
    pub fn new(key: impl Into<String>, num: u64, amount: i64) -> Counted {
        Counted {
            key: key.into(),
            num,
            amount,
        }
    }
}

/// A [`Counted`] per employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmpCounted {
    pub emp_id: String,
    pub counted: Counted,
}

/// One VAT rate's sales in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportVat {
    pub vat_code: Option<String>,
    /// Hundredths of a percent (`2500` = 25 %).
    pub vat_perc: u32,
    /// Sales excluding VAT.
    pub cash_sale_amount: i64,
    pub vat_amount: i64,
}

/// `<eventReport>`: the full X/Z report (forskrifta § 2-8-2). Lists the XSD requires at least
/// once (article groups, payments, VAT, correction lines, price look-ups, other corrections)
/// are written as one `None` row with zeros when empty, as Skatteetaten's example does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventReport {
    pub report_id: String,
    pub report_type: ReportType,
    pub company_ident: String,
    pub company_name: String,
    pub date: Date,
    pub time: Time,
    pub register_id: String,
    pub total_cash_sales: i64,
    /// Per article group: key `artGroupID`, `num` in whole units.
    pub art_groups: Vec<Counted>,
    pub emp_art_groups: Vec<EmpCounted>,
    /// Per tender: key `paymentType`.
    pub payments: Vec<Counted>,
    pub emp_payments: Vec<EmpCounted>,
    /// Tips: count and amount.
    pub tip: Option<(u64, i64)>,
    pub cash_sales_vat: Vec<ReportVat>,
    pub opening_change_float: i64,
    /// Per employee: key is ignored, `amount` is the float.
    pub emp_opening_change_floats: Vec<EmpCounted>,
    pub receipt_num: u64,
    pub open_cash_box_num: u64,
    pub receipt_copy: (u64, i64),
    pub receipt_proforma: (u64, i64),
    pub returns: (u64, i64),
    pub discounts: (u64, i64),
    pub voids: (u64, i64),
    pub corr_lines: Vec<Counted>,
    pub price_inquiries: Vec<Counted>,
    pub other_corrs: Vec<Counted>,
    pub receipt_delivery: (u64, i64),
    pub training: (u64, i64),
    pub credit_sales: Option<(u64, i64)>,
    pub credit_memos: Option<(u64, i64)>,
    pub pay_ins: Vec<Counted>,
    pub pay_outs: Vec<Counted>,
    /// Accumulated since the till was taken into use.
    pub grand_total_sales: i64,
    pub grand_total_return: i64,
    pub grand_total_sales_net: i64,
}

/// `<vat>` of a line or a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatAmount {
    pub vat_code: Option<String>,
    /// Hundredths of a percent.
    pub vat_perc: Option<u32>,
    pub vat_amount: i64,
    /// The amount VAT was computed from (excluding VAT).
    pub base_amount: Option<i64>,
}

/// `<discount>` on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discount {
    /// `dscTp`.
    pub kind: String,
    pub amount: i64,
}

/// `<ctLine>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtLine {
    pub line_id: String,
    /// A `basicID` of type 05 ([`super::codes::LineKind`]).
    pub line_type: String,
    pub art_group_id: Option<String>,
    pub art_id: Option<String>,
    /// Thousandths of a unit (`2000` = 2, `-1000` for a returned unit).
    pub qnt_milli: Option<i64>,
    pub amount_in: i64,
    pub amount_ex: i64,
    /// Price per unit including VAT, minor units.
    pub ppu: Option<i64>,
    pub emp_id: Option<String>,
    pub desc: Option<String>,
    pub date: Option<Date>,
    pub time: Option<Time>,
    pub vat: Option<VatAmount>,
    pub discounts: Vec<Discount>,
}

/// `<payment>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// A `basicID` of type 12 ([`super::codes::PaymentKind`]).
    pub payment_type: String,
    pub paid_amount: i64,
    pub emp_id: Option<String>,
    pub currency: Option<String>,
    /// E.g. the Vipps reference (`paymentRefID`).
    pub ref_id: Option<String>,
}

/// `<cashtransaction>`: one signed transaction with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashTransaction {
    /// The signed `nr` (also written as each line's `nr`).
    pub nr: String,
    pub trans_id: String,
    /// A `basicID` of type 11 ([`super::codes::TransactionKind`]).
    pub trans_type: Option<String>,
    pub amount_in: i64,
    pub amount_ex: i64,
    pub emp_id: Option<String>,
    pub period_number: Option<u16>,
    pub date: Date,
    pub time: Time,
    pub desc: Option<String>,
    pub lines: Vec<CtLine>,
    pub vat: Vec<VatAmount>,
    /// Øreavrunding (cash rounding), minor units.
    pub rounding: Option<i64>,
    pub payments: Vec<Payment>,
    pub signature: String,
    pub key_version: String,
    /// Receipts printed (0–999).
    pub receipt_num: Option<u16>,
    /// Copies printed (0–999).
    pub receipt_copy_num: Option<u16>,
    pub receipt_proforma_num: Option<u16>,
    pub receipt_delivery_num: Option<u16>,
    pub void: bool,
    /// Made in training mode.
    pub training: bool,
}

impl Event {
    /// Rename every staff id in the event (and its report) with `f`: an export of several
    /// tills qualifies each till's own staff ids so they stay unique in one file.
    pub fn map_emp_ids(&mut self, f: &impl Fn(&str) -> String) {
        if let Some(id) = &mut self.emp_id {
            *id = f(id);
        }
        if let Some(r) = &mut self.report {
            for e in r
                .emp_art_groups
                .iter_mut()
                .chain(&mut r.emp_payments)
                .chain(&mut r.emp_opening_change_floats)
            {
                e.emp_id = f(&e.emp_id);
            }
        }
    }
}

impl CashTransaction {
    /// Rename every staff id in the transaction, its lines and payments with `f` (see
    /// [`Event::map_emp_ids`]).
    pub fn map_emp_ids(&mut self, f: &impl Fn(&str) -> String) {
        let ids = std::iter::once(&mut self.emp_id)
            .chain(self.lines.iter_mut().map(|l| &mut l.emp_id))
            .chain(self.payments.iter_mut().map(|p| &mut p.emp_id));
        for id in ids.flatten() {
            *id = f(id);
        }
    }
}
