//! A real deployment for one test: its own PostgreSQL database, its own
//! RabbitMQ queue names and its own S3 bucket on the machine's services
//! (`scripts/services` starts them), with the ingest and worker binaries run
//! as separate processes, as in production.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use maskwatch_objects::{ObjectStore, ObjectStoreOptions};
use maskwatch_queue::QueueNames;
use maskwatch_store::{AuditProgress, Store};
use uuid::Uuid;

use crate::{built_binary, models_dir, repo_root};

pub(crate) const ADMIN_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// The API tokens every test deployment accepts, one per scope combination.
pub const READ_TOKEN: &str = "test-reader-0123456789abcdef";
pub const SUBMIT_TOKEN: &str = "test-submitter-0123456789abcdef";
pub const ADMIN_TOKEN: &str = "test-admin-0123456789abcdef";

pub struct Deployment {
    pub name: String,
    pub database_url: String,
    pub database: String,
    pub queue_prefix: String,
    pub bucket: String,
    s3_endpoint: String,
    s3_credentials: (String, String),
}

impl Deployment {
    /// Creates the database and the bucket, named after the test.
    pub async fn new(test: &str) -> Self {
        let unique = Uuid::new_v4().simple().to_string()[..8].to_owned();
        let database = format!("mw_{}_{unique}", test.replace('-', "_"));
        let admin = Store::connect_lazy(ADMIN_DATABASE_URL, 1).expect("admin pool");
        maskwatch_store::sqlx::raw_sql(maskwatch_store::sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {database}"
        )))
        .execute(admin.pool())
        .await
        .unwrap_or_else(|e| {
            panic!("creating {database} (is PostgreSQL up? scripts/services): {e}")
        });
        let deployment = Self {
            name: test.to_owned(),
            database_url: format!("postgres://postgres@127.0.0.1:5432/{database}"),
            database,
            queue_prefix: format!("mwtest.{test}.{unique}"),
            bucket: format!("mw-{test}-{unique}"),
            s3_endpoint: std::env::var("MASKWATCH_S3_ENDPOINT")
                .unwrap_or_else(|_| "http://127.0.0.1:8333".into()),
            s3_credentials: s3_credentials(),
        };
        deployment
            .objects()
            .await
            .create_bucket(&deployment.bucket)
            .await
            .unwrap_or_else(|e| {
                panic!("creating the bucket (is the S3 server up? scripts/services): {e}")
            });
        deployment
    }

    /// An S3 client limited to this deployment's bucket.
    pub async fn objects(&self) -> ObjectStore {
        let options = ObjectStoreOptions {
            s3_endpoint: Some(self.s3_endpoint.clone()),
            s3_region: "us-east-1".into(),
            s3_buckets: vec![self.bucket.clone()],
            s3_path_style: true,
            max_object_bytes: 200 * 1024 * 1024,
        };
        ObjectStore::connect_with_credentials(
            &options,
            &self.s3_credentials.0,
            &self.s3_credentials.1,
        )
        .await
    }

    pub fn store(&self) -> Store {
        Store::connect_lazy(&self.database_url, 4).expect("pool")
    }

    pub fn queue_names(&self) -> QueueNames {
        QueueNames::with_prefix(&self.queue_prefix)
    }

    pub fn amqp_url(&self) -> &'static str {
        AMQP_URL
    }

    /// A service binary with this deployment's environment.
    pub fn command(&self, binary: &str, package: &str) -> Command {
        let mut command = Command::new(built_binary(binary, package));
        command
            .current_dir(repo_root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.database_url)
            .env("MASKWATCH_AMQP_URL", AMQP_URL)
            .env("MASKWATCH_QUEUE_PREFIX", &self.queue_prefix)
            .env("MASKWATCH_S3_ENDPOINT", &self.s3_endpoint)
            .env("MASKWATCH_S3_BUCKETS", &self.bucket)
            .env("AWS_ACCESS_KEY_ID", &self.s3_credentials.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.s3_credentials.1)
            .env("MASKWATCH_MODELS", models_dir())
            .env(
                "MASKWATCH_API_TOKENS",
                format!("read={READ_TOKEN} submit={SUBMIT_TOKEN} read,submit={ADMIN_TOKEN}"),
            )
            .env("MASKWATCH_LOG_FORMAT", "text")
            .env("RUST_LOG", "info,aws=warn,lapin=warn,sqlx=warn")
            .stdin(Stdio::null());
        command
    }

    /// Starts an ingest replica on a free port.
    pub fn start_ingest(&self, label: &str, extra_env: &[(&str, &str)]) -> Service {
        let port = free_port();
        let mut command = self.command("maskwatch-ingest", "maskwatch-ingest");
        command.env("MASKWATCH_INGEST_LISTEN", format!("127.0.0.1:{port}"));
        command.envs(extra_env.iter().copied());
        Service::spawn(label, command, port, &self.name)
    }

    /// Starts the reporting service on a free port.
    pub fn start_reporting(&self, label: &str, extra_env: &[(&str, &str)]) -> Service {
        let port = free_port();
        let mut command = self.command("maskwatch-reporting", "maskwatch-reporting");
        command.env("MASKWATCH_REPORTING_LISTEN", format!("127.0.0.1:{port}"));
        command.envs(extra_env.iter().copied());
        Service::spawn(label, command, port, &self.name)
    }

    /// Starts a worker on a free port.
    pub fn start_worker(&self, label: &str, extra_env: &[(&str, &str)]) -> Service {
        let port = free_port();
        let mut command = self.command("maskwatch-worker", "maskwatch-worker");
        command
            .env("MASKWATCH_WORKER_LISTEN", format!("127.0.0.1:{port}"))
            .env("MASKWATCH_WORKER_NAME", label);
        command.envs(extra_env.iter().copied());
        Service::spawn(label, command, port, &self.name)
    }

    /// Starts one worker per label, all at once, and returns them when every
    /// one is ready (models loaded, broker and database reachable).
    pub async fn start_ready_workers(
        &self,
        labels: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Vec<Service> {
        let mut workers: Vec<Service> = labels
            .iter()
            .map(|label| self.start_worker(label, extra_env))
            .collect();
        for worker in &mut workers {
            worker.wait_ready(Duration::from_secs(180)).await;
        }
        workers
    }

    /// Drops the database and the queues; called at the end of a passing
    /// test (a failing one leaves them for inspection).
    pub async fn tear_down(self) {
        let connection = maskwatch_queue::connect(AMQP_URL, "maskwatch-tests")
            .await
            .expect("RabbitMQ");
        let channel = connection.create_channel().await.expect("channel");
        let names = self.queue_names();
        for queue in [&names.images, &names.dead_images] {
            let _ = channel
                .queue_delete(queue.as_str().into(), Default::default())
                .await;
        }
        for exchange in [&names.jobs_exchange, &names.dead_exchange] {
            let _ = channel
                .exchange_delete(exchange.as_str().into(), Default::default())
                .await;
        }
        let admin = Store::connect_lazy(ADMIN_DATABASE_URL, 1).expect("admin pool");
        let _ = maskwatch_store::sqlx::raw_sql(maskwatch_store::sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.database
        )))
        .execute(admin.pool())
        .await;
    }
}

