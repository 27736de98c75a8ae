//! The camera layer without a webcam: mode negotiation and fallback, frame decoding (MJPEG,
//! YUYV, NV12) against generated frames, the capture thread's warm-up, mailbox, stills and
//! recovery against a scripted device that fails on cue, and the playback source.

#![expect(
    clippy::unwrap_used,
    reason = "test set-up panics on a broken fixture, which is the failure we want"
)]

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use markid_kiosk::camera::{
    Camera, CameraError, CameraStatus, CaptureSettings, FormatTarget, FrameDecoder, FrameSource,
    Mode, PixelLayout, PlaybackSource, RawFrame, RgbFrame, SourceOpener, rank_modes, split_mjpeg,
    start_best_mode,
};
use markid_kiosk::imaging::encode_jpeg;

fn mode(width: u32, height: u32, fps: u32, layout: PixelLayout) -> Mode {
    Mode {
        width,
        height,
        fps,
        layout,
    }
}

#[test]
fn a_1080p_mjpeg_mode_wins_over_slow_raw_and_small_modes() {
    // What a Logitech C920 reports.
    let offered = [
        mode(640, 480, 30, PixelLayout::Yuyv),
        mode(1920, 1080, 5, PixelLayout::Yuyv),
        mode(1280, 720, 30, PixelLayout::Mjpeg),
        mode(1920, 1080, 30, PixelLayout::Mjpeg),
        mode(1920, 1080, 30, PixelLayout::Mjpeg),
    ];
    let ranked = rank_modes(&offered, &FormatTarget::default());
    assert_eq!(ranked.len(), 4, "duplicates dropped");
    assert_eq!(ranked[0], mode(1920, 1080, 30, PixelLayout::Mjpeg));
    assert_eq!(ranked[1], mode(1280, 720, 30, PixelLayout::Mjpeg));
    assert_eq!(ranked[2], mode(640, 480, 30, PixelLayout::Yuyv));
    assert_eq!(ranked[3], mode(1920, 1080, 5, PixelLayout::Yuyv));
}

#[test]
fn the_highest_resolution_at_a_fluid_rate_comes_first_then_mjpeg() {
    let offered = [
        mode(1920, 1080, 30, PixelLayout::Mjpeg),
        mode(3840, 2160, 30, PixelLayout::Yuyv),
        mode(3840, 2160, 30, PixelLayout::Mjpeg),
        mode(4096, 2160, 10, PixelLayout::Mjpeg),
    ];
    let ranked = rank_modes(&offered, &FormatTarget::default());
    assert_eq!(ranked[0], mode(3840, 2160, 30, PixelLayout::Mjpeg));
    assert_eq!(ranked[1], mode(3840, 2160, 30, PixelLayout::Yuyv));
    assert_eq!(ranked[2], mode(1920, 1080, 30, PixelLayout::Mjpeg));
    assert_eq!(
        ranked[3],
        mode(4096, 2160, 10, PixelLayout::Mjpeg),
        "too slow: last"
    );
}

/// A device that follows a script: its modes, which of them refuse to start, and after how
/// many frames it fails. Frames are 64x48 grey, every pixel the frame's number.
struct ScriptedSource {
    modes: Vec<Mode>,
    refuses: Vec<(Mode, CameraError)>,
    fail_after: Option<(u32, CameraError)>,
    started: Arc<Mutex<Vec<Mode>>>,
    served: u32,
    buffer: Vec<u8>,
}

impl ScriptedSource {
    fn new(modes: Vec<Mode>) -> ScriptedSource {
        ScriptedSource {
            modes,
            refuses: Vec::new(),
            fail_after: None,
            started: Arc::default(),
            served: 0,
            buffer: Vec::new(),
        }
    }
}

impl FrameSource for ScriptedSource {
    fn name(&self) -> String {
        "Scripted camera".to_owned()
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        Ok(self.modes.clone())
    }

    fn start(&mut self, mode: Mode) -> Result<(), CameraError> {
        self.started.lock().unwrap().push(mode);
        match self.refuses.iter().find(|(refused, _)| *refused == mode) {
            Some((_, error)) => Err(error.clone()),
            None => Ok(()),
        }
    }

