//! Core errors → Python exceptions, and the panic guard.
//!
//! The exception classes are plain Python (`tenxyte_core/_errors.py`): one base
//! `TenxyteError` with `.code`, `.category`, `.message`, `.details` and a subclass per
//! core category, some of which also derive from the matching builtin (`InputError` is a
//! `ValueError`, `AuthzError` a `PermissionError`). Defining them in Python gives them
//! real multiple inheritance and exact type stubs; this module only builds instances
//! through `_errors._from_core`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use tenxyte_core::{Error, ErrorCode};

use crate::convert;

static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error.
pub fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let make = FROM_CORE.get_or_try_init(py, || {
            py.import("tenxyte_core._errors")?
                .getattr("_from_core")
                .map(Bound::unbind)
        })?;
        let details = match e.details() {
            Some(d) => convert::to_py(py, d)?,
            None => py.None().into_bound(py),
        };
        let exc = make.bind(py).call1((
            e.code().as_str(),
            e.category().as_str(),
            e.message(),
            details,
        ))?;
        Ok(PyErr::from_value(exc))
    };
    // Building the exception only fails when the Python package is broken; say so rather
    // than lose the original error.
    build().unwrap_or_else(|failure| {
        PyRuntimeError::new_err(format!(
            "{e} (and tenxyte_core._errors could not build the exception: {failure})"
        ))
    })
}

/// Extension: `core_result.py_err(py)?`.
pub trait IntoPy<T> {
    /// Converts a core error into its Python exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, &e))
    }
}

/// Runs pure core code, turning a panic into an `internal` error instead of PyO3's
/// `PanicException` (a `BaseException` that `except Exception` does not catch). The core
/// is written not to panic; this is the seatbelt at the boundary.
pub fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        Err(Error::new(
            ErrorCode::Internal,
            format!("tenxyte core panicked: {message}"),
        ))
    })
}

/// `invalid_input` with a message.
pub fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidInput, message.into())
}

/// A failure of the binding itself (serialising a core value, a Python callable that
/// raised where the core expects an answer): `internal`, never a panic.
pub fn internal(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Internal, e.to_string())
}
