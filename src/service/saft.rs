//! The SAF-T Cash Register export service: reads the journal through the store (all SQL is in
//! `store::fiscal`) and streams it through [`crate::fiscal::saft::SaftWriter`]: master data first
//! (small), then per till its events and its signed cash transactions one at a time, so memory
//! stays constant however long the period.

use std::collections::BTreeMap;
use std::io::Write;

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::fiscal::saft::codes::{self, EventKind, LineKind, PaymentKind, TransactionKind};
use crate::fiscal::saft::{
    Article, Basic, CashRegister, CashTransaction, Company, CtLine, Employee, Event, Header,
    Location, Payment, SaftError, SaftWriter, VatAmount, VatCode,
};
use crate::lang::Text;
use crate::store::fiscal::{FiscalEventRow, SaftMasterData, SignedKind, SignedTransaction};
use crate::store::{
    CASH_TENDER, PayState, SPLIT_TENDER, SaleLineRow, SaleRecord, Store, StoreError,
};

/// What to export and how to describe it.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub from: Date,
    pub to: Date,
    pub company: Company,
    pub currency: String,
    /// When the file was made, local time.
    pub created: PrimitiveDateTime,
    /// The till's UTC offset (event times are stored in UTC, written local).
    pub offset: UtcOffset,
    pub user_id: Option<String>,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub events: u64,
    pub transactions: u64,
}

/// Why an export failed.
#[derive(Debug)]
pub enum ExportError {
    Store(StoreError),
    Saft(SaftError),
    /// A VAT rate with no standard code (Norway: 25, 15, 12, 0 %).
    VatRate(i64),
}

impl ExportError {
    pub fn text(&self) -> Text {
        match self {
            ExportError::Store(e) => e.message(),
            ExportError::Saft(e) => e.text(),
            ExportError::VatRate(r) => Text::new(
                format!(
                    "SAF-T: momssatsen {},{:02} % har ingen standard momskode. Kontroller varenes moms.",
                    r / 100,
                    r % 100
                ),
                format!(
                    "SAF-T: VAT rate {}.{:02} % has no standard VAT code. Check the articles' VAT.",
                    r / 100,
                    r % 100
                ),
            ),
        }
    }
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Store(e)
    }
}

impl From<SaftError> for ExportError {
    fn from(e: SaftError) -> Self {
        ExportError::Saft(e)
    }
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Saft(SaftError::Io(e))
    }
}

/// kasse's own VAT code of a rate (hundredths of a percent): `MVA2500`.
pub fn vat_code(rate: i64) -> String {
    format!("MVA{rate}")
}

fn standard_code(rate: i64) -> Result<&'static str, ExportError> {
    if rate == 0 {
        return Ok(codes::STANDARD_VAT_ZERO_EXEMPT);
    }
    u32::try_from(rate)
        .ok()
        .and_then(codes::standard_vat_code)
        .ok_or(ExportError::VatRate(rate))
}

fn event_kind(code: &str) -> EventKind {
    EventKind::ALL
        .iter()
        .copied()
        .find(|k| k.code().predefined == Some(code))
        .unwrap_or(EventKind::Other)
}

fn local(at: OffsetDateTime, offset: UtcOffset) -> (Date, Time) {
    let l = at.to_offset(offset);
    let t = l.time();
    (
        l.date(),
        Time::from_hms(t.hour(), t.minute(), t.second()).unwrap_or(t),
    )
}

fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

fn parse_time(s: &str) -> Option<Time> {
    let mut it = s.splitn(3, ':');
    let h: u8 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let sec: u8 = it.next()?.parse().ok()?;
    Time::from_hms(h, m, sec).ok()
}

fn bad(column: &'static str, t: &SignedTransaction, v: &str) -> ExportError {
    ExportError::Store(StoreError::BadValue {
        column,
        value: format!("nr {}: {v}", t.nr),
    })
}

