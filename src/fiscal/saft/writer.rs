//! The streaming writer. Element names and order are the XSD's, verbatim.

use std::collections::HashSet;
use std::io::Write;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use time::{Date, Time};

use super::model::*;
use super::{Company, SaftError};
use crate::fiscal::{push_date, push_decimal2, push_time};

const NAMESPACE: &str = "urn:StandardAuditFile-Taxation-CashRegister:NO";
/// `auditfileVersion` for XSD v1.00.
const AUDITFILE_VERSION: &str = "1.0";

/// Where the writer is in the XSD's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Company,
    VatCodes,
    Employees,
    Articles,
    Basics,
    Location,
    Register,
    Events,
    Transactions,
    Finished,
}

impl Stage {
    const fn name(self) -> &'static str {
        match self {
            Stage::Company => "company",
            Stage::VatCodes => "vatCodeDetails",
            Stage::Employees => "employees",
            Stage::Articles => "articles",
            Stage::Basics => "basics",
            Stage::Location => "location",
            Stage::Register => "cashregister",
            Stage::Events => "event",
            Stage::Transactions => "cashtransaction",
            Stage::Finished => "finish",
        }
    }
}

/// Streams one SAF-T Cash Register file. See the [module docs](super) for the call order.
pub struct SaftWriter<W: Write> {
    xml: Writer<W>,
    stage: Stage,
    buf: String,
    basic_ids: HashSet<String>,
    emp_ids: HashSet<String>,
    art_ids: HashSet<String>,
    report_ids: HashSet<String>,
    transactions: u64,
    events: u64,
}

fn check_len(element: &'static str, value: &str, max: usize) -> Result<(), SaftError> {
    // Byte length bounds char count from above: only count when it could be too long.
    if value.len() > max && value.chars().count() > max {
        let shown: String = value.chars().take(40).collect();
        return Err(SaftError::TooLong {
            element,
            max,
            value: shown,
        });
    }
    Ok(())
}

