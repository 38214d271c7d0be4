//! Bad input never panics and errors name the field: cashier amounts, phone numbers, config
//! files (random and mutated TOML), and Vipps answers (random, truncated, wrong-typed JSON) into
//! the API response types, the error-body parser and the engine's read mapping.
//!
//! More cases: `PROPTEST_CASES=5000 cargo test --test proptest_input`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kasse::api::validate::normalize_msisdn;
use kasse::config::{Config, ConfigError};
use kasse::domain::money::{Currency, Money};
use proptest::prelude::*;
use serde_json::{Value, json};

// ------------------------------------------------------------------------------------------
// Amounts
// ------------------------------------------------------------------------------------------

fn currencies() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::Nok),
        Just(Currency::Dkk),
        Just(Currency::Eur)
    ]
}

/// Cashier-like input: digits, separators, currency words, junk.
fn amount_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,6}",
        Just(",".to_owned()),
        Just(".".to_owned()),
        Just(" ".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("kr".to_owned()),
        Just("NOK".to_owned()),
        Just("€".to_owned()),
        Just("-".to_owned()),
        Just("+".to_owned()),
        Just("e".to_owned()),
        Just("٣".to_owned()),
        "[0-9]{15,25}",
        ".{0,3}",
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

fn group_thousands(n: i64, sep: &str) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

proptest! {
    #[test]
    fn amount_parsing_never_panics_and_errors_name_the_amount(
        s in prop_oneof![amount_like(), any::<String>()],
        cur in currencies(),
    ) {
        match Money::parse_input(&s, cur) {
            Ok(m) => {
                prop_assert!(m.minor() >= 0, "{s:?} parsed to a negative {m:?}");
                prop_assert_eq!(m.currency(), cur);
            }
            Err(e) => {
                let t = e.text();
                prop_assert!(t.en.starts_with("Amount:"), "{s:?}: {}", t.en);
                prop_assert!(t.nb.starts_with("Beløp:"), "{s:?}: {}", t.nb);
                prop_assert!(e.to_string().starts_with("Amount:"));
            }
        }
    }

    #[test]
    fn amounts_as_cashiers_type_them_round_trip(
        kroner in 0i64..10_000_000_000,
        ore in 0i64..100,
        sep in prop_oneof![Just(""), Just(" ")],
        prefix in prop_oneof![Just(""), Just("kr "), Just("kr")],
    ) {
        let s = format!("{prefix}{},{ore:02}", group_thousands(kroner, sep));
        let m = Money::parse_input(&s, Currency::Nok);
        prop_assert_eq!(m.map(|m| m.minor()), Ok(kroner * 100 + ore), "input {:?}", s);
    }
}

// ------------------------------------------------------------------------------------------
// Phone numbers
// ------------------------------------------------------------------------------------------

fn phone_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,4}",
        Just("+".to_owned()),
        Just("00".to_owned()),
        Just(" ".to_owned()),
        Just("-".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(".".to_owned()),
        Just("\u{a0}".to_owned()),
        ".{0,2}",
    ];
    proptest::collection::vec(piece, 0..10).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn phone_parsing_never_panics_and_errors_name_the_field(
        s in prop_oneof![phone_like(), any::<String>()],
    ) {
        match normalize_msisdn(&s) {
            Ok(msisdn) => {
                prop_assert!(msisdn.chars().all(|c| c.is_ascii_digit()), "{s:?} -> {msisdn}");
                prop_assert!((10..=15).contains(&msisdn.len()), "{s:?} -> {msisdn}");
                prop_assert!(!msisdn.starts_with('0'), "{s:?} -> {msisdn}");
            }
            Err(e) => {
                prop_assert_eq!(e.field.as_str(), "customer.phoneNumber");
                prop_assert!(!e.text.en.is_empty() && !e.text.nb.is_empty());
                prop_assert!(e.to_string().starts_with("customer.phoneNumber"));
            }
        }
    }

    #[test]
    fn norwegian_numbers_in_any_common_form_normalise(
        first in prop_oneof![Just('4'), Just('9')],
        rest in "[0-9]{7}",
        form in 0usize..5,
    ) {
        let n = format!("{first}{rest}");
        let s = match form {
            0 => n.clone(),
            1 => format!("+47 {} {} {}", &n[..3], &n[3..5], &n[5..]),
            2 => format!("0047{n}"),
            3 => format!("47{n}"),
            _ => format!("+47-{}-{}", &n[..4], &n[4..]),
        };
        prop_assert_eq!(normalize_msisdn(&s).unwrap(), format!("47{n}"));
    }
}

