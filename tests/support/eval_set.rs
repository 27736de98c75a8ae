//! The capture quality evaluation set: real specimen documents and a real portrait composited
//! onto real photos at 1920x1080 with known geometry, each frame labelled by how it was made
//! (never by what the engine says of it). Deterministic: the same seed gives the same frames.
//!
//! Sources (licences beside them): `tests/fixtures/documents` (governments' specimen passport
//! and ID pages, from PassportEye's test data, MIT), `tests/fixtures/backgrounds` (scikit-image's
//! data: CC0 and public domain photos of a desk with coffee, a cat on a sofa, bricks, grass,
//! gravel, a rocket, the Hubble deep field, a photographer), `tests/fixtures/faces/astronaut.jpg`
//! (Eileen Collins, NASA, public domain).

use std::path::{Path, PathBuf};

use image::{GrayImage, Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Frame size of the set: a 1080p webcam.
pub const WIDTH: u32 = 1920;
/// Frame height.
pub const HEIGHT: u32 = 1080;

/// How a document frame was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocClass {
    Good,
    Blurred,
    MotionBlurred,
    Glare,
    TooDark,
    CutOff,
    TooSmall,
    NoDocument,
}

impl DocClass {
    pub const ALL: [DocClass; 8] = [
        DocClass::Good,
        DocClass::Blurred,
        DocClass::MotionBlurred,
        DocClass::Glare,
        DocClass::TooDark,
        DocClass::CutOff,
        DocClass::TooSmall,
        DocClass::NoDocument,
    ];
}

/// How a face frame was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaceClass {
    Good,
    NoFace,
    TwoFaces,
    TooSmall,
    TooDark,
    Blurred,
}

impl FaceClass {
    pub const ALL: [FaceClass; 6] = [
        FaceClass::Good,
        FaceClass::NoFace,
        FaceClass::TwoFaces,
        FaceClass::TooSmall,
        FaceClass::TooDark,
        FaceClass::Blurred,
    ];
}

/// One document frame with its label.
pub struct DocSample {
    pub class: DocClass,
    pub name: String,
    pub frame: RgbImage,
    /// Where the document's corners were put, clockwise from its top-left (None: no document).
    pub corners: Option<[[f32; 2]; 4]>,
}

/// One face frame with its label.
pub struct FaceSample {
    pub class: FaceClass,
    pub name: String,
    pub frame: RgbImage,
}

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> RgbImage {
    image::open(path).unwrap().into_rgb8()
}

/// A background photo scaled to cover the frame (centre crop), optionally out of focus.
fn background(photo: &RgbImage, defocus: f32) -> RgbImage {
    let scale = (WIDTH as f32 / photo.width() as f32).max(HEIGHT as f32 / photo.height() as f32);
    let (w, h) = (
        (photo.width() as f32 * scale).ceil() as u32,
        (photo.height() as f32 * scale).ceil() as u32,
    );
    let scaled = image::imageops::resize(photo, w, h, image::imageops::FilterType::Triangle);
    let mut frame =
        image::imageops::crop_imm(&scaled, (w - WIDTH) / 2, (h - HEIGHT) / 2, WIDTH, HEIGHT)
            .to_image();
    if defocus > 0.0 {
        frame = imageproc::filter::gaussian_blur_f32(&frame, defocus);
    }
    frame
}

/// Rounded corners (ID-1 cards: 3.18 mm of 85.6) and an alpha channel.
fn with_alpha(document: &RgbImage, rounded: bool) -> RgbaImage {
    let (w, h) = document.dimensions();
    let radius = if rounded { w as f32 * 3.18 / 85.6 } else { 0.0 };
    RgbaImage::from_fn(w, h, |x, y| {
        let Rgb([r, g, b]) = *document.get_pixel(x, y);
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let cx = fx.clamp(radius, w as f32 - radius);
        let cy = fy.clamp(radius, h as f32 - radius);
        let outside = (fx - cx).hypot(fy - cy) - radius;
        let alpha = (1.0 - outside).clamp(0.0, 1.0);
        Rgba([r, g, b, (alpha * 255.0) as u8])
    })
}

