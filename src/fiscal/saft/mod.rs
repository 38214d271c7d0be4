//! SAF-T Cash Register export (in progress).
