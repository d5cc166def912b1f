//! Reading a file and decoding it to text the way CPython does.
//!
//! CPython reads source as UTF-8 unless a UTF-8 BOM or a PEP 263 coding cookie on the first or
//! second line says otherwise. We honour both, normalise encoding names like CPython's tokenizer
//! (`latin-1` → `iso-8859-1`, `utf8` → `utf-8`), and refuse what CPython refuses: NUL bytes,
//! invalid bytes for the declared encoding, unknown encodings, a BOM that contradicts the cookie.

use std::borrow::Cow;

/// Why a file's bytes could not become text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// `binary` or `decode_error`.
    pub kind: &'static str,
    pub message: String,
    /// Byte offset of the first offending byte, when there is one.
    pub offset: Option<u32>,
}

/// A decoded source file.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text without any BOM.
    pub text: Cow<'a, str>,
    /// Where the text starts in the file: 3 after a UTF-8 BOM, else 0.
    pub base: u32,
    /// The normalised encoding name (`utf-8`, `utf-8-sig`, `iso-8859-1`, `cp1252`, ...).
    pub encoding: String,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes `bytes` as CPython would decode a source file.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    if let Some(pos) = memchr::memchr(0, bytes) {
        return Err(DecodeError {
            kind: "binary",
            message: "source code cannot contain null bytes".to_string(),
            offset: Some(pos as u32),
        });
    }
    let (body, has_bom) = match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let cookie = coding_cookie(body).map(normal_name);
    let encoding = match (&cookie, has_bom) {
        (Some(name), true) if name != "utf-8" => {
            return Err(DecodeError {
                kind: "decode_error",
                message: format!("encoding problem: {name} with BOM"),
                offset: Some(0),
            });
        }
        (_, true) => "utf-8-sig".to_string(),
        (Some(name), false) => name.clone(),
        (None, false) => "utf-8".to_string(),
    };
    let base = if has_bom { BOM.len() as u32 } else { 0 };
    let text = match encoding.as_str() {
        // `utf8` is not normalised (so it conflicts with a BOM, as in CPython) but is UTF-8.
        "utf-8" | "utf-8-sig" | "utf8" => match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                let at = base as usize + e.valid_up_to();
                return Err(DecodeError {
                    kind: "decode_error",
                    message: format!(
                        "'utf-8' codec can't decode byte 0x{:02x} in position {at}: invalid {}",
                        bytes[at],
                        if e.error_len().is_some() {
                            "start byte or continuation"
                        } else {
                            "end of data"
                        }
                    ),
                    offset: Some(at as u32),
                });
            }
        },
        // Latin-1 maps each byte to the code point of the same value. (WHATWG's label
        // `latin1` means windows-1252, which differs in 0x80..0x9F, so it is done by hand.)
        "iso-8859-1" => Cow::Owned(body.iter().map(|&b| b as char).collect()),
        "ascii" | "us-ascii" => match body.iter().position(|&b| b >= 0x80) {
            None => Cow::Borrowed(std::str::from_utf8(body).unwrap_or_default()),
            Some(at) => {
                return Err(DecodeError {
                    kind: "decode_error",
                    message: format!(
                        "'ascii' codec can't decode byte 0x{:02x} in position {at}: ordinal not in range(128)",
                        body[at]
                    ),
                    offset: Some(at as u32),
                });
            }
        },
        other => {
            let Some(codec) = encoding_rs::Encoding::for_label(other.as_bytes()) else {
                return Err(DecodeError {
                    kind: "decode_error",
                    message: format!("unknown encoding: {other}"),
                    offset: None,
                });
            };
            match codec.decode_without_bom_handling_and_without_replacement(body) {
                Some(text) => Cow::Owned(text.into_owned()),
                None => {
                    return Err(DecodeError {
                        kind: "decode_error",
                        message: format!("'{other}' codec can't decode the file"),
                        offset: None,
                    });
                }
            }
        }
    };
    Ok(Decoded {
        text,
        base,
        encoding,
    })
}

