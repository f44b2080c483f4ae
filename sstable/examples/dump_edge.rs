//! dump
#![allow(clippy::unwrap_used)]
use ilion_sstable::reader::SstableReader;
fn main() {
    for arg in std::env::args().skip(1) {
        let r = SstableReader::open(std::path::Path::new(&arg)).unwrap();
        println!(
            "== {arg}\n header {:?}\n stats ldt {} {} ttl {} {}",
            r.statistics().header,
            r.statistics().stats.min_local_deletion_time,
            r.statistics().stats.max_local_deletion_time,
            r.statistics().stats.min_ttl,
            r.statistics().stats.max_ttl
        );
        for p in r.scan().unwrap() {
            println!("{p:?}");
        }
    }
}
