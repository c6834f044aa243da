//! Settings: one struct built from a preset plus overrides. (Being written.)
