//! Headers on every response of the staff app. The page loads only its
//! own script and style and is never framed (no one else's page may show
//! a resident's alarms or a look's silhouette inside its own); nothing is
//! kept in any cache (the JSON is about residents); no address leaves as a
//! referrer; the browser is asked for no camera, microphone or place; and
//! under TLS the phone is told to come back over nothing else.

use axum::extract::{Request, State};
use axum::http::header::{
    HeaderName, CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The page's own script, style and API, nothing else: no inline script,
/// no other origin, no framing.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

const ALWAYS: [(HeaderName, &str); 6] = [
    (CONTENT_SECURITY_POLICY, POLICY),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (X_FRAME_OPTIONS, "DENY"),
    (REFERRER_POLICY, "no-referrer"),
    (CACHE_CONTROL, "no-store"),
    (
        PERMISSIONS_POLICY,
        "camera=(), microphone=(), geolocation=(), display-capture=()",
    ),
];

/// A year: a phone that once reached the device over TLS never falls back.
const HSTS: &str = "max-age=31536000";

/// Middleware: `tls` says whether the app is served over TLS.
pub async fn add(State(tls): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in ALWAYS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if tls {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}
