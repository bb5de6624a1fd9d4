//! What people bring to a verifier, read into one JSON value: a credential or presentation
//! (JSON), a compact JWS (an OB 3.0 VC-JWT or a signed OB 2.0 assertion), or a link (a hosted
//! OB 2.0 assertion). Baked badges are opened here: PNG `iTXt` chunks (`openbadgecredential`
//! for 3.0, `openbadges` for 2.0) and SVG elements (`openbadges:credential`,
//! `openbadges:assertion`), per Open Badges 3.0 §5.3 and Baking 1.0. `data:` URLs are decoded.
//!
//! A JWS or a link is returned as a JSON string; [`crate::Verifier`] verifies each kind.

use std::io::Read;

use base64::Engine;
use serde_json::Value;

/// The largest input read (a baked PNG included).
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
/// The largest text a baked image may carry (after decompression).
pub const MAX_BAKED_TEXT: usize = 1024 * 1024;

/// The OB 3.0 SVG namespace.
pub const OB3_SVG_NS: &str = "https://purl.imsglobal.org/ob/v3p0";
/// The OB 2.0 SVG namespace.
pub const OB2_SVG_NS: &str = "http://openbadges.org";

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Why the input could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// JSON text that does not parse, with the 1-based line and column.
    #[error("not valid JSON: {message} (line {line}, column {column})")]
    Json {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// An image with no badge baked into it.
    #[error("the {0} image carries no badge (no Open Badges data baked into it)")]
    NotBaked(&'static str),
    /// A damaged or unreadable image.
    #[error("the {0} image cannot be read: {1}")]
    Image(&'static str, String),
    /// Too large.
    #[error("the input is larger than {0} bytes")]
    TooLarge(usize),
    /// Anything else: not a credential, JWS, link or badge image.
    #[error("{0}")]
    Unrecognized(String),
}

/// Reads one input: JSON, a compact JWS, a link, a `data:` URL, a baked PNG or SVG.
pub fn read_input(bytes: &[u8]) -> Result<Value, InputError> {
    read_depth(bytes, 0)
}

fn read_depth(bytes: &[u8], depth: u8) -> Result<Value, InputError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge(MAX_INPUT_BYTES));
    }
    if bytes.starts_with(PNG_MAGIC) {
        let text = png_baked_text(bytes)?;
        return read_text(&text, depth);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(InputError::Unrecognized(
            "the file is neither text (a credential, a signed token or a link) nor a PNG or SVG badge image".into(),
        ));
    };
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        let baked = svg_baked_text(text)?;
        return read_text(&baked, depth);
    }
    read_text(text, depth)
}

/// Reads text: JSON, a compact JWS, a `data:` URL or a link.
fn read_text(text: &str, depth: u8) -> Result<Value, InputError> {
    let t = text.trim().trim_start_matches('\u{feff}');
    if t.starts_with('{') || t.starts_with('[') {
        return pathledger_signing::parse_strict(text.trim().as_bytes()).map_err(|e| {
            InputError::Json {
                message: e.message,
                line: e.line,
                column: e.column,
            }
        });
    }
    if is_compact_jws(t) {
        return Ok(Value::String(t.to_owned()));
    }
    if let Some(rest) = t.strip_prefix("data:") {
        if depth > 0 {
            return Err(InputError::Unrecognized(
                "a data: URL inside a data: URL is not read".into(),
            ));
        }
        let bytes = decode_data_url(rest)?;
        return read_depth(&bytes, depth + 1);
    }
    if (t.starts_with("https://") || t.starts_with("http://") || t.starts_with("urn:uuid:"))
        && !t.contains(char::is_whitespace)
    {
        return Ok(Value::String(t.to_owned()));
    }
    if t.is_empty() {
        return Err(InputError::Unrecognized("the input is empty".into()));
    }
    Err(InputError::Unrecognized(
        "this is not a credential: expected credential JSON, a signed token (JWS), a link, or a badge image (PNG or SVG)".into(),
    ))
}

/// Whether `s` has the shape of a compact JWS: three base64url parts, the first two non-empty.
pub fn is_compact_jws(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && parts[0].starts_with("ey")
}

fn decode_data_url(rest: &str) -> Result<Vec<u8>, InputError> {
    let (meta, payload) = rest
        .split_once(',')
        .ok_or_else(|| InputError::Unrecognized("the data: URL has no comma".into()))?;
    if meta.split(';').any(|p| p.eq_ignore_ascii_case("base64")) {
        let cleaned: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(cleaned.as_bytes())
            .or_else(|_| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(cleaned.trim_end_matches('='))
            })
            .map_err(|_| InputError::Unrecognized("the data: URL is not valid base64".into()))
    } else {
        percent_decode(payload)
    }
}

