//! Images per second end to end (submission to committed results) through
//! the ingest service, RabbitMQ, one worker, S3 and PostgreSQL, next to the
//! same photos audited in this process with the same pipeline settings.
//!
//! cargo bench -p maskwatch-tests --bench distributed_throughput -- [PHOTOS]
//!
//! Needs `scripts/setup` and `scripts/services`, and the release binaries:
//! cargo build --release -p maskwatch-ingest -p maskwatch-worker

use std::time::{Duration, Instant};

use maskwatch_pipeline::PipelineConfig;
use maskwatch_pipeline::decode::{DecodeLimits, decode_rgb};
use maskwatch_tests::deployment::{Deployment, id_in, post_json, upload, wait_for_audit};
use maskwatch_tests::{face_mask_detection, first_photos, pipeline};
use serde_json::json;

/// Photos per batch, in process and in the worker alike.
const IMAGES_PER_BATCH: usize = 8;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let photos: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or(200, |a| a.parse().expect("PHOTOS is a number"));
    let dataset = face_mask_detection().expect("the face-mask-detection data set");
    let files = first_photos(&dataset, photos);

    // In process: decode, stretch, detect, crop, SR, classify; models loaded first.
    let mut local = pipeline(PipelineConfig::default());
    let started = Instant::now();
    let mut local_faces = 0;
    for group in files.chunks(IMAGES_PER_BATCH) {
        let prepared: Vec<_> = group
            .iter()
            .map(|file| {
                let bytes = std::fs::read(file).expect("photo");
                local.prepare(decode_rgb(&bytes, DecodeLimits::default()).expect("decodes"))
            })
            .collect();
        local_faces += local
            .audit(&prepared)
            .expect("audit")
            .iter()
            .map(Vec::len)
            .sum::<usize>();
    }
    let local_seconds = started.elapsed().as_secs_f64();
    drop(local);

    let deployment = Deployment::new("throughput").await;
    let objects = deployment.objects().await;
    upload(&objects, &deployment.bucket, "bench/", &files).await;
    let mut ingest = deployment.start_ingest("ingest", &[]);
    let batch = IMAGES_PER_BATCH.to_string();
    let mut worker = deployment.start_worker("worker", &[("MASKWATCH_BATCH_IMAGES", &batch)]);
    ingest.wait_ready(Duration::from_secs(60)).await;
    worker.wait_ready(Duration::from_secs(120)).await;

    let started = Instant::now();
    let (status, accepted) = post_json(
        &ingest.url("/v1/audits"),
        &json!({"bucket": deployment.bucket, "prefix": "bench/"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let audit_id = id_in(&accepted, "audit_id");
    let store = deployment.store();
    let progress = wait_for_audit(&store, audit_id, Duration::from_secs(3600)).await;
    let distributed_seconds = started.elapsed().as_secs_f64();
    assert_eq!(progress.done as usize, files.len());

    let local_rate = files.len() as f64 / local_seconds;
    let distributed_rate = files.len() as f64 / distributed_seconds;
    println!("photos: {}", files.len());
    println!("in process:  {local_rate:.2} images/s ({local_seconds:.1} s, {local_faces} faces)");
    println!(
        "distributed: {distributed_rate:.2} images/s ({distributed_seconds:.1} s, {} faces; \
         ingest -> RabbitMQ -> 1 worker -> S3 -> PostgreSQL, submission to last commit)",
        progress.faces
    );
    println!(
        "ratio distributed / in process: {:.3}",
        distributed_rate / local_rate
    );
    drop((worker, ingest));
    deployment.tear_down().await;
}
