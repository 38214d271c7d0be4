//! The axum router: Vipps paths, `/sim/v1/*` control paths, fault injection, error mapping.

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use rand::Rng;

use super::conn::ConnHandle;
use super::errors::{self, Flavor};
use super::http::MAX_BODY_BYTES;
use super::state::SimState;
use super::{customer, ecom, epayment, order_management as om, psp, token, webhooks};

/// The full simulator router (state included). Used by [`super::serve`], `--demo` and tests.
pub fn router(state: SimState) -> Router {
    let api = Router::new()
        .route("/accesstoken/get", post(token::get_token))
        // ePayment v1
        .route("/epayment/v1/payments", post(epayment::create))
        .route(
            "/epayment/v1/payments/{reference}",
            get(epayment::get_payment),
        )
        .route(
            "/epayment/v1/payments/{reference}/events",
            get(epayment::get_events),
        )
        .route(
            "/epayment/v1/payments/{reference}/cancel",
            post(epayment::cancel),
        )
        .route(
            "/epayment/v1/payments/{reference}/capture",
            post(epayment::capture),
        )
        .route(
            "/epayment/v1/payments/{reference}/refund",
            post(epayment::refund),
        )
        .route(
            "/epayment/v1/test/payments/{reference}/approve",
            post(epayment::force_approve),
        )
        // eCom v2
        .route("/ecomm/v2/payments", post(ecom::initiate))
        .route("/ecomm/v2/payments/{order_id}/details", get(ecom::details))
        .route("/ecomm/v2/payments/{order_id}/capture", post(ecom::capture))
        .route("/ecomm/v2/payments/{order_id}/cancel", put(ecom::cancel))
        .route("/ecomm/v2/payments/{order_id}/refund", post(ecom::refund))
        .route(
            "/ecomm/v2/integration-test/payments/{order_id}/approve",
            post(ecom::force_approve),
        )
        // PSP v3
        .route("/psp/v3/psppayments/init", post(psp::init))
        .route("/psp/v3/psppayments/updatestatus", post(psp::update_status))
        .route("/psp/v3/psppayments/{psp_id}/details", get(psp::details))
        .route(
            "/psp/v3/integration-test/psppayments/{psp_id}/approve",
            post(psp::force_approve),
        )
        // Order Management
        .route("/order-management/v1/images", post(om::post_image))
        .route(
            "/order-management/v2/{payment_type}/categories/{order_id}",
            put(om::put_category),
        )
        .route(
            "/order-management/v2/{payment_type}/receipts/{order_id}",
            post(om::post_receipt),
        )
        .route(
            "/order-management/v2/{payment_type}/{order_id}",
            get(om::get_order),
        )
        // Webhooks v1
        .route(
            "/webhooks/v1/webhooks",
            post(webhooks::register).get(webhooks::list),
        )
        .route(
            "/webhooks/v1/webhooks/{id}",
            axum::routing::delete(webhooks::delete),
        )
        // Simulator control
        .route("/sim/v1/webhooks", get(webhooks::deliveries))
        .route("/sim/v1/customer/{reference}/open", post(customer::open))
        .route(
            "/sim/v1/customer/{reference}/approve",
            post(customer::approve),
        )
        .route(
            "/sim/v1/customer/{reference}/reject",
            post(customer::reject),
        )
        .route("/sim/v1/clock", get(customer::clock_get))
        .route("/sim/v1/clock/advance", post(customer::clock_advance))
        .route(
            "/sim/v1/faults",
            post(customer::faults_set).delete(customer::faults_clear),
        )
        .route("/sim/v1/ledger", get(customer::ledger))
        .route("/sim/landing", get(customer::landing))
        .route("/sim/qr", get(customer::qr_image))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), faults))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    // Rewriting must happen before routing, so it wraps the API router from outside.
    Router::new()
        .fallback_service(api)
        .layer(middleware::map_request(case_insensitive))
}

