//! RFC 8785 JSON Canonicalization Scheme (JCS) over `serde_json::Value`, plus a strict parser.
//!
//! The canonical form is what eddsa-jcs-2022 hashes, so every byte matters: keys are sorted by
//! UTF-16 code units (not code points), numbers are printed as ECMAScript `Number#toString`
//! prints IEEE-754 doubles, and only the characters RFC 8785 names are escaped.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt;

/// Why a value could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsError {
    /// JSON has no representation for NaN or ±Infinity (RFC 8785 §3.2.2.3).
    #[error("number {0} is not finite and has no JSON form")]
    NonFiniteNumber(String),
    /// [`Template::fill`] was given a different number of values than the template has holes.
    #[error("the template has {expected} holes but {given} values were given")]
    TemplateValues {
        /// Holes of the template.
        expected: usize,
        /// Values given.
        given: usize,
    },
}

/// Why bytes are not acceptable JSON for us; carries the 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line}, column {column}")]
pub struct ParseError {
    /// What is wrong, in words.
    pub message: String,
    /// 1-based line of the offending input.
    pub line: usize,
    /// 1-based column of the offending input.
    pub column: usize,
}

/// Canonicalizes `value` into a UTF-8 string.
pub fn canonicalize(value: &Value) -> Result<String, JcsError> {
    let mut out = Vec::with_capacity(256);
    canonicalize_into(value, &mut out)?;
    // Every byte written comes from `str` data or ASCII literals, so this cannot fail; the
    // lossy fallback keeps the function total without `unwrap`.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Canonicalizes `value` into bytes (UTF-8, no trailing newline).
pub fn canonicalize_bytes(value: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::with_capacity(256);
    canonicalize_into(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical form of `value` to `out`.
pub fn canonicalize_into(value: &Value, out: &mut Vec<u8>) -> Result<(), JcsError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonicalize_into(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, None, out)?,
    }
    Ok(())
}

/// Canonical bytes of `map` as if the member `exclude` were absent (e.g. a document without
/// its `proof`), without copying the document.
pub fn canonicalize_object_excluding(
    map: &Map<String, Value>,
    exclude: &str,
) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::with_capacity(256);
    write_object(map, Some(exclude), &mut out)?;
    Ok(out)
}