/// One event row as a SAF-T `<event>`. An X (13008) or Z (13009) event carries its report in
/// full (the stored JSON): written as `<eventReport>` with a short text, naming the export's
/// `company`. `employee` says whether a staff id is in the export's employee list.
pub fn saft_event(
    e: &FiscalEventRow,
    offset: UtcOffset,
    company: &Company,
    employee: impl Fn(&str) -> bool,
) -> Event {
    let (date, time) = local(e.at, offset);
    let report = match e.code.as_str() {
        "13008" | "13009" => serde_json::from_str::<crate::domain::report::Report>(&e.detail).ok(),
        _ => None,
    };
    let (text, report) = match report {
        Some(r) => {
            let (id, text) = match r.number {
                Some(n) => (format!("Z-{n}"), format!("Z report no. {n}")),
                None => (format!("X-{}", e.id), "X report".to_owned()),
            };
            let er = crate::fiscal::saft::report::event_report(&r, id, date, time, employee).map(
                |mut er| {
                    er.company_ident = company.org_number.as_str().to_owned();
                    er.company_name.clone_from(&company.name);
                    Box::new(er)
                },
            );
            (text, er)
        }
        None => (e.detail.chars().take(9999).collect(), None),
    };
    Event {
        event_id: e.id.to_string(),
        event_type: event_kind(&e.code).id().to_string(),
        trans_id: None,
        emp_id: e.staff_id.clone(),
        date,
        time,
        text: Some(text),
        report,
    }
}

/// What a signed row's `<cashtransaction>` needs of its sale: a till reads it from its
/// [`SaleRecord`] ([`SaleFacts::of`]), headquarters from its replicated copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleFacts {
    pub currency: String,
    pub tender: String,
    pub gross_total: i64,
    /// Øreavrunding of a cash-only sale.
    pub cash_rounding: i64,
    /// The part paid in cash ([`SaleRecord::cash_part`]).
    pub cash_part: i64,
    pub lines: Vec<SaleLineRow>,
    /// The captured Vipps payment: (reference, amount, currency).
    pub captured: Option<(String, i64, String)>,
    /// The reference of a payment with money captured (what a Vipps refund went back to).
    pub refundable: Option<String>,
}

impl SaleFacts {
    pub fn of(rec: &SaleRecord) -> SaleFacts {
        SaleFacts {
            currency: rec.sale.currency.clone(),
            tender: rec.sale.tender.clone(),
            gross_total: rec.sale.gross_total,
            cash_rounding: rec.sale.cash_rounding,
            cash_part: rec.cash_part(),
            lines: rec.lines.clone(),
            captured: rec
                .payments
                .iter()
                .find(|p| p.state == PayState::Captured)
                .map(|p| (p.reference.clone(), p.amount, p.currency.clone())),
            refundable: rec
                .payments
                .iter()
                .find(|p| p.amounts.captured > 0)
                .map(|p| p.reference.clone()),
        }
    }
}

