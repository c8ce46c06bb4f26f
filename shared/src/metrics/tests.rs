//! Tests of the collector: files in, cross-file statistics and findings out.
