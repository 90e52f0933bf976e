//! Where the S3 server is and what the services may read from it.
//! Credentials come from the standard AWS environment (AWS_ACCESS_KEY_ID and
//! AWS_SECRET_ACCESS_KEY, or a profile or role), never from flags.

/// Objects over this size are refused before they are read: an oversized
/// object is far more likely a mistake or an attack than a photo.
const DEFAULT_MAX_OBJECT_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Debug, Clone, clap::Args)]
pub struct ObjectStoreOptions {
    /// S3 endpoint, for S3-compatible servers (SeaweedFS, MinIO, ...)
    /// [default: AWS].
    #[arg(long, env = "MASKWATCH_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    #[arg(long, env = "MASKWATCH_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// Buckets the service may read, comma-separated; requests naming any
    /// other bucket are refused.
    #[arg(
        long,
        env = "MASKWATCH_S3_BUCKETS",
        value_delimiter = ',',
        required = true
    )]
    pub s3_buckets: Vec<String>,

    /// Address buckets as a path (`endpoint/bucket/key`) instead of a host
    /// name; what S3-compatible servers on one host need.
    #[arg(long, env = "MASKWATCH_S3_PATH_STYLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub s3_path_style: bool,

    /// Largest object the worker reads, in bytes.
    #[arg(long, env = "MASKWATCH_MAX_OBJECT_BYTES", default_value_t = DEFAULT_MAX_OBJECT_BYTES)]
    pub max_object_bytes: u64,
}