    fn next_frame(&mut self) -> Result<RawFrame<'_>, CameraError> {
        if let Some((after, error)) = &self.fail_after
            && self.served >= *after
        {
            return Err(error.clone());
        }
        std::thread::sleep(Duration::from_millis(2));
        self.buffer = vec![(self.served % 256) as u8; 64 * 48];
        self.served += 1;
        Ok(RawFrame {
            width: 64,
            height: 48,
            layout: PixelLayout::Gray8,
            bytes: Cow::Borrowed(&self.buffer),
        })
    }
}

fn gray_modes() -> Vec<Mode> {
    vec![
        mode(64, 48, 30, PixelLayout::Gray8),
        mode(32, 24, 30, PixelLayout::Gray8),
    ]
}

#[test]
fn a_mode_that_fails_to_start_falls_back_to_the_next() {
    let modes = vec![
        mode(1920, 1080, 30, PixelLayout::Mjpeg),
        mode(1280, 720, 30, PixelLayout::Mjpeg),
        mode(640, 480, 30, PixelLayout::Yuyv),
    ];
    let mut source = ScriptedSource::new(modes.clone());
    source.refuses = vec![
        (
            modes[0],
            CameraError::Other("VIDIOC_S_FMT: invalid argument".to_owned()),
        ),
        (modes[1], CameraError::Other("bandwidth".to_owned())),
    ];
    let started = Arc::clone(&source.started);
    let chosen = start_best_mode(&mut source, &FormatTarget::default()).unwrap();
    assert_eq!(chosen, modes[2]);
    assert_eq!(started.lock().unwrap().len(), 3);

    // A busy camera stays busy in every mode: no point trying them all.
    let mut busy = ScriptedSource::new(modes.clone());
    busy.refuses = modes.iter().map(|m| (*m, CameraError::Busy)).collect();
    let started = Arc::clone(&busy.started);
    assert_eq!(
        start_best_mode(&mut busy, &FormatTarget::default()),
        Err(CameraError::Busy)
    );
    assert_eq!(started.lock().unwrap().len(), 1);
}

/// A test scene with edges and colours.
fn scene(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let block = ((x / 40) + (y / 40)) % 2 == 0;
        Rgb([
            (x * 255 / width) as u8,
            if block { 200 } else { 60 },
            (y * 255 / height) as u8,
        ])
    })
}

fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.len() as f64
}

fn to_video_range_yuv(pixel: &Rgb<u8>) -> (u8, u8, u8) {
    let [r, g, b] = pixel.0.map(f64::from);
    let y = 16.0 + 0.257 * r + 0.504 * g + 0.098 * b;
    let u = 128.0 - 0.148 * r - 0.291 * g + 0.439 * b;
    let v = 128.0 + 0.439 * r - 0.368 * g - 0.071 * b;
    (y.round() as u8, u.round() as u8, v.round() as u8)
}

fn yuyv_from(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    for y in 0..image.height() {
        for x in (0..image.width()).step_by(2) {
            let (y0, u0, v0) = to_video_range_yuv(image.get_pixel(x, y));
            let (y1, u1, v1) = to_video_range_yuv(image.get_pixel(x + 1, y));
            let average = |a: u8, b: u8| ((u16::from(a) + u16::from(b)) / 2) as u8;
            bytes.extend([y0, average(u0, u1), y1, average(v0, v1)]);
        }
    }
    bytes
}

fn nv12_from(image: &RgbImage) -> Vec<u8> {
    let (width, height) = image.dimensions();
    let mut luma = Vec::new();
    let mut chroma = Vec::new();
    for y in 0..height {
        for x in 0..width {
            luma.push(to_video_range_yuv(image.get_pixel(x, y)).0);
        }
    }
    for y in (0..height).step_by(2) {
        for x in (0..width).step_by(2) {
            let (_, u, v) = to_video_range_yuv(image.get_pixel(x, y));
            chroma.extend([u, v]);
        }
    }
    luma.extend(chroma);
    luma
}

fn decode(frame: &RawFrame<'_>, reduction: u32) -> RgbFrame {
    let mut out = RgbFrame::default();
    FrameDecoder::default()
        .decode(frame, reduction, &mut out)
        .unwrap();
    out
}

