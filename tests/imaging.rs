//! The image pipeline: orientations, formats, budgets, bad input, metadata, determinism.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on a broken fixture, which is the failure we want"
)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use markid_kiosk::api::{ImageSlot, ProcessDocumentType, ProcessImages, ProcessRequest};
use markid_kiosk::imaging::{
    self, ImagePolicy, ImageRole, ImagingError, PreparedImage, base64_len, prepare_bytes,
    prepare_pixels,
};
use markid_kiosk::secret::Secret;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exif-orientation")
        .join(name)
}

fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8()
}

/// Mean absolute difference per channel, 0..255.
fn mean_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

fn prepare_fixture(name: &str) -> PreparedImage {
    imaging::prepare_file(&fixture(name), ImageRole::Document, &ImagePolicy::default()).unwrap()
}

#[test]
fn real_exif_samples_come_out_upright() {
    let reference = decode(&prepare_fixture("Landscape_1.jpg").jpeg.bytes);
    for name in [
        "Landscape_0.jpg",
        "Landscape_3.jpg",
        "Landscape_6.jpg",
        "Landscape_8.jpg",
    ] {
        let upright = decode(&prepare_fixture(name).jpeg.bytes);
        // Only the digit in the middle differs between the samples.
        let difference = mean_difference(&reference, &upright);
        assert!(difference < 6.0, "{name}: {difference}");
    }
    let portrait = decode(&prepare_fixture("Portrait_5.jpg").jpeg.bytes);
    assert_eq!(portrait.dimensions(), (1200, 1800));
    let other = decode(&prepare_fixture("Portrait_6.jpg").jpeg.bytes);
    assert!(mean_difference(&portrait, &other) < 6.0);
}

/// A JPEG of `stored` with an APP1 Exif segment carrying `orientation` (big-endian TIFF, one
/// IFD entry), as a camera writes it.
fn jpeg_with_orientation(stored: &RgbImage, orientation: u16) -> Vec<u8> {
    let plain = imaging::encode_jpeg(stored, 95).unwrap().into_bytes();
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0*\0\0\0\x08"); // header, IFD at offset 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(&segment);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

/// An asymmetric scene: any wrong turn or mirror changes it a lot.
fn scene(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let in_corner = x < width / 3 && y < height / 3;
        let red = if in_corner {
            230
        } else {
            (x * 200 / width) as u8
        };
        Rgb([red, (y * 200 / height) as u8, if x > y { 180 } else { 40 }])
    })
}

#[test]
fn all_eight_orientations_are_applied() {
    let upright = scene(480, 320);
    // The stored image for EXIF n is the upright one turned by the inverse of n; 5 and 7 (the
    // transposes) are their own inverse, 6 and 8 undo each other.
    let inverse = [0, 1, 2, 3, 4, 5, 8, 7, 6];
    for exif in 1..=8u8 {
        let mut stored = DynamicImage::ImageRgb8(upright.clone());
        stored.apply_orientation(Orientation::from_exif(inverse[exif as usize]).unwrap());
        let jpeg = jpeg_with_orientation(&stored.into_rgb8(), u16::from(exif));
        assert_eq!(
            imaging::jpeg_exif_orientation(&jpeg),
            Orientation::from_exif(exif).unwrap()
        );
        let prepared = prepare_bytes(&jpeg, ImageRole::Document, &ImagePolicy::default()).unwrap();
        let output = decode(&prepared.jpeg.bytes);
        assert_eq!(output.dimensions(), (480, 320), "orientation {exif}");
        let difference = mean_difference(&output, &upright);
        assert!(difference < 4.0, "orientation {exif}: {difference}");
    }
    let mut mirrored = DynamicImage::ImageRgb8(upright.clone());
    mirrored.apply_orientation(Orientation::FlipHorizontal);
    assert!(
        mean_difference(&mirrored.into_rgb8(), &upright) > 20.0,
        "the scene tells mirrors apart"
    );
}

#[test]
fn odd_sized_photos_keep_their_colours_and_lose_at_most_the_odd_edge() {
    // 4:2:0 JPEGs stay in their planes, which need even sizes: an odd last row or column goes.
    let upright = scene(481, 321);
    for exif in [1u8, 6] {
        let mut stored = DynamicImage::ImageRgb8(upright.clone());
        if exif == 6 {
            stored.apply_orientation(Orientation::Rotate270);
        }
        let jpeg = jpeg_with_orientation(&stored.into_rgb8(), u16::from(exif));
        let prepared = prepare_bytes(&jpeg, ImageRole::Document, &ImagePolicy::default()).unwrap();
        let output = decode(&prepared.jpeg.bytes);
        assert_eq!(output.dimensions(), (480, 320), "orientation {exif}");
        // Which edge goes depends on the turn; both crops must match the scene closely.
        let best = [(0, 0), (1, 0), (0, 1), (1, 1)]
            .into_iter()
            .map(|(x, y)| {
                let crop = image::imageops::crop_imm(&upright, x, y, 480, 320).to_image();
                mean_difference(&output, &crop)
            })
            .fold(f64::INFINITY, f64::min);
        assert!(best < 4.0, "orientation {exif}: {best}");
    }
}

/// Walks a JPEG's markers up to the scan and returns them.
fn markers(jpeg: &[u8]) -> Vec<u8> {
    let mut found = Vec::new();
    let mut position = 2;
    while position + 4 <= jpeg.len() && jpeg[position] == 0xFF {
        let marker = jpeg[position + 1];
        found.push(marker);
        if marker == 0xDA {
            break;
        }
        let length = usize::from(u16::from_be_bytes([jpeg[position + 2], jpeg[position + 3]]));
        position += 2 + length;
    }
    found
}

