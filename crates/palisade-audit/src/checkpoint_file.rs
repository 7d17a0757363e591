//! Reading `checkpoints.log` (records `u32 BE length || note`) as a stream, one note at a time,
//! so that neither open nor `verify` holds every checkpoint ever written (one per 10,000
//! entries or per 5 s: millions over a busy log's life). A length prefix is never trusted for
//! an allocation: the body is read with a bounded `take`, and a record the file ends inside
//! is reported as torn.

use crate::error::AuditError;
use crate::recover::CHECKPOINTS_FILE;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// What the next read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NextNote {
    /// A complete note.
    Note(String),
    /// The file ended cleanly.
    End,
    /// The file ends inside a record (a crash mid-write); `note` says where.
    Torn {
        /// Byte offset of the torn record (the length to truncate to).
        offset: u64,
        /// The operator-facing description.
        note: String,
    },
}

/// A streaming reader over the checkpoint records.
#[derive(Debug)]
pub(crate) struct CheckpointNotes {
    /// `None` when the file does not exist (no checkpoint yet).
    file: Option<BufReader<File>>,
    path: PathBuf,
    /// Byte offset of the next record.
    pos: u64,
    /// Complete notes read so far.
    count: usize,
}

impl CheckpointNotes {
    /// Opens `checkpoints.log` in `audit_dir`; a missing file reads as empty.
    pub(crate) fn open(audit_dir: &Path) -> Result<Self, AuditError> {
        let path = audit_dir.join(CHECKPOINTS_FILE);
        let file = match File::open(&path) {
            Ok(f) => Some(BufReader::new(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(AuditError::io(&path, e)),
        };
        Ok(CheckpointNotes {
            file,
            path,
            pos: 0,
            count: 0,
        })
    }

    /// Complete notes read so far.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Reads the next record. After `End` or `Torn`, every later call returns `End`.
    pub(crate) fn next_note(&mut self) -> Result<NextNote, AuditError> {
        let Some(file) = self.file.as_mut() else {
            return Ok(NextNote::End);
        };
        let pos = self.pos;
        let torn = NextNote::Torn {
            offset: pos,
            note: format!("torn checkpoint record at byte {pos} of {CHECKPOINTS_FILE}"),
        };
        let mut len = [0u8; 4];
        let got = read_full(file, &mut len).map_err(|e| AuditError::io(&self.path, e))?;
        if got == 0 {
            self.file = None;
            return Ok(NextNote::End);
        }
        if got < len.len() {
            self.file = None;
            return Ok(torn);
        }
        let len = u64::from(u32::from_be_bytes(len));
        let mut body = Vec::new();
        file.by_ref()
            .take(len)
            .read_to_end(&mut body)
            .map_err(|e| AuditError::io(&self.path, e))?;
        if (body.len() as u64) < len {
            self.file = None;
            return Ok(torn);
        }
        let text = String::from_utf8(body)
            .map_err(|_| AuditError::Corrupt(format!("checkpoint at byte {pos} is not utf-8")))?;
        self.pos += 4 + len;
        self.count += 1;
        Ok(NextNote::Note(text))
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(note: &[u8]) -> Vec<u8> {
        let mut r = (note.len() as u32).to_be_bytes().to_vec();
        r.extend_from_slice(note);
        r
    }

    fn notes_of(bytes: &[u8]) -> (Vec<NextNote>, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CHECKPOINTS_FILE), bytes).unwrap();
        let mut r = CheckpointNotes::open(dir.path()).unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_note() {
                Ok(NextNote::End) => return (out, None),
                Ok(n) => out.push(n),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn reads_notes_in_order_then_end() {
        let mut bytes = record(b"one");
        bytes.extend(record(b"two"));
        let (notes, err) = notes_of(&bytes);
        assert_eq!(err, None);
        assert_eq!(
            notes,
            vec![NextNote::Note("one".into()), NextNote::Note("two".into())]
        );
    }

    #[test]
    fn partial_prefix_and_short_body_are_torn_at_their_offset() {
        let first = record(b"one");
        for tail in [vec![0u8, 0], {
            let mut t = 4_000_000_000u32.to_be_bytes().to_vec();
            t.extend_from_slice(b"short");
            t
        }] {
            let mut bytes = first.clone();
            bytes.extend(&tail);
            let (notes, err) = notes_of(&bytes);
            assert_eq!(err, None);
            assert_eq!(notes.len(), 2);
            assert_eq!(
                notes[1],
                NextNote::Torn {
                    offset: first.len() as u64,
                    note: format!(
                        "torn checkpoint record at byte {} of checkpoints.log",
                        first.len()
                    ),
                }
            );
        }
    }

    #[test]
    fn non_utf8_note_is_corrupt() {
        let mut bytes = record(b"ok");
        bytes.extend(record(&[0xff, 0xfe]));
        let (notes, err) = notes_of(&bytes);
        assert_eq!(notes.len(), 1);
        assert!(err.unwrap().contains("checkpoint at byte 6 is not utf-8"));
    }

    #[test]
    fn missing_file_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = CheckpointNotes::open(dir.path()).unwrap();
        assert_eq!(r.next_note().unwrap(), NextNote::End);
        assert_eq!(r.count(), 0);
    }
}