fn percent_decode(s: &str) -> Result<Vec<u8>, InputError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    InputError::Unrecognized("the data: URL has a bad %-escape".into())
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// The text baked into a PNG: the first `iTXt` chunk with keyword `openbadgecredential` (3.0)
/// or `openbadges` (2.0), or a `tEXt` `openbadges` chunk (pre-specification 2.0 badges carry a
/// hosted assertion's URL there). Chunk CRCs are checked.
pub fn png_baked_text(bytes: &[u8]) -> Result<String, InputError> {
    let bad = |m: &str| InputError::Image("PNG", m.to_owned());
    let mut pos = PNG_MAGIC.len();
    let mut legacy: Option<String> = None;
    while pos + 12 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        let ty = &bytes[pos + 4..pos + 8];
        let data_end = pos
            .checked_add(8)
            .and_then(|p| p.checked_add(len))
            .filter(|&e| e + 4 <= bytes.len())
            .ok_or_else(|| bad("a chunk runs past the end of the file"))?;
        let data = &bytes[pos + 8..data_end];
        let crc_stored = u32::from_be_bytes([
            bytes[data_end],
            bytes[data_end + 1],
            bytes[data_end + 2],
            bytes[data_end + 3],
        ]);
        let mut crc = flate2::Crc::new();
        crc.update(ty);
        crc.update(data);
        if crc.sum() != crc_stored {
            return Err(bad(&format!(
                "the {} chunk is damaged (its checksum does not match)",
                String::from_utf8_lossy(ty)
            )));
        }
        match ty {
            b"iTXt" => {
                if let Some(text) = itxt_badge(data).map_err(|m| bad(&m))? {
                    return Ok(text);
                }
            }
            b"tEXt" if legacy.is_none() => {
                if let Some(rest) = data.strip_prefix(b"openbadges\0") {
                    // tEXt is Latin-1.
                    legacy = Some(rest.iter().map(|&b| b as char).collect());
                }
            }
            b"IEND" => break,
            _ => {}
        }
        pos = data_end + 4;
    }
    legacy.ok_or(InputError::NotBaked("PNG"))
}

/// The text of an `iTXt` chunk whose keyword names a badge, if it does.
fn itxt_badge(data: &[u8]) -> Result<Option<String>, String> {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return Ok(None);
    };
    let keyword = &data[..nul];
    if keyword != b"openbadgecredential" && keyword != b"openbadges" {
        return Ok(None);
    }
    let rest = &data[nul + 1..];
    if rest.len() < 2 {
        return Err("the badge chunk is truncated".into());
    }
    let (compressed, method) = (rest[0], rest[1]);
    let rest = &rest[2..];
    let lang_end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or("the badge chunk is truncated")?;
    let rest = &rest[lang_end + 1..];
    let tk_end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or("the badge chunk is truncated")?;
    let text = &rest[tk_end + 1..];
    let text = match (compressed, method) {
        (0, _) => text.to_vec(),
        (1, 0) => {
            // The specification forbids compression; badges made before it may use it.
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(text)
                .take(MAX_BAKED_TEXT as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("the badge chunk cannot be decompressed: {e}"))?;
            if out.len() > MAX_BAKED_TEXT {
                return Err("the badge chunk is too large".into());
            }
            out
        }
        _ => return Err("the badge chunk uses an unknown compression".into()),
    };
    String::from_utf8(text)
        .map(Some)
        .map_err(|_| "the badge chunk is not UTF-8 text".into())
}

