//! A bulk audit of an S3 prefix through the real services: 200 real photos,
//! two workers, one killed with SIGKILL halfway. Every image must end with
//! exactly one result, and the faces must be those the pipeline finds when
//! it audits the same photos in one process.

use std::collections::HashMap;
use std::time::Duration;

use maskwatch_pipeline::PipelineConfig;
use maskwatch_pipeline::decode::{DecodeLimits, decode_rgb};
use maskwatch_tests::deployment::{Deployment, id_in, post_json, upload, wait_for, wait_for_audit};
use maskwatch_tests::{face_mask_detection, pipeline};
use serde_json::json;

const PHOTOS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_of_a_prefix_survives_a_killed_worker_and_counts_each_image_once() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dataset.join("images"))
        .expect("photos")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    files.truncate(PHOTOS);

    let deployment = Deployment::new("killed-worker").await;
    let objects = deployment.objects().await;
    let keys = upload(&objects, &deployment.bucket, "archive/2026/", &files).await;
    assert_eq!(keys.len(), PHOTOS);

    let mut ingest = deployment.start_ingest("ingest", &[]);
    let worker_env = [("MASKWATCH_BATCH_IMAGES", "4"), ("MASKWATCH_PREFETCH", "8")];
    let mut doomed = deployment.start_worker("worker-a", &worker_env);
    let mut survivor = deployment.start_worker("worker-b", &worker_env);
    ingest.wait_ready(Duration::from_secs(60)).await;
    doomed.wait_ready(Duration::from_secs(120)).await;
    survivor.wait_ready(Duration::from_secs(120)).await;

    let (status, accepted) = post_json(
        &ingest.url("/v1/audits"),
        &json!({"bucket": deployment.bucket, "prefix": "archive/", "name": "killed worker"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let audit_id = id_in(&accepted, "audit_id");
    // Submitting the same prefix again resumes the same audit: no new images.
    let (status, again) = post_json(
        &ingest.url("/v1/audits"),
        &json!({"bucket": deployment.bucket, "prefix": "archive/"}),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(again["audit_id"], accepted["audit_id"]);
    assert_eq!(again["resumed"], true);

    let store = deployment.store();
    wait_for(
        "a third of the images to be done",
        Duration::from_secs(600),
        async || {
            let progress = store.audit_progress(audit_id).await.ok()??;
            (progress.done >= PHOTOS as i64 / 3).then_some(())
        },
    )
    .await;
    doomed.kill();
    assert!(survivor.is_running());

    let progress = wait_for_audit(&store, audit_id, Duration::from_secs(900)).await;
    assert_eq!(progress.images, PHOTOS as i64, "one image per object");
    assert_eq!(
        progress.done, PHOTOS as i64,
        "every photo audited: {progress:?}"
    );
    assert_eq!(progress.failed, 0);

    // The kill interrupted real work: some images were delivered again.
    let redelivered: i64 = maskwatch_store::sqlx::query_scalar(
        "SELECT count(*) FROM images WHERE audit_id = $1 AND attempts > 1",
    )
    .bind(audit_id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(
        redelivered > 0,
        "SIGKILL came too late to interrupt anything"
    );
    let by_worker: Vec<(String, i64)> = maskwatch_store::sqlx::query_as(
        "SELECT worker, count(*) FROM images WHERE audit_id = $1 GROUP BY worker ORDER BY worker",
    )
    .bind(audit_id)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        by_worker.len(),
        2,
        "both workers wrote results: {by_worker:?}"
    );

    // Faces: those of an in-process audit of the same photos, each once.
    let faces_by_key: HashMap<String, i64> = maskwatch_store::sqlx::query_as(
        "SELECT i.object_key, count(f.image_id) FROM images i
         LEFT JOIN faces f ON f.image_id = i.id WHERE i.audit_id = $1 GROUP BY i.object_key",
    )
    .bind(audit_id)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    let mut reference = pipeline(PipelineConfig::default());
    let mut mismatches = Vec::new();
    for (file, key) in files.iter().zip(&keys) {
        let bytes = std::fs::read(file).unwrap();
        let photo = decode_rgb(&bytes, DecodeLimits::default()).unwrap();
        let prepared = reference.prepare(photo);
        let expected = reference.audit(std::slice::from_ref(&prepared)).unwrap()[0].len() as i64;
        if faces_by_key.get(key) != Some(&expected) {
            mismatches.push((key.clone(), faces_by_key.get(key).copied(), expected));
        }
    }
    assert!(
        mismatches.is_empty(),
        "face counts differ from the in-process audit: {mismatches:?}"
    );
    assert_eq!(progress.faces, faces_by_key.values().sum::<i64>());

    survivor.wait_ready(Duration::from_secs(5)).await;
    let metrics = reqwest::get(survivor.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("maskwatch_worker_images_total{outcome=\"done\"}"),
        "{metrics}"
    );
    let status = survivor.terminate(Duration::from_secs(60));
    assert!(status.success(), "worker exit on SIGTERM: {status}");
    drop(ingest);
    deployment.tear_down().await;
}