/// The corners of a `width` x `height` document centred at `centre`, turned by `angle`
/// radians, each moved by up to `jitter` pixels (perspective).
fn place(
    rng: &mut StdRng,
    width: f32,
    height: f32,
    centre: [f32; 2],
    angle: f32,
    jitter: f32,
) -> [[f32; 2]; 4] {
    let (sin, cos) = angle.sin_cos();
    let half = [
        [-width / 2.0, -height / 2.0],
        [width / 2.0, -height / 2.0],
        [width / 2.0, height / 2.0],
        [-width / 2.0, height / 2.0],
    ];
    half.map(|[x, y]| {
        [
            centre[0] + x * cos - y * sin + rng.random_range(-jitter..=jitter),
            centre[1] + x * sin + y * cos + rng.random_range(-jitter..=jitter),
        ]
    })
}

/// Composites `document` onto `frame` at `corners` with a soft drop shadow.
fn composite(frame: &mut RgbImage, document: &RgbaImage, corners: &[[f32; 2]; 4], shadow: bool) {
    let (w, h) = (document.width() as f32, document.height() as f32);
    let from = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let to = corners.map(|[x, y]| (x, y));
    let projection = Projection::from_control_points(from, to).unwrap();
    let mut warped = RgbaImage::new(WIDTH, HEIGHT);
    warp_into(
        document,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Rgba([0, 0, 0, 0])),
        &mut warped,
    );
    if shadow {
        // The alpha, a quarter size, blurred and offset down-right, darkens what lies below.
        let small = GrayImage::from_fn(WIDTH / 4, HEIGHT / 4, |x, y| {
            image::Luma([warped.get_pixel(x * 4, y * 4)[3]])
        });
        let soft = imageproc::filter::gaussian_blur_f32(&small, 5.0);
        for (x, y, pixel) in frame.enumerate_pixels_mut() {
            let (sx, sy) = (x.saturating_sub(22) / 4, y.saturating_sub(30) / 4);
            let dark = f32::from(soft.get_pixel(sx.min(WIDTH / 4 - 1), sy.min(HEIGHT / 4 - 1))[0])
                / 255.0
                * 0.45;
            for channel in &mut pixel.0 {
                *channel = (f32::from(*channel) * (1.0 - dark)) as u8;
            }
        }
    }
    for (pixel, over) in frame.pixels_mut().zip(warped.pixels()) {
        let alpha = f32::from(over[3]) / 255.0;
        for channel in 0..3 {
            pixel[channel] = (f32::from(pixel[channel]) * (1.0 - alpha)
                + f32::from(over[channel]) * alpha)
                .round() as u8;
        }
    }
}

/// A thumb over the document's edge: a skin-coloured ellipse with a lighter nail.
fn thumb(frame: &mut RgbImage, rng: &mut StdRng, corners: &[[f32; 2]; 4]) {
    let side = rng.random_range(0..4usize);
    let (a, b) = (corners[side], corners[(side + 1) % 4]);
    let t = rng.random_range(0.3..0.7f32);
    let at = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    let (rx, ry) = if side % 2 == 0 { (38, 62) } else { (62, 38) };
    imageproc::drawing::draw_filled_ellipse_mut(
        frame,
        (at[0] as i32, at[1] as i32),
        rx,
        ry,
        Rgb([196, 140, 112]),
    );
    imageproc::drawing::draw_filled_ellipse_mut(
        frame,
        (at[0] as i32, at[1] as i32),
        rx / 2,
        ry / 2,
        Rgb([222, 178, 160]),
    );
}

