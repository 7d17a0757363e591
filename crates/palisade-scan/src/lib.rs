//! Supply-chain scanner: Python environments, lockfiles, workflows, package source heuristics, OSV advisories.
//!
//! (Skeleton: filled in by its issue.)
