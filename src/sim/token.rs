//! `POST /accesstoken/get`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use super::errors;
use super::http::header;
use super::state::{SimState, TokenInfo};

pub async fn get_token(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let now = state.now();
    let mut g = state.lock();
    match header(&headers, "Ocp-Apim-Subscription-Key") {
        None => {
            return errors::gateway(
                StatusCode::UNAUTHORIZED,
                "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.",
            );
        }
        Some(k) if k != g.cfg.subscription_key => {
            return errors::gateway(
                StatusCode::UNAUTHORIZED,
                "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
            );
        }
        Some(_) => {}
    }
    let id_ok = header(&headers, "client_id").is_some_and(|v| v == g.cfg.client_id);
    let secret_ok = header(&headers, "client_secret").is_some_and(|v| v == g.cfg.client_secret);
    if !id_ok || !secret_ok {
        return errors::json_response(
            StatusCode::UNAUTHORIZED,
            &json!({
                "error": "unauthorized_client",
                "error_description": "AADSTS7000215: Invalid client_id or client_secret. Check the client_id and client_secret headers.",
            }),
        );
    }
    let ttl = time::Duration::try_from(g.cfg.token_ttl).unwrap_or(time::Duration::HOUR);
    let wall_now = OffsetDateTime::now_utc();
    let token = jwt(&g.cfg.client_id, wall_now, ttl);
    // Lifetime in real time equals `expires_in` whatever --time-scale says, so a client's
    // token cache (on the wall clock) stays valid; /sim/v1/clock/advance still expires it.
    let scale = g.cfg.time_scale.max(1.0);
    let expires_at = time::Duration::checked_seconds_f64(ttl.as_seconds_f64() * scale)
        .and_then(|d| now.checked_add(d))
        .unwrap_or(now + ttl);
    g.tokens.insert(token.clone(), TokenInfo { expires_at });
    errors::json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": ttl.whole_seconds().to_string(),
            "ext_expires_in": "0",
            "expires_on": (wall_now + ttl).unix_timestamp().to_string(),
            "not_before": wall_now.unix_timestamp().to_string(),
            "resource": "00000002-0000-0000-c000-000000000000",
            "access_token": token,
        }),
    )
}

/// A token shaped like the Azure AD JWT Vipps issues: `header.payload.signature`, base64url
/// without padding, RS256 header with `kid`/`x5t`, the usual claims with `iat`/`nbf`/`exp` (wall
/// clock, like `expires_on`), and a 256-byte signature — about 1 200 characters in all, so
/// header and storage sizes are exercised as in production. The signature is random: the
/// simulator checks tokens by lookup, never by signature.
pub fn jwt(client_id: &str, now: OffsetDateTime, ttl: time::Duration) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rand::RngCore as _;

    let mut rng = rand::rng();
    let mut bytes = |n: usize| {
        let mut b = vec![0u8; n];
        rng.fill_bytes(&mut b);
        URL_SAFE_NO_PAD.encode(b)
    };
    let kid = bytes(20);
    let header = json!({"typ": "JWT", "alg": "RS256", "x5t": kid, "kid": kid});
    let tenant = uuid::Uuid::new_v4().to_string();
    let iat = now.unix_timestamp();
    let payload = json!({
        "aud": "00000002-0000-0000-c000-000000000000",
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": iat,
        "nbf": iat,
        "exp": (now + ttl).unix_timestamp(),
        "aio": bytes(72),
        "appid": client_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{tenant}/"),
        "oid": uuid::Uuid::new_v4().to_string(),
        "rh": format!("0.{}.", bytes(45)),
        "sub": uuid::Uuid::new_v4().to_string(),
        "tid": tenant,
        "uti": bytes(16),
        "ver": "1.0",
        "xms_tcdt": iat - 86_400 * 400,
    });
    let signature = bytes(256);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        signature
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::Value;

    #[test]
    fn token_is_a_long_jwt_with_exp() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let t = jwt("kasse-sim-client", now, time::Duration::HOUR);
        assert!(t.len() >= 1000, "realistic length, got {}", t.len());
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["exp"], 1_800_003_600);
        assert_eq!(claims["appid"], "kasse-sim-client");
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
        assert_ne!(t, jwt("kasse-sim-client", now, time::Duration::HOUR));
    }
}