// ------------------------------------------------------------------------------------------
// Config files
// ------------------------------------------------------------------------------------------

const EXAMPLE: &str = include_str!("../config.example.toml");

fn no_env(_: &str) -> Option<String> {
    None
}

/// (line index, key) of every `key = value` line of the example config.
fn example_keys() -> Vec<(usize, String)> {
    EXAMPLE
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.trim();
            if l.starts_with('#') || l.starts_with('[') {
                return None;
            }
            let (k, _) = l.split_once('=')?;
            Some((i, k.trim().to_owned()))
        })
        .collect()
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-zA-Z0-9 :/._-]{0,20}".prop_map(|s| format!("{s:?}")),
        Just("[]".to_owned()),
        Just("[1, \"x\"]".to_owned()),
        Just("{ a = 1 }".to_owned()),
        Just("1.5".to_owned()),
        Just("\"\"".to_owned()),
        Just("-1".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
    ]
}

fn config_error_names_a_key(e: &ConfigError, key: &str) -> bool {
    let shown = e.to_string();
    match e {
        ConfigError::Invalid { key: k, .. } | ConfigError::Missing { key: k, .. } => {
            !k.is_empty() && shown.contains(k.as_str())
        }
        _ => shown.contains(key),
    }
}

proptest! {
    #[test]
    fn the_example_config_loads(_x in 0..1u8) {
        let c = Config::from_toml_str(EXAMPLE, &no_env);
        prop_assert!(c.is_ok(), "{:?}", c.err());
    }

    #[test]
    fn random_text_as_config_never_panics(s in any::<String>()) {
        if let Err(e) = Config::from_toml_str(&s, &no_env) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn a_wrong_value_in_the_config_names_its_key(
        pick in any::<prop::sample::Index>(),
        value in toml_value(),
    ) {
        let keys = example_keys();
        let (line, key) = &keys[pick.index(keys.len())];
        let text: Vec<String> = EXAMPLE
            .lines()
            .enumerate()
            .map(|(i, l)| if i == *line { format!("{key} = {value}") } else { l.to_owned() })
            .collect();
        let text = text.join("\n");
        if let Err(e) = Config::from_toml_str(&text, &no_env) {
            prop_assert!(
                config_error_names_a_key(&e, key),
                "setting {key} = {value} gave an error naming no key: {e}"
            );
        }
    }

    #[test]
    fn an_unknown_key_is_named(
        pick in any::<prop::sample::Index>(),
        name in "[a-z_]{3,12}",
    ) {
        let keys = example_keys();
        let (line, _) = &keys[pick.index(keys.len())];
        let key = format!("zz_{name}");
        let text: Vec<String> = EXAMPLE
            .lines()
            .enumerate()
            .flat_map(|(i, l)| {
                if i == *line {
                    vec![l.to_owned(), format!("{key} = 1")]
                } else {
                    vec![l.to_owned()]
                }
            })
            .collect();
        let e = Config::from_toml_str(&text.join("\n"), &no_env);
        prop_assert!(e.is_err(), "unknown key {key} accepted");
        let shown = e.err().unwrap().to_string();
        prop_assert!(shown.contains(&key), "{shown}");
    }

    #[test]
    fn a_truncated_config_never_panics(cut in any::<prop::sample::Index>()) {
        let end = cut.index(EXAMPLE.len() + 1);
        if EXAMPLE.is_char_boundary(end) {
            let _ = Config::from_toml_str(&EXAMPLE[..end], &no_env);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Vipps answers
// ------------------------------------------------------------------------------------------

fn amount(v: i64) -> Value {
    json!({"currency": "NOK", "value": v})
}

fn epayment_sample() -> Value {
    json!({
        "aggregate": {
            "authorizedAmount": amount(4990),
            "cancelledAmount": amount(0),
            "capturedAmount": amount(4990),
            "refundedAmount": amount(0)
        },
        "amount": amount(4990),
        "state": "AUTHORIZED",
        "paymentMethod": {"type": "WALLET"},
        "profile": {},
        "pspReference": "1234567890",
        "reference": "kasse-s1-t1-000001-a1"
    })
}

fn ecom_sample() -> Value {
    json!({
        "orderId": "kasse-s1-t1-000001-a1",
        "transactionLogHistory": [
            {"amount": 4990, "operation": "CAPTURE", "operationSuccess": true,
             "timeStamp": "2026-11-21T09:00:01.000Z", "transactionId": "5001",
             "transactionText": "Kaffe", "requestId": "k2"},
            {"amount": 4990, "operation": "RESERVE", "operationSuccess": true,
             "timeStamp": "2026-11-21T09:00:00.000Z", "transactionId": "5001",
             "transactionText": "Kaffe"},
            {"amount": 4990, "operation": "INITIATE", "operationSuccess": true,
             "timeStamp": "2026-11-21T08:59:59.000Z", "transactionId": "5001",
             "transactionText": "Kaffe"}
        ],
        "transactionSummary": {
            "capturedAmount": 4990, "refundedAmount": 0,
            "remainingAmountToCapture": 0, "remainingAmountToRefund": 4990
        }
    })
}

fn psp_sample() -> Value {
    json!({
        "pspTransactionId": "psp-1",
        "merchantOrderId": "kasse-s1-t1-000001-a1",
        "transactionSummary": {
            "capturedAmount": 4990, "remainingAmountToCapture": 0,
            "refundedAmount": 0, "remainingAmountToRefund": 4990
        },
        "transactionLogHistory": [
            {"amount": 4990, "operation": "CAPTURED", "operationSuccess": true,
             "timeStamp": "2026-11-21T09:00:01.000Z"},
            {"amount": 4990, "operation": "RESERVED", "operationSuccess": true,
             "timeStamp": "2026-11-21T09:00:00.000Z"}
        ]
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop_oneof![
            Just("AUTHORIZED".to_owned()),
            Just("CAPTURE".to_owned()),
            Just("RESERVED".to_owned()),
            Just("NOK".to_owned()),
            ".{0,8}"
        ]
        .prop_map(Value::String),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value inside `v` (object keys and array indices).
fn paths(v: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(PathStep::Key(k.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn parent_mut<'a>(root: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    let mut cur = root;
    for step in &path[..path.len() - 1] {
        cur = match step {
            PathStep::Key(k) => cur.get_mut(k.as_str()).unwrap(),
            PathStep::Index(i) => cur.get_mut(*i).unwrap(),
        };
    }
    cur
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
}

fn mutate(
    base: &Value,
    pick: prop::sample::Index,
    m: &Mutation,
) -> (Value, Option<String>, Option<Vec<PathStep>>) {
    let mut all = Vec::new();
    paths(base, &mut Vec::new(), &mut all);
    let path = &all[pick.index(all.len())];
    let mut v = base.clone();
    let parent = parent_mut(&mut v, path);
    let last = path.last().unwrap();
    let removed = match (m, last) {
        (Mutation::Replace(new), PathStep::Key(k)) => {
            parent[k.as_str()] = new.clone();
            None
        }
        (Mutation::Replace(new), PathStep::Index(i)) => {
            parent[*i] = new.clone();
            None
        }
        (Mutation::Remove, PathStep::Key(k)) => {
            parent.as_object_mut().unwrap().remove(k);
            Some(k.clone())
        }
        (Mutation::Remove, PathStep::Index(i)) => {
            parent.as_array_mut().unwrap().remove(*i);
            None
        }
    };
    let replaced = matches!(m, Mutation::Replace(_)).then(|| path.clone());
    (v, removed, replaced)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => json_value().prop_map(Mutation::Replace),
        1 => Just(Mutation::Remove),
    ]
}

/// `path` the way the decoder names it: `a.b[2].c`.
fn path_name(path: &[PathStep]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            PathStep::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathStep::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// `a` is `b` or contains it (`a.b` / `a[0]` under `a`).
fn within(inner: &str, outer: &str) -> bool {
    inner == outer
        || (inner.starts_with(outer)
            && matches!(inner.as_bytes().get(outer.len()), Some(b'.' | b'[')))
}

/// Decode `text` as `T` the way the API layer does ([`kasse::wire::decode_json`]); feed
/// successes through `map`. On a missing required field the error must name it; on a
/// replaced value that does not decode, the error must name the field where it stopped, on
/// the path to (or inside) the replaced value.
fn check_decode<T: serde::de::DeserializeOwned>(
    text: &str,
    removed: Option<&str>,
    replaced: Option<&[PathStep]>,
    map: impl Fn(&T),
) -> Result<(), TestCaseError> {
    match kasse::wire::decode_json::<T>(text.as_bytes()) {
        Ok(v) => map(&v),
        Err(shown) => {
            prop_assert!(!shown.is_empty());
            if let Some(k) = removed
                && shown.contains("missing field")
            {
                prop_assert!(shown.contains(k), "removed {k}, error: {shown}");
            }
            if let Some(path) = replaced {
                let want = path_name(path);
                let named = shown
                    .strip_prefix("field `")
                    .and_then(|r| r.split_once('`'))
                    .map(|(p, _)| p.to_owned())
                    .or_else(|| {
                        shown
                            .split_once(": missing field")
                            .map(|(p, _)| p.to_owned())
                    });
                prop_assert!(
                    named.is_some(),
                    "replaced {want}, error names no field: {shown}"
                );
                let named = named.unwrap_or_default();
                prop_assert!(
                    within(&named, &want) || within(&want, &named),
                    "replaced {want}, error names {named}: {shown}"
                );
            }
        }
    }
    Ok(())
}

fn epayment_map(r: &kasse::api::epayment::GetPaymentResponse) {
    let _ = kasse::engine::vipps::epayment_state(&r.state);
    // Saturating on extreme values such as i64::MIN: never a panic.
    let _ = r.aggregate.refundable();
    let _ = r.aggregate.capturable();
}

fn ecom_map(d: &kasse::api::ecom::TransactionDetails) {
    let _ = kasse::engine::vipps::ecom_read(d);
    let _ = d.outcome();
}

fn psp_map(d: &kasse::api::psp::PaymentDetails) {
    let _ = kasse::engine::vipps::psp_read(d);
}

proptest! {
    #[test]
    fn the_samples_decode(_x in 0..1u8) {
        prop_assert!(serde_json::from_value::<kasse::api::epayment::GetPaymentResponse>(epayment_sample()).is_ok());
        prop_assert!(serde_json::from_value::<kasse::api::ecom::TransactionDetails>(ecom_sample()).is_ok());
        prop_assert!(serde_json::from_value::<kasse::api::psp::PaymentDetails>(psp_sample()).is_ok());
    }

    #[test]
    fn mutated_epayment_answers_never_panic(pick in any::<prop::sample::Index>(), m in mutation()) {
        let (v, removed, replaced) = mutate(&epayment_sample(), pick, &m);
        check_decode(&v.to_string(), removed.as_deref(), replaced.as_deref(), epayment_map)?;
    }

    #[test]
    fn mutated_ecom_answers_never_panic(pick in any::<prop::sample::Index>(), m in mutation()) {
        let (v, removed, replaced) = mutate(&ecom_sample(), pick, &m);
        check_decode(&v.to_string(), removed.as_deref(), replaced.as_deref(), ecom_map)?;
    }

    #[test]
    fn mutated_psp_answers_never_panic(pick in any::<prop::sample::Index>(), m in mutation()) {
        let (v, removed, replaced) = mutate(&psp_sample(), pick, &m);
        check_decode(&v.to_string(), removed.as_deref(), replaced.as_deref(), psp_map)?;
    }

    #[test]
    fn truncated_answers_are_errors_not_panics(cut in any::<prop::sample::Index>(), which in 0usize..3) {
        let full = [epayment_sample(), ecom_sample(), psp_sample()][which].to_string();
        let end = cut.index(full.len());
        let text = &full[..end];
        let ok = match which {
            0 => serde_json::from_str::<kasse::api::epayment::GetPaymentResponse>(text).is_ok(),
            1 => serde_json::from_str::<kasse::api::ecom::TransactionDetails>(text).is_ok(),
            _ => serde_json::from_str::<kasse::api::psp::PaymentDetails>(text).is_ok(),
        };
        prop_assert!(!ok, "a truncated answer decoded: {text}");
    }

    #[test]
    fn random_json_into_the_answer_types_never_panics(v in json_value()) {
        let text = v.to_string();
        check_decode(&text, None, None, epayment_map)?;
        check_decode(&text, None, None, ecom_map)?;
        check_decode(&text, None, None, psp_map)?;
    }

    #[test]
    fn error_bodies_of_any_shape_are_parsed_without_panic(
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..200),
        ],
        status in 100u16..600,
        api in 0usize..5,
    ) {
        let api = [
            kasse::api::Api::Epayment,
            kasse::api::Api::Ecom,
            kasse::api::Api::Psp,
            kasse::api::Api::OrderManagement,
            kasse::api::Api::AccessToken,
        ][api];
        let e = kasse::api::ApiError::from_response(api, status, &body);
        prop_assert!(!e.to_string().is_empty());
    }
}
