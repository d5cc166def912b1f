//! Byte spans and the line index.
//!
//! A span is `[bstart, bend)`: UTF-8 byte offsets into the file's text. For a UTF-8 file that is
//! the file's own bytes (a UTF-8 BOM is counted: the first line starts at byte 3). For a file in
//! another encoding (a PEP 263 cookie such as `latin-1`) it is the UTF-8 text the file decodes to,
//! which is also what CPython's `col_offset` counts in.
//!
//! Lines and columns are derived, never stored as the primary position: lines are 1-based and
//! columns count UTF-8 bytes from the start of the line, exactly like CPython's `lineno` and
//! `col_offset`. Line breaks are `\n`, `\r\n` and a lone `\r`, as in CPython's tokenizer.

/// A line-and-column position (1-based line, 0-based UTF-8 byte column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// The line terminator that ends a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newline {
    Lf,
    CrLf,
    Cr,
    /// The last line of a file that does not end in a line break.
    None,
}

impl Newline {
    pub fn as_str(self) -> &'static str {
        match self {
            Newline::Lf => "\n",
            Newline::CrLf => "\r\n",
            Newline::Cr => "\r",
            Newline::None => "",
        }
    }

    pub fn len(self) -> u32 {
        self.as_str().len() as u32
    }

    pub fn is_empty(self) -> bool {
        matches!(self, Newline::None)
    }
}

/// One line: `[bstart, bend)` is its content without the terminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub bstart: u32,
    pub bend: u32,
    pub newline: Newline,
}

/// The start of every line of a text, for turning byte offsets into line/column and back.
#[derive(Debug, Clone)]
pub struct LineIndex {
    lines: Vec<Line>,
}

impl LineIndex {
    /// Indexes `text`, whose first byte sits at absolute offset `base` (3 after a UTF-8 BOM).
    pub fn new(text: &str, base: u32) -> Self {
        let bytes = text.as_bytes();
        let mut lines = Vec::with_capacity(bytes.len() / 32 + 1);
        let mut start = 0usize;
        let mut i = 0usize;
        while let Some(off) = memchr::memchr2(b'\n', b'\r', &bytes[i..]) {
            let pos = i + off;
            let (newline, next) = if bytes[pos] == b'\r' {
                if bytes.get(pos + 1) == Some(&b'\n') {
                    (Newline::CrLf, pos + 2)
                } else {
                    (Newline::Cr, pos + 1)
                }
            } else {
                (Newline::Lf, pos + 1)
            };
            lines.push(Line {
                bstart: base + start as u32,
                bend: base + pos as u32,
                newline,
            });
            start = next;
            i = next;
        }
        // The last line: a file ending in a line break still has an (empty) last line, as an
        // editor shows it; CPython positions at end of file point into it.
        lines.push(Line {
            bstart: base + start as u32,
            bend: base + bytes.len() as u32,
            newline: Newline::None,
        });
        Self { lines }
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The number of lines as a text editor counts them: a trailing line break does not open a
    /// new line, an empty file has none.
    pub fn line_count(&self) -> usize {
        match self.lines.last() {
            Some(last) if last.bstart == last.bend => self.lines.len() - 1,
            _ => self.lines.len(),
        }
    }

    /// The line/column of an absolute byte offset. Offsets before the first line (inside a BOM)
    /// clamp to line 1, column 0.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let idx = self
            .lines
            .partition_point(|l| l.bstart <= offset)
            .saturating_sub(1);
        self.at(idx, offset)
    }

    /// [`line_col`](Self::line_col), searching from `hint`, the 0-based index of a line at or
    /// near the offset (a syntax tree's walk visits offsets close to each other: the start of a
    /// node near the previous one, its end on or a few lines after its start). Returns the
    /// 0-based index of the offset's line too, the hint for the next call. Any hint gives the
    /// same answer; a good one saves the binary search.
    pub fn line_col_near(&self, offset: u32, hint: usize) -> (usize, LineCol) {
        let lines = &self.lines;
        let h = hint.min(lines.len() - 1);
        let idx = if lines[h].bstart <= offset {
            let mut i = h;
            let near = (h + 4).min(lines.len());
            while i + 1 < near && lines[i + 1].bstart <= offset {
                i += 1;
            }
            if i + 1 < lines.len() && lines[i + 1].bstart <= offset {
                i + lines[i..].partition_point(|l| l.bstart <= offset) - 1
            } else {
                i
            }
        } else {
            lines[..h]
                .partition_point(|l| l.bstart <= offset)
                .saturating_sub(1)
        };
        (idx, self.at(idx, offset))
    }

    fn at(&self, idx: usize, offset: u32) -> LineCol {
        LineCol {
            line: idx as u32 + 1,
            col: offset.saturating_sub(self.lines[idx].bstart),
        }
    }

    /// The absolute byte offset of a 1-based line and a byte column, if the line exists.
    pub fn offset(&self, pos: LineCol) -> Option<u32> {
        let line = self.lines.get((pos.line as usize).checked_sub(1)?)?;
        Some(line.bstart + pos.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_every_terminator() {
        let idx = LineIndex::new("a\r\nbb\rc\n\nd", 0);
        let l: Vec<_> = idx
            .lines()
            .iter()
            .map(|l| (l.bstart, l.bend, l.newline))
            .collect();
        assert_eq!(
            l,
            vec![
                (0, 1, Newline::CrLf),
                (3, 5, Newline::Cr),
                (6, 7, Newline::Lf),
                (8, 8, Newline::Lf),
                (9, 10, Newline::None)
            ]
        );
        assert_eq!(idx.line_count(), 5);
        assert_eq!(idx.line_col(4), LineCol { line: 2, col: 1 });
        assert_eq!(idx.line_col(9), LineCol { line: 5, col: 0 });
        assert_eq!(idx.offset(LineCol { line: 3, col: 1 }), Some(7));
    }

    #[test]
    fn a_hint_changes_nothing_but_the_search() {
        let text = "a\r\nbb\rc\n\n\nlong line here\n\n\n\n\n\n\nx = 1\ny\n\n";
        let base = 3;
        let idx = LineIndex::new(text, base);
        let end = base + text.len() as u32 + 2;
        for hint in 0..idx.lines().len() + 2 {
            for offset in 0..end {
                let (line, lc) = idx.line_col_near(offset, hint);
                assert_eq!(lc, idx.line_col(offset), "offset {offset}, hint {hint}");
                assert_eq!(line as u32 + 1, lc.line);
            }
        }
    }

    #[test]
    fn trailing_newline_and_empty_file() {
        assert_eq!(LineIndex::new("x\n", 0).line_count(), 1);
        assert_eq!(LineIndex::new("", 0).line_count(), 0);
    }

    #[test]
    fn columns_are_utf8_bytes_and_base_is_respected() {
        // "é" is two bytes: the column of `x` is 3, as CPython's col_offset says.
        let idx = LineIndex::new("é=x", 3);
        assert_eq!(idx.line_col(3 + 3), LineCol { line: 1, col: 3 });
        assert_eq!(idx.line_col(0), LineCol { line: 1, col: 0 });
    }
}