#[test]
fn mjpeg_yuyv_and_nv12_frames_decode_to_the_scene() {
    let source = scene(320, 240);
    let jpeg = encode_jpeg(&source, 95).unwrap().into_bytes();
    let frames = [
        (PixelLayout::Mjpeg, jpeg),
        (PixelLayout::Yuyv, yuyv_from(&source)),
        (PixelLayout::Nv12, nv12_from(&source)),
    ];
    for (layout, bytes) in frames {
        let frame = RawFrame {
            width: 320,
            height: 240,
            layout,
            bytes: Cow::Owned(bytes),
        };
        let full = decode(&frame, 1);
        assert_eq!((full.width, full.height), (320, 240), "{layout:?}");
        let difference = mean_difference(&full.pixels, source.as_raw());
        assert!(difference < 6.0, "{layout:?}: {difference}");

        // The preview at half size: the same scene, a quarter of the pixels.
        let half = decode(&frame, 2);
        assert_eq!((half.width, half.height), (160, 120), "{layout:?}");
        let small =
            image::imageops::resize(&source, 160, 120, image::imageops::FilterType::Triangle);
        let difference = mean_difference(&half.pixels, small.as_raw());
        assert!(difference < 12.0, "{layout:?} at half size: {difference}");
    }
}

/// Removes the Huffman tables, as many webcams do in their MJPEG frames.
fn without_huffman_tables(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut position = 2;
    loop {
        let marker = jpeg[position + 1];
        if marker == 0xDA {
            out.extend_from_slice(&jpeg[position..]);
            return out;
        }
        let length = usize::from(u16::from_be_bytes([jpeg[position + 2], jpeg[position + 3]]));
        if marker != 0xC4 {
            out.extend_from_slice(&jpeg[position..position + 2 + length]);
        }
        position += 2 + length;
    }
}

#[test]
fn mjpeg_frames_without_huffman_tables_decode() {
    let source = scene(160, 120);
    let stripped = without_huffman_tables(&encode_jpeg(&source, 90).unwrap().into_bytes());
    assert!(
        !stripped.windows(2).any(|w| w == [0xFF, 0xC4]),
        "tables removed"
    );
    let frame = RawFrame {
        width: 160,
        height: 120,
        layout: PixelLayout::Mjpeg,
        bytes: Cow::Owned(stripped),
    };
    let decoded = decode(&frame, 1);
    assert!(mean_difference(&decoded.pixels, source.as_raw()) < 6.0);
}

#[test]
fn short_or_corrupt_frames_are_errors_not_panics() {
    let cases = [
        (PixelLayout::Yuyv, 320, 240, vec![0u8; 1000]),
        (PixelLayout::Nv12, 320, 240, vec![0u8; 320 * 240]),
        (PixelLayout::Yuyv, 321, 2, vec![0u8; 321 * 2 * 2]),
        (PixelLayout::Rgb24, 0, 0, Vec::new()),
        (
            PixelLayout::Mjpeg,
            320,
            240,
            b"\xFF\xD8\xFF\xE0 not really a jpeg".to_vec(),
        ),
        (PixelLayout::Mjpeg, 320, 240, Vec::new()),
    ];
    for (layout, width, height, bytes) in cases {
        let frame = RawFrame {
            width,
            height,
            layout,
            bytes: Cow::Owned(bytes),
        };
        let mut out = RgbFrame::default();
        let result = FrameDecoder::default().decode(&frame, 2, &mut out);
        assert!(
            matches!(result, Err(CameraError::BadFrame(_))),
            "{layout:?} {width}x{height}: {result:?}"
        );
    }
}

