pub mod audit;
pub mod bench;
pub mod eval;
pub mod submit;
