//! The fault suite: one bulk audit of 500 real photos through the real
//! services while, one after another, a worker is killed with SIGKILL,
//! RabbitMQ is restarted, PostgreSQL is restarted after 10 seconds down, the
//! S3 server is away for 30 seconds and the database refuses connections for
//! 20 seconds.
//!
//! After each fault the audit must move on by itself (no service restarted
//! by hand, only the killed worker replaced as its supervisor would) and the
//! ingest service must still take new work. At the end every image has
//! exactly one outcome and exactly the faces that an in-process audit of
//! the same photos finds: none lost, none counted twice. The table of what
//! happened is printed and kept in `target/test-artifacts/faults.md`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use maskwatch_pipeline::PipelineConfig;
use maskwatch_pipeline::decode::{DecodeLimits, decode_rgb};
use maskwatch_store::Store;
use maskwatch_store::sqlx;
use maskwatch_tests::deployment::{
    Deployment, Service, id_in, post_json, upload, wait_for, wait_for_audit,
};
use maskwatch_tests::machine::{
    MachineService, allow_connections, refuse_connections, start_stopped_services,
};
use maskwatch_tests::{face_mask_detection, first_photos, pipeline, repo_root};
use serde_json::json;
use uuid::Uuid;

const PHOTOS: usize = 500;
/// Images that must finish after a fault before it counts as recovered.
const PROGRESS_AFTER_FAULT: i64 = 12;
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(300);
const S3_OUTAGE: Duration = Duration::from_secs(30);
/// Long enough that a worker surely tries to commit while PostgreSQL is
/// down: a restart of a second or two can fall between two commits, and the
/// pool then reconnects without any request failing.
const POSTGRES_DOWN: Duration = Duration::from_secs(10);
const REFUSAL: Duration = Duration::from_secs(20);
const WORKER_ENV: [(&str, &str); 2] =
    [("MASKWATCH_BATCH_IMAGES", "4"), ("MASKWATCH_PREFETCH", "8")];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    WorkerKilled,
    RabbitMqRestarted,
    PostgresRestarted,
    S3Away,
    DatabaseRefusing,
}

impl Fault {
    const ALL: [Fault; 5] = [
        Fault::WorkerKilled,
        Fault::RabbitMqRestarted,
        Fault::PostgresRestarted,
        Fault::S3Away,
        Fault::DatabaseRefusing,
    ];

    fn describe(self) -> &'static str {
        match self {
            Fault::WorkerKilled => "worker killed with SIGKILL",
            Fault::RabbitMqRestarted => "RabbitMQ restarted",
            Fault::PostgresRestarted => "PostgreSQL restarted after 10 s down",
            Fault::S3Away => "S3 server stopped for 30 s",
            Fault::DatabaseRefusing => "database refusing connections for 20 s",
        }
    }

    /// The worker metric label of the errors this fault should cause.
    fn error_source(self) -> Option<&'static str> {
        match self {
            Fault::WorkerKilled => None,
            Fault::RabbitMqRestarted => Some("broker"),
            Fault::PostgresRestarted | Fault::DatabaseRefusing => Some("database"),
            Fault::S3Away => Some("s3"),
        }
    }
}

/// What one fault did, for the table.
struct Observed {
    fault: Fault,
    pending_at_start: i64,
    started: DateTime<Utc>,
    lasted: Duration,
    moved_on_after: Duration,
    errors_retried: f64,
    late_image: Uuid,
}

struct Cluster {
    deployment: Deployment,
    store: Store,
    ingest: Service,
    workers: Vec<Service>,
    replacements: usize,
}

impl Cluster {
    async fn progress(&self, audit_id: Uuid) -> maskwatch_store::AuditProgress {
        wait_for("the audit's progress", RECOVERY_TIMEOUT, async || {
            self.store.audit_progress(audit_id).await.ok()?
        })
        .await
    }

