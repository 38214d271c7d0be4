//! The catalogue as the till's screen sees it: plain, already loaded data.
//!
//! The model and its indexes live in [`crate::domain::catalog`] (pure); reading TOML/CSV files
//! lives in [`crate::app::catalog`] (the shell). These re-exports keep the paths the screen and
//! its tests have always used.

pub use crate::domain::catalog::{
    ALLOWED_VAT_BPS, Catalog, CatalogError, Product, SEARCH_LIMIT, ScanHit, parse_price,
};
