//! Who may call what: every endpoint of the ingest and reporting APIs,
//! without a token, with an unknown one, with the wrong scope and with the
//! right one; malformed report requests get a 400 that says why; the
//! OpenAPI document names every route; no token reaches a log.

use std::time::Duration;

use maskwatch_tests::deployment::{
    ADMIN_TOKEN, Deployment, READ_TOKEN, SUBMIT_TOKEN, get_json, get_with,
};
use uuid::Uuid;

const UNKNOWN_TOKEN: &str = "not-a-configured-token-0123456789";

async fn call(method: &str, url: &str, token: Option<&str>) -> u16 {
    let client = reqwest::Client::new();
    let mut request = match method {
        "GET" => client.get(url),
        _ => client
            .post(url)
            .header("content-type", "application/json")
            .body("{}"),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    if response.status() == 401 {
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            Some("Bearer"),
            "{method} {url}"
        );
    }
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_checks_the_token_and_its_scope() {
    let deployment = Deployment::new("api-access").await;
    let mut ingest = deployment.start_ingest("ingest", &[]);
    let mut reporting = deployment.start_reporting("reporting", &[]);
    ingest.wait_ready(Duration::from_secs(60)).await;
    reporting.wait_ready(Duration::from_secs(60)).await;

    let audit = Uuid::new_v4();
    let face = format!("/v1/faces/{}/0/thumbnail", Uuid::new_v4());
    // (service, method, path, the scope it needs)
    let endpoints = [
        (&ingest, "POST", "/v1/images".to_owned(), "submit"),
        (&ingest, "POST", "/v1/audits".to_owned(), "submit"),
        (&ingest, "POST", "/v1/cameras".to_owned(), "submit"),
        (&ingest, "GET", format!("/v1/audits/{audit}"), "read"),
        (&ingest, "GET", "/v1/cameras".to_owned(), "read"),
        (&reporting, "GET", "/v1/stats".to_owned(), "read"),
        (&reporting, "GET", "/v1/violations".to_owned(), "read"),
        (&reporting, "GET", "/v1/audits".to_owned(), "read"),
        (&reporting, "GET", format!("/v1/audits/{audit}"), "read"),
        (&reporting, "GET", "/v1/cameras".to_owned(), "read"),
        (&reporting, "GET", face, "read"),
    ];
    for (service, method, path, scope) in &endpoints {
        let url = service.url(path);
        let (allowed, refused) = match *scope {
            "submit" => (SUBMIT_TOKEN, READ_TOKEN),
            _ => (READ_TOKEN, SUBMIT_TOKEN),
        };
        assert_eq!(
            call(method, &url, None).await,
            401,
            "{method} {path} without a token"
        );
        assert_eq!(
            call(method, &url, Some(UNKNOWN_TOKEN)).await,
            401,
            "{method} {path} unknown"
        );
        assert_eq!(
            call(method, &url, Some(refused)).await,
            403,
            "{method} {path} wrong scope"
        );
        for token in [allowed, ADMIN_TOKEN] {
            let status = call(method, &url, Some(token)).await;
            assert!(
                status != 401 && status != 403 && status < 500,
                "{method} {path} with the {scope} scope: {status}"
            );
        }
    }

    // Public: the dashboard page, the API description, the probes.
    for path in ["/", "/openapi.json", "/healthz", "/readyz", "/metrics"] {
        assert_eq!(get_with(&reporting.url(path), None).await.0, 200, "{path}");
    }
    let (_, openapi) = get_with(&reporting.url("/openapi.json"), None).await;
    let openapi: serde_json::Value = serde_json::from_str(&openapi).unwrap();
    for path in [
        "/v1/stats",
        "/v1/violations",
        "/v1/faces/{image_id}/{face_index}/thumbnail",
        "/v1/audits",
        "/v1/audits/{id}",
        "/v1/cameras",
        "/openapi.json",
        "/",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} is not in the OpenAPI document"
        );
    }

    // Tokens appear in no log line, not even refused ones.
    let logs = format!("{}{}", ingest.log_text(), reporting.log_text());
    for token in [READ_TOKEN, SUBMIT_TOKEN, ADMIN_TOKEN, UNKNOWN_TOKEN] {
        assert!(!logs.contains(token), "a token was logged");
    }

    ingest.terminate(Duration::from_secs(10));
    reporting.terminate(Duration::from_secs(10));
    deployment.tear_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_report_requests_get_a_reason() {
    let deployment = Deployment::new("reporting-params").await;
    let mut reporting = deployment.start_reporting("reporting", &[]);
    reporting.wait_ready(Duration::from_secs(60)).await;

    let cases = [
        ("/v1/stats?camra=gate", "unknown parameter \"camra\""),
        ("/v1/stats?tz=Mars/Olympus", "unknown time zone"),
        ("/v1/stats?from=yesterday", "from:"),
        (
            "/v1/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "before",
        ),
        ("/v1/stats?group_by=day,hour", "at most one"),
        ("/v1/stats?group_by=planet", "cannot group by"),
        ("/v1/stats?min_confidence=2", "between 0 and 1"),
        ("/v1/stats?audit=not-a-uuid", "audit"),
        ("/v1/stats?format=xml", "json or csv"),
        ("/v1/stats?tz=UTC&tz=UTC", "more than once"),
        ("/v1/violations?limit=0", "limit"),
        ("/v1/violations?limit=100000", "limit"),
        ("/v1/violations?after=garbage", "cursor"),
        ("/v1/violations?condition=correct", "no_mask or incorrect"),
        ("/v1/audits?limit=-1", "limit"),
    ];
    for (path, reason) in cases {
        let (status, body) = get_with(&reporting.url(path), Some(READ_TOKEN)).await;
        assert_eq!(status, 400, "{path}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {body}"));
        assert!(error.contains(reason), "{path}: {error}");
    }
    // An empty database is a valid report: zero everywhere.
    let empty = get_json(&reporting.url("/v1/stats")).await;
    assert_eq!(empty["rows"][0]["faces"], 0);
    assert!(empty["rows"][0]["compliance_rate"].is_null());
    let (status, _) = get_with(
        &reporting.url(&format!("/v1/audits/{}", Uuid::new_v4())),
        Some(READ_TOKEN),
    )
    .await;
    assert_eq!(status, 404);

    reporting.terminate(Duration::from_secs(10));
    deployment.tear_down().await;
}
