//! Keeps other web pages away from the companion. It listens on the user's
//! machine, so a page on any site could try to reach it: through DNS
//! rebinding (a hostile name resolving to 127.0.0.1), or by sending
//! cross-origin requests. Requests must name the companion's own address in
//! `Host`, and state-changing requests from a browser must come from the
//! companion's own page.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The `Host` values (and so the origins) that belong to this companion.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    /// `None` when listening on every interface: any name may then reach us,
    /// and the operator accepted that with `--listen`.
    hosts: Option<Vec<String>>,
}

impl AllowedHosts {
    pub fn for_listen_address(addr: SocketAddr) -> Self {
        let port = addr.port();
        let ip = addr.ip();
        if ip.is_unspecified() {
            return Self { hosts: None };
        }
        let mut hosts = vec![match ip {
            std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
            std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        }];
        if ip.is_loopback() {
            hosts.extend([
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]);
        }
        hosts.sort();
        hosts.dedup();
        Self { hosts: Some(hosts) }
    }

    fn allows(&self, host: &str) -> bool {
        match &self.hosts {
            None => true,
            Some(hosts) => hosts.iter().any(|h| h.eq_ignore_ascii_case(host)),
        }
    }

    fn allows_origin(&self, origin: &str) -> bool {
        let Some(rest) = origin.strip_prefix("http://") else {
            return false;
        };
        self.allows(rest.trim_end_matches('/'))
    }
}

pub async fn check_host_and_origin(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !allowed.allows(host) {
        tracing::debug!(
            host,
            "rejected a request for a host that is not this companion"
        );
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "this companion only answers requests addressed to itself\n",
        )
            .into_response();
    }
    let reads_only = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    if let Some(origin) = origin
        && !reads_only
        && !allowed.allows_origin(origin)
    {
        tracing::debug!(origin, "rejected a cross-origin request");
        return (
            StatusCode::FORBIDDEN,
            "cross-origin requests are not accepted\n",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_listeners_accept_their_own_names_only() {
        let allowed = AllowedHosts::for_listen_address("127.0.0.1:7878".parse().unwrap());
        assert!(allowed.allows("127.0.0.1:7878"));
        assert!(allowed.allows("localhost:7878"));
        assert!(allowed.allows("LOCALHOST:7878"));
        assert!(!allowed.allows("evil.example:7878"));
        assert!(!allowed.allows("127.0.0.1:9999"));
        assert!(!allowed.allows(""));
    }

    #[test]
    fn origins_must_be_this_companion() {
        let allowed = AllowedHosts::for_listen_address("127.0.0.1:7878".parse().unwrap());
        assert!(allowed.allows_origin("http://127.0.0.1:7878"));
        assert!(!allowed.allows_origin("http://evil.example"));
        assert!(!allowed.allows_origin("null"));
    }

    #[test]
    fn listening_everywhere_accepts_any_host() {
        let allowed = AllowedHosts::for_listen_address("0.0.0.0:7878".parse().unwrap());
        assert!(allowed.allows("192.0.2.7:7878"));
    }
}