fn write_object(
    map: &Map<String, Value>,
    exclude: Option<&str>,
    out: &mut Vec<u8>,
) -> Result<(), JcsError> {
    let mut entries: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != exclude)
        .collect();
    // Byte order equals UTF-16 order unless a key holds a character at or above U+E000
    // (lead byte 0xEE or higher): only then pay for the UTF-16 comparison.
    if entries
        .iter()
        .any(|(k, _)| k.as_bytes().iter().any(|&b| b >= 0xEE))
    {
        entries.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
    } else {
        entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }
    out.push(b'{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(k, out);
        out.push(b':');
        canonicalize_into(v, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// The canonical form of a JSON object whose values at a few places differ from one copy to the
/// next (a bulk issuance's credentials share everything but their id, recipient and status):
/// the text around those places is canonicalized once, and [`Template::fill`] writes one
/// copy's values into it. Members are ordered by their names alone, so a copy whose varying
/// values stand at the same places (and whose other members are the template's) has exactly
/// the canonical form `fill` writes.
#[derive(Debug, Clone)]
pub struct Template {
    /// Canonical text before the first hole, between holes, and after the last.
    segments: Vec<Vec<u8>>,
    /// Which hole (index into the pointers given to [`Template::new`]) each gap holds, in
    /// text order.
    order: Vec<usize>,
}

impl Template {
    /// `doc` with the values at `holes` (JSON pointers, RFC 6901) left open. `None` when a
    /// pointer does not name a value of `doc`, or two name the same or nested places.
    pub fn new(doc: &Value, holes: &[&str]) -> Result<Option<Self>, JcsError> {
        let mut marked = doc.clone();
        // A private-use character JCS writes as itself, around a name no document holds: the
        // check below that each marker occurs exactly once guards against one that does.
        let markers: Vec<String> = (0..holes.len())
            .map(|i| format!("\u{E000}pathledger-jcs-hole-{i}\u{E000}"))
            .collect();
        for (h, m) in holes.iter().zip(&markers) {
            match marked.pointer_mut(h) {
                Some(v) => *v = Value::String(m.clone()),
                None => return Ok(None),
            }
        }
        let text = canonicalize_bytes(&marked)?;
        let mut at: Vec<(usize, usize, usize)> = Vec::with_capacity(holes.len());
        for (i, m) in markers.iter().enumerate() {
            let mut quoted = Vec::with_capacity(m.len() + 2);
            write_string(m, &mut quoted);
            let mut found = text
                .windows(quoted.len())
                .enumerate()
                .filter(|(_, w)| *w == quoted.as_slice())
                .map(|(p, _)| p);
            match (found.next(), found.next()) {
                (Some(p), None) => at.push((p, p + quoted.len(), i)),
                _ => return Ok(None),
            }
        }
        at.sort_unstable();
        let mut segments = Vec::with_capacity(at.len() + 1);
        let mut start = 0;
        for &(from, to, _) in &at {
            segments.push(text[start..from].to_vec());
            start = to;
        }
        segments.push(text[start..].to_vec());
        Ok(Some(Self {
            segments,
            order: at.into_iter().map(|(_, _, i)| i).collect(),
        }))
    }

    /// Appends the canonical form of the template with `values[i]` at the place of the i-th
    /// pointer given to [`Template::new`].
    pub fn fill(&self, values: &[&Value], out: &mut Vec<u8>) -> Result<(), JcsError> {
        if values.len() != self.order.len() {
            return Err(JcsError::TemplateValues {
                expected: self.order.len(),
                given: values.len(),
            });
        }
        out.reserve(self.segments.iter().map(Vec::len).sum::<usize>() + 64 * values.len());
        for (seg, &i) in self.segments.iter().zip(&self.order) {
            out.extend_from_slice(seg);
            canonicalize_into(values[i], out)?;
        }
        if let Some(last) = self.segments.last() {
            out.extend_from_slice(last);
        }
        Ok(())
    }

    /// How many values [`Template::fill`] takes.
    pub fn holes(&self) -> usize {
        self.order.len()
    }
}

/// Orders two strings by their UTF-16 code units, as RFC 8785 §3.2.3 requires.
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0A => b"\\n",
            0x0C => b"\\f",
            0x0D => b"\\r",
            0x00..=0x1F => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xF) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Largest integer magnitude a double holds exactly; below it integers print as themselves.
const EXACT_INT: u64 = 1 << 53;

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), JcsError> {
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= EXACT_INT {
            write_int(i, out);
            return Ok(());
        }
    } else if let Some(u) = n.as_u64() {
        if u <= EXACT_INT {
            write_int(u as i64, out);
            return Ok(());
        }
    }
    match n.as_f64() {
        Some(f) => write_f64(f, out),
        None => Err(JcsError::NonFiniteNumber(n.to_string())),
    }
}

fn write_int(i: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut v = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[pos..]);
}

/// Writes a double the way ECMAScript `Number.prototype.toString()` does (ECMA-262 §6.1.6.1.20).
pub fn write_f64(f: f64, out: &mut Vec<u8>) -> Result<(), JcsError> {
    if !f.is_finite() {
        return Err(JcsError::NonFiniteNumber(f.to_string()));
    }
    if f == 0.0 {
        // Covers -0 too: ECMAScript prints it as "0".
        out.push(b'0');
        return Ok(());
    }
    if f < 0.0 {
        out.push(b'-');
    }
    // ryu yields the shortest digit string that round-trips (the same digits ECMAScript
    // requires); only its layout differs, so take digits and exponent out of it.
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f.abs());
    let (mantissa, exp) = match text.find('e') {
        Some(p) => (&text[..p], text[p + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    let mut digits: Vec<u8> = Vec::with_capacity(24);
    digits.extend_from_slice(int_part.as_bytes());
    digits.extend_from_slice(frac_part.as_bytes());
    // `n` is the ECMAScript exponent: value = 0.d1d2…dk × 10^n.
    let mut n = int_part.len() as i32 + exp;
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    n -= leading as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    let k = digits.len() as i32;
    if k == 0 {
        out.push(b'0');
        return Ok(());
    }
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        let e = n - 1;
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if e < 0 { b'-' } else { b'+' });
        write_int(i64::from(e.unsigned_abs()), out);
    }
    Ok(())
}

