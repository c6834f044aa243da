//! Python objects ↔ JSON values.
//!
//! Every structured input and output of the binding crosses as a JSON-compatible Python
//! value (dict, list, tuple, str, int, float, bool, None), converted here rather than
//! through `json.dumps`, so a dict keeps its key order and an int stays an int. Inputs are
//! checked as they are read: a non-string key, a non-finite float, an int outside 64 bits,
//! an unsupported type or nesting deeper than [`MAX_DEPTH`] is `invalid_input`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use tenxyte_core::Error;

use crate::errors::invalid;

/// Deeper input is refused (the core's own JSON parser caps nesting at a similar depth);
/// it also bounds the recursion here.
pub const MAX_DEPTH: usize = 64;

/// A JSON value as a typed core input; a mismatch is `invalid_input` naming `what`.
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| invalid(format!("invalid {what}: {e}")))
}

/// A Python value (dict, list, ...) as a typed core input, through [`to_value`].
pub fn from_py<T: serde::de::DeserializeOwned>(
    obj: &Bound<'_, PyAny>,
    what: &str,
) -> Result<T, Error> {
    from_value(to_value(obj)?, what)
}

/// A Python value as JSON. Errors are core errors (`invalid_input`) so they map to
/// `InputError` like every other malformed input.
pub fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, Error> {
    to_value_at(obj, 0)
}

fn to_value_at(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Error> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "input nests deeper than {MAX_DEPTH} levels"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's bool is a subclass of int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(invalid("an integer does not fit in 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| invalid("NaN and infinities are not JSON numbers"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| invalid("a string is not valid UTF-8 (lone surrogate)"));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| invalid("JSON object keys must be strings"))?
                .to_cow()
                .map_err(|_| invalid("a key is not valid UTF-8"))?
                .into_owned();
            map.insert(key, to_value_at(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .map(|v| to_value_at(&v, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|v| to_value_at(&v, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    Err(invalid(format!(
        "a value of type {type_name} is not JSON-compatible (dict, list, tuple, str, int, float, bool, None)"
    )))
}

/// A JSON value as a Python object (dicts keep the key order).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64()
                    .ok_or_else(|| PyTypeError::new_err("unrepresentable number"))?
                    .into_pyobject(py)?
                    .into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => to_py_object(py, map)?,
    })
}

/// A JSON object as a Python dict, without wrapping the map in a `Value` first.
pub fn to_py_object<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict.into_any())
}
