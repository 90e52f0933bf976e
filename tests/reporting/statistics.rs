//! Every aggregate the reporting API answers is compared with a brute-force
//! count over the same rows, written independently in plain SQL: over a
//! fixture whose photos sit on hour, day and DST edges, in several time
//! zones (whole-hour, half-hour and DST-changing), with and without the
//! hourly rollup.

use std::collections::HashSet;

use maskwatch_store::Store;
use maskwatch_store::sqlx;
use maskwatch_tests::deployment::{Deployment, READ_TOKEN, get_json, get_with};
use serde_json::Value;
use uuid::Uuid;

/// A small deterministic generator: the fixture is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Query-string pairs of one report request.
type Request<'a> = Vec<(&'a str, String)>;

struct Fixture {
    audit: Uuid,
}

const CAMERAS: [(&str, &str); 3] = [("gate-a", "north"), ("gate-b", "north"), ("lobby", "south")];

/// Photos from 2026-03-05 to 2026-03-12 (New York moves its clocks on
/// 2026-03-08), written the way a worker writes them: the image marked done,
/// then its faces, in one transaction. Some fail; some stay pending and must
/// not count.
async fn seed(store: &Store) -> Fixture {
    let pool = store.pool();
    let mut camera_ids = Vec::new();
    for (name, site) in CAMERAS {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO cameras (id, name, site, bucket, key_template, schedule)
             VALUES ($1, $2, $3, 'fixture', 'x/%H.jpg', '0 * * * *')",
        )
        .bind(id)
        .bind(name)
        .bind(site)
        .execute(pool)
        .await
        .unwrap();
        camera_ids.push(id);
    }
    let audit = Uuid::new_v4();
    sqlx::query("INSERT INTO audits (id, kind, bucket, prefix, name) VALUES ($1, 'prefix', 'fixture', 'archive/', 'archive')")
        .bind(audit)
        .execute(pool)
        .await
        .unwrap();

    let start = chrono::DateTime::parse_from_rfc3339("2026-03-05T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut random = Lcg(7);
    // Edges first: midnight UTC, a microsecond before it, New York's and
    // Kolkata's midnights, and the instants around the DST change.
    let mut times: Vec<chrono::DateTime<chrono::Utc>> = [
        "2026-03-06T00:00:00Z",
        "2026-03-06T23:59:59.999999Z",
        "2026-03-07T05:00:00Z",
        "2026-03-07T04:59:59.999999Z",
        "2026-03-08T06:59:59Z",
        "2026-03-08T07:00:00Z",
        "2026-03-09T04:00:00Z",
        "2026-03-09T18:30:00Z",
        "2026-03-09T18:29:59Z",
        "2026-03-10T13:30:00Z",
    ]
    .iter()
    .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc())
    .collect();
    for _ in 0..400 {
        let seconds = random.below(7 * 24 * 3600) as i64;
        times.push(start + chrono::Duration::seconds(seconds));
    }

    for (n, time) in times.iter().enumerate() {
        let image = Uuid::new_v4();
        let (camera, audit_id, captured) = match random.below(4) {
            // Archive photos: the audit, no camera; one in ten with no
            // capture time, counted at its submission.
            0 => (None, Some(audit), random.below(10) != 0),
            other => (Some(camera_ids[other as usize - 1]), None, true),
        };
        sqlx::query(
            "INSERT INTO images (id, audit_id, camera_id, bucket, object_key, captured_at, submitted_at)
             VALUES ($1, $2, $3, 'fixture', $4, $5, $6)",
        )
        .bind(image)
        .bind(audit_id)
        .bind(camera)
        .bind(format!("photo-{n}.jpg"))
        .bind(captured.then_some(*time))
        .bind(*time + chrono::Duration::minutes(if captured { 90 } else { 0 }))
        .execute(pool)
        .await
        .unwrap();
        let mut tx = pool.begin().await.unwrap();
        match random.below(20) {
            0 => continue,
            1 => {
                sqlx::query(
                    "UPDATE images SET status = 'failed', failure_reason = 'corrupt' WHERE id = $1",
                )
                .bind(image)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            _ => {
                sqlx::query("UPDATE images SET status = 'done', finished_at = now() WHERE id = $1")
                    .bind(image)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                for face in 0..random.below(6) {
                    let condition =
                        ["no_mask", "incorrect", "correct", "correct"][random.below(4) as usize];
                    let top = 0.34 + random.below(66) as f32 / 100.0;
                    let rest = (1.0 - top) / 2.0;
                    let (no_mask, incorrect, correct) = match condition {
                        "no_mask" => (top, rest, rest),
                        "incorrect" => (rest, top, rest),
                        _ => (rest, rest, top),
                    };
                    sqlx::query(
                        "INSERT INTO faces (image_id, face_index, x_min, y_min, x_max, y_max,
                             detection_score, condition, p_no_mask, p_incorrect, p_correct, super_resolved)
                         VALUES ($1, $2, 10, 10, 30, 34, 0.95, $3, $4, $5, $6, true)",
                    )
                    .bind(image)
                    .bind(face as i32)
                    .bind(condition)
                    .bind(no_mask)
                    .bind(incorrect)
                    .bind(correct)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
            }
        }
        tx.commit().await.unwrap();
    }
    Fixture { audit }
}

