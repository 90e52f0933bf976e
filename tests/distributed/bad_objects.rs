//! Objects that are not photos, or not there, end as recorded failures with
//! their reasons; messages that are not jobs are recorded as rejected;
//! malformed API requests get a 4xx with a reason; the good photos in the
//! same batches (among them one with a wrong content type and one enormous
//! photo) are audited; the worker keeps running.

use std::time::Duration;

use maskwatch_pipeline::hostile_inputs::png_declaring;
use maskwatch_queue::lapin::options::BasicPublishOptions;
use maskwatch_queue::lapin::{BasicProperties, Channel};
use maskwatch_queue::{ImageJob, QueueNames, connect, declare_topology};
use maskwatch_tests::deployment::{
    Deployment, id_in, post_json, post_raw, wait_for, wait_for_audit, wait_for_failure,
};
use maskwatch_tests::face_mask_detection;
use serde_json::json;

/// The worker under test refuses objects over this size.
const MAX_OBJECT_BYTES: usize = 16 * 1024 * 1024;

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
    let good_image = image::load_from_memory(&good).expect("the photo decodes");
    let good_png = encode(&good_image, image::ImageFormat::Png);
    let mut corrupt_png = good_png[..64].to_vec();
    corrupt_png.extend((0..5000u32).map(|i| (i.wrapping_mul(40_503) >> 8) as u8));
    // A real photo, enlarged to 9000x6000 (54 megapixels, within the limits),
    // and a real photo stretched past the longest side allowed.
    let enormous = encode(
        &good_image.resize_exact(9000, 6000, image::imageops::FilterType::Triangle),
        image::ImageFormat::Jpeg,
    );
    let too_wide = encode(
        &good_image.resize_exact(24_000, 200, image::imageops::FilterType::Nearest),
        image::ImageFormat::Jpeg,
    );
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
            "over the 16777216-byte limit",
        ),
        ("bad/corrupt.png", corrupt_png, "not a readable photo"),
        (
            "bad/truncated.png",
            good_png[..good_png.len() / 2].to_vec(),
            "not a readable photo",
        ),
        (
            "bad/too-wide.jpg",
            too_wide,
            "over the limit of 20000 per side",
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
    // Photos that must be audited, whatever their uploader claimed they are.
    let photos: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("bad/good-1.jpg", good.clone(), None),
        ("bad/good-2.jpg", good.clone(), Some("image/jpeg")),
        ("bad/claims-text.jpg", good.clone(), Some("text/plain")),
        (
            "bad/png-named-jpg.jpg",
            good_png.clone(),
            Some("image/jpeg"),
        ),
        ("bad/enormous.jpg", enormous, Some("image/jpeg")),
    ];
    for (key, bytes, content_type) in &photos {
        objects
            .put_with_content_type(&deployment.bucket, key, bytes.clone(), *content_type)
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
    let images = ingest.url("/v1/images");
    let json = Some("application/json");
    for (body, content_type, expected) in [
        (b"{\"bucket\": ".to_vec(), json, 400),
        (b"[1, 2, 3]".to_vec(), json, 422),
        (b"{\"bucket\": 7, \"key\": []}".to_vec(), json, 422),
        (
            b"{\"bucket\": \"b\", \"key\": \"k\", \"admin\": true}".to_vec(),
            json,
            422,
        ),
        (
            b"bucket=b&key=k".to_vec(),
            Some("application/x-www-form-urlencoded"),
            415,
        ),
        (b"{}".to_vec(), None, 415),
        (vec![b' '; 100 * 1024], json, 413),
    ] {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let (status, reason) = post_raw(&images, content_type, body).await;
        assert_eq!(status, expected, "{shown:?} as {content_type:?}: {reason}");
        assert!(
            !reason.trim().is_empty(),
            "{shown:?}: a 4xx without a reason"
        );
    }

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
    let audit_id = id_in(&accepted, "audit_id");
    let progress = wait_for_audit(&store, audit_id, Duration::from_secs(300)).await;
    assert_eq!(progress.images, (bad.len() + photos.len()) as i64);
    assert_eq!(
        progress.done,
        photos.len() as i64,
        "the good photos in the same batch: {progress:?}"
    );
    for (key, _, _) in &photos {
        let (status, faces): (String, i64) = maskwatch_store::sqlx::query_as(
            "SELECT i.status, count(f.image_id) FROM images i
             LEFT JOIN faces f ON f.image_id = i.id
             WHERE i.audit_id = $1 AND i.object_key = $2 GROUP BY i.id",
        )
        .bind(audit_id)
        .bind(key)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(status, "done", "{key}");
        assert!(faces > 0, "{key}: the photo's faces were found");
    }
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

    for (accepted, expected) in [(&missing, "no object"), (&traversal, "S3 refused")] {
        let reason =
            wait_for_failure(&store, id_in(accepted, "image_id"), Duration::from_secs(60)).await;
        assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
    }

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

fn encode(photo: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    photo
        .to_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .expect("encoding");
    bytes
}
