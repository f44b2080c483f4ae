//! The allocator thread, which keeps a spare segment ready.

use super::Inner;
use crate::segment::SegmentFile;

impl Inner {
    /// Asks the allocator thread for a new spare segment.
    pub(super) fn request_spare(&self) {
        self.control.lock().spare_wanted = true;
        self.control_cv.notify_all();
    }

    /// The allocator thread: keeps one spare segment ready so that a full
    /// segment is replaced by a rename instead of the creation and space
    /// reservation of a file while appenders wait (Cassandra's
    /// COMMIT-LOG-ALLOCATOR).
    pub(super) fn run_allocator(&self) {
        loop {
            {
                let mut control = self.control.lock();
                while !control.shutdown && !control.spare_wanted {
                    self.control_cv.wait(&mut control);
                }
                if control.shutdown {
                    return;
                }
                control.spare_wanted = false;
            }
            if self.state.lock().spare.is_some() {
                continue;
            }
            let size = self.options.segment_size;
            let spare = match SegmentFile::create_spare(self.fs.as_ref(), &self.dir, size) {
                Ok(spare) => spare,
                Err(e) => {
                    self.fail(e);
                    return;
                }
            };
            let mut st = self.state.lock();
            if st.spare.is_none() {
                st.spare = Some(spare);
            }
        }
    }
}
