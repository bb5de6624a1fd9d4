//! Images generated for an achievement without a hosted one, to bake a credential into: a clean
//! SVG emblem with the achievement's name, and a simple PNG rosette (no text: drawing glyphs
//! would need a font). Both are deterministic: the same name gives the same bytes.

use std::io::Write;

/// The emblem's colours: navy disc, gold ring, blue ribbons (the site's palette).
const NAVY: [u8; 4] = [0x0d, 0x28, 0x47, 0xff];
const GOLD: [u8; 4] = [0xf5, 0xa6, 0x23, 0xff];
const BLUE: [u8; 4] = [0x0b, 0x5c, 0xad, 0xff];

/// Text escaped for XML character data and attribute values.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Up to two initials of `name`, upper-case.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

/// A standalone SVG 1.1 emblem (rosette, ribbons, initials) with `name` written under it; no
/// script, no external reference, so it can be served and baked as it is.
pub fn emblem_svg(name: &str) -> String {
    let shown: String = name.chars().take(60).collect();
    let label = xml_escape(&shown);
    let initials = xml_escape(&initials(name));
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"300\" height=\"340\" viewBox=\"0 0 300 340\" role=\"img\" aria-label=\"{label}\">",
            "<title>{label}</title>",
            "<rect width=\"300\" height=\"340\" fill=\"#ffffff\"/>",
            "<path d=\"M95 190 L65 285 L115 260 L140 295 L150 205 Z\" fill=\"#0b5cad\"/>",
            "<path d=\"M205 190 L235 285 L185 260 L160 295 L150 205 Z\" fill=\"#0b5cad\"/>",
            "<circle cx=\"150\" cy=\"125\" r=\"110\" fill=\"#0d2847\"/>",
            "<circle cx=\"150\" cy=\"125\" r=\"90\" fill=\"none\" stroke=\"#f5a623\" stroke-width=\"7\"/>",
            "<text x=\"150\" y=\"152\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"78\" font-weight=\"bold\" fill=\"#ffffff\">{initials}</text>",
            "<text x=\"150\" y=\"328\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"{size}\" fill=\"#0d2847\">{label}</text>",
            "</svg>\n"
        ),
        label = label,
        initials = initials,
        size = if shown.chars().count() > 28 { 13 } else { 20 },
    )
}

/// Whether (x, y) is inside the polygon `pts` (even–odd rule).
fn inside(pts: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut c = false;
    let mut j = pts.len() - 1;
    for i in 0..pts.len() {
        let (xi, yi) = pts[i];
        let (xj, yj) = pts[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            c = !c;
        }
        j = i;
    }
    c
}

/// The colour of the rosette at (x, y) in a 300 × 300 design space.
fn paint(x: f32, y: f32) -> [u8; 4] {
    let d = ((x - 150.0).powi(2) + (y - 125.0).powi(2)).sqrt();
    if d <= 110.0 {
        if (86.5..=93.5).contains(&d) {
            return GOLD;
        }
        // A five-pointed star in the middle, in gold.
        let star: Vec<(f32, f32)> = (0..10)
            .map(|k| {
                let r = if k % 2 == 0 { 52.0 } else { 21.0 };
                let a = std::f32::consts::PI * (k as f32) / 5.0 - std::f32::consts::FRAC_PI_2;
                (150.0 + r * a.cos(), 125.0 + r * a.sin())
            })
            .collect();
        return if inside(&star, x, y) { GOLD } else { NAVY };
    }
    let left = [
        (95.0, 190.0),
        (65.0, 285.0),
        (115.0, 260.0),
        (140.0, 295.0),
        (150.0, 205.0),
    ];
    let right = [
        (205.0, 190.0),
        (235.0, 285.0),
        (185.0, 260.0),
        (160.0, 295.0),
        (150.0, 205.0),
    ];
    if inside(&left, x, y) || inside(&right, x, y) {
        BLUE
    } else {
        [0, 0, 0, 0]
    }
}

/// A `size` × `size` RGBA PNG of the rosette (antialiased by 4 × 4 supersampling), made with
/// zlib (flate2) and the chunk writer the baker uses.
pub fn emblem_png(size: u32) -> Vec<u8> {
    let size = size.clamp(16, 1024);
    let scale = 300.0 / size as f32;
    let mut raw = Vec::with_capacity((size * (size * 4 + 1)) as usize);
    for py in 0..size {
        raw.push(0); // filter: none
        for px in 0..size {
            let mut acc = [0u32; 4];
            for sy in 0..4 {
                for sx in 0..4 {
                    let x = (px as f32 + (sx as f32 + 0.5) / 4.0) * scale;
                    let y = (py as f32 + (sy as f32 + 0.5) / 4.0) * scale;
                    let c = paint(x, y);
                    // Premultiplied, so transparent samples do not darken edges.
                    let a = u32::from(c[3]);
                    for k in 0..3 {
                        acc[k] += u32::from(c[k]) * a / 255;
                    }
                    acc[3] += a;
                }
            }
            let a = acc[3] / 16;
            let un = |v: u32| (v * 255).checked_div(acc[3]).unwrap_or(0).min(255) as u8;
            raw.extend_from_slice(&[un(acc[0]), un(acc[1]), un(acc[2]), a as u8]);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no filter, no interlace
    crate::input::write_chunk(&mut out, b"IHDR", &ihdr);
    crate::input::write_chunk(&mut out, b"IDAT", &idat);
    crate::input::write_chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_emblem_escapes_the_name_and_parses() {
        let svg = emblem_svg("Data & <Practices> \"1\"");
        let doc = roxmltree::Document::parse(&svg).expect("well-formed");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(svg.contains("Data &amp; &lt;Practices&gt; &quot;1&quot;"));
        assert!(!svg.contains("<script"));
        let baked = crate::bake_svg(&svg, "{\"a\":1}").unwrap();
        assert_eq!(crate::input::svg_baked_text(&baked).unwrap(), "{\"a\":1}");
    }

    #[test]
    fn png_emblem_is_a_png_that_bakes() {
        let png = emblem_png(64);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(png, emblem_png(64), "deterministic");
        let baked = crate::bake_png(&png, "{\"a\":1}").unwrap();
        assert_eq!(crate::input::png_baked_text(&baked).unwrap(), "{\"a\":1}");
    }
}
