//! Report latency on a year of data: 10 million faces in 2.5 million photos
//! from 500 cameras at 50 sites. Times the two questions people ask most,
//! through the reporting API (HTTP, JSON, token check included) and as
//! plain SQL on the documented views, and the same questions forced onto
//! the faces table (a confidence threshold) for comparison.
//!
//! cargo build -p maskwatch-reporting && cargo test -p maskwatch-tests --bench reporting_queries
//!
//! (or `cargo bench` after `cargo build --release -p maskwatch-reporting`:
//! the service binary is taken from the bench's own profile). Needs
//! `scripts/services`.
//! The data go into the database `mw_bench_reporting`, kept between runs
//! (seeding takes minutes); `-- --reseed` builds it again.

use std::time::{Duration, Instant};

use maskwatch_store::{Store, sqlx};
use maskwatch_tests::deployment::{Deployment, READ_TOKEN};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const BENCH_DB: &str = "mw_bench_reporting";
const FACES: i64 = 10_000_000;
const RUNS: usize = 30;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let reseed = std::env::args().any(|a| a == "--reseed");
    let url = format!("postgres://postgres@127.0.0.1:5432/{BENCH_DB}");
    let store = prepare_database(&url, reseed).await;
    let pool = store.pool();
    let faces: i64 = sqlx::query_scalar("SELECT count(*) FROM faces")
        .fetch_one(pool)
        .await
        .unwrap();
    let images: i64 = sqlx::query_scalar("SELECT count(*) FROM images")
        .fetch_one(pool)
        .await
        .unwrap();
    let rollup: i64 = sqlx::query_scalar("SELECT count(*) FROM compliance_hourly")
        .fetch_one(pool)
        .await
        .unwrap();
    println!("data: {faces} faces, {images} images, 500 cameras, {rollup} hourly rollup rows");

    let deployment = Deployment::new("reporting-bench").await;
    let mut reporting = deployment.start_reporting("reporting", &[("DATABASE_URL", &url)]);
    reporting.wait_ready(Duration::from_secs(60)).await;
    let client = reqwest::Client::new();

    let one_camera_30_days =
        "camera=cam-0042&group_by=day&from=2026-10-01T00:00:00Z&to=2026-10-31T00:00:00Z";
    let all_cameras_one_day = "group_by=camera&from=2026-10-15T00:00:00Z&to=2026-10-16T00:00:00Z";
    let cases: Vec<(&str, String)> = vec![
        (
            "API  one camera, daily, 30 days",
            format!("/v1/stats?{one_camera_30_days}"),
        ),
        (
            "API  all cameras, one day",
            format!("/v1/stats?{all_cameras_one_day}"),
        ),
        (
            "API  one camera, daily, 30 days, New York days",
            format!("/v1/stats?{one_camera_30_days}&tz=America/New_York"),
        ),
        (
            "API  all cameras, one day, CSV",
            format!("/v1/stats?{all_cameras_one_day}&format=csv"),
        ),
        (
            "API  one camera, daily, 30 days, faces table",
            format!("/v1/stats?{one_camera_30_days}&min_confidence=0.5"),
        ),
        (
            "API  all cameras, one day, faces table",
            format!("/v1/stats?{all_cameras_one_day}&min_confidence=0.5"),
        ),
        (
            "API  violations, first page of 50",
            "/v1/violations?limit=50".to_owned(),
        ),
        (
            "API  violations, one camera, 30 days",
            "/v1/violations?camera=cam-0042&from=2026-10-01T00:00:00Z&to=2026-10-31T00:00:00Z"
                .to_owned(),
        ),
    ];
    println!(
        "\n{:<50} {:>9} {:>9} {:>9} {:>6}",
        "question", "median", "p95", "max", "rows"
    );
    for (name, path) in &cases {
        let url = reporting.url(path);
        let mut body_rows = 0;
        let timings = time_runs(async || {
            let response = client
                .get(&url)
                .bearer_auth(READ_TOKEN)
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            let text = response.text().await.unwrap();
            body_rows = text
                // With the colon: `"source": "faces"` is not a row.
                .matches("\"faces\":")
                .count()
                .max(text.matches("\"image_id\"").count())
                .max(text.lines().count().saturating_sub(1));
        })
        .await;
        report(name, &timings, body_rows);
    }

    let sql_cases = [
        (
            "SQL  daily_compliance_by_camera, one camera, 30 days",
            "SELECT * FROM daily_compliance_by_camera WHERE camera = 'cam-0042'
               AND day >= '2026-10-01' AND day < '2026-10-31' ORDER BY day",
        ),
        (
            "SQL  daily_compliance_by_camera, all cameras, one day",
            "SELECT * FROM daily_compliance_by_camera WHERE day = '2026-10-15'",
        ),
    ];
    for (name, sql) in sql_cases {
        let mut rows = 0;
        let timings = time_runs(async || {
            rows = sqlx::query(sql).fetch_all(pool).await.unwrap().len();
        })
        .await;
        report(name, &timings, rows);
    }

    reporting.terminate(Duration::from_secs(10));
    deployment.tear_down().await;
}

