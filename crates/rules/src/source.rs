//! Where things are in a rule file: byte offsets to line and column, and offsets inside a
//! decoded TOML string back to offsets in the file (escapes and multi-line strings included).

use std::ops::Range;

/// 1-based line and column (in characters) of a byte offset in `src`.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = src[line_start..offset].chars().count() + 1;
    (line, col)
}

/// A string value of the rule file and how its decoded bytes map to file offsets.
#[derive(Debug, Clone)]
pub(crate) struct StrSpan {
    /// `map[i]` is the file offset of decoded byte `i`; one more entry for the end.
    map: Vec<usize>,
}

impl StrSpan {
    /// Maps `value` (the decoded string) to the raw TOML text at `span` in `src`. When the
    /// decoding cannot be reproduced (a form this decoder does not know), every offset maps to
    /// the start of the value: still the right line.
    pub(crate) fn new(src: &str, span: Range<usize>, value: &str) -> StrSpan {
        let raw = src.get(span.clone()).unwrap_or("");
        match decode(raw) {
            Some((decoded, mut map)) if decoded == value => {
                for m in &mut map {
                    *m += span.start;
                }
                StrSpan { map }
            }
            _ => StrSpan {
                map: vec![span.start; value.len() + 1],
            },
        }
    }

    /// The file offset of byte `i` of the decoded value.
    pub(crate) fn file_offset(&self, i: usize) -> usize {
        self.map
            .get(i)
            .or(self.map.last())
            .copied()
            .unwrap_or_default()
    }

    /// A sub-string of the value starting at decoded byte `start`.
    pub(crate) fn slice(&self, start: usize, end: usize) -> StrSpan {
        let end = end.min(self.map.len().saturating_sub(1));
        let start = start.min(end);
        StrSpan {
            map: self.map[start..=end].to_vec(),
        }
    }
}

/// The byte offset in `text` of a 1-based (line, column-in-characters) position.
pub(crate) fn offset_of_line_col(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    text[start..]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(text.len(), |(i, _)| start + i)
}

/// Decodes a raw TOML string (delimiters included), returning the value and, for each byte of
/// it, the offset in `raw` it came from (plus one entry for the end).
fn decode(raw: &str) -> Option<(String, Vec<usize>)> {
    let (delim, multi) = if raw.starts_with("\"\"\"") {
        ('"', true)
    } else if raw.starts_with("'''") {
        ('\'', true)
    } else if raw.starts_with('"') {
        ('"', false)
    } else if raw.starts_with('\'') {
        ('\'', false)
    } else {
        return None;
    };
    let open = if multi { 3 } else { 1 };
    if raw.len() < 2 * open {
        return None;
    }
    let body_end = raw.len() - open;
    let mut i = open;
    // A newline right after the opening delimiter of a multi-line string is not part of it.
    if multi {
        if raw[i..].starts_with("\r\n") {
            i += 2;
        } else if raw[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut map = Vec::new();
    let b = raw.as_bytes();
    while i < body_end {
        let c = raw[i..].chars().next()?;
        if delim == '"' && c == '\\' {
            let e = *b.get(i + 1)?;
            let simple = match e {
                b'b' => Some('\u{8}'),
                b't' => Some('\t'),
                b'n' => Some('\n'),
                b'f' => Some('\u{c}'),
                b'r' => Some('\r'),
                b'e' => Some('\u{1b}'),
                b'"' => Some('"'),
                b'\\' => Some('\\'),
                _ => None,
            };
            if let Some(ch) = simple {
                push(&mut out, &mut map, ch, i);
                i += 2;
                continue;
            }
            let hex_len = match e {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                _ => 0,
            };
            if hex_len > 0 {
                let hex = raw.get(i + 2..i + 2 + hex_len)?;
                let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                push(&mut out, &mut map, ch, i);
                i += 2 + hex_len;
                continue;
            }
            // Line-ending backslash (multi-line basic strings): skip whitespace and newlines.
            if multi {
                let mut j = i + 1;
                while j < body_end && matches!(b[j], b' ' | b'\t') {
                    j += 1;
                }
                if j < body_end && matches!(b[j], b'\n' | b'\r') {
                    while j < body_end && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r') {
                        j += 1;
                    }
                    i = j;
                    continue;
                }
            }
            return None;
        }
        // CRLF in a multi-line string is a newline.
        if multi && raw[i..].starts_with("\r\n") {
            push(&mut out, &mut map, '\n', i);
            i += 2;
            continue;
        }
        push(&mut out, &mut map, c, i);
        i += c.len_utf8();
    }
    map.push(body_end);
    Some((out, map))
}

fn push(out: &mut String, map: &mut Vec<usize>, c: char, at: usize) {
    out.push(c);
    for _ in 0..c.len_utf8() {
        map.push(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str, value: &str, needle: &str, want: (usize, usize)) {
        let start = src.find(['"', '\'']).unwrap();
        let span = StrSpan::new(src, start..src.len(), value);
        let at = value.find(needle).unwrap();
        assert_eq!(line_col(src, span.file_offset(at)), want, "{src:?}");
    }

    #[test]
    fn offsets_in_strings_map_back_to_the_file() {
        check("when = \"a && b\"", "a && b", "b", (1, 14));
        check("when = 'a \\n b'", "a \\n b", "b", (1, 14));
        check("when = \"a \\\" b\"", "a \" b", "b", (1, 14));
        check("when = \"\"\"\na &&\n  b\"\"\"", "a &&\n  b", "b", (3, 3));
        check("when = '''\r\na &&\r\n  b'''", "a &&\n  b", "b", (3, 3));
        check("when = \"\"\"a \\\n    b\"\"\"", "a b", "b", (2, 5));
        check("when = \"é \\u00e9 b\"", "é é b", "b", (1, 18));
        check("x = 'выигрыш' && b'", "выигрыш' && b", "b", (1, 18));
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ж\nжx", 5), (2, 2));
        assert_eq!(offset_of_line_col("ab\nжx", 2, 2), 5);
        assert_eq!(offset_of_line_col("ab", 1, 3), 2);
    }
}
