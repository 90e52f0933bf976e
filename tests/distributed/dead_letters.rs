//! A job that keeps failing for a reason that may pass (here, an S3 server
//! that never answers) is retried up to the delivery limit, then moved to
//! the dead-letter queue and recorded as failed with the reason.

use std::time::Duration;

use maskwatch_tests::deployment::{Deployment, id_in, post_json, wait_for};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_keeps_failing_is_dead_lettered_with_its_reason() {
    let deployment = Deployment::new("dead-letters").await;
    let mut ingest = deployment.start_ingest("ingest", &[]);
    // Port 9 (discard) is closed here: every fetch fails to connect.
    let mut worker = deployment.start_worker(
        "worker",
        &[
            ("MASKWATCH_S3_ENDPOINT", "http://127.0.0.1:9"),
            ("MASKWATCH_FETCH_RETRY_SECS", "0"),
        ],
    );
    ingest.wait_ready(Duration::from_secs(60)).await;
    worker.wait_ready(Duration::from_secs(120)).await;

    let (status, accepted) = post_json(
        &ingest.url("/v1/images"),
        &json!({"bucket": deployment.bucket, "key": "somewhere/photo.jpg"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let image_id = id_in(&accepted, "image_id");

    let store = deployment.store();
    let (reason, attempts) = wait_for(
        "the job to be dead-lettered",
        Duration::from_secs(120),
        async || {
            let (status, reason, attempts): (String, Option<String>, i32) =
                maskwatch_store::sqlx::query_as(
                    "SELECT status, failure_reason, attempts FROM images WHERE id = $1",
                )
                .bind(image_id)
                .fetch_one(store.pool())
                .await
                .ok()?;
            (status == "failed").then_some((reason.unwrap_or_default(), attempts))
        },
    )
    .await;
    // The broker dead-letters a message once it was returned more often
    // than the limit (5): six deliveries.
    assert_eq!(attempts, 6, "one attempt per delivery");
    assert!(reason.starts_with("gave up after 6 deliveries"), "{reason}");
    assert!(reason.contains("S3 unavailable"), "{reason}");
    assert!(worker.is_running());
    drop((worker, ingest));
    deployment.tear_down().await;
}
