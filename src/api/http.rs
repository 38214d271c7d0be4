//! The one HTTP client: base URL policy, standard headers, the retry loop, and the access
//! token (fetch, cache, one refresh on 401).
//!
//! A request body is serialised once; every retry sends the same bytes and the same
//! idempotency key.

use crate::api::ApiSettings;
use crate::api::access_token::{AccessTokenResponse, TokenCache};
use crate::api::error::{Api, ApiError};
use crate::api::retry::{self, Attempt, Decision, Jitter, Repeatable};
use crate::clock::Clock;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::sync::Arc;

/// Check the base URL: `https://api.vipps.no` / `https://apitest.vipps.no`, or `http(s)://`
/// to a loopback address (the simulator). Returns it without a trailing slash.
pub fn check_base_url(base: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(base.trim()).map_err(|e| {
        format!("base_url {base:?} is not a URL ({e}); expected e.g. https://apitest.vipps.no")
    })?;
    let host = url.host_str().unwrap_or("");
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let vipps = matches!(host, "api.vipps.no" | "apitest.vipps.no");
    match url.scheme() {
        "https" if vipps || loopback => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "base_url {base:?} uses plain http:// to a non-loopback host; only https://api.vipps.no, https://apitest.vipps.no or http://127.0.0.1:<port> (simulator) are allowed"
            ));
        }
        _ => {
            return Err(format!(
                "base_url {base:?} is not a Vipps host; expected https://api.vipps.no, https://apitest.vipps.no or http://127.0.0.1:<port> (simulator)"
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "base_url {base:?} must not have a query or fragment"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// One call, fully described before the first attempt.
pub(crate) struct Call<'a> {
    pub api: Api,
    pub method: Method,
    pub path: String,
    /// Serialised once; reused byte for byte on every attempt.
    pub body: Option<Vec<u8>>,
    pub idempotency_key: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub money_moving: bool,
    /// Safe to resend after a transport failure even without a key (reads, idempotent writes).
    pub repeatable: bool,
}

impl Call<'_> {
    fn keyed(&self) -> bool {
        self.idempotency_key.is_some() || self.request_id.is_some()
    }
}

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Raw {
    pub status: u16,
    pub body: Vec<u8>,
}

pub(crate) struct Core {
    pub client: reqwest::Client,
    pub base: String,
    pub settings: ApiSettings,
    pub tokens: Arc<TokenCache>,
    pub clock: Arc<dyn Clock>,
    pub jitter: Arc<dyn Jitter>,
}

fn hv(api: Api, name: &str, v: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(v).map_err(|_| {
        ApiError::config(
            api,
            format!("header {name} has characters that cannot be sent"),
        )
    })
}

impl Core {
    pub fn new(
        settings: ApiSettings,
        tokens: Arc<TokenCache>,
        clock: Arc<dyn Clock>,
        jitter: Arc<dyn Jitter>,
    ) -> Result<Core, ApiError> {
        let base = check_base_url(&settings.base_url)
            .map_err(|e| ApiError::config(Api::AccessToken, e))?;
        settings
            .system
            .check()
            .map_err(|e| ApiError::config(Api::AccessToken, e))?;
        let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(c) = settings.timeouts.connect {
            b = b.connect_timeout(c);
        }
        if let Some(r) = settings.timeouts.read {
            b = b.read_timeout(r);
        }
        let client = b
            .build()
            .map_err(|e| ApiError::config(Api::AccessToken, format!("HTTP client: {e}")))?;
        Ok(Core {
            client,
            base,
            settings,
            tokens,
            clock,
            jitter,
        })
    }

    fn headers(
        &self,
        call: &Call<'_>,
        bearer: Option<&SecretString>,
    ) -> Result<HeaderMap, ApiError> {
        let api = call.api;
        let s = &self.settings;
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, v: &str, sensitive: bool| -> Result<(), ApiError> {
            let mut val = hv(api, name, v)?;
            val.set_sensitive(sensitive);
            h.insert(HeaderName::from_static(name), val);
            Ok(())
        };
        match bearer {
            Some(tok) => put(
                "authorization",
                &format!("Bearer {}", tok.expose_secret()),
                true,
            )?,
            None => {
                put("client_id", &s.client_id, true)?;
                put("client_secret", s.client_secret.expose_secret(), true)?;
            }
        }
        put(
            "ocp-apim-subscription-key",
            s.subscription_key.expose_secret(),
            true,
        )?;
        put("merchant-serial-number", &s.msn, false)?;
        put("vipps-system-name", &s.system.name, false)?;
        put("vipps-system-version", &s.system.version, false)?;
        put("vipps-system-plugin-name", &s.system.plugin_name, false)?;
        put(
            "vipps-system-plugin-version",
            &s.system.plugin_version,
            false,
        )?;
        if let Some(k) = call.idempotency_key {
            put("idempotency-key", k, false)?;
        }
        if let Some(r) = call.request_id {
            put("x-request-id", r, false)?;
        }
        if api == Api::Psp {
            let id = s.psp_id.as_deref().ok_or_else(|| {
                ApiError::config(
                    api,
                    "psp_id is not set; the PSP API needs the PSP-ID header ([vipps] psp_id)",
                )
            })?;
            put("psp-id", id, false)?;
        }
        if call.body.is_some() {
            put("content-type", "application/json", false)?;
        }
        Ok(h)
    }

    /// The retry loop without token handling.
    async fn execute_inner(
        &self,
        call: &Call<'_>,
        bearer: Option<&SecretString>,
    ) -> Result<Raw, ApiError> {
        let headers = self.headers(call, bearer)?;
        let url = format!("{}{}", self.base, call.path);
        let repeatable = if call.repeatable || call.keyed() {
            Repeatable::Yes
        } else {
            Repeatable::No
        };
        let policy = &self.settings.retry;
        // Elapsed time for the total cap: the larger of wall time and the time we slept.
        // (Under paused tokio time in tests the wall clock barely moves and the tokio clock
        // may jump while waiting on sockets; our own sleeps are the meaningful measure.)
        let start = std::time::Instant::now();
        let mut slept = std::time::Duration::ZERO;
        let elapsed = |slept: std::time::Duration| start.elapsed().max(slept);
        let mut attempt: u32 = 0;
        let mut maybe_delivered = false;
        loop {
            attempt += 1;
            let mut rb = self
                .client
                .request(call.method.clone(), &url)
                .headers(headers.clone());
            rb = match &call.body {
                Some(b) => rb.body(b.clone()),
                // An empty body makes hyper send `Content-Length: 0` (Vipps wants it on the
                // bodiless POST /accesstoken/get).
                None if call.method == Method::POST || call.method == Method::PUT => rb
                    .header(reqwest::header::CONTENT_LENGTH, "0")
                    .body(Vec::<u8>::new()),
                None => rb,
            };
            tracing::debug!(api = %call.api, method = %call.method, path = %call.path, attempt, "vipps request");
            let sent = rb.send().await;
            let (error, decision) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry::parse_retry_after(v, self.clock.now()));
                    match resp.bytes().await {
                        Ok(body) => {
                            let body = body.to_vec();
                            let err = if (200..300).contains(&status) {
                                None
                            } else {
                                Some(ApiError::from_response(call.api, status, &body))
                            };
                            let (code, group) = err
                                .as_ref()
                                .map(|e| (e.code.clone(), e.group.clone()))
                                .unwrap_or((None, None));
                            let outcome = Attempt::Response {
                                status,
                                retry_after,
                                code: code.as_deref(),
                                group: group.as_deref(),
                            };
                            let d = retry::decide(
                                policy,
                                &outcome,
                                repeatable,
                                attempt,
                                elapsed(slept),
                                self.jitter.as_ref(),
                            );
                            tracing::debug!(api = %call.api, status, attempt, decision = ?d, "vipps response");
                            match (d, err) {
                                (Decision::Done, _) | (_, None) => return Ok(Raw { status, body }),
                                (d, Some(mut e)) => {
                                    if status >= 500 {
                                        maybe_delivered = true;
                                    }
                                    e.retry_after = retry_after;
                                    (e, d)
                                }
                            }
                        }
                        Err(e) => {
                            // The status line arrived but the body did not: the request was
                            // received; its result is unknown.
                            maybe_delivered = true;
                            let err = if e.is_timeout() {
                                ApiError::timeout(
                                    call.api,
                                    format!("reading the answer (HTTP {status}): {e}"),
                                )
                            } else {
                                ApiError::transport(
                                    call.api,
                                    false,
                                    format!("reading the answer (HTTP {status}): {e}"),
                                )
                            };
                            let outcome = Attempt::Transport {
                                timeout: e.is_timeout(),
                            };
                            let d = retry::decide(
                                policy,
                                &outcome,
                                repeatable,
                                attempt,
                                elapsed(slept),
                                self.jitter.as_ref(),
                            );
                            (err, d)
                        }
                    }
                }
                Err(e) => {
                    let connect = e.is_connect();
                    let timeout = e.is_timeout();
                    if !connect {
                        maybe_delivered = true;
                    }
                    let detail = error_chain(&e);
                    let err = if timeout && !connect {
                        ApiError::timeout(call.api, detail)
                    } else {
                        ApiError::transport(call.api, connect, detail)
                    };
                    tracing::debug!(api = %call.api, attempt, connect, timeout, "vipps transport error");
                    let outcome = Attempt::Transport { timeout };
                    let d = retry::decide(
                        policy,
                        &outcome,
                        repeatable,
                        attempt,
                        elapsed(slept),
                        self.jitter.as_ref(),
                    );
                    (err, d)
                }
            };
            match decision {
                Decision::RetryAfter(wait) => {
                    tracing::info!(api = %call.api, path = %call.path, attempt, wait_ms = wait.as_millis() as u64, "retrying Vipps call");
                    tokio::time::sleep(wait).await;
                    slept += wait;
                }
                Decision::Done | Decision::GiveUp => {
                    let err = error.with_context(call.money_moving, call.keyed(), maybe_delivered);
                    tracing::warn!(error = %err, "Vipps call failed");
                    return Err(err);
                }
            }
        }
    }

    /// Fetch a new token (`POST /accesstoken/get`, no body).
    pub async fn fetch_token(&self) -> Result<AccessTokenResponse, ApiError> {
        let call = Call {
            api: Api::AccessToken,
            method: Method::POST,
            path: "/accesstoken/get".to_owned(),
            body: None,
            idempotency_key: None,
            request_id: None,
            money_moving: false,
            repeatable: true,
        };
        let raw = self.execute_inner(&call, None).await?;
        decode(&call, raw)
    }

    /// Run a call with a bearer token; on a 401 refresh the token once and retry.
    pub async fn execute(&self, call: Call<'_>) -> Result<Raw, ApiError> {
        let token = self.tokens.get(self, false).await?;
        match self.execute_inner(&call, Some(&token)).await {
            Err(e) if e.status == Some(401) => {
                tracing::info!(api = %call.api, "401 from Vipps: refreshing the access token once");
                // An earlier attempt (before the 401) may have gone through: keep that fact.
                let earlier = e.maybe_delivered;
                let (money, keyed) = (call.money_moving, call.keyed());
                let mark = |err: ApiError| err.with_context(money, keyed, earlier);
                let token = self.tokens.get(self, true).await.map_err(&mark)?;
                self.execute_inner(&call, Some(&token)).await.map_err(mark)
            }
            other => other,
        }
    }

    /// Execute and decode a JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ApiError> {
        let money_moving = call.money_moving;
        let keyed = call.keyed();
        let api = call.api;
        let raw = self.execute(call).await?;
        crate::wire::decode_json(&raw.body).map_err(|e| {
            ApiError::decode(api, raw.status, e).with_context(money_moving, keyed, true)
        })
    }
}

