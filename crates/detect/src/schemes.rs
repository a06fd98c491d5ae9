//! The scheme detectors of `finmon-schemes` as one [`Detector`]: their findings, each network,
//! ring or exchanger under its group id.

use crate::Detector;
use finmon_model::{Dataset, Finding};

pub struct Schemes {
    pub config: finmon_schemes::SchemesConfig,
}

impl Detector for Schemes {
    fn name(&self) -> &'static str {
        "schemes"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        match finmon_schemes::detect(ds, &self.config) {
            Ok(report) => out.extend(report.findings),
            // Only a graph over more than 2^32 edges fails to build: say so, keep the rest.
            Err(e) => tracing::error!("scheme detectors skipped: {e}"),
        }
    }
}
