//! The request handlers, one file per group of routes.

pub mod fallback;
pub mod health;
pub mod metrics;
pub mod models;
pub mod predict;
