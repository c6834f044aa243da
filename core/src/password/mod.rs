//! Password hashing and policy. (Being written.)
