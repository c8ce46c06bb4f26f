//! The two agents and their report: personas, the grounded context they
//! read, the workflow that runs them (with the concurrency experiment), the
//! structure of their answers, the fact check, and the report files.

pub mod context;
pub mod factcheck;
pub mod personas;
pub mod report;
pub mod run;
pub mod sections;
