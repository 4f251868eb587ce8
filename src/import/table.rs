//! The CSV plumbing shared by the inventory and links importers: a byte-order mark and
//! `#` comment lines are allowed, cells are trimmed, columns are found by header name in
//! any order, and every error names the file and line.

use csv::StringRecord;

use super::ImportError;

pub(super) struct Table<'a> {
    file: &'a str,
    bytes: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    headers: StringRecord,
}

impl<'a> Table<'a> {
    pub(super) fn open(bytes: &'a [u8], file: &'a str) -> Result<Table<'a>, ImportError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| error(file, 1, e.to_string()))?
            .clone();
        Ok(Table {
            file,
            bytes,
            reader,
            headers,
        })
    }

    /// Index of a column, by case-insensitive header name.
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Index of a column the format requires.
    pub(super) fn required(&self, name: &str) -> Result<usize, ImportError> {
        self.column(name)
            .ok_or_else(|| self.error(1, format!("no '{name}' column")))
    }

    /// An error at a line of this file.
    pub(super) fn error(&self, line: u64, message: String) -> ImportError {
        error(self.file, line, message)
    }

    /// Makes errors for this file while [`Table::rows`] borrows the table.
    pub(super) fn errors(&self) -> Errors<'a> {
        Errors { file: self.file }
    }

    /// The data rows with their line numbers. Lines are counted from the bytes: the CSV
    /// reader's own line count misses comment lines and CRLF, and its byte offset points
    /// at where it started looking (before blank and comment lines), not at the row.
    pub(super) fn rows(
        &mut self,
    ) -> impl Iterator<Item = Result<(u64, StringRecord), ImportError>> + '_ {
        let (file, bytes) = (self.file, self.bytes);
        let mut lines = LineCounter::default();
        self.reader.records().map(move |record| {
            let record = record.map_err(|e| {
                let start = e.position().map_or(0, |p| row_start(bytes, p.byte()));
                let line = lines.line_at(bytes, start as u64);
                error(file, line, e.to_string())
            })?;
            let start = record.position().map_or(0, |p| row_start(bytes, p.byte()));
            Ok((lines.line_at(bytes, start as u64), record))
        })
    }
}

/// Where the row found from `offset` really starts: past line breaks, blank lines and
/// `#` comment lines.
fn row_start(bytes: &[u8], offset: u64) -> usize {
    let mut at = (offset as usize).min(bytes.len());
    loop {
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        if bytes.get(at) != Some(&b'#') {
            return at;
        }
        at = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| at + n);
    }
}

/// 1-based line of a byte offset, counted incrementally as offsets grow.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], offset: u64) -> u64 {
        let offset = (offset as usize).min(bytes.len());
        if offset < self.offset {
            *self = LineCounter::default();
        }
        self.line += bytes[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = offset;
        self.line + 1
    }
}

/// See [`Table::errors`].
#[derive(Clone, Copy)]
pub(super) struct Errors<'a> {
    file: &'a str,
}

impl Errors<'_> {
    pub(super) fn at(self, line: u64, message: String) -> ImportError {
        error(self.file, line, message)
    }
}

fn error(file: &str, line: u64, message: String) -> ImportError {
    ImportError::Csv {
        file: file.to_string(),
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    fn lines(csv: &[u8]) -> Vec<u64> {
        let mut table = Table::open(csv, "t.csv").expect("header");
        table.rows().map(|r| r.expect("row").0).collect()
    }

    #[test]
    fn line_numbers_count_crlf_comments_and_blank_lines() {
        assert_eq!(lines(b"a,b\n1,2\n3,4\n"), [2, 3]);
        assert_eq!(lines(b"a,b\r\n1,2\r\n\r\n# note\r\n3,4\r\n"), [2, 5]);
        assert_eq!(
            lines(b"\xEF\xBB\xBF# who\na,b\n\n1,\"two\nlines\"\n5,6\n"),
            [4, 6]
        );
    }
}