fn assert_no_metadata(jpeg: &[u8]) {
    let markers = markers(jpeg);
    assert_eq!(markers.last(), Some(&0xDA), "reached the scan");
    for marker in markers {
        let app_other_than_jfif = (0xE1..=0xEF).contains(&marker);
        assert!(
            !app_other_than_jfif && marker != 0xFE,
            "marker FF{marker:02X} carries metadata"
        );
    }
    for needle in [&b"Exif"[..], b"http://ns.adobe.com", b"Photoshop", b"GPS"] {
        assert!(
            !jpeg.windows(needle.len()).any(|w| w == needle),
            "found {needle:?}"
        );
    }
}

#[test]
fn outputs_carry_no_metadata() {
    for name in ["Landscape_6.jpg", "Portrait_5.jpg"] {
        let source = std::fs::read(fixture(name)).unwrap();
        assert!(
            source.windows(4).any(|w| w == b"Exif"),
            "the sample has EXIF"
        );
        assert_no_metadata(&prepare_fixture(name).jpeg.bytes);
    }
    // A JPEG with a comment and XMP in APP1.
    let mut jpeg = vec![0xFF, 0xD8];
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS 54.68N</x:xmpmeta>";
    jpeg.extend_from_slice(&[0xFF, 0xE1]);
    jpeg.extend_from_slice(&((xmp.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(xmp);
    let comment = b"device serial 123456";
    jpeg.extend_from_slice(&[0xFF, 0xFE]);
    jpeg.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(comment);
    jpeg.extend_from_slice(
        &imaging::encode_jpeg(&scene(200, 100), 90)
            .unwrap()
            .into_bytes()[2..],
    );
    let prepared = prepare_bytes(&jpeg, ImageRole::Face, &ImagePolicy::default()).unwrap();
    assert_no_metadata(&prepared.jpeg.bytes);
}

fn encode_with_image(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn centre_colour(prepared: &PreparedImage) -> [u8; 3] {
    let image = decode(&prepared.jpeg.bytes);
    image.get_pixel(image.width() / 2, image.height() / 2).0
}

fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

#[test]
fn every_supported_format_decodes() {
    let policy = ImagePolicy::default();
    let colour = Rgb([200, 60, 30]);
    let plain = RgbImage::from_pixel(320, 240, colour);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "PNG 8-bit",
            encode_with_image(DynamicImage::ImageRgb8(plain.clone()), ImageFormat::Png),
        ),
        (
            "PNG 16-bit",
            encode_with_image(
                DynamicImage::ImageRgb16(DynamicImage::ImageRgb8(plain.clone()).into_rgb16()),
                ImageFormat::Png,
            ),
        ),
        ("PNG palette", palette_png(320, 240, colour.0)),
        (
            "WebP",
            encode_with_image(
                DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(plain.clone()).into_rgba8()),
                ImageFormat::WebP,
            ),
        ),
        (
            "BMP",
            encode_with_image(DynamicImage::ImageRgb8(plain.clone()), ImageFormat::Bmp),
        ),
        (
            "TIFF",
            encode_with_image(DynamicImage::ImageRgb8(plain.clone()), ImageFormat::Tiff),
        ),
        (
            "JPEG baseline",
            imaging::encode_jpeg(&plain, 95).unwrap().into_bytes(),
        ),
        (
            "JPEG progressive",
            turbo_jpeg(&plain, |c| c.set_progressive(true).unwrap()),
        ),
        ("JPEG grayscale", grayscale_jpeg(&plain)),
    ];
    for (name, bytes) in cases {
        let prepared = prepare_bytes(&bytes, ImageRole::Document, &policy)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (prepared.jpeg.width, prepared.jpeg.height),
            (320, 240),
            "{name}"
        );
        let expected = if name == "JPEG grayscale" {
            gray_of(colour)
        } else {
            colour.0
        };
        assert!(
            close(centre_colour(&prepared), expected, 6),
            "{name}: {:?}",
            centre_colour(&prepared)
        );
    }
}

fn gray_of(colour: Rgb<u8>) -> [u8; 3] {
    let [r, g, b] = colour.0.map(f64::from);
    let y = (0.299 * r + 0.587 * g + 0.114 * b).round() as u8;
    [y, y, y]
}

fn turbo_jpeg(pixels: &RgbImage, configure: impl FnOnce(&mut turbojpeg::Compressor)) -> Vec<u8> {
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_quality(95).unwrap();
    configure(&mut compressor);
    let image = turbojpeg::Image {
        pixels: pixels.as_raw().as_slice(),
        width: pixels.width() as usize,
        pitch: pixels.width() as usize * 3,
        height: pixels.height() as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor.compress_to_vec(image).unwrap()
}

fn grayscale_jpeg(pixels: &RgbImage) -> Vec<u8> {
    turbo_jpeg(pixels, |c| c.set_subsamp(turbojpeg::Subsamp::Gray).unwrap())
}

fn palette_png(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(vec![0, 0, 0, colour[0], colour[1], colour[2]]);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&vec![1u8; (width * height) as usize])
            .unwrap();
    }
    bytes
}

