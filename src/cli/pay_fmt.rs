//! Output formatting for the headless commands (pure; tested with fixed snapshots).

use crate::clock::rfc3339_millis;
use crate::engine::events::{PaymentSnapshot, PaymentState};
use crate::lang::Lang;

fn mmss(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// One human-readable line per state change, e.g.
/// `12:00:01 waiting_for_customer reference=kasse-s1-t1-000001-a1 open_left=4:59 approve_left=9:59`.
pub fn text_line(s: &PaymentSnapshot, lang: Lang) -> String {
    let mut line = format!(
        "{:02}:{:02}:{:02} {} reference={} amount={}",
        s.at.hour(),
        s.at.minute(),
        s.at.second(),
        s.state.code(),
        s.reference,
        s.amount.to_plain()
    );
    if let Some(o) = s.open_left {
        line.push_str(&format!(" open_left={}", mmss(o)));
    }
    if let Some(a) = s.approve_left {
        line.push_str(&format!(" approve_left={}", mmss(a)));
    }
    line.push_str(&format!(" — {}", s.state.label().get(lang)));
    if let Some(r) = &s.reason {
        line.push_str(&format!(": {}", r.get(lang)));
    }
    line
}

/// One JSON object per state change (kiosk scripts).
pub fn json_line(s: &PaymentSnapshot) -> String {
    let v = serde_json::json!({
        "time": rfc3339_millis(s.at),
        "state": s.state.code(),
        "reference": s.reference,
        "api": s.api.code(),
        "amount": s.amount.to_plain(),
        "currency": s.amount.currency().code(),
        "open_left_seconds": s.open_left,
        "approve_left_seconds": s.approve_left,
        "qr_payload": s.qr_payload,
        "reason": s.reason.as_ref().map(|r| &r.en),
        "reason_nb": s.reason.as_ref().map(|r| &r.nb),
    });
    v.to_string()
}

/// The last line of `kasse pay`, and whether the process should exit 0.
pub fn result_line(s: &PaymentSnapshot, lang: Lang) -> (String, bool) {
    if s.state == PaymentState::Paid {
        (
            format!(
                "result: paid reference={} amount={}",
                s.reference,
                s.amount.to_plain()
            ),
            true,
        )
    } else {
        let reason = s
            .reason
            .as_ref()
            .map(|r| r.get(lang).to_owned())
            .unwrap_or_else(|| s.state.label().get(lang).to_owned());
        let hint = if s.qr_fallback {
            crate::lang::Text::new(
                " — kjør på nytt med --qr i stedet for --phone",
                " — run again with --qr instead of --phone",
            )
            .get(lang)
            .to_owned()
        } else {
            String::new()
        };
        (
            format!(
                "result: {} reference={} reason={reason}{hint}",
                s.state.code(),
                s.reference,
            ),
            false,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;
    use crate::engine::events::ApiKind;
    use crate::lang::Text;

    fn snap(state: PaymentState) -> PaymentSnapshot {
        PaymentSnapshot {
            id: 1,
            sale_id: 1,
            reference: "kasse-s1-t1-000001-a1".into(),
            api: ApiKind::Epayment,
            amount: Money::nok(4990),
            captured: Money::nok(0),
            state,
            phase: state.code(),
            reason: None,
            open_left: Some(299),
            approve_left: Some(599),
            qr_payload: None,
            qr_fallback: false,
            open_signal: false,
            receipt_number: "000001".into(),
            at: time::macros::datetime!(2026-11-21 12:00:01.250 UTC),
        }
    }

    #[test]
    fn text_line_has_countdowns() {
        let l = text_line(&snap(PaymentState::WaitingForCustomer), Lang::En);
        assert_eq!(
            l,
            "12:00:01 waiting_for_customer reference=kasse-s1-t1-000001-a1 amount=49.90 open_left=4:59 approve_left=9:59 — Waiting for the customer to open"
        );
    }

    #[test]
    fn json_line_fields() {
        let v: serde_json::Value =
            serde_json::from_str(&json_line(&snap(PaymentState::WaitingForApproval))).unwrap();
        assert_eq!(v["time"], "2026-11-21T12:00:01.250Z");
        assert_eq!(v["state"], "waiting_for_approval");
        assert_eq!(v["open_left_seconds"], 299);
        assert_eq!(v["approve_left_seconds"], 599);
        assert_eq!(v["reference"], "kasse-s1-t1-000001-a1");
    }

    #[test]
    fn a_refused_push_suggests_qr() {
        let mut s = snap(PaymentState::Failed);
        s.reason = Some(Text::new("Ikke Vipps-bruker", "Not a Vipps user"));
        s.qr_fallback = true;
        let (line, ok) = result_line(&s, Lang::En);
        assert!(!ok);
        assert_eq!(
            line,
            "result: failed reference=kasse-s1-t1-000001-a1 reason=Not a Vipps user — run again with --qr instead of --phone"
        );
        assert!(
            result_line(&s, Lang::Nb)
                .0
                .ends_with("med --qr i stedet for --phone")
        );
    }

    #[test]
    fn result_lines() {
        let (l, ok) = result_line(&snap(PaymentState::Paid), Lang::En);
        assert!(ok);
        assert_eq!(
            l,
            "result: paid reference=kasse-s1-t1-000001-a1 amount=49.90"
        );
        let mut s = snap(PaymentState::Rejected);
        s.reason = Some(Text::new("Kunden avviste", "The customer rejected"));
        let (l, ok) = result_line(&s, Lang::En);
        assert!(!ok);
        assert_eq!(
            l,
            "result: rejected reference=kasse-s1-t1-000001-a1 reason=The customer rejected"
        );
    }
}
