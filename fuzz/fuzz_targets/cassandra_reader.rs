//! Damaged copies of SSTables Cassandra wrote (every big version present in
//! `../shared/cassandra-sstables/`: ma, mb, mc, md, nb, nc, oa; BTI da; from
//! scylla-3x an uncompressed table with CRC.db, a RandomPartitioner one and
//! a Zstd one), opened and
//! read through every path: open, full scan, point lookups, a clustering
//! slice, verify. The versions the shared data lacks are made from it at
//! start: `me` from an md table, `na` and the stale pre-release `na` from
//! the nb tables. Whatever the damage, nothing may panic, hang or allocate
//! from an unchecked length.
//!
//! The input: byte 0 picks the table, byte 1 the component, byte 2 the
//! kind of damage (bit flips, truncation, an overwritten range, or the
//! component replaced by the rest of the input); the rest drives it.

#![no_main]

use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::statistics_writer::serialize_statistics;
use ilion_sstable::version::Version;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The tables, as paths under `cassandra-sstables/`.
const TABLES: [&str; 17] = [
    "ma/legacy_ma_simple",
    "ma/legacy_ma_clust_counter",
    "ma/legacy_ma_simple_compact",
    "mc/legacy_mc_inaccurate_min_max",
    "md/legacy_md_clust",
    "nb/legacy_nb_clust",
    "nb/legacy_nb_simple_counter",
    "oa/legacy_oa_clust",
    "oa/legacy_oa_simple",
    "edge-cases/invalid-legacy-sstables/Keyspace1/cf_with_duplicates_3_0",
    "edge-cases/negative-ldts-invalid-deletions-test/invalid_tombstones",
    "edge-cases/negative-local-expiration-test/table4",
    "da/legacy_da_clust",
    "da/legacy_da_simple_counter",
    "scylla-3x/uncompressed/collections",
    "scylla-3x/uncompressed/random_partitioner",
    "scylla-3x/zstd/multiple_chunks",
];

struct Table {
    /// (file name, bytes), sorted by name.
    files: Vec<(String, Vec<u8>)>,
    data_name: String,
    keys: Vec<Vec<u8>>,
}

fn load(dir: &Path) -> Option<Table> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            Some((
                e.file_name().into_string().ok()?,
                std::fs::read(e.path()).ok()?,
            ))
        })
        .collect();
    files.sort();
    let data_name = files
        .iter()
        .find(|(n, _)| n.ends_with("-Data.db"))?
        .0
        .clone();
    let keys = SstableReader::open(&dir.join(&data_name))
        .ok()?
        .scan()
        .ok()?
        .into_iter()
        .map(|p| p.key)
        .collect();
    Some(Table {
        files,
        data_name,
        keys,
    })
}

/// `table` renamed to version `to`, its Statistics re-serialized in that
/// layout (host id dropped for na; `stale` gives the pre-release na layout
/// with an old-order Filter.db): the versions the shared data lacks.
fn constructed(table: &Table, to: &str, stale: bool) -> Option<Table> {
    use ilion_sstable::bloom::{BloomFilter, FilterLayout};
    use ilion_sstable::statistics::Statistics;
    let from = table.data_name.get(..2)?;
    let version = Version::parse(to, "big")?;
    let from_version = Version::parse(from, "big")?;
    let mut files = Vec::new();
    for (name, bytes) in &table.files {
        let renamed = name.replacen(&format!("{from}-"), &format!("{to}-"), 1);
        let bytes = if name.ends_with("-Statistics.db") {
            let mut stats = Statistics::parse(bytes, from_version, Path::new(name)).ok()?;
            if to == "na" {
                stats.stats.originating_host_id = None;
            } else {
                stats.stats.originating_host_id = Some([7; 16]);
            }
            stats.stats.stale_na = stale;
            serialize_statistics(&stats, version)
        } else if name.ends_with("-Filter.db") && stale {
            BloomFilter::deserialize(bytes, FilterLayout::Current)
                .ok()?
                .serialize(FilterLayout::Legacy)
        } else {
            bytes.clone()
        };
        files.push((renamed, bytes));
    }
    Some(Table {
        files,
        data_name: table
            .data_name
            .replacen(&format!("{from}-"), &format!("{to}-"), 1),
        keys: table.keys.clone(),
    })
}

fn tables() -> &'static [Table] {
    static TABLES_LOADED: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES_LOADED.get_or_init(|| {
        let root =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/cassandra-sstables");
        let mut loaded: Vec<Table> = TABLES.iter().filter_map(|t| load(&root.join(t))).collect();
        // me from md; from each nb table a current na and a stale one.
        let mut made = Vec::new();
        for t in &loaded {
            match t.data_name.get(..2) {
                Some("md") => made.extend(constructed(t, "me", false)),
                Some("nb") => {
                    made.extend(constructed(t, "na", false));
                    made.extend(constructed(t, "na", true));
                }
                _ => {}
            }
        }
        loaded.extend(made);
        if loaded.is_empty() {
            eprintln!(
                "no Cassandra tables under {}: nothing to fuzz",
                root.display()
            );
        }
        loaded
    })
}

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ilion-fuzz-cassandra-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

fn damage(bytes: &mut Vec<u8>, mode: u8, rest: &[u8]) {
    let pick = |i: usize| -> usize {
        let hi = rest.get(i).copied().unwrap_or(0) as usize;
        let lo = rest.get(i + 1).copied().unwrap_or(0) as usize;
        (hi << 8 | lo) * bytes.len().max(1) / 65536
    };
    match mode % 4 {
        0 => {
            // Up to 8 flips: (offset hi, offset lo, xor byte).
            for edit in rest.chunks(3).take(8) {
                if bytes.is_empty() {
                    break;
                }
                let at = (usize::from(edit[0]) << 8 | usize::from(*edit.get(1).unwrap_or(&0)))
                    * bytes.len()
                    / 65536;
                bytes[at] ^= edit.get(2).copied().unwrap_or(1).max(1);
            }
        }
        1 => {
            let at = pick(0);
            bytes.truncate(at);
        }
        2 => {
            let at = pick(0);
            let fill = rest.get(2..).unwrap_or(&[]);
            for (i, b) in fill.iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + i) {
                    *slot = *b;
                }
            }
        }
        _ => *bytes = rest.to_vec(),
    }
}

fuzz_target!(|input: &[u8]| {
    let tables = tables();
    if tables.is_empty() || input.len() < 3 {
        return;
    }
    let table = &tables[usize::from(input[0]) % tables.len()];
    let target = usize::from(input[1]) % table.files.len();
    let dir = scratch();
    for (i, (name, bytes)) in table.files.iter().enumerate() {
        let path = dir.join(name);
        if i == target {
            let mut damaged = bytes.clone();
            damage(&mut damaged, input[2], &input[3..]);
            std::fs::write(&path, &damaged).expect("write");
        } else {
            std::fs::write(&path, bytes).expect("write");
        }
    }
    let data_path = dir.join(&table.data_name);
    let result = SstableReader::open(&data_path);
    if let Ok(reader) = result {
        let _ = reader.scan();
        for key in table
            .keys
            .iter()
            .map(Vec::as_slice)
            .chain([&b"absent"[..], &[]])
        {
            let _ = reader.get(key);
            let _ = reader.slice(key, &Slice::default(), true);
        }
        let _ = reader.verify();
    }
    // The next input may pick another table: clear this one's files.
    for (name, _) in &table.files {
        let _ = std::fs::remove_file(dir.join(name));
    }
});