#[test]
fn cmyk_jpeg_decodes_with_plausible_colours() {
    // A CMYK JPEG as Photoshop writes it: libjpeg adds the Adobe APP14 marker, and the ink
    // values are stored inverted (255 = no ink). Pure red is no cyan, full magenta and yellow.
    let (width, height) = (160usize, 120usize);
    let red_ink_inverted = [255u8, 0, 0, 255];
    let cmyk: Vec<u8> = std::iter::repeat_n(red_ink_inverted, width * height)
        .flatten()
        .collect();
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_quality(95).unwrap();
    let image = turbojpeg::Image {
        pixels: cmyk.as_slice(),
        width,
        pitch: width * 4,
        height,
        format: turbojpeg::PixelFormat::CMYK,
    };
    let jpeg = compressor.compress_to_vec(image).unwrap();
    let header = turbojpeg::read_header(&jpeg).unwrap();
    assert!(matches!(
        header.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    ));
    let prepared = prepare_bytes(&jpeg, ImageRole::Document, &ImagePolicy::default()).unwrap();
    assert!(
        close(centre_colour(&prepared), [255, 0, 0], 12),
        "{:?}",
        centre_colour(&prepared)
    );
}

#[test]
fn transparent_png_is_flattened_onto_white() {
    let image = RgbaImage::from_fn(100, 80, |x, _| {
        if x < 50 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 255, 255])
        }
    });
    let bytes = encode_with_image(DynamicImage::ImageRgba8(image), ImageFormat::Png);
    let prepared = prepare_bytes(&bytes, ImageRole::Document, &ImagePolicy::default()).unwrap();
    let output = decode(&prepared.jpeg.bytes);
    assert!(
        close(output.get_pixel(10, 40).0, [255, 255, 255], 4),
        "{:?}",
        output.get_pixel(10, 40)
    );
    assert!(
        close(output.get_pixel(90, 40).0, [0, 0, 255], 8),
        "{:?}",
        output.get_pixel(90, 40)
    );
}

#[test]
fn animated_gif_uses_the_first_frame() {
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, 64, 48, &[0, 200, 0, 200, 0, 0]).unwrap();
        for index in [0u8, 1] {
            let frame = gif::Frame {
                width: 64,
                height: 48,
                buffer: vec![index; 64 * 48].into(),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).unwrap();
        }
    }
    let prepared = prepare_bytes(&bytes, ImageRole::Face, &ImagePolicy::default()).unwrap();
    assert!(
        close(centre_colour(&prepared), [0, 200, 0], 8),
        "{:?}",
        centre_colour(&prepared)
    );
}

#[test]
fn unsupported_formats_say_what_to_do() {
    let cases: [(&[u8], &str); 3] = [
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC/HEIF"),
        (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1", "AVIF"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ];
    for (bytes, format) in cases {
        let error = prepare_bytes(bytes, ImageRole::Document, &ImagePolicy::default()).unwrap_err();
        assert_eq!(error, ImagingError::Unsupported(format));
        assert_eq!(
            error.to_string(),
            format!("unsupported format {format}: save it as JPEG or PNG")
        );
    }
}

#[test]
fn empty_truncated_and_non_image_files_fail_clearly() {
    let policy = ImagePolicy::default();
    assert_eq!(
        prepare_bytes(b"", ImageRole::Document, &policy).unwrap_err(),
        ImagingError::Empty
    );
    assert_eq!(
        prepare_bytes(b"Dear customer, ...", ImageRole::Document, &policy).unwrap_err(),
        ImagingError::NotAnImage
    );
    let noise: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    assert_eq!(
        prepare_bytes(&noise, ImageRole::Document, &policy).unwrap_err(),
        ImagingError::NotAnImage
    );

    let jpeg = std::fs::read(fixture("Landscape_1.jpg")).unwrap();
    for cut in [3, 100, jpeg.len() / 2] {
        let error = prepare_bytes(&jpeg[..cut], ImageRole::Document, &policy).unwrap_err();
        assert!(
            matches!(error, ImagingError::Corrupt { format: "JPEG", .. }),
            "cut {cut}: {error:?}"
        );
        assert!(error.to_string().contains("damaged or incomplete"));
    }
    let png = encode_with_image(DynamicImage::ImageRgb8(scene(300, 200)), ImageFormat::Png);
    for cut in [20, png.len() / 2] {
        let error = prepare_bytes(&png[..cut], ImageRole::Document, &policy).unwrap_err();
        assert!(
            matches!(error, ImagingError::Corrupt { format: "PNG", .. }),
            "cut {cut}: {error:?}"
        );
    }
    let tiny = encode_with_image(DynamicImage::ImageRgb8(scene(8, 8)), ImageFormat::Png);
    assert!(matches!(
        prepare_bytes(&tiny, ImageRole::Document, &policy).unwrap_err(),
        ImagingError::TooSmall { .. }
    ));
}

/// A PNG whose header claims `width` x `height` but carries almost no data.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn decompression_bombs_fail_before_decoding() {
    let policy = ImagePolicy::default();
    let error =
        prepare_bytes(&png_bomb(100_000, 100_000), ImageRole::Document, &policy).unwrap_err();
    assert!(
        matches!(
            error,
            ImagingError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("lower resolution"));

    // A real JPEG whose frame header is patched to claim 60000 x 60000.
    let mut jpeg = imaging::encode_jpeg(&scene(64, 64), 90)
        .unwrap()
        .into_bytes();
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let error = prepare_bytes(&jpeg, ImageRole::Document, &policy).unwrap_err();
    assert!(
        matches!(error, ImagingError::TooManyPixels { .. }),
        "{error:?}"
    );
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jpg");
    std::fs::write(&path, vec![0u8; 2_000_000]).unwrap();
    let mut policy = ImagePolicy::default();
    policy.decode.max_file_bytes = 1_000_000;
    let error = imaging::prepare_file(&path, ImageRole::Document, &policy).unwrap_err();
    assert_eq!(
        error,
        ImagingError::FileTooLarge {
            bytes: 2_000_000,
            max: 1_000_000
        }
    );
    let missing = imaging::prepare_file(&dir.path().join("gone.jpg"), ImageRole::Document, &policy)
        .unwrap_err();
    assert!(matches!(missing, ImagingError::Unreadable(_)));
}

/// Deterministic noise: the worst case for JPEG.
fn noise(width: u32, height: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        };
        Rgb([next(), next(), next()])
    })
}

