//! Error types the report prints in a shape of their own.

/// Several independent failures under one heading, each on a line of its own. Kept as
/// a list so that the error report can escape each item without escaping the line breaks
/// between them.
#[derive(Debug)]
pub struct Failures {
    pub heading: String,
    pub items: Vec<String>,
}

impl std::fmt::Display for Failures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:\n  {}", self.heading, self.items.join("\n  "))
    }
}

impl std::error::Error for Failures {}
