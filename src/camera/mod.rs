//! Cameras. `FrameSource` is what every camera offers (webcams through nokhwa in `webcam`, the
//! synthetic scene, recorded frames); `Camera` runs one on its own capture thread and hands the
//! UI previews and stills without ever making it wait; `CameraRig` knows which camera takes
//! which picture and runs only the one a capture screen needs, so no camera light is on while
//! nobody is being photographed. This module is the only one that touches nokhwa.

mod convert;
mod negotiate;
mod playback;
mod source;
mod synthetic;
mod webcam;
mod worker;

use std::path::PathBuf;

pub use convert::{FrameDecoder, RgbFrame};
pub use negotiate::{FormatTarget, rank_modes};
pub use playback::{PlaybackSource, split_mjpeg};
pub use source::{CameraError, FrameSource, Mode, PixelLayout, RawFrame, SourceOpener};
pub use synthetic::{SyntheticCamera, SyntheticSource};
pub use webcam::{DeviceInfo, list_devices};
pub use worker::{Camera, CameraStatus, CaptureSettings, PreviewFrame, Wake, start_best_mode};

/// What a camera photographs; each role has its configured camera.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CameraRole {
    /// The ID document's sides (and a utility bill).
    Document,
    /// The person's face.
    Face,
}

/// Which camera, as the config names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraChoice {
    /// The first webcam found (the synthetic camera in demo mode).
    Auto,
    /// The webcam at this position in the system's list.
    Index(u32),
    /// The first webcam whose name contains this (any case).
    Name(String),
    /// The synthetic scene.
    Synthetic,
    /// A folder of images or an MJPEG file, played in a loop.
    Playback(PathBuf),
}

impl CameraChoice {
    /// Reads the config's spelling: "auto", "0", "BRIO", "synthetic", "play:PATH".
    pub fn parse(text: &str) -> CameraChoice {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("auto") {
            CameraChoice::Auto
        } else if text.eq_ignore_ascii_case("synthetic") {
            CameraChoice::Synthetic
        } else if let Some(path) = text.strip_prefix("play:") {
            CameraChoice::Playback(PathBuf::from(path))
        } else if let Ok(index) = text.parse::<u32>() {
            CameraChoice::Index(index)
        } else {
            CameraChoice::Name(text.to_owned())
        }
    }

    /// Opens the source this choice names for `role`; demo mode takes the synthetic camera for
    /// `Auto`.
    pub fn opener(&self, demo: bool, role: CameraRole) -> SourceOpener {
        match self {
            CameraChoice::Auto if demo => {
                Box::new(move || Ok(Box::new(SyntheticCamera::source(role))))
            }
            CameraChoice::Synthetic => {
                Box::new(move || Ok(Box::new(SyntheticCamera::source(role))))
            }
            CameraChoice::Playback(path) => {
                let path = path.clone();
                Box::new(move || Ok(Box::new(PlaybackSource::open(&path, PLAYBACK_FPS)?)))
            }
            webcam => webcam::opener(webcam.clone()),
        }
    }
}

/// What identifies a running camera: the choice, and for the synthetic camera also the role,
/// since it films a different scene for each (a webcam or a recording is one device whatever it
/// photographs).
fn device_identity(
    choice: &CameraChoice,
    role: CameraRole,
    demo: bool,
) -> (CameraChoice, Option<CameraRole>) {
    let synthetic =
        matches!(choice, CameraChoice::Synthetic) || (demo && matches!(choice, CameraChoice::Auto));
    (choice.clone(), synthetic.then_some(role))
}

/// Frame rate of recorded pictures.
const PLAYBACK_FPS: u32 = 10;

/// What the rig is set up with: the camera for each role and how to run them.
#[derive(Clone, Debug)]
pub struct RigSettings {
    /// The document camera.
    pub document: CameraChoice,
    /// The face camera.
    pub face: CameraChoice,
    /// Format, warm-up and retry.
    pub capture: CaptureSettings,
}

