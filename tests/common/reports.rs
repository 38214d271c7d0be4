//! Sales written straight into the journal for the X/Z report tests (no network): lines, a
//! Vipps sale brought to a final status as the engine would, a cash sale.

use kasse::store::{
    Api, Flow, NewPayment, NewSale, NewSaleLine, PayState, PaymentAmounts, SaleStatus, Store,
};
use time::OffsetDateTime;

/// One line: `gross` incl. VAT at `rate` (hundredths of a percent), `qty` in thousandths.
pub fn line(name: &str, rate: i64, gross: i64, qty: i64) -> NewSaleLine {
    let vat = kasse::domain::refund::vat_of_gross(gross, rate);
    NewSaleLine {
        product_id: Some(name.to_lowercase()),
        name: name.into(),
        quantity: (qty / 1000).to_string(),
        quantity_milli: qty,
        unit: "pcs".into(),
        unit_price: gross * 1000 / qty.max(1),
        discount: 0,
        vat_rate: rate,
        gross,
        net: gross - vat,
        vat,
        is_return: false,
    }
}

/// The sale record for `lines` (totals summed as the store checks them).
pub fn new_sale(
    at: OffsetDateTime,
    staff: Option<&str>,
    lines: Vec<NewSaleLine>,
    training: bool,
    tender: &str,
) -> NewSale {
    let gross: i64 = lines.iter().map(|l| l.gross).sum();
    let vat: i64 = lines.iter().map(|l| l.vat).sum();
    NewSale {
        shop_id: "s1".into(),
        till_id: "t1".into(),
        staff_id: staff.map(str::to_owned),
        currency: "NOK".into(),
        gross_total: gross,
        vat_total: vat,
        net_total: gross - vat,
        training,
        tender: tender.into(),
        description: None,
        lines,
        payment: NewPayment {
            api: Api::Epayment,
            msn: "123456".into(),
            flow: Flow::Push,
            customer_phone: Some("4791234567".into()),
        },
        created_at: at,
    }
}

/// A Vipps sale brought to `status` (captured in full when paid). Returns (sale id, receipt
/// number, Vipps reference).
pub fn vipps_sale(s: &mut Store, sale: &NewSale, status: SaleStatus) -> (i64, String, String) {
    let gross = sale.gross_total;
    let at = sale.created_at;
    let ids = s.begin_sale(sale).unwrap();
    let (state, amounts) = match status {
        SaleStatus::Paid => (
            PayState::Captured,
            PaymentAmounts {
                authorized: gross,
                captured: gross,
                refunded: 0,
                cancelled: 0,
            },
        ),
        _ => (
            PayState::Cancelled,
            PaymentAmounts {
                authorized: 0,
                captured: 0,
                refunded: 0,
                cancelled: gross,
            },
        ),
    };
    s.update_payment_state(ids.payment_id, state, None, Some(amounts), at)
        .unwrap();
    s.set_sale_status(ids.sale_id, status, None, at).unwrap();
    let receipt = s.sale(ids.sale_id).unwrap().unwrap().sale.receipt_number;
    (ids.sale_id, receipt, ids.reference)
}

/// Act as the engine's outbox worker: send nothing, mark every due row done.
pub async fn complete_outbox(store: &kasse::store::AsyncStore, now: OffsetDateTime) {
    store
        .run(move |s| {
            for r in s.claim_due(now + time::Duration::hours(1), 100)? {
                s.complete(r.id, now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// Refund `amount` of the Vipps sale `reference` (manager `session`), confirmed at once.
pub async fn refunded(
    db: &kasse::service::StaffDb,
    store: &kasse::store::AsyncStore,
    session: &kasse::domain::staff::Session,
    reference: &str,
    amount: i64,
    at: OffsetDateTime,
) {
    kasse::service::refund::refund(
        db,
        session,
        &kasse::domain::refund::RefundRequest {
            reference: reference.to_owned(),
            mode: kasse::domain::refund::RefundMode::Amount(amount),
            reason: "kunden angret".into(),
        },
        at,
    )
    .await
    .unwrap();
    complete_outbox(store, at).await;
}

/// A cash-only sale, paid with exactly its (rounded) total. Returns (sale id, receipt number).
pub fn cash_sale(s: &mut Store, sale: &NewSale) -> (i64, String) {
    let ids = s.record_cash_sale(sale, sale.gross_total + 100).unwrap();
    let receipt = s.sale(ids.sale_id).unwrap().unwrap().sale.receipt_number;
    (ids.sale_id, receipt)
}
