//! `union-bot qr URL [--station ID] --out FILE`: a QR code for a station
//! poster, as SVG (for print) and PNG (for a quick look or a chat).
//! `--station ID` adds `?station=ID` to the URL, so the page opens on that
//! station.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module in the PNG, and modules of white margin around the code.
const PNG_SCALE: usize = 10;
const QUIET_ZONE: usize = 4;

/// The URL the code holds: `url`, with `station=ID` added to its query.
pub fn poster_url(url: &str, station: Option<&str>) -> Result<String> {
    let mut u = url::Url::parse(url).with_context(|| format!("not a URL: {url}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        bail!("the URL must be http or https (browsers give a location only to https pages): {url}");
    }
    if let Some(id) = station {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            bail!("--station must be a station id (a-z, 0-9, - and _): {id}");
        }
        u.query_pairs_mut().append_pair("station", id);
    }
    Ok(u.into())
}

/// Writes `<out>.svg` and `<out>.png` (any extension of `out` is replaced)
/// and returns the two paths.
pub fn write(text: &str, out: &Path) -> Result<(PathBuf, PathBuf)> {
    // Level M: a poster may get a little dirty or creased.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).context("the URL is too long for a QR code")?;
    let svg_path = out.with_extension("svg");
    let png_path = out.with_extension("png");
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).quiet_zone(true).build();
    std::fs::write(&svg_path, svg).with_context(|| format!("{}: cannot write", svg_path.display()))?;
    let png = png_bytes(&code)?;
    std::fs::write(&png_path, png).with_context(|| format!("{}: cannot write", png_path.display()))?;
    Ok((svg_path, png_path))
}

/// The code as an 8-bit greyscale PNG.
fn png_bytes(code: &QrCode) -> Result<Vec<u8>> {
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET_ZONE) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for y in 0..width {
        for x in 0..width {
            if colors[y * width + x] == Color::Dark {
                for dy in 0..PNG_SCALE {
                    let row = (y + QUIET_ZONE) * PNG_SCALE + dy;
                    let start = row * side + (x + QUIET_ZONE) * PNG_SCALE;
                    pixels[start..start + PNG_SCALE].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().context("cannot encode the PNG")?;
        writer.write_image_data(&pixels).context("cannot encode the PNG")?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_station_goes_into_the_query() {
        assert_eq!(poster_url("https://bot.example.org/", Some("huairou-fushang")).unwrap(), "https://bot.example.org/?station=huairou-fushang");
        assert_eq!(poster_url("https://bot.example.org/?a=1", Some("x")).unwrap(), "https://bot.example.org/?a=1&station=x");
        assert!(poster_url("ftp://x", None).is_err());
        assert!(poster_url("https://x", Some("a b")).is_err());
    }

    #[test]
    fn writes_an_svg_and_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let (svg, png) = write("https://bot.example.org/?station=x", &dir.path().join("poster.svg")).unwrap();
        let svg = std::fs::read_to_string(svg).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        let png = std::fs::read(png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
