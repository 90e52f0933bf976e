//! Load: an audit of 20,000 objects. Ingest lists and publishes every job
//! with publisher confirms while two workers are already consuming, so a
//! backlog builds up in RabbitMQ; the workers drain it, their resident
//! memory stays flat from idle to full load, and every image ends with
//! exactly one result.
//!
//! The objects are one small crop of a real photo under 20,000 keys, so that
//! the test measures the system (queueing, fetching, recording) rather than
//! the models, and finishes in minutes on two cores. The figures are printed
//! and kept in `target/test-artifacts/backlog.md`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use maskwatch_pipeline::PipelineConfig;
use maskwatch_pipeline::decode::{DecodeLimits, decode_rgb};
use maskwatch_queue::lapin::options::QueueDeclareOptions;
use maskwatch_queue::lapin::types::FieldTable;
use maskwatch_store::sqlx;
use maskwatch_tests::deployment::{Deployment, Service, id_in, post_json};
use maskwatch_tests::machine::ResidentMemory;
use maskwatch_tests::{face_mask_detection, pipeline, repo_root};
use serde_json::json;

const JOBS: usize = 20_000;
/// Worker memory may grow by at most this much from idle to full load.
const MEMORY_GROWTH_LIMIT: u64 = 96 * 1024 * 1024;
const MIB: f64 = 1024.0 * 1024.0;
const WORKER_ENV: [(&str, &str); 4] = [
    ("MASKWATCH_BATCH_IMAGES", "32"),
    ("MASKWATCH_PREFETCH", "64"),
    ("MASKWATCH_FETCH_CONCURRENCY", "16"),
    ("MASKWATCH_BATCH_WAIT_MS", "20"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_20000_jobs_drains_completely_with_flat_worker_memory() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let photo = image::open(dataset.join("images/maksssksksss0.jpg")).expect("a photo");
    let mut crop = Vec::new();
    photo
        .crop_imm(0, 0, 96, 72)
        .to_rgb8()
        .write_to(
            &mut std::io::Cursor::new(&mut crop),
            image::ImageFormat::Jpeg,
        )
        .expect("encoding the crop");

    let deployment = Deployment::new("backlog").await;
    let objects = deployment.objects().await;
    let upload_clock = Instant::now();
    futures_util::stream::iter(0..JOBS)
        .map(|index| {
            let (objects, crop, bucket) = (&objects, &crop, &deployment.bucket);
            async move {
                let key = format!("snapshots/{:03}/{index:05}.jpg", index % 500);
                objects
                    .put(bucket, &key, crop.clone())
                    .await
                    .expect("upload");
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    let upload_seconds = upload_clock.elapsed().as_secs_f64();

    let store = deployment.store();
    let mut ingest = deployment.start_ingest("ingest", &[]);
    let mut workers = deployment
        .start_ready_workers(&["worker-a", "worker-b"], &WORKER_ENV)
        .await;
    ingest.wait_ready(Duration::from_secs(60)).await;
    // Idle: models loaded, connected, nothing to do.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle: Vec<ResidentMemory> = workers.iter().map(memory_of).collect();

    let (status, accepted) = post_json(
        &ingest.url("/v1/audits"),
        &json!({"bucket": deployment.bucket, "prefix": "snapshots/", "name": "backlog"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let audit_id = id_in(&accepted, "audit_id");
    let publish_clock = Instant::now();

    let connection = maskwatch_queue::connect(deployment.amqp_url(), "maskwatch-tests")
        .await
        .expect("RabbitMQ");
    let channel = connection.create_channel().await.expect("channel");
    let queue_depth = async || -> u32 {
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        channel
            .queue_declare(
                deployment.queue_names().images.as_str().into(),
                passive,
                FieldTable::default(),
            )
            .await
            .map_or(0, |queue| queue.message_count())
    };

    let mut published_after = None;
    let mut deepest_backlog = 0;
    let mut busiest: Vec<u64> = vec![0; workers.len()];
    let drain_deadline = Instant::now() + Duration::from_secs(1800);
    let progress = loop {
        let progress = store
            .audit_progress(audit_id)
            .await
            .expect("progress")
            .expect("the audit");
        if published_after.is_none() && progress.listing_complete {
            let unqueued: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM images WHERE audit_id = $1 AND queued_at IS NULL",
            )
            .bind(audit_id)
            .fetch_one(store.pool())
            .await
            .expect("unqueued images");
            if unqueued == 0 && progress.images == JOBS as i64 {
                published_after = Some(publish_clock.elapsed());
            }
        }
        deepest_backlog = deepest_backlog.max(queue_depth().await);
        for (worker, busiest) in workers.iter_mut().zip(&mut busiest) {
            assert!(
                worker.is_running(),
                "{}: {}",
                worker.label,
                worker.tail_of_log()
            );
            *busiest = (*busiest).max(memory_of(worker).current);
        }
        if progress.is_finished() && progress.images == JOBS as i64 {
            break progress;
        }
        assert!(
            Instant::now() < drain_deadline,
            "the backlog did not drain: {progress:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let drained_after = publish_clock.elapsed();
    let published_after = published_after.expect("every job published before the drain ended");
    let loaded: Vec<ResidentMemory> = workers.iter().map(memory_of).collect();

    // Completeness: one result per object, each with the faces of the crop.
    let mut reference = pipeline(PipelineConfig::default());
    let prepared = reference.prepare(decode_rgb(&crop, DecodeLimits::default()).unwrap());
    let faces_per_image = reference.audit(std::slice::from_ref(&prepared)).unwrap()[0].len() as i64;
    assert_eq!(progress.done, JOBS as i64, "{progress:?}");
    assert_eq!(progress.failed, 0, "{progress:?}");
    assert_eq!(progress.faces, faces_per_image * JOBS as i64);
    let distinct_keys: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT object_key) FROM images WHERE audit_id = $1 AND status = 'done'",
    )
    .bind(audit_id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(distinct_keys, JOBS as i64);
    assert_eq!(queue_depth().await, 0, "the queue drained");

    let mut table = format!(
        "{JOBS} jobs ({} bytes each, {faces_per_image} faces each); uploaded in {upload_seconds:.0} s\n\n\
         | measure | value |\n|---|---|\n\
         | all jobs published and confirmed after | {:.1} s ({:.0} jobs/s) |\n\
         | deepest backlog in RabbitMQ | {deepest_backlog} jobs |\n\
         | backlog drained after | {:.1} s ({:.0} images/s, two workers) |\n",
        crop.len(),
        published_after.as_secs_f64(),
        JOBS as f64 / published_after.as_secs_f64(),
        drained_after.as_secs_f64(),
        JOBS as f64 / drained_after.as_secs_f64(),
    );
    for (index, worker) in workers.iter().enumerate() {
        table.push_str(&format!(
            "| {} resident memory: idle / peak idle / largest under load / peak at the end | \
             {:.0} / {:.0} / {:.0} / {:.0} MiB |\n",
            worker.label,
            idle[index].current as f64 / MIB,
            idle[index].peak as f64 / MIB,
            busiest[index] as f64 / MIB,
            loaded[index].peak as f64 / MIB,
        ));
    }
    eprintln!("{table}");
    let artifacts = repo_root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    std::fs::write(artifacts.join("backlog.md"), &table).expect("writing the table");

    assert!(
        deepest_backlog as usize > JOBS / 2,
        "publishing did not outpace the workers; no backlog formed"
    );
    for (index, worker) in workers.iter().enumerate() {
        let growth = loaded[index].peak.saturating_sub(idle[index].peak);
        assert!(
            growth <= MEMORY_GROWTH_LIMIT,
            "{} grew by {:.0} MiB under load",
            worker.label,
            growth as f64 / MIB
        );
    }
    drop((workers, ingest));
    deployment.tear_down().await;
}

fn memory_of(service: &Service) -> ResidentMemory {
    ResidentMemory::of(service.pid()).expect("the service's /proc status")
}
