//! `maskwatch submit`: send work to a deployment's ingest service.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::progress;

#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// The ingest service.
    #[arg(
        long,
        env = "MASKWATCH_INGEST_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub ingest_url: String,

    /// A bearer token with the `submit` scope (and `read`, for `--wait`).
    #[arg(long, env = "MASKWATCH_TOKEN", hide_env_values = true)]
    pub token: Option<ApiToken>,

    #[command(subcommand)]
    pub what: Submission,
}

#[derive(Debug, clap::Subcommand)]
pub enum Submission {
    /// Audit every object under an S3 prefix; submitting the same prefix
    /// again resumes the audit instead of repeating it.
    Audit {
        #[arg(long)]
        bucket: String,
        #[arg(long, default_value = "")]
        prefix: String,
        #[arg(long)]
        name: Option<String>,
        /// Follow the audit with a progress bar until every image has ended.
        #[arg(long)]
        wait: bool,
    },
    /// Audit one S3 object.
    Image {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        key: String,
    },
    /// Register (or update) a camera whose snapshots are audited on a schedule.
    Camera {
        #[arg(long)]
        name: String,
        #[arg(long)]
        site: String,
        #[arg(long)]
        bucket: String,
        /// Object key of each snapshot; strftime fields (%Y%m%d-%H%M%S) take
        /// the scheduled time in UTC.
        #[arg(long)]
        key_template: String,
        /// Cron expression, seconds optional, in UTC: "*/5 * * * *".
        #[arg(long)]
        schedule: String,
    },
}

/// A token that is sent but never printed.
#[derive(Clone)]
pub struct ApiToken(String);

impl std::str::FromStr for ApiToken {
    type Err = std::convert::Infallible;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        Ok(Self(token.to_owned()))
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

pub fn run(args: SubmitArgs) -> anyhow::Result<ExitCode> {
    let mut headers = HeaderMap::new();
    if let Some(ApiToken(token)) = &args.token {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the token has characters a header cannot carry")?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()?;
    let base = args.ingest_url.trim_end_matches('/');
    match args.what {
        Submission::Audit {
            bucket,
            prefix,
            name,
            wait,
        } => {
            let body = json!({"bucket": bucket, "prefix": prefix, "name": name});
            let accepted = post(&client, &format!("{base}/v1/audits"), &body)?;
            let id = accepted["audit_id"]
                .as_str()
                .context("no audit_id in the answer")?;
            println!("{}", serde_json::to_string_pretty(&accepted)?);
            if wait {
                follow(&client, &format!("{base}/v1/audits/{id}"))?;
            }
        }
        Submission::Image { bucket, key } => {
            let body = json!({"bucket": bucket, "key": key});
            let accepted = post(&client, &format!("{base}/v1/images"), &body)?;
            println!("{}", serde_json::to_string_pretty(&accepted)?);
        }
        Submission::Camera {
            name,
            site,
            bucket,
            key_template,
            schedule,
        } => {
            let body = json!({"name": name, "site": site, "bucket": bucket,
                              "key_template": key_template, "schedule": schedule});
            let camera = post(&client, &format!("{base}/v1/cameras"), &body)?;
            println!("{}", serde_json::to_string_pretty(&camera)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn post(client: &Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let response = client
        .post(url)
        .json(body)
        .send()
        .with_context(|| format!("POST {url}"))?;
    answer(response)
}

fn answer(response: Response) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response.json().unwrap_or(Value::Null);
    if !status.is_success() {
        let reason = body["error"].as_str().unwrap_or("no reason given");
        anyhow::bail!("the ingest service answered {status}: {reason}");
    }
    Ok(body)
}

/// Polls an audit's progress until every image has ended.
fn follow(client: &Client, url: &str) -> anyhow::Result<()> {
    let bar = progress::bar(0, "auditing");
    loop {
        let progress = answer(
            client
                .get(url)
                .send()
                .with_context(|| format!("GET {url}"))?,
        )?;
        let count = |field: &str| progress[field].as_u64().unwrap_or(0);
        bar.set_length(count("images"));
        bar.set_position(count("done") + count("failed"));
        if progress["listing_complete"].as_bool() == Some(true) && count("pending") == 0 {
            bar.finish_and_clear();
            println!("{}", serde_json::to_string_pretty(&progress)?);
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