/// A specular reflection: a clipped white core with a soft halo, inside the document.
fn glare(frame: &mut RgbImage, rng: &mut StdRng, corners: &[[f32; 2]; 4], document_area: f32) {
    let (u, v) = (
        rng.random_range(0.25..0.75f32),
        rng.random_range(0.3..0.7f32),
    );
    let top = [
        corners[0][0] + u * (corners[1][0] - corners[0][0]),
        corners[0][1] + u * (corners[1][1] - corners[0][1]),
    ];
    let bottom = [
        corners[3][0] + u * (corners[2][0] - corners[3][0]),
        corners[3][1] + u * (corners[2][1] - corners[3][1]),
    ];
    let centre = [
        top[0] + v * (bottom[0] - top[0]),
        top[1] + v * (bottom[1] - top[1]),
    ];
    // The clipped core covers 1.5-5% of the document.
    let core_area = document_area * rng.random_range(0.015..0.05f32);
    let stretch = rng.random_range(1.0..2.5f32);
    let ry = (core_area / (std::f32::consts::PI * stretch)).sqrt();
    let rx = ry * stretch;
    let reach = 1.8;
    let (x0, x1) = (
        (centre[0] - rx * reach).max(0.0) as u32,
        ((centre[0] + rx * reach) as u32).min(WIDTH - 1),
    );
    let (y0, y1) = (
        (centre[1] - ry * reach).max(0.0) as u32,
        ((centre[1] + ry * reach) as u32).min(HEIGHT - 1),
    );
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = ((x as f32 - centre[0]) / rx).hypot((y as f32 - centre[1]) / ry);
            let white = if d <= 1.0 {
                1.0
            } else {
                (1.0 - (d - 1.0) / (reach - 1.0)).clamp(0.0, 1.0).powi(2)
            };
            let pixel = frame.get_pixel_mut(x, y);
            for channel in &mut pixel.0 {
                *channel = (f32::from(*channel) * (1.0 - white) + 255.0 * white) as u8;
            }
        }
    }
}

/// A horizontal or diagonal smear of `length` pixels (a hand moving while the shutter is open).
fn motion_blur(frame: &RgbImage, length: u32, diagonal: bool) -> RgbImage {
    let (w, h) = frame.dimensions();
    let mut out = RgbImage::new(w, h);
    let half = length as i64 / 2;
    for y in 0..h {
        for x in 0..w {
            let mut sum = [0u32; 3];
            let mut count = 0;
            for step in -half..=half {
                let sx = x as i64 + step;
                let sy = if diagonal {
                    y as i64 + step / 2
                } else {
                    y as i64
                };
                if sx < 0 || sy < 0 || sx >= w as i64 || sy >= h as i64 {
                    continue;
                }
                let p = frame.get_pixel(sx as u32, sy as u32);
                for c in 0..3 {
                    sum[c] += u32::from(p[c]);
                }
                count += 1;
            }
            out.put_pixel(x, y, Rgb(sum.map(|s| (s / count.max(1)) as u8)));
        }
    }
    out
}

fn scale_brightness(frame: &mut RgbImage, factor: f32) {
    for channel in frame.iter_mut() {
        *channel = (f32::from(*channel) * factor) as u8;
    }
}