#[test]
fn backend_errors_are_sorted_into_what_people_can_act_on() {
    assert_eq!(
        CameraError::classify("Could not open device: Device or resource busy (os error 16)"),
        CameraError::Busy
    );
    assert_eq!(
        CameraError::classify("Permission denied (os error 13)"),
        CameraError::PermissionDenied
    );
    assert_eq!(
        CameraError::classify("Failed to read frame: No such device (os error 19)"),
        CameraError::Disconnected
    );
    assert!(matches!(
        CameraError::classify("something odd"),
        CameraError::Other(_)
    ));
    assert!(CameraError::Busy.to_string().contains("close that program"));
    assert!(
        CameraError::PermissionDenied
            .to_string()
            .contains("Privacy")
    );
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn settings(warmup_frames: u32) -> CaptureSettings {
    CaptureSettings {
        target: FormatTarget::default(),
        warmup_frames,
        retry_interval: Duration::from_millis(30),
    }
}

fn next_preview(camera: &Camera) -> markid_kiosk::camera::PreviewFrame {
    let mut found = None;
    wait_until("a preview frame", || {
        found = camera.take_preview();
        found.is_some()
    });
    found.unwrap()
}

#[test]
fn warm_up_frames_are_dropped_and_previews_count_up() {
    let opener: SourceOpener = Box::new(|| Ok(Box::new(ScriptedSource::new(gray_modes()))));
    let camera = Camera::start("test", opener, settings(7), None).unwrap();
    let first = next_preview(&camera);
    // Frames 0..7 were dropped: the first preview shows frame 7 (or a later one if the test
    // thread was slow to look).
    assert!(first.frame.pixels[0] >= 7, "{}", first.frame.pixels[0]);
    assert!(matches!(
        camera.status(),
        CameraStatus::Live { ref name, mode } if name == "Scripted camera" && mode.width == 64
    ));
    let later = next_preview(&camera);
    assert!(later.sequence > first.sequence);
    camera.stop();
    wait_until("the thread to end", || camera.has_finished());
}

#[test]
fn an_untaken_preview_is_replaced_by_the_newest() {
    let opener: SourceOpener = Box::new(|| Ok(Box::new(ScriptedSource::new(gray_modes()))));
    let camera = Camera::start("test", opener, settings(0), None).unwrap();
    let first = next_preview(&camera);
    std::thread::sleep(Duration::from_millis(100));
    let newest = camera.take_preview().unwrap();
    // About 50 frames passed; the mailbox held only the newest of them.
    assert!(newest.sequence > first.sequence + 5, "stale frames dropped");
}

#[test]
fn a_still_is_the_full_frame() {
    let opener: SourceOpener = Box::new(|| Ok(Box::new(ScriptedSource::new(gray_modes()))));
    let camera = Camera::start("test", opener, settings(0), None).unwrap();
    camera.set_preview_width(16);
    let preview = next_preview(&camera);
    assert_eq!((preview.frame.width, preview.frame.height), (16, 12));
    let still = camera
        .request_still()
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(still.dimensions(), (64, 48));
}

#[test]
fn an_unplugged_camera_says_so_and_comes_back_by_itself() {
    // Plugged in (delivers 20 frames, then is pulled out), away for three attempts, back.
    let attempts = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&attempts);
    let opener: SourceOpener = Box::new(move || {
        let mut attempts = counter.lock().unwrap();
        *attempts += 1;
        match *attempts {
            1 => {
                let mut source = ScriptedSource::new(gray_modes());
                source.fail_after = Some((20, CameraError::Disconnected));
                Ok(Box::new(source))
            }
            2..=4 => Err(CameraError::NoCamera),
            _ => Ok(Box::new(ScriptedSource::new(gray_modes()))),
        }
    });
    let camera = Camera::start("test", opener, settings(0), None).unwrap();
    let before = next_preview(&camera);
    wait_until("the unplug to show", || {
        camera.status() == CameraStatus::Unavailable(CameraError::Disconnected)
    });
    // While it is away a still fails at once, with the reason.
    let still = camera.request_still().recv_timeout(Duration::from_secs(1));
    assert_eq!(still.unwrap().unwrap_err(), CameraError::Disconnected);
    wait_until("the camera to come back", || {
        matches!(camera.status(), CameraStatus::Live { .. })
    });
    // Away, it kept saying "disconnected" rather than "no camera".
    assert!(*attempts.lock().unwrap() >= 5);
    let after = next_preview(&camera);
    assert!(after.sequence > before.sequence);
}

#[test]
fn no_camera_busy_and_blocked_are_reported_without_hanging() {
    for error in [
        CameraError::NoCamera,
        CameraError::Busy,
        CameraError::PermissionDenied,
    ] {
        let reported = error.clone();
        let opener: SourceOpener = Box::new(move || Err(reported.clone()));
        let camera = Camera::start("test", opener, settings(0), None).unwrap();
        wait_until("the status", || {
            camera.status() == CameraStatus::Unavailable(error.clone())
        });
        let still = camera
            .request_still()
            .recv_timeout(Duration::from_secs(1))
            .unwrap();
        assert_eq!(still.unwrap_err(), error);
        assert!(camera.take_preview().is_none());
        drop(camera);
    }
}

#[test]
fn a_busy_camera_is_picked_up_once_released() {
    let attempts = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&attempts);
    let opener: SourceOpener = Box::new(move || {
        let mut attempts = counter.lock().unwrap();
        *attempts += 1;
        let mut source = ScriptedSource::new(gray_modes());
        if *attempts <= 2 {
            source.refuses = gray_modes()
                .into_iter()
                .map(|m| (m, CameraError::Busy))
                .collect();
        }
        Ok(Box::new(source))
    });
    let camera = Camera::start("test", opener, settings(0), None).unwrap();
    next_preview(&camera);
    assert_eq!(*attempts.lock().unwrap(), 3);
}