async fn time_runs(mut run: impl AsyncFnMut()) -> Vec<Duration> {
    for _ in 0..3 {
        run().await;
    }
    let mut timings = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await;
        timings.push(started.elapsed());
    }
    timings.sort();
    timings
}

fn report(name: &str, timings: &[Duration], rows: usize) {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let p95 = timings[(timings.len() * 95 / 100).min(timings.len() - 1)];
    println!(
        "{name:<50} {:>9} {:>9} {:>9} {rows:>6}",
        ms(timings[timings.len() / 2]),
        ms(p95),
        ms(*timings.last().unwrap())
    );
}

/// Creates and fills the benchmark database unless it already holds the data.
async fn prepare_database(url: &str, reseed: bool) -> Store {
    let admin = Store::connect_lazy(ADMIN_URL, 1).unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT exists(SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(BENCH_DB)
            .fetch_one(admin.pool())
            .await
            .expect("PostgreSQL (scripts/services)");
    if exists && !reseed {
        let store = Store::connect_lazy(url, 4).unwrap();
        let seeded: Option<i64> = sqlx::query_scalar("SELECT count(*) FROM faces")
            .fetch_one(store.pool())
            .await
            .ok();
        if seeded == Some(FACES) {
            store.migrate().await.unwrap();
            return store;
        }
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"
    )))
    .execute(admin.pool())
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {BENCH_DB}")))
        .execute(admin.pool())
        .await
        .unwrap();
    let store = Store::connect_lazy(url, 4).unwrap();
    store.migrate().await.unwrap();
    let started = Instant::now();
    // 500 cameras at 50 sites; each photographs a crowd every 105 minutes
    // for a year (5000 photos), each photo with four faces: 10 million.
    // Loaded as finished rows in bulk, then the rollup built in one pass, as
    // an operator would load history.
    for step in [
        "INSERT INTO cameras (id, name, site, bucket, key_template, schedule)
         SELECT gen_random_uuid(), format('cam-%s', lpad(n::text, 4, '0')), format('site-%s', n % 50),
                'bench', 'cam/%Y%m%d%H%M.jpg', '0 */105 * * * *'
         FROM generate_series(0, 499) n",
        "INSERT INTO images (id, camera_id, bucket, object_key, captured_at, submitted_at, queued_at,
                             status, finished_at, width, height)
         SELECT gen_random_uuid(), c.id, 'bench', format('%s/%s.jpg', c.name, k),
                t, t, t, 'done', t + interval '2 seconds', 1920, 1080
         FROM cameras c CROSS JOIN generate_series(0, 4999) k
         CROSS JOIN LATERAL (SELECT timestamptz '2025-12-01 00:00Z' + k * interval '105 minutes'
                                    + (hashtext(c.name) % 6000) * interval '1 second' AS t) ts",
        "INSERT INTO faces (image_id, face_index, x_min, y_min, x_max, y_max, detection_score,
                            condition, p_no_mask, p_incorrect, p_correct, super_resolved)
         SELECT i.id, f, 100 + f * 40, 200, 124 + f * 40, 230, 0.97, pick.condition,
                CASE pick.condition WHEN 'no_mask' THEN 0.8 ELSE 0.1 END,
                CASE pick.condition WHEN 'incorrect' THEN 0.8 ELSE 0.1 END,
                CASE pick.condition WHEN 'correct' THEN 0.8 ELSE 0.1 END, true
         FROM images i CROSS JOIN generate_series(0, 3) f
         CROSS JOIN LATERAL (SELECT (ARRAY['correct', 'correct', 'correct', 'no_mask', 'incorrect'])
                                    [1 + (hashtext(i.id::text || f)::int8 % 5 + 5) % 5] AS condition) pick",
        "SELECT rebuild_compliance_hourly()",
        "ANALYZE",
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(step.to_owned())).execute(store.pool()).await.unwrap();
    }
    println!("seeded in {:.0} s", started.elapsed().as_secs_f64());
    store
}