/// XML 1.0 forbids most control characters even escaped; a journal text with one (a pasted
/// product name) would make the file unreadable. They become U+FFFD.
fn xml_safe(value: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}';
    if value.chars().any(bad) {
        std::borrow::Cow::Owned(
            value
                .chars()
                .map(|c| if bad(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

impl<W: Write> SaftWriter<W> {
    /// Start the file: XML declaration, `<auditfile>`, the whole `<header>` and the first
    /// `<company>` fields. `out` should be buffered (`BufWriter`).
    pub fn new(out: W, header: &Header, company: &Company) -> Result<SaftWriter<W>, SaftError> {
        let mut w = SaftWriter {
            xml: Writer::new_with_indent(out, b'\t', 1),
            stage: Stage::Company,
            buf: String::with_capacity(64),
            basic_ids: HashSet::new(),
            emp_ids: HashSet::new(),
            art_ids: HashSet::new(),
            report_ids: HashSet::new(),
            transactions: 0,
            events: 0,
        };
        w.xml
            .write_event(XmlEvent::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut root = BytesStart::new("auditfile");
        root.push_attribute(("xmlns", NAMESPACE));
        w.xml.write_event(XmlEvent::Start(root))?;
        w.header(header)?;
        w.open("company")?;
        w.text("companyIdent", company.org_number.as_str(), 35)?;
        w.text("companyName", &company.name, 100)?;
        if company.vat_registered {
            w.text("taxRegistrationCountry", "NO", 2)?;
            let ident = format!("{}MVA", company.org_number.as_str());
            w.text("taxRegIdent", &ident, 50)?;
        }
        if let Some(a) = &company.street_address {
            w.address("streetAddress", a)?;
        }
        Ok(w)
    }

    fn header(&mut self, h: &Header) -> Result<(), SaftError> {
        self.open("header")?;
        self.text("fiscalYear", &h.fiscal_year, 9)?;
        self.date("startDate", h.start_date)?;
        self.date("endDate", h.end_date)?;
        if h.currency.len() != 3 || !h.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(SaftError::UnknownReference {
                element: "curCode",
                id: h.currency.clone(),
            });
        }
        self.text("curCode", &h.currency, 3)?;
        self.date("dateCreated", h.created.date())?;
        self.time("timeCreated", h.created.time())?;
        self.text("softwareDesc", &h.software_desc, 100)?;
        self.text("softwareVersion", &h.software_version, 20)?;
        self.text("softwareCompanyName", &h.software_company, 100)?;
        self.text("auditfileVersion", AUDITFILE_VERSION, 35)?;
        self.opt_text("headerComment", h.comment.as_deref(), 999)?;
        self.opt_text("userID", h.user_id.as_deref(), 35)?;
        self.close("header")
    }

    fn address(&mut self, element: &'static str, a: &Address) -> Result<(), SaftError> {
        self.open(element)?;
        self.opt_text("streetname", a.street_name.as_deref(), 100)?;
        self.opt_text("number", a.number.as_deref(), 20)?;
        self.opt_text("additionalAddressDetails", a.additional.as_deref(), 100)?;
        self.opt_text("city", a.city.as_deref(), 50)?;
        self.opt_text("postalCode", a.postal_code.as_deref(), 20)?;
        self.opt_text("region", a.region.as_deref(), 50)?;
        self.opt_text("country", a.country.as_deref(), 2)?;
        self.close(element)
    }

    /// Move to `next`, which must come after the current stage.
    fn advance(&mut self, next: Stage) -> Result<(), SaftError> {
        if next <= self.stage {
            return Err(SaftError::Order {
                call: next.name(),
                after: self.stage.name(),
            });
        }
        self.stage = next;
        Ok(())
    }

    /// `<vatCodeDetails>`.
    pub fn vat_codes<'a, I>(&mut self, codes: I) -> Result<(), SaftError>
    where
        I: IntoIterator<Item = &'a VatCode>,
    {
        self.advance(Stage::VatCodes)?;
        self.open("vatCodeDetails")?;
        for c in codes {
            self.open("vatCodeDetail")?;
            self.text("vatCode", &c.code, 20)?;
            self.date("dateOfEntry", c.date_of_entry)?;
            self.opt_text("vatDesc", c.desc.as_deref(), 100)?;
            self.text("standardVatCode", &c.standard_code, 9)?;
            self.close("vatCodeDetail")?;
        }
        self.close("vatCodeDetails")
    }

    /// `<employees>` (streamed).
    pub fn employees<I>(&mut self, employees: I) -> Result<(), SaftError>
    where
        I: IntoIterator<Item = Employee>,
    {
        self.advance(Stage::Employees)?;
        self.open("employees")?;
        for e in employees {
            if !self.emp_ids.insert(e.emp_id.clone()) {
                return Err(SaftError::Duplicate {
                    element: "empID",
                    id: e.emp_id,
                });
            }
            self.open("employee")?;
            self.text("empID", &e.emp_id, 35)?;
            self.date("dateOfEntry", e.date_of_entry)?;
            self.time("timeOfEntry", e.time_of_entry)?;
            self.opt_text("firstName", e.first_name.as_deref(), 50)?;
            self.text("surName", &e.sur_name, 100)?;
            for (role, desc) in &e.roles {
                self.open("employeeRole")?;
                self.text("roleType", role, 50)?;
                self.opt_text("roleTypeDesc", desc.as_deref(), 100)?;
                self.close("employeeRole")?;
            }
            self.close("employee")?;
        }
        self.close("employees")
    }

    /// `<articles>` (streamed).
    pub fn articles<I>(&mut self, articles: I) -> Result<(), SaftError>
    where
        I: IntoIterator<Item = Article>,
    {
        self.advance(Stage::Articles)?;
        self.open("articles")?;
        for a in articles {
            if !self.art_ids.insert(a.art_id.clone()) {
                return Err(SaftError::Duplicate {
                    element: "artID",
                    id: a.art_id,
                });
            }
            self.open("article")?;
            self.text("artID", &a.art_id, 35)?;
            self.date("dateOfEntry", a.date_of_entry)?;
            self.opt_text("artGroupID", a.art_group_id.as_deref(), 35)?;
            self.text("artDesc", &a.desc, 999)?;
            self.close("article")?;
        }
        self.close("articles")
    }

    /// `<basics>`: kasse's codes ([`super::codes::kasse_basics`]) and the shop's article groups.
    pub fn basics<I>(&mut self, basics: I) -> Result<(), SaftError>
    where
        I: IntoIterator<Item = Basic>,
    {
        self.advance(Stage::Basics)?;
        self.open("basics")?;
        for b in basics {
            if !self.basic_ids.insert(b.basic_id.clone()) {
                return Err(SaftError::Duplicate {
                    element: "basicID",
                    id: b.basic_id,
                });
            }
            self.open("basic")?;
            self.text("basicType", &b.basic_type, 9)?;
            self.text("basicID", &b.basic_id, 35)?;
            self.opt_text("predefinedBasicID", b.predefined.as_deref(), 9)?;
            self.text("basicDesc", &b.desc, 999)?;
            self.close("basic")?;
        }
        self.close("basics")
    }

    /// Open a `<location>`.
    pub fn begin_location(&mut self, loc: &Location) -> Result<(), SaftError> {
        if self.stage >= Stage::Location && self.stage != Stage::Basics {
            // Only after master data or a closed location (end_location resets to Basics).
            return Err(SaftError::Order {
                call: "location",
                after: self.stage.name(),
            });
        }
        self.stage = Stage::Location;
        self.open("location")?;
        self.opt_text("name", loc.name.as_deref(), 100)?;
        if let Some(a) = &loc.street_address {
            self.address("streetAddress", a)?;
        }
        Ok(())
    }

    /// Open a `<cashregister>` in the current location.
    pub fn begin_register(&mut self, reg: &CashRegister) -> Result<(), SaftError> {
        if self.stage != Stage::Location {
            return Err(SaftError::Order {
                call: "cashregister",
                after: self.stage.name(),
            });
        }
        self.stage = Stage::Register;
        self.open("cashregister")?;
        self.text("registerID", &reg.register_id, 100)?;
        self.opt_text("regDesc", reg.desc.as_deref(), 999)
    }

    fn known(
        set: &HashSet<String>,
        element: &'static str,
        id: Option<&str>,
    ) -> Result<(), SaftError> {
        match id {
            Some(id) if !set.contains(id) => Err(SaftError::UnknownReference {
                element,
                id: id.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// One `<event>` of the current register (all events before its first transaction).
    pub fn event(&mut self, e: &Event) -> Result<(), SaftError> {
        match self.stage {
            Stage::Register | Stage::Events => self.stage = Stage::Events,
            other => {
                return Err(SaftError::Order {
                    call: "event",
                    after: other.name(),
                });
            }
        }
        Self::known(&self.basic_ids, "eventType", Some(&e.event_type))?;
        Self::known(&self.emp_ids, "empID", e.emp_id.as_deref())?;
        self.open("event")?;
        self.text("eventID", &e.event_id, 35)?;
        self.text("eventType", &e.event_type, 35)?;
        self.opt_text("transID", e.trans_id.as_deref(), 35)?;
        self.opt_text("empID", e.emp_id.as_deref(), 35)?;
        self.date("eventDate", e.date)?;
        self.time("eventTime", e.time)?;
        self.opt_text("eventText", e.text.as_deref(), 9999)?;
        if let Some(r) = &e.report {
            self.report(r)?;
        }
        self.events += 1;
        self.close("event")
    }

    fn counted_list(
        &mut self,
        outer: &'static str,
        inner: &'static str,
        names: [&'static str; 3],
        list: &[Counted],
        placeholder: bool,
    ) -> Result<(), SaftError> {
        if list.is_empty() && !placeholder {
            return Ok(());
        }
        self.open(outer)?;
        let none = [Counted::new("None", 0, 0)];
        let rows = if list.is_empty() { &none[..] } else { list };
        for c in rows {
            self.open(inner)?;
            self.text(names[0], &c.key, 35)?;
            self.count(names[1], c.num)?;
            self.amount(names[2], c.amount)?;
            self.close(inner)?;
        }
        self.close(outer)
    }

    fn emp_counted_list(
        &mut self,
        outer: &'static str,
        inner: &'static str,
        names: [&'static str; 3],
        list: &[EmpCounted],
        art_group_num: bool,
    ) -> Result<(), SaftError> {
        if list.is_empty() {
            return Ok(());
        }
        self.open(outer)?;
        for c in list {
            Self::known(&self.emp_ids, "empID", Some(&c.emp_id))?;
            self.open(inner)?;
            self.text("empID", &c.emp_id, 35)?;
            self.text(names[0], &c.counted.key, 35)?;
            if art_group_num {
                self.quantity(names[1], i128::from(c.counted.num) * 1000)?;
            } else {
                self.count(names[1], c.counted.num)?;
            }
            self.amount(names[2], c.counted.amount)?;
            self.close(inner)?;
        }
        self.close(outer)
    }

    fn pair(
        &mut self,
        num_name: &'static str,
        amount_name: &'static str,
        (num, amount): (u64, i64),
    ) -> Result<(), SaftError> {
        self.count(num_name, num)?;
        self.amount(amount_name, amount)
    }

    fn report(&mut self, r: &EventReport) -> Result<(), SaftError> {
        if !self.report_ids.insert(r.report_id.clone()) {
            return Err(SaftError::Duplicate {
                element: "reportID",
                id: r.report_id.clone(),
            });
        }
        self.open("eventReport")?;
        self.text("reportID", &r.report_id, 35)?;
        self.text("reportType", r.report_type.as_str(), 35)?;
        self.text("companyIdent", &r.company_ident, 35)?;
        self.text("companyName", &r.company_name, 100)?;
        self.date("reportDate", r.date)?;
        self.time("reportTime", r.time)?;
        self.text("registerID", &r.register_id, 100)?;
        self.open("reportTotalCashSales")?;
        self.amount("totalCashSaleAmnt", r.total_cash_sales)?;
        self.close("reportTotalCashSales")?;
        // artGroupNum is Amount6decimals: whole units written as integers.
        self.open("reportArtGroups")?;
        let none = [Counted::new("None", 0, 0)];
        let groups = if r.art_groups.is_empty() {
            &none[..]
        } else {
            &r.art_groups[..]
        };
        for g in groups {
            self.open("reportArtGroup")?;
            self.text("artGroupID", &g.key, 35)?;
            self.quantity("artGroupNum", i128::from(g.num) * 1000)?;
            self.amount("artGroupAmnt", g.amount)?;
            self.close("reportArtGroup")?;
        }
        self.close("reportArtGroups")?;
        self.emp_counted_list(
            "reportEmpArtGroups",
            "reportEmpArtGroup",
            ["artGroupID", "artGroupNum", "artGroupAmnt"],
            &r.emp_art_groups,
            true,
        )?;
        self.counted_list(
            "reportPayments",
            "reportPayment",
            ["paymentType", "paymentNum", "paymentAmnt"],
            &r.payments,
            true,
        )?;
        self.emp_counted_list(
            "reportEmpPayments",
            "reportEmpPayment",
            ["paymentType", "paymentNum", "paymentAmnt"],
            &r.emp_payments,
            false,
        )?;
        if let Some((num, amount)) = r.tip {
            self.open("reportTip")?;
            self.pair("tipNum", "tipAmnt", (num, amount))?;
            self.close("reportTip")?;
        }
        self.open("reportCashSalesVat")?;
        let zero = [ReportVat {
            vat_code: None,
            vat_perc: 0,
            cash_sale_amount: 0,
            vat_amount: 0,
        }];
        let vats = if r.cash_sales_vat.is_empty() {
            &zero[..]
        } else {
            &r.cash_sales_vat[..]
        };
        for v in vats {
            self.open("reportCashSaleVat")?;
            self.opt_text("vatCode", v.vat_code.as_deref(), 20)?;
            self.percent("vatPerc", v.vat_perc)?;
            self.amount("cashSaleAmnt", v.cash_sale_amount)?;
            self.amount("vatAmnt", v.vat_amount)?;
            self.text("vatAmntTp", debit_credit(v.vat_amount), 1)?;
            self.close("reportCashSaleVat")?;
        }
        self.close("reportCashSalesVat")?;
        self.amount("reportOpeningChangeFloat", r.opening_change_float)?;
        if !r.emp_opening_change_floats.is_empty() {
            self.open("reportEmpOpeningChangeFloats")?;
            for f in &r.emp_opening_change_floats {
                Self::known(&self.emp_ids, "empID", Some(&f.emp_id))?;
                self.open("reportEmpOpeningChangeFloat")?;
                self.text("empID", &f.emp_id, 35)?;
                self.amount("openingChangeFloatAmnt", f.counted.amount)?;
                self.close("reportEmpOpeningChangeFloat")?;
            }
            self.close("reportEmpOpeningChangeFloats")?;
        }
        self.count("reportReceiptNum", r.receipt_num)?;
        self.count("reportOpenCashBoxNum", r.open_cash_box_num)?;
        self.pair(
            "reportReceiptCopyNum",
            "reportReceiptCopyAmnt",
            r.receipt_copy,
        )?;
        self.pair(
            "reportReceiptProformaNum",
            "reportReceiptProformaAmnt",
            r.receipt_proforma,
        )?;
        self.pair("reportReturnNum", "reportReturnAmnt", r.returns)?;
        self.pair("reportDiscountNum", "reportDiscountAmnt", r.discounts)?;
        self.pair("reportVoidTransNum", "reportVoidTransAmnt", r.voids)?;
        self.counted_list(
            "reportCorrLines",
            "reportCorrLine",
            ["corrLineType", "corrLineNum", "corrLineAmnt"],
            &r.corr_lines,
            true,
        )?;
        self.counted_list(
            "reportPriceInquiries",
            "reportPriceInquiry",
            ["priceInquiryGroup", "priceInquiryNum", "priceInquiryAmnt"],
            &r.price_inquiries,
            true,
        )?;
        self.counted_list(
            "reportOtherCorrs",
            "reportOtherCorr",
            ["otherCorrType", "otherCorrNum", "otherCorrAmnt"],
            &r.other_corrs,
            true,
        )?;
        self.pair(
            "reportReceiptDeliveryNum",
            "reportReceiptDeliveryAmnt",
            r.receipt_delivery,
        )?;
        self.pair("reportTrainingNum", "reportTrainingAmnt", r.training)?;
        if let Some(p) = r.credit_sales {
            self.open("reportCreditSales")?;
            self.pair("creditSalesNum", "creditSalesAmnt", p)?;
            self.close("reportCreditSales")?;
        }
        if let Some(p) = r.credit_memos {
            self.open("reportCreditMemos")?;
            self.pair("creditMemosNum", "creditMemosAmnt", p)?;
            self.close("reportCreditMemos")?;
        }
        self.counted_list(
            "reportPayIns",
            "reportPayIn",
            ["payInType", "payInNum", "payInAmnt"],
            &r.pay_ins,
            false,
        )?;
        self.counted_list(
            "reportPayOuts",
            "reportPayOut",
            ["payOutType", "payOutNum", "payOutAmnt"],
            &r.pay_outs,
            false,
        )?;
        self.amount("reportGrandTotalSales", r.grand_total_sales)?;
        self.amount("reportGrandTotalReturn", r.grand_total_return)?;
        self.amount("reportGrandTotalSalesNet", r.grand_total_sales_net)?;
        self.close("eventReport")
    }

    fn vat(&mut self, v: &VatAmount) -> Result<(), SaftError> {
        self.open("vat")?;
        self.opt_text("vatCode", v.vat_code.as_deref(), 20)?;
        if let Some(p) = v.vat_perc {
            self.percent("vatPerc", p)?;
        }
        self.amount("vatAmnt", v.vat_amount)?;
        self.text("vatAmntTp", debit_credit(v.vat_amount), 1)?;
        if let Some(b) = v.base_amount {
            self.amount("vatBasAmnt", b)?;
        }
        self.close("vat")
    }

    fn small_count(&mut self, element: &'static str, v: Option<u16>) -> Result<(), SaftError> {
        match v {
            None => Ok(()),
            Some(n) if n > 999 => Err(SaftError::OutOfRange {
                element,
                value: i64::from(n),
            }),
            Some(n) => self.count(element, u64::from(n)),
        }
    }

    /// One signed `<cashtransaction>` of the current register (after all its events).
    pub fn transaction(&mut self, t: &CashTransaction) -> Result<(), SaftError> {
        match self.stage {
            Stage::Register | Stage::Events | Stage::Transactions => {
                self.stage = Stage::Transactions
            }
            other => {
                return Err(SaftError::Order {
                    call: "cashtransaction",
                    after: other.name(),
                });
            }
        }
        Self::known(&self.basic_ids, "transType", t.trans_type.as_deref())?;
        Self::known(&self.emp_ids, "empID", t.emp_id.as_deref())?;
        self.open("cashtransaction")?;
        self.text("nr", &t.nr, 35)?;
        self.text("transID", &t.trans_id, 35)?;
        self.opt_text("transType", t.trans_type.as_deref(), 35)?;
        self.amount("transAmntIn", t.amount_in)?;
        self.amount("transAmntEx", t.amount_ex)?;
        self.text("amntTp", debit_credit(t.amount_in), 1)?;
        self.opt_text("empID", t.emp_id.as_deref(), 35)?;
        if let Some(p) = t.period_number {
            if p > 999 {
                return Err(SaftError::OutOfRange {
                    element: "periodNumber",
                    value: i64::from(p),
                });
            }
            self.count("periodNumber", u64::from(p))?;
        }
        self.date("transDate", t.date)?;
        self.time("transTime", t.time)?;
        self.opt_text("desc", t.desc.as_deref(), 9999)?;
        for l in &t.lines {
            Self::known(&self.basic_ids, "lineType", Some(&l.line_type))?;
            Self::known(&self.art_ids, "artID", l.art_id.as_deref())?;
            Self::known(&self.emp_ids, "empID", l.emp_id.as_deref())?;
            self.open("ctLine")?;
            self.text("nr", &t.nr, 35)?;
            self.text("lineID", &l.line_id, 35)?;
            self.text("lineType", &l.line_type, 35)?;
            self.opt_text("artGroupID", l.art_group_id.as_deref(), 35)?;
            self.opt_text("artID", l.art_id.as_deref(), 35)?;
            if let Some(q) = l.qnt_milli {
                self.quantity("qnt", i128::from(q))?;
            }
            self.amount("lineAmntIn", l.amount_in)?;
            self.amount("lineAmntEx", l.amount_ex)?;
            self.text("amntTp", debit_credit(l.amount_in), 1)?;
            if let Some(p) = l.ppu {
                self.amount("ppu", p)?;
            }
            self.opt_text("empID", l.emp_id.as_deref(), 35)?;
            self.opt_text("cashTransLineDescr", l.desc.as_deref(), 9999)?;
            if let Some(d) = l.date {
                self.date("lineDate", d)?;
            }
            if let Some(tm) = l.time {
                self.time("lineTime", tm)?;
            }
            if let Some(v) = &l.vat {
                self.vat(v)?;
            }
            for d in &l.discounts {
                self.open("discount")?;
                self.text("dscTp", &d.kind, 35)?;
                self.amount("dscAmnt", d.amount)?;
                self.close("discount")?;
            }
            self.close("ctLine")?;
        }
        for v in &t.vat {
            self.vat(v)?;
        }
        if let Some(r) = t.rounding {
            self.open("rounding")?;
            self.amount("roundingAmnt", r)?;
            self.close("rounding")?;
        }
        for p in &t.payments {
            Self::known(&self.basic_ids, "paymentType", Some(&p.payment_type))?;
            Self::known(&self.emp_ids, "empID", p.emp_id.as_deref())?;
            self.open("payment")?;
            self.text("paymentType", &p.payment_type, 35)?;
            self.amount("paidAmnt", p.paid_amount)?;
            self.opt_text("empID", p.emp_id.as_deref(), 35)?;
            self.opt_text("curCode", p.currency.as_deref(), 3)?;
            self.opt_text("paymentRefID", p.ref_id.as_deref(), 999)?;
            self.close("payment")?;
        }
        self.text("signature", &t.signature, 999)?;
        self.text("keyVersion", &t.key_version, 50)?;
        self.small_count("receiptNum", t.receipt_num)?;
        self.small_count("receiptCopyNum", t.receipt_copy_num)?;
        self.small_count("receiptProformaNum", t.receipt_proforma_num)?;
        self.small_count("receiptDeliveryNum", t.receipt_delivery_num)?;
        self.text("voidTransaction", bool_str(t.void), 5)?;
        self.text("trainingID", bool_str(t.training), 5)?;
        self.transactions += 1;
        self.close("cashtransaction")
    }

    /// Close the current `<cashregister>`.
    pub fn end_register(&mut self) -> Result<(), SaftError> {
        match self.stage {
            Stage::Register | Stage::Events | Stage::Transactions => {
                self.stage = Stage::Location;
                self.close("cashregister")
            }
            other => Err(SaftError::Order {
                call: "end of cashregister",
                after: other.name(),
            }),
        }
    }

    /// Close the current `<location>`.
    pub fn end_location(&mut self) -> Result<(), SaftError> {
        if self.stage != Stage::Location {
            return Err(SaftError::Order {
                call: "end of location",
                after: self.stage.name(),
            });
        }
        // Another location may follow.
        self.stage = Stage::Basics;
        self.close("location")
    }

    /// Transactions and events written so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.transactions, self.events)
    }

    /// Close `<company>` and `<auditfile>`; hands back the output (flush it).
    pub fn finish(mut self) -> Result<W, SaftError> {
        if matches!(
            self.stage,
            Stage::Location | Stage::Register | Stage::Events | Stage::Transactions
        ) {
            return Err(SaftError::Order {
                call: Stage::Finished.name(),
                after: "an open location or cashregister",
            });
        }
        self.stage = Stage::Finished;
        self.close("company")?;
        self.close("auditfile")?;
        Ok(self.xml.into_inner())
    }

    // --- element helpers ---

    fn open(&mut self, name: &str) -> Result<(), SaftError> {
        self.xml
            .write_event(XmlEvent::Start(BytesStart::new(name)))?;
        Ok(())
    }

    fn close(&mut self, name: &str) -> Result<(), SaftError> {
        self.xml.write_event(XmlEvent::End(BytesEnd::new(name)))?;
        Ok(())
    }

    fn leaf(&mut self, name: &str, value: &str) -> Result<(), SaftError> {
        self.open(name)?;
        self.xml
            .write_event(XmlEvent::Text(BytesText::new(&xml_safe(value))))?;
        self.close(name)
    }

    fn text(&mut self, name: &'static str, value: &str, max: usize) -> Result<(), SaftError> {
        check_len(name, value, max)?;
        self.leaf(name, value)
    }

    fn opt_text(
        &mut self,
        name: &'static str,
        value: Option<&str>,
        max: usize,
    ) -> Result<(), SaftError> {
        match value {
            Some(v) => self.text(name, v, max),
            None => Ok(()),
        }
    }

    fn formatted(&mut self, name: &str, f: impl FnOnce(&mut String)) -> Result<(), SaftError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        f(&mut buf);
        let r = self.leaf(name, &buf);
        self.buf = buf;
        r
    }

    fn amount(&mut self, name: &str, minor: i64) -> Result<(), SaftError> {
        self.formatted(name, |b| push_decimal2(b, minor))
    }

    fn count(&mut self, name: &str, n: u64) -> Result<(), SaftError> {
        use std::fmt::Write as _;
        self.formatted(name, |b| {
            let _ = write!(b, "{n}");
        })
    }

    /// Thousandths as a decimal without trailing zeros (`2000` → `2`, `-1500` → `-1.5`).
    fn quantity(&mut self, name: &str, milli: i128) -> Result<(), SaftError> {
        use std::fmt::Write as _;
        self.formatted(name, |b| {
            if milli < 0 {
                b.push('-');
            }
            let abs = milli.unsigned_abs();
            let _ = write!(b, "{}", abs / 1000);
            let frac = abs % 1000;
            if frac != 0 {
                let s = format!("{frac:03}");
                b.push('.');
                b.push_str(s.trim_end_matches('0'));
            }
        })
    }

    /// Hundredths of a percent as Decimal8 (`2500` → `25.00`; at most 100 %).
    fn percent(&mut self, name: &'static str, hundredths: u32) -> Result<(), SaftError> {
        if hundredths > 10_000 {
            return Err(SaftError::OutOfRange {
                element: name,
                value: i64::from(hundredths),
            });
        }
        self.amount(name, i64::from(hundredths))
    }

    fn date(&mut self, name: &str, d: Date) -> Result<(), SaftError> {
        self.formatted(name, |b| push_date(b, d))
    }

    fn time(&mut self, name: &str, t: Time) -> Result<(), SaftError> {
        self.formatted(name, |b| push_time(b, t))
    }
}

const fn debit_credit(amount: i64) -> &'static str {
    if amount < 0 { "D" } else { "C" }
}

const fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}
