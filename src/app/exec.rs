//! The Command executor: every screen command runs here, off the UI task, and answers with
//! `AppEvent`s.

use super::{Paper, StaffAccess, execute_staff, login_at_till_warned, verify_manager_pin};
use crate::config::Config;
use crate::domain::money::Money;
use crate::engine::provider::CustomerId;
use crate::engine::{ApiKind, Engine, NewSaleRequest, PayMethod, Resolution};
use crate::lang::Text;
use crate::tui::{self, AppEvent, Command, SimCustomerAction};
use tokio::sync::mpsc;

/// The engine's request for a Vipps payment of `basket` (push or QR), sold by `staff_id`:
/// shared by the plain and the split-tender start.
fn vipps_sale_request(
    api: ApiKind,
    basket: &crate::domain::basket::Basket,
    method: tui::PayMethod,
    staff_id: Option<String>,
) -> Result<NewSaleRequest, Text> {
    let method = match method {
        tui::PayMethod::Qr => PayMethod::Qr,
        tui::PayMethod::Push {
            phone_or_personal_qr,
        } => PayMethod::Push {
            customer: customer_of(api, &phone_or_personal_qr)?,
        },
    };
    NewSaleRequest::from_basket(basket, method, api, None)
        .map(|r| r.sold_by(staff_id))
        .map_err(|e| e.message())
}

/// Parse a phone number for an API (via `api::validate`): ePayment wants the MSISDN
/// (`4791234567`), eCom/PSP the 8-digit Norwegian number. The message names `--phone`.
pub fn parse_phone(api: ApiKind, input: &str) -> Result<String, Text> {
    let r = match api {
        ApiKind::Epayment => crate::api::validate::normalize_msisdn(input),
        ApiKind::Ecom | ApiKind::Psp => crate::api::validate::norwegian_8_digits(input),
    };
    r.map_err(|e| {
        Text::new(
            format!("--phone: {}", e.text.nb),
            format!("--phone: {}", e.text.en),
        )
    })
}

/// Who to push to: digits are a phone number (normalised for the API), anything else is a
/// scanned personal QR, passed on unmodified.
pub fn customer_of(api: ApiKind, input: &str) -> Result<CustomerId, Text> {
    let trimmed = input.trim();
    let looks_like_phone = !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == ' ' || c == '-');
    if looks_like_phone {
        parse_phone(api, trimmed).map(CustomerId::Phone)
    } else if api == ApiKind::Epayment {
        Ok(CustomerId::PersonalQr(input.to_owned()))
    } else {
        Err(Text::new(
            "Personlig QR virker bare med ePayment. Tast kundens telefonnummer i stedet.",
            "A personal QR works only with ePayment. Type the customer's phone number instead.",
        ))
    }
}

/// Carry out one screen command against the engine (never on the UI task).
pub async fn execute(
    engine: &Engine,
    api: ApiKind,
    sim_base: Option<&str>,
    http: &reqwest::Client,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmd: Command,
) -> Option<AppEvent> {
    execute_with_progress(engine, api, sim_base, http, paper, staff, cmd, None).await
}

