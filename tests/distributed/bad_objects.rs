//! Objects that are not photos, or not there, end as recorded failures with
//! their reasons; messages that are not jobs are recorded as rejected; the
//! good photos in the same batches are audited; the worker keeps running.

use std::time::Duration;

use maskwatch_queue::lapin::options::BasicPublishOptions;
use maskwatch_queue::lapin::{BasicProperties, Channel};
use maskwatch_queue::{ImageJob, QueueNames, connect, declare_topology};
use maskwatch_tests::deployment::{Deployment, post_json, wait_for};
use maskwatch_tests::face_mask_detection;
use serde_json::json;

/// The worker under test refuses objects over this size.
const MAX_OBJECT_BYTES: usize = 2 * 1024 * 1024;

fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    // A valid PNG announcing a huge image with one byte of pixel data:
    // tiny on disk, gigabytes if decoded.
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    // A zlib stream holding one stored byte, with its Adler-32.
    let pixels = [
        0x78, 0x01, 0x01, 0x01, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &header[..]),
        (b"IDAT", &pixels[..]),
        (b"IEND", &[][..]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

async fn publish_raw(channel: &Channel, names: &QueueNames, body: &[u8]) {
    channel
        .basic_publish(
            names.jobs_exchange.as_str().into(),
            names.images.as_str().into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default(),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_objects_and_messages_are_recorded_and_the_worker_keeps_going() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let good = std::fs::read(dataset.join("images/maksssksksss0.jpg")).expect("a photo");
    let deployment = Deployment::new("bad-objects").await;
    let objects = deployment.objects().await;
    let jpeg_start = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec();
    let mut corrupt = jpeg_start.clone();
    corrupt.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let bad: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bad/corrupt.jpg", corrupt, "not a readable photo"),
        (
            "bad/truncated.jpg",
            good[..good.len() / 2].to_vec(),
            "not a readable photo",
        ),
        ("bad/empty.jpg", Vec::new(), "empty file"),
        (
            "bad/bomb.png",
            png_declaring(100_000, 100_000),
            "over the limit",
        ),
        (
            "bad/oversized.jpg",
            vec![0u8; MAX_OBJECT_BYTES + 1],
            "over the 2097152-byte limit",
        ),
        (
            "bad/notes.txt",
            b"just some text, not a photo".to_vec(),
            "not a supported image format",
        ),
        (
            "bad/ünïcødé ✓/photo.png",
            b"plain text".to_vec(),
            "not a supported image format",
        ),
    ];
    for (key, bytes, _) in &bad {
        objects
            .put(&deployment.bucket, key, bytes.clone())
            .await
            .expect("upload");
    }
    for key in ["bad/good-1.jpg", "bad/good-2.jpg"] {
        objects
            .put(&deployment.bucket, key, good.clone())
            .await
            .expect("upload");
    }

    let mut ingest = deployment.start_ingest("ingest", &[]);
    let max_bytes = MAX_OBJECT_BYTES.to_string();
    let mut worker = deployment.start_worker(
        "worker",
        &[
            ("MASKWATCH_MAX_OBJECT_BYTES", &max_bytes),
            ("MASKWATCH_BATCH_IMAGES", "16"),
        ],
    );
    ingest.wait_ready(Duration::from_secs(60)).await;
    worker.wait_ready(Duration::from_secs(120)).await;

    // The ingest API refuses what it can judge at once.
    let (status, refused) = post_json(
        &ingest.url("/v1/audits"),
        &json!({"bucket": "someone-elses-bucket", "prefix": ""}),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    let (status, _) = post_json(
        &ingest.url("/v1/images"),
        &json!({"bucket": deployment.bucket}),
    )
    .await;
    assert_eq!(status, 422, "a request without a key");

    let (status, missing) = post_json(
        &ingest.url("/v1/images"),
        &json!({"bucket": deployment.bucket, "key": "bad/never-uploaded.jpg"}),
    )
    .await;
    assert_eq!(status, 202, "{missing}");
    // S3 servers refuse keys that climb out of the bucket; the image fails
    // with S3's reason.
    let (status, traversal) = post_json(
        &ingest.url("/v1/images"),
        &json!({"bucket": deployment.bucket, "key": "../../etc/passwd"}),
    )
    .await;
    assert_eq!(status, 202, "{traversal}");
    let (status, accepted) = post_json(
        &ingest.url("/v1/audits"),
        &json!({"bucket": deployment.bucket, "prefix": "bad/"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");

    // Messages that are not jobs, straight onto the work queue.
    let connection = connect(deployment.amqp_url(), "maskwatch-tests")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    declare_topology(&channel, &deployment.queue_names(), 1)
        .await
        .unwrap();
    let names = deployment.queue_names();
    publish_raw(&channel, &names, b"\x00\x01 not json").await;
    publish_raw(&channel, &names, &vec![b'{'; 100_000]).await;
    let stranger = ImageJob {
        image_id: uuid::Uuid::new_v4(),
        bucket: deployment.bucket.clone(),
        key: "bad/good-1.jpg".into(),
    };
    publish_raw(&channel, &names, &stranger.to_bytes()).await;

    let store = deployment.store();
    let audit_id: uuid::Uuid = accepted["audit_id"].as_str().unwrap().parse().unwrap();
    let progress = wait_for(
        "the audit to finish",
        Duration::from_secs(300),
        async || {
            let progress = store.audit_progress(audit_id).await.ok()??;
            progress.is_finished().then_some(progress)
        },
    )
    .await;
    assert_eq!(progress.images, bad.len() as i64 + 2);
    assert_eq!(
        progress.done, 2,
        "the good photos in the same batch: {progress:?}"
    );
    assert_eq!(progress.failed, bad.len() as i64);
    for (key, _, expected) in &bad {
        let (status, reason): (String, Option<String>) = maskwatch_store::sqlx::query_as(
            "SELECT status, failure_reason FROM images WHERE audit_id = $1 AND object_key = $2",
        )
        .bind(audit_id)
        .bind(key)
        .fetch_one(store.pool())
        .await
        .unwrap();
        let reason = reason.unwrap_or_default();
        assert_eq!(status, "failed", "{key}");
        assert!(
            reason.contains(expected),
            "{key}: {reason:?} lacks {expected:?}"
        );
    }

    let missing_id: uuid::Uuid = missing["image_id"].as_str().unwrap().parse().unwrap();
    let reason = wait_for(
        "the missing object's failure",
        Duration::from_secs(60),
        async || {
            let row: (String, Option<String>) = maskwatch_store::sqlx::query_as(
                "SELECT status, failure_reason FROM images WHERE id = $1",
            )
            .bind(missing_id)
            .fetch_one(store.pool())
            .await
            .ok()?;
            (row.0 == "failed").then_some(row.1)
        },
    )
    .await;
    assert!(reason.unwrap().contains("no object"), "missing key reason");

    let rejected: Vec<String> = wait_for(
        "three rejected messages",
        Duration::from_secs(60),
        async || {
            let reasons: Vec<String> = maskwatch_store::sqlx::query_scalar(
                "SELECT reason FROM rejected_messages ORDER BY id",
            )
            .fetch_all(store.pool())
            .await
            .ok()?;
            (reasons.len() >= 3).then_some(reasons)
        },
    )
    .await;
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(
        rejected.iter().any(|r| r.contains("malformed")),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.contains("over the 8192-byte limit")),
        "{rejected:?}"
    );
    assert!(
        rejected.iter().any(|r| r.contains("was submitted")),
        "{rejected:?}"
    );

    worker.wait_ready(Duration::from_secs(5)).await;
    assert!(worker.is_running(), "the worker survived every bad input");
    drop((worker, ingest));
    deployment.tear_down().await;
}
