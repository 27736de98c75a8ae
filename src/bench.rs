//! `markid-kiosk bench`: the image pipeline per stage on real photos, and libvips on the same
//! photos when `vips` is installed, with fidelity (PSNR against the upright source) for both.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use image::{DynamicImage, RgbImage};

use crate::imaging::{self, ImagePolicy, ImageRole, StageTimes};

/// `bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Photos to prepare (e.g. 9 MP phone photos).
    #[arg(required = true)]
    pub photos: Vec<PathBuf>,
    /// Runs per photo; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Leave libvips out (quicker, for measuring a change to our pipeline).
    #[arg(long)]
    pub no_vips: bool,
    /// Time the capture quality engine instead: document and face analysis of each photo
    /// scaled to a 1280x720 preview frame and a 1920x1080 still, and the crop at full size.
    #[arg(long)]
    pub quality: bool,
    /// Time the MRZ reader instead: on each document photo as the preparation task reads it
    /// (after the outline: the rectified document, then the whole photo when that gives no
    /// valid reading), one thread.
    #[arg(long)]
    pub mrz: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Peak signal-to-noise ratio in dB between two images of the same size.
pub fn psnr(a: &RgbImage, b: &RgbImage) -> Option<f64> {
    if a.dimensions() != b.dimensions() {
        return None;
    }
    let squared: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| {
            let d = f64::from(*x) - f64::from(*y);
            d * d
        })
        .sum();
    let mse = squared / a.as_raw().len() as f64;
    Some(if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    })
}

/// The upright source at full resolution, resized to `width` x `height`: the reference both
/// outputs are compared against. Decoded and resized by the `image` crate (its own chroma
/// upsampling, Lanczos3), not by our pipeline, so that the reference shares none of our choices.
fn reference(path: &Path, width: u32, height: u32) -> Option<RgbImage> {
    let bytes = std::fs::read(path).ok()?;
    let stored = image::load_from_memory(&bytes).ok()?.into_rgb8();
    let upright = imaging::apply_orientation(stored, imaging::jpeg_exif_orientation(&bytes));
    Some(image::imageops::resize(
        &upright,
        width,
        height,
        image::imageops::FilterType::Lanczos3,
    ))
}

fn decode_jpeg_file(path: &Path) -> Option<RgbImage> {
    image::open(path).ok().map(DynamicImage::into_rgb8)
}

