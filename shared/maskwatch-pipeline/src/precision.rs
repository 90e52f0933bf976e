//! Which numeric precision each model runs in.
//!
//! A model set may carry an int8 copy of a model next to its float32 file.
//! The int8 copies are for the CPU, where ONNX Runtime's integer kernels are
//! several times faster; on CUDA the float32 files run (int8 QDQ graphs are
//! not faster there). A copy is only put in the manifest when `maskwatch
//! eval` on `val` showed that it loses nothing, so the default uses it.

use std::fmt;

/// What the caller asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PrecisionPolicy {
    /// Int8 on the CPU for every model the set has an int8 copy of; float32
    /// otherwise.
    #[default]
    Auto,
    /// Always the float32 files: the reference the int8 copies are checked
    /// against.
    Float32,
}

/// What one model actually runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Float32,
    Int8,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Float32 => "fp32",
            Precision::Int8 => "int8",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PrecisionPolicy {
    /// The precision for a model that does or does not have an int8 copy,
    /// on the CPU or not.
    pub fn choose(self, on_cpu: bool, has_int8: bool) -> Precision {
        match self {
            PrecisionPolicy::Auto if on_cpu && has_int8 => Precision::Int8,
            _ => Precision::Float32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_only_on_the_cpu_and_only_where_a_copy_exists() {
        let auto = PrecisionPolicy::Auto;
        assert_eq!(auto.choose(true, true), Precision::Int8);
        assert_eq!(auto.choose(true, false), Precision::Float32);
        assert_eq!(auto.choose(false, true), Precision::Float32);
        assert_eq!(
            PrecisionPolicy::Float32.choose(true, true),
            Precision::Float32
        );
    }
}
