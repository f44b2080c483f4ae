//! Replay of hand-made segment files: the cases of the commitlog replay
//! matrix (docs/format.md, "Reading a segment").

use crate::common::*;
use ilion_commitlog::format::{
    encode_marker, segment_file_name, SegmentHeader, FIRST_ENTRY, FIRST_MARKER,
};
use ilion_commitlog::{CorruptionKind, Error, SyncMode};
use ilion_vfs::{write_all_at, FileSystem, SimFs};

fn opts() -> ilion_commitlog::CommitLogOptions {
    options(8192, SyncMode::Batch)
}

fn put(sim: &SimFs, id: u64, bytes: &[u8]) {
    let dir = sim_dir();
    sim.create_dir_all(&dir).unwrap();
    let f = sim.create(&dir.join(segment_file_name(id))).unwrap();
    write_all_at(f.as_ref(), 0, bytes).unwrap();
}

fn header(id: u64) -> Vec<u8> {
    SegmentHeader {
        segment_id: id,
        segment_size: 8192,
    }
    .encode()
    .to_vec()
}

/// A valid older segment whose first marker proves a sync: one entry.
fn synced_segment(id: u64) -> Vec<u8> {
    let mut bytes = header(id);
    bytes.extend_from_slice(&[0; 8]);
    let mut entry = Vec::new();
    ilion_commitlog::format::encode_entry(&mut entry, &[TABLE_A], &payload(id, 40));
    bytes.extend_from_slice(&entry);
    let end = bytes.len() as u32;
    bytes[FIRST_MARKER as usize..FIRST_ENTRY as usize].copy_from_slice(&encode_marker(
        id,
        FIRST_MARKER,
        end,
    ));
    bytes.extend_from_slice(&ilion_commitlog::format::encode_seal(id, end));
    bytes
}

