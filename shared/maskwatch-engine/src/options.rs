//! The options of every process that runs the models.

use std::path::PathBuf;

use anyhow::Context;

use crate::Lanes;
use maskwatch_pipeline::runtime::find_upwards;
use maskwatch_pipeline::{
    ExecutionTarget, ModelSet, OnnxRuntime, Pipeline, PipelineConfig, PrecisionPolicy,
    RuntimeConfig,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Device {
    Cpu,
    Cuda,
}

/// Numeric precision of the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionChoice {
    /// The model set's int8 copies on the CPU, float32 on CUDA.
    Auto,
    /// The float32 files everywhere.
    Fp32,
}

#[derive(Debug, Clone, clap::Args)]
pub struct EngineOptions {
    /// Folder with manifest.json and the ONNX files [default: models/ in
    /// this folder or the nearest parent that has one].
    #[arg(long, env = "MASKWATCH_MODELS")]
    pub models: Option<PathBuf>,

    /// The ONNX Runtime library [default: .runtime/onnxruntime/libonnxruntime.so
    /// as installed by scripts/setup].
    #[arg(long, env = "MASKWATCH_ORT_LIB")]
    pub ort_lib: Option<PathBuf>,

    /// Where to run the models.
    #[arg(long, value_enum, default_value_t = Device::Cpu, env = "MASKWATCH_DEVICE")]
    pub device: Device,

    /// With --device cuda: fail instead of falling back to the CPU.
    #[arg(long)]
    pub require_cuda: bool,

    /// Faces per super-resolution and classifier run.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,

    /// Smallest face to detect, in pixels; under 12 upscales the photo
    /// [default: the model set's].
    #[arg(long)]
    pub min_face: Option<f32>,

    /// Face-probability thresholds of the three detector stages, e.g.
    /// 0.6,0.7,0.7 [default: the model set's].
    #[arg(long, value_parser = parse_thresholds)]
    pub detector_thresholds: Option<[f32; 3]>,

    /// Threads per model run [default: one per core; in audit and bench,
    /// the cores divided among the lanes].
    #[arg(long)]
    pub threads: Option<usize>,

    /// Numeric precision of the models.
    #[arg(long, value_enum, default_value_t = PrecisionChoice::Auto, env = "MASKWATCH_PRECISION")]
    pub precision: PrecisionChoice,
}

/// The most lanes chosen without `--lanes`: each lane keeps its own
/// activations (about 0.5 GB at batch 8 and 1 GB at batch 32), so one per
/// core would not fit in memory on large machines.
const MAX_DEFAULT_LANES: usize = 4;

/// How many pipelines share a job in one process.
#[derive(Debug, Clone, clap::Args)]
pub struct LaneOptions {
    /// Pipelines working side by side on different photos, each on its own
    /// thread [default: one per core on the CPU, at most 4; one on CUDA].
    #[arg(long)]
    pub lanes: Option<usize>,
}

impl EngineOptions {
    /// Loads `lanes` pipelines (see [`LaneOptions`]). Unless `--threads`
    /// says otherwise, the cores are divided among them.
    pub fn load_lanes(&self, lanes: &LaneOptions) -> anyhow::Result<Lanes> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let count = match (lanes.lanes, self.device) {
            (Some(count), _) => count.max(1),
            (None, Device::Cpu) => cores.min(MAX_DEFAULT_LANES),
            (None, Device::Cuda) => 1,
        };
        let options = EngineOptions {
            threads: self.threads.or((count > 1).then(|| (cores / count).max(1))),
            ..self.clone()
        };
        // One runtime and one check of the model files serve every lane.
        let runtime = options.runtime()?;
        let dir = options.model_dir()?;
        let loading = || format!("loading the model set in {}", dir.display());
        let models = ModelSet::load(&dir).with_context(loading)?;
        let pipelines = (0..count)
            .map(|_| {
                Pipeline::with_model_set(&runtime, models.clone(), options.pipeline_config())
                    .with_context(loading)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Lanes::new(pipelines))
    }

    /// Loads ONNX Runtime and the verified model set.
    pub fn load_pipeline(&self) -> anyhow::Result<Pipeline> {
        let runtime = self.runtime()?;
        let models = self.model_dir()?;
        Pipeline::load(&runtime, &models, self.pipeline_config())
            .with_context(|| format!("loading the model set in {}", models.display()))
    }

    fn runtime(&self) -> anyhow::Result<OnnxRuntime> {
        let target = match self.device {
            Device::Cpu => ExecutionTarget::Cpu,
            Device::Cuda => ExecutionTarget::Cuda {
                device_id: 0,
                required: self.require_cuda,
            },
        };
        Ok(OnnxRuntime::init(RuntimeConfig {
            library: self.ort_lib.clone(),
            target,
            intra_threads: self.threads,
            precision: match self.precision {
                PrecisionChoice::Auto => PrecisionPolicy::Auto,
                PrecisionChoice::Fp32 => PrecisionPolicy::Float32,
            },
        })?)
    }

    fn pipeline_config(&self) -> PipelineConfig {
        PipelineConfig {
            min_face: self.min_face,
            detector_thresholds: self.detector_thresholds,
            batch_size: self.batch_size.max(1),
        }
    }

    fn model_dir(&self) -> anyhow::Result<PathBuf> {
        match &self.models {
            Some(dir) => Ok(dir.clone()),
            None => find_upwards(&PathBuf::from("models/manifest.json"))
                .and_then(|manifest| manifest.parent().map(PathBuf::from))
                .context("no models/manifest.json here or in a parent folder: pass --models DIR"),
        }
    }
}

/// Parses three comma-separated probabilities.
fn parse_thresholds(text: &str) -> Result<[f32; 3], String> {
    let values: Vec<f32> = text
        .split(',')
        .map(|v| v.trim().parse::<f32>().map_err(|e| format!("{v:?}: {e}")))
        .collect::<Result<_, _>>()?;
    match values[..] {
        [a, b, c] if values.iter().all(|v| (0.0..=1.0).contains(v)) => Ok([a, b, c]),
        _ => Err("expected three probabilities between 0 and 1, like 0.6,0.7,0.7".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_validate() {
        assert_eq!(parse_thresholds("0.6, 0.7,0.7"), Ok([0.6, 0.7, 0.7]));
        assert!(parse_thresholds("0.6,0.7").is_err());
        assert!(parse_thresholds("0.6,0.7,1.5").is_err());
        assert!(parse_thresholds("a,b,c").is_err());
    }
}
