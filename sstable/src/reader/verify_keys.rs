//! The part of `verify` that checks the unchecksummed components against
//! the data: Cassandra's Filter.db, Index.db and Summary.db carry no
//! checksum, so damage there shows only as a key a lookup cannot reach.
//! Every partition is decoded where Index.db says it starts, and its key
//! must be admitted by the filter and found again through the lookup path.

use super::SstableReader;
use crate::bloom::BloomFilter;
use crate::descriptor::Component;
use crate::error::{Error, Result};

fn hex(key: &[u8]) -> String {
    key.iter().take(32).map(|b| format!("{b:02x}")).collect()
}

impl SstableReader {
    /// Decodes every partition and checks that a point lookup reaches it.
    pub(super) fn verify_keys(&self) -> Result<()> {
        for partition in self.iter()? {
            let key = partition?.key;
            if !self.filter.may_contain_hash(BloomFilter::hash(&key)) {
                return Err(Error::corrupt(
                    self.component(Component::Filter),
                    0,
                    format!("the filter does not admit partition key {}", hex(&key)),
                ));
            }
            if self.locate(&key)?.is_none() {
                return Err(Error::corrupt(
                    &self.index_path,
                    0,
                    format!(
                        "partition key {} is not found through Summary.db and Index.db",
                        hex(&key)
                    ),
                ));
            }
        }
        Ok(())
    }
}
