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
    let token = format!(
        "sim.{}.{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
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
            "expires_on": (OffsetDateTime::now_utc() + ttl).unix_timestamp().to_string(),
            "not_before": OffsetDateTime::now_utc().unix_timestamp().to_string(),
            "resource": "00000002-0000-0000-c000-000000000000",
            "access_token": token,
        }),
    )
}