/// Paths Vipps matches case-insensitively (`/accessToken/get`, PSP `updateStatus`).
const CASE_INSENSITIVE: &[&str] = &["/accesstoken/get", "/psp/v3/psppayments/updatestatus"];

/// Normalise before routing: case-insensitive fixed paths, and a trailing slash (the official
/// Postman collection posts to `/ecomm/v2/payments/`).
async fn case_insensitive(mut req: Request) -> Request {
    let path = req.uri().path();
    let mut new_path = path.to_string();
    if new_path.len() > 1 && new_path.ends_with('/') {
        new_path.pop();
    }
    if let Some(canonical) = CASE_INSENSITIVE
        .iter()
        .find(|c| c.eq_ignore_ascii_case(&new_path))
    {
        new_path = (*canonical).to_string();
    }
    if new_path != path {
        let pq = match req.uri().query() {
            Some(q) => format!("{new_path}?{q}"),
            None => new_path,
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

async fn not_found(uri: Uri) -> Response {
    let flavor = Flavor::from_path(uri.path());
    let msg = format!("Resource not found: {}", uri.path());
    match flavor {
        Flavor::Epayment => errors::epayment(StatusCode::NOT_FOUND, None, msg),
        Flavor::Gateway => errors::gateway(StatusCode::NOT_FOUND, msg),
        f => f.bad_request(StatusCode::NOT_FOUND, "path", msg),
    }
}

async fn method_not_allowed(uri: Uri) -> Response {
    let flavor = Flavor::from_path(uri.path());
    let msg = format!("Method not allowed on {}", uri.path());
    match flavor {
        Flavor::Epayment => errors::epayment(StatusCode::METHOD_NOT_ALLOWED, None, msg),
        Flavor::Gateway => errors::gateway(StatusCode::METHOD_NOT_ALLOWED, msg),
        f => f.bad_request(StatusCode::METHOD_NOT_ALLOWED, "method", msg),
    }
}

/// Fault injection for Vipps API paths (never for `/sim/*`).
async fn faults(State(s): State<SimState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/sim/") {
        return next.run(req).await;
    }
    let (latency, rate_limited, error, drop, auth) = {
        let mut g = s.lock();
        let f = g.faults.clone();
        let auth = if f.reject_auth {
            Some(StatusCode::UNAUTHORIZED)
        } else if f.forbidden {
            Some(StatusCode::FORBIDDEN)
        } else {
            None
        };
        let latency = match f.latency_ms {
            Some([lo, hi]) if hi > 0 => g.rng.random_range(lo..=hi),
            _ => 0,
        };
        let rl = f.rate_limit_rate > 0.0 && g.rng.random::<f64>() < f.rate_limit_rate;
        let err = if f.error_rate > 0.0 && g.rng.random::<f64>() < f.error_rate {
            Some(match g.rng.random_range(0..3u8) {
                0 => StatusCode::INTERNAL_SERVER_ERROR,
                1 => StatusCode::BAD_GATEWAY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            })
        } else {
            None
        };
        let drop = f.drop_after_commit > 0.0 && g.rng.random::<f64>() < f.drop_after_commit;
        (latency, rl, err, drop, auth)
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    match auth {
        Some(StatusCode::UNAUTHORIZED) => {
            return errors::gateway(
                StatusCode::UNAUTHORIZED,
                "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription. (simulated fault)",
            );
        }
        Some(status) => {
            return errors::gateway(
                status,
                "Forbidden: the subscription is not allowed to use this API or sales unit. (simulated fault)",
            );
        }
        None => {}
    }
    if rate_limited {
        return errors::too_many(1);
    }
    if let Some(status) = error {
        return Flavor::from_path(&path).server_error(status);
    }
    let conn = req.extensions().get::<ConnectInfo<ConnHandle>>().cloned();
    let resp = next.run(req).await;
    if drop
        && resp.status().is_success()
        && let Some(ConnectInfo(c)) = conn
    {
        tracing::info!(
            "sim fault: dropping the response to {path} for {} after commit",
            c.remote()
        );
        c.kill();
    }
    resp
}
