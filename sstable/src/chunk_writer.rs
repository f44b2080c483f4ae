//! Compressing and writing Data.db chunks on a thread of their own, so that
//! LZ4 runs beside the encoding of the next partitions: a flush then uses
//! two cores. A bounded channel keeps at most a few chunks in flight, and
//! spent buffers travel back to be refilled.

use crate::component_file::ComponentFile;
use crate::compression::compress_chunk;
use crate::error::{Error, Result};
use crate::version::Version;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Chunks queued before the encoder waits for the compressor.
const IN_FLIGHT: usize = 4;

/// What the finished Data.db holds.
#[derive(Debug)]
pub(crate) struct DataFile {
    /// File length.
    pub length: u64,
    /// CRC32 of the whole file (Digest.crc32).
    pub crc: u32,
    /// Where each chunk starts.
    pub chunk_offsets: Vec<u64>,
    /// Compressed bytes, without the per-chunk CRCs.
    pub compressed_bytes: u64,
    /// CRC32 of each chunk, for an uncompressed Data.db (CRC.db).
    pub chunk_crcs: Vec<u32>,
}

/// Feeds whole chunks of the uncompressed stream to the compressing thread.
#[derive(Debug)]
pub(crate) struct ChunkWriter {
    chunks: Option<SyncSender<Vec<u8>>>,
    spent: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Result<DataFile>>>,
    chunk_length: usize,
}

impl ChunkWriter {
    /// Starts the compressing thread writing to `file`.
    /// With `compress` false, chunks are written as they are and their
    /// CRCs kept for CRC.db.
    pub(crate) fn start(
        mut file: ComponentFile,
        version: Version,
        chunk_length: usize,
        compress: bool,
    ) -> Result<ChunkWriter> {
        let (chunks, incoming) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (give_back, spent) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        let thread = std::thread::Builder::new()
            .name("ilion-sstable-compress".into())
            .spawn(move || -> Result<DataFile> {
                let mut chunk_offsets = Vec::new();
                let mut chunk_crcs = Vec::new();
                let mut compressed_bytes = 0u64;
                let mut out = Vec::new();
                for chunk in incoming {
                    chunk_offsets.push(file.position());
                    if compress {
                        out.clear();
                        compressed_bytes += compress_chunk(&chunk, version, &mut out) as u64;
                        file.append(&out)?;
                    } else {
                        chunk_crcs.push(crc32fast::hash(&chunk));
                        file.append(&chunk)?;
                    }
                    // The encoder may have enough buffers already.
                    let _ = give_back.try_send(chunk);
                }
                let (length, crc) = file.finish()?;
                Ok(DataFile {
                    length,
                    crc,
                    chunk_offsets,
                    compressed_bytes,
                    chunk_crcs,
                })
            })
            .map_err(|e| Error::Io {
                op: "spawn compression thread",
                path: std::path::PathBuf::new(),
                source: e,
            })?;
        Ok(ChunkWriter {
            chunks: Some(chunks),
            spent,
            thread: Some(thread),
            chunk_length,
        })
    }

    /// An empty buffer for the next chunk (a spent one when available).
    pub(crate) fn buffer(&self) -> Vec<u8> {
        let mut buffer = self
            .spent
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(self.chunk_length));
        buffer.clear();
        buffer
    }

    /// Queues one chunk (the last may be short).
    ///
    /// # Errors
    /// The error that stopped the compressing thread.
    pub(crate) fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        let sent = self.chunks.as_ref().map(|c| c.send(chunk));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread stopped: its result says why.
            _ => match self.join() {
                Err(e) => Err(e),
                Ok(_) => Err(Error::invalid("the data file was already finished")),
            },
        }
    }

    /// Waits for every queued chunk to be written and the file fsynced.
    ///
    /// # Errors
    /// The first I/O error the thread met.
    pub(crate) fn finish(mut self) -> Result<DataFile> {
        self.join()
    }

    fn join(&mut self) -> Result<DataFile> {
        self.chunks = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::invalid("the compression thread panicked")),
            None => Err(Error::invalid("the data file was already finished")),
        }
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.join();
        }
    }
}
