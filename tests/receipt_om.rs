#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Order Management payload builders: spec validation, the receipt identity, the logo checks.

mod common;
use common::api as api_support;
use common::receipts as receipt_fixtures;
// The api helper's spec validation (ePayment `receipt` resolves to the OM schemas there).

use kasse::api::order_management::{OrderLine, Receipt};
use kasse::domain::money::Money;
use kasse::receipt::ReceiptSettings;
use kasse::receipt::model::Tender;
use kasse::receipt::om::{
    self, ImageError, ImageFormat, OmError, check_image, check_lines, load_logo,
};
use receipt_fixtures::*;
use serde_json::{Value, json};
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------
// Spec validation
// ---------------------------------------------------------------------------------------------

/// The OM spec's `components`, or `None` (test skipped) when the specs are not there.
fn om_components() -> Option<Value> {
    let dir = std::env::var("KASSE_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/specs"));
    let path = dir.join("order-management.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} missing and CI is set; set KASSE_SPECS_DIR",
            path.display()
        );
        println!(
            "skipped: {} not found (set KASSE_SPECS_DIR)",
            path.display()
        );
        return None;
    };
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut v: Value = serde_json::to_value(yaml).unwrap();
    let mut comps = v["components"].take();
    strict(&mut comps);
    Some(comps)
}

