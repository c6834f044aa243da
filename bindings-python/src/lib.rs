//! `tenxyte_core._native`: the PyO3 binding of Tenxyte Core.
//!
//! The Python package (`python/tenxyte_core/`) wraps this module: it supplies most time
//! defaults (`now=None` → `time.time()`; the hot `jwt_verify` reads the clock here), keyword-only signatures, the exception classes
//! and the loop that drives flows over a store written in Python. Everything here is a
//! thin conversion layer: the decisions live in the core.

mod agent;
mod clock;
mod convert;
mod engine;
mod errors;
mod flows;
mod primitives;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    primitives::register(m)?;
    engine::register(m)?;
    agent::register(m)?;
    Ok(())
}
