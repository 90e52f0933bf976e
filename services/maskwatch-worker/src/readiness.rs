//! The worker is ready when its models are loaded and it can reach the
//! broker and the database.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use maskwatch_service::Readiness;
use maskwatch_store::Store;

#[derive(Clone)]
pub struct WorkerReadiness {
    pub models_loaded: Arc<AtomicBool>,
    pub broker_connected: Arc<AtomicBool>,
    pub store: Store,
}

impl Readiness for WorkerReadiness {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if !self.models_loaded.load(Ordering::Acquire) {
                return Err("models are loading".into());
            }
            if !self.broker_connected.load(Ordering::Acquire) {
                return Err("not connected to RabbitMQ".into());
            }
            self.store
                .ping()
                .await
                .map_err(|e| format!("PostgreSQL unreachable: {e}"))
        })
    }
}