/// Make every object schema reject properties it does not declare, so a misspelt field fails.
fn strict(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (_, x) in m.iter_mut() {
                strict(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}

fn validate(components: &Value, schema: &str, instance: &Value) -> Vec<String> {
    let root = json!({
        "$ref": format!("#/components/schemas/{schema}"),
        "components": components,
    });
    let validator = jsonschema::draft7::new(&root).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn cfg() -> ReceiptSettings {
    ReceiptSettings {
        order_details_url: Some("https://bakeri-ost.example/kvittering".into()),
        ..ReceiptSettings::default()
    }
}

#[test]
fn receipts_validate_against_the_spec() {
    let Some(c) = om_components() else { return };
    for sale in [normal_sale(), split_sale(), refund_sale()] {
        let r = om::receipt(&sale, &cfg()).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        let errors = validate(&c, "Receipt", &v);
        assert!(errors.is_empty(), "{errors:#?}\n{v:#}");
        // Also through the api helper, as the OM body and inside an ePayment create request.
        api_support::assert_schema("order-management.yaml", "Receipt", &v);
        let mut create = json!({
            "amount": {"currency": "NOK", "value": 1000},
            "paymentMethod": {"type": "WALLET"},
            "reference": "kasse-s1-t1-000042-a1",
            "userFlow": "PUSH_MESSAGE",
            "customer": {"phoneNumber": "4791234567"},
            "receipt": v,
        });
        if let Some(errs) =
            api_support::schema_errors("epayment-v1.yaml", "CreatePaymentRequest", &create)
        {
            assert!(errs.is_empty(), "{errs:#?}");
        }
        create["receipt"]["bottomLine"]["currency"] = json!("SEK");
        if let Some(errs) =
            api_support::schema_errors("epayment-v1.yaml", "CreatePaymentRequest", &create)
        {
            assert!(!errs.is_empty(), "SEK must be rejected");
        }
    }
    // The validator is not vacuous: a misspelt field and a missing required one fail.
    let mut v = serde_json::to_value(om::receipt(&normal_sale(), &cfg()).unwrap()).unwrap();
    v["bottomLine"]["receiptNo"] = json!("1");
    v["orderLines"][0]
        .as_object_mut()
        .unwrap()
        .remove("totalTaxAmount");
    assert_eq!(validate(&c, "Receipt", &v).len(), 2);
}

#[test]
fn category_and_image_validate_against_the_spec() {
    let Some(c) = om_components() else { return };
    let logo =
        load_logo(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/logo.png")).unwrap();
    let order = om::category(&cfg(), Some(&logo.image_id)).unwrap().unwrap();
    let v = serde_json::to_value(&order).unwrap();
    assert_eq!(v["category"], "RECEIPT");
    assert!(validate(&c, "Order", &v).is_empty(), "{v}");
    let img = serde_json::to_value(logo.payload()).unwrap();
    assert!(validate(&c, "Image", &img).is_empty());
    assert_eq!(img["type"], "base64");
}

// ---------------------------------------------------------------------------------------------
// Receipt contents
// ---------------------------------------------------------------------------------------------

#[test]
fn normal_receipt_contents() {
    let s = normal_sale();
    let r: Receipt = om::receipt(&s, &cfg()).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    let bl = &v["bottomLine"];
    assert_eq!(bl["currency"], "NOK");
    assert_eq!(bl["posId"], "t1");
    assert_eq!(bl["receiptNumber"], "00000042");
    assert_eq!(bl["tipAmount"], 2000);
    assert_eq!(
        bl["barcode"],
        json!({"format": "CODE 128", "data": "00000042"})
    );
    // Everything paid with Vipps: no paymentSources.
    assert!(bl.get("paymentSources").is_none());
    assert_eq!(r.order_lines.len(), 4);
    let l0 = &v["orderLines"][0];
    assert_eq!(l0["taxRate"], 2500);
    assert_eq!(
        l0["unitInfo"],
        json!({"unitPrice": 4500, "quantity": "2", "quantityUnit": "PCS"})
    );
    assert_eq!(v["orderLines"][1]["discount"], 600);
    assert_eq!(v["orderLines"][1]["taxRate"], 1500);
    assert_eq!(v["orderLines"][2]["unitInfo"]["quantity"], "0.45");
    assert_eq!(v["orderLines"][2]["unitInfo"]["quantityUnit"], "KG");
    // Σ lines == basket gross; every line satisfies the identity.
    let sum: i64 = r.order_lines.iter().map(|l| l.total_amount).sum();
    assert_eq!(sum, gross(&s.basket).minor());
    assert!(r.order_lines.iter().all(OrderLine::identity_holds));
}

#[test]
fn split_tender_payment_sources() {
    let s = split_sale();
    let r = om::receipt(&s, &cfg()).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    let cash = s.tenders[2].amount.minor();
    assert_eq!(
        v["bottomLine"]["paymentSources"],
        json!({"card": 5000, "cash": cash})
    );
    assert!(v["bottomLine"].get("tipAmount").is_none());
}

#[test]
fn refund_lines_are_flagged_not_negative() {
    let r = om::receipt(&refund_sale(), &cfg()).unwrap();
    for l in &r.order_lines {
        assert_eq!(l.is_return, Some(true));
        assert!(l.total_amount >= 0 && l.total_tax_amount >= 0);
    }
}

#[test]
fn barcode_is_configurable() {
    let c = ReceiptSettings {
        app_barcode: false,
        ..cfg()
    };
    let r = om::receipt(&normal_sale(), &c).unwrap();
    assert!(r.bottom_line.barcode.is_none());
}

#[test]
fn identity_violation_is_an_error_not_a_panic() {
    let r = om::receipt(&normal_sale(), &cfg()).unwrap();
    let mut lines = r.order_lines.clone();
    lines[1].total_tax_amount += 1;
    let e = check_lines(&lines).unwrap_err();
    assert!(matches!(e, OmError::Identity { index: 1, .. }), "{e:?}");
    let t = e.text();
    assert!(t.nb.contains("Skolebolle") && t.en.contains("totalTaxAmount"));

    let mut lines = r.order_lines;
    lines[0].total_amount = -1;
    assert!(matches!(
        check_lines(&lines).unwrap_err(),
        OmError::Negative {
            index: 0,
            field: "totalAmount",
            ..
        }
    ));
}

#[test]
fn tender_mismatch_blocks_the_receipt() {
    let mut s = normal_sale();
    s.tenders.push(Tender::card(Money::nok(100)));
    assert!(matches!(
        om::receipt(&s, &cfg()).unwrap_err(),
        OmError::Sale(_)
    ));
}

#[test]
fn category_config() {
    // No URL configured: no category.
    assert_eq!(
        om::category(&ReceiptSettings::default(), None).unwrap(),
        None
    );
    let c = ReceiptSettings {
        category: "TICKET".into(),
        ..cfg()
    };
    let o = om::category(&c, None).unwrap().unwrap();
    assert_eq!(o.category.as_str(), "TICKET");
    assert!(o.image_id.is_none());
    let bad = ReceiptSettings {
        category: "SOCKS".into(),
        ..cfg()
    };
    let e = om::category(&bad, None).unwrap_err();
    assert!(e.to_string().contains("SOCKS") && e.text().nb.contains("SOCKS"));
    let bad_url = ReceiptSettings {
        order_details_url: Some("bakeri-ost.example".into()),
        ..cfg()
    };
    assert!(matches!(
        om::category(&bad_url, None).unwrap_err(),
        OmError::Invalid { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Logo checks
// ---------------------------------------------------------------------------------------------

fn crc32(data: &[u8]) -> u32 {
    let mut c: u32 = 0xFFFF_FFFF;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// PNG signature + IHDR (+ IEND): enough for the header check.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(&ihdr);
    v.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(b"IEND");
    v.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    v
}

/// SOI, APP0 (JFIF), DQT stub, SOF0 with the size, EOI.
fn jpeg_header(w: u16, h: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    v.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
    v.extend_from_slice(b"JFIF\0");
    v.extend_from_slice(&[1, 1, 0, 0, 1, 0, 1, 0, 0]);
    v.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x04, 0x00, 0x01]);
    v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 8]);
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

#[test]
fn the_shipped_logo_is_valid() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/logo.png");
    let logo = load_logo(&path).unwrap();
    assert_eq!(logo.format, ImageFormat::Png);
    assert!(logo.height >= 167);
    assert_eq!(logo.width, logo.height);
    assert!(logo.warnings.is_empty());
    assert!(logo.image_id.starts_with("kasse-logo-"));
    // Same bytes, same id: uploaded once, reused.
    assert_eq!(load_logo(&path).unwrap().image_id, logo.image_id);
    // The payload is the base64 of the file.
    let p = logo.payload();
    assert_eq!(p.image_id, logo.image_id);
    assert!(p.src.starts_with("iVBORw0KGgo"));
}

#[test]
fn png_checks() {
    let ok = check_image("a.png", png_header(300, 200)).unwrap();
    assert_eq!((ok.width, ok.height), (300, 200));
    assert_eq!(ok.warnings.len(), 1, "not square: warning, not failure");
    assert!(ok.warnings[0].en.contains("not square"));

    let e = check_image("small.png", png_header(100, 100)).unwrap_err();
    assert_eq!(
        e,
        ImageError::TooSmall {
            file: "small.png".into(),
            height: 100
        }
    );
    assert!(e.to_string().contains("small.png") && e.to_string().contains("167"));
    assert!(e.text().nb.contains("minst 167 px"));

    let mut broken = png_header(200, 200);
    broken[20] ^= 1;
    assert!(matches!(
        check_image("broken.png", broken).unwrap_err(),
        ImageError::Corrupt { .. }
    ));
}

#[test]
fn jpeg_checks() {
    let ok = check_image("logo.jpg", jpeg_header(400, 400)).unwrap();
    assert_eq!(ok.format, ImageFormat::Jpeg);
    assert_eq!((ok.width, ok.height), (400, 400));
    assert!(ok.warnings.is_empty());
    assert!(matches!(
        check_image("small.jpg", jpeg_header(400, 150)).unwrap_err(),
        ImageError::TooSmall { height: 150, .. }
    ));
    // SOS before any SOF: damaged.
    let mut no_sof = vec![0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
    no_sof.extend_from_slice(&[0xFF, 0xD9]);
    assert!(matches!(
        check_image("nosof.jpg", no_sof).unwrap_err(),
        ImageError::Corrupt { .. }
    ));
}

#[test]
fn not_an_image_and_too_big() {
    let e = check_image("logo.gif", b"GIF89a....".to_vec()).unwrap_err();
    assert_eq!(
        e,
        ImageError::NotImage {
            file: "logo.gif".into()
        }
    );
    assert!(e.text().nb.contains("PNG eller JPEG"));

    let mut big = png_header(512, 512);
    big.resize(2 * 1024 * 1024 + 1, 0);
    let e = check_image("big.png", big).unwrap_err();
    assert!(matches!(e, ImageError::TooBig { bytes, .. } if bytes == 2 * 1024 * 1024 + 1));
    assert!(e.to_string().contains("2 MB"));

    // Exactly 2 MB is fine.
    let mut max = png_header(512, 512);
    max.resize(2 * 1024 * 1024, 0);
    assert!(check_image("max.png", max).is_ok());

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.png");
    let e = load_logo(&missing).unwrap_err();
    assert!(matches!(e, ImageError::Read { .. }));
    assert!(e.to_string().contains("nope.png"));
}

#[test]
fn payloads_bundle() {
    let logo =
        load_logo(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/logo.png")).unwrap();
    let p = om::payloads(&split_sale(), &cfg(), Some(&logo)).unwrap();
    assert_eq!(p.image.as_ref().unwrap().image_id, logo.image_id);
    assert_eq!(
        p.category.as_ref().unwrap().image_id.as_deref(),
        Some(logo.image_id.as_str())
    );
    assert_eq!(p.receipt, om::receipt(&split_sale(), &cfg()).unwrap());
    // Without an orderDetailsUrl there is no category, so no image either.
    let p = om::payloads(&split_sale(), &ReceiptSettings::default(), Some(&logo)).unwrap();
    assert!(p.category.is_none() && p.image.is_none());
}

#[test]
fn bottom_line_and_assemble_for_engine_lines() {
    use kasse::domain::money::Currency;
    let bl = om::bottom_line(
        Currency::Nok,
        "  ",
        "00000007",
        &[
            Tender::vipps(VIPPS_REF, Money::nok(1000)),
            Tender::gift_card(Money::nok(300)),
            Tender::voucher(Money::nok(200)),
        ],
        Money::nok(0),
        true,
    )
    .unwrap();
    let v = serde_json::to_value(&bl).unwrap();
    assert!(v.get("posId").is_none() && v.get("tipAmount").is_none());
    assert_eq!(
        v["paymentSources"],
        json!({"giftCard": 300, "voucher": 200})
    );
    assert_eq!(v["barcode"]["data"], "00000007");
    // No lines: rejected with the field named.
    let e = om::assemble(vec![], bl.clone()).unwrap_err();
    assert!(e.to_string().contains("receipt.orderLines"), "{e}");
    let line = OrderLine::new("1", "Kaffe", 12500, 10000, 2500);
    let r = om::assemble(vec![line], bl).unwrap();
    if let Some(c) = om_components() {
        let errors = validate(&c, "Receipt", &serde_json::to_value(&r).unwrap());
        assert!(errors.is_empty(), "{errors:?}");
    }
    let neg = om::bottom_line(
        Currency::Nok,
        "t1",
        "1",
        &[Tender::card(Money::nok(-1))],
        Money::nok(0),
        false,
    );
    assert!(neg.is_err());
}

/// The payloads through the real Order Management client: image and a repeated receipt come
/// back 409 and count as done; the bodies on the wire are exactly the built payloads.
#[tokio::test]
async fn payloads_through_the_client_409_is_done() {
    use kasse::api::order_management::{PaymentType, Stored};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    api_support::mount_token(&server).await;
    let conflict =
        json!({"type": "conflict", "title": "Conflict", "detail": "exists", "instance": "i-1"});
    Mock::given(method("POST"))
        .and(path("/order-management/v1/images"))
        .respond_with(ResponseTemplate::new(409).set_body_json(conflict.clone()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!(
            "/order-management/v2/ECOM/categories/{VIPPS_REF}"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("ok")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/order-management/v2/ECOM/receipts/{VIPPS_REF}"
        )))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!("ok")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/order-management/v2/ECOM/receipts/{VIPPS_REF}"
        )))
        .respond_with(ResponseTemplate::new(409).set_body_json(conflict))
        .mount(&server)
        .await;

    let logo =
        load_logo(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/logo.png")).unwrap();
    let p = om::payloads(&split_sale(), &cfg(), Some(&logo)).unwrap();
    let vipps = api_support::client(&server);
    let omc = vipps.order_management();
    let img = omc.upload_image(p.image.as_ref().unwrap()).await.unwrap();
    assert_eq!(img, Stored::AlreadyExists);
    omc.put_category(&PaymentType::Ecom, VIPPS_REF, p.category.as_ref().unwrap())
        .await
        .unwrap();
    let first = omc
        .add_receipt(&PaymentType::Ecom, VIPPS_REF, &p.receipt)
        .await
        .unwrap();
    assert!(!first.is_already_exists());
    let again = omc
        .add_receipt(&PaymentType::Ecom, VIPPS_REF, &p.receipt)
        .await
        .unwrap();
    assert_eq!(again, Stored::AlreadyExists);

    let reqs = api_support::api_requests(&server).await;
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        api_support::body_json(&reqs[0]),
        serde_json::to_value(p.image.unwrap()).unwrap()
    );
    assert_eq!(
        api_support::body_json(&reqs[1]),
        serde_json::to_value(p.category.unwrap()).unwrap()
    );
    assert_eq!(
        api_support::body_json(&reqs[2]),
        serde_json::to_value(&p.receipt).unwrap()
    );
    for r in &reqs {
        api_support::assert_standard_headers(r);
    }
}
