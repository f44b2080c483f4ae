//! The part of `verify` that checks the unchecksummed components against
//! the data: Cassandra's Filter.db, Index.db and Summary.db carry no
//! checksum, so damage there shows only as a key a lookup cannot reach.
//! Every partition is decoded where Index.db says it starts, and its key
//! must be admitted by the filter and found again through the lookup path.
//! For versions whose Statistics.db has no CRCs (ma to me), every decoded
//! timestamp must also lie in the Stats' timestamp range: a damaged
//! serialization header shifts every timestamp, which nothing else checks.

use super::SstableReader;
use crate::bloom::BloomFilter;
use crate::descriptor::Component;
use crate::error::{Error, Result};
use crate::rows::Partition;

fn hex(key: &[u8]) -> String {
    key.iter().take(32).map(|b| format!("{b:02x}")).collect()
}

impl SstableReader {
    /// Decodes every partition and checks that a point lookup reaches it.
    pub(super) fn verify_keys(&self) -> Result<()> {
        let stats = &self.statistics.stats;
        let range = (!self.version.has_metadata_checksum()
            && stats.min_timestamp <= stats.max_timestamp)
            .then_some((stats.min_timestamp, stats.max_timestamp));
        for partition in self.iter()? {
            let partition = partition?;
            if let Some((min, max)) = range {
                if let Some(t) = first_timestamp_outside(&partition, min, max) {
                    return Err(Error::corrupt(
                        self.component(Component::Statistics),
                        0,
                        format!(
                            "partition {} holds timestamp {t}, outside the recorded {min}..={max} \
                             (a damaged serialization header?)",
                            hex(&partition.key)
                        ),
                    ));
                }
            }
            let key = partition.key;
            if !self.filter.may_contain_hash(BloomFilter::hash(&key)) {
                return Err(Error::corrupt(
                    self.component(Component::Filter),
                    0,
                    format!("the filter does not admit partition key {}", hex(&key)),
                ));
            }
            if self.locate_checked(&key)?.is_none() {
                return Err(Error::corrupt(
                    &self.index_path,
                    0,
                    format!("partition key {} is not found through the index", hex(&key)),
                ));
            }
        }
        Ok(())
    }
}

/// The first timestamp in `partition` outside `min..=max`, if any.
fn first_timestamp_outside(partition: &Partition, min: i64, max: i64) -> Option<i64> {
    let mut stamps = Vec::new();
    partition.timestamps(&mut stamps);
    stamps.into_iter().find(|t| *t < min || *t > max)
}
