//! `repr()` of Python constants, as CPython prints them, for `ast_nodes.value`.

/// `repr(float)`: the shortest digits that round-trip, in fixed notation for decimal exponents
/// in `[-4, 16)` and in scientific notation (`1e+16`, `1.5e-05`) otherwise.
pub fn float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde<exp>`.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if v < 0.0 { "-" } else { "" };
    let decpt = exp + 1; // position of the decimal point relative to the digits
    if (-4..16).contains(&exp) {
        let s = if decpt <= 0 {
            format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
        } else if decpt as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(decpt as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..decpt as usize],
                &digits[decpt as usize..]
            )
        };
        format!("{sign}{s}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

/// `repr(complex)` of an imaginary literal (`1j`, `1.5j`, `1e+20j`); the real part of a literal
/// is always zero.
pub fn imag_repr(imag: f64) -> String {
    let r = float_repr(imag);
    let r = r.strip_suffix(".0").map(str::to_string).unwrap_or(r);
    format!("{r}j")
}

/// CPython's `str.isprintable` for one character: everything but the categories Other
/// (Cc, Cf, Cs, Co, Cn) and Separator (Zl, Zp, Zs), except that the space is printable.
/// The table is Unicode 16.0 (CPython 3.11 uses 14.0: characters assigned since then are
/// escaped by CPython 3.11 and printed here).
pub fn is_printable(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::SpaceSeparator
    )
}

fn quote_for(has_single: bool, has_double: bool) -> char {
    if has_single && !has_double { '"' } else { '\'' }
}

/// `repr(str)`.
pub fn str_repr(s: &str) -> String {
    let quote = quote_for(s.contains('\''), s.contains('"'));
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_ascii() || is_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// `repr(bytes)`.
pub fn bytes_repr(b: impl Iterator<Item = u8> + Clone) -> String {
    let quote = quote_for(b.clone().any(|c| c == b'\''), b.clone().any(|c| c == b'"'));
    let mut out = String::from("b");
    out.push(quote);
    for c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            c if c as char == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote);
    out
}

/// `repr(int)` of an integer literal's text (`0x_FF` → `255`), exact for any size.
pub fn int_literal_repr(text: &str) -> String {
    let t: String = text
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = t.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = t.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = t.strip_prefix("0b") {
        (2, d)
    } else {
        (10, t.as_str())
    };
    if radix == 10 {
        let trimmed = digits.trim_start_matches('0');
        return if trimmed.is_empty() {
            "0".to_string()
        } else {
            trimmed.to_string()
        };
    }
    // Base conversion on little-endian base-1e9 limbs.
    let mut limbs: Vec<u64> = vec![0];
    for ch in digits.chars() {
        let Some(d) = ch.to_digit(radix) else {
            return text.to_string();
        };
        let mut carry = d as u64;
        for limb in limbs.iter_mut() {
            let v = *limb * radix as u64 + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut out = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&limb.to_string());
        } else {
            out.push_str(&format!("{limb:09}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_python() {
        for (v, r) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (f64::INFINITY, "inf"),
            (2.5e300, "2.5e+300"),
        ] {
            assert_eq!(float_repr(v), r);
        }
        assert_eq!(imag_repr(1.0), "1j");
        assert_eq!(imag_repr(1.5), "1.5j");
        assert_eq!(imag_repr(1e20), "1e+20j");
    }

    #[test]
    fn strings_like_python() {
        assert_eq!(str_repr("a'b"), "\"a'b\"");
        assert_eq!(str_repr("a'b\""), "'a\\'b\"'");
        assert_eq!(str_repr("é\n\x00\u{200b}"), "'é\\n\\x00\\u200b'");
        assert_eq!(
            bytes_repr(b"a'\x00\xff".iter().copied()),
            "b\"a'\\x00\\xff\""
        );
    }

    #[test]
    fn ints_like_python() {
        assert_eq!(int_literal_repr("0x_FF"), "255");
        assert_eq!(int_literal_repr("1_000"), "1000");
        assert_eq!(int_literal_repr("0o17"), "15");
        assert_eq!(
            int_literal_repr("0xFFFFFFFFFFFFFFFFFFFF"),
            "1208925819614629174706175"
        );
        assert_eq!(int_literal_repr("000"), "0");
    }
}
