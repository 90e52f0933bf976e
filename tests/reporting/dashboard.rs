//! The dashboard in headless Chromium, against a seeded database and real
//! photos in S3: the page must draw the totals, one trend line per camera,
//! the condition breakdown, the audit's progress and the violation
//! thumbnails (cut from the photos by the service). A screenshot is kept in
//! `target/test-artifacts/dashboard.png`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use maskwatch_domain::Condition;
use maskwatch_store::{Store, sqlx};
use maskwatch_tests::deployment::{Deployment, READ_TOKEN, upload};
use maskwatch_tests::{face_mask_detection, repo_root, scratch_dir, val_images};
use uuid::Uuid;

const CHROMIUM: &str = "/usr/bin/chromium";

struct Seeded {
    faces: usize,
    violations: usize,
    /// Days with faces, per camera.
    days_per_camera: Vec<(String, usize)>,
}

/// Two cameras at two sites photographed the same twelve real photos over
/// three days; the faces are the data set's own labelled boxes. An archive
/// audit of the same photos is half done.
async fn seed(deployment: &Deployment, store: &Store, dataset: &Path) -> Seeded {
    let photos = val_images(dataset, 12);
    let files: Vec<_> = photos.iter().map(|p| p.image.clone()).collect();
    let objects = deployment.objects().await;
    let keys = upload(&objects, &deployment.bucket, "snapshots/", &files).await;
    let pool = store.pool();
    let audit = Uuid::new_v4();
    sqlx::query("INSERT INTO audits (id, kind, bucket, prefix, name, listed_at) VALUES ($1, 'prefix', $2, 'snapshots/', 'spring archive', now())")
        .bind(audit)
        .bind(&deployment.bucket)
        .execute(pool)
        .await
        .unwrap();

    let mut seeded = Seeded {
        faces: 0,
        violations: 0,
        days_per_camera: Vec::new(),
    };
    for (camera, site) in [("gate-a", "north"), ("lobby", "south")] {
        let camera_id = Uuid::new_v4();
        sqlx::query("INSERT INTO cameras (id, name, site, bucket, key_template, schedule) VALUES ($1, $2, $3, $4, 's/%H.jpg', '0 * * * *')")
            .bind(camera_id).bind(camera).bind(site).bind(&deployment.bucket)
            .execute(pool).await.unwrap();
        let mut days = BTreeSet::new();
        for (n, (photo, key)) in photos.iter().zip(&keys).enumerate() {
            let day = (n % 3) as i64 + if camera == "lobby" { 1 } else { 0 };
            let captured = chrono::DateTime::parse_from_rfc3339("2026-11-02T08:00:00Z")
                .unwrap()
                .to_utc()
                + chrono::Duration::days(day)
                + chrono::Duration::minutes(n as i64);
            write_result(
                store,
                Some(camera_id),
                None,
                key,
                &deployment.bucket,
                captured,
                &photo.faces,
            )
            .await;
            seeded.faces += photo.faces.len();
            seeded.violations += photo
                .faces
                .iter()
                .filter(|(c, _)| *c != Condition::Correct)
                .count();
            if !photo.faces.is_empty() {
                days.insert(day);
            }
        }
        seeded.days_per_camera.push((camera.to_owned(), days.len()));
    }
    for (n, key) in keys.iter().enumerate() {
        let captured = chrono::DateTime::parse_from_rfc3339("2026-11-01T12:00:00Z")
            .unwrap()
            .to_utc();
        if n < 6 {
            write_result(
                store,
                None,
                Some(audit),
                key,
                &deployment.bucket,
                captured,
                &photos[n].faces,
            )
            .await;
            seeded.faces += photos[n].faces.len();
            seeded.violations += photos[n]
                .faces
                .iter()
                .filter(|(c, _)| *c != Condition::Correct)
                .count();
        } else {
            sqlx::query("INSERT INTO images (id, audit_id, bucket, object_key, captured_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(Uuid::new_v4()).bind(audit).bind(&deployment.bucket).bind(key).bind(captured)
                .execute(pool).await.unwrap();
        }
    }
    seeded
}

async fn write_result(
    store: &Store,
    camera: Option<Uuid>,
    audit: Option<Uuid>,
    key: &str,
    bucket: &str,
    captured: chrono::DateTime<chrono::Utc>,
    faces: &[(Condition, maskwatch_domain::BoundingBox)],
) {
    let image = Uuid::new_v4();
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query("INSERT INTO images (id, audit_id, camera_id, bucket, object_key, captured_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(image).bind(audit).bind(camera).bind(bucket).bind(key).bind(captured)
        .execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE images SET status = 'done', finished_at = now() WHERE id = $1")
        .bind(image)
        .execute(&mut *tx)
        .await
        .unwrap();
    for (index, (condition, face)) in faces.iter().enumerate() {
        let p = |c: Condition| if c == *condition { 0.9f32 } else { 0.05 };
        sqlx::query(
            "INSERT INTO faces (image_id, face_index, x_min, y_min, x_max, y_max, detection_score,
                 condition, p_no_mask, p_incorrect, p_correct, super_resolved)
             VALUES ($1, $2, $3, $4, $5, $6, 0.99, $7, $8, $9, $10, true)",
        )
        .bind(image)
        .bind(index as i32)
        .bind(face.x_min)
        .bind(face.y_min)
        .bind(face.x_max)
        .bind(face.y_max)
        .bind(condition.as_str())
        .bind(p(Condition::NoMask))
        .bind(p(Condition::Incorrect))
        .bind(p(Condition::Correct))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Runs headless Chromium on `url` with the flags a closed network needs.
fn chromium(url: &str, profile: &Path, extra: &[&str]) -> String {
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,1500",
            "--virtual-time-budget=20000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("{CHROMIUM} (scripts/test installs it): {e}"));
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn count(dom: &str, needle: &str) -> usize {
    dom.matches(needle).count()
}

/// The text of the tile with this id.
fn tile(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"tile-{id}\""))
        .unwrap_or_else(|| panic!("no tile {id}"));
    let value = &dom[start..];
    let value = &value[value.find("class=\"value\">").unwrap() + "class=\"value\">".len()..];
    value[..value.find('<').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_draws_the_seeded_report() {
    let Some(dataset) = face_mask_detection() else {
        panic!("the face-mask-detection data set is missing (../shared/datasets)");
    };
    let deployment = Deployment::new("dashboard").await;
    let store = deployment.store();
    store.migrate().await.unwrap();
    let seeded = seed(&deployment, &store, &dataset).await;
    let mut reporting = deployment.start_reporting("reporting", &[]);
    reporting.wait_ready(Duration::from_secs(60)).await;

    let url = reporting.url(&format!("/#token={READ_TOKEN}&tz=UTC"));
    let profile = scratch_dir("dashboard-chromium");
    let dom = chromium(&url, &profile, &["--dump-dom"]);

    assert!(
        dom.contains("data-ready=\"true\""),
        "the page did not finish: {dom}"
    );
    assert_eq!(tile(&dom, "faces"), seeded.faces.to_string());
    assert_eq!(tile(&dom, "images-done"), (12 * 2 + 6).to_string());
    // One line per camera (and one for the archive photos, which have
    // none), with a point per day that had faces.
    assert_eq!(count(&dom, "class=\"series\""), 3, "{dom}");
    assert!(dom.contains("data-name=\"(no camera)\" data-points=\"1\""));
    for (camera, days) in &seeded.days_per_camera {
        assert!(
            dom.contains(&format!("data-name=\"{camera}\" data-points=\"{days}\"")),
            "{camera} should have {days} points"
        );
    }
    // Breakdown rows: the two cameras and the archive photos without one.
    assert_eq!(count(&dom, "class=\"breakdown-row\""), 3);
    assert_eq!(count(&dom, "class=\"audit-row\""), 1);
    assert!(dom.contains("6 done, 0 failed, 6 pending"));
    // Twelve most recent violations, each thumbnail decoded by the browser.
    let shown = seeded.violations.min(12);
    assert!(shown > 0, "the photos have no violations");
    assert_eq!(count(&dom, "class=\"violation\""), shown);
    assert_eq!(
        count(&dom, "data-loaded=\"true\""),
        shown,
        "thumbnails did not load"
    );

    let artifacts = repo_root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        &url,
        &profile,
        &[&format!("--screenshot={}", screenshot.display())],
    );
    let picture = image::open(&screenshot).expect("a screenshot");
    assert_eq!((picture.width(), picture.height()), (1280, 1500));

    reporting.terminate(Duration::from_secs(10));
    deployment.tear_down().await;
}