/// Sensor noise and a webcam's JPEG, the last step of every frame.
fn as_webcam_frame(frame: RgbImage, rng: &mut StdRng) -> RgbImage {
    let mut frame = frame;
    for channel in frame.iter_mut() {
        let noise: i32 = rng.random_range(-4..=4);
        *channel = (i32::from(*channel) + noise).clamp(0, 255) as u8;
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
        .encode_image(&frame)
        .unwrap();
    image::load_from_memory(&jpeg).unwrap().into_rgb8()
}

/// The document frames: `per_class` of each class.
pub fn document_set(per_class: usize, seed: u64) -> Vec<DocSample> {
    document_set_of(&DocClass::ALL, per_class, seed)
}

/// The frames of some classes only, made as `document_set` makes them.
pub fn document_set_of(classes: &[DocClass], per_class: usize, seed: u64) -> Vec<DocSample> {
    let documents: Vec<(String, RgbImage)> = fixtures("documents")
        .iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, load(path))
        })
        .collect();
    let backgrounds: Vec<(String, RgbImage)> = fixtures("backgrounds")
        .iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, load(path))
        })
        .collect();
    let mut samples = Vec::new();
    let mut rng = StdRng::seed_from_u64(seed);
    for &class in classes {
        for index in 0..per_class {
            let (doc_name, document) = &documents[(index * 7 + class as usize) % documents.len()];
            let (bg_name, photo) = &backgrounds[(index * 3 + class as usize) % backgrounds.len()];
            let defocus = if rng.random_bool(0.5) { 2.5 } else { 0.0 };
            let mut frame = background(photo, defocus);
            let name = format!("{class:?}-{index:02}-{doc_name}-on-{bg_name}");
            if class == DocClass::NoDocument {
                let frame = as_webcam_frame(frame, &mut rng);
                samples.push(DocSample {
                    class,
                    name,
                    frame,
                    corners: None,
                });
                continue;
            }
            let aspect = document.height() as f32 / document.width() as f32;
            let width = match class {
                DocClass::TooSmall => rng.random_range(260.0..400.0),
                _ => rng.random_range(720.0..1150.0),
            };
            let height = width * aspect;
            let angle = rng.random_range(-15.0f32..=15.0).to_radians();
            let spare_x = (WIDTH as f32 - width * 1.15) / 2.0;
            let spare_y = (HEIGHT as f32 - height * 1.2) / 2.0;
            let mut centre = [
                WIDTH as f32 / 2.0 + rng.random_range(-1.0..=1.0) * spare_x.max(0.0) * 0.6,
                HEIGHT as f32 / 2.0 + rng.random_range(-1.0..=1.0) * spare_y.max(0.0) * 0.6,
            ];
            if class == DocClass::CutOff {
                // Pushed off one side by 8-25% of its width.
                let by = width * rng.random_range(0.08..0.25);
                match rng.random_range(0..4) {
                    0 => centre[0] = width / 2.0 - by,
                    1 => centre[0] = WIDTH as f32 - width / 2.0 + by,
                    2 => centre[1] = height / 2.0 - by,
                    _ => centre[1] = HEIGHT as f32 - height / 2.0 + by,
                }
            }
            let corners = place(&mut rng, width, height, centre, angle, width * 0.02);
            let mut source = document.clone();
            if rng.random_bool(0.4) {
                // A soft shadow across part of the document (a hand, the kiosk's hood).
                let from = rng.random_range(0.4..0.8f32);
                let strength = rng.random_range(0.15..0.35f32);
                let w = source.width() as f32;
                for (x, _, pixel) in source.enumerate_pixels_mut() {
                    let t = ((x as f32 / w - from) / (1.0 - from)).clamp(0.0, 1.0);
                    for channel in &mut pixel.0 {
                        *channel = (f32::from(*channel) * (1.0 - strength * t)) as u8;
                    }
                }
            }
            let mut only_document_blurred = false;
            if class == DocClass::Blurred && rng.random_bool(0.5) {
                only_document_blurred = true;
                // Only the document out of focus, in front of a sharp background.
                frame = background(photo, 0.0);
                let sigma = rng.random_range(2.0..3.0) * source.width() as f32 / width;
                source = imageproc::filter::gaussian_blur_f32(&source, sigma);
            }
            let rounded = doc_name.starts_with("id");
            // A drop shadow on every other frame: under a lamp a document casts one, under a
            // kiosk's diffuse light hardly any. On every frame (until session 15) it outlined
            // two sides of each document for the engine: without any, the corners within 3%
            // fell from 45 to 42 of 48.
            let shadow = index % 2 == 0;
            composite(&mut frame, &with_alpha(&source, rounded), &corners, shadow);
            if class != DocClass::Glare && rng.random_bool(0.4) {
                thumb(&mut frame, &mut rng, &corners);
            }
            match class {
                DocClass::Blurred if !only_document_blurred => {
                    frame =
                        imageproc::filter::gaussian_blur_f32(&frame, rng.random_range(3.0..4.5));
                }
                DocClass::MotionBlurred => {
                    let length = rng.random_range(18..34);
                    frame = motion_blur(&frame, length, rng.random_bool(0.5));
                }
                DocClass::Glare => glare(&mut frame, &mut rng, &corners, width * height),
                DocClass::TooDark => {
                    let factor = rng.random_range(0.1..0.18);
                    scale_brightness(&mut frame, factor);
                }
                _ => {}
            }
            let frame = as_webcam_frame(frame, &mut rng);
            samples.push(DocSample {
                class,
                name,
                frame,
                corners: Some(corners),
            });
        }
    }
    samples
}