/// Runs the benchmark and prints a table.
pub fn run(args: BenchArgs) -> ExitCode {
    if args.quality {
        return run_quality(&args);
    }
    if args.mrz {
        return run_mrz(&args);
    }
    let policy = ImagePolicy::default();
    let vips = !args.no_vips
        && Command::new("vips")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    let scratch = std::env::temp_dir().join(format!("markid-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&scratch).is_err() {
        eprintln!("error: cannot create {}", scratch.display());
        return ExitCode::FAILURE;
    }
    println!(
        "one core per photo, median of {} runs (best: the fastest run); cap {} px, quality {}",
        args.runs, policy.document_long_edge, policy.quality.start
    );
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>9} {:>8} {:>6}",
        "photo",
        "decode",
        "resize",
        "encode",
        "total",
        "best",
        "bytes",
        "PSNR",
        "vips ms",
        "vipsPSNR",
        "ratio"
    );
    let mut ours_total = 0.0;
    let mut ours_bytes: Vec<usize> = Vec::new();
    let mut vips_bytes: Vec<usize> = Vec::new();
    let mut vips_total = 0.0;
    for photo in &args.photos {
        let Ok(bytes) = std::fs::read(photo) else {
            eprintln!("{}: cannot read", photo.display());
            return ExitCode::FAILURE;
        };
        let mut runs: Vec<StageTimes> = Vec::new();
        let mut last = None;
        for _ in 0..args.runs.max(1) {
            match imaging::prepare_bytes(&bytes, ImageRole::Document, &policy) {
                Ok(prepared) => {
                    runs.push(prepared.times);
                    last = Some(prepared);
                }
                Err(error) => {
                    eprintln!("{}: {error}", photo.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        let Some(prepared) = last else {
            return ExitCode::FAILURE;
        };
        let stage = |f: fn(&StageTimes) -> f64| median(runs.iter().map(f).collect());
        let total = stage(StageTimes::total_ms);
        // The fastest run: what the code costs when nothing else wants the core.
        let best = runs
            .iter()
            .map(StageTimes::total_ms)
            .fold(f64::INFINITY, f64::min);
        ours_total += total;
        let (width, height) = (prepared.jpeg.width, prepared.jpeg.height);
        let reference = reference(photo, width, height);
        let ours_decoded = image::load_from_memory(&prepared.jpeg.bytes)
            .ok()
            .map(DynamicImage::into_rgb8);
        let ours_psnr = reference
            .as_ref()
            .zip(ours_decoded.as_ref())
            .and_then(|(r, o)| psnr(r, o));
        let (vips_ms, vips_psnr) = if vips {
            let vips = run_vips(
                photo,
                &scratch,
                &policy,
                prepared.jpeg.bytes.len(),
                args.runs,
            );
            let vips_psnr = vips.image.as_ref().and_then(|v| {
                let reference = match &reference {
                    Some(r) if r.dimensions() == v.dimensions() => Some(r.clone()),
                    _ => reference_at(photo, v),
                };
                reference.and_then(|r| psnr(&r, v))
            });
            vips_bytes.push(vips.bytes);
            (vips.median_ms, vips_psnr)
        } else {
            (None, None)
        };
        if let Some(ms) = vips_ms {
            vips_total += ms;
        }
        ours_bytes.push(prepared.jpeg.bytes.len());
        let name = photo
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        println!(
            "{:<28} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9} {:>8} {:>9} {:>8} {:>6}",
            name,
            stage(|t| t.decode_ms),
            stage(|t| t.resize_ms),
            stage(|t| t.encode_ms),
            total,
            best,
            prepared.jpeg.bytes.len(),
            ours_psnr.map_or("-".into(), |p| format!("{p:.2}")),
            vips_ms.map_or("-".into(), |v| format!("{v:.1}")),
            vips_psnr.map_or("-".into(), |p| format!("{p:.2}")),
            vips_ms.map_or("-".into(), |v| format!("{:.2}", total / v)),
        );
    }
    if vips {
        println!(
            "bytes at equal size (vips quality searched to match ours): ours {ours_bytes:?}, vips {vips_bytes:?}"
        );
    }
    println!(
        "total: ours {ours_total:.1} ms in process{}",
        if vips {
            format!(
                ", vips {vips_total:.1} ms as processes, ratio {:.2}",
                ours_total / vips_total
            )
        } else if args.no_vips {
            " (vips left out)".into()
        } else {
            " (vips not installed)".into()
        }
    );
    let _ = std::fs::remove_dir_all(&scratch);
    ExitCode::SUCCESS
}

/// What one photo through `vips thumbnail` gave.
struct VipsRun {
    median_ms: Option<f64>,
    bytes: usize,
    image: Option<RgbImage>,
}

/// Times `vips thumbnail` (a whole process, as a script would run it) at the quality whose output
/// size is closest to `target_bytes`, so that fidelity is compared at equal bytes.
fn run_vips(
    photo: &Path,
    scratch: &Path,
    policy: &ImagePolicy,
    target_bytes: usize,
    runs: usize,
) -> VipsRun {
    let out = scratch.join("vips.jpg");
    let thumbnail = |quality: u8| -> Option<f64> {
        let target = format!("{}[Q={quality},strip,subsample-mode=on]", out.display());
        let started = Instant::now();
        let status = Command::new("vips")
            .args([
                "thumbnail",
                &photo.display().to_string(),
                &target,
                &policy.document_long_edge.to_string(),
            ])
            .args(["--size", "down"])
            .status()
            .ok()?;
        status
            .success()
            .then(|| started.elapsed().as_secs_f64() * 1000.0)
    };
    let size = || {
        std::fs::metadata(&out)
            .map(|m| m.len() as usize)
            .unwrap_or_default()
    };
    // Bisect vips's quality for the size closest to ours.
    let (mut low, mut high, mut best) = (50u8, 100u8, (usize::MAX, policy.quality.start));
    while low <= high {
        let quality = low + (high - low) / 2;
        if thumbnail(quality).is_none() {
            break;
        }
        let bytes = size();
        if bytes.abs_diff(target_bytes) < best.0 {
            best = (bytes.abs_diff(target_bytes), quality);
        }
        if bytes > target_bytes {
            high = quality - 1
        } else {
            low = quality + 1
        }
    }
    let times: Vec<f64> = (0..runs.max(1)).filter_map(|_| thumbnail(best.1)).collect();
    VipsRun {
        median_ms: (!times.is_empty()).then(|| median(times)),
        bytes: size(),
        image: decode_jpeg_file(&out),
    }
}

fn reference_at(photo: &Path, like: &RgbImage) -> Option<RgbImage> {
    reference(photo, like.width(), like.height())
}

/// Median and fastest milliseconds of `runs` calls of `work`.
fn time_ms(runs: usize, mut work: impl FnMut()) -> (f64, f64) {
    let times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let started = std::time::Instant::now();
            work();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    (median(times), best)
}

/// A frame of `width` x `height` cut from the middle of `photo` after scaling it to cover.
fn frame_from(photo: &RgbImage, width: u32, height: u32) -> RgbImage {
    let scale = (width as f32 / photo.width() as f32).max(height as f32 / photo.height() as f32);
    let (w, h) = (
        ((photo.width() as f32 * scale).ceil() as u32).max(width),
        ((photo.height() as f32 * scale).ceil() as u32).max(height),
    );
    let scaled = image::imageops::resize(photo, w, h, image::imageops::FilterType::Triangle);
    image::imageops::crop_imm(&scaled, (w - width) / 2, (h - height) / 2, width, height).to_image()
}

fn run_mrz(args: &BenchArgs) -> ExitCode {
    use crate::quality::{
        QualitySettings, analyze_document_in_colour, luma_of, whole_document_corners,
    };
    let policy = ImagePolicy::default();
    let settings = QualitySettings::default();
    println!(
        "median ms of {} runs (fastest in brackets); the reader on one thread",
        args.runs
    );
    println!(
        "{:<28} {:>12} {:>8} {:>14}",
        "photo", "photo px", "valid", "read"
    );
    for photo in &args.photos {
        let rgb = match crate::imaging::load_upright(photo, &policy) {
            Ok(rgb) => rgb,
            Err(error) => {
                eprintln!("{}: {error}", photo.display());
                return ExitCode::FAILURE;
            }
        };
        // What the preparation task does after the quality engine's outline: the rectified
        // document first, the whole photo when that gives no valid reading.
        let report = analyze_document_in_colour(&luma_of(&rgb), Some(&rgb), &settings);
        let corners = whole_document_corners(&report);
        let valid = crate::mrz::read_document(&rgb, corners).valid;
        let read = time_ms(args.runs, || {
            std::hint::black_box(crate::mrz::read_document(&rgb, corners).valid);
        });
        let luma = &rgb;
        let name = photo
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<28} {:>12} {:>8} {:>14}",
            name,
            format!("{}x{}", luma.width(), luma.height()),
            valid,
            format!("{:.1} ({:.1})", read.0, read.1)
        );
    }
    ExitCode::SUCCESS
}

fn run_quality(args: &BenchArgs) -> ExitCode {
    use crate::quality::{
        Depth, QualitySettings, analyze_document_at, analyze_face_at, crop_document, luma_of,
    };
    let policy = ImagePolicy::default();
    let settings = QualitySettings::default();
    // One thread, as the kiosk's analysis runs on one: the crop alone uses rayon's pool, as in
    // the app.
    println!(
        "median ms of {} runs (fastest in brackets); analysis on one thread, from the RGB \
         frame (luma plane included)",
        args.runs
    );
    // Preview: what the analysis thread does with each 1280x720 camera frame; full: what it
    // does with a 1920x1080 still before it is used. Both from the RGB frame: its luma plane
    // (also timed alone, first column), then the analysis.
    println!(
        "{:<28} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
        "photo",
        "luma 720p",
        "doc preview",
        "face preview",
        "doc 1080p",
        "face 1080p",
        "crop full size"
    );
    for photo in &args.photos {
        let rgb = match crate::imaging::load_upright(photo, &policy) {
            Ok(rgb) => rgb,
            Err(error) => {
                eprintln!("{}: {error}", photo.display());
                return ExitCode::FAILURE;
            }
        };
        let preview = frame_from(&rgb, 1280, 720);
        let still = frame_from(&rgb, 1920, 1080);
        let luma = time_ms(args.runs, || {
            std::hint::black_box(luma_of(&preview));
        });
        // A preview's columns time what the analysis thread does with a frame: its luma
        // plane, then the analysis.
        let document = time_ms(args.runs, || {
            let preview_luma = luma_of(&preview);
            std::hint::black_box(analyze_document_at(
                &preview_luma,
                Some(&preview),
                &settings,
                Depth::Preview,
            ));
        });
        let face = time_ms(args.runs, || {
            let preview_luma = luma_of(&preview);
            std::hint::black_box(analyze_face_at(&preview_luma, &settings, Depth::Preview));
        });
        let full = time_ms(args.runs, || {
            let still_luma = luma_of(&still);
            std::hint::black_box(analyze_document_at(
                &still_luma,
                Some(&still),
                &settings,
                Depth::Full,
            ));
        });
        let full_face = time_ms(args.runs, || {
            let still_luma = luma_of(&still);
            std::hint::black_box(analyze_face_at(&still_luma, &settings, Depth::Full));
        });
        // The crop of the whole photo less a 10% border: the size of a document that fills
        // the frame, the most work a crop does.
        let (w, h) = (rgb.width() as f32, rgb.height() as f32);
        let corners = [
            [0.1 * w, 0.1 * h],
            [0.9 * w, 0.1 * h],
            [0.9 * w, 0.9 * h],
            [0.1 * w, 0.9 * h],
        ];
        let crop = time_ms(args.runs, || {
            std::hint::black_box(crop_document(&rgb, &corners, settings.crop_margin));
        });
        let cell = |(median, best): (f64, f64)| format!("{median:.1} ({best:.1})");
        let name = photo
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<28} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
            name,
            cell(luma),
            cell(document),
            cell(face),
            cell(full),
            cell(full_face),
            cell(crop)
        );
    }
    ExitCode::SUCCESS
}