/// The text baked into an SVG: the first `openbadges:credential` (3.0) or
/// `openbadges:assertion` (2.0) element, matched by namespace. Its `verify` attribute (a JWS,
/// or for 2.0 a hosted assertion's URL when the body is empty) or its body (JSON, usually in
/// CDATA).
pub fn svg_baked_text(text: &str) -> Result<String, InputError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| {
        let pos = e.pos();
        InputError::Image("SVG", format!("{e} (line {}, column {})", pos.row, pos.col))
    })?;
    if doc.root_element().tag_name().name() != "svg" {
        return Err(InputError::Unrecognized(
            "the file is XML but not an SVG image".into(),
        ));
    }
    let el = doc
        .descendants()
        .find(|n| {
            n.is_element()
                && matches!(
                    (n.tag_name().namespace(), n.tag_name().name()),
                    (Some(OB3_SVG_NS), "credential") | (Some(OB2_SVG_NS), "assertion")
                )
        })
        .ok_or(InputError::NotBaked("SVG"))?;
    let body: String = el
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    let verify = el.attribute("verify").map(str::trim).unwrap_or("");
    let body = body.trim();
    if !body.is_empty() {
        return Ok(body.to_owned());
    }
    if !verify.is_empty() {
        return Ok(verify.to_owned());
    }
    Err(InputError::Image(
        "SVG",
        "the badge element is empty".to_owned(),
    ))
}

/// Bakes `text` (credential JSON or a compact JWS) into a PNG as the OB 3.0 `iTXt` chunk
/// `openbadgecredential`, uncompressed, before `IEND`; an existing badge chunk is replaced.
pub fn bake_png(png: &[u8], text: &str) -> Result<Vec<u8>, InputError> {
    if !png.starts_with(PNG_MAGIC) {
        return Err(InputError::Image("PNG", "not a PNG file".into()));
    }
    let mut out = PNG_MAGIC.to_vec();
    let mut pos = PNG_MAGIC.len();
    while pos + 12 <= png.len() {
        let len = u32::from_be_bytes([png[pos], png[pos + 1], png[pos + 2], png[pos + 3]]) as usize;
        let end = pos + 12 + len;
        if end > png.len() {
            return Err(InputError::Image(
                "PNG",
                "a chunk runs past the end of the file".into(),
            ));
        }
        let ty = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        let is_badge = ty == b"iTXt"
            && (data.starts_with(b"openbadgecredential\0") || data.starts_with(b"openbadges\0"));
        if ty == b"IEND" {
            let mut chunk = b"openbadgecredential\0\0\0\0\0".to_vec();
            chunk.extend_from_slice(text.as_bytes());
            write_chunk(&mut out, b"iTXt", &chunk);
        }
        if !is_badge {
            out.extend_from_slice(&png[pos..end]);
        }
        pos = end;
        if ty == b"IEND" {
            return Ok(out);
        }
    }
    Err(InputError::Image(
        "PNG",
        "the file has no IEND chunk".into(),
    ))
}