/// The PEP 263 cookie of the first two lines: `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`.
/// The second line counts only when the first is blank or a comment, as in CPython.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n').take(2);
    let first = lines.next()?;
    if let Some(name) = cookie_in_line(first) {
        return Some(name);
    }
    let first_trimmed: Vec<u8> = first
        .iter()
        .copied()
        .skip_while(|b| matches!(b, b' ' | b'\t' | b'\x0c'))
        .collect();
    let first_is_blank_or_comment =
        first_trimmed.is_empty() || matches!(first_trimmed[0], b'#' | b'\r' | b'\n');
    if !first_is_blank_or_comment {
        return None;
    }
    cookie_in_line(lines.next()?)
}

fn cookie_in_line(line: &[u8]) -> Option<String> {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))?;
    if line[start] != b'#' {
        return None;
    }
    let comment = &line[start..];
    let pos = memchr::memmem::find(comment, b"coding")?;
    let rest = &comment[pos + "coding".len()..];
    let (&sep, rest) = rest.split_first()?;
    if sep != b':' && sep != b'=' {
        // `coding` appeared without a separator; CPython's regex would try later occurrences.
        return cookie_in_line_from(comment, pos + 1);
    }
    let rest: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(|b| matches!(b, b' ' | b'\t'))
        .collect();
    let name: String = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .map(|&b| b as char)
        .collect();
    (!name.is_empty()).then_some(name)
}

fn cookie_in_line_from(comment: &[u8], from: usize) -> Option<String> {
    let tail = &comment[from..];
    let pos = memchr::memmem::find(tail, b"coding")?;
    let mut line = b"#".to_vec();
    line.extend_from_slice(&tail[pos..]);
    cookie_in_line(&line)
}

/// CPython's tokenizer `get_normal_name`: `utf-8`/`utf_8` and the latin-1 family are
/// normalised (`utf8` is not), anything else is lower-cased with `_` read as `-`.
fn normal_name(name: String) -> String {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    let family = |base: &str| lower == base || lower.starts_with(&format!("{base}-"));
    if family("utf-8") {
        "utf-8".to_string()
    } else if family("latin-1") || family("iso-8859-1") || family("iso-latin-1") {
        "iso-8859-1".to_string()
    } else {
        lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_default_and_bom() {
        let d = decode(b"x = 1\n").unwrap();
        assert_eq!(
            (d.text.as_ref(), d.base, d.encoding.as_str()),
            ("x = 1\n", 0, "utf-8")
        );
        let d = decode(b"\xEF\xBB\xBFx = 1\n").unwrap();
        assert_eq!(
            (d.text.as_ref(), d.base, d.encoding.as_str()),
            ("x = 1\n", 3, "utf-8-sig")
        );
    }

    #[test]
    fn latin1_cookie_on_first_or_second_line() {
        let d = decode(b"# -*- coding: latin-1 -*-\ns = '\xe9'\n").unwrap();
        assert_eq!(d.encoding, "iso-8859-1");
        assert!(d.text.contains("'é'"));
        let d =
            decode(b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-1 :\ns = '\xe9'\n")
                .unwrap();
        assert_eq!(d.encoding, "iso-8859-1");
        // A cookie on line 2 after a code line does not count.
        let e = decode(b"x = 1\n# coding: latin-1\ns = '\xe9'\n").unwrap_err();
        assert_eq!(e.kind, "decode_error");
    }

    #[test]
    fn other_codecs_and_errors() {
        let d = decode(b"# coding: cp1252\ns = '\x80'\n").unwrap();
        assert!(d.text.contains('€'));
        assert_eq!(
            decode(b"# coding: klingon\n").unwrap_err().message,
            "unknown encoding: klingon"
        );
        assert_eq!(decode(b"x = '\xff'\n").unwrap_err().offset, Some(5));
        assert_eq!(decode(b"x\0y").unwrap_err().kind, "binary");
        assert!(decode(b"\xEF\xBB\xBF# coding: latin-1\n").is_err());
        assert_eq!(decode(b"# coding=utf8\nx = 1\n").unwrap().encoding, "utf8");
        assert_eq!(
            decode(b"# coding=UTF_8\nx = 1\n").unwrap().encoding,
            "utf-8"
        );
        // CPython: "encoding problem: utf8 with BOM".
        assert!(decode(b"\xEF\xBB\xBF# coding: utf8\nx = 1\n").is_err());
    }
}
