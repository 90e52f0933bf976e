//! The models run on one dedicated thread that owns the pipeline: inference
//! is CPU- (or GPU-) bound and must not stall the async runtime that talks
//! to the broker, S3 and the database.

use std::sync::mpsc;
use std::thread;

use image::RgbImage;
use maskwatch_domain::FaceFinding;
use maskwatch_pipeline::{Pipeline, PipelineError};
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Vec<Result<Vec<FaceFinding>, String>>>;

/// A handle to the inference thread; cloning it shares the thread.
#[derive(Clone)]
pub struct Inference {
    requests: mpsc::Sender<(Vec<RgbImage>, Reply)>,
}

impl Inference {
    pub fn start(pipeline: Pipeline) -> Self {
        let (requests, queue) = mpsc::channel::<(Vec<RgbImage>, Reply)>();
        thread::Builder::new()
            .name("inference".into())
            .spawn(move || serve(pipeline, queue))
            .expect("spawning the inference thread");
        Self { requests }
    }

    /// Audits decoded photos together; one result per photo, in order.
    pub async fn audit(&self, photos: Vec<RgbImage>) -> Vec<Result<Vec<FaceFinding>, String>> {
        let count = photos.len();
        let (reply, answer) = oneshot::channel();
        if self.requests.send((photos, reply)).is_err() {
            return vec![Err("the inference thread has stopped".into()); count];
        }
        answer
            .await
            .unwrap_or_else(|_| vec![Err("the inference thread has stopped".into()); count])
    }
}

fn serve(mut pipeline: Pipeline, queue: mpsc::Receiver<(Vec<RgbImage>, Reply)>) {
    for (photos, reply) in queue {
        let _ = reply.send(audit_batch(&mut pipeline, photos));
    }
}

/// Runs the photos as one batch; if the batch fails, runs each photo alone so
/// that one photo the models cannot handle fails alone.
fn audit_batch(
    pipeline: &mut Pipeline,
    photos: Vec<RgbImage>,
) -> Vec<Result<Vec<FaceFinding>, String>> {
    let prepared: Vec<_> = photos
        .into_iter()
        .map(|photo| pipeline.prepare(photo))
        .collect();
    match pipeline.audit(&prepared) {
        Ok(findings) => findings.into_iter().map(Ok).collect(),
        Err(error) => {
            tracing::warn!(%error, images = prepared.len(), "batch failed; running its photos one by one");
            prepared
                .chunks(1)
                .map(|one| {
                    pipeline
                        .audit(one)
                        .map(|mut findings| findings.pop().unwrap_or_default())
                        .map_err(|e: PipelineError| format!("inference failed: {e}"))
                })
                .collect()
        }
    }
}
