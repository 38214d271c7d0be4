#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Access token cache: reuse, refresh before expiry, one refresh on 401; secrets never in
//! Debug output or errors.

mod common;
use api_support::*;
use common::api as api_support;
use kasse::api::access_token::AccessTokenResponse;
use kasse::clock::ManualClock;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REF: &str = "s1-t1-000300-1";

fn get_body() -> serde_json::Value {
    let a = json!({"currency": "NOK", "value": 100});
    json!({"aggregate": {"authorizedAmount": a, "cancelledAmount": a, "capturedAmount": a, "refundedAmount": a},
        "amount": a, "state": "CREATED", "paymentMethod": {"type": "WALLET"}, "profile": {},
        "pspReference": "p", "reference": REF})
}

async fn server_with_tokens(tokens: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for (i, t) in tokens.iter().enumerate() {
        let m = Mock::given(method("POST"))
            .and(path("/accesstoken/get"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(t)));
        if i + 1 < tokens.len() {
            m.up_to_n_times(1).mount(&server).await;
        } else {
            m.mount(&server).await;
        }
    }
    server
}

async fn token_fetches(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/accesstoken/get")
        .count()
}

fn bearers(reqs: &[wiremock::Request]) -> Vec<String> {
    reqs.iter()
        .map(|r| header(r, "authorization").unwrap())
        .collect()
}

#[tokio::test]
async fn token_is_reused() {
    let server = server_with_tokens(&["tok-1"]).await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(get_body()))
        .mount(&server)
        .await;
    let vipps = client(&server);
    for _ in 0..3 {
        vipps.epayment().get(REF).await.unwrap();
    }
    let clone = vipps.clone();
    clone.epayment().get(REF).await.unwrap();
    assert_eq!(token_fetches(&server).await, 1);
    assert!(
        bearers(&api_requests(&server).await)
            .iter()
            .all(|b| b == "Bearer tok-1")
    );
}

#[tokio::test]
async fn token_is_refreshed_before_expiry() {
    let server = server_with_tokens(&["tok-1", "tok-2"]).await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(get_body()))
        .mount(&server)
        .await;
    let clock = ManualClock::fixed();
    let vipps = client_with(&server, clock.clone(), settings(&server.uri()));
    vipps.epayment().get(REF).await.unwrap();
    clock.advance(time::Duration::minutes(54));
    vipps.epayment().get(REF).await.unwrap();
    assert_eq!(token_fetches(&server).await, 1, "still valid at 54 min");
    clock.advance(time::Duration::minutes(2)); // 56 min: inside the 5 min margin
    vipps.epayment().get(REF).await.unwrap();
    assert_eq!(token_fetches(&server).await, 2);
    assert_eq!(
        bearers(&api_requests(&server).await),
        vec!["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    );
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries() {
    let server = server_with_tokens(&["tok-old", "tok-new"]).await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"statusCode": 401,
            "message": "Access denied due to invalid token"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(get_body()))
        .mount(&server)
        .await;
    let vipps = client(&server);
    vipps.epayment().get(REF).await.unwrap();
    assert_eq!(token_fetches(&server).await, 2);
    assert_eq!(
        bearers(&api_requests(&server).await),
        vec!["Bearer tok-old", "Bearer tok-new"]
    );
}

#[tokio::test]
async fn a_persistent_401_refreshes_only_once() {
    let server = server_with_tokens(&["tok-1", "tok-2", "tok-3"]).await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"statusCode": 401,
            "message": "Access denied"})),
        )
        .mount(&server)
        .await;
    let vipps = client(&server);
    let e = vipps.epayment().get(REF).await.unwrap_err();
    assert_eq!(e.status, Some(401));
    assert_eq!(token_fetches(&server).await, 2);
    assert_eq!(api_requests(&server).await.len(), 2);
    assert!(e.cashier_message().en.contains("keys"));
}

#[tokio::test]
async fn bad_credentials_are_reported_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let vipps = client(&server);
    let e = vipps.check_credentials().await.unwrap_err();
    assert_eq!(e.api, kasse::api::Api::AccessToken);
    assert_eq!(e.status, Some(401));
    assert_eq!(
        token_fetches(&server).await,
        1,
        "401 on the token call is final"
    );
    for text in [
        format!("{e}"),
        format!("{e:?}"),
        e.cashier_message().en,
        e.cashier_message().nb,
    ] {
        assert!(
            !text.contains(CLIENT_SECRET) && !text.contains(SUB_KEY),
            "{text}"
        );
    }
}

#[tokio::test]
async fn debug_never_shows_secrets() {
    let server = server_with_tokens(&[TOKEN]).await;
    let vipps = client(&server);
    vipps.check_credentials().await.unwrap();
    let s = settings(&server.uri());
    let outputs = [
        format!("{s:?}"),
        format!("{vipps:?}"),
        format!("{:#?}", vipps.settings()),
    ];
    for o in &outputs {
        assert!(!o.contains(CLIENT_SECRET), "{o}");
        assert!(!o.contains(SUB_KEY), "{o}");
        assert!(
            !o.contains(CLIENT_ID),
            "client_id is shown shortened only: {o}"
        );
        assert!(!o.contains(TOKEN), "{o}");
    }
    let resp: AccessTokenResponse = serde_json::from_value(token_body("secret-token-xyz")).unwrap();
    assert!(!format!("{resp:?}").contains("secret-token-xyz"));
}
