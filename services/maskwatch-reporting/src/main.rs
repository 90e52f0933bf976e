//! `maskwatch-reporting`: compliance statistics, violations and audit
//! progress over HTTP as JSON and CSV, an OpenAPI document, and a dashboard.

mod api;
mod config;
mod csv;
mod filters;
mod progress;
mod stats;
mod thumbnail;
mod violations;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use maskwatch_objects::ObjectStore;
use maskwatch_service::{Backoff, Readiness, logging, ops_router, shutdown};
use maskwatch_store::Store;

use crate::api::AppState;
use crate::config::ReportingArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = ReportingArgs::parse();
    logging::init(args.log_format, "info");
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "reporting failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: ReportingArgs) -> anyhow::Result<()> {
    let tokens = args.auth.load()?;
    let store = Store::connect_lazy_for_reports(&args.database_url, 16).context("DATABASE_URL")?;
    let mut backoff = Backoff::for_connections();
    while let Err(error) = store.migrate().await {
        tracing::warn!(%error, "database not ready; retrying");
        tokio::time::sleep(backoff.next_delay()).await;
    }
    let state = Arc::new(AppState {
        store: store.clone(),
        objects: ObjectStore::connect(&args.objects).await,
    });
    let metrics = prometheus::Registry::new_custom(Some("maskwatch_reporting".into()), None)?;
    let app = api::router(state, tokens).merge(ops_router(ReportingReadiness { store }, metrics));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "reporting API listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown::requested())
        .await?;
    tracing::info!("reporting stopped");
    Ok(())
}

/// Ready when the database answers.
struct ReportingReadiness {
    store: Store,
}

impl Readiness for ReportingReadiness {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            self.store
                .ping()
                .await
                .map_err(|e| format!("PostgreSQL unreachable: {e}"))
        })
    }
}
