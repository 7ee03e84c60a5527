//! SBOMs: [`discover`] finds the documents attached to one manifest by every convention
//! in use, [`parse`] turns them into package URLs. [`crate::read`] runs discovery for
//! every manifest of a tree, beside the walk.

pub mod discover;
pub mod parse;
