#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Error mapping: every documented code of every API parses from its wire format and gets a
//! specific cashier message in nb and en; the formats are all understood; outcome semantics.

use kasse::api::error::{
    Api, ApiError, ECOM_MERCHANT_CODES, ECOM_PAYMENT_CODES, ECOM_USER_CODES, ECOM_VIPPS_CODES,
    EPAYMENT_CODES, EpaymentProblem, PSP_CODES,
};
use serde_json::json;

fn bytes(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn generic(api: Api, status: u16) -> kasse::lang::Text {
    ApiError::from_response(api, status, b"").cashier_message()
}

fn check_specific(e: &ApiError, what: &str) {
    let m = e.cashier_message();
    assert!(!m.nb.trim().is_empty() && !m.en.trim().is_empty(), "{what}");
    assert_ne!(
        m,
        generic(e.api, e.status.unwrap()),
        "{what} falls back to the generic text"
    );
}

#[test]
fn every_epayment_code() {
    assert!(EPAYMENT_CODES.len() >= 60);
    for code in EPAYMENT_CODES {
        let body =
            EpaymentProblem::with_code(400, code.parse().unwrap(), "Bad Request", "trace-42");
        let e = ApiError::from_response(Api::Epayment, 400, &serde_json::to_vec(&body).unwrap());
        assert_eq!(e.code.as_deref(), Some(*code));
        assert_eq!(e.trace_id.as_deref(), Some("trace-42"));
        check_specific(&e, code);
    }
}

#[test]
fn every_ecom_code_by_group() {
    for (group, codes) in [
        ("Payment", ECOM_PAYMENT_CODES),
        ("VippsError", ECOM_VIPPS_CODES),
        ("User", ECOM_USER_CODES),
        ("Merchant", ECOM_MERCHANT_CODES),
    ] {
        for code in codes {
            let body = json!([{"errorGroup": group, "errorCode": code, "errorMessage": "m", "contextId": "ctx-1"}]);
            let e = ApiError::from_response(Api::Ecom, 400, &bytes(body));
            assert_eq!(e.group.as_deref(), Some(group));
            assert_eq!(e.code.as_deref(), Some(*code));
            assert_eq!(e.trace_id.as_deref(), Some("ctx-1"));
            check_specific(&e, &format!("{group} {code}"));
        }
    }
    assert_eq!(
        ECOM_PAYMENT_CODES.len()
            + ECOM_VIPPS_CODES.len()
            + ECOM_USER_CODES.len()
            + ECOM_MERCHANT_CODES.len(),
        37
    );
}

#[test]
fn ecom_error_constructor_round_trips() {
    use kasse::api::error::{EcomError, EcomErrorGroup};
    let body = vec![EcomError::new(
        EcomErrorGroup::Merchant,
        "38",
        "Not allowed to skip landing page",
    )];
    let e = ApiError::from_response(Api::Ecom, 400, &serde_json::to_vec(&body).unwrap());
    assert_eq!(
        (e.group.as_deref(), e.code.as_deref()),
        (Some("Merchant"), Some("38"))
    );
}

#[test]
fn every_psp_code() {
    for code in PSP_CODES {
        let body = json!([{"errorCode": code, "errorMessage": "m", "contextId": "ctx"}]);
        let e = ApiError::from_response(Api::Psp, 400, &bytes(body));
        assert_eq!(e.code.as_deref(), Some(*code));
        check_specific(&e, code);
    }
}

#[test]
fn messages_the_issue_names() {
    let ep = |code: u32| {
        let b = EpaymentProblem::with_code(400, code, "x", "t");
        ApiError::from_response(Api::Epayment, 400, &serde_json::to_vec(&b).unwrap())
            .cashier_message()
    };
    let ec = |group: &str, code: &str| {
        ApiError::from_response(
            Api::Ecom,
            400,
            &bytes(json!([{"errorGroup": group, "errorCode": code, "errorMessage": "m"}])),
        )
        .cashier_message()
    };
    // 7010 / 81 never say "wrong number"
    for m in [ep(7010), ec("User", "81")] {
        let all = format!("{} {}", m.nb, m.en).to_lowercase();
        assert!(
            !all.contains("wrong number")
                && !all.contains("feil nummer")
                && !all.contains("invalid number"),
            "{all}"
        );
    }
    // 5080 / 38: push not enabled for this sales unit, suggest QR
    for m in [ep(5080), ec("Merchant", "38")] {
        assert!(
            m.en.contains("not enabled") && m.en.contains("QR"),
            "{}",
            m.en
        );
        assert!(
            m.nb.contains("ikke aktivert") && m.nb.contains("QR"),
            "{}",
            m.nb
        );
    }
    // 6040 / 51: use refund
    assert!(ep(6040).en.contains("refund") && ep(6040).nb.contains("refusjon"));
    assert!(ec("Payment", "51").en.contains("refund"));
    // 51 in the Merchant group means something else
    assert!(!ec("Merchant", "51").en.contains("refund"));
}

#[test]
fn gateway_and_om_formats() {
    let e = ApiError::from_response(
        Api::Epayment,
        401,
        &bytes(
            json!({"statusCode": 401, "message": "Access denied due to invalid subscription key."}),
        ),
    );
    assert_eq!(e.detail, "Access denied due to invalid subscription key.");
    assert!(e.cashier_message().en.contains("keys"));
    let e = ApiError::from_response(
        Api::Ecom,
        429,
        &bytes(
            json!({"responseInfo": {"responseCode": 429, "responseMessage": "Too many"}, "result": {"message": "Rate limit is exceeded"}}),
        ),
    );
    assert_eq!(e.code.as_deref(), Some("429"));
    assert_eq!(e.detail, "Rate limit is exceeded");
    assert!(e.cashier_message().en.contains("Too many requests"));
    let e = ApiError::from_response(
        Api::OrderManagement,
        400,
        &bytes(json!({"type": "about:blank", "title": "Bad Request",
        "detail": "Validation failed", "instance": "inst-1",
        "invalidParams": [{"name": "orderLines[0].totalTaxAmount", "reason": "Total amount - total amount excluding tax don't match"}]})),
    );
    assert_eq!(e.code.as_deref(), Some("orderLines[0].totalTaxAmount"));
    assert!(e.detail.contains("don't match"));
    assert_eq!(e.trace_id.as_deref(), Some("inst-1"));
    let e = ApiError::from_response(Api::OrderManagement, 409, b"");
    assert!(e.cashier_message().en.contains("already stored"));
    let e = ApiError::from_response(
        Api::Ecom,
        400,
        &bytes(
            json!([{"errorGroup": "InvalidRequest", "errorCode": "transaction.amount", "errorMessage": "Invalid"}]),
        ),
    );
    assert!(e.cashier_message().en.contains("transaction.amount"));
    let e = ApiError::from_response(
        Api::Epayment,
        500,
        b"<html>APIM Internal Server Error</html>",
    );
    assert!(e.detail.contains("APIM"));
    assert!(e.is_server_error());
}

#[test]
fn outcome_semantics_table() {
    let http =
        |api, status: u16, body: serde_json::Value, money: bool, keyed: bool, maybe: bool| {
            ApiError::from_response(api, status, &bytes(body)).with_context(money, keyed, maybe)
        };
    let p =
        |code: u32| serde_json::to_value(EpaymentProblem::with_code(400, code, "x", "t")).unwrap();
    // (error, outcome_unknown, is_rejection)
    let cases: Vec<(ApiError, bool, bool)> = vec![
        (
            http(Api::Epayment, 400, p(6040), true, true, false),
            false,
            true,
        ),
        (
            http(Api::Epayment, 400, p(6040), true, true, true),
            false,
            true,
        ), // keyed: 4xx is authoritative
        (
            http(Api::Epayment, 500, json!({}), true, true, true),
            true,
            false,
        ),
        (
            http(Api::Epayment, 500, json!({}), false, false, true),
            false,
            false,
        ), // a read
        (
            http(Api::Epayment, 409, p(6160), true, true, false),
            true,
            false,
        ),
        (
            http(Api::Epayment, 429, json!({}), true, true, false),
            false,
            false,
        ),
        (
            http(
                Api::Ecom,
                400,
                json!([{"errorGroup":"Merchant","errorCode":"34","errorMessage":"dup"}]),
                true,
                false,
                true,
            ),
            true,
            false,
        ),
        (
            http(
                Api::Ecom,
                400,
                json!([{"errorGroup":"Merchant","errorCode":"34","errorMessage":"dup"}]),
                true,
                false,
                false,
            ),
            false,
            true,
        ),
        (
            http(
                Api::Ecom,
                400,
                json!([{"errorGroup":"Payment","errorCode":"63","errorMessage":"?"}]),
                true,
                true,
                false,
            ),
            true,
            false,
        ),
        (
            ApiError::timeout(Api::Epayment, "t").with_context(true, true, true),
            true,
            false,
        ),
        (
            ApiError::transport(Api::Epayment, true, "refused").with_context(true, true, false),
            false,
            false,
        ),
        (
            ApiError::transport(Api::Epayment, false, "reset").with_context(true, true, true),
            true,
            false,
        ),
        (
            ApiError::decode(Api::Epayment, 201, "bad json").with_context(true, true, true),
            true,
            false,
        ),
    ];
    for (i, (e, unknown, rejection)) in cases.into_iter().enumerate() {
        assert_eq!(e.outcome_unknown(), unknown, "case {i}: {e:?}");
        assert_eq!(e.is_rejection(), rejection, "case {i}: {e:?}");
        let m = e.cashier_message();
        assert!(!m.nb.is_empty() && !m.en.is_empty());
        if unknown {
            assert!(
                m.en.contains("checking") || m.en.contains("check"),
                "case {i}: {}",
                m.en
            );
        }
    }
    let offline = ApiError::transport(Api::Epayment, true, "connection refused");
    assert!(offline.is_offline());
    assert!(!ApiError::timeout(Api::Epayment, "t").is_offline());
}