/// One signed row (with its sale, when it has one) as a SAF-T `<cashtransaction>`.
/// `prints` = (receipts printed, copies printed), when known.
pub fn saft_transaction(
    t: &SignedTransaction,
    sale: Option<&SaleFacts>,
    prints: Option<(u16, u16)>,
) -> Result<CashTransaction, ExportError> {
    let date = parse_date(&t.trans_date)
        .ok_or_else(|| bad("fiscal_transactions.trans_date", t, &t.trans_date))?;
    let time = parse_time(&t.trans_time)
        .ok_or_else(|| bad("fiscal_transactions.trans_time", t, &t.trans_time))?;
    let trans_type = match t.kind {
        SignedKind::Return => TransactionKind::Return,
        SignedKind::Sale | SignedKind::Void => TransactionKind::CashSale,
        SignedKind::Float => TransactionKind::CashDeclaration,
        SignedKind::Withdrawal => TransactionKind::Withdrawal,
        SignedKind::Deposit => TransactionKind::Deposit,
        SignedKind::CashDifference => TransactionKind::CashDifference,
    };
    let cash_movement = matches!(
        t.kind,
        SignedKind::Float
            | SignedKind::Withdrawal
            | SignedKind::Deposit
            | SignedKind::CashDifference
    );
    let mut lines = Vec::new();
    let mut vat: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut payments = Vec::new();
    let mut rounding = None;
    match (t.kind, sale) {
        (SignedKind::Sale | SignedKind::Void, Some(rec)) => {
            for l in &rec.lines {
                let nl = &l.line;
                let kind = if nl.is_return {
                    LineKind::Return
                } else {
                    LineKind::Sale
                };
                let qnt = if nl.gross < 0 {
                    -nl.quantity_milli.abs()
                } else {
                    nl.quantity_milli
                };
                let e = vat.entry(nl.vat_rate).or_default();
                e.0 += nl.vat;
                e.1 += nl.net;
                lines.push(CtLine {
                    line_id: l.line_no.to_string(),
                    line_type: kind.id().to_string(),
                    art_group_id: Some(
                        l.article_group
                            .clone()
                            .unwrap_or_else(|| crate::domain::report::NO_GROUP.to_string()),
                    ),
                    art_id: nl.product_id.clone().filter(|p| !p.is_empty()),
                    qnt_milli: Some(qnt),
                    amount_in: nl.gross,
                    amount_ex: nl.net,
                    ppu: Some(nl.unit_price),
                    emp_id: t.staff_id.clone(),
                    desc: Some(nl.name.clone()),
                    date: Some(date),
                    time: Some(time),
                    vat: Some(VatAmount {
                        vat_code: Some(vat_code(nl.vat_rate)),
                        vat_perc: u32::try_from(nl.vat_rate).ok(),
                        vat_amount: nl.vat,
                        base_amount: Some(nl.net),
                    }),
                    discounts: vec![],
                });
            }
            if t.kind == SignedKind::Sale {
                let cash = match rec.tender.as_str() {
                    CASH_TENDER => rec.gross_total + rec.cash_rounding,
                    SPLIT_TENDER => rec.cash_part,
                    _ => 0,
                };
                if rec.tender == CASH_TENDER {
                    rounding = Some(rec.cash_rounding);
                }
                if cash != 0 {
                    payments.push(Payment {
                        payment_type: PaymentKind::Cash.id().to_string(),
                        paid_amount: cash,
                        emp_id: t.staff_id.clone(),
                        currency: Some(rec.currency.clone()),
                        ref_id: None,
                    });
                }
                if let Some((reference, amount, currency)) = &rec.captured {
                    payments.push(Payment {
                        payment_type: PaymentKind::Vipps.id().to_string(),
                        paid_amount: *amount,
                        emp_id: t.staff_id.clone(),
                        currency: Some(currency.clone()),
                        ref_id: Some(reference.clone()),
                    });
                }
            }
        }
        _ if cash_movement => {
            // Cash into (> 0) or out of (< 0) the drawer: no lines, one cash payment.
            payments.push(Payment {
                payment_type: PaymentKind::Cash.id().to_string(),
                paid_amount: t.amount_in,
                emp_id: t.staff_id.clone(),
                currency: None,
                ref_id: None,
            });
        }
        _ => {
            // A return (or a row without its sale): one line with the signed amounts.
            let kind = if t.kind == SignedKind::Return {
                LineKind::Return
            } else {
                LineKind::Sale
            };
            lines.push(CtLine {
                line_id: "1".into(),
                line_type: kind.id().to_string(),
                art_group_id: None,
                art_id: None,
                qnt_milli: None,
                amount_in: t.amount_in,
                amount_ex: t.amount_ex,
                ppu: None,
                emp_id: t.staff_id.clone(),
                desc: t.receipt_number.clone(),
                date: Some(date),
                time: Some(time),
                vat: None,
                discounts: vec![],
            });
            if t.kind == SignedKind::Return {
                // A Vipps refund has its refund id; a return given back in cash has none.
                let vipps = sale
                    .filter(|_| t.refund_id.is_some())
                    .and_then(|r| r.refundable.clone());
                let kind = if vipps.is_some() {
                    PaymentKind::Vipps
                } else {
                    PaymentKind::Cash
                };
                payments.push(Payment {
                    payment_type: kind.id().to_string(),
                    paid_amount: t.amount_in,
                    emp_id: t.staff_id.clone(),
                    currency: sale.map(|r| r.currency.clone()),
                    ref_id: vipps,
                });
            }
        }
    }
    Ok(CashTransaction {
        nr: t.nr.to_string(),
        trans_id: t
            .receipt_number
            .clone()
            .filter(|r| r.chars().count() <= 35)
            .unwrap_or_else(|| format!("{}-{}", t.till_id, t.nr)),
        trans_type: Some(trans_type.id().to_string()),
        amount_in: t.amount_in,
        amount_ex: t.amount_ex,
        emp_id: t.staff_id.clone(),
        period_number: None,
        date,
        time,
        desc: None,
        vat: vat
            .into_iter()
            .map(|(rate, (v, base))| VatAmount {
                vat_code: Some(vat_code(rate)),
                vat_perc: u32::try_from(rate).ok(),
                vat_amount: v,
                base_amount: Some(base),
            })
            .collect(),
        lines,
        rounding,
        payments,
        signature: t.signature.clone(),
        key_version: t.key_version.to_string(),
        receipt_num: prints.map(|p| p.0),
        receipt_copy_num: prints.map(|p| p.1),
        receipt_proforma_num: None,
        receipt_delivery_num: None,
        void: t.kind == SignedKind::Void,
        training: t.training,
    })
}

