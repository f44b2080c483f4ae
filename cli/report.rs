//! The HTML report of `ilion stress --report` (being written).