#[test]
fn noise_at_24_megapixels_fits_the_per_image_budget() {
    // Keep all 24 MP: the hardest case.
    let policy = ImagePolicy {
        document_long_edge: 6000,
        ..ImagePolicy::default()
    };
    let prepared = prepare_pixels(noise(6000, 4000, 1), ImageRole::Document, &policy).unwrap();
    assert!(
        prepared.base64_len() <= 6_000_000,
        "{}",
        prepared.base64_len()
    );
    // It uses the budget well: more than half of it, at the smallest scale that fits.
    assert!(
        prepared.base64_len() > 3_000_000,
        "{}",
        prepared.base64_len()
    );
    assert!(prepared.jpeg.width < 6000);
    let aspect = f64::from(prepared.jpeg.width) / f64::from(prepared.jpeg.height);
    assert!((aspect - 1.5).abs() < 0.001, "aspect ratio kept: {aspect}");
}

#[test]
fn four_images_over_the_request_limit_are_shared_down_to_fit() {
    let policy = ImagePolicy::default();
    let mut images: Vec<PreparedImage> = (0..4)
        .map(|seed| prepare_pixels(noise(3000, 2000, seed), ImageRole::Document, &policy).unwrap())
        .collect();
    let before: usize = images.iter().map(PreparedImage::base64_len).sum();
    assert!(
        before > 20_000_000,
        "the case must exceed the request limit: {before}"
    );
    imaging::fit_request(&mut images, &policy).unwrap();
    let mut process_images = ProcessImages::default();
    for (slot, image) in [
        ImageSlot::Front,
        ImageSlot::Back,
        ImageSlot::Face,
        ImageSlot::UtilityBill,
    ]
    .into_iter()
    .zip(&images)
    {
        assert!(image.base64_len() <= 6_000_000);
        process_images.set(slot, image.to_base64());
    }
    let request = ProcessRequest {
        auth_token: Secret::new("x".repeat(40)),
        country: "LT".into(),
        document_type: ProcessDocumentType::ResidencePermit,
        images: process_images,
    };
    let body = serde_json::to_vec(&request).unwrap();
    assert!(body.len() <= 20_000_000, "{}", body.len());
    assert!(
        body.len() > 18_000_000,
        "the budget is used, not wasted: {}",
        body.len()
    );
}

#[test]
fn same_input_same_bytes() {
    let source = std::fs::read(fixture("Landscape_6.jpg")).unwrap();
    let policy = ImagePolicy::default();
    let first = prepare_bytes(&source, ImageRole::Document, &policy).unwrap();
    let second = prepare_bytes(&source, ImageRole::Document, &policy).unwrap();
    assert_eq!(first.jpeg, second.jpeg);
    let mut tight = policy.clone();
    tight.max_base64_chars_per_image = 200_000;
    let a = prepare_bytes(&source, ImageRole::Document, &tight).unwrap();
    let b = prepare_bytes(&source, ImageRole::Document, &tight).unwrap();
    assert_eq!(a.jpeg, b.jpeg);
    assert!(a.base64_len() <= 200_000);
    assert_eq!(
        base64_len(a.jpeg.bytes.len()),
        base64::engine::general_purpose::STANDARD
            .encode(&a.jpeg.bytes)
            .len()
    );
}

#[test]
fn roles_cap_the_long_edge() {
    let policy = ImagePolicy::default();
    let document = prepare_pixels(scene(4000, 3000), ImageRole::Document, &policy).unwrap();
    assert_eq!((document.jpeg.width, document.jpeg.height), (3000, 2250));
    assert!((document.scale() - 0.75).abs() < 1e-9);
    let face = prepare_pixels(scene(3000, 4000), ImageRole::Face, &policy).unwrap();
    assert_eq!((face.jpeg.width, face.jpeg.height), (1200, 1600));
    let small = prepare_pixels(scene(1280, 720), ImageRole::Document, &policy).unwrap();
    assert_eq!(
        (small.jpeg.width, small.jpeg.height),
        (1280, 720),
        "never upscaled"
    );
    assert_eq!(small.jpeg.quality, 92, "best quality first");
}

#[test]
fn impossible_budgets_fail_with_a_clear_error() {
    let policy = ImagePolicy {
        max_base64_chars_per_image: 1_000,
        ..ImagePolicy::default()
    };
    let error = prepare_pixels(noise(1000, 800, 3), ImageRole::Document, &policy).unwrap_err();
    assert_eq!(error, ImagingError::CannotFit { budget: 1_000 });
}

#[path = "support/eval_set.rs"]
mod eval_set;

mod quality {
    use std::collections::BTreeMap;

    use image::{GrayImage, RgbImage};
    use markid_kiosk::quality::{
        Depth, DocumentProblem, FaceProblem, QualitySettings, analyze_document,
        analyze_document_at, analyze_face, analyze_face_at, luma_of,
    };

    use super::eval_set::{self, DocClass, FaceClass};

