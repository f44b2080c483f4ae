//! Arbitrary bytes as commitlog segment files.
//!
//! The input is split into up to three segment files (the first two bytes
//! choose the split points) placed in a simulated directory, then replayed
//! with the real replay code, strictly and with skipping, and finished
//! (which repairs the tail). Replay must never panic or allocate from an
//! unchecked length, and every payload it returns must pass its CRC: the
//! target re-frames each returned entry and checks that its CRC matches
//! the bytes of the file at the returned position.

#![no_main]

use ilion_commitlog::format::{encode_entry, segment_file_name};
use ilion_commitlog::{CommitLog, CommitLogOptions, SyncMode};
use ilion_vfs::{write_all_at, FileSystem, SimFs};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (cuts, rest) = data.split_at(2);
    let a = (cuts[0] as usize * rest.len()) / 256;
    let b = a + ((cuts[1] as usize * (rest.len() - a)) / 256);
    let files = [&rest[..a], &rest[a..b], &rest[b..]];
    let sim = SimFs::new();
    let dir = Path::new("/log");
    sim.create_dir_all(dir).unwrap();
    for (i, bytes) in files.iter().enumerate() {
        if bytes.is_empty() && i > 0 {
            continue;
        }
        let f = sim.create(&dir.join(segment_file_name(100 + i as u64))).unwrap();
        write_all_at(f.as_ref(), 0, bytes).unwrap();
    }
    for skip in [false, true] {
        let image = sim.process_crash_image();
        let options = CommitLogOptions {
            segment_size: 64 << 10,
            sync_mode: SyncMode::Batch,
            skip_corrupt_entries: skip,
        };
        let Ok(mut replay) = CommitLog::recover(Arc::new(image.clone()), dir, options) else {
            continue;
        };
        let mut ok = true;
        for entry in replay.by_ref() {
            let Ok(entry) = entry else {
                ok = false;
                break;
            };
            // The entry, framed again, must be exactly the bytes that end at
            // its position in its file.
            let mut framed = Vec::new();
            encode_entry(&mut framed, &entry.tables, &entry.payload);
            let index = (entry.position.segment_id - 100) as usize;
            let file = files[index];
            let end = entry.position.offset as usize;
            assert!(end <= file.len() && end >= framed.len());
            assert_eq!(&file[end - framed.len()..end], &framed[..]);
        }
        if ok {
            if let Ok(log) = replay.finish() {
                // After repair the log replays without error.
                drop(log);
                let again = CommitLog::recover(Arc::new(image), dir, CommitLogOptions {
                    segment_size: 64 << 10,
                    sync_mode: SyncMode::Batch,
                    skip_corrupt_entries: skip,
                });
                if let Ok(replay) = again {
                    for entry in replay {
                        assert!(entry.is_ok() || skip, "replay after repair failed: {entry:?}");
                    }
                }
            }
        }
    }
});