/// The counts of one group, brute force: every image and face is looked at,
/// the time rule written out (captured, else submitted), periods computed
/// with interval arithmetic in the zone.
async fn brute_force(store: &Store, request: &[(&str, String)], row: &Value) -> [i64; 5] {
    let param = |name: &str| {
        request
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let list =
        |name: &str| param(name).map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>());
    let tz = param("tz").unwrap_or_else(|| "UTC".into());
    let period = param("group_by").and_then(|g| {
        g.split(',')
            .find(|k| ["hour", "day", "week"].contains(k))
            .map(str::to_owned)
    });
    let period_start = row["period_start"]
        .as_str()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc());
    let grouped_by = |key: &str| param("group_by").is_some_and(|g| g.split(',').any(|k| k == key));

    let filter = "
        FROM images i LEFT JOIN cameras c ON c.id = i.camera_id
        WHERE i.status <> 'pending'
          AND ($1::timestamptz IS NULL OR coalesce(i.captured_at, i.submitted_at) >= $1)
          AND ($2::timestamptz IS NULL OR coalesce(i.captured_at, i.submitted_at) < $2)
          AND ($3::text[] IS NULL OR c.name = ANY($3))
          AND ($4::text[] IS NULL OR c.site = ANY($4))
          AND ($5::uuid[] IS NULL OR i.audit_id = ANY($5))
          AND (NOT $6 OR c.name IS NOT DISTINCT FROM $7)
          AND (NOT $8 OR c.site IS NOT DISTINCT FROM $9)
          AND (NOT $10 OR i.audit_id IS NOT DISTINCT FROM $11)
          AND ($12::timestamptz IS NULL OR (
                coalesce(i.captured_at, i.submitted_at) >= $12
            AND coalesce(i.captured_at, i.submitted_at) <
                (($12 AT TIME ZONE $13) + ('1 ' || $14)::interval) AT TIME ZONE $13))";
    let sql = format!(
        "SELECT
           (SELECT count(*) {filter} AND i.status = 'done'),
           (SELECT count(*) {filter} AND i.status = 'failed'),
           (SELECT coalesce(sum((SELECT count(*) FROM faces f WHERE f.image_id = i.id
                AND f.condition = 'no_mask' AND greatest(f.p_no_mask, f.p_incorrect, f.p_correct) >= $15)), 0)::int8 {filter}),
           (SELECT coalesce(sum((SELECT count(*) FROM faces f WHERE f.image_id = i.id
                AND f.condition = 'incorrect' AND greatest(f.p_no_mask, f.p_incorrect, f.p_correct) >= $15)), 0)::int8 {filter}),
           (SELECT coalesce(sum((SELECT count(*) FROM faces f WHERE f.image_id = i.id
                AND f.condition = 'correct' AND greatest(f.p_no_mask, f.p_incorrect, f.p_correct) >= $15)), 0)::int8 {filter})"
    );
    let time = |name: &str| {
        param(name).map(|t| chrono::DateTime::parse_from_rfc3339(&t).unwrap().to_utc())
    };
    let (done, failed, no_mask, incorrect, correct): (i64, i64, i64, i64, i64) =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(time("from"))
            .bind(time("to"))
            .bind(list("camera"))
            .bind(list("site"))
            .bind(list("audit").map(|ids| {
                ids.iter()
                    .map(|id| id.parse::<Uuid>().unwrap())
                    .collect::<Vec<_>>()
            }))
            .bind(grouped_by("camera"))
            .bind(row["camera"].as_str())
            .bind(grouped_by("site") || grouped_by("camera"))
            .bind(row["site"].as_str())
            .bind(grouped_by("audit"))
            .bind(
                row["audit_id"]
                    .as_str()
                    .map(|id| id.parse::<Uuid>().unwrap()),
            )
            .bind(period_start)
            .bind(&tz)
            .bind(period.unwrap_or_else(|| "day".into()))
            .bind(param("min_confidence").map_or(0.0, |c| c.parse::<f32>().unwrap()))
            .fetch_one(store.pool())
            .await
            .unwrap();
    [done, failed, no_mask, incorrect, correct]
}

