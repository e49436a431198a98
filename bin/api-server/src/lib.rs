//! Wiring of the api-server: settings in, adapters built, use cases assembled, HTTP served.
//! The binary (`main.rs`) only parses the command line and calls into here; tests start the
//! same server in-process through [`start`].

mod migrate;
mod wiring;

pub use migrate::migrate;
pub use wiring::{build, start, Built, Running, StartError};
