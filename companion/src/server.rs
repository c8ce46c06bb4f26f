//! The HTTP server behind `chimera serve`: the page, its example data, and
//! (in later modules) the API the page calls.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::serve::ListenerExt;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::backend::Backends;
use crate::guard::{self, AllowedHosts};
use crate::share::{self, ShareState};
use crate::store::Store;

/// The page may load its own scripts and WebAssembly, nothing inline, and
/// talk only to this companion.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub web_dir: PathBuf,
    pub backends: Arc<Backends>,
    /// The history and shared reports.
    pub store: Store,
}

/// Builds the whole application for a companion listening on `listen`.
pub fn router(config: &ServeConfig) -> Router {
    let allowed = Arc::new(AllowedHosts::for_listen_address(config.listen));
    let pages = ServeDir::new(&config.web_dir)
        .precompressed_br()
        .precompressed_gzip();
    let share_state = ShareState {
        store: config.store.clone(),
        index_html: config.web_dir.join("index.html"),
    };
    Router::new()
        .nest(
            "/api",
            api::router(config.backends.clone()).merge(share::api_router(share_state.clone())),
        )
        .merge(share::page_router(share_state))
        .fallback_service(pages)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(middleware::from_fn_with_state(
            allowed,
            guard::check_host_and_origin,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Listens and serves until interrupted.
pub async fn serve(mut config: ServeConfig) -> anyhow::Result<()> {
    if !config.web_dir.join("index.html").is_file() {
        anyhow::bail!(
            "the page is not built: {} has no index.html (run scripts/start.sh, or `cargo xtask dist`)",
            config.web_dir.display()
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    config.listen = listener.local_addr()?;
    // Events are small writes that must leave at once, not wait for Nagle's
    // algorithm to batch them.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let app = router(&config);
    let url = format!("http://{}", config.listen);
    // Scripts and tests read this line to find the port.
    println!("Chimera is serving on {url}");
    tracing::info!(%url, web_dir = %config.web_dir.display(), database = %config.store.path.display(), "listening");
    for backend in config.backends.all() {
        tracing::info!(name = %backend.name, kind = backend.kind.label(), url = %backend.base_url, "backend");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Where the built page is when `--web-dir` is not given: `dist/` in the
/// current folder, else the `dist/` of the source tree this binary was built from.
pub fn default_web_dir() -> anyhow::Result<PathBuf> {
    let candidates = [
        PathBuf::from("dist"),
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist")),
    ];
    candidates
        .iter()
        .find(|dir| dir.join("index.html").is_file())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the page is not built: no dist/index.html found (run scripts/start.sh, or `cargo xtask dist`)"))
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
