//! One-time codes. (Being written.)