pub(crate) fn write_chunk(out: &mut Vec<u8>, ty: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(ty);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(ty);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// Bakes `text` into an SVG (OB 3.0): declares the namespace on `<svg>` and puts an
/// `openbadges:credential` element right after its start tag: a JWS in `verify`, JSON in a
/// CDATA body (`]]>` split across sections).
pub fn bake_svg(svg: &str, text: &str) -> Result<String, InputError> {
    let start = svg
        .find("<svg")
        .ok_or_else(|| InputError::Image("SVG", "no <svg> element".into()))?;
    let close = svg[start..]
        .find('>')
        .map(|i| start + i)
        .ok_or_else(|| InputError::Image("SVG", "the <svg> start tag is not closed".into()))?;
    let self_closing = svg[..close].ends_with('/');
    let tag_end = if self_closing { close - 1 } else { close };
    let mut tag = svg[start..tag_end].to_owned();
    if !tag.contains("xmlns:openbadges=") {
        tag.push_str(&format!(" xmlns:openbadges=\"{OB3_SVG_NS}\""));
    }
    let element = if is_compact_jws(text.trim()) {
        format!("<openbadges:credential verify=\"{}\"/>", text.trim())
    } else {
        format!(
            "<openbadges:credential><![CDATA[{}]]></openbadges:credential>",
            text.replace("]]>", "]]]]><![CDATA[>")
        )
    };
    let mut out = String::with_capacity(svg.len() + text.len() + 128);
    out.push_str(&svg[..start]);
    out.push_str(&tag);
    out.push('>');
    out.push_str(&element);
    if self_closing {
        out.push_str("</svg>");
        out.push_str(&svg[close + 1..]);
    } else {
        out.push_str(&svg[close + 1..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG.
    const TINY_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn tiny_png() -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(TINY_PNG)
            .unwrap()
    }

    #[test]
    fn itxt_chunk_matches_the_worked_example() {
        // STANDARDS-2.md §1: text `header.payload.signature`.
        let mut out = Vec::new();
        let mut chunk = b"openbadgecredential\0\0\0\0\0".to_vec();
        chunk.extend_from_slice(b"header.payload.signature");
        write_chunk(&mut out, b"iTXt", &chunk);
        assert_eq!(
            hex::encode(out),
            "0000003069545874".to_owned()
                + "6f70656e626164676563726564656e7469616c0000000000"
                + "6865616465722e7061796c6f61642e7369676e6174757265"
                + "99ca688f"
        );
    }

    #[test]
    fn png_round_trip_and_rebake_replaces() {
        let baked = bake_png(&tiny_png(), r#"{"a":1}"#).unwrap();
        assert_eq!(png_baked_text(&baked).unwrap(), r#"{"a":1}"#);
        let again = bake_png(&baked, r#"{"a":2}"#).unwrap();
        assert_eq!(png_baked_text(&again).unwrap(), r#"{"a":2}"#);
        assert_eq!(
            again.windows(4).filter(|w| w == b"iTXt").count(),
            1,
            "one badge chunk after re-baking"
        );
        assert_eq!(read_input(&again).unwrap()["a"], 2);
        assert_eq!(
            png_baked_text(&tiny_png()),
            Err(InputError::NotBaked("PNG"))
        );
    }

    #[test]
    fn damaged_png_is_refused() {
        let mut baked = bake_png(&tiny_png(), r#"{"a":1}"#).unwrap();
        let at = baked.len() - 20;
        baked[at] ^= 1;
        assert!(matches!(png_baked_text(&baked), Err(InputError::Image(..))));
        let cut = &baked[..baked.len() - 30];
        assert!(png_baked_text(cut).is_err());
    }

    #[test]
    fn svg_round_trip_json_and_jws() {
        let svg = r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><circle r="1"/></svg>"#;
        let json = r#"{"name":"odd ]]> text"}"#;
        let baked = bake_svg(svg, json).unwrap();
        assert_eq!(svg_baked_text(&baked).unwrap(), json);
        assert_eq!(
            read_input(baked.as_bytes()).unwrap()["name"],
            "odd ]]> text"
        );
        let jws = "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln";
        let baked = bake_svg(svg, jws).unwrap();
        assert_eq!(
            read_input(baked.as_bytes()).unwrap(),
            Value::String(jws.into())
        );
        assert_eq!(svg_baked_text(svg), Err(InputError::NotBaked("SVG")));
    }

    #[test]
    fn svg_ob2_assertion_by_namespace_not_prefix() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org"><ob:assertion verify="https://example.org/assertions/1"/></svg>"#;
        assert_eq!(
            read_input(svg.as_bytes()).unwrap(),
            Value::String("https://example.org/assertions/1".into())
        );
        // The prefix alone does not make a badge.
        let fake = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://example.org/other"><openbadges:assertion verify="https://x"/></svg>"#;
        assert_eq!(
            read_input(fake.as_bytes()),
            Err(InputError::NotBaked("SVG"))
        );
    }

    #[test]
    fn svg_with_entities_is_refused_not_expanded() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>"#;
        assert!(matches!(
            read_input(bomb.as_bytes()),
            Err(InputError::Image("SVG", _))
        ));
    }

    #[test]
    fn text_kinds() {
        assert_eq!(read_input(b"  {\"x\": true}\n").unwrap()["x"], true);
        match read_input(b"{\n  \"x\": tru }") {
            Err(InputError::Json { line, column, .. }) => assert_eq!((line, column), (2, 11)),
            other => panic!("{other:?}"),
        }
        let jws = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.AAAA";
        assert_eq!(
            read_input(jws.as_bytes()).unwrap(),
            Value::String(jws.into())
        );
        assert_eq!(
            read_input(b"https://example.org/a/1\n").unwrap(),
            Value::String("https://example.org/a/1".into())
        );
        let data = format!(
            "data:application/json;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(br#"{"y":2}"#)
        );
        assert_eq!(read_input(data.as_bytes()).unwrap()["y"], 2);
        assert_eq!(read_input(b"data:,%7B%22z%22%3A3%7D").unwrap()["z"], 3);
        assert!(matches!(
            read_input(b"hello"),
            Err(InputError::Unrecognized(_))
        ));
        assert!(matches!(read_input(b""), Err(InputError::Unrecognized(_))));
        assert!(matches!(
            read_input(&[0xff, 0xfe, 0x00]),
            Err(InputError::Unrecognized(_))
        ));
        assert!(!is_compact_jws("a.b.c"));
        assert!(!is_compact_jws("eyJ.b"));
    }
}