fn corruption(
    result: ilion_commitlog::Result<Vec<ilion_commitlog::ReplayEntry>>,
) -> (u64, CorruptionKind) {
    match result {
        Err(Error::Corruption { offset, kind, .. }) => (offset, kind),
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn empty_zeroed_and_header_only_newest_segments_replay_as_empty() {
    for bytes in [
        Vec::new(),
        vec![0; 8192],
        header(7),
        header(7)[..10].to_vec(),
    ] {
        let sim = SimFs::new();
        put(&sim, 7, &bytes);
        assert!(read_all(arc(&sim), &sim_dir(), opts()).unwrap().is_empty());
        let (log, entries) = open(arc(&sim), &sim_dir(), opts()).unwrap();
        assert!(entries.is_empty());
        log.close().unwrap();
        assert!(
            read_all(arc(&sim), &sim_dir(), opts()).unwrap().is_empty(),
            "stays empty after repair"
        );
    }
}

#[test]
fn bad_header_checksum_is_a_tear_in_the_newest_segment_and_corruption_before_synced_data() {
    let mut bad = header(8);
    bad[12] ^= 1;
    let sim = SimFs::new();
    put(&sim, 8, &bad);
    assert!(read_all(arc(&sim), &sim_dir(), opts()).unwrap().is_empty());

    let sim = SimFs::new();
    put(&sim, 8, &bad);
    put(&sim, 9, &synced_segment(9));
    let (offset, kind) = corruption(read_all(arc(&sim), &sim_dir(), opts()));
    assert_eq!(offset, 0);
    assert!(matches!(kind, CorruptionKind::BadHeader(_)), "{kind}");
}

#[test]
fn foreign_or_newer_segments_are_refused() {
    let sim = SimFs::new();
    put(&sim, 3, &header(4));
    let (_, kind) = corruption(read_all(arc(&sim), &sim_dir(), opts()));
    assert_eq!(
        kind,
        CorruptionKind::SegmentIdMismatch {
            header: 4,
            file_name: 3
        }
    );

    let mut newer = header(5);
    newer[5] = 2; // format version 2
    let crc = crc32fast::hash(&newer[0..20]);
    newer[20..24].copy_from_slice(&crc.to_be_bytes());
    let sim = SimFs::new();
    put(&sim, 5, &newer);
    let err = read_all(arc(&sim), &sim_dir(), opts()).unwrap_err();
    assert!(
        err.to_string().contains("unsupported format version 2"),
        "{err}"
    );
}

#[test]
fn stray_files_are_ignored() {
    let sim = SimFs::new();
    put(&sim, 9, &synced_segment(9));
    let dir = sim_dir();
    for name in [
        "notes.txt",
        "CommitLog-x.log",
        "CommitLog-7-9.log",
        "CommitLog-9.log.tmp",
    ] {
        sim.create(&dir.join(name)).unwrap();
    }
    let entries = read_all(arc(&sim), &dir, opts()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(seq_of(&entries[0].payload), 9);
}

#[test]
fn length_past_the_end_of_a_synced_section_is_corruption() {
    let mut bytes = synced_segment(9);
    // Point the first marker before the end of the entry.
    let marker = encode_marker(9, FIRST_MARKER, FIRST_ENTRY + 20);
    bytes[FIRST_MARKER as usize..FIRST_ENTRY as usize].copy_from_slice(&marker);
    let sim = SimFs::new();
    put(&sim, 9, &bytes);
    let (offset, kind) = corruption(read_all(arc(&sim), &sim_dir(), opts()));
    assert_eq!(offset, u64::from(FIRST_ENTRY));
    assert!(
        matches!(kind, CorruptionKind::LengthOutOfRange(_)),
        "{kind}"
    );
}

#[test]
fn huge_length_fields_are_rejected_without_allocating() {
    for len in [0x7FFF_FFFFu32, 0xFFFF_FFFE, 0x0100_0000] {
        let mut bytes = header(9);
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&len.to_be_bytes()).to_be_bytes());
        bytes.resize(4096, 0);
        let sim = SimFs::new();
        put(&sim, 9, &bytes);
        // Newest segment: a torn tail, nothing returned.
        assert!(read_all(arc(&sim), &sim_dir(), opts()).unwrap().is_empty());
        put(&sim, 10, &synced_segment(10));
        let (offset, kind) = corruption(read_all(arc(&sim), &sim_dir(), opts()));
        assert_eq!(
            (offset, kind),
            (
                u64::from(FIRST_ENTRY),
                CorruptionKind::LengthOutOfRange(len)
            )
        );
    }
}

#[test]
fn replaying_twice_gives_the_same_entries() {
    let sim = SimFs::new();
    let (log, _) = open(arc(&sim), &sim_dir(), options(8192, never_synced())).unwrap();
    for seq in 0..60 {
        log.append(&[TABLE_A], &payload(seq, 120)).unwrap();
    }
    let image = sim.process_crash_image();
    drop(log);
    let first: Vec<u64> = read_all(arc(&image), &sim_dir(), opts())
        .unwrap()
        .iter()
        .map(|e| seq_of(&e.payload))
        .collect();
    let (log, second) = open(arc(&image), &sim_dir(), opts()).unwrap();
    drop(log);
    let (_, third) = open(arc(&image), &sim_dir(), opts()).unwrap();
    assert_eq!(first, (0..60).collect::<Vec<_>>());
    assert_eq!(
        second
            .iter()
            .map(|e| seq_of(&e.payload))
            .collect::<Vec<_>>(),
        first
    );
    assert_eq!(
        third.iter().map(|e| seq_of(&e.payload)).collect::<Vec<_>>(),
        first
    );
}

#[test]
fn decoding_arbitrary_bytes_only_returns_checksummed_payloads() {
    let good = synced_segment(9);
    let entries = ilion_commitlog::decode_segment_bytes(&good, 9).unwrap();
    assert_eq!(entries.len(), 1);
    for cut in 0..good.len() {
        if let Ok(entries) = ilion_commitlog::decode_segment_bytes(&good[..cut], 9) {
            assert!(entries.iter().all(|e| seq_of(&e.payload) == 9));
        }
    }
}

/// Goal: a power cut while the final marker of a sealed segment is being
/// written leaves that marker torn while nothing later was synced. Replay
/// must accept it, and after repair and new synced appends it must still
/// accept it (the repair completes the marker chain). Regression test for
/// a case found while writing the fuzz target.
#[test]
fn torn_final_marker_of_a_sealed_segment_is_repaired() {
    let mut older = header(8);
    older.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4]); // torn marker
    let mut entry = Vec::new();
    ilion_commitlog::format::encode_entry(&mut entry, &[TABLE_A], &payload(1, 40));
    older.extend_from_slice(&entry);
    let seal_at = older.len() as u32;
    older.extend_from_slice(&ilion_commitlog::format::encode_seal(8, seal_at));
    older.resize(8192, 0);
    let mut newest = header(9);
    newest.extend_from_slice(&[0; 8]);
    entry.clear();
    ilion_commitlog::format::encode_entry(&mut entry, &[TABLE_A], &payload(2, 40));
    newest.extend_from_slice(&entry);
    newest.resize(8192, 0);
    let sim = SimFs::new();
    put(&sim, 8, &older);
    put(&sim, 9, &newest);

    let (log, entries) = open(arc(&sim), &sim_dir(), opts()).unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| seq_of(&e.payload))
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    log.append(&[TABLE_A], &payload(3, 40)).unwrap();
    log.close().unwrap();
    let again = read_all(arc(&sim), &sim_dir(), opts()).unwrap();
    assert_eq!(
        again.iter().map(|e| seq_of(&e.payload)).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

/// Goal: a spare segment left by a crash holds no data; recovery removes it
/// and the allocator can make a new one.
#[test]
fn leftover_spare_segment_is_removed_at_recovery() {
    let sim = SimFs::new();
    put(&sim, 9, &synced_segment(9));
    let spare = sim_dir().join(ilion_commitlog::format::SPARE_SEGMENT_NAME);
    let f = sim.create(&spare).unwrap();
    write_all_at(f.as_ref(), 0, &[0xAB; 100]).unwrap();
    let (log, entries) = open(arc(&sim), &sim_dir(), opts()).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(
        sim.contents(&spare)
            .is_none_or(|c| c.iter().all(|&b| b == 0)),
        "the old spare is gone (a new, zeroed one may exist)"
    );
    log.close().unwrap();
    assert!(sim.contents(&spare).is_none(), "close removes the spare");
}