/// [`execute`], with `progress` receiving the intermediate events of long staff commands
/// (refund queued, X report before the reconciliation, batch progress for the gauge).
#[allow(clippy::too_many_arguments)]
pub async fn execute_with_progress(
    engine: &Engine,
    api: ApiKind,
    sim_base: Option<&str>,
    http: &reqwest::Client,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmd: Command,
    progress: Option<&mpsc::UnboundedSender<AppEvent>>,
) -> Option<AppEvent> {
    // Parked and voided baskets: the journal beside the engine.
    let cmd = match super::parked::execute(engine, cmd).await {
        Ok(ev) => return ev,
        Err(cmd) => cmd,
    };
    match cmd {
        cmd @ (Command::FindSales { .. }
        | Command::LoadRefund { .. }
        | Command::Refund { .. }
        | Command::LoadReturn { .. }
        | Command::Return { .. }
        | Command::ReturnWithoutReceipt { .. }
        | Command::XReport { .. }
        | Command::CloseDay { .. }
        | Command::RecordCash { .. }
        | Command::AcknowledgeOutbox { .. }
        | Command::LoadBatch { .. }
        | Command::RunBatch { .. }
        | Command::ReprintRefund { .. }
        | Command::PrintReport { .. }
        | Command::PrintStoredZ { .. }) => execute_staff(engine, paper, staff, cmd, progress).await,
        Command::VerifyManagerPin {
            request_id,
            pin,
            permission,
        } => Some(verify_manager_pin(staff, request_id, pin, permission, engine.now()).await),
        Command::Login { request_id, pin } => {
            let (ev, warning) = login_at_till_warned(staff, request_id, pin, engine.now()).await;
            // A short manager PIN: logged in first, then the warning on screen.
            match (warning, progress) {
                (Some(w), Some(tx)) => {
                    let _ = tx.send(ev);
                    Some(AppEvent::Error(w))
                }
                _ => Some(ev),
            }
        }
        Command::Logout { staff_id } => {
            let db = match staff {
                Ok(db) => db,
                Err(t) => return Some(AppEvent::Error(t.clone())),
            };
            let now = engine.now();
            match db.run(move |db| db.logout_staff(&staff_id, now)).await {
                Ok(()) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::StartPayment {
            basket,
            method,
            staff_id,
        } => {
            let req = match vipps_sale_request(api, &basket, method, staff_id) {
                Ok(r) => r,
                Err(t) => return Some(AppEvent::Error(t)),
            };
            match engine.start_payment(req).await {
                Ok(_) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::PayByQr { reference } => match engine.payment_id(&reference) {
            Some(id) => match engine.retry_as_qr(id).await {
                Ok(_) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            },
            None => Some(AppEvent::Error(Text::new(
                format!("Fant ikke betalingen {reference}."),
                format!("Payment {reference} not found."),
            ))),
        },
        Command::CancelPayment { reference } => with_payment(engine, &reference, |id| {
            engine.cancel_payment(id).map_err(|e| e.message())
        }),
        Command::CompleteAfterCancel { reference } => with_payment(engine, &reference, |id| {
            engine
                .resolve_after_cancel(
                    id,
                    Resolution::Complete,
                    "cashier",
                    "customer approved during abort; cashier completed the sale",
                )
                .map_err(|e| e.message())
        }),
        Command::VoidAfterCancel { reference } => with_payment(engine, &reference, |id| {
            engine
                .resolve_after_cancel(
                    id,
                    Resolution::Void,
                    "cashier",
                    "customer approved during abort; cashier voided the sale",
                )
                .map_err(|e| e.message())
        }),
        Command::Customer { reference, action } => {
            let base = sim_base?;
            let what = match action {
                SimCustomerAction::Open => "open",
                SimCustomerAction::Approve => "approve",
                SimCustomerAction::Reject => "reject",
            };
            let url = format!("{base}/sim/v1/customer/{reference}/{what}");
            match http.post(url).send().await {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    Some(AppEvent::Error(Text::new(
                        format!("Simulatoren svarte {status}: {body}"),
                        format!("The simulator answered {status}: {body}"),
                    )))
                }
                Err(e) => Some(AppEvent::Error(Text::new(
                    format!("Simulatoren svarer ikke: {e}"),
                    format!("The simulator does not answer: {e}"),
                ))),
            }
        }
        Command::ReprintReceipt { reference } => match paper {
            Some(p) => p.reprint(&reference).await,
            None => Some(AppEvent::Error(
                crate::receipt::printer::PrintError::NoPrinter.text(),
            )),
        },
        Command::CashSale {
            basket,
            received,
            staff_id,
        } => {
            let req = match NewSaleRequest::from_basket(&basket, PayMethod::Qr, api, None) {
                Ok(r) => r.sold_by(staff_id),
                Err(e) => return Some(AppEvent::CashSale(Err(e.message()))),
            };
            match engine.record_cash_sale(req, received).await {
                Ok(ids) => {
                    let currency = received.currency();
                    if let Some(p) = paper {
                        // The receipt (with the drawer pulse) prints on its own task.
                        let (p, store) = (p.clone(), engine.store());
                        let sale_id = ids.sale_id;
                        tokio::spawn(async move {
                            if let Some(ev) = p.print_cash(&store, sale_id, received).await {
                                p.notify(ev);
                            }
                        });
                    }
                    Some(AppEvent::CashSale(Ok(crate::tui::msg::CashSaleDone {
                        receipt_number: ids.receipt_number,
                        // The exact total (the journal rounded it for the cash).
                        total: Money::new(
                            ids.cash_given - ids.change - ids.cash_rounding,
                            currency,
                        ),
                        received: Money::new(ids.cash_given, currency),
                        change: Money::new(ids.change, currency),
                    })))
                }
                Err(e) => Some(AppEvent::CashSale(Err(e.message()))),
            }
        }
        Command::StartSplitPayment {
            basket,
            method,
            cash,
            staff_id,
        } => {
            let req = match vipps_sale_request(api, &basket, method, staff_id) {
                Ok(r) => r,
                Err(t) => return Some(AppEvent::Error(t)),
            };
            match engine.start_split_payment(req, cash).await {
                Ok(_) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::OpenDrawer => match paper {
            Some(p) => p.open_drawer().await,
            None => Some(AppEvent::Error(
                crate::receipt::printer::PrintError::NoPrinter.text(),
            )),
        },
        Command::SaveKioskLockout {
            failures,
            locked_until,
        } => {
            let saved = engine
                .store()
                .run(move |s| s.set_kiosk_lockout(failures, locked_until))
                .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, "kiosk PIN lockout not saved");
            }
            None
        }
        Command::Journal { event, staff_id } => {
            let db = match staff {
                Ok(db) => db,
                Err(t) => return Some(AppEvent::Error(t.clone())),
            };
            let (kind, detail) = till_event_entry(&event);
            let now = engine.now();
            match db
                .run(move |db| db.journal_event(kind, staff_id.as_deref(), &detail, now))
                .await
            {
                Ok(()) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::Quit => None,
        // Answered by `parked::execute` above.
        Command::ParkBasket { .. }
        | Command::ResumeParked { .. }
        | Command::VoidBasket { .. }
        | Command::ListParked => None,
    }
}

fn with_payment(
    engine: &Engine,
    reference: &str,
    f: impl FnOnce(i64) -> Result<(), Text>,
) -> Option<AppEvent> {
    match engine.payment_id(reference) {
        Some(id) => f(id).err().map(AppEvent::Error),
        None => Some(AppEvent::Error(Text::new(
            format!("Fant ikke betalingen {reference}."),
            format!("Payment {reference} not found."),
        ))),
    }
}

/// Money in the shop's currency parsed from cashier input (`49,90`, `kr 49`).
pub fn parse_amount(input: &str, cfg: &Config) -> Result<Money, Text> {
    Money::parse_input(input, cfg.shop.currency).map_err(|e| e.text())
}

/// The journal's code and text of a till event (English detail, as the rest of the journal).
fn till_event_entry(
    event: &crate::tui::TillEvent,
) -> (crate::fiscal::saft::codes::EventKind, String) {
    use crate::fiscal::saft::codes::EventKind;
    use crate::tui::TillEvent;
    // Line corrections (§ 2-8-2 s) are 13999 events whose text is JSON with `correction` and
    // `amount_minor`: the X/Z report counts and sums them from there.
    let detail = match event {
        TillEvent::LineDeleted {
            name,
            quantity,
            total,
        } => serde_json::json!({
            "correction": "line_deleted",
            "text": format!("line deleted before completion: {name}, {quantity}, {total}"),
            "name": name,
            "quantity": quantity,
            "amount_minor": total.minor(),
            "currency": total.currency().code(),
        }),
        TillEvent::QuantityReduced {
            name,
            from,
            to,
            amount,
        } => serde_json::json!({
            "correction": "quantity_reduced",
            "text": format!("quantity lowered before completion: {name}, {from} -> {to}, {amount}"),
            "name": name,
            "from": from,
            "to": to,
            "amount_minor": amount.minor(),
            "currency": amount.currency().code(),
        }),
        TillEvent::PriceLookup { code, name, price } => {
            return (
                EventKind::PriceLookup,
                format!(
                    "price look-up {code} \"{name}\": {} {} (shown, not added)",
                    price.to_plain(),
                    price.currency().code()
                ),
            );
        }
    };
    (EventKind::Other, detail.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_look_up_is_journaled_as_13022() {
        let (kind, detail) = till_event_entry(&crate::tui::TillEvent::PriceLookup {
            code: "1002".into(),
            name: "Cola".into(),
            price: Money::nok(3290),
        });
        assert_eq!(kind.code().predefined, Some("13022"));
        assert_eq!(
            detail,
            "price look-up 1002 \"Cola\": 32.90 NOK (shown, not added)"
        );
    }

    #[test]
    fn digits_are_phones_and_anything_else_is_a_personal_qr() {
        assert_eq!(
            customer_of(ApiKind::Epayment, "+47 912 34 567"),
            Ok(CustomerId::Phone("4791234567".into()))
        );
        assert_eq!(
            customer_of(ApiKind::Ecom, "91234567"),
            Ok(CustomerId::Phone("91234567".into()))
        );
        let qr = "https://qr.vipps.no/p/AbC123?x=1";
        assert_eq!(
            customer_of(ApiKind::Epayment, qr),
            Ok(CustomerId::PersonalQr(qr.into()))
        );
        assert!(customer_of(ApiKind::Ecom, qr).is_err());
    }
}
