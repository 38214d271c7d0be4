//! Access Token API: `POST /accesstoken/get`, and a token cache.

use crate::wire::WireSecret;
use serde::{Deserialize, Serialize};

/// `AuthorizationTokenResponse`: every value is a string on the wire, even the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenResponse {
    pub token_type: String,
    pub expires_in: String,
    #[serde(default)]
    pub ext_expires_in: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub not_before: String,
    #[serde(default)]
    pub resource: String,
    /// The bearer token (redacted in `Debug`).
    pub access_token: WireSecret,
}

use crate::api::error::{Api, ApiError};
use crate::api::http::Core;
use secrecy::SecretString;
use std::collections::HashMap;
use std::fmt;
use time::OffsetDateTime;

/// Refresh this long before `expires_on` (at most; shorter for short-lived tokens).
pub const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

struct Cached {
    token: SecretString,
    refresh_at: OffsetDateTime,
}

/// Access tokens per (base URL, client id). Cheap to share between [`crate::api::Vipps`]
/// instances (wrap in `Arc`). Fetches are single-flight: one refresh at a time.
#[derive(Default)]
pub struct TokenCache {
    inner: tokio::sync::Mutex<HashMap<(String, String), Cached>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCache([redacted])")
    }
}

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache::default()
    }

    /// When a token with these fields, received at `now`, should be refreshed.
    pub fn refresh_at(resp: &AccessTokenResponse, now: OffsetDateTime) -> OffsetDateTime {
        let expires = resp
            .expires_on
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .or_else(|| {
                resp.expires_in
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .map(|s| now + time::Duration::seconds(s))
            })
            .unwrap_or(now);
        let lifetime = expires - now;
        let margin = if lifetime / 5 < REFRESH_MARGIN {
            lifetime / 5
        } else {
            REFRESH_MARGIN
        };
        expires - margin.max(time::Duration::ZERO)
    }

    /// A valid token, fetched if missing, due for refresh, or `force`d (after a 401).
    pub(crate) async fn get(&self, core: &Core, force: bool) -> Result<SecretString, ApiError> {
        let key = (core.base.clone(), core.settings.client_id.clone());
        let mut map = self.inner.lock().await;
        let now = core.clock.now();
        if !force
            && let Some(c) = map.get(&key)
            && now < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let resp = core.fetch_token().await?;
        if !resp.token_type.eq_ignore_ascii_case("bearer") {
            tracing::warn!(token_type = %resp.token_type, "unexpected token_type from Vipps");
        }
        if resp.access_token.expose().is_empty() {
            return Err(ApiError::decode(
                Api::AccessToken,
                200,
                "empty access_token",
            ));
        }
        let token = SecretString::from(resp.access_token.expose().to_owned());
        let refresh_at = TokenCache::refresh_at(&resp, now);
        tracing::debug!(refresh_at = %refresh_at, "new Vipps access token");
        map.insert(
            key,
            Cached {
                token: token.clone(),
                refresh_at,
            },
        );
        Ok(token)
    }

    /// Forget every cached token.
    pub async fn clear(&self) {
        self.inner.lock().await.clear();
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    fn resp(expires_in: &str, expires_on: &str) -> AccessTokenResponse {
        AccessTokenResponse {
            token_type: "Bearer".into(),
            expires_in: expires_in.into(),
            ext_expires_in: "0".into(),
            expires_on: expires_on.into(),
            not_before: "0".into(),
            resource: "r".into(),
            access_token: WireSecret::new("t"),
        }
    }

    #[test]
    fn refresh_time_uses_expires_on_with_margin() {
        let now = time::macros::datetime!(2026-11-21 12:00:00 UTC);
        let on = (now + time::Duration::hours(1))
            .unix_timestamp()
            .to_string();
        assert_eq!(
            TokenCache::refresh_at(&resp("3600", &on), now),
            now + time::Duration::minutes(55)
        );
        // short token: margin is a fifth of its life
        let on = (now + time::Duration::seconds(100))
            .unix_timestamp()
            .to_string();
        assert_eq!(
            TokenCache::refresh_at(&resp("100", &on), now),
            now + time::Duration::seconds(80)
        );
        // expires_on unparsable: fall back to expires_in
        assert_eq!(
            TokenCache::refresh_at(&resp("3600", "x"), now),
            now + time::Duration::minutes(55)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_string_numbers_and_hides_token() {
        let r: AccessTokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":"86398","ext_expires_in":"0",
            "expires_on":"1495271273","not_before":"1495184574",
            "resource":"00000002-0000-0000-c000-000000000000","access_token":"eyJ0eXAi.secret"}"#,
        )
        .unwrap();
        assert_eq!(r.expires_on, "1495271273");
        assert_eq!(r.access_token.expose(), "eyJ0eXAi.secret");
        assert!(!format!("{r:?}").contains("eyJ0eXAi"));
    }
}