/// Formats a double as ECMAScript would; convenience for tests and callers outside JCS.
pub fn format_f64(f: f64) -> Result<String, JcsError> {
    let mut out = Vec::with_capacity(24);
    write_f64(f, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Deepest nesting `parse_strict` accepts; serde_json stops at 128 anyway, this keeps our own
/// recursion shallower than that guard.
pub const MAX_DEPTH: usize = 100;

/// Parses JSON, rejecting duplicate object keys, nesting deeper than [`MAX_DEPTH`], numbers
/// outside the double range and trailing data. Errors carry line and column.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictSeed { depth: 0 }
        .deserialize(&mut de)
        .map_err(convert_error)?;
    de.end().map_err(convert_error)?;
    Ok(value)
}

fn convert_error(e: serde_json::Error) -> ParseError {
    let full = e.to_string();
    // serde_json appends " at line L column C"; keep the message without it.
    let message = match full.rfind(" at line ") {
        Some(p) => full[..p].to_string(),
        None => full,
    };
    ParseError {
        message,
        line: e.line(),
        column: e.column(),
    }
}

struct StrictSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor { depth: self.depth })
    }
}

struct StrictVisitor {
    depth: usize,
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom("nesting too deep"));
        }
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictSeed {
            depth: self.depth + 1,
        })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom("nesting too deep"));
        }
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let v = map.next_value_seed(StrictSeed {
                depth: self.depth + 1,
            })?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jcs_of(text: &str) -> String {
        let v = parse_strict(text.as_bytes()).expect("test input parses");
        canonicalize(&v).expect("canonicalizes")
    }

    #[test]
    fn rfc_number_table() {
        let cases = [
            ("1e21", "1e+21"),
            ("2e-3", "0.002"),
            ("1e20", "100000000000000000000"),
            ("1E30", "1e+30"),
            ("1e-7", "1e-7"),
            ("0.000000000000000000000000001", "1e-27"),
            ("0.000001", "0.000001"),
            ("9007199254740993", "9007199254740992"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("-1.5e-10", "-1.5e-10"),
            ("333333333.33333329", "333333333.3333333"),
            ("56.0", "56"),
            ("4.50", "4.5"),
            ("18446744073709551615", "18446744073709552000"),
            ("-9223372036854775808", "-9223372036854776000"),
        ];
        for (input, want) in cases {
            assert_eq!(jcs_of(input), want, "input {input}");
        }
    }

    #[test]
    fn ieee_bit_patterns() {
        let cases = [
            (0x0000000000000001u64, "5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
        ];
        for (bits, want) in cases {
            assert_eq!(format_f64(f64::from_bits(bits)).unwrap(), want);
        }
    }

    #[test]
    fn non_finite_is_an_error() {
        assert!(format_f64(f64::NAN).is_err());
        assert!(format_f64(f64::INFINITY).is_err());
        assert!(format_f64(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn utf16_key_order() {
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let want = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(jcs_of(input), want);
    }

    #[test]
    fn escaping_example() {
        let input = r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#;
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(jcs_of(input), want);
    }

    #[test]
    fn del_and_line_separator_stay_raw() {
        assert_eq!(jcs_of("\"\\u007f\\u2028\""), "\"\u{7f}\u{2028}\"");
    }

    #[test]
    fn duplicate_keys_rejected_with_position() {
        let err = parse_strict(b"{\n  \"a\": 1,\n  \"a\": 2\n}").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{err}");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = parse_strict(b"{\"a\": 1,\n \"b\" 2}").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.column > 0);
    }

    #[test]
    fn deep_nesting_rejected() {
        let deep = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        assert!(parse_strict(deep.as_bytes()).is_err());
        let ok = "[".repeat(50) + &"]".repeat(50);
        assert!(parse_strict(ok.as_bytes()).is_ok());
    }

    #[test]
    fn trailing_data_rejected() {
        assert!(parse_strict(b"{} {}").is_err());
        assert!(parse_strict(b"1e400").is_err());
    }
}
