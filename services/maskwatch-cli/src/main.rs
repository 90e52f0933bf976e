//! `maskwatch`: audit face-mask wearing in photos from the command line.

mod annotate;
mod commands;
mod image_files;
mod label_font;
mod progress;
mod summary;

use clap::{Parser, Subcommand};
use maskwatch_service::logging;

/// Audit face-mask wearing in photos: for every face, no mask, mask worn
/// incorrectly, or worn correctly.
#[derive(Debug, Parser)]
#[command(name = "maskwatch", version, about)]
struct Cli {
    /// Log format on standard error.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text, env = "MASKWATCH_LOG_FORMAT")]
    log_format: logging::LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit local photos in this process, with no servers.
    Audit(commands::audit::AuditArgs),
    /// Measure the models against labelled data.
    Eval(commands::eval::EvalArgs),
    /// Measure throughput: faces per second and images per second.
    Bench(commands::bench::BenchArgs),
    /// Send work to a deployment: S3 prefixes, single objects, cameras.
    Submit(commands::submit::SubmitArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format, "warn");
    let outcome = match cli.command {
        Command::Audit(args) => commands::audit::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Submit(args) => commands::submit::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
