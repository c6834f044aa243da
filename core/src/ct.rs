//! Constant-time comparison, the one place secrets are compared.

use subtle::ConstantTimeEq;

/// True when `a == b`, in time that depends only on the lengths.
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