/// The cameras of the roles, and the one running now.
pub struct CameraRig {
    document: CameraChoice,
    face: CameraChoice,
    settings: CaptureSettings,
    demo: bool,
    wake: Option<Wake>,
    active: Option<((CameraChoice, Option<CameraRole>), Camera)>,
}

impl CameraRig {
    /// The rig for these choices; no camera runs until `camera_for` asks for one.
    pub fn new(settings: RigSettings, demo: bool, wake: Option<Wake>) -> CameraRig {
        CameraRig {
            document: settings.document,
            face: settings.face,
            settings: settings.capture,
            demo,
            wake,
            active: None,
        }
    }

    /// The camera chosen for `role`.
    pub fn choice(&self, role: CameraRole) -> &CameraChoice {
        match role {
            CameraRole::Document => &self.document,
            CameraRole::Face => &self.face,
        }
    }

    /// Gives `role` another camera (staff settings); takes effect at the next `camera_for`.
    pub fn assign(&mut self, role: CameraRole, choice: CameraChoice) {
        match role {
            CameraRole::Document => self.document = choice,
            CameraRole::Face => self.face = choice,
        }
    }

    /// The running camera for `role`, started if needed. When both roles use one device it
    /// keeps running from one role to the other; otherwise the previous camera is stopped. The
    /// synthetic camera counts as one device per role, since it films each its own scene.
    pub fn camera_for(&mut self, role: CameraRole) -> Result<&Camera, CameraError> {
        let choice = self.choice(role).clone();
        let identity = device_identity(&choice, role, self.demo);
        let running = matches!(&self.active, Some((active, _)) if *active == identity);
        if !running {
            // Stop the previous camera before opening the next: they may share a device.
            self.active = None;
            let label = match role {
                CameraRole::Document => "document",
                CameraRole::Face => "face",
            };
            let camera = Camera::start(
                label,
                choice.opener(self.demo, role),
                self.settings.clone(),
                self.wake.clone(),
            )?;
            self.active = Some((identity, camera));
        }
        match &self.active {
            Some((_, camera)) => Ok(camera),
            None => Err(CameraError::Other("no camera running".to_owned())),
        }
    }

    /// Stops the running camera (no capture screen is showing).
    pub fn stop(&mut self) {
        self.active = None;
    }

    /// Whether a camera is running.
    pub fn is_running(&self) -> bool {
        self.active.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_as_the_config_spells_them() {
        assert_eq!(CameraChoice::parse(""), CameraChoice::Auto);
        assert_eq!(CameraChoice::parse(" AUTO "), CameraChoice::Auto);
        assert_eq!(CameraChoice::parse("1"), CameraChoice::Index(1));
        assert_eq!(
            CameraChoice::parse("Logitech BRIO"),
            CameraChoice::Name("Logitech BRIO".to_owned())
        );
        assert_eq!(CameraChoice::parse("synthetic"), CameraChoice::Synthetic);
        assert_eq!(
            CameraChoice::parse("play:/srv/frames"),
            CameraChoice::Playback(PathBuf::from("/srv/frames"))
        );
    }

    #[test]
    fn a_webcam_serves_both_roles_but_the_synthetic_camera_films_each_its_own_scene() {
        let same = |choice: CameraChoice, demo: bool| {
            device_identity(&choice, CameraRole::Document, demo)
                == device_identity(&choice, CameraRole::Face, demo)
        };
        assert!(same(CameraChoice::Index(0), false));
        assert!(
            same(CameraChoice::Auto, false),
            "auto is a webcam outside demo mode"
        );
        assert!(same(CameraChoice::Playback(PathBuf::from("/srv")), true));
        assert!(!same(CameraChoice::Synthetic, false));
        assert!(
            !same(CameraChoice::Auto, true),
            "auto is the synthetic camera in demo mode"
        );
    }
}
