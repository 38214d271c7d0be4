//! The customer display over HTTP: `GET /` (the page, no external assets), `GET /events`
//! (Server-Sent Events: the current view at once, then every change), and the pairing-token
//! rule (a non-loopback display needs `?t=…`; 403 otherwise).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kasse::display::{self, DisplayInfo, Phase, Publisher, server};
use kasse::domain::money::Currency;
use kasse::lang::Lang;
use secrecy::SecretString;
use std::time::Duration;

fn info() -> DisplayInfo {
    DisplayInfo {
        shop: "Kiosken på hjørnet".into(),
        lang: Lang::Nb,
        currency: Currency::Nok,
    }
}

/// Read one SSE event's `data:` JSON from a streaming response.
async fn next_event(resp: &mut reqwest::Response, buf: &mut String) -> serde_json::Value {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let data: String = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect::<Vec<_>>()
                .join("\n");
            if data.is_empty() {
                continue; // keep-alive comment
            }
            return serde_json::from_str(&data).unwrap();
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn page_and_events_stream_the_current_view_then_each_change() {
    let publisher = Publisher::new(display::view::idle(&info()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let srv = server::serve(listener, &publisher, None).unwrap();
    let base = format!("http://{}", srv.addr);
    let http = reqwest::Client::new();

    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("EventSource"), "the script is inlined");
    assert!(html.contains("#total"), "the stylesheet is inlined");
    for external in ["src=\"http", "href=\"http", "@import", "src=\"//"] {
        assert!(!html.contains(external), "external asset: {external}");
    }

    let mut events = http.get(format!("{base}/events")).send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut buf = String::new();
    let first = next_event(&mut events, &mut buf).await;
    assert_eq!(first["phase"], "idle");
    assert_eq!(first["shop"], "Kiosken på hjørnet");

    // A change is pushed; publishing the same view again sends nothing.
    let mut v = display::view::idle(&info());
    v.phase = Phase::Basket;
    v.total_minor = 5780;
    v.total = "kr 57,80".into();
    assert!(publisher.publish(v.clone()));
    assert!(!publisher.publish(v.clone()));
    let second = next_event(&mut events, &mut buf).await;
    assert_eq!(second["phase"], "basket");
    assert_eq!(second["total_minor"], 5780);

    // A display that (re)connects gets the current view at once.
    let mut again = http.get(format!("{base}/events")).send().await.unwrap();
    let mut buf2 = String::new();
    let current = next_event(&mut again, &mut buf2).await;
    assert_eq!(current["total_minor"], 5780);

    // Read-only: nothing else is served, and nothing can be posted.
    let post = http.post(format!("{base}/events")).send().await.unwrap();
    assert_eq!(post.status(), 405);
    let other = http.get(format!("{base}/report")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    srv.stop();
}

#[tokio::test]
async fn the_pairing_token_guards_both_routes() {
    let publisher = Publisher::new(display::view::idle(&info()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let token = "pairing-token-for-the-test-0123456789";
    let srv = server::serve(
        listener,
        &publisher,
        Some(SecretString::from(token.to_owned())),
    )
    .unwrap();
    let base = format!("http://{}", srv.addr);
    let http = reqwest::Client::new();
    for path in ["/", "/events"] {
        for bad in [
            "",
            "?t=",
            "?t=wrong",
            "?t=pairing-token-for-the-test-012345678",
        ] {
            let r = http.get(format!("{base}{path}{bad}")).send().await.unwrap();
            assert_eq!(r.status(), 403, "{path}{bad}");
            let body = r.text().await.unwrap();
            assert!(body.contains("kasse display-url"), "{body}");
            assert!(!body.contains(token), "the token is never echoed");
        }
    }
    let ok = http.get(format!("{base}/?t={token}")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let mut ev = http
        .get(format!("{base}/events?t={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ev.status(), 200);
    let mut buf = String::new();
    assert_eq!(next_event(&mut ev, &mut buf).await["phase"], "idle");
    srv.stop();
}

#[tokio::test]
async fn a_non_loopback_display_always_needs_the_token() {
    // Without a token the server refuses to serve on a non-loopback address.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let publisher = Publisher::new(display::view::idle(&info()));
    assert!(server::serve(listener, &publisher, None).is_err());

    // The till's start: the token is made (0600) in the data dir and required.
    let dir = tempfile::tempdir().unwrap();
    let d = display::start("0.0.0.0:0", info(), dir.path())
        .await
        .unwrap();
    let token = std::fs::read_to_string(dir.path().join(display::TOKEN_FILE)).unwrap();
    assert!(d.url().ends_with(&format!("?t={token}")), "{}", d.url());
    let port = d.server.addr.port();
    let http = reqwest::Client::new();
    let r = http
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .get(format!("http://127.0.0.1:{port}/?t={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // `Debug` of the running display never shows the token.
    assert!(!format!("{d:?}").contains(&token));
    d.stop();

    // A loopback display needs none and makes none.
    let dir = tempfile::tempdir().unwrap();
    let d = display::start("127.0.0.1:0", info(), dir.path())
        .await
        .unwrap();
    assert!(!d.url().contains("?t="));
    assert!(!dir.path().join(display::TOKEN_FILE).exists());
    d.stop();
}
