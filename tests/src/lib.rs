//! Shared helpers for the end-to-end tests: starting real peers and test doubles.