/// The astronaut's portrait scaled to `width`, pasted with its top-left at `at`.
fn paste(frame: &mut RgbImage, portrait: &RgbImage, width: u32, at: [i64; 2]) {
    let scaled = image::imageops::resize(
        portrait,
        width,
        width,
        image::imageops::FilterType::CatmullRom,
    );
    image::imageops::overlay(frame, &scaled, at[0], at[1]);
}

/// The face frames: `per_class` of each class.
pub fn face_set(per_class: usize, seed: u64) -> Vec<FaceSample> {
    let portrait = load(&fixtures("faces")[0]);
    // Not the photographer's picture: it has a face of its own.
    let backgrounds: Vec<(String, RgbImage)> = fixtures("backgrounds")
        .iter()
        .filter(|path| !path.ends_with("camera.jpg"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, load(path))
        })
        .collect();
    // Where the face is in the portrait, as shares of its size (measured by hand on the
    // picture: the face spans about x 0.35-0.58, y 0.10-0.40).
    let face_centre = [0.465f32, 0.25f32];
    let mut rng = StdRng::seed_from_u64(seed);
    let mut samples = Vec::new();
    for class in FaceClass::ALL {
        for index in 0..per_class {
            let (bg_name, photo) = &backgrounds[(index * 5 + class as usize) % backgrounds.len()];
            let mut frame = background(photo, if rng.random_bool(0.5) { 2.5 } else { 0.0 });
            let centred = |width: u32, rng: &mut StdRng| {
                let jitter = WIDTH as f32 * 0.04;
                [
                    (WIDTH as f32 / 2.0 - face_centre[0] * width as f32
                        + rng.random_range(-jitter..=jitter)) as i64,
                    (HEIGHT as f32 / 2.0 - face_centre[1] * width as f32
                        + rng.random_range(-jitter..=jitter)) as i64,
                ]
            };
            match class {
                FaceClass::NoFace => {}
                FaceClass::TwoFaces => {
                    let width = rng.random_range(900..1000);
                    let y = (HEIGHT as f32 / 2.0 - face_centre[1] * width as f32) as i64;
                    paste(&mut frame, &portrait, width, [-(width as i64) / 6, y]);
                    paste(
                        &mut frame,
                        &portrait,
                        width,
                        [WIDTH as i64 - width as i64 * 5 / 6, y + 40],
                    );
                }
                FaceClass::TooSmall => {
                    let width = rng.random_range(480..560);
                    let at = centred(width, &mut rng);
                    paste(&mut frame, &portrait, width, at);
                }
                _ => {
                    let width = rng.random_range(1250..1500);
                    let at = centred(width, &mut rng);
                    paste(&mut frame, &portrait, width, at);
                }
            }
            match class {
                FaceClass::TooDark => {
                    let factor = rng.random_range(0.1..0.18);
                    scale_brightness(&mut frame, factor);
                }
                FaceClass::Blurred => {
                    frame =
                        imageproc::filter::gaussian_blur_f32(&frame, rng.random_range(4.0..6.0));
                }
                _ => {}
            }
            let frame = as_webcam_frame(frame, &mut rng);
            samples.push(FaceSample {
                class,
                name: format!("face-{class:?}-{index:02}-on-{bg_name}"),
                frame,
            });
        }
    }
    samples
}
