//! Strict JWS/JWT. (Being written.)