    /// The simple rules a web SDK uses, as the baseline: variance of the Laplacian >= 60 on the
    /// grey image at 640 px wide, and at most 18% of the pixels at 240 or above.
    fn baseline_usable(frame: &RgbImage) -> bool {
        let grey = image::imageops::resize(
            &luma_of(frame),
            640,
            640 * frame.height() / frame.width(),
            image::imageops::FilterType::Triangle,
        );
        let (w, h) = grey.dimensions();
        let mut values = Vec::new();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let at = |dx: i32, dy: i32| {
                    f64::from(grey.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32)[0])
                };
                values.push(at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1) - 4.0 * at(0, 0));
            }
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        let bright = grey.pixels().filter(|p| p[0] >= 240).count() as f64 / (w * h) as f64;
        variance >= 60.0 && bright <= 0.18
    }

    /// The frame as the camera's 1280x720 preview stream shows it, and the settings the
    /// analysis thread judges a preview by (the size rule scaled to the preview's width).
    fn as_preview(frame: &RgbImage, settings: &QualitySettings) -> (RgbImage, QualitySettings) {
        let preview =
            image::imageops::resize(frame, 1280, 720, image::imageops::FilterType::Triangle);
        let mut scaled = settings.clone();
        scaled.min_document_px = settings.min_document_px * 1280 / frame.width();
        (preview, scaled)
    }

    /// How far each found corner is from the true one, in pixels.
    fn corner_distances<'a>(
        found: &'a [[f32; 2]; 4],
        truth: &'a [[f32; 2]; 4],
    ) -> impl Iterator<Item = f32> + 'a {
        found
            .iter()
            .zip(truth)
            .map(|(a, b)| (a[0] - b[0]).hypot(a[1] - b[1]))
    }

    fn share(part: usize, whole: usize) -> f64 {
        100.0 * part as f64 / whole.max(1) as f64
    }

    /// If `MARKID_EVAL_DIR` is set, the frames are written there for a look (or for the OpenCV
    /// baseline, `bench/quality-baseline.py`).
    fn keep(name: &str, frame: &RgbImage) {
        if let Some(dir) = std::env::var_os("MARKID_EVAL_DIR") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            frame.save(dir.join(format!("{name}.jpg"))).unwrap();
        }
    }

    /// Frames per class (`MARKID_EVAL_PER_CLASS` for a larger run).
    fn per_class(default: usize) -> usize {
        std::env::var("MARKID_EVAL_PER_CLASS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    }

    #[test]
    fn the_document_engine_meets_its_floors_on_the_evaluation_set() {
        let settings = QualitySettings::default();
        let samples = eval_set::document_set(per_class(12), 13);
        // class -> (frames, judged usable by the engine, by the baseline)
        let mut counts: BTreeMap<DocClass, (usize, usize, usize)> = BTreeMap::new();
        // class -> 720p preview frames judged usable by the preview analysis
        let mut previews: BTreeMap<DocClass, usize> = BTreeMap::new();
        let mut corner_errors = Vec::new();
        for sample in &samples {
            keep(&sample.name, &sample.frame);
            let report = markid_kiosk::quality::analyze_document_in_colour(
                &luma_of(&sample.frame),
                Some(&sample.frame),
                &settings,
            );
            let entry = counts.entry(sample.class).or_default();
            entry.0 += 1;
            entry.1 += usize::from(report.usable());
            entry.2 += usize::from(baseline_usable(&sample.frame));
            let (preview, preview_settings) = as_preview(&sample.frame, &settings);
            let preview_report = analyze_document_at(
                &luma_of(&preview),
                Some(&preview),
                &preview_settings,
                Depth::Preview,
            );
            *previews.entry(sample.class).or_default() += usize::from(preview_report.usable());
            let error = match (sample.corners, report.corners) {
                (Some(truth), Some(found)) => {
                    let diagonal = (eval_set::WIDTH as f32).hypot(eval_set::HEIGHT as f32);
                    corner_distances(&found, &truth).sum::<f32>() / 4.0 / diagonal
                }
                (Some(_), None) => f32::INFINITY,
                (None, _) => f32::NAN,
            };
            println!(
                "{:<48} usable {:<5} corner error {:.3} found {:?} placed {:?} problems {:?} metrics {:?}",
                sample.name,
                report.usable(),
                error,
                report
                    .corners
                    .map(|c| c.map(|p| p.map(|v| v.round() as i32))),
                sample
                    .corners
                    .map(|c| c.map(|p| p.map(|v| v.round() as i32))),
                report.problems,
                report.metrics
            );
            // Corners are judged on the documents that are whole in the frame.
            if let Some(truth) = sample.corners
                && matches!(
                    sample.class,
                    DocClass::Good | DocClass::Glare | DocClass::TooDark | DocClass::TooSmall
                )
            {
                let _ = truth;
                corner_errors.push(error);
            }
        }
        println!("\nclass           frames  engine usable  baseline usable  preview usable");
        for (class, (frames, engine, baseline)) in &counts {
            println!(
                "{:<15} {frames:>6}  {:>12.1}%  {:>14.1}%  {:>13.1}%",
                format!("{class:?}"),
                share(*engine, *frames),
                share(*baseline, *frames),
                share(previews[class], *frames)
            );
        }
        let within = corner_errors.iter().filter(|e| **e <= 0.03).count();
        let finite: Vec<f32> = corner_errors
            .iter()
            .copied()
            .filter(|e| e.is_finite())
            .collect();
        println!(
            "corners within 3% of the diagonal: {within} of {} ({:.1}%), mean error {:.2}% of the diagonal",
            corner_errors.len(),
            share(within, corner_errors.len()),
            100.0 * finite.iter().sum::<f32>() / finite.len().max(1) as f32
        );
        // Floors a few points under the measured figures (README, "Capture quality"), so that
        // a regression fails: good photos 100% measured (one miss in twelve still passes),
        // every bad class 100%, corners within 3% on 93.8% (the target, 90%, is the floor).
        let (good_frames, good_usable, _) = counts[&DocClass::Good];
        assert!(
            share(good_usable, good_frames) >= 90.0,
            "good documents accepted: {counts:?}"
        );
        for (class, (frames, usable, _)) in &counts {
            if *class != DocClass::Good {
                assert!(
                    share(frames - usable, *frames) >= 90.0,
                    "{class:?} rejected too rarely: {counts:?}"
                );
            }
        }
        assert!(
            share(within, corner_errors.len()) >= 90.0,
            "corners: {within} of {}",
            corner_errors.len()
        );
    }

    #[test]
    fn the_face_engine_meets_its_floors_on_the_evaluation_set() {
        let settings = QualitySettings::default();
        let samples = eval_set::face_set(per_class(8), 17);
        let mut counts: BTreeMap<FaceClass, (usize, usize, usize)> = BTreeMap::new();
        let mut previews: BTreeMap<FaceClass, usize> = BTreeMap::new();
        for sample in &samples {
            keep(&sample.name, &sample.frame);
            let report = analyze_face(&luma_of(&sample.frame), &settings);
            let entry = counts.entry(sample.class).or_default();
            entry.0 += 1;
            entry.1 += usize::from(report.usable());
            entry.2 += usize::from(baseline_usable(&sample.frame));
            let (preview, preview_settings) = as_preview(&sample.frame, &settings);
            let preview_report =
                analyze_face_at(&luma_of(&preview), &preview_settings, Depth::Preview);
            *previews.entry(sample.class).or_default() += usize::from(preview_report.usable());
            println!(
                "{:<32} usable {:<5} face {:?} problems {:?} metrics {:?}",
                sample.name,
                report.usable(),
                report.face,
                report.problems,
                report.metrics
            );
        }
        println!(
            "\nclass      frames  engine usable  baseline usable (blur/bright rules)  preview usable"
        );
        for (class, (frames, engine, baseline)) in &counts {
            println!(
                "{:<10} {frames:>6}  {:>12.1}%  {:>14.1}%  {:>33.1}%",
                format!("{class:?}"),
                share(*engine, *frames),
                share(*baseline, *frames),
                share(previews[class], *frames)
            );
        }
        let (good_frames, good_usable, _) = counts[&FaceClass::Good];
        assert!(
            share(good_usable, good_frames) >= 90.0,
            "good faces accepted: {counts:?}"
        );
        for (class, (frames, usable, _)) in &counts {
            if *class != FaceClass::Good {
                assert!(
                    share(frames - usable, *frames) >= 90.0,
                    "{class:?} rejected too rarely: {counts:?}"
                );
            }
        }
    }

    /// The first frame of `class` in a small set: real documents on real photos.
    fn document_of(class: DocClass) -> GrayImage {
        let sample = eval_set::document_set(1, 29)
            .into_iter()
            .find(|s| s.class == class)
            .unwrap();
        luma_of(&sample.frame)
    }

    #[test]
    fn each_document_problem_code_on_a_real_document() {
        let settings = QualitySettings::default();
        let cases = [
            (DocClass::NoDocument, DocumentProblem::NoDocument),
            (DocClass::CutOff, DocumentProblem::CutOff),
            (DocClass::TooSmall, DocumentProblem::TooSmall),
            (DocClass::Blurred, DocumentProblem::Blurry),
            (DocClass::MotionBlurred, DocumentProblem::Blurry),
            (DocClass::Glare, DocumentProblem::Glare),
            (DocClass::TooDark, DocumentProblem::TooDark),
        ];
        for (class, code) in cases {
            let report = analyze_document(&document_of(class), &settings);
            assert!(report.problems.contains(&code), "{class:?}: {report:?}");
        }
        let good = analyze_document(&document_of(DocClass::Good), &settings);
        assert!(good.usable(), "{good:?}");
        // Too bright: the good frame overexposed (every level pushed towards white; what was
        // paper is nearly clipped, the print faint).
        let mut bright = document_of(DocClass::Good);
        bright.iter_mut().for_each(|v| *v = 255 - (255 - *v) / 5);
        let report = analyze_document(&bright, &settings);
        assert!(
            report.problems.contains(&DocumentProblem::TooBright),
            "{report:?}"
        );
    }

    /// A passport page on gravel and on grass, level and without a shadow: stones and blades
    /// touching its edge bulge the traced outline, and the hull's corners followed the bulge
    /// (before session 15, 4 of these 6 frames 6-32% of the diagonal off, most judged usable
    /// all the same); the lines through the outline's longest straight stretches find the page.
    #[test]
    fn a_page_whose_outline_touches_texture_is_found_by_its_sides() {
        use image::imageops::FilterType::Lanczos3;
        use markid_kiosk::quality::analyze_document_in_colour;
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let page = image::open(fixtures.join("documents/pass-cze.jpg"))
            .unwrap()
            .into_rgb8();
        let height = 1000 * page.height() / page.width();
        let page = image::imageops::resize(&page, 1000, height, Lanczos3);
        let diagonal = 1920f32.hypot(1080.0);
        let mut misses = Vec::new();
        for background in ["gravel", "grass"] {
            let photo = image::open(fixtures.join(format!("backgrounds/{background}.jpg")))
                .unwrap()
                .into_rgb8();
            let cover = image::imageops::resize(&photo, 1920, 1920, Lanczos3);
            let ground = image::imageops::crop_imm(&cover, 0, 420, 1920, 1080).to_image();
            for (left, top) in [(300u32, 150u32), (450, 200), (600, 300)] {
                let mut frame = ground.clone();
                image::imageops::overlay(&mut frame, &page, i64::from(left), i64::from(top));
                // Pixel centres of the page's outermost pixels, half a pixel inside its edge.
                let (x0, y0) = (left as f32 - 0.5, top as f32 - 0.5);
                let (x1, y1) = (x0 + 1000.0, y0 + height as f32);
                let truth = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
                let report = analyze_document_in_colour(
                    &luma_of(&frame),
                    Some(&frame),
                    &QualitySettings::default(),
                );
                let worst = report.corners.map_or(f32::INFINITY, |corners| {
                    corner_distances(&corners, &truth).fold(0.0f32, f32::max)
                });
                if worst >= 0.01 * diagonal || !report.usable() {
                    misses.push(format!(
                        "{background} at {left},{top}: a corner {:.1}% of the diagonal off, {:?}",
                        100.0 * worst / diagonal,
                        report.problems
                    ));
                }
            }
        }
        assert!(misses.is_empty(), "{misses:#?}");
    }

    /// The document as uploaded: a good photo is cropped to the document (with its margin);
    /// a tight scan, whose document edge is the image's own, is sent whole. On such a scan
    /// the best outline is the portrait or a panel inside the page (too small, soft), and a
    /// crop to it sent a part of the document: 21 of these 30 real scans before the fix.
    #[test]
    fn good_photos_are_cropped_to_the_document_and_tight_scans_are_sent_whole() {
        use markid_kiosk::imaging::{ImagePolicy, ImageRole, prepare_checked};
        use markid_kiosk::quality::crop_size;
        let settings = QualitySettings::default();
        let policy = ImagePolicy::default();
        for sample in eval_set::document_set_of(&[DocClass::Good], 4, 29) {
            let corners = sample.corners.unwrap();
            let (prepared, check) =
                prepare_checked(sample.frame, ImageRole::Document, &policy, &settings).unwrap();
            assert!(check.passed(), "{}: {:?}", sample.name, check.problems);
            // The crop of the true corners, give or take the outline's error.
            let (width, height) = crop_size(&corners, settings.crop_margin);
            let (got_w, got_h) = (prepared.upright.width(), prepared.upright.height());
            let near = |got: u32, want: u32| got.abs_diff(want) * 20 <= want;
            assert!(
                near(got_w, width) && near(got_h, height),
                "{}: {got_w}x{got_h}, the document {width}x{height}",
                sample.name
            );
        }
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mrz");
        let mut cut = Vec::new();
        let mut scans = 0;
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "jpg") {
                continue;
            }
            let scan = image::open(&path).unwrap().into_rgb8();
            let size = scan.dimensions();
            let (prepared, _) =
                prepare_checked(scan, ImageRole::Document, &policy, &settings).unwrap();
            scans += 1;
            if (prepared.upright.width(), prepared.upright.height()) != size {
                cut.push(format!(
                    "{}: {size:?} -> {}x{}",
                    path.display(),
                    prepared.upright.width(),
                    prepared.upright.height()
                ));
            }
        }
        assert!(scans >= 30, "{scans} scans");
        assert!(cut.is_empty(), "{cut:#?}");
    }

    #[test]
    fn each_face_problem_code_on_a_real_portrait() {
        let settings = QualitySettings::default();
        let set = eval_set::face_set(1, 31);
        let face_of =
            |class: FaceClass| luma_of(&set.iter().find(|s| s.class == class).unwrap().frame);
        let good = analyze_face(&face_of(FaceClass::Good), &settings);
        assert!(good.usable(), "{good:?}");
        let [x, y, w, h] = good.face.unwrap();
        // The astronaut's face is in the middle of the frame, a fifth of its width or so.
        assert!(x < 960 && x + w > 960 && y < 540 && y + h > 400, "{good:?}");
        let cases = [
            (FaceClass::NoFace, FaceProblem::NoFace),
            (FaceClass::TwoFaces, FaceProblem::MultipleFaces),
            (FaceClass::TooSmall, FaceProblem::FaceTooSmall),
            (FaceClass::TooDark, FaceProblem::TooDark),
            (FaceClass::Blurred, FaceProblem::Blurry),
        ];
        for (class, code) in cases {
            let report = analyze_face(&face_of(class), &settings);
            assert!(report.problems.contains(&code), "{class:?}: {report:?}");
        }
        // Off centre: the good frame shifted left by a third of its width.
        let frame = face_of(FaceClass::Good);
        let shifted = GrayImage::from_fn(frame.width(), frame.height(), |x, y| {
            frame
                .get_pixel((x + 640).min(frame.width() - 1), y)
                .to_owned()
        });
        let report = analyze_face(&shifted, &settings);
        assert!(
            report.problems.contains(&FaceProblem::FaceOffCentre),
            "{report:?}"
        );
        // Too bright.
        let mut bright = face_of(FaceClass::Good);
        bright.iter_mut().for_each(|v| *v = 255 - (255 - *v) / 5);
        let report = analyze_face(&bright, &settings);
        assert!(
            report.problems.contains(&FaceProblem::TooBright),
            "{report:?}"
        );
    }
}