/// The file up to its first location: header, VAT codes, employees, articles and basics, from
/// `master` (a till's own journal, or headquarters' copy of a shop's tills).
pub fn begin_export<W: Write>(
    req: &ExportRequest,
    master: &SaftMasterData,
    out: W,
) -> Result<SaftWriter<W>, ExportError> {
    let header = Header {
        fiscal_year: req.from.year().to_string(),
        start_date: req.from,
        end_date: req.to,
        currency: req.currency.clone(),
        created: req.created,
        software_desc: "kasse".into(),
        software_version: env!("CARGO_PKG_VERSION").into(),
        software_company: "kasse".into(),
        comment: Some(format!("Journal {} – {}", req.from, req.to)),
        user_id: req.user_id.clone(),
    };
    let mut w = SaftWriter::new(out, &header, &req.company)?;
    let mut vat_codes = Vec::new();
    for &rate in &master.vat_rates {
        vat_codes.push(VatCode {
            code: vat_code(rate),
            date_of_entry: req.from,
            desc: Some(format!("MVA {}.{:02} %", rate / 100, rate % 100)),
            standard_code: standard_code(rate)?.to_string(),
        });
    }
    w.vat_codes(vat_codes.iter())?;
    w.employees(master.employees.iter().map(|(id, name, role, created)| {
        let (date, time) = created.map_or((req.from, Time::MIDNIGHT), |c| local(c, req.offset));
        Employee {
            emp_id: id.clone(),
            date_of_entry: date,
            time_of_entry: time,
            first_name: None,
            sur_name: name.clone(),
            roles: if role.is_empty() {
                vec![]
            } else {
                vec![(role.clone(), None)]
            },
        }
    }))?;
    w.articles(master.articles.iter().map(|(id, name, group)| Article {
        art_id: id.clone(),
        date_of_entry: req.from,
        art_group_id: Some(group.clone()),
        desc: name.clone(),
    }))?;
    // The shop's article groups are Skatteetaten's 04 codes themselves: basicID = the code.
    let groups = master.article_groups.iter().map(|g| {
        let code = codes::find(codes::ARTICLE_GROUP_CODES, g);
        Basic {
            basic_type: codes::BASIC_TYPE_ARTICLE_GROUP.to_string(),
            basic_id: g.clone(),
            predefined: code.map(|c| c.code.to_string()),
            desc: code.map_or_else(|| g.clone(), |c| format!("{} / {}", c.en, c.nb)),
        }
    });
    w.basics(codes::kasse_basics().chain(groups).collect::<Vec<Basic>>())?;
    Ok(w)
}

/// The location of a shop in the file.
pub fn shop_location(company: &Company, shop: &str) -> Location {
    Location {
        name: Some(format!("{} ({shop})", company.name)),
        street_address: None,
    }
}