/// The S3 server's credentials: from the environment, or as
/// `scripts/services` wrote them.
fn s3_credentials() -> (String, String) {
    if let (Ok(key), Ok(secret)) = (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) {
        return (key, secret);
    }
    let file = repo_root().join(".runtime/seaweedfs/credentials.env");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/services to start the S3 server)",
            file.display()
        )
    });
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing from {}", file.display()))
            .to_owned()
    };
    (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A service process; killed when dropped so a failing test leaves nothing running.
pub struct Service {
    pub label: String,
    pub port: u16,
    child: Child,
    pub log: PathBuf,
}

impl Service {
    fn spawn(label: &str, mut command: Command, port: u16, test: &str) -> Self {
        let log = std::env::temp_dir().join(format!("maskwatch-{test}-{label}-{port}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        command
            .stdout(file.try_clone().expect("log file"))
            .stderr(file);
        let child = command.spawn().expect("starting the service");
        Self {
            label: label.to_owned(),
            port,
            child,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&mut self, timeout: Duration) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status}; log: {}",
                    self.label,
                    self.tail_of_log()
                );
            }
            if let Ok(response) = client.get(self.url("/readyz")).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready after {timeout:?}; log: {}",
                self.label,
                self.tail_of_log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the process to exit on its own.
    pub fn terminate(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} ignored SIGTERM", self.label);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything the service has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn tail_of_log(&self) -> String {
        let text = self.log_text();
        let start = text.len().saturating_sub(4000);
        text[text
            .char_indices()
            .map(|(i, _)| i)
            .find(|&i| i >= start)
            .unwrap_or(0)..]
            .to_owned()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Uploads files under `prefix`, eight at a time; returns the object keys.
pub async fn upload(
    objects: &ObjectStore,
    bucket: &str,
    prefix: &str,
    files: &[PathBuf],
) -> Vec<String> {
    use futures_util::StreamExt;
    futures_util::stream::iter(files)
        .map(|file| async move {
            let key = format!(
                "{prefix}{}",
                file.file_name().expect("a name").to_string_lossy()
            );
            let bytes = std::fs::read(file).expect("reading a photo");
            objects.put(bucket, &key, bytes).await.expect("upload");
            key
        })
        .buffered(8)
        .collect()
        .await
}

/// POSTs JSON with a token of every scope and returns the status and the
/// JSON answer.
pub async fn post_json(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(ADMIN_TOKEN)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// POSTs raw bytes with a token of every scope and the given content type
/// (none when `None`); returns the status and the body as text.
pub async fn post_raw(url: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .bearer_auth(ADMIN_TOKEN)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    status_and_text(request, &format!("POST {url}")).await
}

/// GETs with a token (or none) and returns the status and the body.
pub async fn get_with(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    status_and_text(request, &format!("GET {url}")).await
}

/// Sends `request` (`what` names it if it cannot be sent) and returns the
/// status and the body as text.
async fn status_and_text(request: reqwest::RequestBuilder, what: &str) -> (u16, String) {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// GETs JSON with the read token; panics unless the answer is 200.
pub async fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = get_with(url, Some(READ_TOKEN)).await;
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

/// Polls `check` every half second until it returns `Some`, or panics with
/// `what` after `timeout`.
pub async fn wait_for<T>(what: &str, timeout: Duration, check: impl AsyncFn() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until every image of an audit has ended; returns its progress.
pub async fn wait_for_audit(store: &Store, audit_id: Uuid, timeout: Duration) -> AuditProgress {
    wait_for("the audit to finish", timeout, async || {
        let progress = store.audit_progress(audit_id).await.ok()??;
        progress.is_finished().then_some(progress)
    })
    .await
}

/// Waits until an image has failed; returns the recorded reason.
pub async fn wait_for_failure(store: &Store, image_id: Uuid, timeout: Duration) -> String {
    wait_for("the image to fail", timeout, async || {
        let (status, reason): (String, Option<String>) = maskwatch_store::sqlx::query_as(
            "SELECT status, failure_reason FROM images WHERE id = $1",
        )
        .bind(image_id)
        .fetch_one(store.pool())
        .await
        .ok()?;
        (status == "failed").then(|| reason.unwrap_or_default())
    })
    .await
}

/// The id in field `name` of a JSON answer.
pub fn id_in(answer: &serde_json::Value, name: &str) -> Uuid {
    answer[name]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {answer}"))
}