/// The MRZ reader on real specimens: as scanned, and composited as a 1080p webcam sees them.
mod mrz {
    use std::collections::BTreeMap;
    use std::path::Path;

    use image::RgbImage;
    use markid_kiosk::mrz::{MrzReading, read_document};
    use markid_kiosk::quality::{QualitySettings, analyze_document_in_colour, luma_of};

    use super::eval_set::{self, DocClass};

    /// The zones typed by hand into `tests/fixtures/mrz/expected.txt`, by file name.
    fn expected() -> BTreeMap<String, Vec<String>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mrz/expected.txt");
        let mut zones: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut current = String::new();
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.contains('.') {
                current = line.to_string();
                zones.insert(current.clone(), Vec::new());
            } else {
                zones.get_mut(&current).unwrap().push(line.to_string());
            }
        }
        zones
    }

    /// Reads a photo the way the kiosk and `mrz` do: on the document's outline, else whole.
    fn read(frame: &RgbImage) -> (MrzReading, f64) {
        let started = std::time::Instant::now();
        let outline =
            analyze_document_in_colour(&luma_of(frame), Some(frame), &QualitySettings::default());
        let reading = read_document(frame, outline.corners.as_ref());
        (reading, started.elapsed().as_secs_f64() * 1000.0)
    }

    #[derive(Default, Debug)]
    struct Tally {
        images: usize,
        found: usize,
        valid: usize,
        right: usize,
        wrong: usize,
    }

    impl Tally {
        fn add(&mut self, name: &str, reading: &MrzReading, truth: &[String], ms: f64) {
            let right = reading.lines() == truth;
            self.images += 1;
            self.found += usize::from(reading.found);
            self.valid += usize::from(reading.valid);
            self.right += usize::from(reading.valid && right);
            self.wrong += usize::from(reading.valid && !right);
            if std::env::var_os("MARKID_MRZ_SHOW").is_some() && !right {
                println!("  read {:?}\n  want {truth:?}", reading.lines());
            }
            println!(
                "{name:44} {:9} {:7} {ms:5.0} ms",
                if reading.valid {
                    "valid"
                } else if reading.found {
                    "invalid"
                } else {
                    "not found"
                },
                if right { "right" } else { "differs" },
            );
        }
    }

    /// An outline around part of a page (its portrait) is told by the zone read outside it;
    /// the true outline of a document on a photo holds its zone.
    #[test]
    fn a_zone_read_outside_the_outline_says_the_outline_is_not_the_document() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mrz");
        for name in ["pass-bdr.jpg", "pass-hun.jpg", "pass-cze.jpg"] {
            let scan = image::open(folder.join(name)).unwrap().into_rgb8();
            let (w, h) = (scan.width() as f32, scan.height() as f32);
            // The page's upper left: where its portrait is, far above the zone.
            let part = [
                [0.04 * w, 0.1 * h],
                [0.36 * w, 0.1 * h],
                [0.36 * w, 0.6 * h],
                [0.04 * w, 0.6 * h],
            ];
            let reading = read_document(&scan, Some(&part));
            assert!(reading.found, "{name}");
            assert!(reading.outside_outline, "{name}");
            // Without an outline there is nothing to be outside of.
            assert!(!read_document(&scan, None).outside_outline, "{name}");
        }
        let mut held = 0;
        for sample in eval_set::document_set_of(&[DocClass::Good], 8, 41) {
            let reading = read_document(&sample.frame, sample.corners.as_ref());
            assert!(!reading.outside_outline, "{}", sample.name);
            held += usize::from(reading.found);
        }
        assert!(
            held >= 4,
            "zones found inside the true outline: {held} of 8"
        );
    }

    #[test]
    fn the_reader_never_reads_a_wrong_valid_zone_and_meets_its_floors() {
        let zones = expected();
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mrz");
        let mut scans = Tally::default();
        for (name, truth) in &zones {
            let frame = image::open(folder.join(name)).unwrap().into_rgb8();
            let (reading, ms) = read(&frame);
            scans.add(name, &reading, truth, ms);
        }

        // The quality engine's good frames: the specimens of tests/fixtures/documents (the
        // same governments' pages, trimmed) on real photos at 1080p, tilted, shadowed, with a
        // thumb on an edge now and then.
        let export = std::env::var_os("MARKID_MRZ_FRAMES").map(std::path::PathBuf::from);
        let mut frames = Tally::default();
        let mut exported = String::new();
        for sample in eval_set::document_set_of(&[DocClass::Good], 22, 41) {
            let document = sample
                .name
                .splitn(3, '-')
                .nth(2)
                .and_then(|rest| rest.split("-on-").next())
                .unwrap();
            let truth = &zones[&format!("{document}.jpg")];
            let (reading, ms) = read(&sample.frame);
            frames.add(&sample.name, &reading, truth, ms);
            if let Some(dir) = &export {
                std::fs::create_dir_all(dir).unwrap();
                sample
                    .frame
                    .save(dir.join(format!("{}.jpg", sample.name)))
                    .unwrap();
                exported += &format!("{}.jpg\n{}\n", sample.name, truth.join("\n"));
            }
        }
        if let Some(dir) = &export {
            std::fs::write(dir.join("expected.txt"), exported).unwrap();
        }
        println!("scans:  {scans:?}");
        println!("frames: {frames:?}");
        // Never a valid reading that differs from the printed zone.
        assert_eq!(scans.wrong, 0, "{scans:?}");
        assert_eq!(frames.wrong, 0, "{frames:?}");
        // Floors under the measured 9 of 30 scans and 4 of 22 frames (PassportEye: 4 and 0,
        // with 5 and 2 valid but wrong; README, "MRZ reader").
        assert!(scans.right >= 7, "{scans:?}");
        assert!(frames.right >= 3, "{frames:?}");
    }
}

/// Every saved fuzz input of the decoder (seeds and `fuzz/regressions/`) runs through the fuzz
/// target's own code: none panics, and the seeds made from real photos decode.
#[test]
fn saved_fuzz_inputs_of_the_decoder_run_clean() {
    let inputs = markid_kiosk::fuzzing::saved_inputs("image_decode");
    assert!(inputs.len() >= 8, "{} inputs", inputs.len());
    let policy = markid_kiosk::imaging::ImagePolicy::default();
    for (path, bytes) in inputs {
        markid_kiosk::fuzzing::image_decode(&bytes);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.parent().unwrap().ends_with("seeds/image_decode") && !name.contains("truncated") {
            markid_kiosk::imaging::decode_upright(&bytes, &policy)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