/// The period's local days as UTC instants `[from, to)` (events are stored in UTC).
pub fn period_instants(req: &ExportRequest) -> (OffsetDateTime, OffsetDateTime) {
    let from_at = PrimitiveDateTime::new(req.from, Time::MIDNIGHT).assume_offset(req.offset);
    let to_at = PrimitiveDateTime::new(req.to.next_day().unwrap_or(req.to), Time::MIDNIGHT)
        .assume_offset(req.offset);
    (from_at, to_at)
}

/// Write the SAF-T file of `req.from..=req.to` to `out`, streaming from `store`. `extra_event`
/// (the 13020 export event just journaled) is written for its till even when it falls outside
/// the period.
pub fn write_saft<W: Write>(
    store: &Store,
    req: &ExportRequest,
    extra_event: Option<&FiscalEventRow>,
    out: W,
) -> Result<(W, ExportSummary), ExportError> {
    let master = store.saft_master_data()?;
    let mut w = begin_export(req, &master, out)?;
    let employees: std::collections::HashSet<&str> = master
        .employees
        .iter()
        .map(|(id, ..)| id.as_str())
        .collect();
    let is_employee = |id: &str| employees.contains(id);
    let (from_at, to_at) = period_instants(req);
    let mut shops: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (shop, till) in &master.tills {
        shops.entry(shop).or_default().push(till);
    }
    for (shop, tills) in shops {
        w.begin_location(&shop_location(&req.company, shop))?;
        for till in tills {
            w.begin_register(&CashRegister {
                register_id: till.to_string(),
                desc: None,
            })?;
            let mut extra_written = false;
            // The callback's SAF-T error is kept here; the store only sees "stop".
            let mut failed: Option<ExportError> = None;
            let r =
                store.for_each_fiscal_event(Some((shop, till)), Some(from_at), Some(to_at), |e| {
                    extra_written |= extra_event.is_some_and(|x| x.id == e.id);
                    w.event(&saft_event(&e, req.offset, &req.company, is_employee))
                        .map_err(|err| {
                            failed = Some(err.into());
                            StoreError::Closed
                        })
                });
            if let Some(e) = failed.take() {
                return Err(e);
            }
            r?;
            if let Some(x) = extra_event.filter(|x| x.shop_id == shop && x.till_id == till)
                && !extra_written
            {
                w.event(&saft_event(x, req.offset, &req.company, is_employee))?;
            }
            let r =
                store.for_each_signed_of(Some((shop, till)), Some(req.from), Some(req.to), |t| {
                    let sale = match t.sale_id {
                        Some(id) => store.sale(id)?,
                        None => None,
                    };
                    let prints = match &t.receipt_number {
                        Some(r) => Some(store.receipt_print_counts(r)?),
                        None => None,
                    };
                    // A withdrawal's or deposit's reason (a Z's difference: "Z n").
                    let desc = match t.kind {
                        SignedKind::Float
                        | SignedKind::Withdrawal
                        | SignedKind::Deposit
                        | SignedKind::CashDifference => store.cash_movement_reason(t.id)?,
                        SignedKind::Sale | SignedKind::Return | SignedKind::Void => None,
                    };
                    let facts = sale.as_ref().map(SaleFacts::of);
                    let ct = saft_transaction(&t, facts.as_ref(), prints).and_then(|mut ct| {
                        if desc.is_some() {
                            ct.desc = desc;
                        }
                        w.transaction(&ct)?;
                        Ok(())
                    });
                    if let Err(e) = ct {
                        failed = Some(e);
                        return Err(StoreError::Closed);
                    }
                    Ok(())
                });
            if let Some(e) = failed {
                return Err(e);
            }
            r?;
            w.end_register()?;
        }
        w.end_location()?;
    }
    finish_export(w)
}

/// Close the file; what was written.
pub fn finish_export<W: Write>(w: SaftWriter<W>) -> Result<(W, ExportSummary), ExportError> {
    let (transactions, events) = w.counts();
    let out = w.finish()?;
    Ok((
        out,
        ExportSummary {
            events,
            transactions,
        },
    ))
}
