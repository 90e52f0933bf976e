//! Two ingest replicas run the same camera schedule; every scheduled
//! snapshot is claimed by exactly one of them and queued exactly once.

use std::time::Duration;

use maskwatch_queue::connect;
use maskwatch_queue::lapin::options::QueueDeclareOptions;
use maskwatch_tests::deployment::{Deployment, post_json};
use maskwatch_tests::maskwatch_binary;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingest_replicas_queue_each_snapshot_once() {
    let deployment = Deployment::new("camera-schedule").await;
    // No catch-up: the test counts ticks from the moment the camera exists.
    let settings = [
        ("MASKWATCH_SCHEDULER_TICK_MS", "200"),
        ("MASKWATCH_CAMERA_CATCH_UP_SECS", "0"),
    ];
    let mut first = deployment.start_ingest("ingest-1", &settings);
    let mut second = deployment.start_ingest("ingest-2", &settings);
    first.wait_ready(Duration::from_secs(60)).await;
    second.wait_ready(Duration::from_secs(60)).await;

    let (status, bad) = post_json(
        &first.url("/v1/cameras"),
        &json!({"name": "gate", "site": "north", "bucket": deployment.bucket,
                "key_template": "gate/%Y%m%d-%H%M%S.jpg", "schedule": "every second"}),
    )
    .await;
    assert_eq!(status, 400, "an invalid schedule is refused: {bad}");
    // Registered the way people do it, with the command line.
    let output = std::process::Command::new(maskwatch_binary())
        .args(["submit", "--ingest-url", &second.url("")])
        .env("MASKWATCH_TOKEN", maskwatch_tests::deployment::SUBMIT_TOKEN)
        .args([
            "camera",
            "--name",
            "gate",
            "--site",
            "north",
            "--bucket",
            &deployment.bucket,
        ])
        .args([
            "--key-template",
            "gate/%Y%m%d-%H%M%S.jpg",
            "--schedule",
            "* * * * * *",
        ])
        .output()
        .expect("maskwatch submit camera");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let camera: serde_json::Value = serde_json::from_slice(&output.stdout).expect("camera JSON");

    tokio::time::sleep(Duration::from_secs(6)).await;
    first.terminate(Duration::from_secs(30));
    second.terminate(Duration::from_secs(30));

    let store = deployment.store();
    let (snapshots, distinct, first_at, last_at, queued): (i64, i64, f64, f64, i64) =
        maskwatch_store::sqlx::query_as(
            "SELECT count(*), count(DISTINCT captured_at),
                    extract(epoch FROM min(captured_at))::float8,
                    extract(epoch FROM max(captured_at))::float8,
                    count(*) FILTER (WHERE queued_at IS NOT NULL)
             FROM images WHERE camera_id = $1::uuid",
        )
        .bind(camera["id"].as_str().unwrap())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(snapshots >= 4, "snapshots in 6 s: {snapshots}");
    assert_eq!(distinct, snapshots, "one image per scheduled time");
    assert_eq!(
        (last_at - first_at) as i64 + 1,
        snapshots,
        "no scheduled second skipped"
    );
    assert_eq!(queued, snapshots, "every snapshot's job confirmed");
    let keys: Vec<String> = maskwatch_store::sqlx::query_scalar(
        "SELECT object_key FROM images WHERE camera_id = $1::uuid ORDER BY captured_at LIMIT 1",
    )
    .bind(camera["id"].as_str().unwrap())
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(
        keys[0].starts_with("gate/20") && keys[0].ends_with(".jpg"),
        "{keys:?}"
    );

    // Exactly one message per snapshot waits in the work queue.
    let connection = connect(deployment.amqp_url(), "maskwatch-tests")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let queue = channel
        .queue_declare(
            deployment.queue_names().images.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(i64::from(queue.message_count()), snapshots);
    deployment.tear_down().await;
}
