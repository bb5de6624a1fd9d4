//! A credential's certificate as a PDF, drawn in-process with `printpdf`: one A4 landscape
//! page, the standard PDF fonts (Helvetica, Times; nothing embedded, nothing fetched), the QR
//! code of the verify link as vector squares.
//!
//! Text: the standard fonts are WinAnsi-encoded, which covers Latin-1 and the Windows-1252
//! extras (José Ñúñez, Zoë, Šimon, Œuvre …). Other Latin letters are written without their
//! accents (Łukasz → Lukasz, Dvořák → Dvorák, Nguyễn → Nguyen), the way a name is written
//! where accents cannot be typed. Text in other scripts (Greek, Cyrillic, CJK …) cannot be
//! drawn with these fonts at all: such a field is replaced by a sentence saying so and pointing
//! to the certificate page, which prints every script, never by question marks.

use std::collections::HashMap;

use printpdf::{
    BuiltinFont, Color, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};
use unicode_normalization::UnicodeNormalization;

use crate::pages::certificate::Certificate;

/// A4 landscape, in points.
const WIDTH: f32 = 841.89;
const HEIGHT: f32 = 595.28;
/// The side margin of the text blocks.
const MARGIN: f32 = 60.0;
/// Said under a name the standard fonts cannot draw.
const UNSHOWN: &str =
    "(Written in a script this PDF's standard fonts cannot show: the certificate page shows it.)";

/// The certificate as PDF bytes.
pub fn certificate_pdf(c: &Certificate) -> Vec<u8> {
    let mut page = Page::default();
    let accent = rgb(0x0b, 0x5c, 0xad);
    let ink = rgb(0x1b, 0x1f, 0x24);
    let muted = rgb(0x57, 0x60, 0x6a);

    // A double frame.
    page.stroke_rect(24.0, 24.0, WIDTH - 48.0, HEIGHT - 48.0, 2.5, &accent);
    page.stroke_rect(31.0, 31.0, WIDTH - 62.0, HEIGHT - 62.0, 0.8, &accent);

    let mut y = HEIGHT - 78.0;
    if !c.valid() {
        let warning = format!(
            "NOT VALID: {}. {}",
            crate::pages::format::verdict_badge(&c.verdict).1,
            c.verdict_message
        );
        let red = rgb(0xb4, 0x23, 0x18);
        for line in page.wrap(
            &pdf_text(&warning, "This credential does not verify as valid now."),
            BuiltinFont::HelveticaBold,
            11.0,
            WIDTH - 2.0 * MARGIN,
            2,
        ) {
            page.centered(&line, BuiltinFont::HelveticaBold, 11.0, y, &red);
            y -= 14.0;
        }
        y -= 6.0;
    }
    let issuer = pdf_text(c.issuer_name(), "The issuer named on the certificate page");
    page.centered(&issuer, BuiltinFont::HelveticaBold, 17.0, y, &ink);
    y -= 22.0;
    page.centered(
        "C E R T I F I C A T E   O F   A C H I E V E M E N T",
        BuiltinFont::Helvetica,
        10.0,
        y,
        &muted,
    );
    y -= 46.0;
    page.centered(
        "This certifies that",
        BuiltinFont::TimesItalic,
        15.0,
        y,
        &muted,
    );
    y -= 38.0;
    let (holder, holder_note) = match fold(c.holder_name()) {
        Ok(h) => (h, false),
        Err(()) => ("The holder named on the certificate page".to_owned(), true),
    };
    for line in page.wrap(
        &holder,
        BuiltinFont::TimesBold,
        30.0,
        WIDTH - 2.0 * MARGIN,
        2,
    ) {
        page.centered(&line, BuiltinFont::TimesBold, 30.0, y, &ink);
        y -= 34.0;
    }
    if holder_note {
        page.centered(UNSHOWN, BuiltinFont::Helvetica, 9.0, y + 14.0, &muted);
        y -= 8.0;
    }
    y -= 2.0;
    page.centered("has earned", BuiltinFont::TimesItalic, 15.0, y, &muted);
    y -= 36.0;
    let (achievement, achievement_note) = match fold(&c.achievement) {
        Ok(a) => (a, false),
        Err(()) => (
            "The credential named on the certificate page".to_owned(),
            true,
        ),
    };
    for line in page.wrap(
        &achievement,
        BuiltinFont::HelveticaBold,
        24.0,
        WIDTH - 2.0 * MARGIN,
        2,
    ) {
        page.centered(&line, BuiltinFont::HelveticaBold, 24.0, y, &accent);
        y -= 28.0;
    }
    if achievement_note {
        page.centered(UNSHOWN, BuiltinFont::Helvetica, 9.0, y + 12.0, &muted);
        y -= 8.0;
    }
    if let Some(d) = c.description.as_deref().and_then(|d| fold(d).ok()) {
        y -= 2.0;
        for line in page.wrap(&d, BuiltinFont::Helvetica, 11.0, WIDTH - 4.0 * MARGIN, 2) {
            page.centered(&line, BuiltinFont::Helvetica, 11.0, y, &muted);
            y -= 14.0;
        }
    }

    // The QR code at the bottom right; the facts at the bottom left.
    let qr_side = 118.0;
    let qr_x = WIDTH - MARGIN - qr_side;
    let qr_y = 58.0;
    page.qr(&c.verify_url, qr_x, qr_y, qr_side);
    let caption = page.width("Scan to verify", BuiltinFont::Helvetica, 8.0);
    page.text_at(
        "Scan to verify",
        BuiltinFont::Helvetica,
        8.0,
        qr_x + (qr_side - caption) / 2.0,
        qr_y - 10.0,
        &muted,
    );
    let facts: [(&str, String); 6] = [
        ("Issued by", issuer.clone()),
        ("Issued", c.issued_day()),
        ("Expires", c.expires_day()),
        ("Credential ID", pdf_text(&c.id, "See the certificate page")),
        ("Status", c.status_line()),
        ("Verify at", c.verify_url.clone()),
    ];
    let label_width = 78.0;
    let value_width = qr_x - 24.0 - MARGIN - label_width;
    let mut fy = 158.0;
    for (label, value) in facts {
        page.text_at(label, BuiltinFont::HelveticaBold, 9.5, MARGIN, fy, &ink);
        let lines = page.wrap(&value, BuiltinFont::Helvetica, 9.5, value_width, 2);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                fy -= 12.0;
            }
            page.text_at(
                line,
                BuiltinFont::Helvetica,
                9.5,
                MARGIN + label_width,
                fy,
                &ink,
            );
        }
        fy -= 16.0;
    }

    let title = format!("Certificate: {}", achievement);
    let mut doc = PdfDocument::new(&title);
    let pdf_page = PdfPage::new(Mm::from(Pt(WIDTH)), Mm::from(Pt(HEIGHT)), page.ops);
    doc.with_pages(vec![pdf_page])
        .save(&PdfSaveOptions::default(), &mut Vec::new())
}

fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    })
}

/// One page's drawing operations, and the standard fonts' widths for placing text.
#[derive(Default)]
struct Page {
    ops: Vec<Op>,
    metrics: HashMap<BuiltinFont, Option<ParsedFont>>,
}

impl Page {
    /// The width of `text` (WinAnsi text, see [`pdf_text`]) in `font` at `size` points.
    fn width(&mut self, text: &str, font: BuiltinFont, size: f32) -> f32 {
        let parsed = self
            .metrics
            .entry(font)
            .or_insert_with(|| font.get_parsed_font())
            .as_ref();
        let Some(f) = parsed else {
            // No metrics: about half an em per character.
            return text.chars().count() as f32 * size * 0.5;
        };
        let upm = f32::from(f.pdf_font_metrics.units_per_em.max(1));
        text.chars()
            .map(|ch| {
                let w = f
                    .lookup_glyph_index(u32::from(ch))
                    .and_then(|g| f.get_glyph_width(g))
                    .unwrap_or(500);
                f32::from(w) / upm * size
            })
            .sum()
    }

    /// `text` in lines no wider than `max`, at most `lines` of them (the last one ends in "…"
    /// when the text is longer). A word longer than a line is cut.
    fn wrap(
        &mut self,
        text: &str,
        font: BuiltinFont,
        size: f32,
        max: f32,
        lines: usize,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut words = text.split_whitespace().peekable();
        while let Some(word) = words.next() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.width(&candidate, font, size) <= max {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            // The word alone, cut where it must be.
            let mut piece = String::new();
            for ch in word.chars() {
                piece.push(ch);
                if self.width(&piece, font, size) > max {
                    piece.pop();
                    out.push(std::mem::take(&mut piece));
                    piece.push(ch);
                }
            }
            current = piece;
            if out.len() >= lines {
                break;
            }
            if words.peek().is_none() {
                break;
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
        if out.len() > lines {
            out.truncate(lines);
            if let Some(last) = out.last_mut() {
                while !last.is_empty() && self.width(&format!("{last}…"), font, size) > max {
                    last.pop();
                }
                last.push('…');
            }
        }
        out
    }

    fn text_at(&mut self, text: &str, font: BuiltinFont, size: f32, x: f32, y: f32, color: &Color) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size),
            },
            Op::SetFillColor { col: color.clone() },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn centered(&mut self, text: &str, font: BuiltinFont, size: f32, y: f32, color: &Color) {
        let x = (WIDTH - self.width(text, font, size)) / 2.0;
        self.text_at(text, font, size, x.max(MARGIN / 2.0), y, color);
    }

    fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, thickness: f32, color: &Color) {
        self.ops.extend([
            Op::SetOutlineColor { col: color.clone() },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![ring(x, y, w, h)],
                    mode: PaintMode::Stroke,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }

    /// The QR code of `url` in a `side`-point square at (`x`, `y`) (its lower left corner),
    /// quiet zone included: one filled path of squares, each row's dark run as one rectangle.
    fn qr(&mut self, url: &str, x: f32, y: f32, side: f32) {
        let Ok(qr) = qrcodegen::QrCode::encode_text(url, qrcodegen::QrCodeEcc::Medium) else {
            return;
        };
        let n = qr.size();
        let border = 4;
        let module = side / (n + 2 * border) as f32;
        let mut rings = Vec::new();
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if !qr.get_module(col, row) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && qr.get_module(col, row) {
                    col += 1;
                }
                // Rows count down from the top; PDF's y counts up from the bottom.
                rings.push(ring(
                    x + (start + border) as f32 * module,
                    y + side - (row + border + 1) as f32 * module,
                    (col - start) as f32 * module,
                    module,
                ));
            }
        }
        self.ops.extend([
            Op::SetFillColor {
                col: rgb(0xff, 0xff, 0xff),
            },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![ring(x, y, side, side)],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
            Op::SetFillColor { col: rgb(0, 0, 0) },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings,
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }
}

/// A rectangle as a closed ring, counter-clockwise.
fn ring(x: f32, y: f32, w: f32, h: f32) -> PolygonRing {
    let p = |x: f32, y: f32| LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    };
    PolygonRing {
        points: vec![p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h)],
    }
}

/// `text` as the standard fonts can draw it ([`fold`]), or `instead` when it holds characters
/// they cannot.
fn pdf_text(text: &str, instead: &str) -> String {
    fold(text).unwrap_or_else(|_| instead.to_owned())
}

/// `text` in characters WinAnsi (the standard fonts' encoding) has: kept as they are when it
/// has them, else written without accents (NFKD, combining marks dropped; a few Latin letters
/// that do not decompose, by hand). `Err` when a character has no such spelling (another script).
fn fold(text: &str) -> Result<String, ()> {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_whitespace() {
            out.push(' ');
        } else if ch.is_control() {
            continue;
        } else if win_ansi(ch) {
            out.push(ch);
        } else if let Some(s) = latin_by_hand(ch) {
            out.push_str(s);
        } else {
            let base: String = ch
                .to_string()
                .nfkd()
                .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                .collect();
            if base.is_empty() || !base.chars().all(win_ansi) {
                return Err(());
            }
            out.push_str(&base);
        }
    }
    Ok(out)
}

/// Latin letters without a decomposition to a base letter.
fn latin_by_hand(ch: char) -> Option<&'static str> {
    Some(match ch {
        'Ł' => "L",
        'ł' => "l",
        'Đ' => "D",
        'đ' => "d",
        'Ħ' => "H",
        'ħ' => "h",
        'ı' => "i",
        'Ŀ' => "L",
        'ŀ' => "l",
        'Ŧ' => "T",
        'ŧ' => "t",
        'Ə' => "E",
        'ə' => "e",
        'ĸ' => "k",
        'Ŋ' => "N",
        'ŋ' => "n",
        'ſ' => "s",
        _ => return None,
    })
}

/// Whether WinAnsiEncoding (Windows-1252) has `ch`.
fn win_ansi(ch: char) -> bool {
    matches!(u32::from(ch), 0x20..=0x7E | 0xA0..=0xFF)
        || matches!(
            ch,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_names_keep_or_lose_only_their_accents_and_other_scripts_are_refused() {
        assert_eq!(fold("José Ñúñez").unwrap(), "José Ñúñez");
        assert_eq!(fold("Zoë Šimková").unwrap(), "Zoë Šimková");
        assert_eq!(fold("Łukasz Dvořák").unwrap(), "Lukasz Dvorák");
        assert_eq!(fold("Nguyễn Thị Ánh").unwrap(), "Nguyen Thi Ánh");
        assert_eq!(fold("Ana\tMaría\n").unwrap(), "Ana María ");
        assert!(fold("Дмитрий").is_err());
        assert!(fold("王小明").is_err());
        assert_eq!(pdf_text("王小明", "instead"), "instead");
    }

    #[test]
    fn long_text_wraps_within_its_width_and_lines() {
        let mut page = Page::default();
        let text =
            "Supporting Multilingual Learners Across the Content Areas and in Family Partnerships";
        let lines = page.wrap(text, BuiltinFont::HelveticaBold, 24.0, 400.0, 2);
        assert_eq!(lines.len(), 2, "{lines:?}");
        for l in &lines {
            assert!(
                page.width(l, BuiltinFont::HelveticaBold, 24.0) <= 400.0,
                "{l}"
            );
        }
        assert!(lines[1].ends_with('…'), "{lines:?}");
        // The metrics are the font's: "W" is wider than "i".
        assert!(
            page.width("W", BuiltinFont::Helvetica, 10.0)
                > page.width("i", BuiltinFont::Helvetica, 10.0)
        );
    }
}
