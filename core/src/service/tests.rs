//! Flow tests over a small in-crate store (the embedded stores live in another crate);
//! end-to-end tests on MemoryStore and SqliteStore are in `stores/tests`.
