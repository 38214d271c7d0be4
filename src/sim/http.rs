//! Request plumbing shared by all API handlers: headers, auth, JSON bodies.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::errors::{self, Flavor};
use super::state::SimState;

/// Largest accepted request body (an Order Management image is ≤ 2 MB binary ≈ 2.7 MB base64).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Subscription key and bearer token, checked like the Azure gateway does.
pub fn check_auth(state: &SimState, headers: &HeaderMap) -> Result<(), Response> {
    let now = state.now();
    let g = state.lock();
    match header(headers, "Ocp-Apim-Subscription-Key") {
        None => {
            return Err(errors::gateway(
                StatusCode::UNAUTHORIZED,
                "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.",
            ));
        }
        Some(k) if k != g.cfg.subscription_key => {
            return Err(errors::gateway(
                StatusCode::UNAUTHORIZED,
                "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
            ));
        }
        Some(_) => {}
    }
    let Some(auth) = header(headers, "Authorization") else {
        return Err(errors::gateway(
            StatusCode::UNAUTHORIZED,
            "Unauthorized. Access token is missing or invalid (send Authorization: Bearer <token> from /accesstoken/get).",
        ));
    };
    let token = match auth.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => {
            return Err(errors::gateway(
                StatusCode::UNAUTHORIZED,
                "Unauthorized. The Authorization header must be 'Bearer <access token>'.",
            ));
        }
    };
    match g.tokens.get(token) {
        Some(t) if t.expires_at > now => Ok(()),
        Some(_) => Err(errors::gateway(
            StatusCode::UNAUTHORIZED,
            "Unauthorized. Access token has expired; fetch a new one from /accesstoken/get.",
        )),
        None => Err(errors::gateway(
            StatusCode::UNAUTHORIZED,
            "Unauthorized. Access token is missing or invalid.",
        )),
    }
}

/// The request body as JSON, with errors in the API's own format. `None` for an empty body.
pub fn json_body(
    flavor: Flavor,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<Value>, Response> {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let status = e.status();
            return Err(flavor.bad_request(
                status,
                "body",
                format!("Could not read the request body ({e}). Bodies may be at most {MAX_BODY_BYTES} bytes."),
            ));
        }
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(flavor.bad_request(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body",
            format!(
                "The request body is {} bytes; at most {MAX_BODY_BYTES} are accepted.",
                body.len()
            ),
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let ctype = header(headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let mime = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" && !mime.ends_with("+json") {
        return Err(flavor.bad_request(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            format!("Content-Type must be application/json, got '{ctype}'."),
        ));
    }
    serde_json::from_slice::<Value>(&body)
        .map(Some)
        .map_err(|e| {
            flavor.bad_request(
                StatusCode::BAD_REQUEST,
                "body",
                format!("The request body is not valid JSON: {e}."),
            )
        })
}