fn counts_of(row: &Value) -> [i64; 5] {
    [
        "images_done",
        "images_failed",
        "faces_no_mask",
        "faces_incorrect",
        "faces_correct",
    ]
    .map(|field| {
        row[field]
            .as_i64()
            .unwrap_or_else(|| panic!("{field} in {row}"))
    })
}

fn query_string(request: &[(&str, String)]) -> String {
    request
        .iter()
        .map(|(name, value)| format!("{name}={}", value.replace('+', "%2B")))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_aggregate_equals_a_brute_force_count() {
    let deployment = Deployment::new("reporting-stats").await;
    let store = deployment.store();
    store.migrate().await.unwrap();
    let fixture = seed(&store).await;
    let mut reporting = deployment.start_reporting("reporting", &[]);
    reporting
        .wait_ready(std::time::Duration::from_secs(60))
        .await;

    let audit = fixture.audit.to_string();
    let s = |v: &str| v.to_owned();
    let requests: Vec<(Request, &str)> = vec![
        (vec![], "hourly_rollup"),
        (vec![("group_by", s("camera,day"))], "hourly_rollup"),
        (
            vec![
                ("group_by", s("site,day")),
                ("tz", s("America/New_York")),
                ("from", s("2026-03-07T05:00:00Z")),
                ("to", s("2026-03-10T04:00:00Z")),
            ],
            "hourly_rollup",
        ),
        (
            vec![
                ("group_by", s("hour")),
                ("tz", s("America/New_York")),
                ("from", s("2026-03-08T00:00:00Z")),
                ("to", s("2026-03-09T00:00:00Z")),
            ],
            "hourly_rollup",
        ),
        (
            vec![("group_by", s("day")), ("tz", s("Asia/Kolkata"))],
            "faces",
        ),
        (
            vec![
                ("group_by", s("site,audit,day")),
                ("tz", s("Australia/Adelaide")),
            ],
            "faces",
        ),
        (
            vec![("group_by", s("week,audit")), ("tz", s("Europe/Berlin"))],
            "hourly_rollup",
        ),
        (
            vec![("group_by", s("camera")), ("min_confidence", s("0.7"))],
            "faces",
        ),
        (
            vec![
                ("group_by", s("day")),
                ("from", s("2026-03-06T06:30:00Z")),
                ("to", s("2026-03-09T18:30:00Z")),
            ],
            "faces",
        ),
        (
            vec![
                ("group_by", s("camera,hour")),
                ("camera", s("gate-a,lobby")),
                ("from", s("2026-03-06T00:00:00Z")),
                ("to", s("2026-03-07T00:00:00Z")),
            ],
            "hourly_rollup",
        ),
        (
            vec![("site", s("north")), ("group_by", s("camera"))],
            "hourly_rollup",
        ),
        (
            vec![("audit", audit.clone()), ("group_by", s("day,audit"))],
            "hourly_rollup",
        ),
        (
            vec![("group_by", s("camera,day")), ("min_confidence", s("0"))],
            "faces",
        ),
    ];
    let mut compared = 0;
    for (request, expected_source) in &requests {
        let url = reporting.url(&format!("/v1/stats?{}", query_string(request)));
        let answer = get_json(&url).await;
        assert_eq!(answer["source"], *expected_source, "{url}");
        let rows = answer["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{url}: no rows");
        let mut total = [0i64; 5];
        let mut keys = HashSet::new();
        for row in rows {
            assert_eq!(
                counts_of(row),
                brute_force(&store, request, row).await,
                "{url}: {row}"
            );
            for (sum, value) in total.iter_mut().zip(counts_of(row)) {
                *sum += value;
            }
            assert!(keys.insert(row.to_string()), "{url}: a group twice");
            let faces = row["faces"].as_i64().unwrap();
            if faces > 0 {
                let rate = row["faces_correct"].as_f64().unwrap() / faces as f64;
                assert!((row["compliance_rate"].as_f64().unwrap() - rate).abs() < 1e-12);
            } else {
                assert!(row["compliance_rate"].is_null());
            }
            compared += 1;
        }
        // The groups add up to everything the filters select: none is missing.
        let ungrouped: Vec<(&str, String)> = request
            .iter()
            .filter(|(n, _)| *n != "group_by")
            .cloned()
            .collect();
        assert_eq!(
            total,
            brute_force(&store, &ungrouped, &Value::Null).await,
            "{url}: totals"
        );
    }
    assert!(compared > 150, "only {compared} rows compared");

    // The rollup and the faces give the same table.
    let by_rollup = get_json(&reporting.url("/v1/stats?group_by=camera,day")).await;
    let by_faces = get_json(&reporting.url("/v1/stats?group_by=camera,day&min_confidence=0")).await;
    assert_eq!(by_rollup["rows"], by_faces["rows"]);

    // CSV carries the same numbers.
    let (status, csv) = get_with(
        &reporting.url("/v1/stats?group_by=camera,day&format=csv"),
        Some(READ_TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "camera_id,camera,site,period_start,images_done,images_failed,faces,faces_no_mask,faces_incorrect,faces_correct,compliance_rate,mask_rate"
    );
    let rows = by_rollup["rows"].as_array().unwrap();
    assert_eq!(lines.len(), rows.len() + 1);
    for (line, row) in lines[1..].iter().zip(rows) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[1], row["camera"].as_str().unwrap_or(""));
        assert_eq!(cells[6], row["faces"].to_string());
        assert_eq!(cells[9], row["faces_correct"].to_string());
    }

    reporting.terminate(std::time::Duration::from_secs(10));
    deployment.tear_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn violations_page_through_every_violation_once_newest_first() {
    let deployment = Deployment::new("reporting-violations").await;
    let store = deployment.store();
    store.migrate().await.unwrap();
    seed(&store).await;
    let mut reporting = deployment.start_reporting("reporting", &[]);
    reporting
        .wait_ready(std::time::Duration::from_secs(60))
        .await;

    for filters in [
        "",
        "&condition=incorrect&camera=gate-a,lobby",
        "&site=south&min_confidence=0.6&tz=Asia/Kolkata",
    ] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let cursor = after
                .as_ref()
                .map(|c| format!("&after={c}"))
                .unwrap_or_default();
            let page =
                get_json(&reporting.url(&format!("/v1/violations?limit=7{filters}{cursor}"))).await;
            for violation in page["violations"].as_array().unwrap() {
                assert_ne!(violation["condition"], "correct");
                seen.push((
                    violation["observed_at"].as_str().unwrap().to_owned(),
                    violation["image_id"].as_str().unwrap().to_owned(),
                    violation["face_index"].as_i64().unwrap(),
                ));
            }
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        let expected: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT to_char(coalesce(i.captured_at, i.submitted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),
                    i.id::text, f.face_index::int8
             FROM faces f JOIN images i ON i.id = f.image_id LEFT JOIN cameras c ON c.id = i.camera_id
             WHERE f.condition <> 'correct' AND i.status = 'done' {}
             ORDER BY coalesce(i.captured_at, i.submitted_at) DESC, i.id DESC, f.face_index DESC",
            match filters {
                "" => "",
                f if f.contains("incorrect") => "AND f.condition = 'incorrect' AND c.name IN ('gate-a', 'lobby')",
                _ => "AND c.site = 'south' AND greatest(f.p_no_mask, f.p_incorrect, f.p_correct) >= 0.6",
            }
        )))
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert!(
            expected.len() > 10,
            "{filters}: too few violations in the fixture"
        );
        let seen_keys: Vec<(String, i64)> =
            seen.iter().map(|(_, id, i)| (id.clone(), *i)).collect();
        let expected_keys: Vec<(String, i64)> =
            expected.iter().map(|(_, id, i)| (id.clone(), *i)).collect();
        assert_eq!(seen_keys, expected_keys, "{filters}");
        for ((time, _, _), (expected_time, _, _)) in seen.iter().zip(&expected) {
            let time = chrono::DateTime::parse_from_rfc3339(time).unwrap().to_utc();
            assert_eq!(
                time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                *expected_time
            );
        }
    }

    reporting.terminate(std::time::Duration::from_secs(10));
    deployment.tear_down().await;
}