#[test]
fn frames_wake_the_ui() {
    let wakes = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&wakes);
    let wake: markid_kiosk::camera::Wake = Arc::new(move || *counter.lock().unwrap() += 1);
    let opener: SourceOpener = Box::new(|| Ok(Box::new(ScriptedSource::new(gray_modes()))));
    let camera = Camera::start("test", opener, settings(0), Some(wake)).unwrap();
    wait_until("wake-ups", || *wakes.lock().unwrap() > 3);
    drop(camera);
}

#[test]
fn mjpeg_files_split_into_their_frames_and_play() {
    let dir = tempfile::tempdir().unwrap();
    let mut stream = Vec::new();
    for shade in [40u8, 120, 200] {
        let frame = RgbImage::from_pixel(96, 64, Rgb([shade, shade, shade]));
        stream.extend(encode_jpeg(&frame, 90).unwrap().into_bytes());
    }
    assert_eq!(split_mjpeg(&stream).len(), 3);
    let path = dir.path().join("clip.mjpeg");
    std::fs::write(&path, &stream).unwrap();

    let mut source = PlaybackSource::open(&path, 100).unwrap();
    let modes = source.modes().unwrap();
    assert_eq!(modes, vec![mode(96, 64, 100, PixelLayout::Mjpeg)]);
    source.start(modes[0]).unwrap();
    let mut shades = Vec::new();
    for _ in 0..4 {
        let frame = source.next_frame().unwrap();
        shades.push(decode(&frame, 1).pixels[0]);
    }
    let near = |value: u8, expected: u8| value.abs_diff(expected) <= 3;
    assert!(near(shades[0], 40) && near(shades[1], 120) && near(shades[2], 200));
    assert!(near(shades[3], 40), "plays in a loop");
}

#[test]
fn a_folder_of_images_plays_through_the_capture_thread() {
    let dir = tempfile::tempdir().unwrap();
    for (name, shade) in [("b.png", 200u8), ("a.png", 50)] {
        RgbImage::from_pixel(80, 60, Rgb([shade, 0, 0]))
            .save(dir.path().join(name))
            .unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
    let folder = dir.path().to_path_buf();
    let opener: SourceOpener = Box::new(move || Ok(Box::new(PlaybackSource::open(&folder, 50)?)));
    let camera = Camera::start("test", opener, settings(0), None).unwrap();
    let still = camera
        .request_still()
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(still.dimensions(), (80, 60));
    assert!([50, 200].contains(&still.get_pixel(0, 0).0[0]));

    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        PlaybackSource::open(empty.path(), 10),
        Err(CameraError::Other(_))
    ));
    assert!(matches!(
        PlaybackSource::open(&dir.path().join("missing"), 10),
        Err(CameraError::NotFound(_))
    ));
}

/// Every saved fuzz input of the frame converters (seeds and `fuzz/regressions/`) runs through
/// the fuzz target's own code: none panics.
#[test]
fn saved_fuzz_inputs_of_the_frame_converters_run_clean() {
    let inputs = markid_kiosk::fuzzing::saved_inputs("camera_frames");
    assert!(inputs.len() >= 5, "{} inputs", inputs.len());
    for (path, bytes) in inputs {
        eprintln!("{}", path.display());
        markid_kiosk::fuzzing::camera_frames(&bytes);
    }
}

/// The MJPEG frame fuzzing found: its header claims 65535x65535 pixels, and decoding it asked
/// for 12.8 GB. It is a bad frame now, refused before any buffer is made.
#[test]
fn an_mjpeg_frame_claiming_a_giant_size_is_refused_before_decoding() {
    let input = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions/camera_frames/oom-mjpeg-65535x65535"),
    )
    .unwrap();
    let frame = RawFrame {
        width: 1920,
        height: 1080,
        layout: PixelLayout::Mjpeg,
        bytes: std::borrow::Cow::Borrowed(&input[4..]),
    };
    let mut out = RgbFrame::with_buffer(Vec::new());
    let error = FrameDecoder::default()
        .decode(&frame, 1, &mut out)
        .unwrap_err();
    assert!(
        error.to_string().contains("more than any camera sends"),
        "{error}"
    );
    assert!(out.pixels.capacity() < 100_000_000);
}
