//! Measures the JPEG decoders, resizers and encoders the image pipeline could use, on the same
//! photos, one core: `cargo bench --bench candidates -- PHOTO...` (default: the photos made by
//! bench/make-photos.sh). Prints the median milliseconds of each; the pipeline uses the winners.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark on fixed inputs: a failure should stop it"
)]

use std::path::PathBuf;
use std::time::Instant;

use fast_image_resize as fr;
use image::RgbImage;

/// The same allocator as the binary, so that page faults do not blur the codecs' own time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 5;

fn median_ms<T>(mut work: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(work());
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], last.unwrap())
}

fn turbo_decode(bytes: &[u8]) -> RgbImage {
    let image = turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGB).unwrap();
    RgbImage::from_raw(image.width as u32, image.height as u32, image.pixels).unwrap()
}

fn zune_decode(bytes: &[u8]) -> Vec<u8> {
    let options = zune_jpeg::zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_jpeg::zune_core::colorspace::ColorSpace::RGB);
    zune_jpeg::JpegDecoder::new_with_options(std::io::Cursor::new(bytes), options)
        .decode()
        .unwrap()
}

fn image_decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8()
}

fn fir_resize(source: &RgbImage, width: u32, height: u32) -> RgbImage {
    markid_kiosk::imaging::resize(source, width, height).unwrap()
}

fn image_resize(source: &RgbImage, width: u32, height: u32) -> RgbImage {
    image::imageops::resize(
        source,
        width,
        height,
        image::imageops::FilterType::CatmullRom,
    )
}

fn fir_lanczos(source: &RgbImage, width: u32, height: u32) -> RgbImage {
    let view = fr::images::ImageRef::new(
        source.width(),
        source.height(),
        source.as_raw(),
        fr::PixelType::U8x3,
    )
    .unwrap();
    let mut target = fr::images::Image::new(width, height, fr::PixelType::U8x3);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new()
        .resize(&view, &mut target, &options)
        .unwrap();
    RgbImage::from_raw(width, height, target.into_vec()).unwrap()
}

fn turbo_encode(pixels: &RgbImage) -> usize {
    markid_kiosk::imaging::encode_jpeg(pixels, 92)
        .unwrap()
        .into_bytes()
        .len()
}

fn jpeg_encoder_encode(pixels: &RgbImage) -> usize {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(
            pixels.as_raw(),
            pixels.width() as u16,
            pixels.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out.len()
}

fn image_encode(pixels: &RgbImage) -> usize {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(pixels)
        .unwrap();
    out.len()
}

fn main() {
    let mut photos: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if photos.is_empty() {
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-photos");
        photos = std::fs::read_dir(&folder)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        photos.sort();
    }
    if photos.is_empty() {
        println!("no photos: run bench/make-photos.sh first, or pass photo paths");
        return;
    }
    // One core, like the pipeline's per-photo work.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    println!(
        "median of {RUNS} runs, ms; resize and encode at the document cap (3000 px long edge), quality 92, 4:2:0"
    );
    for photo in photos {
        let bytes = std::fs::read(&photo).unwrap();
        let (turbo_ms, full) = median_ms(|| turbo_decode(&bytes));
        let (zune_ms, _) = median_ms(|| zune_decode(&bytes));
        let (image_ms, _) = median_ms(|| image_decode(&bytes));
        let scale = 3000.0 / f64::from(full.width().max(full.height()));
        let (width, height) = (
            (f64::from(full.width()) * scale).round() as u32,
            (f64::from(full.height()) * scale).round() as u32,
        );
        let (fir_ms, capped) = median_ms(|| fir_resize(&full, width, height));
        let (lanczos_ms, _) = median_ms(|| fir_lanczos(&full, width, height));
        let (image_resize_ms, _) = median_ms(|| image_resize(&full, width, height));
        let (turbo_encode_ms, turbo_bytes) = median_ms(|| turbo_encode(&capped));
        let (jpeg_encoder_ms, jpeg_encoder_bytes) = median_ms(|| jpeg_encoder_encode(&capped));
        let (image_encode_ms, image_bytes) = median_ms(|| image_encode(&capped));
        println!("{}", photo.display());
        println!(
            "  decode  turbojpeg {turbo_ms:>6.1}   zune-jpeg {zune_ms:>6.1}   image {image_ms:>6.1}"
        );
        println!(
            "  resize  fast_image_resize Catmull-Rom {fir_ms:>6.1}   Lanczos3 {lanczos_ms:>6.1}   image::imageops Catmull-Rom {image_resize_ms:>6.1}"
        );
        println!(
            "  encode  turbojpeg {turbo_encode_ms:>6.1} ({turbo_bytes} B)   jpeg-encoder {jpeg_encoder_ms:>6.1} ({jpeg_encoder_bytes} B)   image {image_encode_ms:>6.1} ({image_bytes} B)"
        );
    }
}
