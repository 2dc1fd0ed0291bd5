//! EN 16931, the European standard for electronic invoices: one model
//! (`model`), read from UBL 2.1 (`ubl`) and CII D16B (`cii`), written back
//! to both (`write`, used by the round-trip tests and the demo), checked
//! against the standard's business rules (`rules`) and those it states on the
//! XML itself (`syntax`, with the code lists in `codes`), every finding worded in
//! one place (`findings`). Factur-X PDFs give their CII through `facturx`.

pub mod cii;
pub mod codes;
pub mod coverage;
pub mod decimal;
pub mod facturx;
pub mod findings;
pub mod model;
pub mod rules;
pub mod syntax;
pub mod ubl;
pub mod write;
mod xpath;

pub use decimal::Dec;
pub use findings::Finding;
pub use model::Invoice;
