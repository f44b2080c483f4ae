//! YCSB core workloads' generators (being written).
