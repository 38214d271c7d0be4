//! Cash-only sales from the till: journaled as paid (tender cash, change journaled) with no
//! Vipps call; the split tender (cash part + Vipps remainder) is
//! [`Engine::start_split_payment`].

use crate::domain::money::Money;
use crate::engine::core::{Engine, EngineError, NewSaleRequest};
use crate::lang::Text;
use crate::store::{CashSaleIds, NewPayment, NewSale};

impl Engine {
    /// Journal a cash-only sale: every line, the full exact total, the øreavrunding,
    /// `cash_given` (≥ the total rounded to the cash step) and the change, in one transaction with a new receipt number. Nothing goes to Vipps.
    pub async fn record_cash_sale(
        &self,
        req: NewSaleRequest,
        cash_given: Money,
    ) -> Result<CashSaleIds, EngineError> {
        let inner = &self.inner;
        let (mut gross, mut vat, mut net) = (0i64, 0i64, 0i64);
        for l in &req.lines {
            gross = gross.saturating_add(if l.is_return { -l.gross } else { l.gross });
            vat = vat.saturating_add(if l.is_return { -l.vat } else { l.vat });
            net = net.saturating_add(if l.is_return { -l.net } else { l.net });
        }
        if cash_given.currency() != req.currency {
            return Err(EngineError::Invalid(Text::new(
                format!("Mottatt kontant {cash_given} er ikke i salgets valuta."),
                format!("Cash received {cash_given} is not in the sale's currency."),
            )));
        }
        // Øreavrunding: cash is owed rounded to the currency's cash step.
        let to_pay = Money::new(gross, req.currency).round_cash();
        if cash_given.minor() < to_pay.minor() {
            return Err(EngineError::Invalid(Text::new(
                format!(
                    "Mottatt kontant {cash_given} er mindre enn kontantsummen {to_pay} (avrundet)."
                ),
                format!(
                    "Cash received {cash_given} is less than the cash total {to_pay} (rounded)."
                ),
            )));
        }
        let sale = NewSale {
            shop_id: inner.cfg.shop_id.clone(),
            till_id: inner.cfg.till_id.clone(),
            staff_id: req.staff_id.clone().or_else(|| inner.cfg.staff_id.clone()),
            currency: req.currency.code().to_owned(),
            gross_total: gross,
            vat_total: vat,
            net_total: net,
            training: inner.cfg.training,
            tender: crate::store::CASH_TENDER.to_owned(),
            description: req.description.clone(),
            lines: req.lines.clone(),
            // Ignored by `record_cash_sale` (no payment row).
            payment: NewPayment {
                api: crate::engine::core::store_api(req.api),
                msn: inner.cfg.msn.clone(),
                flow: crate::store::Flow::Qr,
                customer_phone: None,
            },
            created_at: inner.now(),
        };
        let given = cash_given.minor();
        Ok(inner
            .store
            .run(move |s| s.record_cash_sale(&sale, given))
            .await?)
    }
}