    /// Sum over the live workers of the errors retried from `source`.
    async fn errors_retried(&self, source: &str) -> f64 {
        let series = format!("maskwatch_worker_transient_errors_total{{source=\"{source}\"}}");
        let mut total = 0.0;
        for worker in &self.workers {
            let Ok(response) = reqwest::get(worker.url("/metrics")).await else {
                continue;
            };
            let text = response.text().await.unwrap_or_default();
            total += text
                .lines()
                .filter_map(|line| line.strip_prefix(&series))
                .filter_map(|value| value.trim().parse::<f64>().ok())
                .sum::<f64>();
        }
        total
    }

    fn assert_all_running(&mut self, after: Fault) {
        assert!(
            self.ingest.is_running(),
            "ingest exited after {after:?}: {}",
            self.ingest.tail_of_log()
        );
        for worker in &mut self.workers {
            assert!(
                worker.is_running(),
                "{} exited after {after:?}: {}",
                worker.label,
                worker.tail_of_log()
            );
        }
    }

    /// Causes the fault and returns when it is over.
    async fn inflict(&mut self, fault: Fault) {
        match fault {
            Fault::WorkerKilled => {
                let mut doomed = self.workers.remove(0);
                doomed.kill();
                self.replacements += 1;
                let label = format!("replacement-{}", self.replacements);
                let replacement = self
                    .deployment
                    .start_ready_workers(&[&label], &WORKER_ENV)
                    .await;
                self.workers.extend(replacement);
            }
            Fault::RabbitMqRestarted => {
                MachineService::RabbitMq.stop();
                start_stopped_services();
            }
            Fault::PostgresRestarted => {
                MachineService::Postgres.stop();
                tokio::time::sleep(POSTGRES_DOWN).await;
                start_stopped_services();
            }
            Fault::S3Away => {
                MachineService::S3.stop();
                tokio::time::sleep(S3_OUTAGE).await;
                start_stopped_services();
            }
            Fault::DatabaseRefusing => {
                refuse_connections(&self.deployment.database).await;
                tokio::time::sleep(REFUSAL).await;
                allow_connections(&self.deployment.database).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_survives_every_fault_and_counts_each_image_once() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let files = first_photos(&dataset, PHOTOS);
    assert_eq!(files.len(), PHOTOS, "the data set has too few photos");

    let deployment = Deployment::new("faults").await;
    let objects = deployment.objects().await;
    let keys = upload(&objects, &deployment.bucket, "archive/2026/", &files).await;
    // One photo more per fault, submitted after it to show that ingest
    // still takes work; a copy of the first photo, under its own key.
    let late_photo = std::fs::read(&files[0]).expect("a photo");
    for fault in Fault::ALL {
        objects
            .put(&deployment.bucket, &late_key(fault), late_photo.clone())
            .await
            .expect("upload");
    }

    let store = deployment.store();
    let mut ingest = deployment.start_ingest("ingest", &[]);
    let workers = deployment
        .start_ready_workers(&["worker-a", "worker-b"], &WORKER_ENV)
        .await;
    ingest.wait_ready(Duration::from_secs(60)).await;
    let mut cluster = Cluster {
        deployment,
        store,
        ingest,
        workers,
        replacements: 0,
    };

    let (status, accepted) = post_json(
        &cluster.ingest.url("/v1/audits"),
        &json!({"bucket": cluster.deployment.bucket, "prefix": "archive/", "name": "faults"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let audit_id = id_in(&accepted, "audit_id");
    // Submitting the same prefix again resumes the same audit: no new images.
    let (status, again) = post_json(
        &cluster.ingest.url("/v1/audits"),
        &json!({"bucket": cluster.deployment.bucket, "prefix": "archive/"}),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(again["audit_id"], accepted["audit_id"]);
    assert_eq!(again["resumed"], true);
    let first_results = cluster.progress(audit_id).await.done + 20;
    wait_for(
        "the audit to get going",
        Duration::from_secs(600),
        async || {
            let progress = cluster.store.audit_progress(audit_id).await.ok()??;
            (progress.done >= first_results).then_some(())
        },
    )
    .await;

    let mut observed = Vec::new();
    for fault in Fault::ALL {
        let before = cluster.progress(audit_id).await;
        assert!(
            before.pending > 4 * PROGRESS_AFTER_FAULT,
            "the audit is nearly over before {fault:?}; nothing would be interrupted: {before:?}"
        );
        let errors_before = match fault.error_source() {
            Some(source) => cluster.errors_retried(source).await,
            None => 0.0,
        };
        let started = Utc::now();
        let clock = Instant::now();
        cluster.inflict(fault).await;
        let lasted = clock.elapsed();

        // The audit moves on, with nobody's help.
        let recovered = Instant::now();
        let done_at_end = cluster.progress(audit_id).await.done;
        wait_for(
            &format!("the audit to move on after {fault:?}"),
            RECOVERY_TIMEOUT,
            async || {
                let progress = cluster.store.audit_progress(audit_id).await.ok()??;
                (progress.done >= done_at_end + PROGRESS_AFTER_FAULT).then_some(())
            },
        )
        .await;
        let moved_on_after = recovered.elapsed();
        cluster.assert_all_running(fault);
        for worker in &mut cluster.workers {
            worker.wait_ready(RECOVERY_TIMEOUT).await;
        }
        cluster.ingest.wait_ready(RECOVERY_TIMEOUT).await;
        let errors_retried = match fault.error_source() {
            Some(source) => cluster.errors_retried(source).await - errors_before,
            None => 0.0,
        };

        // And ingest takes new work.
        let (status, late) = post_json(
            &cluster.ingest.url("/v1/images"),
            &json!({"bucket": cluster.deployment.bucket, "key": late_key(fault)}),
        )
        .await;
        assert_eq!(status, 202, "submitting after {fault:?}: {late}");
        observed.push(Observed {
            fault,
            pending_at_start: before.pending,
            started,
            lasted,
            moved_on_after,
            errors_retried,
            late_image: id_in(&late, "image_id"),
        });
    }
    for seen in &observed {
        if seen.fault.error_source().is_some() {
            assert!(
                seen.errors_retried > 0.0,
                "no worker noticed {:?}: the fault hit nothing",
                seen.fault
            );
        }
    }

    let progress = wait_for_audit(&cluster.store, audit_id, Duration::from_secs(1200)).await;
    assert_eq!(progress.images, PHOTOS as i64, "one image per object");

    // The faces of every image against an in-process audit of its photo.
    let mut reference = pipeline(PipelineConfig::default());
    let mut count_faces = |bytes: &[u8]| -> i64 {
        let photo = decode_rgb(bytes, DecodeLimits::default()).expect("a photo");
        let prepared = reference.prepare(photo);
        reference
            .audit(std::slice::from_ref(&prepared))
            .expect("audit")[0]
            .len() as i64
    };
    let mut expected: HashMap<String, i64> = HashMap::new();
    for (file, key) in files.iter().zip(&keys) {
        expected.insert(key.clone(), count_faces(&std::fs::read(file).unwrap()));
    }
    let late_faces = count_faces(&late_photo);
    for fault in Fault::ALL {
        expected.insert(late_key(fault), late_faces);
    }
    let late_ids: Vec<Uuid> = observed.iter().map(|seen| seen.late_image).collect();
    for id in &late_ids {
        wait_for("a late image to finish", RECOVERY_TIMEOUT, async || {
            let status: String = sqlx::query_scalar("SELECT status FROM images WHERE id = $1")
                .bind(id)
                .fetch_one(cluster.store.pool())
                .await
                .ok()?;
            (status != "pending").then_some(())
        })
        .await;
    }

    let outcomes = image_outcomes(&cluster.store, audit_id, &late_ids).await;
    assert_eq!(outcomes.len(), PHOTOS + Fault::ALL.len());
    let mut rows = Vec::new();
    for (index, seen) in observed.iter().enumerate() {
        let until = observed.get(index + 1).map(|next| next.started);
        let in_window = |outcome: &&ImageOutcome| {
            outcome
                .finished_at
                .is_some_and(|at| at >= seen.started && until.is_none_or(|until| at < until))
                || outcome.id == seen.late_image
        };
        let window: Vec<&ImageOutcome> = outcomes.iter().filter(in_window).collect();
        let lost = window
            .iter()
            .filter(|o| o.status != "done" || o.faces < expected[&o.key])
            .count();
        let twice = window.iter().filter(|o| o.faces > expected[&o.key]).count();
        rows.push(format!(
            "| {} | {} | {:.0} s | {:.0} | {:.1} s | {} | {} | {lost} | {twice} |",
            seen.fault.describe(),
            seen.pending_at_start,
            seen.lasted.as_secs_f64(),
            seen.errors_retried,
            seen.moved_on_after.as_secs_f64(),
            window.len(),
            window.iter().filter(|o| o.attempts > 1).count(),
        ));
    }
    let lost: Vec<&ImageOutcome> = outcomes
        .iter()
        .filter(|o| o.status != "done" || o.faces < expected[&o.key])
        .collect();
    let twice: Vec<&ImageOutcome> = outcomes
        .iter()
        .filter(|o| o.faces > expected[&o.key])
        .collect();
    let redelivered = outcomes.iter().filter(|o| o.attempts > 1).count();
    let table = format!(
        "| fault | images pending | fault lasted | errors retried | audit moved on after | \
         images finished until the next fault | of them delivered again | lost | counted twice |\n\
         |---|---|---|---|---|---|---|---|---|\n{}\n\n\
         {} images in all, {redelivered} delivered more than once; lost: {}, counted twice: {}.\n",
        rows.join("\n"),
        outcomes.len(),
        lost.len(),
        twice.len(),
    );
    eprintln!("{table}");
    let artifacts = repo_root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    std::fs::write(artifacts.join("faults.md"), &table).expect("writing the table");

    assert!(lost.is_empty(), "images lost: {lost:?}");
    assert!(twice.is_empty(), "images counted twice: {twice:?}");
    assert!(redelivered > 0, "no fault interrupted any delivery");
    assert_eq!(
        progress.faces,
        keys.iter().map(|key| expected[key]).sum::<i64>()
    );

    cluster.assert_all_running(Fault::DatabaseRefusing);
    for worker in &mut cluster.workers {
        let status = worker.terminate(Duration::from_secs(60));
        assert!(
            status.success(),
            "{} exit on SIGTERM: {status}",
            worker.label
        );
    }
    let Cluster {
        deployment, ingest, ..
    } = cluster;
    drop(ingest);
    deployment.tear_down().await;
}

fn late_key(fault: Fault) -> String {
    format!("late/after-{fault:?}.jpg")
}

#[derive(Debug)]
struct ImageOutcome {
    id: Uuid,
    key: String,
    status: String,
    attempts: i32,
    finished_at: Option<DateTime<Utc>>,
    faces: i64,
}

/// An image row as read: id, key, status, attempts, finished, face rows.
type OutcomeRow = (Uuid, String, String, i32, Option<DateTime<Utc>>, i64);

/// Every image of the audit and the late ones, with its face rows counted.
async fn image_outcomes(store: &Store, audit_id: Uuid, late: &[Uuid]) -> Vec<ImageOutcome> {
    let rows: Vec<OutcomeRow> = sqlx::query_as(
        "SELECT i.id, i.object_key, i.status, i.attempts, i.finished_at, count(f.image_id)
         FROM images i LEFT JOIN faces f ON f.image_id = i.id
         WHERE i.audit_id = $1 OR i.id = ANY($2)
         GROUP BY i.id",
    )
    .bind(audit_id)
    .bind(late)
    .fetch_all(store.pool())
    .await
    .expect("reading the outcomes");
    rows.into_iter()
        .map(
            |(id, key, status, attempts, finished_at, faces)| ImageOutcome {
                id,
                key,
                status,
                attempts,
                finished_at,
                faces,
            },
        )
        .collect()
}