fn decode<T: DeserializeOwned>(call: &Call<'_>, raw: Raw) -> Result<T, ApiError> {
    crate::wire::decode_json(&raw.body).map_err(|e| {
        ApiError::decode(call.api, raw.status, e).with_context(
            call.money_moving,
            call.keyed(),
            true,
        )
    })
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Serialise a body once.
pub(crate) fn body<T: serde::Serialize>(api: Api, v: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v)
        .map_err(|e| ApiError::config(api, format!("cannot serialise the request: {e}")))
}

/// Percent-encode a path segment (ids are validated first, this is belt and braces).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_policy() {
        assert_eq!(
            check_base_url("https://apitest.vipps.no/").unwrap(),
            "https://apitest.vipps.no"
        );
        assert!(check_base_url("https://api.vipps.no").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://localhost:8080").is_ok());
        assert!(check_base_url("http://[::1]:8080").is_ok());
        let e = check_base_url("http://api.vipps.no").unwrap_err();
        assert!(e.contains("plain http"), "{e}");
        assert!(check_base_url("http://192.168.1.10:8080").is_err());
        assert!(check_base_url("https://evil.example.com").is_err());
        assert!(check_base_url("ftp://127.0.0.1").is_err());
        assert!(check_base_url("not a url").is_err());
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("abc-1_2.3"), "abc-1_2.3");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
