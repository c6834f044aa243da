//! Opaque secrets. (Being written.)
